//! Checks of an email for the outbox (`POST /ws/emails`).

use crate::{user::check_email, Detail};

/// Recipients of one email [ours]: SendGrid allows 1000; an outbox email is not a campaign.
pub const RECIPIENTS_MAX: usize = 50;
/// RFC 5322's line limit, for the subject.
pub const SUBJECT_MAX: usize = 998;

pub fn check(
    details: &mut Vec<Detail>,
    to: Option<&[String]>,
    subject: Option<&str>,
    text: Option<&str>,
    html: Option<&str>,
    reply_to: Option<&str>,
) {
    match to {
        None => details.push(Detail::new("to", "is required")),
        Some([]) => details.push(Detail::new("to", "must list at least one address")),
        Some(list) if list.len() > RECIPIENTS_MAX => {
            details.push(Detail::new("to", format!("at most {RECIPIENTS_MAX} addresses, got {}", list.len())))
        }
        Some(list) => {
            for (i, address) in list.iter().enumerate() {
                if let Err(message) = check_email(address) {
                    details.push(Detail::new(format!("to[{i}]"), message));
                }
            }
        }
    }
    match subject.map(str::trim) {
        None | Some("") => details.push(Detail::new("subject", "is required")),
        Some(s) if s.chars().count() > SUBJECT_MAX => {
            details.push(Detail::new("subject", format!("must have at most {SUBJECT_MAX} characters")))
        }
        Some(_) => {}
    }
    if text.is_none_or(str::is_empty) && html.is_none_or(str::is_empty) {
        details.push(Detail::new("text", "give text, html or both"));
    }
    if let Some(Err(message)) = reply_to.map(check_email) {
        details.push(Detail::new("reply_to", message));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_at_its_path() {
        let mut details = Vec::new();
        let to = vec!["ok@example.com".to_string(), "nope".to_string()];
        check(&mut details, Some(&to), Some(" "), None, Some(""), Some("x"));
        let paths: Vec<&str> = details.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(paths, ["to[1]", "subject", "text", "reply_to"]);
        let mut details = Vec::new();
        check(&mut details, Some(&to[..1]), Some("Hi"), Some("body"), None, None);
        assert!(details.is_empty());
    }
}

/// Where an email's text carries a link that must not be stored in the clear (an invitation
/// token): the row keeps this placeholder, the sending job carries the link sealed.
pub const LINK_PLACEHOLDER: &str = "{{link}}";

/// The invitation email in the workspace's language (`pt`, `en`, `es`; anything else `pt`):
/// subject, text and html, with [`LINK_PLACEHOLDER`] where the acceptance link goes.
pub fn invitation(language: &str, workspace: &str, inviter: &str) -> (String, String, String) {
    let (subject, intro, action, validity) = match language {
        "en" => (
            format!("You are invited to {workspace}"),
            format!("{inviter} invited you to the workspace {workspace} on Enspace."),
            "Accept the invitation",
            "The link is valid for 7 days.",
        ),
        "es" => (
            format!("Has sido invitado a {workspace}"),
            format!("{inviter} te invitó al workspace {workspace} en Enspace."),
            "Acepta la invitación",
            "El enlace es válido por 7 días.",
        ),
        _ => (
            format!("Você foi convidado para {workspace}"),
            format!("{inviter} convidou você para o workspace {workspace} no Enspace."),
            "Aceite o convite",
            "O link vale por 7 dias.",
        ),
    };
    let text = format!("{intro}\n\n{action}: {LINK_PLACEHOLDER}\n\n{validity}\n");
    let html =
        format!("<p>{}</p><p><a href=\"{LINK_PLACEHOLDER}\">{action}</a></p><p>{validity}</p>", escape_html(&intro));
    (subject, text, html)
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod invitation_tests {
    use super::*;

    #[test]
    fn invitations_speak_the_workspace_language_and_escape_names() {
        let (subject, text, html) = invitation("en", "Acme", "Ana <ana@x.co>");
        assert_eq!(subject, "You are invited to Acme");
        assert!(text.contains("Accept the invitation: {{link}}"));
        assert!(html.contains("Ana &lt;ana@x.co&gt;") && html.contains(r#"href="{{link}}""#));
        assert_eq!(invitation("xx", "Acme", "Ana").0, "Você foi convidado para Acme");
    }
}
