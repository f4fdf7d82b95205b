//! Sending the outbox: the `email.send` job, through the workspace's active SendGrid
//! integration (sandbox mode in its `stage` environment).

use std::sync::Arc;

use enspace_domain::{
    emails::LINK_PLACEHOLDER, integrations::SENDGRID, jobs::DEFAULT_MAX_ATTEMPTS, secrets::Keyring, time::now_ms,
};
use enspace_integrations::{sendgrid, Providers};
use enspace_store::{
    emails::NewEmail,
    jobs::{JobRecord, NewJob},
    Db, Tx,
};
use serde_json::{json, Value};

use crate::jobs::{Handler, JobError, JobFuture};

pub const KIND: &str = "email.send";

fn link_aad(workspace_id: i64, email_id: i64) -> String {
    format!("enspace email link {workspace_id}/{email_id}")
}

/// Writes an email and its `email.send` job in the caller's transaction. With `link`, the
/// email's text holds `LINK_PLACEHOLDER` and the link travels sealed in the job, so neither the
/// email row nor the job row holds it in the clear.
pub async fn queue(
    tx: &mut Tx,
    keyring: &Keyring,
    workspace_id: i64,
    email: NewEmail<'_>,
    link: Option<&str>,
    now: i64,
) -> enspace_store::Result<i64> {
    let id = enspace_store::emails::insert(tx, workspace_id, email, now).await?;
    let mut payload = json!({ "email": id });
    if let Some(link) = link {
        payload["link"] = json!(keyring.seal(link.as_bytes(), &link_aad(workspace_id, id)));
    }
    let job = NewJob {
        workspace_id: Some(workspace_id),
        kind: KIND,
        payload,
        run_at: now,
        max_attempts: DEFAULT_MAX_ATTEMPTS,
        dedupe_key: None,
    };
    enspace_store::jobs::enqueue(tx, job, now).await?;
    Ok(id)
}

pub struct SendEmail {
    pub db: Db,
    pub keyring: Arc<Keyring>,
    pub providers: Providers,
}

impl SendEmail {
    /// One attempt; every failure is also written on the email (`failed` once final).
    async fn attempt(&self, job: &JobRecord) -> Result<(), JobError> {
        let (Some(workspace_id), Some(email_id)) = (job.workspace_id, job.payload["email"].as_i64()) else {
            return Err(JobError::Fatal("an email.send job names a workspace and an email".into()));
        };
        let link = match job.payload["link"].as_str() {
            Some(sealed) => {
                let opened = self.keyring.open(sealed, &link_aad(workspace_id, email_id));
                let bytes = opened.map_err(|e| JobError::Fatal(format!("the email's link does not open: {e}")))?;
                Some(String::from_utf8(bytes).map_err(|_| JobError::Fatal("the email's link is not text".into()))?)
            }
            None => None,
        };
        let result = self.send(workspace_id, email_id, link.as_deref()).await;
        if let Err(error) = &result {
            let (message, final_attempt) = error.outcome(job);
            enspace_store::emails::mark_error(&self.db, workspace_id, email_id, message, final_attempt, now_ms())
                .await?;
        }
        result
    }

    async fn send(&self, workspace_id: i64, email_id: i64, link: Option<&str>) -> Result<(), JobError> {
        let Some(email) = enspace_store::emails::get(&self.db, workspace_id, email_id).await? else {
            return Err(JobError::Fatal(format!("email {email_id} no longer exists")));
        };
        if email.status == "sent" {
            return Ok(());
        }
        let integration = enspace_store::integrations::active_of_type(&self.db, workspace_id, SENDGRID)
            .await?
            .ok_or_else(|| JobError::Fatal("the workspace has no active SendGrid integration".into()))?;
        let secrets = crate::integrations::open_secrets(&self.keyring, &integration).map_err(JobError::Fatal)?;
        let text = |key: &str| integration.data.get(key).and_then(Value::as_str).map(str::to_string);
        let api_key = secrets
            .get("api_key")
            .and_then(Value::as_str)
            .ok_or_else(|| JobError::Fatal("SendGrid api_key is not set".into()))?;
        let from_email = text("from_email").ok_or_else(|| JobError::Fatal("SendGrid from_email is not set".into()))?;
        let from_name = text("from_name");
        let reference = email.id.to_string();
        let fill = |body: &Option<String>| body.as_ref().map(|b| b.replace(LINK_PLACEHOLDER, link.unwrap_or_default()));
        let (text_body, html_body) = (fill(&email.text), fill(&email.html));
        let mail = sendgrid::Mail {
            from_email: &from_email,
            from_name: from_name.as_deref(),
            to: &email.to,
            reply_to: email.reply_to.as_deref(),
            subject: &email.subject,
            text: text_body.as_deref(),
            html: html_body.as_deref(),
            reference: &reference,
        };
        let sandbox = text("environment").as_deref() != Some("production");
        let message_id = sendgrid::send(&self.providers, api_key, &mail, sandbox).await?;
        Ok(enspace_store::emails::mark_sent(&self.db, workspace_id, email.id, message_id.as_deref(), now_ms()).await?)
    }
}

impl Handler for SendEmail {
    fn run<'a>(&'a self, job: &'a JobRecord) -> JobFuture<'a> {
        Box::pin(self.attempt(job))
    }
}
