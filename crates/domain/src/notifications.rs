//! Deadline notifications (spec/flows-and-tasks.md § Deadline notifications; decisions 59–62):
//! the workspace's rules per kind of task, the three defaults, when each rule falls due, the
//! order in which a task's notifications go out, and the emails' text.
//!
//! A task with a due date has one planned notification at a time: the first of its rules whose
//! time is still ahead. Sending it plans the next, so a task is one queued job, not one per
//! rule; a notification for a due date or a rule that no longer applies does nothing.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{calendar::Calendar, flow_run::render, key::random_alphanumeric, stage_tasks::placeholders, Detail};

/// `minutes`, `hours`, `days` or `weeks`: fixed lengths (a day is 24 hours, also across a
/// daylight-saving change).
pub const UNITS: [(&str, i64); 4] =
    [("minutes", 60_000), ("hours", 3_600_000), ("days", 86_400_000), ("weeks", 604_800_000)];

/// The kinds of task, as the settings name them.
pub const QUICK: &str = "quick_tasks";
pub const SCHEDULED: &str = "scheduled_tasks";

/// The three defaults' ids (decision 61).
pub const DEFAULT_IDS: [&str; 3] = ["default_before", "default_at", "default_after"];

/// At most this many rules per kind, and this far from the due date.
pub const MAX_RULES: usize = 10;
pub const MAX_WHEN: i64 = 1000;
const SUBJECT_MAX: usize = 300;
const BODY_MAX: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// The server's id of the rule: `default_*`, or given when the rule was made. A change of
    /// `when` or `unit` makes it a new rule (a new id): what was sent for the old timing is not
    /// "this rule" any more.
    pub id: String,
    /// Before (negative) or after (positive) the due date, in `unit`s.
    pub when: i64,
    pub unit: String,
    pub subject: String,
    pub body: String,
}

impl Rule {
    /// Its distance from the due date.
    pub fn offset_ms(&self) -> i64 {
        let unit = UNITS.iter().find(|(name, _)| *name == self.unit).map_or(0, |(_, ms)| *ms);
        self.when.saturating_mul(unit)
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct KindSettings {
    pub custom: bool,
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Settings {
    pub quick_tasks: KindSettings,
    pub scheduled_tasks: KindSettings,
}

impl Settings {
    pub fn of(&self, kind: &str) -> &KindSettings {
        if kind == QUICK {
            &self.quick_tasks
        } else {
            &self.scheduled_tasks
        }
    }

    /// The rules that apply to a kind: its custom rules (none sends nothing), or the defaults.
    /// Texts of the defaults are filled per recipient's language when sent.
    pub fn rules(&self, kind: &str) -> Vec<Rule> {
        let settings = self.of(kind);
        if settings.custom {
            return settings.rules.clone();
        }
        DEFAULT_IDS
            .iter()
            .zip([-1, 0, 1])
            .map(|(id, when)| Rule {
                id: id.to_string(),
                when,
                unit: "days".into(),
                subject: String::new(),
                body: String::new(),
            })
            .collect()
    }
}

/// The first of `rules` (by time) whose moment for a task due at `due` is after `not_before`
/// and after `now`: what to plan next. Answers the rule and its moment.
pub fn next_rule(rules: &[Rule], due: i64, not_before: Option<i64>, now: i64) -> Option<(&Rule, i64)> {
    rules
        .iter()
        .map(|rule| (rule, due.saturating_add(rule.offset_ms())))
        .filter(|(_, at)| *at > now && not_before.is_none_or(|after| *at > after))
        .min_by_key(|(rule, at)| (*at, rule.id.clone()))
}

/// Checks a PUT body over the stored settings: each kind `{custom, rules}`; each rule
/// `{id?, when*, unit*, subject*, body*}`. Rules keep their id when they name one of the kind's
/// and keep its timing; anything else gets a new id. `email_integration` is read-only and
/// ignored. Every problem is reported at once.
pub fn check_settings(body: &Map<String, Value>, stored: &Settings) -> Result<Settings, Vec<Detail>> {
    let mut details = Vec::new();
    let mut out = stored.clone();
    for key in body.keys() {
        if ![QUICK, SCHEDULED, "email_integration"].contains(&key.as_str()) {
            details.push(Detail::new(key, "expected quick_tasks, scheduled_tasks"));
        }
    }
    for kind in [QUICK, SCHEDULED] {
        let Some(given) = body.get(kind) else { continue };
        let Some(given) = given.as_object() else {
            details.push(Detail::new(kind, "must be an object {custom, rules}"));
            continue;
        };
        let old = stored.of(kind);
        let mut settings = old.clone();
        for key in given.keys().filter(|k| !["custom", "rules"].contains(&k.as_str())) {
            details.push(Detail::new(format!("{kind}.{key}"), "expected custom or rules"));
        }
        match given.get("custom") {
            None => {}
            Some(Value::Bool(custom)) => settings.custom = *custom,
            Some(_) => details.push(Detail::new(format!("{kind}.custom"), "must be true or false")),
        }
        match given.get("rules") {
            None => {}
            Some(Value::Array(rules)) => {
                if rules.len() > MAX_RULES {
                    details.push(Detail::new(format!("{kind}.rules"), format!("at most {MAX_RULES} rules")));
                }
                settings.rules = rules
                    .iter()
                    .enumerate()
                    .filter_map(|(i, rule)| check_rule(&mut details, &format!("{kind}.rules[{i}]"), rule, &old.rules))
                    .collect();
            }
            Some(_) => details.push(Detail::new(format!("{kind}.rules"), "must be a list of rules")),
        }
        if kind == QUICK {
            out.quick_tasks = settings;
        } else {
            out.scheduled_tasks = settings;
        }
    }
    if details.is_empty() {
        Ok(out)
    } else {
        Err(details)
    }
}

fn check_rule(details: &mut Vec<Detail>, path: &str, rule: &Value, old: &[Rule]) -> Option<Rule> {
    let start = details.len();
    let Some(rule) = rule.as_object() else {
        details.push(Detail::new(path, "must be a rule {when, unit, subject, body}"));
        return None;
    };
    for key in rule.keys().filter(|k| !["id", "when", "unit", "subject", "body"].contains(&k.as_str())) {
        details.push(Detail::new(format!("{path}.{key}"), "expected id, when, unit, subject or body"));
    }
    let when = match rule.get("when").map(Value::as_i64) {
        Some(Some(when)) if when.abs() <= MAX_WHEN => when,
        Some(Some(_)) | Some(None) => {
            details.push(Detail::new(
                format!("{path}.when"),
                format!("must be a whole number from -{MAX_WHEN} to {MAX_WHEN}"),
            ));
            0
        }
        None => {
            details.push(Detail::new(format!("{path}.when"), "is required"));
            0
        }
    };
    let unit = match rule.get("unit").and_then(Value::as_str) {
        Some(unit) if UNITS.iter().any(|(u, _)| *u == unit) => unit.to_string(),
        other => {
            let got = other.map(|u| format!(", got {u:?}")).unwrap_or_default();
            details.push(Detail::new(format!("{path}.unit"), format!("expected minutes, hours, days or weeks{got}")));
            String::new()
        }
    };
    let mut text = |key: &str, max: usize| match rule.get(key).and_then(Value::as_str).map(str::trim) {
        Some(value) if !value.is_empty() && value.chars().count() <= max => value.to_string(),
        Some(value) if !value.is_empty() => {
            details.push(Detail::new(format!("{path}.{key}"), format!("must be at most {max} characters")));
            String::new()
        }
        _ => {
            details.push(Detail::new(format!("{path}.{key}"), "is required"));
            String::new()
        }
    };
    let subject = text("subject", SUBJECT_MAX);
    let body = text("body", BODY_MAX);
    for (key, value) in [("subject", &subject), ("body", &body)] {
        for name in placeholders(value) {
            if !is_placeholder(name) {
                details.push(Detail::new(
                    format!("{path}.{key}"),
                    format!("unknown placeholder {{{{{name}}}}}: expected reference, data.<refId>, task.name or task.due_date"),
                ));
            }
        }
    }
    if details.len() > start {
        return None;
    }
    let kept = rule
        .get("id")
        .and_then(Value::as_str)
        .and_then(|id| old.iter().find(|r| r.id == id))
        .filter(|r| r.when == when && r.unit == unit)
        .map(|r| r.id.clone());
    Some(Rule { id: kept.unwrap_or_else(|| format!("r{}", random_alphanumeric(11))), when, unit, subject, body })
}

fn is_placeholder(name: &str) -> bool {
    matches!(name, "reference" | "task.name" | "task.due_date")
        || name.strip_prefix("data.").is_some_and(|r| !r.is_empty())
}

/// The text of the three defaults in `language` (`pt`, `en`, `es`): (subject, body).
pub fn default_text(rule_id: &str, language: &str) -> (&'static str, &'static str) {
    match (language, rule_id) {
        ("en", "default_before") => {
            ("Due tomorrow: {{task.name}}", "The task \"{{task.name}}\" is due on {{task.due_date}}.")
        }
        ("en", "default_at") => {
            ("Due now: {{task.name}}", "The task \"{{task.name}}\" is due now ({{task.due_date}}).")
        }
        ("en", _) => {
            ("Overdue: {{task.name}}", "The task \"{{task.name}}\" was due on {{task.due_date}} and is still open.")
        }
        ("es", "default_before") => {
            ("Vence mañana: {{task.name}}", "La tarea \"{{task.name}}\" vence el {{task.due_date}}.")
        }
        ("es", "default_at") => {
            ("Vence ahora: {{task.name}}", "La tarea \"{{task.name}}\" vence ahora ({{task.due_date}}).")
        }
        ("es", _) => {
            ("Atrasada: {{task.name}}", "La tarea \"{{task.name}}\" venció el {{task.due_date}} y sigue abierta.")
        }
        (_, "default_before") => {
            ("Vence amanhã: {{task.name}}", "A tarefa \"{{task.name}}\" vence em {{task.due_date}}.")
        }
        (_, "default_at") => {
            ("Vence agora: {{task.name}}", "A tarefa \"{{task.name}}\" vence agora ({{task.due_date}}).")
        }
        (_, _) => {
            ("Atrasada: {{task.name}}", "A tarefa \"{{task.name}}\" venceu em {{task.due_date}} e continua aberta.")
        }
    }
}

/// A due date as people of `language` read it, in the workspace's zone: `23/09/2026 12:00`
/// (pt, es) or `2026-09-23 12:00` (en).
pub fn due_text(due: i64, language: &str, calendar: &Calendar) -> String {
    let local = calendar.local_text(due).unwrap_or_default();
    match (language, local.split_once(' ')) {
        ("en", _) | (_, None) => local,
        (_, Some((date, time))) => {
            let parts: Vec<&str> = date.split('-').collect();
            match parts.as_slice() {
                [y, m, d] => format!("{d}/{m}/{y} {time}"),
                _ => local,
            }
        }
    }
}

/// What a notification's text is filled from.
pub struct Filling<'a> {
    pub task_name: &'a str,
    pub due_text: &'a str,
    /// The item's reference, or empty.
    pub reference: &'a str,
    /// The item's values the recipient may read (none for an outside address).
    pub data: &'a Map<String, Value>,
}

/// Fills a subject or body: `{{task.name}}`, `{{task.due_date}}`, then `sendmail`'s
/// `{{reference}}` and `{{data.<refId>}}`.
pub fn fill(template: &str, filling: &Filling<'_>, calendar: &Calendar) -> String {
    let mut out = template.to_string();
    for (name, value) in [("task.name", filling.task_name), ("task.due_date", filling.due_text)] {
        for written in [format!("{{{{{name}}}}}"), format!("{{{{ {name} }}}}")] {
            out = out.replace(&written, value);
        }
    }
    render(&out, filling.reference, filling.data, calendar)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn rule(id: &str, when: i64, unit: &str) -> Rule {
        Rule { id: id.into(), when, unit: unit.into(), subject: "s".into(), body: "b".into() }
    }

    #[test]
    fn the_defaults_fall_a_day_before_at_and_a_day_after() {
        let settings = Settings::default();
        let rules = settings.rules(QUICK);
        let offsets: Vec<(&str, i64)> = rules.iter().map(|r| (r.id.as_str(), r.offset_ms())).collect();
        assert_eq!(offsets, [("default_before", -86_400_000), ("default_at", 0), ("default_after", 86_400_000)]);
        let custom = Settings { scheduled_tasks: KindSettings { custom: true, rules: vec![] }, ..Settings::default() };
        assert_eq!(custom.rules(SCHEDULED), []);
        assert_eq!(custom.rules(QUICK).len(), 3);
    }

    #[test]
    fn the_next_rule_is_the_first_still_ahead() {
        let rules = Settings::default().rules(QUICK);
        let due = 10 * 86_400_000;
        let day = 86_400_000;
        let next = |not_before, now| next_rule(&rules, due, not_before, now).map(|(r, at)| (r.id.clone(), at));
        assert_eq!(next(None, 0), Some(("default_before".into(), due - day)));
        // Past moments are skipped (decision 61).
        assert_eq!(next(None, due - day), Some(("default_at".into(), due)));
        assert_eq!(next(Some(due), 0), Some(("default_after".into(), due + day)));
        assert_eq!(next(None, due + day), None);
        let two = [rule("a", -2, "hours"), rule("b", 30, "minutes")];
        assert_eq!(next_rule(&two, due, None, 0).map(|(r, _)| r.id.as_str()), Some("a"));
    }

    #[test]
    fn settings_are_checked_and_rules_keep_their_ids() {
        let stored = Settings::default();
        let body = json!({ "quick_tasks": { "custom": true, "rules": [
            { "when": -2, "unit": "hours", "subject": "Vence: {{task.name}}", "body": "Em {{task.due_date}} ({{data.valor}})" }
        ] }, "email_integration": true });
        let checked = check_settings(body.as_object().unwrap(), &stored).unwrap();
        let made = &checked.quick_tasks.rules[0];
        assert!(made.id.starts_with('r') && made.id.len() == 12, "{}", made.id);
        assert_eq!(checked.scheduled_tasks, stored.scheduled_tasks);
        // The same id and timing keep the id; a new timing is a new rule.
        let again = json!({ "quick_tasks": { "rules": [
            { "id": made.id, "when": -2, "unit": "hours", "subject": "Outro", "body": "b" },
            { "id": made.id, "when": -3, "unit": "hours", "subject": "s", "body": "b" }
        ] } });
        let kept = check_settings(again.as_object().unwrap(), &checked).unwrap();
        assert_eq!(kept.quick_tasks.rules[0].id, made.id);
        assert_ne!(kept.quick_tasks.rules[1].id, made.id);
        assert!(kept.quick_tasks.custom);

        let bad = json!({ "quick_tasks": { "custom": "yes", "rules": [
            { "when": 1.5, "unit": "months", "subject": "", "body": "{{item.x}}" }
        ] }, "other": 1 });
        let problems: Vec<(String, String)> = check_settings(bad.as_object().unwrap(), &stored)
            .unwrap_err()
            .into_iter()
            .map(|d| (d.path, d.message))
            .collect();
        assert_eq!(
            problems,
            [
                ("other".to_string(), "expected quick_tasks, scheduled_tasks".to_string()),
                ("quick_tasks.custom".to_string(), "must be true or false".to_string()),
                ("quick_tasks.rules[0].when".to_string(), "must be a whole number from -1000 to 1000".to_string()),
                (
                    "quick_tasks.rules[0].unit".to_string(),
                    "expected minutes, hours, days or weeks, got \"months\"".to_string()
                ),
                ("quick_tasks.rules[0].subject".to_string(), "is required".to_string()),
                (
                    "quick_tasks.rules[0].body".to_string(),
                    "unknown placeholder {{item.x}}: expected reference, data.<refId>, task.name or task.due_date"
                        .to_string()
                ),
            ]
        );
    }

    #[test]
    fn texts_are_filled_in_the_recipients_language_and_the_workspaces_zone() {
        let calendar = Calendar::default(); // America/Sao_Paulo
        let due = crate::time::parse_instant("2026-09-23T15:00:00Z").unwrap();
        assert_eq!(due_text(due, "pt", &calendar), "23/09/2026 12:00");
        assert_eq!(due_text(due, "en", &calendar), "2026-09-23 12:00");
        let data = json!({ "valor": 10 }).as_object().cloned().unwrap();
        let due_shown = due_text(due, "pt", &calendar);
        let filling = Filling { task_name: "Ligar", due_text: &due_shown, reference: "CON1", data: &data };
        let (subject, body) = default_text("default_before", "pt");
        assert_eq!(fill(subject, &filling, &calendar), "Vence amanhã: Ligar");
        assert_eq!(fill(body, &filling, &calendar), "A tarefa \"Ligar\" vence em 23/09/2026 12:00.");
        assert_eq!(fill("{{reference}} {{data.valor}} {{data.x}}", &filling, &calendar), "CON1 10 ");
        assert_eq!(default_text("default_after", "en").0, "Overdue: {{task.name}}");
    }
}
