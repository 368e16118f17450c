//! Arbitrary bytes, split arbitrarily, with arbitrary queries outstanding: the status
//! decoder never panics, accounts for every byte, and never answers a query twice.
#![no_main]

use kiosk_drivers::printer::status::{Query, StatusDecoder, StatusEvent};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&control, bytes)) = data.split_first() else { return };
    let mut d = StatusDecoder::new();
    for i in 0..(control & 0x07) {
        d.expect(if i % 3 == 2 { Query::PaperSensor } else { Query::RealTime(1 + i % 4) });
    }
    let before = d.pending();
    let split = usize::from(control >> 3) % (bytes.len() + 1);
    let mut events = d.feed(&bytes[..split]);
    events.extend(d.feed(&bytes[split..]));
    let mut accounted = 0;
    let mut answers = 0;
    for e in &events {
        accounted += match e {
            StatusEvent::RealTime { .. } | StatusEvent::PaperSensor(_) => {
                answers += 1;
                1
            }
            StatusEvent::Asb(_) => 4,
            StatusEvent::Block(b) => b.len() + 1,
            StatusEvent::Garbage(g) => g.len(),
        };
    }
    assert!(accounted <= bytes.len());
    assert_eq!(before - d.pending(), answers, "each answer consumes one query");
    let _ = d.status().state();
});
