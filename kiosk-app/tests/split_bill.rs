//! Splitting the bill (더치페이) at a table, through the screen by label, against the
//! simulated card terminal and the real store server on loopback: two diners each pay half
//! by card; after the first share the bill (on the tablet and at the store) shows what is
//! still owed, and the second share closes the tab on both. (Its own process: Slint allows
//! one platform per process.)

use std::time::Duration;

use kiosk_domain::TableId;
use kiosk_session::Page;
use kiosk_sim::terminal::server::{TerminalSimOptions, spawn_pty as spawn_terminal};
use kiosk_store_server::db::ServerDb;
use kiosk_ui::headless::Screen;

mod common;

use common::{ko, press, wait_until};

#[test]
fn two_diners_pay_half_each_and_the_second_share_closes_the_tab() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let _enter = runtime.enter();
    let dir = tempfile::tempdir().unwrap();
    let _screen = Screen::install(1280, 800).unwrap();
    let db = dir.path().join("pos.sqlite");
    let token = ServerDb::open(&db).unwrap().issue_token("table-3", false).unwrap();
    let server = common::start_store_server(&runtime, &db);
    let terminal = spawn_terminal(&dir.path().join("ttyTERMINAL"), TerminalSimOptions::default()).unwrap();
    let config = common::device_config(
        &dir.path().join("table-3"),
        "table",
        "postpay = true\npayment_methods = [\"card\"]",
        &format!(
            "[table]\nnumber = \"3\"\n[devices.terminal]\nprotocol = \"smartro\"\nport = \"{}\"\nbaud = 115200\n\
             [pos]\nadapter = \"kiosk-link\"\nurl = \"http://{}\"\ntoken = \"{token}\"",
            dir.path().join("ttyTERMINAL").display(),
            server.addr
        ),
    );
    let (shell, store) = common::demo_device(&config, runtime.handle());
    wait_until(&shell, Duration::from_secs(10), "the terminal did not come up", |s| s.view().card_available);

    // a round of two cheesecakes: 13,000 won
    press(&shell, "디저트");
    for _ in 0..2 {
        press(&shell, "뉴욕 치즈케이크, 6,500원");
        press(&shell, &ko("Add · {}").replace("{}", "6,500원"));
    }
    press(&shell, &ko("View cart"));
    press(&shell, &ko("Send order"));
    let server_owes = || {
        // (the table stays listed while the tablet holds it: an open tab has rounds)
        let tables = ServerDb::open(&db).unwrap().tables(0).unwrap();
        tables.into_iter().find(|t| t.table == "3" && t.rounds > 0).map(|t| t.owed)
    };
    let eventually = |what: &str, want: Option<i64>| {
        for _ in 0..250 {
            if server_owes() == want {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
            shell.pump();
        }
        panic!("{what}: the store server shows {:?}", server_owes());
    };
    eventually("the round at the store", Some(13_000));

    // the first diner: half, by card
    press(&shell, &ko("Bill"));
    press(&shell, &ko("Split the bill"));
    assert_eq!(shell.view().split_amount, "6,500원", "evenly between the two guests");
    press(&shell, &ko("Pay this share by card"));
    wait_until(&shell, Duration::from_secs(10), "the first share", |s| s.view().page == Page::Done);
    let first_done = ko("Share {} is paid. Still to pay at this table: {}.")
        .replacen("{}", "1", 1)
        .replacen("{}", "6,500원", 1);
    assert!(shell.view().done_detail.starts_with(&first_done), "{}", shell.view().done_detail);
    eventually("the store's tab less the first share", Some(6_500));
    press(&shell, &ko("Done"));
    press(&shell, &ko("Bill"));
    assert_eq!(shell.view().tab_total, "6,500원", "what is still owed");

    // the second diner pays the rest: the tab closes here and at the store
    press(&shell, &ko("Split the bill"));
    assert_eq!(shell.view().split_amount, "6,500원");
    press(&shell, &ko("Pay this share by card"));
    wait_until(&shell, Duration::from_secs(10), "the second share", |s| s.view().page == Page::Done);
    assert!(
        shell.view().done_detail.starts_with(&ko("Your bill is paid. Thank you.")),
        "{}",
        shell.view().done_detail
    );
    let approvals: Vec<u64> = terminal.handle.standing_approvals().iter().map(|a| a.1).collect();
    assert_eq!(approvals, vec![6_500, 6_500], "each share charged once");
    let open = store.run_blocking(|s| s.open_tab(&TableId("3".into()))).unwrap();
    assert!(open.is_empty(), "the tablet's tab is closed: {open:?}");
    eventually("the store's tab settled", None);
    drop(shell);
    runtime.block_on(server.stop());
}
