//! Coupons through the screen, by label, against a running store server: a code typed on the
//! cart page's keyboard and one scanned are checked by the server; one another kiosk takes
//! between the check and the checkout is refused before anything is charged; one on a
//! declined card that the customer walks away from is released at the server; the one used
//! is charged, printed and counted used once. The terminal's own ledger is the record of
//! what was charged.
//! (Its own process: Slint allows one platform per process.)

use std::time::Duration;

use kiosk_domain::{CouponTerms, CouponValue, Money};
use kiosk_session::{Intent, Page};
use kiosk_sim::printer::server::SimReport;
use kiosk_sim::terminal::model::{Fault, LedgerEntry};
use kiosk_store_server::db::ServerDb;
use kiosk_store_server::db::coupons::CouponStanding;
use kiosk_ui::headless::Screen;

mod common;

use common::{ko, press, wait_until};

fn amount(won: i64, min: i64) -> CouponTerms {
    CouponTerms { value: CouponValue::Amount(Money(won)), min_order: Money(min) }
}

fn standing(db: &std::path::Path, code: &str) -> CouponStanding {
    let coupons = ServerDb::open(db).unwrap().coupons().unwrap();
    coupons.into_iter().find(|c| c.code == code).expect("issued").standing
}

/// Whether `code` comes to be used by order `number` at the store within a few seconds.
fn wait_for_use(db: &std::path::Path, code: &str, number: u32) -> bool {
    let start = std::time::Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if matches!(standing(db, code), CouponStanding::Used { number: Some(n), .. } if n == number) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Types a code on the keyboard, key by key by label, and presses Done.
fn type_code(shell: &kiosk_app::screen::shell::Shell, code: &str) {
    press(shell, &ko("Coupon"));
    assert_eq!(shell.view().page, Page::Note);
    for c in code.chars() {
        press(shell, &c.to_string());
    }
    press(shell, &ko("Done"));
}

#[test]
fn coupons_are_checked_held_before_the_charge_released_when_not_used_and_used_once() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let _enter = runtime.enter();
    let dir = tempfile::tempdir().unwrap();
    let _screen = Screen::install(800, 1280).unwrap();
    let db = dir.path().join("pos.sqlite");
    let token = {
        let mut server_db = ServerDb::open(&db).unwrap();
        server_db.add_coupon("WELCOME-1000", amount(1_000, 5_000), None, None).unwrap();
        server_db.add_coupon("RACE-1", amount(500, 0), None, None).unwrap();
        server_db.add_coupon("LEFT-1", amount(700, 0), None, None).unwrap();
        server_db.add_coupon("SAME-1", amount(600, 0), None, None).unwrap();
        server_db.add_coupon("OLD-1", amount(500, 0), Some("2020-01-01"), Some("2020-01-31")).unwrap();
        server_db.issue_token("kiosk-1", false).unwrap()
    };
    let server = common::start_store_server(&runtime, &db);
    let kiosk = common::linked_kiosk(dir.path(), server.addr, &token, &runtime);
    let mut paper = kiosk.printer.handle.subscribe();
    let (shell, terminal) = (&kiosk.shell, &kiosk.terminal);

    common::start_order_ko(shell);
    press(shell, "베이커리");
    press(shell, "소금빵, 3,500원");
    press(shell, &ko("Add · {}").replace("{}", "3,500원"));
    press(shell, &ko("View cart"));
    let coupon_applied = |s: &kiosk_app::screen::shell::Shell| !s.view().coupon_line.is_empty();
    let notice = |s: &kiosk_app::screen::shell::Shell, what: &str| s.view().notice.contains(what);

    // Unknown, out of its dates, and below its minimum (3,500 < 5,000): nothing applied.
    type_code(shell, "NOPE-9");
    wait_until(shell, Duration::from_secs(10), "the unknown code's answer", |s| notice(s, "없는 쿠폰"));
    shell.intent(Intent::Scanned(kiosk_drivers::scanner::Scan { data: "CPN-OLD-1".into(), symbology: None }));
    wait_until(shell, Duration::from_secs(10), "the expired code's answer", |s| notice(s, "기간이 지난"));
    type_code(shell, "WELCOME-1000");
    wait_until(shell, Duration::from_secs(10), "the minimum", |s| notice(s, "5,000원 이상"));
    assert!(!coupon_applied(shell));
    assert_eq!(shell.view().total, "3,500원");

    // Checked, then taken by another kiosk before this one pays: refused at the checkout,
    // nothing charged, and the coupon comes off the cart.
    type_code(shell, "RACE-1");
    wait_until(shell, Duration::from_secs(10), "RACE-1 applied", coupon_applied);
    assert_eq!(shell.view().total, "3,000원");
    let other = kiosk_domain::OrderId(uuid::Uuid::from_u128(99)).to_string();
    ServerDb::open(&db).unwrap().hold_coupon(&other, "RACE-1", Money(9_000), "kiosk-2").unwrap();
    press(shell, &ko("Pay"));
    press(shell, &ko("Credit or debit card"));
    wait_until(shell, Duration::from_secs(10), "the refusal", |s| s.view().page == Page::Problem);
    assert!(shell.view().problem_body.contains("이미 사용된 쿠폰"), "{}", shell.view().problem_body);
    press(shell, &ko("OK"));
    assert_eq!((shell.view().page, shell.view().total.as_str()), (Page::Cart, "3,500원"));
    assert!(terminal.handle.ledger().is_empty(), "nothing was charged: {:?}", terminal.handle.ledger());

    // Held for a card that is declined; the customer adds a request and pays again: the new
    // order replaces the declined one and holds the same coupon (the old hold released first).
    type_code(shell, "SAME-1");
    wait_until(shell, Duration::from_secs(10), "SAME-1 applied", coupon_applied);
    terminal.handle.push_fault(Fault::Decline("6B"));
    press(shell, &ko("Pay"));
    press(shell, &ko("Credit or debit card"));
    wait_until(shell, Duration::from_secs(15), "the decline", |s| s.view().page == Page::Problem);
    press(shell, &ko("Try again"));
    press(shell, &ko("Back"));
    press(shell, "빨대 빼 주세요");
    press(shell, &ko("Pay"));
    press(shell, &ko("Credit or debit card"));
    wait_until(shell, Duration::from_secs(15), "the second try", |s| s.view().page == Page::Done);
    let same: u32 = shell.view().order_number.parse().unwrap();
    assert!(
        matches!(standing(&db, "SAME-1"), CouponStanding::Used { number: Some(n), .. } if n == same)
            || wait_for_use(&db, "SAME-1", same)
    );
    press(shell, &ko("Done"));

    // Held for a card that is declined, then the customer walks away: released at the server.
    common::start_order_ko(shell);
    press(shell, "베이커리");
    press(shell, "소금빵, 3,500원");
    press(shell, &ko("Add · {}").replace("{}", "3,500원"));
    press(shell, &ko("View cart"));
    type_code(shell, "LEFT-1");
    wait_until(shell, Duration::from_secs(10), "LEFT-1 applied", coupon_applied);
    terminal.handle.push_fault(Fault::Decline("6B"));
    press(shell, &ko("Pay"));
    press(shell, &ko("Credit or debit card"));
    wait_until(shell, Duration::from_secs(15), "the decline", |s| s.view().page == Page::Problem);
    assert!(matches!(standing(&db, "LEFT-1"), CouponStanding::Held { .. }), "held while it may be paid");
    press(shell, &ko("Try again"));
    press(shell, &ko("Back"));
    press(shell, &ko("Add more"));
    press(shell, &ko("Start over"));
    wait_until(shell, Duration::from_secs(10), "LEFT-1 released at the server", |_| {
        standing(&db, "LEFT-1") == CouponStanding::Free
    });

    // Used: the discount is charged, printed, and the coupon is used by that order.
    common::start_order_ko(shell);
    press(shell, "베이커리");
    press(shell, "소금빵, 3,500원");
    press(shell, &ko("Add · {}").replace("{}", "3,500원"));
    common::open_iced_americano(shell);
    press(shell, &ko("Add · {}").replace("{}", "4,500원"));
    press(shell, &ko("View cart"));
    type_code(shell, "WELCOME-1000");
    wait_until(shell, Duration::from_secs(10), "WELCOME-1000 applied", coupon_applied);
    assert_eq!(shell.view().coupon_line, "쿠폰 WELCOME-1000: −1,000원");
    assert_eq!(shell.view().total, "7,000원");
    press(shell, &ko("Pay"));
    press(shell, &ko("Credit or debit card"));
    wait_until(shell, Duration::from_secs(15), "the card payment", |s| s.view().page == Page::Done);
    let number: u32 = shell.view().order_number.parse().unwrap();
    press(shell, &ko("Print a receipt"));
    let receipt = runtime.block_on(async {
        loop {
            match tokio::time::timeout(Duration::from_secs(15), paper.recv()).await {
                Ok(Ok(SimReport::Printed(job))) if job.text().contains("합계") => break job.text(),
                Ok(Ok(_)) => continue,
                other => panic!("no receipt: {other:?}"),
            }
        }
    });
    for needle in ["소계", "8,000", "쿠폰 할인 WELCOME-1000", "-1,000", "7,000원"] {
        assert!(receipt.contains(needle), "{needle:?} missing from the receipt\n{receipt}");
    }
    let charged: Vec<u64> = terminal
        .handle
        .ledger()
        .iter()
        .filter_map(|e| match e {
            LedgerEntry::Approved { amount, .. } => Some(*amount),
            LedgerEntry::Cancelled { .. } => None,
        })
        .collect();
    assert_eq!(charged, [2_900, 7_000], "one charge per order, of its discounted total");
    wait_until(
        shell,
        Duration::from_secs(10),
        "the order at the store",
        |_| matches!(standing(&db, "WELCOME-1000"), CouponStanding::Used { number: Some(n), .. } if n == number),
    );
    assert!(matches!(standing(&db, "RACE-1"), CouponStanding::Held { order_id, .. } if order_id == other));
}
