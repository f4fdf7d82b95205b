//! Outgoing webhooks' rules (spec/events.md § Webhooks, decisions 76–83): which URLs may be
//! called, which events a webhook takes, its secrets and its retry schedule.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use rand::{distributions::Alphanumeric, Rng};
use url::{Host, Url};

use crate::events::expand;

/// Webhooks per workspace [ours, decision 83].
pub const MAX_PER_WORKSPACE: i64 = 20;
/// How long a receiver may take to answer [spec].
pub const TIMEOUT_SECS: u64 = 10;
/// How much of an answer is read (and then dropped: bodies are never stored) [ours].
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;
/// The waits before each retry (decision 83); the first attempt plus these is every try.
pub const BACKOFF_SECS: [u64; 8] = [30, 120, 600, 1800, 3600, 7200, 14_400, 28_800];
/// A webhook failing for this long with no success is turned off [spec].
pub const FAILING_FOR_MS: i64 = 24 * 3600 * 1000;
/// How long a rotated-out secret keeps signing, by default and at most [decision 80].
pub const PREVIOUS_SECRET_HOURS: i64 = 24;

const SECRET_PREFIX: &str = "whsec_";

/// A new secret: `whsec_` and 32 random letters and digits [spec].
pub fn new_secret() -> String {
    let random: String = rand::thread_rng().sample_iter(&Alphanumeric).take(32).map(char::from).collect();
    format!("{SECRET_PREFIX}{random}")
}

/// Whether an address is one a webhook may never reach unless private targets are allowed:
/// loopback, private, shared, link-local, unspecified, benchmark, multicast, broadcast, and the
/// IPv4-mapped and translated forms of these (decision 81).
pub fn blocked(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => blocked_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return blocked_v4(v4);
            }
            let segments = v6.segments();
            // 64:ff9b::/96, NAT64's translation of IPv4.
            if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                return blocked_v4(Ipv4Addr::from(((segments[6] as u32) << 16) | segments[7] as u32));
            }
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (segments[0] & 0xfe00) == 0xfc00 // fc00::/7, unique local
                || (segments[0] & 0xffc0) == 0xfe80 // fe80::/10, link-local
                || v6 == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) // AWS metadata over IPv6
        }
    }
}

fn blocked_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_multicast()
        || ip.is_broadcast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // 100.64/10, shared address space
        || (a == 198 && (b == 18 || b == 19)) // 198.18/15, benchmarking
        || a >= 240 // reserved
}

/// Names that reach cloud metadata services whatever they resolve to.
const METADATA_NAMES: &[&str] = &["metadata.google.internal", "metadata", "instance-data"];

/// Checks a webhook URL as written: `https://` (or `http://` with private targets allowed), a
/// host, no credentials in it, and neither a literal blocked address nor a metadata name. A
/// name is resolved (and checked again) at each delivery.
pub fn check_url(text: &str, allow_private: bool) -> Result<Url, String> {
    let url = Url::parse(text.trim()).map_err(|e| format!("expected an absolute URL: {e}"))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        other => return Err(format!("expected an https:// URL, got {other}://")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry credentials: the signature authenticates the server".into());
    }
    match url.host() {
        None => Err("expected a host".into()),
        Some(_) if allow_private => Ok(url),
        Some(Host::Ipv4(ip)) if blocked(IpAddr::V4(ip)) => Err(refused_address(&ip.to_string())),
        Some(Host::Ipv6(ip)) if blocked(IpAddr::V6(ip)) => Err(refused_address(&ip.to_string())),
        Some(Host::Domain(name))
            if METADATA_NAMES.contains(&name.trim_end_matches('.')) || name.trim_end_matches('.') == "localhost" =>
        {
            Err(refused_address(name))
        }
        Some(_) => Ok(url),
    }
}

/// The refusal of a private target, the same at creation and at delivery.
pub fn refused_address(address: &str) -> String {
    format!("{address} is a loopback, private, link-local or metadata address; webhooks may not call it")
}

/// Checks the `events` patterns of a webhook: non-empty, each an exact kind, `<resource>.*` or
/// `*` (decision 77). Answers the problems by index.
pub fn check_events(patterns: &[String]) -> Vec<(usize, String)> {
    patterns.iter().enumerate().filter_map(|(i, p)| expand(p).err().map(|message| (i, message))).collect()
}

/// Whether a webhook with `patterns` and `item_types` takes an event of `kind` about
/// `item_type`. `ping` goes to every webhook.
pub fn takes(patterns: &[String], item_types: &[String], kind: &str, item_type: Option<&str>) -> bool {
    if kind == "ping" {
        return true;
    }
    let kind_ok = patterns.iter().any(|p| expand(p).is_ok_and(|kinds| kinds.contains(&kind)));
    let type_ok = item_types.is_empty() || item_type.is_some_and(|t| item_types.iter().any(|s| s == t));
    kind_ok && type_ok
}

/// The wait before attempt `attempt + 1` after a failed `attempt` (1-based); `None` when no
/// retry is left.
pub fn retry_after_secs(attempt: i64) -> Option<u64> {
    usize::try_from(attempt - 1).ok().and_then(|i| BACKOFF_SECS.get(i)).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_blocked() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "198.18.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "fc00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "64:ff9b::a00:1",
        ] {
            assert!(blocked(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "100.128.0.1"] {
            assert!(!blocked(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn urls_are_https_to_public_hosts_unless_private_is_allowed() {
        assert!(check_url("https://erp.example.com/hook", false).is_ok());
        assert_eq!(
            check_url("http://erp.example.com/hook", false).unwrap_err(),
            "expected an https:// URL, got http://"
        );
        assert!(check_url("https://127.0.0.1/hook", false).unwrap_err().starts_with("127.0.0.1 is a loopback"));
        assert!(check_url("https://[::1]/hook", false).unwrap_err().starts_with("::1 is a loopback"));
        assert!(check_url("https://metadata.google.internal/", false).is_err());
        assert!(check_url("https://localhost:8443/", false).is_err());
        assert!(check_url("https://user:pw@erp.example.com/", false).unwrap_err().contains("credentials"));
        assert!(check_url("not a url", false).unwrap_err().starts_with("expected an absolute URL"));
        assert!(check_url("http://127.0.0.1:9/hook", true).is_ok());
    }

    #[test]
    fn a_webhook_takes_its_kinds_and_types() {
        let patterns = vec!["item.*".to_string(), "member.added".to_string()];
        let types = vec!["contratos".to_string()];
        assert!(takes(&patterns, &[], "item.created", Some("x")));
        assert!(takes(&patterns, &types, "item.created", Some("contratos")));
        assert!(!takes(&patterns, &types, "item.created", Some("pedidos")));
        assert!(!takes(&patterns, &types, "member.added", None), "a type list leaves out events with no type");
        assert!(takes(&patterns, &[], "member.added", None));
        assert!(!takes(&patterns, &[], "type.created", Some("x")));
        assert!(takes(&patterns, &types, "ping", None));
    }

    #[test]
    fn secrets_and_retries() {
        let secret = new_secret();
        assert!(
            secret.starts_with("whsec_")
                && secret.len() == 38
                && secret[6..].chars().all(|c| c.is_ascii_alphanumeric())
        );
        assert_ne!(new_secret(), secret);
        assert_eq!(retry_after_secs(1), Some(30));
        assert_eq!(retry_after_secs(8), Some(28_800));
        assert_eq!(retry_after_secs(9), None);
        assert_eq!(check_events(&["item.*".into(), "*.created".into()]).len(), 1);
    }
}
