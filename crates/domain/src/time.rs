//! Instants are kept as milliseconds since the Unix epoch (UTC) in storage and rendered as
//! ISO 8601 with milliseconds and `Z` on the wire (`2026-03-12T20:46:40.548Z`).

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

/// Milliseconds since the Unix epoch, UTC.
pub type Millis = i64;

pub fn now_ms() -> Millis {
    Utc::now().timestamp_millis()
}

/// `2026-03-12T20:46:40.548Z`
pub fn format_ms(ms: Millis) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default().to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Parses an RFC 3339 instant (any offset) or a date-only `YYYY-MM-DD` (midnight UTC).
pub fn parse_instant(text: &str) -> Option<Millis> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(text) {
        return Some(dt.timestamp_millis());
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    Some(date.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_milliseconds_and_z() {
        assert_eq!(format_ms(1_773_348_400_548), "2026-03-12T20:46:40.548Z");
        assert_eq!(format_ms(0), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn parses_instants_and_dates() {
        assert_eq!(parse_instant("2026-03-12T20:46:40.548Z"), Some(1_773_348_400_548));
        assert_eq!(parse_instant("2026-03-12T17:46:40.548-03:00"), Some(1_773_348_400_548));
        assert_eq!(parse_instant("1970-01-02"), Some(86_400_000));
        assert_eq!(parse_instant("yesterday"), None);
        assert_eq!(parse_instant("2026-13-01"), None);
    }
}
