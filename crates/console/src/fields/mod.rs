//! How a field's value reads in the console (console-design §4.5.1): one line for a table cell.
//! Values come from the item as the reader's API answer holds it (hidden fields are already
//! absent), so nothing here decides what may be seen.

pub(crate) mod filters;
pub(crate) mod widgets;

use enspace_domain::{catalogue::FieldType, fields::FieldDef};
use jiff::tz::TimeZone;
use serde_json::Value;

use crate::{format, format::Locale};

/// The language and the workspace's time zone a value is shown in.
pub(crate) struct Shown<'a> {
    pub locale: Locale,
    pub zone: &'a TimeZone,
}

/// A table cell: its text, the whole value when the text is cut (`title`), and whether it is
/// a number (right-aligned).
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Cell {
    pub text: String,
    pub title: Option<String>,
    pub numeric: bool,
}

impl Cell {
    fn text(text: impl Into<String>) -> Cell {
        Cell { text: text.into(), ..Cell::default() }
    }
}

/// An option's label (options `{value, label}`; a reusable list's options are not at hand
/// here, and their values read as themselves).
fn option_label(def: &FieldDef, value: &str) -> String {
    def.options
        .iter()
        .find(|o| o.get("value").and_then(Value::as_str) == Some(value))
        .and_then(|o| o.get("label").and_then(Value::as_str))
        .unwrap_or(value)
        .to_string()
}

/// A tree path's labels (`predial.eletrica` → `Predial › Elétrica`).
fn tree_labels(options: &[Value], path: &str) -> Vec<String> {
    let mut labels = Vec::new();
    let mut level = options;
    for part in path.split('.') {
        let found = level.iter().find(|o| o.get("value").and_then(Value::as_str) == Some(part));
        labels.push(found.and_then(|o| o.get("label")).and_then(Value::as_str).unwrap_or(part).to_string());
        level = found.and_then(|o| o.get("children")).and_then(Value::as_array).map_or(&[], Vec::as_slice);
    }
    labels
}

/// Text without its HTML tags (a cell shows an `EnHtml` value's words; the page escapes them).
fn without_tags(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The first line, with the whole text as the title when there is more.
fn first_line(text: &str) -> Cell {
    let first = text.lines().next().unwrap_or_default();
    Cell { text: first.to_string(), title: (first.len() < text.len()).then(|| text.to_string()), numeric: false }
}

fn strings(value: &Value) -> Vec<&str> {
    value.as_array().map(|list| list.iter().filter_map(Value::as_str).collect()).unwrap_or_default()
}

fn related(value: &Value, removed: &str) -> String {
    if value.get("missing").and_then(Value::as_bool) == Some(true) {
        return removed.to_string();
    }
    let display = value.get("display").and_then(Value::as_str).filter(|d| !d.is_empty());
    display.or_else(|| value.get("reference").and_then(Value::as_str)).unwrap_or_default().to_string()
}

/// The one-line cell of `value` (absent: empty).
pub(crate) fn cell(def: &FieldDef, value: Option<&Value>, shown: &Shown) -> Cell {
    let Some(value) = value.filter(|v| !v.is_null()) else { return Cell::default() };
    let t = shown.locale.msg();
    let text = |v: &Value| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
    match def.field_type {
        FieldType::InputText
        | FieldType::EnlMask
        | FieldType::Email
        | FieldType::EnCustomCode
        | FieldType::IdPersonalizado => Cell::text(text(value)),
        FieldType::EnTextArea | FieldType::EnNotes => first_line(&text(value)),
        FieldType::EnHtml => first_line(&without_tags(&text(value))),
        FieldType::EnlNumber => match value.as_f64() {
            Some(n) => Cell { text: format::number(n, 6, shown.locale), title: None, numeric: true },
            None => Cell::text(text(value)),
        },
        FieldType::EnCurrency => {
            let amount = value.get("value").and_then(Value::as_f64);
            let code = value.get("currency").and_then(Value::as_str).unwrap_or("BRL");
            match amount {
                Some(n) => Cell { text: format::money(n, code, shown.locale), title: None, numeric: true },
                None => Cell::default(),
            }
        }
        FieldType::EnlDropdown | FieldType::RadioButton => Cell::text(option_label(def, &text(value))),
        FieldType::MultiSelect | FieldType::Checkbox => {
            Cell::text(strings(value).iter().map(|v| option_label(def, v)).collect::<Vec<_>>().join(", "))
        }
        FieldType::EnlChips => Cell::text(strings(value).join(", ")),
        FieldType::EnTreeSelect => {
            let labels = tree_labels(&def.options, &text(value));
            let path = labels.join(" › ");
            Cell { text: labels.last().cloned().unwrap_or_default(), title: Some(path), numeric: false }
        }
        FieldType::InputSwitch => Cell::text(if value.as_bool() == Some(true) { t.yes } else { t.no }),
        FieldType::EnlCalendar => {
            let raw = text(value);
            if raw.len() == 10 {
                Cell::text(format::date(&raw, shown.locale))
            } else {
                Cell::text(format::instant(&raw, shown.zone, shown.locale).unwrap_or(raw))
            }
        }
        FieldType::EnRel => Cell::text(related(value, t.item_removed)),
        FieldType::EnRelMulti => {
            let names: Vec<String> =
                value.as_array().map(|l| l.iter().map(|v| related(v, t.item_removed)).collect()).unwrap_or_default();
            Cell::text(names.join(", "))
        }
        FieldType::EnPerson => {
            let get = |key: &str| value.get(key).and_then(Value::as_str).filter(|s| !s.is_empty());
            let name = get("name").or(get("nome_fantasia")).or(get("razao_social"));
            let document = get("cpf").or(get("cnpj"));
            Cell::text(match (name, document) {
                (Some(name), Some(document)) => format!("{name} ({document})"),
                (name, document) => name.or(document).unwrap_or_default().to_string(),
            })
        }
        FieldType::EnAddress => {
            let get = |key: &str| value.get(key).and_then(Value::as_str).filter(|s| !s.is_empty());
            let place: Vec<&str> = [get("city"), get("state")].into_iter().flatten().collect();
            let full: Vec<&str> =
                ["street", "number", "neighborhood", "city", "state", "zip"].into_iter().filter_map(get).collect();
            Cell { text: place.join("/"), title: Some(full.join(", ")), numeric: false }
        }
        FieldType::UploadFile | FieldType::UploadImage | FieldType::EnPdf | FieldType::EnOnlyoffice => {
            let files = value.as_array().map_or(1, Vec::len);
            let names: Vec<&str> = value
                .as_array()
                .map(|l| l.iter().filter_map(|f| f.get("filename").and_then(Value::as_str)).collect())
                .unwrap_or_default();
            Cell { text: t.n_files(files), title: Some(names.join(", ")), numeric: false }
        }
        FieldType::EnESign => {
            let signer = value.get("signer").and_then(Value::as_str).unwrap_or_default();
            Cell::text(format!("{} {signer}", t.signed).trim().to_string())
        }
        FieldType::Group => {
            let first = def.nested.iter().find_map(|child| {
                let cell = self::cell(child, value.get(&child.ref_id), shown);
                (!cell.text.is_empty()).then_some(cell.text)
            });
            Cell::text(first.unwrap_or_default())
        }
        FieldType::EnRepeater => Cell::text(t.n_rows(value.as_array().map_or(0, Vec::len))),
        FieldType::EnChats => Cell::text(t.n_messages(value.as_array().map_or(0, Vec::len))),
    }
}

#[cfg(test)]
mod tests;
