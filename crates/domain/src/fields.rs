//! Field definitions: what a field is, how a create or update body becomes one, and the checks
//! on its settings (spec/types-fields-items.md, "Fields").
//!
//! A definition is stored whole as JSON (nested children included), so this module owns its
//! shape; the store only keeps the columns that queries need (ref id, type, flags, order).

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::{
    catalogue::{FieldType, Shape},
    code::CodeTemplate,
    Detail,
};

pub const NAME_MAX: usize = 200;
pub const REF_ID_MAX: usize = 64;
pub const NESTED_MAX_DEPTH: usize = 2;

/// Rule names `validation` may list [wire].
pub const VALIDATION_RULES: [&str; 11] = [
    "required",
    "email",
    "url",
    "letters",
    "numbers",
    "letters_space",
    "alphanumeric",
    "mask",
    "unique",
    "cpf",
    "cnpj",
];

/// The built-in columns every type exposes as read-only fields [ours].
pub const NATIVE_FIELDS: [(&str, &str); 8] = [
    ("id", "EnlNumber"),
    ("reference", "inputText"),
    ("status", "EnlDropdown"),
    ("form", "inputText"),
    ("request_email", "email"),
    ("user", "EnlNumber"),
    ("created_at", "EnlCalendar"),
    ("updated_at", "EnlCalendar"),
];

/// A field as stored: everything but its id, type, order and timestamps, which are columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldDef {
    #[serde(rename = "refId")]
    pub ref_id: String,
    pub name: String,
    pub label: String,
    #[serde(rename = "type", with = "type_key")]
    pub field_type: FieldType,
    pub required: bool,
    pub unique: bool,
    pub indexed: bool,
    pub active: bool,
    pub default_value: Option<Value>,
    pub validation: Vec<String>,
    pub options: Vec<Value>,
    pub config: Map<String, Value>,
    pub opt_config: Map<String, Value>,
    #[serde(rename = "cFormat")]
    pub c_format: Value,
    pub nested: Vec<FieldDef>,
}

mod type_key {
    use super::FieldType;
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &FieldType, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(t.key())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<FieldType, D::Error> {
        let key = String::deserialize(d)?;
        FieldType::parse(&key).map(|p| p.field_type).ok_or_else(|| D::Error::custom(format!("unknown type {key}")))
    }
}

impl FieldDef {
    pub fn shape(&self) -> Shape {
        self.field_type.shape()
    }

    /// The field needs a database index: asked for, or implied by `unique`.
    pub fn wants_index(&self) -> bool {
        self.indexed || self.unique
    }

    pub fn config_str(&self, key: &str) -> Option<&str> {
        self.config.get(key).and_then(Value::as_str)
    }

    pub fn config_f64(&self, key: &str) -> Option<f64> {
        self.config.get(key).and_then(Value::as_f64)
    }

    pub fn config_bool(&self, key: &str) -> bool {
        self.config.get(key).and_then(Value::as_bool).unwrap_or(false)
    }

    /// The type slug a relation points at (`config.rel.collection`).
    pub fn rel_collection(&self) -> Option<&str> {
        self.config.get("rel")?.get("collection")?.as_str()
    }

    /// The related type's field whose value is a relation's `display`.
    pub fn rel_display(&self) -> Option<&str> {
        self.config.get("rel")?.get("displayString")?.as_str()
    }

    pub fn masks(&self) -> Vec<&str> {
        match self.config.get("masks") {
            Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
            Some(Value::String(one)) => vec![one.as_str()],
            _ => Vec::new(),
        }
    }

    pub fn option_values(&self) -> impl Iterator<Item = &str> {
        self.options.iter().filter_map(|o| o.get("value").and_then(Value::as_str))
    }
}

/// A create or update body as the client sent it, both spellings kept apart so that a conflict
/// between them can be reported.
#[derive(Debug, Clone, Default)]
pub struct FieldDraft {
    pub name: Option<String>,
    pub label: Option<String>,
    pub slug: Option<String>,
    pub ref_id: Option<String>,
    pub field_type: Option<String>,
    pub required: Option<bool>,
    pub unique: Option<bool>,
    pub indexed: Option<bool>,
    pub active: Option<bool>,
    pub default_value: Option<Value>,
    pub default_value_camel: Option<Value>,
    pub validation: Option<Vec<String>>,
    pub options: Option<Value>,
    pub config: Option<Map<String, Value>>,
    pub opt_config: Option<Map<String, Value>>,
    pub c_format: Option<Value>,
    pub nested: Option<Vec<FieldDraft>>,
    pub order: Option<i64>,
    pub position: Option<i64>,
}

/// A checked definition and what still needs the database: relation targets must be types of
/// the workspace (with the display field), and the order to place it at.
#[derive(Debug, Clone)]
pub struct CheckedField {
    pub def: FieldDef,
    pub order: Option<i64>,
    /// (path, type slug, display field refId) for every relation, nested ones included.
    pub relations: Vec<(String, String, Option<String>)>,
}

/// `[A-Za-z][A-Za-z0-9_]*`, at most 64 characters: the key of a value in `item.data`, and a
/// segment of `data.<refId>` filters (so no dots).
pub fn check_ref_id(ref_id: &str) -> Result<(), String> {
    if ref_id.is_empty() || ref_id.len() > REF_ID_MAX {
        return Err(format!("must be 1 to {REF_ID_MAX} characters long"));
    }
    if !ref_id.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err("must start with a letter".into());
    }
    if let Some(bad) = ref_id.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '_')) {
        return Err(format!("may contain only letters, digits and '_', found {bad:?}"));
    }
    Ok(())
}

/// A refId derived from a name: snake_case with accents folded.
pub fn derive_ref_id(name: &str) -> String {
    let mut base = slug::slugify(name).replace('-', "_");
    if !base.starts_with(|c: char| c.is_ascii_alphabetic()) {
        base = format!("f_{base}");
    }
    base.chars().take(REF_ID_MAX).collect::<String>().trim_end_matches('_').to_string()
}

/// Takes one setting given under two names; both with different values is a conflict.
fn either<T: PartialEq>(details: &mut Vec<Detail>, a: (&str, Option<T>), b: (&str, Option<T>)) -> Option<T> {
    match (a.1, b.1) {
        (Some(x), Some(y)) if x != y => {
            details.push(Detail::new(b.0, format!("conflicts with {}: give one of the two spellings", a.0)));
            Some(x)
        }
        (Some(x), _) => Some(x),
        (None, y) => y,
    }
}

/// Checks a create body (`existing` = None) or an update body merged over `existing`.
/// Every problem is reported, each with its path prefixed by `prefix` (for nested children).
pub fn check_field(draft: FieldDraft, existing: Option<&FieldDef>, prefix: &str) -> Result<CheckedField, Vec<Detail>> {
    let mut details = Vec::new();
    let mut relations = Vec::new();
    let def = check_into(draft, existing, prefix, 0, &mut details, &mut relations);
    match def {
        Some((def, order)) if details.is_empty() => Ok(CheckedField { def, order, relations }),
        _ => Err(details),
    }
}

fn check_into(
    draft: FieldDraft,
    existing: Option<&FieldDef>,
    prefix: &str,
    depth: usize,
    details: &mut Vec<Detail>,
    relations: &mut Vec<(String, String, Option<String>)>,
) -> Option<(FieldDef, Option<i64>)> {
    let p = |key: &str| format!("{prefix}{key}");
    let start = details.len();
    let order = either(details, (&p("order"), draft.order), (&p("position"), draft.position));
    let default_value =
        either(details, (&p("default_value"), draft.default_value), (&p("defaultValue"), draft.default_value_camel));
    let ref_id = either(details, (&p("slug"), draft.slug), (&p("refId"), draft.ref_id));
    // A relabel is fine; the key of stored values is not.
    let ref_id = match (existing, ref_id) {
        (Some(old), Some(new)) if new != old.ref_id => {
            details
                .push(Detail::new(p("slug"), "cannot be changed: it is the key of the field's values in every item"));
            old.ref_id.clone()
        }
        (Some(old), _) => old.ref_id.clone(),
        (None, Some(given)) => {
            if let Err(message) = check_ref_id(&given) {
                details.push(Detail::new(p("slug"), message));
            }
            given
        }
        (None, None) => match draft.name.as_deref().or(draft.label.as_deref()) {
            Some(name) if !derive_ref_id(name).is_empty() => derive_ref_id(name),
            _ => {
                details.push(Detail::new(p("slug"), "is required when name gives no letters to derive it from"));
                String::new()
            }
        },
    };
    let name = draft
        .name
        .or(draft.label.clone())
        .or_else(|| existing.map(|e| e.name.clone()))
        .unwrap_or_else(|| ref_id.clone());
    if name.trim().is_empty() || name.chars().count() > NAME_MAX {
        details.push(Detail::new(p("name"), format!("must be 1 to {NAME_MAX} characters")));
    }
    let label = draft.label.or_else(|| existing.map(|e| e.label.clone())).unwrap_or_else(|| name.clone());

    let parsed = match (draft.field_type.as_deref(), existing) {
        (Some(name), _) => match FieldType::parse(name) {
            Some(parsed) => Some(parsed),
            None => {
                details.push(Detail::new(
                    p("type"),
                    format!("unknown field type {name:?}; expected a catalogue key or text, number, date, select, boolean, email, url"),
                ));
                None
            }
        },
        (None, Some(old)) => Some(crate::catalogue::ParsedType { field_type: old.field_type, implied_mask: None }),
        (None, None) => {
            details.push(Detail::new(p("type"), "is required"));
            None
        }
    };
    let field_type = parsed.as_ref().map(|t| t.field_type).unwrap_or(FieldType::InputText);

    let mut config = draft.config.or_else(|| existing.map(|e| e.config.clone())).unwrap_or_default();
    if let Some(mask) = parsed.as_ref().and_then(|t| t.implied_mask) {
        let masks = config.entry("masks").or_insert_with(|| json!([]));
        if let Value::Array(list) = masks {
            if !list.iter().any(|m| m == mask) {
                list.push(json!(mask));
            }
        }
    }
    let opt_config = draft.opt_config.or_else(|| existing.map(|e| e.opt_config.clone())).unwrap_or_default();
    let options = match draft.options {
        Some(raw) => normalize_options(&raw, &p("options"), details),
        None => existing.map(|e| e.options.clone()).unwrap_or_default(),
    };
    let validation = draft.validation.or_else(|| existing.map(|e| e.validation.clone())).unwrap_or_default();
    for (i, rule) in validation.iter().enumerate() {
        if !VALIDATION_RULES.contains(&rule.as_str()) {
            details.push(Detail::new(
                format!("{prefix}validation[{i}]"),
                format!("unknown rule {rule:?}; expected one of {}", VALIDATION_RULES.join(", ")),
            ));
        }
    }
    let required =
        draft.required.or(existing.map(|e| e.required)).unwrap_or(false) || validation.iter().any(|r| r == "required");
    let unique =
        draft.unique.or(existing.map(|e| e.unique)).unwrap_or(false) || validation.iter().any(|r| r == "unique");
    let indexed = draft.indexed.or(existing.map(|e| e.indexed)).unwrap_or(false);
    let active = draft.active.or(existing.map(|e| e.active)).unwrap_or(true);
    let c_format = draft
        .c_format
        .or_else(|| existing.map(|e| e.c_format.clone()))
        .unwrap_or_else(|| json!({ "type": field_type.default_format() }));

    if (unique || indexed) && !field_type.comparable() {
        details.push(Detail::new(
            p(if unique { "unique" } else { "indexed" }),
            format!("{} values cannot be indexed or unique", field_type.key()),
        ));
    }
    if (unique || indexed) && depth > 0 {
        details.push(Detail::new(p("unique"), "fields inside a group or repeater cannot be indexed or unique"));
    }
    if field_type.needs_options()
        && options.is_empty()
        && opt_config.get("origin").and_then(Value::as_str) != Some("fetch_lists")
    {
        details.push(Detail::new(p("options"), format!("{} needs at least one option", field_type.key())));
    }
    if opt_config.get("origin").and_then(Value::as_str) == Some("fetch_lists") {
        details.push(Detail::new(
            p("opt_config.origin"),
            "reusable option lists are not part of this server's contract yet; give the options on the field",
        ));
    }
    check_config(field_type, &config, &options, &opt_config, prefix, details);

    let nested = match draft.nested {
        Some(children) => {
            let old_children = existing.map(|e| e.nested.as_slice()).unwrap_or_default();
            let mut out = Vec::new();
            for (i, child) in children.into_iter().enumerate() {
                let child_prefix = format!("{prefix}nested[{i}].");
                if depth + 1 > NESTED_MAX_DEPTH {
                    details.push(Detail::new(format!("{prefix}nested[{i}]"), "groups nest at most two levels deep"));
                    continue;
                }
                let old = child
                    .slug
                    .as_ref()
                    .or(child.ref_id.as_ref())
                    .and_then(|r| old_children.iter().find(|c| &c.ref_id == r));
                if let Some((def, _)) = check_into(child, old, &child_prefix, depth + 1, details, relations) {
                    if out.iter().any(|c: &FieldDef| c.ref_id == def.ref_id) {
                        details.push(Detail::new(
                            format!("{child_prefix}slug"),
                            format!("{:?} is used twice", def.ref_id),
                        ));
                    }
                    out.push(def);
                }
            }
            out
        }
        None => existing.map(|e| e.nested.clone()).unwrap_or_default(),
    };
    if matches!(field_type.shape(), Shape::Group | Shape::Repeater) && nested.is_empty() {
        details.push(Detail::new(p("nested"), format!("{} needs at least one child field", field_type.key())));
    }
    if field_type.shape() == Shape::Rel || field_type.shape() == Shape::RelMulti {
        match config.get("rel").and_then(|r| r.get("collection")).and_then(Value::as_str) {
            Some(collection) => relations.push((
                p("config.rel.collection"),
                collection.to_string(),
                config.get("rel").and_then(|r| r.get("displayString")).and_then(Value::as_str).map(str::to_string),
            )),
            None => details.push(Detail::new(p("config.rel.collection"), "is required: the slug of the related type")),
        }
    }

    let def = FieldDef {
        ref_id,
        name: name.trim().to_string(),
        label,
        field_type,
        required,
        unique,
        indexed,
        active,
        default_value: None,
        validation,
        options,
        config,
        opt_config,
        c_format,
        nested,
    };
    // The default must itself be a valid value (checked once the rest of the field is).
    let default_value = default_value.filter(|v| !v.is_null());
    if let (Some(value), true) = (&default_value, details.len() == start) {
        if !def.field_type.client_writable() || matches!(def.shape(), Shape::Rel | Shape::RelMulti | Shape::Files) {
            details.push(Detail::new(
                p("default_value"),
                format!("{} fields cannot have a default value", def.field_type.key()),
            ));
        } else {
            let mut problems = Vec::new();
            crate::values::check_value(&def, value, &p("default_value"), &mut problems);
            details.extend(problems);
        }
    }
    (details.len() == start).then_some((FieldDef { default_value, ..def }, order))
}

/// Options as `[{value, label, children?}]`, from that form, from plain strings, or from the
/// reference's `{"choices": ["a", "b"]}`.
pub fn normalize_options(raw: &Value, path: &str, details: &mut Vec<Detail>) -> Vec<Value> {
    let list = match raw {
        Value::Array(list) => list.clone(),
        Value::Object(map) if map.len() == 1 && map.get("choices").is_some_and(Value::is_array) => {
            map["choices"].as_array().cloned().unwrap_or_default()
        }
        Value::Null => Vec::new(),
        _ => {
            details.push(Detail::new(path, "expected a list of {value, label} or {\"choices\": [...]}"));
            return Vec::new();
        }
    };
    normalize_option_list(&list, path, details)
}

fn normalize_option_list(list: &[Value], path: &str, details: &mut Vec<Detail>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for (i, option) in list.iter().enumerate() {
        let at = format!("{path}[{i}]");
        let (value, label, children) = match option {
            Value::String(text) => (text.clone(), text.clone(), None),
            Value::Object(map) => {
                let value = match map.get("value") {
                    Some(Value::String(v)) => v.clone(),
                    Some(Value::Number(n)) => n.to_string(),
                    _ => {
                        details.push(Detail::new(format!("{at}.value"), "is required and must be a string"));
                        continue;
                    }
                };
                let label =
                    map.get("label").and_then(Value::as_str).map(str::to_string).unwrap_or_else(|| value.clone());
                let children = map
                    .get("children")
                    .and_then(Value::as_array)
                    .map(|c| normalize_option_list(c, &format!("{at}.children"), details));
                (value, label, children)
            }
            _ => {
                details.push(Detail::new(&at, "expected a string or {value, label}"));
                continue;
            }
        };
        if value.is_empty() {
            details.push(Detail::new(format!("{at}.value"), "must not be empty"));
        }
        if out.iter().any(|o| o["value"] == value.as_str()) {
            details.push(Detail::new(format!("{at}.value"), format!("{value:?} is used twice")));
        }
        let mut entry = json!({ "value": value, "label": label });
        if let Some(children) = children.filter(|c| !c.is_empty()) {
            entry["children"] = Value::Array(children);
        }
        out.push(entry);
    }
    out
}

fn check_config(
    field_type: FieldType,
    config: &Map<String, Value>,
    options: &[Value],
    opt_config: &Map<String, Value>,
    prefix: &str,
    details: &mut Vec<Detail>,
) {
    let p = |key: &str| format!("{prefix}config.{key}");
    let number = |key: &str, details: &mut Vec<Detail>| match config.get(key) {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_f64() {
            Some(n) => Some(n),
            None => {
                details.push(Detail::new(p(key), format!("expected a number, got {v}")));
                None
            }
        },
    };
    for key in ["integer", "date_only"] {
        if config.get(key).is_some_and(|v| !v.is_boolean()) {
            details.push(Detail::new(p(key), "expected true or false"));
        }
    }
    if let Some(max) = number("max_length", details) {
        if max < 1.0 || max.fract() != 0.0 {
            details.push(Detail::new(p("max_length"), "expected a whole number of characters, at least 1"));
        }
    }
    if let Some(masks) = config.get("masks") {
        let list: Vec<&Value> = match masks {
            Value::Array(list) => list.iter().collect(),
            other => vec![other],
        };
        for (i, mask) in list.iter().enumerate() {
            if mask.as_str().is_none_or(str::is_empty) {
                details.push(Detail::new(
                    format!("{}[{i}]", p("masks")),
                    "expected \"email\", \"url\" or a mask like \"(99) 99999-9999\"",
                ));
            }
        }
    }
    if let Some(kind) = config.get("mask_validation") {
        if !matches!(kind.as_str(), Some("cpf" | "cnpj")) {
            details.push(Detail::new(p("mask_validation"), "expected \"cpf\" or \"cnpj\""));
        }
    }
    match field_type.shape() {
        Shape::Text
            if field_type == FieldType::EnlMask
                && config.get("mask").and_then(Value::as_str).is_none_or(str::is_empty) =>
        {
            details.push(Detail::new(p("mask"), "is required for EnlMask: a mask like \"99999-999\""));
        }
        Shape::Number => {
            if let (Some(min), Some(max)) = (number("min", details), number("max", details)) {
                if min > max {
                    details.push(Detail::new(p("min"), "must not be greater than config.max"));
                }
            }
        }
        Shape::Date => {
            for key in ["min", "max"] {
                if let Some(v) = config.get(key).filter(|v| !v.is_null()) {
                    if v.as_str().is_none_or(|t| crate::time::parse_instant(t).is_none()) {
                        details.push(Detail::new(p(key), "expected an ISO 8601 date or date-time"));
                    }
                }
            }
        }
        Shape::Tree => {
            fn dotted(options: &[Value], path: &str, details: &mut Vec<Detail>) {
                for (i, option) in options.iter().enumerate() {
                    if option["value"].as_str().is_some_and(|v| v.contains('.')) {
                        details
                            .push(Detail::new(format!("{path}[{i}].value"), "tree option values cannot contain '.'"));
                    }
                    if let Some(children) = option.get("children").and_then(Value::as_array) {
                        dotted(children, &format!("{path}[{i}].children"), details);
                    }
                }
            }
            dotted(options, &format!("{prefix}options"), details);
            if opt_config.get("leaf_only").is_some_and(|v| !v.is_boolean()) {
                details.push(Detail::new(format!("{prefix}opt_config.leaf_only"), "expected true or false"));
            }
        }
        Shape::Files => {
            for key in ["max_size", "max_files"] {
                if let Some(n) = number(key, details) {
                    if n < 1.0 || n.fract() != 0.0 {
                        details.push(Detail::new(p(key), "expected a whole number, at least 1"));
                    }
                }
            }
            if let Some(v) = config.get("mime_types") {
                if !v.as_array().is_some_and(|l| l.iter().all(Value::is_string)) {
                    details.push(Detail::new(
                        p("mime_types"),
                        "expected a list of mime types such as \"image/png\" or \"image/*\"",
                    ));
                }
            }
        }
        Shape::Repeater => {
            let min = number("min_rows", details);
            let max = number("max_rows", details);
            if let (Some(min), Some(max)) = (min, max) {
                if min > max {
                    details.push(Detail::new(p("min_rows"), "must not be greater than config.max_rows"));
                }
            }
        }
        Shape::Code => {
            if let Err(problem) = CodeTemplate::parse(config.get("components")) {
                details.push(Detail::new(format!("{}{}", p("components"), problem.path), problem.message));
            }
        }
        _ => {}
    }
}

/// A definition's answer shape [wire], with its id, order and times added by the caller.
pub fn field_json(def: &FieldDef) -> Map<String, Value> {
    let mut out = match serde_json::to_value(def) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    out.insert("slug".into(), json!(def.ref_id));
    out.insert("native".into(), json!(false));
    // A unique field is indexed (its unique index serves lookups and sorts): say so.
    out.insert("indexed".into(), json!(def.wants_index()));
    out.insert("nested".into(), Value::Array(def.nested.iter().map(|c| Value::Object(field_json(c))).collect()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(name: &str, slug: &str, field_type: &str) -> FieldDraft {
        FieldDraft {
            name: Some(name.into()),
            slug: Some(slug.into()),
            field_type: Some(field_type.into()),
            ..Default::default()
        }
    }

    #[test]
    fn both_spellings_agree_or_conflict() {
        let mut d = draft("Tipo", "tipo", "select");
        d.options = Some(json!({ "choices": ["hotfix", "patch"] }));
        d.position = Some(2);
        d.order = Some(2);
        d.default_value_camel = Some(json!("patch"));
        let checked = check_field(d.clone(), None, "").unwrap();
        assert_eq!(checked.def.field_type, FieldType::EnlDropdown);
        assert_eq!(checked.order, Some(2));
        assert_eq!(checked.def.default_value, Some(json!("patch")));
        assert_eq!(
            checked.def.options,
            vec![json!({"value": "hotfix", "label": "hotfix"}), json!({"value": "patch", "label": "patch"})]
        );
        d.order = Some(3);
        d.default_value = Some(json!("hotfix"));
        let details = check_field(d, None, "").unwrap_err();
        assert_eq!(
            details,
            vec![
                Detail::new("position", "conflicts with order: give one of the two spellings"),
                Detail::new("defaultValue", "conflicts with default_value: give one of the two spellings"),
            ]
        );
    }

    #[test]
    fn url_is_text_with_a_url_mask() {
        let checked = check_field(draft("Site", "site", "url"), None, "").unwrap();
        assert_eq!(checked.def.field_type, FieldType::InputText);
        assert_eq!(checked.def.config["masks"], json!(["url"]));
    }

    #[test]
    fn every_problem_is_reported() {
        let mut d = draft("", "9bad", "nope");
        d.validation = Some(vec!["shout".into()]);
        let details = check_field(d, None, "").unwrap_err();
        let paths: Vec<&str> = details.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(paths, ["slug", "name", "type", "validation[0]"]);
    }

    #[test]
    fn a_bad_default_is_refused() {
        let mut d = draft("Qtd", "qtd", "number");
        d.config = Some(json!({ "max": 10 }).as_object().unwrap().clone());
        d.default_value = Some(json!(11));
        let details = check_field(d, None, "").unwrap_err();
        assert_eq!(details, vec![Detail::new("default_value", "must be at most 10, got 11")]);
    }

    #[test]
    fn ref_id_is_immutable_and_derived() {
        assert_eq!(derive_ref_id("Valor Total (R$)"), "valor_total_r");
        assert_eq!(derive_ref_id("2º Turno"), "f_2o_turno");
        let existing = check_field(draft("Tipo", "tipo", "text"), None, "").unwrap().def;
        let details = check_field(FieldDraft { slug: Some("kind".into()), ..Default::default() }, Some(&existing), "")
            .unwrap_err();
        assert_eq!(details[0].path, "slug");
    }

    #[test]
    fn groups_check_their_children() {
        let mut d = draft("Itens", "itens", "EnRepeater");
        d.nested = Some(vec![draft("Qtd", "qtd", "number"), draft("Qtd", "qtd", "text"), draft("X", "x", "bogus")]);
        let details = check_field(d, None, "").unwrap_err();
        let paths: Vec<&str> = details.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(paths, ["nested[1].slug", "nested[2].type"]);
    }

    #[test]
    fn unique_only_fits_single_values() {
        let mut d = draft("Tags", "tags", "EnlChips");
        d.unique = Some(true);
        let details = check_field(d, None, "").unwrap_err();
        assert_eq!(details, vec![Detail::new("unique", "EnlChips values cannot be indexed or unique")]);
    }
}
