//! A USB keypad through evdev (feature `hid`): grabbed (EVIOCGRAB) so its keys reach only
//! the kiosk, decoded by [`decode`](super::decode).

use std::path::Path;

use evdev::{Device, EventType};

use super::{Key, decode};
use crate::scanner::hid::KeyEvent;

pub struct HidKeypad {
    events: evdev::EventStream,
}

impl HidKeypad {
    /// Opens and grabs the keypad's event device (e.g. `/dev/input/by-id/…-event-kbd`).
    pub fn open(path: &Path) -> std::io::Result<HidKeypad> {
        let mut device = Device::open(path)?;
        device.grab()?;
        Ok(HidKeypad { events: device.into_event_stream()? })
    }

    /// The next key; `Err` when the device is gone.
    pub async fn next(&mut self) -> std::io::Result<Key> {
        loop {
            let event = self.events.next_event().await?;
            if event.event_type() != EventType::KEY {
                continue;
            }
            if let Some(key) = decode(KeyEvent { code: event.code(), value: event.value() }) {
                return Ok(key);
            }
        }
    }
}
