//! The console's words in pt-BR and English (console-design §4.9).
//!
//! One struct, [`Msg`], and one `const` instance per language: a string missing in either
//! language is a compile error, and a template can only name a string that exists. Words that
//! depend on a number are functions of the number ([`Msg::n_members`]).
//! Names people wrote (workspaces, types, fields) are shown as stored.

mod en;
mod pt_br;
pub mod work;

use crate::format::Locale;

/// Every string the console shows.
#[derive(Debug)]
pub struct Msg {
    /// `<html lang>`.
    pub html_lang: &'static str,
    pub language_name: &'static str,
    pub app_name: &'static str,
    pub skip_to_content: &'static str,
    // Sign-in.
    pub sign_in: &'static str,
    pub sign_in_title: &'static str,
    pub email: &'static str,
    pub password: &'static str,
    pub bad_login: &'static str,
    pub login_locked: &'static str,
    pub is_required: &'static str,
    pub sign_out: &'static str,
    // Invitations.
    pub invite_title: &'static str,
    pub invite_lead: &'static str,
    pub first_name: &'static str,
    pub last_name: &'static str,
    pub new_password: &'static str,
    pub password_hint: &'static str,
    pub text_too_long: &'static str,
    pub accept_invite: &'static str,
    pub bad_invite: &'static str,
    pub language: &'static str,
    pub save: &'static str,
    pub fix_these: &'static str,
    // Workspaces.
    pub workspaces: &'static str,
    pub search: &'static str,
    pub search_workspaces: &'static str,
    pub no_workspaces: &'static str,
    pub no_workspace_match: &'static str,
    pub license: &'static str,
    pub member_one: &'static str,
    pub member_many: &'static str,
    pub home: &'static str,
    pub categories: &'static str,
    pub no_categories: &'static str,
    pub switch_workspace: &'static str,
    pub settings: &'static str,
    pub account: &'static str,
    pub main_menu: &'static str,
    pub open_menu: &'static str,
    // Member types.
    pub member_owner: &'static str,
    pub member_full: &'static str,
    pub member_viewer: &'static str,
    pub member_standard: &'static str,
    // Values.
    pub yes: &'static str,
    pub no: &'static str,
    pub item_removed: &'static str,
    pub signed: &'static str,
    pub file_one: &'static str,
    pub file_many: &'static str,
    pub row_one: &'static str,
    pub row_many: &'static str,
    pub message_one: &'static str,
    pub message_many: &'static str,
    // Items.
    pub no_items: &'static str,
    pub status: &'static str,
    pub created_at: &'static str,
    pub updated_at: &'static str,
    pub active: &'static str,
    pub inactive: &'static str,
    pub search_items: &'static str,
    pub filters: &'static str,
    pub columns: &'static str,
    pub apply: &'static str,
    pub clear: &'static str,
    pub reference: &'static str,
    pub from: &'static str,
    pub to: &'static str,
    pub any: &'static str,
    pub filled: &'static str,
    pub empty: &'static str,
    pub previous: &'static str,
    pub next: &'static str,
    pub per_page: &'static str,
    pub pages: &'static str,
    pub bad_query: &'static str,
    pub showing_word: &'static str,
    pub of_word: &'static str,
    // Item forms.
    pub person_name: &'static str,
    pub company_name: &'static str,
    pub trade_name: &'static str,
    pub phone: &'static str,
    pub zip: &'static str,
    pub street: &'static str,
    pub street_number: &'static str,
    pub complement: &'static str,
    pub neighborhood: &'static str,
    pub city: &'static str,
    pub state: &'static str,
    pub country: &'static str,
    pub person_pf: &'static str,
    pub person_pj: &'static str,
    pub add_reference: &'static str,
    pub keep: &'static str,
    pub required_mark: &'static str,
    pub new_item: &'static str,
    pub create: &'static str,
    pub edit: &'static str,
    pub overview: &'static str,
    pub history: &'static str,
    pub add_row: &'static str,
    pub none_option: &'static str,
    pub changed_by: &'static str,
    pub no_history: &'static str,
    pub created_action: &'static str,
    pub updated_action: &'static str,
    pub status_action: &'static str,
    pub deleted_action: &'static str,
    // Public forms.
    pub answer_sent: &'static str,
    pub answer_again: &'static str,
    pub your_email: &'static str,
    pub send: &'static str,
    // API keys.
    pub api_keys: &'static str,
    pub description: &'static str,
    pub expires: &'static str,
    pub scopes: &'static str,
    pub all_workspaces: &'static str,
    pub new_key: &'static str,
    pub create_key: &'static str,
    pub revoke: &'static str,
    pub key_shown_once: &'static str,
    pub no_keys: &'static str,
    pub last_used: &'static str,
    pub never: &'static str,
    pub scope_read: &'static str,
    pub scope_write: &'static str,
    pub scope_delete: &'static str,
    // Settings.
    pub members: &'static str,
    pub roles: &'static str,
    pub role: &'static str,
    pub blocked: &'static str,
    pub already_member: &'static str,
    pub name: &'static str,
    pub quick_tasks: &'static str,
    pub scheduled_tasks: &'static str,
    pub calendar: &'static str,
    pub area_structure: &'static str,
    pub area_access: &'static str,
    pub area_integrations: &'static str,
    pub area_emails: &'static str,
    pub area_logs: &'static str,
    pub area_system: &'static str,
    pub verb_read: &'static str,
    pub verb_create: &'static str,
    pub verb_update: &'static str,
    pub verb_delete: &'static str,
    pub verb_manage: &'static str,
    pub invite: &'static str,
    pub invite_member: &'static str,
    pub invitation_link: &'static str,
    pub remove: &'static str,
    pub new_role: &'static str,
    pub no_role: &'static str,
    pub permissions: &'static str,
    // Item actions.
    pub activate: &'static str,
    pub deactivate: &'static str,
    pub delete_item: &'static str,
    pub delete_warning: &'static str,
    pub delete_confirm: &'static str,
    pub add_files: &'static str,
    pub groups: &'static str,
    pub new_group: &'static str,
    pub add_member: &'static str,
    pub no_members: &'static str,
    pub all_items: &'static str,
    // Errors.
    pub error_title: &'static str,
    pub not_found_title: &'static str,
    pub not_found_text: &'static str,
    pub forbidden_title: &'static str,
    pub forbidden_text: &'static str,
    pub refused_title: &'static str,
    pub refused_text: &'static str,
    pub server_error_text: &'static str,
    pub request_id: &'static str,
    pub back_to_start: &'static str,
    pub too_many_text: &'static str,
    /// The task and flow screens' words.
    pub work: &'static work::Work,
}

impl Msg {
    /// "3 membros" / "3 members".
    pub fn n_members(&self, n: i64) -> String {
        counted(n.max(0) as usize, self.member_one, self.member_many)
    }

    /// "Mostrando 1–50 de 1.234".
    pub fn showing(&self, first: &str, last: &str, total: &str) -> String {
        format!("{} {first}–{last} {} {total}", self.showing_word, self.of_word)
    }

    /// "2 arquivos" / "2 files".
    pub fn n_files(&self, n: usize) -> String {
        counted(n, self.file_one, self.file_many)
    }

    /// "3 linhas" / "3 rows" (a repeater's).
    pub fn n_rows(&self, n: usize) -> String {
        counted(n, self.row_one, self.row_many)
    }

    pub fn n_messages(&self, n: usize) -> String {
        counted(n, self.message_one, self.message_many)
    }

    /// An item's `status` (`active`, `inactive`) by its label.
    pub fn item_status(&self, status: &str) -> &'static str {
        if status == "active" {
            self.active
        } else {
            self.inactive
        }
    }

    /// A member type (`owner`, `full`, `standard`, `viewer`; spec/access.md) by its label.
    pub fn member_type(&self, value: &str) -> &'static str {
        match value {
            "owner" => self.member_owner,
            "full" => self.member_full,
            "standard" => self.member_standard,
            // Rows are written from the four types; anything else reads as the least.
            _ => self.member_viewer,
        }
    }
}

/// `n` and its word: one for exactly one, the plural otherwise (pt-BR and en agree).
fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl Locale {
    /// The strings of this language.
    pub fn msg(self) -> &'static Msg {
        match self {
            Locale::PtBr => &pt_br::PT_BR,
            Locale::En => &en::EN,
        }
    }

    /// A user's or workspace's `language` (`pt`, `en`, `es`): Spanish reads English until it
    /// has its own strings; anything else is Portuguese, the product's language.
    pub fn from_language(language: &str) -> Locale {
        match language.get(..2).map(str::to_ascii_lowercase).as_deref() {
            Some("en" | "es") => Locale::En,
            _ => Locale::PtBr,
        }
    }

    /// The language a browser prefers (`Accept-Language`, by its `q` weights) among the two,
    /// before anyone signs in. Portuguese when it names neither.
    pub fn from_accept_language(header: Option<&str>) -> Locale {
        let mut best: Option<(f32, Locale)> = None;
        for entry in header.unwrap_or_default().split(',') {
            let mut parts = entry.split(';');
            let tag = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let weight =
                parts.find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok())).unwrap_or(1.0);
            let locale = match tag.get(..2) {
                Some("pt") => Locale::PtBr,
                Some("en" | "es") => Locale::En,
                _ => continue,
            };
            if weight > 0.0 && best.is_none_or(|(w, _)| weight > w) {
                best = Some((weight, locale));
            }
        }
        best.map_or(Locale::PtBr, |(_, locale)| locale)
    }

    /// The value stored in a user's `language`.
    pub fn language(self) -> &'static str {
        match self {
            Locale::PtBr => "pt",
            Locale::En => "en",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_are_read_from_profiles_and_browsers() {
        assert_eq!(Locale::from_language("pt"), Locale::PtBr);
        assert_eq!(Locale::from_language("en"), Locale::En);
        assert_eq!(Locale::from_language("es"), Locale::En);
        assert_eq!(Locale::from_language(""), Locale::PtBr);
        assert_eq!(Locale::from_accept_language(Some("en-US,en;q=0.9,pt-BR;q=0.8")), Locale::En);
        assert_eq!(Locale::from_accept_language(Some("de-DE, pt-BR;q=0.5, en;q=0.4")), Locale::PtBr);
        assert_eq!(Locale::from_accept_language(Some("fr, en;q=0")), Locale::PtBr, "q=0 means not wanted");
        assert_eq!(Locale::from_accept_language(None), Locale::PtBr);
        assert_eq!(Locale::PtBr.msg().html_lang, "pt-BR");
        assert_eq!(Locale::En.msg().html_lang, "en");
    }

    #[test]
    fn counted_and_enumerated_words() {
        assert_eq!(Locale::PtBr.msg().n_members(1), "1 membro");
        assert_eq!(Locale::PtBr.msg().n_members(0), "0 membros");
        assert_eq!(Locale::En.msg().n_members(3), "3 members");
        assert_eq!(Locale::PtBr.msg().member_type("owner"), "Proprietário");
        assert_eq!(Locale::En.msg().member_type("viewer"), "Viewer");
    }
}
