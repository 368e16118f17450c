//! Our printer simulator checked against independent ESC/POS implementations: receiptline
//! (npm) and python-escpos (PyPI) as encoders, receiptio (npm) as a status client.

use std::time::Duration;

use kiosk_drivers::printer::encoder::{PrinterProfile, encode};
use kiosk_drivers::printer::receipt::{Paper, Receipt, Style};
use kiosk_sim::printer::server::{SimOptions, SimReport, spawn_tcp};
use kiosk_sim::printer::{Condition, Job, JobItem, SimEvent, SimPrinter};
use kiosk_tests::peers;

fn print(bytes: &[u8]) -> Vec<Job> {
    let mut sim = SimPrinter::new();
    let mut jobs: Vec<Job> = sim
        .receive(bytes)
        .into_iter()
        .filter_map(|e| if let SimEvent::Printed(j) = e { Some(j) } else { None })
        .collect();
    jobs.extend(sim.finish());
    jobs
}

/// Text without layout: whitespace removed, rules as '-', blank lines dropped.
fn normalise<'a>(lines: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    lines
        .into_iter()
        .map(|l| {
            l.chars()
                .filter(|c| !c.is_whitespace())
                .map(|c| if c == '─' { '-' } else { c })
                .collect::<String>()
        })
        .filter(|l| !l.is_empty() && !l.starts_with("[image"))
        .collect()
}

const RECEIPTLINE: &str = r#"
const receiptline = require('receiptline');
let doc = '';
process.stdin.on('data', d => doc += d);
process.stdin.on('end', () => {
  const opts = { cpl: 48, encoding: 'cp949' };
  const escpos = receiptline.transform(doc, { ...opts, command: 'escpos' });
  const text = receiptline.transform(doc, { ...opts, command: 'text' });
  process.stdout.write(JSON.stringify({ escpos: Buffer.from(escpos, 'binary').toString('hex'), text }));
});
"#;

fn receiptline(doc: &str) -> (Vec<u8>, String) {
    let out = peers::node(RECEIPTLINE, &[], doc.as_bytes());
    assert!(out.status.success(), "receiptline failed: {}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("receiptline prints JSON");
    let hex = json["escpos"].as_str().expect("escpos");
    let bytes =
        (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex")).collect();
    (bytes, json["text"].as_str().expect("text").to_owned())
}

#[test]
fn receiptline_korean_output_decodes_to_its_own_text() {
    let doc = "^^^영수증\n한입버거 강남점\n아메리카노 | 2| 9,000\n불고기 버거 | 1| 5,500\n---\n^합계 | ^14,500\n감사합니다 Thank you\n";
    let (bytes, text) = receiptline(doc);
    assert!(bytes.windows(8).any(|w| w == [0x1B, 0x74, 0x00, 0x1C, 0x26, 0x1B, 0x52, 0x0D]), "Korean mode");
    let jobs = print(&bytes);
    assert_eq!(jobs.len(), 1);
    let ours = jobs[0].text_lines();
    assert_eq!(
        normalise(ours.iter().map(String::as_str)),
        normalise(text.lines()),
        "ours:\n{}\n\nreceiptline:\n{text}",
        ours.join("\n")
    );
}

#[test]
fn receiptline_sends_syllables_outside_ks_x_1001_as_cp949_which_our_encoder_does_not() {
    let (bytes, _) = receiptline("똠얌꿍 | 8,500\n");
    // 똠 = 8C 63 in CP949: not in a KS X 1001 printer font, so a real printer cannot print it
    assert!(bytes.windows(2).any(|w| w == [0x8C, 0x63]));
    let theirs = print(&bytes)[0].text();
    assert!(theirs.contains('\u{FFFD}'), "{theirs}");
    // our encoder draws that line, so it reads back whole
    let mut r = Receipt::new(Paper::MM80);
    r.row("똠얌꿍", "8,500", Style::default());
    let ours = print(&encode(&r, PrinterProfile::default()).bytes);
    assert!(ours[0].text().starts_with("똠얌꿍"), "{}", ours[0].text());
}

const PYTHON_ESCPOS: &str = r#"
import sys
from escpos.printer import Dummy
from PIL import Image, ImageDraw
p = Dummy()
p.text("Hello python-escpos\n")
p.qr("https://example.com/order/42", native=True, size=4)
img = Image.new("1", (64, 16), 1)
ImageDraw.Draw(img).rectangle([0, 0, 31, 15], fill=0)
p.image(img)
p.cashdraw(2)
p.cut()
sys.stdout.buffer.write(p.output)
"#;

#[test]
fn python_escpos_native_qr_and_raster_decode() {
    let out = peers::python(PYTHON_ESCPOS, b"");
    assert!(out.status.success(), "python-escpos failed: {}", String::from_utf8_lossy(&out.stderr));
    let jobs = print(&out.stdout);
    assert_eq!(jobs.len(), 1, "one job, ended by the cut");
    let job = &jobs[0];
    assert!(job.cut);
    assert!(job.text_lines().contains(&"Hello python-escpos".to_owned()), "{:?}", job.text_lines());
    assert!(
        job.items.iter().any(
            |i| matches!(i, JobItem::Qr { data, module_size: 4 } if data == "https://example.com/order/42")
        ),
        "{:?}",
        job.text_lines()
    );
    let image = job
        .items
        .iter()
        .find_map(|i| if let JobItem::Image { image, .. } = i { Some(image) } else { None })
        .expect("the GS v 0 image");
    assert_eq!((image.width, image.height), (64, 16));
    assert!(image.get(0, 0) && image.get(31, 15), "left half black");
    assert!(!image.get(32, 0) && !image.get(63, 15), "right half white");
    assert!(job.items.contains(&JobItem::DrawerKick));
}

/// receiptio talks to port 9100, so the simulator takes 127.0.0.1:9100 for this test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receiptio_reads_each_state_of_our_simulator_and_prints_through_it() {
    let sim = spawn_tcp("127.0.0.1:9100", SimOptions::default())
        .await
        .expect("127.0.0.1:9100 must be free for the receiptio peer test");
    let query = || async {
        tokio::task::spawn_blocking(|| peers::receiptio(&["-d", "127.0.0.1", "-q"]).status.code())
            .await
            .unwrap()
    };
    assert_eq!(query().await, Some(100), "online");
    sim.handle.set(Condition::CoverOpen);
    assert_eq!(query().await, Some(101), "cover open");
    sim.handle.set(Condition::CoverClosed);
    sim.handle.set(Condition::PaperOut);
    assert_eq!(query().await, Some(102), "paper empty");
    sim.handle.set(Condition::PaperIn);
    sim.handle.set(Condition::Offline);
    assert_eq!(query().await, Some(104), "offline: the printer does not answer");
    sim.handle.set(Condition::Online);
    assert_eq!(query().await, Some(100), "online again");

    // a whole job through receiptio's own print flow (ASB, GS r)
    let mut reports = sim.handle.subscribe();
    let dir = std::env::temp_dir().join(format!("receiptio-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let doc = dir.join("order.receipt");
    std::fs::write(&doc, "^^주문번호 0042\n불고기 버거 | 2| 11,000\n---\n^합계 | ^11,000\n").unwrap();
    let doc_path = doc.to_str().unwrap().to_owned();
    let code = tokio::task::spawn_blocking(move || {
        peers::receiptio(&["-d", "127.0.0.1", "-l", "ko", &doc_path]).status.code()
    })
    .await
    .unwrap();
    assert_eq!(code, Some(0), "receiptio reports success");
    let text = loop {
        match tokio::time::timeout(Duration::from_secs(10), reports.recv()).await {
            Ok(Ok(SimReport::Printed(job))) => break job.text(),
            Ok(Ok(_)) => continue,
            other => panic!("nothing printed: {other:?}"),
        }
    };
    assert!(
        text.contains("주문번호 0042") && text.contains("불고기 버거") && text.contains("11,000"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(dir);
}
