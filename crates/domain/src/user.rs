//! User rules: email identity and display names.

/// Emails are unique compared case-insensitively; this is the form the uniqueness is kept on.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

pub fn check_email(email: &str) -> Result<(), String> {
    if email_address::EmailAddress::is_valid(email.trim()) {
        Ok(())
    } else {
        Err(format!("{email:?} is not a valid email address"))
    }
}

pub const NAME_MAX: usize = 100;

/// The problems of a profile change (`PUT /user`, the console's account page): names at most
/// [`NAME_MAX`] characters, a known language. `None` leaves a value unchanged.
pub fn check_profile(fname: Option<&str>, lname: Option<&str>, language: Option<&str>) -> Vec<crate::Detail> {
    let mut details = Vec::new();
    for (path, value) in [("meta.fname", fname), ("meta.lname", lname)] {
        if let Some(name) = value {
            crate::workspace::check_text(&mut details, path, Some(name), false, NAME_MAX);
        }
    }
    if let Some(Err(message)) = language.map(crate::workspace::check_language) {
        details.push(crate::Detail::new("language", message));
    }
    details
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(normalize_email(" Ana@Example.COM "), "ana@example.com");
        assert!(check_email("ana@example.com").is_ok());
        assert!(check_email("admin@localhost").is_ok());
        assert!(check_email("not-an-email").is_err());
    }
}
