//! The list-language fields of an item type, and where each value lives: one description that
//! the SQL compiler (`store::indexes`, `store::items`) and the in-memory condition evaluator
//! (`conditions`) both read, so a filter and a conditional mean the same thing.

use crate::{
    catalogue::Shape,
    fields::FieldDef,
    list::{FieldKind, ListSchema, Sort},
};

/// How a value is held, when that is not a plain comparable scalar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repr {
    Scalar,
    /// An ISO 8601 text in JSON (item dates): instants are compared as canonical text, which
    /// sorts like time; `date_only` fields hold `YYYY-MM-DD`.
    IsoText {
        date_only: bool,
    },
    /// A JSON array: strings, or objects keyed by `element` (`id`, `reference`) for relations.
    Many {
        element: Option<&'static str>,
    },
}

/// How a value is read from its JSON: as text, as a number or boolean (any other JSON type reads
/// as absent), or as the JSON itself (arrays, objects).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    Text,
    Number,
    Integer,
    Bool,
    Json,
}

/// A `data.…` list-language field: its name, kind, its path in the item's data, how it reads.
#[derive(Debug, Clone, PartialEq)]
pub struct DataColumn {
    pub name: String,
    pub kind: FieldKind,
    pub path: Vec<String>,
    pub read: Read,
    pub repr: Repr,
}

/// The native item columns of the list language, with their kinds.
pub const NATIVE: [(&str, FieldKind); 10] = [
    ("id", FieldKind::Int),
    ("reference", FieldKind::Text),
    ("status", FieldKind::Enum(&crate::items::STATUSES)),
    ("isDraft", FieldKind::Bool),
    ("form", FieldKind::Text),
    ("request_email", FieldKind::Text),
    ("user", FieldKind::Int),
    ("created_by", FieldKind::Int),
    ("created_at", FieldKind::Time),
    ("updated_at", FieldKind::Time),
];

/// The list-language fields a field contributes: its value, and sub-keys where it has them.
pub fn data_columns(def: &FieldDef) -> Vec<DataColumn> {
    let r = def.ref_id.as_str();
    let name = format!("data.{r}");
    let col = |name: String, kind, path: &[&str], read, repr| DataColumn {
        name,
        kind,
        path: path.iter().map(|p| p.to_string()).collect(),
        read,
        repr,
    };
    let sub = |key: &str, kind| col(format!("data.{r}.{key}"), kind, &[r, key], Read::Text, Repr::Scalar);
    match def.shape() {
        Shape::Text | Shape::Choice | Shape::Tree | Shape::Code => {
            vec![col(name, FieldKind::Text, &[r], Read::Text, Repr::Scalar)]
        }
        Shape::Number => vec![col(name, FieldKind::Real, &[r], Read::Number, Repr::Scalar)],
        Shape::Currency => vec![
            col(name, FieldKind::Real, &[r, "value"], Read::Number, Repr::Scalar),
            sub("currency", FieldKind::Text),
        ],
        Shape::Bool => vec![col(name, FieldKind::Bool, &[r], Read::Bool, Repr::Scalar)],
        Shape::Date => vec![col(
            name,
            FieldKind::Time,
            &[r],
            Read::Text,
            Repr::IsoText { date_only: def.config_bool("date_only") },
        )],
        Shape::Rel => {
            vec![col(name, FieldKind::Int, &[r, "id"], Read::Integer, Repr::Scalar), sub("reference", FieldKind::Text)]
        }
        Shape::RelMulti => vec![
            col(name.clone(), FieldKind::ManyInt, &[r], Read::Json, Repr::Many { element: Some("id") }),
            col(
                format!("{name}.reference"),
                FieldKind::ManyText,
                &[r],
                Read::Json,
                Repr::Many { element: Some("reference") },
            ),
        ],
        Shape::Choices => vec![col(name, FieldKind::ManyText, &[r], Read::Json, Repr::Many { element: None })],
        Shape::Person | Shape::Address => {
            let keys: &[&str] = if def.shape() == Shape::Person {
                &["name", "cpf", "cnpj", "razao_social", "nome_fantasia", "email", "person_type"]
            } else {
                &["street", "number", "neighborhood", "city", "state", "zip", "country"]
            };
            let mut out = vec![col(name, FieldKind::Opaque, &[r], Read::Json, Repr::Scalar)];
            out.extend(keys.iter().map(|key| sub(key, FieldKind::Text)));
            out
        }
        Shape::Files | Shape::Group | Shape::Repeater | Shape::ServerObject => {
            vec![col(name, FieldKind::Opaque, &[r], Read::Json, Repr::Scalar)]
        }
    }
}

/// A type's list-language fields: the native columns and every field's.
#[derive(Debug, Clone)]
pub struct TypeColumns {
    pub data: Vec<DataColumn>,
}

impl TypeColumns {
    pub fn new<'a>(fields: impl IntoIterator<Item = &'a FieldDef>) -> TypeColumns {
        TypeColumns { data: fields.into_iter().flat_map(data_columns).collect() }
    }

    pub fn data_column(&self, name: &str) -> Option<&DataColumn> {
        self.data.iter().find(|c| c.name == name)
    }
}

impl ListSchema for TypeColumns {
    fn field(&self, name: &str) -> Option<FieldKind> {
        NATIVE.iter().find(|(n, _)| *n == name).map(|(_, k)| *k).or_else(|| self.data_column(name).map(|c| c.kind))
    }

    fn searchable(&self) -> bool {
        false
    }

    fn default_sort(&self) -> Sort {
        Sort { field: "id".into(), desc: false }
    }
}
