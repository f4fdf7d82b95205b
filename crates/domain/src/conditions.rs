//! Conditionals (spec/flows-and-tasks.md § Conditions): a JSON object in the list language,
//! evaluated against one item in memory — by flow starts, transitions, stage-task starts and
//! responsibility rules — with the meaning the SQL compiler gives the same filters
//! (`store::list`): the fields and where their values live come from `item_columns`, the keys
//! are parsed by `list`, and each operator treats an absent value as SQL treats NULL (`ne`,
//! `nin` and `ncontains` hold for it, every other comparison fails). An integration test
//! compares the two on generated items and filters on both databases.
//!
//! Every key must hold; `{"_or": [{…}, {…}]}` holds when any member does; `null` and `{}`
//! always hold. Text comparisons are by code point (PostgreSQL with a `C` collation, SQLite's
//! `BINARY`); `contains`/`ncontains` ignore case (`list::fold_case`, the folding SQL uses too), `containss`
//! does not.

use serde_json::{Map, Value};

use crate::{
    item_columns::{Read, Repr, TypeColumns},
    list::{self, fold_case, Filter, ListSchema, Op, Paging, Scalar},
    time::format_ms,
    Detail,
};

/// A parsed conditional.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Condition {
    /// All must hold.
    pub filters: Vec<Filter>,
    /// When not empty, one of them must hold too (`_or`).
    pub any_of: Vec<Condition>,
}

/// Parses a conditional against a type's fields; the error names the key (`data.valor_gt`,
/// `_or[1].status`) and what is wrong, exactly as a list filter's would.
pub fn parse(value: &Value, schema: &dyn ListSchema) -> Result<Condition, Detail> {
    parse_at(value, schema, "", 0)
}

/// How deep `_or` may nest (decision 5).
const MAX_DEPTH: usize = 4;

fn parse_at(value: &Value, schema: &dyn ListSchema, at: &str, depth: usize) -> Result<Condition, Detail> {
    let object = match value {
        Value::Null => return Ok(Condition::default()),
        Value::Object(object) => object,
        other => {
            return Err(Detail::new(at.trim_end_matches('.'), format!("expected an object of filters, got {other}")))
        }
    };
    let mut pairs = Vec::new();
    let mut any_of = Vec::new();
    for (key, value) in object {
        let path = format!("{at}{key}");
        if key == "_or" {
            let members = value
                .as_array()
                .filter(|m| !m.is_empty())
                .ok_or_else(|| Detail::new(&path, "expected a non-empty list of conditions, one of which must hold"))?;
            if depth >= MAX_DEPTH {
                return Err(Detail::new(&path, format!("_or nests at most {MAX_DEPTH} deep")));
            }
            for (i, member) in members.iter().enumerate() {
                any_of.push(parse_at(member, schema, &format!("{path}[{i}]."), depth + 1)?);
            }
            continue;
        }
        if key.starts_with('_') {
            return Err(Detail::new(path, "unknown key: a conditional holds filters and _or"));
        }
        // The JSON type that fits, or its string form (decision 6); lists and null tests keep
        // their own types.
        let listed = key.ends_with("_in") || key.ends_with("_nin");
        if key.ends_with("_null") && !value.is_boolean() && schema.field(key).is_none() {
            return Err(Detail::new(path, "expected true or false"));
        }
        match value {
            Value::Array(values) if listed => {
                for v in values {
                    pairs.push((
                        key.clone(),
                        text_of(v).ok_or_else(|| Detail::new(&path, "expected a list of values"))?,
                    ));
                }
            }
            Value::Array(_) => return Err(Detail::new(path, "only the _in and _nin operators take a list of values")),
            _ if listed && schema.field(key).is_none() => return Err(Detail::new(path, "expected a list of values")),
            v => pairs.push((
                key.clone(),
                text_of(v).ok_or_else(|| Detail::new(&path, format!("expected a value, got {v}")))?,
            )),
        }
    }
    let query = list::parse(&pairs, schema, Paging::default(), &[])
        .map_err(|e| Detail::new(format!("{at}{}", e.param), e.message))?;
    Ok(Condition { filters: query.filters, any_of })
}

/// A JSON value as the list language's text: numbers and booleans as written, `null` refused.
fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// What a condition sees of an item: its native columns and its data.
#[derive(Debug, Clone, Copy)]
pub struct ItemFacts<'a> {
    pub id: i64,
    pub reference: &'a str,
    pub status: &'a str,
    pub is_draft: bool,
    pub form: Option<&'a str>,
    pub request_email: Option<&'a str>,
    pub user_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub data: &'a Map<String, Value>,
}

/// A value as a filter compares it; `Null` is SQL's NULL.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Bool(bool),
    Many(Vec<Value>),
}

fn native(item: &ItemFacts<'_>, name: &str) -> Option<Cell> {
    let text = |t: Option<&str>| t.map_or(Cell::Null, |t| Cell::Text(t.to_string()));
    Some(match name {
        "id" => Cell::Int(item.id),
        "reference" => Cell::Text(item.reference.to_string()),
        "status" => Cell::Text(item.status.to_string()),
        "isDraft" => Cell::Bool(item.is_draft),
        "form" => text(item.form),
        "request_email" => text(item.request_email),
        "user" | "created_by" => item.user_id.map_or(Cell::Null, Cell::Int),
        "created_at" => Cell::Int(item.created_at),
        "updated_at" => Cell::Int(item.updated_at),
        _ => return None,
    })
}

/// The value of a `data.…` field, read as the SQL compiler reads it.
fn data_cell(item: &ItemFacts<'_>, path: &[String], read: Read) -> Cell {
    let mut value = item.data.get(&path[0]);
    for key in &path[1..] {
        value = value.and_then(|v| v.get(key));
    }
    match (value.unwrap_or(&Value::Null), read) {
        (Value::Null, _) => Cell::Null,
        (Value::String(s), Read::Text) => Cell::Text(s.clone()),
        (other, Read::Text) => Cell::Text(other.to_string()),
        (Value::Number(n), Read::Number) => n.as_f64().map_or(Cell::Null, Cell::Real),
        (Value::Number(n), Read::Integer) => n.as_i64().map_or(Cell::Null, Cell::Int),
        (Value::Bool(b), Read::Bool) => Cell::Bool(*b),
        (Value::Array(items), Read::Json) => Cell::Many(items.clone()),
        (other, Read::Json) => Cell::Text(other.to_string()),
        _ => Cell::Null,
    }
}

/// Whether `condition` holds for `item` of the type with `columns`.
pub fn holds(condition: &Condition, item: &ItemFacts<'_>, columns: &TypeColumns) -> bool {
    condition.filters.iter().all(|f| filter_holds(f, item, columns))
        && (condition.any_of.is_empty() || condition.any_of.iter().any(|c| holds(c, item, columns)))
}

fn filter_holds(filter: &Filter, item: &ItemFacts<'_>, columns: &TypeColumns) -> bool {
    let (cell, repr) = match native(item, &filter.field) {
        Some(cell) => (cell, Repr::Scalar),
        None => match columns.data_column(&filter.field) {
            Some(column) => (data_cell(item, &column.path, column.read), column.repr),
            // Parsing refused unknown fields; a field deleted since holds nothing.
            None => (Cell::Null, Repr::Scalar),
        },
    };
    if let Repr::Many { element } = repr {
        return many_holds(filter, &cell, element);
    }
    // Instants in JSON are canonical ISO text: the filter's instant is compared as that text.
    let values: Vec<Scalar> = match repr {
        Repr::IsoText { date_only } => filter
            .values
            .iter()
            .map(|v| match v {
                Scalar::Int(ms) => {
                    let text = format_ms(*ms);
                    Scalar::Text(if date_only { text[..10].to_string() } else { text })
                }
                other => other.clone(),
            })
            .collect(),
        _ => filter.values.clone(),
    };
    let first = &values[0];
    let null = cell == Cell::Null;
    let equal = |v: &Scalar| compare(&cell, v) == Some(std::cmp::Ordering::Equal);
    let needle = |v: &Scalar| match v {
        Scalar::Text(t) => t.clone(),
        _ => String::new(),
    };
    let haystack = match &cell {
        Cell::Text(t) => t.clone(),
        _ => String::new(),
    };
    match filter.op {
        Op::Eq => !null && equal(first),
        Op::Ne => null || !equal(first),
        Op::Lt | Op::Lte | Op::Gt | Op::Gte => match compare(&cell, first) {
            None => false,
            Some(order) => match filter.op {
                Op::Lt => order.is_lt(),
                Op::Lte => order.is_le(),
                Op::Gt => order.is_gt(),
                _ => order.is_ge(),
            },
        },
        Op::In => !null && values.iter().any(equal),
        Op::Nin => null || !values.iter().any(equal),
        Op::Contains => !null && fold_case(&haystack).contains(&fold_case(&needle(first))),
        Op::Ncontains => null || !fold_case(&haystack).contains(&fold_case(&needle(first))),
        Op::Containss => !null && haystack.contains(&needle(first)),
        Op::Null => matches!(first, Scalar::Bool(true)) == null,
    }
}

fn compare(cell: &Cell, value: &Scalar) -> Option<std::cmp::Ordering> {
    match (cell, value) {
        (Cell::Int(a), Scalar::Int(b)) => Some(a.cmp(b)),
        (Cell::Int(a), Scalar::Real(b)) => (*a as f64).partial_cmp(b),
        (Cell::Real(a), Scalar::Real(b)) => a.partial_cmp(b),
        (Cell::Real(a), Scalar::Int(b)) => a.partial_cmp(&(*b as f64)),
        (Cell::Text(a), Scalar::Text(b)) => Some(a.as_str().cmp(b.as_str())),
        (Cell::Bool(a), Scalar::Bool(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

/// A list field (multi-select, multi-relation): `eq`/`in` hold when it contains one of the
/// values, `ne`/`nin` when it contains none (an empty or absent list included).
fn many_holds(filter: &Filter, cell: &Cell, element: Option<&str>) -> bool {
    if filter.op == Op::Null {
        return matches!(filter.values[0], Scalar::Bool(true)) == (*cell == Cell::Null);
    }
    let items: &[Value] = match cell {
        Cell::Many(items) => items,
        _ => &[],
    };
    let contains = filter.values.iter().any(|v| {
        items.iter().any(|item| {
            let item = match element {
                Some(key) => item.get(key).unwrap_or(&Value::Null),
                None => item,
            };
            match (item, v) {
                (Value::Number(n), Scalar::Int(i)) => n.as_i64() == Some(*i),
                (Value::String(s), Scalar::Text(t)) => s == t,
                _ => false,
            }
        })
    });
    match filter.op {
        Op::Ne | Op::Nin => !contains,
        _ => contains,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn columns() -> TypeColumns {
        use crate::fields::{check_field, FieldDraft};
        let def = |slug: &str, field_type: &str| {
            let draft = FieldDraft {
                name: Some(slug.into()),
                slug: Some(slug.into()),
                field_type: Some(field_type.into()),
                ..Default::default()
            };
            check_field(draft, None, "").unwrap().def
        };
        let defs = [def("valor", "number"), def("tipo", "inputText"), def("tags", "EnlChips")];
        TypeColumns::new(defs.iter())
    }

    fn item(data: &Map<String, Value>) -> ItemFacts<'_> {
        ItemFacts {
            id: 7,
            reference: "ABC",
            status: "active",
            is_draft: false,
            form: None,
            request_email: None,
            user_id: Some(3),
            created_at: 1_700_000_000_000,
            updated_at: 1_700_000_000_000,
            data,
        }
    }

    fn check(condition: Value, data: Value) -> bool {
        let columns = columns();
        let parsed = parse(&condition, &columns).unwrap();
        holds(&parsed, &item(data.as_object().unwrap()), &columns)
    }

    #[test]
    fn every_key_must_hold_and_or_needs_one() {
        let data = json!({ "valor": 6000, "tipo": "compra", "tags": ["a", "b"] });
        assert!(check(json!(null), data.clone()));
        assert!(check(json!({}), data.clone()));
        assert!(check(
            json!({ "data.valor_gt": 5000, "data.tipo_in": ["compra", "locacao"], "status": "active" }),
            data.clone()
        ));
        assert!(!check(json!({ "data.valor_gt": 5000, "data.tipo": "venda" }), data.clone()));
        assert!(check(json!({ "_or": [{ "data.tipo": "venda" }, { "data.valor_gte": 6000 }] }), data.clone()));
        assert!(!check(json!({ "_or": [{ "data.tipo": "venda" }, { "data.valor_lt": 6000 }] }), data.clone()));
        assert!(check(json!({ "data.tags": "b", "data.tags_nin": ["z"] }), data.clone()));
        assert!(check(json!({ "data.tipo_contains": "OMP", "data.tipo_containss": "omp" }), data.clone()));
        assert!(!check(json!({ "data.tipo_containss": "OMP" }), data.clone()));
        // Case folds beyond ASCII (decision 7): "SÃO" contains "são".
        assert!(check(json!({ "data.tipo_contains": "são" }), json!({ "tipo": "SÃO PAULO" })));
        assert!(!check(json!({ "data.tipo_contains": "sao" }), json!({ "tipo": "SÃO PAULO" })), "no accent folding");
    }

    #[test]
    fn an_absent_value_is_sql_null() {
        let empty = json!({});
        assert!(check(json!({ "data.tipo_ne": "x" }), empty.clone()));
        assert!(check(json!({ "data.tipo_nin": ["x"] }), empty.clone()));
        assert!(check(json!({ "data.tipo_ncontains": "x" }), empty.clone()));
        assert!(check(json!({ "data.tipo_null": true, "data.tags_null": true }), empty.clone()));
        assert!(check(json!({ "data.tags_ne": "a" }), empty.clone()));
        assert!(!check(json!({ "data.tipo": "x" }), empty.clone()));
        assert!(!check(json!({ "data.valor_lt": 1 }), empty.clone()));
        assert!(!check(json!({ "data.tags": "a" }), empty));
    }

    #[test]
    fn bad_conditionals_name_their_key() {
        let columns = columns();
        let refused = |c: Value| parse(&c, &columns).unwrap_err();
        assert_eq!(refused(json!({ "data.nada": 1 })), Detail::new("data.nada", "unknown field or operator"));
        assert_eq!(
            refused(json!({ "data.valor_gt": "x" })),
            Detail::new("data.valor_gt", "expected a number, got \"x\"")
        );
        assert_eq!(
            refused(json!({ "_or": [{ "status": "active" }, { "data.tags_gt": "a" }] })).path,
            "_or[1].data.tags_gt"
        );
        assert_eq!(refused(json!({ "_or": [] })).path, "_or");
        assert_eq!(refused(json!({ "_limit": 1 })).path, "_limit");
        assert_eq!(
            refused(json!({ "data.tipo": ["a"] })).message,
            "only the _in and _nin operators take a list of values"
        );
        assert_eq!(refused(json!({ "data.tipo": null })).message, "expected a value, got null");
        assert_eq!(refused(json!([1])).message, "expected an object of filters, got [1]");
        assert_eq!(refused(json!({ "data.tipo_in": "a" })).message, "expected a list of values");
        assert_eq!(refused(json!({ "data.tipo_null": "true" })).message, "expected true or false");
        let deep = json!({ "_or": [{ "_or": [{ "_or": [{ "_or": [{ "_or": [{ "status": "active" }] }] }] }] }] });
        assert_eq!(refused(deep).message, "_or nests at most 4 deep");
        assert!(parse(&json!({ "data.valor_gt": "5000", "isDraft": "false" }), &columns).is_ok(), "string forms");
    }
}
