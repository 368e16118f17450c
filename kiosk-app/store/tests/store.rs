use kiosk_domain::*;
use kiosk_store::{Actor, PrintKind, SCHEMA_VERSION, Store, StoreError};
use uuid::Uuid;

fn menu() -> Menu {
    serde_json::from_str(include_str!("../../data/menu.example.json")).unwrap()
}

fn draft(menu: &Menu, n: u128, settlement: Settlement) -> Order {
    let mut cart = Cart::default();
    // Requests on a line and on the order: kept as the customer made them (the round trip
    // below compares whole orders).
    let mut cola = Selection::of("cola", 2);
    cola.note = Note::of(vec![Text::new("얼음 적게", "Less ice")], "레몬 빼고");
    cart.add(menu, cola, None).unwrap();
    cart.add(menu, Selection::of("cheese-sticks", 1), None).unwrap();
    cart.set_note(Note::of(vec![], "포크 2개")).unwrap();
    let kind = OrderKind::Kiosk { service: Service::DineIn };
    let mut order =
        Order::from_cart(OrderId(Uuid::from_u128(n)), 0, kind, settlement, &cart, menu, 1_000).unwrap();
    // The customer's answers to the suggestions made, kept with the order.
    order.suggestions = vec![SuggestionAnswer { id: "cola-fries".into(), accepted: false }];
    order
}

fn approval(amount: Money) -> PaymentOutcome {
    PaymentOutcome::Approved(Approval {
        card_masked: Some("9411-23**-****-1234".into()),
        issuer: Some("KB국민카드".into()),
        acquirer: Some("KB국민카드".into()),
        ..Approval::card("30012345", "261122134501", amount)
    })
}

#[test]
fn opening_twice_migrates_once_and_sets_durable_pragmas() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kiosk.db");
    drop(Store::open(&path).unwrap());
    let store = Store::open(&path).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    let c = store.connection();
    let mode: String = c.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
    let sync: i64 = c.query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap();
    let fk: i64 = c.query_row("PRAGMA foreign_keys", [], |r| r.get(0)).unwrap();
    assert_eq!((mode.as_str(), sync, fk), ("wal", 2, 1), "WAL, synchronous=FULL, foreign keys on");
    assert!(store.integrity_problems().unwrap().is_empty());
}

#[test]
fn a_database_from_a_newer_firmware_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kiosk.db");
    drop(Store::open(&path).unwrap());
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    assert!(matches!(Store::open(&path), Err(StoreError::SchemaTooNew { .. })));
}

#[test]
fn a_prepaid_order_goes_from_draft_to_acknowledged() {
    let menu = menu();
    let mut store = Store::open_in_memory().unwrap();
    let mut order = draft(&menu, 1, Settlement::Prepaid);
    store.create_order(&mut order, "2026-11-22", Actor::Customer, 1_000).unwrap();
    assert_eq!(order.number, 1);
    assert_eq!(store.load_order(order.id).unwrap().as_ref(), Some(&order), "round trip");

    let j = store
        .begin_payment(order.id, PaymentOp::Approve, order.total(), r#"{"method":"card"}"#, 2_000)
        .unwrap();
    assert_eq!(store.order_state(order.id).unwrap(), OrderState::AwaitingPayment);
    assert_eq!(store.open_payments().unwrap().len(), 1);
    assert!(matches!(
        store.begin_payment(order.id, PaymentOp::Approve, order.total(), "{}", 2_001),
        Err(StoreError::PaymentInProgress(..))
    ));
    let state = store.finish_payment(j, &approval(order.total()), 3_000).unwrap();
    assert_eq!(state, OrderState::PaymentApproved);
    assert!(store.open_payments().unwrap().is_empty());
    assert!(store.finish_payment(j, &approval(order.total()), 3_001).is_err(), "a result is written once");
    assert_eq!(store.standing_approval(order.id).unwrap().unwrap().approval_no, "30012345");
    // recovery finds the order of an approval number, and when it was journaled
    assert_eq!(store.order_of_approval("30012345").unwrap(), Some(order.id));
    assert_eq!(store.order_of_approval("30099999").unwrap(), None);
    assert_eq!(store.approval_stamp(order.id).unwrap().map(|s| s.wall_ms), Some(3_000));

    assert!(matches!(
        store.apply_event(order.id, OrderEvent::Commit, Actor::System, 3_500),
        Err(StoreError::UseCommitOrder(_))
    ));
    store
        .commit_order(order.id, &[PrintKind::Receipt, PrintKind::KitchenTicket], Actor::System, 4_000)
        .unwrap();
    let due = store.outbox_due(4_000, 10).unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].order_id, order.id);
    let sent: Order = serde_json::from_str(&due[0].payload_json).unwrap();
    assert_eq!(sent.total(), order.total());
    // the POS is told what paid it (the store's daily close counts issuers and wallets)
    let sent: OrderForPos = serde_json::from_str(&due[0].payload_json).unwrap();
    let paid = sent.payment.expect("a prepaid order goes with its approval");
    assert_eq!((paid.approval_no.as_str(), paid.issuer.as_deref()), ("30012345", Some("KB국민카드")));
    assert_eq!(store.print_pending(10).unwrap().len(), 2);

    store.outbox_begin_send(order.id, 5_000).unwrap();
    assert_eq!(store.order_state(order.id).unwrap(), OrderState::SentToPos);
    store.outbox_begin_send(order.id, 5_500).unwrap(); // a re-send after a timeout keeps the state
    store.outbox_delivered(order.id, Some("S-1"), 6_000).unwrap();
    assert_eq!(store.order_state(order.id).unwrap(), OrderState::Acknowledged);
    assert_eq!(store.outbox_pending_count().unwrap(), 0);
    assert!(store.outbox_delivered(order.id, None, 6_001).is_err(), "delivered once");

    let log = store.audit_log(100).unwrap();
    assert!(log.iter().any(|e| e.detail.as_deref() == Some("sent_to_pos --PosAcknowledged--> acknowledged")));
    assert!(
        log.iter().all(|e| e.order_id.is_none() || e.order_id.as_deref() == Some(&order.id.to_string()[..]))
    );
}

#[test]
fn an_ambiguous_payment_is_resolved_by_query_never_by_a_second_charge() {
    let menu = menu();
    let mut store = Store::open_in_memory().unwrap();
    let mut order = draft(&menu, 2, Settlement::Prepaid);
    store.create_order(&mut order, "2026-11-22", Actor::Customer, 0).unwrap();
    let j = store.begin_payment(order.id, PaymentOp::Approve, order.total(), "{}", 1).unwrap();
    let timeout = PaymentOutcome::Unknown { reason: "no answer in 60 s".into() };
    assert_eq!(store.finish_payment(j, &timeout, 2).unwrap(), OrderState::PaymentUnknown);
    // charging again is refused by the lifecycle
    assert!(matches!(
        store.begin_payment(order.id, PaymentOp::Approve, order.total(), "{}", 3),
        Err(StoreError::Order(OrderError::Transition(_)))
    ));
    assert_eq!(store.orders_in(&[OrderState::PaymentUnknown]).unwrap(), vec![order.id]);
    // a query that learns nothing leaves it unknown
    let q = store.begin_payment(order.id, PaymentOp::QueryLast, order.total(), "{}", 4).unwrap();
    assert_eq!(store.finish_payment(q, &timeout, 5).unwrap(), OrderState::PaymentUnknown);
    // the next query finds the approval
    let q = store.begin_payment(order.id, PaymentOp::QueryLast, order.total(), "{}", 6).unwrap();
    assert_eq!(store.finish_payment(q, &approval(order.total()), 7).unwrap(), OrderState::PaymentApproved);
    store.commit_order(order.id, &[], Actor::System, 8).unwrap();
    // a staff refund reverses it
    let approvals = store.recent_approvals(10).unwrap();
    assert_eq!(approvals.len(), 1);
    assert_eq!(
        (approvals[0].order_id, approvals[0].amount, approvals[0].reversed),
        (order.id, order.total(), false)
    );
    assert_eq!(approvals[0].order_state, OrderState::Committed);
    let c = store.begin_payment(order.id, PaymentOp::Cancel, order.total(), "{}", 9).unwrap();
    let reversed = PaymentOutcome::Reversed { approval_no: "30012345".into() };
    assert_eq!(store.finish_payment(c, &reversed, 10).unwrap(), OrderState::Reversed);
    assert_eq!(store.standing_approval(order.id).unwrap(), None);
    // the order's journal, oldest first: the charge, two queries, the cancel
    let steps: Vec<(PaymentOp, Option<PaymentOutcome>)> =
        store.payments_of(order.id).unwrap().into_iter().map(|e| (e.op, e.outcome)).collect();
    assert_eq!(steps.len(), 4, "{steps:?}");
    assert_eq!(steps[0].0, PaymentOp::Approve);
    assert_eq!(steps[3], (PaymentOp::Cancel, Some(reversed.clone())));
    // the operator's journal shows the approval as reversed
    let approvals = store.recent_approvals(10).unwrap();
    assert!(approvals[0].reversed && approvals[0].order_state == OrderState::Reversed, "{approvals:?}");
    // the POS is told of the refund, after the order itself
    assert_eq!(store.refunds_pending_count().unwrap(), 1);
    assert!(store.refund_queue(10).unwrap().is_empty(), "not before the POS has the order");
    store.outbox_begin_send(order.id, 11).unwrap();
    store.outbox_delivered(order.id, Some("P-1"), 12).unwrap();
    let [refund] = store.refund_queue(10).unwrap().try_into().unwrap();
    let payload: Refund = serde_json::from_str(&refund.payload_json).unwrap();
    assert_eq!(
        (payload.order_id, payload.amount, payload.approval_no.as_str(), payload.id),
        (order.id, order.total(), "30012345", refund.refund_id)
    );
    store.refund_delivered(&refund, 13).unwrap();
    assert_eq!(store.refunds_pending_count().unwrap(), 0);
    store.refund_delivered(&refund, 14).unwrap();
    assert!(store.refund_queue(10).unwrap().is_empty(), "delivered once");
}

#[test]
fn an_approval_keeps_every_clock_it_was_journaled_at() {
    let menu = menu();
    let mut store = Store::open_in_memory().unwrap();
    let mut order = draft(&menu, 9, Settlement::Prepaid);
    store.create_order(&mut order, "2026-11-22", Actor::Customer, 0).unwrap();
    assert_eq!(store.approval_stamp(order.id).unwrap(), None, "nothing approved yet");
    let j = store.begin_payment(order.id, PaymentOp::Approve, order.total(), "{}", 1).unwrap();
    let at = kiosk_domain::Stamp {
        mono_ms: 61_000,
        wall_ms: 1_795_000_000_000,
        boot_id: "b-1".into(),
        wall_synced: false,
    };
    store.finish_payment_at(j, &approval(order.total()), &at).unwrap();
    assert_eq!(store.approval_stamp(order.id).unwrap(), Some(at));
}

#[test]
fn a_failed_commit_writes_nothing() {
    let menu = menu();
    let mut store = Store::open_in_memory().unwrap();
    let mut order = draft(&menu, 3, Settlement::Prepaid);
    store.create_order(&mut order, "d", Actor::Customer, 0).unwrap();
    // not paid yet: the commit is refused and neither outbox nor print queue is touched
    assert!(store.commit_order(order.id, &[PrintKind::Receipt], Actor::System, 1).is_err());
    assert_eq!(store.order_state(order.id).unwrap(), OrderState::Draft);
    assert_eq!(store.outbox_due(i64::MAX, 10).unwrap(), vec![]);
    assert_eq!(store.print_pending(10).unwrap(), vec![]);
    let mut again = order.clone();
    assert!(matches!(
        store.create_order(&mut again, "d", Actor::Customer, 2),
        Err(StoreError::DuplicateOrder(_))
    ));
}

#[test]
fn unpaid_orders_commit_directly_and_numbers_count_per_day() {
    let menu = menu();
    let mut store = Store::open_in_memory().unwrap();
    let mut numbers = Vec::new();
    for (n, day) in [(10, "2026-11-22"), (11, "2026-11-22"), (12, "2026-11-23")] {
        let mut order = draft(&menu, n, Settlement::PayAtCounter);
        store.create_order(&mut order, day, Actor::Customer, 0).unwrap();
        store.commit_order(order.id, &[PrintKind::OrderSlip], Actor::Customer, 1).unwrap();
        numbers.push(order.number);
    }
    assert_eq!(numbers, [1, 2, 1]);
    assert_eq!(store.outbox_pending_count().unwrap(), 3);
    let id = OrderId(Uuid::from_u128(10));
    store.outbox_retry_later(id, "connection refused", 60_000, 2).unwrap();
    assert_eq!(store.outbox_due(59_999, 10).unwrap().len(), 2);
    assert_eq!(store.outbox_due(60_000, 10).unwrap().len(), 3);
    assert_eq!(
        store.apply_event(id, OrderEvent::VoidUnpaid, Actor::Operator, 3).unwrap(),
        OrderState::Cancelled
    );
}

#[test]
fn print_jobs_are_retried_until_printed_or_given_up() {
    let mut store = Store::open_in_memory().unwrap();
    let a = store.queue_print(None, PrintKind::Receipt, Actor::Operator, 0).unwrap();
    let b = store.queue_print(None, PrintKind::Receipt, Actor::Operator, 0).unwrap();
    store.print_attempted(a, Err("paper end"), false, 1).unwrap();
    assert_eq!(
        store.print_pending(10).unwrap().iter().map(|j| (j.id, j.attempts)).collect::<Vec<_>>(),
        [(a, 1), (b, 0)]
    );
    store.print_attempted(a, Ok(()), false, 2).unwrap();
    store.print_attempted(b, Err("cutter error"), true, 3).unwrap();
    assert!(store.print_pending(10).unwrap().is_empty());
}

#[test]
fn the_menu_cache_keeps_the_last_good_menu_and_sold_out_marks() {
    let mut store = Store::open_in_memory().unwrap();
    assert!(store.load_menu().unwrap().is_none());
    let good = menu();
    store.save_menu(&good, "file:menu.json", Actor::Operator, 1).unwrap();
    store.set_sold_out(&"cola".into(), true, Actor::Operator, 2).unwrap();
    let mut bad = good.clone();
    bad.items[0].price = Money(-1);
    assert!(matches!(store.save_menu(&bad, "pos", Actor::Pos, 3), Err(StoreError::InvalidMenu(1, _))));
    let cached = store.load_menu().unwrap().unwrap();
    assert_eq!(cached.source, "file:menu.json");
    assert_eq!(store.menu_version().unwrap().as_deref(), Some("2026-11-22.1"));
    assert!(cached.menu.item(&"cola".into()).unwrap().sold_out);
    store.set_sold_out(&"cola".into(), false, Actor::Pos, 4).unwrap();
    assert!(!store.load_menu().unwrap().unwrap().menu.item(&"cola".into()).unwrap().sold_out);
}

#[test]
fn every_print_kind_round_trips_through_the_queue() {
    let mut store = Store::open_in_memory().unwrap();
    for kind in PrintKind::ALL {
        store.queue_print(None, kind, Actor::Operator, 0).unwrap();
    }
    let kinds: Vec<PrintKind> = store.print_pending(10).unwrap().into_iter().map(|j| j.kind).collect();
    assert_eq!(kinds, PrintKind::ALL);
}

/// A table's round, stored as a draft.
fn round_draft(store: &mut Store, menu: &Menu, n: u128, table: &str, round: u32) -> Order {
    let mut cart = Cart::default();
    cart.add(menu, Selection::of("cola", 1), None).unwrap();
    let kind = OrderKind::Table { table: TableId(table.into()), guests: 2, round };
    let mut order =
        Order::from_cart(OrderId(Uuid::from_u128(n)), 0, kind, Settlement::Tab, &cart, menu, 1_000).unwrap();
    store.create_order(&mut order, "d", Actor::Customer, 1).unwrap();
    order
}

/// A table's round, committed onto its tab.
fn round(store: &mut Store, menu: &Menu, n: u128, table: &str, round: u32) -> Order {
    let order = round_draft(store, menu, n, table, round);
    store.commit_order(order.id, &[], Actor::Customer, 2).unwrap();
    order
}

fn ids(orders: &[Order]) -> Vec<u128> {
    orders.iter().map(|o| o.id.0.as_u128()).collect()
}

#[test]
fn a_tab_stays_open_until_its_bill_is_paid_or_staff_close_it() {
    let menu = menu();
    let mut store = Store::open_in_memory().unwrap();
    let seven = TableId("7".into());
    round(&mut store, &menu, 1, "7", 1);
    round(&mut store, &menu, 2, "8", 1);
    round(&mut store, &menu, 3, "7", 2);
    // A round left a draft by a crash, and a round voided by staff, are not owed.
    round_draft(&mut store, &menu, 4, "7", 3);
    let voided = round(&mut store, &menu, 5, "7", 3);
    store.apply_event(voided.id, OrderEvent::VoidUnpaid, Actor::Operator, 4).unwrap();
    assert_eq!(ids(&store.open_tab(&seven).unwrap()), [1, 3]);

    // The bill paid at the table settles rounds 1 and 3; table 8 still owes.
    let tab = Tab::restore(seven.clone(), store.open_tab(&seven).unwrap());
    let mut bill = tab.bill_order(OrderId(Uuid::from_u128(6)), 5).unwrap();
    store.create_order(&mut bill, "d", Actor::Customer, 5).unwrap();
    assert_eq!(ids(&store.open_tab(&seven).unwrap()), [1, 3], "a bill not yet paid settles nothing");
    store.apply_event(bill.id, OrderEvent::RequestPayment, Actor::Customer, 6).unwrap();
    assert!(store.open_tab(&seven).unwrap().is_empty(), "rounds on a bill being paid are not offered again");
    // A round sent while the bill's payment was being resolved is not on the bill.
    round(&mut store, &menu, 8, "7", 4);
    store.apply_event(bill.id, OrderEvent::PaymentApproved, Actor::Customer, 7).unwrap();
    store.commit_order(bill.id, &[], Actor::Customer, 8).unwrap();
    assert_eq!(ids(&store.open_tab(&seven).unwrap()), [8], "the bill settles the rounds it paid");
    assert_eq!(ids(&store.open_tab(&TableId("8".into())).unwrap()), [2]);
    assert!(
        !store.settle_rounds(&seven, &[OrderId(Uuid::from_u128(1))], Actor::Pos, 9).unwrap(),
        "settled already"
    );
    assert!(store.settle_rounds(&seven, &[OrderId(Uuid::from_u128(8))], Actor::Pos, 9).unwrap());
    assert!(store.open_tab(&seven).unwrap().is_empty());

    // The next guests' tab; then staff close it after payment at the counter.
    round(&mut store, &menu, 7, "7", 1);
    assert_eq!(ids(&store.open_tab(&seven).unwrap()), [7]);
    store.close_tab(&seven, Actor::Operator, 9).unwrap();
    assert!(store.open_tab(&seven).unwrap().is_empty());
    assert!(store.audit_log(1).unwrap()[0].action == "tab.close");
}

/// The journal's cancel row carries the approval number it reversed, in its own column: the
/// device's audits (and a staff member reading the database) match a refund to its approval
/// by that column, not by parsing the outcome's JSON.
#[test]
fn a_reversal_is_journaled_with_the_approval_number_it_reversed() {
    let menu = menu();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kiosk.db");
    let mut store = Store::open(&path).unwrap();
    let mut order = draft(&menu, 3, Settlement::Prepaid);
    store.create_order(&mut order, "2026-11-22", Actor::Customer, 0).unwrap();
    let j = store.begin_payment(order.id, PaymentOp::Approve, order.total(), "{}", 1).unwrap();
    store.finish_payment(j, &approval(order.total()), 2).unwrap();
    store.commit_order(order.id, &[], Actor::System, 3).unwrap();
    let c = store.begin_payment(order.id, PaymentOp::Cancel, order.total(), "{}", 4).unwrap();
    store.finish_payment(c, &PaymentOutcome::Reversed { approval_no: "30099999".into() }, 5).unwrap();
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let rows: Vec<(String, Option<String>)> = conn
        .prepare("SELECT operation, approval_no FROM payment_journal ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(
        rows[1].1.as_deref(),
        Some("30099999"),
        "the cancel row names the approval it reversed: {rows:?}"
    );
}

/// The operator's receipt journal: the day's committed orders that have a receipt, newest
/// first, refunded ones still listed; drafts, declined payments, other days and table
/// rounds are not. A receipt printed before makes the next one a copy.
#[test]
fn the_receipt_journal_lists_the_days_committed_orders_and_tells_copies() {
    let menu = menu();
    let mut store = Store::open_in_memory().unwrap();
    let day = |store: &mut Store, n: u128, settlement: Settlement, day: &str, at: i64| {
        let mut order = draft(&menu, n, settlement);
        store.create_order(&mut order, day, Actor::Customer, at).unwrap();
        order
    };
    let paid = day(&mut store, 1, Settlement::Prepaid, "2026-11-22", 10);
    let j = store.begin_payment(paid.id, PaymentOp::Approve, paid.total(), "{}", 11).unwrap();
    store.finish_payment(j, &approval(paid.total()), 12).unwrap();
    store.commit_order(paid.id, &[PrintKind::Receipt], Actor::Customer, 13).unwrap();
    let counter = day(&mut store, 2, Settlement::PayAtCounter, "2026-11-22", 20);
    store.commit_order(counter.id, &[], Actor::Customer, 21).unwrap();
    let _draft = day(&mut store, 3, Settlement::Prepaid, "2026-11-22", 30);
    let declined = day(&mut store, 4, Settlement::Prepaid, "2026-11-22", 40);
    let j = store.begin_payment(declined.id, PaymentOp::Approve, declined.total(), "{}", 41).unwrap();
    let no = PaymentOutcome::Declined { code: "6B".into(), message: "잔액 부족".into() };
    store.finish_payment(j, &no, 42).unwrap();
    let yesterday = day(&mut store, 5, Settlement::PayAtCounter, "2026-11-21", 5);
    store.commit_order(yesterday.id, &[], Actor::Customer, 6).unwrap();
    let voided = day(&mut store, 6, Settlement::PayAtCounter, "2026-11-22", 50);
    store.commit_order(voided.id, &[], Actor::Customer, 51).unwrap();
    store.apply_event(voided.id, OrderEvent::VoidUnpaid, Actor::Operator, 52).unwrap();
    round(&mut store, &menu, 7, "5", 1);

    let listed = store.orders_of_day("2026-11-22", 10).unwrap();
    let summary: Vec<(u128, OrderState)> = listed.iter().map(|o| (o.id.0.as_u128(), o.state)).collect();
    assert_eq!(
        summary,
        [(6, OrderState::Cancelled), (2, OrderState::Committed), (1, OrderState::Committed)],
        "newest first"
    );
    assert_eq!(listed[2].total, paid.total());
    assert_eq!(listed[2].settlement, Settlement::Prepaid);
    assert_eq!(store.orders_of_day("2026-11-22", 1).unwrap().len(), 1, "limited");

    let first = store.print_pending(10).unwrap()[0].id;
    let copy = store.queue_print(Some(paid.id), PrintKind::Receipt, Actor::Operator, 60).unwrap();
    assert!(
        !store.printed_before(paid.id, PrintKind::Receipt, copy).unwrap(),
        "the first is not printed yet"
    );
    store.print_attempted(first, Ok(()), false, 61).unwrap();
    assert!(store.printed_before(paid.id, PrintKind::Receipt, copy).unwrap());
    assert!(!store.printed_before(paid.id, PrintKind::Receipt, first).unwrap(), "the first is the original");
    assert!(!store.printed_before(paid.id, PrintKind::OrderSlip, copy).unwrap());
}

/// A draft with a coupon of 1,000 off, stored.
fn coupon_draft(store: &mut Store, menu: &Menu, n: u128) -> Order {
    let mut order = draft(menu, n, Settlement::Prepaid);
    let coupon = Coupon {
        code: "WELCOME".into(),
        terms: CouponTerms { value: CouponValue::Amount(Money(1_000)), min_order: Money(0) },
    };
    order.totals = Totals::with_coupon(&order.lines, Some(&coupon), order.vat_rate).unwrap();
    order.coupon = Some(coupon);
    store.create_order(&mut order, "2026-11-22", Actor::Customer, 1_000).unwrap();
    order
}

#[test]
fn a_coupon_held_for_an_order_is_used_when_it_commits_and_released_when_it_is_not_placed() {
    use kiosk_store::CouponHoldState as H;
    let menu = menu();
    let mut store = Store::open_in_memory().unwrap();
    let paid = coupon_draft(&mut store, &menu, 1);
    assert_eq!(store.load_order(paid.id).unwrap().as_ref(), Some(&paid), "coupon and discount round trip");
    assert_eq!(paid.totals.discount, Money(1_000));
    store.coupon_asking(paid.id, "WELCOME", 1_100).unwrap();
    assert_eq!(store.coupon_hold_state(paid.id).unwrap(), Some(H::Asking));
    store.coupon_answered(paid.id, true, 1_200).unwrap();
    let j = store.begin_payment(paid.id, PaymentOp::Approve, paid.total(), "{}", 2_000).unwrap();
    store.finish_payment(j, &approval(paid.total()), 3_000).unwrap();
    store.commit_order(paid.id, &[], Actor::System, 4_000).unwrap();
    assert_eq!(store.coupon_hold_state(paid.id).unwrap(), Some(H::Used), "the order takes it to the server");
    assert!(store.coupon_releases_due(i64::MAX, 10).unwrap().is_empty());

    // Declined, then abandoned: released. A crash between asking and the answer (still
    // asking) cancelled at recovery: released too. A refused one stood nowhere.
    let declined = coupon_draft(&mut store, &menu, 2);
    store.coupon_asking(declined.id, "WELCOME", 5_000).unwrap();
    store.coupon_answered(declined.id, true, 5_100).unwrap();
    let j = store.begin_payment(declined.id, PaymentOp::Approve, declined.total(), "{}", 5_200).unwrap();
    store
        .finish_payment(
            j,
            &PaymentOutcome::Declined { code: "51".into(), message: "한도 초과".into() },
            5_300,
        )
        .unwrap();
    assert_eq!(store.coupon_hold_state(declined.id).unwrap(), Some(H::Held), "a retry may still use it");
    store.apply_event(declined.id, OrderEvent::Cancel, Actor::Customer, 5_400).unwrap();
    let crashed = coupon_draft(&mut store, &menu, 3);
    store.coupon_asking(crashed.id, "WELCOME", 6_000).unwrap();
    store.apply_event(crashed.id, OrderEvent::Cancel, Actor::System, 7_000).unwrap();
    let refused = coupon_draft(&mut store, &menu, 4);
    store.coupon_asking(refused.id, "WELCOME", 8_000).unwrap();
    store.coupon_answered(refused.id, false, 8_100).unwrap();
    store.apply_event(refused.id, OrderEvent::Cancel, Actor::Customer, 8_200).unwrap();
    assert_eq!(store.coupon_hold_state(refused.id).unwrap(), Some(H::Refused));
    // Held, then asked again (a retry) and refused: the first hold is released.
    let retried = coupon_draft(&mut store, &menu, 5);
    store.coupon_asking(retried.id, "WELCOME", 8_300).unwrap();
    store.coupon_answered(retried.id, true, 8_400).unwrap();
    store.coupon_asking(retried.id, "WELCOME", 8_500).unwrap();
    assert_eq!(store.coupon_hold_state(retried.id).unwrap(), Some(H::Held), "asking again keeps the hold");
    store.coupon_answered(retried.id, false, 8_600).unwrap();
    assert_eq!(store.coupon_hold_state(retried.id).unwrap(), Some(H::Releasing));
    store.coupon_released(retried.id, 8_700).unwrap();

    let due: Vec<OrderId> =
        store.coupon_releases_due(9_000, 10).unwrap().into_iter().map(|r| r.order_id).collect();
    assert_eq!(due, [declined.id, crashed.id]);
    store.coupon_release_later(declined.id, "unreachable", 20_000).unwrap();
    assert_eq!(store.coupon_release_next_ms().unwrap(), Some(0), "the other is due now");
    store.coupon_released(crashed.id, 9_100).unwrap();
    assert_eq!(store.coupon_release_next_ms().unwrap(), Some(20_000));
    assert!(store.coupon_releases_due(19_999, 10).unwrap().is_empty());
    let retry = store.coupon_releases_due(20_000, 10).unwrap();
    assert_eq!((retry[0].order_id, retry[0].attempts), (declined.id, 1));
    store.coupon_released(declined.id, 20_100).unwrap();
    assert_eq!(store.coupon_hold_state(declined.id).unwrap(), Some(H::Released));
    assert_eq!(store.coupon_release_next_ms().unwrap(), None);
}
