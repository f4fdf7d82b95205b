//! Server-built codes (`EnCustomCode`, `idPersonalizado`): a template of components turned into
//! a string when an item is created. The counter's next value comes from the store, which
//! increments it in the create's own transaction so that two creates never share a number.
//!
//! Components [ours; the reference names the kinds but not their spelling]:
//! `{"type": "text", "value": "CT-"}`, `{"type": "date", "format": "%Y%m"}` (strftime, UTC),
//! `{"type": "field", "refId": "tipo"}` (another field's value at creation),
//! `{"type": "counter", "width": 5, "start": 1}` (zero-padded; at most one per template).

use chrono::format::{Item, StrftimeItems};
use serde_json::{Map, Value};

use crate::time::Millis;

#[derive(Debug, Clone, PartialEq)]
pub enum Component {
    Text(String),
    Date(String),
    Field(String),
    Counter { width: usize, start: i64 },
}

#[derive(Debug, Clone, PartialEq)]
pub struct CodeTemplate {
    pub components: Vec<Component>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TemplateProblem {
    /// Relative to `config.components`: `""` or `[2].format`.
    pub path: String,
    pub message: String,
}

fn problem(path: impl Into<String>, message: impl Into<String>) -> TemplateProblem {
    TemplateProblem { path: path.into(), message: message.into() }
}

impl CodeTemplate {
    pub fn parse(raw: Option<&Value>) -> Result<CodeTemplate, TemplateProblem> {
        let list = match raw {
            Some(Value::Array(list)) if !list.is_empty() => list,
            _ => return Err(problem("", "is required: a non-empty list of text, date, field and counter components")),
        };
        let mut components = Vec::new();
        for (i, item) in list.iter().enumerate() {
            let at = |key: &str| format!("[{i}]{key}");
            let kind = item.get("type").and_then(Value::as_str).unwrap_or_default();
            let text = |key: &str| item.get(key).and_then(Value::as_str).filter(|t| !t.is_empty());
            let component = match kind {
                "text" => Component::Text(text("value").ok_or_else(|| problem(at(".value"), "is required"))?.into()),
                "date" => {
                    let format =
                        text("format").ok_or_else(|| problem(at(".format"), "is required, e.g. \"%Y%m%d\""))?;
                    if StrftimeItems::new(format).any(|i| matches!(i, Item::Error)) {
                        return Err(problem(at(".format"), format!("{format:?} is not a valid strftime format")));
                    }
                    Component::Date(format.into())
                }
                "field" => Component::Field(text("refId").ok_or_else(|| problem(at(".refId"), "is required"))?.into()),
                "counter" => {
                    if components.iter().any(|c| matches!(c, Component::Counter { .. })) {
                        return Err(problem(at(""), "a template has at most one counter"));
                    }
                    let width = match item.get("width") {
                        None => 1,
                        Some(w) => w
                            .as_u64()
                            .filter(|w| (1..=18).contains(w))
                            .ok_or_else(|| problem(at(".width"), "expected a whole number from 1 to 18"))?
                            as usize,
                    };
                    let start = match item.get("start") {
                        None => 1,
                        Some(s) => s
                            .as_i64()
                            .filter(|s| *s >= 0)
                            .ok_or_else(|| problem(at(".start"), "expected a whole number, at least 0"))?,
                    };
                    Component::Counter { width, start }
                }
                other => {
                    return Err(problem(at(".type"), format!("expected text, date, field or counter, got {other:?}")))
                }
            };
            components.push(component);
        }
        Ok(CodeTemplate { components })
    }

    /// The counter's starting value, when the template has a counter.
    pub fn counter_start(&self) -> Option<i64> {
        self.components.iter().find_map(|c| match c {
            Component::Counter { start, .. } => Some(*start),
            _ => None,
        })
    }

    /// The code for an item created at `now` with `data`; `counter` is this item's number.
    pub fn render(&self, now: Millis, data: &Map<String, Value>, counter: Option<i64>) -> String {
        let when = chrono::DateTime::from_timestamp_millis(now).unwrap_or_default();
        let mut out = String::new();
        for component in &self.components {
            match component {
                Component::Text(text) => out.push_str(text),
                Component::Date(format) => out.push_str(&when.format(format).to_string()),
                Component::Field(ref_id) => match data.get(ref_id) {
                    Some(Value::String(s)) => out.push_str(s),
                    Some(Value::Number(n)) => out.push_str(&n.to_string()),
                    Some(Value::Bool(b)) => out.push_str(if *b { "true" } else { "false" }),
                    _ => {}
                },
                Component::Counter { width, .. } => out.push_str(&format!("{:0width$}", counter.unwrap_or_default())),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_every_component() {
        let t = CodeTemplate::parse(Some(&json!([
            {"type": "text", "value": "CT-"},
            {"type": "date", "format": "%Y%m"},
            {"type": "text", "value": "-"},
            {"type": "field", "refId": "tipo"},
            {"type": "counter", "width": 5, "start": 100}
        ])))
        .unwrap();
        assert_eq!(t.counter_start(), Some(100));
        let data = json!({"tipo": "HF"}).as_object().unwrap().clone();
        // 2026-03-12T20:46:40.548Z
        assert_eq!(t.render(1_773_348_400_548, &data, Some(101)), "CT-202603-HF00101");
    }

    #[test]
    fn refuses_bad_templates() {
        assert_eq!(CodeTemplate::parse(None).unwrap_err().path, "");
        let bad = CodeTemplate::parse(Some(&json!([{"type": "date", "format": "%Q%"}]))).unwrap_err();
        assert_eq!(bad.path, "[0].format");
        let two = CodeTemplate::parse(Some(&json!([{"type": "counter"}, {"type": "counter"}]))).unwrap_err();
        assert_eq!(two, problem("[1]", "a template has at most one counter"));
        assert_eq!(CodeTemplate::parse(Some(&json!([{"type": "x"}]))).unwrap_err().path, "[0].type");
    }
}
