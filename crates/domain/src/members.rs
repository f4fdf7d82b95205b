//! Member rules of access.md: which license types an invitation may give, the type transition
//! table, and who may confer what on whom.

use crate::{
    access::{MemberAccess, MemberType},
    permissions::may_grant,
};

/// The types an invitation may give (v1 mode: `full` and `standard` only) [wire].
pub fn invitable_type(text: &str, v1_compatibility: bool) -> Result<MemberType, String> {
    let allowed: &[MemberType] = if v1_compatibility {
        &[MemberType::Full, MemberType::Standard]
    } else {
        &[MemberType::Full, MemberType::Standard, MemberType::Viewer]
    };
    match MemberType::parse(text) {
        Some(t) if allowed.contains(&t) => Ok(t),
        _ => {
            let names: Vec<&str> = allowed.iter().map(|t| t.as_str()).collect();
            Err(format!("expected one of {}, got {text:?}", names.join(", ")))
        }
    }
}

/// The transition table [wire]: nothing becomes or stops being the owner; every other change
/// (full ↔ standard, to and from viewer) is allowed. v1 members keep to `full`/`standard`.
pub fn check_type_change(from: MemberType, to: MemberType, v1_compatibility: bool) -> Result<(), String> {
    if from == to {
        return Ok(());
    }
    if from == MemberType::Owner {
        return Err("the owner's type cannot change".into());
    }
    if to == MemberType::Owner {
        return Err("no member can be made the owner".into());
    }
    if v1_compatibility && to == MemberType::Viewer {
        return Err("a v1 compatibility member is full or standard".into());
    }
    Ok(())
}

/// Whether `granter` may make a member what `target` describes (its type with the grants of
/// its role or groups), or act on a member who already is that: nobody gives, or takes from,
/// a member more than they hold themselves. A member whose rights are unlimited (a role-less
/// `full`) is beyond anyone who is limited.
pub fn may_confer(granter: &MemberAccess, target: &MemberAccess) -> bool {
    if granter.unrestricted() {
        return true;
    }
    if target.unrestricted() {
        return false;
    }
    target.grants.iter().flatten().all(|(reference, fields)| may_grant(granter, reference, fields))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(t: MemberType, grants: Option<&[&str]>) -> MemberAccess {
        MemberAccess {
            member_type: t,
            grants: grants.map(|g| g.iter().map(|r| (r.to_string(), vec!["*".to_string()])).collect()),
        }
    }

    #[test]
    fn invitations_give_full_standard_or_viewer() {
        assert_eq!(invitable_type("viewer", false), Ok(MemberType::Viewer));
        assert_eq!(invitable_type("owner", false), Err("expected one of full, standard, viewer, got \"owner\"".into()));
        assert_eq!(invitable_type("viewer", true), Err("expected one of full, standard, got \"viewer\"".into()));
    }

    #[test]
    fn the_transition_table() {
        use MemberType::*;
        for (from, to) in [(Full, Standard), (Standard, Full), (Viewer, Full), (Viewer, Standard), (Full, Viewer)] {
            assert_eq!(check_type_change(from, to, false), Ok(()), "{from:?} → {to:?}");
        }
        assert!(check_type_change(Owner, Full, false).is_err());
        assert!(check_type_change(Full, Owner, false).is_err());
        assert!(check_type_change(Standard, Viewer, true).is_err());
        assert_eq!(check_type_change(Owner, Owner, false), Ok(()));
    }

    #[test]
    fn nobody_confers_more_than_they_hold() {
        let admin = access(MemberType::Full, None);
        let limited = access(MemberType::Full, Some(&["settings::access::manage", "types::orders::read"]));
        let reader = access(MemberType::Standard, Some(&["types::orders::read"]));
        let deleter = access(MemberType::Standard, Some(&["types::orders::delete"]));
        assert!(may_confer(&admin, &admin));
        assert!(may_confer(&limited, &reader));
        assert!(may_confer(&limited, &access(MemberType::Viewer, None)));
        assert!(!may_confer(&limited, &deleter));
        assert!(!may_confer(&limited, &admin));
        assert!(may_confer(&limited, &limited));
    }
}
