use std::collections::HashMap;

use enspace_domain::{
    key::Scopes,
    list::{FieldKind, ListQuery},
    time::now_ms,
};

use crate::{
    db::{Db, Row, Tx},
    error::Result,
    list::{ListField, ListSpec, Sql},
    params,
    users::UserRecord,
};

#[derive(Debug, Clone, PartialEq)]
pub struct ApiKeyRecord {
    pub id: i64,
    pub user_id: i64,
    pub reference: String,
    pub description: String,
    pub scopes: Scopes,
    /// `scope.workspaces` is `["*"]`.
    pub all_workspaces: bool,
    /// The listed workspace references, when not all (sorted).
    pub workspaces: Vec<String>,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

const KEY_COLUMNS: &str = "id, user_id, reference, description, scope_read, scope_write, scope_delete, \
     all_workspaces, expires_at, last_used_at, revoked_at, created_at, updated_at";

impl ApiKeyRecord {
    fn from_row(row: &Row) -> Result<ApiKeyRecord> {
        Self::from_prefixed(row, "")
    }

    /// A key read under `prefix`ed column names ([`key_user_columns`]).
    fn from_prefixed(row: &Row, prefix: &str) -> Result<ApiKeyRecord> {
        let name = |column: &str| format!("{prefix}{column}");
        Ok(ApiKeyRecord {
            id: row.i64(&name("id"))?,
            user_id: row.i64(&name("user_id"))?,
            reference: row.text(&name("reference"))?,
            description: row.text(&name("description"))?,
            scopes: Scopes {
                read: row.bool(&name("scope_read"))?,
                write: row.bool(&name("scope_write"))?,
                delete: row.bool(&name("scope_delete"))?,
            },
            all_workspaces: row.bool(&name("all_workspaces"))?,
            workspaces: Vec::new(),
            expires_at: row.opt_i64(&name("expires_at"))?,
            last_used_at: row.opt_i64(&name("last_used_at"))?,
            revoked_at: row.opt_i64(&name("revoked_at"))?,
            created_at: row.i64(&name("created_at"))?,
            updated_at: row.i64(&name("updated_at"))?,
        })
    }
}

/// A key (`k`) and its user (`u`) as columns named with `prefix`: what [`KeyWithUser::read`]
/// reads back.
pub(crate) fn key_user_columns(prefix: &str) -> String {
    let key = [
        "id",
        "user_id",
        "reference",
        "digest",
        "description",
        "scope_read",
        "scope_write",
        "scope_delete",
        "all_workspaces",
        "expires_at",
        "last_used_at",
        "revoked_at",
        "created_at",
        "updated_at",
    ];
    let user = [
        ("email", "email"),
        ("fname", "fname"),
        ("lname", "lname"),
        ("language", "language"),
        ("created_at", "user_created_at"),
        ("updated_at", "user_updated_at"),
    ];
    key.iter()
        .map(|c| format!("k.{c} AS {prefix}{c}"))
        .chain(user.iter().map(|(c, alias)| format!("u.{c} AS {prefix}{alias}")))
        .collect::<Vec<_>>()
        .join(", ")
}

pub struct NewApiKey<'a> {
    pub user_id: i64,
    pub reference: &'a str,
    pub digest: &'a str,
    pub description: &'a str,
    pub scopes: Scopes,
    pub all_workspaces: bool,
    pub workspace_ids: &'a [i64],
    pub expires_at: Option<i64>,
}

/// Stores a key created at `now` (the instant its expiry was counted from).
pub async fn create(tx: &mut Tx, new: NewApiKey<'_>, now: i64) -> Result<ApiKeyRecord> {
    let row = tx
        .fetch_one(
            &format!(
                "INSERT INTO api_keys (user_id, reference, digest, description, scope_read, scope_write, \
                 scope_delete, all_workspaces, expires_at, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING {KEY_COLUMNS}"
            ),
            &params![
                new.user_id,
                new.reference,
                new.digest,
                new.description,
                new.scopes.read,
                new.scopes.write,
                new.scopes.delete,
                new.all_workspaces,
                new.expires_at,
                now
            ],
        )
        .await?;
    let mut key = ApiKeyRecord::from_row(&row)?;
    for workspace_id in new.workspace_ids {
        tx.execute(
            "INSERT INTO api_key_workspaces (api_key_id, workspace_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &params![key.id, *workspace_id],
        )
        .await?;
    }
    let rows = tx.fetch_all(LISTED_SQL, &params![key.id]).await?;
    key.workspaces = rows.iter().map(|r| r.text("reference")).collect::<Result<_>>()?;
    Ok(key)
}

/// A key found by its digest, with its user, for authentication.
#[derive(Debug, Clone)]
pub struct KeyWithUser {
    pub key: ApiKeyRecord,
    pub digest: String,
    pub user: UserRecord,
}

pub async fn find_by_digest(db: &Db, digest: &str) -> Result<Option<KeyWithUser>> {
    let sql =
        format!("SELECT {} FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.digest = $1", key_user_columns(""));
    let Some(row) = db.fetch_optional(&sql, &params![digest]).await? else { return Ok(None) };
    Ok(Some(KeyWithUser::read(db, &row, "").await?))
}

impl KeyWithUser {
    /// The key and user of [`key_user_columns`]`(prefix)`, with the workspaces a key lists (one
    /// more read, for keys that list some).
    pub(crate) async fn read(db: &Db, row: &Row, prefix: &str) -> Result<KeyWithUser> {
        let name = |column: &str| format!("{prefix}{column}");
        let mut key = ApiKeyRecord::from_prefixed(row, prefix)?;
        if !key.all_workspaces {
            key.workspaces = listed_references(db, key.id).await?;
        }
        let user = UserRecord {
            id: key.user_id,
            email: row.text(&name("email"))?,
            fname: row.opt_text(&name("fname"))?,
            lname: row.opt_text(&name("lname"))?,
            language: row.text(&name("language"))?,
            created_at: row.i64(&name("user_created_at"))?,
            updated_at: row.i64(&name("user_updated_at"))?,
        };
        Ok(KeyWithUser { key, digest: row.text(&name("digest"))?, user })
    }
}

const LISTED_SQL: &str = "SELECT w.reference FROM api_key_workspaces kw JOIN workspaces w ON w.id = kw.workspace_id \
     WHERE kw.api_key_id = $1 ORDER BY w.reference";

/// The references of the workspaces one key lists, sorted.
async fn listed_references(db: &Db, key_id: i64) -> Result<Vec<String>> {
    let rows = db.fetch_all(LISTED_SQL, &params![key_id]).await?;
    rows.iter().map(|r| r.text("reference")).collect()
}

/// The workspace references each key lists, for a set of keys.
async fn attach_workspaces(db: &Db, keys: &mut [ApiKeyRecord]) -> Result<()> {
    let Some(user_id) = keys.first().map(|k| k.user_id) else { return Ok(()) };
    let rows = db
        .fetch_all(
            "SELECT kw.api_key_id, w.reference FROM api_key_workspaces kw \
             JOIN api_keys k ON k.id = kw.api_key_id JOIN workspaces w ON w.id = kw.workspace_id \
             WHERE k.user_id = $1 ORDER BY w.reference",
            &params![user_id],
        )
        .await?;
    let mut by_key: HashMap<i64, Vec<String>> = HashMap::new();
    for row in rows {
        by_key.entry(row.i64("api_key_id")?).or_default().push(row.text("reference")?);
    }
    for key in keys {
        key.workspaces = by_key.remove(&key.id).unwrap_or_default();
    }
    Ok(())
}

pub const LIST: ListSpec = ListSpec {
    fields: &[
        ListField { name: "id", kind: FieldKind::Int, sql: "id" },
        ListField { name: "reference", kind: FieldKind::Text, sql: "reference" },
        ListField { name: "description", kind: FieldKind::Text, sql: "description" },
        ListField { name: "expires_at", kind: FieldKind::Time, sql: "expires_at" },
        ListField { name: "last_used_at", kind: FieldKind::Time, sql: "last_used_at" },
        ListField { name: "created_at", kind: FieldKind::Time, sql: "created_at" },
        ListField { name: "updated_at", kind: FieldKind::Time, sql: "updated_at" },
    ],
    search: &["description", "reference"],
    default_sort: ("id", false),
};

fn list_sql(db: &Db, user_id: i64, query: &ListQuery, select: &str) -> Sql {
    let mut sql = Sql::new(&format!("SELECT {select} FROM api_keys WHERE revoked_at IS NULL AND user_id = "));
    sql.bind(user_id);
    LIST.push_conditions(&mut sql, db.backend(), query);
    sql
}

/// The user's keys that are not revoked.
pub async fn list(db: &Db, user_id: i64, query: &ListQuery) -> Result<Vec<ApiKeyRecord>> {
    let mut sql = list_sql(db, user_id, query, KEY_COLUMNS);
    LIST.push_page(&mut sql, query);
    let mut keys =
        db.fetch_all(&sql.text, &sql.params).await?.iter().map(ApiKeyRecord::from_row).collect::<Result<Vec<_>>>()?;
    attach_workspaces(db, &mut keys).await?;
    Ok(keys)
}

pub async fn count(db: &Db, user_id: i64, query: &ListQuery) -> Result<i64> {
    let sql = list_sql(db, user_id, query, "COUNT(*) AS n");
    db.fetch_one(&sql.text, &sql.params).await?.i64("n")
}

/// Revokes one of the user's keys at once; answers the key as it was.
pub async fn revoke(db: &Db, user_id: i64, reference: &str) -> Result<Option<ApiKeyRecord>> {
    let mut tx = db.begin().await?;
    let row = tx
        .fetch_optional(
            &format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE user_id = $1 AND reference = $2 AND revoked_at IS NULL"),
            &params![user_id, reference],
        )
        .await?;
    let Some(row) = row else { return Ok(None) };
    let mut key = ApiKeyRecord::from_row(&row)?;
    tx.execute("UPDATE api_keys SET revoked_at = $1 WHERE id = $2", &params![now_ms(), key.id]).await?;
    tx.commit().await?;
    attach_workspaces(db, std::slice::from_mut(&mut key)).await?;
    Ok(Some(key))
}

/// Records use of keys, at most once a minute per key (heavy use must not turn reads into writes).
pub async fn touch(tx: &mut Tx, uses: &HashMap<i64, i64>) -> Result<()> {
    for (key_id, at) in uses {
        tx.execute(
            "UPDATE api_keys SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at <= $3)",
            &params![*at, *key_id, *at - 60_000],
        )
        .await?;
    }
    Ok(())
}
