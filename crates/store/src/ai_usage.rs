//! Tokens spent through AI integrations.

use crate::{db::Db, error::Result, params};

pub struct NewUsage<'a> {
    pub integration_id: i64,
    pub user_id: Option<i64>,
    pub model: &'a str,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub total_tokens: i64,
}

pub async fn record(db: &Db, workspace_id: i64, usage: NewUsage<'_>, now: i64) -> Result<()> {
    db.execute(
        "INSERT INTO ai_usage (workspace_id, integration_id, user_id, model, prompt_tokens, completion_tokens, \
         total_tokens, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &params![
            workspace_id,
            usage.integration_id,
            usage.user_id,
            usage.model,
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.total_tokens,
            now
        ],
    )
    .await?;
    Ok(())
}

/// The workspace's total tokens since `since`.
pub async fn total(db: &Db, workspace_id: i64, since: i64) -> Result<i64> {
    let row = db
        .fetch_one(
            "SELECT CAST(COALESCE(SUM(total_tokens), 0) AS BIGINT) AS n FROM ai_usage WHERE workspace_id = $1 AND created_at >= $2",
            &params![workspace_id, since],
        )
        .await?;
    row.i64("n")
}
