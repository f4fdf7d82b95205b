//! Provider callbacks (`/webhooks/...`): no API key; each is authenticated the provider's way
//! before anything is stored. Twilio WhatsApp: inbound messages and delivery statuses, signed
//! with `X-Twilio-Signature` over this server's exact public URL. E-signature: one procedure
//! (`esign_callback`) for the five providers, each route only reading its payload and saying
//! how its installation vouches for it (HMAC headers, client id, secret path segment).

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{header, HeaderMap, StatusCode, Uri},
    response::{IntoResponse, Response},
};
use enspace_domain::{
    integrations::{ADOBE_SIGN, WHATSAPP_TWILIO},
    Detail,
};
use enspace_engine::{
    esign,
    whatsapp::{self, Inbound},
};
use enspace_integrations::{
    adobe_sign as adobe_client, certisign as certisign_client, clicksign as clicksign_client, d4sign as d4sign_client,
    docusign as docusign_client, esign::Callback, twilio,
};
use enspace_store::integrations::IntegrationRecord;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    error::{ApiError, ApiResult, ErrorBody},
    extract::{Id, Public},
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(twilio_inbound))
        .routes(routes!(twilio_status))
        .routes(routes!(docusign))
        .routes(routes!(clicksign))
        .routes(routes!(d4sign))
        .routes(routes!(adobe_sign_verify, adobe_sign))
        .routes(routes!(certisign))
}

pub const BAD_SIGNATURE: &str = "Invalid Twilio signature";
const TWIML_EMPTY: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>";

/// The integration a callback names, after checking Twilio signed exactly this request.
async fn verified(
    state: &AppState,
    id: i64,
    url: &str,
    headers: &HeaderMap,
    params: &[(String, String)],
) -> ApiResult<IntegrationRecord> {
    // An id that names no WhatsApp integration answers like a bad signature: a caller without
    // the auth token learns nothing about which ids exist.
    let integration = enspace_store::integrations::for_webhook(&state.db, id)
        .await?
        .filter(|i| i.integration_type == WHATSAPP_TWILIO)
        .ok_or_else(|| ApiError::forbidden(BAD_SIGNATURE))?;
    let signature = headers.get("x-twilio-signature").and_then(|v| v.to_str().ok());
    let token = match whatsapp::account(&state.keyring, &state.providers, &integration) {
        Ok((_, token)) => token,
        Err(reason) => {
            tracing::warn!(integration = id, %reason, "a Twilio callback arrived for an integration without an account");
            return Err(ApiError::forbidden(BAD_SIGNATURE));
        }
    };
    if !twilio::verify(&token, url, params, signature) {
        return Err(ApiError::forbidden(BAD_SIGNATURE));
    }
    Ok(integration)
}

/// The exact URL Twilio called, as it signed it: our public address of the route followed by
/// the query string as received (a webhook may be configured with one, `?x=y`).
fn signed_url(route_url: String, uri: &Uri) -> String {
    match uri.query() {
        Some(query) => format!("{route_url}?{query}"),
        None => route_url,
    }
}

/// What Twilio posts about an inbound message (the fields this server reads; Twilio sends more,
/// all of them signed).
#[derive(ToSchema)]
#[allow(dead_code, non_snake_case)]
pub struct TwilioInboundForm {
    MessageSid: String,
    From: String,
    To: Option<String>,
    Body: Option<String>,
    ProfileName: Option<String>,
    AccountSid: Option<String>,
}

/// What Twilio posts about an outbound message's delivery.
#[derive(ToSchema)]
#[allow(dead_code, non_snake_case)]
pub struct TwilioStatusForm {
    MessageSid: Option<String>,
    MessageStatus: Option<String>,
    ErrorCode: Option<String>,
    AccountSid: Option<String>,
}

/// D4Sign's POSTBack.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct D4SignPostback {
    uuid: String,
    type_post: String,
    message: Option<String>,
    email: Option<String>,
}

fn form(body: &Bytes) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

fn field<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn twiml() -> Response {
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], TWIML_EMPTY).into_response()
}

/// Inbound WhatsApp message (form-encoded, as Twilio posts it): joins the contact's open
/// conversation or opens one; a `MessageSid` already stored is acknowledged and ignored. 403
/// and nothing stored without a valid signature. Answers an empty TwiML `<Response/>`.
#[utoipa::path(post, path = "/webhooks/whatsapp_twilio/{integrationId}", tag = "callbacks", params(("integrationId" = i64, Path)),
    request_body(content = TwilioInboundForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = String, content_type = "text/xml"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn twilio_inbound(
    _: Public,
    State(state): State<AppState>,
    Path(Id(id)): Path<Id>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let params = form(&body);
    let url = signed_url(whatsapp::inbound_url(&state.config.public_url, id), &uri);
    let integration = verified(&state, id, &url, &headers, &params).await?;
    let (Some(sid), Some(from)) = (field(&params, "MessageSid"), field(&params, "From")) else {
        return Err(ApiError::validation(vec![Detail::new("MessageSid", "MessageSid and From are required")]));
    };
    if integration.status != "active" {
        // Switched off: acknowledged, not processed.
        return Ok(twiml());
    }
    let message = Inbound {
        sid,
        from,
        profile_name: field(&params, "ProfileName"),
        body: field(&params, "Body").unwrap_or_default(),
    };
    whatsapp::receive_inbound(&state.db, &integration, &message).await?;
    Ok(twiml())
}

/// Delivery status of an outbound message (`MessageSid`, `MessageStatus`, `ErrorCode`): a
/// status never moves back (callbacks arrive out of order). Unknown messages are acknowledged
/// and change nothing.
#[utoipa::path(post, path = "/webhooks/whatsapp_twilio/{integrationId}/status", tag = "callbacks", params(("integrationId" = i64, Path)),
    request_body(content = TwilioStatusForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 204), (status = 403, body = ErrorBody)))]
pub async fn twilio_status(
    _: Public,
    State(state): State<AppState>,
    Path(Id(id)): Path<Id>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let params = form(&body);
    let url = signed_url(whatsapp::status_url(&state.config.public_url, id), &uri);
    let integration = verified(&state, id, &url, &headers, &params).await?;
    if let (Some(sid), Some(status)) = (field(&params, "MessageSid"), field(&params, "MessageStatus")) {
        let code = field(&params, "ErrorCode").filter(|c| !c.is_empty());
        whatsapp::record_status(&state.db, &integration, sid, status, code).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Applies an e-signature callback `read` from the body, once the installation it belongs to
/// vouches for it (`authentic`, with its secrets): 200 when applied or already applied; 401
/// when not authentic or about no request of ours; 400 when unreadable.
async fn esign_callback(
    state: &AppState,
    provider: &str,
    name: &str,
    callback: Result<Callback, String>,
    authentic: impl FnOnce(&IntegrationRecord, &serde_json::Map<String, serde_json::Value>) -> bool,
) -> ApiResult<StatusCode> {
    let callback = callback.map_err(|problem| ApiError::validation(vec![Detail::new("body", problem)]))?;
    match esign::receive(&state.db, &state.keyring, provider, &callback, authentic).await? {
        esign::Delivery::Applied | esign::Delivery::Repeated => Ok(StatusCode::OK),
        // About no request of ours answers like a bad signature: the secrets that would
        // authenticate it belong to the request's installation, and without them a caller must
        // not learn which provider ids exist.
        esign::Delivery::Unmatched | esign::Delivery::Unauthenticated => {
            Err(ApiError::new(StatusCode::UNAUTHORIZED, format!("Invalid {name} signature")))
        }
    }
}

fn secret<'a>(secrets: &'a serde_json::Map<String, serde_json::Value>, key: &str) -> &'a str {
    secrets.get(key).and_then(serde_json::Value::as_str).unwrap_or_default()
}

/// Docusign Connect (JSON SIM, envelope-level, HMAC): `X-DocuSign-Signature-1`, `-2`, ... (one
/// per active key) must match one of the installation's `connect_hmac_keys` over the raw body.
/// Applied once per event and recipient, in any order.
#[utoipa::path(post, path = "/webhooks/docusign", tag = "callbacks", request_body(content = Object, content_type = "application/json"),
    responses((status = 200), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn docusign(
    _: Public,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let signatures: Vec<&str> = (1..=100)
        .map_while(|n| headers.get(format!("x-docusign-signature-{n}")))
        .filter_map(|v| v.to_str().ok())
        .collect();
    esign_callback(&state, "docusign", "Docusign", docusign_client::callback(&body), |_, secrets| {
        let keys: Vec<&str> =
            secret(secrets, "connect_hmac_keys").split([' ', ',', '\n', '\t']).filter(|k| !k.is_empty()).collect();
        docusign_client::authentic(&keys, &body, &signatures)
    })
    .await
}

/// Clicksign's account webhook: `Content-Hmac: sha256=<hex>` of the raw body under the
/// installation's `webhook_secret`; matched by the document's key; applied once per event and
/// signer, in any order.
#[utoipa::path(post, path = "/webhooks/clicksign", tag = "callbacks", request_body(content = Object, content_type = "application/json"),
    responses((status = 200), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn clicksign(
    _: Public,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let signature = headers.get("content-hmac").and_then(|v| v.to_str().ok());
    esign_callback(&state, "clicksign", "Clicksign", clicksign_client::callback(&body), |_, secrets| {
        clicksign_client::authentic(secret(secrets, "webhook_secret"), &body, signature)
    })
    .await
}

/// D4Sign's POSTBack (form-encoded `uuid`, `type_post`, `message`, `email`), registered on each
/// document: `Content-Hmac: sha256=<hex>` is the HMAC of the document's uuid under the
/// installation's `hmac_secret` (D4Sign signs the uuid, not the body).
#[utoipa::path(post, path = "/webhooks/d4sign", tag = "callbacks", request_body(content = D4SignPostback, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn d4sign(
    _: Public,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<StatusCode> {
    let signature = headers.get("content-hmac").and_then(|v| v.to_str().ok());
    let callback = d4sign_client::callback(&body);
    let uuid = callback.as_ref().map(|c| c.provider_id.clone()).unwrap_or_default();
    esign_callback(&state, "d4sign", "D4Sign", callback, |_, secrets| {
        d4sign_client::authentic(secret(secrets, "hmac_secret"), &uuid, signature)
    })
    .await
}

const ADOBE_CLIENT_ID: &str = "x-adobesign-clientid";

fn adobe_client_id(headers: &HeaderMap) -> Option<String> {
    headers.get(ADOBE_CLIENT_ID).and_then(|v| v.to_str().ok()).map(|v| v.trim().to_string())
}

/// Adobe Sign's verification of intent: a GET carrying `X-AdobeSign-ClientId` is answered 200
/// echoing it only when an active Adobe Sign installation has that client id (401 otherwise),
/// so Adobe never delivers to us for an application nobody installed.
#[utoipa::path(get, path = "/webhooks/adobe_sign", tag = "callbacks",
    responses((status = 200, description = "the client id echoed in X-AdobeSign-ClientId"), (status = 401, body = ErrorBody)))]
pub async fn adobe_sign_verify(_: Public, State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let unknown = || ApiError::new(StatusCode::UNAUTHORIZED, "Invalid Adobe Sign client id");
    let client_id = adobe_client_id(&headers).ok_or_else(unknown)?;
    let installed = enspace_store::integrations::active_everywhere(&state.db, ADOBE_SIGN).await?;
    let known = installed.iter().any(|i| {
        let own = i.data.get("client_id").and_then(serde_json::Value::as_str).unwrap_or_default();
        adobe_client::authentic(own, Some(&client_id))
    });
    if !known {
        return Err(unknown());
    }
    Ok(([(ADOBE_CLIENT_ID, client_id)], StatusCode::OK).into_response())
}

/// Adobe Sign's webhook notifications (JSON): the delivery's `X-AdobeSign-ClientId` must be
/// the installation's `client_id` (Adobe's only proof of origin), and the answer echoes it.
/// Matched by the agreement's id; applied once per notification id.
#[utoipa::path(post, path = "/webhooks/adobe_sign", tag = "callbacks", request_body(content = Object, content_type = "application/json"),
    responses((status = 200), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn adobe_sign(
    _: Public,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let client_id = adobe_client_id(&headers);
    let status = esign_callback(&state, "adobe_sign", "Adobe Sign", adobe_client::callback(&body), |integration, _| {
        let own = integration.data.get("client_id").and_then(serde_json::Value::as_str).unwrap_or_default();
        adobe_client::authentic(own, client_id.as_deref())
    })
    .await?;
    Ok(([(ADOBE_CLIENT_ID, client_id.unwrap_or_default())], status).into_response())
}

/// Certisign's document callbacks (JSON, fired on every action): Certisign signs nothing, so
/// the address's last segment must be the installation's `callback_token` (compared in
/// constant time); matched by the document's key.
#[utoipa::path(post, path = "/webhooks/certisign/{token}", tag = "callbacks", params(("token" = String, Path)),
    request_body(content = Object, content_type = "application/json"),
    responses((status = 200), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn certisign(
    _: Public,
    State(state): State<AppState>,
    Path(token): Path<String>,
    body: Bytes,
) -> ApiResult<StatusCode> {
    esign_callback(&state, "certisign", "Certisign", certisign_client::callback(&body), |_, secrets| {
        certisign_client::authentic(secret(secrets, enspace_domain::integrations::CALLBACK_TOKEN), &token)
    })
    .await
}
