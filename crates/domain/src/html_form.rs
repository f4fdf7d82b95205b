//! An item's `data` as the console's HTML forms carry it (console-design §4.5.3): [`encode`]
//! gives the form pairs (input names and values) that show a value, [`decode`] turns submitted
//! pairs back into the `data` the one item writer takes. Pure: the engine still checks every
//! value; this only undoes what HTML does to values (everything is text, repeated names are
//! lists, unchecked boxes send nothing, `datetime-local` has no zone).
//!
//! Names are paths under `data.`: `data.valor`, `data.preco.value`, `data.endereco.city`,
//! `data.itens.2.qtd` (repeater rows by index). Problems use the engine's paths
//! (`data.itens[0].qtd`), so that both kinds show beside the same input.
//!
//! Absent, empty and cleared are kept apart (spec/types-fields-items.md):
//! - a field with no pair on the form is not on it: nothing is sent for it;
//! - on a create, an empty input sends nothing (absent, not `""`, `false` or `[]`);
//! - on an edit only changes are sent, and a value emptied is sent as `null` (cleared).
//!
//! Inputs that can post nothing when empty (checkbox lists, switches, file and relation
//! lists, repeaters) carry a hidden *marker*: the field's own name with an empty value, which
//! says the field is on the form. A switch's marker is rendered once the field has a value
//! (and set by the page's script when it is touched), so that an untouched switch on a create
//! stays absent while unchecking a stored `true` sends `false`.

use std::collections::{BTreeMap, BTreeSet};

use jiff::{civil, tz::TimeZone, Timestamp};
use serde_json::{json, Map, Value};

use crate::{
    catalogue::{FieldType, Shape},
    fields::FieldDef,
    time::{format_ms, parse_instant},
    Detail,
};

/// What the submitted form is for.
#[derive(Debug, Clone, Copy)]
pub enum Mode<'a> {
    Create,
    /// An edit of an item whose data is this: only changes are decoded.
    Edit(&'a Map<String, Value>),
}

/// The keys of a person value the form shows, by its `person_type` (the engine refuses the
/// other kind's keys, so those the form also holds, hidden, are not sent).
const PF_KEYS: [&str; 4] = ["name", "cpf", "email", "phone"];
const PJ_KEYS: [&str; 5] = ["cnpj", "razao_social", "nome_fantasia", "email", "phone"];
const ADDRESS_KEYS: [&str; 8] = ["street", "number", "complement", "neighborhood", "city", "state", "zip", "country"];

/// The form pairs that show `data` for `defs` (values the server writes, codes and files'
/// metadata are not inputs: they are shown, not posted). Date-times are shown in `zone`.
pub fn encode(defs: &[FieldDef], data: &Map<String, Value>, zone: &TimeZone) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for def in defs {
        if let Some(value) = data.get(&def.ref_id).filter(|v| !v.is_null()) {
            encode_value(def, &format!("data.{}", def.ref_id), value, zone, &mut out);
        }
    }
    out
}

fn encode_value(def: &FieldDef, name: &str, value: &Value, zone: &TimeZone, out: &mut Vec<(String, String)>) {
    let mut push = |name: String, value: String| out.push((name, value));
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    match def.shape() {
        Shape::Text | Shape::Number | Shape::Choice | Shape::Tree => {
            if let Some(t) = text(value) {
                push(name.into(), t);
            }
        }
        Shape::Currency => {
            for key in ["value", "currency"] {
                if let Some(t) = value.get(key).and_then(text) {
                    push(format!("{name}.{key}"), t);
                }
            }
        }
        Shape::Choices => {
            let items: Vec<String> = value.as_array().into_iter().flatten().filter_map(text).collect();
            if def.field_type == FieldType::EnlChips {
                push(name.into(), items.join(", "));
            } else {
                push(name.into(), String::new());
                items.into_iter().for_each(|item| push(name.into(), item));
            }
        }
        Shape::Bool => {
            push(name.into(), String::new());
            if value.as_bool() == Some(true) {
                push(name.into(), "true".into());
            }
        }
        Shape::Date => {
            if let Some(t) = value.as_str() {
                let shown = if def.config_bool("date_only") { Some(t.to_string()) } else { local_time(t, zone) };
                push(name.into(), shown.unwrap_or_else(|| t.to_string()));
            }
        }
        Shape::Rel => {
            if let Some(r) = reference(value) {
                push(name.into(), r);
            }
        }
        Shape::RelMulti => {
            push(name.into(), String::new());
            for r in value.as_array().into_iter().flatten().filter_map(reference) {
                push(name.into(), r);
            }
        }
        Shape::Person | Shape::Address => {
            for (key, v) in value.as_object().into_iter().flatten() {
                if let Some(t) = text(v) {
                    push(format!("{name}.{key}"), t);
                }
            }
        }
        Shape::Files => {
            push(name.into(), String::new());
            for id in value.as_array().into_iter().flatten().filter_map(|f| f.get("id").and_then(text)) {
                push(name.into(), id);
            }
        }
        Shape::Group => {
            for child in &def.nested {
                if let Some(v) = value.get(&child.ref_id).filter(|v| !v.is_null()) {
                    encode_value(child, &format!("{name}.{}", child.ref_id), v, zone, out);
                }
            }
        }
        Shape::Repeater => {
            push(name.into(), String::new());
            for (i, row) in value.as_array().into_iter().flatten().enumerate() {
                for child in &def.nested {
                    if let Some(v) = row.get(&child.ref_id).filter(|v| !v.is_null()) {
                        encode_value(child, &format!("{name}.{i}.{}", child.ref_id), v, zone, out);
                    }
                }
            }
        }
        Shape::ServerObject | Shape::Code => {}
    }
}

/// A stored relation's reference (`{"id", "reference"}`, or a reference as sent).
fn reference(value: &Value) -> Option<String> {
    match value {
        Value::Object(map) => map.get("reference").and_then(Value::as_str).map(str::to_string),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// An instant as a `datetime-local` value in `zone` (`2026-03-12T17:46:40.548`).
fn local_time(instant: &str, zone: &TimeZone) -> Option<String> {
    let at = Timestamp::from_millisecond(parse_instant(instant)?).ok()?;
    Some(at.to_zoned(zone.clone()).datetime().to_string())
}

/// The submitted pairs by name, values in the order posted.
struct Pairs<'a> {
    by_name: BTreeMap<&'a str, Vec<&'a str>>,
}

impl<'a> Pairs<'a> {
    fn new(pairs: &'a [(String, String)]) -> Pairs<'a> {
        let mut by_name: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (name, value) in pairs {
            by_name.entry(name.as_str()).or_default().push(value.as_str());
        }
        Pairs { by_name }
    }

    /// Whether the form holds the field: its name, or a name under it.
    fn on_form(&self, name: &str) -> bool {
        self.by_name.contains_key(name) || self.under(name).next().is_some()
    }

    /// The names below `name` (`name.` + anything): in name order they follow one another
    /// from `name.` on.
    fn under<'s>(&'s self, name: &str) -> impl Iterator<Item = &'a str> + 's {
        let prefix = format!("{name}.");
        self.by_name
            .range::<str, _>((std::ops::Bound::Included(prefix.as_str()), std::ops::Bound::Unbounded))
            .map(|(k, _)| *k)
            .take_while(move |k| k.starts_with(&prefix))
    }

    /// The non-empty values posted under `name`.
    fn values(&self, name: &str) -> Vec<&'a str> {
        self.by_name.get(name).into_iter().flatten().copied().filter(|v| !v.is_empty()).collect()
    }

    fn first(&self, name: &str) -> Option<&'a str> {
        self.values(name).into_iter().next()
    }
}

/// Where a value sits: its form name and its path in problems.
struct At {
    name: String,
    path: String,
}

impl At {
    fn child(&self, key: &str) -> At {
        At { name: format!("{}.{key}", self.name), path: format!("{}.{key}", self.path) }
    }

    fn row(&self, posted: &str, index: usize) -> At {
        At { name: format!("{}.{posted}", self.name), path: format!("{}[{index}]", self.path) }
    }
}

/// The `data` a submitted form asks for, or every problem found in it (values that do not
/// parse are problems, never dropped). Fields not in `defs` are ignored: the caller passes
/// the fields the member may write on this form. Date-times are read in `zone`.
pub fn decode(
    defs: &[FieldDef],
    pairs: &[(String, String)],
    mode: Mode<'_>,
    zone: &TimeZone,
) -> Result<Map<String, Value>, Vec<Detail>> {
    let pairs = with_line_feeds(pairs);
    let pairs = Pairs::new(&pairs);
    let mut details = Vec::new();
    let mut out = Map::new();
    for def in defs {
        let at = At { name: format!("data.{}", def.ref_id), path: format!("data.{}", def.ref_id) };
        if !writable(def) || !pairs.on_form(&at.name) {
            continue;
        }
        let value = decode_value(def, &at, &pairs, zone, &mut details);
        match mode {
            Mode::Create => {
                if let Some(value) = value {
                    out.insert(def.ref_id.clone(), value);
                }
            }
            Mode::Edit(current) => {
                // Compared as the form would send the current value, so that what HTML cannot
                // tell apart (1 and 1.0, a relation's id beside its reference) is no change.
                let before = current.get(&def.ref_id).filter(|v| !v.is_null()).and_then(|v| {
                    let mut shown = Vec::new();
                    encode_value(def, &at.name, v, zone, &mut shown);
                    decode_value(def, &at, &Pairs::new(&with_line_feeds(&shown)), zone, &mut Vec::new())
                });
                if value != before {
                    out.insert(def.ref_id.clone(), value.unwrap_or(Value::Null));
                }
            }
        }
    }
    if details.is_empty() {
        Ok(out)
    } else {
        Err(details)
    }
}

/// The pairs with every line break a line feed: browsers send a textarea's breaks as CR LF
/// (HTML's form encoding), which would otherwise change a text written through the API with
/// LF on every save of an untouched form.
fn with_line_feeds(pairs: &[(String, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(name, value)| {
            let value =
                if value.contains('\r') { value.replace("\r\n", "\n").replace('\r', "\n") } else { value.clone() };
            (name.clone(), value)
        })
        .collect()
}

/// Whether the field takes a value from a form (server-written values and codes do not).
fn writable(def: &FieldDef) -> bool {
    !matches!(def.shape(), Shape::ServerObject | Shape::Code)
}

/// One field's value from the form: `None` when it is empty.
fn decode_value(
    def: &FieldDef,
    at: &At,
    pairs: &Pairs<'_>,
    zone: &TimeZone,
    details: &mut Vec<Detail>,
) -> Option<Value> {
    let mut fail = |path: &str, message: String| {
        details.push(Detail::new(path, message));
        None
    };
    match def.shape() {
        Shape::Text | Shape::Choice | Shape::Tree => pairs.first(&at.name).map(|t| json!(t)),
        Shape::Number => {
            let text = pairs.first(&at.name)?;
            number(text).or_else(|| fail(&at.path, format!("expected a number, got {text:?}")))
        }
        Shape::Currency => {
            let amount = pairs.first(&at.child("value").name)?;
            let Some(value) = number(amount) else {
                return fail(&at.child("value").path, format!("expected an amount, got {amount:?}"));
            };
            let currency = pairs.first(&at.child("currency").name).or(def.config_str("currency")).unwrap_or("BRL");
            Some(json!({ "value": value, "currency": currency }))
        }
        Shape::Choices => {
            let values = pairs.values(&at.name);
            let items: Vec<Value> = if def.field_type == FieldType::EnlChips {
                values
                    .iter()
                    .flat_map(|v| v.split(','))
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(|v| json!(v))
                    .collect()
            } else {
                values.into_iter().map(|v| json!(v)).collect()
            };
            (!items.is_empty()).then_some(Value::Array(items))
        }
        Shape::Bool => match pairs.values(&at.name).as_slice() {
            [] => pairs.by_name.contains_key(at.name.as_str()).then_some(json!(false)),
            ["true"] => Some(json!(true)),
            other => fail(&at.path, format!("expected a switch that is on or off, got {other:?}")),
        },
        Shape::Date => {
            let text = pairs.first(&at.name)?;
            if def.config_bool("date_only") {
                match text.parse::<civil::Date>() {
                    Ok(date) if text.len() == 10 => Some(json!(date.to_string())),
                    _ => fail(&at.path, format!("expected a date YYYY-MM-DD, got {text:?}")),
                }
            } else {
                match utc_time(text, zone) {
                    Some(instant) => Some(json!(instant)),
                    None => fail(&at.path, format!("expected a date and time YYYY-MM-DDTHH:MM, got {text:?}")),
                }
            }
        }
        Shape::Rel => pairs.first(&at.name).map(|r| json!({ "reference": r })),
        Shape::RelMulti => {
            let items: Vec<Value> = pairs.values(&at.name).into_iter().map(|r| json!({ "reference": r })).collect();
            (!items.is_empty()).then_some(Value::Array(items))
        }
        Shape::Person => {
            let kind = pairs.first(&at.child("person_type").name);
            let keys: &[&str] = match kind {
                Some("PF") => &PF_KEYS,
                Some("PJ") => &PJ_KEYS,
                Some(other) => return fail(&at.child("person_type").path, format!("expected PF or PJ, got {other:?}")),
                None => &[],
            };
            let mut person = Map::new();
            for key in keys {
                if let Some(v) = pairs.first(&at.child(key).name) {
                    person.insert(key.to_string(), json!(v));
                }
            }
            let filled_other = PF_KEYS.iter().chain(&PJ_KEYS).any(|k| pairs.first(&at.child(k).name).is_some());
            match kind {
                None if filled_other => fail(&at.child("person_type").path, "choose PF or PJ".into()),
                None => None,
                Some(kind) if !person.is_empty() => {
                    person.insert("person_type".into(), json!(kind));
                    Some(Value::Object(person))
                }
                Some(_) => None,
            }
        }
        Shape::Address => {
            let address: Map<String, Value> = ADDRESS_KEYS
                .iter()
                .filter_map(|key| pairs.first(&at.child(key).name).map(|v| (key.to_string(), json!(v))))
                .collect();
            (!address.is_empty()).then_some(Value::Object(address))
        }
        Shape::Files => {
            let mut files = Vec::new();
            for id in pairs.values(&at.name) {
                match id.parse::<i64>() {
                    Ok(id) => files.push(json!({ "id": id })),
                    Err(_) => return fail(&at.path, format!("expected an uploaded file's id, got {id:?}")),
                }
            }
            (!files.is_empty()).then_some(Value::Array(files))
        }
        Shape::Group => {
            let group = decode_children(def, at, pairs, zone, details);
            (!group.is_empty()).then_some(Value::Object(group))
        }
        Shape::Repeater => {
            // Rows by their posted index, in order; numbered densely (a removed row leaves no
            // hole), and a row left blank is no row.
            let mut posted = BTreeSet::new();
            for name in pairs.under(&at.name) {
                let segment = name[at.name.len() + 1..].split('.').next().unwrap_or_default();
                match segment.parse::<usize>() {
                    Ok(index) => {
                        posted.insert(index);
                    }
                    Err(_) => return fail(&at.path, format!("{name:?} is not a row of this list")),
                }
            }
            let mut rows = Vec::new();
            for index in posted {
                let row = decode_children(def, &at.row(&index.to_string(), rows.len()), pairs, zone, details);
                if !row.is_empty() {
                    rows.push(Value::Object(row));
                }
            }
            (!rows.is_empty()).then_some(Value::Array(rows))
        }
        Shape::ServerObject | Shape::Code => None,
    }
}

fn decode_children(
    def: &FieldDef,
    at: &At,
    pairs: &Pairs<'_>,
    zone: &TimeZone,
    details: &mut Vec<Detail>,
) -> Map<String, Value> {
    def.nested
        .iter()
        .filter(|child| writable(child))
        .filter_map(|child| {
            decode_value(child, &at.child(&child.ref_id), pairs, zone, details).map(|v| (child.ref_id.clone(), v))
        })
        .collect()
}

/// A number as typed: `12`, `-3.5`, or with a decimal comma (`3,5`) where no point is used.
/// Whole numbers are integers (as the API's clients send them).
fn number(text: &str) -> Option<Value> {
    let text = text.trim();
    let normal = if text.contains('.') { text.to_string() } else { text.replacen(',', ".", 1) };
    let n: f64 = normal.parse().ok().filter(|n: &f64| n.is_finite())?;
    if n.fract() == 0.0 && n.abs() < 9e15 {
        Some(json!(n as i64))
    } else {
        serde_json::Number::from_f64(n).map(Value::Number)
    }
}

/// A `datetime-local` value read in `zone`, as the stored UTC instant (`…Z`). In the hour a
/// clock change repeats, the earlier instant; in the hour it skips, the time after the gap.
fn utc_time(text: &str, zone: &TimeZone) -> Option<String> {
    let local: civil::DateTime = text.parse().ok()?;
    let at = zone.to_ambiguous_zoned(local).compatible().ok()?;
    Some(format_ms(at.timestamp().as_millisecond()))
}

#[cfg(test)]
mod tests;
