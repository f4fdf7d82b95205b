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

/// Where the permissions that limit a member come from [wire]: its role, or in v1 mode for
/// `standard` the union of its groups'. Nothing limits the owner, a role-less member (which
/// leaves `full` unrestricted and the others with nothing) or a v1 `full` (which ignores its
/// role). The store loads grants by this rule, and member management checks targets by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantSource {
    None,
    Role(i64),
    Groups,
}

pub fn grant_source(member_type: MemberType, v1_compatibility: bool, role_id: Option<i64>) -> GrantSource {
    match (member_type, v1_compatibility, role_id) {
        (MemberType::Owner, _, _) => GrantSource::None,
        (MemberType::Standard, true, _) => GrantSource::Groups,
        (_, true, _) => GrantSource::None,
        (_, false, Some(role_id)) => GrantSource::Role(role_id),
        (_, false, None) => GrantSource::None,
    }
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

    #[test]
    fn grants_come_from_the_role_or_in_v1_the_groups() {
        use MemberType::*;
        assert_eq!(grant_source(Owner, false, Some(3)), GrantSource::None);
        assert_eq!(grant_source(Standard, false, Some(3)), GrantSource::Role(3));
        assert_eq!(grant_source(Full, false, None), GrantSource::None);
        assert_eq!(grant_source(Standard, true, Some(3)), GrantSource::Groups);
        assert_eq!(grant_source(Full, true, Some(3)), GrantSource::None);
    }
}
