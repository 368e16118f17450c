//! The touch UI, headless: the session bound to a real window, driven by accessible label
//! (as a screen reader or keypad would), its state checked in the store and its pixels in
//! key regions of the screen. One test function: Slint allows one platform per process.

use std::rc::Rc;

use kiosk_app::config::Config;
use kiosk_app::device;
use kiosk_app::screen::photos::Photos;
use kiosk_app::screen::shell::Shell;
use kiosk_app::store_thread::StoreHandle;
use kiosk_domain::{Menu, OrderState};
use kiosk_session::Page;
use kiosk_store::{Actor, Store};
use kiosk_ui::headless::{self, Screen};

mod common;

const DEMO_MENU: &str = include_str!("../data/demo-menu.json");

fn shell_with(config: &Config, menu: &Menu, runtime: &tokio::runtime::Runtime) -> (Rc<Shell>, StoreHandle) {
    std::fs::create_dir_all(&config.data_dir).unwrap();
    Store::open(config.database_path()).unwrap().save_menu(menu, "test", Actor::System, 0).unwrap();
    let device = device::start(config).unwrap();
    let store = device.runner.store.clone();
    let shell =
        Shell::new(config, device.runner, device.feeds, Photos::new(None), runtime.handle().clone()).unwrap();
    (shell, store)
}

use common::settle;

fn press(shell: &Shell, label: &str) {
    headless::press(shell.window(), label).unwrap();
    settle(shell);
}

fn ko(msgid: &str) -> String {
    kiosk_ui::translate("ko", msgid)
}

/// Pixels in a logical rectangle that are close to `colour`.
fn share_of(screen: &Screen, rgba: &[u8], (x, y, w, h): (f32, f32, f32, f32), colour: [u8; 3]) -> f64 {
    let (width, _) = screen.size();
    let (mut hits, mut all) = (0u64, 0u64);
    for py in y as u32..(y + h) as u32 {
        for px in x as u32..(x + w) as u32 {
            let i = ((py * width + px) * 4) as usize;
            let close = (0..3).all(|c| (rgba[i + c] as i32 - colour[c] as i32).abs() < 24);
            hits += close as u64;
            all += 1;
        }
    }
    hits as f64 / all.max(1) as f64
}

/// How tall the pixels of `colour` stand in a logical rectangle.
fn ink_height(screen: &Screen, rgba: &[u8], (x, y, w, h): (f32, f32, f32, f32), colour: [u8; 3]) -> u32 {
    let (width, _) = screen.size();
    let rows: Vec<u32> = (y as u32..(y + h) as u32)
        .filter(|py| {
            (x as u32..(x + w) as u32).any(|px| {
                let i = ((py * width + px) * 4) as usize;
                (0..3).all(|c| (rgba[i + c] as i32 - colour[c] as i32).abs() < 24)
            })
        })
        .collect();
    rows.last().map(|l| l - rows[0] + 1).unwrap_or(0)
}

type Rect = (f32, f32, f32, f32);

fn overlaps(a: Rect, b: Rect) -> bool {
    a.0 < b.0 + b.2 - 0.5 && b.0 < a.0 + a.2 - 0.5 && a.1 < b.1 + b.3 - 0.5 && b.1 < a.1 + a.3 - 0.5
}

/// The item cards on the menu page: inside the screen, none overlapping another.
fn check_cards(shell: &Shell, screen: &Screen) -> usize {
    let (w, _) = screen.size();
    let cards: Vec<Rect> = shell
        .view()
        .items
        .iter()
        .filter_map(|i| headless::bounds(shell.window(), &format!("{}, {}", i.name, i.price)))
        .collect();
    for (n, a) in cards.iter().enumerate() {
        assert!(a.0 >= 0.0 && a.0 + a.2 <= w as f32 + 0.5, "card {n} leaves the screen: {a:?}");
        for b in &cards[n + 1..] {
            assert!(!overlaps(*a, *b), "cards overlap: {a:?} {b:?}");
        }
    }
    cards.len()
}

#[test]
fn kiosk_order_by_label_then_bad_menus_keep_their_layout() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let _enter = runtime.enter();
    let dir = tempfile::tempdir().unwrap();
    let screen = Screen::install(800, 1280).unwrap();
    let mut demo: Menu = serde_json::from_str(DEMO_MENU).unwrap();
    demo.set_sold_out(&"tiramisu".into(), true);

    // --- a pay-at-counter order, by accessible label ---
    let config = common::counter_kiosk(&dir.path().join("kiosk"));
    let (shell, store) = shell_with(&config, &demo, &runtime);
    assert_eq!(shell.view().page, Page::Attract);
    press(&shell, &ko("Touch to order"));
    press(&shell, "한국어");
    press(&shell, &ko("Eat here"));
    assert_eq!(shell.view().page, Page::Menu);
    press(&shell, "디저트");
    // the sold-out card says so, in its label and in red
    let sold_out = format!("티라미수, 6,800원, {}", ko("sold out"));
    let badge = headless::bounds(shell.window(), &sold_out).expect("the sold-out card");
    let rgba = screen.render();
    assert!(share_of(&screen, &rgba, badge, [0xb9, 0x1c, 0x1c]) > 0.02, "no red sold-out badge on {badge:?}");
    assert!(headless::press(shell.window(), &sold_out).is_ok());
    settle(&shell);
    assert_eq!(shell.view().page, Page::Menu, "a sold-out item does not open");
    press(&shell, "베이커리");
    press(&shell, "버터 크루아상, 3,800원");
    press(&shell, "따뜻하게 데워 주세요");
    press(&shell, &ko("One more"));
    press(&shell, &ko("Add · {}").replace("{}", "7,600원"));
    assert_eq!(shell.view().item_count, 2);
    press(&shell, &ko("View cart"));
    press(&shell, &ko("Pay"));
    assert_eq!(shell.view().page, Page::PayChoice);
    // no terminal is configured: the card button is shown disabled and cannot be pressed
    assert!(headless::press(shell.window(), &ko("Credit or debit card")).is_err());
    press(&shell, &ko("Pay at the counter"));
    assert_eq!(shell.view().page, Page::Done);
    let number = shell.view().order_number;
    let label = ko("Order number {}").replace("{}", &number);
    let region = headless::bounds(shell.window(), &label).expect("the order number");
    let rgba = screen.render();
    let height = ink_height(&screen, &rgba, region, [0xc2, 0x41, 0x0c]);
    assert!(
        height >= 70,
        "the order number is drawn {height} px tall in the accent colour; a customer across the room must read it"
    );
    let (orders, order, pending) = store.run_blocking(|store| {
        let orders = store.orders_in(&[OrderState::Committed]).unwrap();
        let order = store.load_order(orders[0]).unwrap().unwrap();
        (orders.len(), order, store.outbox_pending_count().unwrap())
    });
    assert_eq!(orders, 1);
    assert_eq!(order.number.to_string(), number);
    assert_eq!(order.total().0, 7_600);
    assert_eq!(pending, 1, "committed and queued for the POS together");
    press(&shell, &ko("Done"));
    assert_eq!(shell.view().page, Page::Attract);
    drop(shell);

    // --- bad menus: long names, no photo, price 0, an empty category, 200 categories ---
    let mut bad: Menu = serde_json::from_str(DEMO_MENU).unwrap();
    let long_ko = "아주아주 긴 이름의 계절 한정 스페셜 수제 바닐라빈 크림 카라멜 마키아또 그란데 사이즈";
    let long_en =
        "An extraordinarily long seasonal special hand-made vanilla bean cream caramel macchiato, grande";
    bad.items[0].name = kiosk_domain::Text::new(long_ko, long_en);
    bad.items[1].image = None;
    bad.items[2].price = kiosk_domain::Money(0);
    bad.categories.insert(
        0,
        kiosk_domain::Category {
            id: "empty".into(),
            name: kiosk_domain::Text::new("빈 분류", "Empty"),
            image: None,
            availability: Vec::new(),
        },
    );
    for n in 0..200 {
        bad.categories.push(kiosk_domain::Category {
            id: format!("c{n}").as_str().into(),
            name: kiosk_domain::Text::new(&format!("분류 {n}"), &format!("Category {n}")),
            image: None,
            availability: Vec::new(),
        });
    }
    assert!(bad.validate().is_empty(), "{:?}", bad.validate());
    for (w, h) in [(800, 1280), (1280, 800)] {
        screen.next_screen(w, h);
        let config = config.clone();
        let config = Config { data_dir: dir.path().join(format!("bad-{w}")), ..config };
        let (shell, _) = shell_with(&config, &bad, &runtime);
        press(&shell, &ko("Touch to order"));
        press(&shell, "한국어");
        press(&shell, &ko("Take out"));
        screen.render();
        assert!(shell.view().items.is_empty(), "the empty category shows no cards");
        assert!(headless::labels(shell.window()).contains(&ko("Your cart is empty")));
        press(&shell, "커피");
        screen.render();
        let laid_out = check_cards(&shell, &screen);
        assert!(laid_out >= 8, "{laid_out} coffee cards found on screen");
        // the long name is cut, so its card is no taller than its neighbour's
        let first = headless::bounds(shell.window(), &format!("{long_ko}, 4,500원")).unwrap();
        let second = headless::bounds(shell.window(), "카페 라떼, 5,000원").unwrap();
        assert!((first.3 - second.3).abs() < 1.0, "{first:?} vs {second:?}");
        assert!(headless::bounds(shell.window(), "바닐라 라떼, 0원").is_some(), "a free item shows 0원");
        press(&shell, &format!("{long_ko}, 4,500원"));
        assert_eq!(shell.view().page, Page::Item);
        let title = headless::labels(shell.window());
        assert!(!title.is_empty());
        screen.save_png(&dir.path().join(format!("long-{w}.png"))).unwrap();
        press(&shell, &ko("Back"));
        assert_eq!(shell.view().categories.len(), 208);
    }
}
