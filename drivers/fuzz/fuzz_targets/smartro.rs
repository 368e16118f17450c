//! Arbitrary bytes from a "terminal": the SMARTRO frame decoder, the link session (with a
//! request outstanding and time moving) and the job parsers never panic, and a session
//! never reports two outcomes for one request.
#![no_main]

use std::time::{Duration, Instant};

use kiosk_drivers::payment::smartro::frame::Frame;
use kiosk_drivers::payment::smartro::jobs::{ApprovalResponse, DeviceCheck, parse_cancel_request, parse_version};
use kiosk_drivers::payment::smartro::session::{Output, Session};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = ApprovalResponse::parse(data);
    let _ = DeviceCheck::parse(data);
    let _ = parse_version(data);
    let _ = parse_cancel_request(data);
    let t0 = Instant::now();
    let mut s = Session::new("SIM00001");
    s.start(Frame::new("SIM00001", "20261122134501", b'B', vec![b'1'; 30]), t0, Duration::from_secs(30)).unwrap();
    let mut outcomes = 0;
    for (i, chunk) in data.chunks(17).enumerate() {
        let now = t0 + Duration::from_millis(700 * i as u64);
        for o in s.handle_input(chunk, now).into_iter().chain(s.handle_timeout(now)) {
            if matches!(o, Output::Response(_) | Output::Failed(_)) {
                outcomes += 1;
            }
        }
    }
    assert!(outcomes <= 1, "one outcome per request");
});
