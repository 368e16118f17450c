mod common;
use common::*;
use kiosk_domain::*;

fn errors_of(menu: &Menu) -> Vec<String> {
    menu.validate().into_iter().map(|e| e.to_string()).collect()
}

#[test]
fn the_example_menu_is_valid() {
    assert_eq!(errors_of(&example_menu()), Vec::<String>::new());
}

#[test]
fn every_problem_is_reported_with_its_place() {
    let mut menu = example_menu();
    menu.items[1].id = menu.items[0].id.clone(); // duplicate id
    menu.items[2].price = Money(-100); // negative
    menu.option_groups[0].min = 4;
    menu.option_groups[0].max = 2; // min > max
    menu.items[4].name.0.remove(&Lang::En); // missing translation
    menu.items[5].category = "nope".into();
    let errors = errors_of(&menu);
    let expect = [
        "items[1].id: duplicate id \"bulgogi-burger\"",
        "items[2] \"shrimp-burger\".price: price -100 is negative",
        "option_groups[0] \"extras\".min: min 4 is greater than max 2",
        "items[4] \"fries\".name: missing translation: en",
        "items[5] \"cheese-sticks\".category: unknown category \"nope\"",
    ];
    for e in expect {
        assert!(errors.iter().any(|got| got == e), "missing {e:?} in {errors:#?}");
    }
}

#[test]
fn structural_errors_in_groups_and_sets() {
    let mut menu = example_menu();
    // a second nesting level
    let dip = menu.option_groups.iter_mut().find(|g| g.id.0 == "dip").unwrap();
    dip.options[0].option_groups.push("temperature".into());
    // a set inside a set, and an unknown choice
    let set = menu.items.iter_mut().find(|i| i.id.0 == "bulgogi-set").unwrap();
    let steps = &mut set.set.as_mut().unwrap().steps;
    steps[0].choices.push(SetChoice { item: "bulgogi-set".into(), price_delta: Money(0) });
    steps[1].choices.push(SetChoice { item: "ghost".into(), price_delta: Money(0) });
    let errors = errors_of(&menu);
    assert!(errors.iter().any(|e| e.contains("only one nested level")), "{errors:#?}");
    assert!(errors.iter().any(|e| e.contains("a set cannot contain itself")), "{errors:#?}");
    assert!(errors.iter().any(|e| e.contains("unknown item \"ghost\"")), "{errors:#?}");
}

#[test]
fn options_that_push_a_price_below_zero_are_refused() {
    let mut menu = example_menu();
    menu.option_groups[0].options[2].price_delta = Money(-6000); // "no pickles −6000" on a 5500 burger
    let errors = errors_of(&menu);
    assert!(
        errors.iter().any(|e| e.starts_with("items[0] \"bulgogi-burger\".price: options can bring")),
        "{errors:#?}"
    );
}

#[test]
fn languages_must_include_korean_and_english() {
    let mut menu = example_menu();
    menu.languages = vec![Lang::Ko];
    assert!(errors_of(&menu).contains(&"languages: must include \"en\"".to_owned()));
}

#[test]
fn unknown_fields_in_the_menu_file_are_rejected() {
    let broken = EXAMPLE_MENU.replacen("\"price\": 5500", "\"prise\": 5500", 1);
    let err = serde_json::from_str::<Menu>(&broken).unwrap_err();
    assert!(err.to_string().contains("unknown field `prise`"), "{err}");
}

#[test]
fn breakfast_is_only_sold_in_the_morning() {
    let menu = example_menu();
    let muffin = menu.item(&"morning-muffin".into()).unwrap();
    assert!(!menu.is_available(muffin, lunch_time()));
    let morning = LocalTime { weekday: Weekday::Sat, time: "07:00".parse().unwrap() };
    assert!(menu.is_available(muffin, morning));
}

#[test]
fn request_presets_are_offered_by_scope_and_category_and_checked() {
    let menu = example_menu();
    let burger = menu.item(&"bulgogi-burger".into()).unwrap();
    let cola = menu.item(&"cola".into()).unwrap();
    let ids = |it: &mut dyn Iterator<Item = &NotePreset>| it.map(|p| p.id.0.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&mut menu.item_presets(burger)), ["less-spicy"]);
    assert_eq!(ids(&mut menu.item_presets(cola)), ["less-ice"]);
    assert_eq!(ids(&mut menu.order_presets()), ["extra-napkins"]);

    let mut bad = menu.clone();
    bad.note_presets[0].categories.push("nope".into());
    bad.note_presets[1].text.0.insert(Lang::Ko, "얼음\n적게".into());
    bad.note_presets[2].categories.push("drinks".into());
    bad.note_presets[2].text.0.insert(Lang::En, "x".repeat(NOTE_MAX_CHARS + 1));
    bad.note_presets.push(bad.note_presets[0].clone());
    let errors = errors_of(&bad);
    for e in [
        "note_presets[0] \"less-spicy\".categories[2]: unknown category \"nope\"",
        "note_presets[1] \"less-ice\".text.ko: a request may not contain control or formatting characters (U+000A)",
        "note_presets[2] \"extra-napkins\".categories: an order's preset is not offered by category",
        "note_presets[2] \"extra-napkins\".text.en: a request may be at most 40 characters (41 given)",
        "note_presets[3].id: duplicate id \"less-spicy\"",
    ] {
        assert!(errors.iter().any(|got| got == e), "missing {e:?} in {errors:#?}");
    }
}

#[test]
fn no_item_or_order_is_offered_more_presets_than_a_note_may_carry() {
    let mut menu = example_menu();
    let preset = menu.note_presets[2].clone(); // an order's
    for n in 0..NOTE_MAX_PRESETS {
        let mut extra = preset.clone();
        extra.id = NoteId(format!("order-{n}"));
        menu.note_presets.push(extra);
    }
    let errors = errors_of(&menu);
    assert!(
        errors.contains(&"note_presets: more than 10 presets are offered on the order".to_owned()),
        "{errors:#?}"
    );
}
