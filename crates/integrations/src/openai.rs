//! OpenAI's Chat Completions API (`POST <base>/chat/completions`, Bearer key, optional
//! `OpenAI-Organization`), and any OpenAI-compatible endpoint given as the base URL.

use serde_json::{json, Value};

use crate::{refused, unreachable, ProviderError, Providers};

#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest<'a> {
    pub model: &'a str,
    /// `(role, content)`.
    pub messages: &'a [(String, String)],
    pub temperature: Option<f64>,
    pub max_tokens: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Usage {
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub total_tokens: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChatAnswer {
    pub content: String,
    pub model: String,
    pub usage: Usage,
}

pub fn body(request: &ChatRequest<'_>) -> Value {
    let messages: Vec<Value> =
        request.messages.iter().map(|(role, content)| json!({ "role": role, "content": content })).collect();
    let mut body = json!({ "model": request.model, "messages": messages });
    if let Some(t) = request.temperature {
        body["temperature"] = json!(t);
    }
    if let Some(m) = request.max_tokens {
        body["max_tokens"] = json!(m);
    }
    body
}

/// One chat completion. `base` is the API root (`https://api.openai.com/v1` or a compatible one).
pub async fn chat(
    providers: &Providers,
    base: &str,
    api_key: &str,
    organization: Option<&str>,
    request: &ChatRequest<'_>,
) -> Result<ChatAnswer, ProviderError> {
    let mut call =
        providers.client.post(format!("{}/chat/completions", base.trim_end_matches('/'))).bearer_auth(api_key);
    if let Some(org) = organization {
        call = call.header("OpenAI-Organization", org);
    }
    let response = call.json(&body(request)).send().await.map_err(|e| unreachable("OpenAI", e))?;
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap_or_default();
    let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    if !status.is_success() {
        // OpenAI's errors: {"error": {"message", "type", "code"}}.
        let detail = json["error"]["message"].as_str().map(str::to_string).unwrap_or(text);
        return Err(refused("OpenAI", status, &headers, &detail));
    }
    let content = json["choices"][0]["message"]["content"].as_str().unwrap_or_default().to_string();
    let tokens = |k: &str| json["usage"][k].as_i64().unwrap_or(0);
    Ok(ChatAnswer {
        content,
        model: json["model"].as_str().unwrap_or(request.model).to_string(),
        usage: Usage {
            prompt_tokens: tokens("prompt_tokens"),
            completion_tokens: tokens("completion_tokens"),
            total_tokens: tokens("total_tokens"),
        },
    })
}
