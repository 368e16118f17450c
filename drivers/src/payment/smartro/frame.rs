//! SMARTRO TL3500/TL3600 framing (sans-IO):
//!
//! ```text
//! STX | terminal id 16 | date-time 14 | job 1 | response 1 | length 2 (u16 LE) | data | ETX | BCC
//! ```
//!
//! The header is 35 bytes with STX; BCC is the XOR of every byte from STX through ETX. Outside
//! frames the line carries single ACK (06) and NACK (15) bytes. Field layouts follow the
//! public re-implementations cited in `shared/reference/protocols.md` §2.2.

pub const STX: u8 = 0x02;
pub const ETX: u8 = 0x03;
pub const ACK: u8 = 0x06;
pub const NACK: u8 = 0x15;
pub const HEADER_LEN: usize = 35;
/// Longest data part accepted (the longest response, `b`, has 157 bytes).
pub const MAX_DATA: usize = 1024;

/// One frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// ASCII, left-aligned, NUL-padded.
    pub terminal_id: [u8; 16],
    /// `YYYYMMDDhhmmss`.
    pub datetime: [u8; 14],
    /// Upper case: request; lower case: its response; `@`: an event.
    pub job: u8,
    /// 0 in requests.
    pub response: u8,
    pub data: Vec<u8>,
}

impl Frame {
    pub fn new(terminal_id: &str, datetime: &str, job: u8, data: Vec<u8>) -> Frame {
        Frame { terminal_id: pad_id(terminal_id), datetime: datetime_field(datetime), job, response: 0, data }
    }

    pub fn terminal_id(&self) -> String {
        String::from_utf8_lossy(&self.terminal_id).trim_end_matches(['\0', ' ']).to_owned()
    }

    pub fn is_event(&self) -> bool {
        self.job == b'@'
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + self.data.len() + 2);
        out.push(STX);
        out.extend_from_slice(&self.terminal_id);
        out.extend_from_slice(&self.datetime);
        out.push(self.job);
        out.push(self.response);
        out.extend_from_slice(&(self.data.len() as u16).to_le_bytes());
        out.extend_from_slice(&self.data);
        out.push(ETX);
        out.push(bcc(&out));
        out
    }
}

fn pad_id(id: &str) -> [u8; 16] {
    let mut out = [0u8; 16];
    for (o, b) in out.iter_mut().zip(id.bytes().filter(u8::is_ascii)) {
        *o = b;
    }
    out
}

fn datetime_field(s: &str) -> [u8; 14] {
    let mut out = *b"00000000000000";
    for (o, b) in out.iter_mut().zip(s.bytes().filter(u8::is_ascii_digit)) {
        *o = b;
    }
    out
}

/// XOR of the bytes.
pub fn bcc(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0, |a, b| a ^ b)
}

/// Why bytes that looked like a frame were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("BCC mismatch (got {got:02X}, computed {computed:02X})")]
    BadBcc { got: u8, computed: u8 },
    #[error("non-ASCII or malformed header field ({0})")]
    BadHeader(&'static str),
}

/// What the line brought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    Ack,
    Nack,
    Frame(Frame),
    /// A whole frame that fails its checks: answer with NACK.
    Invalid(FrameError),
    /// Bytes that are neither ACK, NACK nor a frame (noise, a frame cut short), skipped.
    Garbage(Vec<u8>),
}

/// Splits the incoming byte stream into tokens; resynchronises on the next STX after noise.
///
/// An ACK or NACK byte that follows noise is noise too: the tail of a frame cut short ends
/// in its BCC, which can be any byte, and taking it for the terminal's NACK would send a
/// charge again (and the terminal would approve it twice). A real ACK or NACK comes alone;
/// one lost this way costs a resend after the ACK timeout, never a second charge.
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
    after_noise: bool,
}

impl Decoder {
    pub fn new() -> Decoder {
        Decoder::default()
    }

    pub fn clear(&mut self) {
        self.buf.clear();
        self.after_noise = false;
    }

    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Token> {
        self.buf.extend_from_slice(bytes);
        let mut out = Vec::new();
        let mut garbage = Vec::new();
        while let Some(&b) = self.buf.first() {
            let step = match b {
                ACK | NACK if self.after_noise || !garbage.is_empty() => None,
                ACK => Some((Token::Ack, 1)),
                NACK => Some((Token::Nack, 1)),
                STX => match frame_at(&self.buf) {
                    FrameStep::Done(token, len) => Some((token, len)),
                    FrameStep::NotAFrame => None,
                    // Waiting for the rest of what may be a frame; but if a later STX starts a
                    // complete, valid frame, this one was noise (its length field lied).
                    FrameStep::NeedMore => match self.valid_frame_after_start() {
                        Some(k) => {
                            garbage.extend(self.buf.drain(..k));
                            continue;
                        }
                        None => break,
                    },
                },
                _ => None,
            };
            match step {
                Some((token, len)) => {
                    if !garbage.is_empty() {
                        out.push(Token::Garbage(std::mem::take(&mut garbage)));
                    }
                    out.push(token);
                    self.buf.drain(..len);
                    self.after_noise = false;
                }
                None => {
                    garbage.push(self.buf.remove(0));
                    self.after_noise = true;
                }
            }
        }
        if !garbage.is_empty() {
            out.push(Token::Garbage(garbage));
        }
        out
    }

    fn valid_frame_after_start(&self) -> Option<usize> {
        (1..self.buf.len())
            .filter(|&k| self.buf[k] == STX)
            .find(|&k| matches!(frame_at(&self.buf[k..]), FrameStep::Done(Token::Frame(_), _)))
    }
}

fn frame_at(buf: &[u8]) -> FrameStep {
    if buf.len() < HEADER_LEN {
        return FrameStep::NeedMore;
    }
    let len = usize::from(u16::from_le_bytes([buf[33], buf[34]]));
    if len > MAX_DATA {
        return FrameStep::NotAFrame;
    }
    let total = HEADER_LEN + len + 2;
    if buf.len() < total {
        return FrameStep::NeedMore;
    }
    if buf[HEADER_LEN + len] != ETX {
        // Wrong length or a noise STX: resynchronise at the next byte.
        return FrameStep::NotAFrame;
    }
    let computed = bcc(&buf[..total - 1]);
    let got = buf[total - 1];
    if got != computed {
        return FrameStep::Done(Token::Invalid(FrameError::BadBcc { got, computed }), total);
    }
    let token = match parse_header(&buf[..total]) {
        Ok(frame) => Token::Frame(frame),
        Err(e) => Token::Invalid(e),
    };
    FrameStep::Done(token, total)
}

enum FrameStep {
    NeedMore,
    Done(Token, usize),
    NotAFrame,
}

fn parse_header(frame: &[u8]) -> Result<Frame, FrameError> {
    let mut terminal_id = [0u8; 16];
    terminal_id.copy_from_slice(&frame[1..17]);
    if !terminal_id.iter().all(|b| *b == 0 || b.is_ascii_graphic() || *b == b' ') {
        return Err(FrameError::BadHeader("terminal id"));
    }
    let mut datetime = [0u8; 14];
    datetime.copy_from_slice(&frame[17..31]);
    if !datetime.iter().all(u8::is_ascii_digit) {
        return Err(FrameError::BadHeader("date-time"));
    }
    let job = frame[31];
    if !(job.is_ascii_alphabetic() || job == b'@') {
        return Err(FrameError::BadHeader("job code"));
    }
    let data = frame[HEADER_LEN..frame.len() - 2].to_vec();
    Ok(Frame { terminal_id, datetime, job, response: frame[32], data })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The device check request, written out byte by byte from the layout.
    #[test]
    fn golden_device_check_request() {
        let frame = Frame::new("1234567890", "20261122134501", b'A', Vec::new());
        let mut expected = vec![0x02];
        expected.extend_from_slice(b"1234567890\0\0\0\0\0\0");
        expected.extend_from_slice(b"20261122134501");
        expected.extend_from_slice(&[b'A', 0x00, 0x00, 0x00, 0x03]);
        let x = expected.iter().fold(0u8, |a, b| a ^ b);
        expected.push(x);
        assert_eq!(frame.encode(), expected);
        assert_eq!(expected.len(), 37);
        assert_eq!(frame.encode()[33..35], [0, 0], "little-endian length");
    }

    #[test]
    fn frames_round_trip_and_tokens_split_cleanly() {
        let f = Frame::new("T1", "20261122134501", b'b', vec![b'1'; 157]);
        let bytes = f.encode();
        assert_eq!(bytes[33..35], [157, 0]);
        let mut d = Decoder::new();
        let mut stream = vec![ACK];
        stream.extend_from_slice(&bytes);
        stream.push(NACK);
        let mut tokens = Vec::new();
        for b in &stream {
            tokens.extend(d.feed(&[*b]));
        }
        assert_eq!(tokens, vec![Token::Ack, Token::Frame(f), Token::Nack]);
    }

    #[test]
    fn bad_bcc_bad_header_and_noise() {
        let f = Frame::new("T1", "20261122134501", b'a', b"OOOO".to_vec());
        let mut bytes = f.encode();
        let last = bytes.len() - 1;
        bytes[last] ^= 0xFF;
        let mut d = Decoder::new();
        assert!(matches!(d.feed(&bytes)[..], [Token::Invalid(FrameError::BadBcc { .. })]));
        // non-digit date-time
        let mut bad = f.clone();
        bad.datetime[3] = b'X';
        assert_eq!(d.feed(&bad.encode()), vec![Token::Invalid(FrameError::BadHeader("date-time"))]);
        // noise (including a stray STX) before a good frame
        let mut noisy = vec![0xFF, 0x02, 0x41];
        noisy.extend_from_slice(&f.encode());
        let tokens = d.feed(&noisy);
        assert_eq!(tokens.last(), Some(&Token::Frame(f.clone())));
        assert!(matches!(tokens[0], Token::Garbage(_)));
        // a stray STX whose "length" points far beyond: the real frame behind it still decodes
        let mut liar = vec![STX];
        liar.extend_from_slice(&[b'x'; 32]);
        liar.extend_from_slice(&[0xF0, 0x03]); // length 1008
        liar.extend_from_slice(&f.encode());
        let tokens = d.feed(&liar);
        assert_eq!(tokens.last(), Some(&Token::Frame(f)), "{tokens:?}");
    }

    #[test]
    fn an_ack_or_nack_byte_that_ends_noise_is_noise() {
        let mut d = Decoder::new();
        // a frame's tail: data, ETX, and a BCC that happens to be NACK
        assert_eq!(d.feed(b"\xb1\xb9\x03\x15"), vec![Token::Garbage(b"\xb1\xb9\x03\x15".to_vec())]);
        // still noise when the byte comes in the next read
        assert_eq!(d.feed(b"\x06"), vec![Token::Garbage(vec![ACK])]);
        // a frame ends the noise: a lone NACK after it is the terminal's
        let f = Frame::new("T1", "20261122134501", b'a', b"OOOO".to_vec());
        let mut bytes = f.encode();
        bytes.push(NACK);
        assert_eq!(d.feed(&bytes), vec![Token::Frame(f), Token::Nack]);
    }
}
