//! Serial / USB-CDC scanner framing (sans-IO): scans are delimited by a configurable suffix
//! (CR, CR LF or none) and, always, by an inter-character idle timeout, since some scanners
//! send no suffix. An optional prefix is stripped; AIM symbology identifiers (`]Q1`, `]E0`…)
//! are parsed when enabled. Buffers are bounded: an over-long or garbled scan is dropped with
//! a reason, never a crash.

use std::time::{Duration, Instant};

/// What ends a scan besides the idle timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Suffix {
    #[default]
    Cr,
    CrLf,
    None,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FramingOptions {
    pub suffix: Suffix,
    pub prefix: Option<String>,
    pub aim_ids: bool,
    /// A pause this long ends a scan (scanners send a code in one burst).
    pub idle_timeout: Duration,
    /// Longest scan accepted (a QR code can hold a few KB; wallet and item codes are short).
    pub max_len: usize,
}

impl Default for FramingOptions {
    fn default() -> Self {
        FramingOptions {
            suffix: Suffix::Cr,
            prefix: None,
            aim_ids: false,
            idle_timeout: Duration::from_millis(80),
            max_len: 2048,
        }
    }
}

/// A symbology, from the AIM identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Symbology {
    Qr,
    Ean13,
    Ean8,
    Code128,
    Gs1_128,
    DataMatrix,
    Code39,
    Itf,
    Gs1DataBar,
    Pdf417,
    Other(char, char),
}

impl Symbology {
    fn from_aim(code: char, modifier: char) -> Symbology {
        match (code, modifier) {
            ('Q', _) => Symbology::Qr,
            ('E', '4') => Symbology::Ean8,
            ('E', _) => Symbology::Ean13,
            ('C', '1') => Symbology::Gs1_128,
            ('C', _) => Symbology::Code128,
            ('d', _) => Symbology::DataMatrix,
            ('A', _) => Symbology::Code39,
            ('I', _) => Symbology::Itf,
            ('e', _) => Symbology::Gs1DataBar,
            ('L', _) => Symbology::Pdf417,
            (c, m) => Symbology::Other(c, m),
        }
    }

    /// Linear (1-D) codes: what payment apps show beside their QR.
    pub fn is_linear(self) -> bool {
        !matches!(self, Symbology::Qr | Symbology::DataMatrix | Symbology::Pdf417)
    }
}

/// One scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    pub data: String,
    pub symbology: Option<Symbology>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanEvent {
    Scan(Scan),
    /// Dropped, with the reason (for the log; the customer is told to scan again).
    Rejected(String),
}

#[derive(Debug)]
pub struct Framer {
    options: FramingOptions,
    buf: Vec<u8>,
    overflowed: bool,
    last_byte: Option<Instant>,
}

impl Framer {
    pub fn new(options: FramingOptions) -> Framer {
        Framer { options, buf: Vec::new(), overflowed: false, last_byte: None }
    }

    /// When a pending partial scan ends by idleness.
    pub fn poll_timeout(&self) -> Option<Instant> {
        (!self.buf.is_empty() || self.overflowed)
            .then(|| self.last_byte.map(|t| t + self.options.idle_timeout))
            .flatten()
    }

    /// Ends a pending scan whose bytes stopped coming.
    pub fn handle_timeout(&mut self, now: Instant) -> Vec<ScanEvent> {
        match self.poll_timeout() {
            Some(t) if now >= t => self.finish().into_iter().collect(),
            _ => Vec::new(),
        }
    }

    pub fn feed(&mut self, bytes: &[u8], now: Instant) -> Vec<ScanEvent> {
        let mut out = Vec::new();
        // A pause before these bytes already ended the previous scan.
        if self.poll_timeout().is_some_and(|t| now >= t) {
            out.extend(self.finish());
        }
        for &b in bytes {
            let ends = match self.options.suffix {
                Suffix::Cr => b == b'\r',
                Suffix::CrLf => b == b'\n',
                Suffix::None => false,
            };
            if ends {
                out.extend(self.finish());
                continue;
            }
            if self.options.suffix == Suffix::CrLf && b == b'\r' {
                continue;
            }
            if self.options.suffix == Suffix::Cr && b == b'\n' && self.buf.is_empty() {
                continue; // a stray LF after CR
            }
            if self.buf.len() >= self.options.max_len {
                self.overflowed = true;
            } else {
                self.buf.push(b);
            }
        }
        self.last_byte = Some(now);
        out
    }

    fn finish(&mut self) -> Option<ScanEvent> {
        let bytes = std::mem::take(&mut self.buf);
        let overflowed = std::mem::replace(&mut self.overflowed, false);
        if overflowed {
            return Some(ScanEvent::Rejected(format!("scan longer than {} bytes", self.options.max_len)));
        }
        if bytes.is_empty() {
            return None;
        }
        Some(match parse_scan(&bytes, &self.options) {
            Ok(scan) => ScanEvent::Scan(scan),
            Err(why) => ScanEvent::Rejected(why),
        })
    }
}

fn parse_scan(bytes: &[u8], options: &FramingOptions) -> Result<Scan, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "scan is not valid UTF-8".to_owned())?;
    let mut text = text;
    if let Some(prefix) = &options.prefix {
        text = text
            .strip_prefix(prefix.as_str())
            .ok_or_else(|| format!("scan without the prefix {prefix:?}"))?;
    }
    let mut symbology = None;
    if options.aim_ids {
        let mut chars = text.chars();
        match (chars.next(), chars.next(), chars.next()) {
            (Some(']'), Some(code), Some(modifier)) => {
                symbology = Some(Symbology::from_aim(code, modifier));
                text = &text[1 + code.len_utf8() + modifier.len_utf8()..];
            }
            _ => return Err("scan without an AIM identifier".to_owned()),
        }
    }
    if text.chars().any(|c| c.is_control() && c != '\u{1d}') {
        // GS (0x1D) is the GS1 separator and may appear; other controls are line noise.
        return Err("scan holds control characters".to_owned());
    }
    if text.is_empty() {
        return Err("empty scan".to_owned());
    }
    Ok(Scan { data: text.to_owned(), symbology })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scans(events: &[ScanEvent]) -> Vec<&str> {
        events
            .iter()
            .filter_map(|e| if let ScanEvent::Scan(s) = e { Some(s.data.as_str()) } else { None })
            .collect()
    }

    #[test]
    fn suffixes_split_scans_even_in_fragments() {
        let t = Instant::now();
        let mut f = Framer::new(FramingOptions::default());
        let mut events = f.feed(b"88012340", t);
        events.extend(f.feed(b"00011\r2810060", t));
        events.extend(f.feed(b"20000123456\r", t));
        assert_eq!(scans(&events), ["8801234000011", "281006020000123456"]);
        let mut f = Framer::new(FramingOptions { suffix: Suffix::CrLf, ..FramingOptions::default() });
        assert_eq!(scans(&f.feed(b"A1\r\nB2\r\n", t)), ["A1", "B2"]);
    }

    #[test]
    fn without_a_suffix_the_idle_timeout_ends_a_scan() {
        let t = Instant::now();
        let mut f = Framer::new(FramingOptions { suffix: Suffix::None, ..FramingOptions::default() });
        assert!(f.feed(b"8801234000011", t).is_empty());
        assert_eq!(f.poll_timeout(), Some(t + Duration::from_millis(80)));
        assert!(f.handle_timeout(t + Duration::from_millis(79)).is_empty());
        assert_eq!(scans(&f.handle_timeout(t + Duration::from_millis(80))), ["8801234000011"]);
        // the next burst after a pause is a new scan, even before the timer is handled
        f.feed(b"111", t + Duration::from_secs(1));
        let events = f.feed(b"222", t + Duration::from_secs(2));
        assert_eq!(scans(&events), ["111"]);
    }

    #[test]
    fn aim_ids_and_prefixes() {
        let t = Instant::now();
        let mut f = Framer::new(FramingOptions {
            aim_ids: true,
            prefix: Some("#".into()),
            ..FramingOptions::default()
        });
        let events = f.feed(b"#]Q1https://hanip.example/t/12\r#]E08801234000011\r]E0123\r", t);
        match &events[..] {
            [ScanEvent::Scan(a), ScanEvent::Scan(b), ScanEvent::Rejected(why)] => {
                assert_eq!(
                    (a.symbology, a.data.as_str()),
                    (Some(Symbology::Qr), "https://hanip.example/t/12")
                );
                assert_eq!((b.symbology, b.data.as_str()), (Some(Symbology::Ean13), "8801234000011"));
                assert!(why.contains("prefix"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn garbage_is_bounded_and_rejected() {
        let t = Instant::now();
        let mut f = Framer::new(FramingOptions { max_len: 16, ..FramingOptions::default() });
        let events = f.feed(&[b'9'; 100], t);
        assert!(events.is_empty());
        let events = f.feed(b"\r", t);
        assert!(matches!(&events[..], [ScanEvent::Rejected(why)] if why.contains("longer")));
        let events = f.feed(b"\xff\xfe\r12\x07\r", t);
        assert!(
            matches!(&events[..], [ScanEvent::Rejected(a), ScanEvent::Rejected(b)] if a.contains("UTF-8") && b.contains("control"))
        );
        assert_eq!(scans(&f.feed(b"ok\r", t)), ["ok"], "and it goes on");
    }
}
