//! Files through the router: multipart upload with sniffed types and limits, attachment to
//! items with the field's checks, and downloads under the uploader's and then the item's rules.

use enspace_domain::access::{MemberStatus, MemberType};
use enspace_testkit::{TestApp, TestAppBuilder, TestUser};
use serde_json::{json, Value};

use crate::validation;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";
const TEXT: &[u8] = b"id;nome\n1;Ana\n";

async fn upload(app: &TestApp, user: &TestUser, parts: &[(&str, Option<&str>, &[u8])]) -> Value {
    let response = app.post("/ws/files").key(&user.key).ws("acme").multipart(parts).send().await;
    assert_eq!(response.status, 201, "{}", response.text());
    response.json()
}

async fn post(app: &TestApp, user: &TestUser, path: &str, body: Value) -> Value {
    let response = app.post(path).key(&user.key).ws("acme").json(&body).send().await;
    assert_eq!(response.status, 201, "POST {path}: {}", response.text());
    response.json()
}

/// Ana owns Acme with type `docs` (`anexos`: files, at most 2; `foto`: one image of ≤ 64 bytes);
/// Bia is a standard member whose role reads `docs`; Caio a standard member with no role.
async fn setup(app: &TestApp) -> (TestUser, TestUser, TestUser) {
    let ana = app.user("ana@example.com").await;
    app.workspace(&ana, "Acme").await;
    post(app, &ana, "/ws/types", json!({ "name": "Docs" })).await;
    post(
        app,
        &ana,
        "/ws/types/docs/fields",
        json!({ "name": "Anexos", "slug": "anexos", "type": "uploadFile", "config": { "max_files": 2 } }),
    )
    .await;
    post(
        app,
        &ana,
        "/ws/types/docs/fields",
        json!({ "name": "Foto", "slug": "foto", "type": "uploadImage", "config": { "max_size": 64 } }),
    )
    .await;
    let bia = app.user("bia@example.com").await;
    let member = app.add_member(1, bia.id, MemberType::Standard, MemberStatus::Active).await;
    let role = app.role(1, &[("types::docs::read", None), ("types::docs::create", None)]).await;
    app.assign_role(member, role).await;
    let caio = app.user("caio@example.com").await;
    app.add_member(1, caio.id, MemberType::Standard, MemberStatus::Active).await;
    (ana, bia, caio)
}

/// Each test runs on both file stores: the data directory, and a bucket of a real S3-compatible
/// server (`enspace_testkit::S3Server`), with the same assertions.
macro_rules! on_both_file_stores {
    ($($test:ident),* $(,)?) => {$(
        mod $test {
            #[tokio::test]
            async fn data_directory() {
                super::$test(enspace_testkit::TestApp::builder()).await;
            }

            #[tokio::test]
            async fn s3() {
                let name = concat!("files::", stringify!($test), "::s3");
                if let Some(server) = enspace_testkit::S3Server::start_or_skip(name).await {
                    super::$test(enspace_testkit::TestApp::builder().s3(server)).await;
                }
            }
        }
    )*};
}

on_both_file_stores!(
    uploads_are_sniffed_and_downloaded_as_attachments,
    attachments_are_checked_against_the_field,
    upload_errors_are_clear_and_bounded,
);

async fn uploads_are_sniffed_and_downloaded_as_attachments(builder: TestAppBuilder) {
    let app = builder.build().await;
    let (ana, bia, caio) = setup(&app).await;
    // The client claims image/png for both; the server looks at the bytes.
    let files =
        upload(&app, &bia, &[("file", Some("foto.png"), PNG), ("file", Some("C:\\tmp\\dados.csv"), TEXT)]).await;
    assert_eq!(
        files,
        json!([
            { "id": 1, "url": "/ws/files/1", "filename": "foto.png", "mime": "image/png", "size": PNG.len() },
            { "id": 2, "url": "/ws/files/2", "filename": "dados.csv", "mime": "text/plain", "size": TEXT.len() }
        ])
    );
    let download = app.get("/ws/files/2").key(&bia.key).ws("acme").send().await;
    assert_eq!(download.status, 200);
    assert_eq!(download.body, TEXT);
    assert_eq!(
        [
            download.header("content-type"),
            download.header("content-disposition"),
            download.header("x-content-type-options"),
            download.header("content-security-policy"),
        ],
        [
            Some("text/plain"),
            Some("attachment; filename=\"dados.csv\"; filename*=UTF-8''dados.csv"),
            Some("nosniff"),
            Some("sandbox; default-src 'none'"),
        ]
    );
    assert_eq!(app.stored_file_keys().await.len(), 2);
    // Until attached, a file is its uploader's (and the owner's) alone, whatever roles say.
    assert_eq!(app.get("/ws/files/1").key(&ana.key).ws("acme").send().await.body, PNG);
    app.get("/ws/files/1")
        .key(&caio.key)
        .ws("acme")
        .send()
        .await
        .assert_error(403, "Permission denied: a file not attached to an item is readable by its uploader only");
    app.get("/ws/files/99").key(&bia.key).ws("acme").send().await.assert_error(404, "File not found");

    // Attaching: Bia's item takes her files; Caio cannot attach them (they are not his).
    let item =
        post(&app, &bia, "/ws/types/docs/items", json!({ "data": { "anexos": [{ "id": 2 }], "foto": { "id": 1 } } }))
            .await;
    assert_eq!(item["data"]["anexos"], json!([files[1]]));
    assert_eq!(item["data"]["foto"], json!([files[0]]));
    // Now the item's rules apply: Bia reads it through her role, Caio has no read on docs.
    assert_eq!(app.get("/ws/files/1").key(&bia.key).ws("acme").send().await.status, 200);
    app.get("/ws/files/1")
        .key(&caio.key)
        .ws("acme")
        .send()
        .await
        .assert_error(403, "Permission denied: types::docs::read");

    // Another workspace never sees it.
    let out = app.user("out@example.com").await;
    app.workspace(&out, "Other").await;
    app.get("/ws/files/1").key(&out.key).ws("other").send().await.assert_error(404, "File not found");

    // Deleting the item removes its files, bytes included.
    let kept = upload(&app, &ana, &[("file", Some("kept.csv"), TEXT)]).await;
    let reference = item["reference"].as_str().unwrap();
    assert_eq!(
        app.delete(&format!("/ws/types/docs/items/{reference}")).key(&ana.key).ws("acme").send().await.status,
        200
    );
    app.get("/ws/files/1").key(&ana.key).ws("acme").send().await.assert_error(404, "File not found");
    let key: String =
        app.db.fetch_one("SELECT storage_key FROM files", &[]).await.unwrap().text("storage_key").unwrap();
    assert_eq!(app.stored_file_keys().await, [key]);
    assert_eq!(app.get(&format!("/ws/files/{}", kept[0]["id"])).key(&ana.key).ws("acme").send().await.body, TEXT);
    // Deleting the workspace removes the rest once its purge has run.
    assert_eq!(app.delete("/ws?confirm=acme").key(&ana.key).ws("acme").send().await.status, 200);
    app.run_jobs().await;
    assert_eq!(app.stored_file_keys().await, Vec::<String>::new());
}

async fn attachments_are_checked_against_the_field(builder: TestAppBuilder) {
    let app = builder.build().await;
    let (ana, bia, caio) = setup(&app).await;
    let big = vec![0x89u8; 100];
    let mine = upload(
        &app,
        &ana,
        &[
            ("file", Some("a.txt"), TEXT),
            ("file", Some("b.png"), PNG),
            ("file", Some("c.txt"), TEXT),
            ("file", Some("big.bin"), &big),
        ],
    )
    .await;
    assert_eq!(mine.as_array().unwrap().len(), 4);
    let theirs = upload(&app, &caio, &[("file", Some("x.txt"), TEXT)]).await;
    let create = |body: Value| app.post("/ws/types/docs/items").key(&ana.key).ws("acme").json(&body).send();
    create(json!({ "data": {
        "anexos": [{ "id": 1 }, { "id": 3 }, { "id": theirs[0]["id"] }],
        "foto": [{ "id": 1 }, { "id": 4 }, { "id": 77 }, { "url": "x" }]
    } }))
    .await
    .assert(
        400,
        validation(json!([
            { "path": "data.anexos", "message": "allows at most 2 files, got 3" },
            { "path": "data.foto[3]", "message": "expected an uploaded file {\"id\"} (upload it with POST /ws/files first)" },
            // The lookups' problems come in the same answer as the shape's.
            { "path": "data.anexos[2]", "message": "no uploaded file 5 in this workspace" },
            { "path": "data.foto[0]", "message": "expected an image, got text/plain" },
            { "path": "data.foto[1]", "message": "expected an image, got application/octet-stream" },
            { "path": "data.foto[2]", "message": "no uploaded file 77 in this workspace" }
        ])),
    );
    create(json!({ "data": { "anexos": [{ "id": 1 }, { "id": theirs[0]["id"] }], "foto": [{ "id": 3 }, { "id": 4 }, { "id": 77 }] } }))
        .await
        .assert(
            400,
            validation(json!([
                { "path": "data.anexos[1]", "message": "no uploaded file 5 in this workspace" },
                { "path": "data.foto[0]", "message": "expected an image, got text/plain" },
                { "path": "data.foto[1]", "message": "expected an image, got application/octet-stream" },
                { "path": "data.foto[2]", "message": "no uploaded file 77 in this workspace" }
            ])),
        );
    // A file attached to one item cannot be attached to another.
    post(&app, &ana, "/ws/types/docs/items", json!({ "data": { "anexos": [{ "id": 1 }], "foto": [{ "id": 2 }] } }))
        .await;
    create(json!({ "data": { "anexos": [{ "id": 1 }] } })).await.assert(
        400,
        validation(json!([{ "path": "data.anexos[0]", "message": "file 1 is attached to another item" }])),
    );
    let _ = bia;
}

async fn upload_errors_are_clear_and_bounded(builder: TestAppBuilder) {
    let app = builder.config(|c| c.file_limit = 16).build().await;
    let (ana, _, _) = setup(&app).await;
    let send =
        |parts: &[(&str, Option<&str>, &[u8])]| app.post("/ws/files").key(&ana.key).ws("acme").multipart(parts).send();
    let too_large = send(&[("file", Some("ok.txt"), b"small"), ("file", Some("big.txt"), &[b'a'; 17])]).await;
    too_large.assert(
        413,
        json!({ "statusCode": 413, "error": "Payload Too Large", "message": "A file is larger than the limit of 16 bytes",
            "details": [{ "path": "file[1]", "message": "\"big.txt\" is too large" }] }),
    );
    send(&[("note", None, b"hi")]).await.assert(
        400,
        validation(json!([{ "path": "note", "message": "unknown part: only `file` parts are accepted" }])),
    );
    let eleven: Vec<(&str, Option<&str>, &[u8])> = (0..11).map(|_| ("file", Some("a"), b"a".as_slice())).collect();
    send(&eleven)
        .await
        .assert(400, validation(json!([{ "path": "file[10]", "message": "at most 10 files per request" }])));
    send(&[])
        .await
        .assert_error(400, "Expected a multipart/form-data body with one or more `file` parts: no file part");
    app.post("/ws/files")
        .key(&ana.key)
        .ws("acme")
        .json(&json!({}))
        .send()
        .await
        .assert_error(415, "Content-Type must be multipart/form-data with a boundary");
    // A refused request keeps nothing, not even the parts before the one that failed.
    let kept: i64 = app.db.fetch_one("SELECT COUNT(*) AS n FROM files", &[]).await.unwrap().i64("n").unwrap();
    assert_eq!(kept, 0);
    assert_eq!(app.stored_file_keys().await, Vec::<String>::new());

    // Viewers cannot upload.
    let vera = app.user("vera@example.com").await;
    app.add_member(1, vera.id, MemberType::Viewer, MemberStatus::Active).await;
    app.post("/ws/files")
        .key(&vera.key)
        .ws("acme")
        .multipart(&[("file", Some("a"), b"a")])
        .send()
        .await
        .assert_error(403, "Permission denied: upload files");
}
