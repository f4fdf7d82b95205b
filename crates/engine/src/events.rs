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

/// Who reads an event: the member's access, and who it is (a schedule task's responsibles and
/// assignees read its events without `tasks::scheduled::read`, decision 66).
pub struct Reader<'a> {
    pub access: &'a MemberAccess,
    pub user_id: i64,
    /// The member's groups.
    pub groups: &'a [i64],
}

/// What `reader` may see of `event` (`domain::events::audience`, or the event's own audience
/// attributes), or nothing.
pub fn shown(reader: &Reader<'_>, event: EventRecord, workspace: &str) -> Option<EventView> {
    let access = reader.access;
    let changes = audience(access, &event.kind, event.item_type.as_deref(), &event.changes)
        .or_else(|| among_audience(reader, &event).then(|| event.changes.clone()))?;
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

/// Whether the reader is named by the event's audience attributes (a schedule task's
/// responsibles and assignees then, `everybody` as those who may update the type now; a quick
/// task's people).
fn among_audience(reader: &Reader<'_>, event: &EventRecord) -> bool {
    // A quick task's people, before and after the change (decision 66); viewers included, as
    // they may read their own tasks.
    if let Some(people) = event.audience.as_ref().and_then(|a| a.get("people")).and_then(Value::as_array) {
        return people.iter().any(|p| p.as_i64() == Some(reader.user_id));
    }
    let (Some(attributes), Some(slug)) = (&event.audience, event.item_type.as_deref()) else { return false };
    let caller = enspace_domain::flow_run::Caller {
        user_id: reader.user_id,
        member_type: reader.access.member_type,
        groups: reader.groups,
        updates_type: enspace_domain::access::decide(
            reader.access,
            &enspace_domain::access::Action::on_type(slug, "update"),
        )
        .is_ok(),
    };
    enspace_domain::flow_run::in_audience(attributes, &caller)
}
