//! The OpenAPI document covers every route, each documented route is served, and the document
//! is snapshot-tested so that any change to the API surface is reviewed.

use std::collections::BTreeSet;

use enspace_testkit::TestApp;
use serde_json::Value;

/// Every route of the spec this milestone implements, plus the operational ones.
const SPEC_ROUTES: &[(&str, &str)] = &[
    ("get", "/workspaces"),
    ("get", "/workspaces/count"),
    ("post", "/workspaces"),
    ("get", "/ws"),
    ("put", "/ws"),
    ("delete", "/ws"),
    ("post", "/ws/leave"),
    ("get", "/ws/stats"),
    ("get", "/ws/deletion-preview"),
    ("get", "/user"),
    ("put", "/user"),
    ("get", "/user-api-keys"),
    ("get", "/user-api-keys/count"),
    ("post", "/user-api-keys"),
    ("delete", "/user-api-keys/{reference}"),
    ("get", "/user/request-logs"),
    ("get", "/user/request-logs/count"),
    ("get", "/ws/types"),
    ("get", "/ws/types/count"),
    ("post", "/ws/types"),
    ("get", "/ws/types/{slug}"),
    ("put", "/ws/types/{slug}"),
    ("delete", "/ws/types/{slug}"),
    ("get", "/ws/types/{slug}/fields"),
    ("post", "/ws/types/{slug}/fields"),
    ("get", "/ws/types/{slug}/fields/{fieldId}"),
    ("put", "/ws/types/{slug}/fields/{fieldId}"),
    ("delete", "/ws/types/{slug}/fields/{fieldId}"),
    ("get", "/ws/types/{slug}/items"),
    ("get", "/ws/types/{slug}/items/count"),
    ("post", "/ws/types/{slug}/items"),
    ("post", "/ws/types/{slug}/items/bulk"),
    ("get", "/ws/types/{slug}/items/{reference}"),
    ("put", "/ws/types/{slug}/items/{reference}"),
    ("delete", "/ws/types/{slug}/items/{reference}"),
    ("get", "/ws/types/{slug}/items/{reference}/history"),
    ("get", "/ws/types/{slug}/forms"),
    ("post", "/ws/types/{slug}/forms"),
    ("get", "/ws/types/{slug}/forms/create"),
    ("get", "/ws/types/{slug}/forms/{id}"),
    ("put", "/ws/types/{slug}/forms/{id}"),
    ("delete", "/ws/types/{slug}/forms/{id}"),
    ("get", "/public/forms/{hash}"),
    ("post", "/public/forms/{hash}/answer"),
    ("post", "/ws/files"),
    ("get", "/ws/files/{id}"),
    ("get", "/ws/roles"),
    ("get", "/ws/roles/count"),
    ("post", "/ws/roles"),
    ("get", "/ws/roles/{roleId}"),
    ("put", "/ws/roles/{roleId}"),
    ("delete", "/ws/roles/{roleId}"),
    ("get", "/ws/roles/{roleId}/permissions"),
    ("post", "/ws/roles/{roleId}/permissions"),
    ("delete", "/ws/roles/{roleId}/permissions/{permissionId}"),
    ("get", "/ws/members"),
    ("get", "/ws/members/count"),
    ("post", "/ws/members"),
    ("get", "/ws/members/{memberId}"),
    ("put", "/ws/members/{memberId}"),
    ("delete", "/ws/members/{memberId}"),
    ("get", "/ws/member-groups"),
    ("get", "/ws/member-groups/count"),
    ("post", "/ws/member-groups"),
    ("get", "/ws/member-groups/{groupId}"),
    ("put", "/ws/member-groups/{groupId}"),
    ("delete", "/ws/member-groups/{groupId}"),
    ("post", "/ws/member-groups/{groupId}/add-users"),
    ("post", "/ws/member-groups/{groupId}/remove-users"),
    ("post", "/auth/login"),
    ("post", "/auth/logout"),
    ("post", "/auth/accept-invite"),
    ("get", "/integrations/catalog"),
    ("get", "/integrations"),
    ("post", "/integrations"),
    ("get", "/integrations/{id}"),
    ("put", "/integrations/{id}"),
    ("delete", "/integrations/{id}"),
    ("post", "/integrations/{id}/test"),
    ("post", "/integrations/{id}/chat"),
    ("get", "/ws/emails"),
    ("post", "/ws/emails"),
    ("get", "/ws/emails/{id}"),
    ("get", "/ws/conversations"),
    ("get", "/ws/conversations/{id}"),
    ("get", "/ws/conversations/{id}/messages"),
    ("post", "/ws/conversations/{id}/messages"),
    ("post", "/ws/conversations/{id}/close"),
    ("post", "/webhooks/whatsapp_twilio/{integrationId}"),
    ("post", "/webhooks/whatsapp_twilio/{integrationId}/status"),
    ("post", "/webhooks/docusign"),
    ("post", "/webhooks/clicksign"),
    ("post", "/webhooks/d4sign"),
    ("get", "/webhooks/adobe_sign"),
    ("post", "/webhooks/adobe_sign"),
    ("post", "/webhooks/certisign/{token}"),
    ("post", "/integrations/{id}/signature-requests"),
    ("get", "/ws/signature-requests"),
    ("get", "/ws/signature-requests/{id}"),
    ("get", "/ws/signature-requests/{id}/document"),
    ("post", "/ws/signature-requests/{id}/attach"),
    ("get", "/ws/events"),
    ("get", "/ws/events/stream"),
    ("get", "/c-type-flows"),
    ("post", "/c-type-flows"),
    ("get", "/c-type-flows/count"),
    ("get", "/c-type-flows/{id}"),
    ("put", "/c-type-flows/{id}"),
    ("delete", "/c-type-flows/{id}"),
    ("get", "/c-flow-stages"),
    ("post", "/c-flow-stages"),
    ("get", "/c-flow-stages/count"),
    ("get", "/c-flow-stages/{id}"),
    ("put", "/c-flow-stages/{id}"),
    ("delete", "/c-flow-stages/{id}"),
    ("get", "/c-flow-transitions"),
    ("post", "/c-flow-transitions"),
    ("get", "/c-flow-transitions/count"),
    ("get", "/c-flow-transitions/{id}"),
    ("put", "/c-flow-transitions/{id}"),
    ("delete", "/c-flow-transitions/{id}"),
    ("get", "/c-stage-tasks"),
    ("post", "/c-stage-tasks"),
    ("get", "/c-stage-tasks/count"),
    ("get", "/c-stage-tasks/{id}"),
    ("put", "/c-stage-tasks/{id}"),
    ("delete", "/c-stage-tasks/{id}"),
    ("get", "/c-responsibility-rules"),
    ("post", "/c-responsibility-rules"),
    ("get", "/c-responsibility-rules/count"),
    ("get", "/c-responsibility-rules/{id}"),
    ("put", "/c-responsibility-rules/{id}"),
    ("delete", "/c-responsibility-rules/{id}"),
    ("get", "/c-flow-items"),
    ("get", "/c-flow-items/count"),
    ("get", "/c-flow-items/{id}"),
    ("get", "/c-flow-item-tasks"),
    ("get", "/c-flow-item-tasks/count"),
    ("get", "/c-flow-item-tasks/in-charge"),
    ("get", "/c-flow-item-tasks/in-charge/count"),
    ("get", "/c-flow-item-tasks/{id}"),
    ("post", "/c-flow-item-tasks/{id}/assign"),
    ("put", "/c-flow-item-tasks/{id}/complete"),
    ("delete", "/c-flow-item-tasks/{id}"),
    ("get", "/ws/tasks"),
    ("get", "/ws/tasks/count"),
    ("post", "/ws/tasks"),
    ("get", "/ws/tasks/{id}"),
    ("put", "/ws/tasks/{id}"),
    ("delete", "/ws/tasks/{id}"),
    ("get", "/ws/notification-settings"),
    ("put", "/ws/notification-settings"),
    ("get", "/ws/calendar"),
    ("put", "/ws/calendar"),
    ("post", "/ws/calendar/holidays/sync"),
    ("get", "/ws/webhooks"),
    ("post", "/ws/webhooks"),
    ("get", "/ws/webhooks/count"),
    ("get", "/ws/webhooks/{id}"),
    ("put", "/ws/webhooks/{id}"),
    ("delete", "/ws/webhooks/{id}"),
    ("post", "/ws/webhooks/{id}/rotate-secret"),
    ("get", "/ws/webhooks/{id}/deliveries"),
    ("get", "/ws/webhooks/{id}/deliveries/count"),
    ("post", "/ws/webhooks/{id}/test"),
    ("get", "/health"),
    ("get", "/ready"),
    ("get", "/metrics"),
];

fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            out.insert((method.clone(), path.clone()));
        }
    }
    out
}

#[tokio::test]
async fn every_route_is_documented_and_every_documented_route_is_served() {
    let app = TestApp::new().await;
    let response = app.get("/openapi.json").send().await;
    assert_eq!(response.status, 200);
    let doc = response.json();
    assert_eq!(doc["openapi"], "3.1.0");
    let documented = operations(&doc);
    let expected: BTreeSet<(String, String)> =
        SPEC_ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    assert_eq!(documented, expected, "the documented routes differ from the spec's");
    for (method, path) in &documented {
        let concrete = path
            .replace("{reference}", "AAAAAAAAAAAAAAAA")
            .replace("{slug}", "nope")
            .replace("{fieldId}", "1")
            .replace("{id}", "1")
            .replace("{roleId}", "1")
            .replace("{permissionId}", "1")
            .replace("{memberId}", "1")
            .replace("{groupId}", "1")
            .replace("{integrationId}", "1")
            .replace("{hash}", "0123456789abcdef0123456789abcdef");
        let response = app.request(&method.to_uppercase(), &concrete).send().await;
        assert_ne!(response.status, 405, "{method} {path} is documented but not routed");
        assert!(!response.text().contains("Route not found"), "{method} {path} is documented but not routed");
    }
    // The CLI prints the same document.
    assert_eq!(serde_json::to_value(enspace_api::openapi()).unwrap(), doc);
}

#[test]
fn the_document_matches_its_snapshot() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/snapshots/openapi.json");
    let current = serde_json::to_string_pretty(&enspace_api::openapi()).unwrap() + "\n";
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(path, &current).unwrap();
    }
    let stored = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        stored == current,
        "the OpenAPI document changed: review it and run `UPDATE_SNAPSHOTS=1 cargo test -p enspace --test api openapi` \
         to accept the change"
    );
}

/// Every operation lists the answers it shares with others (the full check against a running
/// server is Schemathesis in `.ci/contract-check`): a missing `en-workspace` is a documented
/// 400, an unknown key a documented 401, an oversized or mistyped JSON body a documented 413 or
/// 415, and every error answer has the error body's schema.
#[test]
fn every_operation_documents_the_answers_it_shares() {
    let doc = serde_json::to_value(enspace_api::openapi()).unwrap();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            let has = |status: &str| responses.contains_key(status);
            let name = format!("{method} {path}");
            assert!(has("429"), "{name}: 429");
            let in_workspace = operation["parameters"]
                .as_array()
                .is_some_and(|p| p.iter().any(|p| p["name"] == "en-workspace" && p["in"] == "header"));
            if in_workspace {
                assert!(has("400") && has("404"), "{name}: the workspace header's 400 and 404");
            }
            if operation["security"].as_array().is_some_and(|s| !s.is_empty()) {
                assert!(has("401") && has("403"), "{name}: 401 and 403");
            }
            if operation["requestBody"]["content"].get("application/json").is_some() {
                assert!(has("400") && has("413") && has("415"), "{name}: a JSON body's 400, 413 and 415");
            }
            for (status, response) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    let schema = &response["content"]["application/json"]["schema"]["$ref"];
                    assert_eq!(schema, "#/components/schemas/ErrorBody", "{name}: {status}");
                }
            }
            // Counts are JSON numbers, not text.
            if path.ends_with("/count") {
                assert!(responses["200"]["content"].get("application/json").is_some(), "{name}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 104, "{checked}");
}
