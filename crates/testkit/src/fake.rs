//! The one fake-provider helper: a local HTTP server that records every request it receives
//! (method, path, query, headers, body) and answers from a script, so a test checks exactly
//! what a provider client sent and how it handles the provider's answers, errors, 429s and
//! slowness. Provider base URLs are configuration, so clients point at [`FakeProvider::url`].

use std::{
    collections::{BTreeMap, HashMap, VecDeque},
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    body::{to_bytes, Body},
    extract::{Request, State},
    http::{HeaderName, HeaderValue, StatusCode},
    response::Response,
    Router,
};
use serde_json::Value;

/// One request as the fake received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// Lower-case names.
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
    /// When it arrived, in milliseconds since the epoch.
    pub at_ms: i64,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A form-encoded body, in order.
    pub fn form(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(&self.body).into_owned().collect()
    }
}

/// A scripted answer.
#[derive(Debug, Clone)]
pub struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
    delay: Option<Duration>,
}

impl Reply {
    pub fn status(status: u16) -> Reply {
        Reply { status, headers: Vec::new(), body: String::new(), delay: None }
    }

    pub fn json(status: u16, body: Value) -> Reply {
        Reply::status(status).header("content-type", "application/json").body(&body.to_string())
    }

    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn body(mut self, body: &str) -> Reply {
        self.body = body.into();
        self
    }

    /// Answers only after `delay` (to exercise client timeouts).
    pub fn delay(mut self, delay: Duration) -> Reply {
        self.delay = Some(delay);
        self
    }
}

/// An answer computed from the request and everything received before it (a stateful fake,
/// such as a list that shows what was created).
pub type Responder = Arc<dyn Fn(&Received, &[Received]) -> Reply + Send + Sync>;

#[derive(Default)]
struct Script {
    received: Vec<Received>,
    /// Per "METHOD /path": answers used in order; the last one repeats.
    replies: HashMap<String, VecDeque<Reply>>,
    responders: HashMap<String, Responder>,
}

#[derive(Clone)]
pub struct FakeProvider {
    pub url: String,
    script: Arc<Mutex<Script>>,
}

async fn answer(State(script): State<Arc<Mutex<Script>>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = to_bytes(body, 64 * 1024 * 1024).await.unwrap_or_default().to_vec();
    let received = Received {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or_default().to_string()))
            .collect(),
        body,
        at_ms: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0),
    };
    let key = format!("{} {}", received.method, received.path);
    let reply = {
        let mut script = script.lock().unwrap();
        let computed = script.responders.get(&key).map(|respond| respond(&received, &script.received));
        script.received.push(received);
        match (computed, script.replies.get_mut(&key)) {
            (Some(reply), _) => Some(reply),
            (None, Some(queue)) if queue.len() > 1 => queue.pop_front(),
            (None, Some(queue)) => queue.front().cloned(),
            (None, None) => None,
        }
    };
    let reply = reply
        .unwrap_or_else(|| Reply::json(404, serde_json::json!({ "fake": format!("no reply scripted for {key}") })));
    if let Some(delay) = reply.delay {
        tokio::time::sleep(delay).await;
    }
    let mut response = Response::new(Body::from(reply.body));
    *response.status_mut() = StatusCode::from_u16(reply.status).expect("a valid status");
    for (name, value) in reply.headers {
        response.headers_mut().insert(
            HeaderName::from_bytes(name.as_bytes()).expect("a header name"),
            HeaderValue::from_str(&value).expect("a header value"),
        );
    }
    response
}

impl FakeProvider {
    /// Listens on a free local port.
    pub async fn start() -> FakeProvider {
        let script = Arc::new(Mutex::new(Script::default()));
        let app = Router::new().fallback(answer).with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a local port");
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeProvider { url, script }
    }

    /// Queues answers for `method path`: used in order, the last one repeating.
    pub fn reply(&self, method: &str, path: &str, replies: Vec<Reply>) {
        let mut script = self.script.lock().unwrap();
        script.replies.insert(format!("{method} {path}"), replies.into());
    }

    /// Answers `method path` with `respond`, computed per request.
    pub fn respond_with(&self, method: &str, path: &str, respond: Responder) {
        self.script.lock().unwrap().responders.insert(format!("{method} {path}"), respond);
    }

    /// Everything received so far, in order.
    pub fn received(&self) -> Vec<Received> {
        self.script.lock().unwrap().received.clone()
    }
}
