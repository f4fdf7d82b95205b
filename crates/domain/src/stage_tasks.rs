//! Stage task configuration (spec/flows-and-tasks.md § Stage task; decisions 10, 11, 24–26):
//! the values each key takes, the references it holds checked against the type, the
//! workspace's groups and members, and a `sendmail` task's email.

use serde_json::{json, Map, Value};

use crate::{
    calendar::{SlaOrigin, SlaType},
    catalogue::{FieldType, Shape},
    fields::FieldDef,
    flows::check_start,
    item_columns::TypeColumns,
    user::check_email,
    Detail,
};

pub const ACTIONS: [&str; 5] = ["confirmation", "fill_fields", "close_stage", "close_flow", "sendmail"];
pub const RESPONSIBILITY_TYPES: [&str; 7] =
    ["everybody", "request_user", "users", "module_groups", "external_email", "field_based", "responsible_rules"];

/// What the references of a stage task are checked against.
pub struct Known<'a> {
    pub fields: &'a [FieldDef],
    pub columns: &'a TypeColumns,
    /// The workspace's member groups.
    pub groups: &'a [i64],
    /// The users who are members of the workspace.
    pub users: &'a [i64],
}

/// A stage task as checked, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct StageTaskDef {
    pub name: String,
    pub description: String,
    pub action: String,
    pub start_type: String,
    pub conditional: Option<Value>,
    pub sla: Option<f64>,
    pub sla_type: String,
    pub sla_origin: String,
    pub sla_field: Option<String>,
    pub responsibility_type: String,
    pub users: Vec<i64>,
    pub module_groups: Vec<i64>,
    pub external_email: Option<String>,
    pub responsible_field: Option<String>,
    pub require_assignment: bool,
    pub notify: bool,
    /// `[{refId, required}]`.
    pub fields: Vec<Value>,
    pub email: Option<Value>,
}

impl Default for StageTaskDef {
    /// Decision 11's defaults.
    fn default() -> Self {
        StageTaskDef {
            name: String::new(),
            description: String::new(),
            action: String::new(),
            start_type: "always".into(),
            conditional: None,
            sla: None,
            sla_type: "hours".into(),
            sla_origin: "task_created".into(),
            sla_field: None,
            responsibility_type: "everybody".into(),
            users: Vec::new(),
            module_groups: Vec::new(),
            external_email: None,
            responsible_field: None,
            require_assignment: false,
            notify: true,
            fields: Vec::new(),
            email: None,
        }
    }
}

impl StageTaskDef {
    /// Who the task names as responsible.
    pub fn responsible(&self) -> Responsible<'_> {
        Responsible {
            kind: &self.responsibility_type,
            users: &self.users,
            groups: &self.module_groups,
            external_email: self.external_email.as_deref(),
            field: self.responsible_field.as_deref(),
        }
    }

    /// The definition's keys as the wire and the events show them.
    pub fn to_map(&self) -> Map<String, Value> {
        let value = json!({ "name": self.name, "description": self.description, "action": self.action,
            "start_type": self.start_type, "conditional": self.conditional, "sla": self.sla,
            "sla_type": self.sla_type, "sla_origin": self.sla_origin, "sla_field": self.sla_field,
            "responsibility_type": self.responsibility_type, "users": self.users,
            "module_groups": self.module_groups, "external_email": self.external_email,
            "responsible_field": self.responsible_field, "require_assignment": self.require_assignment,
            "notify": self.notify, "fields": self.fields, "email": self.email });
        value.as_object().cloned().unwrap_or_default()
    }
}

impl StageTaskDef {
    /// A definition as stored (`to_map`); what a stored row lacks takes its default.
    pub fn from_map(map: &Map<String, Value>) -> StageTaskDef {
        let d = StageTaskDef::default();
        let text =
            |key: &str, default: String| map.get(key).and_then(Value::as_str).map(str::to_string).unwrap_or(default);
        let opt_text = |key: &str| map.get(key).and_then(Value::as_str).map(str::to_string);
        let ids = |key: &str| {
            map.get(key)
                .and_then(Value::as_array)
                .map(|l| l.iter().filter_map(Value::as_i64).collect())
                .unwrap_or_default()
        };
        StageTaskDef {
            name: text("name", d.name),
            description: text("description", d.description),
            action: text("action", d.action),
            start_type: text("start_type", d.start_type),
            conditional: map.get("conditional").cloned().filter(|c| !c.is_null()),
            sla: map.get("sla").and_then(Value::as_f64),
            sla_type: text("sla_type", d.sla_type),
            sla_origin: text("sla_origin", d.sla_origin),
            sla_field: opt_text("sla_field"),
            responsibility_type: text("responsibility_type", d.responsibility_type),
            users: ids("users"),
            module_groups: ids("module_groups"),
            external_email: opt_text("external_email"),
            responsible_field: opt_text("responsible_field"),
            require_assignment: map.get("require_assignment").and_then(Value::as_bool).unwrap_or(d.require_assignment),
            notify: map.get("notify").and_then(Value::as_bool).unwrap_or(d.notify),
            fields: map.get("fields").and_then(Value::as_array).cloned().unwrap_or_default(),
            email: map.get("email").cloned().filter(|e| !e.is_null()),
        }
    }
}

/// Who is responsible, as a task or a responsibility rule names it.
pub struct Responsible<'a> {
    pub kind: &'a str,
    pub users: &'a [i64],
    pub groups: &'a [i64],
    pub external_email: Option<&'a str>,
    pub field: Option<&'a str>,
}

impl Responsible<'_> {
    /// What each kind needs: users, groups, an address, or an email or text field of the type
    /// (`kind_key` names the kind's own key in messages).
    pub fn check(&self, details: &mut Vec<Detail>, kind_key: &str, fields: &[FieldDef]) {
        match self.kind {
            "users" if self.users.is_empty() => details.push(Detail::new("users", "name at least one user")),
            "module_groups" if self.groups.is_empty() => {
                details.push(Detail::new("module_groups", "name at least one group"))
            }
            "external_email" => match self.external_email.map(check_email) {
                None => {
                    details.push(Detail::new("external_email", format!("is required with {kind_key} external_email")))
                }
                Some(Err(message)) => details.push(Detail::new("external_email", message)),
                Some(Ok(())) => {}
            },
            "field_based" => {
                match self.field {
                    None => details
                        .push(Detail::new("responsible_field", format!("is required with {kind_key} field_based"))),
                    Some(name) => match fields.iter().find(|f| f.ref_id == name) {
                        Some(f) if matches!(f.field_type, FieldType::Email | FieldType::InputText) => {}
                        Some(_) => details
                            .push(Detail::new("responsible_field", format!("{name:?} is not an email or text field"))),
                        None => details
                            .push(Detail::new("responsible_field", format!("{name:?} is not a field of this type"))),
                    },
                }
            }
            _ => {}
        }
    }
}

/// The kinds a responsibility rule may name (no `external_email`, no rules within rules).
pub const RULE_TYPES: [&str; 5] = ["everybody", "request_user", "users", "module_groups", "field_based"];

/// A responsibility rule as checked [ours; `c-responsibility-rules`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RuleDef {
    pub name: String,
    pub description: String,
    pub conditional: Option<Value>,
    pub responsible_type: String,
    pub users: Vec<i64>,
    pub module_groups: Vec<i64>,
    pub responsible_field: Option<String>,
}

impl RuleDef {
    /// Who the rule names as responsible (rules name no outside address).
    pub fn responsible(&self) -> Responsible<'_> {
        Responsible {
            kind: &self.responsible_type,
            users: &self.users,
            groups: &self.module_groups,
            external_email: None,
            field: self.responsible_field.as_deref(),
        }
    }

    pub fn to_map(&self) -> Map<String, Value> {
        let value = json!({ "name": self.name, "description": self.description, "conditional": self.conditional,
            "responsible_type": self.responsible_type, "users": self.users, "module_groups": self.module_groups,
            "responsible_field": self.responsible_field });
        value.as_object().cloned().unwrap_or_default()
    }

    pub fn from_map(map: &Map<String, Value>) -> RuleDef {
        let text = |key: &str| map.get(key).and_then(Value::as_str).unwrap_or_default().to_string();
        let ids = |key: &str| {
            map.get(key)
                .and_then(Value::as_array)
                .map(|l| l.iter().filter_map(Value::as_i64).collect())
                .unwrap_or_default()
        };
        RuleDef {
            name: text("name"),
            description: text("description"),
            conditional: map.get("conditional").cloned().filter(|c| !c.is_null()),
            responsible_type: text("responsible_type"),
            users: ids("users"),
            module_groups: ids("module_groups"),
            responsible_field: map.get("responsible_field").and_then(Value::as_str).map(str::to_string),
        }
    }
}

/// Checks a rule's keys (besides `item_type` and `order`) over `current`.
pub fn check_rule(
    sent: &Map<String, Value>,
    current: Option<&RuleDef>,
    known: &Known<'_>,
) -> Result<RuleDef, Vec<Detail>> {
    let mut details = Vec::new();
    let mut def =
        current.cloned().unwrap_or_else(|| RuleDef { responsible_type: "everybody".into(), ..Default::default() });
    for (key, value) in sent {
        match (key.as_str(), value) {
            ("name", Value::String(s)) if !s.trim().is_empty() && s.trim().chars().count() <= 100 => {
                def.name = s.trim().into()
            }
            ("name", _) => details.push(Detail::new("name", "expected a name of 1 to 100 characters")),
            ("description", Value::String(s)) if s.chars().count() <= 2000 => def.description = s.trim().into(),
            ("description", _) => details.push(Detail::new("description", "expected text of at most 2000 characters")),
            ("conditional", v) => def.conditional = Some(v.clone()).filter(|c| !c.is_null()),
            ("responsible_type", Value::String(s)) if RULE_TYPES.contains(&s.as_str()) => {
                def.responsible_type = s.clone()
            }
            ("responsible_type", v) => details
                .push(Detail::new("responsible_type", format!("expected one of {}, got {v}", RULE_TYPES.join(", ")))),
            ("users", v) => def.users = id_list(&mut details, "users", v, known.users, "member user"),
            ("module_groups", v) => {
                def.module_groups = id_list(&mut details, "module_groups", v, known.groups, "group")
            }
            ("responsible_field", Value::Null) => def.responsible_field = None,
            ("responsible_field", Value::String(s)) => def.responsible_field = Some(s.trim().into()),
            ("responsible_field", v) => {
                details.push(Detail::new("responsible_field", format!("expected a field's refId, got {v}")))
            }
            (other, _) => details.push(Detail::new(other, "unknown field")),
        }
    }
    if def.name.is_empty() && !sent.contains_key("name") {
        details.push(Detail::new("name", "is required"));
    }
    crate::flows::check_conditional(&mut details, "conditional", def.conditional.as_ref(), known.columns);
    def.responsible().check(&mut details, "responsible_type", known.fields);
    if details.is_empty() {
        Ok(def)
    } else {
        Err(details)
    }
}

/// A value written by the server alone: never a task's answer (decision 25).
fn server_written(field: &FieldDef) -> bool {
    matches!(
        field.field_type,
        FieldType::EnESign | FieldType::EnChats | FieldType::EnCustomCode | FieldType::IdPersonalizado
    )
}

fn id_list(details: &mut Vec<Detail>, path: &str, value: &Value, known: &[i64], noun: &str) -> Vec<i64> {
    let Some(list) = value.as_array() else {
        details.push(Detail::new(path, format!("expected a list of {noun} ids")));
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, v) in list.iter().enumerate() {
        let id = v.as_i64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()));
        match id.filter(|id| known.contains(id)) {
            Some(id) if !out.contains(&id) => out.push(id),
            Some(_) => {}
            None => details.push(Detail::new(format!("{path}[{i}]"), format!("no {noun} {v} in this workspace"))),
        }
    }
    out
}

/// Checks `sent` over `current` (an update keeps what it does not name); every problem is
/// reported with its key.
pub fn check(
    sent: &Map<String, Value>,
    current: Option<&StageTaskDef>,
    known: &Known<'_>,
) -> Result<StageTaskDef, Vec<Detail>> {
    let mut details = Vec::new();
    let mut def = current.cloned().unwrap_or_default();
    let text = |details: &mut Vec<Detail>, key: &str, max: usize| -> Option<String> {
        match sent.get(key) {
            None => None,
            Some(Value::String(s)) if s.trim().chars().count() <= max => Some(s.trim().to_string()),
            Some(Value::String(_)) => {
                details.push(Detail::new(key, format!("must have at most {max} characters")));
                None
            }
            Some(other) => {
                details.push(Detail::new(key, format!("expected text, got {other}")));
                None
            }
        }
    };
    let one_of = |details: &mut Vec<Detail>, key: &str, allowed: &[&str]| -> Option<String> {
        match sent.get(key) {
            None => None,
            Some(Value::String(s)) if allowed.contains(&s.as_str()) => Some(s.clone()),
            Some(other) => {
                details.push(Detail::new(key, format!("expected one of {}, got {other}", allowed.join(", "))));
                None
            }
        }
    };
    let flag = |details: &mut Vec<Detail>, key: &str| -> Option<bool> {
        match sent.get(key) {
            None => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(other) => {
                details.push(Detail::new(key, format!("expected true or false, got {other}")));
                None
            }
        }
    };
    let field_named = |name: &str| known.fields.iter().find(|f| f.ref_id == name);
    // A key sent as null clears it (optional keys only).
    let optional_text = |details: &mut Vec<Detail>, key: &str| -> Option<Option<String>> {
        match sent.get(key) {
            None => None,
            Some(Value::Null) => Some(None),
            Some(Value::String(s)) => Some(Some(s.trim().to_string())),
            Some(other) => {
                details.push(Detail::new(key, format!("expected text or null, got {other}")));
                None
            }
        }
    };

    if let Some(name) = text(&mut details, "name", 100) {
        def.name = name;
    }
    if def.name.is_empty() {
        details.push(Detail::new("name", "is required"));
    }
    if let Some(description) = text(&mut details, "description", 2000) {
        def.description = description;
    }
    if let Some(action) = one_of(&mut details, "action", &ACTIONS) {
        def.action = action;
    }
    if def.action.is_empty() && !sent.contains_key("action") {
        details.push(Detail::new("action", format!("is required: one of {}", ACTIONS.join(", "))));
    }
    if let Some(start_type) = sent.get("start_type").and_then(Value::as_str) {
        def.start_type = start_type.to_string();
    }
    if let Some(conditional) = sent.get("conditional") {
        def.conditional = Some(conditional.clone()).filter(|c| !c.is_null());
    }
    check_start(&mut details, &def.start_type, def.conditional.as_ref(), known.columns);

    match sent.get("sla") {
        None => {}
        Some(Value::Null) => def.sla = None,
        Some(Value::Number(n)) if n.as_f64().is_some_and(|v| v >= 0.0) => def.sla = n.as_f64(),
        Some(other) => {
            details.push(Detail::new("sla", format!("expected a number of 0 or more, or null, got {other}")))
        }
    }
    if let Some(sla_type) = one_of(&mut details, "sla_type", &SlaType::VALUES) {
        def.sla_type = sla_type;
    }
    // Whole units but for working hours, which may be fractional (`0.5` = 30 min).
    if def.sla.is_some_and(|s| s.fract() != 0.0) && def.sla_type != "workHours" {
        details.push(Detail::new("sla", format!("must be a whole number of {}", def.sla_type)));
    }
    if let Some(origin) = one_of(&mut details, "sla_origin", &SlaOrigin::VALUES) {
        def.sla_origin = origin;
    }
    if let Some(field) = optional_text(&mut details, "sla_field") {
        def.sla_field = field;
    }
    match (def.sla_origin.as_str(), &def.sla_field) {
        ("field", None) => details.push(Detail::new("sla_field", "is required with sla_origin field")),
        ("field", Some(name)) => match field_named(name) {
            Some(f) if f.shape() == Shape::Date => {}
            Some(_) => details.push(Detail::new("sla_field", format!("{name:?} is not a date field"))),
            None => details.push(Detail::new("sla_field", format!("{name:?} is not a field of this type"))),
        },
        (_, Some(_)) => details.push(Detail::new("sla_field", "only applies with sla_origin field")),
        _ => {}
    }

    if let Some(kind) = one_of(&mut details, "responsibility_type", &RESPONSIBILITY_TYPES) {
        def.responsibility_type = kind;
    }
    if let Some(users) = sent.get("users") {
        def.users = id_list(&mut details, "users", users, known.users, "member user");
    }
    if let Some(groups) = sent.get("module_groups") {
        def.module_groups = id_list(&mut details, "module_groups", groups, known.groups, "group");
    }
    if let Some(email) = optional_text(&mut details, "external_email") {
        def.external_email = email;
    }
    if let Some(field) = optional_text(&mut details, "responsible_field") {
        def.responsible_field = field;
    }
    def.responsible().check(&mut details, "responsibility_type", known.fields);
    if let Some(b) = flag(&mut details, "require_assignment") {
        def.require_assignment = b;
    }
    if let Some(b) = flag(&mut details, "notify") {
        def.notify = b;
    }
    if let Some(fields) = sent.get("fields") {
        def.fields = check_fields(&mut details, fields, known);
    }
    if let Some(email) = sent.get("email") {
        def.email = Some(email.clone()).filter(|e| !e.is_null());
    }
    if def.action == "sendmail" {
        if !def.fields.is_empty() {
            details.push(Detail::new("fields", "a sendmail task is done by the server: it has no fields"));
        }
        if def.require_assignment {
            details.push(Detail::new("require_assignment", "a sendmail task is done by the server: nobody takes it"));
        }
        match &def.email {
            None => details.push(Detail::new("email", "is required with action sendmail")),
            Some(email) => check_email_config(&mut details, email, known),
        }
    } else if def.email.is_some() {
        details.push(Detail::new("email", "only applies with action sendmail"));
    }
    if details.is_empty() {
        Ok(def)
    } else {
        Err(details)
    }
}

fn check_fields(details: &mut Vec<Detail>, value: &Value, known: &Known<'_>) -> Vec<Value> {
    let Some(list) = value.as_array() else {
        details.push(Detail::new("fields", "expected a list of {refId, required}"));
        return Vec::new();
    };
    let mut out: Vec<Value> = Vec::new();
    for (i, entry) in list.iter().enumerate() {
        let path = format!("fields[{i}]");
        let ref_id = entry.get("refId").and_then(Value::as_str);
        let required = entry.get("required").map(|r| r.as_bool().ok_or(())).unwrap_or(Ok(false));
        match (ref_id, required) {
            (None, _) => details.push(Detail::new(format!("{path}.refId"), "is required")),
            (_, Err(())) => details.push(Detail::new(format!("{path}.required"), "expected true or false")),
            (Some(name), Ok(required)) => match known.fields.iter().find(|f| f.ref_id == name) {
                None => {
                    details.push(Detail::new(format!("{path}.refId"), format!("{name:?} is not a field of this type")))
                }
                Some(f) if server_written(f) => {
                    details.push(Detail::new(format!("{path}.refId"), format!("{name:?} is written by the server")))
                }
                Some(_) if out.iter().any(|o| o["refId"] == name) => {
                    details.push(Detail::new(format!("{path}.refId"), format!("{name:?} is listed twice")))
                }
                Some(_) => out.push(json!({ "refId": name, "required": required })),
            },
        }
    }
    out
}

/// `{to: [address | {field} | "request_user"], subject, body}`, placeholders `{{reference}}`
/// and `{{data.<refId>}}` naming fields of the type (decision 26).
fn check_email_config(details: &mut Vec<Detail>, email: &Value, known: &Known<'_>) {
    let field_exists = |name: &str| known.fields.iter().any(|f| f.ref_id == name);
    match email.get("to").and_then(Value::as_array) {
        Some(to) if !to.is_empty() => {
            for (i, recipient) in to.iter().enumerate() {
                let path = format!("email.to[{i}]");
                match recipient {
                    Value::String(s) if s == "request_user" => {}
                    Value::String(s) => {
                        if let Err(message) = check_email(s) {
                            details.push(Detail::new(path, message));
                        }
                    }
                    Value::Object(o) => match o.get("field").and_then(Value::as_str) {
                        Some(name) if field_exists(name) => {}
                        Some(name) => details.push(Detail::new(path, format!("{name:?} is not a field of this type"))),
                        None => details.push(Detail::new(path, "expected {\"field\": \"<refId>\"}")),
                    },
                    other => details.push(Detail::new(
                        path,
                        format!("expected an address, {{field}} or request_user, got {other}"),
                    )),
                }
            }
        }
        _ => details.push(Detail::new("email.to", "expected at least one recipient")),
    }
    for key in ["subject", "body"] {
        let path = format!("email.{key}");
        match email.get(key).and_then(Value::as_str) {
            Some(text) if !text.trim().is_empty() => {
                for placeholder in placeholders(text) {
                    let known_one =
                        placeholder == "reference" || placeholder.strip_prefix("data.").is_some_and(field_exists);
                    if !known_one {
                        details.push(Detail::new(&path, format!("unknown placeholder {{{{{placeholder}}}}}")));
                    }
                }
            }
            _ => details.push(Detail::new(path, "is required")),
        }
    }
}

/// The names between `{{` and `}}` in `text`.
pub fn placeholders(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        out.push(after[..end].trim());
        rest = &after[end + 2..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::{check_field, FieldDraft};

    fn def(slug: &str, field_type: &str) -> FieldDef {
        let draft = FieldDraft {
            name: Some(slug.into()),
            slug: Some(slug.into()),
            field_type: Some(field_type.into()),
            ..Default::default()
        };
        check_field(draft, None, "").unwrap().def
    }

    fn problems(sent: Value) -> Vec<(String, String)> {
        let fields = [def("tipo", "text"), def("prazo", "date"), def("contato", "email"), def("valor", "number")];
        let columns = TypeColumns::new(fields.iter());
        let known = Known { fields: &fields, columns: &columns, groups: &[300], users: &[7] };
        match check(sent.as_object().unwrap(), None, &known) {
            Ok(_) => Vec::new(),
            Err(details) => details.into_iter().map(|d| (d.path, d.message)).collect(),
        }
    }

    #[test]
    fn a_task_is_checked_key_by_key() {
        assert!(problems(
            json!({ "name": "Classificar", "action": "fill_fields", "fields": [{ "refId": "tipo", "required": true }],
            "responsibility_type": "module_groups", "module_groups": [300], "sla": 1 })
        )
        .is_empty());
        assert_eq!(
            problems(
                json!({ "action": "approve", "sla": 1.5, "sla_origin": "field", "responsibility_type": "users", "users": [8] })
            ),
            [
                ("name".to_string(), "is required".to_string()),
                (
                    "action".to_string(),
                    "expected one of confirmation, fill_fields, close_stage, close_flow, sendmail, got \"approve\""
                        .to_string()
                ),
                ("sla".to_string(), "must be a whole number of hours".to_string()),
                ("sla_field".to_string(), "is required with sla_origin field".to_string()),
                ("users[0]".to_string(), "no member user 8 in this workspace".to_string()),
                ("users".to_string(), "name at least one user".to_string()),
            ]
        );
        assert_eq!(
            problems(json!({ "name": "x", "action": "confirmation", "sla_origin": "field", "sla_field": "valor",
                "responsibility_type": "field_based", "responsible_field": "prazo", "fields": [{ "refId": "tipo" }, { "refId": "tipo" }, { "refId": "nada" }] })),
            [
                ("sla_field".to_string(), "\"valor\" is not a date field".to_string()),
                ("responsible_field".to_string(), "\"prazo\" is not an email or text field".to_string()),
                ("fields[1].refId".to_string(), "\"tipo\" is listed twice".to_string()),
                ("fields[2].refId".to_string(), "\"nada\" is not a field of this type".to_string()),
            ]
        );
        assert!(
            problems(json!({ "name": "x", "action": "close_stage", "sla": 0.5, "sla_type": "workHours" })).is_empty()
        );
    }

    #[test]
    fn a_rule_names_who_and_when() {
        let fields = [def("tipo", "text"), def("contato", "email"), def("valor", "number")];
        let columns = TypeColumns::new(fields.iter());
        let known = Known { fields: &fields, columns: &columns, groups: &[300], users: &[7] };
        let ok = json!({ "name": "Grandes", "conditional": { "data.valor_gt": 1000 }, "responsible_type": "module_groups", "module_groups": [300] });
        assert_eq!(check_rule(ok.as_object().unwrap(), None, &known).unwrap().module_groups, [300]);
        let bad = json!({ "responsible_type": "field_based", "responsible_field": "valor", "conditional": { "data.x": 1 }, "order": 1 });
        let paths: Vec<String> = check_rule(bad.as_object().unwrap(), None, &known)
            .unwrap_err()
            .into_iter()
            .map(|d| format!("{}: {}", d.path, d.message))
            .collect();
        assert_eq!(
            paths,
            [
                "order: unknown field",
                "name: is required",
                "conditional.data.x: unknown field or operator",
                "responsible_field: \"valor\" is not an email or text field",
            ]
        );
    }

    #[test]
    fn a_definition_round_trips_through_its_map() {
        let def = StageTaskDef {
            name: "x".into(),
            action: "fill_fields".into(),
            sla: Some(2.0),
            users: vec![7],
            ..Default::default()
        };
        assert_eq!(StageTaskDef::from_map(&def.to_map()), def);
    }

    #[test]
    fn a_sendmail_task_has_an_email_and_nothing_to_fill() {
        assert!(problems(json!({ "name": "Avisar", "action": "sendmail", "email": { "to": ["a@x.com", { "field": "contato" }, "request_user"],
            "subject": "Pedido {{reference}}", "body": "Tipo: {{data.tipo}}" } }))
        .is_empty());
        assert_eq!(
            problems(
                json!({ "name": "Avisar", "action": "sendmail", "require_assignment": true, "fields": [{ "refId": "tipo" }],
                "email": { "to": ["nope", { "field": "nada" }], "subject": "{{data.nada}}", "body": "" } })
            ),
            [
                ("fields".to_string(), "a sendmail task is done by the server: it has no fields".to_string()),
                (
                    "require_assignment".to_string(),
                    "a sendmail task is done by the server: nobody takes it".to_string()
                ),
                ("email.to[0]".to_string(), "\"nope\" is not a valid email address".to_string()),
                ("email.to[1]".to_string(), "\"nada\" is not a field of this type".to_string()),
                ("email.subject".to_string(), "unknown placeholder {{data.nada}}".to_string()),
                ("email.body".to_string(), "is required".to_string()),
            ]
        );
        assert_eq!(
            problems(json!({ "name": "x", "action": "confirmation", "email": { "to": ["a@x.com"] } }))[0].0,
            "email"
        );
        assert_eq!(placeholders("a {{ reference }} b {{data.x}}"), ["reference", "data.x"]);
    }
}
