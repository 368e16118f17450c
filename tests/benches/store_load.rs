//! The store server under a busy store's load: `KIOSK_LOAD_DEVICES` devices (200) each keep
//! their update stream open (GET /v1/events, through the firmware's own `KioskLinkClient`),
//! while orders arrive from those devices at `KIOSK_LOAD_RATE` orders/s (50) for
//! `KIOSK_LOAD_SECONDS` (300: 15,000 orders). A staff console, logged in, follows its change
//! stream (GET /console/events) and fetches the order board's live part on each "changed"
//! event, as the console's script does (`console/assets/console.js`: one fetch at a time,
//! and 300 ms after a fetch during which something changed again). Staff mark each order
//! ready `KIOSK_LOAD_STAFF_SECONDS` (10) after it arrived and served as long after that,
//! through the admin API, so each device hears about its orders and the board is the size a
//! busy store's is (0: nobody clears the board).
//!
//! Measured:
//! - acknowledgement latency, from the moment an order was due to be sent (open loop: a
//!   tokio interval sends on schedule however slow the earlier ones are, so a stall is
//!   counted for every order it delays) to the 201 answer; goal p99 ≤ 50 ms;
//! - order-to-board latency, from the same moment until a board fetch that the console's
//!   change stream triggered returns the order; goal p99 ≤ 1 s;
//! - the process's memory (VmRSS, and PSS from smaps_rollup) before the load, at its end
//!   and at its peak. The server runs in this process, on its own 2-thread runtime as
//!   `kiosk-pos serve` does, but the load generator (200 clients, the console, the
//!   latency records) shares the process, so these figures are an upper bound on the
//!   server's own;
//! - the update events each device stream received, and that every stream stayed
//!   connected: at the end a sold-out mark (an event for every device) must reach all of
//!   them. (Receiving an order writes no device event: a device hears about its order when
//!   staff mark it ready and served.)
//! - the time the board's query alone takes over the orders open at the end (on the
//!   console's own read connection: it holds up no order).
//!
//! `cargo bench -p kiosk-tests --bench store_load`; quicker while developing:
//! `KIOSK_LOAD_SECONDS=20 cargo bench -p kiosk-tests --bench store_load`.
//! `KIOSK_LOAD_CONSOLE=0` leaves the console out (acknowledgements without board fetches).
//!
//! File descriptors: each device holds two connections (its stream, its kept-alive
//! submissions), each counted twice in this process (client and server side), about
//! 4 × devices + 64 in all: 864 for 200 devices. The benchmark checks the soft limit first;
//! raise it with `ulimit -n "$(ulimit -Hn)"` when it says so.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kiosk_domain::{Cart, Menu, Order, OrderId, OrderKind, Selection, Service, Settlement};
use kiosk_link::http::Timeouts;
use kiosk_link::sse::{Event, SseParser};
use kiosk_pos::PosAdapter;
use kiosk_pos::link_client::KioskLinkClient;
use kiosk_store_server::db::ServerDb;
use kiosk_store_server::db::console::Role;
use kiosk_store_server::{ServeOptions, start};
use kiosk_tests::example_menu;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};

const BENCH: &str = "store_load";
const STAFF: (&str, &str) = ("bench-owner", "4821");
/// How long the end waits for the last orders to reach the board, and for the final
/// sold-out mark to reach every stream.
const BOARD_DRAIN: Duration = Duration::from_secs(60);
const FINAL_EVENT_WAIT: Duration = Duration::from_secs(15);

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(v) => v.trim().parse().unwrap_or_else(|_| panic!("{name}={v:?} is not a number")),
        Err(_) => default,
    }
}

fn figure(name: &str, value: impl std::fmt::Display, unit: &str) {
    // Machine-readable lines for bench/run: figure<TAB>bench<TAB>name<TAB>value<TAB>unit.
    println!("figure\t{BENCH}\t{name}\t{value}\t{unit}");
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

// --- memory and file descriptors -----------------------------------------------------------

/// A `Key:   123 kB` line of /proc/self/status or smaps_rollup, in KiB.
fn kib(text: &str, key: &str) -> Option<u64> {
    text.lines().find(|l| l.starts_with(key))?.split_whitespace().nth(1)?.parse().ok()
}

#[derive(Clone, Copy, Default)]
struct Memory {
    rss_kib: u64,
    pss_kib: u64,
    /// The kernel's high-water mark of RSS (VmHWM) since the process started.
    hwm_kib: u64,
    /// The process's threads (the server's runtime and its blocking pool among them).
    threads: u64,
}

fn memory() -> Memory {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let rollup = std::fs::read_to_string("/proc/self/smaps_rollup").unwrap_or_default();
    Memory {
        rss_kib: kib(&status, "VmRSS:").unwrap_or(0),
        pss_kib: kib(&rollup, "Pss:").unwrap_or(0),
        hwm_kib: kib(&status, "VmHWM:").unwrap_or(0),
        threads: status
            .lines()
            .find(|l| l.starts_with("Threads:"))
            .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
            .unwrap_or(0),
    }
}

fn mib(kib: u64) -> String {
    format!("{:.1}", kib as f64 / 1024.0)
}

/// Samples PSS every 250 ms until `stop`; returns the highest.
fn pss_sampler(stop: Arc<AtomicBool>) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let mut peak = 0;
        while !stop.load(Ordering::Relaxed) {
            peak = peak.max(memory().pss_kib);
            std::thread::sleep(Duration::from_millis(250));
        }
        peak.max(memory().pss_kib)
    })
}

/// The soft limit on open files, from /proc/self/limits.
fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    limits.lines().find(|l| l.starts_with("Max open files"))?.split_whitespace().nth(3)?.parse().ok()
}

// --- a minimal HTTP/1.1 client for the console (cookies, large pages, its event stream) ----

/// Decodes `Transfer-Encoding: chunked` as bytes arrive.
#[derive(Default)]
struct Dechunk {
    pending: Vec<u8>,
    left: usize,
    crlf: bool,
    done: bool,
}

impl Dechunk {
    fn feed(&mut self, bytes: &[u8]) -> Vec<u8> {
        self.pending.extend_from_slice(bytes);
        let mut out = Vec::new();
        let mut at = 0;
        loop {
            if self.left > 0 {
                let n = self.left.min(self.pending.len() - at);
                out.extend_from_slice(&self.pending[at..at + n]);
                at += n;
                self.left -= n;
                if self.left > 0 {
                    break;
                }
                self.crlf = true;
            }
            if self.crlf {
                if self.pending.len() - at < 2 {
                    break;
                }
                at += 2;
                self.crlf = false;
            }
            if self.done {
                break;
            }
            let Some(end) = find(&self.pending[at..], b"\r\n") else { break };
            let line = String::from_utf8_lossy(&self.pending[at..at + end]).into_owned();
            let size = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16).unwrap_or(0);
            at += end + 2;
            if size == 0 {
                self.done = true;
                break;
            }
            self.left = size;
        }
        self.pending.drain(..at);
        out
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

struct Head {
    status: u16,
    headers: Vec<(String, String)>,
}

impl Head {
    fn parse(raw: &[u8]) -> Head {
        let text = String::from_utf8_lossy(raw);
        let mut lines = text.split("\r\n");
        let status = lines.next().and_then(|l| l.split_whitespace().nth(1)).and_then(|s| s.parse().ok());
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        Head { status: status.unwrap_or(0), headers }
    }

    fn chunked(&self) -> bool {
        self.headers.iter().any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
    }

    /// The value of cookie `name` the answer sets.
    fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .filter(|(k, _)| k == "set-cookie")
            .filter_map(|(_, v)| v.split(';').next()?.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_owned())
    }
}

async fn send_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> std::io::Result<TcpStream> {
    let mut tcp = TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    tcp.write_all(req.as_bytes()).await?;
    Ok(tcp)
}

/// One request on its own connection (`Connection: close`), the whole answer read.
async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> std::io::Result<(Head, Vec<u8>)> {
    let mut all = headers.to_vec();
    all.push(("Connection", "close"));
    let mut tcp = send_request(addr, method, path, &all, body).await?;
    let mut raw = Vec::new();
    tcp.read_to_end(&mut raw).await?;
    let end = find(&raw, b"\r\n\r\n").ok_or_else(|| std::io::Error::other("no answer head"))?;
    let head = Head::parse(&raw[..end]);
    let rest = &raw[end + 4..];
    let body = if head.chunked() { Dechunk::default().feed(rest) } else { rest.to_vec() };
    Ok((head, body))
}

/// Logs in as staff the way a browser does (the login page's token, then the form) and
/// returns the session cookie.
async fn console_login(addr: SocketAddr) -> String {
    let (page, _) = http(addr, "GET", "/console/login", &[], "").await.expect("login page");
    let login = page.cookie("kiosk_console_login").expect("the login page sets its token cookie");
    let form = format!("name={}&secret={}&login={login}", STAFF.0, STAFF.1);
    let cookie = format!("kiosk_console_login={login}");
    let (answer, body) = http(
        addr,
        "POST",
        "/console/login",
        &[("Content-Type", "application/x-www-form-urlencoded"), ("Cookie", &cookie)],
        &form,
    )
    .await
    .expect("login");
    assert_eq!(answer.status, 303, "login refused: {}", String::from_utf8_lossy(&body));
    answer.cookie("kiosk_console").expect("a session cookie")
}

/// Follows an event stream, calling `on_event` for each event, until it ends.
async fn follow_stream(
    addr: SocketAddr,
    path: &str,
    cookie: &str,
    mut on_event: impl FnMut(Event),
) -> std::io::Result<()> {
    let cookie = format!("kiosk_console={cookie}");
    let mut tcp =
        send_request(addr, "GET", path, &[("Cookie", &cookie), ("Accept", "text/event-stream")], "").await?;
    let mut raw = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    let (head, rest) = loop {
        let n = tcp.read(&mut buf).await?;
        if n == 0 {
            return Err(std::io::Error::other("the stream closed before its head"));
        }
        raw.extend_from_slice(&buf[..n]);
        if let Some(end) = find(&raw, b"\r\n\r\n") {
            break (Head::parse(&raw[..end]), raw[end + 4..].to_vec());
        }
    };
    if head.status != 200 {
        return Err(std::io::Error::other(format!("{path}: HTTP {}", head.status)));
    }
    let mut dechunk = head.chunked().then(Dechunk::default);
    let mut parser = SseParser::new(64 * 1024);
    let mut bytes = rest;
    loop {
        let data = match &mut dechunk {
            Some(d) => d.feed(&bytes),
            None => bytes,
        };
        for event in parser.feed(&data).map_err(std::io::Error::other)? {
            on_event(event);
        }
        let n = tcp.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        bytes = buf[..n].to_vec();
    }
}

/// The order ids on a board page (`data-order="…"` on each card).
fn board_ids(html: &[u8]) -> Vec<String> {
    let html = String::from_utf8_lossy(html);
    html.split("data-order=\"").skip(1).filter_map(|s| s.split('"').next()).map(str::to_owned).collect()
}

// --- the load ------------------------------------------------------------------------------

/// A pay-at-counter kiosk order with two lines, as a device's outbox sends it.
fn order(menu: &Menu, n: u64) -> (OrderId, String) {
    let mut cart = Cart::default();
    cart.add(menu, Selection::of("cola", 1 + (n % 3) as u32), None).unwrap();
    cart.add(menu, Selection::of("cheese-sticks", 1), None).unwrap();
    let kind = OrderKind::Kiosk { service: Service::TakeOut };
    let id = OrderId(uuid::Uuid::new_v4());
    let order = Order::from_cart(
        id,
        (n % 1000) as u32,
        kind,
        Settlement::PayAtCounter,
        &cart,
        menu,
        kiosk_clock::unix_now_ms(),
    )
    .unwrap();
    // As `OrderForPos` without a payment (pay at the counter) or a receipt token: the order's
    // own fields (the payload flattens them, and leaves out what is absent).
    (id, serde_json::to_string(&order).unwrap())
}

#[derive(Default)]
struct StreamStats {
    snapshots: AtomicU64,
    updates: AtomicU64,
    last_seq: AtomicU64,
    drops: AtomicU64,
    last_error: Mutex<Option<String>>,
}

/// A device's update stream, as the firmware's sync follows it: reconnecting from its last
/// event after a break (each break counted).
async fn follow_device(client: Arc<KioskLinkClient>, stats: Arc<StreamStats>) {
    let (tx, mut rx) = mpsc::channel::<kiosk_link::wire::Sequenced>(64);
    let consume = async {
        while let Some(update) = rx.recv().await {
            if update.update.kind() == "snapshot" {
                stats.snapshots.fetch_add(1, Ordering::Relaxed);
            } else {
                stats.updates.fetch_add(1, Ordering::Relaxed);
            }
            stats.last_seq.store(update.seq, Ordering::Relaxed);
        }
    };
    let follow = async {
        loop {
            let since = Some(stats.last_seq.load(Ordering::Relaxed)).filter(|s| *s > 0);
            let result = client.watch(since, &tx).await;
            stats.drops.fetch_add(1, Ordering::Relaxed);
            *stats.last_error.lock().unwrap() = Some(match result {
                Ok(()) => "ended".into(),
                Err(e) => e.to_string(),
            });
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    };
    tokio::join!(consume, follow);
}

#[derive(Default)]
struct Board {
    /// Orders sent and not yet seen on the board: when each was due.
    due: HashMap<String, Instant>,
    seen: HashSet<String>,
    latencies: Vec<Duration>,
    fetches: Vec<Duration>,
    fetch_errors: u64,
    last_cards: usize,
    last_bytes: usize,
    last_fetch: Duration,
    changed_events: u64,
}

/// The console's board, refreshed as its script does on each "changed" event.
async fn run_console(addr: SocketAddr, cookie: String, board: Arc<Mutex<Board>>) {
    let (changed_tx, mut changed) = watch::channel(0u64);
    let events = {
        let (cookie, board) = (cookie.clone(), board.clone());
        async move {
            loop {
                let result = follow_stream(addr, "/console/events", &cookie, |e| {
                    if e.event == "changed" {
                        board.lock().unwrap().changed_events += 1;
                        changed_tx.send_modify(|n| *n += 1);
                    }
                })
                .await;
                eprintln!("console: the change stream ended ({result:?}); reconnecting");
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    };
    let refresh = async move {
        let cookie = format!("kiosk_console={cookie}");
        loop {
            if changed.changed().await.is_err() {
                return;
            }
            loop {
                changed.borrow_and_update();
                let started = Instant::now();
                let answer =
                    http(addr, "GET", "/console/", &[("Cookie", &cookie), ("X-Fragment", "1")], "").await;
                let now = Instant::now();
                {
                    let mut b = board.lock().unwrap();
                    b.fetches.push(now - started);
                    match answer {
                        Ok((head, body)) if head.status == 200 => {
                            let ids = board_ids(&body);
                            b.last_cards = ids.len();
                            b.last_bytes = body.len();
                            b.last_fetch = now - started;
                            for id in ids {
                                if let Some(due) = b.due.remove(&id) {
                                    b.latencies.push(now - due);
                                    b.seen.insert(id);
                                }
                            }
                        }
                        _ => b.fetch_errors += 1,
                    }
                }
                // The script: something changed during the fetch → fetch again 300 ms later.
                if !changed.has_changed().unwrap_or(false) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        }
    };
    tokio::join!(events, refresh);
}

fn main() {
    let seconds: f64 = env_or("KIOSK_LOAD_SECONDS", 300.0);
    let rate: f64 = env_or("KIOSK_LOAD_RATE", 50.0);
    let devices: usize = env_or("KIOSK_LOAD_DEVICES", 200);
    let with_console = std::env::var("KIOSK_LOAD_CONSOLE").map(|v| v != "0").unwrap_or(true);
    // Staff mark each order ready this long after it arrived, and served as long after that
    // (through the admin API, as a POS would); 0 leaves every order on the board.
    let staff_seconds: f64 = env_or("KIOSK_LOAD_STAFF_SECONDS", 10.0);
    let staff_after = (staff_seconds > 0.0).then(|| Duration::from_secs_f64(staff_seconds));
    let total = (seconds * rate).round() as u64;
    assert!(devices > 0 && rate > 0.0 && total > 0, "nothing to send");

    let need = 4 * devices as u64 + 64;
    if let Some(limit) = open_files_limit()
        && limit < need
    {
        eprintln!(
            "{BENCH}: {devices} devices need about {need} open files, the soft limit is {limit}: \
             run `ulimit -n \"$(ulimit -Hn)\"` (or fewer KIOSK_LOAD_DEVICES) first"
        );
        std::process::exit(1);
    }
    let bench_started = Instant::now();

    // The server's database: the device tokens, an admin token, a staff account.
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("pos.sqlite");
    let (tokens, admin) = {
        let mut db = ServerDb::open(&db_path).unwrap();
        let tokens: Vec<String> =
            (0..devices).map(|i| db.issue_token(&format!("kiosk-{:03}", i + 1), false).unwrap()).collect();
        let admin = db.issue_token("bench-admin", true).unwrap();
        let hash = kiosk_store_server::hash_secret(STAFF.1).unwrap();
        db.staff_add(STAFF.0, Role::Owner, &hash, kiosk_clock::unix_now_ms()).unwrap();
        (tokens, admin)
    };

    // The server on its own runtime, as `kiosk-pos serve` runs it (2 worker threads).
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("server")
        .enable_all()
        .build()
        .unwrap();
    let menu_file =
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../kiosk-app/data/menu.example.json"));
    let server = server_rt
        .block_on(start(ServeOptions {
            db: db_path.clone(),
            listen: "127.0.0.1:0".parse().unwrap(),
            menu: Some(menu_file),
            kitchen_printer: None,
            tls: None,
            backups: None,
        }))
        .unwrap();
    let addr = server.addr;
    let url = format!("http://{addr}");
    let before = memory();
    let stop_sampler = Arc::new(AtomicBool::new(false));
    let sampler = pss_sampler(stop_sampler.clone());

    // The load generator: devices and orders on a runtime of its own; the console (which
    // reads megabytes of board HTML) on another, so it never holds up an order's sending.
    let load_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("load")
        .enable_all()
        .build()
        .unwrap();
    let console_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("console")
        .enable_all()
        .build()
        .unwrap();
    let console_handle = console_rt.handle().clone();
    let report = load_rt.block_on(async move {
        let menu = Arc::new(example_menu());
        let clients: Vec<Arc<KioskLinkClient>> = tokens
            .iter()
            .map(|t| Arc::new(KioskLinkClient::new(&url, t, None, Timeouts::default()).unwrap()))
            .collect();
        let stats: Vec<Arc<StreamStats>> = (0..devices).map(|_| Arc::default()).collect();

        // Every device connects its stream (and its submission connection, as a device's
        // health check would) before the first order.
        let connect_started = Instant::now();
        let mut tasks = Vec::new();
        for (client, s) in clients.iter().zip(&stats) {
            tasks.push(tokio::spawn(follow_device(client.clone(), s.clone())));
        }
        for client in &clients {
            client.health().await.expect("hello");
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        while stats.iter().any(|s| s.snapshots.load(Ordering::Relaxed) == 0) {
            assert!(Instant::now() < deadline, "not every device stream got its snapshot in 60 s");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        println!(
            "{BENCH}: {devices} device streams open (each with its snapshot) in {:.2} s",
            connect_started.elapsed().as_secs_f64()
        );

        let board = Arc::new(Mutex::new(Board::default()));
        if with_console {
            let cookie = console_login(addr).await;
            tasks.push(console_handle.spawn(run_console(addr, cookie, board.clone())));
        }
        let connected = memory();

        let staff_token: Arc<str> = Arc::from(admin.as_str());
        // Open loop: order n is due at start + n / rate, whatever happened to the others.
        let log = Arc::new(SendLog::default());
        log.acks.lock().unwrap().reserve(total as usize);
        let mut interval = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let mut sends = tokio::task::JoinSet::new();
        let load_started = Instant::now();
        let mut next_report = Duration::from_secs(30);
        for n in 0..total {
            let due = interval.tick().await.into_std();
            let client = clients[(n as usize) % devices].clone();
            let (menu, board, sent) = (menu.clone(), board.clone(), log.clone());
            let staff_token = staff_token.clone();
            sends.spawn(async move {
                let (id, payload) = order(&menu, n);
                if with_console {
                    board.lock().unwrap().due.insert(id.to_string(), due);
                }
                sent.lags.lock().unwrap().push(due.elapsed());
                match client.submit_order(id, &payload).await {
                    Ok(delivered) => {
                        sent.acks.lock().unwrap().push(due.elapsed());
                        if delivered.duplicate {
                            sent.duplicates.fetch_add(1, Ordering::Relaxed);
                        }
                        if let Some(after) = staff_after {
                            // The kitchen makes it and the counter hands it over: its device
                            // hears both, and the board stays the size a busy store's is.
                            tokio::spawn(staff_work(addr, staff_token, id.to_string(), after, sent.clone()));
                        }
                    }
                    Err(e) => {
                        sent.failures.lock().unwrap().push(e.to_string());
                        board.lock().unwrap().due.remove(&id.to_string());
                    }
                }
            });
            while sends.try_join_next().is_some() {}
            if load_started.elapsed() >= next_report {
                let acked = log.acks.lock().unwrap().len();
                println!(
                    "{BENCH}: {:>4.0} s: {} sent, {acked} acknowledged, {} failed",
                    load_started.elapsed().as_secs_f64(),
                    n + 1,
                    log.failures.lock().unwrap().len()
                );
                next_report += Duration::from_secs(30);
            }
        }
        let sending = load_started.elapsed();
        while sends.join_next().await.is_some() {}
        let all_answered = load_started.elapsed();

        // The board catches up with the last orders.
        if with_console {
            let deadline = Instant::now() + BOARD_DRAIN;
            while !board.lock().unwrap().due.is_empty() && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        let end = memory();

        // Every stream still connected: a sold-out mark (an update for every device) reaches
        // all of them, through the admin API as the POS's owner would set it.
        let updates_before: Vec<u64> = stats.iter().map(|s| s.updates.load(Ordering::Relaxed)).collect();
        let (answer, body) = http(
            addr,
            "POST",
            "/admin/v1/items/cola/sold-out",
            &[("Authorization", &format!("Bearer {admin}")), ("Content-Type", "application/json")],
            r#"{"sold_out":true}"#,
        )
        .await
        .expect("sold-out mark");
        assert_eq!(answer.status, 204, "sold-out mark refused: {}", String::from_utf8_lossy(&body));
        let marked = Instant::now();
        let reached = |stats: &[Arc<StreamStats>]| {
            stats.iter().zip(&updates_before).filter(|(s, b)| s.updates.load(Ordering::Relaxed) > **b).count()
        };
        while reached(&stats) < devices && marked.elapsed() < FINAL_EVENT_WAIT {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let fan_out = marked.elapsed();
        let reached_end = reached(&stats);
        for t in &tasks {
            t.abort();
        }

        let mut acks = std::mem::take(&mut *log.acks.lock().unwrap());
        acks.sort();
        let failures = std::mem::take(&mut *log.failures.lock().unwrap());
        let mut board = std::mem::take(&mut *board.lock().unwrap());
        board.latencies.sort();
        board.fetches.sort();
        let mut lags = std::mem::take(&mut *log.lags.lock().unwrap());
        lags.sort();
        let streams: Vec<(u64, u64, u64, Option<String>)> = stats
            .iter()
            .map(|s| {
                (
                    s.snapshots.load(Ordering::Relaxed),
                    s.updates.load(Ordering::Relaxed),
                    s.drops.load(Ordering::Relaxed),
                    s.last_error.lock().unwrap().clone(),
                )
            })
            .collect();
        Report {
            acks,
            failures,
            duplicates: log.duplicates.load(Ordering::Relaxed),
            staff_marks: log.staff_marks.load(Ordering::Relaxed),
            board,
            lags,
            sending,
            all_answered,
            connected,
            end,
            streams,
            reached_end,
            fan_out,
        }
    });
    stop_sampler.store(true, Ordering::Relaxed);
    let pss_peak = sampler.join().unwrap();
    // What a board fetch keeps the console's read connection busy for: the board's query over
    // every open order (the best of three, on a connection of our own beside the server's).
    let board_query = {
        let db = ServerDb::open(&db_path).unwrap();
        let mut best = Duration::MAX;
        let mut open = 0;
        for _ in 0..3 {
            let t = Instant::now();
            open = db
                .board_orders(kiosk_clock::unix_now_ms(), 5 * 60_000, kiosk_domain::Lang::Ko)
                .unwrap()
                .len();
            best = best.min(t.elapsed());
        }
        (best, open)
    };
    let db_bytes: u64 = ["pos.sqlite", "pos.sqlite-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(dir.path().join(f)).ok())
        .map(|m| m.len())
        .sum();
    server_rt.block_on(server.stop());
    drop(load_rt);
    drop(console_rt);

    let r = report;
    let sent = total;
    let acked = r.acks.len() as u64;
    println!();
    println!(
        "{BENCH}: {devices} device streams, {sent} orders due over {:.0} s ({rate} orders/s), sent in {:.1} s \
         (the generator behind schedule p99 {} ms, max {} ms), all answered after {:.1} s",
        seconds,
        r.sending.as_secs_f64(),
        ms(percentile(&r.lags, 0.99)),
        ms(r.lags.last().copied().unwrap_or_default()),
        r.all_answered.as_secs_f64()
    );
    println!(
        "{BENCH}: acknowledgement (due → 201): {acked} acknowledged, {} failed, {} duplicates; \
         p50 {} ms, p99 {} ms, max {} ms (goal p99 ≤ 50 ms: {})",
        r.failures.len(),
        r.duplicates,
        ms(percentile(&r.acks, 0.5)),
        ms(percentile(&r.acks, 0.99)),
        ms(r.acks.last().copied().unwrap_or_default()),
        if percentile(&r.acks, 0.99) <= Duration::from_millis(50) { "met" } else { "MISSED" }
    );
    if !r.failures.is_empty() {
        let mut kinds: HashMap<String, usize> = HashMap::new();
        for f in &r.failures {
            *kinds.entry(f.chars().take(120).collect()).or_default() += 1;
        }
        for (kind, n) in kinds {
            println!("{BENCH}:   {n} × {kind}");
        }
    }
    let b = &r.board;
    if with_console {
        println!(
            "{BENCH}: order → board (due → a board fetch on the console's 'changed' event shows it): \
             {} seen, {} never; p50 {} ms, p99 {} ms, max {} ms (goal p99 ≤ 1 s: {})",
            b.latencies.len(),
            b.due.len(),
            ms(percentile(&b.latencies, 0.5)),
            ms(percentile(&b.latencies, 0.99)),
            ms(b.latencies.last().copied().unwrap_or_default()),
            if b.due.is_empty() && percentile(&b.latencies, 0.99) <= Duration::from_secs(1) {
                "met"
            } else {
                "MISSED"
            }
        );
        println!(
            "{BENCH}: the board: {} fetches ({} failed) on {} 'changed' events; a fetch p50 {} ms, max {} ms; \
             the last one held {} orders in {:.1} MiB of HTML and took {} ms",
            b.fetches.len(),
            b.fetch_errors,
            b.changed_events,
            ms(percentile(&b.fetches, 0.5)),
            ms(b.fetches.last().copied().unwrap_or_default()),
            b.last_cards,
            b.last_bytes as f64 / 1048576.0,
            ms(b.last_fetch)
        );
    }
    let updates: Vec<u64> = r.streams.iter().map(|s| s.1).collect();
    let drops: u64 = r.streams.iter().map(|s| s.2).sum();
    let never_dropped = r.streams.iter().filter(|s| s.2 == 0).count();
    println!(
        "{BENCH}: device streams: {never_dropped} of {devices} never broke ({drops} breaks), snapshots {}; \
         updates per stream min {} max {} (orders themselves send devices no update; the final \
         sold-out mark reached {} of {devices} streams in {} ms)",
        r.streams.iter().map(|s| s.0).sum::<u64>(),
        updates.iter().min().unwrap(),
        updates.iter().max().unwrap(),
        r.reached_end,
        ms(r.fan_out)
    );
    if let Some((_, _, _, Some(e))) = r.streams.iter().find(|s| s.2 > 0) {
        println!("{BENCH}:   a break: {e}");
    }
    println!(
        "{BENCH}: memory (this whole process: the server and the load generator): RSS {} MiB after start, \
         {} MiB with the streams open, {} MiB at the end, peak {} MiB; PSS {} → {} MiB, peak {} MiB; \
         the database {:.1} MiB; threads {} after start, {} with the streams open, {} at the end",
        mib(before.rss_kib),
        mib(r.connected.rss_kib),
        mib(r.end.rss_kib),
        mib(r.end.hwm_kib),
        mib(before.pss_kib),
        mib(r.end.pss_kib),
        mib(pss_peak),
        db_bytes as f64 / 1048576.0,
        before.threads,
        r.connected.threads,
        r.end.threads
    );
    println!(
        "{BENCH}: the board's query over the {} orders open at the end takes {} ms on its own \
         (the time a board fetch holds the console's own read connection; devices' requests and orders use others)",
        board_query.1,
        ms(board_query.0)
    );
    println!("{BENCH}: took {:.1} s in all", bench_started.elapsed().as_secs_f64());

    figure("orders_sent", sent, "orders");
    figure("orders_acked", acked, "orders");
    figure("orders_failed", r.failures.len(), "orders");
    figure("staff_marks", r.staff_marks, "marks");
    figure("send_rate", format!("{:.1}", sent as f64 / r.sending.as_secs_f64()), "orders/s");
    figure("send_lag_max", ms(r.lags.last().copied().unwrap_or_default()), "ms");
    figure("ack_p50", ms(percentile(&r.acks, 0.5)), "ms");
    figure("ack_p99", ms(percentile(&r.acks, 0.99)), "ms");
    figure("ack_max", ms(r.acks.last().copied().unwrap_or_default()), "ms");
    if with_console {
        figure("board_p50", ms(percentile(&b.latencies, 0.5)), "ms");
        figure("board_p99", ms(percentile(&b.latencies, 0.99)), "ms");
        figure("board_max", ms(b.latencies.last().copied().unwrap_or_default()), "ms");
        figure("board_never_shown", b.due.len(), "orders");
        figure("board_fetch_p50", ms(percentile(&b.fetches, 0.5)), "ms");
        figure("board_fetch_max", ms(b.fetches.last().copied().unwrap_or_default()), "ms");
    }
    figure("board_query_end", ms(board_query.0), "ms");
    figure("streams_connected_end", r.reached_end, "streams");
    figure("stream_breaks", drops, "breaks");
    figure("stream_updates_min", updates.iter().min().unwrap(), "updates");
    figure("stream_updates_max", updates.iter().max().unwrap(), "updates");
    figure("rss_start", mib(before.rss_kib), "MiB");
    figure("rss_end", mib(r.end.rss_kib), "MiB");
    figure("rss_peak", mib(r.end.hwm_kib), "MiB");
    figure("pss_start", mib(before.pss_kib), "MiB");
    figure("pss_end", mib(r.end.pss_kib), "MiB");
    figure("pss_peak", mib(pss_peak), "MiB");
    figure("threads_end", r.end.threads, "threads");
}

/// Staff's work on one order: ready `after` it arrived, served `after` that. A status change
/// the server refuses is counted as a failure.
async fn staff_work(addr: SocketAddr, token: Arc<str>, order_id: String, after: Duration, log: Arc<SendLog>) {
    for status in ["ready", "served"] {
        tokio::time::sleep(after).await;
        let auth = format!("Bearer {token}");
        let path = format!("/admin/v1/orders/{order_id}/status");
        let body = format!(r#"{{"status":"{status}"}}"#);
        let headers = [("Authorization", auth.as_str()), ("Content-Type", "application/json")];
        match http(addr, "POST", &path, &headers, &body).await {
            Ok((head, _)) if head.status == 204 => {
                log.staff_marks.fetch_add(1, Ordering::Relaxed);
            }
            Ok((head, body)) => log.failures.lock().unwrap().push(format!(
                "marking {status}: {} {}",
                head.status,
                String::from_utf8_lossy(&body)
            )),
            Err(e) => log.failures.lock().unwrap().push(format!("marking {status}: {e}")),
        }
    }
}

/// What the order senders record.
#[derive(Default)]
struct SendLog {
    /// Due → acknowledged, per order acknowledged.
    acks: Mutex<Vec<Duration>>,
    failures: Mutex<Vec<String>>,
    duplicates: AtomicU64,
    /// How far behind its schedule the generator started each order.
    lags: Mutex<Vec<Duration>>,
    /// Orders staff marked ready or served (each counts twice when both took).
    staff_marks: AtomicU64,
}

struct Report {
    acks: Vec<Duration>,
    failures: Vec<String>,
    duplicates: u64,
    staff_marks: u64,
    board: Board,
    lags: Vec<Duration>,
    sending: Duration,
    all_answered: Duration,
    connected: Memory,
    end: Memory,
    /// Per device stream: snapshots, updates, breaks, the last break's reason.
    streams: Vec<(u64, u64, u64, Option<String>)>,
    reached_end: usize,
    fan_out: Duration,
}
