//! Splitting a table's bill: even shares, shares by item, the rest; never more than owed,
//! never a share while another is being checked; a round that arrives between shares joins
//! what is owed.

mod common;

use common::example_menu;
use kiosk_domain::*;

/// A committed round of `colas` colas (1,800 won each) and `sticks` cheese sticks (2,500).
fn round(tab: &Tab, n: u128, colas: u32, sticks: u32) -> Order {
    let menu = example_menu();
    let mut cart = Cart::default();
    if colas > 0 {
        cart.add(&menu, Selection::of("cola", colas), None).unwrap();
    }
    if sticks > 0 {
        cart.add(&menu, Selection::of("cheese-sticks", sticks), None).unwrap();
    }
    let id = OrderId(uuid::Uuid::from_u128(n));
    let mut o = Order::from_cart(id, 0, tab.next_kind(), Settlement::Tab, &cart, &menu, 0).unwrap();
    o.apply(OrderEvent::CommitUnpaid).unwrap();
    o
}

fn paid(mut share: Order) -> Order {
    for e in [OrderEvent::RequestPayment, OrderEvent::PaymentApproved, OrderEvent::Commit] {
        share.apply(e).unwrap();
    }
    share
}

fn id(n: u128) -> OrderId {
    OrderId(uuid::Uuid::from_u128(n))
}

fn share_of(o: &Order) -> &BillShare {
    match &o.kind {
        OrderKind::TableBill { share: Some(s), .. } => s,
        other => panic!("not a share: {other:?}"),
    }
}

#[test]
fn an_even_split_adds_up_to_the_bill_and_the_last_share_settles_it() {
    let mut tab = Tab::open(TableId("7".into()), 3);
    let r = round(&tab, 1, 2, 4); // 3,600 + 10,000 = 13,600
    tab.add_round(r).unwrap();
    assert_eq!(tab.whole(), Money(13_600));
    let mut amounts = Vec::new();
    for (n, parts) in [(11, 3), (12, 2), (13, 1)] {
        let share = tab.share_order(id(n), Split::Even { parts }, 0).unwrap();
        amounts.push(share.total().0);
        assert_eq!(share_of(&share).last, parts == 1, "only the last settles");
        assert_eq!(share_of(&share).whole, Money(13_600));
        tab.add_share(paid(share));
    }
    assert_eq!(amounts, [4_534, 4_533, 4_533], "rounded up, the last pays no more than the others");
    assert_eq!(tab.owed(), Money::ZERO);
    assert!(!tab.owes());
    assert_eq!(
        tab.share_order(id(14), Split::Rest, 0),
        Err(OrderError::Split(SplitError::NothingOwed)),
        "never more than the bill"
    );
}

#[test]
fn shares_by_item_then_the_rest_and_a_round_that_arrives_between_shares() {
    let mut tab = Tab::open(TableId("7".into()), 2);
    let first = round(&tab, 1, 1, 1); // cola 1,800, sticks 2,500
    let cola = LineRef { round: first.id, line: 0 };
    tab.add_round(first).unwrap();
    assert_eq!(tab.share_order(id(10), Split::Items(vec![]), 0), Err(OrderError::Split(SplitError::NoItems)));
    let mine = tab.share_order(id(11), Split::Items(vec![cola, cola]), 0).unwrap();
    assert_eq!(mine.total(), Money(1_800), "a line counted once");
    assert!(!share_of(&mine).last);
    assert_eq!(mine.lines[0].name.get(Lang::Ko), "콜라");
    // being charged and ambiguous: nothing else is taken until it is resolved
    let mut pending = mine.clone();
    pending.apply(OrderEvent::RequestPayment).unwrap();
    pending.apply(OrderEvent::PaymentTimedOut).unwrap();
    tab.add_share(pending);
    assert!(tab.share_pending());
    assert_eq!(tab.owed(), Money(2_500), "an ambiguous share is never asked for again");
    assert_eq!(tab.share_order(id(12), Split::Rest, 0), Err(OrderError::Split(SplitError::SharePending)));
    tab.add_share(paid(mine));
    assert_eq!(
        tab.share_order(id(12), Split::Items(vec![cola]), 0),
        Err(OrderError::Split(SplitError::LineNotOpen)),
        "the cola is paid for"
    );
    // a round arrives: it joins what is owed; nothing paid is asked for again
    let second = round(&tab, 2, 2, 0);
    tab.add_round(second).unwrap();
    assert_eq!((tab.whole(), tab.owed()), (Money(7_900), Money(6_100)));
    let rest = tab.share_order(id(13), Split::Rest, 0).unwrap();
    assert_eq!(rest.total(), Money(6_100));
    assert_eq!(rest.lines.len(), 2, "the open lines: the sticks and the second round's colas");
    assert!(share_of(&rest).last);
    assert!(matches!(&rest.kind, OrderKind::TableBill { rounds, .. } if rounds.len() == 2));
    // and the whole bill once shares were paid is the rest, as a share
    let bill = tab.bill_order(id(14), 0).unwrap();
    assert_eq!(bill.total(), Money(6_100));
    // after an even share, items are refused (they could pay for what an amount covered)
    let mut even = Tab::open(TableId("8".into()), 2);
    let r = round(&even, 3, 2, 0);
    let line = LineRef { round: r.id, line: 0 };
    even.add_round(r).unwrap();
    let half = even.share_order(id(15), Split::Even { parts: 2 }, 0).unwrap();
    even.add_share(paid(half));
    assert_eq!(
        even.share_order(id(16), Split::Items(vec![line]), 0),
        Err(OrderError::Split(SplitError::ItemsAfterEven))
    );
    assert_eq!(
        even.share_order(id(16), Split::Even { parts: 0 }, 0),
        Err(OrderError::Split(SplitError::Parts))
    );
}

#[test]
fn a_restored_tab_keeps_its_shares() {
    let mut tab = Tab::open(TableId("7".into()), 2);
    let r = round(&tab, 1, 2, 0);
    tab.add_round(r.clone()).unwrap();
    let share = paid(tab.share_order(id(11), Split::Even { parts: 2 }, 0).unwrap());
    let other_table = {
        let mut t = Tab::open(TableId("9".into()), 2);
        t.add_round(round(&t, 5, 1, 0)).unwrap();
        paid(t.share_order(id(12), Split::Even { parts: 2 }, 0).unwrap())
    };
    let restored = Tab::restore(TableId("7".into()), vec![r, share, other_table]);
    assert_eq!((restored.rounds.len(), restored.shares.len()), (1, 1));
    assert_eq!(restored.owed(), Money(1_800));
    let json = serde_json::to_string(&restored.shares[0].kind).unwrap();
    assert!(json.contains("\"share\""), "{json}");
    let old = r#"{"type":"table_bill","table":"7","rounds":[]}"#;
    assert!(
        matches!(serde_json::from_str::<OrderKind>(old).unwrap(), OrderKind::TableBill { share: None, .. }),
        "a bill from before shares reads as a whole bill"
    );
}
