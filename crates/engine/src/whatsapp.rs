//! WhatsApp conversations over Twilio: receiving a message (joining or opening the contact's
//! conversation and arming its auto-close), queueing outbound messages, and the jobs that send
//! them and run the auto-close warning and closing exactly once.

use std::sync::Arc;

use enspace_domain::{
    integrations::autoclose_window,
    jobs::DEFAULT_MAX_ATTEMPTS,
    secrets::Keyring,
    time::now_ms,
    whatsapp::{address, autoclose_times, e164, DEFAULT_COUNTRY_CODE},
};
use enspace_integrations::{twilio, ProviderError, Providers};
use enspace_store::{
    conversations::{self, ConversationRecord},
    integrations::IntegrationRecord,
    jobs::{JobRecord, NewJob},
    Db, Reader, Tx,
};
use serde_json::{json, Value};

use crate::jobs::{Handler, JobError, JobFuture};

pub const SEND: &str = "whatsapp.send";
pub const WARN: &str = "whatsapp.autoclose_warning";
pub const CLOSE: &str = "whatsapp.autoclose";

fn setting<'a>(integration: &'a IntegrationRecord, key: &str) -> Option<&'a str> {
    integration.data.get(key).and_then(Value::as_str).filter(|s| !s.trim().is_empty())
}

/// The account that signs and sends for an integration: its own, or the server's.
pub fn account(
    keyring: &Keyring,
    providers: &Providers,
    integration: &IntegrationRecord,
) -> Result<(String, String), String> {
    let secrets = crate::integrations::open_secrets(keyring, integration)?;
    let own_token = secrets.get("auth_token").and_then(Value::as_str);
    match (setting(integration, "account_sid"), own_token) {
        (Some(sid), Some(token)) => Ok((sid.to_string(), token.to_string())),
        _ => providers
            .twilio_account
            .as_ref()
            .map(|a| (a.sid.clone(), a.token.clone()))
            .ok_or_else(|| "the integration has no Twilio account and the server has none configured".to_string()),
    }
}

/// The address Twilio calls for an integration's inbound messages (the exact URL it signs).
pub fn inbound_url(public_url: &str, integration_id: i64) -> String {
    format!("{public_url}/webhooks/whatsapp_twilio/{integration_id}")
}

/// The address Twilio calls with delivery statuses.
pub fn status_url(public_url: &str, integration_id: i64) -> String {
    format!("{}/status", inbound_url(public_url, integration_id))
}

/// Queues an outbound message and its send job in the caller's transaction.
pub async fn queue_outbound(
    tx: &mut Tx,
    conversation: &ConversationRecord,
    body: &str,
    kind: &str,
    created_by: Option<i64>,
    now: i64,
) -> enspace_store::Result<i64> {
    let id = conversations::insert_outbound(tx, conversation, body, kind, created_by, now).await?;
    let job = NewJob {
        workspace_id: Some(conversation.workspace_id),
        kind: SEND,
        payload: json!({ "message": id }),
        run_at: now,
        max_attempts: DEFAULT_MAX_ATTEMPTS,
        dedupe_key: None,
    };
    enspace_store::jobs::enqueue(tx, job, now).await?;
    Ok(id)
}

/// An inbound message as Twilio posted it.
pub struct Inbound<'a> {
    pub sid: &'a str,
    pub from: &'a str,
    pub profile_name: Option<&'a str>,
    pub body: &'a str,
}

/// Stores an inbound message on the contact's open conversation (opening one when there is
/// none) and arms its auto-close; `None` when Twilio already delivered this message (a retry).
pub async fn receive(
    tx: &mut Tx,
    integration: &IntegrationRecord,
    message: &Inbound<'_>,
    now: i64,
) -> enspace_store::Result<Option<(ConversationRecord, i64)>> {
    if conversations::has_sid(tx, integration.id, message.sid).await? {
        return Ok(None);
    }
    let contact = e164(message.from, DEFAULT_COUNTRY_CODE).unwrap_or_else(|| message.from.to_string());
    let conversation = conversations::open_with(tx, integration.workspace_id, integration.id, &contact, now).await?;
    let Some(id) = conversations::insert_inbound(tx, &conversation, message.body, message.sid, now).await? else {
        return Ok(None);
    };
    conversations::touch_inbound(tx, &conversation, id, message.profile_name, now).await?;
    let window = autoclose_window(&integration.data);
    let warning_minutes = integration.data.get("send_autoclose_message_minutes").and_then(Value::as_i64);
    let (warn_at, close_at) =
        autoclose_times(now, window, warning_minutes, setting(integration, "autoclose_message").is_some());
    // Each inbound message arms its own warning and closing; the jobs of an older message find
    // the conversation re-armed and do nothing.
    for (kind, at) in [(WARN, warn_at), (CLOSE, close_at)] {
        let Some(at) = at else { continue };
        let key = format!("{kind}:{}:{id}", conversation.id);
        let job = NewJob {
            workspace_id: Some(integration.workspace_id),
            kind,
            payload: json!({ "conversation": conversation.id, "message": id }),
            run_at: at,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            dedupe_key: Some(&key),
        };
        enspace_store::jobs::enqueue(tx, job, now).await?;
    }
    Ok(Some((conversation, id)))
}

/// Sends a message in a conversation: stored and queued now, sent by the job worker. Answers
/// the message's id.
pub async fn send(
    db: &Db,
    conversation: &ConversationRecord,
    body: &str,
    sender: Option<i64>,
) -> enspace_store::Result<i64> {
    let mut tx = db.begin().await?;
    let id = queue_outbound(&mut tx, conversation, body, "message", sender, now_ms()).await?;
    tx.commit().await?;
    Ok(id)
}

/// Closes a conversation now (no automatic message).
pub async fn close(db: &Db, conversation: &ConversationRecord) -> enspace_store::Result<()> {
    let mut tx = db.begin().await?;
    conversations::close(&mut tx, conversation.workspace_id, conversation.id, None, now_ms()).await?;
    tx.commit().await
}

/// An inbound message from Twilio's webhook, stored with what it arms ([`receive`]); a retry of
/// a message already stored changes nothing.
pub async fn receive_inbound(
    db: &Db,
    integration: &IntegrationRecord,
    message: &Inbound<'_>,
) -> enspace_store::Result<()> {
    let mut tx = db.begin().await?;
    if receive(&mut tx, integration, message, now_ms()).await?.is_some() {
        tx.commit().await?;
    }
    Ok(())
}

/// A delivery status from Twilio's callback: a status never moves back (callbacks arrive out of
/// order); an unknown message changes nothing.
pub async fn record_status(
    db: &Db,
    integration: &IntegrationRecord,
    sid: &str,
    status: &str,
    error_code: Option<&str>,
) -> enspace_store::Result<()> {
    if let Some(message) = conversations::outbound_by_sid(db, integration.id, sid).await? {
        if enspace_domain::whatsapp::status_advances(&message.status, status) {
            conversations::set_status(db, &message, status, error_code, now_ms()).await?;
        }
    }
    Ok(())
}

/// Runs the three WhatsApp job kinds.
pub struct WhatsApp {
    pub db: Db,
    pub keyring: Arc<Keyring>,
    pub providers: Providers,
    pub public_url: String,
}

impl WhatsApp {
    async fn integration(&self, workspace_id: i64, id: i64) -> Result<IntegrationRecord, JobError> {
        enspace_store::integrations::get(&self.db, workspace_id, id)
            .await?
            .ok_or_else(|| JobError::Fatal(format!("integration {id} no longer exists")))
    }

    async fn send(&self, job: &JobRecord) -> Result<(), JobError> {
        let (Some(workspace_id), Some(message_id)) = (job.workspace_id, job.payload["message"].as_i64()) else {
            return Err(JobError::Fatal("a whatsapp.send job names a workspace and a message".into()));
        };
        let Some(message) = conversations::message(&self.db, workspace_id, message_id).await? else {
            return Err(JobError::Fatal(format!("message {message_id} no longer exists")));
        };
        if message.provider_sid.is_some() {
            return Ok(());
        }
        let result = self.send_message(workspace_id, &message).await;
        if let Err(error) = &result {
            let (text, final_attempt) = error.outcome(job);
            conversations::mark_error(&self.db, workspace_id, message_id, text, final_attempt, now_ms()).await?;
        }
        result
    }

    async fn send_message(&self, workspace_id: i64, message: &conversations::MessageRecord) -> Result<(), JobError> {
        let integration = self.integration(workspace_id, message.integration_id).await?;
        if integration.status != "active" {
            return Err(JobError::Fatal("the WhatsApp integration is inactive".into()));
        }
        let conversation = conversations::get(&mut Reader::Db(&self.db), workspace_id, message.conversation_id)
            .await?
            .ok_or_else(|| JobError::Fatal("the conversation no longer exists".into()))?;
        let (sid, token) = account(&self.keyring, &self.providers, &integration).map_err(JobError::Fatal)?;
        let phone = setting(&integration, "phone_number").unwrap_or_default();
        let from = e164(phone, DEFAULT_COUNTRY_CODE)
            .ok_or_else(|| JobError::Fatal(format!("the integration's phone number {phone:?} is not a number")))?;
        let callback = status_url(&self.public_url, integration.id);
        let account = twilio::Account { sid: &sid, token: &token };
        let (from, to) = (address(&from), address(&conversation.contact));
        // An earlier attempt that started and never recorded its outcome (the process died) may
        // have reached Twilio: look for it there before sending again, so it is sent once.
        if let Some(started) = message.attempt_started_at {
            let found = match twilio::find_sent(&self.providers, account, &from, &to, &message.body, started).await {
                Ok(found) => found,
                Err(e @ ProviderError::Retry { .. }) => return Err(e.into()),
                // A listing the provider refuses (an account without it, a compatible service
                // that lacks it) must not block the message: send again, at least once.
                Err(ProviderError::Fatal { message: why }) => {
                    tracing::warn!(message = message.id, %why, "could not check whether an interrupted send reached Twilio");
                    Vec::new()
                }
            };
            let sids: Vec<String> = found.iter().map(|s| s.sid.clone()).collect();
            let known = conversations::known_sids(&self.db, integration.id, &sids).await?;
            if let Some(sent) = found.into_iter().find(|s| !known.contains(&s.sid)) {
                tracing::info!(message = message.id, sid = %sent.sid, "an interrupted send had reached Twilio; not sending again");
                return Ok(conversations::mark_sent(
                    &self.db,
                    workspace_id,
                    message.id,
                    &sent.sid,
                    &sent.status,
                    now_ms(),
                )
                .await?);
            }
        }
        conversations::start_attempt(&self.db, workspace_id, message.id, now_ms()).await?;
        let sent = twilio::send_message(&self.providers, account, &from, &to, &message.body, &callback).await?;
        Ok(conversations::mark_sent(&self.db, workspace_id, message.id, &sent.sid, &sent.status, now_ms()).await?)
    }

    /// The warning or the closing of the window armed by one inbound message: applied once, in
    /// one transaction with the automatic message it queues.
    async fn autoclose(&self, job: &JobRecord, closing: bool) -> Result<(), JobError> {
        let (Some(workspace_id), Some(conversation_id), Some(armed_by)) =
            (job.workspace_id, job.payload["conversation"].as_i64(), job.payload["message"].as_i64())
        else {
            return Err(JobError::Fatal("an auto-close job names a workspace, a conversation and a message".into()));
        };
        let now = now_ms();
        let mut tx = self.db.begin().await?;
        let Some(conversation) = conversations::get(&mut Reader::Tx(&mut tx), workspace_id, conversation_id).await?
        else {
            return Ok(());
        };
        let integration = self.integration(workspace_id, conversation.integration_id).await?;
        let applied = if closing {
            conversations::close(&mut tx, workspace_id, conversation_id, Some(armed_by), now).await
        } else {
            conversations::mark_warned(&mut tx, workspace_id, conversation_id, armed_by, now).await
        }?;
        let text_key = if closing { "post_autoclose_message" } else { "autoclose_message" };
        if applied {
            if let Some(text) = setting(&integration, text_key) {
                let kind = if closing { "autoclose_closing" } else { "autoclose_warning" };
                queue_outbound(&mut tx, &conversation, text, kind, None, now).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

impl Handler for WhatsApp {
    fn run<'a>(&'a self, job: &'a JobRecord) -> JobFuture<'a> {
        Box::pin(async move {
            match job.kind.as_str() {
                SEND => self.send(job).await,
                WARN => self.autoclose(job, false).await,
                CLOSE => self.autoclose(job, true).await,
                other => Err(JobError::Fatal(format!("the WhatsApp handler does not run {other:?} jobs"))),
            }
        })
    }
}
