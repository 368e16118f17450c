//! The tactile keypad of the barrier-free mode: arrows, OK, back, help, volume and speech
//! rate. USB keypads are keyboards to Linux; [`key_for`] maps their key codes (as evdev
//! delivers them) to [`Key`]s. Sans-IO; the evdev reading is `evdev_reader.rs` (feature
//! `hid`).

#[cfg(feature = "hid")]
pub mod evdev_reader;

use crate::scanner::hid::KeyEvent;

/// A keypad key, by what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key {
    Up,
    Down,
    Left,
    Right,
    Ok,
    Back,
    Help,
    VolumeUp,
    VolumeDown,
    Faster,
    Slower,
}

impl Key {
    /// Keys that repeat while held: moving through a long list, turning the volume.
    fn repeats(self) -> bool {
        matches!(self, Key::Up | Key::Down | Key::Left | Key::Right | Key::VolumeUp | Key::VolumeDown)
    }
}

/// The key a Linux key code stands for. Covers the arrow block, the numeric keypad (the
/// layout of most accessible kiosk keypads: 8 2 4 6 arrows, 5 OK, 0 back, . help, + −
/// volume, * / rate) and media keys.
pub fn key_for(code: u16) -> Option<Key> {
    Some(match code {
        103 | 72 => Key::Up,                // KEY_UP, KEY_KP8
        108 | 80 => Key::Down,              // KEY_DOWN, KEY_KP2
        105 | 75 => Key::Left,              // KEY_LEFT, KEY_KP4
        106 | 77 => Key::Right,             // KEY_RIGHT, KEY_KP6
        28 | 96 | 57 | 76 | 352 => Key::Ok, // ENTER, KPENTER, SPACE, KP5, KEY_OK
        1 | 14 | 158 | 82 => Key::Back,     // ESC, BACKSPACE, KEY_BACK, KP0
        138 | 59 | 83 => Key::Help,         // KEY_HELP, F1, KPDOT
        115 | 78 => Key::VolumeUp,          // KEY_VOLUMEUP, KPPLUS
        114 | 74 => Key::VolumeDown,        // KEY_VOLUMEDOWN, KPMINUS
        208 | 55 => Key::Faster,            // KEY_FASTFORWARD, KPASTERISK
        168 | 98 => Key::Slower,            // KEY_REWIND, KPSLASH
        _ => return None,
    })
}

/// A key event to a key press: presses, and auto-repeat for the keys that repeat. Releases
/// and keys the keypad does not use give nothing.
pub fn decode(event: KeyEvent) -> Option<Key> {
    let key = key_for(event.code)?;
    match event.value {
        1 => Some(key),
        2 if key.repeats() => Some(key),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: u16, value: i32) -> KeyEvent {
        KeyEvent { code, value }
    }

    #[test]
    fn arrows_and_numeric_keypad_mean_the_same() {
        assert_eq!(decode(ev(103, 1)), Some(Key::Up));
        assert_eq!(decode(ev(72, 1)), Some(Key::Up));
        assert_eq!(decode(ev(80, 1)), Some(Key::Down));
        assert_eq!(decode(ev(96, 1)), Some(Key::Ok));
        assert_eq!(decode(ev(76, 1)), Some(Key::Ok));
        assert_eq!(decode(ev(138, 1)), Some(Key::Help));
        assert_eq!(decode(ev(115, 1)), Some(Key::VolumeUp));
        assert_eq!(decode(ev(98, 1)), Some(Key::Slower));
    }

    #[test]
    fn releases_unknown_keys_and_repeated_ok_give_nothing() {
        assert_eq!(decode(ev(103, 0)), None);
        assert_eq!(decode(ev(30, 1)), None, "the letter a is no keypad key");
        assert_eq!(decode(ev(103, 2)), Some(Key::Up), "arrows repeat");
        assert_eq!(decode(ev(28, 2)), None, "a held OK must not order twice");
        assert_eq!(decode(ev(138, 2)), None, "a held help key calls once");
    }
}
