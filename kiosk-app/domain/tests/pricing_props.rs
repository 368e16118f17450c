//! Property tests for pricing: over random menus and random selections,
//! - totals are never negative and arithmetic never wraps (overflow is a typed error),
//! - VAT + supply value == total for every total and rate,
//! - option limits (min/max, required groups) are enforced exactly,
//! - set-menu prices are consistent: unit price = set price + chosen deltas, line = unit × qty.

mod common;

use common::*;
use kiosk_domain::*;
use proptest::prelude::*;

fn text(s: &str) -> Text {
    Text::new(s, s)
}

prop_compose! {
    /// A random but valid menu: one item with up to three option groups and one set using it.
    fn arb_menu()(
        base in 0i64..=menu::MAX_PRICE,
        groups in prop::collection::vec(
            (0u32..3, 1u32..4, prop::collection::vec(-2_000i64..1_000_000_000, 1..5)),
            0..4,
        ),
        set_price in 0i64..=menu::MAX_PRICE,
        step_deltas in prop::collection::vec(prop::collection::vec(0i64..100_000, 1..4), 1..3),
    ) -> Menu {
        let option_groups: Vec<OptionGroup> = groups.iter().enumerate().map(|(g, (min, max, deltas))| {
            let max = (*max).max(*min).max(1);
            let min = (*min).min(deltas.len() as u32);
            OptionGroup {
                id: GroupId(format!("g{g}")),
                name: text("group"),
                min,
                max,
                options: deltas.iter().enumerate().map(|(o, d)| MenuOption {
                    id: OptionId(format!("o{o}")),
                    name: text("option"),
                    price_delta: Money(*d),
                    sold_out: false,
                    option_groups: vec![],
                }).collect(),
            }
        }).collect();
        let item = |id: &str, price: i64, groups: Vec<GroupId>, set: Option<SetMenu>| Item {
            id: id.into(), category: "c".into(), name: text(id), description: None, price: Money(price),
            image: None, tags: vec![], allergens: vec![], option_groups: groups, set,
            sold_out: false, availability: vec![], max_per_order: None, barcode: None,
        };
        let mut items = vec![item("main", base, option_groups.iter().map(|g| g.id.clone()).collect(), None)];
        for (s, deltas) in step_deltas.iter().enumerate() {
            for c in 0..deltas.len() {
                items.push(item(&format!("part{s}-{c}"), 1000, vec![], None));
            }
        }
        let set = SetMenu {
            base: "main".into(),
            steps: step_deltas.iter().enumerate().map(|(s, deltas)| SetStep {
                id: StepId(format!("s{s}")),
                name: text("step"),
                choices: deltas.iter().enumerate().map(|(c, d)| SetChoice {
                    item: ItemId(format!("part{s}-{c}")), price_delta: Money(*d),
                }).collect(),
            }).collect(),
        };
        items.push(item("set", set_price, vec![], Some(set)));
        Menu {
            version: "p".into(), currency: Currency::Krw, vat_rate: None, languages: Lang::REQUIRED.to_vec(),
            categories: vec![Category { id: "c".into(), name: text("c"), image: None, availability: vec![] }],
            items, option_groups, note_presets: vec![], suggestions: vec![], stamps: None,
        }
    }
}

/// Random picks per group: any subset of option indexes (possibly breaking the limits).
fn arb_picks() -> impl Strategy<Value = Vec<Vec<usize>>> {
    prop::collection::vec(prop::collection::vec(0usize..5, 0..5), 0..4)
}

fn selection_for(menu: &Menu, picks: &[Vec<usize>], quantity: u32) -> Selection {
    let mut sel = Selection::of("main", quantity);
    for (g, chosen) in picks.iter().enumerate() {
        if let Some(group) = menu.option_groups.get(g) {
            let ids =
                chosen.iter().filter_map(|i| group.options.get(*i)).map(|o| Pick::plain(&o.id.0)).collect();
            sel.options.insert(group.id.clone(), ids);
        }
    }
    sel
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn vat_plus_supply_is_the_total(total in any::<i64>(), bp in any::<u16>()) {
        let split = Money(total).vat_split(VatRate::from_basis_points(bp));
        prop_assert_eq!(i128::from(split.supply.0) + i128::from(split.vat.0), i128::from(total));
        if total >= 0 {
            prop_assert!(split.vat.0 >= 0 && split.supply.0 >= 0 && split.vat.0 <= total);
        }
    }

    #[test]
    fn korean_vat_is_floor_of_a_eleventh(total in 0i64..=i64::MAX) {
        let split = Money(total).vat_split(VatRate::KOREA);
        prop_assert_eq!(split.vat.0, total / 11);
    }

    #[test]
    fn priced_lines_respect_limits_and_are_never_negative(
        menu in arb_menu(), picks in arb_picks(), quantity in 1u32..200,
    ) {
        prop_assert!(menu.validate().is_empty(), "{:?}", menu.validate());
        let sel = selection_for(&menu, &picks, quantity);
        match menu.price(&sel, None) {
            Ok(line) => {
                // every group's limits hold
                for group in &menu.option_groups {
                    let n = sel.options.get(&group.id).map_or(0, Vec::len) as u32;
                    prop_assert!(n >= group.min && n <= group.max);
                }
                prop_assert!(line.unit_price.0 >= 0 && line.line_total.0 >= 0);
                let deltas: i128 = line.parts.iter().map(|p| i128::from(p.delta.0)).sum();
                prop_assert_eq!(i128::from(line.unit_price.0), i128::from(line.base_price.0) + deltas);
                prop_assert_eq!(i128::from(line.line_total.0), i128::from(line.unit_price.0) * i128::from(quantity));
                let mut cart = Cart::new(CartLimits { max_lines: 10, max_quantity: 1000 });
                cart.add(&menu, sel, None).unwrap();
                let totals = cart.totals(menu.vat_rate()).unwrap();
                prop_assert_eq!(totals.vat.supply.0 + totals.vat.vat.0, totals.total().0);
                prop_assert!(totals.total().0 >= 0);
            }
            Err(CartError::TooFewChoices { min, got, .. }) => prop_assert!(got < min),
            Err(CartError::TooManyChoices { max, got, .. }) => prop_assert!(got > max),
            Err(CartError::DuplicateOption(_)) => {}
            Err(CartError::Overflow) => {
                // only when the exact value really leaves i64
                let group_sum: i128 = sel.options.iter().flat_map(|(g, p)| {
                    let group = menu.group(g).unwrap();
                    p.iter().map(move |p| i128::from(group.option(&p.option).unwrap().price_delta.0))
                }).sum();
                let exact = (i128::from(menu.items[0].price.0) + group_sum) * i128::from(quantity);
                prop_assert!(exact > i128::from(i64::MAX));
            }
            Err(other) => prop_assert!(false, "unexpected error {other}"),
        }
    }

    #[test]
    fn set_prices_are_consistent(menu in arb_menu(), choices in prop::collection::vec(0usize..4, 2), quantity in 1u32..50) {
        let set_item = menu.items.last().unwrap();
        let set = set_item.set.as_ref().unwrap();
        let mut sel = Selection::of("set", quantity);
        let mut expected = i128::from(set_item.price.0);
        for (step, c) in set.steps.iter().zip(choices.iter().cycle()) {
            let choice = &step.choices[c % step.choices.len()];
            sel.set_choices.insert(step.id.clone(), choice.item.clone());
            expected += i128::from(choice.price_delta.0);
        }
        let line = menu.price(&sel, None).unwrap();
        prop_assert_eq!(i128::from(line.unit_price.0), expected);
        prop_assert_eq!(line.parts.len(), set.steps.len());
        prop_assert_eq!(i128::from(line.line_total.0), expected * i128::from(quantity));
        // the set costs at least its cheapest configuration, as validation computed it
        prop_assert!(i128::from(line.unit_price.0) >= menu.cheapest_price(set_item).unwrap());
    }

    #[test]
    fn totals_never_wrap(amounts in prop::collection::vec(
        prop_oneof![any::<i64>(), -1_000_000_000i64..1_000_000_000, (i64::MAX - 1_000)..=i64::MAX],
        0..6,
    )) {
        // The sum is exact whenever every running total fits in i64 (amounts are added in
        // order, checked); otherwise it is the overflow error, never a wrapped value.
        let mut running = 0i128;
        let fits = amounts.iter().all(|a| {
            running += i128::from(*a);
            i64::try_from(running).is_ok()
        });
        match Money::sum(amounts.iter().map(|a| Money(*a))) {
            Ok(m) => {
                prop_assert!(fits, "{amounts:?} summed to {m:?} though a running total leaves i64");
                prop_assert_eq!(i128::from(m.0), running);
            }
            Err(Overflow) => prop_assert!(!fits, "{amounts:?} fits in i64 but was refused"),
        }
    }
}

#[test]
fn cheapest_price_matches_the_example() {
    let menu = example_menu();
    let burger = menu.item(&"bulgogi-burger".into()).unwrap();
    assert_eq!(menu.cheapest_price(burger), Some(5500));
}
