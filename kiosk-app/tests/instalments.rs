//! Card instalments (할부) through the screen, by label: a cart of 50,000 won or more offers
//! the plan on the pay page, the simulated terminal is asked for it, and the printed receipt
//! says it; a smaller cart offers none. (Its own process: Slint allows one platform per
//! process.)

use std::time::{Duration, Instant};

use kiosk_session::Page;
use kiosk_sim::printer::server::{SimOptions, SimReport, spawn_pty as spawn_printer};
use kiosk_sim::terminal::server::{TerminalSimOptions, spawn_pty as spawn_terminal};
use kiosk_ui::headless::{self, Screen};

mod common;

use common::{ko, press};

#[test]
fn a_cart_of_fifty_thousand_won_is_paid_in_three_months_and_its_receipt_says_so() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let _enter = runtime.enter();
    let dir = tempfile::tempdir().unwrap();
    let _screen = Screen::install(800, 1280).unwrap();
    let terminal = spawn_terminal(&dir.path().join("ttyTERMINAL"), TerminalSimOptions::default()).unwrap();
    let printer = spawn_printer(&dir.path().join("ttyPRINTER"), SimOptions::default()).unwrap();
    let mut printed = printer.handle.subscribe();
    let config = common::device_config(
        &dir.path().join("kiosk"),
        "kiosk",
        r#"payment_methods = ["card", "counter"]"#,
        &format!(
            "[devices.terminal]\nprotocol = \"smartro\"\nport = \"{}\"\nbaud = 115200\n[devices.printer]\nport = \"{}\"\nbaud = 115200",
            dir.path().join("ttyTERMINAL").display(),
            dir.path().join("ttyPRINTER").display()
        ),
    );
    let (shell, _store) = common::demo_device(&config, runtime.handle());
    let deadline = Instant::now() + Duration::from_secs(10);
    while !shell.view().card_available {
        assert!(Instant::now() < deadline, "the terminal did not come up");
        std::thread::sleep(Duration::from_millis(20));
        shell.pump();
    }

    press(&shell, &ko("Touch to order"));
    press(&shell, "한국어");
    press(&shell, &ko("Take out"));
    press(&shell, "베이커리");
    press(&shell, "플레인 스콘, 3,800원");
    press(&shell, &ko("Add · {}").replace("{}", "3,800원"));
    press(&shell, &ko("View cart"));
    press(&shell, &ko("Pay"));
    let plan = ko("Card instalments");
    assert!(headless::bounds(shell.window(), &format!("{plan} +")).is_none(), "no plan for 3,800 won");
    // 14 scones: 53,200 won
    press(&shell, &ko("Back"));
    for _ in 0..13 {
        press(&shell, &ko("One more {}").replace("{}", "플레인 스콘"));
    }
    press(&shell, &ko("Pay"));
    assert!(headless::bounds(shell.window(), &ko("Lump sum")).is_some(), "a lump sum first");
    for _ in 0..2 {
        press(&shell, &format!("{plan} +"));
    }
    let three = ko("{} months").replace("{}", "3");
    assert!(headless::bounds(shell.window(), &three).is_some(), "the plan on the screen");
    press(&shell, &ko("Credit or debit card"));
    let deadline = Instant::now() + Duration::from_secs(10);
    while shell.view().page != Page::Done {
        assert!(Instant::now() < deadline, "not paid: {:?}", shell.view().page);
        std::thread::sleep(Duration::from_millis(20));
        shell.pump();
    }
    assert_eq!(terminal.handle.standing_approvals().iter().map(|a| a.1).collect::<Vec<_>>(), vec![53_200]);
    press(&shell, &ko("Print a receipt"));
    let receipt = runtime.block_on(async {
        loop {
            match tokio::time::timeout(Duration::from_secs(10), printed.recv()).await {
                Ok(Ok(SimReport::Printed(job))) if job.text().contains("합계") => break job.text(),
                Ok(Ok(_)) => continue,
                other => panic!("no receipt: {other:?}"),
            }
        }
    });
    let line =
        receipt.lines().find(|l| l.trim_start().starts_with("할부")).unwrap_or_else(|| panic!("{receipt}"));
    assert!(line.trim_end().ends_with("3개월"), "the receipt's plan: {line:?}");
}
