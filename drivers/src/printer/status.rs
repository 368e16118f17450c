//! Printer status, decoded from the bytes a printer sends back (sans-IO).
//!
//! Three kinds of reply share the line and are told apart by their first byte (the rules
//! receiptio uses):
//! - `DLE EOT n` replies, one byte with `(b & 0x93) == 0x12`;
//! - Automatic Status Back messages, four bytes, the first with `(b & 0x93) == 0x10`, the
//!   others with `(b & 0x90) == 0`; they arrive unprompted on every status change;
//! - block data (`GS I`, `GS ( E` replies): a first byte of 0x35, 0x37, 0x3B, 0x3D or 0x5F,
//!   then bytes up to a NUL.
//!
//! The reply to `GS r 1` (paper sensor) is one byte with `(b & 0x90) == 0`; it is only taken
//! as such while one is expected. Anything else is garbage: it is reported and skipped, and
//! decoding resumes at the next byte.

use std::collections::VecDeque;

/// Paper on the roll.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PaperLevel {
    #[default]
    Ok,
    NearEnd,
    Out,
}

/// Everything the printer has told us, merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PrinterStatus {
    pub offline: bool,
    pub cover_open: bool,
    pub paper: PaperLevel,
    pub cutter_error: bool,
    pub mechanical_error: bool,
    pub unrecoverable_error: bool,
    pub auto_recoverable_error: bool,
    /// Drawer connector pin 3 is high (on most drawers: open).
    pub drawer_open: bool,
    pub feed_button: bool,
}

/// The one state to show an operator, most serious first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrinterState {
    UnrecoverableError,
    CutterError,
    CoverOpen,
    PaperOut,
    Offline,
    /// Printing works; the roll should be changed soon.
    PaperNearEnd,
    Ready,
}

impl PrinterStatus {
    pub fn state(&self) -> PrinterState {
        if self.unrecoverable_error || self.mechanical_error {
            PrinterState::UnrecoverableError
        } else if self.cutter_error {
            PrinterState::CutterError
        } else if self.cover_open {
            PrinterState::CoverOpen
        } else if self.paper == PaperLevel::Out {
            PrinterState::PaperOut
        } else if self.offline || self.auto_recoverable_error {
            PrinterState::Offline
        } else if self.paper == PaperLevel::NearEnd {
            PrinterState::PaperNearEnd
        } else {
            PrinterState::Ready
        }
    }

    /// Can a job print to its end right now?
    pub fn can_print(&self) -> bool {
        matches!(self.state(), PrinterState::Ready | PrinterState::PaperNearEnd)
    }
}

/// A query whose one-byte reply we are waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Query {
    /// `DLE EOT n`, n = 1..=4.
    RealTime(u8),
    /// `GS r 1`.
    PaperSensor,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusEvent {
    /// A `DLE EOT n` reply.
    RealTime { n: u8, byte: u8 },
    /// An Automatic Status Back message.
    Asb([u8; 4]),
    /// The `GS r 1` reply: every byte sent before it has been processed.
    PaperSensor(u8),
    /// A block reply (`GS I` and the like), without its NUL.
    Block(Vec<u8>),
    /// Bytes that fit no reply, skipped.
    Garbage(Vec<u8>),
}

const BLOCK_STARTS: [u8; 5] = [0x35, 0x37, 0x3B, 0x3D, 0x5F];
const MAX_BLOCK: usize = 80;

#[derive(Debug, Default)]
pub struct StatusDecoder {
    pending: VecDeque<Query>,
    buf: Vec<u8>,
    status: PrinterStatus,
    asb_seen: bool,
}

impl StatusDecoder {
    pub fn new() -> StatusDecoder {
        StatusDecoder::default()
    }

    /// Tells the decoder a query was sent, so its reply can be recognised.
    pub fn expect(&mut self, query: Query) {
        self.pending.push_back(query);
    }

    /// Forgets queries that will never be answered (after a timeout or reconnect).
    pub fn reset(&mut self) {
        self.pending.clear();
        self.buf.clear();
    }

    /// Drops the expectation of a reply that will not come (its query was cleared).
    pub fn forget(&mut self, query: Query) {
        self.pending.retain(|q| *q != query);
    }

    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    pub fn status(&self) -> PrinterStatus {
        self.status
    }

    /// Whether an ASB message has arrived since the last reset of the status.
    pub fn asb_seen(&self) -> bool {
        self.asb_seen
    }

    /// Feeds received bytes; returns the replies decoded (and garbage skipped) from them.
    /// An incomplete reply at the end is kept for the next call.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<StatusEvent> {
        self.buf.extend_from_slice(bytes);
        let mut events = Vec::new();
        let mut garbage = Vec::new();
        loop {
            match self.next_reply() {
                Step::Reply(event, used) => {
                    if !garbage.is_empty() {
                        events.push(StatusEvent::Garbage(std::mem::take(&mut garbage)));
                    }
                    self.apply(&event);
                    events.push(event);
                    self.buf.drain(..used);
                }
                Step::Garbage => garbage.push(self.buf.remove(0)),
                Step::NeedMore => break,
            }
        }
        if !garbage.is_empty() {
            events.push(StatusEvent::Garbage(garbage));
        }
        events
    }

    fn next_reply(&mut self) -> Step {
        let Some(&b) = self.buf.first() else { return Step::NeedMore };
        let waiting_real_time = self.pending.iter().position(|q| matches!(q, Query::RealTime(_)));
        if b & 0x93 == 0x12 {
            if let Some(i) = waiting_real_time {
                let Some(Query::RealTime(n)) = self.pending.remove(i) else { unreachable!() };
                return Step::Reply(StatusEvent::RealTime { n, byte: b }, 1);
            }
            return Step::Garbage;
        }
        if b & 0x93 == 0x10 {
            // An ASB message if the next three bytes fit; otherwise b was noise.
            if self.buf.iter().skip(1).take(3).any(|x| x & 0x90 != 0) {
                return Step::Garbage;
            }
            if self.buf.len() < 4 {
                return Step::NeedMore;
            }
            let msg = [self.buf[0], self.buf[1], self.buf[2], self.buf[3]];
            return Step::Reply(StatusEvent::Asb(msg), 4);
        }
        if BLOCK_STARTS.contains(&b) {
            return match self.buf.iter().take(MAX_BLOCK).position(|&x| x == 0) {
                Some(end) => Step::Reply(StatusEvent::Block(self.buf[..end].to_vec()), end + 1),
                None if self.buf.len() < MAX_BLOCK => Step::NeedMore,
                None => Step::Garbage,
            };
        }
        if b & 0x90 == 0
            && let Some(i) = self.pending.iter().position(|q| *q == Query::PaperSensor)
        {
            self.pending.remove(i);
            return Step::Reply(StatusEvent::PaperSensor(b), 1);
        }
        Step::Garbage
    }

    fn apply(&mut self, event: &StatusEvent) {
        let s = &mut self.status;
        match *event {
            StatusEvent::RealTime { n: 1, byte } => {
                s.drawer_open = byte & 0x04 != 0;
                s.offline = byte & 0x08 != 0;
            }
            StatusEvent::RealTime { n: 2, byte } => {
                s.cover_open = byte & 0x04 != 0;
                s.feed_button = byte & 0x08 != 0;
                if byte & 0x20 != 0 {
                    s.paper = PaperLevel::Out;
                }
            }
            StatusEvent::RealTime { n: 3, byte } => {
                s.mechanical_error = byte & 0x04 != 0;
                s.cutter_error = byte & 0x08 != 0;
                s.unrecoverable_error = byte & 0x20 != 0;
                s.auto_recoverable_error = byte & 0x40 != 0;
            }
            StatusEvent::RealTime { n: 4, byte } => s.paper = paper_level(byte & 0x60 != 0, byte & 0x0C != 0),
            StatusEvent::RealTime { .. } => {}
            StatusEvent::Asb([b1, b2, b3, _]) => {
                self.asb_seen = true;
                s.drawer_open = b1 & 0x04 != 0;
                s.offline = b1 & 0x08 != 0;
                s.cover_open = b1 & 0x20 != 0;
                s.feed_button = b1 & 0x40 != 0;
                s.mechanical_error = b2 & 0x04 != 0;
                s.cutter_error = b2 & 0x08 != 0;
                s.unrecoverable_error = b2 & 0x20 != 0;
                s.auto_recoverable_error = b2 & 0x40 != 0;
                s.paper = paper_level(b3 & 0x0C != 0, b3 & 0x03 != 0);
            }
            StatusEvent::PaperSensor(b) => s.paper = paper_level(b & 0x0C != 0, b & 0x03 != 0),
            StatusEvent::Block(_) | StatusEvent::Garbage(_) => {}
        }
    }
}

fn paper_level(out: bool, near_end: bool) -> PaperLevel {
    if out {
        PaperLevel::Out
    } else if near_end {
        PaperLevel::NearEnd
    } else {
        PaperLevel::Ok
    }
}

enum Step {
    Reply(StatusEvent, usize),
    Garbage,
    NeedMore,
}

/// The printer side of the same bytes: what a printer in `status` answers. The simulator
/// uses these; they are here, beside the decoder, so the two cannot drift apart.
pub mod encode {
    use super::{PaperLevel, PrinterStatus};

    pub fn real_time(n: u8, s: &PrinterStatus) -> u8 {
        let bit = |on: bool, b: u8| if on { b } else { 0 };
        0x12 | match n {
            1 => bit(s.drawer_open, 0x04) | bit(s.offline, 0x08),
            2 => {
                bit(s.cover_open, 0x04)
                    | bit(s.feed_button, 0x08)
                    | bit(s.paper == PaperLevel::Out, 0x20)
                    | bit(
                        s.offline && !s.cover_open && s.paper != PaperLevel::Out
                            || s.unrecoverable_error
                            || s.cutter_error,
                        0x40,
                    )
            }
            3 => {
                bit(s.mechanical_error, 0x04)
                    | bit(s.cutter_error, 0x08)
                    | bit(s.unrecoverable_error, 0x20)
                    | bit(s.auto_recoverable_error, 0x40)
            }
            4 => bit(s.paper != PaperLevel::Ok, 0x0C) | bit(s.paper == PaperLevel::Out, 0x60),
            _ => 0,
        }
    }

    pub fn asb(s: &PrinterStatus) -> [u8; 4] {
        let bit = |on: bool, b: u8| if on { b } else { 0 };
        [
            0x10 | bit(s.drawer_open, 0x04)
                | bit(s.offline, 0x08)
                | bit(s.cover_open, 0x20)
                | bit(s.feed_button, 0x40),
            bit(s.mechanical_error, 0x04)
                | bit(s.cutter_error, 0x08)
                | bit(s.unrecoverable_error, 0x20)
                | bit(s.auto_recoverable_error, 0x40),
            bit(s.paper != PaperLevel::Ok, 0x03) | bit(s.paper == PaperLevel::Out, 0x0C),
            0,
        ]
    }

    pub fn paper_sensor(s: &PrinterStatus) -> u8 {
        let bit = |on: bool, b: u8| if on { b } else { 0 };
        bit(s.paper != PaperLevel::Ok, 0x03) | bit(s.paper == PaperLevel::Out, 0x0C)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_replies_mean_ready() {
        let mut d = StatusDecoder::new();
        for n in 1..=4 {
            d.expect(Query::RealTime(n));
        }
        let events = d.feed(&[0x12, 0x12, 0x12, 0x12]);
        assert_eq!(events.len(), 4);
        assert_eq!(d.status().state(), PrinterState::Ready);
        assert_eq!(d.pending(), 0);
    }

    #[test]
    fn real_time_bits() {
        let mut d = StatusDecoder::new();
        d.expect(Query::RealTime(2));
        d.feed(&[0x16]);
        assert_eq!(d.status().state(), PrinterState::CoverOpen);
        d.expect(Query::RealTime(2));
        d.expect(Query::RealTime(4));
        d.feed(&[0x12, 0x72]);
        assert_eq!(d.status().state(), PrinterState::PaperOut);
        d.expect(Query::RealTime(4));
        d.feed(&[0x1E]);
        assert_eq!(d.status().state(), PrinterState::PaperNearEnd);
        d.expect(Query::RealTime(1));
        d.feed(&[0x1A]);
        assert_eq!(d.status().state(), PrinterState::Offline);
        d.expect(Query::RealTime(3));
        d.feed(&[0x1A]);
        assert_eq!(d.status().state(), PrinterState::CutterError);
    }

    #[test]
    fn asb_and_dle_eot_interleave_on_one_line() {
        let mut d = StatusDecoder::new();
        d.expect(Query::RealTime(1));
        // an ASB (cover open) glued to the DLE EOT 1 reply, then the paper sensor reply,
        // arriving one byte at a time
        d.expect(Query::PaperSensor);
        let mut events = Vec::new();
        for b in [0x30, 0x00, 0x00, 0x00, 0x16, 0x00] {
            events.extend(d.feed(&[b]));
        }
        assert_eq!(
            events,
            vec![
                StatusEvent::Asb([0x30, 0, 0, 0]),
                StatusEvent::RealTime { n: 1, byte: 0x16 },
                StatusEvent::PaperSensor(0)
            ]
        );
        assert!(d.status().cover_open && d.status().drawer_open && d.asb_seen());
    }

    #[test]
    fn garbage_is_reported_and_decoding_resumes() {
        let mut d = StatusDecoder::new();
        d.expect(Query::RealTime(4));
        let events = d.feed(&[0xFF, 0x80, 0x10, 0xFF, 0x72]);
        assert_eq!(
            events,
            vec![
                StatusEvent::Garbage(vec![0xFF, 0x80, 0x10, 0xFF]),
                StatusEvent::RealTime { n: 4, byte: 0x72 }
            ]
        );
        // an unexpected DLE EOT-shaped byte with nothing pending is garbage too
        assert_eq!(d.feed(&[0x12]), vec![StatusEvent::Garbage(vec![0x12])]);
        // a block reply
        assert_eq!(d.feed(b"_TM-T88V\0"), vec![StatusEvent::Block(b"_TM-T88V".to_vec())]);
    }

    #[test]
    fn the_printer_side_encodes_what_the_decoder_reads() {
        let cases = [
            PrinterStatus::default(),
            PrinterStatus { cover_open: true, offline: true, ..Default::default() },
            PrinterStatus { paper: PaperLevel::Out, offline: true, ..Default::default() },
            PrinterStatus { paper: PaperLevel::NearEnd, drawer_open: true, ..Default::default() },
            PrinterStatus { cutter_error: true, offline: true, ..Default::default() },
        ];
        for s in cases {
            let mut d = StatusDecoder::new();
            d.feed(&encode::asb(&s));
            assert_eq!(d.status().state(), s.state(), "ASB {s:?}");
            let mut d = StatusDecoder::new();
            for n in 1..=4 {
                d.expect(Query::RealTime(n));
            }
            let replies: Vec<u8> = (1..=4).map(|n| encode::real_time(n, &s)).collect();
            assert!(replies.iter().all(|b| b & 0x93 == 0x12));
            d.feed(&replies);
            assert_eq!(d.status().state(), s.state(), "DLE EOT {s:?}");
        }
    }
}
