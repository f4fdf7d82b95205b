//! The event log's readers (spec/events.md § Reading it, decisions 63–74): the feed
//! (`GET /ws/events`) and the live stream (`GET /ws/events/stream`, server-sent events). Both
//! show each event to the reader exactly as a `GET` of its subject would show it — events about
//! a type it may not read are absent, fields it may not read are absent from `changes`, and an
//! `item.updated` left with no readable change is absent.

use std::{
    collections::{HashMap, VecDeque},
    convert::Infallible,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, StatusCode},
    response::{
        sse::{Event as SseEvent, KeepAlive, Sse},
        IntoResponse, Response,
    },
    Json,
};
use enspace_domain::{access::MemberAccess, events::expand, list, Detail};
use enspace_engine::events::{shown, EventView, Reader};
use enspace_store::events::{EventRecord, LIST};
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    error::{ApiError, ApiResult, ErrorBody},
    extract::{QueryPairs, WsCtx},
    openapi::WorkspaceHeader,
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_events)).routes(routes!(stream_events))
}

/// The feed's own parameters, beside `_limit` and the filters.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct FeedParams {
    /// Events after this id (default: from the oldest kept). Every answer's `x-next-after`
    /// header is the value for the next page, even when the page is empty.
    after: Option<i64>,
    /// Page size (default 100, at most the server's maximum).
    _limit: Option<u32>,
    /// A kind, `<resource>.*` or `*`; `kind_in` takes several (repeated, `kind_in[]` or
    /// `kind_in[0]`), `kind_ne`/`kind_nin` the same patterns to leave out.
    kind: Option<String>,
    #[param(rename = "subject.type")]
    subject_type: Option<String>,
    #[param(rename = "subject.item_type")]
    subject_item_type: Option<String>,
    #[param(rename = "subject.reference")]
    subject_reference: Option<String>,
    created_at_gte: Option<String>,
}

/// The query with `kind`/`kind_in` patterns expanded to plain kinds and `after` taken out.
fn feed_query(state: &AppState, pairs: &QueryPairs) -> ApiResult<(Option<i64>, list::ListQuery)> {
    let mut after = None;
    let mut plain = Vec::new();
    let mut details = Vec::new();
    for (key, value) in &pairs.0 {
        let bare = key.split('[').next().unwrap_or(key);
        match bare {
            "after" => match value.parse::<i64>() {
                Ok(id) if id >= 0 => after = Some(id),
                _ => details.push(Detail::new(key, format!("expected an event id, got {value:?}"))),
            },
            // The log is read in id order, page after page by `after` (decision 72).
            "_sort" | "_start" => details.push(Detail::new(key, "the feed is read in id order with after=<id>")),
            // Patterns select kinds for inclusion and exclusion alike.
            "kind" | "kind_in" | "kind_ne" | "kind_nin" => match expand(value) {
                Ok(kinds) => {
                    let list = if matches!(bare, "kind" | "kind_in") { "kind_in" } else { "kind_nin" };
                    plain.extend(kinds.into_iter().map(|k| (list.to_string(), k.to_string())))
                }
                Err(message) => details.push(Detail::new(key, message)),
            },
            _ => plain.push((key.clone(), value.clone())),
        }
    }
    ApiError::check(details)?;
    Ok((after, list::parse(&plain, &LIST, state.config.paging, &[])?))
}

/// Where the reader goes on after a page read in `(after, head]`: past its last event when the
/// page is full, else past `head` (the whole range was looked at), never back.
fn next_after(events: &[EventRecord], limit: u32, head: i64, after: i64) -> i64 {
    match events.last() {
        _ if limit == 0 => after,
        Some(last) if events.len() as u32 >= limit => last.id,
        _ => head.max(after),
    }
}

/// The feed [ours]: the workspace's events after `after`, oldest first (`_sort` and `_start` are
/// 400s), filtered by `kind`/`kind_in` (patterns), `subject.type`, `subject.item_type`,
/// `subject.reference`, `created_at` and `id` with the list operators. A page can hold fewer
/// events than `_limit` (some unreadable to the caller); `x-next-after` says where to go on.
#[utoipa::path(get, path = "/ws/events", tag = "events", params(WorkspaceHeader, FeedParams), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = [EventView], headers(("x-next-after" = i64, description = "the `after` of the next page"))),
        (status = 400, body = ErrorBody), (status = 410, body = ErrorBody)))]
pub async fn list_events(State(state): State<AppState>, ctx: WsCtx, query: QueryPairs) -> ApiResult<Response> {
    let access = ctx.access.clone();
    let (after, query) = feed_query(&state, &query)?;
    // Without `after`, from the oldest event kept; below what was pruned, the reader missed
    // events and must resynchronise (decision 73).
    let watermark = enspace_store::events::watermark(&state.db, ctx.workspace.id).await?;
    let after = match after {
        None => watermark,
        Some(after) if after < watermark => {
            return Err(ApiError::new(
                StatusCode::GONE,
                format!(
                    "Events after {after} were pruned (through {watermark}): read the current state, then continue with after={watermark}"
                ),
            ))
        }
        Some(after) => after,
    };
    // The head first: a short page has then looked at everything up to it, and the next one
    // can start there without passing an event that committed in between.
    let head = enspace_store::events::head(&state.db, ctx.workspace.id).await?;
    let events = enspace_store::events::page(&state.db, ctx.workspace.id, after, head, &query).await?;
    let next_after = next_after(&events, query.limit, head, after);
    let groups = enspace_store::members::group_ids(&state.db, ctx.workspace.id, ctx.member.id).await?;
    let reader = Reader { access: &access, user_id: ctx.principal.user.id, groups: &groups };
    let views: Vec<EventView> =
        events.into_iter().filter_map(|e| shown(&reader, e, &ctx.workspace.reference)).collect();
    let mut response = Json(views).into_response();
    response.headers_mut().insert("x-next-after", HeaderValue::from(next_after));
    Ok(response)
}

/// How often an idle stream looks for new events. Polling the log (one indexed query) sees the
/// events of every process on a shared PostgreSQL, with no channel to keep in step.
const STREAM_POLL: Duration = Duration::from_millis(250);
/// Keep-alive comments, and how often the caller's right to read is checked again (decision 74).
const STREAM_KEEP_ALIVE: Duration = Duration::from_secs(15);
/// Open streams one credential may hold at once (decision 74).
pub const STREAMS_PER_CREDENTIAL: usize = 10;

/// Where a stream starts: `Last-Event-ID` beats `after` (a browser reconnecting keeps its first
/// query string); with neither, it starts at the head (live events only).
pub fn stream_start(headers: &HeaderMap, after: Option<i64>) -> ApiResult<Option<i64>> {
    match headers.get("last-event-id").map(|v| v.to_str().map(str::trim)) {
        None => Ok(after),
        Some(Ok(text)) => match text.parse::<i64>() {
            Ok(id) if id >= 0 => Ok(Some(id)),
            _ => Err(ApiError::validation(vec![Detail::new(
                "Last-Event-ID",
                format!("expected an event id, got {text:?}"),
            )])),
        },
        Some(Err(_)) => Err(ApiError::validation(vec![Detail::new("Last-Event-ID", "expected an event id")])),
    }
}

/// One open stream's slot among its credential's; freed when the stream ends.
struct StreamSlot {
    counts: Arc<Mutex<HashMap<String, usize>>>,
    credential: String,
}

impl StreamSlot {
    fn take(counts: &Arc<Mutex<HashMap<String, usize>>>, credential: String) -> ApiResult<StreamSlot> {
        let mut open = counts.lock().map_err(|_| ApiError::internal("stream counts poisoned"))?;
        let count = open.entry(credential.clone()).or_default();
        if *count >= STREAMS_PER_CREDENTIAL {
            return Err(ApiError::too_many_requests(STREAM_KEEP_ALIVE.as_secs()));
        }
        *count += 1;
        Ok(StreamSlot { counts: counts.clone(), credential })
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        if let Ok(mut open) = self.counts.lock() {
            if let Some(count) = open.get_mut(&self.credential) {
                *count = count.saturating_sub(1);
            }
        }
    }
}

/// The messages a stream sends for one event the reader may see.
pub type Shape = fn(&EventView) -> Vec<SseEvent>;

/// The reader's context as a new request with these parts would resolve it now: a revoked or
/// expired key, an ended session or membership, or a changed role takes effect on an open
/// stream too.
pub type Recheck =
    fn(axum::http::request::Parts, AppState) -> futures_util::future::BoxFuture<'static, ApiResult<WsCtx>>;

/// A live stream of the event log as one reader may see it: where it starts, what it selects,
/// how each event is sent, and how the reader is checked again.
pub struct LiveStream {
    /// `Last-Event-ID` or `after`; `None` starts at the head (live events only).
    pub start: Option<i64>,
    pub query: list::ListQuery,
    pub shape: Shape,
    pub recheck: Recheck,
    /// The request that opened the stream, to check the reader again as it would be now.
    pub request: axum::http::request::Parts,
}

/// What a stream carries between two polls.
struct Follow {
    state: AppState,
    ctx: WsCtx,
    access: MemberAccess,
    /// The member's groups (a schedule task's events reach the members of its groups).
    groups: Vec<i64>,
    query: list::ListQuery,
    cursor: i64,
    ready: VecDeque<SseEvent>,
    checked_at: Instant,
    shape: Shape,
    recheck: Recheck,
    request: axum::http::request::Parts,
    stopping: tokio::sync::watch::Receiver<bool>,
    _slot: StreamSlot,
}

impl Follow {
    /// The caller's right to read, checked again.
    async fn recheck(&mut self) -> ApiResult<()> {
        let mut parts = self.request.clone();
        // A new request's: nothing resolved for the first one is reused.
        parts.extensions = Default::default();
        let ctx = (self.recheck)(parts, self.state.clone()).await?;
        self.access = ctx.access.clone();
        self.groups = enspace_store::members::group_ids(&self.state.db, ctx.workspace.id, ctx.member.id).await?;
        self.ctx = ctx;
        self.checked_at = Instant::now();
        Ok(())
    }

    /// The next message, waiting for events as long as it takes; `None` ends the stream.
    async fn next(mut self) -> Option<(Result<SseEvent, Infallible>, Follow)> {
        loop {
            if let Some(message) = self.ready.pop_front() {
                return Some((Ok(message), self));
            }
            if self.checked_at.elapsed() >= STREAM_KEEP_ALIVE && self.recheck().await.is_err() {
                return None;
            }
            let (db, ws) = (&self.state.db, self.ctx.workspace.id);
            let page = async {
                let head = enspace_store::events::head(db, ws).await?;
                enspace_store::events::page(db, ws, self.cursor, head, &self.query).await.map(|events| (head, events))
            };
            let (head, events) = match page.await {
                Ok(found) => found,
                Err(error) => {
                    tracing::warn!(%error, "an event stream could not read the log");
                    return None;
                }
            };
            // A full page means more may wait: read on at once (never for `_limit=0`, which
            // reads nothing and would spin).
            let full = !events.is_empty() && events.len() as u32 >= self.query.limit;
            let next_after = next_after(&events, self.query.limit, head, self.cursor);
            for event in events {
                let reader = Reader { access: &self.access, user_id: self.ctx.principal.user.id, groups: &self.groups };
                if let Some(view) = shown(&reader, event, &self.ctx.workspace.reference) {
                    self.ready.extend((self.shape)(&view));
                }
            }
            self.cursor = next_after;
            if self.ready.is_empty() && !full {
                tokio::select! {
                    _ = tokio::time::sleep(STREAM_POLL) => {}
                    // The server is stopping: end the stream (the client resumes elsewhere).
                    _ = self.stopping.wait_for(|stopping| *stopping) => return None,
                }
            }
        }
    }
}

/// The live stream [ours]: `text/event-stream`, one message per event (`id:` its id, `event:`
/// its kind, `data:` the event as the feed shows it), a keep-alive comment every 15 s. Resume
/// with `Last-Event-ID` (or `?after=`) to get every event after it, none twice; without either
/// it starts with the events written from now on; resumed below what retention pruned, it first
/// sends `event: reset` with `data: {"head": <id>}` and goes on live after that head (read the
/// current state meanwhile). The same filters as the feed. At most 10 open
/// streams per credential (429 beyond); the caller's access is checked again every 15 s and the
/// stream ends when it is gone. Browsers' `EventSource` cannot send `x-api-key` or
/// `en-workspace`: use a client that sets headers (keys are never taken from the query string).
#[utoipa::path(get, path = "/ws/events/stream", tag = "events", params(WorkspaceHeader, FeedParams,
        ("Last-Event-ID" = Option<i64>, Header, description = "resume after this event id")),
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, description = "server-sent events", content_type = "text/event-stream", body = String),
        (status = 400, body = ErrorBody)))]
pub async fn stream_events(
    State(state): State<AppState>,
    ctx: WsCtx,
    query: QueryPairs,
    request: Request,
) -> ApiResult<Response> {
    let (after, query) = feed_query(&state, &query)?;
    let start = stream_start(request.headers(), after)?;
    let (request, _) = request.into_parts();
    follow(&state, ctx, LiveStream { start, query, shape: as_events, recheck: with_key, request }).await
}

/// The API stream's reader, resolved again from its key and workspace headers.
fn with_key(
    mut parts: axum::http::request::Parts,
    state: AppState,
) -> futures_util::future::BoxFuture<'static, ApiResult<WsCtx>> {
    Box::pin(async move {
        <WsCtx as axum::extract::FromRequestParts<AppState>>::from_request_parts(&mut parts, &state).await
    })
}

/// The API stream's message: the event as the feed shows it, named by its kind.
fn as_events(view: &EventView) -> Vec<SseEvent> {
    let message = SseEvent::default().event(view.kind.clone()).data(serde_json::to_string(view).unwrap_or_default());
    // Every logged event has its id (only a webhook's ping has none).
    vec![match view.id {
        Some(id) => message.id(id.to_string()),
        None => message,
    }]
}

/// A live stream for `ctx`'s reader (the API's `/ws/events/stream`, the console's `/live`):
/// resumed from `start` (an `event: reset` first when that was pruned), polled, kept alive,
/// its reader checked again every 15 s, at most [`STREAMS_PER_CREDENTIAL`] per credential.
pub async fn follow(state: &AppState, ctx: WsCtx, live: LiveStream) -> ApiResult<Response> {
    let access = ctx.access.clone();
    let watermark = enspace_store::events::watermark(&state.db, ctx.workspace.id).await?;
    // The live position: past every event, kept or pruned.
    let head = enspace_store::events::head(&state.db, ctx.workspace.id).await?.max(watermark);
    let mut ready = VecDeque::new();
    let cursor = match live.start {
        // Resumed below what was pruned: say so, with where the live events start (decision 73).
        Some(id) if id < watermark => {
            ready.push_back(SseEvent::default().event("reset").data(serde_json::json!({ "head": head }).to_string()));
            head
        }
        Some(id) => id,
        None => head,
    };
    let credential = match &ctx.principal.credential {
        crate::extract::Credential::Key(key) => format!("key:{}", key.id),
        crate::extract::Credential::Session { id } => format!("session:{id}"),
    };
    let slot = StreamSlot::take(&state.streams, credential)?;
    let groups = enspace_store::members::group_ids(&state.db, ctx.workspace.id, ctx.member.id).await?;
    let follow = Follow {
        state: state.clone(),
        ctx,
        access,
        groups,
        query: live.query,
        cursor,
        ready,
        checked_at: Instant::now(),
        shape: live.shape,
        recheck: live.recheck,
        request: live.request,
        stopping: state.stopping.subscribe(),
        _slot: slot,
    };
    let stream = futures_util::stream::unfold(follow, Follow::next);
    let sse = Sse::new(stream).keep_alive(KeepAlive::new().interval(STREAM_KEEP_ALIVE).text("keep-alive"));
    let mut response = sse.into_response();
    let headers = response.headers_mut();
    headers.insert(axum::http::header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}
