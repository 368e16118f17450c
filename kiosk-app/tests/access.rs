//! The barrier-free mode, headless: a whole kiosk order and card payment by keypad alone,
//! with the voice guidance captured (espeak-ng to WAV files and a transcript); the audio is
//! checked utterance by utterance (each WAV loud enough, as long as its text needs, and the
//! pages announced in the order the customer went through them); then every screen in
//! magnify-all with high contrast, its texts' contrast measured on the rendered pixels (text
//! as faint as its background included) and nothing cut off; then the low-reach layout. One
//! test function: Slint allows one platform per process.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kiosk_app::config::Config;
use kiosk_app::device;
use kiosk_app::screen::photos::Photos;
use kiosk_app::screen::shell::Shell;
use kiosk_domain::Menu;
use kiosk_drivers::keypad::Key;
use kiosk_drivers::speech::service::{Output, SpeechEvent, SpeechHandle, spawn as spawn_speech};
use kiosk_session::speech::for_ears;
use kiosk_session::{Page, View};
use kiosk_sim::terminal::Fault;
use kiosk_sim::terminal::server::{TerminalSim, TerminalSimOptions, spawn_pty};
use kiosk_store::{Actor, Store};
use kiosk_store_server::db::ServerDb;
use kiosk_ui::audit;
use kiosk_ui::headless::{self, Screen};
use tokio::sync::mpsc::UnboundedSender;

mod common;
use common::settle;

const DEMO_MENU: &str = include_str!("../data/demo-menu.json");

/// A device with a card terminal; `more` is more of its configuration (its POS).
fn card_device(dir: &Path, terminal: &Path, role: &str, more: &str) -> Config {
    let (ui, table) = match role {
        "table" => ("postpay = true\npayment_methods = [\"card\", \"counter\"]", "[table]\nnumber = \"7\""),
        _ => ("", ""),
    };
    let terminal = format!(
        "{table}\n[devices.terminal]\nprotocol = \"smartro\"\nport = \"{}\"\nbaud = 115200\n{more}",
        terminal.display()
    );
    common::device_config(dir, role, ui, &terminal)
}

struct Rig {
    shell: Rc<Shell>,
    keys: UnboundedSender<Key>,
    speech: SpeechHandle,
    terminal: TerminalSim,
    /// Everything the speech service reported, in order.
    heard: Arc<Mutex<Vec<SpeechEvent>>>,
    /// The pages the customer went through, each with the sentence that opens it.
    pages: RefCell<Vec<(Page, String)>>,
}

fn rig(dir: &Path, role: &str, runtime: &tokio::runtime::Runtime) -> Rig {
    rig_with(dir, role, runtime, "")
}

/// A rig whose device has `more` configuration (its POS).
fn rig_with(dir: &Path, role: &str, runtime: &tokio::runtime::Runtime, more: &str) -> Rig {
    std::fs::create_dir_all(dir).unwrap();
    let terminal = spawn_pty(&dir.join("ttyTERMINAL"), TerminalSimOptions::default()).unwrap();
    let config = card_device(dir, &dir.join("ttyTERMINAL"), role, more);
    let menu: Menu = serde_json::from_str(DEMO_MENU).unwrap();
    Store::open(config.database_path()).unwrap().save_menu(&menu, "test", Actor::System, 0).unwrap();
    let mut device = device::start(&config).unwrap();
    let (keys, key_rx) = tokio::sync::mpsc::unbounded_channel();
    let speech = spawn_speech("espeak-ng", Output::Capture(dir.join("speech")));
    let heard: Arc<Mutex<Vec<SpeechEvent>>> = Arc::default();
    let (mut events, log) = (speech.subscribe(), heard.clone());
    runtime.spawn(async move {
        while let Ok(event) = events.recv().await {
            log.lock().unwrap().push(event);
        }
    });
    device.feeds.keys = Some(key_rx);
    device.feeds.speech = Some(speech.clone());
    let shell = Shell::new(&config, device.runner, device.feeds, Photos::new(None), runtime.handle().clone())
        .unwrap();
    Rig { shell, keys, speech, terminal, heard, pages: RefCell::default() }
}

fn wait_for(shell: &Shell, what: &str, ok: impl Fn(&View) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ok(&shell.view()) {
        assert!(Instant::now() < deadline, "waited for {what}; the screen shows {:?}", shell.view().page);
        std::thread::sleep(Duration::from_millis(10));
        shell.pump();
    }
}

impl Rig {
    fn key(&self, key: Key) {
        self.keys.send(key).unwrap();
        assert!(self.shell.wait_input(Duration::from_secs(5)), "the key reached the screen");
        settle(&self.shell);
        self.note_page();
    }

    /// Keeps the page now shown, with its opening sentence, when it is a new one.
    fn note_page(&self) {
        let view = self.shell.view();
        let mut pages = self.pages.borrow_mut();
        if pages.last().is_none_or(|(p, _)| *p != view.page)
            && let Some(first) = view.speech.first()
        {
            pages.push((view.page, for_ears(first)));
        }
    }

    /// As a blind customer does: hear the page out before the next key.
    fn listen(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !self.speech.is_idle() {
            assert!(Instant::now() < deadline, "the voice did not finish");
            std::thread::sleep(Duration::from_millis(10));
            self.shell.pump();
        }
    }

    /// Moves the focus down to the control whose label starts with `prefix` and presses OK.
    fn choose(&self, prefix: &str) {
        self.listen();
        for _ in 0..120 {
            if self.shell.focused().is_some_and(|l| l.starts_with(prefix)) {
                self.key(Key::Ok);
                return;
            }
            self.key(Key::Down);
        }
        panic!("no control {prefix:?} in the focus order of {:?}", self.shell.view().page);
    }
}

/// Pixels of the keypad focus ring's colour (Theme.focus, #1d4ed8) in a logical rectangle.
fn focus_ring_pixels(screen: &Screen, rgba: &[u8], (x, y, w, h): (f32, f32, f32, f32)) -> usize {
    let (width, height) = screen.size();
    let mut hits = 0;
    for py in (y.max(0.0) as u32)..((y + h) as u32).min(height) {
        for px in (x.max(0.0) as u32)..((x + w) as u32).min(width) {
            let i = ((py * width + px) * 4) as usize;
            let close =
                [0x1d, 0x4e, 0xd8].iter().enumerate().all(|(c, v)| (rgba[i + c] as i32 - v).abs() < 16);
            hits += usize::from(close);
        }
    }
    hits
}

/// A tap on the control labelled `label`.
fn press(shell: &Shell, label: &str) {
    headless::press(shell.window(), label).unwrap_or_else(|e| panic!("{e}"));
    settle(shell);
}

/// From the menu to choosing how to pay for an iced regular americano, by touch; `at` is
/// called on the item and keyboard pages, the menu with its suggestion, the cart and payment-choice pages.
fn americano_to_payment(shell: &Shell, at: &mut dyn FnMut(&str)) {
    press(shell, "아메리카노, 4,500원");
    at("item");
    // (At 200 % "write a request" is below the options: the intent stands for a scroll and
    // a tap.)
    shell.intent(kiosk_session::Intent::EditNote { order: false });
    settle(shell);
    at("note");
    press(shell, &ko("Cancel"));
    press(shell, "아이스");
    // (At 200 % the sizes are below the fold, the magnified mode showing no text smaller
    // than its body text: a scroll and a tap.)
    shell.intent(kiosk_session::Intent::ToggleOption { group: "size".into(), option: "regular".into() });
    settle(shell);
    press(shell, &ko("Add · {}").replace("{}", "4,500원"));
    // The menu's pairing for a coffee, over the cart bar.
    assert_eq!(shell.view().suggestions.len(), 1, "a suggestion after the coffee");
    at("menu-suggestion");
    press(shell, &ko("View cart"));
    at("cart");
    press(shell, &ko("Pay"));
    at("pay-choice");
}

fn ko(msgid: &str) -> String {
    kiosk_ui::translate("ko", msgid)
}

/// The spoken units of a text, for how long it should take to say: a Hangul syllable or a
/// digit is one (4,500 is 사천오백), about three Latin letters make one.
fn spoken_units(text: &str) -> f64 {
    text.chars()
        .map(|c| match c {
            '가'..='힣' | '0'..='9' => 1.0,
            c if c.is_ascii_alphabetic() => 0.3,
            _ => 0.0,
        })
        .sum()
}

/// Duration in seconds, RMS and peak of a 16-bit mono WAV.
fn measure(wav: &Path) -> (f64, f64, i32) {
    let mut reader = hound::WavReader::open(wav).unwrap_or_else(|e| panic!("{}: {e}", wav.display()));
    let spec = reader.spec();
    assert_eq!((spec.channels, spec.bits_per_sample), (1, 16), "{}: {spec:?}", wav.display());
    let samples: Vec<i32> = reader.samples::<i16>().map(|s| i32::from(s.unwrap())).collect();
    let seconds = samples.len() as f64 / f64::from(spec.sample_rate);
    let rms =
        (samples.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / samples.len().max(1) as f64).sqrt();
    (seconds, rms, samples.iter().map(|s| s.abs()).max().unwrap_or(0))
}

/// The audio itself, utterance by utterance: every utterance said to its end has a WAV that
/// is not silent and lasts about as long as its text takes at its rate (espeak-ng says a
/// Hangul syllable in about 0.2 s at 175 words a minute: between half and twice that, plus a
/// breath); and the pages were announced in the order the customer went through them.
/// Returns the number of utterances checked.
fn check_audio(dir: &Path, heard: &[SpeechEvent], pages: &[(Page, String)]) -> usize {
    let started: BTreeMap<u64, _> = heard
        .iter()
        .filter_map(|e| if let SpeechEvent::Started(u) = e { Some((u.id, u.clone())) } else { None })
        .collect();
    let mut problems = Vec::new();
    let mut checked = 0;
    for event in heard {
        let SpeechEvent::Ended { id, completed: true } = event else { continue };
        let u = &started[id];
        let (seconds, rms, peak) = measure(&dir.join(format!("speech/{id:05}.wav")));
        let expected = 0.25 + spoken_units(&u.text) * 0.2 * 175.0 / f64::from(u.rate_wpm);
        if rms < 300.0 || peak < 3_000 {
            problems.push(format!("utterance {id} {:?} is silent: RMS {rms:.0}, peak {peak}", u.text));
        }
        if !(expected * 0.5..=expected * 2.0 + 0.3).contains(&seconds) {
            problems.push(format!(
                "utterance {id} {:?} lasts {seconds:.2} s; its text takes about {expected:.2} s",
                u.text
            ));
        }
        checked += 1;
    }
    // The opening sentence of every page, in the order the pages were shown.
    let said: Vec<&str> = started.values().map(|u| u.text.as_str()).collect();
    let mut rest = said.iter();
    for (page, first) in pages {
        let mut probe = rest.clone();
        if probe.any(|s| s == first) {
            rest = probe;
        } else {
            problems.push(format!("{page:?} was not announced ({first:?}) after the page before it"));
        }
    }
    assert!(problems.is_empty(), "{} problems with the voice:\n{}", problems.len(), problems.join("\n"));
    checked
}

fn transcript(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("speech/transcript.txt")).unwrap_or_default()
}

/// The fewest texts a screen may show for its audit to count.
const MIN_TEXTS: usize = 2;

/// The contrast and cut-off audit of the screen as it stands; failures are collected.
fn audit_screen(screen: &Screen, shell: &Shell, out: &Path, name: &str, failures: &mut Vec<String>) {
    let rgba = screen.render();
    let (w, h) = screen.size();
    screen.save_png(&out.join(format!("{name}.png"))).unwrap();
    let drawn = audit::drawn(shell.window());
    let categories = shell.view().categories;
    let contrast = audit::text_contrast(&drawn, &rgba, w, h, 4.5);
    for (label, ratio) in contrast.low {
        failures.push(format!("{name}: {label:?} has contrast {ratio:.2}:1"));
    }
    // Every screen says what it is and what to do: at least two texts to measure.
    if contrast.measured < MIN_TEXTS {
        failures.push(format!("{name}: only {} texts measured", contrast.measured));
    }
    let scrolls = |l: &str| categories.iter().any(|c| l.contains(c.as_str()));
    for cut in audit::cut_off(&drawn, w, scrolls) {
        failures.push(format!("{name}: cut off: {cut}"));
    }
}

#[test]
fn keypad_order_with_voice_then_magnified_high_contrast_and_low_reach_screens() {
    if std::process::Command::new("espeak-ng").arg("--version").output().is_err() {
        panic!("espeak-ng is not installed: ./tests/run installs it (apt-get install espeak-ng)");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let _enter = runtime.enter();
    let dir = tempfile::tempdir().unwrap();
    let screen = Screen::install(800, 1280).unwrap();

    // --- a kiosk order and card payment by keypad only ---
    let k = dir.path().join("keypad");
    let r = rig(&k, "kiosk", &runtime);
    assert_eq!(r.shell.view().page, Page::Attract);
    r.key(Key::Down); // any key: the voice starts, and the order
    assert!(r.shell.view().access.voice);
    assert_eq!(r.shell.view().page, Page::Language);
    r.choose("한국어");
    r.choose(&ko("Eat here"));
    assert_eq!(r.shell.view().page, Page::Menu);
    r.choose("아메리카노, 4,500원");
    assert_eq!(r.shell.view().page, Page::Item);
    r.choose("아이스");
    assert!(r.shell.focused().unwrap().starts_with("아이스"), "the focus stays on the chosen chip");
    // The ring is drawn on the focused chip and on no other control.
    let focused = r.shell.focused().unwrap();
    let other =
        headless::labels(r.shell.window()).into_iter().find(|l| l.starts_with("라지")).expect("a large chip");
    let rgba = screen.render();
    let ring =
        |label: &str| focus_ring_pixels(&screen, &rgba, headless::bounds(r.shell.window(), label).unwrap());
    assert!(ring(&focused) > 200, "no focus ring on {focused:?}: {} ring pixels", ring(&focused));
    assert_eq!(ring(&other), 0, "a focus ring on {other:?}, which is not focused");
    r.choose("라지");
    r.choose(&ko("Add · {}").replace("{}", ""));
    assert_eq!(r.shell.view().item_count, 1, "{:?}", r.shell.view().item_problem);
    r.choose("베이커리");
    r.choose("버터 크루아상, 3,800원");
    r.choose("따뜻하게 데워 주세요");
    r.choose(&ko("Add · {}").replace("{}", ""));
    assert_eq!(r.shell.view().item_count, 2);
    r.choose(&ko("View cart"));
    assert_eq!(r.shell.view().page, Page::Cart);
    let lines = r.shell.view().lines;
    let total = r.shell.view().total;
    r.choose(&ko("Pay"));
    r.choose(&ko("Credit or debit card"));
    wait_for(&r.shell, "the order number", |v| v.page == Page::Done);
    r.note_page();
    let number = r.shell.view().order_number;
    r.listen();
    let said = transcript(&k);
    for l in &lines {
        assert!(said.contains(&l.name), "the voice never said the item {:?}:\n{said}", l.name);
        assert!(said.contains(&l.total), "the voice never said {:?}'s price {}:\n{said}", l.name, l.total);
    }
    assert!(said.contains(&format!("합계 {total}")), "the voice never said the total {total}:\n{said}");
    assert!(
        said.contains(&format!("주문 번호 {number}번")),
        "the voice never said the order number:\n{said}"
    );
    let pages = r.pages.borrow().clone();
    assert!(pages.len() >= 8, "the order went through its pages: {pages:?}");
    let checked = check_audio(&k, &r.heard.lock().unwrap(), &pages);
    assert!(checked >= 20, "only {checked} utterances were said to their end");
    println!(
        "barrier-free: {checked} utterances heard out, each checked; {} pages announced in order",
        pages.len()
    );
    // the help key calls staff and says so
    r.key(Key::Help);
    wait_for(&r.shell, "the staff call's answer", |v| !v.notice.is_empty());
    r.listen();
    let said = transcript(&k);
    assert!(said.lines().last().unwrap_or("").contains(&r.shell.view().notice), "help is announced:\n{said}");
    // volume and rate keys answer in words
    r.key(Key::Faster);
    r.listen();
    assert!(transcript(&k).contains("말하기 속도 195"));
    drop(r);

    // --- every screen, magnified 200 % in high contrast: contrast and nothing cut off ---
    // Kept after the run, to look at.
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("access-shots");
    std::fs::create_dir_all(&shots).unwrap();
    let mut failures = Vec::new();
    let m = dir.path().join("magnified");
    let r = rig(&m, "kiosk", &runtime);
    let s = &r.shell;
    let mut seen = BTreeSet::new();
    let mut audit_page = |name: &str| {
        audit_screen(&screen, s, &shots, name, &mut failures);
        seen.insert(format!("{:?}", s.view().page));
    };
    press(s, &ko("Touch to order"));
    let height = |label: &str| {
        let drawn = audit::drawn(s.window());
        drawn.iter().find(|d| d.label == label).unwrap_or_else(|| panic!("{label:?} is not drawn")).bounds.3
    };
    let before = height("한국어");
    press(s, &ko("Magnify"));
    press(s, &ko("High contrast"));
    assert!(s.view().access.magnify && s.view().access.contrast);
    // Magnify-all draws everything twice as large, as laid out (not only as a setting).
    let ratio = height("한국어") / before;
    assert!((1.9..=2.1).contains(&ratio), "the language button grew {ratio:.2}×, not 2×");
    audit_page("language");
    press(s, "한국어");
    audit_page("service");
    press(s, &ko("Eat here"));
    audit_page("menu");
    // the category bar scrolls sideways; the intent stands for a swipe and a tap
    let desserts = s.view().categories.iter().position(|c| c == "디저트").unwrap();
    s.intent(kiosk_session::Intent::SelectCategory(desserts));
    settle(s);
    audit_page("menu-sold-out");
    s.intent(kiosk_session::Intent::SelectCategory(0));
    settle(s);
    americano_to_payment(s, &mut audit_page);
    r.terminal.handle.push_fault(Fault::Decline("6B"));
    press(s, &ko("Credit or debit card"));
    wait_for(s, "the decline", |v| v.page == Page::Problem);
    audit_page("problem");
    press(s, &s.view().problem_action);
    press(s, &ko("Pay at the counter"));
    wait_for(s, "the order number", |v| v.page == Page::Done);
    audit_page("done");
    press(s, &ko("Done"));
    audit_page("attract");
    drop(r);

    // the table tablet, landscape
    screen.next_screen(1280, 800);
    let t = dir.path().join("table");
    let r = rig(&t, "table", &runtime);
    let s = &r.shell;
    let mut audit_page = |name: &str| {
        audit_screen(&screen, s, &shots, name, &mut failures);
        seen.insert(format!("{:?}", s.view().page));
    };
    press(s, &ko("Call staff"));
    press(s, &ko("Magnify"));
    press(s, &ko("High contrast"));
    audit_page("table-staff-call");
    press(s, &ko("Back"));
    audit_page("table-home");
    // A round, so that the bill has lines and splits. (At 200 % the cards and buttons are
    // out of sight: the intents stand for a scroll and a tap.)
    for intent in [
        kiosk_session::Intent::OpenItem("cheesecake".into()),
        kiosk_session::Intent::AddToCart,
        kiosk_session::Intent::ShowCart,
    ] {
        s.intent(intent);
        settle(s);
    }
    audit_page("table-cart");
    s.intent(kiosk_session::Intent::OrderRound);
    wait_for(s, "the round sent", |v| v.page == Page::TableHome && v.tab_lines.len() == 1);
    press(s, &ko("Bill"));
    audit_page("table-bill");
    s.intent(kiosk_session::Intent::ShowSplit);
    settle(s);
    audit_page("table-split");
    s.intent(kiosk_session::Intent::Back);
    settle(s);
    // The bill paid by card at the table: the done page, magnified and in high contrast too.
    s.intent(kiosk_session::Intent::Pay(kiosk_session::PayWith::Card));
    wait_for(s, "the bill paid", |v| v.page == Page::Done);
    audit_page("table-done");
    press(s, &ko("Done"));
    wait_for(s, "the table's home", |v| v.page == Page::TableHome);
    s.intent(kiosk_session::Intent::OperatorGesture);
    settle(s);
    audit_page("pin");
    drop(r);
    assert!(failures.is_empty(), "{} problems:\n{}", failures.len(), failures.join("\n"));
    for page in [
        "Attract",
        "Language",
        "Service",
        "Menu",
        "Item",
        "Cart",
        "Note",
        "PayChoice",
        "Problem",
        "Done",
        "TableHome",
        "StaffCall",
        "Bill",
        "Split",
        "Pin",
    ] {
        assert!(seen.contains(page), "{page} was not audited");
    }

    // --- a table's round and bill, split, by keypad only; the help key through the store ---
    let db = dir.path().join("pos.sqlite");
    let token = ServerDb::open(&db).unwrap().issue_token("table-7", false).unwrap();
    let server = common::start_store_server(&runtime, &db);
    let tk = dir.path().join("table-keypad");
    let pos =
        format!("[pos]\nadapter = \"kiosk-link\"\nurl = \"http://{}\"\ntoken = \"{token}\"", server.addr);
    let r = rig_with(&tk, "table", &runtime, &pos);
    wait_for(&r.shell, "the card terminal", |v| v.bill_card || v.card_available);
    assert_eq!(r.shell.view().page, Page::TableHome);
    r.key(Key::Down); // any key: the voice starts
    assert!(r.shell.view().access.voice);
    r.choose("아메리카노, 4,500원");
    r.choose("아이스");
    r.choose("레귤러");
    r.choose(&ko("Add · {}").replace("{}", ""));
    // The suggestion after a coffee is said, and one key skips it (not the round).
    assert_eq!(r.shell.view().suggestions.len(), 1);
    r.listen();
    assert!(transcript(&tk).contains("함께 드시면 좋아요: 뉴욕 치즈케이크"), "{}", transcript(&tk));
    r.key(Key::Back);
    assert!(r.shell.view().suggestions.is_empty());
    assert_eq!((r.shell.view().page, r.shell.view().item_count), (Page::TableHome, 1));
    r.choose(&ko("View cart"));
    r.choose(&ko("Send order"));
    wait_for(&r.shell, "the round at the table", |v| v.page == Page::TableHome && v.tab_lines.len() == 1);
    let at_store = || {
        let orders = ServerDb::open(&db).unwrap().orders(0, 10).unwrap();
        orders.iter().any(|o| o.device == "table-7" && o.total == 4_500)
    };
    wait_for(&r.shell, "the round at the store server", |_| at_store());
    // The help key calls staff through the store server, and the answer is said.
    r.key(Key::Help);
    wait_for(&r.shell, "the staff call's answer", |v| !v.notice.is_empty());
    assert_eq!(r.shell.view().notice, ko("Staff are on their way"), "the call reached the store");
    let calls = ServerDb::open(&db).unwrap().staff_calls(10).unwrap();
    assert!(
        calls.iter().any(|c| c.table.as_deref() == Some("7")),
        "no staff call for table 7 at the store: {calls:?}"
    );
    r.listen();
    assert!(transcript(&tk).contains(&ko("Staff are on their way")), "{}", transcript(&tk));
    // The bill, heard, and paid at the table by keypad.
    r.choose(&ko("Bill"));
    assert_eq!(r.shell.view().page, Page::Bill);
    r.listen();
    let said = transcript(&tk);
    assert!(said.contains("아메리카노") && said.contains("합계 4,500원"), "the bill is said:\n{said}");
    // Split evenly between the two guests: the first share by keypad, then the rest.
    r.choose(&ko("Split the bill"));
    assert_eq!(r.shell.view().page, Page::Split);
    r.listen();
    let said = transcript(&tk);
    assert!(
        said.contains("나누어 계산합니다") && said.contains("합계 2,250원"),
        "the share is said:\n{said}"
    );
    r.choose(&ko("Pay this share by card"));
    wait_for(&r.shell, "the first share paid", |v| v.page == Page::Done);
    r.note_page();
    r.choose(&ko("Done"));
    r.choose(&ko("Bill"));
    r.choose(&ko("Pay here by card"));
    wait_for(&r.shell, "the rest of the bill paid", |v| v.page == Page::Done);
    r.note_page();
    r.listen();
    let closed = ServerDb::open(&db).unwrap().tables(0).unwrap();
    assert!(
        closed.iter().all(|t| t.table != "7" || t.owed == 0),
        "the store still has table 7 owing: {closed:?}"
    );
    let pages = r.pages.borrow().clone();
    let checked = check_audio(&tk, &r.heard.lock().unwrap(), &pages);
    assert!(checked >= 10, "only {checked} utterances were said to their end at the table");
    println!("barrier-free table: {checked} utterances heard out; {} pages announced in order", pages.len());
    drop(r);

    // --- low reach: every control in the lowest 55 % of the portrait screen ---
    screen.next_screen(800, 1280);
    let l = dir.path().join("low");
    let r = rig(&l, "kiosk", &runtime);
    let s = &r.shell;
    press(s, &ko("Touch to order"));
    press(s, &ko("Low screen"));
    let line = 1280.0 * (1.0 - 0.55);
    let mut high = Vec::new();
    let mut check = |name: &str| {
        screen.save_png(&shots.join(format!("low-{name}.png"))).unwrap();
        for a in audit::above(&audit::drawn(s.window()), line) {
            high.push(format!("{name}: {a}"));
        }
    };
    check("language");
    press(s, "한국어");
    check("service");
    press(s, &ko("Eat here"));
    check("menu");
    americano_to_payment(s, &mut check);
    assert!(high.is_empty(), "controls out of reach:\n{}", high.join("\n"));
}
