//! Suggestions (함께 드시면 좋아요) through the screen, by label, against the real store server
//! on loopback: after a coffee the menu's pairing comes up over the cart bar; one customer
//! takes it (the cheesecake's page opens, and it is added), the next declines it; the
//! store's daily close counts one taken and one declined. (Its own process: Slint allows
//! one platform per process.)

use std::time::Duration;

use kiosk_session::Page;
use kiosk_store_server::db::ServerDb;
use kiosk_ui::headless::{self, Screen};

mod common;

use common::{ko, press, wait_until};

fn americano(shell: &kiosk_app::screen::shell::Shell) {
    press(shell, &ko("Touch to order"));
    press(shell, "한국어");
    press(shell, &ko("Take out"));
    press(shell, "아메리카노, 4,500원");
    press(shell, "아이스");
    press(shell, "레귤러");
    press(shell, &ko("Add · {}").replace("{}", "4,500원"));
}

fn pay_at_counter(shell: &kiosk_app::screen::shell::Shell) {
    press(shell, &ko("View cart"));
    press(shell, &ko("Pay"));
    press(shell, &ko("Pay at the counter"));
    wait_until(shell, Duration::from_secs(10), "the order number", |s| s.view().page == Page::Done);
    press(shell, &ko("Done"));
}

#[test]
fn a_suggestion_taken_and_one_declined_are_counted_in_the_daily_close() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let _enter = runtime.enter();
    let dir = tempfile::tempdir().unwrap();
    let _screen = Screen::install(800, 1280).unwrap();
    let db = dir.path().join("pos.sqlite");
    let token = ServerDb::open(&db).unwrap().issue_token("kiosk-1", false).unwrap();
    let server = common::start_store_server(&runtime, &db);
    let config = common::device_config(
        &dir.path().join("kiosk"),
        "kiosk",
        r#"payment_methods = ["counter"]"#,
        &format!("[pos]\nadapter = \"kiosk-link\"\nurl = \"http://{}\"\ntoken = \"{token}\"", server.addr),
    );
    let (shell, _store) = common::demo_device(&config, runtime.handle());
    wait_until(&shell, Duration::from_secs(10), "the store server", |s| s.view().page == Page::Attract);

    // The first customer takes it: the cheesecake's page opens, and it goes into the cart.
    americano(&shell);
    let take = ko("Add {}").replace("{}", "뉴욕 치즈케이크");
    assert!(headless::bounds(shell.window(), &take).is_some(), "no suggestion over the cart bar");
    press(&shell, &take);
    assert_eq!(shell.view().page, Page::Item);
    press(&shell, &ko("Add · {}").replace("{}", "6,500원"));
    assert_eq!(shell.view().item_count, 2);
    pay_at_counter(&shell);

    // The next declines it, and is not asked again.
    americano(&shell);
    press(&shell, &format!("{}: 뉴욕 치즈케이크", ko("No thanks")));
    assert!(headless::bounds(shell.window(), &take).is_none(), "the card is gone");
    press(&shell, &ko("View cart"));
    assert!(
        headless::bounds(shell.window(), &take).is_none(),
        "a declined suggestion is not on the cart page"
    );
    press(&shell, &ko("Add more"));
    pay_at_counter(&shell);

    let counted = || {
        let db = ServerDb::open(&db).unwrap();
        let day = db.business_day(kiosk_clock::unix_now_ms()).unwrap();
        db.day_report(&day).unwrap().suggestions.get("coffee-cheesecake").copied()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while counted() != Some((1, 1)) {
        assert!(std::time::Instant::now() < deadline, "the daily close counts {:?}", counted());
        std::thread::sleep(Duration::from_millis(50));
        shell.pump();
    }
}
