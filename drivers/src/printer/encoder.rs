//! Receipt → ESC/POS bytes. Sans-IO: a pure function of the receipt and the printer's
//! abilities.

use encoding_rs::EUC_KR;

use super::commands::*;
use super::raster::{gs_v_0, render_line};
use super::receipt::{BarcodeKind, Block, Line, QrLevel, Raster, Receipt, Style};

/// What the printer can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrinterProfile {
    /// The printer has the KS X 1001 Korean font (double-byte mode with `FS &`).
    pub korean_font: bool,
}

impl Default for PrinterProfile {
    fn default() -> Self {
        PrinterProfile { korean_font: true }
    }
}

/// The bytes of a receipt, and which of its text lines had to be sent as images.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    pub bytes: Vec<u8>,
    /// Text lines printed as raster because the printer's font lacks one of their glyphs.
    pub raster_lines: Vec<String>,
    pub text_lines: usize,
}

/// The KS X 1001 (EUC-KR) bytes of a character, or `None` when the printer's Korean font
/// cannot print it. EUC-KR as the web knows it is really CP949, which also encodes the 8,822
/// syllables KS X 1001 lacks (똠 = 8C 63): those are refused here, since a KS X 1001 font
/// has no glyph for them.
pub fn ks_x_1001(ch: char) -> Option<[u8; 2]> {
    let mut buf = [0u8; 4];
    let (bytes, _, had_errors) = EUC_KR.encode(ch.encode_utf8(&mut buf));
    match (had_errors, &bytes[..]) {
        (false, &[lead, trail]) if (0xA1..=0xFE).contains(&lead) && (0xA1..=0xFE).contains(&trail) => {
            Some([lead, trail])
        }
        _ => None,
    }
}

/// The won sign U+20A9 has no KS X 1001 code; the fullwidth ￦ (A3 DC) does.
fn printable_form(ch: char) -> char {
    if ch == '₩' { '￦' } else { ch }
}

/// A line as it comes off the printer (₩ printed as ￦).
pub fn printed_form(text: &str) -> String {
    text.chars().map(printable_form).collect()
}

/// A line's bytes in the printer's own font, or `None` if any glyph is missing from it.
fn text_bytes(text: &str, profile: PrinterProfile) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    for ch in text.chars().map(printable_form) {
        if ch.is_ascii() && !ch.is_ascii_control() {
            out.push(ch as u8);
        } else if profile.korean_font {
            out.extend_from_slice(&ks_x_1001(ch)?);
        } else {
            return None;
        }
    }
    Some(out)
}

struct Writer {
    out: Vec<u8>,
    style: Style,
    align: u8,
}

impl Writer {
    fn style(&mut self, style: Style) {
        if style.bold != self.style.bold {
            self.out.extend_from_slice(&bold(style.bold));
        }
        if (style.width, style.height) != (self.style.width, self.style.height) {
            self.out.extend_from_slice(&size(style.width, style.height));
        }
        self.style = style;
    }

    fn align(&mut self, n: u8) {
        if self.align != n {
            self.out.extend_from_slice(&align(n));
            self.align = n;
        }
    }
}

pub fn encode(receipt: &Receipt, profile: PrinterProfile) -> Encoded {
    let mut w = Writer { out: Vec::with_capacity(2048), style: Style::default(), align: 0 };
    let mut raster_lines = Vec::new();
    let mut text_lines = 0;
    w.out.extend_from_slice(&INIT);
    if profile.korean_font {
        w.out.extend_from_slice(&KOREAN_MODE);
    }
    for block in &receipt.blocks {
        match block {
            Block::Text { .. } | Block::Row { .. } | Block::Separator(_) | Block::Feed(_) => {
                for line in receipt.lay_out(block) {
                    text_lines += 1;
                    // Alignment is already in the laid-out text (padding), so print flush left.
                    w.align(0);
                    match text_bytes(&line.text, profile) {
                        Some(bytes) => {
                            w.style(line.style);
                            w.out.extend_from_slice(&bytes);
                            w.out.push(LF);
                        }
                        None => {
                            raster_lines.push(line.text.trim_end().to_owned());
                            raster_line(&mut w, &line, receipt.paper.dots);
                        }
                    }
                }
            }
            Block::Qr { data, module_size, level } => {
                w.style(Style::default());
                w.align(1);
                let level = match level {
                    QrLevel::L => 48,
                    QrLevel::M => 49,
                    QrLevel::Q => 50,
                    QrLevel::H => 51,
                };
                w.out.extend(qr_function(65, &[50, 0])); // model 2
                w.out.extend(qr_function(67, &[(*module_size).clamp(1, 16)]));
                w.out.extend(qr_function(69, &[level]));
                let mut store = vec![48];
                store.extend_from_slice(&data.as_bytes()[..data.len().min(7089)]);
                w.out.extend(qr_function(80, &store));
                // Printing the symbol returns to the start of the line: no LF.
                w.out.extend(qr_function(81, &[48]));
            }
            Block::Barcode { kind, data, height } => {
                w.style(Style::default());
                w.align(1);
                w.out.extend_from_slice(&[GS, b'H', 2, GS, b'h', *height, GS, b'w', 2]);
                match kind {
                    BarcodeKind::Code128 => {
                        let payload: Vec<u8> = b"{B"
                            .iter()
                            .copied()
                            .chain(data.bytes().filter(u8::is_ascii))
                            .take(255)
                            .collect();
                        w.out.extend_from_slice(&[GS, b'k', 73, payload.len() as u8]);
                        w.out.extend_from_slice(&payload);
                    }
                    BarcodeKind::Ean13 => {
                        let digits: Vec<u8> = data.bytes().filter(u8::is_ascii_digit).take(13).collect();
                        w.out.extend_from_slice(&[GS, b'k', 67, digits.len() as u8]);
                        w.out.extend_from_slice(&digits);
                    }
                }
            }
            Block::Image(image) => {
                w.align(0);
                w.out.extend(gs_v_0(&centred(image, receipt.paper.dots)));
            }
            Block::Cut { partial } => {
                w.out.extend_from_slice(&[GS, b'V', if *partial { 66 } else { 65 }, 0]);
            }
            Block::DrawerKick => w.out.extend_from_slice(&[ESC, b'p', 0, 25, 250]),
        }
    }
    w.style(Style::default());
    w.align(0);
    Encoded { bytes: w.out, raster_lines, text_lines }
}

fn raster_line(w: &mut Writer, line: &Line, dots: u32) {
    w.out.extend(gs_v_0(&render_line(line, dots)));
}

/// The image centred on a canvas as wide as the paper (cropped if wider), so centring does
/// not depend on whether the printer applies `ESC a` to raster images.
fn centred(image: &Raster, dots: u32) -> Raster {
    let mut canvas = Raster::new(dots, image.height);
    let left = dots.saturating_sub(image.width) / 2;
    for y in 0..image.height {
        for x in 0..image.width.min(dots) {
            if image.get(x, y) {
                canvas.set(left + x, y, true);
            }
        }
    }
    canvas
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printer::receipt::Paper;

    #[test]
    fn ks_x_1001_has_the_common_syllables_only() {
        assert_eq!(ks_x_1001('영'), Some([0xBF, 0xB5]));
        assert_eq!(ks_x_1001('￦'), Some([0xA3, 0xDC]));
        assert_eq!(ks_x_1001('똠'), None, "CP949 extension, not KS X 1001");
        assert_eq!(ks_x_1001('햏'), None);
        assert_eq!(ks_x_1001('₩'), None);
        assert_eq!(ks_x_1001('😀'), None);
        let covered =
            (0xAC00..=0xD7A3).filter_map(char::from_u32).filter(|c| ks_x_1001(*c).is_some()).count();
        assert_eq!(covered, 2350);
    }

    #[test]
    fn korean_text_goes_in_double_byte_mode_like_receiptline() {
        let mut r = Receipt::new(Paper::MM80);
        r.text("영수증", Style::default());
        let e = encode(&r, PrinterProfile::default());
        let expected: Vec<u8> = [&INIT[..], &KOREAN_MODE, &[0xBF, 0xB5, 0xBC, 0xF6, 0xC1, 0xF5, LF]].concat();
        assert_eq!(e.bytes, expected);
        assert!(e.raster_lines.is_empty());
    }

    #[test]
    fn a_line_with_a_glyph_outside_ks_x_1001_prints_as_raster() {
        let mut r = Receipt::new(Paper::MM80);
        r.row("똠얌꿍", "￦12,000", Style::default());
        r.row("아메리카노", "₩2,500", Style::default());
        let e = encode(&r, PrinterProfile::default());
        assert_eq!(e.raster_lines.len(), 1);
        assert!(e.raster_lines[0].starts_with("똠얌꿍"));
        let gs_v = [GS, b'v', b'0', 0, 72, 0, 24, 0];
        assert!(e.bytes.windows(8).any(|w| w == gs_v));
        // ₩ was printed as ￦ (A3 DC) in the second line
        assert!(e.bytes.windows(2).filter(|w| *w == [0xA3, 0xDC]).count() == 1);
    }

    #[test]
    fn styles_qr_cut_and_drawer() {
        let mut r = Receipt::new(Paper::MM58);
        r.text("123", Style::default().double().bold());
        r.push(Block::Qr { data: "https://x.kr/r/1".into(), module_size: 4, level: QrLevel::M });
        r.push(Block::Cut { partial: true });
        r.push(Block::DrawerKick);
        let e = encode(&r, PrinterProfile { korean_font: false });
        let b = &e.bytes;
        let find = |needle: &[u8]| b.windows(needle.len()).position(|w| w == needle);
        assert!(find(&[ESC, b'E', 1]).is_some() && find(&[GS, b'!', 0x11]).is_some());
        let store = find(&[GS, b'(', b'k', 19, 0, 49, 80, 48]).expect("QR store: 16 data bytes + 3");
        assert_eq!(&b[store + 8..store + 24], b"https://x.kr/r/1");
        assert!(find(&[GS, b'(', b'k', 3, 0, 49, 81, 48]).is_some());
        assert!(find(&[GS, b'V', 66, 0]).is_some());
        assert!(find(&[ESC, b'p', 0, 25, 250]).is_some());
        assert!(find(&KOREAN_MODE).is_none());
    }
}
