use std::collections::BTreeMap;

use enspace_domain::{
    access::{MemberStatus, MemberType},
    list::{FieldKind, ListQuery},
    time::now_ms,
    workspace::{derive_reference, reference_with_suffix},
};
use serde_json::{Map, Value as Json};

use crate::{
    db::{Db, Row, Tx, Value},
    error::{Result, StoreError},
    list::{ListField, ListSpec, Sql},
    members::{self, member_columns, MemberRecord},
    params,
};

#[derive(Debug, Clone, PartialEq)]
pub struct WorkspaceRecord {
    pub id: i64,
    pub reference: String,
    pub name: String,
    pub description: String,
    pub icon: Option<String>,
    pub language: String,
    pub status: String,
    pub modules: Map<String, Json>,
    pub settings: Map<String, Json>,
    pub members_count: i64,
    /// Bumped by every change to its types, fields, flows and stages (migration 0026): the key
    /// under which a process may cache their definitions.
    pub structure_version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

fn workspace_columns(alias: &str) -> String {
    let p = if alias.is_empty() { String::new() } else { format!("{alias}.") };
    format!(
        "{p}id, {p}reference, {p}name, {p}description, {p}icon, {p}language, {p}status, {p}modules, {p}settings, \
         {p}created_at, {p}updated_at, {p}structure_version, \
         (SELECT COUNT(*) FROM members mc WHERE mc.workspace_id = {p}id) AS members_count"
    )
}

fn object(value: Json) -> Map<String, Json> {
    match value {
        Json::Object(map) => map,
        _ => Map::new(),
    }
}

impl WorkspaceRecord {
    fn from_row(row: &Row) -> Result<WorkspaceRecord> {
        Ok(WorkspaceRecord {
            id: row.i64("id")?,
            reference: row.text("reference")?,
            name: row.text("name")?,
            description: row.text("description")?,
            icon: row.opt_text("icon")?,
            language: row.text("language")?,
            status: row.text("status")?,
            modules: object(row.json("modules")?),
            settings: object(row.json("settings")?),
            members_count: row.i64("members_count")?,
            structure_version: row.i64("structure_version")?,
            created_at: row.i64("created_at")?,
            updated_at: row.i64("updated_at")?,
        })
    }
}

/// How a request names its workspace in `en-workspace`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkspaceSelector {
    Reference(String),
    Id(i64),
}

/// Everything the workspace checks of spec/README.md need, read in one query.
#[derive(Debug, Clone)]
pub struct WorkspaceAccess {
    pub workspace: WorkspaceRecord,
    /// Whether the presenting key lists this workspace (always true for `["*"]` keys and sessions).
    pub key_listed: bool,
    pub member: Option<MemberRecord>,
}

/// Resolves the workspace of a request for `user_id`. `key_id` is the presenting key when it
/// lists particular workspaces (`None` for `["*"]` keys).
pub async fn resolve(
    db: &Db,
    selector: &WorkspaceSelector,
    user_id: i64,
    key_id: Option<i64>,
) -> Result<Option<WorkspaceAccess>> {
    let mut sql = Sql::new(&format!("SELECT {}, {}, CASE WHEN ", workspace_columns("w"), member_columns("m")));
    match key_id {
        Some(key_id) => {
            sql.push("EXISTS (SELECT 1 FROM api_key_workspaces kw WHERE kw.workspace_id = w.id AND kw.api_key_id = ");
            sql.bind(key_id).push(")");
        }
        None => {
            sql.push("1 = 1");
        }
    }
    sql.push(" THEN 1 ELSE 0 END AS key_listed FROM workspaces w LEFT JOIN members m ON m.workspace_id = w.id AND m.user_id = ");
    sql.bind(user_id).push(" WHERE ");
    push_selector(&mut sql, selector);
    sql.push(" AND w.deleted_at IS NULL");
    let Some(row) = db.fetch_optional(&sql.text, &sql.params).await? else { return Ok(None) };
    Ok(Some(WorkspaceAccess::from_row(&row)?))
}

/// `w.reference = …` or `w.id = …`: the workspace a request names.
fn push_selector(sql: &mut Sql, selector: &WorkspaceSelector) {
    match selector {
        WorkspaceSelector::Reference(reference) => sql.push("w.reference = ").bind(reference),
        WorkspaceSelector::Id(id) => sql.push("w.id = ").bind(*id),
    };
}

impl WorkspaceAccess {
    /// The workspace (`w`), its `key_listed` and the member (`m`) of [`resolve`]'s columns.
    fn from_row(row: &Row) -> Result<WorkspaceAccess> {
        Ok(WorkspaceAccess {
            workspace: WorkspaceRecord::from_row(row)?,
            key_listed: row.bool("key_listed")?,
            member: MemberRecord::from_row(row)?,
        })
    }
}

/// A key (by its digest) with its user and, in the same statement, the workspace `selector`
/// names with what [`resolve`] answers for it: what a workspace request made with a key needs,
/// in one round trip. `None` when no key has the digest; the access is `None` when no
/// workspace has the selector.
pub async fn resolve_with_key(
    db: &Db,
    digest: &str,
    selector: &WorkspaceSelector,
) -> Result<Option<(crate::api_keys::KeyWithUser, Option<WorkspaceAccess>)>> {
    let mut sql = Sql::new(&format!(
        "SELECT {}, {}, {}, CASE WHEN k.all_workspaces OR EXISTS (SELECT 1 FROM api_key_workspaces kw \
         WHERE kw.workspace_id = w.id AND kw.api_key_id = k.id) THEN 1 ELSE 0 END AS key_listed \
         FROM api_keys k JOIN users u ON u.id = k.user_id LEFT JOIN workspaces w ON w.deleted_at IS NULL AND ",
        crate::api_keys::key_user_columns("key_"),
        workspace_columns("w"),
        member_columns("m"),
    ));
    push_selector(&mut sql, selector);
    sql.push(" LEFT JOIN members m ON m.workspace_id = w.id AND m.user_id = k.user_id WHERE k.digest = ").bind(digest);
    let Some(row) = db.fetch_optional(&sql.text, &sql.params).await? else { return Ok(None) };
    let key = crate::api_keys::KeyWithUser::read(db, &row, "key_").await?;
    if row.opt_i64("id")?.is_none() {
        return Ok(Some((key, None)));
    }
    Ok(Some((key, Some(WorkspaceAccess::from_row(&row)?))))
}

pub const LIST: ListSpec = ListSpec {
    fields: &[
        ListField { name: "id", kind: FieldKind::Int, sql: "w.id" },
        ListField { name: "reference", kind: FieldKind::Text, sql: "w.reference" },
        ListField { name: "name", kind: FieldKind::Text, sql: "w.name" },
        ListField { name: "description", kind: FieldKind::Text, sql: "w.description" },
        ListField { name: "status", kind: FieldKind::Enum(&["active"]), sql: "w.status" },
        ListField { name: "language", kind: FieldKind::Enum(&["pt", "en", "es"]), sql: "w.language" },
        ListField { name: "created_at", kind: FieldKind::Time, sql: "w.created_at" },
        ListField { name: "updated_at", kind: FieldKind::Time, sql: "w.updated_at" },
    ],
    search: &["w.name", "w.reference"],
    default_sort: ("id", false),
};

/// Which workspaces a caller may see: those it is an active member of, narrowed to the ones its
/// key lists unless the key has `["*"]` (`key_id: None`).
fn list_sql(db: &Db, user_id: i64, key_id: Option<i64>, query: &ListQuery, select: &str) -> Sql {
    let mut sql = Sql::new(&format!(
        "SELECT {select} FROM workspaces w JOIN members m ON m.workspace_id = w.id AND m.status = 'active' \
         AND m.user_id = "
    ));
    sql.bind(user_id).push(" WHERE 1 = 1");
    if let Some(key_id) = key_id {
        sql.push(" AND EXISTS (SELECT 1 FROM api_key_workspaces kw WHERE kw.workspace_id = w.id AND kw.api_key_id = ");
        sql.bind(key_id).push(")");
    }
    LIST.push_conditions(&mut sql, db.backend(), query);
    sql
}

pub async fn list(db: &Db, user_id: i64, key_id: Option<i64>, query: &ListQuery) -> Result<Vec<WorkspaceRecord>> {
    let mut sql = list_sql(db, user_id, key_id, query, &workspace_columns("w"));
    LIST.push_page(&mut sql, query);
    db.fetch_all(&sql.text, &sql.params).await?.iter().map(WorkspaceRecord::from_row).collect()
}

pub async fn count(db: &Db, user_id: i64, key_id: Option<i64>, query: &ListQuery) -> Result<i64> {
    let sql = list_sql(db, user_id, key_id, query, "COUNT(*) AS n");
    db.fetch_one(&sql.text, &sql.params).await?.i64("n")
}

/// The ids of the workspaces with these references that `user_id` is a member of (any status).
pub async fn member_workspace_ids(db: &Db, user_id: i64, references: &[String]) -> Result<BTreeMap<String, i64>> {
    let mut out = BTreeMap::new();
    for reference in references {
        let row = db
            .fetch_optional(
                "SELECT w.id FROM workspaces w JOIN members m ON m.workspace_id = w.id AND m.user_id = $1 \
                 WHERE w.reference = $2",
                &params![user_id, reference],
            )
            .await?;
        if let Some(row) = row {
            out.insert(reference.clone(), row.i64("id")?);
        }
    }
    Ok(out)
}

pub struct NewWorkspace {
    pub name: String,
    /// `None`: derived from the name, with a numeric suffix if taken.
    pub reference: Option<String>,
    pub description: String,
    pub icon: Option<String>,
    pub language: String,
    pub modules: Map<String, Json>,
    pub settings: Map<String, Json>,
}

/// Creates a workspace with `owner` as its owner member, in one transaction. A reference that
/// was asked for and is taken is a `Conflict`; a derived one gets the first free suffix.
pub async fn create(db: &Db, new: &NewWorkspace, owner: i64) -> Result<WorkspaceRecord> {
    for _attempt in 0..5 {
        let reference = match &new.reference {
            Some(reference) => reference.clone(),
            None => free_reference(db, &derive_reference(&new.name)).await?,
        };
        let mut tx = db.begin().await?;
        match insert(&mut tx, new, &reference, owner).await {
            Ok(id) => {
                tx.commit().await?;
                return get(db, id).await?.ok_or(StoreError::NotFound);
            }
            Err(StoreError::Conflict(_)) if new.reference.is_none() => continue,
            Err(StoreError::Conflict(_)) => {
                return Err(StoreError::Conflict(format!("reference {reference:?} is taken")));
            }
            Err(other) => return Err(other),
        }
    }
    Err(StoreError::Conflict("could not find a free reference".into()))
}

async fn free_reference(db: &Db, base: &str) -> Result<String> {
    let rows = db
        .fetch_all(
            "SELECT reference FROM workspaces WHERE reference = $1 OR reference LIKE $2",
            &params![base, format!("{base}-%")],
        )
        .await?;
    let taken: Vec<String> = rows.iter().map(|r| r.text("reference")).collect::<Result<_>>()?;
    if !taken.iter().any(|t| t == base) {
        return Ok(base.to_string());
    }
    Ok((2..)
        .map(|n| reference_with_suffix(base, n))
        .find(|candidate| !taken.contains(candidate))
        .expect("an unbounded range finds a free suffix"))
}

async fn insert(tx: &mut Tx, new: &NewWorkspace, reference: &str, owner: i64) -> Result<i64> {
    let now = now_ms();
    let row = tx
        .fetch_one(
            "INSERT INTO workspaces (reference, name, description, icon, language, modules, settings, created_by, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
            &params![
                reference,
                new.name.as_str(),
                new.description.as_str(),
                new.icon.clone(),
                new.language.as_str(),
                Json::Object(new.modules.clone()),
                Json::Object(new.settings.clone()),
                owner,
                now
            ],
        )
        .await?;
    let id = row.i64("id")?;
    members::add(tx, id, owner, MemberType::Owner, MemberStatus::Active).await?;
    Ok(id)
}

pub async fn get(db: &Db, id: i64) -> Result<Option<WorkspaceRecord>> {
    db.fetch_optional(&format!("SELECT {} FROM workspaces w WHERE w.id = $1", workspace_columns("w")), &params![id])
        .await?
        .map(|r| WorkspaceRecord::from_row(&r))
        .transpose()
}

/// What `PUT /ws` may change; `None` keeps the current value.
#[derive(Debug, Default)]
pub struct WorkspacePatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub icon: Option<Option<String>>,
    pub language: Option<String>,
    pub modules: Option<Map<String, Json>>,
    pub settings: Option<Map<String, Json>>,
}

/// One UPDATE, so concurrent updates of different keys never undo each other.
pub async fn update(db: &Db, workspace_id: i64, patch: WorkspacePatch) -> Result<WorkspaceRecord> {
    let (set_icon, icon) = match patch.icon {
        Some(icon) => (true, icon),
        None => (false, None),
    };
    let changed = db
        .execute(
            "UPDATE workspaces SET name = COALESCE($1, name), description = COALESCE($2, description), \
             icon = CASE WHEN $3 THEN $4 ELSE icon END, language = COALESCE($5, language), \
             modules = COALESCE($6, modules), settings = COALESCE($7, settings), updated_at = $8 WHERE id = $9",
            &[
                Value::Text(patch.name),
                Value::Text(patch.description),
                Value::Bool(Some(set_icon)),
                Value::Text(icon),
                Value::Text(patch.language),
                Value::Json(patch.modules.map(Json::Object)),
                Value::Json(patch.settings.map(Json::Object)),
                now_ms().into(),
                workspace_id.into(),
            ],
        )
        .await?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    get(db, workspace_id).await?.ok_or(StoreError::NotFound)
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Stats {
    pub members_by_type: BTreeMap<String, i64>,
    pub members_by_status: BTreeMap<String, i64>,
    pub types: i64,
    pub fields: i64,
    pub items: i64,
    pub items_by_type: BTreeMap<String, i64>,
    pub roles: i64,
    pub groups: i64,
    pub integrations: i64,
    pub flows: i64,
    pub tasks_open: i64,
    pub tasks_overdue: i64,
    pub storage_bytes: i64,
}

async fn count_where(db: &Db, table: &str, workspace_id: i64) -> Result<i64> {
    db.fetch_one(&format!("SELECT COUNT(*) AS n FROM {table} WHERE workspace_id = $1"), &params![workspace_id])
        .await?
        .i64("n")
}

/// Statistics from indexed counts (every table's index starts with `workspace_id`).
pub async fn stats(db: &Db, workspace_id: i64, now: i64) -> Result<Stats> {
    let mut stats = Stats::default();
    for t in MemberType::NAMES {
        stats.members_by_type.insert(t.to_string(), 0);
    }
    for s in MemberStatus::NAMES {
        stats.members_by_status.insert(s.to_string(), 0);
    }
    let rows = db
        .fetch_all(
            "SELECT type, status, COUNT(*) AS n FROM members WHERE workspace_id = $1 GROUP BY type, status",
            &params![workspace_id],
        )
        .await?;
    for row in rows {
        let n = row.i64("n")?;
        *stats.members_by_type.entry(row.text("type")?).or_default() += n;
        *stats.members_by_status.entry(row.text("status")?).or_default() += n;
    }
    stats.types = count_where(db, "types", workspace_id).await?;
    stats.fields = count_where(db, "fields", workspace_id).await?;
    let rows = db
        .fetch_all(
            "SELECT t.slug, (SELECT COUNT(*) FROM items i WHERE i.workspace_id = t.workspace_id AND i.type_id = t.id) AS n \
             FROM types t WHERE t.workspace_id = $1 AND t.deleted_at IS NULL",
            &params![workspace_id],
        )
        .await?;
    for row in rows {
        let n = row.i64("n")?;
        stats.items += n;
        stats.items_by_type.insert(row.text("slug")?, n);
    }
    stats.roles = count_where(db, "roles", workspace_id).await?;
    stats.groups = count_where(db, "member_groups", workspace_id).await?;
    stats.integrations = count_where(db, "integrations", workspace_id).await?;
    // Deleted flows stay as their runs' history (tombstoned): not counted.
    stats.flows = db
        .fetch_one(
            "SELECT COUNT(*) AS n FROM flows WHERE workspace_id = $1 AND deleted_at IS NULL",
            &params![workspace_id],
        )
        .await?
        .i64("n")?;
    // Open (decision 84): quick tasks not completed, archived or trashed, and schedule tasks
    // waiting or working; overdue: open and past their due date.
    let row = db
        .fetch_one(
            "SELECT CAST(SUM(open) AS BIGINT) AS open, CAST(SUM(overdue) AS BIGINT) AS overdue FROM ( \
             SELECT COUNT(*) AS open, COUNT(CASE WHEN due_date < $2 THEN 1 END) AS overdue FROM quick_tasks \
             WHERE workspace_id = $1 AND status <> 'completed' AND archived = $3 AND deleted_at IS NULL \
             UNION ALL \
             SELECT COUNT(*), COUNT(CASE WHEN due_date < $2 THEN 1 END) FROM schedule_tasks \
             WHERE workspace_id = $1 AND work_status IN ('waiting', 'working')) counts",
            &params![workspace_id, now, false],
        )
        .await?;
    stats.tasks_open = row.opt_i64("open")?.unwrap_or(0);
    stats.tasks_overdue = row.opt_i64("overdue")?.unwrap_or(0);
    stats.storage_bytes = db
        .fetch_one(
            "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) AS n FROM files WHERE workspace_id = $1",
            &params![workspace_id],
        )
        .await?
        .i64("n")?;
    Ok(stats)
}

/// The kinds a workspace deletion removes, in the order they are removed (children first),
/// with the table each is counted and deleted in. `api_keys_narrowed` is separate: keys are not
/// removed, they lose the workspace from their scope.
const DELETION_ORDER: &[(&str, &str)] = &[
    ("items", "items"),
    ("fields", "fields"),
    ("types", "types"),
    ("files", "files"),
    ("quick_tasks", "quick_tasks"),
    ("schedule_tasks", "schedule_tasks"),
    ("flows", "flows"),
    ("integrations", "integrations"),
    ("groups", "member_groups"),
    ("members", "members"),
    ("roles", "roles"),
];

/// Per kind, how many rows a deletion removes; `api_keys_narrowed` counts keys that lose it.
pub type DeletionCounts = BTreeMap<&'static str, i64>;

/// What deleting the workspace removes, counted in the caller's transaction.
pub async fn deletion_counts(tx: &mut Tx, workspace_id: i64) -> Result<DeletionCounts> {
    let mut counts = DeletionCounts::new();
    for (kind, table) in DELETION_ORDER {
        let n = tx
            .fetch_one(&format!("SELECT COUNT(*) AS n FROM {table} WHERE workspace_id = $1"), &params![workspace_id])
            .await?
            .i64("n")?;
        counts.insert(kind, n);
    }
    let n = tx
        .fetch_one(
            "SELECT COUNT(*) AS n FROM api_key_workspaces kw JOIN api_keys k ON k.id = kw.api_key_id \
             WHERE kw.workspace_id = $1 AND k.revoked_at IS NULL",
            &params![workspace_id],
        )
        .await?
        .i64("n")?;
    counts.insert("api_keys_narrowed", n);
    // Both kinds of task, with the breakdown above (decision 84).
    counts.insert("tasks", counts["quick_tasks"] + counts["schedule_tasks"]);
    Ok(counts)
}

/// What deleting would remove, counted in a transaction so the numbers are one consistent view.
pub async fn deletion_preview(db: &Db, workspace_id: i64) -> Result<DeletionCounts> {
    let mut tx = db.begin().await?;
    let counts = deletion_counts(&mut tx, workspace_id).await?;
    drop(tx);
    Ok(counts)
}
