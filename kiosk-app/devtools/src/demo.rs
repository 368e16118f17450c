//! `kiosk demo`: the whole product on one machine with no hardware. The receipt printer,
//! card terminal and scanner simulators run on pseudo-terminals at their baud rates, the
//! reference store server listens on loopback, and two devices — a kiosk and a table
//! tablet — run the real session, store, drivers and POS link against them, with the
//! sample café menu.
//!
//! With a display (and a build with the `window` feature) the kiosk and the table tablet
//! open as two windows to be used by hand, over the same simulated store.
//!
//! With `--headless` (or without a display) a script presses the UI's buttons by their
//! accessible labels: a kiosk order of two items with options paid by card (declined once,
//! then approved) with a receipt and a look at the operator's payment journal, then a table
//! session (two rounds, a staff call, the bill split between two diners, each paying their
//! share by card at the table).
//! Every screen it passes is written as a PNG; the printed receipts and the store server's
//! record of the orders are printed at the end.

use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use kiosk_sim::printer::server::{SimOptions, SimReport, spawn_pty as spawn_printer};
use kiosk_sim::scanner::{ScannerSim, ScannerSimOptions};
use kiosk_sim::terminal::Fault;
use kiosk_sim::terminal::server::{TerminalSimOptions, spawn_pty as spawn_terminal};
use kiosk_ui::headless::{self, Screen};

use crate::pictures;
use kiosk_app::config::Config;
use kiosk_app::device;
use kiosk_app::screen::photos::Photos;
use kiosk_app::screen::shell::Shell;
use kiosk_link::wire::OrderStatus;
use kiosk_session::Page;
use kiosk_store::Actor;
use kiosk_store_server::db::ServerDb;
use kiosk_store_server::{ServeOptions, ServerHandle};

pub const DEMO_MENU: &str = include_str!("../../data/demo-menu.json");

pub struct DemoOptions {
    pub headless: bool,
    pub out: PathBuf,
}

/// The simulated store: devices' simulators, the store server, and where everything lives.
struct Stage {
    data: PathBuf,
    server: ServerHandle,
    server_db: PathBuf,
    printer: kiosk_sim::printer::server::RunningSim,
    terminal: kiosk_sim::terminal::server::TerminalSim,
    _table_terminal: kiosk_sim::terminal::server::TerminalSim,
    _scanner: ScannerSim,
    kiosk: Config,
    table: Config,
    photos: PathBuf,
    /// The store console's address and the pickup board's.
    console: String,
    board: String,
}

/// The demo's operator PIN.
pub const DEMO_PIN: &str = "4321";
/// The store console's demo login: the owner.
pub const CONSOLE_LOGIN: (&str, &str) = ("owner", "1234");

fn config(stage_data: &Path, name: &str, body: &str, url: &str, token: &str) -> Result<Config> {
    let data = stage_data.join(name);
    let text = format!(
        r#"
role = "{role}"
data_dir = "{data}"
time_zone = "Asia/Seoul"
{table}
[store]
id = "demo-cafe"
name = "한입카페 데모점"
business_number = "123-45-67891"
representative = "김한입"
address = "서울특별시 강남구 테헤란로 123, 1층"
phone = "02-555-0123"

{body}

[pos]
adapter = "kiosk-link"
url = "{url}"
token = "{token}"

[receipt]
header = ["한입카페를 찾아주셔서 감사합니다"]
footer = ["Wi-Fi: HANIP-GUEST"]
print = "ask"

[operator]
pin_hash = "{pin_hash}"
"#,
        role = if name == "table" { "table" } else { "kiosk" },
        table = if name == "table" { "[table]\nnumber = \"7\"" } else { "" },
        data = data.display(),
        pin_hash =
            kiosk_app::config::hash_pin(DEMO_PIN).map_err(|e| anyhow::anyhow!("hashing the PIN: {e}"))?,
    );
    Config::parse(&text).map_err(|errors| {
        anyhow::anyhow!(
            "the demo's {name} configuration: {}",
            errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; ")
        )
    })
}

async fn stage(out: &Path) -> Result<Stage> {
    let data = std::env::temp_dir().join(format!("kiosk-demo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&data).with_context(|| format!("creating {}", data.display()))?;
    let (p, t, s) = (data.join("ttyPRINTER"), data.join("ttyTERMINAL"), data.join("ttySCANNER"));
    let table_t = data.join("ttyTABLETERMINAL");
    let printer = spawn_printer(
        &p,
        SimOptions { baud: Some(115_200), out_dir: Some(out.join("printer")), ..SimOptions::default() },
    )
    .context("starting the printer simulator")?;
    let terminal =
        spawn_terminal(&t, TerminalSimOptions::default()).context("starting the terminal simulator")?;
    let table_terminal = spawn_terminal(&table_t, TerminalSimOptions::default())
        .context("starting the table's terminal simulator")?;
    let scanner =
        ScannerSim::create(&s, ScannerSimOptions::default()).context("starting the scanner simulator")?;

    let menu_file = data.join("menu.json");
    std::fs::write(&menu_file, DEMO_MENU)?;
    let server_db = data.join("store-server.sqlite");
    let (kiosk_token, table_token, board_key) = {
        let mut db = ServerDb::open(&server_db)?;
        let hash = kiosk_store_server::hash_secret(CONSOLE_LOGIN.1).map_err(anyhow::Error::msg)?;
        db.staff_add(CONSOLE_LOGIN.0, kiosk_store_server::db::console::Role::Owner, &hash, 0)?;
        let board = db.board_key_add("demo", 0)?;
        (db.issue_token("kiosk-1", false)?, db.issue_token("table-7", false)?, board)
    };
    let server = kiosk_store_server::start(ServeOptions {
        db: server_db.clone(),
        listen: "127.0.0.1:0".parse().expect("address"),
        menu: Some(menu_file),
        kitchen_printer: None,
        tls: None,
        backups: None,
    })
    .await
    .context("starting the store server")?;
    let url = format!("http://{}", server.addr);
    let (console, board) = (format!("{url}/console/"), format!("{url}/board/{board_key}"));
    println!(
        "store console: {console} (log in as {} with PIN {}); pickup board: {board}",
        CONSOLE_LOGIN.0, CONSOLE_LOGIN.1
    );

    let kiosk_devices = format!(
        r#"[ui]
languages = ["ko", "en", "zh", "ja"]
default_language = "ko"
order_types = ["dine_in", "take_out"]
payment_methods = ["card", "wallet", "counter"]

[devices.printer]
port = "{p}"
baud = 115200
paper = "80mm"
cjk_glyphs = "{g}"

[devices.terminal]
protocol = "smartro"
port = "{t}"
baud = 115200
required = true
when_down = "pay-at-counter"

[devices.scanner]
port = "{s}"
baud = 9600
suffix = "cr""#,
        p = p.display(),
        g = kiosk_sim::printer::model::CJK_GLYPHS,
        t = t.display(),
        s = s.display()
    );
    // The table tablet is post-pay: rounds go to the tab, and its own card terminal takes
    // the bill at the table. It shows English, so the demo shows both languages.
    let table_devices = format!(
        r#"[ui]
languages = ["en", "ko"]
default_language = "en"
postpay = true
payment_methods = ["card", "counter"]

[devices.terminal]
protocol = "smartro"
port = "{}"
baud = 115200"#,
        table_t.display()
    );
    let kiosk = config(&data, "kiosk", &kiosk_devices, &url, &kiosk_token)?;
    let table = config(&data, "table", &table_devices, &url, &table_token)?;
    let photos = data.join("photos");
    let menu: kiosk_domain::Menu = serde_json::from_str(DEMO_MENU)?;
    pictures::write_all(&menu, &photos)?;
    Ok(Stage {
        data,
        server,
        server_db,
        printer,
        terminal,
        _table_terminal: table_terminal,
        _scanner: scanner,
        kiosk,
        table,
        photos,
        console,
        board,
    })
}

/// Seeds a device's store with the demo menu so its first frame has one; the POS link
/// keeps it current from then on.
fn seed_menu(config: &Config) -> Result<()> {
    std::fs::create_dir_all(&config.data_dir)?;
    let mut store = kiosk_store::Store::open(config.database_path())?;
    let menu: kiosk_domain::Menu = serde_json::from_str(DEMO_MENU)?;
    store.save_menu(&menu, "demo", Actor::System, kiosk_clock::unix_now_ms())?;
    Ok(())
}

/// Starts a device from `config` with the demo menu and binds a window to it.
fn open_device(stage: &Stage, config: &Config, runtime: &tokio::runtime::Runtime) -> Result<Rc<Shell>> {
    seed_menu(config)?;
    let device = device::start(config)?;
    let photos = Photos::new(Some(stage.photos.clone()));
    Shell::new(config, device.runner, device.feeds, photos, runtime.handle().clone())
}

pub fn run(options: DemoOptions) -> Result<()> {
    let display = std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some();
    let windows = !options.headless && display && cfg!(feature = "window");
    if !options.headless && display && !windows {
        eprintln!(
            "this build has no window backend (build with `--features window` for one); running the scripted demo"
        );
    }
    std::fs::create_dir_all(&options.out).with_context(|| format!("creating {}", options.out.display()))?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let enter = runtime.enter();
    let stage = runtime.block_on(stage(&options.out))?;
    let result =
        if windows { in_windows(&stage, &runtime) } else { headless_script(&stage, &options.out, &runtime) };
    let data = stage.data.clone();
    // Stop the devices' tasks before the store server goes, so they do not report it gone.
    drop(enter);
    runtime.shutdown_timeout(Duration::from_millis(200));
    drop(stage);
    let _ = std::fs::remove_dir_all(data);
    result
}

/// The kiosk and the table tablet in two windows, to be used by hand until both are closed.
/// Each screen is woken by what its devices and the store server report, never polled.
#[cfg(feature = "window")]
fn in_windows(stage: &Stage, runtime: &tokio::runtime::Runtime) -> Result<()> {
    use slint::ComponentHandle;
    let mut shells = Vec::new();
    for (config, size) in [(&stage.kiosk, (720, 1152)), (&stage.table, (1280, 800))] {
        let shell = open_device(stage, config, runtime)?;
        shell.window().window().set_size(slint::LogicalSize::new(size.0 as f32, size.1 as f32));
        shell.window().show()?;
        shells.push(shell);
    }
    println!(
        "two windows: the kiosk and table 7's tablet. The card terminal approves every card; the operator PIN is {DEMO_PIN}. \
         Staff work at {} (log in as {} / {}); the pickup board is at {}. Close both windows to stop.",
        stage.console, CONSOLE_LOGIN.0, CONSOLE_LOGIN.1, stage.board
    );
    // Each screen woken by what arrives for it and its own deadlines, as on a device.
    let _deadlines: Vec<_> = shells.iter().map(kiosk_app::screen::drive_from_event_loop).collect();
    slint::run_event_loop()?;
    Ok(())
}

#[cfg(not(feature = "window"))]
fn in_windows(_: &Stage, _: &tokio::runtime::Runtime) -> Result<()> {
    unreachable!("window mode is chosen only in builds with the `window` feature")
}

/// Drives one shell by accessible labels and writes a PNG whenever the page changes.
struct Script<'a> {
    screen: &'a Screen,
    shell: Rc<Shell>,
    out: &'a Path,
    lang: &'static str,
    shots: &'a mut Vec<String>,
    prefix: &'static str,
    seen: Vec<Page>,
}

impl<'a> Script<'a> {
    /// A script over a new device from `config`.
    #[allow(clippy::too_many_arguments)]
    fn open(
        screen: &'a Screen,
        stage: &Stage,
        config: &Config,
        runtime: &tokio::runtime::Runtime,
        out: &'a Path,
        lang: &'static str,
        prefix: &'static str,
        shots: &'a mut Vec<String>,
    ) -> Result<Script<'a>> {
        let shell = open_device(stage, config, runtime)?;
        Ok(Script { screen, shell, out, lang, shots, prefix, seen: Vec::new() })
    }

    fn t(&self, msgid: &str) -> String {
        kiosk_ui::translate(self.lang, msgid)
    }

    /// Presses by label (translated from the `.slint` msgid), then waits for the work it
    /// started to finish.
    fn press(&mut self, label: &str) -> Result<()> {
        headless::press(self.shell.window(), label).with_context(|| format!("pressing {label:?}"))?;
        self.settle()
    }

    fn press_tr(&mut self, msgid: &str) -> Result<()> {
        let label = self.t(msgid);
        self.press(&label)
    }

    fn settle(&mut self) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            self.shell.pump();
            if !self.shell.busy() {
                break;
            }
            self.shot()?;
            if Instant::now() > deadline {
                bail!("the UI did not settle within 30 s on {:?}", self.shell.view().page);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.shot()
    }

    fn wait_for(&mut self, what: &str, ok: impl Fn(&kiosk_session::View) -> bool) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !ok(&self.shell.view()) {
            if Instant::now() > deadline {
                bail!("waited 20 s for {what}; the screen shows {:?}", self.shell.view().page);
            }
            std::thread::sleep(Duration::from_millis(20));
            self.shell.pump();
        }
        self.shot()
    }

    /// A PNG of each page the first time it is shown (the script saves the rest by name).
    fn shot(&mut self) -> Result<()> {
        let page = self.shell.view().page;
        if self.seen.contains(&page) {
            return Ok(());
        }
        self.seen.push(page);
        self.save(&format!("{page:?}").to_lowercase())
    }

    fn save(&mut self, name: &str) -> Result<()> {
        let file = format!("{}-{:02}-{name}.png", self.prefix, self.shots.len() + 1);
        self.screen.save_png(&self.out.join(&file))?;
        self.shots.push(file);
        Ok(())
    }
}

fn headless_script(stage: &Stage, out: &Path, runtime: &tokio::runtime::Runtime) -> Result<()> {
    let screen = Screen::install(800, 1280)?;
    let mut shots = Vec::new();
    let mut receipts = stage.printer.handle.subscribe();

    // --- the kiosk ---
    let mut s = Script::open(&screen, stage, &stage.kiosk, runtime, out, "ko", "kiosk", &mut shots)?;
    s.wait_for("the card terminal and printer", |v| v.card_available)?;
    s.press_tr("Touch to order")?;
    s.press("한국어")?;
    s.press_tr("Take out")?;
    s.press("카페 라떼, 5,000원")?;
    for chip in ["아이스", "라지  +700원", "오트 우유  +500원", "바리스타 에디션", "샷 1개 추가  +500원"]
    {
        s.press(chip)?;
    }
    s.save("item-latte")?;
    s.press_tr("One more")?;
    s.press(&s.t("Add · {}").replace("{}", "13,400원"))?;
    s.press("세트")?;
    s.save("menu-sets")?;
    s.press("브런치 세트, 11,800원")?;
    s.press("치킨 아보카도 샌드위치  +700원")?;
    s.press("레몬 에이드  +1,000원")?;
    s.save("item-set")?;
    s.press(&s.t("Add · {}").replace("{}", "13,500원"))?;
    s.press_tr("View cart")?;
    // A request for the order (요청사항): a preset, and words typed on the screen's keyboard,
    // Hangul composed key by key (ㄴ and ㅎ make the final of 많).
    s.press("포크 2개")?;
    s.press_tr("Write a request")?;
    for key in "ㄴㅐㅂㅋㅣㄴ ㅁㅏㄴㅎㅇㅣ".chars() {
        if key == ' ' { s.press_tr("Space")? } else { s.press(&key.to_string())? }
    }
    s.save("request-keyboard")?;
    s.press_tr("Done")?;
    s.save("cart-requests")?;
    s.press_tr("Pay")?;
    // The first card is declined by the issuer; the customer tries again.
    stage.terminal.handle.push_fault(Fault::Decline("6B"));
    s.press_tr("Credit or debit card")?;
    s.wait_for("the declined-card screen", |v| v.page == Page::Problem)?;
    s.press("다시 결제하기")?;
    s.press_tr("Credit or debit card")?;
    s.wait_for("the order number", |v| v.page == Page::Done)?;
    let number = s.shell.view().order_number;
    s.press_tr("Print a receipt")?;
    s.save("done-printing")?;
    s.press_tr("Done")?;
    // Staff open operator mode (five taps in the corner, then the PIN) and see the
    // approval in the payment journal.
    for _ in 0..5 {
        screen.tap(20.0, 20.0);
    }
    s.settle()?;
    for digit in DEMO_PIN.chars() {
        s.press(&digit.to_string())?;
    }
    s.press_tr("Enter")?;
    s.wait_for("the operator's payment journal", |v| v.page == Page::Operator && !v.journal.is_empty())?;
    s.save("operator-journal")?;
    s.press_tr("Close")?;
    // A tourist orders in Chinese (中文): the menu's Chinese names, the catalogue's words, and
    // a receipt in Chinese, its lines the printer's own font lacks drawn with the CJK glyphs.
    s.press_tr("Touch to order")?;
    s.press("中文")?;
    s.lang = "zh";
    s.press_tr("Take out")?;
    s.press("咖啡")?;
    s.press("美式咖啡, ₩4,500")?;
    s.press("冰")?;
    s.press("中杯")?;
    s.save("item-chinese")?;
    s.press(&s.t("Add · {}").replace("{}", "₩4,500"))?;
    s.press_tr("View cart")?;
    s.save("cart-chinese")?;
    s.press_tr("Pay")?;
    s.press_tr("Credit or debit card")?;
    s.wait_for("the Chinese order's number", |v| v.page == Page::Done)?;
    let chinese_number = s.shell.view().order_number;
    s.press_tr("Print a receipt")?;
    s.save("done-chinese")?;
    s.press_tr("Done")?;
    s.lang = "ko";
    let kiosk_shell = s.shell.clone();
    drop(s);

    // --- the table tablet, landscape ---
    screen.next_screen(1280, 800);
    let mut s = Script::open(&screen, stage, &stage.table, runtime, out, "en", "table", &mut shots)?;
    s.settle()?;
    s.press("Americano, ₩4,500")?;
    s.press("Iced")?;
    s.press("Regular")?;
    s.press_tr("One more")?;
    s.press(&s.t("Add · {}").replace("{}", "₩9,000"))?;
    s.press_tr("View cart")?;
    s.press_tr("One guest more")?;
    s.press_tr("Send order")?;
    s.wait_for("the first round to be sent", |v| v.page == Page::TableHome && !v.notice.is_empty())?;
    s.save("round-1-sent")?;
    s.press("Desserts")?;
    s.press("New York cheesecake, ₩6,500")?;
    s.press(&s.t("Add · {}").replace("{}", "₩6,500"))?;
    s.press_tr("View cart")?;
    s.press_tr("Send order")?;
    s.wait_for("the second round to be sent", |v| v.page == Page::TableHome && !v.notice.is_empty())?;
    // The kitchen marks the first round ready at the store server; the table hears it.
    let deadline = Instant::now() + Duration::from_secs(20);
    let first_round = loop {
        let found = ServerDb::open(&stage.server_db)?
            .orders(0, 100)?
            .into_iter()
            .find(|o| o.device == "table-7" && o.number == 1);
        match found {
            Some(order) => break order,
            None if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            None => bail!("the first round did not reach the store server in 20 s"),
        }
    };
    ServerDb::open(&stage.server_db)?.set_order_status(&first_round.order_id, OrderStatus::Ready)?;
    s.wait_for("the kitchen's \"ready\"", |v| v.notice.contains("ready"))?;
    s.save("round-1-ready")?;
    s.press_tr("Call staff")?;
    s.press_tr("Water")?;
    s.wait_for("the staff call to be confirmed", |v| v.notice.contains("Staff"))?;
    s.save("staff-called")?;
    s.press_tr("Bill")?;
    let bill = s.shell.view();
    s.save("bill")?;
    // Two diners split the bill (더치페이): each pays half by card at the table.
    s.press_tr("Split the bill")?;
    while s.shell.view().split_diners > 2 {
        s.press(&format!("{} −", s.t("Diners")))?;
    }
    s.save("split-bill")?;
    let mut shares = Vec::new();
    for share in 1..=2 {
        if share == 2 {
            s.press_tr("Bill")?;
            s.save("bill-after-a-share")?;
            s.press_tr("Split the bill")?;
        }
        shares.push(s.shell.view().split_amount);
        s.press_tr("Pay this share by card")?;
        s.wait_for("the share to be paid", |v| v.page == Page::Done)?;
        s.save(&format!("share-{share}-paid"))?;
        s.press_tr("Done")?;
    }
    if s.shell.view().owes {
        bail!("the table still owes {} after both shares", s.shell.view().tab_total);
    }
    drop(s);

    // --- what happened ---
    let deadline = Instant::now() + Duration::from_secs(20);
    let orders = loop {
        let orders = ServerDb::open(&stage.server_db)?.orders(0, 100)?;
        if orders.len() >= 6 || Instant::now() > deadline {
            break orders;
        }
        std::thread::sleep(Duration::from_millis(50));
        kiosk_shell.pump();
    };
    // Each kiosk order's number slip and receipt.
    let mut printed = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while printed.len() < 4 && Instant::now() < deadline {
        while let Ok(report) = receipts.try_recv() {
            if let SimReport::Printed(job) = report {
                printed.push(job.text());
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }

    println!("screens ({}) in {}:", shots.len(), out.display());
    for shot in &shots {
        println!("  {shot}");
    }
    println!("\nkiosk order {number}: paid by card (declined once, then approved)");
    println!("kiosk order {chinese_number}: ordered in Chinese, paid by card, a Chinese receipt");
    for receipt in &printed {
        println!("\n--- receipt (also printer/job-*.png) ---\n{receipt}");
    }
    println!(
        "\ntable 7 bill: {} ({} lines), split between two diners who paid {} by card at the table",
        bill.tab_total,
        bill.tab_lines.len(),
        shares.join(" and ")
    );
    println!("\nthe store server's orders:");
    println!("   seq  device    number      total  status");
    for o in &orders {
        println!("  {:>4}  {:<8}  {:>6}  {:>9}  {}", o.seq, o.device, o.number, o.total, o.status);
    }
    let calls = ServerDb::open(&stage.server_db)?.staff_calls(10)?;
    let calls: Vec<String> = calls
        .iter()
        .map(|c| format!("{} at table {}", c.reason, c.table.as_deref().unwrap_or("-")))
        .collect();
    println!("staff calls: {}", calls.join(", "));
    println!(
        "\nthe store console was at {} ({} / {}) and the pickup board at {}; the demo with windows keeps them up while you work",
        stage.console, CONSOLE_LOGIN.0, CONSOLE_LOGIN.1, stage.board
    );
    if orders.len() != 6 {
        bail!(
            "the store server has {} orders, expected 6 (two kiosk orders, two table rounds and the bill's two shares)",
            orders.len()
        );
    }
    if printed.is_empty() {
        bail!("no receipt was printed");
    }
    if !printed.iter().any(|r| r.contains("[收据]") && r.contains("美式咖啡 x1")) {
        bail!("the Chinese order's receipt was not printed in Chinese");
    }
    let _ = &stage.server;
    Ok(())
}
