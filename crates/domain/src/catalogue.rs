//! The field-type catalogue of spec/types-fields-items.md: the wire keys, the reference's simple
//! names, and what kind of value each type holds.

/// A field's type, by its catalogue key [wire].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    InputText,
    EnTextArea,
    EnHtml,
    EnNotes,
    EnlMask,
    Email,
    EnlNumber,
    EnCurrency,
    EnlDropdown,
    RadioButton,
    MultiSelect,
    Checkbox,
    EnlChips,
    EnTreeSelect,
    InputSwitch,
    EnlCalendar,
    EnRel,
    EnRelMulti,
    EnPerson,
    EnAddress,
    UploadFile,
    UploadImage,
    EnPdf,
    EnOnlyoffice,
    EnESign,
    Group,
    EnRepeater,
    EnChats,
    EnCustomCode,
    IdPersonalizado,
}

/// The shape of a value, which decides how it is checked, filtered and indexed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Text,
    Number,
    Currency,
    /// One option value.
    Choice,
    /// Several option values (free text for chips).
    Choices,
    /// A dotted path in an option tree.
    Tree,
    Bool,
    Date,
    Rel,
    RelMulti,
    Person,
    Address,
    Files,
    Group,
    Repeater,
    /// Written by the server only (e-signature, conversations).
    ServerObject,
    /// Built by the server on create from `config.components`.
    Code,
}

const ALL: [(FieldType, &str); 30] = [
    (FieldType::InputText, "inputText"),
    (FieldType::EnTextArea, "EnTextArea"),
    (FieldType::EnHtml, "EnHtml"),
    (FieldType::EnNotes, "EnNotes"),
    (FieldType::EnlMask, "EnlMask"),
    (FieldType::Email, "email"),
    (FieldType::EnlNumber, "EnlNumber"),
    (FieldType::EnCurrency, "EnCurrency"),
    (FieldType::EnlDropdown, "EnlDropdown"),
    (FieldType::RadioButton, "radioButton"),
    (FieldType::MultiSelect, "multiSelect"),
    (FieldType::Checkbox, "checkbox"),
    (FieldType::EnlChips, "EnlChips"),
    (FieldType::EnTreeSelect, "EnTreeSelect"),
    (FieldType::InputSwitch, "inputSwitch"),
    (FieldType::EnlCalendar, "EnlCalendar"),
    (FieldType::EnRel, "EnRel"),
    (FieldType::EnRelMulti, "EnRelMulti"),
    (FieldType::EnPerson, "EnPerson"),
    (FieldType::EnAddress, "EnAddress"),
    (FieldType::UploadFile, "uploadFile"),
    (FieldType::UploadImage, "uploadImage"),
    (FieldType::EnPdf, "EnPDF"),
    (FieldType::EnOnlyoffice, "EnOnlyoffice"),
    (FieldType::EnESign, "EnESign"),
    (FieldType::Group, "group"),
    (FieldType::EnRepeater, "EnRepeater"),
    (FieldType::EnChats, "EnChats"),
    (FieldType::EnCustomCode, "EnCustomCode"),
    (FieldType::IdPersonalizado, "idPersonalizado"),
];

/// How a type was named in a request: the stored key, plus the config the simple name implies.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedType {
    pub field_type: FieldType,
    /// `url` is `inputText` with `config.masks: ["url"]`.
    pub implied_mask: Option<&'static str>,
}

impl FieldType {
    pub fn key(self) -> &'static str {
        ALL.iter().find(|(t, _)| *t == self).map(|(_, k)| *k).unwrap_or("inputText")
    }

    /// A catalogue key, an alias (`EnlCheckbox`), or one of the reference's simple names.
    pub fn parse(name: &str) -> Option<ParsedType> {
        let plain = |field_type| Some(ParsedType { field_type, implied_mask: None });
        if let Some((t, _)) = ALL.iter().find(|(_, k)| *k == name) {
            return plain(*t);
        }
        match name {
            "EnlCheckbox" => plain(FieldType::Checkbox),
            "text" => plain(FieldType::InputText),
            "number" => plain(FieldType::EnlNumber),
            "date" => plain(FieldType::EnlCalendar),
            "select" => plain(FieldType::EnlDropdown),
            "boolean" => plain(FieldType::InputSwitch),
            "url" => Some(ParsedType { field_type: FieldType::InputText, implied_mask: Some("url") }),
            _ => None,
        }
    }

    pub fn keys() -> impl Iterator<Item = &'static str> {
        ALL.iter().map(|(_, k)| *k)
    }

    pub fn shape(self) -> Shape {
        use FieldType::*;
        match self {
            InputText | EnTextArea | EnHtml | EnNotes | EnlMask | Email => Shape::Text,
            EnlNumber => Shape::Number,
            EnCurrency => Shape::Currency,
            EnlDropdown | RadioButton => Shape::Choice,
            MultiSelect | Checkbox | EnlChips => Shape::Choices,
            EnTreeSelect => Shape::Tree,
            InputSwitch => Shape::Bool,
            EnlCalendar => Shape::Date,
            EnRel => Shape::Rel,
            EnRelMulti => Shape::RelMulti,
            EnPerson => Shape::Person,
            EnAddress => Shape::Address,
            UploadFile | UploadImage | EnPdf | EnOnlyoffice => Shape::Files,
            Group => Shape::Group,
            EnRepeater => Shape::Repeater,
            EnESign | EnChats => Shape::ServerObject,
            EnCustomCode | IdPersonalizado => Shape::Code,
        }
    }

    /// Whether clients may write the value (the server writes the others).
    pub fn client_writable(self) -> bool {
        !matches!(self.shape(), Shape::ServerObject | Shape::Code)
    }

    /// Options are required (a choice must be one of them).
    pub fn needs_options(self) -> bool {
        matches!(self, FieldType::EnlDropdown | FieldType::RadioButton | FieldType::MultiSelect | FieldType::Checkbox)
            || self == FieldType::EnTreeSelect
    }

    /// Single-valued types whose value can be compared, and so be `unique` or `indexed`.
    pub fn comparable(self) -> bool {
        matches!(
            self.shape(),
            Shape::Text
                | Shape::Number
                | Shape::Currency
                | Shape::Choice
                | Shape::Tree
                | Shape::Bool
                | Shape::Date
                | Shape::Rel
                | Shape::Code
        )
    }

    /// Text a `_q` search looks into.
    pub fn searchable(self) -> bool {
        matches!(self.shape(), Shape::Text | Shape::Choice | Shape::Tree | Shape::Code)
    }

    /// Type changes that keep every stored value valid (spec: lossless).
    pub fn converts_losslessly_to(self, other: FieldType) -> bool {
        use FieldType::*;
        let text = [InputText, EnTextArea, EnHtml];
        let choice = [EnlDropdown, RadioButton];
        self == other
            || (text.contains(&self) && text.contains(&other))
            || (choice.contains(&self) && choice.contains(&other))
    }

    /// The `cFormat` the server reports when the client gives none.
    pub fn default_format(self) -> &'static str {
        match self.shape() {
            Shape::Number => "number",
            Shape::Currency => "currency",
            Shape::Choice | Shape::Choices | Shape::Tree => "list",
            Shape::Bool => "boolean",
            Shape::Date => "date",
            Shape::Rel | Shape::RelMulti => "relation",
            Shape::Files => "files",
            _ => "text",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_round_trips() {
        for key in FieldType::keys() {
            let parsed = FieldType::parse(key).unwrap();
            assert_eq!(parsed.field_type.key(), key);
            assert_eq!(parsed.implied_mask, None);
        }
    }

    #[test]
    fn simple_names_map_to_catalogue_keys() {
        let cases = [
            ("text", "inputText"),
            ("number", "EnlNumber"),
            ("date", "EnlCalendar"),
            ("select", "EnlDropdown"),
            ("boolean", "inputSwitch"),
            ("email", "email"),
            ("url", "inputText"),
            ("EnlCheckbox", "checkbox"),
        ];
        for (name, key) in cases {
            assert_eq!(FieldType::parse(name).unwrap().field_type.key(), key, "{name}");
        }
        assert_eq!(FieldType::parse("url").unwrap().implied_mask, Some("url"));
        assert_eq!(FieldType::parse("Text"), None);
    }

    #[test]
    fn lossless_changes_are_the_spec_pairs() {
        use FieldType::*;
        assert!(InputText.converts_losslessly_to(EnHtml));
        assert!(EnTextArea.converts_losslessly_to(InputText));
        assert!(RadioButton.converts_losslessly_to(EnlDropdown));
        assert!(!InputText.converts_losslessly_to(EnlNumber));
        assert!(!EnlDropdown.converts_losslessly_to(MultiSelect));
    }
}
