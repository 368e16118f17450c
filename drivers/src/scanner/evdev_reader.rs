//! HID keyboard-mode scanners through evdev (feature `hid`): the device is grabbed
//! (EVIOCGRAB) so scans never reach the UI as keystrokes, and its key events go through the
//! tested [`HidDecoder`](super::hid::HidDecoder).

use std::path::Path;

use evdev::{Device, EventType};

use super::framing::{Scan, ScanEvent};
use super::hid::{HidDecoder, HidOutput, KeyEvent};

pub struct HidScanner {
    events: evdev::EventStream,
    decoder: HidDecoder,
}

impl HidScanner {
    /// Opens and grabs the scanner's event device (e.g. `/dev/input/by-id/…-event-kbd`).
    pub fn open(path: &Path, max_len: usize) -> std::io::Result<HidScanner> {
        let mut device = Device::open(path)?;
        device.grab()?;
        Ok(HidScanner { events: device.into_event_stream()?, decoder: HidDecoder::new(max_len) })
    }

    /// The next scan or rejection; `Err` when the device is gone.
    pub async fn next(&mut self) -> std::io::Result<ScanEvent> {
        loop {
            let event = self.events.next_event().await?;
            if event.event_type() != EventType::KEY {
                continue;
            }
            match self.decoder.feed(KeyEvent { code: event.code(), value: event.value() }) {
                Some(HidOutput::Line(data)) => return Ok(ScanEvent::Scan(Scan { data, symbology: None })),
                Some(HidOutput::Rejected(why)) => return Ok(ScanEvent::Rejected(why)),
                None => {}
            }
        }
    }
}
