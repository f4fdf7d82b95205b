//! The person's own account: names and language (`PUT /user`'s command and checks).

use askama::Template;
use axum::{extract::State, http::StatusCode};
use enspace_api::AppState;
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
