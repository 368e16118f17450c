//! A pre-pay table (`postpay = false`) through the screen, by label, against the simulated
//! card terminal: the round is paid at the table before it is sent, the terminal charged
//! once for it, the round kept in the store as paid, and the bill lists it as paid with
//! nothing owed. (Its own process: Slint allows one platform per process.)

use std::time::Duration;

use kiosk_domain::{Settlement, TableId};
use kiosk_session::Page;
use kiosk_sim::terminal::server::{TerminalSimOptions, spawn_pty as spawn_terminal};
use kiosk_store::Store;
use kiosk_ui::headless::{self, Screen};

mod common;

use common::{ko, press, wait_until};

#[test]
fn a_prepay_table_pays_its_round_at_the_table_before_it_is_sent() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let _enter = runtime.enter();
    let dir = tempfile::tempdir().unwrap();
    let _screen = Screen::install(1280, 800).unwrap();
    let terminal = spawn_terminal(&dir.path().join("ttyTERMINAL"), TerminalSimOptions::default()).unwrap();
    let config = common::device_config(
        &dir.path().join("table-3"),
        "table",
        "postpay = false\npayment_methods = [\"card\"]",
        &format!(
            "[table]\nnumber = \"3\"\n[devices.terminal]\nprotocol = \"smartro\"\nport = \"{}\"\nbaud = 115200",
            dir.path().join("ttyTERMINAL").display()
        ),
    );
    let (shell, _store) = common::demo_device(&config, runtime.handle());
    wait_until(&shell, Duration::from_secs(10), "the terminal did not come up", |s| s.view().card_available);

    press(&shell, "디저트");
    press(&shell, "뉴욕 치즈케이크, 6,500원");
    press(&shell, &ko("Add · {}").replace("{}", "6,500원"));
    press(&shell, &ko("View cart"));
    press(&shell, &ko("Send order"));
    assert_eq!(shell.view().page, Page::PayChoice, "paid before it is sent");
    assert!(terminal.handle.ledger().is_empty());
    press(&shell, &ko("Credit or debit card"));
    wait_until(&shell, Duration::from_secs(10), "the round was not paid", |s| s.view().page == Page::Done);
    assert_eq!(shell.view().done_detail, ko("Paid. Your order is on its way to the kitchen."));
    assert_eq!(terminal.handle.standing_approvals().iter().map(|a| a.1).collect::<Vec<_>>(), vec![6_500]);
    let rounds = Store::open(config.database_path()).unwrap().open_tab(&TableId("3".into())).unwrap();
    assert_eq!(rounds.len(), 1);
    assert_eq!(rounds[0].settlement, Settlement::Prepaid);
    assert!(rounds[0].state.is_committed());

    press(&shell, &ko("Done"));
    press(&shell, &ko("Bill"));
    assert!(headless::bounds(shell.window(), &ko("Paid as ordered")).is_some(), "the paid round is listed");
    let view = shell.view();
    assert!(
        !view.owes && view.tab_lines.is_empty() && view.paid_lines.len() == 1,
        "owes {}, on the tab {:?}, paid {:?}",
        view.owes,
        view.tab_lines,
        view.paid_lines
    );
    assert!(
        headless::bounds(shell.window(), &ko("Please pay at the counter when you leave")).is_none(),
        "nothing is left to pay"
    );
}
