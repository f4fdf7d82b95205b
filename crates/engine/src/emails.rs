//! Sending the outbox: the `email.send` job, through the workspace's active SendGrid
//! integration (sandbox mode in its `stage` environment).

use std::sync::Arc;

use enspace_domain::{
    emails::LINK_PLACEHOLDER, integrations::SENDGRID, jobs::DEFAULT_MAX_ATTEMPTS, secrets::Keyring, time::now_ms,
};
use enspace_integrations::{sendgrid, ProviderError, Providers};
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
    workspace_id: i64,
    email: NewEmail<'_>,
    link: Option<(&Keyring, &str)>,
    now: i64,
) -> enspace_store::Result<i64> {
    let id = enspace_store::emails::insert(tx, workspace_id, email, now).await?;
    let mut payload = json!({ "email": id });
    if let Some((keyring, link)) = link {
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

/// Queues an email to send through the workspace's SendGrid integration (the job worker
/// sends it). Answers its id.
pub async fn send(db: &Db, workspace_id: i64, email: NewEmail<'_>) -> enspace_store::Result<i64> {
    let mut tx = db.begin().await?;
    let id = queue(&mut tx, workspace_id, email, None, now_ms()).await?;
    tx.commit().await?;
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
        let send_key = format!("{workspace_id}-{}-{}", email.id, email.created_at);
        let sandbox = text("environment").as_deref() != Some("production");
        // An earlier attempt that started and never recorded its outcome (a crash, a timeout)
        // may have reached SendGrid, which has no idempotency key: look for it in the Email
        // Activity before sending again. Sandbox mail reaches no inbox and shows in no
        // activity, so it is simply sent again.
        if let (Some(started), false) = (email.attempt_started_at, sandbox) {
            if let Some(message_id) =
                self.interrupted_attempt(workspace_id, email.id, api_key, &send_key, started).await?
            {
                tracing::info!(email = email.id, "an interrupted send had reached SendGrid; not sending again");
                return Ok(enspace_store::emails::mark_sent(
                    &self.db,
                    workspace_id,
                    email.id,
                    Some(&message_id),
                    now_ms(),
                )
                .await?);
            }
        }
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
            send_key: &send_key,
        };
        enspace_store::emails::start_attempt(&self.db, workspace_id, email.id, now_ms()).await?;
        let message_id = match sendgrid::send(&self.providers, api_key, &mail, sandbox).await {
            Ok(id) => id,
            Err(e) => {
                // An answer that is not a success means SendGrid did not take the email; only a
                // call that may have reached it (a timeout) leaves the attempt to look up.
                if !matches!(e, ProviderError::Retry { maybe_taken: true, .. }) {
                    enspace_store::emails::clear_attempt(&self.db, workspace_id, email.id).await?;
                }
                return Err(e.into());
            }
        };
        Ok(enspace_store::emails::mark_sent(&self.db, workspace_id, email.id, message_id.as_deref(), now_ms()).await?)
    }

    /// SendGrid's message id when the attempt that started at `started` reached it; `None` when
    /// it did not (or cannot be known: an account without the Email Activity add-on is sent
    /// again, at least once). Waits until the activity has had time to show the message.
    async fn interrupted_attempt(
        &self,
        workspace_id: i64,
        email_id: i64,
        api_key: &str,
        send_key: &str,
        started: i64,
    ) -> Result<Option<String>, JobError> {
        let delay = i64::try_from(self.providers.sendgrid_activity_delay.as_millis()).unwrap_or(i64::MAX);
        let settles_at = started.saturating_add(delay);
        let wait = settles_at - now_ms();
        if wait > 0 {
            return Err(JobError::Retry {
                message: "an interrupted send is looked up in SendGrid's Email Activity once it has settled".into(),
                after: Some(std::time::Duration::from_millis(wait.unsigned_abs())),
            });
        }
        match sendgrid::find_sent(&self.providers, api_key, send_key).await {
            Ok(found) => Ok(found),
            Err(e @ ProviderError::Retry { .. }) => Err(e.into()),
            Err(ProviderError::Fatal { message: why }) => {
                tracing::warn!(workspace = workspace_id, email = email_id, %why,
                    "could not check whether an interrupted send reached SendGrid; sending again");
                Ok(None)
            }
        }
    }
}

impl Handler for SendEmail {
    fn run<'a>(&'a self, job: &'a JobRecord) -> JobFuture<'a> {
        Box::pin(self.attempt(job))
    }
}
