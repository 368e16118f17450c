//! End to end: 114 orders through the real `kiosk` binary's customer screens (a kiosk and a
//! table tablet, headless), with the printer, card terminals and scanner simulated on PTYs
//! and the reference store server on TCP. Kiosk customers pay by card, by Kakao Pay / Naver
//! Pay barcode and at the counter, some with a receipt; the table sends rounds and pays its
//! bills at the table (losing power mid-tab now and then), in shares (a split bill) or at the
//! counter. Then: every
//! order at the store server exactly once, every approval matched to its order, every
//! receipt printed with the order's lines and total, no round paid twice. One kiosk customer
//! cancels while the terminal waits for the card, then pays in instalments; staff reprint
//! that receipt from the operator page's list of today's orders. A customer reading Japanese
//! types a coupon and takes an americano free with a stamp card's ten stamps, every label
//! pressed in Japanese; a diner at the table switches on high contrast and magnify-all and
//! sends a round at 200 %.

use std::time::Duration;

use kiosk_domain::Lang;
use kiosk_store_server::db::ServerDb;
use kiosk_tests::e2e::{
    Audit, Basket, KioskProcess, Pay, Stage, drain, kiosk_card_order_after_a_cancel, kiosk_order,
    kiosk_stamp_order, operator_cancel_latest, operator_reprint, parse_receipt, prepay_round, table_bill,
    table_round, table_round_barrier_free, table_share,
};
use rand::SeedableRng;

#[test]
fn a_hundred_orders_through_the_kiosk_and_the_table_tablet() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(100);
    let mut stage = Stage::start();
    let mut kiosk = KioskProcess::start(&stage.kiosk_config, "800x1280").expect("the kiosk starts");
    let mut table = KioskProcess::start(&stage.table_config, "1280x800").expect("the table tablet starts");

    let (mut kiosk_orders, mut receipts, mut rounds, mut bills) = (0, 0, 0, 0);
    // A customer cancels while the terminal waits for their card, then pays eight
    // cheesecakes (52,000 won) in three monthly instalments, with a receipt.
    let eight = Basket { items: vec![(0, 8)] };
    let instalments = kiosk_card_order_after_a_cancel(&mut kiosk, &mut stage, &eight, 3)
        .unwrap_or_else(|e| panic!("the instalment order after a cancel: {e}"));
    kiosk_orders += 1;
    receipts += 1;
    let pays = [Pay::Card, Pay::Wallet, Pay::Counter];
    for i in 0..60 {
        let basket = Basket::random(&mut rng);
        let pay = pays[i % 3];
        let receipt = pay != Pay::Counter && i % 2 == 0;
        let code = format!("2810060200{i:08}");
        // Every fifth customer types a coupon code on the cart page.
        let number = kiosk_order(&mut kiosk, &mut stage, &basket, pay, receipt, &code, i % 5 == 1)
            .unwrap_or_else(|e| panic!("kiosk order {i} ({pay:?}): {e}"));
        assert!(!number.is_empty() && number != "-", "order {i} got a number");
        kiosk_orders += 1;
        receipts += usize::from(receipt);
    }
    // Staff refund the last card payment in operator mode; the store hears of it.
    operator_cancel_latest(&mut kiosk).expect("the operator cancels the latest approval");
    // Staff print the first customer's receipt again from today's orders: a copy.
    operator_reprint(&mut kiosk, &instalments).expect("the operator reprints a receipt");
    receipts += 1;
    // A stamp card (적립): ten americanos earn ten stamps (in English); then a Japanese
    // customer with the same card types a coupon, takes one americano free with the ten
    // stamps and pays the second by card, less the coupon. The card holds the one stamp the
    // second americano earned.
    let phone = "01024681357";
    kiosk_stamp_order(&mut kiosk, &mut stage, phone, 10, false, Lang::En, false)
        .expect("ten americanos on a stamp card");
    kiosk_stamp_order(&mut kiosk, &mut stage, phone, 2, true, Lang::Ja, true)
        .expect("in Japanese: a coupon, an americano free with the stamps and one paid");
    kiosk_orders += 2;

    // Ten tabs of three rounds each, each closed by paying the bill at the table. On four
    // of them the tablet loses power after the second round and comes back with the tab.
    let mut power_cuts = 0;
    for tab in 0..10 {
        let mut owed = 0;
        for round in 0..3 {
            let basket = Basket::random(&mut rng);
            table_round(&mut table, &mut stage, &basket, round == 0)
                .unwrap_or_else(|e| panic!("tab {tab} round {round}: {e}"));
            rounds += 1;
            owed += basket.total();
            if round == 1 && tab % 3 == 0 {
                table.kill();
                table =
                    KioskProcess::start(&stage.table_config, "1280x800").expect("the tablet starts again");
                power_cuts += 1;
                assert_eq!(table.tab_total().unwrap(), owed, "tab {tab}: the restarted tablet shows the tab");
            }
        }
        table_bill(&mut table, &mut stage).unwrap_or_else(|e| panic!("tab {tab} bill: {e}"));
        bills += 1;
    }
    // A tab of three diners split evenly (더치페이): the first share declined once and paid
    // again, the tablet losing power between the first and the second share (it comes back
    // with the share paid), the third paying the rest and closing the tab.
    let mut shares = 0;
    for round in 0..2 {
        table_round(&mut table, &mut stage, &Basket::random(&mut rng), round == 0)
            .unwrap_or_else(|e| panic!("split tab round {round}: {e}"));
        rounds += 1;
    }
    // A diner in the barrier-free mode (high contrast, everything at 200 %) adds a round.
    table_round_barrier_free(&mut table, &mut stage)
        .unwrap_or_else(|e| panic!("the barrier-free round: {e}"));
    rounds += 1;
    let split_owed = table.tab_total().unwrap();
    assert!(!table_share(&mut table, &mut stage, true).expect("the first share, declined once"));
    shares += 1;
    table.kill();
    table = KioskProcess::start(&stage.table_config, "1280x800").expect("the tablet starts again");
    power_cuts += 1;
    let left = table.tab_total().unwrap();
    assert!(left > 0 && left < split_owed, "the restarted tablet owes {left} of {split_owed}");
    assert!(!table_share(&mut table, &mut stage, false).expect("the second share"));
    assert!(table_share(&mut table, &mut stage, false).expect("the third share pays the rest"));
    shares += 2;
    assert_eq!(table.tab_total().unwrap(), 0, "the split tab is closed");

    // A pre-pay table (table 8): two rounds paid by card at the table before they are sent,
    // one sent for the counter to take, which the store holds from the kitchen until staff
    // take its payment there.
    let mut prepay =
        KioskProcess::start(&stage.prepay_config, "1280x800").expect("the pre-pay tablet starts");
    let mut prepaid_rounds = 0;
    for pay in [Pay::Card, Pay::Card, Pay::Counter] {
        prepay_round(&mut prepay, &mut stage, &Basket::random(&mut rng), pay)
            .unwrap_or_else(|e| panic!("pre-pay round ({pay:?}): {e}"));
        prepaid_rounds += 1;
    }
    assert!(drain(&mut stage, Duration::from_secs(60)), "the pre-pay rounds reach the store server");
    {
        let mut server = ServerDb::open(&stage.server_db).unwrap();
        let held = server.held_orders().unwrap();
        assert_eq!(held.len(), 1, "the round for the counter waits out of the kitchen: {held:?}");
        let staff =
            server.staff_add("counter", kiosk_store_server::db::console::Role::Counter, "x", 0).unwrap();
        let member = kiosk_store_server::db::console::StaffMember {
            id: staff,
            name: "counter".into(),
            role: kiosk_store_server::db::console::Role::Counter,
            active: true,
        };
        let id = held.into_iter().next().unwrap();
        let method = kiosk_store_server::db::console::CounterMethod::Cash;
        server.pay_order_at_counter(&id, method, Some(100_000), None, &member, 1).unwrap();
        assert!(server.held_orders().unwrap().is_empty(), "paid at the counter: to the kitchen");
    }
    prepay.quit();

    // The eleventh tab is paid at the counter: staff settle the table at the store, and the
    // tablet's tab closes by itself.
    for round in 0..2 {
        table_round(&mut table, &mut stage, &Basket::random(&mut rng), round == 0)
            .unwrap_or_else(|e| panic!("counter tab round {round}: {e}"));
        rounds += 1;
    }
    assert!(drain(&mut stage, Duration::from_secs(60)), "the rounds reach the store server");
    let settled = ServerDb::open(&stage.server_db).unwrap().settle_table("7").unwrap();
    assert_eq!(settled.len(), 2, "the counter settles the two rounds not paid at the table");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while table.tab_total().unwrap() != 0 {
        assert!(std::time::Instant::now() < deadline, "the tablet's tab closes after the counter");
        std::thread::sleep(Duration::from_millis(50));
    }

    assert!(drain(&mut stage, Duration::from_secs(60)), "every order reaches the store server");
    // The printer takes a moment after the last order.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let slips = |stage: &kiosk_tests::e2e::Stage| {
        stage.printed.iter().filter(|t| kiosk_tests::e2e::parse_slip(t).is_some()).count()
    };
    while (stage.printed.iter().filter(|t| kiosk_tests::e2e::parse_receipt(t).is_some()).count() < receipts
        || slips(&stage) < kiosk_orders)
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(100));
        stage.collect_printed();
    }
    kiosk.quit();
    table.quit();

    let plan = stage
        .printed
        .iter()
        .find(|t| parse_receipt(t).is_some_and(|r| r.number.to_string() == instalments))
        .unwrap_or_else(|| panic!("no receipt for the instalment order {instalments}"));
    assert!(plan.contains("Installment") && plan.contains("3 months"), "the plan on its receipt:\n{plan}");
    let copies = stage
        .printed
        .iter()
        .filter(|t| parse_receipt(t).is_some_and(|r| r.number.to_string() == instalments))
        .filter(|t| t.contains("[RECEIPT COPY]"))
        .count();
    assert_eq!(copies, 1, "the reprint is printed once, marked as a copy");
    let audit = Audit::run(&stage);
    let card = ServerDb::open(&stage.server_db).unwrap().stamp_card(phone).unwrap();
    assert_eq!(card.1, 1, "ten stamps earned, ten spent on the free americano, one earned by the paid one");
    println!(
        "e2e: {kiosk_orders} kiosk orders, {rounds} table rounds, {bills} bills paid at the table, {shares} shares of a split bill, {prepaid_rounds} rounds at a pre-pay table, {power_cuts} tablet power cuts mid-tab; {}",
        audit.summary()
    );
    assert!(audit.problems.is_empty(), "{:#?}", audit.problems);
    let table_orders = rounds + bills + shares + prepaid_rounds;
    assert_eq!(audit.told, kiosk_orders + table_orders, "every customer was told, and found at the store");
    assert_eq!(audit.server_orders, kiosk_orders + table_orders, "exactly once at the store server");
    // Nothing here cuts the LAN or resets a connection: only the tablet's power cuts (a kill
    // between an answer and its record) may make a device send an order twice.
    assert!(audit.resends <= power_cuts, "{} re-sends with {power_cuts} power cuts", audit.resends);
    assert_eq!(audit.receipts, receipts, "every receipt asked for was printed");
    assert!(
        audit.missing_slips.is_empty(),
        "kiosk orders without their number slip: {:?}",
        audit.missing_slips
    );
    assert_eq!(audit.slips, kiosk_orders, "every kiosk order's number on paper, asked for a receipt or not");
    assert_eq!(
        audit.approvals,
        41 + 2 + bills + shares + 2,
        "card and barcode payments (the cancelled one not charged; both stamp card orders, the second for its paid americano), the table's bills and shares"
    );
    assert_eq!(audit.open_tab, 0, "every tab paid");
    assert_eq!((audit.cancelled_approvals, audit.refunds), (1, 1), "the refund reached the store");
}
