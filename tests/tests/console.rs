//! The staff console in a real browser (headless Chromium through playwright), against the
//! store server with real devices: a kiosk and a table tablet (`kiosk-dev automate`) on
//! simulated printers, terminals and scanner. Every page is checked with axe-core.
//!
//! What staff do is checked where it lands: on the kiosk's and the tablet's screens, on the
//! pickup board, and in the daily close, which is held to this test's own record of what the
//! customers were told and what was paid (not to the server's data it summarises).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use kiosk_domain::Lang;
use kiosk_store_server::db::ServerDb;
use kiosk_store_server::db::console::Role;
use kiosk_tests::browser::Browser;
use kiosk_tests::e2e::{
    Basket, KioskProcess, Pay, Stage, Told, fill_cart, grouped, kiosk_order, table_round,
};
use serde_json::json;

const OWNER: (&str, &str) = ("owner", "4821");
const COUNTER: (&str, &str) = ("counter", "1357");
const KITCHEN: (&str, &str) = ("kitchen", "2468");

fn now_ms() -> i64 {
    kiosk_clock::unix_now_ms()
}

fn shots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/console-shots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Polls the device's screen until `check` holds (or `limit` passes): how long it took.
fn until(
    k: &mut KioskProcess,
    limit: Duration,
    what: &str,
    check: impl Fn(&BTreeMap<String, String>) -> bool,
) -> Duration {
    let start = Instant::now();
    loop {
        let view = k.view().expect("the device answers");
        if check(&view) {
            return start.elapsed();
        }
        assert!(start.elapsed() < limit, "{what} did not show within {limit:?}: {view:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Polls the kiosk's menu cards until `check` holds (or `limit` passes): how long it took.
fn until_cards(
    k: &mut KioskProcess,
    limit: Duration,
    what: &str,
    check: impl Fn(&BTreeMap<String, (String, bool, String)>) -> bool,
) -> Duration {
    let start = Instant::now();
    loop {
        let cards = k.items().expect("the device answers");
        if check(&cards) {
            return start.elapsed();
        }
        assert!(start.elapsed() < limit, "{what} did not show within {limit:?}: {cards:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn log_in(b: &mut Browser, id: &str, base: &str, (name, pin): (&str, &str)) -> u64 {
    b.goto(id, &format!("{base}/console/login"));
    b.fill(id, "#name", name);
    b.fill(id, "#secret", pin);
    b.click(id, "form.login button")
}

fn no_serious_violations(b: &mut Browser, id: &str, page: &str, problems: &mut Vec<String>) {
    let axe = b.axe(id);
    assert!(axe.passes > 5, "axe checked almost nothing on {page}");
    for v in axe.serious {
        problems.push(format!("{page}: {v}"));
    }
}

#[test]
fn staff_run_the_store_from_the_console() {
    let mut stage = Stage::start();
    let base = stage.server_url();
    let board_key = {
        let mut db = ServerDb::open(&stage.server_db).unwrap();
        for ((name, pin), role) in [
            (OWNER, Role::Owner),
            (COUNTER, Role::Counter),
            (KITCHEN, Role::Kitchen),
            (("temp", "9999"), Role::Counter),
        ] {
            db.staff_add(name, role, &kiosk_store_server::hash_secret(pin).unwrap(), now_ms()).unwrap();
        }
        db.board_key_add("test board", now_ms()).unwrap()
    };
    let mut kiosk = KioskProcess::start(&stage.kiosk_config, "800x1280").unwrap();
    let mut table = KioskProcess::start(&stage.table_config, "1280x800").unwrap();
    let mut b = Browser::start();
    let mut axe_problems = Vec::new();

    // --- logging in: the form, a lockout, roles ---------------------------------------------
    b.page_in("owner", 1280, 800, "en-US");
    assert_eq!(
        b.goto("owner", &format!("{base}/console/")),
        200,
        "the board sends a stranger to the login page"
    );
    assert!(b.count("owner", "form.login") == 1, "the login form");
    no_serious_violations(&mut b, "owner", "login", &mut axe_problems);
    b.page("intruder", 1280, 800);
    for attempt in 1..=5 {
        let status = log_in(&mut b, "intruder", &base, ("temp", "0000"));
        assert_eq!(status, if attempt < 5 { 401 } else { 429 }, "wrong PIN, attempt {attempt}");
    }
    assert_eq!(
        log_in(&mut b, "intruder", &base, ("temp", "9999")),
        429,
        "locked: even the right PIN is refused"
    );
    assert!(b.text("intruder", ".problem").contains("잠겼습니다"), "the lockout is said");
    for attempt in 1..=5 {
        let status = log_in(&mut b, "intruder", &base, ("nobody-here", "0000"));
        assert_eq!(
            status,
            if attempt < 5 { 401 } else { 429 },
            "an unknown name, attempt {attempt}: as a known one"
        );
    }

    assert_eq!(log_in(&mut b, "owner", &base, OWNER), 200);
    assert!(
        b.eval("owner", "location.pathname").as_str() == Some("/console/"),
        "the owner lands on the board"
    );
    b.wait_for("owner", "body[data-connected]", None, 5000).expect("the board follows the update stream");

    b.page("tv", 1920, 1080);
    assert_eq!(b.goto("tv", &format!("{base}/board/{board_key}")), 200);
    assert_eq!(b.goto("intruder", &format!("{base}/board/not-a-key")), 404, "a board needs its key");
    b.wait_for("tv", "body[data-connected]", None, 5000).expect("the pickup board follows the update stream");

    // --- a kiosk order reaches the board within a second; ready reaches the kiosk and TV ----
    kiosk.press("Touch to order").unwrap();
    kiosk.press("English").unwrap();
    kiosk.press("Take out").unwrap();
    let basket = Basket { items: vec![(0, 1), (3, 1)] };
    fill_cart(&mut kiosk, &basket).unwrap();
    // The order's requests: a preset, and a word typed on the kiosk's keyboard.
    kiosk.press("No straws").unwrap();
    kiosk.press("Write a request").unwrap();
    for key in ["Shift", "L", "i", "d"] {
        kiosk.press(key).unwrap();
    }
    kiosk.press("Done").unwrap();
    kiosk.press("Pay").unwrap();
    kiosk.press("Pay at the counter").unwrap();
    kiosk.wait("done", 60).unwrap();
    let told_at = Instant::now();
    let number = kiosk.view().unwrap()["order"].clone();
    let counter_total = basket.total();
    stage.told.push(Told::KioskOrder {
        number: number.parse().unwrap(),
        total: counter_total,
        paid: false,
        coupon: None,
    });
    let card_selector = format!("article.order.received h3:has-text('{number}')");
    b.wait_for("owner", &card_selector, Some(&number), 5000).expect("the order on the board");
    let to_board = told_at.elapsed();
    assert!(
        to_board <= Duration::from_secs(1),
        "order {number} reached the board {to_board:?} after the kiosk showed its number"
    );
    assert!(b.count("owner", "article.order.new[data-new]") >= 1, "a new order is highlighted");
    let request = b.text("owner", &format!("article.order:has(h3:has-text('{number}')) .request"));
    assert_eq!(request, "※ Request: No straws, Lid", "the customer's requests on the order's card");
    b.wait_for("owner", "body[data-chimed]", None, 2000).expect("a new order rings the chime");
    b.wait_for("tv", ".preparing li", Some(&number), 3000).expect("the pickup board shows it being prepared");
    no_serious_violations(&mut b, "owner", "board", &mut axe_problems);
    b.shot("owner", &shots().join("board.png"), false);

    b.click("owner", &format!("button:has-text('Ready · {number}')"));
    let ready_on_kiosk =
        until(&mut kiosk, Duration::from_secs(3), "ready on the kiosk", |v| v["notice"].contains("is ready"));
    let ready_on_tv =
        b.wait_for("tv", ".ready li", Some(&number), 3000).expect("the pickup board shows it ready");
    b.wait_for("tv", "body[data-chimed]", None, 2000).expect("a ready number rings the chime");
    no_serious_violations(&mut b, "tv", "pickup board", &mut axe_problems);
    b.shot("tv", &shots().join("pickup-board.png"), false);
    kiosk.press("Done").unwrap();

    // --- the counter takes cash and gives change ---------------------------------------------
    b.goto("owner", &format!("{base}/console/counter"));
    no_serious_violations(&mut b, "owner", "counter", &mut axe_problems);
    let order_id = b
        .attr("owner", &format!("div.pay article:has(h3:has-text('{number}'))"), "data-order")
        .expect("the unpaid order");
    b.fill("owner", &format!("#tendered-{order_id}"), "20000");
    b.fill("owner", &format!("#receipt-{order_id}"), "010-1234-5678");
    b.click("owner", &format!("form[action='/console/orders/{order_id}/pay'] button[type=submit]"));
    let change = b.text("owner", "p.done .change");
    assert_eq!(change, format!("₩{}", grouped(20_000 - counter_total)), "the change for ₩20,000");

    // --- a card order at the kiosk (the terminal simulator's issuer) --------------------------
    let card_basket = Basket { items: vec![(1, 2)] };
    kiosk_order(&mut kiosk, &mut stage, &card_basket, Pay::Card, false, "", false).unwrap();
    let card_total = card_basket.total();

    // --- the table: a staff call answered, a tab settled, a tab moved -----------------------
    let round1 = Basket { items: vec![(2, 1)] };
    table_round(&mut table, &mut stage, &round1, true).unwrap();
    table.press("Call staff").unwrap();
    table.press("Water").unwrap();
    b.goto("owner", &format!("{base}/console/tables"));
    b.wait_for("owner", "article.table.calling", None, 3000).expect("the call on the tables page");
    no_serious_violations(&mut b, "owner", "tables", &mut axe_problems);
    b.shot("owner", &shots().join("tables.png"), false);
    b.click("owner", "button:has-text('On my way · Table 7')");
    until(&mut table, Duration::from_secs(3), "the answer on the tablet", |v| {
        v["notice"].contains("Staff saw your call")
    });

    b.goto("owner", &format!("{base}/console/tables"));
    b.click("owner", "article[data-table='7'] details:has(form[action$='/settle']) summary");
    b.fill("owner", "#tendered-7", "10000");
    b.click("owner", "form[action='/console/tables/7/settle'] button[type=submit]");
    let settled_change = b.text("owner", "p.done .change");
    assert_eq!(settled_change, format!("₩{}", grouped(10_000 - round1.total())));
    until(&mut table, Duration::from_secs(3), "the settled tab on the tablet", |v| {
        v.get("tab").is_none_or(|t| t == "-" || t.chars().filter(char::is_ascii_digit).all(|c| c == '0'))
    });

    let round2 = Basket { items: vec![(0, 2)] };
    table_round(&mut table, &mut stage, &round2, true).unwrap();
    b.goto("owner", &format!("{base}/console/tables"));
    b.click("owner", "article[data-table='7'] details:has(form[action$='/move']) summary");
    b.fill("owner", "#move-7", "9");
    b.click("owner", "form[action='/console/tables/7/move'] button[type=submit]");
    until(&mut table, Duration::from_secs(3), "the moved tab on the tablet", |v| {
        v["notice"].contains("moved to table 9")
    });
    assert_eq!(table.tab_total().unwrap(), 0, "the tablet at table 7 owes nothing now");
    let owed_9 = b.text("owner", "article[data-table='9'] .owed");
    assert_eq!(owed_9, format!("₩{}", grouped(round2.total())), "table 9 owes the moved round");

    // --- roles and CSRF -------------------------------------------------------------------------
    b.page("kitchen", 1280, 800);
    assert_eq!(log_in(&mut b, "kitchen", &base, KITCHEN), 200);
    assert!(b.eval("kitchen", "location.pathname").as_str() == Some("/console/kitchen"));
    no_serious_violations(&mut b, "kitchen", "kitchen", &mut axe_problems);
    b.shot("kitchen", &shots().join("kitchen.png"), false);
    assert_eq!(
        b.goto("kitchen", &format!("{base}/console/close")),
        403,
        "the kitchen cannot see the daily close"
    );
    let kitchen_csrf = b.eval("kitchen", "document.querySelector('input[name=csrf]').value");
    let status = b.post(
        "kitchen",
        "/console/tables/9/settle",
        json!({"csrf": kitchen_csrf, "method": "cash", "tendered": "99999"}),
    );
    assert_eq!(status, 403, "the kitchen cannot take payments");
    let status = b.post("owner", "/console/store/open", json!({"open": "0"}));
    assert_eq!(status, 403, "a change without the CSRF token is refused");
    assert!(ServerDb::open(&stage.server_db).unwrap().store_open().unwrap(), "and changed nothing");

    // --- the daily close, against this test's own record -------------------------------------
    assert!(kiosk_tests::e2e::drain(&mut stage, Duration::from_secs(10)), "every order reached the store");
    b.goto("owner", &format!("{base}/console/close"));
    no_serious_violations(&mut b, "owner", "daily close", &mut axe_problems);
    b.shot("owner", &shots().join("daily-close.png"), true);
    let amount = |b: &mut Browser, label: &str| -> i64 {
        let sel = format!("tr[data-payment^='{label}'] td[data-amount]");
        if b.count("owner", &sel) == 0 {
            0
        } else {
            b.attr("owner", &sel, "data-amount").unwrap().parse().unwrap()
        }
    };
    let told_sales: i64 = stage
        .told
        .iter()
        .map(|t| match t {
            Told::KioskOrder { total, .. } | Told::Round { total } | Told::PrepayRound { total, .. } => {
                *total
            }
            Told::Bill { .. } | Told::Share { .. } => 0,
        })
        .sum();
    let figure = |b: &mut Browser, name: &str| -> i64 {
        b.attr("owner", &format!("tr[data-figure='{name}'] td"), "data-amount").unwrap().parse().unwrap()
    };
    let gross = figure(&mut b, "gross");
    assert_eq!(figure(&mut b, "orders"), stage.told.len() as i64, "every sale told is counted once");
    assert_eq!(gross, told_sales, "gross sales are what the customers agreed to");
    assert_eq!(amount(&mut b, "card:"), card_total, "card: the kiosk's card order");
    assert_eq!(
        amount(&mut b, "cash"),
        counter_total + round1.total(),
        "cash: the counter order and table 7's settlement"
    );
    assert_eq!(amount(&mut b, "unpaid"), round2.total(), "still owed: the tab moved to table 9");
    let csv = b.eval("owner", "fetch('/console/close.csv').then(r => r.text())");
    assert!(csv.as_str().unwrap().contains(&format!(",orders,{},{gross}\n", stage.told.len())), "{csv}");
    // VAT is each sale's own 1/11, truncated, as its receipt printed it.
    let vat: i64 = stage
        .told
        .iter()
        .map(|t| match t {
            Told::KioskOrder { total, .. } | Told::Round { total } | Told::PrepayRound { total, .. } => {
                total / 11
            }
            Told::Bill { .. } | Told::Share { .. } => 0,
        })
        .sum();
    assert_eq!(figure(&mut b, "vat"), vat);
    assert_eq!(figure(&mut b, "supply"), gross - vat);

    // --- the other pages, on the owner's phone too --------------------------------------------
    for path in [
        "/console/",
        "/console/kitchen",
        "/console/counter",
        "/console/tables",
        "/console/store",
        "/console/close",
        "/console/staff",
        "/console/menu",
    ] {
        b.goto("owner", &format!("{base}{path}"));
        no_serious_violations(&mut b, "owner", path, &mut axe_problems);
    }
    b.viewport("owner", 375, 667);
    for path in [
        "/console/",
        "/console/counter",
        "/console/tables",
        "/console/menu",
        "/console/store",
        "/console/close",
    ] {
        b.goto("owner", &format!("{base}{path}"));
        let wide = b.eval("owner", "document.documentElement.scrollWidth").as_u64().unwrap();
        assert!(wide <= 375, "{path} is {wide} px wide on a 375 px phone");
        no_serious_violations(&mut b, "owner", &format!("{path} at 375×667"), &mut axe_problems);
    }
    b.shot("owner", &shots().join("close-phone.png"), true);

    // --- an e-receipt --------------------------------------------------------------------------
    let token = {
        let db = ServerDb::open(&stage.server_db).unwrap();
        let card_order =
            db.orders(0, 100).unwrap().into_iter().find(|o| o.total == card_total).expect("the card order");
        db.receipt_token(&card_order.order_id).unwrap().expect("a receipt link")
    };
    // 128 random bits: the device's token (22 base64url characters), or the server's own (32 hex).
    assert!(token.len() >= 22, "128 random bits: {token}");
    assert_eq!(b.goto("tv", &format!("{base}/r/{token}")), 200);
    assert!(b.text("tv", "pre.receipt").contains(&grouped(card_total)), "the receipt shows the total");
    no_serious_violations(&mut b, "tv", "e-receipt", &mut axe_problems);
    assert_eq!(b.goto("tv", &format!("{base}/r/0123456789abcdef0123456789abcdef")), 404);

    // --- the menu: sold out, a price and a photo reach the kiosk's screen --------------------
    b.viewport("owner", 1280, 800);
    assert_eq!(b.goto("owner", &format!("{base}/console/menu")), 200);
    no_serious_violations(&mut b, "owner", "menu", &mut axe_problems);
    b.shot("owner", &shots().join("menu.png"), false);
    if kiosk.page != "attract" {
        kiosk.wait("attract", 90).unwrap();
    }
    kiosk.press("Touch to order").unwrap();
    kiosk.press("English").unwrap();
    kiosk.press("Take out").unwrap();
    kiosk.press("Desserts").unwrap();
    let cards = kiosk.items().unwrap();
    assert_eq!(cards["tiramisu"].0, "₩6,800", "{cards:?}");
    assert!(!cards["tiramisu"].1, "tiramisu is on sale before");
    b.click("owner", "form[action='/console/menu/items/tiramisu/sold-out'] button");
    let sold_out_took =
        until_cards(&mut kiosk, Duration::from_secs(1), "tiramisu sold out on the kiosk", |c| {
            c["tiramisu"].1
        });

    assert_eq!(b.goto("owner", &format!("{base}/console/menu/items/carrot-cake")), 200);
    no_serious_violations(&mut b, "owner", "menu item", &mut axe_problems);
    b.fill("owner", "#f-price", "six thousand");
    assert_eq!(b.click("owner", "form[enctype] button[type=submit]"), 422, "a price in words is refused");
    assert_eq!(b.attr("owner", "#f-price", "aria-invalid").as_deref(), Some("true"), "at the price field");
    assert!(b.text("owner", ".field.invalid .problem").contains("whole number of won"));
    no_serious_violations(&mut b, "owner", "menu item with a problem", &mut axe_problems);
    assert_eq!(kiosk.items().unwrap()["carrot-cake"].0, "₩6,300", "a refused change changes nothing");
    let photo = shots().join("upload-magenta.jpg");
    image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(1200, 900, image::Rgb([230, 20, 200])))
        .save(&photo)
        .unwrap();
    b.fill("owner", "#f-price", "6,900");
    b.upload("owner", "#f-photo", &photo);
    // A Chinese name typed, the Japanese one emptied: the kiosk shows English in Japanese.
    b.fill("owner", "#f-name_zh", "胡萝卜糕");
    b.fill("owner", "#f-name_ja", "");
    assert_eq!(b.click("owner", "form[enctype] button[type=submit]"), 200);
    assert!(b.count("owner", "p.done") == 1, "saved");
    let cake = ServerDb::open(&stage.server_db).unwrap().current_menu().unwrap().unwrap();
    let name = &cake.item(&"carrot-cake".into()).unwrap().name;
    assert_eq!((name.get(Lang::Zh), name.get(Lang::Ja)), ("胡萝卜糕", "Carrot cake"), "{name:?}");
    let magenta = |p: &str| -> bool {
        let Some((size, rgb)) = p.split_once('@') else { return false };
        let c: Vec<u32> = rgb.split(',').filter_map(|v| v.parse().ok()).collect();
        // The server's 480 × 360 copy, cut by the kiosk to its card's photo box at 800×1280.
        size == "224x120" && c.len() == 3 && c[0] > 200 && c[1] < 60 && c[2] > 170
    };
    let price_took =
        until_cards(&mut kiosk, Duration::from_secs(1), "the new price and photo on the kiosk", |c| {
            c["carrot-cake"].0 == "₩6,900" && magenta(&c["carrot-cake"].2)
        });

    // --- an option group: a new option added, one removed, a malformed id refused at its field
    assert_eq!(b.goto("owner", &format!("{base}/console/menu/groups/syrup")), 200);
    no_serious_violations(&mut b, "owner", "option group", &mut axe_problems);
    b.fill("owner", "#f-opt3_id", "Mint!");
    b.fill("owner", "#f-opt3_ko", "민트");
    b.fill("owner", "#f-opt3_en", "Mint");
    assert_eq!(b.click("owner", "form[action='/console/menu/groups/syrup'] button[type=submit]"), 422);
    assert_eq!(b.attr("owner", "#f-opt3_id", "aria-invalid").as_deref(), Some("true"), "at the id field");
    b.fill("owner", "#f-opt3_id", "mint");
    b.eval("owner", "document.querySelector('#rm1').checked = true"); // hazelnut
    assert_eq!(b.click("owner", "form[action='/console/menu/groups/syrup'] button[type=submit]"), 200);
    let syrup = ServerDb::open(&stage.server_db).unwrap().current_menu().unwrap().unwrap();
    let options: Vec<String> =
        syrup.group(&"syrup".into()).unwrap().options.iter().map(|o| o.id.0.clone()).collect();
    assert_eq!(options, ["vanilla", "caramel", "mint"], "hazelnut removed, mint added");

    // --- a request preset (요청사항) made in the console is offered on the kiosk's items --------
    assert_eq!(b.goto("owner", &format!("{base}/console/menu/requests")), 200);
    no_serious_violations(&mut b, "owner", "menu requests", &mut axe_problems);
    let n = b.count("owner", "input[type=hidden][name^=req]");
    assert!(n > 0, "the demo menu's presets are listed");
    b.fill("owner", "#f-req0_en", &"x".repeat(41));
    assert_eq!(b.click("owner", "form[action='/console/menu/requests'] button[type=submit]"), 422);
    assert!(b.text("owner", ".field.invalid .problem").contains("40 characters"), "a request too long");
    b.goto("owner", &format!("{base}/console/menu/requests"));
    b.fill("owner", &format!("#f-req{n}_id"), "less-sugar");
    b.fill("owner", &format!("#f-req{n}_ko"), "덜 달게");
    b.fill("owner", &format!("#f-req{n}_en"), "Less sugar");
    b.eval("owner", &format!("document.querySelector('#req{n}-dessert').checked = true"));
    assert_eq!(b.click("owner", "form[action='/console/menu/requests'] button[type=submit]"), 200);
    assert!(b.count("owner", "p.done") == 1, "the preset saved");
    kiosk.press("Carrot cake, ₩6,900").unwrap();
    let offered = Instant::now();
    while kiosk.press("Less sugar").is_err() {
        assert!(offered.elapsed() < Duration::from_secs(5), "the new request preset never reached the kiosk");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(kiosk.page, "item");
    kiosk.press("Back").unwrap();

    // --- stations and holding unpaid orders back from the kitchen ------------------------------
    b.goto("owner", &format!("{base}/console/menu"));
    b.fill("owner", "#f-station-id", "bar");
    b.fill("owner", "#f-station-name", "Bar");
    b.click("owner", "form[action='/console/stations'] button[type=submit]");
    b.goto("owner", &format!("{base}/console/menu/categories/dessert"));
    no_serious_violations(&mut b, "owner", "menu category", &mut axe_problems);
    b.eval("owner", "document.querySelector('#f-station').value = 'bar'");
    b.click("owner", "form[action='/console/menu/categories/dessert'] button[type=submit]");
    b.goto("owner", &format!("{base}/console/menu"));
    b.click("owner", "form[action='/console/hold'] button[type=submit]");
    assert!(ServerDb::open(&stage.server_db).unwrap().hold_unpaid().unwrap(), "holding unpaid orders");
    for _ in 0..4 {
        if kiosk.page == "attract" {
            break;
        }
        let _ = kiosk.press("Start over").or_else(|_| kiosk.press("Back"));
    }
    let held_basket = Basket { items: vec![(3, 1)] };
    let held = kiosk_order(&mut kiosk, &mut stage, &held_basket, Pay::Counter, false, "", false).unwrap();
    assert!(kiosk_tests::e2e::drain(&mut stage, Duration::from_secs(10)), "the order reached the store");
    b.goto("kitchen", &format!("{base}/console/kitchen?station=bar"));
    no_serious_violations(&mut b, "kitchen", "kitchen at a station", &mut axe_problems);
    assert_eq!(
        b.count("kitchen", &format!("article h3:has-text('{held} ')")),
        0,
        "an unpaid counter order is held from the kitchen"
    );
    b.goto("owner", &format!("{base}/console/counter"));
    let held_id = b
        .attr("owner", &format!("div.pay article:has(h3:has-text('{held} '))"), "data-order")
        .expect("unpaid");
    b.click("owner", &format!("form[action='/console/orders/{held_id}/pay'] button[type=submit]"));
    b.wait_for("kitchen", &format!("article[data-order='{held_id}']"), None, 3000)
        .expect("paid, the order reaches the bar's display");
    let bumped = b.click("kitchen", &format!("article[data-order='{held_id}'] button[type=submit]"));
    assert_eq!(bumped, 200, "the bar bumps its part: {}", b.text("kitchen", "body"));
    b.goto("tv", &format!("{base}/board/{board_key}"));
    b.wait_for("tv", ".ready li", Some(&held), 3000).expect("bumped by its only station, the order is ready");

    // --- a receipt by QR code: the kiosk's screen, read by an independent decoder ------------
    if kiosk.page != "attract" {
        kiosk.wait("attract", 90).unwrap();
    }
    kiosk.press("Touch to order").unwrap();
    kiosk.press("English").unwrap();
    kiosk.press("Take out").unwrap();
    let qr_basket = Basket { items: vec![(3, 2)] }; // tiramisu is sold out by now
    fill_cart(&mut kiosk, &qr_basket).unwrap();
    kiosk.press("Pay").unwrap();
    kiosk.press("Pay at the counter").unwrap();
    kiosk.wait("done", 60).unwrap();
    let qr_number = kiosk.view().unwrap()["order"].clone();
    stage.told.push(Told::KioskOrder {
        number: qr_number.parse().unwrap(),
        total: qr_basket.total(),
        paid: false,
        coupon: None,
    });
    kiosk.press("Receipt by QR code").unwrap();
    let screen = shots().join("kiosk-receipt-qr.png");
    kiosk.cmd(&format!("shot {}", screen.display())).unwrap();
    let decoded = std::process::Command::new("zbarimg")
        .args(["--raw", "-q"])
        .arg(&screen)
        .output()
        .expect("zbarimg (zbar-tools) decodes QR codes: run ./tests/run, which installs it");
    let link = String::from_utf8_lossy(&decoded.stdout).trim().to_owned();
    assert!(
        link.contains("/r/") && link.starts_with("http://127.0.0.1:"),
        "the QR code on the kiosk says {link:?}"
    );
    assert!(kiosk_tests::e2e::drain(&mut stage, Duration::from_secs(10)), "the order reached the store");
    assert_eq!(b.goto("tv", &link), 200, "the QR code opens the order's receipt");
    let page = b.text("tv", "pre.receipt");
    assert!(
        page.contains(&grouped(qr_basket.total()))
            && page.contains(&format!("{:04}", qr_number.parse::<u32>().unwrap())),
        "the receipt behind the QR code is order {qr_number}'s: {page}"
    );
    kiosk.press("Done").unwrap();

    // --- a coupon issued in the console, typed on the kiosk, used once --------------------------
    assert_eq!(b.goto("owner", &format!("{base}/console/coupons")), 200);
    b.fill("owner", "#c-code", "web-500");
    b.eval("owner", "document.querySelector('#c-kind').value = 'percent'");
    b.fill("owner", "#c-value", "150");
    b.click("owner", "form[action='/console/coupons'] button[type=submit]");
    assert!(b.text("owner", "p.problem").contains("out of range"), "150 % is refused");
    b.fill("owner", "#c-code", "web-500");
    b.fill("owner", "#c-value", "500");
    b.fill("owner", "#c-min", "1,000");
    assert_eq!(b.click("owner", "form[action='/console/coupons'] button[type=submit]"), 200);
    let row = "tr:has(th:has-text('WEB-500'))";
    assert_eq!(b.text("owner", &format!("{row} td.standing")), "Available");
    assert_eq!(b.text("owner", &format!("{row} td:nth-of-type(1)")), "₩500", "the discount, as money");
    assert_eq!(b.text("owner", &format!("{row} td:nth-of-type(2)")), "₩1,000", "the minimum");
    no_serious_violations(&mut b, "owner", "coupons", &mut axe_problems);
    if kiosk.page != "attract" {
        kiosk.wait("attract", 90).unwrap();
    }
    kiosk.press("Touch to order").unwrap();
    kiosk.press("English").unwrap();
    kiosk.press("Take out").unwrap();
    let coupon_basket = Basket { items: vec![(3, 1)] };
    fill_cart(&mut kiosk, &coupon_basket).unwrap();
    // An americano too, and the customer's stamp card by number: the coffee earns a stamp.
    kiosk.press("Add more").unwrap();
    for label in ["Coffee", "Americano, ₩4,500", "Iced", "Regular", "Add · ₩4,500", "View cart", "Stamps"]
    {
        kiosk.press(label).unwrap();
    }
    for key in "01077778888".chars() {
        kiosk.press(&key.to_string()).unwrap();
    }
    kiosk.press("Done").unwrap();
    until(&mut kiosk, Duration::from_secs(5), "the stamp card", |v| {
        v["notice"].contains("You have 0 stamps")
    });
    kiosk.press("Coupon").unwrap();
    for key in ["W", "E", "B", "-", "5", "0", "0"] {
        kiosk.press(key).unwrap();
    }
    kiosk.press("Done").unwrap();
    until(&mut kiosk, Duration::from_secs(5), "the coupon applied", |v| {
        v["notice"].contains("Coupon applied")
    });
    kiosk.press("Pay").unwrap();
    kiosk.press("Pay at the counter").unwrap();
    kiosk.wait("done", 60).unwrap();
    let coupon_number = kiosk.view().unwrap()["order"].clone();
    stage.told.push(Told::KioskOrder {
        number: coupon_number.parse().unwrap(),
        total: coupon_basket.total() + 4_500 - 500,
        paid: false,
        coupon: Some("WEB-500".into()),
    });
    assert!(kiosk_tests::e2e::drain(&mut stage, Duration::from_secs(10)), "the order reached the store");
    b.goto("owner", &format!("{base}/console/coupons"));
    assert_eq!(b.text("owner", &format!("{row} td.standing")), format!("Used (#{coupon_number})"));
    kiosk.press("Done").unwrap();

    // --- the counter looks up a customer's stamps by number -----------------------------------
    b.page_in("counter", 1280, 800, "en-US");
    assert_eq!(log_in(&mut b, "counter", &base, COUNTER), 200);
    assert_eq!(b.goto("counter", &format!("{base}/console/stamps")), 200);
    assert!(b.text("counter", "main").contains("10 × ★ → Americano"), "the programme is shown");
    b.fill("counter", "#s-phone", "010-7777");
    b.click("counter", "form[action='/console/stamps'] button[type=submit]");
    assert!(b.text("counter", "p.problem").contains("10 or 11 digits"), "a number of the wrong length");
    b.fill("counter", "#s-phone", "010-7777-8888");
    b.click("counter", "form[action='/console/stamps'] button[type=submit]");
    assert_eq!(b.text("counter", "p.done"), "010-****-8888: 1 stamps", "the americano's stamp");
    assert!(!b.text("counter", "body").contains("77778888"), "the number is shown masked");
    no_serious_violations(&mut b, "counter", "stamps", &mut axe_problems);

    assert!(
        axe_problems.is_empty(),
        "{} serious or critical accessibility violations:\n{}",
        axe_problems.len(),
        axe_problems.join("\n")
    );
    println!(
        "console: order to board {to_board:?}, ready to kiosk {ready_on_kiosk:?}, ready to pickup board {ready_on_tv} ms; close gross ₩{gross}; sold out to kiosk {sold_out_took:?}, price and photo to kiosk {price_took:?}"
    );
    kiosk.quit();
    table.quit();
}
