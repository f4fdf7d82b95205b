//! Compiles a parsed [`ListQuery`] to SQL for one resource. The one list-query engine: every
//! list and count route goes through [`ListSpec::select`] / [`ListSpec::count`].

use enspace_domain::list::{fold_case, FieldKind, Filter, ListQuery, ListSchema, Op, Scalar, Sort};

use crate::db::{Backend, Value};

/// A SQL text with `$n` placeholders and its parameters, built left to right.
#[derive(Debug, Default, Clone)]
pub struct Sql {
    pub text: String,
    pub params: Vec<Value>,
}

impl Sql {
    pub fn new(text: &str) -> Sql {
        Sql { text: text.to_string(), params: Vec::new() }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `value`.
    pub fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.params.push(value.into());
        self.text.push_str(&format!("${}", self.params.len()));
        self
    }

    /// Appends `(placeholder, placeholder, …)` for the values of an `IN` list (at least one).
    pub fn bind_list<V: Into<Value>>(&mut self, values: impl IntoIterator<Item = V>) -> &mut Self {
        self.text.push('(');
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(value);
        }
        self.text.push(')');
        self
    }
}

/// A filterable field: its name in the list language, its kind, and its SQL expression.
pub struct ListField {
    pub name: &'static str,
    pub kind: FieldKind,
    pub sql: &'static str,
}

/// What a resource exposes to lists: its fields, its free-text columns, its default order.
pub struct ListSpec {
    pub fields: &'static [ListField],
    /// SQL expressions `_q` searches (case-insensitive substring on any).
    pub search: &'static [&'static str],
    pub default_sort: (&'static str, bool),
}

impl ListSchema for ListSpec {
    fn field(&self, name: &str) -> Option<FieldKind> {
        self.fields.iter().find(|f| f.name == name).map(|f| f.kind)
    }

    fn searchable(&self) -> bool {
        !self.search.is_empty()
    }

    fn default_sort(&self) -> Sort {
        Sort { field: self.default_sort.0.to_string(), desc: self.default_sort.1 }
    }
}

fn scalar(value: &Scalar) -> Value {
    match value {
        Scalar::Int(v) => Value::Int(Some(*v)),
        Scalar::Real(v) => Value::Real(Some(*v)),
        Scalar::Text(v) => Value::Text(Some(v.clone())),
        Scalar::Bool(v) => Value::Bool(Some(*v)),
    }
}

/// `%text%` with LIKE's wildcards escaped (the escape character is `\`).
fn like_pattern(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Case-insensitive substring match. SQLite's LIKE folds ASCII letters only; PostgreSQL's
/// ILIKE folds all of Unicode.
fn push_icontains(sql: &mut Sql, backend: Backend, column: &str, text: &str) {
    match backend {
        Backend::Postgres => {
            sql.push(column).push(" ILIKE ").bind(like_pattern(text)).push(" ESCAPE '\\'");
        }
        // Both sides folded the one way (`fold_case`): SQLite's own LIKE folds ASCII only.
        Backend::Sqlite => {
            sql.push("enspace_lower(").push(column).push(") LIKE ").bind(like_pattern(&fold_case(text)));
            sql.push(" ESCAPE '\\'");
        }
    }
}

/// How a column's SQL holds its values: the domain's description (`item_columns::Repr`).
pub use enspace_domain::item_columns::Repr;

/// A column as the compiler sees it.
pub struct Column<'a> {
    pub sql: &'a str,
    pub repr: Repr,
}

/// What the compiler needs of a resource: a column per list-language field, and the
/// expressions `_q` searches. [`ListSpec`] is the fixed form; items build theirs per type.
pub trait Columns: ListSchema {
    fn column(&self, name: &str) -> Option<Column<'_>>;
    fn search(&self) -> Vec<&str>;
}

impl Columns for ListSpec {
    fn column(&self, name: &str) -> Option<Column<'_>> {
        self.fields.iter().find(|f| f.name == name).map(|f| Column {
            sql: f.sql,
            // A list kind's column is a JSON array of plain values (a quick task's tag_ids).
            repr: match f.kind {
                FieldKind::ManyInt | FieldKind::ManyText => Repr::Many { element: None },
                _ => Repr::Scalar,
            },
        })
    }

    fn search(&self) -> Vec<&str> {
        self.search.to_vec()
    }
}

impl ListSpec {
    /// Appends ` AND …` for every filter and `_q` to `sql`, which already holds a WHERE clause.
    pub fn push_conditions(&self, sql: &mut Sql, backend: Backend, query: &ListQuery) {
        push_conditions(self, sql, backend, query)
    }

    /// Appends ORDER BY (with `id` as the final tie-break, so pages are stable), LIMIT, OFFSET.
    pub fn push_page(&self, sql: &mut Sql, query: &ListQuery) {
        push_page(self, sql, query)
    }
}

/// Appends ` AND …` for every filter and `_q` to `sql`, which already holds a WHERE clause.
pub fn push_conditions(columns: &dyn Columns, sql: &mut Sql, backend: Backend, query: &ListQuery) {
    for filter in &query.filters {
        sql.push(" AND ");
        let column = columns.column(&filter.field).unwrap_or(Column { sql: "id", repr: Repr::Scalar });
        match column.repr {
            Repr::Many { element } => push_many_filter(sql, backend, column.sql, element, filter),
            repr => push_filter(sql, backend, column.sql, repr, filter),
        }
    }
    if let Some(q) = &query.q {
        sql.push(" AND (");
        for (i, column) in columns.search().iter().enumerate() {
            if i > 0 {
                sql.push(" OR ");
            }
            push_icontains(sql, backend, column, q);
        }
        sql.push(")");
    }
}

/// A filter value as the column holds it.
fn stored(value: &Scalar, repr: Repr) -> Value {
    match (repr, value) {
        (Repr::IsoText { date_only }, Scalar::Int(ms)) => {
            let text = enspace_domain::time::format_ms(*ms);
            Value::from(if date_only { text[..10].to_string() } else { text })
        }
        _ => scalar(value),
    }
}

fn push_filter(sql: &mut Sql, backend: Backend, column: &str, repr: Repr, filter: &Filter) {
    let first = &filter.values[0];
    let text = |v: &Scalar| match v {
        Scalar::Text(t) => t.clone(),
        _ => String::new(),
    };
    match filter.op {
        Op::Eq => {
            sql.push(column).push(" = ").bind(stored(first, repr));
        }
        // "Not equal" keeps rows where the field is empty: they are not equal to the value.
        Op::Ne => {
            sql.push("(").push(column).push(" <> ").bind(stored(first, repr));
            sql.push(" OR ").push(column).push(" IS NULL)");
        }
        Op::Lt | Op::Lte | Op::Gt | Op::Gte => {
            let op = match filter.op {
                Op::Lt => " < ",
                Op::Lte => " <= ",
                Op::Gt => " > ",
                _ => " >= ",
            };
            sql.push(column).push(op).bind(stored(first, repr));
        }
        Op::In | Op::Nin => {
            if filter.op == Op::Nin {
                sql.push("(").push(column).push(" IS NULL OR ");
            }
            sql.push(column).push(if filter.op == Op::In { " IN " } else { " NOT IN " });
            sql.bind_list(filter.values.iter().map(|v| stored(v, repr)));
            if filter.op == Op::Nin {
                sql.push(")");
            }
        }
        Op::Contains => push_icontains(sql, backend, column, &text(first)),
        Op::Ncontains => {
            sql.push("(").push(column).push(" IS NULL OR NOT (");
            push_icontains(sql, backend, column, &text(first));
            sql.push("))");
        }
        Op::Containss => {
            let f = if backend == Backend::Postgres { "strpos(" } else { "instr(" };
            sql.push(f).push(column).push(", ").bind(text(first)).push(") > 0");
        }
        Op::Null => {
            let is_null = matches!(first, Scalar::Bool(true));
            sql.push(column).push(if is_null { " IS NULL" } else { " IS NOT NULL" });
        }
    }
}

/// "The list holds this value": `json_each` on SQLite, containment (`@>`, which a GIN index
/// could serve) on PostgreSQL.
fn push_contains_one(sql: &mut Sql, backend: Backend, array: &str, element: Option<&str>, value: &Scalar) {
    match backend {
        Backend::Sqlite => {
            sql.push("EXISTS (SELECT 1 FROM json_each(").push(array).push(") je WHERE ");
            match element {
                Some(key) => sql.push("json_extract(je.value, '$.").push(key).push("') = "),
                None => sql.push("je.value = "),
            };
            sql.bind(scalar(value)).push(")");
        }
        Backend::Postgres => {
            let cast = if matches!(value, Scalar::Int(_)) { "::bigint" } else { "::text" };
            sql.push("COALESCE(").push(array).push(" @> jsonb_build_array(");
            match element {
                Some(key) => {
                    sql.push("jsonb_build_object('").push(key).push("', ").bind(scalar(value)).push(cast).push(")");
                }
                None => {
                    sql.bind(scalar(value)).push(cast);
                }
            }
            sql.push("), FALSE)");
        }
    }
}

fn push_many_filter(sql: &mut Sql, backend: Backend, array: &str, element: Option<&str>, filter: &Filter) {
    match filter.op {
        Op::Null => {
            let is_null = matches!(filter.values[0], Scalar::Bool(true));
            sql.push(array).push(if is_null { " IS NULL" } else { " IS NOT NULL" });
        }
        op => {
            if matches!(op, Op::Ne | Op::Nin) {
                sql.push("NOT ");
            }
            sql.push("(");
            for (i, value) in filter.values.iter().enumerate() {
                if i > 0 {
                    sql.push(" OR ");
                }
                push_contains_one(sql, backend, array, element, value);
            }
            sql.push(")");
        }
    }
}

/// Appends ORDER BY (with `id` as the final tie-break, so pages are stable), LIMIT, OFFSET.
pub fn push_page(columns: &dyn Columns, sql: &mut Sql, query: &ListQuery) {
    let id = columns.column("id").map(|c| c.sql).unwrap_or("id");
    sql.push(" ORDER BY ");
    let mut has_id = false;
    for (i, sort) in query.sort.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        has_id |= sort.field == "id";
        sql.push(columns.column(&sort.field).map(|c| c.sql).unwrap_or(id)).push(if sort.desc {
            " DESC"
        } else {
            " ASC"
        });
        // Both backends put NULLs at the same end: first when ascending. An id is never null,
        // and saying so anyway would keep PostgreSQL from walking the primary key in order (it
        // would sort the whole table for a page).
        if sort.field != "id" {
            sql.push(if sort.desc { " NULLS LAST" } else { " NULLS FIRST" });
        }
    }
    if !has_id {
        // The tie-break follows the last sort's direction, so an index on (value, id) serves
        // the whole ORDER BY in one scan, forwards or backwards.
        let desc = query.sort.last().is_some_and(|s| s.desc);
        sql.push(", ").push(id).push(if desc { " DESC" } else { " ASC" });
    }
    sql.push(" LIMIT ").bind(query.limit as i64);
    sql.push(" OFFSET ").bind(query.start.min(i64::MAX as u64) as i64);
}

#[cfg(test)]
mod tests {
    use super::*;
    use enspace_domain::list::{parse, Paging};

    const SPEC: ListSpec = ListSpec {
        fields: &[
            ListField { name: "id", kind: FieldKind::Int, sql: "t.id" },
            ListField { name: "name", kind: FieldKind::Text, sql: "t.name" },
        ],
        search: &["t.name", "t.reference"],
        default_sort: ("id", false),
    };

    fn compile(pairs: &[(&str, &str)], backend: Backend) -> Sql {
        let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let q = parse(&pairs, &SPEC, Paging::default(), &[]).unwrap();
        let mut sql = Sql::new("SELECT * FROM t WHERE t.ws = ");
        sql.bind(1i64);
        SPEC.push_conditions(&mut sql, backend, &q);
        SPEC.push_page(&mut sql, &q);
        sql
    }

    #[test]
    fn compiles_filters_search_and_paging() {
        let sql = compile(
            &[("name_contains", "50%"), ("id_in", "1"), ("id_in", "2"), ("_q", "ac"), ("_sort", "name:desc")],
            Backend::Sqlite,
        );
        assert_eq!(
            sql.text,
            "SELECT * FROM t WHERE t.ws = $1 AND enspace_lower(t.name) LIKE $2 ESCAPE '\\' AND t.id IN ($3, $4) \
             AND (enspace_lower(t.name) LIKE $5 ESCAPE '\\' OR enspace_lower(t.reference) LIKE $6 ESCAPE '\\') \
             ORDER BY t.name DESC NULLS LAST, t.id DESC LIMIT $7 OFFSET $8"
        );
        assert_eq!(sql.params[1], Value::from("%50\\%%"));
        assert_eq!(sql.params[6], Value::from(100i64));
    }

    #[test]
    fn dialects_differ_only_where_they_must() {
        let sql = compile(&[("name_contains", "a"), ("name_containss", "B")], Backend::Postgres);
        assert!(sql.text.contains("t.name ILIKE $2 ESCAPE '\\' AND strpos(t.name, $3) > 0"), "{}", sql.text);
        let sql = compile(&[("name_containss", "B")], Backend::Sqlite);
        assert!(sql.text.contains("instr(t.name, $2) > 0"), "{}", sql.text);
    }
}
