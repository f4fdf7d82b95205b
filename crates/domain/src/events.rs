//! Event kinds and the patterns that select them (spec/events.md, decisions 67 and 77): an
//! exact kind, `<resource>.*` (every kind of that resource, later ones included), or `*`.

use serde_json::{Map, Value};

use crate::access::FieldGrant;

/// Every kind the server emits so far; a milestone that adds a resource adds its kinds here.
pub const KINDS: &[&str] = &[
    "item.created",
    "item.updated",
    "item.deleted",
    "signature_request.created",
    "signature_request.updated",
    "type.created",
    "type.updated",
    "type.deleted",
    "field.created",
    "field.updated",
    "field.deleted",
    "form.created",
    "form.updated",
    "form.deleted",
];

/// An item history line's `action` [wire], from the event that is the line: `create`, `update`,
/// `status` (an update of the status alone), `delete`, or `signature_request`.
pub fn history_action(kind: &str, changes: &Map<String, Value>) -> &'static str {
    match kind {
        "item.created" => "create",
        "item.deleted" => "delete",
        "item.updated" if changes.len() == 1 && changes.contains_key("status") => "status",
        "item.updated" => "update",
        _ => "signature_request",
    }
}

/// The kinds a pattern selects; an unknown kind or a malformed pattern (`*.created`) is an
/// error naming what is accepted.
pub fn expand(pattern: &str) -> Result<Vec<&'static str>, String> {
    let selected: Vec<&'static str> = match pattern {
        "*" => KINDS.to_vec(),
        _ => match pattern.strip_suffix(".*") {
            Some(resource) if !resource.is_empty() && !resource.contains('*') => {
                KINDS.iter().copied().filter(|k| k.split_once('.').is_some_and(|(r, _)| r == resource)).collect()
            }
            _ => KINDS.iter().copied().filter(|k| *k == pattern).collect(),
        },
    };
    if selected.is_empty() {
        return Err(format!("expected an event kind ({}), <resource>.* or *, got {pattern:?}", KINDS.join(", ")));
    }
    Ok(selected)
}

/// An item change as a reader with `grant` may see it: keys of fields it cannot read are
/// absent (item history and item events share this rule). `isDraft` is an identity column;
/// `status` needs both the native column and a same-named field readable.
pub fn readable_changes(changes: &Map<String, Value>, grant: &FieldGrant) -> Map<String, Value> {
    if grant.is_all() {
        return changes.clone();
    }
    changes
        .iter()
        .filter(|(key, _)| match key.as_str() {
            "isDraft" => true,
            "status" => grant.covers("status") && grant.covers("data.status"),
            ref_id => grant.covers(&format!("data.{ref_id}")),
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn patterns_select_kinds() {
        assert_eq!(expand("item.created").unwrap(), ["item.created"]);
        assert_eq!(expand("item.*").unwrap(), ["item.created", "item.updated", "item.deleted"]);
        assert_eq!(expand("*").unwrap(), KINDS);
        assert_eq!(expand("signature_request.*").unwrap(), ["signature_request.created", "signature_request.updated"]);
        for bad in ["*.created", "item", "item.", "thing.*", "item.exploded", ""] {
            assert!(expand(bad).unwrap_err().starts_with("expected an event kind"), "{bad}");
        }
    }

    #[test]
    fn history_lines_are_named_from_their_events() {
        let status = json!({ "status": { "from": "active", "to": "inactive" } });
        let both = json!({ "status": { "from": "active", "to": "inactive" }, "nome": { "from": "a", "to": "b" } });
        let action = |kind: &str, changes: &Value| history_action(kind, changes.as_object().unwrap());
        assert_eq!(action("item.updated", &status), "status");
        assert_eq!(action("item.updated", &both), "update");
        assert_eq!(action("item.created", &both), "create");
        assert_eq!(action("item.deleted", &both), "delete");
        assert_eq!(action("signature_request.updated", &json!({})), "signature_request");
    }

    #[test]
    fn changes_are_masked_by_the_readers_fields() {
        let changes = json!({ "nome": { "from": null, "to": "a" }, "valor": { "from": 1, "to": 2 },
            "status": { "from": null, "to": "active" }, "isDraft": { "from": null, "to": false } });
        let changes = changes.as_object().unwrap();
        assert_eq!(readable_changes(changes, &FieldGrant::All), *changes);
        let only_nome = FieldGrant::from_list(&["data.nome".to_string()]);
        assert_eq!(
            Value::Object(readable_changes(changes, &only_nome)),
            json!({ "nome": { "from": null, "to": "a" }, "isDraft": { "from": null, "to": false } })
        );
    }
}
