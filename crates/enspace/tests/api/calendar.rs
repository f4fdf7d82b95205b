//! The workspace calendar: its default, partial changes with every problem named, and the
//! holiday sync (Brazil's movable feasts computed here; a date already present keeps its name).

use enspace_domain::access::{MemberStatus, MemberType};
use enspace_testkit::{TestApp, TestUser};
use serde_json::{json, Value};

use crate::validation;

async fn acme() -> (TestApp, TestUser) {
    let app = TestApp::new().await;
    let ana = app.user("ana@example.com").await;
    app.workspace(&ana, "Acme").await;
    (app, ana)
}

#[tokio::test]
async fn a_new_workspace_has_the_default_calendar_every_member_reads() {
    let (app, ana) = acme().await;
    let bia = app.user("bia@example.com").await;
    app.add_member(1, bia.id, MemberType::Viewer, MemberStatus::Active).await;
    let default = json!({ "time_zone": "America/Sao_Paulo", "work_days": [1, 2, 3, 4, 5],
        "work_hours": [{ "start": "09:00", "end": "18:00" }], "holidays": [] });
    app.get("/ws/calendar").key(&ana.key).ws("acme").send().await.assert(200, default.clone());
    app.get("/ws/calendar").key(&bia.key).ws("acme").send().await.assert(200, default);
    app.put("/ws/calendar")
        .key(&bia.key)
        .ws("acme")
        .json(&json!({ "time_zone": "UTC" }))
        .send()
        .await
        .assert_error(403, "Permission denied: settings::system::manage");
}

#[tokio::test]
async fn a_change_replaces_the_parts_it_names_and_refuses_what_is_wrong() {
    let (app, ana) = acme().await;
    let put = |body: Value| app.put("/ws/calendar").key(&ana.key).ws("acme").json(&body).send();
    let changed = put(json!({ "time_zone": "America/New_York", "work_days": [1, 2, 3, 4, 5, 6],
        "work_hours": [{ "start": "08:00", "end": "12:00" }, { "start": "13:00", "end": "17:30" }],
        "holidays": [{ "date": "2026-12-25", "name": "Christmas" }, { "date": "2026-07-04", "name": "Independence" }] }))
    .await;
    let expected = json!({ "time_zone": "America/New_York", "work_days": [1, 2, 3, 4, 5, 6],
        "work_hours": [{ "start": "08:00", "end": "12:00" }, { "start": "13:00", "end": "17:30" }],
        "holidays": [{ "date": "2026-07-04", "name": "Independence" }, { "date": "2026-12-25", "name": "Christmas" }] });
    changed.assert(200, expected.clone());
    // A part left out stays.
    let only_zone = put(json!({ "time_zone": "Europe/Lisbon" })).await;
    assert_eq!(only_zone.status, 200);
    assert_eq!(only_zone.json()["holidays"], expected["holidays"]);
    assert_eq!(app.get("/ws/calendar").key(&ana.key).ws("acme").send().await.json()["time_zone"], "Europe/Lisbon");

    put(json!({ "time_zone": "Mars/Olympus" })).await.assert(
        400,
        validation(
            json!([{ "path": "time_zone", "message": "expected an IANA time zone name, got \"Mars/Olympus\"" }]),
        ),
    );
    put(json!({ "work_days": [] }))
        .await
        .assert(400, validation(json!([{ "path": "work_days", "message": "expected at least one working weekday" }])));
    put(json!({ "work_hours": [{ "start": "18:00", "end": "09:00" }] }))
        .await
        .assert(400, validation(json!([{ "path": "work_hours", "message": "interval 0 ends before it starts" }])));
    put(json!({ "holidays": [{ "date": "2026-12-25", "name": "a" }, { "date": "2026-12-25", "name": "b" }] }))
        .await
        .assert(400, validation(json!([{ "path": "holidays", "message": "2026-12-25 is listed twice" }])));
    put(json!({ "work_days": [1, 9], "holidays": [{ "date": "25/12/2026", "name": "Natal" }] }))
        .await
        .assert(400, validation(json!([{ "path": "holidays[0].date", "message": "expected a date YYYY-MM-DD" }])));
    // Nothing refused was stored.
    assert_eq!(app.get("/ws/calendar").key(&ana.key).ws("acme").send().await.json()["holidays"], expected["holidays"]);
}

#[tokio::test]
async fn the_holiday_sync_adds_a_years_national_holidays() {
    let (app, ana) = acme().await;
    let natal = json!({ "holidays": [{ "date": "2026-12-25", "name": "Natal da empresa" }] });
    assert_eq!(app.put("/ws/calendar").key(&ana.key).ws("acme").json(&natal).send().await.status, 200);
    let sync = |body: Value| app.post("/ws/calendar/holidays/sync").key(&ana.key).ws("acme").json(&body).send();
    let synced = sync(json!({ "country": "BR", "year": 2027 })).await;
    assert_eq!(synced.status, 200, "{}", synced.text());
    let synced = sync(json!({ "country": "br", "year": 2026 })).await;
    assert_eq!(synced.status, 200, "{}", synced.text());
    let holidays = synced.json()["holidays"].clone();
    let dates: Vec<&str> = holidays.as_array().unwrap().iter().map(|h| h["date"].as_str().unwrap()).collect();
    assert_eq!(dates.len(), 26);
    assert_eq!(&dates[..4], ["2026-01-01", "2026-02-16", "2026-02-17", "2026-04-03"]);
    assert!(holidays.as_array().unwrap().contains(&json!({ "date": "2026-12-25", "name": "Natal da empresa" })));
    assert!(holidays.as_array().unwrap().contains(&json!({ "date": "2027-05-27", "name": "Corpus Christi" })));
    // Again: nothing doubles.
    let again = sync(json!({ "country": "BR", "year": 2026 })).await;
    assert_eq!(again.json()["holidays"], holidays);

    sync(json!({ "country": "AR", "year": 2026 })).await.assert(
        400,
        validation(json!([{ "path": "country", "message": "expected a supported country (BR, US), got \"AR\"" }])),
    );
    sync(json!({ "country": "BR" }))
        .await
        .assert(400, validation(json!([{ "path": "year", "message": "is required" }])));
    sync(json!({ "country": "BR", "year": 1200 }))
        .await
        .assert(400, validation(json!([{ "path": "year", "message": "expected 1900 to 2199, got 1200" }])));
}
