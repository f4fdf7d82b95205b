//! API keys: format, digests, scopes and expiry.
//!
//! A key is `en.` followed by 34 characters of `[A-Za-z0-9]` (about 202 bits of entropy). Only
//! its SHA-256 digest is stored; a presented key is looked up by its digest, so the lookup never
//! compares stored secrets byte by byte, and the final equality check is constant-time anyway.

use chrono::{DateTime, Months, Utc};
use rand::{distributions::Alphanumeric, rngs::OsRng, Rng};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::time::Millis;

pub const KEY_PREFIX: &str = "en.";
pub const KEY_SECRET_LEN: usize = 34;
pub const KEY_REFERENCE_LEN: usize = 16;

pub(crate) fn random_alphanumeric(len: usize) -> String {
    OsRng.sample_iter(&Alphanumeric).take(len).map(char::from).collect()
}

/// A fresh secret key, shown to its owner once.
pub fn generate_key() -> String {
    format!("{KEY_PREFIX}{}", random_alphanumeric(KEY_SECRET_LEN))
}

/// The public 16-character handle of a key (what lists and logs show).
pub fn generate_reference() -> String {
    random_alphanumeric(KEY_REFERENCE_LEN)
}

/// A new key: the secret (shown once), its public reference, and the digest that is stored.
#[derive(Debug, Clone)]
pub struct IssuedKey {
    pub secret: String,
    pub reference: String,
    pub digest: String,
}

pub fn issue() -> IssuedKey {
    let secret = generate_key();
    IssuedKey { digest: digest(&secret), reference: generate_reference(), secret }
}

/// Whether `text` has the shape of a key; anything else is rejected before any lookup.
pub fn is_well_formed(text: &str) -> bool {
    text.strip_prefix(KEY_PREFIX)
        .is_some_and(|secret| secret.len() == KEY_SECRET_LEN && secret.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Hex SHA-256 of the whole key: what the database keeps.
pub fn digest(key: &str) -> String {
    let hash = Sha256::digest(key.as_bytes());
    let mut out = String::with_capacity(64);
    for byte in hash {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// Constant-time equality of two digests.
pub fn digests_equal(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// What a key may do, by HTTP method: reading needs `read`, POST/PUT/PATCH `write`, DELETE `delete`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Read,
    Write,
    Delete,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Read, Scope::Write, Scope::Delete];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Delete => "delete",
        }
    }

    pub fn parse(text: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The scope an HTTP method needs. Unknown methods need `write`, the safe side.
    pub fn for_method(method: &str) -> Scope {
        match method {
            "GET" | "HEAD" | "OPTIONS" => Scope::Read,
            "DELETE" => Scope::Delete,
            _ => Scope::Write,
        }
    }
}

/// The set of global scopes a key holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scopes {
    pub read: bool,
    pub write: bool,
    pub delete: bool,
}

impl Scopes {
    pub const EVERY: Scopes = Scopes { read: true, write: true, delete: true };

    pub fn has(&self, scope: Scope) -> bool {
        match scope {
            Scope::Read => self.read,
            Scope::Write => self.write,
            Scope::Delete => self.delete,
        }
    }

    pub fn from_list(list: &[Scope]) -> Scopes {
        Scopes {
            read: list.contains(&Scope::Read),
            write: list.contains(&Scope::Write),
            delete: list.contains(&Scope::Delete),
        }
    }

    /// In the canonical order `read`, `write`, `delete`.
    pub fn to_list(self) -> Vec<Scope> {
        Scope::ALL.into_iter().filter(|s| self.has(*s)).collect()
    }

    pub fn contains_all(&self, other: &Scopes) -> bool {
        Scope::ALL.into_iter().all(|s| !other.has(s) || self.has(s))
    }
}

/// The lifetimes a new key may be given [wire values].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiresIn {
    Months(u32),
    Never,
}

impl ExpiresIn {
    pub const VALUES: [&'static str; 7] = ["1M", "2M", "3M", "6M", "1y", "2y", "never"];

    pub fn parse(text: &str) -> Option<ExpiresIn> {
        Some(match text {
            "1M" => ExpiresIn::Months(1),
            "2M" => ExpiresIn::Months(2),
            "3M" => ExpiresIn::Months(3),
            "6M" => ExpiresIn::Months(6),
            "1y" => ExpiresIn::Months(12),
            "2y" => ExpiresIn::Months(24),
            "never" => ExpiresIn::Never,
            _ => return None,
        })
    }

    /// The expiry instant for a key created at `now`: calendar months, so `1M` from
    /// 31 January ends on the last day of February.
    pub fn expires_at(self, now: Millis) -> Option<Millis> {
        match self {
            ExpiresIn::Never => None,
            ExpiresIn::Months(n) => {
                let start = DateTime::<Utc>::from_timestamp_millis(now)?;
                Some(start.checked_add_months(Months::new(n))?.timestamp_millis())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::parse_instant;

    #[test]
    fn generated_keys_are_well_formed_and_distinct() {
        let a = generate_key();
        let b = generate_key();
        assert!(is_well_formed(&a), "{a}");
        assert_eq!(a.len(), 37);
        assert_ne!(a, b);
        assert_eq!(generate_reference().len(), 16);
    }

    #[test]
    fn rejects_malformed_keys() {
        assert!(!is_well_formed(""));
        assert!(!is_well_formed("en."));
        assert!(!is_well_formed("xx.abcdefghijabcdefghijabcdefghij1234"));
        assert!(!is_well_formed("en.abcdefghijabcdefghijabcdefghij123")); // 33
        assert!(!is_well_formed("en.abcdefghijabcdefghijabcdefghij12-4"));
        assert!(is_well_formed("en.abcdefghijabcdefghijabcdefghij1234"));
    }

    #[test]
    fn digest_is_hex_sha256() {
        assert_eq!(digest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert!(digests_equal(&digest("x"), &digest("x")));
        assert!(!digests_equal(&digest("x"), &digest("y")));
    }

    #[test]
    fn scope_by_method() {
        assert_eq!(Scope::for_method("GET"), Scope::Read);
        assert_eq!(Scope::for_method("HEAD"), Scope::Read);
        assert_eq!(Scope::for_method("POST"), Scope::Write);
        assert_eq!(Scope::for_method("PUT"), Scope::Write);
        assert_eq!(Scope::for_method("PATCH"), Scope::Write);
        assert_eq!(Scope::for_method("DELETE"), Scope::Delete);
    }

    #[test]
    fn scopes_containment() {
        let rw = Scopes { read: true, write: true, delete: false };
        assert!(Scopes::EVERY.contains_all(&rw));
        assert!(!rw.contains_all(&Scopes::EVERY));
        assert_eq!(rw.to_list(), vec![Scope::Read, Scope::Write]);
    }

    #[test]
    fn expiry_uses_calendar_months() {
        let jan31 = parse_instant("2026-01-31T10:00:00.000Z").unwrap();
        assert_eq!(ExpiresIn::parse("1M").unwrap().expires_at(jan31), parse_instant("2026-02-28T10:00:00.000Z"));
        assert_eq!(ExpiresIn::parse("1y").unwrap().expires_at(jan31), parse_instant("2027-01-31T10:00:00.000Z"));
        assert_eq!(ExpiresIn::parse("never").unwrap().expires_at(jan31), None);
        assert_eq!(ExpiresIn::parse("1d"), None);
    }
}
