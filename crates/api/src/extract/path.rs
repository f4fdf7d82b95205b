//! Numeric ids in paths. An id that does not parse (`abc`, a 20-digit number) must answer
//! exactly like an id that names no row — the same checks first, then the resource's own 404 —
//! so that the parse step and the lookup cannot be told apart. It therefore becomes
//! [`Id::NONE`], which no row has (ids start at 1), and goes through the same lookup.

use serde::{Deserialize, Deserializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Id(pub i64);

impl Id {
    /// What an unparsable id becomes: no table has a row with id 0.
    pub const NONE: Id = Id(0);

    /// Only plain decimal digits name a row (`+5`, ` 5` and `5.0` do not).
    pub fn parse(text: &str) -> Id {
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Id::NONE;
        }
        text.parse().map(Id).unwrap_or(Id::NONE)
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Id, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(deserializer)?;
        Ok(Id::parse(&text))
    }
}

#[cfg(test)]
mod tests {
    use super::Id;

    #[test]
    fn only_plain_numbers_name_rows() {
        assert_eq!(Id::parse("42"), Id(42));
        assert_eq!(Id::parse("9223372036854775807"), Id(i64::MAX));
        for text in ["", "abc", "+5", "-5", " 5", "5.0", "1e3", "12345678901234567890"] {
            assert_eq!(Id::parse(text), Id::NONE, "{text:?}");
        }
    }
}
