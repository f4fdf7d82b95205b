//! Role permissions: which references exist (`<area>::<target>::<action>`, access.md), what
//! their `fields` may list, and who may grant them.

use serde_json::Value;

use crate::{
    access::{FieldGrant, MemberAccess, MemberType},
    fields::NATIVE_FIELDS,
    Detail,
};

pub const ROLE_NAME_MAX: usize = 120;
pub const ROLE_DESCRIPTION_MAX: usize = 2000;
pub const ROLE_STATUSES: [&str; 2] = ["active", "inactive"];

const SETTINGS_AREAS: [&str; 8] =
    ["system", "structure", "access", "interface", "emails", "integrations", "logs", "credentials"];

/// What the workspace holds that references may name.
pub struct Known<'a> {
    /// Type slugs with their fields' refIds.
    pub types: &'a [(&'a str, Vec<&'a str>)],
    pub form_ids: &'a [i64],
}

/// A reference's parts when it names something that exists; the message says what is wrong.
pub fn check_reference(reference: &str, known: &Known<'_>) -> Result<(), String> {
    let parts: Vec<&str> = reference.split("::").collect();
    let [area, target, action] = parts[..] else {
        return Err(format!("expected <area>::<target>::<action>, got {reference:?}"));
    };
    let actions: &[&str] = match (area, target) {
        ("types", slug) => {
            if !known.types.iter().any(|(s, _)| *s == slug) {
                return Err(format!("no type {slug:?} in this workspace"));
            }
            &["read", "create", "update", "delete"]
        }
        ("forms", id) => {
            if !id.parse::<i64>().is_ok_and(|id| known.form_ids.contains(&id)) {
                return Err(format!("no form {id:?} in this workspace"));
            }
            &["create"]
        }
        ("tasks", "quick") => &["read", "create", "update", "delete"],
        ("tasks", "scheduled") => &["read", "update", "delete"],
        ("spaceflows", "*") => &["read", "update", "start"],
        ("calendar", "*") => &["read"],
        ("ai", "chat") => &["use"],
        ("settings", area) if SETTINGS_AREAS.contains(&area) => &["manage"],
        _ => return Err(format!("unknown permission area {area}::{target}")),
    };
    if actions.contains(&action) {
        Ok(())
    } else {
        Err(format!("{area}::{target} takes {}, not {action:?}", actions.join(", ")))
    }
}

/// Checks a permission's `fields` (for `types::<slug>::read|update` only: `"*"`, `data.<refId>`
/// of that type, or a native column) and answers them, `["*"]` when absent for those two.
pub fn check_fields(
    details: &mut Vec<Detail>,
    path: &str,
    reference: &str,
    fields: Option<&Value>,
    known: &Known<'_>,
) -> Vec<String> {
    let parts: Vec<&str> = reference.split("::").collect();
    let ref_ids = match parts[..] {
        ["types", slug, "read" | "update"] => known.types.iter().find(|(s, _)| *s == slug).map(|(_, r)| r),
        _ => None,
    };
    let given: Vec<&Value> = match fields {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => list.iter().collect(),
        Some(_) => {
            details.push(Detail::new(path, "expected a list of field paths"));
            return Vec::new();
        }
    };
    let Some(ref_ids) = ref_ids else {
        if !given.is_empty() {
            details.push(Detail::new(path, "field lists apply only to read and update of a type"));
        }
        return Vec::new();
    };
    if given.is_empty() {
        return vec!["*".into()];
    }
    let mut out = Vec::with_capacity(given.len());
    for (i, entry) in given.into_iter().enumerate() {
        let at = format!("{path}[{i}]");
        let Some(text) = entry.as_str() else {
            details.push(Detail::new(at, "expected a string"));
            continue;
        };
        let valid = text == "*"
            || text.strip_prefix("data.").is_some_and(|r| ref_ids.contains(&r))
            || NATIVE_FIELDS.iter().any(|(name, _)| *name == text);
        if !valid {
            details.push(Detail::new(at, format!("no field {text:?} in this type")));
        } else if !out.iter().any(|o: &String| o == text) {
            out.push(text.to_string());
        }
    }
    out
}

/// Whether `granter` may put `reference` with `fields` into a role or group: nobody grants what
/// they do not hold (the owner and a role-less `full` member hold everything), field lists
/// included: holding `data.a` does not let one grant `data.b` or `"*"`.
pub fn may_grant(granter: &MemberAccess, reference: &str, fields: &[String]) -> bool {
    if granter.unrestricted() {
        return true;
    }
    if granter.member_type != MemberType::Full {
        return false;
    }
    let Some(held) = granter.grants.as_ref().and_then(|g| g.get(reference)) else { return false };
    let held = FieldGrant::from_list(held);
    match held {
        FieldGrant::All => true,
        FieldGrant::Only(paths) => fields.iter().all(|f| f != "*" && paths.contains(f)),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn known() -> (Vec<(&'static str, Vec<&'static str>)>, Vec<i64>) {
        (vec![("orders", vec!["status", "valor"])], vec![9])
    }

    #[test]
    fn references_name_what_exists() {
        let (types, forms) = known();
        let known = Known { types: &types, form_ids: &forms };
        for ok in [
            "types::orders::read",
            "forms::9::create",
            "tasks::scheduled::delete",
            "spaceflows::*::start",
            "settings::credentials::manage",
            "ai::chat::use",
        ] {
            assert_eq!(check_reference(ok, &known), Ok(()), "{ok}");
        }
        assert_eq!(check_reference("types::nope::read", &known), Err("no type \"nope\" in this workspace".into()));
        assert_eq!(check_reference("forms::8::create", &known), Err("no form \"8\" in this workspace".into()));
        assert_eq!(
            check_reference("tasks::scheduled::create", &known),
            Err("tasks::scheduled takes read, update, delete, not \"create\"".into())
        );
        assert_eq!(
            check_reference("settings::billing::manage", &known),
            Err("unknown permission area settings::billing".into())
        );
        assert_eq!(
            check_reference("types::orders", &known),
            Err("expected <area>::<target>::<action>, got \"types::orders\"".into())
        );
    }

    #[test]
    fn field_lists_belong_to_type_reads_and_updates() {
        let (types, forms) = known();
        let known = Known { types: &types, form_ids: &forms };
        let mut details = Vec::new();
        assert_eq!(check_fields(&mut details, "fields", "types::orders::read", None, &known), vec!["*"]);
        assert_eq!(
            check_fields(
                &mut details,
                "fields",
                "types::orders::update",
                Some(&json!(["data.valor", "created_at", "data.valor"])),
                &known
            ),
            vec!["data.valor", "created_at"]
        );
        assert!(details.is_empty());
        check_fields(&mut details, "fields", "types::orders::read", Some(&json!(["data.nope", 3])), &known);
        check_fields(&mut details, "f", "types::orders::delete", Some(&json!(["*"])), &known);
        assert_eq!(
            details,
            vec![
                Detail::new("fields[0]", "no field \"data.nope\" in this type"),
                Detail::new("fields[1]", "expected a string"),
                Detail::new("f", "field lists apply only to read and update of a type"),
            ]
        );
    }

    #[test]
    fn nobody_grants_what_they_do_not_hold() {
        let grants = |refs: &[(&str, &[&str])]| {
            Some(refs.iter().map(|(r, f)| (r.to_string(), f.iter().map(|f| f.to_string()).collect())).collect())
        };
        let list = |f: &[&str]| f.iter().map(|f| f.to_string()).collect::<Vec<_>>();
        let owner = MemberAccess { member_type: MemberType::Owner, grants: grants(&[]) };
        let admin = MemberAccess { member_type: MemberType::Full, grants: None };
        let limited = MemberAccess {
            member_type: MemberType::Full,
            grants: grants(&[("types::orders::read", &["*"]), ("types::orders::update", &["data.status"])]),
        };
        let standard =
            MemberAccess { member_type: MemberType::Standard, grants: grants(&[("types::orders::read", &["*"])]) };
        assert!(may_grant(&owner, "settings::access::manage", &[]));
        assert!(may_grant(&admin, "types::orders::delete", &[]));
        assert!(may_grant(&limited, "types::orders::read", &list(&["*"])));
        assert!(may_grant(&limited, "types::orders::update", &list(&["data.status"])));
        assert!(!may_grant(&limited, "types::orders::update", &list(&["data.status", "data.valor"])));
        assert!(!may_grant(&limited, "types::orders::update", &list(&["*"])));
        assert!(!may_grant(&limited, "types::orders::delete", &[]));
        assert!(!may_grant(&standard, "types::orders::read", &list(&["*"])));
    }
}
