use enspace_domain::{catalogue::FieldType, fields::FieldDef};
use jiff::tz::TimeZone;
use serde_json::{json, Map, Value};

use super::*;

fn def(field_type: FieldType, options: Value, nested: Vec<FieldDef>) -> FieldDef {
    FieldDef {
        ref_id: "f".into(),
        name: "f".into(),
        label: "f".into(),
        field_type,
        required: false,
        unique: false,
        indexed: false,
        active: true,
        default_value: None,
        validation: Vec::new(),
        options: options.as_array().cloned().unwrap_or_default(),
        config: Map::new(),
        opt_config: Map::new(),
        c_format: Value::Null,
        nested,
    }
}

fn text(field_type: FieldType, value: Value, locale: Locale) -> String {
    let zone = TimeZone::get("America/Sao_Paulo").unwrap();
    let options = json!([{ "value": "a", "label": "Aberto" }, { "value": "p", "label": "Predial",
        "children": [{ "value": "e", "label": "Elétrica" }] }]);
    cell(&def(field_type, options, Vec::new()), Some(&value), &Shown { locale, zone: &zone }).text
}

#[test]
fn every_type_reads_as_one_line_in_both_languages() {
    use FieldType::*;
    let pt = Locale::PtBr;
    let cases: Vec<(FieldType, Value, &str, &str)> = vec![
        (InputText, json!("Olá"), "Olá", "Olá"),
        (EnTextArea, json!("linha 1\nlinha 2"), "linha 1", "linha 1"),
        (EnHtml, json!("<p>Oi <b>você</b></p>"), "Oi você", "Oi você"),
        (EnlNumber, json!(1234.5), "1.234,5", "1,234.5"),
        (EnCurrency, json!({ "value": 3750.25, "currency": "USD" }), "US$\u{a0}3.750,25", "$3,750.25"),
        (EnlDropdown, json!("a"), "Aberto", "Aberto"),
        (MultiSelect, json!(["a", "z"]), "Aberto, z", "Aberto, z"),
        (EnlChips, json!(["x", "y"]), "x, y", "x, y"),
        (EnTreeSelect, json!("p.e"), "Elétrica", "Elétrica"),
        (InputSwitch, json!(false), "Não", "No"),
        (EnlCalendar, json!("2026-09-30T21:04:00.000Z"), "30/09/2026 18:04", "Sep 30, 2026, 6:04 PM"),
        (EnlCalendar, json!("2026-09-30"), "30/09/2026", "Sep 30, 2026"),
        (EnRel, json!({ "id": 1, "reference": "CLI1", "display": "Lima" }), "Lima", "Lima"),
        (
            EnRel,
            json!({ "id": 1, "reference": "CLI1", "display": null, "missing": true }),
            "(item removido)",
            "(item removed)",
        ),
        (
            EnRelMulti,
            json!([{ "reference": "CLI1", "display": "" }, { "reference": "CLI2", "display": "Souza" }]),
            "CLI1, Souza",
            "CLI1, Souza",
        ),
        (
            EnPerson,
            json!({ "person_type": "PF", "name": "Ana", "cpf": "52998224725" }),
            "Ana (52998224725)",
            "Ana (52998224725)",
        ),
        (EnAddress, json!({ "city": "Recife", "state": "PE" }), "Recife/PE", "Recife/PE"),
        (
            UploadFile,
            json!([{ "id": 1, "filename": "a.pdf" }, { "id": 2, "filename": "b.pdf" }]),
            "2 arquivos",
            "2 files",
        ),
        (EnESign, json!({ "signer": "Ana" }), "Assinado Ana", "Signed Ana"),
        (EnRepeater, json!([{}, {}, {}]), "3 linhas", "3 rows"),
        (EnChats, json!([{ "text": "oi" }]), "1 mensagem", "1 message"),
        (IdPersonalizado, json!("OS-0001"), "OS-0001", "OS-0001"),
    ];
    for (field_type, value, in_pt, in_en) in cases {
        assert_eq!(text(field_type, value.clone(), pt), in_pt, "{field_type:?} {value}");
        assert_eq!(text(field_type, value.clone(), Locale::En), in_en, "{field_type:?} {value}");
    }
}

#[test]
fn cells_say_what_they_cut_and_align_numbers() {
    let zone = TimeZone::UTC;
    let shown = Shown { locale: Locale::PtBr, zone: &zone };
    let area = def(FieldType::EnTextArea, Value::Null, Vec::new());
    assert_eq!(
        cell(&area, Some(&json!("a\nb")), &shown),
        Cell { text: "a".into(), title: Some("a\nb".into()), numeric: false }
    );
    let number = def(FieldType::EnlNumber, Value::Null, Vec::new());
    assert!(cell(&number, Some(&json!(2)), &shown).numeric);
    assert_eq!(cell(&number, None, &shown), Cell::default(), "absent is empty");
    assert_eq!(cell(&number, Some(&Value::Null), &shown), Cell::default());
    let tree = def(FieldType::EnTreeSelect, json!([{ "value": "p", "label": "Predial", "children": [] }]), Vec::new());
    assert_eq!(cell(&tree, Some(&json!("p.x")), &shown).title.as_deref(), Some("Predial › x"));
    let mut child = def(FieldType::InputText, Value::Null, Vec::new());
    child.ref_id = "nome".into();
    let group = def(FieldType::Group, Value::Null, vec![child]);
    assert_eq!(cell(&group, Some(&json!({ "nome": "Ana" })), &shown).text, "Ana");
}
