//! The person's own account: names and language (`PUT /user`'s command and checks), and API
//! keys (`/user-api-keys`' reads and commands: a key's secret is shown once, on the answer that
//! creates it).

use askama::Template;
use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use enspace_api::{
    extract::QueryPairs,
    routes::api_keys::{ApiKeyInput, ApiKeyView, ScopeInput},
    AppState,
};
use enspace_store::users::UserPatch;

use super::{render, see_other, Page, Problems};
use crate::{errors::PageResult, format::Locale, session::Caller, session::Posted};

#[derive(Template)]
#[template(path = "account/profile.html")]
struct AccountPage {
    page: Page,
    email: String,
    fname: String,
    lname: String,
    language: String,
    problems: Problems,
}

impl AccountPage {
    fn languages(&self) -> [(&'static str, &'static str); 2] {
        [
            (Locale::PtBr.language(), Locale::PtBr.msg().language_name),
            (Locale::En.language(), Locale::En.msg().language_name),
        ]
    }
}

pub(crate) async fn page(caller: Caller) -> PageResult {
    let user = &caller.principal.user;
    let page = AccountPage {
        page: Page::signed_in(&caller, caller.locale.msg().account),
        email: user.email.clone(),
        fname: user.fname.clone().unwrap_or_default(),
        lname: user.lname.clone().unwrap_or_default(),
        language: Locale::from_language(&user.language).language().to_string(),
        problems: Problems::default(),
    };
    render(StatusCode::OK, &page)
}

pub(crate) async fn save(State(state): State<AppState>, posted: Posted) -> PageResult {
    let Posted { caller, form } = posted;
    let field = |name: &str| form.get(name).unwrap_or_default().trim().to_string();
    let (fname, lname, language) = (field("fname"), field("lname"), field("language"));
    let details = enspace_domain::user::check_profile(Some(&fname), Some(&lname), Some(&language));
    if !details.is_empty() {
        let t = caller.locale.msg();
        let page = AccountPage {
            page: Page::signed_in(&caller, caller.locale.msg().account),
            email: caller.principal.user.email.clone(),
            problems: Problems::from_details(
                &details,
                &[
                    ("meta.fname", "fname", t.first_name),
                    ("meta.lname", "lname", t.last_name),
                    ("language", "language", t.language),
                ],
            ),
            fname,
            lname,
            language,
        };
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let optional = |value: String| Some(Some(value).filter(|v| !v.is_empty()));
    let patch = UserPatch { fname: optional(fname), lname: optional(lname), language: Some(language) };
    enspace_engine::accounts::update_profile(&state.db, caller.principal.user.id, patch).await?;
    Ok(see_other("/app/account"))
}

#[derive(Template)]
#[template(path = "account/keys.html")]
struct KeysPage {
    page: Page,
    keys: Vec<ApiKeyView>,
    /// The workspaces a key may be limited to: (reference, name, chosen).
    workspaces: Vec<(String, String, bool)>,
    expiries: [&'static str; 7],
    /// The new key's secret, shown on this answer only.
    created: Option<String>,
    description: String,
    scopes: Vec<String>,
    all_workspaces: bool,
    expires_in: String,
    problems: Problems,
}

impl KeysPage {
    /// Each scope with its label and whether the form has it chosen.
    fn scope_choices(&self) -> Vec<(&'static str, &'static str, bool)> {
        let t = self.page.t;
        [("read", t.scope_read), ("write", t.scope_write), ("delete", t.scope_delete)]
            .into_iter()
            .map(|(value, label)| (value, label, self.scopes.iter().any(|s| s == value)))
            .collect()
    }

    fn scope_list(&self, key: &ApiKeyView) -> String {
        key.scope.global.join(", ")
    }

    fn workspace_list(&self, key: &ApiKeyView) -> String {
        if key.scope.workspaces == ["*"] {
            self.page.t.all_workspaces.to_string()
        } else {
            key.scope.workspaces.join(", ")
        }
    }
}

async fn keys_page(
    state: &AppState,
    caller: &Caller,
    created: Option<String>,
    input: Option<&ApiKeyInput>,
    problems: Problems,
) -> Result<KeysPage, crate::errors::ConsoleError> {
    let keys = enspace_api::routes::api_keys::list(state, &caller.principal, &QueryPairs(Vec::new())).await?;
    let query = enspace_domain::list::parse(&[], &enspace_store::workspaces::LIST, state.config.paging, &[])
        .map_err(enspace_api::error::ApiError::from)?;
    let chosen: Vec<String> = input.and_then(|i| i.scope.as_ref()).map(|s| s.workspaces.clone()).unwrap_or_default();
    let workspaces = enspace_store::workspaces::list(&state.db, caller.principal.user.id, None, &query)
        .await?
        .into_iter()
        .map(|w| {
            let on = chosen.contains(&w.reference);
            (w.reference, w.name, on)
        })
        .collect();
    let scopes = input
        .and_then(|i| i.scope.as_ref())
        .map(|s| s.global.clone())
        .unwrap_or_else(|| vec!["read".to_string(), "write".to_string()]);
    Ok(KeysPage {
        page: Page::signed_in(caller, caller.locale.msg().api_keys),
        keys,
        workspaces,
        expiries: enspace_domain::key::ExpiresIn::VALUES,
        created,
        description: input.and_then(|i| i.description.clone()).unwrap_or_default(),
        scopes,
        all_workspaces: input.is_none() || chosen.iter().any(|w| w == "*"),
        expires_in: input.and_then(|i| i.expires_in.clone()).unwrap_or_else(|| "never".into()),
        problems,
    })
}

pub(crate) async fn keys(State(state): State<AppState>, caller: Caller) -> PageResult {
    let page = keys_page(&state, &caller, None, None, Problems::default()).await?;
    render(StatusCode::OK, &page)
}

/// Issues a key and shows its secret on this answer only (never stored, never shown again).
pub(crate) async fn create_key(State(state): State<AppState>, posted: Posted) -> PageResult {
    let Posted { caller, form } = posted;
    let all = form.get("workspaces_all") == Some("*");
    let workspaces: Vec<String> = if all {
        vec!["*".to_string()]
    } else {
        form.0.iter().filter(|(n, v)| n == "workspaces" && !v.is_empty()).map(|(_, v)| v.clone()).collect()
    };
    let input = ApiKeyInput {
        description: form.get("description").map(str::to_string),
        expires_in: form.get("expires_in").filter(|v| !v.is_empty()).map(str::to_string),
        scope: Some(ScopeInput {
            global: form.0.iter().filter(|(n, v)| n == "scopes" && !v.is_empty()).map(|(_, v)| v.clone()).collect(),
            workspaces,
        }),
    };
    match enspace_api::routes::api_keys::create(&state, &caller.principal, &input).await {
        Ok(created) => {
            let page = keys_page(&state, &caller, Some(created.key), None, Problems::default()).await?;
            render(StatusCode::CREATED, &page)
        }
        Err(error) if error.status == StatusCode::BAD_REQUEST => {
            let t = caller.locale.msg();
            let inputs = [
                ("description", "key-description", t.description),
                ("expires_in", "key-expires", t.expires),
                ("scope.global", "key-scopes", t.scopes),
                ("scope.workspaces", "key-workspaces", t.workspaces),
            ];
            let details: Vec<enspace_domain::Detail> = error
                .details
                .iter()
                .map(|d| {
                    // `scope.global[1]` is the scopes' list as a whole on this page.
                    let path = d.path.split('[').next().unwrap_or(&d.path).to_string();
                    enspace_domain::Detail::new(path, d.message.clone())
                })
                .collect();
            let page =
                keys_page(&state, &caller, None, Some(&input), Problems::from_details(&details, &inputs)).await?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(error) => Err(error.into()),
    }
}

pub(crate) async fn revoke_key(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    posted: Posted,
) -> PageResult {
    enspace_api::routes::api_keys::revoke(&state, &posted.caller.principal, &reference).await?;
    Ok(see_other("/app/account/keys"))
}
