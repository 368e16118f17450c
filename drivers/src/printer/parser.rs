//! An incremental ESC/POS command parser: bytes in, commands out. It knows the length of
//! every command our encoder, receiptline and python-escpos send (and of the common others),
//! so it can skip what it does not act on without losing its place. It never panics: an
//! unknown command is skipped by its two-byte prefix and reported.
//!
//! The simulator executes what it parses; the driver uses it to find command boundaries
//! (a status query may only go between commands, never inside image data).

/// One parsed command. Text is raw bytes: decoding depends on the printer's mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Text(Vec<u8>),
    LineFeed,
    CarriageReturn,
    /// `ESC @`
    Init,
    /// `ESC t n`
    CodeTable(u8),
    /// `ESC R n`
    InternationalSet(u8),
    /// `FS &` / `FS .`
    DoubleByte(bool),
    /// `ESC E n` / `ESC G n`
    Bold(bool),
    /// `ESC ! n` (print mode: bit 3 bold, bit 4 double height, bit 5 double width)
    PrintMode(u8),
    /// `GS ! n`
    Size(u8),
    /// `ESC a n`
    Align(u8),
    /// `ESC $ nL nH`: absolute horizontal position, in dots from the left margin.
    AbsolutePosition(u16),
    /// `ESC \ nL nH`: relative horizontal position, in dots (signed).
    RelativePosition(i16),
    /// `ESC d n` (lines) / `ESC J n` (dots)
    FeedLines(u8),
    FeedDots(u8),
    /// A raster image: `GS v 0`, `GS ( L`/`GS 8 L` stored raster, or `ESC *` columns.
    Raster {
        width: u32,
        height: u32,
        data: Vec<u8>,
        scale_x: u8,
        scale_y: u8,
    },
    /// `GS ( L` / `GS 8 L` function 50: print the stored graphics.
    PrintStoredGraphics,
    /// `GS ( k` with cn 49: a QR function and its parameters.
    Qr {
        function: u8,
        params: Vec<u8>,
    },
    /// `GS k`: system and data.
    Barcode {
        system: u8,
        data: Vec<u8>,
    },
    /// `GS V`
    Cut {
        partial: bool,
    },
    /// `ESC p m t1 t2`
    DrawerKick {
        pin: u8,
    },
    /// `DLE EOT n`: real-time status.
    RealTimeStatus(u8),
    /// `DLE ENQ n`: real-time request (2 = recover and clear buffers).
    RealTimeRequest(u8),
    /// `DLE DC4 8 …`: clear buffers.
    ClearBuffers,
    /// `GS a n`
    AsbEnable(u8),
    /// `GS r n`
    TransmitStatus(u8),
    /// `GS I n`
    TransmitId(u8),
    /// A known command the simulator does not act on (spacing, margins, HRI font…).
    Ignored(&'static str),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// A command and how many bytes it took.
    Command(Command, usize),
    /// An unknown or malformed sequence of this many bytes, skipped.
    Garbage(usize),
    /// The buffer ends inside a command.
    NeedMore,
}

const ESC: u8 = 0x1B;
const GS: u8 = 0x1D;
const FS: u8 = 0x1C;
const DLE: u8 = 0x10;

/// Largest image or data block accepted (a 576-dot × 4000-dot raster is 288 KB).
const MAX_DATA: usize = 1 << 20;

/// Parses the command at the start of `buf`.
pub fn parse(buf: &[u8]) -> Parsed {
    let Some(&b0) = buf.first() else { return Parsed::NeedMore };
    let need = |n: usize| buf.len() < n;
    let arg = |i: usize| buf[i];
    macro_rules! fixed {
        ($len:expr, $cmd:expr) => {
            if need($len) { Parsed::NeedMore } else { Parsed::Command($cmd, $len) }
        };
    }
    match b0 {
        0x0A => Parsed::Command(Command::LineFeed, 1),
        0x0D => Parsed::Command(Command::CarriageReturn, 1),
        0x09 | 0x0C | 0x00 | 0x18 => Parsed::Command(Command::Ignored("control"), 1),
        ESC => {
            let Some(&c) = buf.get(1) else { return Parsed::NeedMore };
            match c {
                b'@' => Parsed::Command(Command::Init, 2),
                b'2' | b'<' | b'L' | b'S' | b'i' | b'm' => Parsed::Command(Command::Ignored("mode"), 2),
                b'E' | b'G' => fixed!(3, Command::Bold(arg(2) & 1 == 1)),
                b'!' => fixed!(3, Command::PrintMode(arg(2))),
                b'a' => fixed!(3, Command::Align(arg(2) % 48)),
                b'd' => fixed!(3, Command::FeedLines(arg(2))),
                b'J' => fixed!(3, Command::FeedDots(arg(2))),
                b't' => fixed!(3, Command::CodeTable(arg(2))),
                b'R' => fixed!(3, Command::InternationalSet(arg(2))),
                b'-' | b'3' | b'M' | b'V' | b'{' | b'r' | b' ' | b'T' | b'=' | b'U' | b'e' | b'%' | b'?' => {
                    fixed!(3, Command::Ignored("mode"))
                }
                b'$' => fixed!(4, Command::AbsolutePosition(u16::from_le_bytes([arg(2), arg(3)]))),
                b'\\' => fixed!(4, Command::RelativePosition(i16::from_le_bytes([arg(2), arg(3)]))),
                b'c' => fixed!(4, Command::Ignored("panel/sensor")),
                b'p' => fixed!(5, Command::DrawerKick { pin: arg(2) & 1 }),
                b'W' => fixed!(10, Command::Ignored("print area")),
                b'D' => match buf[2..].iter().take(33).position(|&x| x == 0) {
                    Some(end) => Parsed::Command(Command::Ignored("tabs"), 3 + end),
                    None if buf.len() < 35 => Parsed::NeedMore,
                    None => Parsed::Garbage(2),
                },
                b'*' => {
                    if need(5) {
                        return Parsed::NeedMore;
                    }
                    let m = arg(2);
                    let columns = usize::from(arg(3)) | usize::from(arg(4)) << 8;
                    let bytes_per_column = if m <= 1 { 1 } else { 3 };
                    let len = 5 + columns * bytes_per_column;
                    if need(len) {
                        return Parsed::NeedMore;
                    }
                    Parsed::Command(column_image(&buf[5..len], columns, bytes_per_column, m), len)
                }
                _ => Parsed::Garbage(2),
            }
        }
        GS => {
            let Some(&c) = buf.get(1) else { return Parsed::NeedMore };
            match c {
                b'!' => fixed!(3, Command::Size(arg(2))),
                b'a' => fixed!(3, Command::AsbEnable(arg(2))),
                b'r' => fixed!(3, Command::TransmitStatus(arg(2))),
                b'I' => fixed!(3, Command::TransmitId(arg(2))),
                b'B' | b'H' | b'b' | b'f' | b'h' | b'w' | b'T' | b'/' => fixed!(3, Command::Ignored("mode")),
                b'L' | b'W' | b'P' | b'$' | b'\\' => fixed!(4, Command::Ignored("layout")),
                b'^' => fixed!(5, Command::Ignored("macro")),
                b'V' => {
                    if need(3) {
                        return Parsed::NeedMore;
                    }
                    match arg(2) {
                        0 | 48 => Parsed::Command(Command::Cut { partial: false }, 3),
                        1 | 49 => Parsed::Command(Command::Cut { partial: true }, 3),
                        65 | 97 | 103 => fixed!(4, Command::Cut { partial: false }),
                        66 | 98 | 104 => fixed!(4, Command::Cut { partial: true }),
                        _ => Parsed::Garbage(3),
                    }
                }
                b'k' => {
                    if need(3) {
                        return Parsed::NeedMore;
                    }
                    let system = arg(2);
                    if system <= 6 {
                        match buf[3..].iter().take(256).position(|&x| x == 0) {
                            Some(end) => Parsed::Command(
                                Command::Barcode { system, data: buf[3..3 + end].to_vec() },
                                4 + end,
                            ),
                            None if buf.len() < 259 => Parsed::NeedMore,
                            None => Parsed::Garbage(3),
                        }
                    } else if (65..=79).contains(&system) {
                        if need(4) {
                            return Parsed::NeedMore;
                        }
                        let len = 4 + usize::from(arg(3));
                        fixed!(len, Command::Barcode { system, data: buf[4..len].to_vec() })
                    } else {
                        Parsed::Garbage(3)
                    }
                }
                b'v' => {
                    if need(8) {
                        return Parsed::NeedMore;
                    }
                    if arg(2) != b'0' {
                        return Parsed::Garbage(3);
                    }
                    let m = arg(3);
                    let x = u32::from(arg(4)) | u32::from(arg(5)) << 8;
                    let y = u32::from(arg(6)) | u32::from(arg(7)) << 8;
                    let len = 8 + (x * y) as usize;
                    if len - 8 > MAX_DATA {
                        return Parsed::Garbage(8);
                    }
                    if need(len) {
                        return Parsed::NeedMore;
                    }
                    let (scale_x, scale_y) = (1 + (m & 1), 1 + ((m >> 1) & 1));
                    Parsed::Command(
                        Command::Raster {
                            width: x * 8,
                            height: y,
                            data: buf[8..len].to_vec(),
                            scale_x,
                            scale_y,
                        },
                        len,
                    )
                }
                b'(' => {
                    if need(5) {
                        return Parsed::NeedMore;
                    }
                    let f = arg(2);
                    let p = usize::from(arg(3)) | usize::from(arg(4)) << 8;
                    let len = 5 + p;
                    if need(len) {
                        return Parsed::NeedMore;
                    }
                    let body = &buf[5..len];
                    Parsed::Command(extended(f, body), len)
                }
                b'8' => {
                    // GS 8 L p1 p2 p3 p4 m fn …: GS ( L with a 32-bit length
                    if need(7) {
                        return Parsed::NeedMore;
                    }
                    if arg(2) != b'L' {
                        return Parsed::Garbage(3);
                    }
                    let p = u32::from_le_bytes([arg(3), arg(4), arg(5), arg(6)]) as usize;
                    if p > MAX_DATA {
                        return Parsed::Garbage(7);
                    }
                    let len = 7 + p;
                    if need(len) {
                        return Parsed::NeedMore;
                    }
                    Parsed::Command(extended(b'L', &buf[7..len]), len)
                }
                _ => Parsed::Garbage(2),
            }
        }
        FS => {
            let Some(&c) = buf.get(1) else { return Parsed::NeedMore };
            match c {
                b'&' => Parsed::Command(Command::DoubleByte(true), 2),
                b'.' => Parsed::Command(Command::DoubleByte(false), 2),
                b'!' | b'-' | b'C' | b'W' => fixed!(3, Command::Ignored("kanji mode")),
                b'S' | b'p' => fixed!(4, Command::Ignored("kanji spacing / NV image")),
                b'(' => {
                    if need(5) {
                        return Parsed::NeedMore;
                    }
                    let len = 5 + (usize::from(arg(3)) | usize::from(arg(4)) << 8);
                    fixed!(len, Command::Ignored("FS ( function"))
                }
                _ => Parsed::Garbage(2),
            }
        }
        DLE => {
            let Some(&c) = buf.get(1) else { return Parsed::NeedMore };
            match c {
                0x04 => fixed!(3, Command::RealTimeStatus(arg(2))),
                0x05 => fixed!(3, Command::RealTimeRequest(arg(2))),
                0x14 => {
                    if need(3) {
                        return Parsed::NeedMore;
                    }
                    match arg(2) {
                        8 => fixed!(10, Command::ClearBuffers),
                        1 | 2 | 7 => fixed!(5, Command::Ignored("DLE DC4")),
                        _ => Parsed::Garbage(3),
                    }
                }
                _ => Parsed::Garbage(1),
            }
        }
        0x01..=0x1F | 0x7F => Parsed::Garbage(1),
        _ => {
            let end = buf.iter().position(|&x| x < 0x20 || x == 0x7F).unwrap_or(buf.len());
            Parsed::Command(Command::Text(buf[..end].to_vec()), end)
        }
    }
}

/// `GS ( f` / `GS 8 L` bodies: QR (k, cn 49) and graphics (L).
fn extended(f: u8, body: &[u8]) -> Command {
    match (f, body) {
        (b'k', [49, function, params @ ..]) => Command::Qr { function: *function, params: params.to_vec() },
        (b'L', [48, 50, ..]) | (b'L', [48, 2, ..]) => Command::PrintStoredGraphics,
        // fn 112: m=48 fn=112 a bx by c xL xH yL yH data (raster, column-major = no)
        (b'L', [48, 112, 48, bx, by, _c, xl, xh, yl, yh, data @ ..]) => {
            let width = u32::from(*xl) | u32::from(*xh) << 8;
            let height = u32::from(*yl) | u32::from(*yh) << 8;
            let stride = width.div_ceil(8) as usize;
            let needed = stride * height as usize;
            if data.len() < needed {
                return Command::Ignored("short graphics data");
            }
            Command::Raster {
                width,
                height,
                data: data[..needed].to_vec(),
                scale_x: (*bx).max(1),
                scale_y: (*by).max(1),
            }
        }
        _ => Command::Ignored("GS ( function"),
    }
}

/// `ESC *` column-format bit image → row-major raster.
fn column_image(data: &[u8], columns: usize, bytes_per_column: usize, m: u8) -> Command {
    let height = (bytes_per_column * 8) as u32;
    let width = columns as u32;
    let stride = width.div_ceil(8) as usize;
    let mut raster = vec![0u8; stride * height as usize];
    for col in 0..columns {
        for b in 0..bytes_per_column {
            let byte = data[col * bytes_per_column + b];
            for bit in 0..8 {
                if byte & (0x80 >> bit) != 0 {
                    let y = b * 8 + bit;
                    raster[y * stride + col / 8] |= 0x80 >> (col % 8);
                }
            }
        }
    }
    let scale_x = if m == 0 || m == 32 { 2 } else { 1 };
    let scale_y = if m <= 1 { 3 } else { 1 };
    Command::Raster { width, height, data: raster, scale_x, scale_y }
}

/// The end of the command that contains byte `at` of `stream` (parsed from the start), or
/// `at` itself when `at` already is a boundary.
pub fn command_end(stream: &[u8], at: usize) -> usize {
    let mut pos = 0;
    while pos < at {
        match parse(&stream[pos..]) {
            Parsed::Command(_, n) | Parsed::Garbage(n) => pos += n,
            Parsed::NeedMore => return stream.len(),
        }
    }
    pos
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(mut buf: &[u8]) -> Vec<Parsed> {
        let mut out = Vec::new();
        while !buf.is_empty() {
            let p = parse(buf);
            let used = match &p {
                Parsed::Command(_, n) | Parsed::Garbage(n) => *n,
                Parsed::NeedMore => break,
            };
            out.push(p);
            buf = &buf[used..];
        }
        out
    }

    #[test]
    fn commands_text_and_status() {
        let cmds = all(b"\x1b@\x1bt\x00\x1c&\x1bR\x0d\xbf\xb5\n\x10\x04\x04\x1dV\x42\x00");
        let kinds: Vec<_> = cmds
            .iter()
            .map(|p| match p {
                Parsed::Command(c, _) => c.clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            kinds,
            vec![
                Command::Init,
                Command::CodeTable(0),
                Command::DoubleByte(true),
                Command::InternationalSet(13),
                Command::Text(vec![0xBF, 0xB5]),
                Command::LineFeed,
                Command::RealTimeStatus(4),
                Command::Cut { partial: true },
            ]
        );
    }

    #[test]
    fn truncated_commands_wait_and_unknown_ones_are_skipped() {
        assert_eq!(parse(b"\x1d\x76\x30\x00\x02\x00\x02\x00\xff"), Parsed::NeedMore);
        assert_eq!(parse(b"\x1d(k\x03\x00\x31"), Parsed::NeedMore);
        assert_eq!(parse(b"\x1b\xff"), Parsed::Garbage(2));
        assert_eq!(parse(b"\x07"), Parsed::Garbage(1));
        match parse(b"\x1d\x76\x30\x00\x01\x00\x02\x00\xf0\x0f") {
            Parsed::Command(Command::Raster { width: 8, height: 2, data, .. }, 10) => {
                assert_eq!(data, [0xF0, 0x0F])
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn command_ends() {
        let stream = b"\x1b@\x1d\x76\x30\x00\x01\x00\x02\x00\xf0\x0fab\n";
        assert_eq!(command_end(stream, 0), 0);
        assert_eq!(command_end(stream, 1), 2);
        assert_eq!(command_end(stream, 5), 12, "inside the raster: its end");
        assert_eq!(command_end(stream, 12), 12);
        assert_eq!(command_end(stream, 13), 14);
    }

    #[test]
    fn qr_functions() {
        assert_eq!(
            parse(b"\x1d(k\x07\x00\x31\x50\x30abcd"),
            Parsed::Command(Command::Qr { function: 80, params: b"0abcd".to_vec() }, 12)
        );
    }
}
