//! Item values: checking a create or update body's `data` against the type's fields, every
//! problem at once, each with its path (`data.valor`, `data.itens[2].qtd`).
//!
//! What needs the database (relations must point at items of the right type in this workspace;
//! attachments at files uploaded to it) is left as placeholders with their location, which the
//! caller resolves and writes back with [`CheckedData::set`].

use serde_json::{json, Map, Value};

use crate::{
    catalogue::{FieldType, Shape},
    fields::{FieldDef, NATIVE_FIELDS},
    time::{format_ms, parse_instant},
    Detail,
};

/// A relation as the client named it.
#[derive(Debug, Clone, PartialEq)]
pub enum RelKey {
    Id(i64),
    Reference(String),
}

/// A relation value to resolve: where it sits, where to report, which type it must be of.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingRel {
    /// JSON pointer into the data (`/cliente`, `/itens/2/produto/0`).
    pub pointer: String,
    pub path: String,
    pub collection: String,
    pub key: RelKey,
}

/// An attachment to resolve.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingFile {
    pub pointer: String,
    pub path: String,
    pub id: i64,
    pub field_type: FieldType,
    pub max_size: Option<f64>,
    pub mime_types: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct CheckedData {
    /// The whole data after the change (for an update: merged over the stored data).
    pub data: Map<String, Value>,
    pub rels: Vec<PendingRel>,
    pub files: Vec<PendingFile>,
}

impl CheckedData {
    /// Writes a resolved value at `pointer`.
    pub fn set(&mut self, pointer: &str, value: Value) {
        let mut root = Value::Object(std::mem::take(&mut self.data));
        if let Some(slot) = root.pointer_mut(pointer) {
            *slot = value;
        }
        if let Value::Object(map) = root {
            self.data = map;
        }
    }
}

/// How a create or update treats what is absent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mode {
    Create,
    Update,
}

/// Checks `input` (the body's `data`) over `base` (the stored data, empty on create).
/// `extra_required` are the refIds a form marks required. Answers what passed with every
/// problem found: the caller still resolves the relations and files that passed, so that one
/// answer names the lookups' problems beside these.
pub fn check_data(
    fields: &[FieldDef],
    input: &Map<String, Value>,
    base: &Map<String, Value>,
    mode: Mode,
    draft: bool,
    extra_required: &[String],
) -> (CheckedData, Vec<Detail>) {
    let mut details = Vec::new();
    let mut out = CheckedData { data: base.clone(), ..Default::default() };
    // Problems are reported in the type's field order, then unknown keys in name order, so the
    // order does not depend on how the body's object was written.
    for field in fields {
        let Some(value) = input.get(&field.ref_id) else { continue };
        let key = &field.ref_id;
        let path = format!("data.{key}");
        if !field.field_type.client_writable() {
            details.push(Detail::new(path, format!("{} values are written by the server", field.field_type.key())));
            continue;
        }
        if value.is_null() {
            out.data.remove(key);
            continue;
        }
        let mut ctx = Ctx { details: &mut details, rels: &mut out.rels, files: &mut out.files, draft };
        if let Some(normalized) = check_in(field, value, &path, &format!("/{}", escape(key)), &mut ctx) {
            out.data.insert(key.clone(), normalized);
        }
    }
    let mut unknown: Vec<&String> = input.keys().filter(|k| !fields.iter().any(|f| &f.ref_id == *k)).collect();
    unknown.sort();
    for key in unknown {
        let message = if NATIVE_FIELDS.iter().any(|(n, _)| n == key) {
            format!("{key:?} is a built-in column, not a field of data")
        } else {
            format!("{key:?} is not a field of this type")
        };
        details.push(Detail::new(format!("data.{key}"), message));
    }
    for field in fields {
        if mode == Mode::Create && !out.data.contains_key(&field.ref_id) {
            if let Some(default) = &field.default_value {
                out.data.insert(field.ref_id.clone(), default.clone());
            }
        }
        let required = field.required || extra_required.contains(&field.ref_id);
        // A value that was given but refused is reported as such, not also as missing.
        let refused = input.get(&field.ref_id).is_some_and(|v| !v.is_null()) && !out.data.contains_key(&field.ref_id);
        if required && !draft && !refused && field.field_type.client_writable() && is_empty(out.data.get(&field.ref_id))
        {
            details.push(Detail::new(format!("data.{}", field.ref_id), "is required"));
        }
    }
    (out, details)
}

/// Calls `f` with every stored value and its field, at any depth (a group's children, each
/// repeater row's children), in the order of `defs`.
pub fn each_value<'a, F: FnMut(&'a FieldDef, &'a Value)>(
    data: &'a Map<String, Value>,
    defs: impl IntoIterator<Item = &'a FieldDef>,
    f: &mut F,
) {
    for def in defs {
        let Some(value) = data.get(&def.ref_id) else { continue };
        f(def, value);
        match (def.shape(), value) {
            (Shape::Group, Value::Object(map)) => each_value(map, &def.nested, f),
            (Shape::Repeater, Value::Array(rows)) => {
                for row in rows {
                    if let Value::Object(map) = row {
                        each_value(map, &def.nested, f);
                    }
                }
            }
            _ => {}
        }
    }
}

/// [`each_value`] with the values mutable; `f` sees a group or repeater before its children.
pub fn each_value_mut<'a, F: FnMut(&'a FieldDef, &mut Value)>(
    data: &mut Map<String, Value>,
    defs: impl IntoIterator<Item = &'a FieldDef>,
    f: &mut F,
) {
    for def in defs {
        let Some(value) = data.get_mut(&def.ref_id) else { continue };
        f(def, value);
        match (def.shape(), value) {
            (Shape::Group, Value::Object(map)) => each_value_mut(map, &def.nested, f),
            (Shape::Repeater, Value::Array(rows)) => {
                for row in rows {
                    if let Value::Object(map) = row {
                        each_value_mut(map, &def.nested, f);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Checks one value of `field` outside an item (a field's `default_value`).
pub fn check_value(field: &FieldDef, value: &Value, path: &str, details: &mut Vec<Detail>) {
    let (mut rels, mut files) = (Vec::new(), Vec::new());
    let mut ctx = Ctx { details, rels: &mut rels, files: &mut files, draft: true };
    check_in(field, value, path, "", &mut ctx);
}

/// Absent, null, empty text, list or object.
pub fn is_empty(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.is_empty(),
        _ => false,
    }
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

struct Ctx<'a> {
    details: &'a mut Vec<Detail>,
    rels: &'a mut Vec<PendingRel>,
    files: &'a mut Vec<PendingFile>,
    draft: bool,
}

impl Ctx<'_> {
    fn fail(&mut self, path: &str, message: impl Into<String>) -> Option<Value> {
        self.details.push(Detail::new(path, message));
        None
    }
}

/// A short rendering of a value for messages: `"abc"`, `12`, `an object`.
fn shown(value: &Value) -> String {
    match value {
        Value::String(s) if s.chars().count() > 40 => format!("{:?}…", s.chars().take(40).collect::<String>()),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
        other => other.to_string(),
    }
}

fn check_in(field: &FieldDef, value: &Value, path: &str, pointer: &str, ctx: &mut Ctx) -> Option<Value> {
    match field.shape() {
        Shape::Text => {
            let Value::String(text) = value else {
                return ctx.fail(path, format!("expected text, got {}", shown(value)));
            };
            check_text(field, text, path, ctx).then(|| value.clone())
        }
        Shape::Number => {
            let Some(n) = value.as_f64() else {
                return ctx.fail(path, format!("expected a number, got {}", shown(value)));
            };
            let before = ctx.details.len();
            check_number(field, n, path, ctx);
            (ctx.details.len() == before).then(|| value.clone())
        }
        Shape::Currency => check_currency(value, path, ctx),
        Shape::Choice => {
            let Value::String(choice) = value else {
                return ctx.fail(path, format!("expected one option value, got {}", shown(value)));
            };
            if field.option_values().any(|v| v == choice) {
                Some(value.clone())
            } else {
                ctx.fail(path, format!("expected one of {}, got {choice:?}", options_list(field)))
            }
        }
        Shape::Choices => {
            let Value::Array(list) = value else {
                return ctx.fail(path, format!("expected a list of option values, got {}", shown(value)));
            };
            let before = ctx.details.len();
            let free = field.field_type == FieldType::EnlChips;
            for (i, item) in list.iter().enumerate() {
                let at = format!("{path}[{i}]");
                match item.as_str() {
                    None => {
                        ctx.fail(&at, format!("expected text, got {}", shown(item)));
                    }
                    Some(v) if !free && !field.option_values().any(|o| o == v) => {
                        ctx.fail(&at, format!("expected one of {}, got {v:?}", options_list(field)));
                    }
                    Some(v) if list[..i].iter().any(|p| p.as_str() == Some(v)) => {
                        ctx.fail(&at, format!("{v:?} is listed twice"));
                    }
                    _ => {}
                }
            }
            (ctx.details.len() == before).then(|| value.clone())
        }
        Shape::Tree => {
            let Value::String(tree_path) = value else {
                return ctx.fail(path, format!("expected a dotted path of option values, got {}", shown(value)));
            };
            let mut level: &[Value] = &field.options;
            let mut leaf = true;
            for part in tree_path.split('.') {
                match level.iter().find(|o| o["value"].as_str() == Some(part)) {
                    Some(option) => {
                        let children =
                            option.get("children").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
                        leaf = children.is_empty();
                        level = children;
                    }
                    None => return ctx.fail(path, format!("{tree_path:?} is not a path in the option tree")),
                }
            }
            if !leaf && field.opt_config.get("leaf_only").and_then(Value::as_bool).unwrap_or(false) {
                return ctx.fail(path, format!("{tree_path:?} is not a leaf of the option tree"));
            }
            Some(value.clone())
        }
        Shape::Bool => match value {
            Value::Bool(_) => Some(value.clone()),
            _ => ctx.fail(path, format!("expected true or false, got {}", shown(value))),
        },
        Shape::Date => check_date(field, value, path, ctx),
        Shape::Rel => {
            let collection = field.rel_collection().unwrap_or_default().to_string();
            let key = rel_key(value, path, ctx)?;
            ctx.rels.push(PendingRel { pointer: pointer.to_string(), path: path.to_string(), collection, key });
            Some(json!(null))
        }
        Shape::RelMulti => {
            let Value::Array(list) = value else {
                return ctx.fail(path, format!("expected a list of related items, got {}", shown(value)));
            };
            let collection = field.rel_collection().unwrap_or_default().to_string();
            let before = ctx.details.len();
            for (i, item) in list.iter().enumerate() {
                let at = format!("{path}[{i}]");
                if let Some(key) = rel_key(item, &at, ctx) {
                    ctx.rels.push(PendingRel {
                        pointer: format!("{pointer}/{i}"),
                        path: at,
                        collection: collection.clone(),
                        key,
                    });
                }
            }
            (ctx.details.len() == before).then(|| Value::Array(vec![Value::Null; list.len()]))
        }
        Shape::Person => check_person(value, path, ctx),
        Shape::Address => check_address(value, path, ctx),
        Shape::Files => check_files(field, value, path, pointer, ctx),
        Shape::Group => {
            let Value::Object(map) = value else {
                return ctx.fail(path, format!("expected an object, got {}", shown(value)));
            };
            check_group(field, map, path, pointer, ctx).map(Value::Object)
        }
        Shape::Repeater => {
            let Value::Array(rows) = value else {
                return ctx.fail(path, format!("expected a list of rows, got {}", shown(value)));
            };
            let before = ctx.details.len();
            if let Some(min) = field.config_f64("min_rows") {
                if (rows.len() as f64) < min && !ctx.draft {
                    ctx.fail(path, format!("needs at least {min} rows, got {}", rows.len()));
                }
            }
            if let Some(max) = field.config_f64("max_rows") {
                if rows.len() as f64 > max {
                    ctx.fail(path, format!("allows at most {max} rows, got {}", rows.len()));
                }
            }
            let mut out = Vec::new();
            for (i, row) in rows.iter().enumerate() {
                let at = format!("{path}[{i}]");
                match row {
                    Value::Object(map) => {
                        if let Some(row) = check_group(field, map, &at, &format!("{pointer}/{i}"), ctx) {
                            out.push(Value::Object(row));
                        }
                    }
                    other => {
                        ctx.fail(&at, format!("expected an object, got {}", shown(other)));
                    }
                }
            }
            (ctx.details.len() == before).then_some(Value::Array(out))
        }
        Shape::ServerObject | Shape::Code => {
            ctx.fail(path, format!("{} values are written by the server", field.field_type.key()))
        }
    }
}

fn options_list(field: &FieldDef) -> String {
    let values: Vec<String> = field.option_values().take(10).map(|v| format!("{v:?}")).collect();
    values.join(", ")
}

fn check_group(
    field: &FieldDef,
    map: &Map<String, Value>,
    path: &str,
    pointer: &str,
    ctx: &mut Ctx,
) -> Option<Map<String, Value>> {
    let before = ctx.details.len();
    let mut out = Map::new();
    for child in &field.nested {
        let at = format!("{path}.{}", child.ref_id);
        match map.get(&child.ref_id) {
            Some(value) if !value.is_null() => {
                if let Some(v) = check_in(child, value, &at, &format!("{pointer}/{}", escape(&child.ref_id)), ctx) {
                    out.insert(child.ref_id.clone(), v);
                }
            }
            _ => {}
        }
        if child.required && !ctx.draft && is_empty(map.get(&child.ref_id)) {
            ctx.fail(&at, "is required");
        }
    }
    let mut unknown: Vec<&String> = map.keys().filter(|k| !field.nested.iter().any(|c| &c.ref_id == *k)).collect();
    unknown.sort();
    for key in unknown {
        ctx.fail(&format!("{path}.{key}"), format!("{key:?} is not a field of {}", field.ref_id));
    }
    (ctx.details.len() == before).then_some(out)
}

fn check_text(field: &FieldDef, text: &str, path: &str, ctx: &mut Ctx) -> bool {
    let before = ctx.details.len();
    if let Some(max) = field.config_f64("max_length") {
        let len = text.chars().count();
        if len as f64 > max {
            ctx.fail(path, format!("must be at most {max} characters, got {len}"));
        }
    }
    if field.field_type == FieldType::Email && !is_email(text) {
        ctx.fail(path, format!("expected an email address, got {}", shown(&json!(text))));
    }
    if field.field_type == FieldType::EnlMask {
        let mask = field.config_str("mask").unwrap_or_default();
        if !matches_mask(text, mask) {
            ctx.fail(path, format!("expected the shape {mask:?}, got {text:?}"));
        }
    }
    let masks = field.masks();
    if !masks.is_empty() && !text.is_empty() && !masks.iter().any(|m| mask_accepts(m, text)) {
        let shown_masks: Vec<String> = masks.iter().map(|m| format!("{m:?}")).collect();
        let expected = match masks.as_slice() {
            ["email"] => "an email address".to_string(),
            ["url"] => "a URL (http or https)".to_string(),
            _ => format!("the shape {}", shown_masks.join(" or ")),
        };
        ctx.fail(path, format!("expected {expected}, got {text:?}"));
    }
    match field.config_str("mask_validation") {
        Some("cpf") if !text.is_empty() && !cpf_cnpj::cpf::validate(text) => {
            ctx.fail(path, format!("{text:?} is not a valid CPF (check digits)"));
        }
        Some("cnpj") if !text.is_empty() && !cpf_cnpj::cnpj::validate(text) => {
            ctx.fail(path, format!("{text:?} is not a valid CNPJ (check digits)"));
        }
        _ => {}
    }
    for rule in &field.validation {
        if text.is_empty() {
            break;
        }
        let ok = match rule.as_str() {
            "email" => is_email(text),
            "url" => is_url(text),
            "letters" => text.chars().all(char::is_alphabetic),
            "numbers" => text.chars().all(|c| c.is_ascii_digit()),
            "letters_space" => text.chars().all(|c| c.is_alphabetic() || c == ' '),
            "alphanumeric" => text.chars().all(char::is_alphanumeric),
            "mask" => field.config_str("mask").is_none_or(|m| matches_mask(text, m)),
            "cpf" => cpf_cnpj::cpf::validate(text),
            "cnpj" => cpf_cnpj::cnpj::validate(text),
            _ => true,
        };
        if !ok {
            let what = match rule.as_str() {
                "email" => "an email address",
                "url" => "a URL (http or https)",
                "letters" => "letters only",
                "numbers" => "digits only",
                "letters_space" => "letters and spaces only",
                "alphanumeric" => "letters and digits only",
                "mask" => "the field's mask",
                "cpf" => "a valid CPF",
                _ => "a valid CNPJ",
            };
            ctx.fail(path, format!("expected {what} (rule {rule}), got {text:?}"));
        }
    }
    ctx.details.len() == before
}

fn is_email(text: &str) -> bool {
    email_address::EmailAddress::parse_with_options(text, email_address::Options::default().without_display_text())
        .is_ok()
        && text.contains('.')
}

fn is_url(text: &str) -> bool {
    url::Url::parse(text).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

fn mask_accepts(mask: &str, text: &str) -> bool {
    match mask {
        "email" => is_email(text),
        "url" => is_url(text),
        _ => matches_mask(text, mask),
    }
}

/// A mask: `9` a digit, `a` a letter, `*` either; anything else stands for itself.
pub fn matches_mask(text: &str, mask: &str) -> bool {
    let (t, m): (Vec<char>, Vec<char>) = (text.chars().collect(), mask.chars().collect());
    t.len() == m.len()
        && t.iter().zip(&m).all(|(c, k)| match k {
            '9' => c.is_ascii_digit(),
            'a' => c.is_alphabetic(),
            '*' => c.is_alphanumeric(),
            other => c == other,
        })
}

fn check_number(field: &FieldDef, n: f64, path: &str, ctx: &mut Ctx) {
    let show = |v: f64| if v.fract() == 0.0 && v.abs() < 1e15 { format!("{}", v as i64) } else { v.to_string() };
    if field.config_bool("integer") && n.fract() != 0.0 {
        ctx.fail(path, format!("expected a whole number, got {}", show(n)));
    }
    if let Some(min) = field.config_f64("min") {
        if n < min {
            ctx.fail(path, format!("must be at least {}, got {}", show(min), show(n)));
        }
    }
    if let Some(max) = field.config_f64("max") {
        if n > max {
            ctx.fail(path, format!("must be at most {}, got {}", show(max), show(n)));
        }
    }
}

fn check_currency(value: &Value, path: &str, ctx: &mut Ctx) -> Option<Value> {
    let Value::Object(map) = value else {
        return ctx.fail(path, format!("expected {{\"currency\", \"value\"}}, got {}", shown(value)));
    };
    let before = ctx.details.len();
    for key in map.keys() {
        if !["currency", "value", "originalValue"].contains(&key.as_str()) {
            ctx.fail(&format!("{path}.{key}"), "is not a key of a currency value (currency, value, originalValue)");
        }
    }
    let code = map.get("currency").and_then(Value::as_str);
    match code {
        Some(c) if iso_currency::Currency::from_code(c).is_some() => {}
        _ => {
            ctx.fail(
                &format!("{path}.currency"),
                format!(
                    "expected an ISO 4217 code such as \"BRL\", got {}",
                    map.get("currency").map(shown).unwrap_or("nothing".into())
                ),
            );
        }
    }
    let amount = map.get("value").and_then(Value::as_f64);
    if amount.is_none() {
        ctx.fail(
            &format!("{path}.value"),
            format!("expected a number, got {}", map.get("value").map(shown).unwrap_or("nothing".into())),
        );
    }
    let original = match map.get("originalValue") {
        None | Some(Value::Null) => map.get("value").cloned(),
        Some(v) if v.is_number() => Some(v.clone()),
        Some(other) => ctx.fail(&format!("{path}.originalValue"), format!("expected a number, got {}", shown(other))),
    };
    (ctx.details.len() == before).then(|| json!({ "currency": code, "value": map["value"], "originalValue": original }))
}

fn check_date(field: &FieldDef, value: &Value, path: &str, ctx: &mut Ctx) -> Option<Value> {
    let Value::String(text) = value else { return ctx.fail(path, format!("expected a date, got {}", shown(value))) };
    let date_only = field.config_bool("date_only");
    let (normalized, at) = if date_only {
        match chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(d) if text.len() == 10 => (d.format("%Y-%m-%d").to_string(), parse_instant(text)),
            _ => return ctx.fail(path, format!("expected a date YYYY-MM-DD, got {text:?}")),
        }
    } else {
        // A date-time needs its zone: a bare date (or a time without an offset) would have to
        // guess one, so only `date_only` fields take a date alone.
        match chrono::DateTime::parse_from_rfc3339(text) {
            Ok(at) => (format_ms(at.timestamp_millis()), Some(at.timestamp_millis())),
            Err(_) => {
                return ctx.fail(
                    path,
                    format!(
                        "expected an ISO 8601 date-time with a time zone such as \"2026-03-12T20:46:40.548Z\", got {text:?}"
                    ),
                )
            }
        }
    };
    let before = ctx.details.len();
    for (key, below) in [("min", true), ("max", false)] {
        if let (Some(bound), Some(at)) = (field.config_str(key).and_then(parse_instant), at) {
            if (below && at < bound) || (!below && at > bound) {
                let word = if below { "on or after" } else { "on or before" };
                ctx.fail(path, format!("must be {word} {}, got {text:?}", field.config_str(key).unwrap_or_default()));
            }
        }
    }
    (ctx.details.len() == before).then_some(Value::String(normalized))
}

fn rel_key(value: &Value, path: &str, ctx: &mut Ctx) -> Option<RelKey> {
    let key = match value {
        Value::Number(n) => n.as_i64().map(RelKey::Id),
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s.parse().ok().map(RelKey::Id),
        Value::String(s) if !s.is_empty() => Some(RelKey::Reference(s.clone())),
        Value::Object(map) => {
            match (map.get("id").filter(|v| !v.is_null()), map.get("reference").and_then(Value::as_str)) {
                (Some(id), _) => id.as_i64().map(RelKey::Id),
                (None, Some(r)) => Some(RelKey::Reference(r.to_string())),
                _ => None,
            }
        }
        _ => None,
    };
    if key.is_none() {
        ctx.fail(
            path,
            format!(
                "expected a related item as {{\"id\"}}, {{\"reference\"}}, an id or a reference, got {}",
                shown(value)
            ),
        );
    }
    key
}

fn check_person(value: &Value, path: &str, ctx: &mut Ctx) -> Option<Value> {
    let Value::Object(map) = value else {
        return ctx.fail(path, format!("expected a person object, got {}", shown(value)));
    };
    let before = ctx.details.len();
    let kind = map.get("person_type").and_then(Value::as_str);
    let (required, allowed): (&[&str], &[&str]) = match kind {
        Some("PF") => (&["name", "cpf"], &["person_type", "name", "cpf", "email", "phone"]),
        Some("PJ") => {
            (&["cnpj", "razao_social"], &["person_type", "cnpj", "razao_social", "nome_fantasia", "email", "phone"])
        }
        _ => return ctx.fail(&format!("{path}.person_type"), "expected \"PF\" or \"PJ\""),
    };
    for key in map.keys() {
        if !allowed.contains(&key.as_str()) {
            ctx.fail(&format!("{path}.{key}"), format!("is not a key of a {} person", kind.unwrap_or_default()));
        }
    }
    for key in allowed.iter().skip(1) {
        if let Some(v) = map.get(*key).filter(|v| !v.is_null() && !v.is_string()) {
            ctx.fail(&format!("{path}.{key}"), format!("expected text, got {}", shown(v)));
        }
    }
    for key in required {
        if is_empty(map.get(*key)) {
            ctx.fail(&format!("{path}.{key}"), "is required");
        }
    }
    if let Some(cpf) = map.get("cpf").and_then(Value::as_str).filter(|c| !c.is_empty()) {
        if !cpf_cnpj::cpf::validate(cpf) {
            ctx.fail(&format!("{path}.cpf"), format!("{cpf:?} is not a valid CPF (check digits)"));
        }
    }
    if let Some(cnpj) = map.get("cnpj").and_then(Value::as_str).filter(|c| !c.is_empty()) {
        if !cpf_cnpj::cnpj::validate(cnpj) {
            ctx.fail(&format!("{path}.cnpj"), format!("{cnpj:?} is not a valid CNPJ (check digits)"));
        }
    }
    if let Some(email) = map.get("email").and_then(Value::as_str).filter(|e| !e.is_empty()) {
        if !is_email(email) {
            ctx.fail(&format!("{path}.email"), format!("expected an email address, got {email:?}"));
        }
    }
    (ctx.details.len() == before).then(|| value.clone())
}

const ADDRESS_KEYS: [&str; 8] = ["street", "number", "complement", "neighborhood", "city", "state", "zip", "country"];

fn check_address(value: &Value, path: &str, ctx: &mut Ctx) -> Option<Value> {
    let Value::Object(map) = value else {
        return ctx.fail(path, format!("expected an address object, got {}", shown(value)));
    };
    let before = ctx.details.len();
    let mut out = Map::new();
    for (key, v) in map {
        let at = format!("{path}.{key}");
        if !ADDRESS_KEYS.contains(&key.as_str()) {
            ctx.fail(&at, format!("is not a key of an address ({})", ADDRESS_KEYS.join(", ")));
            continue;
        }
        match v {
            Value::Null => {}
            Value::String(_) => {
                out.insert(key.clone(), v.clone());
            }
            // House numbers arrive as numbers from some clients; they are text (e.g. "12A").
            Value::Number(n) if key == "number" => {
                out.insert(key.clone(), json!(n.to_string()));
            }
            other => {
                ctx.fail(&at, format!("expected text, got {}", shown(other)));
            }
        }
    }
    let country = out.get("country").and_then(Value::as_str).unwrap_or_default().to_ascii_uppercase();
    if matches!(country.as_str(), "BR" | "BRA" | "BRASIL" | "BRAZIL") {
        if let Some(zip) = out.get("zip").and_then(Value::as_str) {
            if !(matches_mask(zip, "99999-999") || matches_mask(zip, "99999999")) {
                ctx.fail(&format!("{path}.zip"), format!("expected a Brazilian CEP 99999-999, got {zip:?}"));
            }
        }
    }
    (ctx.details.len() == before).then_some(Value::Object(out))
}

fn check_files(field: &FieldDef, value: &Value, path: &str, pointer: &str, ctx: &mut Ctx) -> Option<Value> {
    let list: Vec<&Value> = match value {
        Value::Array(list) => list.iter().collect(),
        Value::Object(_) => vec![value],
        _ => return ctx.fail(path, format!("expected a list of uploaded files {{\"id\"}}, got {}", shown(value))),
    };
    let before = ctx.details.len();
    if let Some(max) = field.config_f64("max_files") {
        if list.len() as f64 > max {
            ctx.fail(path, format!("allows at most {max} files, got {}", list.len()));
        }
    }
    let mime_types: Vec<String> = match field.config.get("mime_types").and_then(Value::as_array) {
        Some(list) => list.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        None => Vec::new(),
    };
    for (i, item) in list.iter().enumerate() {
        let at = format!("{path}[{i}]");
        let id = item.get("id").and_then(|v| v.as_i64().or_else(|| v.as_str().and_then(|s| s.parse().ok())));
        match id {
            Some(id) if list[..i].iter().any(|p| p.get("id") == item.get("id")) => {
                ctx.fail(&at, format!("file {id} is attached twice"));
            }
            Some(id) => ctx.files.push(PendingFile {
                pointer: format!("{pointer}/{i}"),
                path: at,
                id,
                field_type: field.field_type,
                max_size: field.config_f64("max_size"),
                mime_types: mime_types.clone(),
            }),
            None => {
                ctx.fail(&at, "expected an uploaded file {\"id\"} (upload it with POST /ws/files first)");
            }
        }
    }
    (ctx.details.len() == before).then(|| Value::Array(vec![Value::Null; list.len()]))
}

/// Whether an uploaded file's mime type fits the field (images for `uploadImage`, PDF for
/// `EnPDF`, and the field's own list when it has one; `image/*` matches any image).
pub fn file_fits(file: &PendingFile, mime: &str) -> Result<(), String> {
    let fits = |pattern: &str| match pattern.strip_suffix("/*") {
        Some(prefix) => mime.split('/').next() == Some(prefix),
        None => pattern == mime,
    };
    match file.field_type {
        FieldType::UploadImage if !fits("image/*") => return Err(format!("expected an image, got {mime}")),
        FieldType::EnPdf if !fits("application/pdf") => return Err(format!("expected a PDF, got {mime}")),
        _ => {}
    }
    if !file.mime_types.is_empty() && !file.mime_types.iter().any(|p| fits(p)) {
        return Err(format!("expected one of {}, got {mime}", file.mime_types.join(", ")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::{check_field, FieldDraft};

    fn field(slug: &str, field_type: &str, extra: Value) -> FieldDef {
        let mut d = FieldDraft {
            name: Some(slug.into()),
            slug: Some(slug.into()),
            field_type: Some(field_type.into()),
            ..Default::default()
        };
        if let Some(c) = extra.get("config") {
            d.config = c.as_object().cloned();
        }
        if let Some(o) = extra.get("options") {
            d.options = Some(o.clone());
        }
        if let Some(n) = extra.get("nested") {
            d.nested = Some(
                n.as_array()
                    .unwrap()
                    .iter()
                    .map(|c| FieldDraft {
                        slug: c["slug"].as_str().map(Into::into),
                        field_type: c["type"].as_str().map(Into::into),
                        required: c["required"].as_bool(),
                        ..Default::default()
                    })
                    .collect(),
            );
        }
        d.required = extra.get("required").and_then(Value::as_bool);
        check_field(d, None, "").unwrap().def
    }

    fn check(fields: &[FieldDef], data: Value) -> Result<CheckedData, Vec<Detail>> {
        let (out, details) = check_data(fields, data.as_object().unwrap(), &Map::new(), Mode::Create, false, &[]);
        if details.is_empty() {
            Ok(out)
        } else {
            Err(details)
        }
    }

    fn errors(fields: &[FieldDef], data: Value) -> Vec<(String, String)> {
        check(fields, data).unwrap_err().into_iter().map(|d| (d.path, d.message)).collect()
    }

    #[test]
    fn text_masks_and_document_numbers() {
        let phone = field("fone", "text", json!({"config": {"masks": ["(99) 99999-9999"]}}));
        let cpf = field("cpf", "text", json!({"config": {"mask_validation": "cpf"}}));
        let site = field("site", "url", json!({}));
        let fields = [phone, cpf, site];
        assert!(
            check(&fields, json!({"fone": "(11) 98765-4321", "cpf": "529.982.247-25", "site": "https://x.io"})).is_ok()
        );
        assert_eq!(
            errors(&fields, json!({"fone": "11 98765-4321", "cpf": "529.982.247-24", "site": "x.io"})),
            vec![
                ("data.fone".into(), "expected the shape \"(99) 99999-9999\", got \"11 98765-4321\"".into()),
                ("data.cpf".into(), "\"529.982.247-24\" is not a valid CPF (check digits)".into()),
                ("data.site".into(), "expected a URL (http or https), got \"x.io\"".into()),
            ]
        );
    }

    #[test]
    fn numbers_currency_dates() {
        let qtd = field("qtd", "number", json!({"config": {"integer": true, "min": 1}}));
        let valor = field("valor", "EnCurrency", json!({}));
        let prazo = field("prazo", "date", json!({"config": {"date_only": true}}));
        let quando = field("quando", "date", json!({}));
        let fields = [qtd, valor, prazo, quando];
        let ok = check(&fields, json!({"qtd": 2, "valor": {"currency": "BRL", "value": 1200}, "prazo": "2026-03-12", "quando": "2026-03-12T17:46:40.5-03:00"})).unwrap();
        assert_eq!(ok.data["valor"], json!({"currency": "BRL", "value": 1200, "originalValue": 1200}));
        assert_eq!(ok.data["quando"], json!("2026-03-12T20:46:40.500Z"));
        assert_eq!(
            errors(
                &fields,
                json!({"qtd": 1.5, "valor": {"currency": "XYZ", "value": "1"}, "prazo": "12/03/2026", "quando": "abc"})
            ),
            vec![
                ("data.qtd".into(), "expected a whole number, got 1.5".into()),
                ("data.valor.currency".into(), "expected an ISO 4217 code such as \"BRL\", got \"XYZ\"".into()),
                ("data.valor.value".into(), "expected a number, got \"1\"".into()),
                ("data.prazo".into(), "expected a date YYYY-MM-DD, got \"12/03/2026\"".into()),
                (
                    "data.quando".into(),
                    "expected an ISO 8601 date-time with a time zone such as \"2026-03-12T20:46:40.548Z\", got \"abc\""
                        .into()
                ),
            ]
        );
        // A date alone, or a time without its zone, is only for `date_only` fields.
        for bare in ["2026-03-12", "2026-03-12T17:46:40"] {
            assert_eq!(
                errors(&fields, json!({ "quando": bare })),
                vec![(
                    "data.quando".into(),
                    format!("expected an ISO 8601 date-time with a time zone such as \"2026-03-12T20:46:40.548Z\", got {bare:?}")
                )]
            );
        }
    }

    #[test]
    fn options_and_trees() {
        let tipo =
            field("tipo", "select", json!({"options": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]}));
        let tags = field("tags", "multiSelect", json!({"options": ["x", "y"]}));
        let local = field(
            "local",
            "EnTreeSelect",
            json!({"options": [{"value": "predial", "children": [{"value": "eletrica", "children": [{"value": "quadros"}]}]}]}),
        );
        let fields = [tipo, tags, local];
        assert!(check(&fields, json!({"tipo": "a", "tags": ["x"], "local": "predial.eletrica"})).is_ok());
        assert_eq!(
            errors(&fields, json!({"tipo": "c", "tags": ["x", "x", "z"], "local": "predial.hidraulica"})),
            vec![
                ("data.tipo".into(), "expected one of \"a\", \"b\", got \"c\"".into()),
                ("data.tags[1]".into(), "\"x\" is listed twice".into()),
                ("data.tags[2]".into(), "expected one of \"x\", \"y\", got \"z\"".into()),
                ("data.local".into(), "\"predial.hidraulica\" is not a path in the option tree".into()),
            ]
        );
    }

    #[test]
    fn repeaters_report_nested_paths_and_required() {
        let itens = field(
            "itens",
            "EnRepeater",
            json!({"config": {"max_rows": 3}, "nested": [{"slug": "qtd", "type": "number", "required": true}, {"slug": "obs", "type": "text"}]}),
        );
        let nome = field("nome", "text", json!({"required": true}));
        let fields = [itens, nome];
        assert_eq!(
            errors(&fields, json!({"itens": [{"qtd": 1}, {"obs": "x"}, {"qtd": "2", "cor": 1}], "x": 1})),
            vec![
                ("data.itens[1].qtd".into(), "is required".into()),
                ("data.itens[2].qtd".into(), "expected a number, got \"2\"".into()),
                ("data.itens[2].cor".into(), "\"cor\" is not a field of itens".into()),
                ("data.x".into(), "\"x\" is not a field of this type".into()),
                ("data.nome".into(), "is required".into()),
            ]
        );
        // A draft skips required, and nothing else.
        let draft = check_data(
            &fields,
            json!({"itens": [{"obs": "x"}]}).as_object().unwrap(),
            &Map::new(),
            Mode::Create,
            true,
            &[],
        );
        assert!(draft.1.is_empty());
    }

    #[test]
    fn relations_and_files_are_left_to_resolve() {
        let cliente =
            field("cliente", "EnRel", json!({"config": {"rel": {"collection": "clientes", "displayString": "nome"}}}));
        let docs = field("docs", "uploadFile", json!({}));
        let checked = check(&[cliente, docs], json!({"cliente": "FOR123", "docs": {"id": 7}})).unwrap();
        assert_eq!(
            checked.rels,
            vec![PendingRel {
                pointer: "/cliente".into(),
                path: "data.cliente".into(),
                collection: "clientes".into(),
                key: RelKey::Reference("FOR123".into())
            }]
        );
        assert_eq!(checked.files[0].id, 7);
        assert_eq!(checked.files[0].pointer, "/docs/0");
        let mut checked = checked;
        checked.set("/docs/0", json!({"id": 7, "filename": "a.pdf"}));
        assert_eq!(checked.data["docs"], json!([{"id": 7, "filename": "a.pdf"}]));
    }

    #[test]
    fn person_and_address() {
        let p = field("p", "EnPerson", json!({}));
        let a = field("a", "EnAddress", json!({}));
        let fields = [p, a];
        assert!(check(&fields, json!({"p": {"person_type": "PJ", "cnpj": "11.444.777/0001-61", "razao_social": "X"}, "a": {"zip": "01310-100", "country": "BR", "number": 12}})).is_ok());
        assert_eq!(
            errors(
                &fields,
                json!({"p": {"person_type": "PF", "cpf": "111.111.111-11"}, "a": {"zip": "1310", "country": "BR"}})
            ),
            vec![
                ("data.p.name".into(), "is required".into()),
                ("data.p.cpf".into(), "\"111.111.111-11\" is not a valid CPF (check digits)".into()),
                ("data.a.zip".into(), "expected a Brazilian CEP 99999-999, got \"1310\"".into()),
            ]
        );
    }

    #[test]
    fn server_written_and_null_clears() {
        let code = field("codigo", "EnCustomCode", json!({"config": {"components": [{"type": "counter"}]}}));
        let nome = field("nome", "text", json!({}));
        let fields = [code, nome];
        assert_eq!(
            errors(&fields, json!({"codigo": "X"})),
            vec![("data.codigo".into(), "EnCustomCode values are written by the server".into())]
        );
        let base = json!({"nome": "a"}).as_object().unwrap().clone();
        let (out, details) =
            check_data(&fields, json!({"nome": null}).as_object().unwrap(), &base, Mode::Update, false, &[]);
        assert!(details.is_empty());
        assert!(!out.data.contains_key("nome"));
    }
}
