//! Deadline notification settings (console-design §4.4.11): for quick tasks and for schedule
//! tasks, the three defaults or the workspace's own rules — when (± units of the due date),
//! subject and body with their placeholders — and the warning that nothing is sent without an
//! e-mail integration. Read and written through the API's own
//! `routes::notification_settings::{get, update}`.

use askama::Template;
use axum::{extract::State, http::StatusCode};
use enspace_api::{
    routes::notification_settings::{self, KindView, NotificationSettingsView},
    AppState,
};
use enspace_domain::Detail;
use serde_json::{json, Map, Value};

use super::{form_refusal, render, see_other, Page, Problem, Problems};
use crate::{
    context::{ConsoleWs, WsPosted},
    errors::{ConsoleError, PageResult},
    i18n::work::Work,
    session::FormPairs,
};

/// The two kinds of task, by their key in the settings.
const KINDS: [&str; 2] = ["quick_tasks", "scheduled_tasks"];
const UNITS: [&str; 4] = ["minutes", "hours", "days", "weeks"];

struct RuleRow {
    /// The inputs' names start with this (`quick_tasks.rules.0`).
    prefix: String,
    id: String,
    when: String,
    unit: String,
    subject: String,
    body: String,
    /// The empty row that adds a rule.
    new: bool,
}

struct KindForm {
    key: &'static str,
    title: &'static str,
    custom: bool,
    rules: Vec<RuleRow>,
}

#[derive(Template)]
#[template(path = "settings/notifications.html")]
struct NotificationsPage {
    page: Page,
    action: String,
    kinds: Vec<KindForm>,
    email_integration: bool,
    problems: Problems,
    units: &'static [&'static str],
}

fn kind_form(key: &'static str, title: &'static str, kind: &KindView) -> KindForm {
    let mut rules: Vec<RuleRow> = kind
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| RuleRow {
            prefix: format!("{key}.rules.{i}"),
            id: r.id.clone(),
            when: r.when.to_string(),
            unit: r.unit.clone(),
            subject: r.subject.clone(),
            body: r.body.clone(),
            new: false,
        })
        .collect();
    rules.push(RuleRow {
        prefix: format!("{key}.rules.{}", kind.rules.len()),
        id: String::new(),
        when: String::new(),
        unit: "days".to_string(),
        subject: String::new(),
        body: String::new(),
        new: true,
    });
    KindForm { key, title, custom: kind.custom, rules }
}

async fn page_of(
    state: &AppState,
    ws: &ConsoleWs,
    view: NotificationSettingsView,
    problems: Problems,
) -> Result<NotificationsPage, ConsoleError> {
    let t = ws.caller.locale.msg();
    let mut page = Page::signed_in(&ws.caller, t.work.notifications);
    page.nav = Some(ws.nav(state).await?);
    Ok(NotificationsPage {
        page,
        action: format!("/app/w/{}/settings/notifications", ws.ctx.workspace.reference),
        kinds: vec![
            kind_form(KINDS[0], t.quick_tasks, &view.quick_tasks),
            kind_form(KINDS[1], t.scheduled_tasks, &view.scheduled_tasks),
        ],
        email_integration: view.email_integration,
        problems,
        units: &UNITS,
    })
}

pub(crate) async fn page(State(state): State<AppState>, ws: ConsoleWs) -> PageResult {
    let view = notification_settings::get(&state, &ws.ctx).await?;
    render(StatusCode::OK, &page_of(&state, &ws, view, Problems::default()).await?)
}

/// The PUT body the form says: per kind, `custom` and its rules — every row with a subject or
/// a body (the empty "new" row is left out; a row marked for removal too). A rule keeps its id.
pub(crate) fn body_of(form: &FormPairs) -> Map<String, Value> {
    let mut body = Map::new();
    for kind in KINDS {
        let mut rules = Vec::new();
        for i in 0.. {
            let field = |name: &str| form.get(&format!("{kind}.rules.{i}.{name}")).map(str::trim);
            let Some(when) = field("when") else { break };
            let (subject, text) = (field("subject").unwrap_or_default(), field("body").unwrap_or_default());
            if field("remove").is_some() || (when.is_empty() && subject.is_empty() && text.is_empty()) {
                continue;
            }
            // A number the engine reads; anything else it refuses, naming the rule.
            let when = when.parse::<i64>().map_or_else(|_| Value::from(when), Value::from);
            let mut rule =
                json!({ "when": when, "unit": field("unit").unwrap_or_default(), "subject": subject, "body": text });
            if let Some(id) = field("id").filter(|id| !id.is_empty()) {
                rule["id"] = Value::from(id);
            }
            rules.push(rule);
        }
        let custom = form.get(&format!("{kind}.custom")).is_some();
        body.insert(kind.to_string(), json!({ "custom": custom, "rules": rules }));
    }
    body
}

fn problems_of(details: &[Detail], w: &Work) -> Problems {
    let list = details
        .iter()
        .map(|d| Problem {
            field: d.path.clone(),
            anchor: d.path.split('.').next().unwrap_or("main").replace('_', "-"),
            label: if d.path.starts_with("quick") { w.tasks.to_string() } else { w.notifications.to_string() },
            message: format!("{}: {}", d.path, d.message),
        })
        .collect();
    Problems { list }
}

pub(crate) async fn save(State(state): State<AppState>, posted: WsPosted) -> PageResult {
    let WsPosted { ws, form } = posted;
    let w = ws.caller.locale.msg().work;
    match notification_settings::update(&state, &ws.ctx, &body_of(&form)).await {
        Ok(_) => Ok(see_other(&format!("/app/w/{}/settings/notifications", ws.ctx.workspace.reference))),
        Err(error) => {
            let details = form_refusal(error)?;
            let view = notification_settings::get(&state, &ws.ctx).await?;
            let page = page_of(&state, &ws, view, problems_of(&details, w)).await?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_becomes_the_settings_body() {
        let pairs =
            |list: &[(&str, &str)]| FormPairs(list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect());
        let form = pairs(&[
            ("quick_tasks.custom", "on"),
            ("quick_tasks.rules.0.id", "r1"),
            ("quick_tasks.rules.0.when", "-2"),
            ("quick_tasks.rules.0.unit", "hours"),
            ("quick_tasks.rules.0.subject", "Vence em breve"),
            ("quick_tasks.rules.0.body", "{{task.name}}"),
            ("quick_tasks.rules.1.when", "1"),
            ("quick_tasks.rules.1.unit", "days"),
            ("quick_tasks.rules.1.subject", "x"),
            ("quick_tasks.rules.1.body", "y"),
            ("quick_tasks.rules.1.remove", "on"),
            ("quick_tasks.rules.2.when", ""),
            ("quick_tasks.rules.2.unit", "days"),
            ("quick_tasks.rules.2.subject", ""),
            ("quick_tasks.rules.2.body", ""),
            ("scheduled_tasks.rules.0.when", "soon"),
            ("scheduled_tasks.rules.0.unit", "days"),
            ("scheduled_tasks.rules.0.subject", "s"),
            ("scheduled_tasks.rules.0.body", "b"),
        ]);
        assert_eq!(
            Value::Object(body_of(&form)),
            json!({
                "quick_tasks": { "custom": true, "rules": [
                    { "id": "r1", "when": -2, "unit": "hours", "subject": "Vence em breve", "body": "{{task.name}}" }] },
                "scheduled_tasks": { "custom": false, "rules": [
                    { "when": "soon", "unit": "days", "subject": "s", "body": "b" }] },
            })
        );
    }
}
