//! Type rules: slugs, and the three letters an item reference starts with.

pub const NAME_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 2000;

/// `[a-z][a-z0-9_]{1,63}` [wire style].
pub fn check_slug(slug: &str) -> Result<(), String> {
    if !(2..=64).contains(&slug.len()) {
        return Err(format!("must be 2 to 64 characters long, got {}", slug.chars().count()));
    }
    if !slug.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err("must start with a letter a-z".into());
    }
    if let Some(bad) = slug.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')) {
        return Err(format!("may contain only a-z, 0-9 and '_', found {bad:?}"));
    }
    Ok(())
}

/// snake_case with accents folded: "Solicitações de Compra" → `solicitacoes_de_compra`.
/// A name with no letters gives `type`; one starting with a digit gets a `t_` prefix.
pub fn derive_slug(name: &str) -> String {
    let mut base = slug::slugify(name).replace('-', "_");
    if base.is_empty() {
        base = "type".into();
    }
    if !base.starts_with(|c: char| c.is_ascii_lowercase()) {
        base = format!("t_{base}");
    }
    let mut out: String = base.chars().take(64).collect();
    while out.ends_with('_') {
        out.pop();
    }
    if out.len() < 2 {
        out.push_str("_t");
    }
    out
}

/// `base` made unique with a numeric suffix (`contratos_2`), within 64 characters.
pub fn slug_with_suffix(base: &str, n: u32) -> String {
    let suffix = format!("_{n}");
    let head: String = base.chars().take(64 - suffix.len()).collect();
    format!("{}{suffix}", head.trim_end_matches('_'))
}

/// The first three letters of the name, upper-cased, accents folded, padded with `X`.
pub fn reference_prefix(name: &str) -> String {
    let folded = slug::slugify(name).to_ascii_uppercase();
    let mut prefix: String = folded.chars().filter(|c| c.is_ascii_uppercase()).take(3).collect();
    while prefix.len() < 3 {
        prefix.push('X');
    }
    prefix
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_fold_accents_and_stay_valid() {
        assert_eq!(derive_slug("Solicitações de Compra"), "solicitacoes_de_compra");
        assert_eq!(derive_slug("2024 Contratos"), "t_2024_contratos");
        assert_eq!(derive_slug("!!"), "type");
        assert!(check_slug(&derive_slug(&"x".repeat(100))).is_ok());
        assert_eq!(slug_with_suffix("contratos", 2), "contratos_2");
        assert!(check_slug("Contratos").is_err());
        assert!(check_slug("a").is_err());
    }

    #[test]
    fn prefixes_are_three_letters() {
        assert_eq!(reference_prefix("Contratos"), "CON");
        assert_eq!(reference_prefix("Óleo"), "OLE");
        assert_eq!(reference_prefix("TI"), "TIX");
        assert_eq!(reference_prefix("42"), "XXX");
    }
}
