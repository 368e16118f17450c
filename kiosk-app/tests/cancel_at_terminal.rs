//! The customer cancels on the screen while the card terminal waits for the card, through
//! the screen by label against the simulated terminal: the terminal is reset at once,
//! nothing is charged and the cart is kept; a card paid just as the cancel reached the
//! terminal completes the order instead (the money was taken), and the customer is told.
//! (Its own process: Slint allows one platform per process.)

use std::time::{Duration, Instant};

use kiosk_domain::OrderState;
use kiosk_session::Page;
use kiosk_sim::terminal::Fault;
use kiosk_sim::terminal::server::{TerminalSimOptions, spawn_pty as spawn_terminal};
use kiosk_store::Store;
use kiosk_ui::headless::{self, Screen};

mod common;

use common::{ko, press, tap, wait_until};

/// How long the simulated customer takes to pay: far longer than the test waits.
const CUSTOMER_TAKES: Duration = Duration::from_secs(30);

#[test]
fn cancel_while_the_terminal_waits_for_the_card() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let _enter = runtime.enter();
    let dir = tempfile::tempdir().unwrap();
    let _screen = Screen::install(800, 1280).unwrap();
    let options = TerminalSimOptions { customer_delay: CUSTOMER_TAKES, ..TerminalSimOptions::default() };
    let terminal = spawn_terminal(&dir.path().join("ttyTERMINAL"), options).unwrap();
    let config = common::device_config(
        &dir.path().join("kiosk"),
        "kiosk",
        r#"payment_methods = ["card", "counter"]"#,
        &format!(
            "[devices.terminal]\nprotocol = \"smartro\"\nport = \"{}\"\nbaud = 115200",
            dir.path().join("ttyTERMINAL").display()
        ),
    );
    let (shell, _store) = common::demo_device(&config, runtime.handle());
    wait_until(&shell, Duration::from_secs(10), "the terminal did not come up", |s| s.view().card_available);

    press(&shell, &ko("Touch to order"));
    press(&shell, "한국어");
    press(&shell, &ko("Take out"));
    press(&shell, "베이커리");
    press(&shell, "플레인 스콘, 3,800원");
    press(&shell, &ko("Add · {}").replace("{}", "3,800원"));
    press(&shell, &ko("View cart"));
    press(&shell, &ko("Pay"));
    let cancel = ko("Cancel payment");

    // 1. cancelled before any card: back to the cart, nothing charged
    tap(&shell, &ko("Credit or debit card"));
    wait_until(&shell, Duration::from_secs(5), "no cancel offered while the card is awaited", |s| {
        headless::bounds(s.window(), &cancel).is_some() && terminal.handle.awaiting_customer()
    });
    let asked = Instant::now();
    tap(&shell, &cancel);
    wait_until(&shell, Duration::from_secs(10), "the cancel did not end the payment", |s| {
        s.view().page == Page::Cart
    });
    let took = asked.elapsed();
    assert!(took < Duration::from_secs(5), "the cancel took {took:?}");
    assert!(terminal.handle.ledger().is_empty(), "charged: {:?}", terminal.handle.ledger());
    assert!(!terminal.handle.awaiting_customer(), "the terminal still waits for a card");
    assert!(headless::bounds(shell.window(), "플레인 스콘").is_some(), "the cart is kept");
    let store = Store::open(config.database_path()).unwrap();
    assert!(store.orders_in(&[OrderState::Committed]).unwrap().is_empty(), "an order without payment");

    // 2. the card is paid just as the cancel reaches the terminal: the order goes through
    terminal.handle.push_fault(Fault::PaidBeforeReset);
    press(&shell, &ko("Pay"));
    tap(&shell, &ko("Credit or debit card"));
    wait_until(&shell, Duration::from_secs(5), "no cancel offered the second time", |s| {
        headless::bounds(s.window(), &cancel).is_some() && terminal.handle.awaiting_customer()
    });
    tap(&shell, &cancel);
    wait_until(&shell, Duration::from_secs(10), "the paid order was not completed", |s| {
        s.view().page == Page::Done
    });
    let notice = ko("Your card was paid before the cancel reached the reader, so your order went through.");
    assert_eq!(shell.view().notice, notice);
    let standing = terminal.handle.standing_approvals();
    assert_eq!(standing.iter().map(|a| a.1).collect::<Vec<_>>(), vec![3_800]);
    let order =
        store.order_of_approval(&standing[0].0).unwrap().expect("the approval's order in the journal");
    assert_eq!(store.order_state(order).unwrap(), OrderState::Committed);
}
