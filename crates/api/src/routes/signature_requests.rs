//! Signature requests [ours]: send a document out through an e-signature installation, list and
//! read the workspace's requests, and download the signed document once the provider has it.
//! Every member reads them; sending needs a member who may write, and update on the item's type
//! when the request names an item.

use axum::{
    extract::{DefaultBodyLimit, Path, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use base64::Engine;
use enspace_domain::{
    access::Action,
    catalogue::FieldType,
    esign::RequestStatus,
    esign::{Signer, SignerStatus},
    time::format_ms,
    user::check_email,
    Detail,
};
use enspace_engine::esign::{DocumentError, NewRequest, SendError};
use enspace_store::{signature_requests::LIST, Reader};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    error::{ApiError, ApiResult, ErrorBody},
    extract::{json::Input, ApiJson, Id, QueryPairs, WsCtx},
    openapi::{ListParams, WorkspaceHeader},
    routes::integrations::INTEGRATION_NOT_FOUND,
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    // A document travels inline as base64: the body may be a third larger than a file. The
    // decoded document is then held to the configured file limit; a larger one, where an
    // operator raised that limit, goes through `POST /ws/files` and `document.file`.
    let body_limit = enspace_domain::files::DEFAULT_FILE_LIMIT / 3 * 4 + 64 * 1024;
    OpenApiRouter::new().routes(routes!(send_for_signature)).layer(DefaultBodyLimit::max(body_limit)).merge(
        OpenApiRouter::new()
            .routes(routes!(list_signature_requests))
            .routes(routes!(get_signature_request))
            .routes(routes!(signed_document))
            .routes(routes!(attach_signed_document)),
    )
}

pub const SIGNATURE_REQUEST_NOT_FOUND: &str = "Signature request not found";
/// Signers per request [ours].
const SIGNERS_MAX: usize = 50;
const TITLE_MAX: usize = 255;

/// The document: inline (`filename`, `content_base64`) or an uploaded file of this workspace.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentInput {
    pub filename: Option<String>,
    pub content_base64: Option<String>,
    /// The id of a file uploaded with `POST /ws/files`.
    pub file: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignerInput {
    pub email: Option<String>,
    pub name: Option<String>,
    /// The provider's own vocabulary (a Clicksign role, a D4Sign act number, a Docusign role).
    #[schema(value_type = Object)]
    pub action: Option<Value>,
}

/// The item a request is about: its type's slug and its reference.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemInput {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub reference: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignatureRequestInput {
    pub title: Option<String>,
    pub document: Option<DocumentInput>,
    pub signers: Option<Vec<SignerInput>>,
    pub item: Option<ItemInput>,
}

impl Input for SignatureRequestInput {}

/// The document's name and bytes, or the problems with it.
async fn document(
    state: &AppState,
    ctx: &WsCtx,
    input: Option<&DocumentInput>,
    details: &mut Vec<Detail>,
) -> ApiResult<Option<(String, Vec<u8>)>> {
    let Some(input) = input else {
        details.push(Detail::new("document", "is required"));
        return Ok(None);
    };
    match (&input.file, &input.content_base64) {
        (Some(id), None) => {
            let file = enspace_store::files::get(&mut Reader::Db(&state.db), ctx.workspace.id, *id).await?;
            let Some(file) = file else {
                details.push(Detail::new("document.file", format!("no file {id} in this workspace")));
                return Ok(None);
            };
            let bytes = state
                .files
                .read(&file.storage_key)
                .await
                .map_err(|e| ApiError::internal(format!("file {} could not be read: {e}", file.id)))?;
            Ok(Some((input.filename.clone().unwrap_or(file.filename), bytes)))
        }
        (None, Some(content)) => {
            let filename = input.filename.clone().filter(|f| !f.trim().is_empty());
            if filename.is_none() {
                details.push(Detail::new("document.filename", "is required with content_base64"));
            }
            let bytes = match base64::engine::general_purpose::STANDARD.decode(content.trim()) {
                Ok(bytes) if bytes.is_empty() => {
                    details.push(Detail::new("document.content_base64", "is empty"));
                    None
                }
                Ok(bytes) if bytes.len() > state.config.file_limit => {
                    details.push(Detail::new(
                        "document.content_base64",
                        format!("the document is larger than {} bytes", state.config.file_limit),
                    ));
                    None
                }
                Ok(bytes) => Some(bytes),
                Err(_) => {
                    details.push(Detail::new("document.content_base64", "is not base64"));
                    None
                }
            };
            Ok(filename.zip(bytes))
        }
        _ => {
            details.push(Detail::new("document", "give either file or filename with content_base64"));
            Ok(None)
        }
    }
}

/// Uploads the document to the provider, adds the signers with its own action vocabulary,
/// sends it, and records it. A provider failure is a 502 with the provider's message.
#[utoipa::path(post, path = "/integrations/{id}/signature-requests", tag = "signature-requests", params(WorkspaceHeader, ("id" = i64, Path)),
    request_body = SignatureRequestInput, security(("api_key" = []), ("bearer" = [])),
    responses((status = 201, body = SignatureRequestView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 502, body = ErrorBody)))]
pub async fn send_for_signature(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
    ApiJson(input): ApiJson<SignatureRequestInput>,
) -> ApiResult<(StatusCode, Json<SignatureRequestView>)> {
    ctx.authorize(Action::SendForSignature)?;
    let integration = enspace_store::integrations::get(&state.db, ctx.workspace.id, id)
        .await?
        .ok_or_else(|| ApiError::not_found(INTEGRATION_NOT_FOUND))?;
    let vocabulary =
        enspace_engine::esign::vocabulary(&integration).ok_or_else(|| ApiError::not_found(INTEGRATION_NOT_FOUND))?;
    let mut details = Vec::new();
    let title = input.title.as_deref().map(str::trim).unwrap_or_default().to_string();
    if title.is_empty() {
        details.push(Detail::new("title", "is required"));
    } else if title.chars().count() > TITLE_MAX {
        details.push(Detail::new("title", format!("at most {TITLE_MAX} characters")));
    }
    let mut signers = Vec::new();
    match input.signers.as_deref() {
        None | Some([]) => details.push(Detail::new("signers", "at least one signer is required")),
        Some(list) if list.len() > SIGNERS_MAX => {
            details.push(Detail::new("signers", format!("at most {SIGNERS_MAX} signers")))
        }
        Some(list) => {
            for (i, signer) in list.iter().enumerate() {
                let email = signer.email.as_deref().map(str::trim).unwrap_or_default();
                if email.is_empty() {
                    details.push(Detail::new(format!("signers[{i}].email"), "is required"));
                } else if let Err(problem) = check_email(email) {
                    details.push(Detail::new(format!("signers[{i}].email"), problem));
                }
                let action = vocabulary.check(signer.action.as_ref(), &format!("signers[{i}].action"), &mut details);
                signers.push(Signer {
                    email: email.to_string(),
                    name: signer.name.clone().filter(|n| !n.trim().is_empty()),
                    action,
                    status: SignerStatus::Pending,
                    signed_at: None,
                });
            }
        }
    }
    let item = match &input.item {
        None => None,
        Some(ItemInput { kind: Some(slug), reference: Some(reference) }) => {
            match enspace_store::types::get(&state.db, ctx.workspace.id, slug).await? {
                None => {
                    details.push(Detail::new("item.type", format!("no type {slug:?} in this workspace")));
                    None
                }
                Some(kind) => match enspace_store::items::get(&state.db, ctx.workspace.id, kind.id, reference).await? {
                    None => {
                        details.push(Detail::new("item.reference", format!("no {slug} item {reference:?}")));
                        None
                    }
                    Some(item) => Some((slug.clone(), item)),
                },
            }
        }
        Some(_) => {
            details.push(Detail::new("item", "give type and reference"));
            None
        }
    };
    let document = document(&state, &ctx, input.document.as_ref(), &mut details).await?;
    ApiError::check(details)?;
    let (filename, content) = document.expect("checked");
    if let Some((slug, _)) = &item {
        ctx.authorize(Action::on_type(slug, "update"))?;
    }
    let new = NewRequest {
        title: &title,
        filename: &filename,
        content: &content,
        signers,
        item: item.as_ref().map(|(slug, item)| (slug.as_str(), item)),
        created_by: Some(ctx.principal.user.id),
    };
    let sent = enspace_engine::esign::send(
        &state.db,
        &state.keyring,
        &state.providers,
        &state.config.public_url,
        &integration,
        new,
    )
    .await;
    let id = match sent {
        Ok(id) => id,
        Err(SendError::Unavailable(message)) => return Err(ApiError::conflict(message)),
        Err(SendError::Provider(e)) => return Err(ApiError::new(StatusCode::BAD_GATEWAY, e.to_string())),
        Err(SendError::Store(e)) => return Err(e.into()),
    };
    let record = enspace_store::signature_requests::get(&state.db, ctx.workspace.id, id)
        .await?
        .ok_or_else(|| ApiError::internal("a signature request vanished after it was recorded"))?;
    Ok((StatusCode::CREATED, Json(record.into())))
}

/// Newest first. Filters: `status`, `provider`, `integration`, `item_type`, `item_reference`.
#[utoipa::path(get, path = "/ws/signature-requests", tag = "signature-requests", params(WorkspaceHeader, ListParams), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = [SignatureRequestView]), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list_signature_requests(
    State(state): State<AppState>,
    ctx: WsCtx,
    query: QueryPairs,
) -> ApiResult<Json<Vec<SignatureRequestView>>> {
    let query = query.list(&state, &LIST, &[])?;
    let list = enspace_store::signature_requests::list(&state.db, ctx.workspace.id, &query).await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

async fn request_of(
    state: &AppState,
    ctx: &WsCtx,
    id: i64,
) -> ApiResult<enspace_store::signature_requests::SignatureRequestRecord> {
    enspace_store::signature_requests::get(&state.db, ctx.workspace.id, id)
        .await?
        .ok_or_else(|| ApiError::not_found(SIGNATURE_REQUEST_NOT_FOUND))
}

#[utoipa::path(get, path = "/ws/signature-requests/{id}", tag = "signature-requests", params(WorkspaceHeader, ("id" = i64, Path)), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = SignatureRequestView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_signature_request(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
) -> ApiResult<Json<SignatureRequestView>> {
    Ok(Json(request_of(&state, &ctx, id).await?.into()))
}

/// The signed document, fetched from the provider; 409 until the request is `signed`, 502 when
/// the provider fails.
#[utoipa::path(get, path = "/ws/signature-requests/{id}/document", tag = "signature-requests", params(WorkspaceHeader, ("id" = i64, Path)), security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, description = "the signed PDF", content_type = "application/pdf"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 502, body = ErrorBody)))]
pub async fn signed_document(State(state): State<AppState>, ctx: WsCtx, Path(Id(id)): Path<Id>) -> ApiResult<Response> {
    let request = request_of(&state, &ctx, id).await?;
    require_signed(&request)?;
    let bytes = enspace_engine::esign::signed_document(&state.db, &state.keyring, &state.providers, &request)
        .await
        .map_err(document_error)?;
    let name = enspace_engine::esign::signed_name(&request);
    let disposition = format!("attachment; filename=\"{}\"", name.replace(['"', '\\', '\r', '\n'], "_"));
    Ok(([(header::CONTENT_TYPE, "application/pdf".to_string()), (header::CONTENT_DISPOSITION, disposition)], bytes)
        .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachInput {
    /// The `refId` of an `EnESign` or file field of the request's item.
    pub field: Option<String>,
}

impl Input for AttachInput {}

/// The field written, and what it now holds.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct AttachedView {
    pub field: String,
    #[schema(value_type = Object)]
    pub value: Value,
}

/// Field types a signed document can go into.
const ATTACHABLE: [FieldType; 3] = [FieldType::EnESign, FieldType::UploadFile, FieldType::EnPdf];

/// Fetches the signed document from the provider, keeps it as a file of the workspace and
/// writes it into a field of the request's item: an `EnESign` field gets `{signer, signedAt,
/// url}`, a file field gets the file appended. Needs a member who may write, and update on that
/// field of the item's type.
#[utoipa::path(post, path = "/ws/signature-requests/{id}/attach", tag = "signature-requests", params(WorkspaceHeader, ("id" = i64, Path)),
    request_body = AttachInput, security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, body = AttachedView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 502, body = ErrorBody)))]
pub async fn attach_signed_document(
    State(state): State<AppState>,
    ctx: WsCtx,
    Path(Id(id)): Path<Id>,
    ApiJson(input): ApiJson<AttachInput>,
) -> ApiResult<Json<AttachedView>> {
    ctx.authorize(Action::SendForSignature)?;
    let request = request_of(&state, &ctx, id).await?;
    let (Some(slug), Some(reference)) = (&request.item_type, &request.item_reference) else {
        return Err(ApiError::conflict("The request names no item to attach the signed document to"));
    };
    ctx.authorize(Action::on_type(slug, "update"))?;
    let Some(field_ref) = input.field.filter(|f| !f.is_empty()) else {
        return Err(ApiError::validation(vec![Detail::new("field", "is required")]));
    };
    let (kind, fields) = enspace_store::types::with_fields(&state.db, ctx.workspace.id, slug)
        .await?
        .ok_or_else(|| ApiError::conflict(format!("The type {slug:?} no longer exists")))?;
    let field = fields.iter().map(|f| f.def.clone()).find(|f| f.ref_id == field_ref);
    let Some(field) = field.filter(|f| ATTACHABLE.contains(&f.field_type)) else {
        return Err(ApiError::validation(vec![Detail::new(
            "field",
            format!("no EnESign or file field {field_ref:?} in type {slug}"),
        )]));
    };
    let path = format!("data.{field_ref}");
    if !ctx.access.clone().fields(slug, "update").covers(&path) {
        return Err(ApiError {
            details: vec![Detail::new(path.clone(), "you may not update this field")],
            ..ApiError::forbidden(format!("Permission denied: types::{slug}::update does not cover {path}"))
        });
    }
    require_signed(&request)?;
    let item = enspace_store::items::get(&state.db, ctx.workspace.id, kind.id, reference)
        .await?
        .ok_or_else(|| ApiError::conflict("The request's item no longer exists"))?;
    let author = ctx.author("integration");
    let attached = enspace_engine::esign::attach_signed(
        &state.db,
        &state.keyring,
        &state.providers,
        &state.files,
        &request,
        (&kind, &fields),
        &item,
        &field,
        &author,
    )
    .await;
    Ok(Json(AttachedView { field: field_ref, value: attached.map_err(document_error)? }))
}

/// 409 unless the request is `signed`: before that there is no signed document.
fn require_signed(request: &enspace_store::signature_requests::SignatureRequestRecord) -> ApiResult<()> {
    if request.status == RequestStatus::Signed {
        return Ok(());
    }
    Err(ApiError::conflict(format!("The request is {}: there is no signed document", request.status.as_str())))
}

fn document_error(error: DocumentError) -> ApiError {
    match error {
        DocumentError::Unavailable(message) => ApiError::conflict(message),
        DocumentError::Refused(details) => ApiError::validation(details),
        DocumentError::Provider(e) => ApiError::new(StatusCode::BAD_GATEWAY, e.to_string()),
        DocumentError::Store(e) => e.into(),
    }
}

/// A document out for signature [ours].
#[derive(Debug, Serialize, ToSchema)]
pub struct SignatureRequestView {
    pub id: i64,
    /// The installation that sent it (`null` once uninstalled).
    pub integration: Option<i64>,
    /// The integration type's slug.
    pub provider: String,
    /// The provider's id for it (envelope, document, agreement).
    pub provider_id: String,
    pub title: String,
    /// `sent`, `partially_signed`, `signed`, `refused`, `cancelled`, `expired` or `failed`.
    pub status: String,
    pub signers: Vec<SignatureSignerView>,
    /// The provider events received, in arrival order.
    pub events: Vec<SignatureEventView>,
    /// The item it is about: `{type, reference}`.
    #[schema(value_type = Option<Object>)]
    pub item: Option<serde_json::Value>,
    pub document_name: String,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignatureSignerView {
    pub email: String,
    pub name: Option<String>,
    /// In the provider's vocabulary.
    pub action: String,
    /// `pending`, `signed` or `refused`.
    pub status: String,
    pub signed_at: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignatureEventView {
    /// The provider's name for the event (`recipient-completed`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    pub received_at: String,
}

impl From<enspace_store::signature_requests::SignatureRequestRecord> for SignatureRequestView {
    fn from(r: enspace_store::signature_requests::SignatureRequestRecord) -> Self {
        use enspace_domain::esign::SignerStatus;
        let item = match (r.item_type, r.item_reference) {
            (Some(kind), Some(reference)) => Some(serde_json::json!({ "type": kind, "reference": reference })),
            _ => None,
        };
        SignatureRequestView {
            id: r.id,
            integration: r.integration_id,
            provider: r.provider,
            provider_id: r.provider_id,
            title: r.title,
            status: r.status.as_str().to_string(),
            signers: r
                .signers
                .into_iter()
                .map(|s| SignatureSignerView {
                    email: s.email,
                    name: s.name,
                    action: s.action,
                    status: match s.status {
                        SignerStatus::Pending => "pending",
                        SignerStatus::Signed => "signed",
                        SignerStatus::Refused => "refused",
                    }
                    .to_string(),
                    signed_at: s.signed_at.map(format_ms),
                })
                .collect(),
            events: r
                .events
                .iter()
                .map(|e| SignatureEventView {
                    kind: e["type"].as_str().unwrap_or_default().to_string(),
                    received_at: e["received_at"].as_str().unwrap_or_default().to_string(),
                })
                .collect(),
            item,
            document_name: r.document_name,
            created_at: format_ms(r.created_at),
            updated_at: format_ms(r.updated_at),
        }
    }
}
