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
