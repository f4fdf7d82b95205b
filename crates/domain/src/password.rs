//! Passwords (argon2id) and the bearer tokens of sessions and invitations.
//!
//! Hashing is deliberately slow (tens of milliseconds): callers run it off the async workers.

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};

use crate::key;

pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 256;

/// A session token: `ens.` and 43 alphanumerics (about 256 bits).
pub const SESSION_PREFIX: &str = "ens.";
/// An invitation token: `eni.` and 43 alphanumerics.
pub const INVITATION_PREFIX: &str = "eni.";
const TOKEN_SECRET_LEN: usize = 43;

/// A password's length is the only rule: long passphrases are welcome, and the limit bounds
/// the hashing work one request can cause.
pub fn check_password(password: &str) -> Result<(), String> {
    let n = password.chars().count();
    if n < PASSWORD_MIN {
        Err(format!("must have at least {PASSWORD_MIN} characters"))
    } else if password.len() > PASSWORD_MAX {
        Err(format!("must have at most {PASSWORD_MAX} bytes"))
    } else {
        Ok(())
    }
}

/// The PHC string of an argon2id hash with a fresh salt (the crate's default parameters:
/// 19 MiB, 2 passes, the OWASP recommendation).
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).expect("argon2 with default parameters").to_string()
}

/// A hash of no password, verified against when an email is unknown so that a wrong email
/// costs the same time as a wrong password.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password that matches nothing"))
}

/// Whether `password` matches `hash` (constant-time inside the crate).
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A fresh token with `prefix`, and the digest that is stored.
pub fn issue_token(prefix: &str) -> (String, String) {
    let secret = format!("{prefix}{}", key::random_alphanumeric(TOKEN_SECRET_LEN));
    let digest = key::digest(&secret);
    (secret, digest)
}

/// Whether `text` has the shape of a token with `prefix`.
pub fn is_token(text: &str, prefix: &str) -> bool {
    text.strip_prefix(prefix)
        .is_some_and(|secret| secret.len() == TOKEN_SECRET_LEN && secret.bytes().all(|b| b.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ_by_salt() {
        let a = hash_password("correct horse battery");
        let b = hash_password("correct horse battery");
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b);
        assert!(verify_password("correct horse battery", &a));
        assert!(!verify_password("correct horse batterz", &a));
        assert!(!verify_password("anything", "not a hash"));
        assert!(!verify_password("anything", decoy_hash()));
    }

    #[test]
    fn password_length_rules() {
        assert!(check_password("1234567").is_err());
        assert!(check_password("12345678").is_ok());
        assert!(check_password(&"x".repeat(257)).is_err());
    }

    #[test]
    fn tokens_have_their_prefix_and_length() {
        let (token, digest) = issue_token(SESSION_PREFIX);
        assert!(is_token(&token, SESSION_PREFIX));
        assert!(!is_token(&token, INVITATION_PREFIX));
        assert_eq!(digest, key::digest(&token));
        assert_eq!(token.len(), 47);
    }
}
