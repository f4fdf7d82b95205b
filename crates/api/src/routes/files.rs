//! Files: multipart upload and download with the access rules of the item they are attached to.

use axum::{
    extract::{multipart::MultipartRejection, DefaultBodyLimit, Multipart, Path, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use enspace_domain::{
    access::{Action, MemberType},
    files::{clean_filename, content_disposition, MAX_FILES_PER_UPLOAD},
    Detail,
};
use enspace_engine::files::{discard, upload, UploadError};
use enspace_store::{files::FileRecord, Reader};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    error::{ApiError, ApiResult, ErrorBody},
    extract::{workspace::allowed, Id, WsCtx},
    openapi::WorkspaceHeader,
    AppState,
};

pub fn routes() -> OpenApiRouter<AppState> {
    // The upload reads its body itself, bounding every file by the configured file limit
    // (and the number of files), so the general JSON body limit does not apply to it.
    OpenApiRouter::new()
        .routes(routes!(upload_files))
        .layer(DefaultBodyLimit::disable())
        .merge(OpenApiRouter::new().routes(routes!(download_file)))
}

pub const FILE_NOT_FOUND: &str = "File not found";

/// An uploaded file: `url` is this server's path to its bytes.
#[derive(Debug, Serialize, ToSchema)]
pub struct FileView {
    pub id: i64,
    pub url: String,
    pub filename: String,
    /// Sniffed from the content, never taken from the client.
    pub mime: String,
    pub size: i64,
}

impl From<FileRecord> for FileView {
    fn from(f: FileRecord) -> Self {
        FileView { url: f.url(), id: f.id, filename: f.filename, mime: f.mime, size: f.size }
    }
}

fn malformed(message: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(format!("Expected a multipart/form-data body with one or more `file` parts: {message}"))
}

impl From<UploadError> for ApiError {
    fn from(error: UploadError) -> Self {
        match error {
            UploadError::Store(e) => e.into(),
            UploadError::Io(e) => {
                tracing::error!(error = %e, "could not store an uploaded file");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "Could not store the file")
            }
        }
    }
}

/// The multipart body of an upload, as documented (the handler reads the parts as they come).
#[derive(ToSchema)]
#[allow(dead_code)]
struct UploadForm {
    /// The files: one part named `file` for each.
    #[schema(value_type = Vec<String>, format = Binary)]
    file: Vec<Vec<u8>>,
}

/// Uploads one or more files (multipart parts named `file`, at most 10 per request, each within
/// the server's file size limit, 25 MiB by default). A file belongs to its uploader until an
/// item's attachment field names it. Viewers cannot upload.
#[utoipa::path(post, path = "/ws/files", tag = "files", params(WorkspaceHeader),
    request_body(content = inline(UploadForm), content_type = "multipart/form-data", description = "one or more `file` parts"),
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 201, body = [FileView]), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn upload_files(
    State(state): State<AppState>,
    ctx: WsCtx,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<(StatusCode, Json<Vec<FileView>>)> {
    Ok((StatusCode::CREATED, Json(upload_parts(&state, &ctx, multipart).await?)))
}

/// Stores the `file` parts of an upload as `POST /ws/files` does (the console's upload too):
/// every file or none.
pub async fn upload_parts(
    state: &AppState,
    ctx: &WsCtx,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<Vec<FileView>> {
    ctx.authorize(Action::UploadFile)?;
    let mut multipart = multipart.map_err(|e| match e {
        MultipartRejection::InvalidBoundary(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be multipart/form-data with a boundary",
        ),
        other => malformed(other),
    })?;
    let mut stored = Vec::new();
    let outcome = receive(state, ctx, &mut multipart, &mut stored).await;
    if let Err(error) = outcome {
        discard(&state.db, &state.files, ctx.workspace.id, &stored).await?;
        return Err(error);
    }
    if stored.is_empty() {
        return Err(malformed("no file part"));
    }
    Ok(stored.into_iter().map(Into::into).collect())
}

/// Stores the request's files one by one (so memory holds one file at a time), into `stored`.
async fn receive(
    state: &AppState,
    ctx: &WsCtx,
    multipart: &mut Multipart,
    stored: &mut Vec<FileRecord>,
) -> ApiResult<()> {
    let limit = state.config.file_limit;
    while let Some(mut field) = multipart.next_field().await.map_err(malformed)? {
        let index = stored.len();
        if field.name() != Some("file") {
            let name = field.name().unwrap_or_default().to_string();
            return Err(ApiError::validation(vec![Detail::new(name, "unknown part: only `file` parts are accepted")]));
        }
        if index == MAX_FILES_PER_UPLOAD {
            return Err(ApiError::validation(vec![Detail::new(
                format!("file[{index}]"),
                format!("at most {MAX_FILES_PER_UPLOAD} files per request"),
            )]));
        }
        let filename = clean_filename(field.file_name());
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(malformed)? {
            if bytes.len() + chunk.len() > limit {
                return Err(ApiError {
                    details: vec![Detail::new(format!("file[{index}]"), format!("{filename:?} is too large"))],
                    ..ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        format!("A file is larger than the limit of {limit} bytes"),
                    )
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        stored.push(upload(&state.db, &state.files, ctx.workspace.id, ctx.principal.user.id, &filename, &bytes).await?);
    }
    Ok(())
}

/// The file's bytes, as an attachment with its sniffed type. Readable by its uploader (and the
/// owner) until attached; once attached, by whoever may read the item's type.
#[utoipa::path(get, path = "/ws/files/{id}", tag = "files", params(WorkspaceHeader, ("id" = i64, Path)),
    security(("api_key" = []), ("bearer" = [])),
    responses((status = 200, description = "the file's bytes"), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn download_file(State(state): State<AppState>, ctx: WsCtx, Path(Id(id)): Path<Id>) -> ApiResult<Response> {
    download(&state, &ctx, id).await
}

/// A file's bytes as `GET /ws/files/{id}` answers them (the console's download links too).
pub async fn download(state: &AppState, ctx: &WsCtx, id: i64) -> ApiResult<Response> {
    let file = enspace_store::files::get(&mut Reader::Db(&state.db), ctx.workspace.id, id)
        .await?
        .ok_or_else(|| ApiError::not_found(FILE_NOT_FOUND))?;
    let access = ctx.access.clone();
    match file.type_id {
        Some(type_id) => {
            let slug = enspace_store::types::by_id(&state.db, ctx.workspace.id, type_id)
                .await?
                .map(|t| t.slug)
                .ok_or_else(|| ApiError::not_found(FILE_NOT_FOUND))?;
            allowed(&access, &Action::read_type(&slug))?;
        }
        None if file.user_id == Some(ctx.principal.user.id) || access.member_type == MemberType::Owner => {}
        None => {
            return Err(ApiError::forbidden(
                "Permission denied: a file not attached to an item is readable by its uploader only",
            ))
        }
    }
    let bytes = state.files.read(&file.storage_key).await.map_err(|e| {
        tracing::error!(error = %e, file = file.id, "a file's bytes are missing from the file store");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "The file's content could not be read")
    })?;
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_str(&file.mime).unwrap_or(HeaderValue::from_static("application/octet-stream")),
        ),
        (
            header::CONTENT_DISPOSITION,
            HeaderValue::from_str(&content_disposition(&file.filename))
                .unwrap_or(HeaderValue::from_static("attachment")),
        ),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'")),
        (header::CACHE_CONTROL, HeaderValue::from_static("private, no-store")),
    ];
    Ok((headers, bytes).into_response())
}
