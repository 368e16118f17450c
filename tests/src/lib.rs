//! Helpers shared by the end-to-end tests and the programs they drive.

pub mod e2e;
pub mod fault_proxy;
pub mod peers;
pub mod pos;
pub mod tryton;

use kiosk_app::store::{Actor, Store, StoreError};
use kiosk_domain::{Menu, OrderEvent, OrderState, PaymentOp, PaymentOutcome};

/// The example menu shipped with the firmware.
pub fn example_menu() -> Menu {
    serde_json_menu(include_str!("../../kiosk-app/data/menu.example.json"))
}

fn serde_json_menu(s: &str) -> Menu {
    kiosk_app::menu_import::parse(s, kiosk_app::menu_import::Format::Json).expect("example menu is valid")
}

/// What start-up recovery does with orders a crash left mid-payment, with a terminal that
/// reports "no charge" for unanswered steps and completes approved ones. (The real
/// recovery asks the terminal; the payment issue adds it.) Returns how many were resolved.
pub fn recover(store: &mut Store, now_ms: i64) -> Result<usize, StoreError> {
    let mut resolved = 0;
    for entry in store.open_payments()? {
        // The terminal was asked and the answer is lost: ambiguous, never retried.
        store.finish_payment(entry.id, &PaymentOutcome::Unknown { reason: "crash".into() }, now_ms)?;
        resolved += 1;
    }
    for id in store.orders_in(&[OrderState::PaymentUnknown])? {
        let q = store.begin_payment(id, PaymentOp::QueryLast, kiosk_domain::Money::ZERO, "{}", now_ms)?;
        store.finish_payment(q, &PaymentOutcome::NotCharged, now_ms)?;
        store.apply_event(id, OrderEvent::Cancel, Actor::System, now_ms)?;
        resolved += 1;
    }
    for id in store.orders_in(&[OrderState::PaymentApproved])? {
        store.commit_order(id, &[kiosk_app::store::PrintKind::Receipt], Actor::System, now_ms)?;
        resolved += 1;
    }
    Ok(resolved)
}
