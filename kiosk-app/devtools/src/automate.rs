//! `kiosk automate`: the device's real customer screen, started exactly as `kiosk run` starts
//! it, but drawn off-screen by the software renderer and driven by commands on standard
//! input. End-to-end tests, the chaos test and the browser comparison press its buttons by
//! accessible label, as a screen reader would, across a process boundary they can SIGKILL.
//!
//! Protocol: `ready <page>` once the first frame is drawn; then one command a line, each
//! answered by one line, `ok <page> …` or `err <message>`:
//!
//! | command | does |
//! |---|---|
//! | `press LABEL` | presses, waits for the work it started, draws what changed |
//! | `press-only LABEL` | presses and returns at once (a card payment waits for its customer meanwhile) |
//! | `tap X Y` | a touch at a point (the operator's corner has no label, by design) |
//! | `scroll X Y DY` | scrolls the list under a point (negative: further down) |
//! | `wait PAGE [SECONDS]` | until the page is shown (default 20 s) |
//! | `view` | `ok PAGE order=N items=N total=TEXT tab=TEXT share=TEXT detail=TEXT coupon=TEXT access=TEXT notice=TEXT` (spaces in values as U+00A0; `share` is the split-bill page's share, `detail` the order-number page's text, `coupon` the cart's coupon line, `access` the barrier-free switches on, as `magnify,contrast`) |
//! | `labels` | every pressable label, `|`-separated |
//! | `items` | the menu cards on screen, `;`-separated: `ID|PRICE|SOLD_OUT|PHOTO` (`PHOTO`: `WxH@R,G,B`, the picture's size and mean colour, or `none`) |
//! | `shot FILE` | writes a PNG of the screen |
//! | `frame` | draws a full frame: `ok PAGE MICROSECONDS` |
//! | `quit` | exits |

use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use kiosk_ui::headless::{self, Screen};

use kiosk_app::config::{Config, LoadError};
use kiosk_app::screen::shell::Shell;
use kiosk_session::Page;

/// How long a press may keep the session busy (a card payment included).
const SETTLE_LIMIT: Duration = Duration::from_secs(60);
const TICK: Duration = Duration::from_millis(10);

/// The configuration was invalid (exit 2), already reported.
#[derive(Debug)]
pub struct Invalid;

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("invalid input")
    }
}

impl std::error::Error for Invalid {}

/// `automate --config PATH --size WxH`: loads the device's configuration, starts it up as
/// `kiosk run` does, and runs the protocol.
pub fn start(config_path: &Path, size: &str) -> Result<()> {
    let (w, h) = size
        .split_once('x')
        .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)))
        .with_context(|| format!("--size {size:?}: use WIDTHxHEIGHT, such as 800x1280"))?;
    let config = match Config::load(config_path) {
        Ok(config) => config,
        Err(LoadError::Invalid { path, errors }) => {
            for e in &errors {
                eprintln!("{}:{e}", path.display());
            }
            return Err(Invalid.into());
        }
        Err(e) => return Err(e.into()),
    };
    kiosk_app::startup::start(&config).context("starting up")?;
    run(&config, w, h)
}

pub fn run(config: &Config, width: u32, height: u32) -> Result<()> {
    // As `kiosk run` sets it up.
    kiosk_app::allocator::tune();
    let screen = Screen::install(width, height)?;
    let runtime = kiosk_app::device::runtime()?;
    let open = kiosk_app::screen::open(config, kiosk_clock::StoreClock::new(&config.time_zone), &runtime)?;
    let shell = open.shell.clone();
    settle(&shell, &screen)?;
    screen.draw(true);
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready {}", page_name(shell.view().page))?;
    out.flush()?;

    // Standard input on its own thread; the shell's wake-ups (an outcome, a status change,
    // a scan) arrive on the same channel, and the loop sleeps until one or the other, or the
    // session's next deadline.
    let (tx, commands) = mpsc::channel::<Option<String>>();
    let wake = tx.clone();
    shell.set_waker(std::sync::Arc::new(move || {
        let _ = wake.send(None);
    }));
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if tx.send(Some(line)).is_err() {
                break;
            }
        }
        let _ = tx.send(Some("quit".into()));
    });
    loop {
        // As a device's event loop: asleep until a command, a wake-up from the shell, the
        // session's next deadline or the UI's next timer (the attract page's slides).
        let wake = match (shell.next_wake(), slint::platform::duration_until_next_timer_update()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let next = match wake {
            Some(after) => commands.recv_timeout(after),
            None => commands.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected),
        };
        let line = match next {
            Ok(Some(line)) => line,
            Ok(None) | Err(mpsc::RecvTimeoutError::Timeout) => {
                shell.pump();
                screen.draw(false);
                continue;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        let (command, arg) = line.trim().split_once(' ').unwrap_or((line.trim(), ""));
        if command == "quit" {
            break;
        }
        let reply = match perform(&shell, &screen, command, arg.trim()) {
            Ok(detail) => {
                let page = page_name(shell.view().page);
                if detail.is_empty() { format!("ok {page}") } else { format!("ok {page} {detail}") }
            }
            Err(e) => format!("err {}", format!("{e:#}").replace('\n', " ")),
        };
        writeln!(out, "{reply}")?;
        out.flush()?;
    }
    drop(open);
    runtime.shutdown_timeout(Duration::from_millis(200));
    Ok(())
}

fn perform(shell: &Shell, screen: &Screen, command: &str, arg: &str) -> Result<String> {
    match command {
        "press" => {
            headless::press(shell.window(), arg).with_context(|| format!("pressing {arg:?}"))?;
            settle(shell, screen)?;
            Ok(String::new())
        }
        "press-only" => {
            headless::press(shell.window(), arg).with_context(|| format!("pressing {arg:?}"))?;
            shell.pump();
            screen.draw(false);
            Ok(String::new())
        }
        "wait" => {
            let (page, seconds) = arg.split_once(' ').unwrap_or((arg, "20"));
            let limit = Duration::from_secs_f64(seconds.trim().parse().context("seconds")?);
            let deadline = Instant::now() + limit;
            while page_name(shell.view().page) != page {
                if Instant::now() > deadline {
                    bail!("waited {limit:?} for {page}");
                }
                std::thread::sleep(TICK);
                shell.pump();
                screen.draw(false);
            }
            Ok(String::new())
        }
        "view" => {
            let v = shell.view();
            let order = if v.order_number.is_empty() { "-".to_owned() } else { v.order_number.clone() };
            let field =
                |t: &str| if t.is_empty() { "-".to_owned() } else { t.replace([' ', '\n'], "\u{a0}") };
            let a = &v.access;
            let access: Vec<&str> = [
                (a.voice, "voice"),
                (a.magnify, "magnify"),
                (a.contrast, "contrast"),
                (a.low_reach, "low-reach"),
            ]
            .into_iter()
            .filter_map(|(on, name)| on.then_some(name))
            .collect();
            Ok(format!(
                "order={order} items={} total={} tab={} share={} detail={} coupon={} access={} notice={}",
                v.item_count,
                field(&v.total),
                field(&v.tab_total),
                field(&v.split_amount),
                field(&v.done_detail),
                field(&v.coupon_line),
                field(&access.join(",")),
                v.notice.replace('\n', " ")
            ))
        }
        "labels" => {
            let labels: Vec<String> =
                kiosk_ui::focus::targets(shell.window()).into_iter().map(|t| t.label).collect();
            Ok(labels.join("|"))
        }
        "items" => {
            use slint::{ComponentHandle, Model};
            let items = shell.window().global::<kiosk_ui::MenuState>().get_items();
            let cards: Vec<String> = items
                .iter()
                .map(|card| {
                    let price = card.price.replace([' ', '\u{a0}'], "");
                    format!("{}|{price}|{}|{}", card.id, card.sold_out, photo_summary(&card.photo))
                })
                .collect();
            Ok(cards.join(";"))
        }
        "tap" => {
            let (x, y) = arg.split_once(' ').context("tap X Y")?;
            screen.tap(x.trim().parse().context("X")?, y.trim().parse().context("Y")?);
            settle(shell, screen)?;
            Ok(String::new())
        }
        "scroll" => {
            let mut n = arg.split_whitespace().map(str::parse::<f32>);
            let (Some(Ok(x)), Some(Ok(y)), Some(Ok(dy))) = (n.next(), n.next(), n.next()) else {
                bail!("scroll X Y DY");
            };
            screen.scroll(x, y, dy);
            settle(shell, screen)?;
            Ok(String::new())
        }
        "shot" => {
            screen.save_png(Path::new(arg))?;
            Ok(String::new())
        }
        "frame" => {
            let start = Instant::now();
            screen.draw(true);
            Ok(start.elapsed().as_micros().to_string())
        }
        other => {
            bail!("unknown command {other:?} (press, tap, wait, view, labels, items, shot, frame, quit)")
        }
    }
}

/// A picture's size and mean colour: enough to tell which photo a card shows.
fn photo_summary(photo: &slint::Image) -> String {
    if kiosk_app::screen::photos::is_none(photo) {
        return "none".into();
    }
    let Some(pixels) = photo.to_rgba8() else { return "none".into() };
    let n = pixels.as_slice().len().max(1) as u64;
    let sum = pixels
        .as_slice()
        .iter()
        .fold([0u64; 3], |s, p| [s[0] + u64::from(p.r), s[1] + u64::from(p.g), s[2] + u64::from(p.b)]);
    format!("{}x{}@{},{},{}", pixels.width(), pixels.height(), sum[0] / n, sum[1] / n, sum[2] / n)
}

/// Pumps until the work the session asked for is done, then draws what changed, as the
/// display would at its next refresh.
fn settle(shell: &Shell, screen: &Screen) -> Result<()> {
    if !shell.settle(SETTLE_LIMIT) {
        bail!("still busy after {SETTLE_LIMIT:?} on {}", page_name(shell.view().page));
    }
    screen.draw(false);
    Ok(())
}

pub fn page_name(page: Page) -> String {
    format!("{page:?}").to_lowercase()
}
