//! Event kinds and the patterns that select them (spec/events.md, decisions 67 and 77): an
//! exact kind, `<resource>.*` (every kind of that resource, later ones included), or `*`.

use serde_json::{Map, Value};

use crate::access::{decide, Action, FieldGrant, MemberAccess, SettingsArea};

/// Every kind the server emits so far; a milestone that adds a resource adds its kinds here.
pub const KINDS: &[&str] = &[
    "item.created",
    "item.updated",
    "item.deleted",
    "member.added",
    "member.updated",
    "member.removed",
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
    "flow.created",
    "flow.updated",
    "flow.deleted",
    "stage.created",
    "stage.updated",
    "stage.deleted",
    "transition.created",
    "transition.updated",
    "transition.deleted",
    "stage_task.created",
    "stage_task.updated",
    "stage_task.deleted",
    "responsibility_rule.created",
    "responsibility_rule.updated",
    "responsibility_rule.deleted",
    "flow_item.started",
    "flow_item.stage_changed",
    "flow_item.completed",
    "flow_item.removed",
    // Ours (decision 18): the run reached the cap of automatic stage entries in one command.
    "flow_item.stalled",
    "schedule_task.created",
    "schedule_task.assigned",
    "schedule_task.completed",
    "schedule_task.removed",
    "schedule_task.updated",
    // A trash or restore is an update (`deleted_at`); only a permanent delete is `deleted`
    // (decision 70).
    "quick_task.created",
    "quick_task.updated",
    "quick_task.deleted",
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

/// What a reader with `access` receives of an event (decisions 65–67): its `changes` as the
/// reader may see them, or nothing when the event is not for it. Per kind:
/// - `member.*`: whoever may manage members (`settings::access::manage`);
/// - `signature_request.*`: whoever manages integrations, else as below;
/// - `quick_task.*`: `tasks::quick::read`;
/// - anything about a type (`item_type`): read on the type, and only readable item fields in
///   `changes`; an `item.updated` left with no readable change is not delivered;
/// - anything else: the unrestricted alone (default deny for a kind without a rule).
pub fn audience(
    access: &MemberAccess,
    kind: &str,
    item_type: Option<&str>,
    changes: &Map<String, Value>,
) -> Option<Map<String, Value>> {
    let resource = kind.split_once('.').map_or(kind, |(r, _)| r);
    let may = |action: Action| decide(access, &action).is_ok();
    match (resource, item_type) {
        ("member", _) => may(Action::ManageSettings(SettingsArea::Access)).then(|| changes.clone()),
        ("signature_request", _) if may(Action::ManageSettings(SettingsArea::Integrations)) => Some(changes.clone()),
        // Every schedule task of a type: `tasks::scheduled::read` beside read on the type.
        ("schedule_task", Some(_)) if !may(Action::read_feature("tasks::scheduled::read")) => None,
        // Every quick task, whatever its item: `tasks::quick::read` (its people read theirs
        // through the event's audience attributes).
        ("quick_task", _) => may(Action::read_feature("tasks::quick::read")).then(|| changes.clone()),
        (_, Some(slug)) => {
            if !may(Action::read_type(slug)) {
                return None;
            }
            let shown = if resource == "item" {
                readable_changes(changes, &access.fields(slug, "read"))
            } else {
                changes.clone()
            };
            (kind != "item.updated" || !shown.is_empty()).then_some(shown)
        }
        (_, None) => access.unrestricted().then(|| changes.clone()),
    }
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

    #[test]
    fn each_kind_has_its_audience() {
        use crate::access::{grants_from, MemberType};
        let member = |member_type, grants: &[(&str, &[&str])]| MemberAccess {
            member_type,
            grants: Some(grants_from(
                grants.iter().map(|(r, f)| (r.to_string(), f.iter().map(|s| s.to_string()).collect())),
            )),
        };
        let owner = MemberAccess { member_type: MemberType::Owner, grants: None };
        let reader = member(MemberType::Standard, &[("types::pedidos::read", &["data.nome"])]);
        let access_manager = member(MemberType::Full, &[("settings::access::manage", &[])]);
        let changes = json!({ "nome": { "from": "a", "to": "b" }, "valor": { "from": 1, "to": 2 } });
        let changes = changes.as_object().unwrap();
        let valor_only = json!({ "valor": { "from": 1, "to": 2 } });
        let valor_only = valor_only.as_object().unwrap();

        assert_eq!(audience(&owner, "item.updated", Some("pedidos"), changes).as_ref(), Some(changes));
        assert_eq!(
            audience(&reader, "item.updated", Some("pedidos"), changes).map(Value::Object),
            Some(json!({ "nome": { "from": "a", "to": "b" } }))
        );
        // Nothing readable changed: the update is not for this reader; a create still is.
        assert_eq!(audience(&reader, "item.updated", Some("pedidos"), valor_only), None);
        assert!(audience(&reader, "item.created", Some("pedidos"), valor_only).is_some());
        assert_eq!(audience(&reader, "item.created", Some("segredos"), changes), None);
        // Members: only those who manage access; a kind without a type, only the unrestricted.
        assert_eq!(audience(&reader, "member.added", None, changes), None);
        assert!(audience(&access_manager, "member.added", None, changes).is_some());
        assert_eq!(audience(&access_manager, "something.new", None, changes), None);
        assert!(audience(&owner, "something.new", None, changes).is_some());
    }
}
