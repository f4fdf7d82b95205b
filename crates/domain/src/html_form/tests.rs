use jiff::tz::TimeZone;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

use super::*;

fn def(ref_id: &str, field_type: FieldType) -> FieldDef {
    FieldDef {
        ref_id: ref_id.into(),
        name: ref_id.into(),
        label: ref_id.into(),
        field_type,
        required: false,
        unique: false,
        indexed: false,
        active: true,
        default_value: None,
        validation: Vec::new(),
        options: Vec::new(),
        config: Map::new(),
        opt_config: Map::new(),
        c_format: Value::Null,
        nested: Vec::new(),
    }
}

fn with_config(mut d: FieldDef, config: Value) -> FieldDef {
    d.config = config.as_object().cloned().unwrap_or_default();
    d
}

fn with_nested(mut d: FieldDef, nested: Vec<FieldDef>) -> FieldDef {
    d.nested = nested;
    d
}

/// One field of each of the 30 catalogue types (a group and a repeater holding a few), named by
/// their type.
fn catalogue() -> Vec<FieldDef> {
    use FieldType::*;
    let children =
        || vec![def("nome", InputText), def("qtd", EnlNumber), def("ok", InputSwitch), def("dia", EnlCalendar)];
    vec![
        def("texto", InputText),
        def("area", EnTextArea),
        def("html", EnHtml),
        def("notas", EnNotes),
        with_config(def("mascara", EnlMask), json!({ "mask": "99999-999" })),
        def("email", Email),
        def("numero", EnlNumber),
        def("preco", EnCurrency),
        def("estado", EnlDropdown),
        def("radio", RadioButton),
        def("multi", MultiSelect),
        def("caixas", Checkbox),
        def("chips", EnlChips),
        def("arvore", EnTreeSelect),
        def("ativo", InputSwitch),
        def("quando", EnlCalendar),
        with_config(def("dia", EnlCalendar), json!({ "date_only": true })),
        def("cliente", EnRel),
        def("clientes", EnRelMulti),
        def("pessoa", EnPerson),
        def("endereco", EnAddress),
        def("arquivos", UploadFile),
        def("imagens", UploadImage),
        def("pdf", EnPdf),
        def("docs", EnOnlyoffice),
        def("assinatura", EnESign),
        with_nested(def("grupo", Group), children()),
        with_nested(def("itens", EnRepeater), children()),
        def("conversa", EnChats),
        def("codigo", EnCustomCode),
        def("id_p", IdPersonalizado),
    ]
}

fn zone(name: &str) -> TimeZone {
    TimeZone::get(name).unwrap()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
}

fn object(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap()
}

fn details(result: Result<Map<String, Value>, Vec<Detail>>) -> Vec<(String, String)> {
    result.unwrap_err().into_iter().map(|d| (d.path, d.message)).collect()
}

#[test]
fn a_create_form_decodes_each_shape() {
    let sp = zone("America/Sao_Paulo");
    let form = pairs(&[
        ("data.texto", "Olá"),
        ("data.numero", "3,5"),
        ("data.preco.value", "1234.56"),
        ("data.preco.currency", "USD"),
        ("data.estado", "aberto"),
        ("data.multi", ""),
        ("data.multi", "a"),
        ("data.multi", "b"),
        ("data.chips", "x, y ,,z"),
        ("data.ativo", ""),
        ("data.ativo", "true"),
        ("data.quando", "2026-03-12T17:46"),
        ("data.dia", "2026-03-12"),
        ("data.cliente", "CLI-1"),
        ("data.clientes", ""),
        ("data.clientes", "CLI-2"),
        ("data.pessoa.person_type", "PF"),
        ("data.pessoa.name", "Ana"),
        ("data.pessoa.cpf", "529.982.247-25"),
        ("data.pessoa.razao_social", "left over from PJ"),
        ("data.endereco.city", "Recife"),
        ("data.endereco.state", "PE"),
        ("data.arquivos", ""),
        ("data.arquivos", "7"),
        ("data.grupo.nome", "g"),
        ("data.itens", ""),
        ("data.itens.3.nome", "third posted"),
        ("data.itens.1.qtd", "2"),
        ("data.itens.2.nome", ""),
        ("data.assinatura", "crafted"),
        ("data.codigo", "crafted"),
        ("data.desconhecido", "ignored"),
    ]);
    let data = decode(&catalogue(), &form, Mode::Create, &sp).unwrap();
    assert_eq!(
        Value::Object(data),
        json!({
            "texto": "Olá",
            "numero": 3.5,
            "preco": { "value": 1234.56, "currency": "USD" },
            "estado": "aberto",
            "multi": ["a", "b"],
            "chips": ["x", "y", "z"],
            "ativo": true,
            "quando": "2026-03-12T20:46:00.000Z",
            "dia": "2026-03-12",
            "cliente": { "reference": "CLI-1" },
            "clientes": [{ "reference": "CLI-2" }],
            "pessoa": { "person_type": "PF", "name": "Ana", "cpf": "529.982.247-25" },
            "endereco": { "city": "Recife", "state": "PE" },
            "arquivos": [{ "id": 7 }],
            "grupo": { "nome": "g" },
            "itens": [{ "qtd": 2 }, { "nome": "third posted" }],
        })
    );
}

#[test]
fn on_a_create_empty_inputs_send_nothing() {
    let utc = zone("UTC");
    let mut form = Vec::new();
    for d in catalogue().iter().filter(|d| d.shape() != Shape::Bool) {
        // What a blank form posts: empty text inputs and the markers; unchecked boxes nothing
        // (and a switch no marker until it is touched).
        form.push((format!("data.{}", d.ref_id), String::new()));
    }
    form.extend(pairs(&[("data.preco.value", ""), ("data.preco.currency", "BRL"), ("data.pessoa.person_type", "PF")]));
    assert_eq!(decode(&catalogue(), &form, Mode::Create, &utc).unwrap(), Map::new());
}

/// Names that sort between a field's name and its sub-names (`-` comes before `.`) do not hide
/// the sub-names.
#[test]
fn sub_names_are_found_past_neighbouring_names() {
    let defs = [with_nested(def("itens", FieldType::EnRepeater), vec![def("nome", FieldType::InputText)])];
    let form = pairs(&[("data.itens", ""), ("data.itens-x", "other"), ("data.itens.0.nome", "a")]);
    assert_eq!(
        decode(&defs, &form, Mode::Create, &zone("UTC")).unwrap(),
        object(json!({ "itens": [{ "nome": "a" }] }))
    );
}

#[test]
fn a_switch_is_false_only_when_its_marker_is_posted() {
    let utc = zone("UTC");
    let defs = [def("ativo", FieldType::InputSwitch)];
    let create = |form: &[(&str, &str)]| decode(&defs, &pairs(form), Mode::Create, &utc).unwrap();
    assert_eq!(create(&[]), Map::new());
    assert_eq!(create(&[("data.ativo", "")]), object(json!({ "ativo": false })));
    assert_eq!(create(&[("data.ativo", ""), ("data.ativo", "true")]), object(json!({ "ativo": true })));
    let current = object(json!({ "ativo": true }));
    let edit = decode(&defs, &pairs(&[("data.ativo", "")]), Mode::Edit(&current), &utc).unwrap();
    assert_eq!(edit, object(json!({ "ativo": false })), "unchecking a stored true");
}

#[test]
fn an_edit_sends_changes_and_clears_and_leaves_fields_off_the_form_alone() {
    let utc = zone("UTC");
    let current = object(json!({
        "texto": "a",
        "numero": 12,
        "cliente": { "id": 43, "reference": "CLI-1" },
        "multi": ["a"],
        "notas": "kept: not on this form",
        "itens": [{ "nome": "x" }, { "nome": "y" }],
    }));
    let form = pairs(&[
        ("data.texto", "a"),
        ("data.numero", "12.0"),
        ("data.cliente", "CLI-1"),
        ("data.multi", ""),
        ("data.itens", ""),
        ("data.itens.0.nome", "x"),
        ("data.itens.2.nome", ""),
        ("data.email", "new@example.com"),
    ]);
    let changes = decode(&catalogue(), &form, Mode::Edit(&current), &utc).unwrap();
    assert_eq!(
        Value::Object(changes),
        json!({ "multi": null, "itens": [{ "nome": "x" }], "email": "new@example.com" }),
        "unchanged text, number and relation are not sent; the emptied list is cleared; the row removed is gone"
    );
}

#[test]
fn values_that_do_not_parse_are_problems_at_their_paths() {
    let utc = zone("UTC");
    let form = pairs(&[
        ("data.numero", "doze"),
        ("data.preco.value", "R$ 10"),
        ("data.quando", "amanhã"),
        ("data.dia", "12/03/2026"),
        ("data.arquivos", "x"),
        ("data.pessoa.name", "Ana"),
        ("data.itens.0.qtd", "muitos"),
        ("data.itens.a.qtd", "1"),
        ("data.grupo.dia", "2026-13-40"),
        ("data.ativo", "yes"),
    ]);
    assert_eq!(
        details(decode(&catalogue(), &form, Mode::Create, &utc)),
        [
            ("data.numero".to_string(), "expected a number, got \"doze\"".to_string()),
            ("data.preco.value".into(), "expected an amount, got \"R$ 10\"".into()),
            ("data.ativo".into(), "expected a switch that is on or off, got [\"yes\"]".into()),
            ("data.quando".into(), "expected a date and time YYYY-MM-DDTHH:MM, got \"amanhã\"".into()),
            ("data.dia".into(), "expected a date YYYY-MM-DD, got \"12/03/2026\"".into()),
            ("data.pessoa.person_type".into(), "choose PF or PJ".into()),
            ("data.arquivos".into(), "expected an uploaded file's id, got \"x\"".into()),
            ("data.grupo.dia".into(), "expected a date and time YYYY-MM-DDTHH:MM, got \"2026-13-40\"".into()),
            ("data.itens".into(), "\"data.itens.a.qtd\" is not a row of this list".into()),
        ]
    );
    let rows = pairs(&[("data.itens.0.qtd", "muitos")]);
    assert_eq!(
        details(decode(&catalogue(), &rows, Mode::Create, &utc)),
        [("data.itens[0].qtd".to_string(), "expected a number, got \"muitos\"".to_string())]
    );
}

#[test]
fn date_times_are_read_and_shown_in_the_workspace_zone() {
    let defs = [def("quando", FieldType::EnlCalendar)];
    let at = |zone_name: &str, local: &str| {
        decode(&defs, &pairs(&[("data.quando", local)]), Mode::Create, &zone(zone_name)).unwrap()["quando"].clone()
    };
    assert_eq!(at("America/Sao_Paulo", "2026-03-12T17:46"), json!("2026-03-12T20:46:00.000Z"));
    assert_eq!(at("Asia/Kolkata", "2026-03-12T17:46:40.548"), json!("2026-03-12T12:16:40.548Z"));
    // New York's clocks: 02:30 does not exist on 2026-03-08 (after the gap), and 01:30 happens
    // twice on 2026-11-01 (the earlier, still on daylight time).
    assert_eq!(at("America/New_York", "2026-03-08T02:30"), json!("2026-03-08T07:30:00.000Z"));
    assert_eq!(at("America/New_York", "2026-11-01T01:30"), json!("2026-11-01T05:30:00.000Z"));
    let stored = object(json!({ "quando": "2026-03-12T20:46:40.548Z" }));
    assert_eq!(
        encode(&defs, &stored, &zone("America/Sao_Paulo")),
        pairs(&[("data.quando", "2026-03-12T17:46:40.548")])
    );
}

/// A value the decoder can give back for `d`, as it gives it (relations by reference, files by
/// id, whole numbers as integers); `None` for an empty one.
fn value_of(d: &FieldDef) -> BoxedStrategy<Option<Value>> {
    let text = "[a-zA-Zà-ú0-9 ._-]{0,12}".prop_map(|t: String| t.trim().to_string());
    let some_text = |t: String| (!t.is_empty()).then(|| json!(t));
    let word = "[a-z]{1,6}";
    let value = match d.shape() {
        Shape::Text | Shape::Choice => text.prop_map(some_text).boxed(),
        Shape::Tree => {
            prop::collection::vec(word, 0..3).prop_map(|p| (!p.is_empty()).then(|| json!(p.join(".")))).boxed()
        }
        Shape::Number => prop_oneof![
            (-1_000_000i64..1_000_000).prop_map(|n| json!(n)),
            (-1_000_000i64..1_000_000).prop_map(|n| json!(n as f64 / 100.0 + 0.001)),
        ]
        .prop_map(|v| super::number(&v.to_string()))
        .boxed(),
        Shape::Currency => (0i64..10_000_000, prop::sample::select(vec!["BRL", "USD", "EUR"]))
            .prop_map(|(cents, c)| {
                Some(json!({ "value": super::number(&format!("{}", cents as f64 / 100.0)), "currency": c }))
            })
            .boxed(),
        Shape::Choices if d.field_type == FieldType::EnlChips => {
            prop::collection::vec(word, 0..4).prop_map(|list| (!list.is_empty()).then(|| json!(list))).boxed()
        }
        Shape::Choices => {
            prop::collection::vec(word, 0..4).prop_map(|list| (!list.is_empty()).then(|| json!(list))).boxed()
        }
        Shape::Bool => prop_oneof![Just(None), any::<bool>().prop_map(|b| Some(json!(b)))].boxed(),
        Shape::Date if d.config_bool("date_only") => (1990i16..2040, 1i8..=12, 1i8..=28)
            .prop_map(|(y, m, day)| Some(json!(format!("{y:04}-{m:02}-{day:02}"))))
            .boxed(),
        Shape::Date => (0i64..2_200_000_000_000).prop_map(|ms| Some(json!(format_ms(ms)))).boxed(),
        Shape::Rel => "[A-Z]{3}-[0-9]{1,4}".prop_map(|r| Some(json!({ "reference": r }))).boxed(),
        Shape::RelMulti => prop::collection::vec("[A-Z]{3}-[0-9]{1,4}", 0..3)
            .prop_map(|l| {
                (!l.is_empty()).then(|| Value::Array(l.into_iter().map(|r| json!({ "reference": r })).collect()))
            })
            .boxed(),
        Shape::Person => prop_oneof![
            Just(None),
            ("[A-Z][a-z]{1,8}", "[0-9]{11}")
                .prop_map(|(n, c)| Some(json!({ "person_type": "PF", "name": n, "cpf": c }))),
            ("[0-9]{14}", "[A-Z][a-z]{1,8}")
                .prop_map(|(c, r)| Some(json!({ "person_type": "PJ", "cnpj": c, "razao_social": r }))),
        ]
        .boxed(),
        Shape::Address => (prop::option::of("[A-Z][a-z]{1,8}"), prop::option::of("[A-Z]{2}"))
            .prop_map(|(city, state)| {
                let mut m = Map::new();
                city.map(|c| m.insert("city".into(), json!(c)));
                state.map(|s| m.insert("state".into(), json!(s)));
                (!m.is_empty()).then_some(Value::Object(m))
            })
            .boxed(),
        Shape::Files => prop::collection::vec(1i64..100_000, 0..3)
            .prop_map(|l| (!l.is_empty()).then(|| Value::Array(l.into_iter().map(|id| json!({ "id": id })).collect())))
            .boxed(),
        Shape::Group => data_of(&d.nested).prop_map(|m| (!m.is_empty()).then_some(Value::Object(m))).boxed(),
        Shape::Repeater => prop::collection::vec(data_of(&d.nested), 0..3)
            .prop_map(|rows| {
                let rows: Vec<Value> = rows.into_iter().filter(|r| !r.is_empty()).map(Value::Object).collect();
                (!rows.is_empty()).then_some(Value::Array(rows))
            })
            .boxed(),
        Shape::ServerObject | Shape::Code => Just(None).boxed(),
    };
    value
}

/// Data for `defs`: each field with a value or absent.
fn data_of(defs: &[FieldDef]) -> BoxedStrategy<Map<String, Value>> {
    let fields: Vec<(String, BoxedStrategy<Option<Value>>)> =
        defs.iter().map(|d| (d.ref_id.clone(), value_of(d))).collect();
    let (names, values): (Vec<String>, Vec<BoxedStrategy<Option<Value>>>) = fields.into_iter().unzip();
    values
        .prop_map(move |values| {
            names.iter().cloned().zip(values).filter_map(|(name, value)| value.map(|v| (name, v))).collect()
        })
        .boxed()
}

fn zones() -> impl Strategy<Value = TimeZone> {
    prop::sample::select(vec!["UTC", "America/Sao_Paulo", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"])
        .prop_map(zone)
}

/// Whether every date-time in `data` is one its zone's clock shows once (in the hour a clock
/// change repeats, a local time names two instants and the form keeps the earlier).
fn unambiguous(defs: &[FieldDef], data: &Map<String, Value>, zone: &TimeZone) -> bool {
    let mut ok = true;
    crate::values::each_value(data, defs, &mut |d: &FieldDef, v: &Value| {
        if d.shape() == Shape::Date && !d.config_bool("date_only") {
            let at = Timestamp::from_millisecond(parse_instant(v.as_str().unwrap()).unwrap()).unwrap();
            let local = at.to_zoned(zone.clone()).datetime();
            ok &= !zone.to_ambiguous_zoned(local).is_ambiguous();
        }
    });
    ok
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Shown and posted back unchanged, a value comes back as it was, for every field type.
    #[test]
    fn a_created_item_round_trips(data in data_of(&catalogue()), zone in zones()) {
        prop_assume!(unambiguous(&catalogue(), &data, &zone));
        let form = encode(&catalogue(), &data, &zone);
        prop_assert_eq!(decode(&catalogue(), &form, Mode::Create, &zone).unwrap(), data);
    }

    /// An edit form posted unchanged changes nothing.
    #[test]
    fn an_unchanged_edit_sends_nothing(data in data_of(&catalogue()), zone in zones()) {
        let form = encode(&catalogue(), &data, &zone);
        prop_assert_eq!(decode(&catalogue(), &form, Mode::Edit(&data), &zone).unwrap(), Map::new());
    }

    /// Changing one field's inputs sends exactly that field: its new value, or `null` when it
    /// was emptied.
    #[test]
    fn an_edit_of_one_field_sends_that_field(
        (data, index, other) in (data_of(&catalogue()), 0..catalogue().len())
            .prop_flat_map(|(data, index)| (Just(data), Just(index), value_of(&catalogue()[index]))),
        zone in zones(),
    ) {
        let defs = catalogue();
        let d = &defs[index];
        prop_assume!(writable(d) && other.as_ref() != data.get(&d.ref_id));
        // A switch shows on or off; the form has no way back to "never set".
        prop_assume!(!(d.shape() == Shape::Bool && other.is_none()));
        let mut changed = data.clone();
        match &other {
            Some(v) => changed.insert(d.ref_id.clone(), v.clone()),
            None => changed.remove(&d.ref_id),
        };
        prop_assume!(unambiguous(&defs, &changed, &zone));
        let mut form = encode(&defs, &changed, &zone);
        // An emptied field still posts its empty input.
        form.push((format!("data.{}", d.ref_id), String::new()));
        let sent = decode(&defs, &form, Mode::Edit(&data), &zone).unwrap();
        let expected = match other {
            Some(v) => v,
            None if data.contains_key(&d.ref_id) => Value::Null,
            None => return Ok(()),
        };
        prop_assert_eq!(sent, Map::from_iter([(d.ref_id.clone(), expected)]));
    }
}

/// Browsers send a textarea's line breaks as CR LF: they are read as LF, so a text written
/// through the API with LF is unchanged by saving the form as shown.
#[test]
fn line_breaks_from_a_browser_are_line_feeds() {
    let sp = zone("America/Sao_Paulo");
    let defs = vec![def("area", FieldType::EnTextArea)];
    let created = decode(&defs, &pairs(&[("data.area", "a\r\nb\rc")]), Mode::Create, &sp).unwrap();
    assert_eq!(Value::Object(created), json!({ "area": "a\nb\nc" }));
    let stored = object(json!({ "area": "a\nb" }));
    let resent = pairs(&[("data.area", "a\r\nb")]);
    assert_eq!(decode(&defs, &resent, Mode::Edit(&stored), &sp).unwrap(), Map::new(), "no change");
    let stored_crlf = object(json!({ "area": "a\r\nb" }));
    assert_eq!(decode(&defs, &resent, Mode::Edit(&stored_crlf), &sp).unwrap(), Map::new(), "no change either");
}
