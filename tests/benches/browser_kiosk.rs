//! Our kiosk against a browser kiosk, side by side in one run: the real `kiosk automate`
//! (Slint, software renderer) and the same customer screens as a single-page web app
//! (`bench/browser-kiosk/`: same menu, photos, font, layout and accessible labels) in
//! headless Chromium driven by playwright-core — what stores otherwise run (a kiosk browser
//! showing a web POS's self-order page, such as Odoo's).
//!
//! For each side: cold start to the first frame and to the menu; the CPU time (user + system,
//! every process of the side) of a scripted session that taps through categories, items,
//! options, "add", the cart and back at the same pace on both; and the memory (PSS summed over
//! every process of the side) after it. The driver's own work (this program, node and
//! playwright) is never counted. Prints a table and `figure` lines for `bench/run`.
//!
//! `cargo bench -p kiosk-tests --bench browser_kiosk`, after `cargo build --release -p
//! kiosk-app` and with Chromium and playwright-core installed (`bench/run` does all three).
//! Environment: `KIOSK_BENCH_SESSION_SECONDS` (default 30), `KIOSK_BENCH_STARTS` (cold starts
//! per side, default 3), `KIOSK_BENCH_PACE_MS` (one tap every …, default 500),
//! `KIOSK_BENCH_CHROMIUM` (default /usr/bin/chromium), `KIOSK_BENCH_OUT` (screenshots of both
//! sides, default target/browser-kiosk).

use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use kiosk_dev::{demo::DEMO_MENU, pictures};
use kiosk_domain::{Lang, Menu, Money};
use kiosk_session::words;

const BENCH: &str = "browser_kiosk";
const WIDTH: u32 = 800;
const HEIGHT: u32 = 1280;
const STORE_NAME: &str = "한입카페 데모점";
/// A command's answer, a press included, may take this long before the side counts as hung.
const REPLY_LIMIT: Duration = Duration::from_secs(60);

fn env_number(name: &str, default: f64) -> f64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("target"))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn percentile(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p).round() as usize]
}

// --- the processes of a side, from /proc ---------------------------------------------------

/// Every process below `root` (and `root` itself when `with_root`), by walking the parent
/// links of every process in /proc.
fn tree(root: u32, with_root: bool) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
        if let Some(stat) = read_stat(pid) {
            children.entry(stat.ppid).or_default().push(pid);
        }
    }
    let mut out = if with_root { vec![root] } else { Vec::new() };
    let mut next = vec![root];
    while let Some(p) = next.pop() {
        for &c in children.get(&p).into_iter().flatten() {
            out.push(c);
            next.push(c);
        }
    }
    out
}

struct Stat {
    ppid: u32,
    /// utime + stime + cutime + cstime, in clock ticks: the process's own CPU time (all its
    /// threads) and that of its children it has reaped.
    ticks: u64,
}

fn read_stat(pid: u32) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces: fields start after the last ')'.
    let fields: Vec<&str> = text[text.rfind(')')? + 2..].split(' ').collect();
    let n = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok());
    // Field 4 of stat(5) is fields[1] here; utime..cstime are fields 14..17.
    Some(Stat { ppid: n(1)? as u32, ticks: n(11)? + n(12)? + n(13)? + n(14)? })
}

fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// CPU seconds used so far by the processes now in the tree (and the children they reaped).
fn cpu_seconds(pids: &[u32], ticks_per_second: f64) -> f64 {
    pids.iter().filter_map(|&p| read_stat(p)).map(|s| s.ticks).sum::<u64>() as f64 / ticks_per_second
}

/// CPU seconds of the threads now alive in the processes, to the nanosecond
/// (/proc/PID/task/TID/schedstat). Finer than `cpu_seconds`, but blind to threads and processes
/// that have ended: used for the short start-up only.
fn thread_cpu_seconds(pids: &[u32]) -> f64 {
    let ns: u64 = pids.iter().flat_map(|&pid| thread_activity(pid).into_values()).map(|(_, ns)| ns).sum();
    ns as f64 / 1e9
}

#[derive(Default, Clone, Copy)]
struct Memory {
    pss_kib: u64,
    uss_kib: u64,
}

fn memory(pid: u32) -> Memory {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.trim().strip_suffix("kB")?.trim().parse::<u64>().ok())
            .unwrap_or(0)
    };
    Memory { pss_kib: field("Pss:"), uss_kib: field("Private_Clean:") + field("Private_Dirty:") }
}

/// A process's PSS by what is mapped (the binary's code, read-only and writable data, the
/// heap, anonymous memory, each library and other file), largest first: where a side's memory goes.
fn memory_by_mapping(pid: u32) -> Vec<(String, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap_or_default();
    let mut by: HashMap<String, u64> = HashMap::new();
    let mut what = String::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let first = words.next().unwrap_or("");
        if first.contains('-') && first.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            // An address range opens a mapping: its path (or [heap], [stack], nothing) names it.
            let perms = words.next().unwrap_or("");
            let path = words.nth(3).unwrap_or("");
            what = match path {
                "" => "anonymous".to_owned(),
                p if p.starts_with('[') => p.to_owned(),
                // A file's code, read-only data and writable data apart.
                p => format!(
                    "{} {perms}",
                    Path::new(p).file_name().map(|f| f.to_string_lossy()).unwrap_or_default()
                ),
            };
        } else if first == "Pss:" {
            *by.entry(what.clone()).or_default() += words.next().and_then(|v| v.parse().ok()).unwrap_or(0);
        }
    }
    let mut by: Vec<(String, u64)> = by.into_iter().filter(|(_, kib)| *kib > 0).collect();
    by.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    by
}

/// What a process is: Chromium's `--type=` (browser when absent), or its command name.
fn kind(pid: u32) -> String {
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    // Chromium's child processes rewrite their command line as one space-separated string.
    let args: Vec<String> =
        cmdline.split(|&b| b == 0 || b == b' ').map(|a| String::from_utf8_lossy(a).into_owned()).collect();
    if let Some(t) = args.iter().find_map(|a| a.strip_prefix("--type=")) {
        let sub = args.iter().find_map(|a| a.strip_prefix("--utility-sub-type="));
        return match sub {
            Some(s) => format!("utility ({})", s.rsplit('.').next().unwrap_or(s)),
            None => t.to_owned(),
        };
    }
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    if comm.trim().starts_with("chrom") { "browser".to_owned() } else { comm.trim().to_owned() }
}

/// A counter kiosk's configuration in `dir` over the store in `data`, with `menu` imported
/// as `kiosk menu import` would (the same store call).
fn kiosk_config(dir: &Path, data: &Path, menu: &Menu) -> PathBuf {
    let config = dir.join(format!("kiosk-{}.toml", data.file_name().unwrap().to_string_lossy()));
    std::fs::write(
        &config,
        format!(
            r#"role = "kiosk"
data_dir = "{}"
time_zone = "Asia/Seoul"
[store]
id = "bench"
name = "{STORE_NAME}"
business_number = "123-45-67891"
address = "서울특별시 강남구 테헤란로 123"
[ui]
languages = ["ko", "en"]
payment_methods = ["counter"]
speech_program = ""
[operator]
pin_hash = "$argon2id$v=19$m=19456,t=2,p=1$85yF9bV0iF6OLtae5+NoQg$Zw/m+KgIdB25JbPsVDIkwd8EvD2yEoVjqMIi+nDmEBM"
"#,
            data.display()
        ),
    )
    .unwrap();
    std::fs::create_dir_all(data).unwrap();
    kiosk_store::Store::open(data.join("kiosk.db"))
        .unwrap()
        .save_menu(menu, "bench", kiosk_store::Actor::System, 0)
        .unwrap();
    config
}

/// A phone photo: 4032 × 3024 (12 MP), a JPEG of at least 3 MB (fine texture over broad
/// shapes, as food photographed up close).
fn phone_jpeg() -> Vec<u8> {
    let (w, h) = (4032u32, 3024u32);
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut rgb = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for x in 0..w {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let noise = (seed & 0x3f) as u32;
            let plate = ((x as i64 - 2016).pow(2) + (y as i64 - 1512).pow(2)) < 1200i64.pow(2);
            let base = if plate { [230u32, 228, 220] } else { [120 + x * 60 / w, 80 + y * 50 / h, 60] };
            rgb.extend(base.map(|c| (c + noise).min(255) as u8));
        }
    }
    for quality in [88u8, 93, 97] {
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
            .encode(&rgb, w, h, image::ExtendedColorType::Rgb8)
            .unwrap();
        if out.len() >= 3_000_000 {
            return out;
        }
    }
    panic!("the phone photo came out under 3 MB");
}

/// The demo menu grown to 200 items (copies of its items in its categories), each with its
/// own 3 MB phone JPEG (one file, hard-linked under 200 names: each is decoded on its own).
fn big_menu(demo: &Menu, photos: &Path) -> (Menu, usize) {
    std::fs::create_dir_all(photos).unwrap();
    let jpeg = phone_jpeg();
    let first = photos.join("phone-000.jpg");
    std::fs::write(&first, &jpeg).unwrap();
    let mut menu = demo.clone();
    menu.version = "bench-200".into();
    let plain: Vec<_> = demo.items.iter().filter(|i| i.set.is_none()).cloned().collect();
    let mut n = 0;
    while menu.items.len() < 200 {
        let mut item = plain[n % plain.len()].clone();
        item.id = format!("{}-{n}", item.id.0).as_str().into();
        menu.items.push(item);
        n += 1;
    }
    for (i, item) in menu.items.iter_mut().enumerate() {
        let name = format!("phone-{i:03}.jpg");
        if i > 0 {
            std::fs::hard_link(&first, photos.join(&name)).unwrap();
        }
        item.image = Some(name);
    }
    (menu, jpeg.len())
}

/// Waits until the kiosk's thread that fits the menu's photos ahead (`photos-ahead`) has
/// used no CPU for a second, or there is no such thread; returns how long it worked (until
/// its last CPU tick seen), or `None` when it was still at work after `limit`.
fn photos_fitted(pid: u32, limit: Duration) -> Option<Duration> {
    let cpu_ticks = || -> Option<u64> {
        std::fs::read_dir(format!("/proc/{pid}/task")).ok()?.flatten().find_map(|task| {
            let comm = std::fs::read_to_string(task.path().join("comm")).ok()?;
            if comm.trim() != "photos-ahead" {
                return None;
            }
            let stat = std::fs::read_to_string(task.path().join("stat")).ok()?;
            // After the command's closing parenthesis: utime and stime are fields 14 and 15.
            let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
            Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
        })
    };
    let started = Instant::now();
    let (mut last, mut quiet_since) = (cpu_ticks(), Instant::now());
    while started.elapsed() < limit {
        std::thread::sleep(Duration::from_millis(250));
        let now = cpu_ticks();
        if now != last {
            (last, quiet_since) = (now, Instant::now());
        } else if quiet_since.elapsed() >= Duration::from_secs(1) {
            return Some(quiet_since - started);
        }
    }
    None
}

/// The most memory a process has had resident over its life (`VmHWM`), in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:")?.trim().strip_suffix("kB")?.trim().parse().ok())
        .unwrap_or(0)
}

/// The kiosk over the 200-item menu of phone photos.
struct BigMenu {
    /// After every category was shown and the photos fitted ahead were done.
    memory: Memory,
    mappings: Vec<(String, u64)>,
    cards: usize,
    jpeg_bytes: usize,
    /// From the last category shown until the thread fitting photos ahead went quiet.
    fitting: Duration,
    /// The most it had resident, fitting included.
    peak_rss_kib: u64,
}

/// Our kiosk over the 200-item menu with phone photos: every category shown (the photos not
/// yet fitted ahead decoded then), and once the photos fitted ahead are all done (the menu
/// at rest, as it stands in a store), its memory; its peak besides.
fn big_menu_memory(setup: &Setup, dir: &Path, demo: &Menu) -> BigMenu {
    let data = dir.join("data-200");
    let (menu, jpeg_bytes) = big_menu(demo, &data.join("photos"));
    let setup = Setup { config: kiosk_config(dir, &data, &menu), ..setup.clone() };
    let (mut side, _) = start(Which::Kiosk, &setup, 900);
    let mut shown = 0;
    for category in &menu.categories {
        side.ask(&format!("press {}", category.name.get(kiosk_domain::Lang::Ko)));
        let items = side.ask("items");
        let cards: Vec<&str> =
            items.splitn(3, ' ').nth(2).unwrap_or("").split(';').filter(|c| !c.is_empty()).collect();
        for card in &cards {
            assert!(!card.ends_with("|none"), "a card of the 200-item menu shows no photo: {card}");
        }
        shown += cards.len();
    }
    let limit = Duration::from_secs(900);
    let Some(fitting) = photos_fitted(side.pid(), limit) else {
        panic!("the kiosk was still fitting the 200 items' photos ahead after {limit:?}");
    };
    std::thread::sleep(Duration::from_secs(1));
    let memory = memory(side.pid());
    let mappings = memory_by_mapping(side.pid());
    let peak_rss_kib = peak_rss_kib(side.pid());
    side.quit();
    BigMenu { memory, mappings, cards: shown, jpeg_bytes, fitting, peak_rss_kib }
}

// --- one side: a process speaking the `kiosk automate` protocol ------------------------------

struct Side {
    name: &'static str,
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    /// Whether the spawned process is itself the side (the kiosk) or only its driver (node).
    counts_root: bool,
}

impl Side {
    fn spawn(name: &'static str, mut command: Command, counts_root: bool, log: &Path) -> Side {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Side { name, child, stdin, lines, counts_root }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn processes(&self) -> Vec<u32> {
        tree(self.pid(), self.counts_root)
    }

    /// The next protocol line starting with one of `prefixes` (anything else is skipped).
    fn expect(&self, prefixes: &[&str]) -> String {
        let deadline = Instant::now() + REPLY_LIMIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if prefixes.iter().any(|p| line.starts_with(p)) => return line,
                Ok(_) => {}
                Err(e) => {
                    panic!("{}: no {prefixes:?} line ({e}); see its log in the bench's temp dir", self.name)
                }
            }
        }
    }

    fn send(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").and_then(|_| self.stdin.flush()).unwrap();
    }

    /// Sends a command; its `ok …` answer, or a panic on `err …`.
    fn ask(&mut self, command: &str) -> String {
        self.send(command);
        let reply = self.expect(&["ok", "err"]);
        assert!(reply.starts_with("ok"), "{}: {command:?} → {reply}", self.name);
        reply
    }

    fn quit(mut self) {
        self.send("quit");
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!("{}: did not quit; killing its processes", self.name);
        let pids = tree(self.pid(), true);
        let _ = Command::new("kill").arg("-KILL").args(pids.iter().map(u32::to_string)).status();
        let _ = self.child.wait();
    }
}

/// Page of an `ok PAGE …` answer.
fn page_of(reply: &str) -> &str {
    reply.split(' ').nth(1).unwrap_or("")
}

// --- the static web server ------------------------------------------------------------------

/// The web app, menu, store name, photos and font on 127.0.0.1, HTTP/1.1 with keep-alive. Static
/// files are cacheable for an hour, as a web POS serves its built assets.
fn serve(web: PathBuf, photos: PathBuf, files: HashMap<&'static str, (Vec<u8>, &'static str)>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let files = std::sync::Arc::new(files);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (web, photos, files) = (web.clone(), photos.clone(), files.clone());
            std::thread::spawn(move || {
                let _ = connection(stream, &web, &photos, &files);
            });
        }
    });
    port
}

fn connection(
    stream: TcpStream,
    web: &Path,
    photos: &Path,
    files: &HashMap<&'static str, (Vec<u8>, &'static str)>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    loop {
        let mut request = String::new();
        if reader.read_line(&mut request)? == 0 {
            return Ok(());
        }
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header)? == 0 {
                return Ok(());
            }
            if header.trim().is_empty() {
                break;
            }
            if let Some((k, v)) = header.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        let path = request.split(' ').nth(1).unwrap_or("/").split('?').next().unwrap_or("/");
        let found = match path {
            "/" => std::fs::read(web.join("index.html")).ok().map(|b| (b, "text/html; charset=utf-8")),
            "/app.js" => {
                std::fs::read(web.join("app.js")).ok().map(|b| (b, "text/javascript; charset=utf-8"))
            }
            "/app.css" => std::fs::read(web.join("app.css")).ok().map(|b| (b, "text/css; charset=utf-8")),
            p if p.starts_with("/photos/") && !p[8..].contains(['/', '%']) && !p.contains("..") => {
                std::fs::read(photos.join(&p[8..])).ok().map(|b| (b, "image/png"))
            }
            p => files.get(p).cloned(),
        };
        let head = |status: &str, kind: &str, len: usize| {
            format!(
                "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {len}\r\nCache-Control: max-age=3600\r\n\r\n"
            )
        };
        match found {
            Some((bytes, kind)) => {
                out.write_all(head("200 OK", kind, bytes.len()).as_bytes())?;
                out.write_all(&bytes)?;
            }
            None => out.write_all(head("404 Not Found", "text/plain", 0).as_bytes())?,
        }
        out.flush()?;
    }
}

// --- the script ----------------------------------------------------------------------------

/// The taps from the attract page to the menu.
const TO_MENU: [&str; 3] = ["주문하려면 누르세요", "한국어", "포장하기"];

/// The scripted session, as accessible labels: round after round, a category, one of its
/// items, its required options (the first of each) and the first optional one, "add", the
/// cart and back to the menu. The same labels on both sides.
fn session_script(menu: &Menu) -> Vec<String> {
    let won = |m: Money| words::money(m, menu.currency, Lang::Ko);
    let chip = |name: &str, delta: Money| {
        let d = words::delta(delta, menu.currency, Lang::Ko);
        if d.is_empty() { name.to_owned() } else { format!("{name}  {d}") }
    };
    let mut script = Vec::new();
    for round in 0..40 {
        let category = &menu.categories[round % menu.categories.len()];
        let items: Vec<_> = menu.items_in(&category.id).filter(|i| !i.sold_out).collect();
        let item = items[(round / menu.categories.len()) % items.len()];
        script.push(category.name.get(Lang::Ko).to_owned());
        script.push(format!("{}, {}", item.name.get(Lang::Ko), won(item.price)));
        let mut unit = item.price.0;
        for step in item.set.iter().flat_map(|s| &s.steps) {
            let choice = &step.choices[0];
            let name = menu.item(&choice.item).unwrap().name.get(Lang::Ko);
            script.push(chip(name, choice.price_delta));
            unit += choice.price_delta.0;
        }
        let mut optional_taken = false;
        for gid in &item.option_groups {
            let group = menu.group(gid).unwrap();
            if group.min == 0 && optional_taken {
                continue;
            }
            optional_taken |= group.min == 0;
            let option = &group.options[0];
            script.push(chip(option.name.get(Lang::Ko), option.price_delta));
            unit += option.price_delta.0;
            for nested in option.option_groups.iter().filter_map(|g| menu.group(g)).filter(|g| g.min > 0) {
                script.push(chip(nested.options[0].name.get(Lang::Ko), nested.options[0].price_delta));
                unit += nested.options[0].price_delta.0;
            }
        }
        script.push(format!("담기 · {}", won(Money(unit))));
        script.push("장바구니 보기".to_owned());
        script.push("더 담기".to_owned());
    }
    script
}

// --- a run of one side ------------------------------------------------------------------------

#[derive(Clone)]
struct Setup {
    kiosk: PathBuf,
    config: PathBuf,
    node_modules: PathBuf,
    driver: PathBuf,
    profile: PathBuf,
    url: String,
    logs: PathBuf,
}

#[derive(Clone, Copy, PartialEq)]
enum Which {
    Kiosk,
    Chromium,
}

impl Which {
    fn name(self) -> &'static str {
        match self {
            Which::Kiosk => "kiosk",
            Which::Chromium => "chromium",
        }
    }
}

#[derive(Clone, Copy)]
struct Cold {
    /// Spawn → the first frame of the first page (the attract page), as the driver sees it.
    first_frame: Duration,
    /// Spawn → the menu shown, after the three taps from the attract page.
    menu: Duration,
    /// Chromium only: spawn → the first page's paint, by the page's own clock.
    paint_ms: Option<f64>,
    /// CPU seconds of the side from spawn to the menu.
    start_cpu: f64,
}

fn start(which: Which, s: &Setup, run: usize) -> (Side, Cold) {
    let log = s.logs.join(format!("{}-{run}.log", which.name()));
    let (mut side, t0, ready) = match which {
        Which::Kiosk => {
            let mut c = Command::new(&s.kiosk);
            c.arg("--config").arg(&s.config).args(["--size", &format!("{WIDTH}x{HEIGHT}")]);
            c.env("KIOSK_LOG", "warn");
            let t0 = Instant::now();
            let side = Side::spawn("kiosk", c, true, &log);
            let ready = side.expect(&["ready", "err"]);
            (side, t0, ready)
        }
        Which::Chromium => {
            let mut c = Command::new("node");
            c.arg(&s.driver).arg(&s.profile).env("NODE_PATH", &s.node_modules);
            let mut side = Side::spawn("chromium", c, false, &log);
            side.expect(&["loaded"]);
            let t0 = Instant::now();
            side.send(&format!("launch {}", s.url));
            let ready = side.expect(&["ready", "err"]);
            (side, t0, ready)
        }
    };
    let first_frame = t0.elapsed();
    assert!(ready.starts_with("ready attract"), "{}: {ready}", which.name());
    let paint_ms = ready.split(' ').find_map(|w| w.strip_prefix("paint_ms=")).and_then(|v| v.parse().ok());
    let mut page = String::new();
    for label in TO_MENU {
        page = page_of(&side.ask(&format!("press {label}"))).to_owned();
    }
    let menu = t0.elapsed();
    assert_eq!(page, "menu", "{}: the three taps from the attract page", which.name());
    let start_cpu = thread_cpu_seconds(&side.processes());
    (side, Cold { first_frame, menu, paint_ms, start_cpu })
}

struct Session {
    steps: usize,
    cpu: f64,
    wall: Duration,
    late: usize,
    taps_ms: Vec<f64>,
    /// The slowest taps: what was pressed, and how long it took (ms).
    slowest: Vec<(String, f64)>,
    memory: Memory,
    /// Each process of the side: what it is, and its memory.
    processes: Vec<(String, Memory)>,
    /// The side's own process's PSS by mapping (KiB).
    mappings: Vec<(String, u64)>,
    view: String,
}

fn session(
    mut side: Side,
    script: &[String],
    seconds: f64,
    pace: Duration,
    ticks: f64,
    shots: &Path,
) -> Session {
    // A second on the menu first, so start-up work still finishing is not in the session.
    std::thread::sleep(Duration::from_secs(1));
    let steps = ((seconds * 1000.0) / pace.as_millis() as f64).round() as usize;
    let before = cpu_seconds(&side.processes(), ticks);
    let started = Instant::now();
    let (mut taps_ms, mut late, mut slowest) = (Vec::new(), 0, Vec::new());
    for (n, label) in script.iter().cycle().take(steps).enumerate() {
        let due = started + pace * n as u32;
        let now = Instant::now();
        if now > due + Duration::from_millis(5) {
            late += 1;
        }
        std::thread::sleep(due.saturating_duration_since(now));
        let t = Instant::now();
        side.ask(&format!("press {label}"));
        taps_ms.push(ms(t.elapsed()));
        slowest.push((label.clone(), ms(t.elapsed())));
    }
    // The last tap's pace slot too, so both sides are measured over the same wall time.
    if let Some(wait) = (started + pace * steps as u32).checked_duration_since(Instant::now()) {
        std::thread::sleep(wait);
    }
    let wall = started.elapsed();
    let pids = side.processes();
    let cpu = cpu_seconds(&pids, ticks) - before;
    let mut total = Memory::default();
    let mut processes: Vec<(String, Memory)> = pids.iter().map(|&p| (kind(p), memory(p))).collect();
    let mappings = memory_by_mapping(side.pid());
    processes.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.pss_kib.cmp(&a.1.pss_kib)));
    for (_, m) in &processes {
        total.pss_kib += m.pss_kib;
        total.uss_kib += m.uss_kib;
    }
    // Untimed: the round the session stopped in is finished, so both sides end on the menu.
    for label in script.iter().cycle().skip(steps).take_while(|l| *l != "더 담기") {
        side.ask(&format!("press {label}"));
    }
    if page_of(&side.ask("view")) != "menu" {
        side.ask("press 더 담기");
    }
    let view = side.ask("view");
    let view = view.splitn(3, ' ').nth(2).unwrap_or("").split(" notice=").next().unwrap_or("").to_owned();
    // Both sides' screens after the same taps, for a look (not timed, after the figures).
    side.ask("press 장바구니 보기");
    side.ask(&format!("shot {}", shots.join(format!("{}-cart.png", side.name)).display()));
    side.ask("press 더 담기");
    side.ask(&format!("shot {}", shots.join(format!("{}-menu.png", side.name)).display()));
    side.quit();
    slowest.sort_by(|a, b| b.1.total_cmp(&a.1));
    slowest.truncate(5);
    Session { steps, cpu, wall, late, taps_ms, slowest, memory: total, processes, mappings, view }
}

/// Wake-ups (context switches: each time a thread blocked, or was preempted) and CPU
/// nanoseconds of every thread of a process, by thread name.
fn thread_activity(pid: u32) -> HashMap<String, (u64, u64)> {
    let mut by = HashMap::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return by };
    for task in tasks.flatten() {
        let status = std::fs::read_to_string(task.path().join("status")).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(0)
        };
        let switches = field("voluntary_ctxt_switches:") + field("nonvoluntary_ctxt_switches:");
        let ns = std::fs::read_to_string(task.path().join("schedstat"))
            .unwrap_or_default()
            .split(' ')
            .next()
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        let name = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default().trim().to_owned();
        let e: &mut (u64, u64) = by.entry(name).or_default();
        e.0 += switches;
        e.1 += ns;
    }
    by
}

/// A side left alone on one page: how often it woke, its context switches and share of a
/// core, and which of its threads woke.
struct Idle {
    /// Times the process went from asleep (no thread switched for a sample) to awake.
    wakeups_per_s: f64,
    switches_per_s: f64,
    cpu_percent: f64,
    threads: Vec<(String, f64)>,
}

/// The process's context switches, all threads.
fn switches(pid: u32) -> u64 {
    thread_activity(pid).values().map(|(w, _)| w).sum()
}

fn idle_on_page(side: &Side, seconds: f64) -> Idle {
    // A second first, so the page's own start (its first frame, a photo) is not counted.
    std::thread::sleep(Duration::from_secs(1));
    let before = thread_activity(side.pid());
    let started = Instant::now();
    // Sampled every 20 ms: a sample in which some thread switched, after one in which none
    // did, is one wake-up of the process (its threads handing work to each other count once).
    let (mut wakeups, mut last, mut awake) = (0u64, switches(side.pid()), false);
    while started.elapsed().as_secs_f64() < seconds {
        std::thread::sleep(Duration::from_millis(20));
        let now = switches(side.pid());
        let active = now != last;
        if active && !awake {
            wakeups += 1;
        }
        (last, awake) = (now, active);
    }
    let wall = started.elapsed().as_secs_f64();
    let after = thread_activity(side.pid());
    let (mut total, mut ns) = (0u64, 0u64);
    let mut threads = Vec::new();
    for (name, (w, n)) in &after {
        let (w0, n0) = before.get(name).copied().unwrap_or_default();
        total += w.saturating_sub(w0);
        ns += n.saturating_sub(n0);
        if w > &w0 {
            threads.push((name.clone(), (w - w0) as f64 / wall));
        }
    }
    threads.sort_by(|a, b| b.1.total_cmp(&a.1));
    Idle {
        wakeups_per_s: wakeups as f64 / wall,
        switches_per_s: total as f64 / wall,
        cpu_percent: ns as f64 / 1e9 / wall * 100.0,
        threads,
    }
}

/// Our kiosk left alone as it stands in a store: its printer, card terminal and scanner (the
/// simulators) and the store server connected (the end-to-end tests' stage). On the attract
/// page (its photos taking turns every four seconds), then on the menu, `seconds` each.
fn idle(kiosk: &Path, demo: &Menu, seconds: f64, log: &Path) -> (Idle, Idle) {
    let stage = kiosk_tests::e2e::Stage::start();
    pictures::write_all(demo, &stage.kiosk_db.parent().unwrap().join("photos")).unwrap();
    let mut c = Command::new(kiosk);
    c.arg("--config").arg(&stage.kiosk_config).args(["--size", &format!("{WIDTH}x{HEIGHT}")]);
    c.env("KIOSK_LOG", "warn");
    let mut side = Side::spawn("kiosk", c, true, log);
    let ready = side.expect(&["ready", "err"]);
    assert!(ready.starts_with("ready attract"), "the kiosk in its store: {ready}");
    let attract = idle_on_page(&side, seconds);
    for label in ["Touch to order", "한국어", "포장하기"] {
        side.ask(&format!("press {label}"));
    }
    let menu = idle_on_page(&side, seconds);
    assert_eq!(page_of(&side.ask("view")), "menu", "the kiosk stayed on its menu while idle");
    side.quit();
    drop(stage);
    (attract, menu)
}

/// Both sides started together and walked through the script's first round of every
/// category: after each tap they must show the same page with the same pressable labels.
/// Returns the screens compared and the differences found.
fn parity(setup: &Setup, script: &[String], rounds: usize) -> (usize, Vec<String>) {
    let (mut kiosk, _) = start(Which::Kiosk, setup, 900);
    let (mut chromium, _) = start(Which::Chromium, setup, 900);
    let labels = |side: &mut Side| -> (String, BTreeSet<String>) {
        let reply = side.ask("labels");
        let mut words = reply.splitn(3, ' ').skip(1);
        let page = words.next().unwrap_or("").to_owned();
        (page, words.next().unwrap_or("").split('|').filter(|l| !l.is_empty()).map(str::to_owned).collect())
    };
    let (mut screens, mut differences, mut done) = (0, Vec::new(), 0);
    for label in script {
        kiosk.ask(&format!("press {label}"));
        chromium.ask(&format!("press {label}"));
        let ((kp, kl), (cp, cl)) = (labels(&mut kiosk), labels(&mut chromium));
        screens += 1;
        if kp != cp {
            differences.push(format!("after {label:?}: page {kp} | {cp}"));
        } else if kl != cl {
            let only = |a: &BTreeSet<String>, b: &BTreeSet<String>| {
                a.difference(b).cloned().collect::<Vec<_>>().join("|")
            };
            differences.push(format!(
                "after {label:?} on {kp}: only the kiosk [{}], only Chromium [{}]",
                only(&kl, &cl),
                only(&cl, &kl)
            ));
        }
        done += usize::from(label == "더 담기");
        if done == rounds {
            break;
        }
    }
    let views = (kiosk.ask("view"), chromium.ask("view"));
    let view = |v: &str| v.split(" notice=").next().unwrap_or("").to_owned();
    if view(&views.0) != view(&views.1) {
        differences.push(format!("end: {} | {}", views.0, views.1));
    }
    kiosk.quit();
    chromium.quit();
    (screens, differences)
}

fn main() {
    let seconds = env_number("KIOSK_BENCH_SESSION_SECONDS", 30.0);
    let idle_seconds = env_number("KIOSK_BENCH_IDLE_SECONDS", 60.0);
    let starts = env_number("KIOSK_BENCH_STARTS", 3.0).max(1.0) as usize;
    let pace = Duration::from_millis(env_number("KIOSK_BENCH_PACE_MS", 500.0) as u64);
    let root = root();
    let shots = std::env::var_os("KIOSK_BENCH_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("browser-kiosk"));
    std::fs::create_dir_all(&shots).unwrap();

    // What the comparison needs, said plainly when missing.
    // `automate` alone, built as the firmware is (bench/run: cargo build --profile device -p
    // kiosk-dev --features automate-bin --bin kiosk-automate).
    let kiosk = target_dir().join("device/kiosk-automate");
    let chromium = std::env::var("KIOSK_BENCH_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let node_modules = root.join(".tools/npm/node_modules");
    let mut missing = Vec::new();
    if !kiosk.exists() {
        missing.push(format!(
            "{} (cargo build --profile device -p kiosk-dev --features automate-bin --bin kiosk-automate)",
            kiosk.display()
        ));
    }
    if !Path::new(&chromium).exists() {
        missing.push(format!("{chromium} (apt-get install chromium)"));
    }
    if !node_modules.join("playwright-core/package.json").exists() {
        missing.push(format!("playwright-core in {} (bench/run installs it)", node_modules.display()));
    }
    if !missing.is_empty() {
        eprintln!("browser_kiosk: missing {}", missing.join("; "));
        eprintln!("browser_kiosk: run bench/run, which installs and builds them");
        std::process::exit(1);
    }

    // One data folder for both: the photos the kiosk reads from <data_dir>/photos and the web
    // server serves, the kiosk's configuration and store with the demo menu imported.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let photos = data.join("photos");
    let menu: Menu = serde_json::from_str(DEMO_MENU).unwrap();
    pictures::write_all(&menu, &photos).unwrap();
    let config = kiosk_config(dir.path(), &data, &menu);

    let font = std::fs::read(root.join("ui/ui/fonts/NanumGothic.ttf")).unwrap();
    let mut files = HashMap::new();
    files.insert("/menu.json", (DEMO_MENU.as_bytes().to_vec(), "application/json"));
    files.insert(
        "/store.json",
        (serde_json::json!({ "name": STORE_NAME }).to_string().into_bytes(), "application/json"),
    );
    files.insert("/fonts/NanumGothic.ttf", (kiosk_store_server::web_font(&font), "font/ttf"));
    let port = serve(root.join("bench/browser-kiosk"), photos.clone(), files);
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let setup = Setup {
        kiosk,
        config,
        node_modules,
        driver: root.join("bench/browser-kiosk/driver.cjs"),
        profile: dir.path().join("chromium-profile"),
        url: format!("http://127.0.0.1:{port}/"),
        logs,
    };
    let ticks = clock_ticks();
    let script = session_script(&menu);

    println!(
        "browser kiosk comparison: our kiosk (Slint, software renderer) and the same screens as a web app in headless Chromium {}, {WIDTH}×{HEIGHT}",
        chromium_version(&chromium)
    );
    println!(
        "  {starts} cold starts per side (after one untimed start each, so both read their files from the page cache); a {seconds:.0} s session of one tap every {} ms",
        pace.as_millis()
    );

    // Cold starts, alternating sides; the first of each is a warm-up.
    let mut cold: HashMap<&str, Vec<Cold>> = HashMap::new();
    for run in 0..=starts {
        for which in [Which::Kiosk, Which::Chromium] {
            let (side, figures) = start(which, &setup, run);
            side.quit();
            if run > 0 {
                cold.entry(which.name()).or_default().push(figures);
            }
        }
    }
    // The sessions, one side after the other.
    let mut sessions = HashMap::new();
    for which in [Which::Kiosk, Which::Chromium] {
        let (side, _) = start(which, &setup, starts + 1);
        sessions.insert(which.name(), session(side, &script, seconds, pace, ticks, &shots));
    }

    // Not timed: the two sides compared screen by screen.
    let (screens, differences) = parity(&setup, &script, menu.categories.len());
    let (idle_attract, idle_menu) =
        idle(&setup.kiosk, &menu, idle_seconds, &setup.logs.join("kiosk-idle.log"));
    let big = big_menu_memory(&setup, dir.path(), &menu);

    let cold_of = |side: &str, f: &dyn Fn(&Cold) -> f64| median(cold[side].iter().map(f).collect());
    let first = |s: &Cold| ms(s.first_frame);
    let to_menu = |s: &Cold| ms(s.menu);
    let start_cpu = |s: &Cold| s.start_cpu * 1000.0;
    let (k, c) = (&sessions["kiosk"], &sessions["chromium"]);
    let paint = median(cold["chromium"].iter().filter_map(|s| s.paint_ms).collect());
    let mib = |kib: u64| kib as f64 / 1024.0;

    struct Row {
        name: &'static str,
        unit: &'static str,
        label: String,
        kiosk: f64,
        chromium: f64,
    }
    let rows = [
        Row {
            name: "cold_start_first_frame",
            unit: "ms",
            label: "cold start: spawn → first frame (attract page)".into(),
            kiosk: cold_of("kiosk", &first),
            chromium: cold_of("chromium", &first),
        },
        Row {
            name: "cold_start_menu",
            unit: "ms",
            label: "cold start: spawn → menu (3 taps)".into(),
            kiosk: cold_of("kiosk", &to_menu),
            chromium: cold_of("chromium", &to_menu),
        },
        Row {
            name: "cold_start_cpu",
            unit: "ms",
            label: "CPU time, spawn → menu".into(),
            kiosk: cold_of("kiosk", &start_cpu),
            chromium: cold_of("chromium", &start_cpu),
        },
        Row {
            name: "pss",
            unit: "MiB",
            label: "memory after the session: PSS, all processes".into(),
            kiosk: mib(k.memory.pss_kib),
            chromium: mib(c.memory.pss_kib),
        },
        Row {
            name: "uss",
            unit: "MiB",
            label: "  private (USS), all processes".into(),
            kiosk: mib(k.memory.uss_kib),
            chromium: mib(c.memory.uss_kib),
        },
        Row {
            name: "processes",
            unit: "",
            label: "  processes".into(),
            kiosk: k.processes.len() as f64,
            chromium: c.processes.len() as f64,
        },
        Row {
            name: "session_cpu",
            unit: "s",
            label: format!("CPU time (user+sys), {seconds:.0} s session, {} taps", k.steps),
            kiosk: k.cpu,
            chromium: c.cpu,
        },
        Row {
            name: "session_cpu_share",
            unit: "%",
            label: "  as a share of one core".into(),
            kiosk: k.cpu * 100.0 / k.wall.as_secs_f64(),
            chromium: c.cpu * 100.0 / c.wall.as_secs_f64(),
        },
        Row {
            name: "tap_p50",
            unit: "ms",
            label: "tap → frame drawn, median (driver's round trip)".into(),
            kiosk: median(k.taps_ms.clone()),
            chromium: median(c.taps_ms.clone()),
        },
        Row {
            name: "tap_p95",
            unit: "ms",
            label: "tap → frame drawn, p95".into(),
            kiosk: percentile(k.taps_ms.clone(), 0.95),
            chromium: percentile(c.taps_ms.clone(), 0.95),
        },
    ];

    println!();
    println!("  {:<58} {:>14} {:>14} {:>9}", "metric", "kiosk (Slint)", "Chromium", "ratio");
    for r in &rows {
        let fmt = |v: f64| match r.unit {
            "" => format!("{v:.0}"),
            "s" => format!("{v:.2} s"),
            u => format!("{v:.1} {u}"),
        };
        let ratio = if r.kiosk > 0.0 { format!("{:.1}×", r.chromium / r.kiosk) } else { "—".into() };
        println!("  {:<58} {:>14} {:>14} {:>9}", r.label, fmt(r.kiosk), fmt(r.chromium), ratio);
    }
    println!();
    println!(
        "  Chromium's first contentful paint by the page's clock: {paint:.0} ms after its spawn (the rest of its first-frame time is playwright's connection and the driver's round trip)"
    );
    println!("  Chromium's processes after the session: PSS (private)");
    for (kind, m) in &c.processes {
        println!("    {kind:<28} {:>7.1} MiB ({:>5.1} MiB)", mib(m.pss_kib), mib(m.uss_kib));
    }
    println!("  the kiosk's PSS by mapping (the largest):");
    for (what, kib) in k.mappings.iter().take(8) {
        println!("    {what:<28} {:>7.2} MiB", mib(*kib));
    }
    for (side, s) in [("kiosk", &k), ("Chromium", &c)] {
        let taps: Vec<String> = s.slowest.iter().map(|(label, t)| format!("{label} {t:.1} ms")).collect();
        println!("  slowest taps, {side}: {}", taps.join("; "));
    }
    println!("  end state: kiosk {} | Chromium {}", k.view, c.view);
    if k.view != c.view {
        println!("  WARNING: the two sides ended with different carts");
    }
    if k.late + c.late > 0 {
        println!(
            "  taps that started late (the previous one took longer than the pace): kiosk {}, Chromium {}",
            k.late, c.late
        );
    }
    println!(
        "  the same screens: {} of {screens} screens (one round in each category) showed the same page and pressable labels on both sides",
        screens - differences.len()
    );
    for d in &differences {
        println!("    differs {d}");
    }
    println!("  screenshots of both after the session: {}", shots.display());
    println!(
        "  the kiosk over a 200-item menu, a {:.1} MB 12 MP phone JPEG per item, after showing every category ({} cards) and once its photos fitted ahead were done ({:.1} s after): PSS {:.1} MiB (private {:.1} MiB); the most it had resident, fitting included: {:.1} MiB; by mapping:",
        big.jpeg_bytes as f64 / 1e6,
        big.cards,
        big.fitting.as_secs_f64(),
        mib(big.memory.pss_kib),
        mib(big.memory.uss_kib),
        mib(big.peak_rss_kib),
    );
    for (what, kib) in big.mappings.iter().take(5) {
        println!("    {what:<28} {:>7.2} MiB", mib(*kib));
    }
    for (page, idle) in [("attract page", &idle_attract), ("menu", &idle_menu)] {
        let threads: Vec<String> = idle.threads.iter().map(|(name, w)| format!("{name} {w:.2}/s")).collect();
        println!(
            "  the kiosk left alone {idle_seconds:.0} s on its {page}: {:.2} wake-ups/s, {:.1} context switches/s, {:.3} % of a core (switches by thread: {})",
            idle.wakeups_per_s,
            idle.switches_per_s,
            idle.cpu_percent,
            if threads.is_empty() { "none".to_owned() } else { threads.join(", ") }
        );
    }
    for line in [
        "definitions:",
        "- cold start: from just before the side's process is spawned (Chromium: the browser's launch; node and",
        "  playwright are loaded before) to its `ready` line, printed once the first page is drawn with its photo",
        "  and font (the kiosk: after its first full frame; the page: once its first contentful paint, put in the",
        "  document only when font and photo are decoded, was presented); \"to the menu\" adds three taps. Both",
        "  read their files from the page cache; Chromium keeps its profile and HTTP cache between starts.",
        "- memory: PSS (each shared page divided among the processes mapping it) summed over every process of the",
        "  side, from /proc/PID/smaps_rollup after the session (Chromium: every process under the driver).",
        "- CPU: utime+stime of every process of the side and of the children they reaped (/proc/PID/stat, in",
        "  clock ticks: 10 ms per process), between the session's start and end; from spawn to the menu, the",
        "  CPU time of every thread then alive (/proc/PID/task/TID/schedstat, in nanoseconds). The driver",
        "  (this program, node, playwright) is never counted.",
        "- idle: the kiosk alone on a page (after a second to settle), its threads' context switches",
        "  (/proc/PID/task/TID/status, voluntary and not) sampled every 20 ms: a wake-up is a sample with",
        "  switches after one without; CPU is their schedstat nanoseconds.",
        "- a tap: the control found by its accessible label and activated (Slint's accessibility action; the",
        "  element's click()), then the frame drawn (the kiosk renders the region that changed; the page decodes",
        "  its photos and runs the next frame's style, layout and paint). Chromium runs headless with",
        "  --disable-gpu: software compositing, its cheapest path without a GPU, as our kiosk renders in software.",
    ] {
        println!("  {line}");
    }

    let figure = |name: &str, value: f64, unit: &str| println!("figure\t{BENCH}\t{name}\t{value:.2}\t{unit}");
    for r in &rows {
        figure(&format!("kiosk_{}", r.name), r.kiosk, r.unit);
        figure(&format!("chromium_{}", r.name), r.chromium, r.unit);
        if r.kiosk > 0.0 {
            figure(&format!("ratio_{}", r.name), r.chromium / r.kiosk, "x");
        }
    }
    figure("chromium_first_contentful_paint", paint, "ms");
    figure("kiosk_pss_200_items", mib(big.memory.pss_kib), "MiB");
    figure("kiosk_peak_rss_200_items", mib(big.peak_rss_kib), "MiB");
    figure("kiosk_photos_fitting_200_items", big.fitting.as_secs_f64(), "s");
    figure("kiosk_idle_attract_wakeups", idle_attract.wakeups_per_s, "/s");
    figure("kiosk_idle_attract_switches", idle_attract.switches_per_s, "/s");
    figure("kiosk_idle_attract_cpu", idle_attract.cpu_percent, "% of a core");
    figure("kiosk_idle_menu_wakeups", idle_menu.wakeups_per_s, "/s");
    figure("kiosk_idle_menu_switches", idle_menu.switches_per_s, "/s");
    figure("kiosk_idle_menu_cpu", idle_menu.cpu_percent, "% of a core");
    figure("screens_differing", differences.len() as f64, "screens");
}

fn chromium_version(path: &str) -> String {
    Command::new(path)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| {
            s.split_whitespace()
                .find(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()))
                .map(str::to_owned)
        })
        .unwrap_or_default()
}
