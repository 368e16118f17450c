//! The encoder's bytes through the simulated printer: what comes out must be what went in.

use kiosk_drivers::printer::commands::*;
use kiosk_drivers::printer::encoder::{PrinterProfile, encode, printed_form};
use kiosk_drivers::printer::receipt::{Block, Paper, QrLevel, Receipt, Style};
use kiosk_drivers::printer::status::{PrinterState, Query, StatusDecoder};
use kiosk_drivers::sim::printer::render::{png, render};
use kiosk_drivers::sim::printer::{Condition, SimEvent, SimPrinter};

/// A 20-line Korean receipt with 똠 (not in KS X 1001) and ￦.
pub fn korean_receipt() -> Receipt {
    let mut r = Receipt::new(Paper::MM80);
    r.text("한입버거 강남점", Style::default().double().center().bold());
    r.text("사업자번호 123-45-67891  대표 김한입", Style::default());
    r.text("서울특별시 강남구 테헤란로 123", Style::default());
    r.text("2026-11-22 13:45  주문번호 0123", Style::default());
    r.text("포장 (Take-out)", Style::default());
    r.separator('-');
    r.row("불고기 버거 x2", "￦11,000", Style::default());
    r.row("  + 치즈 추가", "￦1,000", Style::default());
    r.row("똠얌꿍 라면 x1", "￦8,500", Style::default());
    r.row("아메리카노 (아이스) x1", "₩2,500", Style::default());
    r.row("감자튀김 라지 x1", "￦2,700", Style::default());
    r.separator('-');
    r.row("공급가액", "23,364", Style::default());
    r.row("부가세", "2,336", Style::default());
    r.row("합계", "￦25,700", Style::default().bold().tall());
    r.separator('-');
    r.text("신용카드 KB국민카드 9411-23**-****-1234", Style::default());
    r.text("일시불  승인번호 30012345", Style::default());
    r.text("교환·환불은 영수증 지참 시 7일 이내", Style::default());
    r.text("감사합니다 Thank you!", Style::default().center());
    r.push(Block::Qr { data: "https://hanip.example/r/0123".into(), module_size: 4, level: QrLevel::M });
    r.push(Block::Cut { partial: true });
    r
}

fn printed(events: Vec<SimEvent>) -> Vec<kiosk_drivers::sim::printer::Job> {
    events.into_iter().filter_map(|e| if let SimEvent::Printed(j) = e { Some(j) } else { None }).collect()
}

#[test]
fn a_korean_receipt_with_tteom_decodes_to_the_same_text_and_renders() {
    let receipt = korean_receipt();
    assert_eq!(receipt.text_lines().len(), 20);
    let encoded = encode(&receipt, PrinterProfile::default());
    assert_eq!(encoded.raster_lines.len(), 1, "only the 똠 line needs raster: {:?}", encoded.raster_lines);
    let mut sim = SimPrinter::new();
    // arriving in awkward pieces, as a serial line delivers them
    let mut jobs = Vec::new();
    for chunk in encoded.bytes.chunks(7) {
        jobs.extend(printed(sim.receive(chunk)));
    }
    assert_eq!(jobs.len(), 1);
    let job = &jobs[0];
    let mut expected: Vec<String> = receipt.text_lines().iter().map(|l| printed_form(l)).collect();
    expected.push("[QR https://hanip.example/r/0123]".into());
    assert_eq!(job.text_lines(), expected);
    assert!(
        job.text().contains("똠얌꿍 라면 x1")
            && job.text().contains("￦25,700")
            && job.text().contains("￦2,500")
    );

    let image = render(job, 576);
    assert_eq!(image.width, 576);
    assert!(image.height > 20 * 24);
    let bytes = png(&image);
    assert_eq!(&bytes[1..4], b"PNG");
    if let Ok(dir) = std::env::var("KIOSK_SIM_OUT") {
        std::fs::write(std::path::Path::new(&dir).join("korean-receipt.png"), &bytes).unwrap();
    }
}

#[test]
fn status_queries_are_answered_like_a_real_printer() {
    let mut sim = SimPrinter::new();
    let mut dec = StatusDecoder::new();
    let ask = |sim: &mut SimPrinter, dec: &mut StatusDecoder| {
        for n in 1..=4 {
            dec.expect(Query::RealTime(n));
            sim.receive(&status_query(n));
        }
        dec.feed(&sim.take_replies());
        dec.status().state()
    };
    assert_eq!(ask(&mut sim, &mut dec), PrinterState::Ready);
    sim.set(Condition::CoverOpen);
    assert_eq!(ask(&mut sim, &mut dec), PrinterState::CoverOpen);
    sim.set(Condition::CoverClosed);
    sim.set(Condition::PaperOut);
    assert_eq!(ask(&mut sim, &mut dec), PrinterState::PaperOut);
    sim.set(Condition::PaperIn);
    // switched off at the panel: silence
    sim.set(Condition::Offline);
    sim.receive(&status_query(1));
    assert!(sim.take_replies().is_empty());
    sim.set(Condition::Online);
    let mut dec = StatusDecoder::new();
    assert_eq!(ask(&mut sim, &mut dec), PrinterState::Ready);
    sim.set(Condition::PaperNearEnd);
    assert_eq!(ask(&mut sim, &mut dec), PrinterState::PaperNearEnd);
}

#[test]
fn paper_out_stops_printing_but_not_status_and_asb_reports_it() {
    let receipt = korean_receipt();
    let bytes = encode(&receipt, PrinterProfile::default()).bytes;
    let mut sim = SimPrinter::new();
    let mut dec = StatusDecoder::new();
    sim.receive(&ASB_ENABLE);
    dec.feed(&sim.take_replies());
    assert!(dec.asb_seen());
    let half = bytes.len() / 2;
    assert!(printed(sim.receive(&bytes[..half])).is_empty());
    sim.set(Condition::PaperOut);
    dec.feed(&sim.take_replies());
    assert_eq!(dec.status().state(), PrinterState::PaperOut, "ASB announced it");
    // the rest waits in the buffer; a status query still gets through at once
    assert!(printed(sim.receive(&bytes[half..])).is_empty());
    dec.expect(Query::RealTime(4));
    sim.receive(&status_query(4));
    dec.feed(&sim.take_replies());
    assert_eq!(dec.status().state(), PrinterState::PaperOut);
    assert!(sim.buffered() > 0);
    // paper back: the printer resumes and finishes the job
    sim.set(Condition::PaperIn);
    let jobs = printed(sim.process());
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].text_lines().len(), 21);
}

#[test]
fn clearing_the_buffers_discards_the_unfinished_job() {
    let bytes = encode(&korean_receipt(), PrinterProfile::default()).bytes;
    let mut sim = SimPrinter::new();
    sim.receive(&bytes[..bytes.len() / 2]);
    sim.set(Condition::PaperOut);
    sim.receive(&bytes[bytes.len() / 2..]);
    let events = sim.receive(&CLEAR_BUFFERS);
    assert!(matches!(events.as_slice(), [SimEvent::Discarded(job)] if !job.is_empty()));
    assert_eq!(sim.buffered(), 0);
    sim.set(Condition::PaperIn);
    assert!(sim.process().is_empty(), "nothing of the old job prints after recovery");
}

#[test]
fn garbage_is_skipped_and_printing_goes_on() {
    let mut sim = SimPrinter::new();
    let mut stream = vec![0x07, 0x1B, 0xFF, 0x1D, 0xEE];
    stream.extend_from_slice(b"hello\n");
    stream.extend_from_slice(&[0x1D, b'V', 66, 0]);
    let events = sim.receive(&stream);
    let garbage: usize = events.iter().map(|e| if let SimEvent::Garbage(g) = e { g.len() } else { 0 }).sum();
    assert_eq!(garbage, 5);
    let jobs = printed(events);
    assert_eq!(jobs[0].text_lines(), ["hello"]);
}

mod random_input {
    use kiosk_drivers::printer::status::{Query, StatusDecoder};
    use kiosk_drivers::sim::printer::{Condition, SimPrinter};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        #[test]
        fn the_status_decoder_takes_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200), queries in 0u8..6) {
            let mut d = StatusDecoder::new();
            for n in 0..queries {
                d.expect(Query::RealTime(1 + n % 4));
            }
            for chunk in bytes.chunks(7) {
                d.feed(chunk);
            }
            let _ = d.status().state();
        }

        #[test]
        fn the_simulated_printer_takes_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..600), paper_out in any::<bool>()) {
            let mut sim = SimPrinter::new();
            if paper_out {
                sim.set(Condition::PaperOut);
            }
            for chunk in bytes.chunks(13) {
                sim.receive(chunk);
            }
            sim.set(Condition::PaperIn);
            sim.process();
            let _ = sim.finish();
        }
    }
}
