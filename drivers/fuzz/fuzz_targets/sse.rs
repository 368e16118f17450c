//! Arbitrary bytes as the POS's event stream: the SSE parser never panics, never dispatches
//! a field longer than its line limit, and gives the same events however the bytes are cut
//! into reads (a TCP stream is cut anywhere).
#![no_main]

use kiosk_link::sse::SseParser;
use libfuzzer_sys::fuzz_target;

const MAX_LINE: usize = 256;

fuzz_target!(|data: &[u8]| {
    let Some((&cut, bytes)) = data.split_first() else { return };
    let whole = SseParser::new(MAX_LINE).feed(bytes);
    let mut parser = SseParser::new(MAX_LINE);
    let mut pieces = Vec::new();
    let mut failed = None;
    for chunk in bytes.chunks(usize::from(cut % 17) + 1) {
        match parser.feed(chunk) {
            Ok(events) => pieces.extend(events),
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    match (whole, failed) {
        (Ok(events), None) => {
            assert_eq!(events, pieces, "the same stream cut differently");
            for e in &events {
                for line in e.data.lines() {
                    assert!(line.len() <= MAX_LINE, "a data line of {} bytes", line.len());
                }
            }
        }
        (Err(a), Some(b)) => assert_eq!(a, b),
        (a, b) => panic!("whole: {a:?}, in pieces: {b:?}"),
    }
});
