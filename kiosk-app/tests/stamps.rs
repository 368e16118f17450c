//! Stamps (적립) through the screen, by label, against a running store server: a mobile
//! number typed on the cart page's keypad (one of the wrong length refused first), ten
//! americanos earning ten stamps, then a second customer with the same number taking an
//! americano free with them: nothing to pay, no charge at the terminal, the stamps spent at
//! the store. The number is nowhere on the device (its database files) nor in any log line,
//! and the store keeps only a salted hash of it.
//! (Its own process: Slint allows one platform per process, and the log capture is global.)

use std::time::Duration;

use kiosk_session::Page;
use kiosk_sim::terminal::model::LedgerEntry;
use kiosk_store_server::db::ServerDb;
use kiosk_ui::headless::Screen;

mod common;

use common::{ko, press, wait_until};

const NUMBER: &str = "01055512345";

fn type_number(shell: &kiosk_app::screen::shell::Shell, digits: &str) {
    for d in digits.chars() {
        press(shell, &d.to_string());
    }
    press(shell, &ko("Done"));
}

/// Every file under `dir`, whole (the databases with their WAL and journal files).
fn files_holding(dir: &std::path::Path, needle: &[u8]) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in walk(dir) {
        let bytes = std::fs::read(&entry).unwrap_or_default();
        if bytes.windows(needle.len()).any(|w| w == needle) {
            found.push(entry);
        }
    }
    found
}

/// The regular files under `dir` (not the simulators' PTY links, which never end).
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let (path, kind) = (entry.path(), entry.file_type());
        match kind {
            Ok(k) if k.is_dir() => out.extend(walk(&path)),
            Ok(k) if k.is_file() => out.push(path),
            _ => {}
        }
    }
    out
}

#[test]
fn stamps_are_earned_by_number_and_a_reward_taken_free_with_the_number_kept_nowhere() {
    let logs = common::Captured::default();
    let sink = logs.clone();
    tracing::subscriber::set_global_default(
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || sink.clone())
            .finish(),
    )
    .expect("this test's process captures every log line");

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let _enter = runtime.enter();
    let dir = tempfile::tempdir().unwrap();
    let _screen = Screen::install(800, 1280).unwrap();
    let db = dir.path().join("pos.sqlite");
    let token = {
        let mut server_db = ServerDb::open(&db).unwrap();
        let menu: kiosk_domain::Menu =
            serde_json::from_str(include_str!("../data/demo-menu.json")).expect("the demo menu");
        server_db.load_menu(menu).unwrap();
        server_db.issue_token("kiosk-1", false).unwrap()
    };
    let server = common::start_store_server(&runtime, &db);
    let kiosk = common::linked_kiosk(dir.path(), server.addr, &token, &runtime);
    let (shell, terminal, device_dir) = (&kiosk.shell, &kiosk.terminal, kiosk.data.clone());
    let stamps_at_store = || ServerDb::open(&db).unwrap().stamp_card(NUMBER).unwrap().1;

    // Ten americanos on a new card: ten stamps.
    common::start_order_ko(shell);
    common::open_iced_americano(shell);
    for _ in 0..9 {
        press(shell, &ko("One more"));
    }
    press(shell, &ko("Add · {}").replace("{}", "45,000원"));
    press(shell, &ko("View cart"));
    press(shell, &ko("Stamps"));
    type_number(shell, &NUMBER[..9]);
    assert_eq!(shell.view().page, Page::Note, "nine digits stay on the keypad");
    assert!(shell.view().keyboard.problem.contains("10~11자리"), "{}", shell.view().keyboard.problem);
    for _ in 0..9 {
        press(shell, &ko("Delete"));
    }
    type_number(shell, NUMBER);
    wait_until(shell, Duration::from_secs(10), "the card", |s| !s.view().stamp_line.is_empty());
    assert_eq!(shell.view().stamp_line, "스탬프 0개, 이번 주문 +10개");
    press(shell, &ko("Pay"));
    press(shell, &ko("Credit or debit card"));
    wait_until(shell, Duration::from_secs(15), "the card payment", |s| s.view().page == Page::Done);
    press(shell, &ko("Done"));
    wait_until(shell, Duration::from_secs(10), "ten stamps at the store", |_| stamps_at_store() == 10);

    // The same number again: an americano free, nothing to pay, nothing charged.
    common::start_order_ko(shell);
    common::open_iced_americano(shell);
    press(shell, &ko("Add · {}").replace("{}", "4,500원"));
    press(shell, &ko("View cart"));
    press(shell, &ko("Stamps"));
    type_number(shell, NUMBER);
    wait_until(shell, Duration::from_secs(10), "the reward offered", |s| !s.view().reward_offer.is_empty());
    press(shell, &shell.view().reward_offer);
    assert_eq!(shell.view().total, "0원");
    press(shell, &ko("Pay"));
    press(shell, &ko("Credit or debit card"));
    wait_until(shell, Duration::from_secs(15), "the free order", |s| s.view().page == Page::Done);
    assert_eq!(shell.view().done_detail, ko("Nothing to pay: your order is placed."));
    press(shell, &ko("Done"));
    wait_until(shell, Duration::from_secs(10), "the stamps spent at the store", |_| stamps_at_store() == 0);
    let charges: Vec<u64> = terminal
        .handle
        .ledger()
        .iter()
        .filter_map(|e| if let LedgerEntry::Approved { amount, .. } = e { Some(*amount) } else { None })
        .collect();
    assert_eq!(charges, [45_000], "the free americano was charged nothing");

    // Nowhere in the clear: the device's files, the store's database, the logs.
    drop(kiosk);
    assert!(files_holding(&device_dir, NUMBER.as_bytes()).is_empty(), "the device keeps the number");
    let files = walk(dir.path());
    assert!(files.iter().any(|f| f.ends_with("pos.sqlite")), "the store's database is looked at: {files:?}");
    assert!(files_holding(dir.path(), NUMBER.as_bytes()).is_empty(), "a file keeps the number");
    let logged = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    assert!(logged.len() > 1_000, "the logs were captured");
    assert!(!logged.contains(NUMBER) && !logged.contains("010-5551"), "a log line has the number");
}
