//! Chinese and Japanese through the screen, by label, against a running store server: the
//! language page offers the four languages the store lists; a Chinese customer orders and
//! pays by card and gets a Chinese receipt; a Japanese customer types a coupon and a stamp
//! number on the keyboards and gets a Japanese receipt with the coupon on it, the coupon used
//! and the stamps earned at the store. Every label pressed is the catalogue's or the menu's
//! text in that language, and no page shows a text cut off.
//! (Its own process: Slint allows one platform per process.)

use std::time::Duration;

use kiosk_domain::{CouponTerms, CouponValue, Lang, Menu, Money};
use kiosk_session::Page;
use kiosk_sim::printer::server::SimReport;
use kiosk_store_server::db::ServerDb;
use kiosk_store_server::db::coupons::CouponStanding;
use kiosk_ui::audit;
use kiosk_ui::headless::Screen;

mod common;

use common::{ko, press, wait_until};

const NUMBER: &str = "01077778888";

fn tr(lang: Lang, msgid: &str) -> String {
    kiosk_ui::translate(lang.code(), msgid)
}

/// The menu's text of `id` (a category, an item, or `group/option`) in `lang`.
fn menu_text(menu: &Menu, lang: Lang, id: &str) -> String {
    menu.name_at(id).unwrap_or_else(|| panic!("{id} is not on the menu")).get(lang).to_owned()
}

/// Texts cut off on the screen as it stands (the category bar scrolls, so it may).
fn cut_off(shell: &kiosk_app::screen::shell::Shell, screen: &Screen, name: &str) -> Vec<String> {
    let _ = screen.render();
    let drawn = audit::drawn(shell.window());
    let categories = shell.view().categories;
    let scrolls = |l: &str| categories.iter().any(|c| l.contains(c.as_str()));
    audit::cut_off(&drawn, screen.size().0, scrolls).into_iter().map(|c| format!("{name}: {c}")).collect()
}

/// From the attract page to an iced regular americano added, in `lang`.
fn americano_in(
    shell: &kiosk_app::screen::shell::Shell,
    menu: &Menu,
    lang: Lang,
    screen: &Screen,
) -> Vec<String> {
    let mut cut = Vec::new();
    press(shell, &ko("Touch to order"));
    assert_eq!(shell.view().page, Page::Language);
    assert_eq!(shell.view().languages, [Lang::Ko, Lang::En, Lang::Zh, Lang::Ja]);
    press(shell, lang.native_name());
    assert_eq!(shell.view().lang, lang);
    press(shell, &tr(lang, "Take out"));
    press(shell, &menu_text(menu, lang, "coffee"));
    cut.extend(cut_off(shell, screen, &format!("{lang} menu")));
    press(shell, &format!("{}, ₩4,500", menu_text(menu, lang, "americano")));
    press(shell, &menu_text(menu, lang, "temp/iced"));
    press(shell, &menu_text(menu, lang, "size/regular"));
    cut.extend(cut_off(shell, screen, &format!("{lang} item")));
    press(shell, &tr(lang, "Add · {}").replace("{}", "₩4,500"));
    press(shell, &tr(lang, "View cart"));
    cut
}

/// The next receipt off the kiosk's printer (not a kitchen ticket or a slip).
fn next_receipt(paper: &mut tokio::sync::broadcast::Receiver<SimReport>, title: &str) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while std::time::Instant::now() < deadline {
        match paper.try_recv() {
            Ok(SimReport::Printed(job)) if job.text().contains(title) => return job.text(),
            Ok(_) => {}
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    panic!("no receipt titled {title:?}")
}

#[test]
fn chinese_and_japanese_customers_order_pay_and_get_receipts_in_their_language() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let _enter = runtime.enter();
    let dir = tempfile::tempdir().unwrap();
    let screen = Screen::install(800, 1280).unwrap();
    let menu: Menu = serde_json::from_str(include_str!("../data/demo-menu.json")).unwrap();
    let db = dir.path().join("pos.sqlite");
    let token = {
        let mut server_db = ServerDb::open(&db).unwrap();
        server_db.load_menu(menu.clone()).unwrap();
        let terms = CouponTerms { value: CouponValue::Amount(Money(500)), min_order: Money(0) };
        server_db.add_coupon("TOURIST-500", terms, None, None).unwrap();
        server_db.issue_token("kiosk-1", false).unwrap()
    };
    let server = common::start_store_server(&runtime, &db);
    let kiosk = common::linked_kiosk_with(
        dir.path(),
        server.addr,
        &token,
        &runtime,
        r#"languages = ["ko", "en", "zh", "ja"]"#,
    );
    let mut paper = kiosk.printer.handle.subscribe();
    let shell = &kiosk.shell;
    let mut cut = Vec::new();

    // 中文: an americano by card; the receipt in Chinese.
    let zh = Lang::Zh;
    cut.extend(americano_in(shell, &menu, zh, &screen));
    cut.extend(cut_off(shell, &screen, "zh cart"));
    press(shell, &tr(zh, "Pay"));
    press(shell, &tr(zh, "Credit or debit card"));
    wait_until(shell, Duration::from_secs(15), "the Chinese card payment", |s| s.view().page == Page::Done);
    cut.extend(cut_off(shell, &screen, "zh done"));
    press(shell, &tr(zh, "Print a receipt"));
    let receipt = next_receipt(&mut paper, "收据");
    for want in ["订单号", &format!("{} x1", menu_text(&menu, zh, "americano")), "合计", "授权号"] {
        assert!(receipt.contains(want), "{want:?} not on the Chinese receipt:\n{receipt}");
    }
    press(shell, &tr(zh, "Done"));

    // 日本語: an americano with a coupon typed on the keyboard and a stamp card on the
    // keypad; the receipt in Japanese with the discount, the coupon used at the store and
    // the stamp earned there.
    let ja = Lang::Ja;
    cut.extend(americano_in(shell, &menu, ja, &screen));
    press(shell, &tr(ja, "Coupon"));
    for c in "TOURIST-500".chars() {
        press(shell, &c.to_string());
    }
    press(shell, &tr(ja, "Done"));
    wait_until(shell, Duration::from_secs(10), "the coupon applied", |s| !s.view().coupon_line.is_empty());
    assert_eq!(shell.view().total, "₩4,000");
    press(shell, &tr(ja, "Stamps"));
    for d in NUMBER.chars() {
        press(shell, &d.to_string());
    }
    press(shell, &tr(ja, "Done"));
    wait_until(shell, Duration::from_secs(10), "the stamp card", |s| !s.view().stamp_line.is_empty());
    cut.extend(cut_off(shell, &screen, "ja cart"));
    press(shell, &tr(ja, "Pay"));
    press(shell, &tr(ja, "Credit or debit card"));
    wait_until(shell, Duration::from_secs(15), "the Japanese card payment", |s| s.view().page == Page::Done);
    let number: u32 = shell.view().order_number.parse().unwrap();
    cut.extend(cut_off(shell, &screen, "ja done"));
    press(shell, &tr(ja, "Print a receipt"));
    let receipt = next_receipt(&mut paper, "領収書");
    for want in
        ["注文番号", &format!("{} x1", menu_text(&menu, ja, "americano")), "クーポン", "合計", "承認番号"]
    {
        assert!(receipt.contains(want), "{want:?} not on the Japanese receipt:\n{receipt}");
    }
    assert!(receipt.contains("4,000"), "the discounted total:\n{receipt}");
    press(shell, &tr(ja, "Done"));
    let used = || {
        let coupons = ServerDb::open(&db).unwrap().coupons().unwrap();
        let c = coupons.into_iter().find(|c| c.code == "TOURIST-500").expect("issued");
        matches!(c.standing, CouponStanding::Used { number: Some(n), .. } if n == number)
    };
    wait_until(shell, Duration::from_secs(10), "the coupon used at the store", |_| used());
    let stamps = ServerDb::open(&db).unwrap().stamp_card(NUMBER).unwrap().1;
    assert_eq!(stamps, 1, "one coffee, one stamp");

    assert!(cut.is_empty(), "{cut:#?}");
    screen.save_png(&std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ja-done.png")).unwrap();
}
