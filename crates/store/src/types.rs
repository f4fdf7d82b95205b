//! Types (the product's categories) of a workspace.

use enspace_domain::{
    list::{FieldKind, ListQuery},
    types::{derive_slug, slug_with_suffix},
};
use serde_json::{Map, Value as Json};

use crate::{
    db::{Db, Row, Tx},
    error::{Result, StoreError},
    fields::FieldRecord,
    list::{ListField, ListSpec, Sql},
    params,
};

#[derive(Debug, Clone, PartialEq)]
pub struct TypeRecord {
    pub id: i64,
    pub workspace_id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub icon: Option<String>,
    pub color: Option<String>,
    pub settings: Map<String, Json>,
    pub item_versioning: bool,
    pub prefix: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str =
    "id, workspace_id, slug, name, description, icon, color, settings, item_versioning, prefix, created_at, updated_at";

impl TypeRecord {
    fn from_row(row: &Row) -> Result<TypeRecord> {
        Ok(TypeRecord {
            id: row.i64("id")?,
            workspace_id: row.i64("workspace_id")?,
            slug: row.text("slug")?,
            name: row.text("name")?,
            description: row.text("description")?,
            icon: row.opt_text("icon")?,
            color: row.opt_text("color")?,
            settings: match row.json("settings")? {
                Json::Object(map) => map,
                _ => Map::new(),
            },
            item_versioning: row.bool("item_versioning")?,
            prefix: row.text("prefix")?,
            created_at: row.i64("created_at")?,
            updated_at: row.i64("updated_at")?,
        })
    }
}

pub const LIST: ListSpec = ListSpec {
    fields: &[
        ListField { name: "id", kind: FieldKind::Int, sql: "id" },
        ListField { name: "slug", kind: FieldKind::Text, sql: "slug" },
        ListField { name: "name", kind: FieldKind::Text, sql: "name" },
        ListField { name: "description", kind: FieldKind::Text, sql: "description" },
        ListField { name: "created_at", kind: FieldKind::Time, sql: "created_at" },
        ListField { name: "updated_at", kind: FieldKind::Time, sql: "updated_at" },
    ],
    search: &["name", "slug", "description"],
    default_sort: ("id", false),
};

/// `readable`: the slugs the caller may read, or None for all.
fn filtered(workspace_id: i64, readable: Option<&[String]>, head: &str) -> Sql {
    let mut sql = Sql::new(head);
    sql.push(" FROM types WHERE deleted_at IS NULL AND workspace_id = ").bind(workspace_id);
    match readable {
        None => {}
        Some([]) => {
            sql.push(" AND 1 = 0");
        }
        Some(slugs) => {
            sql.push(" AND slug IN ").bind_list(slugs.iter().cloned());
        }
    }
    sql
}

pub async fn list(
    db: &Db,
    workspace_id: i64,
    readable: Option<&[String]>,
    query: &ListQuery,
) -> Result<Vec<TypeRecord>> {
    let mut sql = filtered(workspace_id, readable, &format!("SELECT {COLUMNS}"));
    LIST.push_conditions(&mut sql, db.backend(), query);
    LIST.push_page(&mut sql, query);
    db.fetch_all(&sql.text, &sql.params).await?.iter().map(TypeRecord::from_row).collect()
}

pub async fn count(db: &Db, workspace_id: i64, readable: Option<&[String]>, query: &ListQuery) -> Result<i64> {
    let mut sql = filtered(workspace_id, readable, "SELECT COUNT(*) AS n");
    LIST.push_conditions(&mut sql, db.backend(), query);
    db.fetch_one(&sql.text, &sql.params).await?.i64("n")
}

/// Every type of the workspace (small: a workspace has tens of types).
pub async fn all(db: &Db, workspace_id: i64) -> Result<Vec<TypeRecord>> {
    db.fetch_all(
        &format!("SELECT {COLUMNS} FROM types WHERE workspace_id = $1 AND deleted_at IS NULL ORDER BY id"),
        &params![workspace_id],
    )
    .await?
    .iter()
    .map(TypeRecord::from_row)
    .collect()
}

/// One type of the workspace, by `key` (`slug` or `id`).
async fn one(db: &Db, workspace_id: i64, key: &str, value: crate::db::Value) -> Result<Option<TypeRecord>> {
    one_from(&mut crate::Reader::Db(db), workspace_id, key, value).await
}

async fn one_from(
    reader: &mut crate::Reader<'_>,
    workspace_id: i64,
    key: &str,
    value: crate::db::Value,
) -> Result<Option<TypeRecord>> {
    reader
        .fetch_optional(
            &format!("SELECT {COLUMNS} FROM types WHERE workspace_id = $1 AND {key} = $2 AND deleted_at IS NULL"),
            &[workspace_id.into(), value],
        )
        .await?
        .as_ref()
        .map(TypeRecord::from_row)
        .transpose()
}

/// [`by_id`] inside a command's transaction.
pub async fn by_id_in(tx: &mut Tx, workspace_id: i64, id: i64) -> Result<Option<TypeRecord>> {
    one_from(&mut crate::Reader::Tx(tx), workspace_id, "id", id.into()).await
}

pub async fn get(db: &Db, workspace_id: i64, slug: &str) -> Result<Option<TypeRecord>> {
    one(db, workspace_id, "slug", slug.into()).await
}

/// The type named by `slug` with its fields in order, in one query: every item request needs
/// both, and a round trip is a tenth of a create's time on PostgreSQL.
pub async fn with_fields(db: &Db, workspace_id: i64, slug: &str) -> Result<Option<(TypeRecord, Vec<FieldRecord>)>> {
    let type_columns = COLUMNS.split(", ").map(|c| format!("t.{}", c.trim())).collect::<Vec<_>>().join(", ");
    let rows = db
        .fetch_all(
            &format!(
                "SELECT {type_columns}, {} FROM types t \
                 LEFT JOIN fields f ON f.type_id = t.id AND f.workspace_id = t.workspace_id \
                 WHERE t.workspace_id = $1 AND t.slug = $2 AND t.deleted_at IS NULL ORDER BY f.position, f.id",
                crate::fields::prefixed_columns()
            ),
            &params![workspace_id, slug],
        )
        .await?;
    let Some(first) = rows.first() else { return Ok(None) };
    let record = TypeRecord::from_row(first)?;
    let mut fields = Vec::with_capacity(rows.len());
    for row in &rows {
        if row.opt_i64("f_id")?.is_some() {
            fields.push(FieldRecord::from_prefixed(row, "f_")?);
        }
    }
    Ok(Some((record, fields)))
}

pub async fn by_id(db: &Db, workspace_id: i64, id: i64) -> Result<Option<TypeRecord>> {
    one(db, workspace_id, "id", id.into()).await
}

pub struct TypeValues<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub icon: Option<&'a str>,
    pub color: Option<&'a str>,
    pub settings: &'a Map<String, Json>,
    pub item_versioning: bool,
}

/// Creates a type. With no slug given, one is derived from the name and suffixed until free;
/// a given slug that is taken is a conflict.
pub async fn create(
    tx: &mut Tx,
    workspace_id: i64,
    slug: Option<&str>,
    prefix: &str,
    values: TypeValues<'_>,
    now: i64,
) -> Result<TypeRecord> {
    let base = slug.map(str::to_string).unwrap_or_else(|| derive_slug(values.name));
    let mut candidate = base.clone();
    for n in 2.. {
        let taken = tx
            .fetch_optional(
                "SELECT id FROM types WHERE workspace_id = $1 AND slug = $2",
                &params![workspace_id, &candidate],
            )
            .await?
            .is_some();
        if !taken {
            break;
        }
        if slug.is_some() {
            return Err(StoreError::Conflict(format!("slug {candidate}")));
        }
        candidate = slug_with_suffix(&base, n);
    }
    let row = tx
        .fetch_one(
            &format!(
                "INSERT INTO types (workspace_id, slug, name, description, icon, color, settings, item_versioning, prefix, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING {COLUMNS}"
            ),
            &params![
                workspace_id,
                &candidate,
                values.name,
                values.description,
                values.icon,
                values.color,
                Json::Object(values.settings.clone()),
                values.item_versioning,
                prefix,
                now
            ],
        )
        .await?;
    TypeRecord::from_row(&row)
}

pub async fn update(tx: &mut Tx, record: &TypeRecord, values: TypeValues<'_>, now: i64) -> Result<TypeRecord> {
    let row = tx
        .fetch_one(
            &format!(
                "UPDATE types SET name = $3, description = $4, icon = $5, color = $6, settings = $7, item_versioning = $8, updated_at = $9 \
                 WHERE workspace_id = $1 AND id = $2 RETURNING {COLUMNS}"
            ),
            &params![
                record.workspace_id,
                record.id,
                values.name,
                values.description,
                values.icon,
                values.color,
                Json::Object(values.settings.clone()),
                values.item_versioning,
                now
            ],
        )
        .await?;
    TypeRecord::from_row(&row)
}
