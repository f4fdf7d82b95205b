//! The list language of spec/README.md (Strapi-v3 style), parsed against a resource's fields.
//!
//! One parser serves every list and count route: `_limit`, `_start`, `_sort`, `_q`, and filters
//! `field[_op]=value`. The store compiles the parsed [`ListQuery`] to SQL; nothing here knows SQL.
//! Every rejection names the offending parameter, so a typo is never a filter that silently
//! matches nothing.

use std::fmt;

use crate::time::parse_instant;

/// How a filterable field's values parse and which operators fit it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldKind {
    Int,
    Real,
    Text,
    /// An instant: parsed from RFC 3339 or `YYYY-MM-DD`, compared as milliseconds.
    Time,
    Bool,
    /// Text from a closed set; a value outside it is a 400 rather than an empty result.
    Enum(&'static [&'static str]),
    /// A list of texts (multi-selects, chips): equality means "contains".
    ManyText,
    /// A list of ids (multi-relations): equality means "contains".
    ManyInt,
    /// A value with no order or equality the language can express (files, groups): only `_null`.
    Opaque,
}

impl FieldKind {
    /// Lists and opaque values have no order.
    pub fn sortable(self) -> bool {
        !matches!(self, FieldKind::ManyText | FieldKind::ManyInt | FieldKind::Opaque)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Lte,
    Gt,
    Gte,
    In,
    Nin,
    Contains,
    Ncontains,
    Containss,
    Null,
}

impl Op {
    const SUFFIXES: [(&'static str, Op); 12] = [
        ("eq", Op::Eq),
        ("ne", Op::Ne),
        ("lt", Op::Lt),
        ("lte", Op::Lte),
        ("gt", Op::Gt),
        ("gte", Op::Gte),
        ("in", Op::In),
        ("nin", Op::Nin),
        ("contains", Op::Contains),
        ("ncontains", Op::Ncontains),
        ("containss", Op::Containss),
        ("null", Op::Null),
    ];

    pub fn suffix(self) -> &'static str {
        Op::SUFFIXES.iter().find(|(_, op)| *op == self).map(|(s, _)| *s).unwrap_or("eq")
    }

    fn fits(self, kind: FieldKind) -> bool {
        use Op::*;
        match kind {
            FieldKind::Text => true,
            FieldKind::Int | FieldKind::Real | FieldKind::Time => {
                matches!(self, Eq | Ne | Lt | Lte | Gt | Gte | In | Nin | Null)
            }
            FieldKind::Bool => matches!(self, Eq | Ne | Null),
            FieldKind::Enum(_) | FieldKind::ManyText | FieldKind::ManyInt => matches!(self, Eq | Ne | In | Nin | Null),
            FieldKind::Opaque => self == Null,
        }
    }
}

/// Case folding for `contains`, `ncontains` and `_q`: Unicode lower case, character by
/// character, no accent folding (decision 7) — in memory and, through `enspace_lower`, in SQLite.
pub fn fold_case(text: &str) -> String {
    text.chars().flat_map(char::to_lowercase).collect()
}

/// A filter value, already parsed for its field's kind (instants as milliseconds in `Int`).
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Int(i64),
    Real(f64),
    Text(String),
    Bool(bool),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub field: String,
    pub op: Op,
    /// One value, except for `in`/`nin` (one or more); `null` carries a `Bool`.
    pub values: Vec<Scalar>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sort {
    pub field: String,
    pub desc: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ListQuery {
    pub limit: u32,
    pub start: u64,
    /// As asked, or the resource's default; the store appends `id` as the final tie-break.
    pub sort: Vec<Sort>,
    pub q: Option<String>,
    pub filters: Vec<Filter>,
}

/// The server's paging settings.
#[derive(Debug, Clone, Copy)]
pub struct Paging {
    pub default_limit: u32,
    pub max_limit: u32,
}

impl Default for Paging {
    fn default() -> Self {
        Paging { default_limit: 100, max_limit: 1000 }
    }
}

/// What a resource offers to the list language.
pub trait ListSchema {
    fn field(&self, name: &str) -> Option<FieldKind>;
    /// Whether `_q` (free-text search) is supported.
    fn searchable(&self) -> bool;
    fn default_sort(&self) -> Sort;
}

/// A rejected list parameter: which one, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListError {
    pub param: String,
    pub message: String,
}

impl fmt::Display for ListError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Invalid query parameter {}: {}", self.param, self.message)
    }
}

fn err(param: &str, message: impl Into<String>) -> ListError {
    ListError { param: param.to_string(), message: message.into() }
}

/// Parses decoded query pairs. Parameters in `passthrough` belong to the route (such as
/// `confirm`) and are skipped; any other unknown parameter is an error.
pub fn parse(
    pairs: &[(String, String)],
    schema: &dyn ListSchema,
    paging: Paging,
    passthrough: &[&str],
) -> Result<ListQuery, ListError> {
    let mut query = ListQuery { limit: paging.default_limit, start: 0, sort: Vec::new(), q: None, filters: Vec::new() };
    let mut seen_single: Vec<&str> = Vec::new();
    for (key, value) in pairs {
        if passthrough.contains(&key.as_str()) {
            continue;
        }
        if let Some(reserved) = ["_limit", "_start", "_sort", "_q"].into_iter().find(|r| r == key) {
            if seen_single.contains(&reserved) {
                return Err(err(key, "given more than once"));
            }
            seen_single.push(reserved);
        }
        match key.as_str() {
            "_limit" => {
                let limit: i64 =
                    value.parse().map_err(|_| err(key, format!("expected a whole number, got {value:?}")))?;
                if limit < 0 {
                    return Err(err(key, format!("must be between 0 and {}, got {limit}", paging.max_limit)));
                }
                if limit > paging.max_limit as i64 {
                    return Err(err(key, format!("must be at most {}, got {limit}", paging.max_limit)));
                }
                query.limit = limit as u32;
            }
            "_start" => {
                query.start = value
                    .parse()
                    .map_err(|_| err(key, format!("expected a whole number of rows to skip, got {value:?}")))?;
            }
            "_sort" => query.sort = parse_sort(key, value, schema)?,
            "_q" => {
                if !schema.searchable() {
                    return Err(err(key, "this list does not support free-text search"));
                }
                let text = value.trim();
                if !text.is_empty() {
                    query.q = Some(text.to_string());
                }
            }
            _ if key.starts_with('_') => return Err(err(key, "unknown list parameter")),
            _ => add_filter(&mut query.filters, key, value, schema)?,
        }
    }
    if query.sort.is_empty() {
        query.sort.push(schema.default_sort());
    }
    Ok(query)
}

fn parse_sort(param: &str, value: &str, schema: &dyn ListSchema) -> Result<Vec<Sort>, ListError> {
    let mut sorts = Vec::new();
    for part in value.split(',').map(str::trim) {
        let (field, dir) = part.split_once(':').unwrap_or((part, "asc"));
        let desc = match dir.to_ascii_lowercase().as_str() {
            "asc" => false,
            "desc" => true,
            _ => return Err(err(param, format!("direction must be asc or desc, got {dir:?}"))),
        };
        match schema.field(field) {
            Some(kind) if !field.is_empty() && kind.sortable() => {}
            Some(kind) => {
                return Err(err(param, format!("cannot sort by {field:?}: {} has no order", kind_name(kind))))
            }
            None => return Err(err(param, format!("cannot sort by unknown field {field:?}"))),
        }
        if sorts.iter().any(|s: &Sort| s.field == field) {
            return Err(err(param, format!("field {field:?} is sorted more than once")));
        }
        sorts.push(Sort { field: field.to_string(), desc });
    }
    Ok(sorts)
}

/// Resolves `key` to a field and an operator. A whole key that is a field is equality; otherwise
/// the reading with the longest existing field name wins (`check_in=x` on a field `check_in`).
fn resolve<'k>(key: &'k str, schema: &dyn ListSchema) -> Option<(&'k str, Op, FieldKind)> {
    if let Some(kind) = schema.field(key) {
        return Some((key, Op::Eq, kind));
    }
    Op::SUFFIXES
        .iter()
        .filter_map(|(suffix, op)| {
            let field = key.strip_suffix(suffix)?.strip_suffix('_')?;
            schema.field(field).map(|kind| (field, *op, kind))
        })
        .max_by_key(|(field, _, _)| field.len())
}

/// Splits the array spellings of a parameter off its name: `f_in[]` (axios) and `f_in[3]` (`qs`,
/// which the Strapi SDK uses) both name `f_in`, like the repeated `f_in=` does.
fn array_name(key: &str) -> Option<&str> {
    let open = key.strip_suffix(']')?.rfind('[')?;
    let index = &key[open + 1..key.len() - 1];
    index.bytes().all(|b| b.is_ascii_digit()).then(|| &key[..open])
}

fn add_filter(filters: &mut Vec<Filter>, param: &str, value: &str, schema: &dyn ListSchema) -> Result<(), ListError> {
    let listed = array_name(param);
    let key = listed.unwrap_or(param);
    let (field, op, kind) = resolve(key, schema).ok_or_else(|| err(param, "unknown field or operator"))?;
    if listed.is_some() && !matches!(op, Op::In | Op::Nin) {
        return Err(err(param, "only the _in and _nin operators take a list of values"));
    }
    if !op.fits(kind) {
        return Err(err(param, format!("operator {:?} does not apply to {}", op.suffix(), kind_name(kind))));
    }
    let parsed = if op == Op::Null {
        match value {
            "true" => Scalar::Bool(true),
            "false" => Scalar::Bool(false),
            _ => return Err(err(param, format!("expected true or false, got {value:?}"))),
        }
    } else {
        parse_value(param, value, kind)?
    };
    if matches!(op, Op::In | Op::Nin) {
        // Repeated `f_in` parameters collect into one filter.
        if let Some(existing) = filters.iter_mut().find(|f| f.field == field && f.op == op) {
            existing.values.push(parsed);
            return Ok(());
        }
    }
    filters.push(Filter { field: field.to_string(), op, values: vec![parsed] });
    Ok(())
}

fn kind_name(kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::Int => "a whole number",
        FieldKind::Real => "a number",
        FieldKind::Text => "text",
        FieldKind::Time => "a date",
        FieldKind::Bool => "a boolean",
        FieldKind::Enum(_) => "a fixed set of values",
        FieldKind::ManyText | FieldKind::ManyInt => "a list of values",
        FieldKind::Opaque => "a structured value",
    }
}

fn parse_value(key: &str, value: &str, kind: FieldKind) -> Result<Scalar, ListError> {
    match kind {
        FieldKind::Int | FieldKind::ManyInt => {
            value.parse().map(Scalar::Int).map_err(|_| err(key, format!("expected a whole number, got {value:?}")))
        }
        FieldKind::Real => value
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map(Scalar::Real)
            .ok_or_else(|| err(key, format!("expected a number, got {value:?}"))),
        FieldKind::Time => parse_instant(value)
            .map(Scalar::Int)
            .ok_or_else(|| err(key, format!("expected an ISO 8601 date or date-time, got {value:?}"))),
        FieldKind::Bool => match value {
            "true" => Ok(Scalar::Bool(true)),
            "false" => Ok(Scalar::Bool(false)),
            _ => Err(err(key, format!("expected true or false, got {value:?}"))),
        },
        FieldKind::Text | FieldKind::ManyText | FieldKind::Opaque => Ok(Scalar::Text(value.to_string())),
        FieldKind::Enum(allowed) => {
            if allowed.contains(&value) {
                Ok(Scalar::Text(value.to_string()))
            } else {
                Err(err(key, format!("expected one of {}, got {value:?}", allowed.join(", "))))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Schema;
    impl ListSchema for Schema {
        fn field(&self, name: &str) -> Option<FieldKind> {
            Some(match name {
                "id" => FieldKind::Int,
                "name" => FieldKind::Text,
                "check" => FieldKind::Text,
                "check_in" => FieldKind::Time,
                "active" => FieldKind::Bool,
                "price" => FieldKind::Real,
                "status" => FieldKind::Enum(&["active", "inactive"]),
                _ => return None,
            })
        }
        fn searchable(&self) -> bool {
            true
        }
        fn default_sort(&self) -> Sort {
            Sort { field: "id".into(), desc: false }
        }
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn run(list: &[(&str, &str)]) -> Result<ListQuery, ListError> {
        parse(&pairs(list), &Schema, Paging::default(), &["confirm"])
    }

    #[test]
    fn defaults() {
        let q = run(&[]).unwrap();
        assert_eq!(q.limit, 100);
        assert_eq!(q.start, 0);
        assert_eq!(q.sort, vec![Sort { field: "id".into(), desc: false }]);
        assert!(q.filters.is_empty());
        assert_eq!(q.q, None);
    }

    #[test]
    fn paging_and_sort() {
        let q = run(&[("_limit", "10"), ("_start", "20"), ("_sort", "name:desc,price"), ("_q", " acme ")]).unwrap();
        assert_eq!((q.limit, q.start), (10, 20));
        assert_eq!(
            q.sort,
            vec![Sort { field: "name".into(), desc: true }, Sort { field: "price".into(), desc: false }]
        );
        assert_eq!(q.q.as_deref(), Some("acme"));
    }

    #[test]
    fn limit_errors_name_the_parameter() {
        assert_eq!(run(&[("_limit", "1001")]).unwrap_err(), err("_limit", "must be at most 1000, got 1001"));
        assert_eq!(run(&[("_limit", "-1")]).unwrap_err(), err("_limit", "must be between 0 and 1000, got -1"));
        assert_eq!(run(&[("_limit", "ten")]).unwrap_err(), err("_limit", "expected a whole number, got \"ten\""));
        assert_eq!(
            run(&[("_start", "-3")]).unwrap_err(),
            err("_start", "expected a whole number of rows to skip, got \"-3\"")
        );
        assert_eq!(run(&[("_limit", "1"), ("_limit", "2")]).unwrap_err(), err("_limit", "given more than once"));
        assert_eq!(run(&[("_page", "2")]).unwrap_err(), err("_page", "unknown list parameter"));
    }

    #[test]
    fn sort_errors() {
        assert_eq!(run(&[("_sort", "nope:asc")]).unwrap_err(), err("_sort", "cannot sort by unknown field \"nope\""));
        assert_eq!(
            run(&[("_sort", "name:up")]).unwrap_err(),
            err("_sort", "direction must be asc or desc, got \"up\"")
        );
    }

    #[test]
    fn operators() {
        let q = run(&[
            ("name_contains", "ac"),
            ("price_gte", "10.5"),
            ("id_in", "1"),
            ("id_in", "2"),
            ("status_ne", "inactive"),
            ("active", "true"),
            ("name_null", "false"),
        ])
        .unwrap();
        assert_eq!(
            q.filters,
            vec![
                Filter { field: "name".into(), op: Op::Contains, values: vec![Scalar::Text("ac".into())] },
                Filter { field: "price".into(), op: Op::Gte, values: vec![Scalar::Real(10.5)] },
                Filter { field: "id".into(), op: Op::In, values: vec![Scalar::Int(1), Scalar::Int(2)] },
                Filter { field: "status".into(), op: Op::Ne, values: vec![Scalar::Text("inactive".into())] },
                Filter { field: "active".into(), op: Op::Eq, values: vec![Scalar::Bool(true)] },
                Filter { field: "name".into(), op: Op::Null, values: vec![Scalar::Bool(false)] },
            ]
        );
    }

    #[test]
    fn array_spellings_are_one_list() {
        let expected = run(&[("id_in", "1"), ("id_in", "2")]).unwrap();
        assert_eq!(run(&[("id_in[]", "1"), ("id_in[]", "2")]).unwrap(), expected);
        assert_eq!(run(&[("id_in[0]", "1"), ("id_in[1]", "2")]).unwrap(), expected);
        assert_eq!(run(&[("id_in[0]", "1"), ("id_in", "2")]).unwrap(), expected);
        let q = run(&[("status_nin[]", "active")]).unwrap();
        assert_eq!((q.filters[0].field.as_str(), q.filters[0].op), ("status", Op::Nin));
        assert_eq!(
            run(&[("name[]", "x")]).unwrap_err(),
            err("name[]", "only the _in and _nin operators take a list of values")
        );
        assert_eq!(run(&[("id_in[x]", "1")]).unwrap_err(), err("id_in[x]", "unknown field or operator"));
        assert_eq!(run(&[("id_in[]", "one")]).unwrap_err(), err("id_in[]", "expected a whole number, got \"one\""));
    }

    #[test]
    fn longest_field_name_wins() {
        // `check_in` is a field: equality on it, not `check` with `_in`.
        let q = run(&[("check_in", "2026-01-01")]).unwrap();
        assert_eq!(q.filters[0].field, "check_in");
        assert_eq!(q.filters[0].op, Op::Eq);
        let q = run(&[("check_in_gte", "2026-01-01")]).unwrap();
        assert_eq!((q.filters[0].field.as_str(), q.filters[0].op), ("check_in", Op::Gte));
        let q = run(&[("check_ncontains", "x")]).unwrap();
        assert_eq!((q.filters[0].field.as_str(), q.filters[0].op), ("check", Op::Ncontains));
        let q = run(&[("check_containss", "X")]).unwrap();
        assert_eq!((q.filters[0].field.as_str(), q.filters[0].op), ("check", Op::Containss));
    }

    #[test]
    fn filter_errors() {
        assert_eq!(run(&[("nmae", "x")]).unwrap_err(), err("nmae", "unknown field or operator"));
        assert_eq!(run(&[("name_between", "x")]).unwrap_err(), err("name_between", "unknown field or operator"));
        assert_eq!(
            run(&[("price_contains", "1")]).unwrap_err(),
            err("price_contains", "operator \"contains\" does not apply to a number")
        );
        assert_eq!(run(&[("price", "abc")]).unwrap_err(), err("price", "expected a number, got \"abc\""));
        assert_eq!(run(&[("id", "1.5")]).unwrap_err(), err("id", "expected a whole number, got \"1.5\""));
        assert_eq!(
            run(&[("check_in_lt", "soon")]).unwrap_err(),
            err("check_in_lt", "expected an ISO 8601 date or date-time, got \"soon\"")
        );
        assert_eq!(
            run(&[("status", "actve")]).unwrap_err(),
            err("status", "expected one of active, inactive, got \"actve\"")
        );
        assert_eq!(run(&[("name_null", "yes")]).unwrap_err(), err("name_null", "expected true or false, got \"yes\""));
        assert_eq!(
            run(&[("active_gt", "true")]).unwrap_err(),
            err("active_gt", "operator \"gt\" does not apply to a boolean")
        );
    }

    #[test]
    fn passthrough_parameters_are_skipped() {
        assert!(run(&[("confirm", "x")]).unwrap().filters.is_empty());
    }
}
