//! The whole system on one machine, for the end-to-end and chaos tests: the real `kiosk`
//! binary (`kiosk automate`, the customer screen of `kiosk run` driven by accessible label)
//! for a kiosk and a table tablet; the printer, card terminals and scanner simulators on
//! PTYs; the reference store server on TCP behind a proxy that can cut the LAN. Afterwards
//! [`Audit`] reads the store server, the terminals' ledgers, the printed receipts and the
//! devices' journals, and says what does not add up.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use kiosk_app::pos_server::db::ServerDb;
use kiosk_app::pos_server::{ServeOptions, ServerHandle};
use kiosk_app::store::{Actor, Store};
use kiosk_drivers::sim::printer::server::{SimOptions, SimReport, spawn_pty as spawn_printer};
use kiosk_drivers::sim::scanner::{ScannerSim, ScannerSimOptions};
use kiosk_drivers::sim::terminal::model::LedgerEntry;
use kiosk_drivers::sim::terminal::server::{TerminalSimOptions, spawn_pty as spawn_terminal};

use crate::fault_proxy::FaultProxy;

/// The `kiosk` binary of this build (cargo builds it for the workspace's tests).
pub fn kiosk_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe.parent().and_then(|deps| deps.parent()).expect("target/<profile>");
    let kiosk = dir.join("kiosk");
    assert!(kiosk.exists(), "{} is missing: run `cargo build -p kiosk-app` first", kiosk.display());
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

/// One running `kiosk automate` process.
pub struct KioskProcess {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
    pub page: String,
    /// Kill (SIGKILL) this long after sending the command this many commands from now.
    kill_at: Option<(u32, Duration)>,
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
        let mut process =
            KioskProcess { child, stdin, lines, page: String::new(), kill_at: None, killed: false };
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
    /// in the middle of whatever that command started (a payment, a print, a delivery).
    pub fn kill_after(&mut self, commands: u32, delay: Duration) {
        self.kill_at = Some((commands, delay));
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
        if let Some((left, delay)) = self.kill_at.as_mut() {
            if *left <= 1 {
                std::thread::sleep(*delay);
                let _ = self.child.kill();
                let _ = self.child.wait();
                self.killed = true;
                return Err(DriveError::Killed);
            }
            *left -= 1;
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
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The devices and the store server of one test, on a runtime of their own.
pub struct Stage {
    pub dir: tempfile::TempDir,
    pub runtime: tokio::runtime::Runtime,
    pub kiosk_config: PathBuf,
    pub table_config: PathBuf,
    pub kiosk_db: PathBuf,
    pub table_db: PathBuf,
    pub server_db: PathBuf,
    server_addr: SocketAddr,
    server: Option<ServerHandle>,
    pub proxy: FaultProxy,
    /// Kept running: the simulators stop when dropped.
    _printer: kiosk_drivers::sim::printer::server::RunningSim,
    receipts: tokio::sync::broadcast::Receiver<SimReport>,
    pub printed: Vec<String>,
    terminal: kiosk_drivers::sim::terminal::server::TerminalSim,
    table_terminal: kiosk_drivers::sim::terminal::server::TerminalSim,
    scanner: ScannerSim,
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
        let _enter = runtime.enter();
        let printer = spawn_printer(&p, SimOptions { baud: Some(115_200), ..SimOptions::default() }).unwrap();
        let receipts = printer.handle.subscribe();
        let quick =
            TerminalSimOptions { customer_delay: Duration::from_millis(20), ..TerminalSimOptions::default() };
        let terminal = spawn_terminal(&t, quick.clone()).unwrap();
        let table_terminal = spawn_terminal(&tt, quick).unwrap();
        let scanner = ScannerSim::create(&s, ScannerSimOptions::default()).unwrap();

        let server_db = d.join("store-server.sqlite");
        let menu_file = d.join("menu.json");
        std::fs::write(&menu_file, MENU).unwrap();
        let (kiosk_token, table_token) = {
            let mut db = ServerDb::open(&server_db).unwrap();
            (db.issue_token("kiosk-1", false).unwrap(), db.issue_token("table-7", false).unwrap())
        };
        let server = runtime
            .block_on(kiosk_app::pos_server::start(ServeOptions {
                db: server_db.clone(),
                listen: "127.0.0.1:0".parse().unwrap(),
                menu: Some(menu_file),
                kitchen_printer: None,
                tls: None,
            }))
            .unwrap();
        let server_addr = server.addr;
        let proxy = runtime.block_on(FaultProxy::start(server_addr, 7));
        let url = format!("http://{}", proxy.addr);

        let kiosk_devices = format!(
            "[ui]\nlanguages = [\"en\", \"ko\"]\ndefault_language = \"en\"\norder_types = [\"dine_in\", \"take_out\"]\npayment_methods = [\"card\", \"wallet\", \"counter\"]\n\n[devices.printer]\nport = \"{}\"\nbaud = 115200\n\n[devices.terminal]\nprotocol = \"smartro\"\nport = \"{}\"\nbaud = 115200\nrequired = true\n\n[devices.scanner]\nport = \"{}\"\nbaud = 9600\nsuffix = \"cr\"",
            p.display(),
            t.display(),
            s.display()
        );
        let table_devices = format!(
            "[ui]\nlanguages = [\"en\", \"ko\"]\ndefault_language = \"en\"\npostpay = true\npayment_methods = [\"card\", \"counter\"]\n\n[devices.terminal]\nprotocol = \"smartro\"\nport = \"{}\"\nbaud = 115200",
            tt.display()
        );
        let kiosk_config = write_config(&d, "kiosk", &kiosk_devices, &url, &kiosk_token);
        let table_config = write_config(&d, "table", &table_devices, &url, &table_token);
        let (kiosk_db, table_db) = (d.join("kiosk/kiosk.db"), d.join("table/kiosk.db"));
        // The menu is in each device's store before its first start, as after a first sync.
        let menu: kiosk_domain::Menu = serde_json::from_str(MENU).unwrap();
        for db in [&kiosk_db, &table_db] {
            std::fs::create_dir_all(db.parent().unwrap()).unwrap();
            Store::open(db).unwrap().save_menu(&menu, "e2e", Actor::System, 0).unwrap();
        }
        drop(_enter);
        Stage {
            dir,
            runtime,
            kiosk_config,
            table_config,
            kiosk_db,
            table_db,
            server_db,
            server_addr,
            server: Some(server),
            proxy,
            _printer: printer,
            receipts,
            printed: Vec::new(),
            terminal,
            table_terminal,
            scanner,
        }
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
        let started = self.runtime.block_on(kiosk_app::pos_server::start(ServeOptions {
            db: self.server_db.clone(),
            listen: self.server_addr,
            menu: None,
            kitchen_printer: None,
            tls: None,
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
        "role = \"{role}\"\ndata_dir = \"{data}\"\ntime_zone = \"Asia/Seoul\"\n{table}\n[store]\nid = \"e2e-cafe\"\nname = \"E2E Cafe\"\nbusiness_number = \"123-45-67891\"\naddress = \"Seoul\"\n\n{body}\n\n[pos]\nadapter = \"kiosk-link\"\nurl = \"{url}\"\ntoken = \"{token}\"\n\n[receipt]\nprint = \"ask\"\n\n[operator]\npin_hash = \"{pin_hash}\"\n",
        role = if name == "table" { "table" } else { "kiosk" },
        table = if name == "table" { "[table]\nnumber = \"7\"" } else { "" },
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
    /// The order's kind as stored (`type`: kiosk, table or table_bill, with its fields).
    pub kind: serde_json::Value,
    /// (item name as printed, quantity)
    pub lines: Vec<(String, i64)>,
}

pub fn device_orders(db: &Path) -> Vec<DeviceOrder> {
    let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut orders: Vec<DeviceOrder> = conn
        .prepare("SELECT id, number, total, state, kind_json FROM orders")
        .unwrap()
        .query_map([], |r| {
            Ok(DeviceOrder {
                id: r.get(0)?,
                number: r.get(1)?,
                total: r.get(2)?,
                state: r.get(3)?,
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
    for line in text.lines() {
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
                total = won(rest);
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

/// What the audit found; empty `problems` means everything adds up.
#[derive(Debug, Default)]
pub struct Audit {
    pub server_orders: usize,
    pub device_orders: usize,
    pub approvals: usize,
    pub cancelled_approvals: usize,
    pub receipts: usize,
    /// Approvals reversed by staff after their order reached the store, refunded there too.
    pub refunds: usize,
    /// What the table still owes: its standing rounds that no paid bill settled.
    pub open_tab: i64,
    pub problems: Vec<String>,
}

/// The device completed the order (paid, or committed unpaid).
fn completed(o: &DeviceOrder) -> bool {
    matches!(o.state.as_str(), "committed" | "sent_to_pos" | "acknowledged" | "ready" | "completed")
}

impl Audit {
    /// Every completed order at the store server exactly once; every standing approval
    /// matched to a delivered order of the same amount (others cancelled); every printed
    /// receipt matching its order's lines and total.
    pub fn run(stage: &Stage) -> Audit {
        let mut audit = Audit::default();
        let server_db = ServerDb::open(&stage.server_db).unwrap();
        let server = server_db.orders(0, 100_000).unwrap();
        let at_the_counter = server_db.settled_rounds().unwrap();
        audit.server_orders = server.len();
        let mut by_id: BTreeMap<String, i64> = BTreeMap::new();
        for o in &server {
            if by_id.insert(o.order_id.clone(), o.total).is_some() {
                audit.problems.push(format!("order {} is at the store server twice", o.order_id));
            }
        }
        let mut devices = BTreeMap::new();
        for (device, db) in [("kiosk-1", &stage.kiosk_db), ("table-7", &stage.table_db)] {
            for o in device_orders(db) {
                devices.insert(o.id.clone(), (device, o));
            }
        }
        audit.device_orders = devices.len();
        for (id, (device, o)) in &devices {
            let delivered = by_id.get(id);
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
                && let Some(order) = server.iter().find(|s| &s.order_id == id)
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
                (true, Some(total)) if *total != o.total => audit
                    .problems
                    .push(format!("{device} order {}: store total {total}, device {}", o.number, o.total)),
                _ => {}
            }
        }
        for o in &server {
            if !devices.contains_key(&o.order_id) {
                audit.problems.push(format!("the store has order {} that no device journaled", o.order_id));
            }
        }

        audit.tabs(devices.values().filter(|(d, _)| *d == "table-7").map(|(_, o)| o), &at_the_counter);

        // Each device has its own terminal, and approval numbers are per terminal.
        let terminals = [
            ("kiosk-1", &stage.kiosk_db, &stage.terminal.handle),
            ("table-7", &stage.table_db, &stage.table_terminal.handle),
        ];
        for (device, db, terminal) in terminals {
            let journal = journaled_approvals(db);
            let standing = terminal.standing_approvals();
            let approved =
                terminal.ledger().iter().filter(|e| matches!(e, LedgerEntry::Approved { .. })).count();
            audit.approvals += approved;
            audit.cancelled_approvals += approved - standing.len();
            for (approval, amount) in &standing {
                match journal.get(approval) {
                    None => audit.problems.push(format!("{device}: approval {approval} ({amount}) is not journaled")),
                    Some((order, _)) => match by_id.get(order) {
                        None => audit.problems.push(format!(
                            "{device}: approval {approval} ({amount}) stands, but its order is not at the store"
                        )),
                        Some(total) if *total as u64 != *amount => audit
                            .problems
                            .push(format!("{device}: approval {approval} is for {amount}, its order totals {total}")),
                        Some(_) => {}
                    },
                }
            }
        }
        let numbers: BTreeMap<i64, &DeviceOrder> =
            devices.values().filter(|(d, _)| *d == "kiosk-1").map(|(_, o)| (o.number, o)).collect();
        let mut seen = BTreeSet::new();
        for text in &stage.printed {
            let Some(receipt) = parse_receipt(text) else { continue };
            audit.receipts += 1;
            seen.insert(receipt.number);
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
                    if !by_id.contains_key(&o.id) {
                        audit
                            .problems
                            .push(format!("receipt {} for an order not at the store", receipt.number));
                    }
                }
            }
        }
        audit
    }

    /// The table's bills: no round paid twice (on two bills, or on a bill and at the
    /// counter), every paid bill the sum of its rounds; what is left is the open tab.
    fn tabs<'a>(&mut self, table: impl Iterator<Item = &'a DeviceOrder>, at_the_counter: &BTreeSet<String>) {
        let table: Vec<&DeviceOrder> = table.filter(|o| completed(o)).collect();
        let rounds: BTreeMap<&str, i64> =
            table.iter().filter(|o| o.kind["type"] == "table").map(|o| (o.id.as_str(), o.total)).collect();
        let mut billed = BTreeSet::new();
        for bill in table.iter().filter(|o| o.kind["type"] == "table_bill") {
            let mut sum = 0;
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
            "{} orders at the store server, {} journaled by the devices, {} approvals ({} cancelled, {} refunded at the store), {} receipts, {} won on the open tab, {} problems",
            self.server_orders,
            self.device_orders,
            self.approvals,
            self.cancelled_approvals,
            self.refunds,
            self.receipts,
            self.open_tab,
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
fn fill_cart(k: &mut KioskProcess, basket: &Basket) -> Result<(), DriveError> {
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

/// A kiosk customer from the attract screen to the order number; returns the number.
pub fn kiosk_order(
    k: &mut KioskProcess,
    stage: &mut Stage,
    basket: &Basket,
    pay: Pay,
    receipt: bool,
    wallet_code: &str,
) -> Result<String, DriveError> {
    if k.page != "attract" {
        k.wait("attract", 90)?;
    }
    k.press("Touch to order")?;
    k.press("English")?;
    k.press(if basket.items.len() == 1 { "Take out" } else { "Eat here" })?;
    fill_cart(k, basket)?;
    k.press("Pay")?;
    match pay {
        Pay::Card => k.press("Credit or debit card")?,
        Pay::Wallet => {
            k.press("Kakao Pay / Naver Pay barcode")?;
            stage.scan(wallet_code);
        }
        Pay::Counter => k.press("Pay at the counter")?,
    }
    k.wait("done", 60)?;
    let number = k.view()?.remove("order").unwrap_or_default();
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

/// Staff cancel the latest card approval in operator mode: five taps in the top-left corner,
/// the PIN, the journal's cancel, confirmed. The screen speaks the last customer's language
/// or the default one, Korean.
pub fn operator_cancel_latest(k: &mut KioskProcess) -> Result<(), DriveError> {
    for _ in 0..5 {
        k.cmd("tap 20 20")?;
    }
    for digit in PIN.chars() {
        k.press(&digit.to_string())?;
    }
    press_either(k, "Enter", "확인")?;
    k.wait("operator", 10)?;
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

/// Presses a control by its English label, or its Korean one.
fn press_either(k: &mut KioskProcess, en: &str, ko: &str) -> Result<(), DriveError> {
    match k.press(en) {
        Err(DriveError::Refused { .. }) => k.press(ko),
        other => other,
    }
}

/// One round at the table, sent to the kitchen onto the running tab.
pub fn table_round(k: &mut KioskProcess, basket: &Basket, first: bool) -> Result<(), DriveError> {
    if k.page != "tablehome" {
        k.wait("tablehome", 90)?;
    }
    fill_cart(k, basket)?;
    if first {
        // Asked on a tab's first round only; later rounds go straight to the kitchen.
        match k.press("One guest more") {
            Ok(()) | Err(DriveError::Refused { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    k.press("Send order")?;
    k.wait("tablehome", 60)
}

/// The table pays its bill by card at the table.
pub fn table_bill(k: &mut KioskProcess) -> Result<(), DriveError> {
    if k.page != "tablehome" {
        k.wait("tablehome", 90)?;
    }
    k.press("Bill")?;
    k.press("Pay here by card")?;
    k.wait("done", 60)?;
    k.press("Done")
}

/// Waits until both devices' outboxes are empty, i.e. every order reached the store.
pub fn drain(stage: &mut Stage, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        stage.collect_printed();
        if queued_orders(&stage.kiosk_db) + queued_orders(&stage.table_db) == 0 {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
