//! Secrets at rest: sealed with XChaCha20-Poly1305 under a 32-byte master key.
//!
//! A sealed value is `v1:<key fingerprint>:<hex(nonce ‖ ciphertext)>`. The fingerprint says which
//! master key sealed it, so a rotation interrupted half-way still opens every row with one of the
//! two keys it knows. The associated data binds a value to the row it belongs to: a sealed value
//! copied into another row does not open.

use chacha20poly1305::{
    aead::{Aead, KeyInit, Payload},
    XChaCha20Poly1305, XNonce,
};
use rand::{rngs::OsRng, RngCore};
use sha2::{Digest, Sha256};

const NONCE_LEN: usize = 24;

/// A master key. Its `Debug` shows the fingerprint only.
#[derive(Clone)]
pub struct MasterKey {
    key: [u8; 32],
    fingerprint: String,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterKey({})", self.fingerprint)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("not a sealed secret")]
    Malformed,
    #[error("sealed under master key {0}, which this server does not have")]
    UnknownKey(String),
    #[error("the sealed secret does not open under its key (tampered with, or moved to another row)")]
    Tampered,
}

impl MasterKey {
    fn new(key: [u8; 32]) -> MasterKey {
        let mut hash = Sha256::new();
        hash.update(b"enspace master key fingerprint\0");
        hash.update(key);
        let fingerprint = hex::encode(&hash.finalize()[..8]);
        MasterKey { key, fingerprint }
    }

    pub fn generate() -> MasterKey {
        let mut key = [0u8; 32];
        OsRng.fill_bytes(&mut key);
        MasterKey::new(key)
    }

    /// 64 hex digits (surrounding whitespace ignored).
    pub fn from_hex(text: &str) -> Result<MasterKey, String> {
        let bytes = hex::decode(text.trim()).map_err(|_| "a master key is 64 hex digits".to_string())?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| "a master key is 64 hex digits (32 bytes)".to_string())?;
        Ok(MasterKey::new(key))
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.key)
    }

    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    pub fn seal(&self, plaintext: &[u8], aad: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let cipher = XChaCha20Poly1305::new((&self.key).into());
        let sealed = cipher
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: plaintext, aad: aad.as_bytes() })
            .expect("XChaCha20-Poly1305 encrypts any length we store");
        let mut out = nonce.to_vec();
        out.extend(sealed);
        format!("v1:{}:{}", self.fingerprint, hex::encode(out))
    }

    fn open_raw(&self, bytes: &[u8], aad: &str) -> Result<Vec<u8>, SecretError> {
        if bytes.len() < NONCE_LEN {
            return Err(SecretError::Malformed);
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        XChaCha20Poly1305::new((&self.key).into())
            .decrypt(XNonce::from_slice(nonce), Payload { msg: sealed, aad: aad.as_bytes() })
            .map_err(|_| SecretError::Tampered)
    }
}

/// The keys a server opens secrets with: the current one (which seals), and during a rotation
/// the one being replaced.
#[derive(Debug, Clone)]
pub struct Keyring {
    pub current: MasterKey,
    pub previous: Option<MasterKey>,
}

impl Keyring {
    pub fn new(current: MasterKey) -> Keyring {
        Keyring { current, previous: None }
    }

    pub fn seal(&self, plaintext: &[u8], aad: &str) -> String {
        self.current.seal(plaintext, aad)
    }

    pub fn open(&self, sealed: &str, aad: &str) -> Result<Vec<u8>, SecretError> {
        let mut parts = sealed.splitn(3, ':');
        let (Some("v1"), Some(fingerprint), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(SecretError::Malformed);
        };
        let bytes = hex::decode(body).map_err(|_| SecretError::Malformed)?;
        let key = [Some(&self.current), self.previous.as_ref()]
            .into_iter()
            .flatten()
            .find(|k| k.fingerprint == fingerprint)
            .ok_or_else(|| SecretError::UnknownKey(fingerprint.to_string()))?;
        key.open_raw(&bytes, aad)
    }

    /// Whether `sealed` was sealed by the current key (rotation skips those).
    pub fn is_current(&self, sealed: &str) -> bool {
        sealed.split(':').nth(1) == Some(self.current.fingerprint.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_open_only_with_their_key_and_row() {
        let ring = Keyring::new(MasterKey::generate());
        let sealed = ring.seal(b"SG.secret", "integration:1:7");
        assert!(sealed.starts_with(&format!("v1:{}:", ring.current.fingerprint())));
        assert!(!sealed.contains("SG.secret") && !sealed.contains(&hex::encode("SG.secret")));
        assert_eq!(ring.open(&sealed, "integration:1:7").unwrap(), b"SG.secret");
        assert_eq!(ring.open(&sealed, "integration:1:8"), Err(SecretError::Tampered));
        let other = Keyring::new(MasterKey::generate());
        assert!(matches!(other.open(&sealed, "integration:1:7"), Err(SecretError::UnknownKey(_))));
        assert_eq!(ring.open("plain", "x"), Err(SecretError::Malformed));
        // Two seals of the same value differ (random nonces).
        assert_ne!(sealed, ring.seal(b"SG.secret", "integration:1:7"));
    }

    #[test]
    fn a_rotation_opens_with_either_key() {
        let old = MasterKey::generate();
        let sealed_old = Keyring::new(old.clone()).seal(b"a", "r");
        let ring = Keyring { current: MasterKey::generate(), previous: Some(old) };
        assert_eq!(ring.open(&sealed_old, "r").unwrap(), b"a");
        assert!(!ring.is_current(&sealed_old));
        assert!(ring.is_current(&ring.seal(b"a", "r")));
    }

    #[test]
    fn keys_round_trip_as_hex_and_never_show_in_debug() {
        let key = MasterKey::generate();
        let again = MasterKey::from_hex(&key.to_hex()).unwrap();
        assert_eq!(again.fingerprint(), key.fingerprint());
        assert!(!format!("{key:?}").contains(&key.to_hex()));
        assert!(MasterKey::from_hex("abcd").is_err());
    }
}
