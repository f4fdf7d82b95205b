//! Workspace rules: references (slugs), languages, input checks.

use crate::Detail;

pub const LANGUAGES: [&str; 3] = ["pt", "en", "es"];
pub const DEFAULT_LANGUAGE: &str = "pt";
pub const NAME_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 2000;

/// Checks a workspace reference: 2–64 characters of `a-z`, `0-9`, `-`, starting with a letter.
pub fn check_reference(reference: &str) -> Result<(), String> {
    let len = reference.chars().count();
    if !(2..=64).contains(&len) {
        return Err(format!("must be 2 to 64 characters long, got {len}"));
    }
    if !reference.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err("must start with a letter a-z".into());
    }
    if let Some(bad) = reference.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')) {
        return Err(format!("may contain only a-z, 0-9 and '-', found {bad:?}"));
    }
    Ok(())
}

/// Derives a reference from a name: kebab-case with accents folded ("Acme Operações" →
/// `acme-operacoes`). A name with no usable letters gives `workspace`; one that starts with a
/// digit gets a `w-` prefix, because references never start with a digit (numeric header values
/// are ids).
pub fn derive_reference(name: &str) -> String {
    let mut base = slug::slugify(name);
    if base.is_empty() {
        base = "workspace".into();
    }
    if !base.starts_with(|c: char| c.is_ascii_lowercase()) {
        base = format!("w-{base}");
    }
    truncate_reference(&base, 64)
}

/// `base` made unique with a numeric suffix (`acme-2`), keeping within 64 characters.
pub fn reference_with_suffix(base: &str, n: u32) -> String {
    let suffix = format!("-{n}");
    format!("{}{suffix}", truncate_reference(base, 64 - suffix.len()))
}

fn truncate_reference(text: &str, max: usize) -> String {
    let mut out: String = text.chars().take(max).collect();
    while out.ends_with('-') {
        out.pop();
    }
    if out.len() < 2 {
        out = format!("{out}ws").chars().take(max).collect();
    }
    out
}

pub fn check_language(language: &str) -> Result<(), String> {
    if LANGUAGES.contains(&language) {
        Ok(())
    } else {
        Err(format!("must be one of pt, en, es, got {language:?}"))
    }
}

/// Checks a required or optional name-like text.
pub fn check_text(details: &mut Vec<Detail>, path: &str, value: Option<&str>, required: bool, max: usize) {
    match value {
        None if required => details.push(Detail::new(path, "is required")),
        Some(text) if required && text.trim().is_empty() => details.push(Detail::new(path, "must not be empty")),
        Some(text) if text.chars().count() > max => {
            details.push(Detail::new(path, format!("must be at most {max} characters")))
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derives_kebab_case_with_folded_accents() {
        assert_eq!(derive_reference("Acme Operações"), "acme-operacoes");
        assert_eq!(derive_reference("  Back   Office!! "), "back-office");
        assert_eq!(derive_reference("2026 Plans"), "w-2026-plans");
        assert_eq!(derive_reference("!!!"), "workspace");
        assert_eq!(derive_reference("Ä"), "aws");
        let long = "x".repeat(100);
        assert_eq!(derive_reference(&long).len(), 64);
    }

    #[test]
    fn suffixes_stay_within_64() {
        assert_eq!(reference_with_suffix("acme", 2), "acme-2");
        let long = "a".repeat(64);
        let r = reference_with_suffix(&long, 12);
        assert_eq!(r.len(), 64);
        assert!(r.ends_with("-12"));
        assert!(check_reference(&r).is_ok());
    }

    #[test]
    fn checks_references() {
        assert!(check_reference("acme-ops").is_ok());
        assert!(check_reference("a1").is_ok());
        assert_eq!(check_reference("a").unwrap_err(), "must be 2 to 64 characters long, got 1");
        assert_eq!(check_reference("1abc").unwrap_err(), "must start with a letter a-z");
        assert_eq!(check_reference("Acme").unwrap_err(), "must start with a letter a-z");
        assert_eq!(check_reference("ac_me").unwrap_err(), "may contain only a-z, 0-9 and '-', found '_'");
    }
}
