//! The access settings area as commands: members (invite, change, remove, leave), member
//! groups and roles. Each write and its `member.*` events (a member added, changed — its type,
//! status, role or groups — or removed) in one transaction. Groups and roles have no event
//! kinds of their own [ours]: what they change about a member is a `member.updated`.
//!
//! Who may do what (`domain::members::may_confer`) is decided before a command runs; the
//! commands only write.

use enspace_domain::{
    access::{grants_from, MemberAccess, MemberType},
    emails::invitation as invitation_email,
    integrations::SENDGRID,
    items::changes,
    members::{grant_source, GrantSource},
    password::{issue_token, INVITATION_PREFIX},
    secrets::Keyring,
    time::now_ms,
};
use enspace_store::{
    emails::NewEmail,
    events::{NewEvent, Subject},
    member_groups::GroupRecord,
    members::{MemberDetail, MemberRecord, MemberValues},
    roles::{PermissionRecord, RoleRecord, RoleValues},
    workspaces::WorkspaceRecord,
    Db, StoreError, Tx,
};
use serde_json::{json, Map, Value};

use crate::items::Author;

/// How long an invitation link stays valid [ours].
const INVITATION_TTL_MS: i64 = 7 * 24 * 3600 * 1000;

/// A member as the access decision would see it with `values` and, in v1 mode, `groups`.
pub async fn access_as(
    db: &Db,
    workspace_id: i64,
    values: &MemberValues,
    groups: &[i64],
) -> Result<MemberAccess, StoreError> {
    let grants = match grant_source(values.member_type, values.v1_compatibility, values.role_id) {
        GrantSource::None => None,
        GrantSource::Role(role_id) => Some(enspace_store::members::role_grants(db, workspace_id, role_id).await?),
        GrantSource::Groups => Some(enspace_store::members::group_grants(db, workspace_id, groups).await?),
    };
    Ok(MemberAccess { member_type: values.member_type, grants: grants.map(grants_from) })
}

/// A member as the access decision sees it, with what limits it loaded.
pub async fn access_of(db: &Db, member: &MemberRecord) -> Result<MemberAccess, StoreError> {
    let member_type = MemberType::parse(&member.member_type).unwrap_or(MemberType::Viewer);
    let grants = match member_type {
        MemberType::Owner => None,
        _ => enspace_store::members::grants(db, member).await?.map(grants_from),
    };
    Ok(MemberAccess { member_type, grants })
}

/// A member as its events show it.
fn member_state(email: &str, values: &MemberValues, groups: &[i64]) -> Map<String, Value> {
    let value = json!({ "email": email, "type": values.member_type.as_str(), "status": values.status.as_str(),
        "role": values.role_id, "groups": groups, "v1_compatibility": values.v1_compatibility });
    let mut out = value.as_object().cloned().unwrap_or_default();
    out.retain(|_, v| !v.is_null());
    out
}

/// Appends a `member.*` event with what differs between `before` and `after`; nothing when
/// nothing does.
async fn record_member(
    tx: &mut Tx,
    workspace_id: i64,
    kind: &str,
    member_id: i64,
    before: &Map<String, Value>,
    after: &Map<String, Value>,
    author: &Author<'_>,
) -> Result<(), StoreError> {
    let changes = changes(before, after);
    if changes.is_empty() {
        return Ok(());
    }
    let subject = Subject {
        kind: "member",
        id: Some(member_id),
        reference: None,
        type_id: None,
        item_type: None,
        item_id: None,
        item_reference: None,
    };
    let event =
        NewEvent { workspace_id, kind, subject, changes, actor: author.actor(), source: author.source, now: now_ms() };
    enspace_store::events::append(tx, event);
    Ok(())
}

/// Someone to invite, checked.
pub struct Invitation<'a> {
    pub email: &'a str,
    pub fname: Option<&'a str>,
    pub lname: Option<&'a str>,
    pub values: MemberValues,
    pub groups: &'a [i64],
    /// Who invites, as the email names them.
    pub inviter: &'a str,
    /// The server's public URL, where the acceptance link points.
    pub public_url: &'a str,
}

pub struct Invited {
    pub member_id: i64,
    /// The acceptance link, when it was not emailed (no active SendGrid integration) and the
    /// person has no password yet.
    pub invitation_url: Option<String>,
}

#[derive(Debug)]
pub enum InviteError {
    AlreadyMember,
    Store(StoreError),
}

impl From<StoreError> for InviteError {
    fn from(e: StoreError) -> Self {
        InviteError::Store(e)
    }
}

/// Invites someone by email: the user is created when the email is new (accepting the
/// invitation sets its password), then the member; the acceptance link is emailed through the
/// workspace's active SendGrid integration (sealed in the job) or else answered.
pub async fn invite(
    db: &Db,
    keyring: &Keyring,
    workspace: &WorkspaceRecord,
    invitation: Invitation<'_>,
    author: &Author<'_>,
) -> Result<Invited, InviteError> {
    let now = now_ms();
    let existing = enspace_store::users::find_by_email(db, invitation.email).await?;
    let sendgrid = enspace_store::integrations::active_of_type(db, workspace.id, SENDGRID).await?.is_some();
    let mut tx = db.begin().await?;
    let user = match existing {
        Some(user) => user,
        None => {
            enspace_store::users::create_invited(&mut tx, invitation.email, invitation.fname, invitation.lname).await?
        }
    };
    let member = match enspace_store::members::insert(&mut tx, workspace.id, user.id, &invitation.values).await {
        Err(StoreError::Conflict(_)) => return Err(InviteError::AlreadyMember),
        other => other?,
    };
    enspace_store::members::join_groups(&mut tx, workspace.id, member.id, invitation.groups).await?;
    let after = member_state(&user.email, &invitation.values, invitation.groups);
    record_member(&mut tx, workspace.id, "member.added", member.id, &Map::new(), &after, author).await?;
    let invitation_url = if enspace_store::users::has_password(&mut tx, user.id).await? {
        None
    } else {
        let (token, digest) = issue_token(INVITATION_PREFIX);
        let expires_at = now + INVITATION_TTL_MS;
        enspace_store::sessions::create_invitation(&mut tx, workspace.id, member.id, user.id, &digest, now, expires_at)
            .await?;
        let url = format!("{}/auth/accept-invite?token={token}", invitation.public_url);
        // With an active SendGrid integration the link goes by email (sealed in the job, never
        // stored in the clear) and is not shown to the inviter [spec].
        if sendgrid {
            let (subject, text, html) = invitation_email(&workspace.language, &workspace.name, invitation.inviter);
            let to = [user.email.clone()];
            let new = NewEmail {
                to: &to,
                subject: &subject,
                text: Some(&text),
                html: Some(&html),
                reply_to: None,
                created_by: author.user_id,
            };
            crate::emails::queue(&mut tx, workspace.id, new, Some((keyring, &url)), now).await?;
            None
        } else {
            Some(url)
        }
    };
    tx.commit().await?;
    Ok(Invited { member_id: member.id, invitation_url })
}

/// Changes a member's type, status and role.
pub async fn update(
    db: &Db,
    target: &MemberDetail,
    next: &MemberValues,
    author: &Author<'_>,
) -> Result<(), StoreError> {
    let current = target.values();
    let mut tx = db.begin().await?;
    enspace_store::members::update(&mut tx, &target.member, next).await?;
    let before = member_state(&target.user.email, &current, &target.groups);
    let after = member_state(&target.user.email, next, &target.groups);
    record_member(&mut tx, target.member.workspace_id, "member.updated", target.member.id, &before, &after, author)
        .await?;
    tx.commit().await
}

/// Removes a member (or the caller leaves); what it created stays.
pub async fn remove(db: &Db, target: &MemberDetail, author: &Author<'_>) -> Result<(), StoreError> {
    let ws = target.member.workspace_id;
    let mut tx = db.begin().await?;
    enspace_store::members::remove(&mut tx, ws, target.member.id).await?;
    let before = member_state(&target.user.email, &target.values(), &target.groups);
    record_member(&mut tx, ws, "member.removed", target.member.id, &before, &Map::new(), author).await?;
    tx.commit().await
}

/// `member.updated` for each of `members` whose groups go from `before` to `after`.
async fn record_group_changes(
    tx: &mut Tx,
    db: &Db,
    workspace_id: i64,
    members: &[i64],
    change: impl Fn(&[i64]) -> Vec<i64>,
    author: &Author<'_>,
) -> Result<(), StoreError> {
    for member_id in members {
        let before = enspace_store::members::group_ids(db, workspace_id, *member_id).await?;
        let after = change(&before);
        let (before, after) = (json!({ "groups": before }), json!({ "groups": after }));
        let (before, after) =
            (before.as_object().cloned().unwrap_or_default(), after.as_object().cloned().unwrap_or_default());
        record_member(tx, workspace_id, "member.updated", *member_id, &before, &after, author).await?;
    }
    Ok(())
}

fn with(groups: &[i64], id: i64) -> Vec<i64> {
    let mut out = groups.to_vec();
    if !out.contains(&id) {
        out.push(id);
        out.sort_unstable();
    }
    out
}

fn without(groups: &[i64], id: i64) -> Vec<i64> {
    groups.iter().copied().filter(|g| *g != id).collect()
}

/// A group as checked: name, description and, when given, its permissions.
pub struct GroupWrite<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub permissions: Option<&'a [RolePermission]>,
}

/// Creates a group with its permissions and members; answers its id.
pub async fn create_group(
    db: &Db,
    workspace_id: i64,
    group: GroupWrite<'_>,
    members: &[i64],
    author: &Author<'_>,
) -> Result<i64, StoreError> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let id = enspace_store::member_groups::create(&mut tx, workspace_id, group.name, group.description, now).await?;
    let permissions = group.permissions.unwrap_or_default();
    enspace_store::member_groups::set_permissions(&mut tx, workspace_id, id, permissions, now).await?;
    enspace_store::member_groups::add_members(&mut tx, workspace_id, id, members).await?;
    record_group_changes(&mut tx, db, workspace_id, members, |g| with(g, id), author).await?;
    tx.commit().await?;
    Ok(id)
}

/// Renames a group, and replaces its permissions when given.
pub async fn update_group(db: &Db, group: &GroupRecord, write: GroupWrite<'_>) -> Result<(), StoreError> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    enspace_store::member_groups::update(&mut tx, group.workspace_id, group.id, write.name, write.description, now)
        .await?;
    if let Some(permissions) = write.permissions {
        enspace_store::member_groups::set_permissions(&mut tx, group.workspace_id, group.id, permissions, now).await?;
    }
    tx.commit().await
}

/// Deletes a group; its members stay members (each loses the group: `member.updated`).
pub async fn delete_group(db: &Db, group: &GroupRecord, author: &Author<'_>) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    record_group_changes(&mut tx, db, group.workspace_id, &group.members, |g| without(g, group.id), author).await?;
    crate::flows::forget_group(&mut tx, group.workspace_id, group.id, now_ms()).await?;
    enspace_store::member_groups::delete(&mut tx, group.workspace_id, group.id).await?;
    tx.commit().await
}

/// Adds `members` to a group (or removes them): those already in (or not in) are fine.
pub async fn change_group_members(
    db: &Db,
    group: &GroupRecord,
    members: &[i64],
    adding: bool,
    author: &Author<'_>,
) -> Result<(), StoreError> {
    let (ws, id) = (group.workspace_id, group.id);
    let mut tx = db.begin().await?;
    if adding {
        record_group_changes(&mut tx, db, ws, members, |g| with(g, id), author).await?;
        enspace_store::member_groups::add_members(&mut tx, ws, id, members).await?;
    } else {
        record_group_changes(&mut tx, db, ws, members, |g| without(g, id), author).await?;
        enspace_store::member_groups::remove_members(&mut tx, ws, id, members).await?;
    }
    tx.commit().await
}

/// One permission of a role or group as checked: `(reference, fields, rules)`.
pub type RolePermission = (String, Value, Value);

/// Creates a role with its permissions.
pub async fn create_role(
    db: &Db,
    workspace_id: i64,
    values: RoleValues<'_>,
    permissions: Vec<RolePermission>,
) -> Result<RoleRecord, StoreError> {
    let now = now_ms();
    let mut tx = db.begin().await?;
    let role = enspace_store::roles::create(&mut tx, workspace_id, values, now).await?;
    for (reference, fields, rules) in permissions {
        enspace_store::roles::put_permission(&mut tx, workspace_id, role.id, &reference, fields, rules, now).await?;
    }
    tx.commit().await?;
    Ok(role)
}

pub async fn update_role(db: &Db, role: &RoleRecord, values: RoleValues<'_>) -> Result<RoleRecord, StoreError> {
    let mut tx = db.begin().await?;
    let updated = enspace_store::roles::update(&mut tx, role, values, now_ms()).await?;
    tx.commit().await?;
    Ok(updated)
}

/// Deletes a role, moving its holders to `reassign_to` (the caller checked there are none
/// otherwise).
pub async fn delete_role(db: &Db, role: &RoleRecord, reassign_to: Option<i64>) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    enspace_store::roles::delete(&mut tx, role, reassign_to).await?;
    tx.commit().await
}

/// Adds one permission to a role, or replaces the `fields` and `rules` of its reference.
pub async fn put_permission(
    db: &Db,
    role: &RoleRecord,
    permission: RolePermission,
) -> Result<PermissionRecord, StoreError> {
    let (reference, fields, rules) = permission;
    let mut tx = db.begin().await?;
    let put =
        enspace_store::roles::put_permission(&mut tx, role.workspace_id, role.id, &reference, fields, rules, now_ms())
            .await?;
    tx.commit().await?;
    Ok(put)
}

/// Removes one permission of a role; `None` when the role has no such permission.
pub async fn remove_permission(
    db: &Db,
    role: &RoleRecord,
    permission_id: i64,
) -> Result<Option<PermissionRecord>, StoreError> {
    let mut tx = db.begin().await?;
    let removed = enspace_store::roles::remove_permission(&mut tx, role.workspace_id, role.id, permission_id).await?;
    tx.commit().await?;
    Ok(removed)
}
