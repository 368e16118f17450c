//! The printer driver against the simulated printer over real transports (TCP and a PTY).

use std::time::{Duration, Instant};

use kiosk_drivers::printer::driver::{DriverOptions, PrintError, PrinterDriver};
use kiosk_drivers::printer::encoder::{PrinterProfile, encode, printed_form};
use kiosk_drivers::printer::receipt::{Block, Paper, Receipt, Style};
use kiosk_drivers::printer::status::PrinterState;
use kiosk_drivers::transport::{Endpoint, FlowControl, Port};
use kiosk_sim::printer::server::{SimOptions, SimReport, spawn_pty, spawn_tcp};
use kiosk_sim::printer::{Condition, Job};
use tokio::sync::broadcast::Receiver;

mod common;

fn receipt(lines: usize) -> Receipt {
    let mut r = Receipt::new(Paper::MM80);
    r.text("똠얌꿍 하우스", Style::default().double().center());
    for i in 0..lines {
        r.row(format!("메뉴 {i} 불고기 버거 x1"), format!("￦{},000", 5 + i), Style::default());
    }
    r.push(Block::Cut { partial: true });
    r
}

async fn next_printed(reports: &mut Receiver<SimReport>, within: Duration) -> Option<Job> {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        match tokio::time::timeout(left, reports.recv()).await {
            Ok(Ok(SimReport::Printed(job))) => return Some(job),
            Ok(Ok(_)) => continue,
            _ => return None,
        }
    }
}

fn expected_text(r: &Receipt) -> Vec<String> {
    r.text_lines().iter().map(|l| printed_form(l)).collect()
}

#[tokio::test]
async fn a_korean_receipt_with_tteom_prints_over_tcp_to_a_readable_png() {
    let out = tempfile::tempdir().unwrap();
    let options = SimOptions { out_dir: Some(out.path().to_owned()), ..SimOptions::default() };
    let sim = spawn_tcp("127.0.0.1:0", options).await.unwrap();
    let mut reports = sim.handle.subscribe();
    let endpoint = Endpoint::Tcp { address: sim.address.unwrap().to_string() };
    let link = Port::open(&endpoint, Duration::from_secs(2)).await.unwrap();
    let mut driver = PrinterDriver::new(link, DriverOptions::default());
    let r = common::korean_receipt();
    assert_eq!(r.text_lines().len(), 20);
    let status = driver.print(&encode(&r, PrinterProfile::default()).bytes).await.unwrap();
    assert_eq!(status.state(), PrinterState::Ready);
    let job = next_printed(&mut reports, Duration::from_secs(5)).await.expect("printed");
    let mut expected = expected_text(&r);
    expected.push("[QR https://hanip.example/r/0123]".into());
    assert_eq!(job.text_lines(), expected);
    // the simulator's files: the decoded text, and the PNG (every line, 똠 included, drawn
    // from the same glyphs the text was read back with)
    let txt = std::fs::read_to_string(out.path().join("job-0001.txt")).unwrap();
    assert!(txt.contains("똠얌꿍 라면 x1") && txt.contains("￦25,700"), "{txt}");
    let png = std::fs::read(out.path().join("job-0001.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
}

#[tokio::test]
async fn prints_over_a_paced_serial_pty() {
    let dir = tempfile::tempdir().unwrap();
    let link_path = dir.path().join("ttyPRINTER");
    let sim = spawn_pty(&link_path, SimOptions { baud: Some(115_200), ..SimOptions::default() }).unwrap();
    let mut reports = sim.handle.subscribe();
    let endpoint =
        Endpoint::Serial { path: link_path.clone(), baud: 115_200, flow_control: FlowControl::None };
    let link = Port::open(&endpoint, Duration::from_secs(2)).await.unwrap();
    let mut driver =
        PrinterDriver::new(link, DriverOptions { line_rate: Some(115_200), ..DriverOptions::default() });
    let r = receipt(5);
    let bytes = encode(&r, PrinterProfile::default()).bytes;
    let started = Instant::now();
    driver.print(&bytes).await.unwrap();
    let took = started.elapsed();
    let job = next_printed(&mut reports, Duration::from_secs(5)).await.expect("printed");
    assert_eq!(job.text_lines(), expected_text(&r));
    // the simulator reads at the line's pace: the job cannot arrive faster than the wire
    assert!(took >= kiosk_sim::wire_time(bytes.len(), 115_200), "{took:?} for {} bytes", bytes.len());
}

#[tokio::test]
async fn paper_out_mid_job_is_reported_within_a_second_and_the_job_reprints_after() {
    let dir = tempfile::tempdir().unwrap();
    let link_path = dir.path().join("ttyPRINTER");
    // 9600 baud: the job (with a raster line) takes a few seconds on the wire
    let sim = spawn_pty(&link_path, SimOptions { baud: Some(9600), ..SimOptions::default() }).unwrap();
    let mut reports = sim.handle.subscribe();
    let endpoint = Endpoint::Serial { path: link_path.clone(), baud: 9600, flow_control: FlowControl::None };
    let link = Port::open(&endpoint, Duration::from_secs(2)).await.unwrap();
    let mut driver =
        PrinterDriver::new(link, DriverOptions { line_rate: Some(9600), ..DriverOptions::default() });
    let r = receipt(12);
    let bytes = encode(&r, PrinterProfile::default()).bytes;
    assert!(kiosk_sim::wire_time(bytes.len(), 9600) > Duration::from_secs(2));

    let handle = sim.handle.clone();
    let out_at = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(700)).await;
        handle.set(Condition::PaperOut);
        Instant::now()
    });
    let mut updates = driver.watch();
    let seen_at = tokio::spawn(async move {
        updates.wait_for(|s| s.state() == PrinterState::PaperOut).await.unwrap();
        Instant::now()
    });
    let result = driver.print(&bytes).await;
    let returned_at = Instant::now();
    let paper_out_at = out_at.await.unwrap();
    assert!(matches!(result, Err(PrintError::Interrupted(PrinterState::PaperOut))), "{result:?}");
    let delay = seen_at.await.unwrap().saturating_duration_since(paper_out_at);
    println!(
        "paper out reported {delay:?} after it happened; the job returned after {:?} (clean-up included)",
        returned_at.saturating_duration_since(paper_out_at)
    );
    assert!(delay < Duration::from_secs(1), "reported after {delay:?}");

    // still out: the next attempt is refused before sending anything
    let second = driver.print(&bytes).await;
    assert!(matches!(second, Err(PrintError::NotReady(PrinterState::PaperOut))), "{second:?}");
    sim.handle.set(Condition::PaperIn);
    driver.print(&bytes).await.expect("prints after recovery");
    let mut printed = Vec::new();
    let mut discarded = 0;
    while let Ok(Ok(report)) = tokio::time::timeout(Duration::from_millis(500), reports.recv()).await {
        match report {
            SimReport::Printed(job) => printed.push(job),
            SimReport::Discarded(_) => discarded += 1,
            _ => {}
        }
    }
    assert_eq!(printed.len(), 1, "printed exactly once");
    assert_eq!(printed[0].text_lines(), expected_text(&r));
    assert_eq!(discarded, 1, "the interrupted remainder was cleared, not printed");
}

#[tokio::test]
async fn a_printer_that_is_not_ready_gets_nothing() {
    let sim =
        spawn_tcp("127.0.0.1:0", SimOptions { initial: vec![Condition::CoverOpen], ..SimOptions::default() })
            .await
            .unwrap();
    let endpoint = Endpoint::Tcp { address: sim.address.unwrap().to_string() };
    let mut driver = PrinterDriver::new(
        Port::open(&endpoint, Duration::from_secs(2)).await.unwrap(),
        DriverOptions::default(),
    );
    let err = driver.print(&encode(&receipt(1), PrinterProfile::default()).bytes).await.unwrap_err();
    assert!(matches!(err, PrintError::NotReady(PrinterState::CoverOpen)));
    assert_eq!(err.operator_message(), "the printer cover is open: close it");
}

#[tokio::test]
async fn a_silent_or_vanished_printer_is_reported() {
    // accepts, never answers
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = silent.local_addr().unwrap().to_string();
    let keep = tokio::spawn(async move {
        let (s, _) = silent.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(10)).await;
        drop(s);
    });
    let link = Port::open(&Endpoint::Tcp { address }, Duration::from_secs(2)).await.unwrap();
    let mut driver = PrinterDriver::new(
        link,
        DriverOptions { reply_timeout: Duration::from_millis(300), ..DriverOptions::default() },
    );
    assert!(matches!(driver.status().await, Err(PrintError::NoReply)));
    keep.abort();

    // accepts, then hangs up
    let gone = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = gone.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        let (s, _) = gone.accept().await.unwrap();
        drop(s);
    });
    let link = Port::open(&Endpoint::Tcp { address }, Duration::from_secs(2)).await.unwrap();
    let mut driver = PrinterDriver::new(link, DriverOptions::default());
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(matches!(driver.status().await, Err(PrintError::Gone(_))));
}
