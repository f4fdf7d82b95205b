//! Outgoing webhooks (spec/events.md § Webhooks, decisions 76–83): the commands that manage
//! them, the dispatcher that turns the event log into deliveries, and the delivery job.
//!
//! - The **dispatcher** keeps each active webhook's position in its workspace's log: every pass
//!   it reads the events after it, enqueues a `webhook.deliver` job for each one the webhook
//!   takes, and moves the position, in one transaction that only commits if no other process
//!   moved the position first. First attempts thus start in id order; retries never hold later
//!   events back, so receivers order by `id` and dedupe by `x-enspace-delivery` (decision 76).
//! - A **delivery** shows the event as its creator would see it now (`events::shown`), signs
//!   it with every live secret and POSTs it through `integrations::webhooks` (resolved once,
//!   checked against private ranges, pinned). It is retried on the backoff schedule; 410 Gone,
//!   24 h of nothing but failures, or a creator who is no longer an active member turn the
//!   webhook off.

use std::{sync::Arc, time::Duration};

use enspace_domain::{
    secrets::Keyring,
    time::{format_ms, now_ms},
    webhooks::{new_secret, retry_after_secs, takes, BACKOFF_SECS, FAILING_FOR_MS},
};
use enspace_integrations::webhooks::{post, signature, Outcome};
use enspace_store::{
    jobs::{JobRecord, NewJob},
    webhooks::{Attempt, DeliveryRecord, WebhookRecord, WebhookValues},
    Db, StoreError,
};
use serde_json::{json, Map};
use tokio::{sync::watch, task::JoinHandle};

use crate::{
    events::{shown, ActorView, EventView, Reader, SubjectView},
    items::Author,
    jobs::{Handler, JobError, JobFuture, Jobs},
};

pub const DELIVER: &str = "webhook.deliver";
/// Events a dispatcher pass reads per webhook.
const SCAN: i64 = 500;

fn seal(keyring: &Keyring, workspace_id: i64, id: i64, secret: &str) -> String {
    keyring.seal(secret.as_bytes(), &WebhookRecord::aad(workspace_id, id))
}

fn open(keyring: &Keyring, hook: &WebhookRecord, sealed: &str) -> Result<String, String> {
    let plain = keyring
        .open(sealed, &WebhookRecord::aad(hook.workspace_id, hook.id))
        .map_err(|e| format!("webhook {}: {e}", hook.id))?;
    String::from_utf8(plain).map_err(|_| format!("webhook {}: the secret is not text", hook.id))
}

/// The secrets that sign now: the current one, then the previous one while it lives.
fn live_secrets(keyring: &Keyring, hook: &WebhookRecord, now: i64) -> Result<Vec<String>, String> {
    let mut secrets = vec![open(keyring, hook, &hook.secret)?];
    if let (Some(previous), Some(until)) = (&hook.previous_secret, hook.previous_expires_at) {
        if until > now {
            secrets.push(open(keyring, hook, previous)?);
        }
    }
    Ok(secrets)
}

/// A new webhook and its secret, shown this once.
pub struct Created {
    pub id: i64,
    pub secret: String,
}

/// Creates a webhook that starts at the log's head (no backfill) with a new sealed secret.
pub async fn create(
    db: &Db,
    keyring: &Keyring,
    workspace_id: i64,
    values: &WebhookValues<'_>,
    created_by: i64,
) -> Result<Created, StoreError> {
    let now = now_ms();
    let head = enspace_store::events::head(db, workspace_id).await?;
    let secret = new_secret();
    let mut tx = db.begin().await?;
    let id = enspace_store::webhooks::insert(&mut tx, workspace_id, values, created_by, head, now).await?;
    let sealed = seal(keyring, workspace_id, id, &secret);
    enspace_store::webhooks::set_secrets(&mut tx, (workspace_id, id), &sealed, None, now).await?;
    tx.commit().await?;
    Ok(Created { id, secret })
}

/// Changes a webhook. Turned on again, it starts at the log's head: what happened while it was
/// off is read from the feed, not backfilled (decision 76).
pub async fn update(db: &Db, hook: &WebhookRecord, values: &WebhookValues<'_>) -> Result<(), StoreError> {
    let reactivated_at = match (hook.active, values.active) {
        (false, true) => Some(enspace_store::events::head(db, hook.workspace_id).await?),
        _ => None,
    };
    let mut tx = db.begin().await?;
    enspace_store::webhooks::update(&mut tx, hook, values, reactivated_at, now_ms()).await?;
    tx.commit().await
}

/// Deletes a webhook with its delivery log; its queued deliveries find it gone and end.
pub async fn delete(db: &Db, hook: &WebhookRecord) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    enspace_store::webhooks::delete(&mut tx, hook.workspace_id, hook.id).await?;
    tx.commit().await
}

/// A new secret, shown this once; the current one keeps signing beside it for
/// `previous_hours` (0–24). At most two are live: the one before is dropped now (decision 80).
pub async fn rotate(
    db: &Db,
    keyring: &Keyring,
    hook: &WebhookRecord,
    previous_hours: i64,
) -> Result<String, StoreError> {
    let now = now_ms();
    let secret = new_secret();
    let sealed = seal(keyring, hook.workspace_id, hook.id, &secret);
    let previous = (previous_hours > 0).then(|| (hook.secret.as_str(), now + previous_hours * 3600 * 1000));
    let mut tx = db.begin().await?;
    enspace_store::webhooks::set_secrets(&mut tx, (hook.workspace_id, hook.id), &sealed, previous, now).await?;
    tx.commit().await?;
    Ok(secret)
}

/// Signs and POSTs one body; answers how it went.
async fn send(
    keyring: &Keyring,
    hook: &WebhookRecord,
    allow_private: bool,
    workspace: &str,
    kind: &str,
    delivery: &str,
    body: Vec<u8>,
) -> Outcome {
    let now = now_ms();
    let secrets = match live_secrets(keyring, hook, now) {
        Ok(secrets) => secrets,
        Err(message) => return Outcome { status: None, error: Some(message), duration_ms: 0 },
    };
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let headers = [
        ("content-type", "application/json".to_string()),
        ("x-enspace-event", kind.to_string()),
        ("x-enspace-delivery", delivery.to_string()),
        ("x-enspace-workspace", workspace.to_string()),
        ("x-enspace-signature", signature(&secrets, now / 1000, &body)),
    ];
    post(&hook.url, allow_private, &headers, body).await
}

/// Sends a `ping` now (decision 82): under the same rules as a delivery, also to an inactive
/// webhook, never retried; answers the delivery whatever the receiver said.
pub async fn ping(
    db: &Db,
    keyring: &Keyring,
    hook: &WebhookRecord,
    workspace: &str,
    allow_private: bool,
    author: &Author<'_>,
) -> Result<DeliveryRecord, StoreError> {
    let now = now_ms();
    let delivery = format!("ping-{}", uuid_shaped(ulid::Ulid::new().0));
    let event = EventView {
        id: None,
        kind: "ping".into(),
        created_at: format_ms(now),
        workspace: workspace.to_string(),
        subject: SubjectView {
            subject_type: "webhook".into(),
            id: Some(hook.id),
            reference: None,
            item_type: None,
            item: None,
        },
        changes: Map::new(),
        actor: Some(ActorView {
            user: author.user_id,
            email: author.email.map(str::to_string),
            key: author.key.map(str::to_string),
        }),
        source: author.source.to_string(),
    };
    let body = serde_json::to_vec(&event).expect("an event serializes");
    let outcome = send(keyring, hook, allow_private, workspace, "ping", &delivery, body).await;
    let id = record(db, hook, &delivery, None, "ping", 1, &outcome).await?;
    let recorded = enspace_store::webhooks::delivery(db, hook.id, id).await?;
    recorded.ok_or(StoreError::NotFound)
}

fn uuid_shaped(n: u128) -> String {
    let hex = format!("{n:032x}");
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

async fn record(
    db: &Db,
    hook: &WebhookRecord,
    delivery: &str,
    event_id: Option<i64>,
    kind: &str,
    attempt: i64,
    outcome: &Outcome,
) -> Result<i64, StoreError> {
    let attempt = Attempt {
        delivery,
        event_id,
        kind,
        attempt,
        status: outcome.status.map(i64::from),
        duration_ms: outcome.duration_ms,
        error: outcome.error.as_deref(),
        at: now_ms(),
    };
    enspace_store::webhooks::record_attempt(db, hook, &attempt, outcome.ok()).await
}

/// One dispatcher pass over every active webhook; answers the deliveries enqueued.
pub async fn dispatch(db: &Db) -> Result<usize, StoreError> {
    let mut enqueued = 0;
    for hook in enspace_store::webhooks::active(db).await? {
        let head = enspace_store::events::head(db, hook.workspace_id).await?;
        if head <= hook.position {
            continue;
        }
        let events = enspace_store::events::after(db, hook.workspace_id, hook.position, head, SCAN).await?;
        let to = match events.last() {
            Some(last) if events.len() as i64 >= SCAN => last.id,
            _ => head,
        };
        let now = now_ms();
        let mut tx = db.begin().await?;
        let mut count = 0;
        for event in events.iter().filter(|e| takes(&hook.events, &hook.item_types, &e.kind, e.item_type.as_deref())) {
            let key = format!("{DELIVER}:{}:{}", hook.id, event.id);
            let job = NewJob {
                workspace_id: Some(hook.workspace_id),
                kind: DELIVER,
                payload: json!({ "webhook": hook.id, "event": event.id }),
                run_at: now,
                max_attempts: BACKOFF_SECS.len() as i64 + 1,
                dedupe_key: Some(&key),
            };
            enspace_store::jobs::enqueue(&mut tx, job, now).await?;
            count += 1;
        }
        // Another process dispatched this range first: its deliveries stand, ours roll back.
        if enspace_store::webhooks::advance(&mut tx, hook.id, hook.position, to).await? {
            tx.commit().await?;
            enqueued += count;
        }
    }
    Ok(enqueued)
}

/// Runs [`dispatch`] every `poll` until `stop` changes, waking the job worker when it enqueued.
pub fn start_dispatcher(db: Db, jobs: Jobs, poll: Duration, mut stop: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match dispatch(&db).await {
                Ok(0) => {}
                Ok(_) => jobs.wake(),
                Err(error) => tracing::warn!(%error, "webhook dispatch failed"),
            }
            tokio::select! {
                _ = tokio::time::sleep(poll) => {}
                _ = stop.changed() => break,
            }
        }
    })
}

/// The `webhook.deliver` job.
pub struct Deliver {
    pub db: Db,
    pub keyring: Arc<Keyring>,
    /// `--allow-private-webhooks`.
    pub allow_private: bool,
}

impl Handler for Deliver {
    fn run<'a>(&'a self, job: &'a JobRecord) -> JobFuture<'a> {
        Box::pin(self.deliver(job))
    }
}

impl Deliver {
    async fn deliver(&self, job: &JobRecord) -> Result<(), JobError> {
        let db = &self.db;
        let ws = job.workspace_id.ok_or_else(|| JobError::Fatal("a delivery without a workspace".into()))?;
        let field = |name: &str| job.payload.get(name).and_then(|v| v.as_i64());
        let (Some(hook_id), Some(event_id)) = (field("webhook"), field("event")) else {
            return Err(JobError::Fatal("a delivery names its webhook and event".into()));
        };
        // Deleted or turned off since: nothing to deliver.
        let Some(hook) = enspace_store::webhooks::get(db, ws, hook_id).await?.filter(|h| h.active) else {
            return Ok(());
        };
        let Some(event) = enspace_store::events::get(db, ws, event_id).await? else {
            return Err(JobError::Fatal(format!("event {event_id} is no longer kept")));
        };
        let Some(workspace) = enspace_store::workspaces::get(db, ws).await? else { return Ok(()) };
        let creator = enspace_store::members::of_user(db, ws, hook.created_by).await?;
        let Some(creator) = creator.filter(|m| m.status == "active") else {
            let reason = "its creator is no longer an active member of the workspace";
            enspace_store::webhooks::deactivate(db, hook.id, reason, now_ms()).await?;
            return Ok(());
        };
        // What the creator may read now (decision 82).
        let access = crate::members::access_of(db, &creator).await?;
        let groups = enspace_store::members::group_ids(db, ws, creator.id).await?;
        let reader = Reader { access: &access, user_id: creator.user_id, groups: &groups };
        let kind = event.kind.clone();
        let Some(view) = shown(&reader, event, &workspace.reference) else { return Ok(()) };
        let body = serde_json::to_vec(&view).expect("an event serializes");
        let delivery = event_id.to_string();
        let outcome =
            send(&self.keyring, &hook, self.allow_private, &workspace.reference, &kind, &delivery, body).await;
        record(db, &hook, &delivery, Some(event_id), &kind, job.attempts, &outcome).await?;
        if outcome.ok() {
            return Ok(());
        }
        let message = outcome.error.unwrap_or_else(|| "failed".into());
        let now = now_ms();
        let off = if outcome.status == Some(410) {
            Some("the receiver answered 410 Gone".to_string())
        } else if hook.failing_since.is_some_and(|since| now - since >= FAILING_FOR_MS) {
            Some(format!("24 h of failed deliveries (last: {message})"))
        } else {
            None
        };
        if let Some(reason) = off {
            enspace_store::webhooks::deactivate(db, hook.id, &reason, now).await?;
            return Err(JobError::Fatal(reason));
        }
        match retry_after_secs(job.attempts) {
            Some(secs) => Err(JobError::Retry { message, after: Some(Duration::from_secs(secs)) }),
            None => Err(JobError::Fatal(message)),
        }
    }
}
