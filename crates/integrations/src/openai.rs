//! OpenAI's Chat Completions API (`POST <base>/chat/completions`, Bearer key, optional
//! `OpenAI-Organization`), and any OpenAI-compatible endpoint given as the base URL.

use serde_json::{json, Value};

use crate::{call, Checked, ProviderError, Providers};

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

/// OpenAI's errors: `{"error": {"message", "type", "code"}}`.
fn detail(json: &Value) -> Option<String> {
    json["error"]["message"].as_str().map(str::to_string)
}

fn authorized(
    providers: &Providers,
    method: reqwest::Method,
    url: String,
    api_key: &str,
    organization: Option<&str>,
) -> reqwest::RequestBuilder {
    let request = providers.client.request(method, url).bearer_auth(api_key);
    match organization {
        Some(org) => request.header("OpenAI-Organization", org),
        None => request,
    }
}

/// One chat completion. `base` is the API root (`https://api.openai.com/v1` or a compatible one).
pub async fn chat(
    providers: &Providers,
    base: &str,
    api_key: &str,
    organization: Option<&str>,
    request: &ChatRequest<'_>,
) -> Result<ChatAnswer, ProviderError> {
    let url = format!("{}/chat/completions", base.trim_end_matches('/'));
    let call_request = authorized(providers, reqwest::Method::POST, url, api_key, organization).json(&body(request));
    let answer = call("OpenAI", "chat.completions", call_request).await?;
    if !answer.status.is_success() {
        return Err(answer.refused("OpenAI", detail(&answer.json)));
    }
    let json = &answer.json;
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

/// Checks a key with `GET <base>/models`, and that `model` is among the models it may use
/// (an endpoint that lists none is taken at its word).
pub async fn check(
    providers: &Providers,
    base: &str,
    api_key: &str,
    organization: Option<&str>,
    model: &str,
) -> Result<Checked, ProviderError> {
    let url = format!("{}/models", base.trim_end_matches('/'));
    let answer =
        call("OpenAI", "models", authorized(providers, reqwest::Method::GET, url, api_key, organization)).await?;
    if !answer.status.is_success() {
        return Err(answer.refused("OpenAI", detail(&answer.json)));
    }
    let models: Vec<&str> =
        answer.json["data"].as_array().into_iter().flatten().filter_map(|m| m["id"].as_str()).collect();
    Ok(if models.is_empty() || models.contains(&model) {
        Checked::ok(format!("OpenAI accepted the API key; model {model} is available"))
    } else {
        Checked::failed(format!("OpenAI accepted the API key, but model {model} is not among the models it may use"))
    })
}
