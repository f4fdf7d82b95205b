//! Forms: named arrangements of a type's fields, and the rules of their definitions.

use rand::RngCore;
use serde_json::{json, Map, Value};

use crate::Detail;

pub const FORM_TYPES: [&str; 4] = ["create", "edit", "view", "general"];
pub const VISIBILITIES: [&str; 2] = ["private", "public"];
pub const NAME_MAX: usize = 200;
pub const SECTION_MAX: usize = 200;
/// Widths are columns of a 12-column grid, as the product's form builder lays them out.
pub const WIDTH_MAX: u64 = 12;

/// A new form's public hash: 32 lower-case hex digits (128 random bits), the only handle a
/// public form has, so it must not be guessable.
pub fn new_hash() -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks a form's `fields` list against the type's top-level refIds and answers it
/// normalized: every entry `{refId, required, width, section}`, `required` defaulting to
/// false, `width` to `"12"` (a whole row) and `section` to null. Every problem is reported.
pub fn check_form_fields(details: &mut Vec<Detail>, value: &Value, ref_ids: &[&str]) -> Vec<Value> {
    let Some(entries) = value.as_array() else {
        details.push(Detail::new("fields", "expected a list of {refId, required, width, section}"));
        return Vec::new();
    };
    let mut out = Vec::with_capacity(entries.len());
    let mut seen: Vec<&str> = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let path = format!("fields[{i}]");
        let Some(entry) = entry.as_object() else {
            details.push(Detail::new(path, "expected an object {refId, required, width, section}"));
            continue;
        };
        let before = details.len();
        for key in entry.keys() {
            if !["refId", "required", "width", "section"].contains(&key.as_str()) {
                details.push(Detail::new(format!("{path}.{key}"), "unknown key"));
            }
        }
        let ref_id = match entry.get("refId") {
            Some(Value::String(r)) if ref_ids.contains(&r.as_str()) => {
                if seen.contains(&r.as_str()) {
                    details.push(Detail::new(format!("{path}.refId"), format!("{r:?} appears twice in this form")));
                }
                seen.push(r);
                r.clone()
            }
            Some(Value::String(r)) => {
                details.push(Detail::new(format!("{path}.refId"), format!("no field {r:?} in this type")));
                String::new()
            }
            None | Some(Value::Null) => {
                details.push(Detail::new(format!("{path}.refId"), "is required"));
                String::new()
            }
            Some(_) => {
                details.push(Detail::new(format!("{path}.refId"), "expected a string"));
                String::new()
            }
        };
        let required = match entry.get("required") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                details.push(Detail::new(format!("{path}.required"), "expected true or false"));
                false
            }
        };
        let width = match entry.get("width") {
            None | Some(Value::Null) => Some(WIDTH_MAX),
            Some(Value::String(s)) => s.trim().parse::<u64>().ok(),
            Some(Value::Number(n)) => n.as_u64(),
            Some(_) => None,
        }
        .filter(|w| (1..=WIDTH_MAX).contains(w));
        if width.is_none() {
            details
                .push(Detail::new(format!("{path}.width"), format!("expected a whole number from 1 to {WIDTH_MAX}")));
        }
        let section = match entry.get("section") {
            None | Some(Value::Null) => Value::Null,
            Some(Value::String(s)) if s.chars().count() <= SECTION_MAX => Value::String(s.clone()),
            Some(Value::String(_)) => {
                details
                    .push(Detail::new(format!("{path}.section"), format!("must be at most {SECTION_MAX} characters")));
                Value::Null
            }
            Some(_) => {
                details.push(Detail::new(format!("{path}.section"), "expected a string"));
                Value::Null
            }
        };
        if details.len() == before {
            out.push(json!({
                "refId": ref_id,
                "required": required,
                "width": width.unwrap_or(WIDTH_MAX).to_string(),
                "section": section,
            }));
        }
    }
    out
}

/// The refIds a form marks required.
pub fn required_ref_ids(fields: &Value) -> Vec<String> {
    fields
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f.get("required").and_then(Value::as_bool) == Some(true))
        .filter_map(|f| f.get("refId").and_then(Value::as_str).map(str::to_string))
        .collect()
}

/// The refIds a form shows.
pub fn shown_ref_ids(fields: &Value) -> Vec<&str> {
    fields.as_array().into_iter().flatten().filter_map(|f| f.get("refId").and_then(Value::as_str)).collect()
}

/// A public answer's data limited to the fields its form shows: an anonymous submitter writes
/// nothing the form does not offer. Keys outside the form are reported, not dropped silently.
pub fn check_answer_keys(details: &mut Vec<Detail>, data: &Map<String, Value>, fields: &Value) {
    let shown = shown_ref_ids(fields);
    let mut extra: Vec<&String> = data.keys().filter(|k| !shown.contains(&k.as_str())).collect();
    extra.sort();
    for key in extra {
        details.push(Detail::new(format!("data.{key}"), "is not a field of this form"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_32_hex_and_differ() {
        let (a, b) = (new_hash(), new_hash());
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_ne!(a, b);
    }

    #[test]
    fn normalizes_entries_with_defaults() {
        let mut details = Vec::new();
        let out = check_form_fields(
            &mut details,
            &json!([{"refId": "tipo", "required": true, "width": 6, "section": "Dados"}, {"refId": "valor"}]),
            &["tipo", "valor"],
        );
        assert_eq!(details, vec![]);
        assert_eq!(
            out,
            vec![
                json!({"refId": "tipo", "required": true, "width": "6", "section": "Dados"}),
                json!({"refId": "valor", "required": false, "width": "12", "section": null}),
            ]
        );
    }

    #[test]
    fn reports_every_problem_with_its_path() {
        let mut details = Vec::new();
        check_form_fields(
            &mut details,
            &json!([
                {"refId": "nope", "width": "13"},
                {"refId": "tipo", "required": "yes", "colour": 1},
                {"refId": "tipo", "section": 3},
                7
            ]),
            &["tipo"],
        );
        assert_eq!(
            details,
            vec![
                Detail::new("fields[0].refId", "no field \"nope\" in this type"),
                Detail::new("fields[0].width", "expected a whole number from 1 to 12"),
                Detail::new("fields[1].colour", "unknown key"),
                Detail::new("fields[1].required", "expected true or false"),
                Detail::new("fields[2].refId", "\"tipo\" appears twice in this form"),
                Detail::new("fields[2].section", "expected a string"),
                Detail::new("fields[3]", "expected an object {refId, required, width, section}"),
            ]
        );
    }

    #[test]
    fn answers_may_only_fill_the_forms_fields() {
        let form = json!([{"refId": "tipo", "required": true}]);
        let mut details = Vec::new();
        let data = json!({"tipo": "a", "secret": 1, "another": 2});
        check_answer_keys(&mut details, data.as_object().unwrap(), &form);
        assert_eq!(
            details,
            vec![
                Detail::new("data.another", "is not a field of this form"),
                Detail::new("data.secret", "is not a field of this form")
            ]
        );
        assert_eq!(required_ref_ids(&form), vec!["tipo".to_string()]);
    }
}
