//! A page's live stream (console-design §4.8): `GET /app/w/{ws}/live`, the API's event-log
//! reader (`routes::events::follow`: the same access filter, resume with `Last-Event-ID`,
//! keep-alive, the reader checked again every 15 s, ending with the session) with the session
//! cookie as its credential.
//!
//! Its messages are invalidation signals, never data: an event the member may read becomes the
//! names of the regions it touches — `items-<type>`, `item-<reference>`, `flows-<type>`,
//! `tasks`, `quick-tasks` — with nothing but the event's id as data. A region re-fetches
//! itself through its normal, access-checked GET (`hx-trigger="sse:<name>"`), so the stream
//! tells a member nothing beyond "something you may read changed here". An event the member
//! may not read is not sent at all.

use axum::{
    extract::{FromRequestParts, Request, State},
    http::{request::Parts, StatusCode},
    response::{sse::Event as SseEvent, Response},
};
use enspace_api::{
    error::ApiError,
    extract::WsCtx,
    routes::events::{follow, stream_start, LiveStream},
    AppState,
};
use enspace_engine::events::EventView;

use crate::{
    context::ConsoleWs,
    errors::{ConsoleError, PageResult},
};

/// The regions an event touches, by the names pages listen for.
pub(crate) fn topics(view: &EventView) -> Vec<String> {
    let subject = &view.subject;
    let slug = subject.item_type.as_deref();
    let item = match subject.subject_type.as_str() {
        "item" => subject.reference.as_deref(),
        _ => subject.item.as_ref().map(|i| i.reference.as_str()),
    };
    let resource = view.kind.split('.').next().unwrap_or_default();
    let mut out = Vec::new();
    match resource {
        "item" => out.extend(slug.map(|s| format!("items-{s}"))),
        "flow_item" => out.extend(slug.map(|s| format!("flows-{s}"))),
        "schedule_task" => {
            out.push("tasks".to_string());
            out.extend(slug.map(|s| format!("flows-{s}")));
        }
        "quick_task" => out.push("quick-tasks".to_string()),
        _ => {}
    }
    if matches!(resource, "item" | "flow_item" | "schedule_task" | "signature_request") {
        out.extend(item.map(|r| format!("item-{r}")));
    }
    out
}

/// An event's messages: one per region, its data the event's id (a browser drops a message
/// with no data), the last also carrying it as the `id:` a reconnecting browser resumes after.
fn signals(view: &EventView) -> Vec<SseEvent> {
    let names = topics(view);
    let last = names.len().saturating_sub(1);
    let id = view.id.map(|id| id.to_string()).unwrap_or_default();
    names
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let message = SseEvent::default().event(name).data(&id);
            if i == last && !id.is_empty() {
                message.id(&id)
            } else {
                message
            }
        })
        .collect()
}

pub(crate) async fn live(State(state): State<AppState>, ws: ConsoleWs, request: Request) -> PageResult<Response> {
    let start = stream_start(request.headers(), None)?;
    let query = enspace_domain::list::parse(&[], &enspace_store::events::LIST, state.config.paging, &[])
        .map_err(ApiError::from)?;
    let (request, _) = request.into_parts();
    let live = LiveStream { start, query, shape: signals, recheck: with_session, request };
    Ok(follow(&state, ws.ctx, live).await?)
}

/// What a re-check answers (the shape `routes::events::Recheck` asks for).
type Rechecked = std::pin::Pin<Box<dyn std::future::Future<Output = Result<WsCtx, ApiError>> + Send>>;

/// The page's member, resolved again from the session cookie and the workspace in the path.
fn with_session(mut parts: Parts, state: AppState) -> Rechecked {
    Box::pin(async move {
        match ConsoleWs::from_request_parts(&mut parts, &state).await {
            Ok(ws) => Ok(ws.ctx),
            Err(ConsoleError::Api(error)) => Err(error),
            Err(_) => Err(ApiError::new(StatusCode::UNAUTHORIZED, "The session ended")),
        }
    })
}

#[cfg(test)]
mod tests {
    use enspace_engine::events::{ItemRef, SubjectView};
    use serde_json::Map;

    use super::*;

    fn event(kind: &str, subject_type: &str, reference: Option<&str>, item: Option<&str>) -> EventView {
        EventView {
            id: Some(9),
            kind: kind.into(),
            created_at: String::new(),
            workspace: "acme".into(),
            subject: SubjectView {
                subject_type: subject_type.into(),
                id: Some(1),
                reference: reference.map(str::to_string),
                item_type: Some("pedidos".into()),
                item: item.map(|r| ItemRef { id: 2, reference: r.into() }),
            },
            changes: Map::new(),
            actor: None,
            source: "api".into(),
        }
    }

    #[test]
    fn events_name_the_regions_they_touch() {
        assert_eq!(topics(&event("item.updated", "item", Some("PED1"), None)), ["items-pedidos", "item-PED1"]);
        assert_eq!(
            topics(&event("flow_item.stage_changed", "flow_item", None, Some("PED1"))),
            ["flows-pedidos", "item-PED1"]
        );
        assert_eq!(
            topics(&event("schedule_task.assigned", "schedule_task", None, Some("PED1"))),
            ["tasks", "flows-pedidos", "item-PED1"]
        );
        assert_eq!(topics(&event("quick_task.updated", "quick_task", Some("q"), None)), ["quick-tasks"]);
        assert!(topics(&event("field.created", "field", None, None)).is_empty());
    }
}
