//! Facts about the installation itself, such as whether first-run setup has happened.

use enspace_domain::time::now_ms;

use crate::{db::Tx, error::Result, params};

/// Marks first-run setup as done. True for exactly one caller, however many processes race
/// (the row's primary key decides), and only while the database has no user yet.
pub async fn claim_first_run(tx: &mut Tx) -> Result<bool> {
    let claimed = tx
        .execute(
            "INSERT INTO installation (key, value, created_at) VALUES ('first_run', 'done', $1) \
             ON CONFLICT (key) DO NOTHING",
            &params![now_ms()],
        )
        .await?
        == 1;
    if !claimed {
        return Ok(false);
    }
    let users = tx.fetch_one("SELECT COUNT(*) AS n FROM users", &[]).await?.i64("n")?;
    Ok(users == 0)
}
