//! The items table's filters (console-design §4.5.2): the controls offered per field type, and
//! the table's URL turned into the API's list language. The URL *is* the list language
//! (`data.valor_gte=10&_sort=data.valor:desc&_q=…`), so a table link is the API query of the
//! same rows; the console adds only `cols` (the columns shown), drops empty inputs (a blank
//! filter is no filter), and reads dates typed in a filter as days of the workspace's zone.

use enspace_domain::{
    fields::FieldDef,
    item_columns::{data_columns, Repr},
    list::FieldKind,
};
use jiff::{civil, tz::TimeZone};
use serde_json::Value;

/// Parameters of the table's URL that are not the list language's.
pub(crate) const CONSOLE_PARAMS: [&str; 1] = ["cols"];

/// The URL's parameters.
#[derive(Debug, Clone, Default)]
pub(crate) struct Params(pub Vec<(String, String)>);

impl Params {
    pub(crate) fn parse(query: Option<&str>) -> Params {
        Params(form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned().collect())
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
    }

    pub(crate) fn all(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|(n, v)| n == name && !v.is_empty()).map(|(_, v)| v.as_str()).collect()
    }

    /// The query string with `name` set to `value` (or removed), the rest kept in order.
    pub(crate) fn with(&self, changes: &[(&str, Option<&str>)]) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (name, value) in &self.0 {
            if !value.is_empty() && !changes.iter().any(|(n, _)| n == name) {
                out.append_pair(name, value);
            }
        }
        for (name, value) in changes {
            if let Some(value) = value {
                out.append_pair(name, value);
            }
        }
        out.finish()
    }

    /// What the list parser is given: console parameters and empty values left out, days in
    /// date filters made instants of the workspace's zone (`_gte` a day: from its first
    /// instant; `_lte` a day: before the next day's).
    pub(crate) fn list_pairs(&self, defs: &[&FieldDef], zone: &TimeZone) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (name, value) in &self.0 {
            if value.is_empty() || CONSOLE_PARAMS.contains(&name.as_str()) {
                continue;
            }
            let day = (value.len() == 10).then(|| value.parse::<civil::Date>().ok()).flatten();
            let instant_field = |field: &str| {
                matches!(field, "created_at" | "updated_at")
                    || defs.iter().flat_map(|d| data_columns(d)).any(|c| {
                        c.name == field && c.kind == FieldKind::Time && c.repr == (Repr::IsoText { date_only: false })
                    })
            };
            let start_of = |day: civil::Date| {
                day.to_zoned(zone.clone()).map(|z| z.timestamp().to_string()).unwrap_or_else(|_| day.to_string())
            };
            match (day, name.strip_suffix("_gte"), name.strip_suffix("_lte")) {
                (Some(day), Some(field), _) if instant_field(field) => out.push((name.clone(), start_of(day))),
                (Some(day), _, Some(field)) if instant_field(field) => {
                    let next = day.tomorrow().unwrap_or(day);
                    out.push((format!("{field}_lt"), start_of(next)));
                }
                _ => out.push((name.clone(), value.clone())),
            }
        }
        out
    }
}

/// One filter of the table's panel.
#[derive(Debug)]
pub(crate) struct Filter {
    /// The input's id (and the base of its parameters' names).
    pub id: String,
    pub label: String,
    pub control: Control,
}

#[derive(Debug)]
pub(crate) enum Control {
    /// Text that contains this.
    Contains { name: String, value: String },
    /// Any of these options.
    Options { name: String, options: Vec<Choice> },
    /// From–to: numbers or days.
    Range { input: &'static str, from_name: String, from: String, to_name: String, to: String },
    /// Yes / no / either.
    YesNo { name: String, value: String },
    /// Filled / empty / either.
    Presence { name: String, value: String },
}

#[derive(Debug)]
pub(crate) struct Choice {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

/// The filter controls for `defs` (the readable fields), holding the URL's current values.
pub(crate) fn controls(defs: &[&FieldDef], params: &Params) -> Vec<Filter> {
    let mut filters = Vec::new();
    for def in defs {
        let Some(column) = data_columns(def).into_iter().next() else { continue };
        let name = column.name.clone();
        let value = |suffix: &str| params.get(&format!("{name}{suffix}")).unwrap_or_default().to_string();
        let control = match column.kind {
            FieldKind::Text | FieldKind::ManyText if !def.options.is_empty() => {
                let chosen = params.all(&format!("{name}_in"));
                let options = def
                    .options
                    .iter()
                    .filter_map(|o| {
                        let value = o.get("value").and_then(Value::as_str)?;
                        let label = o.get("label").and_then(Value::as_str).unwrap_or(value);
                        Some(Choice { value: value.into(), label: label.into(), checked: chosen.contains(&value) })
                    })
                    .collect();
                Control::Options { name: format!("{name}_in"), options }
            }
            FieldKind::Text => Control::Contains { name: format!("{name}_contains"), value: value("_contains") },
            FieldKind::Real | FieldKind::Int if def.shape() != enspace_domain::catalogue::Shape::Rel => {
                Control::Range {
                    input: "number",
                    from_name: format!("{name}_gte"),
                    from: value("_gte"),
                    to_name: format!("{name}_lte"),
                    to: value("_lte"),
                }
            }
            FieldKind::Time => Control::Range {
                input: "date",
                from_name: format!("{name}_gte"),
                from: value("_gte"),
                to_name: format!("{name}_lte"),
                to: value("_lte"),
            },
            FieldKind::Bool => Control::YesNo { name: name.clone(), value: value("") },
            _ => Control::Presence { name: format!("{name}_null"), value: value("_null") },
        };
        filters.push(Filter { id: format!("filter-{}", def.ref_id), label: def.name.clone(), control });
    }
    filters
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_in_date_filters_are_days_of_the_workspace() {
        let zone = TimeZone::get("America/Sao_Paulo").unwrap();
        let params = Params::parse(Some("_q=&created_at_gte=2026-09-01&created_at_lte=2026-09-30&cols=a&data.x=1"));
        assert_eq!(
            params.list_pairs(&[], &zone),
            [
                ("created_at_gte".to_string(), "2026-09-01T03:00:00Z".to_string()),
                ("created_at_lt".to_string(), "2026-10-01T03:00:00Z".to_string()),
                ("data.x".to_string(), "1".to_string()),
            ]
        );
        assert_eq!(
            params.with(&[("_start", Some("50")), ("data.x", None)]),
            "created_at_gte=2026-09-01&created_at_lte=2026-09-30&cols=a&_start=50"
        );
    }
}
