//! Takes payments for orders until killed or done: recovers first (as `kiosk run` does),
//! then creates, pays and commits orders against the terminal at TERMINAL_LINK. The payment
//! chaos test kills it at random and injects terminal faults.
//!
//! Usage: payment-worker DB TERMINAL_LINK SEED COUNT
//! Exit: 0 done; 3 the terminal was lost (restart to recover).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use kiosk_app::payments::{Means, PayResult, PaymentDesk};
use kiosk_domain::*;
use kiosk_drivers::payment::smartro::client::SmartroTerminal;
use kiosk_drivers::transport::{Endpoint, FlowControl, Port};
use kiosk_store::{Actor, PrintKind, Store};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (db, link, seed, count) =
        (&args[1], &args[2], args[3].parse::<u64>().unwrap(), args[4].parse::<u32>().unwrap());
    let mut rng = StdRng::seed_from_u64(seed);
    let menu = kiosk_tests::example_menu();
    let store = Arc::new(Mutex::new(Store::open(db).expect("open store")));
    let endpoint = Endpoint::Serial { path: link.into(), baud: 115_200, flow_control: FlowControl::None };
    let mut tries = 0;
    let io = loop {
        match Port::open(&endpoint, Duration::from_secs(1)).await {
            Ok(io) => break io,
            Err(_) if tries < 50 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("terminal not there: {e}"),
        }
    };
    let terminal = SmartroTerminal::new(io, "SIM00001").with_charge_timeout(Duration::from_millis(300));
    let mut desk = PaymentDesk::new(store.clone(), terminal);
    let report = desk.recover(now()).await.expect("recover");
    if report.still_unknown > 0 {
        std::process::exit(3);
    }
    println!("ready");
    let items = ["cola", "cider", "cheese-sticks", "corn-salad", "spicy-chicken-burger"];
    for _ in 0..count {
        let mut cart = Cart::default();
        for _ in 0..rng.random_range(1..=3) {
            let _ = cart.add(
                &menu,
                Selection::of(items[rng.random_range(0..items.len())], rng.random_range(1..=3)),
                None,
            );
        }
        let kind = OrderKind::Kiosk { service: Service::TakeOut };
        let mut order = Order::from_cart(
            OrderId(uuid::Uuid::new_v4()),
            0,
            kind,
            Settlement::Prepaid,
            &cart,
            &menu,
            now(),
        )
        .unwrap();
        store.lock().unwrap().create_order(&mut order, "2026-11-22", Actor::Customer, now()).unwrap();
        let means = if rng.random_bool(0.2) {
            Means::Barcode(format!("2810{:014}", rng.random_range(0..10u64.pow(14))))
        } else {
            Means::Card
        };
        match desk.pay(order.id, &means, now()).await.expect("pay") {
            PayResult::Approved(_) => {
                store
                    .lock()
                    .unwrap()
                    .commit_order(order.id, &[PrintKind::Receipt], Actor::System, now())
                    .unwrap();
            }
            PayResult::Declined { code, .. } => {
                store
                    .lock()
                    .unwrap()
                    .apply_event(order.id, OrderEvent::Cancel, Actor::Customer, now())
                    .unwrap();
                if code == "NS" {
                    std::process::exit(3); // the terminal is gone: restart and recover
                }
            }
            PayResult::Aborted => {
                store
                    .lock()
                    .unwrap()
                    .apply_event(order.id, OrderEvent::Cancel, Actor::Customer, now())
                    .unwrap();
            }
            PayResult::Unresolved => std::process::exit(3),
        }
    }
}
