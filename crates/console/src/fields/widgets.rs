//! The input of each field type on the console's item forms (console-design §4.5.1). Values
//! come from form pairs: [`enspace_domain::html_form::encode`] of the item (an edit), or the
//! pairs just posted (a form shown again with its problems); names and values are therefore
//! exactly what `html_form::decode` reads back, which its property tests hold to.

use askama::Template;
use enspace_domain::{catalogue::FieldType, fields::FieldDef};
use serde_json::{Map, Value};

use super::{cell, Shown};
use crate::{i18n::Msg, pages::Problems};

/// The form pairs a form is drawn from, by name.
pub(crate) struct Values<'a>(pub &'a [(String, String)]);

impl Values<'_> {
    fn first(&self, name: &str) -> String {
        self.0.iter().find(|(n, v)| n == name && !v.is_empty()).map(|(_, v)| v.clone()).unwrap_or_default()
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(n, v)| n == name && !v.is_empty()).map(|(_, v)| v.clone()).collect()
    }

    fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _)| n == name)
    }

    /// The repeater rows posted or encoded under `name` (`name.<i>.<child>`), in index order.
    fn rows(&self, name: &str) -> Vec<String> {
        let prefix = format!("{name}.");
        let mut indexes: Vec<usize> =
            self.0.iter().filter_map(|(n, _)| n.strip_prefix(&prefix)?.split('.').next()?.parse().ok()).collect();
        indexes.sort_unstable();
        indexes.dedup();
        indexes.into_iter().map(|i| i.to_string()).collect()
    }
}

/// One field on a form.
#[derive(Template)]
#[template(path = "fields/_widget.html")]
pub(crate) struct Widget {
    pub t: &'static Msg,
    /// The input's id: its name with dots made dashes.
    pub id: String,
    pub name: String,
    pub label: String,
    pub required: bool,
    pub problem: Option<String>,
    pub input: Input,
}

pub(crate) struct Choice {
    pub value: String,
    pub label: String,
    pub on: bool,
    /// A tree's depth (indent), and whether it may be chosen.
    pub depth: usize,
    pub disabled: bool,
}

pub(crate) struct Part {
    pub id: String,
    pub name: String,
    pub label: &'static str,
    pub value: String,
}

pub(crate) struct Row {
    pub index: String,
    pub children: Vec<Widget>,
}

pub(crate) enum Input {
    Text {
        kind: &'static str,
        value: String,
        pattern: Option<String>,
        placeholder: Option<String>,
        numeric: bool,
    },
    TextArea {
        value: String,
    },
    Number {
        value: String,
        step: &'static str,
    },
    Currency {
        amount: String,
        currency: String,
        currencies: Vec<String>,
    },
    Select {
        options: Vec<Choice>,
    },
    Radio {
        options: Vec<Choice>,
    },
    /// Checkbox lists (multi-select, checkbox), and trees (radios, indented).
    Checks {
        options: Vec<Choice>,
    },
    Tree {
        options: Vec<Choice>,
    },
    Chips {
        value: String,
    },
    /// The hidden marker is drawn once the switch has a value (html_form's rule).
    Switch {
        on: bool,
        marker: bool,
    },
    Date {
        kind: &'static str,
        value: String,
    },
    /// A relation by reference; a multi-relation keeps its chosen ones (checked boxes) and
    /// takes one more. `lookup`: the search that fills the reference in (signed-in forms).
    Rel {
        value: String,
        lookup: Option<String>,
    },
    RelMulti {
        chosen: Vec<Choice>,
    },
    Person {
        person_type: String,
        parts: Vec<Part>,
    },
    Address {
        parts: Vec<Part>,
    },
    /// Files kept (checked), with their download links, and the upload that adds more
    /// (signed-in forms; it needs htmx).
    Files {
        files: Vec<Choice>,
        upload: Option<String>,
        download: Option<String>,
        accept: &'static str,
    },
    Group {
        children: Vec<Widget>,
    },
    Repeater {
        rows: Vec<Row>,
    },
    /// Shown, not posted: values the server writes, codes, fields the member may not change.
    Shown {
        text: String,
    },
}

/// Currencies offered (plus the value's own, when it is another).
const CURRENCIES: [&str; 12] = ["BRL", "USD", "EUR", "GBP", "ARS", "CLP", "COP", "MXN", "PYG", "UYU", "CAD", "JPY"];

/// A mask (`9` digit, `a` letter, `*` either, anything else itself) as an HTML `pattern`.
pub(crate) fn mask_pattern(mask: &str) -> String {
    mask.chars()
        .map(|c| match c {
            '9' => r"\d".to_string(),
            'a' => "[A-Za-z]".to_string(),
            '*' => "[A-Za-z0-9]".to_string(),
            c if c.is_ascii_alphanumeric() || c == ' ' => c.to_string(),
            c => format!("\\{c}"),
        })
        .collect()
}

fn options(def: &FieldDef, chosen: &[String]) -> Vec<Choice> {
    def.options
        .iter()
        .filter_map(|o| {
            let value = o.get("value").and_then(Value::as_str)?;
            let label = o.get("label").and_then(Value::as_str).unwrap_or(value);
            Some(Choice {
                value: value.into(),
                label: label.into(),
                on: chosen.iter().any(|c| c == value),
                depth: 0,
                disabled: false,
            })
        })
        .collect()
}

/// The values a list field keeps (checked boxes): those under `name`, each labelled from the
/// current value's entry that `entry` reads as (value, label), else by itself.
fn kept(
    values: &Values,
    name: &str,
    current: Option<&Value>,
    entry: impl Fn(&Value) -> Option<(String, String)>,
) -> Vec<Choice> {
    let labels: Vec<(String, String)> =
        current.and_then(Value::as_array).into_iter().flatten().filter_map(entry).collect();
    values
        .all(name)
        .into_iter()
        .map(|value| Choice {
            label: labels.iter().find(|(v, _)| *v == value).map_or_else(|| value.clone(), |(_, l)| l.clone()),
            value,
            on: true,
            depth: 0,
            disabled: false,
        })
        .collect()
}

fn tree(options: &[Value], prefix: &str, depth: usize, chosen: &str, leaf_only: bool, out: &mut Vec<Choice>) {
    for option in options {
        let Some(value) = option.get("value").and_then(Value::as_str) else { continue };
        let path = if prefix.is_empty() { value.to_string() } else { format!("{prefix}.{value}") };
        let children = option.get("children").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
        out.push(Choice {
            label: option.get("label").and_then(Value::as_str).unwrap_or(value).to_string(),
            on: chosen == path,
            depth,
            disabled: leaf_only && !children.is_empty(),
            value: path.clone(),
        });
        tree(children, &path, depth + 1, chosen, leaf_only, out);
    }
}

/// The context a form is drawn in.
pub(crate) struct Drawn<'a> {
    pub values: Values<'a>,
    /// The refIds the form requires.
    pub required: &'a [String],
    pub problems: &'a Problems,
    pub shown: &'a Shown<'a>,
    /// The workspace (`/app/w/{ws}`) whose relation search and uploads the form may use;
    /// none on a public form.
    pub workspace: Option<&'a str>,
}

/// What a form shows of each field in `defs`. `writable` says which the member may change
/// (others are shown as text); `current` is the item's data (text of read-only values).
pub(crate) fn widgets(
    defs: &[&FieldDef],
    writable: &dyn Fn(&FieldDef) -> bool,
    current: &Map<String, Value>,
    drawn: &Drawn,
) -> Vec<Widget> {
    defs.iter()
        .map(|def| {
            let name = format!("data.{}", def.ref_id);
            let path = name.clone();
            let editable = writable(def) && def.field_type.client_writable();
            widget(def, &name, &path, editable, current.get(&def.ref_id), drawn, drawn.required)
        })
        .collect()
}

fn widget(
    def: &FieldDef,
    name: &str,
    path: &str,
    editable: bool,
    current: Option<&Value>,
    drawn: &Drawn,
    required: &[String],
) -> Widget {
    let (values, problems, shown) = (&drawn.values, drawn.problems, drawn.shown);
    let t = shown.locale.msg();
    let id = name.replace('.', "-");
    let part = |key: &str, label: &'static str| Part {
        id: format!("{id}-{key}"),
        name: format!("{name}.{key}"),
        label,
        value: values.first(&format!("{name}.{key}")),
    };
    let input = if !editable {
        Input::Shown { text: cell(def, current, shown).text }
    } else {
        match def.field_type {
            FieldType::EnTextArea | FieldType::EnHtml | FieldType::EnNotes => {
                Input::TextArea { value: values.first(name) }
            }
            FieldType::EnlNumber => {
                Input::Number { value: values.first(name), step: if def.config_bool("integer") { "1" } else { "any" } }
            }
            FieldType::EnCurrency => {
                let mut currency = values.first(&format!("{name}.currency"));
                if currency.is_empty() {
                    currency = def.config.get("currency").and_then(Value::as_str).unwrap_or("BRL").to_string();
                }
                let mut currencies: Vec<String> = CURRENCIES.iter().map(|c| c.to_string()).collect();
                if !currencies.contains(&currency) {
                    currencies.push(currency.clone());
                }
                Input::Currency { amount: values.first(&format!("{name}.value")), currency, currencies }
            }
            FieldType::EnlDropdown => Input::Select { options: options(def, &values.all(name)) },
            FieldType::RadioButton => Input::Radio { options: options(def, &values.all(name)) },
            FieldType::MultiSelect | FieldType::Checkbox => Input::Checks { options: options(def, &values.all(name)) },
            FieldType::EnlChips => Input::Chips { value: values.first(name) },
            FieldType::EnTreeSelect => {
                let mut out = Vec::new();
                let leaf_only = def.opt_config.get("leaf_only").and_then(Value::as_bool) == Some(true);
                tree(&def.options, "", 0, &values.first(name), leaf_only, &mut out);
                Input::Tree { options: out }
            }
            FieldType::InputSwitch => {
                Input::Switch { on: values.all(name).iter().any(|v| v == "true"), marker: values.has(name) }
            }
            FieldType::EnlCalendar => Input::Date {
                kind: if def.config_bool("date_only") { "date" } else { "datetime-local" },
                value: values.first(name),
            },
            FieldType::EnRel => {
                let rel = def.config.get("rel");
                let collection = rel.and_then(|r| r.get("collection")).and_then(Value::as_str);
                let display = rel.and_then(|r| r.get("displayString")).and_then(Value::as_str).unwrap_or_default();
                let lookup = drawn.workspace.zip(collection).map(|(ws, collection)| {
                    let query = form_urlencoded::Serializer::new(String::new())
                        .append_pair("target", &id)
                        .append_pair("display", display)
                        .finish();
                    format!("{ws}/lookup/{collection}?{query}")
                });
                Input::Rel { value: values.first(name), lookup }
            }
            FieldType::EnRelMulti => {
                let chosen = kept(values, name, current, |v| {
                    let reference = v.get("reference").and_then(Value::as_str)?;
                    let display = v.get("display").and_then(Value::as_str).filter(|d| !d.is_empty());
                    Some((reference.to_string(), display.unwrap_or(reference).to_string()))
                });
                Input::RelMulti { chosen }
            }
            FieldType::EnPerson => {
                let mut person_type = values.first(&format!("{name}.person_type"));
                if person_type.is_empty() {
                    person_type = "PF".into();
                }
                let parts = vec![
                    part("name", t.person_name),
                    part("cpf", "CPF"),
                    part("cnpj", "CNPJ"),
                    part("razao_social", t.company_name),
                    part("nome_fantasia", t.trade_name),
                    part("email", t.email),
                    part("phone", t.phone),
                ];
                Input::Person { person_type, parts }
            }
            FieldType::EnAddress => Input::Address {
                parts: vec![
                    part("zip", t.zip),
                    part("street", t.street),
                    part("number", t.street_number),
                    part("complement", t.complement),
                    part("neighborhood", t.neighborhood),
                    part("city", t.city),
                    part("state", t.state),
                    part("country", t.country),
                ],
            },
            FieldType::UploadFile | FieldType::UploadImage | FieldType::EnPdf | FieldType::EnOnlyoffice => {
                let files = kept(values, name, current, |f| {
                    let id = f.get("id").map(|i| i.to_string())?;
                    Some((id, f.get("filename").and_then(Value::as_str).unwrap_or_default().to_string()))
                });
                let accept = match def.field_type {
                    FieldType::UploadImage => "image/*",
                    FieldType::EnPdf => "application/pdf",
                    _ => "",
                };
                let upload = drawn.workspace.map(|ws| {
                    let query = form_urlencoded::Serializer::new(String::new()).append_pair("field", name).finish();
                    format!("{ws}/files?{query}")
                });
                Input::Files { files, upload, download: drawn.workspace.map(|ws| format!("{ws}/files")), accept }
            }
            FieldType::Group => Input::Group {
                children: def
                    .nested
                    .iter()
                    .map(|child| {
                        let child_name = format!("{name}.{}", child.ref_id);
                        let child_path = format!("{path}.{}", child.ref_id);
                        let value = current.and_then(|c| c.get(&child.ref_id));
                        widget(child, &child_name, &child_path, true, value, drawn, &[])
                    })
                    .collect(),
            },
            FieldType::EnRepeater => {
                let mut indexes = values.rows(name);
                // One blank row to add to (blank rows are dropped when the form is read).
                let next = indexes.iter().filter_map(|i| i.parse::<usize>().ok()).max().map_or(0, |i| i + 1);
                indexes.push(next.to_string());
                let rows = indexes
                    .into_iter()
                    .enumerate()
                    .map(|(position, index)| Row {
                        children: def
                            .nested
                            .iter()
                            .map(|child| {
                                let child_name = format!("{name}.{index}.{}", child.ref_id);
                                let child_path = format!("{path}[{position}].{}", child.ref_id);
                                let value =
                                    current.and_then(|c| c.get(position)).and_then(|row| row.get(&child.ref_id));
                                widget(child, &child_name, &child_path, true, value, drawn, &[])
                            })
                            .collect(),
                        index,
                    })
                    .collect();
                Input::Repeater { rows }
            }
            FieldType::EnESign | FieldType::EnChats | FieldType::EnCustomCode | FieldType::IdPersonalizado => {
                Input::Shown { text: cell(def, current, shown).text }
            }
            FieldType::InputText | FieldType::EnlMask | FieldType::Email => {
                let masks: Vec<&str> = def
                    .config
                    .get("masks")
                    .and_then(Value::as_array)
                    .map(|m| m.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let mask = def
                    .config
                    .get("mask")
                    .and_then(Value::as_str)
                    .or_else(|| masks.iter().copied().find(|m| *m != "email" && *m != "url"));
                let kind = if def.field_type == FieldType::Email || masks.contains(&"email") {
                    "email"
                } else if masks.contains(&"url") {
                    "url"
                } else {
                    "text"
                };
                Input::Text {
                    kind,
                    value: values.first(name),
                    pattern: mask.map(mask_pattern),
                    placeholder: mask.map(str::to_string),
                    numeric: mask.is_some_and(|m| m.chars().all(|c| !c.is_ascii_alphabetic() && c != '*')),
                }
            }
        }
    };
    Widget {
        t,
        id,
        name: name.to_string(),
        label: def.name.clone(),
        required: editable && (def.required || required.contains(&def.ref_id)),
        problem: problems.get(path).map(str::to_string),
        input,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_become_patterns() {
        assert_eq!(mask_pattern("99999-999"), r"\d\d\d\d\d\-\d\d\d");
        assert_eq!(mask_pattern("(99) a*"), r"\(\d\d\) [A-Za-z][A-Za-z0-9]");
    }
}
