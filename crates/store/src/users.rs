use enspace_domain::{time::now_ms, user::normalize_email};

use crate::{
    db::{Db, Row, Tx},
    error::Result,
    params,
};

#[derive(Debug, Clone, PartialEq)]
pub struct UserRecord {
    pub id: i64,
    pub email: String,
    pub fname: Option<String>,
    pub lname: Option<String>,
    pub language: String,
    pub created_at: i64,
    pub updated_at: i64,
}

pub(crate) const USER_COLUMNS: &str = "id, email, fname, lname, language, created_at, updated_at";

impl UserRecord {
    pub(crate) fn from_row(row: &Row) -> Result<UserRecord> {
        Ok(UserRecord {
            id: row.i64("id")?,
            email: row.text("email")?,
            fname: row.opt_text("fname")?,
            lname: row.opt_text("lname")?,
            language: row.text("language")?,
            created_at: row.i64("created_at")?,
            updated_at: row.i64("updated_at")?,
        })
    }
}

/// Creates a user; a taken email (compared case-insensitively) is a `Conflict`.
pub async fn create(tx: &mut Tx, email: &str, fname: Option<&str>, lname: Option<&str>) -> Result<UserRecord> {
    let now = now_ms();
    let row = tx
        .fetch_one(
            &format!(
                "INSERT INTO users (email, email_normalized, fname, lname, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $5) RETURNING {USER_COLUMNS}"
            ),
            &params![email.trim(), normalize_email(email), fname, lname, now],
        )
        .await?;
    UserRecord::from_row(&row)
}

pub async fn find_by_email(db: &Db, email: &str) -> Result<Option<UserRecord>> {
    db.fetch_optional(
        &format!("SELECT {USER_COLUMNS} FROM users WHERE email_normalized = $1"),
        &params![normalize_email(email)],
    )
    .await?
    .map(|r| UserRecord::from_row(&r))
    .transpose()
}

pub async fn get(db: &Db, id: i64) -> Result<Option<UserRecord>> {
    db.fetch_optional(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"), &params![id])
        .await?
        .map(|r| UserRecord::from_row(&r))
        .transpose()
}

/// What `PUT /user` may change; `None` leaves a value as it is, `Some(None)` clears a name.
#[derive(Debug, Default)]
pub struct UserPatch {
    pub fname: Option<Option<String>>,
    pub lname: Option<Option<String>>,
    pub language: Option<String>,
}

pub async fn update(db: &Db, id: i64, patch: UserPatch) -> Result<UserRecord> {
    let mut tx = db.begin().await?;
    let current = UserRecord::from_row(
        &tx.fetch_one(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"), &params![id]).await?,
    )?;
    let fname = patch.fname.unwrap_or(current.fname);
    let lname = patch.lname.unwrap_or(current.lname);
    let language = patch.language.unwrap_or(current.language);
    let row = tx
        .fetch_one(
            &format!(
                "UPDATE users SET fname = $1, lname = $2, language = $3, updated_at = $4 \
                 WHERE id = $5 RETURNING {USER_COLUMNS}"
            ),
            &params![fname, lname, language, now_ms(), id],
        )
        .await?;
    tx.commit().await?;
    UserRecord::from_row(&row)
}
