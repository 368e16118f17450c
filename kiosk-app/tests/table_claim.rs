//! A table tablet claims its table from the store server when it starts. A second tablet
//! configured with a table another one holds is told so on its screen at once, and no round
//! it is asked to send leaves it: through the screen by label, against the real store server
//! on loopback. (Its own process: Slint allows one platform per process.)

use std::time::{Duration, Instant};

use kiosk_session::Page;
use kiosk_store_server::db::ServerDb;
use kiosk_ui::headless::{self, Screen};

mod common;

use common::{ko, press};

#[test]
fn a_second_tablet_for_a_held_table_is_told_on_its_screen_and_sends_no_round() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let _enter = runtime.enter();
    let dir = tempfile::tempdir().unwrap();
    let screen = Screen::install(1280, 800).unwrap();

    // The store server, where the first tablet already holds table 7.
    let db = dir.path().join("pos.sqlite");
    let token = {
        let mut server_db = ServerDb::open(&db).unwrap();
        server_db.issue_token("tab-a", false).unwrap();
        server_db.claim_table("7", "tab-a").unwrap();
        server_db.issue_token("tab-b", false).unwrap()
    };
    let server = common::start_store_server(&runtime, &db);

    // The second tablet, configured with the same number.
    let config = common::device_config(
        &dir.path().join("tab-b"),
        "table",
        r#"payment_methods = ["counter"]"#,
        &format!(
            "[table]\nnumber = \"7\"\n[pos]\nadapter = \"kiosk-link\"\nurl = \"http://{}\"\ntoken = \"{token}\"",
            server.addr
        ),
    );
    let (shell, store) = common::demo_device(&config, runtime.handle());

    // Told at its start, without a touch: the problem page, in words on the screen.
    let title = ko("This table number is in use");
    let deadline = Instant::now() + Duration::from_secs(10);
    while headless::bounds(shell.window(), &title).is_none() {
        assert!(Instant::now() < deadline, "not told within 10 s; the page is {:?}", shell.view().page);
        std::thread::sleep(Duration::from_millis(20));
        shell.pump();
        screen.draw(false);
    }
    let body = ko("Another tablet already takes orders for table {}. Please call staff: this tablet needs its own table number.")
        .replace("{}", "7");
    assert!(headless::bounds(shell.window(), &body).is_some(), "the page says which table and what to do");
    press(&shell, &ko("OK"));
    assert_eq!(shell.view().page, Page::TableHome);

    // A round the diner puts together is not sent onto the other tablet's bill.
    press(&shell, "디저트");
    press(&shell, "뉴욕 치즈케이크, 6,500원");
    press(&shell, &ko("Add · {}").replace("{}", "6,500원"));
    press(&shell, &ko("View cart"));
    press(&shell, &ko("Send order"));
    assert_eq!(shell.view().page, Page::Problem);
    assert!(headless::bounds(shell.window(), &title).is_some());
    let stored = store.run_blocking(|s| s.orders_in(&kiosk_domain::OrderState::ALL)).unwrap();
    assert!(stored.is_empty(), "no round stored: {stored:?}");
    let at_server = ServerDb::open(&db).unwrap().orders(0, 10).unwrap();
    assert!(at_server.is_empty(), "no round at the store server: {at_server:?}");
    assert_eq!(ServerDb::open(&db).unwrap().table_holder("7").unwrap().as_deref(), Some("tab-a"));
    drop(shell);
    runtime.block_on(server.stop());
}
