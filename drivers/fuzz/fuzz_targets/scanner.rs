//! Arbitrary bytes from a "scanner": the serial framer (every suffix, with and without AIM
//! identifiers and a prefix, bytes arriving in chunks with time moving) and the HID
//! keyboard-mode decoder (the bytes read as key events) never panic, never hand out a scan
//! longer than the limit, and every scan they accept classifies.
#![no_main]

use std::time::{Duration, Instant};

use kiosk_drivers::scanner::framing::{Framer, FramingOptions, ScanEvent, Suffix};
use kiosk_drivers::scanner::hid::{HidDecoder, HidOutput, KeyEvent};
use kiosk_session::scan::classify;
use libfuzzer_sys::fuzz_target;

const MAX_LEN: usize = 64;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, bytes)) = data.split_first() else { return };
    let options = FramingOptions {
        suffix: [Suffix::Cr, Suffix::CrLf, Suffix::None][usize::from(mode % 3)],
        prefix: (mode & 4 != 0).then(|| "]X".to_owned()),
        aim_ids: mode & 8 != 0,
        idle_timeout: Duration::from_millis(80),
        max_len: MAX_LEN,
    };
    let mut framer = Framer::new(options);
    let t0 = Instant::now();
    let mut events = Vec::new();
    for (i, chunk) in bytes.chunks(usize::from(mode >> 4) + 1).enumerate() {
        let now = t0 + Duration::from_millis(30 * i as u64);
        if framer.poll_timeout().is_some_and(|t| t <= now) {
            events.extend(framer.handle_timeout(now));
        }
        events.extend(framer.feed(chunk, now));
    }
    events.extend(framer.handle_timeout(t0 + Duration::from_secs(3600)));
    for e in events {
        if let ScanEvent::Scan(scan) = e {
            assert!(scan.data.len() <= MAX_LEN, "a scan of {} bytes passed the limit", scan.data.len());
            let _ = classify(&scan, None, mode & 1 == 0);
        }
    }

    // The same bytes as evdev key events: (code, value) from each pair.
    let mut hid = HidDecoder::new(MAX_LEN);
    for pair in bytes.chunks_exact(2) {
        let event = KeyEvent { code: u16::from(pair[0]), value: i32::from(pair[1] % 3) };
        if let Some(HidOutput::Line(line)) = hid.feed(event) {
            assert!(line.chars().count() <= MAX_LEN, "a HID scan of {} characters", line.len());
        }
    }
});
