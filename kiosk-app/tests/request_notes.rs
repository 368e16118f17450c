//! Request notes (요청사항) through the screen, by label: on an item, a preset and words typed
//! on the on-screen keyboard (Hangul composed key by key); on the order, a preset and words
//! again. The customer's receipt (the kiosk's printer), the kitchen ticket (the store
//! server's kitchen printer, over TCP) and the store's order board all carry them.
//! (Its own process: Slint allows one platform per process.)

use std::time::Duration;

use kiosk_domain::Lang;
use kiosk_drivers::transport::Endpoint;
use kiosk_session::Page;
use kiosk_sim::printer::server::{SimOptions, SimReport, spawn_tcp};
use kiosk_store_server::db::ServerDb;
use kiosk_ui::headless::Screen;

mod common;

use common::{ko, press, wait_until};

/// Presses the keyboard's keys by their labels; `␣` is the space bar and `⇧` the shift key.
fn type_keys(shell: &kiosk_app::screen::shell::Shell, keys: &str) {
    for key in keys.chars() {
        match key {
            '␣' => press(shell, &ko("Space")),
            '⇧' => press(shell, &ko("Shift")),
            c => press(shell, &c.to_string()),
        }
    }
}

#[test]
fn requests_typed_on_the_screen_reach_the_receipt_the_kitchen_and_the_store() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let _enter = runtime.enter();
    let dir = tempfile::tempdir().unwrap();
    let _screen = Screen::install(800, 1280).unwrap();
    let kitchen = runtime.block_on(spawn_tcp("127.0.0.1:0", SimOptions::default())).unwrap();
    let mut kitchen_paper = kitchen.handle.subscribe();
    let db = dir.path().join("pos.sqlite");
    let token = ServerDb::open(&db).unwrap().issue_token("kiosk-1", false).unwrap();
    let kitchen_at = Endpoint::Tcp { address: kitchen.address.unwrap().to_string() };
    let server = common::start_store_server_with_kitchen(&runtime, &db, Some(kitchen_at));
    let kiosk = common::linked_kiosk(dir.path(), server.addr, &token, &runtime);
    let mut receipt_paper = kiosk.printer.handle.subscribe();
    let shell = &kiosk.shell;
    common::start_order_ko(shell);
    press(shell, "아메리카노, 4,500원");
    press(shell, "아이스");
    press(shell, "레귤러");
    // The item's request: a preset, and 시럽 빼고 typed jamo by jamo (ㅃ with the shift key).
    press(shell, "얼음 적게");
    press(shell, &ko("Write a request"));
    assert_eq!(shell.view().page, Page::Note);
    type_keys(shell, "ㅅㅣㄹㅓㅂ␣⇧ㅃㅐㄱㅗ");
    assert_eq!(shell.view().keyboard.text, "시럽 빼고");
    press(shell, &ko("Done"));
    assert_eq!(shell.view().page, Page::Item);
    press(shell, &ko("Request: {}").replace("{}", "시럽 빼고")); // opens it again, as written
    assert_eq!(shell.view().keyboard.text, "시럽 빼고");
    press(shell, &ko("Cancel"));
    press(shell, &ko("Add · {}").replace("{}", "4,500원"));
    press(shell, &ko("View cart"));
    // The order's request: a preset, and 포크 2개.
    press(shell, "빨대 빼 주세요");
    press(shell, &ko("Write a request"));
    type_keys(shell, "ㅍㅗㅋㅡ␣2ㄱㅐ");
    press(shell, &ko("Done"));
    assert_eq!(shell.view().note_text, "포크 2개");
    press(shell, &ko("Pay"));
    press(shell, &ko("Credit or debit card"));
    wait_until(shell, Duration::from_secs(15), "the card payment", |s| s.view().page == Page::Done);
    let number = shell.view().order_number;
    press(shell, &ko("Print a receipt"));

    let paper = |rx: &mut tokio::sync::broadcast::Receiver<SimReport>, what: &str, marker: &str| {
        runtime.block_on(async {
            loop {
                match tokio::time::timeout(Duration::from_secs(15), rx.recv()).await {
                    Ok(Ok(SimReport::Printed(job))) if job.text().contains(marker) => break job.text(),
                    Ok(Ok(_)) => continue,
                    other => panic!("no {what}: {other:?}"),
                }
            }
        })
    };
    let receipt = paper(&mut receipt_paper, "receipt", "합계");
    for needle in ["아메리카노 x1", "※ 얼음 적게, 시럽 빼고", "※ 요청: 빨대 빼 주세요, 포크 2개"]
    {
        assert!(receipt.contains(needle), "{needle:?} missing from the receipt\n{receipt}");
    }
    let ticket = paper(&mut kitchen_paper, "kitchen ticket", "주방 주문서");
    for needle in ["아메리카노 x1", "※ 요청: 얼음 적게, 시럽 빼고", "※ 요청: 빨대 빼 주세요, 포크 2개"]
    {
        assert!(ticket.contains(needle), "{needle:?} missing from the kitchen ticket\n{ticket}");
    }
    let board = ServerDb::open(&db).unwrap().board_orders(i64::MAX / 2, 0, Lang::Ko).unwrap();
    let order = board.iter().find(|o| o.number.to_string() == number).expect("the order at the store");
    assert_eq!(order.lines[0].note, "얼음 적게, 시럽 빼고");
    assert_eq!(order.note, "빨대 빼 주세요, 포크 2개");
}
