//! The whole system on one machine, for the end-to-end and chaos tests: the real `kiosk`
//! binary (`kiosk automate`, the customer screen of `kiosk run` driven by accessible label)
//! for a kiosk and a table tablet; the printer, card terminals and scanner simulators on
//! PTYs; the reference store server on TCP behind a proxy that can cut the LAN. Afterwards
//! [`Audit`] reads the store server, the terminals' ledgers, the printed receipts and the
//! devices' journals, and says what does not add up.
//!
//! The audit checks the system against records it does not control: what each customer
//! was told on the screen ([`Told`], kept by the test as the flows go), the terminals'
//! ledgers, the printer's output and the fault proxy's log of every submission. The
//! devices' own journals are only what is being checked.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};

use kiosk_domain::Lang;
use kiosk_i18n::tr;
use kiosk_sim::printer::server::{SimOptions, SimReport, spawn_pty as spawn_printer};
use kiosk_sim::scanner::{ScannerSim, ScannerSimOptions};
use kiosk_sim::terminal::model::LedgerEntry;
use kiosk_sim::terminal::server::{TerminalSimOptions, spawn_pty as spawn_terminal};
use kiosk_store::{Actor, Store};
use kiosk_store_server::db::{ReceivedOrder, ServerDb};
use kiosk_store_server::{ServeOptions, ServerHandle};

use crate::fault_proxy::{FaultProxy, resends};

/// The `kiosk-dev` binary of this build (cargo builds it for the workspace's tests): its
/// `automate` is the device's real screen, started as `kiosk run` starts it.
pub fn kiosk_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>");
    let kiosk = dir.join("kiosk-dev");
    assert!(kiosk.exists(), "{} is missing: run `cargo build -p kiosk-dev` first", kiosk.display());
    kiosk
}

#[derive(Debug, thiserror::Error)]
pub enum DriveError {
    #[error("the kiosk process is gone")]
    Gone,
    #[error("killed (SIGKILL) as planned")]
    Killed,
    #[error("no answer to {0:?} within {1:?}")]
    NoAnswer(String, Duration),
    #[error("{command:?}: {message}")]
    Refused { command: String, message: String },
}

/// When each `kiosk` process of this test was killed (planned, or dropped while running):
/// a kill between an answer and its record explains a re-send.
static KILLS: Mutex<Vec<Instant>> = Mutex::new(Vec::new());

pub fn kill_times() -> Vec<Instant> {
    KILLS.lock().unwrap().clone()
}

fn killed_now() {
    KILLS.lock().unwrap().push(Instant::now());
}

/// One running `kiosk automate` process.
pub struct KioskProcess {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
    pub page: String,
    /// Kill (SIGKILL) this long after sending the command this many commands from now.
    kill_at: Option<(u32, Duration)>,
    /// A SIGKILL planned `delay` after the first command containing this text is sent.
    kill_on: Option<(String, Duration)>,
    killed: bool,
}

impl KioskProcess {
    /// Starts the device from `config` and waits for its first frame.
    pub fn start(config: &Path, size: &str) -> Result<KioskProcess, DriveError> {
        let mut child = Command::new(kiosk_binary())
            .args(["automate", "--config", config.to_str().expect("utf-8 path"), "--size", size])
            .env("KIOSK_LOG", std::env::var("KIOSK_E2E_LOG").unwrap_or_else(|_| "error".into()))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|_| DriveError::Gone)?;
        let stdin = child.stdin.take().expect("piped");
        let stdout = child.stdout.take().expect("piped");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut process = KioskProcess {
            child,
            stdin,
            lines,
            page: String::new(),
            kill_at: None,
            kill_on: None,
            killed: false,
        };
        let ready = process.answer("start", Duration::from_secs(60))?;
        process.page = ready.strip_prefix("ready ").unwrap_or("").to_owned();
        Ok(process)
    }

    fn answer(&mut self, command: &str, limit: Duration) -> Result<String, DriveError> {
        match self.lines.recv_timeout(limit) {
            Ok(line) => Ok(line),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let status = self.child.wait().map(|s| s.to_string()).unwrap_or_default();
                eprintln!("the kiosk process ended by itself during {command:?}: {status}");
                Err(DriveError::Gone)
            }
            Err(mpsc::RecvTimeoutError::Timeout) => Err(DriveError::NoAnswer(command.to_owned(), limit)),
        }
    }

    /// Plans a SIGKILL `delay` after the `commands`-th command from now is sent: somewhere
    /// in the middle of whatever that command started (a payment, a print, a delivery). It
    /// replaces any kill planned before.
    pub fn kill_after(&mut self, commands: u32, delay: Duration) {
        self.kill_at = Some((commands, delay));
        self.kill_on = None;
    }

    /// Plans a SIGKILL `delay` after the first command containing `text` is sent (say, the
    /// press that starts the payment), however many commands come before it. It replaces any
    /// kill planned before.
    pub fn kill_on(&mut self, text: &str, delay: Duration) {
        self.kill_on = Some((text.to_owned(), delay));
        self.kill_at = None;
    }

    pub fn alive(&self) -> bool {
        !self.killed
    }

    /// Sends one command without waiting for its answer.
    pub fn send(&mut self, command: &str) -> Result<(), DriveError> {
        if self.killed {
            return Err(DriveError::Gone);
        }
        writeln!(self.stdin, "{command}").and_then(|()| self.stdin.flush()).map_err(|_| DriveError::Gone)?;
        let due_on =
            self.kill_on.as_ref().filter(|(text, _)| command.contains(text.as_str())).map(|(_, d)| *d);
        let due_at = match self.kill_at.as_mut() {
            Some((left, delay)) if *left <= 1 => Some(*delay),
            Some((left, _)) => {
                *left -= 1;
                None
            }
            None => None,
        };
        if let Some(delay) = due_at.or(due_on) {
            std::thread::sleep(delay);
            let _ = self.child.kill();
            killed_now();
            let _ = self.child.wait();
            self.killed = true;
            return Err(DriveError::Killed);
        }
        Ok(())
    }

    /// Sends one command and returns what follows `ok PAGE`.
    pub fn cmd(&mut self, command: &str) -> Result<String, DriveError> {
        self.send(command)?;
        let line = self.answer(command, Duration::from_secs(90))?;
        match line.strip_prefix("ok ") {
            Some(rest) => {
                let (page, detail) = rest.split_once(' ').unwrap_or((rest, ""));
                self.page = page.to_owned();
                Ok(detail.to_owned())
            }
            None => Err(DriveError::Refused {
                command: command.to_owned(),
                message: line.strip_prefix("err ").unwrap_or(&line).to_owned(),
            }),
        }
    }

    pub fn press(&mut self, label: &str) -> Result<(), DriveError> {
        self.cmd(&format!("press {label}")).map(drop)
    }

    pub fn wait(&mut self, page: &str, seconds: u32) -> Result<(), DriveError> {
        self.cmd(&format!("wait {page} {seconds}")).map(drop)
    }

    /// `order=…` and the other fields of `view`; `notice`, the last, is the rest of the line.
    pub fn view(&mut self) -> Result<BTreeMap<String, String>, DriveError> {
        let detail = self.cmd("view")?;
        let (fields, notice) = detail.split_once("notice=").unwrap_or((&detail, ""));
        let mut view: BTreeMap<String, String> = fields
            .split(' ')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.replace('\u{a0}', " ")))
            .collect();
        view.insert("notice".into(), notice.to_owned());
        Ok(view)
    }

    /// The menu cards on screen: id → (price as shown, sold out, photo `WxH@R,G,B` or `none`).
    pub fn items(&mut self) -> Result<BTreeMap<String, (String, bool, String)>, DriveError> {
        let line = self.cmd("items")?;
        Ok(line
            .split(';')
            .filter_map(|card| {
                let mut f = card.split('|');
                let (id, price, sold, photo) = (f.next()?, f.next()?, f.next()?, f.next()?);
                Some((id.to_owned(), (price.to_owned(), sold == "true", photo.to_owned())))
            })
            .collect())
    }

    /// What the table's tab shows it owes, in won (0 for a new tab, or on a kiosk).
    pub fn tab_total(&mut self) -> Result<i64, DriveError> {
        let tab = self.view()?.remove("tab").unwrap_or_default();
        Ok(tab.chars().filter(char::is_ascii_digit).collect::<String>().parse().unwrap_or(0))
    }

    /// SIGKILL: no chance to finish anything, as in a power cut.
    pub fn kill(self) {
        drop(self);
    }

    pub fn quit(mut self) {
        let _ = self.send("quit");
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.kill();
    }
}

impl Drop for KioskProcess {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            killed_now();
        }
        let _ = self.child.wait();
    }
}

/// The devices and the store server of one test, on a runtime of their own.
pub struct Stage {
    pub dir: tempfile::TempDir,
    pub runtime: tokio::runtime::Runtime,
    pub kiosk_config: PathBuf,
    pub table_config: PathBuf,
    /// A pre-pay table (`postpay = false`, table 8): each round paid before it is sent.
    pub prepay_config: PathBuf,
    pub kiosk_db: PathBuf,
    pub table_db: PathBuf,
    pub prepay_db: PathBuf,
    pub server_db: PathBuf,
    server_addr: SocketAddr,
    server: Option<ServerHandle>,
    pub proxy: FaultProxy,
    /// Kept running: the simulators stop when dropped.
    _printer: kiosk_sim::printer::server::RunningSim,
    receipts: tokio::sync::broadcast::Receiver<SimReport>,
    pub printed: Vec<String>,
    terminal: kiosk_sim::terminal::server::TerminalSim,
    table_terminal: kiosk_sim::terminal::server::TerminalSim,
    prepay_terminal: kiosk_sim::terminal::server::TerminalSim,
    scanner: ScannerSim,
    /// What the customers were told on the screens, as the flows went.
    pub told: Vec<Told>,
    /// Coupons the store server issued (300 won off, no minimum), tried in turn: a code
    /// moves on once an order used it or the store says it is used.
    pub coupons: Vec<String>,
    pub next_coupon: usize,
}

/// How many coupons the stage's store issues.
const COUPONS: usize = 300;
/// What each takes off.
pub const COUPON_WON: i64 = 300;

/// What a customer was told on the screen: the record the audit holds the store to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Told {
    /// A kiosk customer agreed to `total` on the cart page and was given order `number`,
    /// `paid` (card or barcode) or to pay at the counter.
    /// `coupon`: the code whose discount the customer saw on the cart (in `total`).
    KioskOrder { number: i64, total: i64, paid: bool, coupon: Option<String> },
    /// The table was told its round of `total` went to the kitchen.
    Round { total: i64 },
    /// The table was told its bill of `total` (order `number`) is paid.
    Bill { number: i64, total: i64 },
    /// The pre-pay table was told its round of `total` is order `number`, `paid` at the
    /// table or to pay at the counter.
    PrepayRound { number: i64, total: i64, paid: bool },
    /// A diner was told their share of the table's bill, `total` (order `number`), is paid.
    Share { number: i64, total: i64 },
}

const MENU: &str = include_str!("../../kiosk-app/data/demo-menu.json");
/// The devices' operator PIN.
pub const PIN: &str = "4321";

impl Stage {
    /// Starts the simulators, the store server and its proxy, and writes both devices' configurations.
    pub fn start() -> Stage {
        let dir = tempfile::tempdir().expect("temp dir");
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let d = dir.path().to_owned();
        let (p, t, tt, s) =
            (d.join("ttyPRINTER"), d.join("ttyTERMINAL"), d.join("ttyTABLETERM"), d.join("ttySCANNER"));
        let pt = d.join("ttyPREPAYTERM");
        let _enter = runtime.enter();
        let printer = spawn_printer(&p, SimOptions { baud: Some(115_200), ..SimOptions::default() }).unwrap();
        let receipts = printer.handle.subscribe();
        let quick =
            TerminalSimOptions { customer_delay: Duration::from_millis(20), ..TerminalSimOptions::default() };
        let terminal = spawn_terminal(&t, quick.clone()).unwrap();
        let table_terminal = spawn_terminal(&tt, quick.clone()).unwrap();
        let prepay_terminal = spawn_terminal(&pt, quick).unwrap();
        let scanner = ScannerSim::create(&s, ScannerSimOptions::default()).unwrap();

        let server_db = d.join("store-server.sqlite");
        let menu_file = d.join("menu.json");
        std::fs::write(&menu_file, MENU).unwrap();
        let coupons: Vec<String> = (1..=COUPONS).map(|n| format!("E2E-{n:04}")).collect();
        let (kiosk_token, table_token, prepay_token) = {
            let mut db = ServerDb::open(&server_db).unwrap();
            let terms = kiosk_domain::CouponTerms {
                value: kiosk_domain::CouponValue::Amount(kiosk_domain::Money(COUPON_WON)),
                min_order: kiosk_domain::Money(0),
            };
            for code in &coupons {
                db.add_coupon(code, terms, None, None).unwrap();
            }
            (
                db.issue_token("kiosk-1", false).unwrap(),
                db.issue_token("table-7", false).unwrap(),
                db.issue_token("table-8", false).unwrap(),
            )
        };
        let server = runtime
            .block_on(kiosk_store_server::start(ServeOptions {
                db: server_db.clone(),
                listen: "127.0.0.1:0".parse().unwrap(),
                menu: Some(menu_file),
                kitchen_printer: None,
                tls: None,
                backups: None,
            }))
            .unwrap();
        let server_addr = server.addr;
        let proxy = runtime.block_on(FaultProxy::start(server_addr, 7));
        let url = format!("http://{}", proxy.addr);

        let kiosk_devices = format!(
            "[ui]\nlanguages = [\"en\", \"ko\", \"zh\", \"ja\"]\ndefault_language = \"en\"\norder_types = [\"dine_in\", \"take_out\"]\npayment_methods = [\"card\", \"wallet\", \"counter\"]\n\n[devices.printer]\nport = \"{}\"\nbaud = 115200\ncjk_glyphs = \"{}\"\n\n[devices.terminal]\nprotocol = \"smartro\"\nport = \"{}\"\nbaud = 115200\nrequired = true\n\n[devices.scanner]\nport = \"{}\"\nbaud = 9600\nsuffix = \"cr\"",
            p.display(),
            kiosk_sim::printer::model::CJK_GLYPHS,
            t.display(),
            s.display()
        );
        let table_devices = format!(
            "[ui]\nlanguages = [\"en\", \"ko\"]\ndefault_language = \"en\"\npostpay = true\npayment_methods = [\"card\", \"counter\"]\n\n[devices.terminal]\nprotocol = \"smartro\"\nport = \"{}\"\nbaud = 115200",
            tt.display()
        );
        let prepay_devices = format!(
            "[ui]\nlanguages = [\"en\", \"ko\"]\ndefault_language = \"en\"\npostpay = false\npayment_methods = [\"card\", \"counter\"]\n\n[devices.terminal]\nprotocol = \"smartro\"\nport = \"{}\"\nbaud = 115200",
            pt.display()
        );
        let kiosk_config = write_config(&d, "kiosk", &kiosk_devices, &url, &kiosk_token);
        let table_config = write_config(&d, "table", &table_devices, &url, &table_token);
        let prepay_config = write_config(&d, "prepay", &prepay_devices, &url, &prepay_token);
        let (kiosk_db, table_db) = (d.join("kiosk/kiosk.db"), d.join("table/kiosk.db"));
        let prepay_db = d.join("prepay/kiosk.db");
        // The menu is in each device's store before its first start, as after a first sync.
        let menu: kiosk_domain::Menu = serde_json::from_str(MENU).unwrap();
        for db in [&kiosk_db, &table_db, &prepay_db] {
            std::fs::create_dir_all(db.parent().unwrap()).unwrap();
            Store::open(db).unwrap().save_menu(&menu, "e2e", Actor::System, 0).unwrap();
        }
        drop(_enter);
        Stage {
            dir,
            runtime,
            kiosk_config,
            table_config,
            prepay_config,
            kiosk_db,
            table_db,
            prepay_db,
            server_db,
            server_addr,
            server: Some(server),
            proxy,
            _printer: printer,
            receipts,
            printed: Vec::new(),
            terminal,
            table_terminal,
            prepay_terminal,
            scanner,
            told: Vec::new(),
            coupons,
            next_coupon: 0,
        }
    }

    /// The store server's own address (not through the fault proxy): the console's.
    pub fn server_url(&self) -> String {
        format!("http://{}", self.server_addr)
    }

    /// A Kakao Pay / Naver Pay code shown to the scanner.
    pub fn scan(&mut self, code: &str) {
        let _enter = self.runtime.enter();
        self.runtime.block_on(self.scanner.scan(code)).expect("scanner");
    }

    /// Stops the store server and starts it again on the same address.
    pub fn restart_server(&mut self) {
        if let Some(server) = self.server.take() {
            self.runtime.block_on(server.stop());
        }
        let started = self.runtime.block_on(kiosk_store_server::start(ServeOptions {
            db: self.server_db.clone(),
            listen: self.server_addr,
            menu: None,
            kitchen_printer: None,
            tls: None,
            backups: None,
        }));
        self.server = Some(started.expect("the store server restarts on its address"));
    }

    /// Takes in what the printer printed since the last call.
    pub fn collect_printed(&mut self) {
        while let Ok(report) = self.receipts.try_recv() {
            if let SimReport::Printed(job) = report {
                self.printed.push(job.text());
            }
        }
    }
}

fn write_config(dir: &Path, name: &str, body: &str, url: &str, token: &str) -> PathBuf {
    let text = format!(
        "role = \"{role}\"\ndata_dir = \"{data}\"\ntime_zone = \"Asia/Seoul\"\n{table}\n[store]\nid = \"e2e-cafe\"\nname = \"E2E Cafe\"\nbusiness_number = \"123-45-67891\"\naddress = \"Seoul\"\n\n{body}\n\n[pos]\nadapter = \"kiosk-link\"\nurl = \"{url}\"\ntoken = \"{token}\"\n\n[receipt]\nprint = \"ask\"\nlink = \"{url}\"\n\n[operator]\npin_hash = \"{pin_hash}\"\n",
        role = if name == "kiosk" { "kiosk" } else { "table" },
        table = match name {
            "table" => "[table]\nnumber = \"7\"",
            "prepay" => "[table]\nnumber = \"8\"",
            _ => "",
        },
        data = dir.join(name).display(),
        pin_hash = kiosk_app::config::hash_pin(PIN).expect("hashing the PIN"),
    );
    kiosk_app::config::Config::parse(&text).unwrap_or_else(|e| panic!("{name} config: {e:?}"));
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

/// An order as a device journaled it.
#[derive(Debug, Clone)]
pub struct DeviceOrder {
    pub id: String,
    pub number: i64,
    pub total: i64,
    pub state: String,
    /// `prepaid`, `pay_at_counter` or `tab`.
    pub settlement: String,
    /// The order's kind as stored (`type`: kiosk, table or table_bill, with its fields).
    pub kind: serde_json::Value,
    /// (item name as printed, quantity)
    pub lines: Vec<(String, i64)>,
}

pub fn device_orders(db: &Path) -> Vec<DeviceOrder> {
    let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut orders: Vec<DeviceOrder> = conn
        .prepare("SELECT id, number, total, state, kind_json, settlement FROM orders")
        .unwrap()
        .query_map([], |r| {
            Ok(DeviceOrder {
                id: r.get(0)?,
                number: r.get(1)?,
                total: r.get(2)?,
                state: r.get(3)?,
                settlement: r.get(5)?,
                kind: serde_json::from_str(&r.get::<_, String>(4)?).unwrap_or_default(),
                lines: vec![],
            })
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for o in &mut orders {
        o.lines = conn
            .prepare("SELECT line_json, quantity FROM order_lines WHERE order_id = ?1 ORDER BY line_no")
            .unwrap()
            .query_map([&o.id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .map(|(json, qty)| {
                let v: serde_json::Value = serde_json::from_str(&json).unwrap();
                let name = v["name"]["en"].as_str().or_else(|| v["name"].as_str()).unwrap_or("").to_owned();
                (name, qty)
            })
            .collect();
    }
    orders
}

/// Approvals in a device's payment journal: approval number → (order id, amount).
pub fn journaled_approvals(db: &Path) -> BTreeMap<String, (String, i64)> {
    let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    conn.prepare("SELECT approval_no, order_id, amount FROM payment_journal WHERE approval_no IS NOT NULL")
        .unwrap()
        .query_map([], |r| Ok((r.get::<_, String>(0)?, (r.get::<_, String>(1)?, r.get::<_, i64>(2)?))))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Orders still waiting in a device's POS outbox.
pub fn queued_orders(db: &Path) -> i64 {
    let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    conn.query_row("SELECT COUNT(*) FROM pos_outbox WHERE status = 'queued'", [], |r| r.get(0)).unwrap()
}

/// A printed customer receipt, read back from the printer's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintedReceipt {
    pub number: i64,
    pub total: i64,
    pub lines: Vec<(String, i64)>,
}

fn won(s: &str) -> Option<i64> {
    let digits: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
    digits.parse().ok()
}

/// Reads a customer receipt (English or Korean); `None` for other jobs.
pub fn parse_receipt(text: &str) -> Option<PrintedReceipt> {
    let mut number = None;
    let mut total = None;
    let mut lines = Vec::new();
    let count = text.lines().count();
    for (at, line) in text.lines().enumerate() {
        let t = line.trim();
        for label in ["Order ", "주문번호 "] {
            if number.is_none()
                && let Some(rest) = t.strip_prefix(label)
            {
                number = rest.split_whitespace().next().and_then(|n| n.parse::<i64>().ok());
            }
        }
        for label in ["Total", "합계"] {
            if let Some(rest) = t.strip_prefix(label) {
                // A whole receipt goes on past its total (the separator, the payment). A
                // fragment a kill cut off (printing.rs cuts it off the paper before the
                // reprint) can end inside that line, "합계 6" of "합계 6,500원": no total.
                total = if at + 1 < count { won(rest) } else { None };
            }
        }
        // "NAME xQTY   AMOUNT": item lines (options are indented with "+").
        if !line.starts_with(' ')
            && let Some((name, rest)) = line.rsplit_once(" x")
            && let Some(qty) = rest.split_whitespace().next().and_then(|q| q.parse::<i64>().ok())
        {
            lines.push((name.trim().to_owned(), qty));
        }
    }
    Some(PrintedReceipt { number: number?, total: total?, lines })
}

/// Reads an order-number slip (in any of the four languages): its number; `None` for other
/// jobs.
pub fn parse_slip(text: &str) -> Option<i64> {
    // The hint's first words (an 80 mm line wraps the rest).
    let hints = ["Please come to the counter", "번호가 불리면", "叫到您的号码时", "番号が呼ばれたら"];
    if !hints.iter().any(|h| text.contains(h)) {
        return None;
    }
    // The number stands alone (double size) on the line after the "Order" label.
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let at = lines.iter().position(|l| ["Order", "주문번호", "订单号", "注文番号"].contains(l))?;
    lines.get(at + 1)?.parse().ok()
}

/// What the audit found; empty `problems` means everything adds up.
#[derive(Debug, Default)]
pub struct Audit {
    pub server_orders: usize,
    pub device_orders: usize,
    pub approvals: usize,
    pub cancelled_approvals: usize,
    pub receipts: usize,
    /// Kiosk orders told to their customers whose number slip the printer printed, and the
    /// numbers of those it has not printed (yet).
    pub slips: usize,
    pub missing_slips: Vec<i64>,
    /// Approvals reversed by staff after their order reached the store, refunded there too.
    pub refunds: usize,
    /// What the table still owes: its standing rounds that no paid bill settled.
    pub open_tab: i64,
    /// What the customers were told, each found at the store.
    pub told: usize,
    /// Submissions the devices sent again (fault proxy's log), and copies beyond the first
    /// the store server reported receiving.
    pub resends: usize,
    pub server_duplicates: u32,
    /// Coupons used, each by one order at the store, and holds released (orders not placed).
    pub coupons_used: usize,
    pub coupon_releases: u64,
    pub problems: Vec<String>,
}

/// The device completed the order (paid, or committed unpaid).
fn completed(o: &DeviceOrder) -> bool {
    matches!(o.state.as_str(), "committed" | "sent_to_pos" | "acknowledged" | "ready" | "completed")
}

/// Paid before it was committed (a kiosk card or barcode order, a bill paid at the table).
fn prepaid(o: &DeviceOrder) -> bool {
    o.settlement == "prepaid"
}

impl Audit {
    /// Holds the store server, the terminals' ledgers and the printer's output to what the
    /// customers were told and to each other:
    /// - every customer's order number is at the store with the total they agreed to (paid
    ///   ones with exactly one standing approval of that amount); every round they were told
    ///   was sent is there, in order; every bill they were told is paid is there;
    /// - every order the devices completed is at the store once, with its total; no order
    ///   number twice;
    /// - every standing approval at a terminal belongs to exactly one completed prepaid order
    ///   of its amount, and no order holds two;
    /// - no device sent an order again unless a fault or a kill could have kept the first
    ///   answer from it (the fault proxy's log), and the server's count of copies agrees;
    /// - every printed receipt matches its order's lines and total; no round paid twice.
    pub fn run(stage: &Stage) -> Audit {
        let mut audit = Audit::default();
        let server_db = ServerDb::open(&stage.server_db).unwrap();
        let server = server_db.orders(0, 100_000).unwrap();
        let at_the_counter = server_db.settled_rounds().unwrap();
        audit.server_orders = server.len();
        let by_id: BTreeMap<&str, &ReceivedOrder> = server.iter().map(|o| (o.order_id.as_str(), o)).collect();
        let mut by_number: BTreeMap<(&str, u32), Vec<&ReceivedOrder>> = BTreeMap::new();
        for o in &server {
            by_number.entry((o.device.as_str(), o.number)).or_default().push(o);
        }
        for ((device, number), copies) in &by_number {
            if copies.len() > 1 {
                audit
                    .problems
                    .push(format!("{device} order number {number} is at the store {} times", copies.len()));
            }
        }

        let mut devices = BTreeMap::new();
        for (device, db) in
            [("kiosk-1", &stage.kiosk_db), ("table-7", &stage.table_db), ("table-8", &stage.prepay_db)]
        {
            for o in device_orders(db) {
                devices.insert(o.id.clone(), (device, o));
            }
        }
        audit.device_orders = devices.len();
        for (id, (device, o)) in &devices {
            let delivered = by_id.get(id.as_str());
            // An order the device completed must have reached the store; one it cancelled
            // (declined, abandoned, refunded in recovery) must not have.
            let completed = completed(o);
            if matches!(o.state.as_str(), "payment_approved" | "payment_unknown") {
                audit
                    .problems
                    .push(format!("{device} order {} was left {} after recovery", o.number, o.state));
            }
            // Reversed by staff after the commit: the store must have the refund too.
            if o.state == "reversed"
                && let Some(order) = delivered
            {
                if order.refunded == order.total {
                    audit.refunds += 1;
                } else {
                    audit.problems.push(format!(
                        "{device} order {} was refunded at the terminal, the store has {} of {} refunded",
                        o.number, order.refunded, order.total
                    ));
                }
            }
            match (completed, delivered) {
                (true, None) => audit
                    .problems
                    .push(format!("{device} order {} ({}) never reached the store", o.number, o.state)),
                (true, Some(s)) if s.total != o.total => audit.problems.push(format!(
                    "{device} order {}: store total {}, device {}",
                    o.number, s.total, o.total
                )),
                // Only a committed order is sent; staff may void or refund it afterwards.
                (false, Some(_)) if !matches!(o.state.as_str(), "reversed" | "cancelled") => {
                    audit.problems.push(format!(
                        "{device} order {} is at the store but the device never committed it ({})",
                        o.number, o.state
                    ))
                }
                _ => {}
            }
        }
        for o in &server {
            if !devices.contains_key(&o.order_id) {
                audit.problems.push(format!("the store has order {} that no device journaled", o.order_id));
            }
        }

        audit.tabs(devices.values().filter(|(d, _)| *d == "table-7").map(|(_, o)| o), &at_the_counter);

        // The terminals' ledgers. Each device has its own terminal, and approval numbers are
        // per terminal.
        let terminals = [
            ("kiosk-1", &stage.kiosk_db, &stage.terminal.handle),
            ("table-7", &stage.table_db, &stage.table_terminal.handle),
            ("table-8", &stage.prepay_db, &stage.prepay_terminal.handle),
        ];
        // order id → standing approvals (amounts) at its device's terminal
        let mut charged: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        for (device, db, terminal) in terminals {
            let journal = journaled_approvals(db);
            let standing = terminal.standing_approvals();
            let approved =
                terminal.ledger().iter().filter(|e| matches!(e, LedgerEntry::Approved { .. })).count();
            audit.approvals += approved;
            audit.cancelled_approvals += approved - standing.len();
            for (approval, amount) in &standing {
                let Some((order, _)) = journal.get(approval) else {
                    audit.problems.push(format!("{device}: approval {approval} ({amount}) is not journaled"));
                    continue;
                };
                charged.entry(order.clone()).or_default().push(*amount);
                match devices.get(order) {
                    Some((_, o)) if completed(o) && prepaid(o) => {
                        if o.total as u64 != *amount {
                            audit.problems.push(format!(
                                "{device}: approval {approval} is for {amount}, its order {} totals {}",
                                o.number, o.total
                            ));
                        }
                    }
                    Some((_, o)) => audit.problems.push(format!(
                        "{device}: approval {approval} ({amount}) stands for order {}, which is {} ({})",
                        o.number, o.state, o.settlement
                    )),
                    None => audit.problems.push(format!(
                        "{device}: approval {approval} ({amount}) stands for an order the device does not have"
                    )),
                }
            }
        }
        for (id, (device, o)) in &devices {
            let standing = charged.get(id).map_or(0, Vec::len);
            if standing > 1 {
                audit.problems.push(format!("{device} order {} is charged {standing} times", o.number));
            }
            if completed(o) && prepaid(o) && standing == 0 {
                audit
                    .problems
                    .push(format!("{device} order {} is paid but no charge stands for it", o.number));
            }
        }

        audit.told(stage, &server, &devices, &charged);
        audit.coupons(&server_db, &server);
        audit.resends(stage, &server);

        let numbers: BTreeMap<i64, &DeviceOrder> =
            devices.values().filter(|(d, _)| *d == "kiosk-1").map(|(_, o)| (o.number, o)).collect();
        let slips: BTreeSet<i64> = stage.printed.iter().filter_map(|t| parse_slip(t)).collect();
        for told in &stage.told {
            if let Told::KioskOrder { number, .. } = told {
                if slips.contains(number) {
                    audit.slips += 1;
                } else {
                    audit.missing_slips.push(*number);
                }
            }
        }
        for text in &stage.printed {
            let Some(receipt) = parse_receipt(text) else { continue };
            audit.receipts += 1;
            match numbers.get(&receipt.number) {
                None => audit
                    .problems
                    .push(format!("a receipt for order {} that the kiosk has not", receipt.number)),
                Some(o) => {
                    if receipt.total != o.total {
                        audit.problems.push(format!(
                            "receipt {}: total {} but the order's is {}",
                            receipt.number, receipt.total, o.total
                        ));
                    }
                    if receipt.lines != o.lines {
                        audit.problems.push(format!(
                            "receipt {}: lines {:?} but the order has {:?}",
                            receipt.number, receipt.lines, o.lines
                        ));
                    }
                    if !by_id.contains_key(o.id.as_str()) {
                        audit
                            .problems
                            .push(format!("receipt {} for an order not at the store", receipt.number));
                    }
                }
            }
        }
        audit
    }

    /// Coupons, everything back: none still held (a hold of an order that was not placed is
    /// released, whatever crashed), each used one used by one order at the store whose
    /// discount is the coupon's.
    fn coupons(&mut self, server_db: &ServerDb, server: &[ReceivedOrder]) {
        use kiosk_store_server::db::coupons::CouponStanding;
        self.coupon_releases = server_db.coupon_holds_released().unwrap();
        for c in server_db.coupons().unwrap() {
            match c.standing {
                CouponStanding::Free => {}
                CouponStanding::Held { order_id, device } => self.problems.push(format!(
                    "coupon {} is still held for order {order_id} ({device}) after everything came back",
                    c.code
                )),
                CouponStanding::Used { order_id, .. } => {
                    self.coupons_used += 1;
                    let order = server.iter().find(|o| o.order_id == order_id);
                    let payload = server_db.order_payload(&order_id).ok().flatten();
                    // The order's discount is the coupon's, and a stamp reward's when it took one.
                    let discount = payload.as_ref().map(|p| {
                        let reward = p.stamps.as_ref().and_then(|s| s.reward).map_or(0, |r| r.0);
                        (p.coupon.as_ref().map(|c| c.code.clone()), p.totals.discount.0 - reward)
                    });
                    if order.is_none() || discount != Some((Some(c.code.clone()), COUPON_WON)) {
                        self.problems.push(format!(
                            "coupon {} is used by order {order_id}, which the store has as {discount:?}",
                            c.code
                        ));
                    }
                }
            }
        }
    }

    /// Finds what each customer was told at the store.
    fn told(
        &mut self,
        stage: &Stage,
        server: &[ReceivedOrder],
        devices: &BTreeMap<String, (&str, DeviceOrder)>,
        charged: &BTreeMap<String, Vec<u64>>,
    ) {
        let kind_of = |o: &ReceivedOrder| devices.get(&o.order_id).map(|(_, d)| d.kind["type"].clone());
        let find = |device: &str, number: i64| {
            server.iter().find(|o| o.device == device && i64::from(o.number) == number)
        };
        let server_db = ServerDb::open(&stage.server_db).unwrap();
        let coupon_of = |o: &ReceivedOrder| {
            server_db.order_payload(&o.order_id).ok().flatten().and_then(|order| order.coupon).map(|c| c.code)
        };
        // Rounds in the order the table sent them.
        let mut rounds = server
            .iter()
            .filter(|o| o.device == "table-7" && kind_of(o).is_some_and(|k| k == "table"))
            .map(|o| o.total);
        for told in &stage.told {
            let found = match told {
                Told::KioskOrder { number, total, paid, coupon } => match find("kiosk-1", *number) {
                    None => Err(format!(
                        "kiosk order {number} ({total} won), which its customer was given, is not at the store"
                    )),
                    Some(o) if o.total != *total => Err(format!(
                        "kiosk order {number}: the customer agreed to {total}, the store has {}",
                        o.total
                    )),
                    Some(o) if coupon_of(o) != *coupon => Err(format!(
                        "kiosk order {number}: the customer saw coupon {coupon:?} on the cart, the store has {:?}",
                        coupon_of(o)
                    )),
                    Some(o) => {
                        let charges = charged.get(&o.order_id).map_or(&[][..], Vec::as_slice);
                        match (paid, charges) {
                            (true, [amount]) if *amount as i64 == *total => Ok(()),
                            // refunded by staff afterwards, and the store has the refund
                            (true, []) if o.refunded == o.total => Ok(()),
                            (false, []) => Ok(()),
                            _ => Err(format!(
                                "kiosk order {number} ({total} won, told {}): standing charges {charges:?}",
                                if *paid { "paid" } else { "to pay at the counter" }
                            )),
                        }
                    }
                },
                Told::PrepayRound { number, total, paid } => match find("table-8", *number) {
                    Some(o) if o.total == *total && kind_of(o).is_some_and(|k| k == "table") => {
                        let charges = charged.get(&o.order_id).map_or(&[][..], Vec::as_slice);
                        match (paid, charges) {
                            (true, [amount]) if *amount as i64 == *total => Ok(()),
                            (false, []) => Ok(()),
                            _ => Err(format!(
                                "pre-pay round {number} ({total} won): standing charges {charges:?}"
                            )),
                        }
                    }
                    other => Err(format!(
                        "the pre-pay table was told round {number} of {total} won; the store has {:?}",
                        other.map(|o| (o.total, kind_of(o)))
                    )),
                },
                Told::Round { total } => {
                    // Rounds are found in order: a told round skips none it was not told of.
                    if rounds.by_ref().any(|t| t == *total) {
                        Ok(())
                    } else {
                        Err(format!(
                            "a round of {total} won that the table was told went to the kitchen is not at the store (in order)"
                        ))
                    }
                }
                Told::Bill { number, total } | Told::Share { number, total } => {
                    let what = if matches!(told, Told::Share { .. }) { "share" } else { "bill" };
                    match find("table-7", *number) {
                        Some(o) if o.total == *total && kind_of(o).is_some_and(|k| k == "table_bill") => {
                            let charges = charged.get(&o.order_id).map_or(&[][..], Vec::as_slice);
                            if charges == [*total as u64] {
                                Ok(())
                            } else {
                                Err(format!("{what} {number} ({total} won): standing charges {charges:?}"))
                            }
                        }
                        other => Err(format!(
                            "the table was told {what} {number} of {total} won is paid; the store has {:?}",
                            other.map(|o| (o.total, kind_of(o)))
                        )),
                    }
                }
            };
            match found {
                Ok(()) => self.told += 1,
                Err(problem) => self.problems.push(problem),
            }
        }
    }

    /// Re-sends, from the fault proxy's log of submissions and the server's counts.
    fn resends(&mut self, stage: &Stage, server: &[ReceivedOrder]) {
        let attempts = stage.proxy.attempts();
        // The devices' request timeout is 10 s: an answer passed on within 5 s reached them.
        let log = resends(&attempts, &kill_times(), Duration::from_secs(5));
        self.resends = log.resends;
        self.problems.extend(log.unexplained);
        for o in server {
            self.server_duplicates += o.duplicates;
            let copies = log.extra_copies.get(&format!("order {}", o.order_id)).copied().unwrap_or(0);
            if o.duplicates > copies {
                self.problems.push(format!(
                    "the store counts {} extra copies of order {} ({}), the LAN carried {copies}",
                    o.duplicates, o.number, o.device
                ));
            }
        }
        let sent: BTreeSet<&str> = attempts.iter().filter_map(|a| a.key.strip_prefix("order ")).collect();
        for o in server {
            if !sent.contains(o.order_id.as_str()) {
                self.problems.push(format!("order {} reached the store without passing the LAN", o.order_id));
            }
        }
    }

    /// The table's bills: no round paid twice (on two bills, or on a bill and at the
    /// counter), every paid bill the sum of its rounds, and a bill paid in shares: the shares
    /// paid against a tab (by its first round) add up to the rounds the last one settled;
    /// what is left is the open tab.
    fn tabs<'a>(&mut self, table: impl Iterator<Item = &'a DeviceOrder>, at_the_counter: &BTreeSet<String>) {
        let table: Vec<&DeviceOrder> = table.filter(|o| completed(o)).collect();
        let rounds: BTreeMap<&str, i64> =
            table.iter().filter(|o| o.kind["type"] == "table").map(|o| (o.id.as_str(), o.total)).collect();
        let mut billed = BTreeSet::new();
        // The tab a share was paid against (by its first round) → every share paid on it.
        let tab_of = |bill: &DeviceOrder| bill.kind["rounds"][0].as_str().unwrap_or_default().to_owned();
        let mut shares: BTreeMap<String, i64> = BTreeMap::new();
        for bill in table.iter().filter(|o| o.kind["type"] == "table_bill" && o.kind["share"].is_object()) {
            *shares.entry(tab_of(bill)).or_default() += bill.total;
        }
        for bill in table.iter().filter(|o| o.kind["type"] == "table_bill") {
            let share = &bill.kind["share"];
            // A share settles nothing unless it paid the rest; then the tab's shares together
            // must add up to its rounds.
            if share.is_object() && share["last"] != true {
                continue;
            }
            let paid_before = if share.is_object() { shares[&tab_of(bill)] - bill.total } else { 0 };
            let mut sum = -paid_before;
            for round in bill.kind["rounds"].as_array().into_iter().flatten().filter_map(|r| r.as_str()) {
                if !billed.insert(round) || at_the_counter.contains(round) {
                    self.problems.push(format!("round {round} is paid twice"));
                }
                match rounds.get(round) {
                    Some(total) => sum += total,
                    None => self
                        .problems
                        .push(format!("bill {} settles {round}, not a standing round", bill.number)),
                }
            }
            if sum != bill.total {
                self.problems.push(format!("bill {} totals {}, its rounds {sum}", bill.number, bill.total));
            }
        }
        self.open_tab = rounds
            .iter()
            .filter(|(id, _)| !billed.contains(*id) && !at_the_counter.contains(**id))
            .map(|(_, total)| total)
            .sum();
    }

    pub fn summary(&self) -> String {
        format!(
            "{} orders at the store server, {} journaled by the devices, {} told to customers and found; {} approvals ({} cancelled, {} refunded at the store), {} receipts, {} number slips, {} coupons used ({} holds released), {} won on the open tab; {} re-sends ({} extra copies at the server), {} problems",
            self.server_orders,
            self.device_orders,
            self.told,
            self.approvals,
            self.cancelled_approvals,
            self.refunds,
            self.receipts,
            self.slips,
            self.coupons_used,
            self.coupon_releases,
            self.open_tab,
            self.resends,
            self.server_duplicates,
            self.problems.len()
        )
    }
}

/// Items without required choices, from the demo menu's desserts: (label name, price).
pub const DESSERTS: [(&str, i64); 4] =
    [("New York cheesecake", 6500), ("Tiramisu", 6800), ("Carrot cake", 6300), ("Macarons (3)", 6000)];

/// A price as the English screen shows it (`₩6,500`).
fn won_label(amount: i64) -> String {
    kiosk_domain::Money(amount).display(kiosk_domain::Currency::Krw, kiosk_domain::MoneyStyle::Symbol)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pay {
    Card,
    Wallet,
    Counter,
}

impl Pay {
    /// The pay page's button for it.
    pub fn press(self) -> &'static str {
        match self {
            Pay::Card => "Credit or debit card",
            Pay::Wallet => "Kakao Pay / Naver Pay barcode",
            Pay::Counter => "Pay at the counter",
        }
    }
}

/// What a customer orders: desserts by index into [`DESSERTS`] with quantities.
#[derive(Debug, Clone)]
pub struct Basket {
    pub items: Vec<(usize, i64)>,
}

impl Basket {
    pub fn total(&self) -> i64 {
        self.items.iter().map(|(i, q)| DESSERTS[*i].1 * q).sum()
    }

    pub fn random(rng: &mut impl rand::Rng) -> Basket {
        let n = rng.random_range(1..=2);
        Basket {
            items: (0..n).map(|_| (rng.random_range(0..DESSERTS.len()), rng.random_range(1..=2))).collect(),
        }
    }
}

/// Puts the basket into the cart from the menu (or the table's home page).
pub fn fill_cart(k: &mut KioskProcess, basket: &Basket) -> Result<(), DriveError> {
    for &(i, qty) in &basket.items {
        let (name, price) = DESSERTS[i];
        k.press("Desserts")?;
        k.press(&format!("{name}, {}", won_label(price)))?;
        for _ in 1..qty {
            k.press("One more")?;
        }
        k.press(&format!("Add · {}", won_label(price * qty)))?;
    }
    k.press("View cart")
}

/// The kiosk's order-number page, once it shows: what its customer was told goes into
/// `stage.told` (the total they agreed to, with `coupon`, and paid or not). Returns the number.
fn told_kiosk_order(
    k: &mut KioskProcess,
    stage: &mut Stage,
    total: i64,
    coupon: Option<String>,
) -> Result<String, DriveError> {
    told_kiosk_order_in(k, stage, total, coupon, Lang::En)
}

/// As [`told_kiosk_order`], for a customer reading `lang`.
fn told_kiosk_order_in(
    k: &mut KioskProcess,
    stage: &mut Stage,
    total: i64,
    coupon: Option<String>,
    lang: Lang,
) -> Result<String, DriveError> {
    k.wait("done", 60)?;
    let done = k.view()?;
    let number = done.get("order").cloned().unwrap_or_default();
    let paid_words = [
        "Paid. Collect your order when your number is called.",
        "Paid. Your order is on its way to the kitchen.",
    ];
    stage.told.push(Told::KioskOrder {
        number: number.parse().unwrap_or(-1),
        total,
        // The detail may go on (the link is down, the printer, a QR receipt): its first words.
        paid: done.get("detail").is_some_and(|d| paid_words.iter().any(|m| d.starts_with(tr(lang, m)))),
        coupon,
    });
    Ok(number)
}

/// Types the stage's next coupon on the cart page's keyboard; the code, when the store took
/// it and the cart shows its discount. A code the store says is used is passed over.
fn try_coupon(k: &mut KioskProcess, stage: &mut Stage, lang: Lang) -> Result<Option<String>, DriveError> {
    let Some(code) = stage.coupons.get(stage.next_coupon).cloned() else { return Ok(None) };
    k.press(tr(lang, "Coupon"))?;
    for c in code.chars() {
        k.press(&c.to_string())?;
    }
    k.press(tr(lang, "Done"))?;
    let asked = Instant::now();
    loop {
        let v = k.view()?;
        if v.get("coupon").is_some_and(|c| c != "-") {
            return Ok(Some(code));
        }
        let notice = v.get("notice").cloned().unwrap_or_default();
        if notice == tr(lang, "This coupon has already been used.") {
            stage.next_coupon += 1;
            return Ok(None);
        }
        // Refused otherwise (the store could not be asked): the order goes on without it.
        if notice != tr(lang, "Checking the coupon…") || asked.elapsed() > Duration::from_secs(15) {
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(30));
    }
}

/// A kiosk customer from the attract screen to the order number; returns the number. What
/// the customer is told (the total they agree to, the coupon it includes, the number, paid or
/// not) goes into `stage.told` the moment the screen shows it. With `coupon`, the customer
/// types the stage's next coupon code on the cart page.
#[allow(clippy::too_many_arguments)]
pub fn kiosk_order(
    k: &mut KioskProcess,
    stage: &mut Stage,
    basket: &Basket,
    pay: Pay,
    receipt: bool,
    wallet_code: &str,
    coupon: bool,
) -> Result<String, DriveError> {
    if k.page != "attract" {
        k.wait("attract", 90)?;
    }
    k.press("Touch to order")?;
    k.press("English")?;
    k.press(if basket.items.len() == 1 { "Take out" } else { "Eat here" })?;
    fill_cart(k, basket)?;
    let coupon = if coupon { try_coupon(k, stage, Lang::En)? } else { None };
    let total = shown_amount(&k.view()?, "total");
    k.press("Pay")?;
    k.press(pay.press())?;
    if pay == Pay::Wallet {
        stage.scan(wallet_code);
    }
    if coupon.is_some() {
        // Used by this order once it is placed (a failed flow may try it again).
        stage.next_coupon += 1;
    }
    let number = told_kiosk_order(k, stage, total, coupon)?;
    // Offered only while the printer is ready (not, say, just after a restart while it
    // reconnects); the end-to-end test counts the receipts it asked for.
    if receipt && pay != Pay::Counter {
        match k.press("Print a receipt") {
            Ok(()) | Err(DriveError::Refused { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    k.press("Done")?;
    Ok(number)
}

/// Operator mode: five taps in the top-left corner (no label, by design) and the PIN.
fn enter_operator(k: &mut KioskProcess) -> Result<(), DriveError> {
    for _ in 0..5 {
        k.cmd("tap 20 20")?;
    }
    for digit in PIN.chars() {
        k.press(&digit.to_string())?;
    }
    press_either(k, "Enter", "확인")?;
    k.wait("operator", 10)?;
    Ok(())
}

/// Staff print a copy of order `number`'s receipt from the operator page's list of today's
/// orders, scrolling down to it as a finger would.
pub fn operator_reprint(k: &mut KioskProcess, number: &str) -> Result<(), DriveError> {
    enter_operator(k)?;
    let wanted = [format!("Reprint receipt #{number} · "), format!("영수증 재출력 #{number} · ")];
    for _ in 0..80 {
        let labels = k.cmd("labels")?;
        if let Some(label) = labels.split('|').find(|l| wanted.iter().any(|w| l.starts_with(w.as_str()))) {
            let label = label.to_owned();
            k.press(&label)?;
            let notice = k.view()?.remove("notice").unwrap_or_default();
            press_either(k, "Close", "닫기")?;
            return if notice.contains("copy of the receipt") || notice.contains("사본") {
                Ok(())
            } else {
                Err(DriveError::Refused { command: label, message: notice })
            };
        }
        k.cmd("scroll 400 900 -300")?;
    }
    Err(DriveError::Refused { command: "scroll".into(), message: format!("order {number} is not listed") })
}

/// Staff cancel the latest card approval in operator mode: five taps in the top-left corner,
/// the PIN, the journal's cancel, confirmed. The screen speaks the last customer's language
/// or the default one, Korean.
pub fn operator_cancel_latest(k: &mut KioskProcess) -> Result<(), DriveError> {
    enter_operator(k)?;
    let labels = k.cmd("labels")?;
    let cancel = labels.split('|').find(|l| l.starts_with("Cancel payment ") || l.starts_with("결제 취소 "));
    let Some(cancel) = cancel else {
        let message = format!("no approval to cancel in {labels}");
        return Err(DriveError::Refused { command: "labels".into(), message });
    };
    k.press(cancel)?;
    press_either(k, "Cancel the payment", "결제 취소")?;
    let notice = k.view()?.remove("notice").unwrap_or_default();
    press_either(k, "Close", "닫기")?;
    if notice.contains("is cancelled") || notice.contains("취소했습니다") {
        Ok(())
    } else {
        Err(DriveError::Refused { command: "cancel".into(), message: notice })
    }
}

/// An amount the screen shows (`total`, `tab`), in won; -1 when it shows none.
fn shown_amount(view: &BTreeMap<String, String>, field: &str) -> i64 {
    view.get(field).and_then(|t| won(t)).unwrap_or(-1)
}

/// Presses a control by its English label, or its Korean one.
fn press_either(k: &mut KioskProcess, en: &str, ko: &str) -> Result<(), DriveError> {
    match k.press(en) {
        Err(DriveError::Refused { .. }) => k.press(ko),
        other => other,
    }
}

/// One round at the table, sent to the kitchen onto the running tab; recorded in
/// `stage.told` once the screen says it went.
pub fn table_round(
    k: &mut KioskProcess,
    stage: &mut Stage,
    basket: &Basket,
    first: bool,
) -> Result<(), DriveError> {
    if k.page != "tablehome" {
        k.wait("tablehome", 90)?;
    }
    fill_cart(k, basket)?;
    let total = shown_amount(&k.view()?, "total");
    if first {
        // Asked on a tab's first round only; later rounds go straight to the kitchen.
        match k.press("One guest more") {
            Ok(()) | Err(DriveError::Refused { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    k.press("Send order")?;
    k.wait("tablehome", 60)?;
    if k.view()?.get("notice").is_some_and(|n| n.contains("on its way to the kitchen")) {
        stage.told.push(Told::Round { total });
        Ok(())
    } else {
        Err(DriveError::Refused {
            command: "Send order".into(),
            message: "the table was not told the round went".into(),
        })
    }
}

/// A diner who needs the barrier-free mode sends a round: high contrast and magnify-all
/// switched on at the staff-call page (where the table's switches are), the round chosen and
/// sent at 200 %, told as any round; the mode switched off again for the next diner.
pub fn table_round_barrier_free(k: &mut KioskProcess, stage: &mut Stage) -> Result<(), DriveError> {
    if k.page != "tablehome" {
        k.wait("tablehome", 90)?;
    }
    // The desserts first: at 200 % their chip is further along the category bar than the
    // screen shows (a diner scrolls it; this harness presses what is shown).
    k.press("Desserts")?;
    k.press("Call staff")?;
    k.press("High contrast")?;
    k.press("Magnify")?;
    k.press("Back")?;
    let access = k.view()?.get("access").cloned().unwrap_or_default();
    if access != "magnify,contrast" {
        return Err(DriveError::Refused {
            command: "Magnify".into(),
            message: format!("the switches on: {access}"),
        });
    }
    let (name, price) = DESSERTS[0];
    k.press(&format!("{name}, {}", won_label(price)))?;
    k.press(&format!("Add · {}", won_label(price)))?;
    k.press("View cart")?;
    let total = shown_amount(&k.view()?, "total");
    k.press("Send order")?;
    k.wait("tablehome", 60)?;
    if !k.view()?.get("notice").is_some_and(|n| n.contains("on its way to the kitchen")) {
        return Err(DriveError::Refused {
            command: "Send order".into(),
            message: "the table was not told the barrier-free round went".into(),
        });
    }
    stage.told.push(Told::Round { total });
    k.press("Call staff")?;
    k.press("Magnify")?;
    k.press("High contrast")?;
    k.press("Back")?;
    match k.view()?.get("access").map(String::as_str) {
        Some("-") => Ok(()),
        other => {
            Err(DriveError::Refused { command: "Magnify".into(), message: format!("still on: {other:?}") })
        }
    }
}

/// The table pays its bill by card at the table; recorded in `stage.told` once the screen
/// says it is paid.
pub fn table_bill(k: &mut KioskProcess, stage: &mut Stage) -> Result<(), DriveError> {
    if k.page != "tablehome" {
        k.wait("tablehome", 90)?;
    }
    k.press("Bill")?;
    let total = shown_amount(&k.view()?, "tab");
    k.press("Pay here by card")?;
    k.wait("done", 60)?;
    let done = k.view()?;
    if done.get("detail").is_some_and(|d| d.contains("bill is paid")) {
        let number = done.get("order").and_then(|n| n.parse().ok()).unwrap_or(-1);
        stage.told.push(Told::Bill { number, total });
    }
    k.press("Done")
}

/// One diner pays a share of the table's bill by card, split evenly among `diners` (the
/// tab's guests, as the first round set them); with `decline`, the terminal declines it
/// first and the diner tries again. Recorded in `stage.told` once the screen says it is
/// paid. Returns whether it was the last share (the bill is paid).
pub fn table_share(k: &mut KioskProcess, stage: &mut Stage, decline: bool) -> Result<bool, DriveError> {
    if k.page != "tablehome" {
        k.wait("tablehome", 90)?;
    }
    k.press("Bill")?;
    k.press("Split the bill")?;
    let total = shown_amount(&k.view()?, "share");
    if decline {
        stage.table_terminal.handle.push_fault(kiosk_sim::terminal::Fault::Decline("6B"));
        k.press("Pay this share by card")?;
        k.wait("problem", 60)?;
        k.press("Try again")?;
        k.wait("split", 10)?;
        if shown_amount(&k.view()?, "share") != total {
            return Err(DriveError::Refused {
                command: "Try again".into(),
                message: "the declined share changed".into(),
            });
        }
    }
    k.press("Pay this share by card")?;
    k.wait("done", 60)?;
    let done = k.view()?;
    let detail = done.get("detail").cloned().unwrap_or_default();
    let number = done.get("order").and_then(|n| n.parse().ok()).unwrap_or(-1);
    let last = detail.contains("bill is paid");
    if last || detail.contains("is paid. Still to pay") {
        stage.told.push(Told::Share { number, total });
    }
    k.press("Done")?;
    Ok(last)
}

/// A kiosk customer who pays by card in `months` monthly instalments (`None`: the plan is
/// not touched), with a receipt, after first pressing "Cancel payment" while the terminal
/// waits for their card (the terminal is reset; nothing is charged; they pay again from
/// the cart). Returns the order number; the total and number go into `stage.told`.
pub fn kiosk_card_order_after_a_cancel(
    k: &mut KioskProcess,
    stage: &mut Stage,
    basket: &Basket,
    months: u8,
) -> Result<String, DriveError> {
    if k.page != "attract" {
        k.wait("attract", 90)?;
    }
    k.press("Touch to order")?;
    k.press("English")?;
    k.press("Take out")?;
    fill_cart(k, basket)?;
    let total = shown_amount(&k.view()?, "total");
    k.press("Pay")?;
    // the customer takes their time: the terminal waits for the card until the cancel
    stage.terminal.handle.set_customer_delay(Duration::from_secs(60));
    k.cmd("press-only Credit or debit card")?;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !stage.terminal.handle.awaiting_customer() {
        if Instant::now() > deadline {
            return Err(DriveError::Refused {
                command: "pay".into(),
                message: "the terminal never waited".into(),
            });
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    k.wait("paying", 10)?;
    k.cmd("press-only Cancel payment")?;
    k.wait("cart", 15)?;
    stage.terminal.handle.set_customer_delay(Duration::from_millis(20));
    k.press("Pay")?;
    for _ in 0..months.saturating_sub(1) {
        k.press("Card instalments +")?;
    }
    k.press("Credit or debit card")?;
    let number = told_kiosk_order(k, stage, total, None)?;
    k.press("Print a receipt")?;
    k.press("Done")?;
    Ok(number)
}

/// A round at the pre-pay table, paid before it is sent: by card at the table, or sent for
/// the counter to take. Returns its order number; what the table is told goes into
/// `stage.told`.
pub fn prepay_round(
    k: &mut KioskProcess,
    stage: &mut Stage,
    basket: &Basket,
    pay: Pay,
) -> Result<String, DriveError> {
    if k.page != "tablehome" {
        k.wait("tablehome", 90)?;
    }
    fill_cart(k, basket)?;
    let total = shown_amount(&k.view()?, "total");
    k.press("Send order")?;
    k.wait("paychoice", 10)?;
    k.press(if pay == Pay::Card { "Credit or debit card" } else { "Pay at the counter" })?;
    k.wait("done", 60)?;
    let done = k.view()?;
    let number = done.get("order").cloned().unwrap_or_default();
    stage.told.push(Told::PrepayRound {
        number: number.parse().unwrap_or(-1),
        total,
        paid: done.get("detail").is_some_and(|d| d.starts_with("Paid.")),
    });
    k.press("Done")?;
    Ok(number)
}

/// Waits until both devices' outboxes are empty, i.e. every order reached the store.
pub fn drain(stage: &mut Stage, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        stage.collect_printed();
        let queued =
            queued_orders(&stage.kiosk_db) + queued_orders(&stage.table_db) + queued_orders(&stage.prepay_db);
        if queued == 0 {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A customer reading `lang` orders `americanos` iced americanos on the stamp card of
/// `phone` (typed on the cart page's keypad), taking one free with ten stamps when `reward`,
/// and typing the stage's next coupon first when `coupon`; pays the rest by card. Every label
/// pressed is the catalogue's or the menu's text in `lang`. Returns the order number.
#[allow(clippy::too_many_arguments)]
pub fn kiosk_stamp_order(
    k: &mut KioskProcess,
    stage: &mut Stage,
    phone: &str,
    americanos: u32,
    reward: bool,
    lang: Lang,
    coupon: bool,
) -> Result<String, DriveError> {
    if k.page != "attract" {
        k.wait("attract", 90)?;
    }
    let menu: kiosk_domain::Menu = serde_json::from_str(MENU).expect("the demo menu");
    let named = |id: &str| menu_text(&menu, lang, id);
    // As the screens write won in `lang`: the session's own formatter.
    let won = |amount: i64| {
        kiosk_session::words::money(kiosk_domain::Money(amount), kiosk_domain::Currency::Krw, lang)
    };
    k.press("Touch to order")?;
    k.press(lang.native_name())?;
    k.press(tr(lang, "Take out"))?;
    k.press(&named("coffee"))?;
    k.press(&format!("{}, {}", named("americano"), won(4_500)))?;
    k.press(&named("temp/iced"))?;
    k.press(&named("size/regular"))?;
    for _ in 1..americanos {
        k.press(tr(lang, "One more"))?;
    }
    k.press(&tr(lang, "Add · {}").replace("{}", &won(4_500 * i64::from(americanos))))?;
    k.press(tr(lang, "View cart"))?;
    let coupon = if coupon { try_coupon(k, stage, lang)? } else { None };
    k.press(tr(lang, "Stamps"))?;
    for digit in phone.chars() {
        k.press(&digit.to_string())?;
    }
    k.press(tr(lang, "Done"))?;
    let found = tr(lang, "You have {} stamps");
    let found = found.split("{}").next().unwrap_or(found);
    let asked = Instant::now();
    while !k.view()?.get("notice").is_some_and(|n| n.starts_with(found)) {
        if asked.elapsed() > Duration::from_secs(10) {
            return Err(DriveError::Refused { command: "stamps".into(), message: "no card".into() });
        }
        std::thread::sleep(Duration::from_millis(30));
    }
    if reward {
        let offer = kiosk_i18n::trf(lang, "Use a free {} ({} stamps)", &[&named("americano"), &10]);
        k.press(&offer)?;
    }
    let total = shown_amount(&k.view()?, "total");
    k.press(tr(lang, "Pay"))?;
    k.press(tr(lang, "Credit or debit card"))?;
    if coupon.is_some() {
        stage.next_coupon += 1;
    }
    let number = told_kiosk_order_in(k, stage, total, coupon, lang)?;
    k.press(tr(lang, "Done"))?;
    Ok(number)
}

/// The menu's text of `id` (a category, an item, or `group/option`) in `lang`.
pub fn menu_text(menu: &kiosk_domain::Menu, lang: Lang, id: &str) -> String {
    menu.name_at(id).unwrap_or_else(|| panic!("{id} is not on the menu")).get(lang).to_owned()
}

/// 45000 → "45,000", as the screens and receipts group won.
pub fn grouped(won: i64) -> String {
    kiosk_domain::Money(won).display(kiosk_domain::Currency::Krw, kiosk_domain::MoneyStyle::Plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receipt_cut_off_inside_its_total_line_is_a_fragment_not_a_receipt() {
        let whole =
            "E2E Cafe\n주문번호 106\n아메리카노 x1   4,500원\n합계   6,500원\n--------\n신용카드 KB국민카드";
        let receipt = parse_receipt(whole).expect("a whole receipt");
        assert_eq!((receipt.number, receipt.total), (106, 6_500));
        let cut = &whole[..whole.find("6,500").unwrap() + 1];
        assert_eq!(parse_receipt(cut), None, "{cut:?}");
    }
}
