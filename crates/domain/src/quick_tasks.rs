//! Quick tasks (spec/flows-and-tasks.md § Quick tasks): the values each key takes, the
//! completion rule, and the shape of `meta` for each type. A `form` task's answers are checked
//! against its form by the field-type catalogue where the item values are (not here).

use serde_json::{Map, Value};

use crate::{catalogue::FieldType, key::random_alphanumeric, Detail};

/// `type` [wire]; the first is the default.
pub const TYPES: [&str; 5] = ["generic", "form", "crud", "start", "approval"];
/// `status` [wire]; any status may move to any other.
pub const STATUSES: [&str; 4] = ["pending", "working", "blocked", "completed"];
/// `priority` [wire].
pub const PRIORITIES: [&str; 4] = ["low", "normal", "high", "urgent"];
pub const DEFAULT_PRIORITY: &str = "normal";
/// An `approval` task's `meta.decision` [ours].
pub const DECISIONS: [&str; 2] = ["approved", "rejected"];

/// A new task's `reference`: 32 characters from `[A-Za-z0-9]` [wire].
pub fn new_reference() -> String {
    random_alphanumeric(32)
}

/// A `details` entry unless `value` is one of `allowed`.
pub fn check_choice(details: &mut Vec<Detail>, path: &str, value: &str, allowed: &[&str]) {
    if !allowed.contains(&value) {
        details.push(Detail::new(path, format!("expected one of {}, got {value:?}", allowed.join(", "))));
    }
}

/// Who completed a task and when.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Completion {
    pub completed_at: Option<i64>,
    pub completed_by: Option<i64>,
}

/// The completion after a write that leaves the task in `status`: moving to `completed` sets
/// it to the caller and now — also for a task created completed, where the product leaves
/// both null [ours]; staying completed keeps it; any other status clears it.
/// `before`: the task's status and completion before the write (`None` on create).
pub fn completion(before: Option<(&str, Completion)>, status: &str, caller: i64, now: i64) -> Completion {
    match (before, status) {
        (Some(("completed", kept)), "completed") => kept,
        (_, "completed") => Completion { completed_at: Some(now), completed_by: Some(caller) },
        _ => Completion::default(),
    }
}

/// Checks `meta` for a task of `task_type` (one of [`TYPES`]): `generic` and `start` take `{}`;
/// `form` a `form` of field definitions (`refId`, `label`, `type` from the catalogue,
/// `required`, `options`) and maybe a `form_result` object; `crud` a `form` hash and maybe an
/// `itemReference`; `approval` maybe a `decision` and a `comment`. Every problem is a detail
/// under `meta`.
pub fn check_meta(details: &mut Vec<Detail>, task_type: &str, meta: &Map<String, Value>) {
    let allowed: &[&str] = match task_type {
        "form" => &["form", "form_result"],
        "crud" => &["form", "itemReference"],
        "approval" => &["decision", "comment"],
        _ => &[],
    };
    for key in meta.keys().filter(|k| !allowed.contains(&k.as_str())) {
        let expected = if allowed.is_empty() { "no keys".to_string() } else { allowed.join(", ") };
        details.push(Detail::new(
            format!("meta.{key}"),
            format!("is not a key of a {task_type} task's meta ({expected})"),
        ));
    }
    match task_type {
        "form" => {
            match meta.get("form") {
                Some(Value::Array(form)) => check_form(details, form),
                Some(_) => details.push(Detail::new("meta.form", "must be a list of field definitions")),
                None => details.push(Detail::new("meta.form", "is required for a form task")),
            }
            if meta.get("form_result").is_some_and(|r| !r.is_object() && !r.is_null()) {
                details.push(Detail::new("meta.form_result", "must be an object of answers by refId"));
            }
        }
        "crud" => {
            if !has_text(meta.get("form")) {
                details.push(Detail::new("meta.form", "is required for a crud task: the hash of a form"));
            }
            if meta.get("itemReference").is_some_and(|r| !r.is_string() && !r.is_null()) {
                details.push(Detail::new("meta.itemReference", "must be an item reference"));
            }
        }
        "approval" => {
            match meta.get("decision") {
                None | Some(Value::Null) => {}
                Some(Value::String(decision)) => check_choice(details, "meta.decision", decision, &DECISIONS),
                Some(_) => details.push(Detail::new("meta.decision", "must be approved or rejected")),
            }
            if meta.get("comment").is_some_and(|c| !c.is_string() && !c.is_null()) {
                details.push(Detail::new("meta.comment", "must be text"));
            }
        }
        _ => {}
    }
}

/// Whether `value` is text with something besides spaces.
fn has_text(value: Option<&Value>) -> bool {
    value.and_then(Value::as_str).is_some_and(|text| !text.trim().is_empty())
}

/// A form's field definitions: each an object with a unique `refId`, a `label`, a catalogue
/// `type`, a boolean `required` and a list of `options` when given.
fn check_form(details: &mut Vec<Detail>, form: &[Value]) {
    let mut seen: Vec<&str> = Vec::new();
    for (i, field) in form.iter().enumerate() {
        let at = |key: &str| format!("meta.form[{i}].{key}");
        let Some(field) = field.as_object() else {
            details.push(Detail::new(format!("meta.form[{i}]"), "must be a field definition object"));
            continue;
        };
        match field.get("refId").and_then(Value::as_str).map(str::trim) {
            Some(ref_id) if !ref_id.is_empty() => {
                if seen.contains(&ref_id) {
                    details.push(Detail::new(at("refId"), format!("{ref_id:?} is used twice in the form")));
                }
                seen.push(ref_id);
            }
            _ => details.push(Detail::new(at("refId"), "is required")),
        }
        if !has_text(field.get("label")) {
            details.push(Detail::new(at("label"), "is required"));
        }
        match field.get("type").and_then(Value::as_str) {
            Some(name) if FieldType::parse(name).is_some() => {}
            Some(name) => {
                details.push(Detail::new(at("type"), format!("{name:?} is not a field type of the catalogue")))
            }
            None => details.push(Detail::new(at("type"), "is required")),
        }
        if field.get("required").is_some_and(|r| !r.is_boolean()) {
            details.push(Detail::new(at("required"), "must be true or false"));
        }
        if field.get("options").is_some_and(|o| !o.is_array() && !o.is_null()) {
            details.push(Detail::new(at("options"), "must be a list"));
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn problems(task_type: &str, meta: Value) -> Vec<(String, String)> {
        let mut details = Vec::new();
        check_meta(&mut details, task_type, meta.as_object().unwrap());
        details.into_iter().map(|d| (d.path, d.message)).collect()
    }

    #[test]
    fn references_are_32_alphanumerics_and_differ() {
        let (a, b) = (new_reference(), new_reference());
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()), "{a}");
        assert_ne!(a, b);
    }

    #[test]
    fn completion_follows_every_status_pair() {
        let done = Completion { completed_at: Some(5), completed_by: Some(7) };
        let now = |by: i64| Completion { completed_at: Some(100), completed_by: Some(by) };
        for from in STATUSES {
            for to in STATUSES {
                let before = if from == "completed" { done } else { Completion::default() };
                let after = completion(Some((from, before)), to, 9, 100);
                let expected = match (from, to) {
                    ("completed", "completed") => done,
                    (_, "completed") => now(9),
                    _ => Completion::default(),
                };
                assert_eq!(after, expected, "{from} -> {to}");
            }
        }
        // Created completed: the creator, now (the product leaves both null).
        assert_eq!(completion(None, "completed", 3, 100), now(3));
        assert_eq!(completion(None, "pending", 3, 100), Completion::default());
    }

    #[test]
    fn choices_name_what_is_accepted() {
        let mut details = Vec::new();
        check_choice(&mut details, "status", "done", &STATUSES);
        check_choice(&mut details, "priority", "urgent", &PRIORITIES);
        assert_eq!(
            details,
            [Detail::new("status", "expected one of pending, working, blocked, completed, got \"done\"")]
        );
    }

    #[test]
    fn meta_is_checked_by_type() {
        assert_eq!(problems("generic", json!({})), []);
        assert_eq!(
            problems("generic", json!({ "x": 1 })),
            [("meta.x".to_string(), "is not a key of a generic task's meta (no keys)".to_string())]
        );
        let form = json!({ "form": [
            { "refId": "parecer", "label": "Parecer", "type": "EnTextArea", "required": true },
            { "refId": "nota", "label": "Nota", "type": "number" }
        ], "form_result": { "parecer": "ok" } });
        assert_eq!(problems("form", form), []);
        assert_eq!(
            problems(
                "form",
                json!({ "form": [
                { "refId": "a", "label": "A", "type": "EnTextArea" },
                { "refId": "a", "label": "", "type": "nope", "required": "yes" },
                "text"
            ] })
            ),
            [
                ("meta.form[1].refId".to_string(), "\"a\" is used twice in the form".to_string()),
                ("meta.form[1].label".to_string(), "is required".to_string()),
                ("meta.form[1].type".to_string(), "\"nope\" is not a field type of the catalogue".to_string()),
                ("meta.form[1].required".to_string(), "must be true or false".to_string()),
                ("meta.form[2]".to_string(), "must be a field definition object".to_string()),
            ]
        );
        assert_eq!(problems("form", json!({})), [("meta.form".to_string(), "is required for a form task".to_string())]);
        assert_eq!(problems("crud", json!({ "form": "f8a2", "itemReference": "ABC-1" })), []);
        assert_eq!(
            problems("crud", json!({ "itemReference": 4 })),
            [
                ("meta.form".to_string(), "is required for a crud task: the hash of a form".to_string()),
                ("meta.itemReference".to_string(), "must be an item reference".to_string()),
            ]
        );
        assert_eq!(problems("approval", json!({ "decision": "approved", "comment": "ok" })), []);
        assert_eq!(
            problems("approval", json!({ "decision": "maybe" })),
            [("meta.decision".to_string(), "expected one of approved, rejected, got \"maybe\"".to_string())]
        );
    }
}
