//! Commits orders and payments into a store as fast as it can, until it is killed. The crash
//! test SIGKILLs it at random points and checks the database after each kill.
//!
//! Usage: crash-worker DB_PATH SEED

use kiosk_app::store::{Actor, PrintKind, Store};
use kiosk_domain::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

fn main() {
    let mut args = std::env::args().skip(1);
    let db = args.next().expect("DB_PATH");
    let seed: u64 = args.next().and_then(|s| s.parse().ok()).expect("SEED");
    let mut rng = StdRng::seed_from_u64(seed);
    let menu = kiosk_tests::example_menu();
    let mut store = Store::open(&db).expect("open");
    let now =
        || std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    kiosk_tests::recover(&mut store, now()).expect("recover");
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
        let settlement = if rng.random_bool(0.3) { Settlement::PayAtCounter } else { Settlement::Prepaid };
        let kind = OrderKind::Kiosk { service: Service::TakeOut };
        let mut order =
            Order::from_cart(OrderId(Uuid::new_v4()), 0, kind, settlement, &cart, &menu, now()).unwrap();
        store.create_order(&mut order, "2026-11-22", Actor::Customer, now()).unwrap();
        if settlement == Settlement::PayAtCounter {
            store
                .commit_order(
                    order.id,
                    &[PrintKind::OrderSlip, PrintKind::KitchenTicket],
                    Actor::Customer,
                    now(),
                )
                .unwrap();
            continue;
        }
        let j = store
            .begin_payment(order.id, PaymentOp::Approve, order.total(), "{\"method\":\"card\"}", now())
            .unwrap();
        let roll: f64 = rng.random();
        let outcome = if roll < 0.8 {
            PaymentOutcome::Approved(Approval {
                card_masked: Some("5327-50**-****-0001".into()),
                issuer: Some("신한카드".into()),
                ..Approval::card(
                    &format!("{:08}", rng.random_range(0..100_000_000)),
                    "261122120000",
                    order.total(),
                )
            })
        } else if roll < 0.9 {
            PaymentOutcome::Declined { code: "51".into(), message: "한도초과".into() }
        } else {
            PaymentOutcome::Unknown { reason: "timeout".into() }
        };
        match store.finish_payment(j, &outcome, now()).unwrap() {
            OrderState::PaymentApproved => {
                store
                    .commit_order(
                        order.id,
                        &[PrintKind::Receipt, PrintKind::KitchenTicket],
                        Actor::System,
                        now(),
                    )
                    .unwrap();
                if rng.random_bool(0.5) {
                    store.outbox_begin_send(order.id, now()).unwrap();
                    store.outbox_delivered(order.id, None, now()).unwrap();
                }
            }
            OrderState::PaymentDeclined => {
                store.apply_event(order.id, OrderEvent::Cancel, Actor::Customer, now()).unwrap();
            }
            _ => {} // unknown: left for recovery at the next start
        }
    }
}
