//! Dates, numbers and money as the console shows them, per language (console-design §4.9):
//! pt-BR `30/09/2026 18:04`, `1.234,56`, `R$ 1.234,56`; en `Sep 30, 2026, 6:04 PM`, `1,234.56`,
//! `$3,750.25`. Instants are shown in the workspace's time zone (the calendar's, `jiff`).
//!
//! Two languages do not need a locale library: the rules below are CLDR's for pt-BR and en-US
//! where they apply. The space between a symbol and the amount in pt-BR is a no-break space
//! (the amount never wraps away from its symbol).

use jiff::{civil, tz::TimeZone, Timestamp};

/// The console's languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    PtBr,
    En,
}

impl Locale {
    fn separators(self) -> (char, char) {
        match self {
            Locale::PtBr => ('.', ','),
            Locale::En => (',', '.'),
        }
    }
}

/// A number with the locale's grouping and decimal mark, as many decimals as it has (up to
/// `max_decimals`, rounded).
pub fn number(value: f64, max_decimals: usize, locale: Locale) -> String {
    let (negative, digits) = rounded(value, max_decimals);
    let (whole, fraction) = digits.split_once('.').unwrap_or((&digits, ""));
    grouped(negative, whole, fraction.trim_end_matches('0'), locale)
}

/// `value` rounded to `decimals`: whether it is below zero once rounded (no `-0`), and its
/// digits (`1234.50`).
fn rounded(value: f64, decimals: usize) -> (bool, String) {
    let digits = format!("{:.*}", decimals, value.abs());
    (value < 0.0 && digits.bytes().any(|b| (b'1'..=b'9').contains(&b)), digits)
}

fn grouped(negative: bool, whole: &str, fraction: &str, locale: Locale) -> String {
    let (group, decimal) = locale.separators();
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            out.push(group);
        }
        out.push(digit);
    }
    if !fraction.is_empty() {
        out.push(decimal);
        out.push_str(fraction);
    }
    out
}

/// An amount of a currency (ISO 4217 code) with the locale's symbol and the currency's minor
/// units: `R$ 1.234,56`, `US$ 10,00` in pt-BR; `R$1,234.56`, `$10.00` in en. A currency whose
/// symbol would be ambiguous (`$` for anything but the US dollar) or that has none is shown
/// by its code (`CAD 10,00`).
pub fn money(value: f64, code: &str, locale: Locale) -> String {
    let currency = iso_currency::Currency::from_code(code);
    let decimals = currency.and_then(|c| c.exponent()).unwrap_or(2) as usize;
    let symbol = match currency.map(|c| c.symbol().symbol) {
        Some(s) if s == "$" && code == "USD" => (if locale == Locale::PtBr { "US$" } else { "$" }).to_string(),
        Some(s) if s == "$" || s == "¤" || s.is_empty() => code.to_string(),
        Some(s) => s,
        None => code.to_string(),
    };
    let (negative, digits) = rounded(value, decimals);
    let (whole, fraction) = digits.split_once('.').unwrap_or((&digits, ""));
    let amount = grouped(false, whole, fraction, locale);
    let sign = if negative { "-" } else { "" };
    // Symbols of letters take a space in both languages (`CAD 10.00`); en joins signs (`$10`).
    let joined = locale == Locale::En && !symbol.chars().all(|c| c.is_ascii_alphabetic());
    format!("{sign}{symbol}{}{amount}", if joined { "" } else { "\u{a0}" })
}

/// An instant (milliseconds) in `zone`: pt-BR `30/09/2026 18:04`, en `Sep 30, 2026, 6:04 PM`.
pub fn date_time(ms: i64, zone: &TimeZone, locale: Locale) -> String {
    let Ok(at) = Timestamp::from_millisecond(ms) else { return String::new() };
    let zoned = at.to_zoned(zone.clone());
    let pattern = match locale {
        Locale::PtBr => "%d/%m/%Y %H:%M",
        Locale::En => "%b %-d, %Y, %-I:%M %p",
    };
    zoned.strftime(pattern).to_string()
}

/// An ISO 8601 instant as the API writes them (`2026-09-30T21:04:00.000Z`), shown as
/// [`date_time`] does; `None` when the text is not one.
pub fn instant(text: &str, zone: &TimeZone, locale: Locale) -> Option<String> {
    enspace_domain::time::parse_instant(text).map(|ms| date_time(ms, zone, locale))
}

/// A span of time, its two largest units: `3 d 4 h`, `5 h 12 min`, `7 min` (`0 min` under a
/// minute). The unit symbols read the same in pt-BR and en.
pub fn duration(ms: i64) -> String {
    let minutes = ms.max(0) / 60_000;
    let (days, hours, minutes) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    match (days, hours) {
        (0, 0) => format!("{minutes} min"),
        (0, h) => format!("{h} h {minutes} min"),
        (d, h) => format!("{d} d {h} h"),
    }
}

/// A calendar date (`YYYY-MM-DD`, a date-only field): pt-BR `30/09/2026`, en `Sep 30, 2026`;
/// as given when it is not one.
pub fn date(text: &str, locale: Locale) -> String {
    let Ok(date) = text.parse::<civil::Date>() else { return text.to_string() };
    let pattern = match locale {
        Locale::PtBr => "%d/%m/%Y",
        Locale::En => "%b %-d, %Y",
    };
    date.strftime(pattern).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_group_and_mark_decimals_per_language() {
        assert_eq!(number(1234.56, 2, Locale::PtBr), "1.234,56");
        assert_eq!(number(1234.56, 2, Locale::En), "1,234.56");
        assert_eq!(number(1234567.5, 2, Locale::PtBr), "1.234.567,5");
        assert_eq!(number(-1000.0, 2, Locale::En), "-1,000");
        assert_eq!(number(999.999, 2, Locale::En), "1,000");
        assert_eq!(number(-0.001, 2, Locale::PtBr), "0", "no minus on what rounds to zero");
        assert_eq!(number(0.5, 0, Locale::En), "0");
        assert_eq!(number(12.0, 3, Locale::PtBr), "12");
    }

    #[test]
    fn money_has_the_languages_symbols_and_the_currencys_minor_units() {
        assert_eq!(money(1234.56, "BRL", Locale::PtBr), "R$\u{a0}1.234,56");
        assert_eq!(money(1234.56, "BRL", Locale::En), "R$1,234.56");
        assert_eq!(money(3750.25, "USD", Locale::PtBr), "US$\u{a0}3.750,25");
        assert_eq!(money(3750.25, "USD", Locale::En), "$3,750.25");
        assert_eq!(money(10.0, "EUR", Locale::PtBr), "€\u{a0}10,00");
        assert_eq!(money(10.0, "CAD", Locale::En), "CAD\u{a0}10.00");
        assert_eq!(money(1500.0, "JPY", Locale::En), "¥1,500", "no minor units");
        assert_eq!(money(-2.5, "BRL", Locale::PtBr), "-R$\u{a0}2,50");
        assert_eq!(money(7.0, "XYZ", Locale::En), "XYZ\u{a0}7.00", "an unknown code as given");
    }

    #[test]
    fn instants_show_in_the_workspace_zone_per_language() {
        let sp = TimeZone::get("America/Sao_Paulo").unwrap();
        // 2026-09-30T21:04:00Z is 18:04 in São Paulo.
        let ms = "2026-09-30T21:04:00Z".parse::<Timestamp>().unwrap().as_millisecond();
        assert_eq!(date_time(ms, &sp, Locale::PtBr), "30/09/2026 18:04");
        assert_eq!(date_time(ms, &sp, Locale::En), "Sep 30, 2026, 6:04 PM");
        let tokyo = TimeZone::get("Asia/Tokyo").unwrap();
        assert_eq!(date_time(ms, &tokyo, Locale::PtBr), "01/10/2026 06:04", "the next day there");
        assert_eq!(date_time(ms, &tokyo, Locale::En), "Oct 1, 2026, 6:04 AM");
    }

    #[test]
    fn calendar_dates_per_language() {
        assert_eq!(date("2026-09-30", Locale::PtBr), "30/09/2026");
        assert_eq!(date("2026-03-05", Locale::En), "Mar 5, 2026");
        assert_eq!(date("not a date", Locale::En), "not a date");
    }

    #[test]
    fn durations_show_their_two_largest_units() {
        assert_eq!(duration(59_999), "0 min");
        assert_eq!(duration(7 * 60_000), "7 min");
        assert_eq!(duration((5 * 60 + 12) * 60_000), "5 h 12 min");
        assert_eq!(duration(((3 * 24 + 4) * 60 + 59) * 60_000), "3 d 4 h");
        assert_eq!(duration(-5), "0 min", "a clock set back shows no time, not a negative one");
    }
}
