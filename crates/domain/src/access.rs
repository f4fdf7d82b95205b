//! The one access decision procedure of spec/access.md ("How a request is decided").
//!
//! The key checks (step 1) happen while authenticating; everything after them is [`decide`],
//! a pure function of the member and the action, used by every route that needs a check.

use std::collections::HashSet;

/// A member's license type [wire].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MemberType {
    Owner,
    Full,
    Standard,
    Viewer,
}

impl MemberType {
    pub const ALL: [MemberType; 4] = [MemberType::Owner, MemberType::Full, MemberType::Standard, MemberType::Viewer];
    pub const NAMES: &'static [&'static str] = &["owner", "full", "standard", "viewer"];

    pub fn as_str(self) -> &'static str {
        match self {
            MemberType::Owner => "owner",
            MemberType::Full => "full",
            MemberType::Standard => "standard",
            MemberType::Viewer => "viewer",
        }
    }

    pub fn parse(text: &str) -> Option<MemberType> {
        MemberType::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

/// A member's status [wire]: only `active` members get in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MemberStatus {
    Active,
    Inactive,
    Blocked,
}

impl MemberStatus {
    pub const ALL: [MemberStatus; 3] = [MemberStatus::Active, MemberStatus::Inactive, MemberStatus::Blocked];
    pub const NAMES: &'static [&'static str] = &["active", "inactive", "blocked"];

    pub fn as_str(self) -> &'static str {
        match self {
            MemberStatus::Active => "active",
            MemberStatus::Inactive => "inactive",
            MemberStatus::Blocked => "blocked",
        }
    }

    pub fn parse(text: &str) -> Option<MemberStatus> {
        MemberStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// Settings areas of `settings::<area>::manage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingsArea {
    System,
    Structure,
    Access,
    Interface,
    Emails,
    Integrations,
    Logs,
    Credentials,
}

impl SettingsArea {
    pub fn as_str(self) -> &'static str {
        match self {
            SettingsArea::System => "system",
            SettingsArea::Structure => "structure",
            SettingsArea::Access => "access",
            SettingsArea::Interface => "interface",
            SettingsArea::Emails => "emails",
            SettingsArea::Integrations => "integrations",
            SettingsArea::Logs => "logs",
            SettingsArea::Credentials => "credentials",
        }
    }

    pub fn permission(self) -> String {
        format!("settings::{}::manage", self.as_str())
    }
}

/// What a request wants to do inside a workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Read workspace-level information every member may see (context, statistics).
    ReadWorkspace,
    /// Change a settings area.
    ManageSettings(SettingsArea),
    /// Delete the workspace, or preview what that removes: the owner's alone.
    DeleteWorkspace,
    /// Upload a file: any member who may write anything (not a viewer). What the file may be
    /// attached to is decided when an item names it.
    UploadFile,
    /// Act on data, named by a permission reference such as `types::orders::read`.
    Data { reference: String, read_only: bool },
}

/// The member as the decision sees it.
#[derive(Debug, Clone)]
pub struct MemberAccess {
    pub member_type: MemberType,
    /// The permission references of the member's role, when it has one.
    pub role: Option<HashSet<String>>,
}

/// A refusal: the text after `Permission denied: `.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied(pub String);

/// Steps 2–5 of the procedure; the first that decides, decides.
pub fn decide(member: &MemberAccess, action: &Action) -> Result<(), Denied> {
    use MemberType::*;
    if member.member_type == Owner {
        return Ok(());
    }
    let reading = matches!(action, Action::ReadWorkspace | Action::Data { read_only: true, .. });
    if member.member_type == Viewer && !reading {
        return Err(Denied(what(action)));
    }
    match action {
        Action::ReadWorkspace | Action::UploadFile => Ok(()),
        Action::DeleteWorkspace => Err(Denied(what(action))),
        Action::ManageSettings(area) => match (member.member_type, &member.role) {
            (Full, None) => Ok(()),
            (Full, Some(grants)) if grants.contains(&area.permission()) => Ok(()),
            _ => Err(Denied(what(action))),
        },
        Action::Data { reference, .. } => match (member.member_type, &member.role) {
            (Full, None) => Ok(()),
            (_, Some(grants)) if grants.contains(reference) => Ok(()),
            _ => Err(Denied(what(action))),
        },
    }
}

fn what(action: &Action) -> String {
    match action {
        Action::ReadWorkspace => "read workspace".into(),
        Action::UploadFile => "upload files".into(),
        Action::ManageSettings(area) => area.permission(),
        Action::DeleteWorkspace => "only the owner can delete the workspace".into(),
        Action::Data { reference, .. } => reference.clone(),
    }
}

/// A role permission reference split for clients: `types::orders::read` →
/// `{resource: "type", resource_id: "orders", action: "read"}`.
pub fn describe_permission(reference: &str) -> Option<(String, String, String)> {
    let mut parts = reference.splitn(3, "::");
    let (area, target, action) = (parts.next()?, parts.next()?, parts.next()?);
    let resource = match area {
        "types" => "type",
        "forms" => "form",
        "tasks" => "task",
        "spaceflows" => "spaceflow",
        other => other,
    };
    Some((resource.to_string(), target.to_string(), action.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(t: MemberType, role: Option<&[&str]>) -> MemberAccess {
        MemberAccess { member_type: t, role: role.map(|r| r.iter().map(|s| s.to_string()).collect()) }
    }

    fn data(reference: &str, read_only: bool) -> Action {
        Action::Data { reference: reference.into(), read_only }
    }

    #[test]
    fn owner_is_unrestricted_even_with_a_role() {
        let owner = member(MemberType::Owner, Some(&[]));
        assert!(decide(&owner, &Action::DeleteWorkspace).is_ok());
        assert!(decide(&owner, &Action::ManageSettings(SettingsArea::System)).is_ok());
        assert!(decide(&owner, &data("types::orders::delete", false)).is_ok());
    }

    #[test]
    fn viewer_reads_only() {
        let viewer = member(MemberType::Viewer, Some(&["types::orders::update", "settings::system::manage"]));
        assert!(decide(&viewer, &Action::ReadWorkspace).is_ok());
        assert_eq!(
            decide(&viewer, &Action::ManageSettings(SettingsArea::System)),
            Err(Denied("settings::system::manage".into()))
        );
        assert!(decide(&viewer, &data("types::orders::update", false)).is_err());
        assert!(decide(
            &member(MemberType::Viewer, Some(&["types::orders::read"])),
            &data("types::orders::read", true)
        )
        .is_ok());
    }

    #[test]
    fn settings_need_full_and_the_role_permission() {
        let area = Action::ManageSettings(SettingsArea::System);
        assert!(decide(&member(MemberType::Full, None), &area).is_ok());
        assert!(decide(&member(MemberType::Full, Some(&["settings::system::manage"])), &area).is_ok());
        assert!(decide(&member(MemberType::Full, Some(&["settings::access::manage"])), &area).is_err());
        assert!(decide(&member(MemberType::Standard, Some(&["settings::system::manage"])), &area).is_err());
        assert!(decide(&member(MemberType::Standard, None), &area).is_err());
    }

    #[test]
    fn data_is_default_deny_for_roles() {
        let read = data("types::orders::read", true);
        assert!(decide(&member(MemberType::Full, None), &read).is_ok());
        assert!(decide(&member(MemberType::Full, Some(&[])), &read).is_err());
        assert!(decide(&member(MemberType::Standard, None), &read).is_err());
        assert!(decide(&member(MemberType::Standard, Some(&["types::orders::read"])), &read).is_ok());
    }

    #[test]
    fn every_member_but_a_viewer_uploads() {
        for t in [MemberType::Owner, MemberType::Full, MemberType::Standard] {
            assert!(decide(&member(t, Some(&[])), &Action::UploadFile).is_ok());
        }
        assert_eq!(decide(&member(MemberType::Viewer, None), &Action::UploadFile), Err(Denied("upload files".into())));
    }

    #[test]
    fn only_the_owner_deletes_the_workspace() {
        assert_eq!(
            decide(&member(MemberType::Full, None), &Action::DeleteWorkspace),
            Err(Denied("only the owner can delete the workspace".into()))
        );
    }

    #[test]
    fn permission_descriptions() {
        assert_eq!(describe_permission("types::orders::read"), Some(("type".into(), "orders".into(), "read".into())));
        assert_eq!(
            describe_permission("settings::system::manage"),
            Some(("settings".into(), "system".into(), "manage".into()))
        );
        assert_eq!(describe_permission("bogus"), None);
    }
}
