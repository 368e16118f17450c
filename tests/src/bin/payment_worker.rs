//! Takes payments for orders until killed or done: recovers first (as `kiosk run` does),
//! then creates, pays and commits orders against the terminal at TERMINAL_LINK. The payment
//! chaos test kills it at random and injects terminal faults. Some customers cancel a card
//! payment on the screen a few milliseconds in, racing the simulated customer's card. A
//! quarter of the time a table takes the turn instead: a round onto its tab, or a share of
//! its bill (evenly, or the rest) paid like any order, the tab as the store holds it after
//! every restart.
//!
//! Usage: payment-worker DB TERMINAL_LINK SEED COUNT
//! Exit: 0 done; 3 the terminal was lost (restart to recover).

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
    let store = StoreHandle::spawn(Store::open(db).expect("open store"));
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
    let mut desk = PaymentDesk::new(store.clone(), terminal, StoreClock::new("Asia/Seoul"));
    let report = desk.recover().await.expect("recover");
    if !report.settled() {
        std::process::exit(3);
    }
    println!("ready");
    let items = ["cola", "cider", "cheese-sticks", "corn-salad", "spicy-chicken-burger"];
    let table = TableId("T1".into());
    for _ in 0..count {
        let mut cart = Cart::default();
        for _ in 0..rng.random_range(1..=3) {
            let _ = cart.add(
                &menu,
                Selection::of(items[rng.random_range(0..items.len())], rng.random_range(1..=3)),
                None,
            );
        }
        let new_id = OrderId(uuid::Uuid::new_v4());
        let mut order = if rng.random_bool(0.25) {
            let t = table.clone();
            let tab = Tab::restore(table.clone(), store.run(move |s| s.open_tab(&t)).await.unwrap());
            if tab.owes() && !tab.share_pending() && rng.random_bool(0.7) {
                let how = match rng.random_range(0..3) {
                    0 => Split::Rest,
                    _ => Split::Even { parts: rng.random_range(1..=3) },
                };
                tab.share_order(new_id, how, now()).unwrap()
            } else {
                // a round onto the tab, committed unpaid
                let mut round =
                    Order::from_cart(new_id, 0, tab.next_kind(), Settlement::Tab, &cart, &menu, now())
                        .unwrap();
                store
                    .run(move |s| {
                        s.create_order(&mut round, "2026-11-22", Actor::Customer, now())?;
                        s.commit_order(new_id, &[], Actor::Customer, now())
                    })
                    .await
                    .unwrap();
                continue;
            }
        } else {
            let kind = OrderKind::Kiosk { service: Service::TakeOut };
            Order::from_cart(new_id, 0, kind, Settlement::Prepaid, &cart, &menu, now()).unwrap()
        };
        let id = order.id;
        store.run(move |s| s.create_order(&mut order, "2026-11-22", Actor::Customer, now())).await.unwrap();
        let means = if rng.random_bool(0.2) {
            Means::Barcode(format!("2810{:014}", rng.random_range(0..10u64.pow(14))))
        } else {
            Means::Card
        };
        let cancel = async || {
            store.run(move |s| s.apply_event(id, OrderEvent::Cancel, Actor::Customer, now())).await.unwrap();
        };
        // 4 % of card customers cancel on the screen, before or as the card is paid
        let cancel_after = (means == Means::Card && rng.random_bool(0.04))
            .then(|| Duration::from_micros(rng.random_range(0..4_000)));
        let screen_cancel = async {
            match cancel_after {
                Some(after) => tokio::time::sleep(after).await,
                None => std::future::pending().await,
            }
        };
        match desk.pay_until(id, &means, screen_cancel).await.expect("pay") {
            PayResult::Approved(_) => {
                store
                    .run(move |s| s.commit_order(id, &[PrintKind::Receipt], Actor::System, now()))
                    .await
                    .unwrap();
            }
            PayResult::Declined { code, .. } => {
                cancel().await;
                if code == "NS" {
                    std::process::exit(3); // the terminal is gone: restart and recover
                }
            }
            PayResult::Aborted => cancel().await,
            PayResult::Unresolved => std::process::exit(3),
        }
    }
}
