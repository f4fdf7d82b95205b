//! Item rules: references, statuses, and what a change changed (for history).

use rand::RngCore;
use serde_json::{json, Map, Value};

use crate::time::Millis;

pub const STATUSES: [&str; 2] = ["active", "inactive"];
/// At most this many operations in one bulk request [ours].
pub const BULK_MAX: usize = 500;

/// A new reference: the type's three-letter prefix, then 29 upper-case hex digits [wire
/// format]: 11 of the creation time in milliseconds (so references sort by creation and
/// index inserts stay local) and 18 random (72 bits: two items of one millisecond never
/// collide in practice, and the unique index refuses the astronomically unlikely rest).
pub fn new_reference(prefix: &str, now: Millis) -> String {
    let mut random = [0u8; 9];
    rand::thread_rng().fill_bytes(&mut random);
    let mut out = String::with_capacity(32);
    out.push_str(prefix);
    out.push_str(&format!("{:011X}", (now.max(0) as u64) & 0xFFF_FFFF_FFFF));
    for b in random {
        out.push_str(&format!("{b:02X}"));
    }
    out
}

/// `{refId: {from, to}}` for every key whose value differs (absent reads as null).
pub fn changes(before: &Map<String, Value>, after: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        let (from, to) = (before.get(key), after.get(key));
        if from != to {
            out.insert(key.clone(), json!({ "from": from, "to": to }));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three upper-case letters, then 29 upper-case hex digits.
    fn is_reference(text: &str) -> bool {
        text.len() == 32
            && text[..3].bytes().all(|b| b.is_ascii_uppercase())
            && text[3..].bytes().all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
    }

    #[test]
    fn references_have_the_wire_shape_and_sort_by_time() {
        let a = new_reference("CON", 1_773_348_400_548);
        let b = new_reference("CON", 1_773_348_400_549);
        assert!(is_reference(&a), "{a}");
        assert_eq!(a.len(), 32);
        assert!(a.starts_with("CON"));
        assert!(a < b);
        assert!(!is_reference("con3F9A0C51B2E4D7A8F0C1B2E3D4A5X"));
    }

    #[test]
    fn changes_list_what_moved() {
        let before = json!({"a": 1, "b": "x"}).as_object().unwrap().clone();
        let after = json!({"a": 2, "c": true, "b": "x"}).as_object().unwrap().clone();
        assert_eq!(
            Value::Object(changes(&before, &after)),
            json!({"a": {"from": 1, "to": 2}, "c": {"from": null, "to": true}})
        );
    }
}
