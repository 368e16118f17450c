//! A time-of-day menu through the screen, with the store's clock set by the test: an item
//! outside its hours is in the grid, greyed, saying from when it is sold, and cannot be
//! opened; at that hour it can, without a touch in between. (Its own process: Slint allows
//! one platform per process.)

use std::sync::Arc;

use kiosk_app::device;
use kiosk_app::screen::photos::Photos;
use kiosk_app::screen::shell::Shell;
use kiosk_clock::{ManualTime, StoreClock};
use kiosk_domain::{Menu, TimeOfDay, Window};
use kiosk_session::Page;
use kiosk_store::{Actor, Store};
use kiosk_ui::headless::{self, Screen};

mod common;

use common::{ko, press};

/// Monday 7 December 2026, 10:30 in Seoul.
const MONDAY_10_30_KST: i64 = 1_796_607_000_000;

#[test]
fn an_item_outside_its_hours_is_greyed_with_its_hour_and_opens_at_that_hour() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let _enter = runtime.enter();
    let dir = tempfile::tempdir().unwrap();
    let screen = Screen::install(800, 1280).unwrap();
    let config = common::counter_kiosk(dir.path());
    std::fs::create_dir_all(&config.data_dir).unwrap();
    let mut menu: Menu = serde_json::from_str(include_str!("../data/demo-menu.json")).unwrap();
    let scone = menu.items.iter_mut().find(|i| i.id.0 == "scone").unwrap();
    let hour = |h| TimeOfDay::new(h, 0).unwrap();
    scone.availability = vec![Window { days: vec![], from: hour(11), until: hour(15) }];
    Store::open(config.database_path()).unwrap().save_menu(&menu, "test", Actor::System, 0).unwrap();
    let mut device = device::start(&config).unwrap();
    let time = ManualTime::new(1_000, MONDAY_10_30_KST);
    device.runner.clock = StoreClock::with_source("Asia/Seoul", Arc::new(time.clone()));
    let shell = Shell::new(&config, device.runner, device.feeds, Photos::new(None), runtime.handle().clone())
        .unwrap();

    press(&shell, &ko("Touch to order"));
    press(&shell, "한국어");
    press(&shell, &ko("Take out"));
    press(&shell, "베이커리");
    let closed = format!("플레인 스콘, 3,800원, {}", ko("Available from {}").replace("{}", "11:00"));
    assert!(headless::bounds(shell.window(), &closed).is_some(), "the card says from when");
    let _ = headless::press(shell.window(), &closed);
    common::settle(&shell);
    assert_eq!(shell.view().page, Page::Menu, "a closed item does not open");
    // The note is drawn in the card (its words on the screen, not only in its label).
    assert!(headless::bounds(shell.window(), &ko("Available from {}").replace("{}", "11:00")).is_some());

    // 11:00 on the store's clock (the wall clock alone: the customer's session is not idle
    // for it): the next tick shows it on sale.
    time.step_wall(30 * 60 * 1000);
    shell.pump();
    screen.draw(false);
    press(&shell, "플레인 스콘, 3,800원");
    assert_eq!(shell.view().page, Page::Item);
}
