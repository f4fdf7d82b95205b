//! Quick tasks (spec/flows-and-tasks.md § Quick tasks): the values each key takes, the
//! completion rule, the shape of `meta` for each type (a `form` task's questions are field
//! definitions of the catalogue, its answers checked by the catalogue's value checks), and who
//! may change what. What needs the database — members, items, forms — is the engine's.

use serde_json::{Map, Value};

use crate::{
    catalogue::Shape,
    fields::{check_field, FieldDef, FieldDraft},
    key::random_alphanumeric,
    values::{check_data, CheckedData, Mode},
    Detail,
};

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

/// Checks `meta` for a task of `task_type` (one of [`TYPES`], decision 54): `form` takes a
/// `form` of field definitions (`refId`, `label`, `type` from the catalogue, `required`,
/// `options`, `config`, `nested`) and maybe a `form_result` object; `crud` a `form` hash and
/// maybe an `itemReference`; `approval` maybe a `decision` and a `comment`; `generic` and
/// `start` nothing in particular. Other keys are kept as they are: meta is an open bag that
/// automations write into. Every problem is a detail under `meta`; answers the form's fields
/// as checked definitions (empty unless `form`).
pub fn check_meta(details: &mut Vec<Detail>, task_type: &str, meta: &Map<String, Value>) -> CheckedForm {
    let mut form = CheckedForm::default();
    match task_type {
        "form" => {
            match meta.get("form") {
                Some(Value::Array(list)) if !list.is_empty() => form = check_form(details, list),
                Some(Value::Array(_)) => details.push(Detail::new("meta.form", "needs at least one field")),
                Some(_) => details.push(Detail::new("meta.form", "must be a list of field definitions")),
                None => details.push(Detail::new("meta.form", "is required for a form task")),
            }
            if meta.get("form_result").is_some_and(|r| !r.is_object() && !r.is_null()) {
                details.push(Detail::new("meta.form_result", "must be an object of answers by refId"));
            }
            if meta.get("itemReference").is_some_and(|r| !r.is_string() && !r.is_null()) {
                details.push(Detail::new("meta.itemReference", "must be an item reference"));
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
    form
}

/// A `form` task's questions as field definitions, and the relations among them to resolve
/// against the workspace's types: (path, type slug, display field).
#[derive(Debug, Clone, Default)]
pub struct CheckedForm {
    pub fields: Vec<FieldDef>,
    pub relations: Vec<(String, String, Option<String>)>,
}

/// Whether `value` is text with something besides spaces.
fn has_text(value: Option<&Value>) -> bool {
    value.and_then(Value::as_str).is_some_and(|text| !text.trim().is_empty())
}

/// A form's questions, each checked as a field definition of the catalogue (the same checks
/// as a type's field) with a unique `refId`. Types the server writes and file types are
/// refused: a task's answers live in its meta, and files belong to an item.
fn check_form(details: &mut Vec<Detail>, form: &[Value]) -> CheckedForm {
    let mut out = CheckedForm::default();
    for (i, question) in form.iter().enumerate() {
        let prefix = format!("meta.form[{i}].");
        let Some(question) = question.as_object() else {
            details.push(Detail::new(format!("meta.form[{i}]"), "must be a field definition object"));
            continue;
        };
        let ref_id = question.get("refId").and_then(Value::as_str).map(str::trim).unwrap_or_default();
        if ref_id.is_empty() {
            details.push(Detail::new(format!("{prefix}refId"), "is required"));
            continue;
        }
        if out.fields.iter().any(|f| f.ref_id == ref_id) {
            details.push(Detail::new(format!("{prefix}refId"), format!("{ref_id:?} is used twice in the form")));
            continue;
        }
        if !has_text(question.get("label")) {
            details.push(Detail::new(format!("{prefix}label"), "is required"));
            continue;
        }
        if question.get("required").is_some_and(|r| !r.is_boolean()) {
            details.push(Detail::new(format!("{prefix}required"), "must be true or false"));
            continue;
        }
        match check_field(draft_of(question), None, &prefix) {
            Ok(checked) => {
                let kind = checked.def.field_type;
                let refused = !kind.client_writable()
                    || matches!(kind.shape(), Shape::Files)
                    || checked.def.nested.iter().any(|c| !c.field_type.client_writable() || c.shape() == Shape::Files);
                if refused {
                    details.push(Detail::new(
                        format!("{prefix}type"),
                        format!(
                            "{} cannot be a question of a task's form: its values are files or written by the server",
                            kind.key()
                        ),
                    ));
                    continue;
                }
                out.relations.extend(checked.relations);
                out.fields.push(checked.def);
            }
            // The field checks name a refId problem under its other spelling, `slug`.
            Err(problems) => details.extend(problems.into_iter().map(|d| match d.path.strip_suffix("slug") {
                Some(head) => Detail::new(format!("{head}refId"), d.message),
                None => d,
            })),
        }
    }
    out
}

/// A question's definition as a field draft: only the keys a form question has.
fn draft_of(question: &Map<String, Value>) -> FieldDraft {
    let text = |key: &str| question.get(key).and_then(Value::as_str).map(str::to_string);
    let object = |key: &str| question.get(key).and_then(Value::as_object).cloned();
    FieldDraft {
        label: text("label"),
        ref_id: text("refId").map(|r| r.trim().to_string()),
        field_type: Some(text("type").unwrap_or_default()),
        required: question.get("required").and_then(Value::as_bool),
        options: question.get("options").filter(|o| !o.is_null()).cloned(),
        config: object("config"),
        opt_config: object("opt_config"),
        nested: question
            .get("nested")
            .and_then(Value::as_array)
            .map(|children| children.iter().filter_map(Value::as_object).map(draft_of).collect()),
        ..FieldDraft::default()
    }
}

/// Checks a `form` task's answers against its questions with the catalogue's value checks:
/// keys must be questions, values must suit their type, and — only when the task is being
/// completed — required questions must be answered (decision 54). Paths are
/// `meta.form_result.<refId>`. Answers what passed (relations still to resolve).
pub fn check_form_result(
    form: &[FieldDef],
    result: &Map<String, Value>,
    completing: bool,
) -> (CheckedData, Vec<Detail>) {
    let (checked, problems) = check_data(form, result, &Map::new(), Mode::Update, !completing, &[]);
    let details = problems
        .into_iter()
        .map(|d| {
            let key = d.path.strip_prefix("data.").unwrap_or(&d.path).to_string();
            let message = if form.iter().any(|f| key == f.ref_id || key.starts_with(&format!("{}.", f.ref_id))) {
                d.message
            } else {
                format!("{:?} is not a question of the task's form", key)
            };
            Detail::new(format!("meta.form_result.{key}"), message)
        })
        .collect();
    (checked, details)
}

/// What completing a task of `task_type` with `meta` still lacks (decision 55: an approval
/// completes with a decision); form answers and a crud task's item are checked where they live.
pub fn check_completable(details: &mut Vec<Detail>, task_type: &str, meta: &Map<String, Value>) {
    if task_type == "approval" && meta.get("decision").is_none_or(Value::is_null) {
        details.push(Detail::new("meta.decision", "is required to complete an approval task: approved or rejected"));
    }
}

/// Who the caller is to one task (spec § Quick tasks, Access; decision 57).
#[derive(Debug, Clone, Copy, Default)]
pub struct Standing {
    /// `tasks::quick::update` (or no role to restrict it).
    pub update_any: bool,
    /// `tasks::quick::delete`.
    pub delete_any: bool,
    /// Viewers change nothing, whatever the task says of them.
    pub viewer: bool,
    pub creator: bool,
    /// The assignee or a collaborator (before the change).
    pub participant: bool,
}

/// Keys of `meta` an assignee or collaborator may change without `tasks::quick::update`: a
/// form's answers, an approval's decision and comment, a created item's reference.
pub const PARTICIPANT_META_KEYS: [&str; 4] = ["form_result", "decision", "comment", "itemReference"];

pub const UPDATE: &str = "tasks::quick::update";
pub const DELETE: &str = "tasks::quick::delete";

/// Whether the caller may make a change whose wire diff is `changes` (`{key: {from, to}}`):
/// the update permission and the creator change anything; the assignee and collaborators the
/// status and [`PARTICIPANT_META_KEYS`]. `Err` names the permission that is missing.
pub fn may_change(standing: &Standing, changes: &Map<String, Value>) -> Result<(), &'static str> {
    if standing.viewer {
        return Err(UPDATE);
    }
    if standing.update_any || standing.creator {
        return Ok(());
    }
    if !standing.participant {
        return Err(UPDATE);
    }
    let meta_ok = |change: &Value| {
        let side = |key: &str| change.get(key).and_then(Value::as_object).cloned().unwrap_or_default();
        let (from, to) = (side("from"), side("to"));
        from.keys().chain(to.keys()).all(|k| from.get(k) == to.get(k) || PARTICIPANT_META_KEYS.contains(&k.as_str()))
    };
    let allowed = changes.iter().all(|(key, change)| match key.as_str() {
        "status" | "completed_at" | "completed_by" => true,
        "meta" => meta_ok(change),
        _ => false,
    });
    if allowed {
        Ok(())
    } else {
        Err(UPDATE)
    }
}

/// Whether the caller may trash, restore or delete the task: the delete permission, or its
/// creator (decision 57).
pub fn may_remove(standing: &Standing) -> Result<(), &'static str> {
    if !standing.viewer && (standing.delete_any || standing.creator) {
        Ok(())
    } else {
        Err(DELETE)
    }
}

/// `{key: {from, to}}` for every key whose value differs between two wire states.
pub fn diff(before: &Map<String, Value>, after: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for key in before.keys().chain(after.keys().filter(|k| !before.contains_key(*k))) {
        let (from, to) = (before.get(key).unwrap_or(&Value::Null), after.get(key).unwrap_or(&Value::Null));
        if from != to {
            out.insert(key.clone(), serde_json::json!({ "from": from, "to": to }));
        }
    }
    out
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
        // An open bag: keys of no type's meta are kept.
        assert_eq!(problems("generic", json!({ "x": 1 })), []);
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
                { "refId": "a", "label": "B", "type": "EnTextArea" },
                { "refId": "b", "label": "", "type": "EnTextArea" },
                { "refId": "c", "label": "C", "type": "nope" },
                { "refId": "d", "label": "D", "type": "EnTextArea", "required": "yes" },
                { "refId": "9e", "label": "E", "type": "EnTextArea" },
                { "refId": "f", "label": "F", "type": "EnlDropdown" },
                { "refId": "g", "label": "G", "type": "uploadFile" },
                "text"
            ] })
            ),
            [
                ("meta.form[1].refId".to_string(), "\"a\" is used twice in the form".to_string()),
                ("meta.form[2].label".to_string(), "is required".to_string()),
                (
                    "meta.form[3].type".to_string(),
                    "unknown field type \"nope\"; expected a catalogue key or text, number, date, select, boolean, email, url"
                        .to_string()
                ),
                ("meta.form[4].required".to_string(), "must be true or false".to_string()),
                ("meta.form[5].refId".to_string(), "must start with a letter".to_string()),
                ("meta.form[6].options".to_string(), "EnlDropdown needs at least one option".to_string()),
                (
                    "meta.form[7].type".to_string(),
                    "uploadFile cannot be a question of a task's form: its values are files or written by the server"
                        .to_string()
                ),
                ("meta.form[8]".to_string(), "must be a field definition object".to_string()),
            ]
        );
        assert_eq!(problems("form", json!({})), [("meta.form".to_string(), "is required for a form task".to_string())]);
        assert_eq!(
            problems("form", json!({ "form": [] })),
            [("meta.form".to_string(), "needs at least one field".to_string())]
        );
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

    #[test]
    fn answers_are_checked_by_the_catalogue_and_required_only_to_complete() {
        let mut details = Vec::new();
        let meta = json!({ "form": [
            { "refId": "parecer", "label": "Parecer", "type": "EnTextArea", "required": true },
            { "refId": "nota", "label": "Nota", "type": "number" },
            { "refId": "decisao", "label": "Decisão", "type": "select", "options": ["sim", "não"] }
        ] });
        let form = check_meta(&mut details, "form", meta.as_object().unwrap()).fields;
        assert_eq!(details, []);
        let answers = |v: Value| v.as_object().cloned().unwrap();
        let shown = |d: Vec<Detail>| d.into_iter().map(|d| (d.path, d.message)).collect::<Vec<_>>();

        let (checked, problems) = check_form_result(&form, &answers(json!({ "nota": 7, "decisao": "sim" })), false);
        assert_eq!(problems, []);
        assert_eq!(Value::Object(checked.data), json!({ "nota": 7, "decisao": "sim" }));

        let (_, problems) = check_form_result(&form, &answers(json!({ "nota": 7 })), true);
        assert_eq!(shown(problems), [("meta.form_result.parecer".to_string(), "is required".to_string())]);

        let (_, problems) =
            check_form_result(&form, &answers(json!({ "nota": "sete", "decisao": "talvez", "extra": 1 })), false);
        let paths: Vec<String> = shown(problems).into_iter().map(|(p, _)| p).collect();
        assert_eq!(paths, ["meta.form_result.nota", "meta.form_result.decisao", "meta.form_result.extra"]);
        let (_, problems) = check_form_result(&form, &answers(json!({ "extra": 1 })), false);
        assert_eq!(
            shown(problems),
            [("meta.form_result.extra".to_string(), "\"extra\" is not a question of the task's form".to_string())]
        );
    }

    #[test]
    fn participants_change_the_status_and_answers_only() {
        let change = |key: &str, from: Value, to: Value| {
            let mut m = Map::new();
            m.insert(key.to_string(), json!({ "from": from, "to": to }));
            m
        };
        let participant = Standing { participant: true, ..Standing::default() };
        let status = change("status", json!("pending"), json!("completed"));
        assert_eq!(may_change(&participant, &status), Ok(()));
        let answers = change(
            "meta",
            json!({ "form": [1], "form_result": null }),
            json!({ "form": [1], "form_result": {"a": 1} }),
        );
        assert_eq!(may_change(&participant, &answers), Ok(()));
        let form = change("meta", json!({ "form": [1] }), json!({ "form": [2] }));
        assert_eq!(may_change(&participant, &form), Err(UPDATE));
        let name = change("name", json!("a"), json!("b"));
        assert_eq!(may_change(&participant, &name), Err(UPDATE));
        assert_eq!(may_change(&Standing { creator: true, ..Standing::default() }, &name), Ok(()));
        assert_eq!(may_change(&Standing { update_any: true, ..Standing::default() }, &name), Ok(()));
        assert_eq!(may_change(&Standing::default(), &status), Err(UPDATE));
        let viewer = Standing { viewer: true, creator: true, update_any: true, ..Standing::default() };
        assert_eq!(may_change(&viewer, &status), Err(UPDATE));
        assert_eq!(may_remove(&Standing { creator: true, ..Standing::default() }), Ok(()));
        assert_eq!(may_remove(&participant), Err(DELETE));
        assert_eq!(may_remove(&Standing { delete_any: true, ..Standing::default() }), Ok(()));
    }

    #[test]
    fn diffs_name_each_changed_key() {
        let before = json!({ "a": 1, "b": 2, "c": null }).as_object().cloned().unwrap();
        let after = json!({ "a": 1, "b": 3, "d": 4 }).as_object().cloned().unwrap();
        assert_eq!(
            Value::Object(diff(&before, &after)),
            json!({ "b": { "from": 2, "to": 3 }, "d": { "from": null, "to": 4 } })
        );
    }

    #[test]
    fn an_approval_completes_with_a_decision() {
        let mut details = Vec::new();
        check_completable(&mut details, "approval", json!({ "comment": "ok" }).as_object().unwrap());
        check_completable(&mut details, "approval", json!({ "decision": "rejected" }).as_object().unwrap());
        check_completable(&mut details, "generic", &Map::new());
        assert_eq!(
            details,
            [Detail::new("meta.decision", "is required to complete an approval task: approved or rejected")]
        );
    }
}
