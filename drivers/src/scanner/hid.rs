//! HID keyboard-mode scanners: Linux key events (as evdev delivers them from the grabbed
//! device) decoded to text with a fixed US layout. Sans-IO: tests feed synthetic events; the
//! evdev reading itself is the thin device layer.

/// A key event: `value` 1 press, 0 release, 2 auto-repeat (ignored).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyEvent {
    pub code: u16,
    pub value: i32,
}

const KEY_ENTER: u16 = 28;
const KEY_KPENTER: u16 = 96;
const KEY_LEFTSHIFT: u16 = 42;
const KEY_RIGHTSHIFT: u16 = 54;
const KEY_CAPSLOCK: u16 = 58;

/// (plain, shifted) for a keycode, US layout.
fn us_layout(code: u16) -> Option<(char, char)> {
    const ROW1: &[(char, char)] = &[
        ('1', '!'),
        ('2', '@'),
        ('3', '#'),
        ('4', '$'),
        ('5', '%'),
        ('6', '^'),
        ('7', '&'),
        ('8', '*'),
        ('9', '('),
        ('0', ')'),
        ('-', '_'),
        ('=', '+'),
    ];
    const ROW2: &str = "qwertyuiop";
    const ROW3: &str = "asdfghjkl";
    const ROW4: &str = "zxcvbnm";
    let letter = |row: &str, i: u16| row.chars().nth(usize::from(i)).map(|c| (c, c.to_ascii_uppercase()));
    match code {
        2..=13 => Some(ROW1[usize::from(code - 2)]),
        15 => Some(('\t', '\t')),
        16..=25 => letter(ROW2, code - 16),
        26 => Some(('[', '{')),
        27 => Some((']', '}')),
        30..=38 => letter(ROW3, code - 30),
        39 => Some((';', ':')),
        40 => Some(('\'', '"')),
        41 => Some(('`', '~')),
        43 => Some(('\\', '|')),
        44..=50 => letter(ROW4, code - 44),
        51 => Some((',', '<')),
        52 => Some(('.', '>')),
        53 => Some(('/', '?')),
        55 => Some(('*', '*')),
        57 => Some((' ', ' ')),
        71..=73 => Some(((b'7' + (code - 71) as u8) as char, (b'7' + (code - 71) as u8) as char)),
        74 => Some(('-', '-')),
        75..=77 => Some(((b'4' + (code - 75) as u8) as char, (b'4' + (code - 75) as u8) as char)),
        78 => Some(('+', '+')),
        79..=81 => Some(((b'1' + (code - 79) as u8) as char, (b'1' + (code - 79) as u8) as char)),
        82 => Some(('0', '0')),
        83 => Some(('.', '.')),
        98 => Some(('/', '/')),
        _ => None,
    }
}

#[derive(Debug, Default)]
pub struct HidDecoder {
    shift: u8,
    caps: bool,
    buf: String,
    max_len: usize,
    overflow: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HidOutput {
    Line(String),
    Rejected(String),
}

impl HidDecoder {
    pub fn new(max_len: usize) -> HidDecoder {
        HidDecoder { max_len, ..HidDecoder::default() }
    }

    pub fn feed(&mut self, e: KeyEvent) -> Option<HidOutput> {
        match (e.code, e.value) {
            (KEY_LEFTSHIFT | KEY_RIGHTSHIFT, 1) => self.shift = self.shift.saturating_add(1),
            (KEY_LEFTSHIFT | KEY_RIGHTSHIFT, 0) => self.shift = self.shift.saturating_sub(1),
            (KEY_CAPSLOCK, 1) => self.caps = !self.caps,
            (KEY_ENTER | KEY_KPENTER, 1) => {
                let line = std::mem::take(&mut self.buf);
                if std::mem::replace(&mut self.overflow, false) {
                    return Some(HidOutput::Rejected(format!(
                        "scan longer than {} characters",
                        self.max_len
                    )));
                }
                return (!line.is_empty()).then_some(HidOutput::Line(line));
            }
            (code, 1) => {
                let (plain, shifted) = us_layout(code)?;
                let upper = (self.shift > 0) != (self.caps && plain.is_ascii_alphabetic());
                let ch = if upper { shifted } else { plain };
                if self.buf.len() >= self.max_len {
                    self.overflow = true;
                } else {
                    self.buf.push(ch);
                }
            }
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: u16) -> [KeyEvent; 2] {
        [KeyEvent { code, value: 1 }, KeyEvent { code, value: 0 }]
    }

    #[test]
    fn keycodes_become_text() {
        let mut d = HidDecoder::new(64);
        // "Ab1-" then Enter: shift+a, b, 1, minus
        let mut events = vec![KeyEvent { code: KEY_LEFTSHIFT, value: 1 }];
        events.extend(press(30));
        events.push(KeyEvent { code: KEY_LEFTSHIFT, value: 0 });
        events.extend(press(48));
        events.extend(press(2));
        events.extend(press(12));
        events.extend(press(KEY_ENTER));
        let out: Vec<_> = events.into_iter().filter_map(|e| d.feed(e)).collect();
        assert_eq!(out, vec![HidOutput::Line("Ab1-".into())]);
        // caps lock inverts letters only; keypad digits
        let mut events: Vec<KeyEvent> = press(KEY_CAPSLOCK).to_vec();
        events.extend(press(16));
        events.extend(press(79));
        events.extend(press(KEY_KPENTER));
        let out: Vec<_> = events.into_iter().filter_map(|e| d.feed(e)).collect();
        assert_eq!(out, vec![HidOutput::Line("Q1".into())]);
    }

    #[test]
    fn over_long_input_is_rejected() {
        let mut d = HidDecoder::new(4);
        for _ in 0..10 {
            for e in press(2) {
                assert_eq!(d.feed(e), None);
            }
        }
        assert!(matches!(d.feed(KeyEvent { code: KEY_ENTER, value: 1 }), Some(HidOutput::Rejected(_))));
    }
}
