//! WhatsApp conversation rules: phone numbers for sending, and when the auto-close warning and
//! closing fall due.

use crate::time::Millis;

/// The country code added to numbers given without one [ours: configurable, default Brazil].
pub const DEFAULT_COUNTRY_CODE: &str = "55";

/// A number in E.164 (`+5521999999999`) from how people and Twilio write it (`21 99999-9999`,
/// `+55 (21) 99999-9999`, `whatsapp:+5521999999999`). A number written without `+` and with at
/// most 11 digits (after a trunk `0`) is national and gets `country_code`. `None` when there are
/// no digits, or too many.
pub fn e164(phone: &str, country_code: &str) -> Option<String> {
    let phone = phone.trim();
    let phone = phone.strip_prefix("whatsapp:").unwrap_or(phone).trim();
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    if phone.starts_with('+') {
        return (!digits.is_empty() && digits.len() <= 15).then(|| format!("+{digits}"));
    }
    // A national trunk prefix (`0`) is not part of the number.
    let digits = digits.trim_start_matches('0');
    match digits.len() {
        0 | 16.. => None,
        12..=15 => Some(format!("+{digits}")),
        _ => Some(format!("+{country_code}{digits}")),
    }
}

/// Twilio's WhatsApp address of an E.164 number.
pub fn address(e164: &str) -> String {
    format!("whatsapp:{e164}")
}

/// When a conversation whose last inbound message arrived at `last_inbound` gets its warning
/// and closes: `window_minutes` of inactivity close it (0: never); the warning goes
/// `warning_minutes` before that, when there is a warning message to send.
pub fn autoclose_times(
    last_inbound: Millis,
    window_minutes: i64,
    warning_minutes: Option<i64>,
    has_warning_message: bool,
) -> (Option<Millis>, Option<Millis>) {
    if window_minutes <= 0 {
        return (None, None);
    }
    let minute = 60_000;
    let close = last_inbound + window_minutes * minute;
    let warning = match warning_minutes {
        Some(w) if w > 0 && w < window_minutes && has_warning_message => Some(close - w * minute),
        _ => None,
    };
    (warning, Some(close))
}

/// Delivery statuses Twilio reports, in the order a message moves through them; `failed` and
/// `undelivered` end it. Callbacks can arrive out of order, so a status never moves back.
const PROGRESS: [&str; 6] = ["accepted", "queued", "sending", "sent", "delivered", "read"];

/// Whether a message now `current` should take the reported status `next`.
pub fn status_advances(current: &str, next: &str) -> bool {
    let rank = |s: &str| PROGRESS.iter().position(|p| *p == s);
    match (rank(current), rank(next), next) {
        (_, _, _) if matches!(current, "failed" | "undelivered") => false,
        (_, None, "failed" | "undelivered") => true,
        (Some(c), Some(n), _) => n > c,
        (None, Some(_), _) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_become_e164() {
        assert_eq!(e164("21 99999-9999", "55").as_deref(), Some("+5521999999999"));
        assert_eq!(e164("(021) 99999-9999", "55").as_deref(), Some("+5521999999999"));
        assert_eq!(e164("+1 415 555 0100", "55").as_deref(), Some("+14155550100"));
        assert_eq!(e164("whatsapp:+5521999999999", "55").as_deref(), Some("+5521999999999"));
        assert_eq!(e164("5521999999999", "55").as_deref(), Some("+5521999999999"));
        assert_eq!(e164("call me", "55"), None);
        assert_eq!(address("+5521999999999"), "whatsapp:+5521999999999");
    }

    #[test]
    fn statuses_never_move_back() {
        assert!(status_advances("queued", "sent"));
        assert!(status_advances("sent", "read"));
        assert!(!status_advances("delivered", "sent"));
        assert!(status_advances("sent", "failed"));
        assert!(!status_advances("failed", "delivered"));
        assert!(!status_advances("sent", "bogus"));
    }

    #[test]
    fn autoclose_falls_due_after_the_window() {
        let t = 1_000_000;
        assert_eq!(autoclose_times(t, 90, Some(10), true), (Some(t + 80 * 60_000), Some(t + 90 * 60_000)));
        assert_eq!(autoclose_times(t, 90, Some(10), false), (None, Some(t + 90 * 60_000)));
        assert_eq!(autoclose_times(t, 90, None, true), (None, Some(t + 90 * 60_000)));
        assert_eq!(autoclose_times(t, 0, Some(10), true), (None, None));
    }
}
