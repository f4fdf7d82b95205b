//! The one access decision procedure of spec/access.md ("How a request is decided").
//!
//! The key checks (step 1) happen while authenticating; everything after them is [`decide`],
//! a pure function of the member and the action, used by every route that needs a check.

use std::collections::{HashMap, HashSet};

use crate::key::{Scope, Scopes};

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
    /// Write in a WhatsApp conversation (send, close): any member but a viewer [ours].
    Converse,
    /// Send a document out for signature: any member but a viewer [ours]; when the request
    /// names an item, the route also asks for update on that item's type.
    SendForSignature,
    /// Act on data, named by a permission reference such as `types::orders::read`.
    Data { reference: String, read_only: bool },
}

impl Action {
    /// An action on the items of type `slug`: `read`, `create`, `update`, `delete`, …
    pub fn on_type(slug: &str, verb: &str) -> Action {
        Action::Data { reference: format!("types::{slug}::{verb}"), read_only: verb == "read" }
    }

    /// Reading the items (and the definition) of type `slug`.
    pub fn read_type(slug: &str) -> Action {
        Action::on_type(slug, "read")
    }

    /// Reading what a permission reference names (`tasks::scheduled::read`): viewers may.
    pub fn read_feature(reference: &str) -> Action {
        Action::Data { reference: reference.to_string(), read_only: true }
    }

    /// Using a workspace feature named by its permission reference (`ai::chat::use`, …).
    pub fn use_feature(reference: &str) -> Action {
        Action::Data { reference: reference.to_string(), read_only: false }
    }
}

/// Permission references with their field lists (empty for references without one).
pub type Grants = HashMap<String, Vec<String>>;

/// The member as the decision sees it.
#[derive(Debug, Clone)]
pub struct MemberAccess {
    pub member_type: MemberType,
    /// What the member's role grants (in v1 mode, the union of its groups'); `None` when it
    /// has no role, which leaves `full` unrestricted and `standard`/`viewer` with nothing.
    pub grants: Option<Grants>,
}

/// Grants from permission rows; a reference given more than once (by two groups) covers the
/// union of its field lists.
pub fn grants_from(rows: impl IntoIterator<Item = (String, Vec<String>)>) -> Grants {
    let mut grants = Grants::new();
    for (reference, fields) in rows {
        let held: &mut Vec<String> = grants.entry(reference).or_default();
        for field in fields {
            if !held.contains(&field) {
                held.push(field);
            }
        }
    }
    grants
}

impl MemberAccess {
    /// The owner, and a `full` member with no role, hold every permission.
    pub fn unrestricted(&self) -> bool {
        matches!((self.member_type, &self.grants), (MemberType::Owner, _) | (MemberType::Full, None))
    }

    fn holds(&self, reference: &str) -> bool {
        self.unrestricted() || self.grants.as_ref().is_some_and(|g| g.contains_key(reference))
    }

    /// Which fields of type `slug` the member may `read` or `update` (access.md step 6). A
    /// member without the permission itself gets [`FieldGrant::none`]: the decision refuses
    /// the request before fields matter, except where an answer shows an item anyway (a
    /// create through a form), and then it shows nothing but the item's identity.
    pub fn fields(&self, slug: &str, action: &str) -> FieldGrant {
        if self.unrestricted() {
            return FieldGrant::All;
        }
        if self.member_type == MemberType::Viewer && action != "read" {
            return FieldGrant::none();
        }
        let held = self.grants.as_ref().and_then(|g| g.get(&format!("types::{slug}::{action}")));
        match held {
            Some(fields) => FieldGrant::from_list(fields),
            None => FieldGrant::none(),
        }
    }
}

/// The fields a permission covers: every field (`"*"`, including fields added later), or the
/// listed paths (`data.<refId>` and native columns).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldGrant {
    All,
    Only(HashSet<String>),
}

/// Item columns that identify an item and are visible to whoever may see the item at all: a
/// field list cannot hide them [ours].
pub const ALWAYS_VISIBLE: [&str; 3] = ["id", "reference", "isDraft"];

impl FieldGrant {
    pub fn none() -> FieldGrant {
        FieldGrant::Only(HashSet::new())
    }

    /// A permission's `fields` as stored (absent was normalized to `["*"]` when granted).
    pub fn from_list(fields: &[String]) -> FieldGrant {
        if fields.iter().any(|f| f == "*") {
            FieldGrant::All
        } else {
            FieldGrant::Only(fields.iter().cloned().collect())
        }
    }

    pub fn is_all(&self) -> bool {
        matches!(self, FieldGrant::All)
    }

    /// The grant widened by `paths`.
    pub fn with(&self, paths: impl IntoIterator<Item = String>) -> FieldGrant {
        match self {
            FieldGrant::All => FieldGrant::All,
            FieldGrant::Only(held) => FieldGrant::Only(held.iter().cloned().chain(paths).collect()),
        }
    }

    /// Keeps in an item's `data` only the values of fields the grant covers.
    pub fn retain_readable(&self, data: &mut serde_json::Map<String, serde_json::Value>) {
        if !self.is_all() {
            data.retain(|ref_id, _| self.covers(&format!("data.{ref_id}")));
        }
    }

    /// Whether the grant covers an item column or field named as the list language and item
    /// answers name it: `data.cliente.reference` is the field `data.cliente`, `created_by` is
    /// the native `user`, and the identity columns are always covered.
    pub fn covers(&self, name: &str) -> bool {
        let FieldGrant::Only(paths) = self else { return true };
        let path = permission_path(name);
        ALWAYS_VISIBLE.contains(&path) || paths.contains(path)
    }
}

/// The permission path of a list-language name or item key.
pub fn permission_path(name: &str) -> &str {
    if name == "created_by" {
        return "user";
    }
    match name.strip_prefix("data.") {
        Some(rest) => match rest.find('.') {
            Some(dot) => &name[..5 + dot],
            None => name,
        },
        None => name,
    }
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
        Action::ReadWorkspace | Action::UploadFile | Action::Converse | Action::SendForSignature => Ok(()),
        Action::DeleteWorkspace => Err(Denied(what(action))),
        Action::ManageSettings(area) if member.member_type == Full && member.holds(&area.permission()) => Ok(()),
        Action::ManageSettings(_) => Err(Denied(what(action))),
        Action::Data { reference, .. } if member.holds(reference) => Ok(()),
        Action::Data { .. } => Err(Denied(what(action))),
    }
}

fn what(action: &Action) -> String {
    match action {
        Action::ReadWorkspace => "read workspace".into(),
        Action::UploadFile => "upload files".into(),
        Action::Converse => "write in conversations".into(),
        Action::SendForSignature => "send documents for signature".into(),
        Action::ManageSettings(area) => area.permission(),
        Action::DeleteWorkspace => "only the owner can delete the workspace".into(),
        Action::Data { reference, .. } => reference.clone(),
    }
}

/// One permission the caller can actually use: `resource`/`resource_id`/`action` as in
/// [`describe_permission`], with the field list for a type's `read`/`update`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effective {
    pub resource: String,
    pub resource_id: String,
    pub action: String,
    pub fields: Option<Vec<String>>,
}

/// The key scope an action needs: its reads need `read`, its removals `delete`, the rest `write`.
fn action_scope(action: &str) -> Scope {
    match action {
        "read" => Scope::Read,
        "delete" => Scope::Delete,
        _ => Scope::Write,
    }
}

const ACTIONS: [&str; 7] = ["read", "create", "update", "delete", "start", "use", "manage"];

/// What the member may do through a key with `scopes` (`GET /ws`): its grants less what its
/// license type forbids (a viewer only reads) and less what the key's scopes leave out. The
/// unrestricted get `*` entries: one `{*, *, *}` when the key has every scope, else one per
/// action the key allows.
pub fn effective(member: &MemberAccess, scopes: &Scopes) -> Vec<Effective> {
    let usable = |action: &str| {
        scopes.has(action_scope(action)) && (member.member_type != MemberType::Viewer || action == "read")
    };
    let star =
        |action: &str| Effective { resource: "*".into(), resource_id: "*".into(), action: action.into(), fields: None };
    if member.unrestricted() {
        if Scope::ALL.iter().all(|s| scopes.has(*s)) {
            return vec![star("*")];
        }
        return ACTIONS.iter().filter(|a| usable(a)).map(|a| star(a)).collect();
    }
    let Some(grants) = &member.grants else { return Vec::new() };
    let mut out: Vec<Effective> = grants
        .iter()
        .filter_map(|(reference, fields)| {
            let (resource, resource_id, action) = describe_permission(reference)?;
            if !usable(&action) || (resource == "settings" && member.member_type != MemberType::Full) {
                return None;
            }
            let fields = (resource == "type" && matches!(action.as_str(), "read" | "update")).then(|| fields.clone());
            Some(Effective { resource, resource_id, action, fields })
        })
        .collect();
    out.sort_by(|a, b| (&a.resource, &a.resource_id, &a.action).cmp(&(&b.resource, &b.resource_id, &b.action)));
    out
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
        MemberAccess {
            member_type: t,
            grants: role.map(|r| r.iter().map(|s| (s.to_string(), vec!["*".to_string()])).collect()),
        }
    }

    fn with_fields(t: MemberType, reference: &str, fields: &[&str]) -> MemberAccess {
        let grants = [(reference.to_string(), fields.iter().map(|f| f.to_string()).collect())].into();
        MemberAccess { member_type: t, grants: Some(grants) }
    }

    #[test]
    fn field_grants_follow_the_permission_list() {
        let standard = with_fields(MemberType::Standard, "types::orders::read", &["data.valor", "created_at"]);
        let read = standard.fields("orders", "read");
        assert!(read.covers("data.valor"));
        assert!(read.covers("data.valor.reference"));
        assert!(read.covers("created_at"));
        assert!(!read.covers("data.status"));
        assert!(!read.covers("updated_at"));
        assert!(!read.covers("created_by"));
        for identity in ALWAYS_VISIBLE {
            assert!(read.covers(identity), "{identity}");
        }
        assert_eq!(standard.fields("orders", "update"), FieldGrant::none());
        assert_eq!(standard.fields("other", "read"), FieldGrant::none());
        assert!(with_fields(MemberType::Standard, "types::orders::read", &["*"]).fields("orders", "read").is_all());
        assert!(member(MemberType::Full, None).fields("orders", "update").is_all());
        assert!(member(MemberType::Owner, Some(&[])).fields("orders", "update").is_all());
        let viewer = with_fields(MemberType::Viewer, "types::orders::update", &["*"]);
        assert_eq!(viewer.fields("orders", "update"), FieldGrant::none());
    }

    #[test]
    fn grants_of_two_groups_unite() {
        let v = |f: &[&str]| f.iter().map(|f| f.to_string()).collect::<Vec<_>>();
        let grants = grants_from([
            ("types::orders::read".to_string(), v(&["data.a"])),
            ("types::orders::read".to_string(), v(&["data.b", "data.a"])),
            ("types::orders::delete".to_string(), v(&[])),
        ]);
        assert_eq!(grants["types::orders::read"], v(&["data.a", "data.b"]));
        assert_eq!(grants.len(), 2);
    }

    #[test]
    fn effective_permissions_meet_the_license_and_the_key() {
        let read_only = Scopes { read: true, write: false, delete: false };
        let actions = |list: Vec<Effective>| list.into_iter().map(|e| e.action).collect::<Vec<_>>();
        assert_eq!(actions(effective(&member(MemberType::Owner, None), &Scopes::EVERY)), ["*"]);
        assert_eq!(actions(effective(&member(MemberType::Full, None), &read_only)), ["read"]);
        let viewer = member(MemberType::Viewer, Some(&["types::orders::read", "types::orders::update"]));
        assert_eq!(actions(effective(&viewer, &Scopes::EVERY)), ["read"]);
        let standard = with_fields(MemberType::Standard, "types::orders::read", &["data.a"]);
        assert_eq!(
            effective(&standard, &Scopes::EVERY),
            [Effective {
                resource: "type".into(),
                resource_id: "orders".into(),
                action: "read".into(),
                fields: Some(vec!["data.a".into()])
            }]
        );
        let settings = member(MemberType::Standard, Some(&["settings::system::manage"]));
        assert!(effective(&settings, &Scopes::EVERY).is_empty());
        assert!(effective(&member(MemberType::Standard, None), &Scopes::EVERY).is_empty());
    }

    #[test]
    fn permission_paths() {
        assert_eq!(permission_path("data.cliente.reference"), "data.cliente");
        assert_eq!(permission_path("data.cliente"), "data.cliente");
        assert_eq!(permission_path("created_by"), "user");
        assert_eq!(permission_path("status"), "status");
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
