//! The operator's receipt journal through the screen, by label, after a restart: today's
//! orders are read from the store (nothing of them is in the session's memory), any one's
//! receipt is printed again on the simulated printer marked as a copy, and "reprint last"
//! prints the newest of today's. (Its own process: Slint allows one platform per process.)

use std::time::Duration;

use kiosk_app::device;
use kiosk_app::screen::photos::Photos;
use kiosk_app::screen::shell::Shell;
use kiosk_clock::StoreClock;
use kiosk_domain::{Approval, Menu, PaymentOp, PaymentOutcome, Settlement};
use kiosk_session::Page;
use kiosk_sim::printer::server::{SimOptions, SimReport, spawn_pty as spawn_printer};
use kiosk_store::{Actor, PrintKind, Store};
use kiosk_ui::headless::{self, Screen};

mod common;

use common::{ko, press, wait_until};

#[test]
fn the_operator_reprints_any_of_todays_receipts_after_a_restart() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let _enter = runtime.enter();
    let dir = tempfile::tempdir().unwrap();
    let screen = Screen::install(800, 1280).unwrap();
    let printer = spawn_printer(&dir.path().join("ttyPRINTER"), SimOptions::default()).unwrap();
    let mut printed = printer.handle.subscribe();
    let config = common::device_config(
        &dir.path().join("kiosk"),
        "kiosk",
        r#"payment_methods = ["counter"]"#,
        &format!("[devices.printer]\nport = \"{}\"\nbaud = 115200", dir.path().join("ttyPRINTER").display()),
    );
    std::fs::create_dir_all(&config.data_dir).unwrap();
    let menu: Menu = serde_json::from_str(include_str!("../data/demo-menu.json")).unwrap();

    // Before the restart: a card order whose receipt was printed, then a counter order.
    let clock = StoreClock::new("Asia/Seoul");
    let (now, today) = (clock.now_ms(), clock.business_day(clock.now_ms()));
    let mut store = Store::open(config.database_path()).unwrap();
    store.save_menu(&menu, "test", Actor::System, 0).unwrap();
    let example: Menu = serde_json::from_str(include_str!("../data/menu.example.json")).unwrap();
    let paid = common::cola_order(&example, 2, Settlement::Prepaid, now);
    let counter = common::cola_order(&example, 1, Settlement::PayAtCounter, now + 1);
    for mut order in [paid.clone(), counter.clone()] {
        let at = order.created_at_ms;
        store.create_order(&mut order, &today, Actor::Customer, at).unwrap();
    }
    let step = store.begin_payment(paid.id, PaymentOp::Approve, paid.total(), "{}", now).unwrap();
    let approval = Approval::card("30012345", "261207110501", paid.total());
    store.finish_payment(step, &PaymentOutcome::Approved(approval), now).unwrap();
    store.commit_order(paid.id, &[PrintKind::Receipt], Actor::Customer, now).unwrap();
    let original = store.print_pending(1).unwrap()[0].id;
    store.print_attempted(original, Ok(()), false, now).unwrap();
    store.commit_order(counter.id, &[], Actor::Customer, now + 1).unwrap();
    drop(store);

    let device = device::start(&config).unwrap();
    let shell = Shell::new(&config, device.runner, device.feeds, Photos::new(None), runtime.handle().clone())
        .unwrap();
    shell.pump();
    for _ in 0..5 {
        screen.tap(20.0, 20.0);
        shell.pump();
    }
    for digit in "4321".chars() {
        press(&shell, &digit.to_string());
    }
    press(&shell, &ko("Enter"));
    wait_until(&shell, Duration::from_secs(10), "no operator page with today's orders", |s| {
        s.view().page == Page::Operator && s.view().day_orders.len() == 2
    });
    let reprint = ko("Reprint receipt {}").replace("{}", "");
    let rows: Vec<String> =
        headless::labels(shell.window()).into_iter().filter(|l| l.starts_with(&reprint)).collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows[0].starts_with(&format!("{reprint}#2 · ")), "the newest first: {rows:?}");

    let mut receipt = |what: &str| {
        runtime.block_on(async {
            loop {
                match tokio::time::timeout(Duration::from_secs(10), printed.recv()).await {
                    Ok(Ok(SimReport::Printed(job))) if job.text().contains("합계") => break job.text(),
                    Ok(Ok(_)) => continue,
                    other => panic!("no {what}: {other:?}"),
                }
            }
        })
    };
    press(&shell, &rows[1]);
    let copy = receipt("copy of order 1's receipt");
    for needle in ["[영수증 재발행]", "주문번호 0001", "30012345"] {
        assert!(copy.contains(needle), "{needle:?} missing from\n{copy}");
    }
    assert_eq!(shell.view().notice, ko("Printing a copy of the receipt"));

    press(&shell, &ko("Reprint last receipt"));
    let last = receipt("order 2's receipt");
    assert!(last.contains("[영수증]") && last.contains("주문번호 0002"), "{last}");
}
