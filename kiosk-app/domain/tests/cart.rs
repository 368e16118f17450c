mod common;
use common::*;
use kiosk_domain::*;

#[test]
fn a_burger_with_options_is_priced_with_its_parts() {
    let menu = example_menu();
    let mut sel = Selection::of("bulgogi-burger", 2);
    pick(&mut sel, "patty", &["double"]);
    pick(&mut sel, "extras", &["cheese", "no-pickles"]);
    let line = menu.price(&sel, Some(lunch_time())).unwrap();
    assert_eq!(line.unit_price, Money(5500 + 2000 + 500));
    assert_eq!(line.line_total, Money(16_000));
    let names: Vec<_> = line.parts.iter().map(|p| p.name.get(Lang::Ko)).collect();
    assert_eq!(names, ["더블", "치즈 추가", "피클 빼기"]);
}

#[test]
fn required_groups_and_limits_are_enforced() {
    let menu = example_menu();
    let sel = Selection::of("bulgogi-burger", 1);
    assert_eq!(
        menu.price(&sel, None),
        Err(CartError::TooFewChoices { group: "Patty".into(), min: 1, got: 0 })
    );
    let mut sel = Selection::of("bulgogi-burger", 1);
    pick(&mut sel, "patty", &["single", "double"]);
    assert!(matches!(menu.price(&sel, None), Err(CartError::TooManyChoices { max: 1, got: 2, .. })));
    let mut sel = Selection::of("bulgogi-burger", 1);
    pick(&mut sel, "patty", &["triple"]);
    assert!(matches!(menu.price(&sel, None), Err(CartError::UnknownOption { .. })));
    let mut sel = Selection::of("bulgogi-burger", 1);
    pick(&mut sel, "patty", &["single"]);
    pick(&mut sel, "temperature", &["hot"]);
    assert_eq!(menu.price(&sel, None), Err(CartError::UnknownGroup("temperature".into())));
    let mut sel = Selection::of("bulgogi-burger", 1);
    pick(&mut sel, "patty", &["single"]);
    pick(&mut sel, "extras", &["cheese", "cheese"]);
    assert_eq!(menu.price(&sel, None), Err(CartError::DuplicateOption("cheese".into())));
}

#[test]
fn nested_options_are_priced_one_level_deep() {
    let menu = example_menu();
    let mut sel = Selection::of("fries", 1);
    let mut large = Pick::plain("large");
    large.nested.insert("dip".into(), vec!["cheese-dip".into(), "ketchup".into()]);
    sel.options.insert("fries-size".into(), vec![large]);
    let line = menu.price(&sel, None).unwrap();
    assert_eq!(line.unit_price, Money(2000 + 700 + 300));
    assert_eq!(line.parts.iter().map(|p| p.depth).collect::<Vec<_>>(), [0, 1, 1]);

    // nested picks under an option that opens no group are refused
    let mut sel = Selection::of("fries", 1);
    let mut regular = Pick::plain("regular");
    regular.nested.insert("dip".into(), vec!["ketchup".into()]);
    sel.options.insert("fries-size".into(), vec![regular]);
    assert_eq!(menu.price(&sel, None), Err(CartError::UnknownGroup("dip".into())));
}

#[test]
fn a_set_needs_a_choice_at_every_step() {
    let menu = example_menu();
    let mut sel = Selection::of("bulgogi-set", 1);
    sel.set_choices.insert("side".into(), "cheese-sticks".into());
    assert!(matches!(menu.price(&sel, None), Err(CartError::MissingSetChoice(_))));
    sel.set_choices.insert("drink".into(), "americano".into());
    let line = menu.price(&sel, None).unwrap();
    assert_eq!(line.unit_price, Money(7900 + 800 + 500));
    sel.set_choices.insert("drink".into(), "bulgogi-burger".into());
    assert!(matches!(menu.price(&sel, None), Err(CartError::UnknownSetChoice { .. })));
    let mut plain = Selection::of("cola", 1);
    plain.set_choices.insert("drink".into(), "cola".into());
    assert_eq!(menu.price(&plain, None), Err(CartError::NotASet("cola".into())));
}

#[test]
fn sold_out_and_out_of_hours_items_cannot_be_added() {
    let mut menu = example_menu();
    assert_eq!(
        menu.price(&Selection::of("shrimp-burger", 1), None),
        Err(CartError::SoldOut("Shrimp burger".into()))
    );
    assert_eq!(
        menu.price(&Selection::of("morning-muffin", 1), Some(lunch_time())),
        Err(CartError::NotAvailableNow("Morning muffin".into()))
    );
    assert!(menu.set_sold_out(&"cola".into(), true));
    let mut sel = Selection::of("bulgogi-set", 1);
    sel.set_choices.insert("side".into(), "fries".into());
    sel.set_choices.insert("drink".into(), "cola".into());
    assert_eq!(menu.price(&sel, None), Err(CartError::SoldOut("Cola".into())));
}

#[test]
fn the_cart_merges_identical_lines_and_enforces_limits() {
    let menu = example_menu();
    let mut cart = Cart::new(CartLimits { max_lines: 2, max_quantity: 12 });
    assert_eq!(cart.add(&menu, Selection::of("cola", 2), None), Ok(0));
    assert_eq!(cart.add(&menu, Selection::of("cola", 3), None), Ok(0));
    assert_eq!(cart.lines()[0].quantity, 5);
    // cheese sticks: the item's own limit (10) is lower than the cart's (12)
    assert_eq!(cart.add(&menu, Selection::of("cheese-sticks", 10), None), Ok(1));
    assert!(matches!(cart.set_quantity(&menu, 1, 11), Err(CartError::QuantityLimit { limit: 10, .. })));
    assert_eq!(cart.add(&menu, Selection::of("cider", 1), None), Err(CartError::CartFull { limit: 2 }));
    assert!(matches!(
        cart.add(&menu, Selection::of("cola", 8), None),
        Err(CartError::QuantityLimit { limit: 12, .. })
    ));
    assert_eq!(cart.add(&menu, Selection::of("cola", 0), None), Err(CartError::ZeroQuantity));
    let totals = cart.totals(menu.vat_rate()).unwrap();
    assert_eq!(totals.total(), Money(5 * 1800 + 10 * 2500));
    assert_eq!(totals.item_count, 15);
    assert_eq!(totals.vat.vat, Money(34_000 / 11));
    cart.remove(0).unwrap();
    assert_eq!(cart.remove(5), Err(CartError::NoSuchLine(5)));
}

#[test]
fn request_notes_ride_on_lines_and_the_order_and_bad_ones_are_refused() {
    let menu = example_menu();
    let mut cart = Cart::default();
    let less_ice = menu.note_presets[1].text.clone();
    let mut cola = Selection::of("cola", 1);
    cola.note = Note::of(vec![less_ice.clone()], "");
    assert_eq!(cart.add(&menu, cola.clone(), None), Ok(0));
    // The same drink without the request is a line of its own; with it, the same line.
    assert_eq!(cart.add(&menu, Selection::of("cola", 1), None), Ok(1));
    assert_eq!(cart.add(&menu, cola.clone(), None), Ok(0));
    assert_eq!(cart.lines()[0].quantity, 2);

    let mut long = Selection::of("cider", 1);
    long.note = Note::of(vec![], &"가".repeat(NOTE_MAX_CHARS + 1));
    assert_eq!(
        cart.add(&menu, long, None),
        Err(CartError::Note(NoteError::TooLong { max: NOTE_MAX_CHARS, got: NOTE_MAX_CHARS + 1 }))
    );
    let mut escape = Selection::of("cider", 1);
    escape.note = Note::of(vec![], "\u{1b}d\u{7}");
    assert_eq!(cart.add(&menu, escape, None), Err(CartError::Note(NoteError::ControlCharacter(0x1b))));
    assert_eq!(cart.lines().len(), 2, "nothing refused was added");

    assert_eq!(cart.set_note(Note::of(vec![], "문 앞에\n두세요")), Err(NoteError::ControlCharacter(0x0a)));
    assert_eq!(cart.note(), None);
    cart.set_note(Note::of(vec![menu.note_presets[2].text.clone()], "포크 2개")).unwrap();
    let kind = OrderKind::Kiosk { service: Service::TakeOut };
    let order =
        Order::from_cart(OrderId(uuid::Uuid::nil()), 1, kind, Settlement::Prepaid, &cart, &menu, 0).unwrap();
    assert_eq!(order.note.as_ref().map(|n| n.render(Lang::Ko)).as_deref(), Some("냅킨 많이, 포크 2개"));
    assert_eq!(
        order.lines[0].selection.note.as_ref().map(|n| n.render(Lang::En)).as_deref(),
        Some("Less ice")
    );
    // An order's note survives its journey as JSON (the store, the POS).
    let back: Order = serde_json::from_str(&serde_json::to_string(&order).unwrap()).unwrap();
    assert_eq!(back, order);
    cart.clear();
    assert_eq!(cart.note(), None, "a cleared cart forgets its note");
}

#[test]
fn repricing_drops_lines_that_can_no_longer_be_sold() {
    let mut menu = example_menu();
    let mut cart = Cart::default();
    cart.add(&menu, Selection::of("cola", 1), None).unwrap();
    cart.add(&menu, Selection::of("cider", 1), None).unwrap();
    menu.set_sold_out(&"cider".into(), true);
    menu.items.iter_mut().find(|i| i.id.0 == "cola").unwrap().price = Money(2000);
    let dropped = cart.reprice(&menu, None);
    assert_eq!(dropped.len(), 1);
    assert_eq!(dropped[0].1, CartError::SoldOut("Lemon-lime soda".into()));
    assert_eq!(cart.lines()[0].unit_price, Money(2000));
}

#[test]
fn orders_and_table_tabs() {
    let menu = example_menu();
    let mut cart = Cart::default();
    let id = || OrderId(uuid::Uuid::from_u128(7));
    let kiosk = OrderKind::Kiosk { service: Service::TakeOut };
    assert_eq!(
        Order::from_cart(id(), 1, kiosk.clone(), Settlement::Prepaid, &cart, &menu, 0),
        Err(OrderError::EmptyCart)
    );
    cart.add(&menu, Selection::of("cola", 2), None).unwrap();
    let mut order = Order::from_cart(id(), 1, kiosk, Settlement::Prepaid, &cart, &menu, 0).unwrap();
    assert_eq!(order.apply(OrderEvent::CommitUnpaid), Err(OrderError::WrongSettlement(Settlement::Prepaid)));
    order.apply(OrderEvent::RequestPayment).unwrap();
    order.apply(OrderEvent::PaymentApproved).unwrap();
    assert_eq!(
        order.apply(OrderEvent::Send).unwrap_err().to_string(),
        "cannot Send an order that is payment_approved"
    );
    order.apply(OrderEvent::Commit).unwrap();
    assert_eq!(order.apply(OrderEvent::VoidUnpaid), Err(OrderError::WrongReversal));
    assert_eq!(order.apply(OrderEvent::Refund), Ok(OrderState::Reversed));

    let mut tab = Tab::open(TableId("12".into()), 4);
    for round in 1..=2 {
        let mut o = Order::from_cart(id(), round, tab.next_kind(), Settlement::Tab, &cart, &menu, 0).unwrap();
        o.apply(OrderEvent::CommitUnpaid).unwrap();
        tab.add_round(o).unwrap();
    }
    let mut stray = Order::from_cart(id(), 9, tab.next_kind(), Settlement::Tab, &cart, &menu, 0).unwrap();
    stray.kind = OrderKind::Table { table: TableId("12".into()), guests: 4, round: 7 };
    assert!(matches!(tab.add_round(stray), Err(OrderError::WrongRound { expected: 3, got: 7, .. })));
    tab.rounds[1].apply(OrderEvent::VoidUnpaid).unwrap();
    assert_eq!(tab.bill(menu.vat_rate()).unwrap().total(), Money(3600));
    let kiosk = OrderKind::Kiosk { service: Service::DineIn };
    assert_eq!(
        Order::from_cart(id(), 3, kiosk, Settlement::Tab, &cart, &menu, 0),
        Err(OrderError::WrongSettlement(Settlement::Tab)),
        "only a table's round goes onto a tab"
    );

    // A pre-pay table: rounds paid as they are ordered are listed, and owe nothing.
    let mut prepaid = Tab::open(TableId("3".into()), 2);
    let mut paid =
        Order::from_cart(id(), 1, prepaid.next_kind(), Settlement::Prepaid, &cart, &menu, 0).unwrap();
    for event in [OrderEvent::RequestPayment, OrderEvent::PaymentApproved, OrderEvent::Commit] {
        paid.apply(event).unwrap();
    }
    prepaid.add_round(paid).unwrap();
    let mut at_counter =
        Order::from_cart(id(), 2, prepaid.next_kind(), Settlement::PayAtCounter, &cart, &menu, 0).unwrap();
    at_counter.apply(OrderEvent::CommitUnpaid).unwrap();
    prepaid.add_round(at_counter).unwrap();
    assert!(!prepaid.owes(), "nothing on the tab");
    assert_eq!(prepaid.paid_rounds().count(), 2);
    assert_eq!(prepaid.bill(menu.vat_rate()).unwrap().total(), Money(0));
    assert_eq!(prepaid.bill_order(id(), 0), Err(OrderError::EmptyCart));
}

#[test]
fn a_restored_tab_keeps_its_rounds_guests_and_numbering() {
    let menu = example_menu();
    let mut cart = Cart::default();
    cart.add(&menu, Selection::of("cola", 2), None).unwrap();
    let table = TableId("12".into());
    let round = |table: &str, guests: u16, round: u32| {
        let kind = OrderKind::Table { table: TableId(table.into()), guests, round };
        let id = OrderId(uuid::Uuid::from_u128(u128::from(round) << 8 | u128::from(table.as_bytes()[0])));
        let mut o = Order::from_cart(id, round, kind, Settlement::Tab, &cart, &menu, 0).unwrap();
        o.apply(OrderEvent::CommitUnpaid).unwrap();
        o
    };
    // Round 2 was lost as a draft in a crash; round 3 went out; another table's order is not ours.
    let tab = Tab::restore(table.clone(), vec![round("12", 3, 1), round("12", 3, 3), round("7", 2, 1)]);
    assert_eq!(tab.guests, 3);
    assert_eq!(tab.rounds.len(), 2);
    assert_eq!(tab.next_round(), 4, "after the highest number sent, never a number twice");
    assert_eq!(tab.bill(menu.vat_rate()).unwrap().total(), Money(7200));
    let empty = Tab::restore(table, Vec::new());
    assert_eq!((empty.guests, empty.next_round(), empty.owes()), (0, 1, false));
}

#[test]
fn a_coupon_stays_on_the_cart_only_while_the_cart_meets_its_minimum() {
    let menu = example_menu();
    let mut cart = Cart::default();
    cart.add(&menu, Selection::of("cola", 2), None).unwrap();
    cart.add(&menu, Selection::of("cheese-sticks", 1), None).unwrap();
    let whole = cart.totals(menu.vat_rate()).unwrap().total();
    let terms = CouponTerms { value: CouponValue::Percent(10), min_order: whole };
    let coupon = Coupon { code: "TEN".into(), terms };
    cart.set_coupon(Some(coupon.clone())).unwrap();
    let t = cart.totals(menu.vat_rate()).unwrap();
    assert_eq!(
        (t.subtotal(), t.discount, t.total()),
        (whole, Money(whole.0 / 10), Money(whole.0 - whole.0 / 10))
    );
    assert_eq!(t.vat, t.total().vat_split(menu.vat_rate()), "the VAT is on what is paid");
    // A line taken away, or a menu that drops one: below the minimum, the coupon comes off.
    cart.remove(1).unwrap();
    assert_eq!(cart.coupon(), None);
    assert_eq!(cart.set_coupon(Some(coupon.clone())), Err(CouponError::BelowMinimum { minimum: whole }));
    cart.add(&menu, Selection::of("cheese-sticks", 1), None).unwrap();
    cart.set_coupon(Some(coupon)).unwrap();
    let mut sold_out = menu.clone();
    sold_out.items.retain(|i| i.id.0 != "cheese-sticks");
    cart.reprice(&sold_out, None);
    assert_eq!(cart.coupon(), None, "repriced below the minimum");
    cart.clear();
    assert_eq!(cart.totals(menu.vat_rate()).unwrap().discount, Money(0));
}
