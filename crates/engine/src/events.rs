//! Events as their readers receive them: the feed, the stream and webhook deliveries show an
//! event through this one function, so the three can never disagree about what a reader sees.

use enspace_domain::{access::MemberAccess, events::audience, time::format_ms};
use enspace_store::events::EventRecord;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// One event [ours, spec/events.md].
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    /// Null only in a webhook's `ping`.
    #[schema(required = true)]
    pub id: Option<i64>,
    /// `item.created`, `item.updated`, `item.deleted`, …
    pub kind: String,
    pub created_at: String,
    /// The workspace's reference.
    pub workspace: String,
    pub subject: SubjectView,
    /// `{key: {from, to}}`; item keys are refIds, as in item history.
    #[schema(value_type = Object)]
    pub changes: Map<String, Value>,
    /// Who made the change; null for the server's own work.
    pub actor: Option<ActorView>,
    /// `api`, `form`, `flow`, `integration` or `system`.
    pub source: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubjectView {
    /// The resource: `item`, …
    #[serde(rename = "type")]
    pub subject_type: String,
    pub id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// The slug of the type the subject belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_type: Option<String>,
    /// The item the subject belongs to, when the subject is not the item itself (a signature
    /// request on an item).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<ItemRef>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemRef {
    pub id: i64,
    pub reference: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActorView {
    pub user: Option<i64>,
    pub email: Option<String>,
    /// The API key's reference; null for a session or a form.
    pub key: Option<String>,
}

/// What `access` may see of `event` (`domain::events::audience`), or nothing.
pub fn shown(access: &MemberAccess, event: EventRecord, workspace: &str) -> Option<EventView> {
    let changes = audience(access, &event.kind, event.item_type.as_deref(), &event.changes)?;
    let actor = (event.actor_user.is_some() || event.actor_email.is_some()).then_some(ActorView {
        user: event.actor_user,
        email: event.actor_email,
        key: event.actor_key,
    });
    Some(EventView {
        id: Some(event.id),
        kind: event.kind,
        created_at: format_ms(event.created_at),
        workspace: workspace.to_string(),
        subject: SubjectView {
            subject_type: event.subject_type,
            id: event.subject_id,
            reference: event.subject_reference,
            item_type: event.item_type,
            item: match (event.item_id, event.item_reference) {
                (Some(id), Some(reference)) => Some(ItemRef { id, reference }),
                _ => None,
            },
        },
        changes,
        actor,
        source: event.source,
    })
}
