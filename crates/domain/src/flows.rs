//! Flow configuration rules (spec/flows-and-tasks.md § Flow, § Stage, § Transitions;
//! decisions 10, 11, 15, 16): the values each key takes, the defaults, and a start condition's
//! consistency with its start type.

use serde_json::Value;

use crate::{conditions, item_columns::TypeColumns, Detail};

pub const STATUSES: [&str; 2] = ["active", "inactive"];
pub const START_TYPES: [&str; 2] = ["always", "conditional"];
pub const PROGRESS_TYPES: [&str; 2] = ["closing_task", "all_tasks"];
pub const NAME_MAX: usize = 100;

/// `value` as one of `allowed`, or a detail naming them.
pub fn one_of(path: &str, value: &str, allowed: &[&str]) -> Result<(), Detail> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(Detail::new(path, format!("expected one of {}, got {value:?}", allowed.join(", "))))
    }
}

/// A start condition and its type (decision 10): `conditional` holds filters exactly when
/// `start_type` is `conditional`, and they are checked against the type's fields.
pub fn check_start(details: &mut Vec<Detail>, start_type: &str, conditional: Option<&Value>, columns: &TypeColumns) {
    if let Err(detail) = one_of("start_type", start_type, &START_TYPES) {
        details.push(detail);
        return;
    }
    let empty = conditional.is_none_or(|c| c.is_null() || c.as_object().is_some_and(|o| o.is_empty()));
    match (start_type, empty) {
        ("conditional", true) => details.push(Detail::new("conditional", "is required with start_type conditional")),
        ("always", false) => details.push(Detail::new("conditional", "only applies with start_type conditional")),
        _ => {}
    }
    check_conditional(details, "conditional", conditional, columns);
}

/// A conditional, checked against the type's fields: the detail names the key (`conditional.data.x_gt`).
pub fn check_conditional(details: &mut Vec<Detail>, path: &str, conditional: Option<&Value>, columns: &TypeColumns) {
    if let Some(value) = conditional {
        if let Err(detail) = conditions::parse(value, columns) {
            let at = if detail.path.is_empty() { path.to_string() } else { format!("{path}.{}", detail.path) };
            details.push(Detail::new(at, detail.message));
        }
    }
}

/// A stage colour: `#RGB` or `#RRGGBB`.
pub fn check_hex_color(value: &str) -> Result<(), String> {
    let hex = value.strip_prefix('#').unwrap_or("");
    if matches!(hex.len(), 3 | 6) && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(format!("expected a colour #RGB or #RRGGBB, got {value:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_start_condition_fits_its_start_type() {
        let columns = TypeColumns::new([].iter());
        let problems = |start_type: &str, conditional: Option<Value>| {
            let mut details = Vec::new();
            check_start(&mut details, start_type, conditional.as_ref(), &columns);
            details.into_iter().map(|d| (d.path, d.message)).collect::<Vec<_>>()
        };
        assert!(problems("always", None).is_empty());
        assert!(problems("always", Some(json!({}))).is_empty());
        assert!(problems("conditional", Some(json!({ "status": "active" }))).is_empty());
        assert_eq!(problems("conditional", None)[0].0, "conditional");
        assert_eq!(
            problems("always", Some(json!({ "status": "active" })))[0].1,
            "only applies with start_type conditional"
        );
        assert_eq!(problems("sometimes", None)[0].1, "expected one of always, conditional, got \"sometimes\"");
        assert_eq!(
            problems("conditional", Some(json!({ "data.nada": 1 }))),
            [("conditional.data.nada".to_string(), "unknown field or operator".to_string())]
        );
        assert!(check_hex_color("#3B82F6").is_ok() && check_hex_color("#fff").is_ok());
        assert!(check_hex_color("blue").is_err() && check_hex_color("#12345").is_err());
    }
}

/// Decision 20's warning: a stage whose outgoing transitions are all conditional ends its run
/// when none holds, which is rarely what was meant.
pub const NO_FALLBACK: &str = "no unconditional fallback";

/// The warnings a stage's outgoing transitions (their conditionals) call for.
pub fn transition_warnings<'a>(conditionals: impl IntoIterator<Item = Option<&'a Value>>) -> Vec<String> {
    let mut any = false;
    let mut all_conditional = true;
    for conditional in conditionals {
        any = true;
        let empty = conditional.is_none_or(|c| c.is_null() || c.as_object().is_some_and(|o| o.is_empty()));
        all_conditional &= !empty;
    }
    if any && all_conditional {
        vec![NO_FALLBACK.to_string()]
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod warning_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_all_conditional_exits_warn() {
        let c = json!({ "status": "active" });
        assert_eq!(transition_warnings([Some(&c), Some(&c)]), [NO_FALLBACK]);
        assert!(transition_warnings([Some(&c), None]).is_empty());
        assert!(transition_warnings([Some(&json!({}))]).is_empty());
        assert!(transition_warnings(std::iter::empty()).is_empty(), "no transition ends the run on purpose");
    }
}
