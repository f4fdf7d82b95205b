//! Workspace settings the console offers (console-design §4.4.11): members (invite, change,
//! remove), member groups (create, add and remove members) and roles with their permission
//! matrix. Each action is the API's own command
//! (`routes::members`, `routes::member_groups`, `routes::roles`): who may manage, and "nobody gives more than they
//! hold", are decided there.

use askama::Template;
use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use enspace_api::{
    error::ApiError,
    extract::QueryPairs,
    routes::{
        member_groups::{self, GroupInput, GroupMembersInput, GroupView},
        members::{self, InviteInput, MemberUpdate, MemberView},
        roles::{self, PermissionInput, RoleInput, RoleView},
    },
    AppState,
};
use serde_json::Value;

use super::{render, see_other, Page, Problems};
use crate::{
    context::{ConsoleWs, WsPosted},
    errors::{ConsoleError, PageResult},
    i18n::Msg,
};

async fn page_of(state: &AppState, ws: &ConsoleWs, title: &str) -> Result<Page, ConsoleError> {
    let mut page = Page::signed_in(&ws.caller, title);
    page.nav = Some(ws.nav(state).await?);
    Ok(page)
}

#[derive(Template)]
#[template(path = "settings/members.html")]
struct MembersPage {
    page: Page,
    base: String,
    members: Vec<MemberView>,
    roles: Vec<RoleView>,
    /// The acceptance link of the member just invited, when no e-mail integration sent it.
    invitation_url: Option<String>,
    email: String,
    problems: Problems,
}

impl MembersPage {
    fn member_types(&self) -> [(&'static str, &'static str); 3] {
        let t = self.page.t;
        [("full", t.member_full), ("standard", t.member_standard), ("viewer", t.member_viewer)]
    }

    fn statuses(&self) -> [(&'static str, &'static str); 3] {
        let t = self.page.t;
        [("active", t.active), ("inactive", t.inactive), ("blocked", t.blocked)]
    }

    fn name_of(&self, member: &MemberView) -> String {
        let meta = &member.user.meta;
        let names: Vec<&str> =
            [&meta.fname, &meta.lname].into_iter().flatten().map(|s| s.trim()).filter(|s| !s.is_empty()).collect();
        names.join(" ")
    }
}

async fn members_page(
    state: &AppState,
    ws: &ConsoleWs,
    invitation_url: Option<String>,
    email: String,
    problems: Problems,
) -> Result<MembersPage, ConsoleError> {
    let t = ws.caller.locale.msg();
    let members = members::list(state, &ws.ctx, &QueryPairs(Vec::new())).await?;
    let roles = roles::list(state, &ws.ctx, &QueryPairs(Vec::new())).await?;
    Ok(MembersPage {
        page: page_of(state, ws, t.members).await?,
        base: format!("/app/w/{}/settings/members", ws.ctx.workspace.reference),
        members,
        roles,
        invitation_url,
        email,
        problems,
    })
}

pub(crate) async fn members_list(State(state): State<AppState>, ws: ConsoleWs) -> PageResult {
    render(StatusCode::OK, &members_page(&state, &ws, None, String::new(), Problems::default()).await?)
}

/// A role id from a form (`""`: none).
fn role_value(text: Option<&str>) -> Option<Value> {
    text.filter(|r| !r.is_empty()).map(|r| Value::String(r.to_string()))
}

fn field_problems(error: ApiError, inputs: &[(&str, &str, &str)]) -> Result<Problems, ConsoleError> {
    Ok(Problems::from_details(&super::form_refusal(error)?, inputs))
}

/// Invites; the page answers with the acceptance link when no e-mail integration sent it.
pub(crate) async fn invite(State(state): State<AppState>, posted: WsPosted) -> PageResult {
    let WsPosted { ws, form } = posted;
    let t: &Msg = ws.caller.locale.msg();
    let email = form.get("email").unwrap_or_default().trim().to_string();
    let input = InviteInput {
        email: Some(email.clone()),
        member_type: form.get("type").map(str::to_string),
        role: role_value(form.get("role")),
        groups: None,
        mgroups: None,
        fname: form.get("fname").filter(|v| !v.is_empty()).map(str::to_string),
        lname: form.get("lname").filter(|v| !v.is_empty()).map(str::to_string),
        v1_compatibility: false,
    };
    match members::invite(&state, &ws.ctx, &input).await {
        Ok(invited) => {
            let page = members_page(&state, &ws, invited.invitation_url, String::new(), Problems::default()).await?;
            render(StatusCode::CREATED, &page)
        }
        Err(error) if error.status == StatusCode::CONFLICT => {
            let problems = Problems::from_details(
                &[enspace_domain::Detail::new("email", t.already_member)],
                &[("email", "invite-email", t.email)],
            );
            render(StatusCode::UNPROCESSABLE_ENTITY, &members_page(&state, &ws, None, email, problems).await?)
        }
        Err(error) => {
            let inputs = [
                ("email", "invite-email", t.email),
                ("type", "invite-type", t.license),
                ("role", "invite-role", t.role),
            ];
            let problems = field_problems(error, &inputs)?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &members_page(&state, &ws, None, email, problems).await?)
        }
    }
}

pub(crate) async fn update_member(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, i64)>,
    posted: WsPosted,
) -> PageResult {
    let WsPosted { ws, form } = posted;
    let input = MemberUpdate {
        member_type: form.get("type").map(str::to_string),
        role: form.get("role").map(|r| role_value(Some(r))),
        status: form.get("status").map(str::to_string),
    };
    match members::update(&state, &ws.ctx, id, &input).await {
        Ok(_) => Ok(see_other(&format!("/app/w/{}/settings/members", ws.ctx.workspace.reference))),
        Err(error) => {
            let t = ws.caller.locale.msg();
            let inputs = [
                ("type", "member-type", t.license),
                ("role", "member-role", t.role),
                ("status", "member-status", t.status),
            ];
            let problems = field_problems(error, &inputs)?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &members_page(&state, &ws, None, String::new(), problems).await?)
        }
    }
}

pub(crate) async fn remove_member(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, i64)>,
    posted: WsPosted,
) -> PageResult {
    members::remove(&state, &posted.ws.ctx, id).await?;
    Ok(see_other(&format!("/app/w/{}/settings/members", posted.ws.ctx.workspace.reference)))
}

#[derive(Template)]
#[template(path = "settings/roles.html")]
struct RolesPage {
    page: Page,
    base: String,
    roles: Vec<RoleView>,
    name: String,
    problems: Problems,
}

async fn roles_page(
    state: &AppState,
    ws: &ConsoleWs,
    name: String,
    problems: Problems,
) -> Result<RolesPage, ConsoleError> {
    let t = ws.caller.locale.msg();
    Ok(RolesPage {
        page: page_of(state, ws, t.roles).await?,
        base: format!("/app/w/{}/settings/roles", ws.ctx.workspace.reference),
        roles: roles::list(state, &ws.ctx, &QueryPairs(Vec::new())).await?,
        name,
        problems,
    })
}

pub(crate) async fn roles_list(State(state): State<AppState>, ws: ConsoleWs) -> PageResult {
    render(StatusCode::OK, &roles_page(&state, &ws, String::new(), Problems::default()).await?)
}

pub(crate) async fn create_role(State(state): State<AppState>, posted: WsPosted) -> PageResult {
    let WsPosted { ws, form } = posted;
    let name = form.get("name").unwrap_or_default().to_string();
    let input = RoleInput { name: Some(name.clone()), description: None, icon: None, status: None, permissions: None };
    match roles::create(&state, &ws.ctx, &input).await {
        Ok(role) => Ok(see_other(&format!("/app/w/{}/settings/roles/{}", ws.ctx.workspace.reference, role.id))),
        Err(error) => {
            let problems = field_problems(error, &[("name", "role-name", ws.caller.locale.msg().name)])?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &roles_page(&state, &ws, name, problems).await?)
        }
    }
}

/// One cell of the permission matrix: the permission's reference, and its id when the role
/// holds it.
struct Cell {
    reference: String,
    held: Option<i64>,
    label: String,
}

struct MatrixRow {
    label: String,
    /// Read, create, update, delete, manage: `None` where the area has no such action.
    cells: Vec<Option<Cell>>,
}

#[derive(Template)]
#[template(path = "settings/role.html")]
struct RolePage {
    page: Page,
    base: String,
    role: RoleView,
    rows: Vec<MatrixRow>,
}

impl RolePage {
    fn columns(&self) -> [&'static str; 5] {
        let t = self.page.t;
        [t.verb_read, t.verb_create, t.verb_update, t.verb_delete, t.verb_manage]
    }
}

const VERBS: [&str; 5] = ["read", "create", "update", "delete", "manage"];

pub(crate) async fn role(
    State(state): State<AppState>,
    ws: ConsoleWs,
    Path((_, id)): Path<(String, i64)>,
) -> PageResult {
    let t = ws.caller.locale.msg();
    let role = roles::get(&state, &ws.ctx, id).await?;
    let held = roles::permissions(&state, &ws.ctx, id).await?;
    let types = enspace_store::types::all(&state.db, ws.ctx.workspace.id).await?;
    let mut areas: Vec<(String, String, &[&str])> = types
        .iter()
        .map(|ty| (ty.name.clone(), format!("types::{}", ty.slug), &["read", "create", "update", "delete"][..]))
        .collect();
    areas.push((t.quick_tasks.into(), "tasks::quick".into(), &["read", "create", "update", "delete"]));
    areas.push((t.scheduled_tasks.into(), "tasks::scheduled".into(), &["read", "update", "delete"]));
    areas.push((t.calendar.into(), "calendar::*".into(), &["read"]));
    for (area, label) in [
        ("structure", t.area_structure),
        ("access", t.area_access),
        ("integrations", t.area_integrations),
        ("emails", t.area_emails),
        ("logs", t.area_logs),
        ("system", t.area_system),
    ] {
        areas.push((format!("{} › {label}", t.settings), format!("settings::{area}"), &["manage"]));
    }
    let columns = [t.verb_read, t.verb_create, t.verb_update, t.verb_delete, t.verb_manage];
    let rows = areas
        .into_iter()
        .map(|(label, prefix, actions)| MatrixRow {
            cells: VERBS
                .iter()
                .zip(columns)
                .map(|(verb, column)| {
                    actions.contains(verb).then(|| {
                        let reference = format!("{prefix}::{verb}");
                        Cell {
                            held: held.iter().find(|p| p.reference == reference).map(|p| p.id),
                            label: format!("{column}: {label}"),
                            reference,
                        }
                    })
                })
                .collect(),
            label,
        })
        .collect();
    let page = RolePage {
        page: page_of(&state, &ws, &role.name).await?,
        base: format!("/app/w/{}/settings/roles/{}", ws.ctx.workspace.reference, role.id),
        role,
        rows,
    };
    render(StatusCode::OK, &page)
}

/// Grants one permission (every field, for a type's read and update).
pub(crate) async fn grant(
    State(state): State<AppState>,
    Path((_, id)): Path<(String, i64)>,
    posted: WsPosted,
) -> PageResult {
    let WsPosted { ws, form } = posted;
    let input =
        PermissionInput { reference: form.get("reference").map(str::to_string), fields: None, rules: None, role: None };
    roles::add(&state, &ws.ctx, id, &input).await?;
    Ok(see_other(&format!("/app/w/{}/settings/roles/{id}", ws.ctx.workspace.reference)))
}

pub(crate) async fn revoke(
    State(state): State<AppState>,
    Path((_, id, permission)): Path<(String, i64, i64)>,
    posted: WsPosted,
) -> PageResult {
    roles::remove(&state, &posted.ws.ctx, id, permission).await?;
    Ok(see_other(&format!("/app/w/{}/settings/roles/{id}", posted.ws.ctx.workspace.reference)))
}

#[derive(Template)]
#[template(path = "settings/groups.html")]
struct GroupsPage {
    page: Page,
    base: String,
    groups: Vec<GroupView>,
    members: Vec<MemberView>,
    name: String,
    problems: Problems,
}

impl GroupsPage {
    /// The group's members' e-mails (id, e-mail), and those who could join it.
    fn in_group(&self, group: &GroupView) -> Vec<(i64, String)> {
        self.members.iter().filter(|m| group.members.contains(&m.id)).map(|m| (m.id, m.email.clone())).collect()
    }

    fn outside(&self, group: &GroupView) -> Vec<(i64, String)> {
        self.members.iter().filter(|m| !group.members.contains(&m.id)).map(|m| (m.id, m.email.clone())).collect()
    }
}

async fn groups_page(
    state: &AppState,
    ws: &ConsoleWs,
    name: String,
    problems: Problems,
) -> Result<GroupsPage, ConsoleError> {
    let t = ws.caller.locale.msg();
    Ok(GroupsPage {
        page: page_of(state, ws, t.groups).await?,
        base: format!("/app/w/{}/settings/groups", ws.ctx.workspace.reference),
        groups: member_groups::list(state, &ws.ctx, &QueryPairs(Vec::new())).await?,
        members: members::list(state, &ws.ctx, &QueryPairs(Vec::new())).await?,
        name,
        problems,
    })
}

pub(crate) async fn groups_list(State(state): State<AppState>, ws: ConsoleWs) -> PageResult {
    render(StatusCode::OK, &groups_page(&state, &ws, String::new(), Problems::default()).await?)
}

pub(crate) async fn create_group(State(state): State<AppState>, posted: WsPosted) -> PageResult {
    let WsPosted { ws, form } = posted;
    let name = form.get("name").unwrap_or_default().to_string();
    let input = GroupInput { name: Some(name.clone()), description: None, members: None, permissions: None };
    match member_groups::create(&state, &ws.ctx, &input).await {
        Ok(_) => Ok(see_other(&format!("/app/w/{}/settings/groups", ws.ctx.workspace.reference))),
        Err(error) => {
            let problems = field_problems(error, &[("name", "group-name", ws.caller.locale.msg().name)])?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &groups_page(&state, &ws, name, problems).await?)
        }
    }
}

/// Adds (`add`) or removes one member of a group.
pub(crate) async fn group_member(
    State(state): State<AppState>,
    Path((_, id, change)): Path<(String, i64, String)>,
    posted: WsPosted,
) -> PageResult {
    let WsPosted { ws, form } = posted;
    let adding = match change.as_str() {
        "add" => true,
        "remove" => false,
        _ => return Err(ApiError::not_found("Not found").into()),
    };
    let member = form.get("member").map(|m| Value::String(m.to_string()));
    let input = GroupMembersInput { members: Some(member.into_iter().collect()) };
    member_groups::change_members(&state, &ws.ctx, id, input, adding).await?;
    Ok(see_other(&format!("/app/w/{}/settings/groups", ws.ctx.workspace.reference)))
}
