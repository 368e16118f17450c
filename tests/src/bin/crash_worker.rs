//! Commits orders and payments into a store as fast as it can, until it is killed. The crash
//! test SIGKILLs it at random points and checks the database after each kill. A third of the
//! paid orders carry a coupon, held (as journaled) before the charge, as the firmware does.
//!
//! Payments go through the real payment desk to the simulated terminal at TERMINAL_LINK
//! (run by the crash test, so its ledger outlives every kill), and start-up recovers through
//! the desk's real recovery, as `kiosk run` does: interrupted charges are settled by asking
//! the terminal.
//!
//! Usage: crash-worker DB_PATH TERMINAL_LINK SEED [--recover-only]
//! Exit: 3 when the terminal cannot settle an interrupted charge yet (restart to recover).

use std::time::Duration;

use kiosk_app::payment_desk::{Means, PayResult, PaymentDesk};
use kiosk_app::store_thread::StoreHandle;
use kiosk_clock::StoreClock;
use kiosk_domain::*;
use kiosk_drivers::payment::smartro::client::SmartroTerminal;
use kiosk_drivers::transport::{Endpoint, FlowControl, Port};
use kiosk_store::{Actor, PrintKind, Store};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let db = args.next().expect("DB_PATH");
    let link = args.next().expect("TERMINAL_LINK");
    let seed: u64 = args.next().and_then(|s| s.parse().ok()).expect("SEED");
    let mut rng = StdRng::seed_from_u64(seed);
    let menu = kiosk_tests::example_menu();
    let store = StoreHandle::spawn(Store::open(&db).expect("open"));
    let endpoint = Endpoint::Serial { path: link.into(), baud: 115_200, flow_control: FlowControl::None };
    let io = loop {
        match Port::open(&endpoint, Duration::from_secs(1)).await {
            Ok(io) => break io,
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    };
    let terminal = SmartroTerminal::new(io, "SIM00001").with_charge_timeout(Duration::from_millis(300));
    let mut desk = PaymentDesk::new(store.clone(), terminal, StoreClock::new("Asia/Seoul"));
    let report = desk.recover().await.expect("recover");
    if !report.settled() {
        std::process::exit(3);
    }
    if args.next().as_deref() == Some("--recover-only") {
        return;
    }
    println!("ready");
    let simple = ["cola", "cider", "fries-regular", "cheese-sticks", "corn-salad", "spicy-chicken-burger"];
    loop {
        let mut cart = Cart::default();
        for _ in 0..rng.random_range(1..=6) {
            let item = simple[rng.random_range(0..simple.len())];
            let mut sel = Selection::of(item, rng.random_range(1..=3));
            if item == "fries-regular" {
                sel = Selection::of("fries", 1);
                sel.options.insert("fries-size".into(), vec![Pick::plain("regular")]);
            }
            let _ = cart.add(&menu, sel, None);
        }
        let settlement = if rng.random_bool(0.5) { Settlement::PayAtCounter } else { Settlement::Prepaid };
        let kind = OrderKind::Kiosk { service: Service::TakeOut };
        let coupon = settlement == Settlement::Prepaid && rng.random_bool(0.33);
        if coupon {
            let terms = CouponTerms { value: CouponValue::Amount(Money(500)), min_order: Money(0) };
            let _ =
                cart.set_coupon(Some(Coupon { code: format!("CRASH-{}", rng.random_range(0..1000)), terms }));
        }
        let mut order =
            Order::from_cart(OrderId(Uuid::new_v4()), 0, kind, settlement, &cart, &menu, now()).unwrap();
        let id = order.id;
        let code = order.coupon.as_ref().map(|c| c.code.clone());
        store.run(move |s| s.create_order(&mut order, "2026-11-22", Actor::Customer, now())).await.unwrap();
        if let Some(code) = code {
            // The store server's hold, journaled before and after (the server is not here).
            store.run(move |s| s.coupon_asking(id, &code, now())).await.unwrap();
            store.run(move |s| s.coupon_answered(id, true, now())).await.unwrap();
        }
        // The outbox worker tells the store server of a hold to release, now and then.
        if rng.random_bool(0.3) {
            let due = store.run(|s| s.coupon_releases_due(now(), 8)).await.unwrap();
            for hold in due {
                store.run(move |s| s.coupon_released(hold.order_id, now())).await.unwrap();
            }
        }
        if settlement == Settlement::PayAtCounter {
            let prints = [PrintKind::OrderSlip, PrintKind::KitchenTicket];
            store.run(move |s| s.commit_order(id, &prints, Actor::Customer, now())).await.unwrap();
            continue;
        }
        match desk.pay(id, &Means::Card).await.expect("pay") {
            PayResult::Approved(_) => {
                let prints = [PrintKind::Receipt, PrintKind::KitchenTicket];
                store.run(move |s| s.commit_order(id, &prints, Actor::System, now())).await.unwrap();
                if rng.random_bool(0.5) {
                    store.run(move |s| s.outbox_begin_send(id, now())).await.unwrap();
                    store.run(move |s| s.outbox_delivered(id, None, now())).await.unwrap();
                }
            }
            PayResult::Declined { .. } | PayResult::Aborted => {
                store
                    .run(move |s| s.apply_event(id, OrderEvent::Cancel, Actor::Customer, now()))
                    .await
                    .unwrap();
            }
            // ambiguous and the terminal cannot tell: left for recovery at the next start
            PayResult::Unresolved => std::process::exit(3),
        }
    }
}
