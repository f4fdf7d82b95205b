//! How a flow item runs (spec/flows-and-tasks.md § How flows run, § Schedule task; decisions
//! 17–20, 22, 26, 28–32, 34, 36–40, 43–46): who a task instance is for, what the logs hold,
//! when a stage visit ends, which transition is taken, a `sendmail` task's text. Pure rules;
//! the engine (`engine::flow_run`) applies them in the item's transaction.

use std::collections::HashMap;

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::{
    access::MemberType,
    calendar::Calendar,
    catalogue::Shape,
    fields::FieldDef,
    stage_tasks::{placeholders, Responsible},
    time::{format_ms, parse_instant},
    user::check_email,
};

/// `unified_responsible` of an `everybody` task: a wire constant, not localised (decision 46).
pub const EVERYBODY_LABEL: &str = "Todos";
/// `is_overdue` [wire].
pub const ON_TIME: &str = "Em Dia";
pub const LATE: &str = "Atrasado";
/// Automatic stage entries one command may make before it stops (decision 18).
pub const STAGE_ENTRY_CAP: usize = 32;

/// `work_status` values [wire].
pub const WORK_STATUSES: [&str; 4] = ["waiting", "working", "complete", "removed"];

pub fn is_open(work_status: &str) -> bool {
    matches!(work_status, "waiting" | "working")
}

/// A task whose completion ends its stage (`close_flow` also ends the run).
pub fn is_closing(action: &str) -> bool {
    matches!(action, "close_stage" | "close_flow")
}

/// A member as responsibility sees it: only active, non-viewer members are ever responsible
/// (decision 30).
#[derive(Debug, Clone)]
pub struct Person {
    pub user_id: i64,
    pub email: String,
    pub member_type: MemberType,
    pub active: bool,
}

impl Person {
    fn may_be_responsible(&self) -> bool {
        self.active && self.member_type != MemberType::Viewer
    }
}

/// Who an instance is for, resolved once when it is made (decision 22): everybody who may
/// update the type's items, these users, the members of these groups (membership read live), an
/// outside address, or — none of them — nobody inside (only override holders act, decision 28).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Responsibles {
    pub everybody: bool,
    pub users: Vec<i64>,
    pub groups: Vec<i64>,
    pub external: Option<String>,
}

/// What resolution reads of the item.
pub struct ItemPeople<'a> {
    /// The creator (a key's user for an item made with a key).
    pub creator: Option<i64>,
    /// A public form's filler.
    pub request_email: Option<&'a str>,
    pub data: &'a Map<String, Value>,
}

fn one_address(value: Option<&Value>) -> Option<String> {
    let text = value?.as_str()?.trim();
    check_email(text).ok().map(|()| text.to_lowercase())
}

/// Resolves `responsible` for one item. `people` holds the members the item's creator, the
/// named users and any address involved map to (the engine loads them).
pub fn resolve(responsible: &Responsible<'_>, item: &ItemPeople<'_>, people: &[Person]) -> Responsibles {
    let by_id = |id: i64| people.iter().find(|p| p.user_id == id && p.may_be_responsible());
    let by_email = |email: &str| people.iter().find(|p| p.email.eq_ignore_ascii_case(email) && p.may_be_responsible());
    // An address: its member if it is one, else the outsider (decisions 28, 29).
    let address = |email: String| match by_email(&email) {
        Some(p) => Responsibles { users: vec![p.user_id], ..Responsibles::default() },
        None => Responsibles { external: Some(email), ..Responsibles::default() },
    };
    match responsible.kind {
        "everybody" => Responsibles { everybody: true, ..Responsibles::default() },
        "users" => Responsibles {
            users: responsible.users.iter().copied().filter(|id| by_id(*id).is_some()).collect(),
            ..Responsibles::default()
        },
        "module_groups" => Responsibles { groups: responsible.groups.to_vec(), ..Responsibles::default() },
        "external_email" => {
            Responsibles { external: responsible.external_email.map(str::to_lowercase), ..Responsibles::default() }
        }
        "request_user" => match (item.creator, item.request_email) {
            (Some(id), _) => match by_id(id) {
                Some(p) => Responsibles { users: vec![p.user_id], ..Responsibles::default() },
                None => Responsibles::default(),
            },
            (None, Some(email)) => one_address(Some(&json!(email))).map(address).unwrap_or_default(),
            (None, None) => Responsibles::default(),
        },
        "field_based" => one_address(responsible.field.and_then(|f| item.data.get(f))).map(address).unwrap_or_default(),
        _ => Responsibles::default(),
    }
}

/// The responsibles as people read them: e-mails and group names joined by `", "`, `"Todos"`
/// for everybody (decision 46).
pub fn unified(responsibles: &Responsibles, people: &[Person], group_names: &HashMap<i64, String>) -> String {
    if responsibles.everybody {
        return EVERYBODY_LABEL.to_string();
    }
    let mut parts: Vec<String> = Vec::new();
    for id in &responsibles.users {
        if let Some(p) = people.iter().find(|p| p.user_id == *id) {
            parts.push(p.email.clone());
        }
    }
    for id in &responsibles.groups {
        if let Some(name) = group_names.get(id) {
            parts.push(name.clone());
        }
    }
    parts.extend(responsibles.external.clone());
    parts.join(", ")
}

/// What the caller is, for acting on one instance.
pub struct Caller<'a> {
    pub user_id: i64,
    pub member_type: MemberType,
    /// The member's groups.
    pub groups: &'a [i64],
    /// May update the items of the instance's type (what `everybody` means, decision 31).
    pub updates_type: bool,
}

/// Whether the caller is one of the instance's responsibles (decisions 30, 31).
pub fn is_responsible(caller: &Caller<'_>, responsibles: &Responsibles) -> bool {
    if caller.member_type == MemberType::Viewer {
        return false;
    }
    (responsibles.everybody && caller.updates_type)
        || responsibles.users.contains(&caller.user_id)
        || responsibles.groups.iter().any(|g| caller.groups.contains(g))
}

/// Whether the caller may act on an instance (assign, complete): an override holder, its
/// assignee, or one of its responsibles — never a viewer (decisions 30–32).
pub fn may_act(caller: &Caller<'_>, responsibles: &Responsibles, assigned: Option<i64>, overrides: bool) -> bool {
    caller.member_type != MemberType::Viewer
        && (overrides || assigned == Some(caller.user_id) || is_responsible(caller, responsibles))
}

/// A schedule task's audience attributes (decision 65), recorded with each of its events: its
/// responsibles, and whoever held it before and after the change.
pub fn audience_attributes(responsibles: &Responsibles, assigned: &[Option<i64>]) -> Value {
    let mut held: Vec<i64> = assigned.iter().flatten().copied().collect();
    held.dedup();
    json!({ "everybody": responsibles.everybody, "users": responsibles.users, "groups": responsibles.groups,
        "assigned": held })
}

/// Whether the caller is among an event's audience attributes: a responsible or an assignee
/// of the task then (decision 66).
pub fn in_audience(attributes: &Value, caller: &Caller<'_>) -> bool {
    let ids = |key: &str| -> Vec<i64> {
        attributes.get(key).and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_i64).collect()
    };
    let responsibles = Responsibles {
        everybody: attributes.get("everybody").and_then(Value::as_bool).unwrap_or(false),
        users: ids("users"),
        groups: ids("groups"),
        external: None,
    };
    caller.member_type != MemberType::Viewer && ids("assigned").contains(&caller.user_id)
        || is_responsible(caller, &responsibles)
}

/// `is_overdue` [wire; decision 44]: late when it ended (completed or removed) after its due
/// date, or is open and past it.
pub fn is_overdue(due_date: Option<i64>, ended_at: Option<i64>, now: i64) -> &'static str {
    match due_date {
        Some(due) if ended_at.unwrap_or(now) > due => LATE,
        _ => ON_TIME,
    }
}

/// A `stages_log` row [wire]; `user` only on a `complete` row a person made (decision 34).
pub fn stage_log_row(status: &str, stage_id: i64, at: i64, user: Option<&str>) -> Value {
    let mut row = json!({ "status": status, "stage_id": stage_id, "created_at": format_ms(at) });
    if let Some(user) = user {
        row["user"] = json!(user);
    }
    row
}

/// A `task_log` row [wire]: who (null for the server) moved the task to `work_status`, when.
pub fn task_log_row(email: Option<&str>, work_status: &str, at: i64) -> Value {
    json!({ "email": email, "created_at": format_ms(at), "work_status": work_status })
}

/// A digest of completion answers, whatever order their keys came in: the same person sending
/// the same answers again is a retry (decision 40).
pub fn answers_digest(answers: &Map<String, Value>) -> String {
    fn canonical(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                Value::Array(keys.into_iter().map(|k| json!([k, canonical(&map[k])])).collect())
            }
            Value::Array(list) => Value::Array(list.iter().map(canonical).collect()),
            other => other.clone(),
        }
    }
    let text = canonical(&Value::Object(answers.clone())).to_string();
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Zone-less date-times in completion answers (`YYYY-MM-DDTHH:MM[:SS[.mmm]]`, the product's
/// clients send them) read in the workspace zone and written as UTC instants (decision 39).
/// Values that already carry a zone, and every other field, are left as they are.
pub fn localize_dates(answers: &mut Map<String, Value>, fields: &[FieldDef], calendar: &Calendar) {
    for (key, value) in answers.iter_mut() {
        let Some(def) = fields.iter().find(|f| &f.ref_id == key) else { continue };
        if def.shape() != Shape::Date {
            continue;
        }
        let Some(text) = value.as_str() else { continue };
        if parse_instant(text).is_some() {
            continue;
        }
        if let Some(at) = calendar.local_instant(text) {
            *value = json!(format_ms(at));
        }
    }
}

/// The outcome of a stage visit after a change (decision 17).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visit {
    /// Tasks are still open.
    Open,
    /// It ends now; with `close_flow`, the run ends too, whatever the transitions say.
    Ends { close_flow: bool },
}

/// Whether a visit with `open` tasks left ends: by a closing task just completed
/// (`closing_task` progress), or by having nothing open.
pub fn visit_after(progress_type: &str, completed_action: Option<&str>, open: usize) -> Visit {
    let closing = completed_action.filter(|a| is_closing(a));
    match closing {
        // `all_tasks` lets a closing task complete only with nothing else open, so both
        // progress types end here.
        Some(action) if progress_type == "closing_task" || open == 0 => {
            Visit::Ends { close_flow: action == "close_flow" }
        }
        _ if open == 0 => Visit::Ends { close_flow: false },
        _ => Visit::Open,
    }
}

/// Renders a `sendmail` template: `{{reference}}` and `{{data.<refId>}}` replaced by the item's
/// values the simple way (decision 26); anything else is left as written (saving checks them).
pub fn render(template: &str, reference: &str, data: &Map<String, Value>, calendar: &Calendar) -> String {
    let mut out = template.to_string();
    for name in placeholders(template) {
        let value = if name == "reference" {
            reference.to_string()
        } else if let Some(key) = name.strip_prefix("data.") {
            data.get(key).map(|v| shown(v, calendar)).unwrap_or_default()
        } else {
            continue;
        };
        for written in [format!("{{{{{name}}}}}"), format!("{{{{ {name} }}}}")] {
            out = out.replace(&written, &value);
        }
    }
    out
}

/// A value as one line of text: relations by their display, lists joined, instants in the
/// workspace zone, currency as `BRL 1200.00`.
fn shown(value: &Value, calendar: &Calendar) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => match parse_instant(text) {
            Some(at) if text.len() > 10 => calendar.local_text(at).unwrap_or_else(|| text.clone()),
            _ => text.clone(),
        },
        Value::Array(list) => list.iter().map(|v| shown(v, calendar)).collect::<Vec<_>>().join(", "),
        Value::Object(map) => {
            if let Some(display) = map.get("display").or_else(|| map.get("reference")) {
                return shown(display, calendar);
            }
            if let (Some(currency), Some(amount)) = (map.get("currency"), map.get("value").and_then(Value::as_f64)) {
                return format!("{} {amount:.2}", currency.as_str().unwrap_or_default());
            }
            map.values().map(|v| shown(v, calendar)).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(", ")
        }
        other => other.to_string(),
    }
}

/// A `sendmail` task's recipients (decision 26): addresses, a field's address, or the item's
/// creator (else its public-form filler); empty and invalid ones are skipped, repeats dropped.
pub fn recipients(to: &[Value], data: &Map<String, Value>, creator_email: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for entry in to {
        let address = match entry {
            Value::String(text) if text == "request_user" => creator_email.map(str::to_string),
            Value::String(text) => Some(text.clone()),
            Value::Object(map) => map
                .get("field")
                .and_then(Value::as_str)
                .and_then(|f| data.get(f))
                .and_then(|v| v.as_str().map(str::to_string)),
            _ => None,
        };
        if let Some(address) = address.map(|a| a.trim().to_lowercase()) {
            if check_email(&address).is_ok() && !out.contains(&address) {
                out.push(address);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(id: i64, email: &str, member_type: MemberType, active: bool) -> Person {
        Person { user_id: id, email: email.into(), member_type, active }
    }

    fn responsible<'a>(kind: &'a str, users: &'a [i64], field: Option<&'a str>) -> Responsible<'a> {
        Responsible { kind, users, groups: &[], external_email: None, field }
    }

    #[test]
    fn responsibles_are_active_non_viewer_members_or_outsiders() {
        let people = vec![
            person(1, "ana@x.com", MemberType::Standard, true),
            person(2, "bia@x.com", MemberType::Viewer, true),
            person(3, "caio@x.com", MemberType::Full, false),
        ];
        let data = Map::new();
        let item = ItemPeople { creator: Some(1), request_email: None, data: &data };
        let users = resolve(&responsible("users", &[1, 2, 3, 9], None), &item, &people);
        assert_eq!(users.users, vec![1]);
        let creator = resolve(&responsible("request_user", &[], None), &item, &people);
        assert_eq!(creator.users, vec![1]);
        let gone = ItemPeople { creator: Some(3), ..item };
        assert_eq!(resolve(&responsible("request_user", &[], None), &gone, &people), Responsibles::default());
        let public = ItemPeople { creator: None, request_email: Some("Out@Y.com"), data: &data };
        let outsider = resolve(&responsible("request_user", &[], None), &public, &people);
        assert_eq!(outsider.external.as_deref(), Some("out@y.com"));
    }

    #[test]
    fn a_field_names_a_member_an_outsider_or_nobody() {
        let people = vec![person(1, "ana@x.com", MemberType::Standard, true)];
        let field = |value: Value| {
            let data: Map<String, Value> = [("dono".to_string(), value)].into_iter().collect();
            resolve(
                &responsible("field_based", &[], Some("dono")),
                &ItemPeople { creator: None, request_email: None, data: &data },
                &people,
            )
        };
        assert_eq!(field(json!("ANA@x.com")).users, vec![1]);
        assert_eq!(field(json!("z@y.com")).external.as_deref(), Some("z@y.com"));
        assert_eq!(field(json!("not an address")), Responsibles::default());
        assert_eq!(field(json!("")), Responsibles::default());
    }

    #[test]
    fn unified_names_people_and_groups() {
        let people = vec![person(1, "ana@x.com", MemberType::Standard, true)];
        let names: HashMap<i64, String> = [(5, "Jurídico".to_string())].into_iter().collect();
        let r = Responsibles { users: vec![1], groups: vec![5], ..Responsibles::default() };
        assert_eq!(unified(&r, &people, &names), "ana@x.com, Jurídico");
        assert_eq!(unified(&Responsibles { everybody: true, ..r }, &people, &names), "Todos");
        assert_eq!(unified(&Responsibles::default(), &people, &names), "");
    }

    #[test]
    fn viewers_are_never_responsible() {
        let r = Responsibles { everybody: true, users: vec![4], ..Responsibles::default() };
        let caller = |member_type| Caller { user_id: 4, member_type, groups: &[], updates_type: true };
        assert!(is_responsible(&caller(MemberType::Standard), &r));
        assert!(!is_responsible(&caller(MemberType::Viewer), &r));
    }

    #[test]
    fn event_audiences_name_responsibles_and_assignees() {
        let r = Responsibles { users: vec![4], groups: vec![9], ..Responsibles::default() };
        let attributes = audience_attributes(&r, &[None, Some(7)]);
        let caller = |user_id, groups: &'static [i64]| Caller {
            user_id,
            member_type: MemberType::Standard,
            groups,
            updates_type: false,
        };
        assert!(in_audience(&attributes, &caller(4, &[])));
        assert!(in_audience(&attributes, &caller(7, &[])), "the assignee");
        assert!(in_audience(&attributes, &caller(8, &[9])), "a member of the group");
        assert!(!in_audience(&attributes, &caller(8, &[])));
        let everybody = audience_attributes(&Responsibles { everybody: true, ..Responsibles::default() }, &[]);
        assert!(!in_audience(&everybody, &caller(8, &[])), "everybody means those who may update the type");
        assert!(in_audience(&everybody, &Caller { updates_type: true, ..caller(8, &[]) }));
    }

    #[test]
    fn overdue_freezes_when_the_task_ends() {
        assert_eq!(is_overdue(None, None, 10), ON_TIME);
        assert_eq!(is_overdue(Some(5), None, 10), LATE);
        assert_eq!(is_overdue(Some(5), Some(4), 10), ON_TIME);
        assert_eq!(is_overdue(Some(5), Some(6), 1), LATE);
    }

    #[test]
    fn a_visit_ends_by_its_closing_task_or_when_nothing_is_open() {
        assert_eq!(visit_after("closing_task", Some("close_stage"), 2), Visit::Ends { close_flow: false });
        assert_eq!(visit_after("closing_task", Some("close_flow"), 1), Visit::Ends { close_flow: true });
        assert_eq!(visit_after("closing_task", Some("fill_fields"), 1), Visit::Open);
        assert_eq!(visit_after("all_tasks", Some("fill_fields"), 0), Visit::Ends { close_flow: false });
        assert_eq!(visit_after("all_tasks", Some("close_stage"), 0), Visit::Ends { close_flow: false });
        assert_eq!(visit_after("closing_task", None, 0), Visit::Ends { close_flow: false });
    }

    #[test]
    fn retries_are_recognised_whatever_the_key_order() {
        let a: Map<String, Value> = serde_json::from_str(r#"{"a": 1, "b": {"y": 2, "x": 1}}"#).unwrap();
        let b: Map<String, Value> = serde_json::from_str(r#"{"b": {"x": 1, "y": 2}, "a": 1}"#).unwrap();
        let c: Map<String, Value> = serde_json::from_str(r#"{"a": 2, "b": {"x": 1, "y": 2}}"#).unwrap();
        assert_eq!(answers_digest(&a), answers_digest(&b));
        assert_ne!(answers_digest(&a), answers_digest(&c));
    }

    #[test]
    fn templates_render_values_the_simple_way() {
        let data: Map<String, Value> = serde_json::from_value(json!({
            "cliente": {"id": 3, "display": "ACME", "reference": "CLI1"},
            "tags": ["a", "b"], "valor": {"currency": "BRL", "value": 1200}, "nome": "Ana"
        }))
        .unwrap();
        let text = render(
            "{{reference}}: {{data.nome}} / {{ data.cliente }} / {{data.tags}} / {{data.valor}} / {{data.falta}}",
            "CON1",
            &data,
            &Calendar::default(),
        );
        assert_eq!(text, "CON1: Ana / ACME / a, b / BRL 1200.00 / ");
    }

    #[test]
    fn recipients_skip_empty_and_invalid_addresses() {
        let data: Map<String, Value> = serde_json::from_value(json!({ "mail": "Z@Y.com", "bad": "nope" })).unwrap();
        let to = vec![
            json!("a@x.com"),
            json!({"field": "mail"}),
            json!({"field": "bad"}),
            json!({"field": "none"}),
            json!("request_user"),
            json!("a@x.com"),
        ];
        assert_eq!(recipients(&to, &data, Some("c@x.com")), vec!["a@x.com", "z@y.com", "c@x.com"]);
        assert_eq!(recipients(&[json!("request_user")], &data, None), Vec::<String>::new());
    }
}
