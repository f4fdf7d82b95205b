use enspace_domain::{time::now_ms, user::normalize_email};

use crate::{
    db::{Db, Row, Tx, Value},
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

/// A user invited by email who has not yet set a password: `status` is `invited` until the
/// invitation is accepted.
pub async fn create_invited(tx: &mut Tx, email: &str, fname: Option<&str>, lname: Option<&str>) -> Result<UserRecord> {
    let user = create(tx, email, fname, lname).await?;
    tx.execute("UPDATE users SET status = 'invited' WHERE id = $1", &params![user.id]).await?;
    Ok(user)
}

/// What a login needs: the user, its password hash (absent until one is set) and its status.
pub struct Credentials {
    pub user: UserRecord,
    pub password_hash: Option<String>,
    pub status: String,
}

pub async fn credentials(db: &Db, email: &str) -> Result<Option<Credentials>> {
    let row = db
        .fetch_optional(
            &format!("SELECT {USER_COLUMNS}, password_hash, status FROM users WHERE email_normalized = $1"),
            &params![normalize_email(email)],
        )
        .await?;
    row.map(|r| {
        Ok(Credentials {
            user: UserRecord::from_row(&r)?,
            password_hash: r.opt_text("password_hash")?,
            status: r.text("status")?,
        })
    })
    .transpose()
}

/// Whether the user has set a password (an invited user has not).
pub async fn has_password(tx: &mut Tx, id: i64) -> Result<bool> {
    let row = tx.fetch_one("SELECT password_hash FROM users WHERE id = $1", &params![id]).await?;
    Ok(row.opt_text("password_hash")?.is_some())
}

/// Sets the password hash and the names of a user who has no password yet, and makes it
/// active; answers false (changing nothing) when the user already has a password.
pub async fn activate(
    tx: &mut Tx,
    id: i64,
    password_hash: &str,
    fname: Option<&str>,
    lname: Option<&str>,
) -> Result<bool> {
    let changed = tx
        .execute(
            "UPDATE users SET password_hash = $2, status = 'active', fname = COALESCE($3, fname), \
             lname = COALESCE($4, lname), updated_at = $5 WHERE id = $1 AND password_hash IS NULL",
            &params![id, password_hash, fname, lname, now_ms()],
        )
        .await?;
    Ok(changed == 1)
}

/// Sets or replaces the password (an operator's command), making an invited user active.
pub async fn set_password(tx: &mut Tx, id: i64, password_hash: &str) -> Result<()> {
    tx.execute(
        "UPDATE users SET password_hash = $2, status = 'active', updated_at = $3 WHERE id = $1",
        &params![id, password_hash, now_ms()],
    )
    .await?;
    Ok(())
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

/// One UPDATE, so concurrent updates of different keys never undo each other.
pub async fn update(db: &Db, id: i64, patch: UserPatch) -> Result<UserRecord> {
    let split = |v: Option<Option<String>>| (v.is_some(), v.flatten());
    let ((set_fname, fname), (set_lname, lname)) = (split(patch.fname), split(patch.lname));
    let mut tx = db.begin().await?;
    let row = tx
        .fetch_one(
            &format!(
                "UPDATE users SET fname = CASE WHEN $1 THEN $2 ELSE fname END, \
                 lname = CASE WHEN $3 THEN $4 ELSE lname END, language = COALESCE($5, language), updated_at = $6 \
                 WHERE id = $7 RETURNING {USER_COLUMNS}"
            ),
            &[
                Value::Bool(Some(set_fname)),
                Value::Text(fname),
                Value::Bool(Some(set_lname)),
                Value::Text(lname),
                Value::Text(patch.language),
                now_ms().into(),
                id.into(),
            ],
        )
        .await?;
    tx.commit().await?;
    UserRecord::from_row(&row)
}
