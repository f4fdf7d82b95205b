//! A minimal HTTP/1.1 client: one kept-alive connection, requests one after another, as one
//! simulated API client does.

use std::time::{Duration, Instant};

use anyhow::{anyhow, Context};
use http_body_util::{BodyExt, Full};
use hyper::{body::Bytes, client::conn::http1::SendRequest, Request};
use hyper_util::rt::TokioIo;
use serde_json::Value;

#[derive(Clone)]
pub struct Target {
    pub addr: String,
    pub key: String,
    pub workspace: String,
}

pub struct Client {
    target: Target,
    sender: SendRequest<Full<Bytes>>,
}

pub struct Answer {
    pub status: u16,
    pub body: Bytes,
    pub took: Duration,
}

impl Answer {
    pub fn json(&self) -> anyhow::Result<Value> {
        serde_json::from_slice(&self.body).with_context(|| format!("not JSON: {}", String::from_utf8_lossy(&self.body)))
    }

    /// The JSON body of a 2xx answer, or an error with what the server said.
    pub fn ok(self, what: &str) -> anyhow::Result<Value> {
        if !(200..300).contains(&self.status) {
            return Err(anyhow!("{what}: {} {}", self.status, String::from_utf8_lossy(&self.body)));
        }
        self.json()
    }
}

impl Client {
    pub async fn connect(target: &Target) -> anyhow::Result<Client> {
        let stream = tokio::net::TcpStream::connect(&target.addr)
            .await
            .with_context(|| format!("connecting to {}", target.addr))?;
        stream.set_nodelay(true)?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        Ok(Client { target: target.clone(), sender })
    }

    pub async fn send(&mut self, method: &str, path: &str, body: Option<&Value>) -> anyhow::Result<Answer> {
        let bytes = body.map(serde_json::to_vec).transpose()?.unwrap_or_default();
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", &self.target.addr)
            .header("x-api-key", &self.target.key)
            .header("en-workspace", &self.target.workspace);
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        let request = request.body(Full::new(Bytes::from(bytes)))?;
        let started = Instant::now();
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await?.to_bytes();
        Ok(Answer { status, body, took: started.elapsed() })
    }
}

/// Latencies, summarized.
#[derive(Default)]
pub struct Samples(pub Vec<Duration>);

impl Samples {
    pub fn extend(&mut self, other: Samples) {
        self.0.extend(other.0);
    }

    pub fn percentile(&mut self, p: f64) -> Duration {
        if self.0.is_empty() {
            return Duration::ZERO;
        }
        self.0.sort_unstable();
        let rank = ((p / 100.0) * self.0.len() as f64).ceil() as usize;
        self.0[rank.clamp(1, self.0.len()) - 1]
    }
}
