//! The encoder's bytes through the simulated printer: what comes out must be what went in.

use kiosk_drivers::printer::commands::*;
use kiosk_drivers::printer::encoder::{PrinterProfile, encode, printed_form};
use kiosk_drivers::printer::status::{PrinterState, Query, StatusDecoder};
use kiosk_sim::printer::render::{png, render};
use kiosk_sim::printer::{Condition, SimEvent, SimPrinter};

mod common;
use common::korean_receipt;

fn printed(events: Vec<SimEvent>) -> Vec<kiosk_sim::printer::Job> {
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
    use kiosk_sim::printer::{Condition, SimPrinter};
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

/// A Chinese receipt's total is a bold, double-height raster line (计 is not in KS X 1001):
/// read back whole, the won sign and digits included, although bold glyphs reaching their
/// cell's edge spill a dot into the next cell.
#[test]
fn bold_tall_cjk_raster_lines_read_back_as_their_text() {
    use kiosk_drivers::printer::raster::render_line;
    use kiosk_drivers::printer::receipt::{Line, Style};
    // The printer's side adds the image's CJK glyphs, as a kiosk does for such a receipt; the
    // simulator reads them back with its own copy.
    let glyphs = std::fs::read(kiosk_sim::printer::model::CJK_GLYPHS).unwrap();
    kiosk_drivers::printer::font::add_glyphs(&glyphs).unwrap();
    for (text, style) in [
        ("合计        ₩4,500", Style::default().bold().tall()),
        ("注文番号 0042", Style::default().bold()),
        ("订单号 0001", Style::default()),
    ] {
        let image = render_line(&Line { text: text.into(), style }, 576);
        let read = kiosk_sim::printer::recognize::recognize(&image);
        assert_eq!(read.as_deref().map(str::trim_end), Some(text), "{style:?}");
    }
}
