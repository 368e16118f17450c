//! The 24-dot receipt bitmap font (a conversion of Nanum Gothic Coding, SIL OFL 1.1; see
//! `assets/OFL.txt`), covering ASCII, Latin-1, all 11,172 Hangul syllables, jamo, CJK
//! punctuation and fullwidth forms (￦). Used to draw lines the printer cannot print from its
//! own font, and by the simulator to render receipts.
//!
//! Chinese and Japanese need some ten thousand more glyphs (kana and the ideographs of
//! GB 2312, JIS X 0208 and KS X 1001), about 400 KB compressed: too much for the device
//! binary's budget. They come in the same format from a file the image carries
//! (`/usr/share/kiosk/receipt-font-cjk-24.bin`, made by `assets/gen-receipt-font.py --cjk`),
//! added with [`add_glyphs`] when a receipt first needs them; without it such characters
//! print as hollow boxes.

use std::sync::OnceLock;

use embedded_graphics::pixelcolor::BinaryColor;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::Rectangle;
use embedded_graphics::text::Baseline;
use embedded_graphics::text::renderer::{TextMetrics, TextRenderer};

use super::receipt::char_width;

/// Height of a glyph cell in dots; a column is half of it (12 dots) wide.
pub const HEIGHT: u32 = 24;
pub const COLUMN: u32 = 12;

static COMPRESSED: &[u8] = include_bytes!("../../assets/receipt-font-24.bin");

#[derive(Debug, thiserror::Error)]
#[error("not a 24-dot receipt font file (KRF1, zlib-compressed)")]
pub struct FontFileError;

pub struct Font {
    /// (code point, width, offset into `bitmaps`), sorted by code point.
    index: Vec<(u32, u8, u32)>,
    bitmaps: Vec<u8>,
}

pub struct Glyph<'a> {
    pub width: u32,
    rows: &'a [u8],
}

impl Glyph<'_> {
    pub fn pixel(&self, x: u32, y: u32) -> bool {
        let stride = self.width.div_ceil(8);
        x < self.width && y < HEIGHT && self.rows[(y * stride + x / 8) as usize] & (0x80 >> (x % 8)) != 0
    }
}

impl Font {
    /// The font, decompressed on first use.
    pub fn get() -> &'static Font {
        static FONT: OnceLock<Font> = OnceLock::new();
        FONT.get_or_init(|| Font::parse(COMPRESSED).expect("the bundled font is well-formed"))
    }

    /// A font file in the bundled font's format (the image's CJK glyphs).
    pub fn from_bytes(compressed: &[u8]) -> Result<Font, FontFileError> {
        Font::parse(compressed).ok_or(FontFileError)
    }

    fn parse(compressed: &[u8]) -> Option<Font> {
        let data = miniz_oxide::inflate::decompress_to_vec_zlib(compressed).ok()?;
        if data.get(..4)? != b"KRF1" || u32::from(*data.get(4)?) != HEIGHT {
            return None;
        }
        let count = u32::from_le_bytes(data.get(5..9)?.try_into().ok()?) as usize;
        let mut index = Vec::with_capacity(count);
        for i in 0..count {
            let e = data.get(9 + i * 9..18 + i * 9)?;
            let cp = u32::from_le_bytes(e[0..4].try_into().ok()?);
            let off = u32::from_le_bytes(e[5..9].try_into().ok()?);
            index.push((cp, e[4], off));
        }
        let bitmaps = data.get(9 + count * 9..)?.to_vec();
        Some(Font { index, bitmaps })
    }

    pub fn glyph(&self, ch: char) -> Option<Glyph<'_>> {
        let i = self.index.binary_search_by_key(&(ch as u32), |e| e.0).ok()?;
        let (_, width, off) = self.index[i];
        let len = (u32::from(width).div_ceil(8) * HEIGHT) as usize;
        Some(Glyph { width: u32::from(width), rows: self.bitmaps.get(off as usize..off as usize + len)? })
    }

    /// The code points this font has glyphs for, in order.
    pub fn code_points(&self) -> impl Iterator<Item = char> + '_ {
        self.index.iter().filter_map(|e| char::from_u32(e.0))
    }

    pub fn covers(&self, ch: char) -> bool {
        self.glyph(ch).is_some()
    }

    pub fn glyph_count(&self) -> usize {
        self.index.len()
    }
}

static ADDED: OnceLock<Font> = OnceLock::new();

/// Adds the glyphs of a font file in the bundled font's format (the image's CJK glyphs) to
/// every receipt drawn from now on, for characters the bundled font lacks. Once per process:
/// a second call changes nothing and returns the glyph count already added.
pub fn add_glyphs(compressed: &[u8]) -> Result<usize, FontFileError> {
    if let Some(added) = ADDED.get() {
        return Ok(added.glyph_count());
    }
    let font = Font::from_bytes(compressed)?;
    Ok(ADDED.get_or_init(|| font).glyph_count())
}

/// The added glyphs, if any.
pub fn added() -> Option<&'static Font> {
    ADDED.get()
}

/// Whether `text` has a character only added glyphs could draw, and none were added yet: the
/// moment to add them (a Chinese or Japanese receipt; a Korean one never needs them).
pub fn needs_added_glyphs(text: &str) -> bool {
    ADDED.get().is_none() && text.chars().any(|ch| !ch.is_ascii() && !Font::get().covers(ch))
}

/// Receipt text drawn through embedded-graphics: each character fills `char_width` columns
/// of 12 dots, magnified by `scale_x` × `scale_y`; bold is drawn twice, one dot apart.
#[derive(Clone, Copy)]
pub struct ReceiptTextStyle {
    pub scale_x: u32,
    pub scale_y: u32,
    pub bold: bool,
    /// Glyphs for what the bundled font lacks: the printer's [`added`] ones; the simulator
    /// reads raster back with its own copy.
    pub added: Option<&'static Font>,
}

impl ReceiptTextStyle {
    fn cell_width(&self, ch: char) -> u32 {
        char_width(ch) as u32 * COLUMN * self.scale_x
    }

    fn top(&self, position: Point, baseline: Baseline) -> i32 {
        let h = (HEIGHT * self.scale_y) as i32;
        match baseline {
            Baseline::Top => position.y,
            Baseline::Bottom => position.y - h + 1,
            Baseline::Middle => position.y - h / 2,
            Baseline::Alphabetic => position.y - h * 5 / 6,
        }
    }
}

impl TextRenderer for ReceiptTextStyle {
    type Color = BinaryColor;

    fn draw_string<D: DrawTarget<Color = BinaryColor>>(
        &self,
        text: &str,
        position: Point,
        baseline: Baseline,
        target: &mut D,
    ) -> Result<Point, D::Error> {
        let top = self.top(position, baseline);
        let mut x = position.x;
        for ch in text.chars() {
            let cell = self.cell_width(ch);
            let mut pixels = Vec::new();
            match Font::get().glyph(ch).or_else(|| self.added?.glyph(ch)) {
                Some(g) => {
                    let gw = g.width * self.scale_x;
                    let left = x + (cell.saturating_sub(gw) / 2) as i32;
                    for gy in 0..HEIGHT {
                        for gx in 0..g.width {
                            if !g.pixel(gx, gy) {
                                continue;
                            }
                            for sy in 0..self.scale_y {
                                for sx in 0..self.scale_x + u32::from(self.bold) {
                                    let px = left + (gx * self.scale_x + sx) as i32;
                                    let py = top + (gy * self.scale_y + sy) as i32;
                                    pixels.push(Pixel(Point::new(px, py), BinaryColor::On));
                                }
                            }
                        }
                    }
                }
                None if cell > 0 => {
                    // No glyph: a hollow box, so the gap is visible rather than silent.
                    let r = Rectangle::new(
                        Point::new(x + 2, top + 3),
                        Size::new(cell - 4, HEIGHT * self.scale_y - 6),
                    );
                    for p in r.points().filter(|p| {
                        p.x == r.top_left.x
                            || p.y == r.top_left.y
                            || p.x == r.top_left.x + r.size.width as i32 - 1
                            || p.y == r.top_left.y + r.size.height as i32 - 1
                    }) {
                        pixels.push(Pixel(p, BinaryColor::On));
                    }
                }
                None => {}
            }
            target.draw_iter(pixels)?;
            x += cell as i32;
        }
        Ok(Point::new(x, position.y))
    }

    fn draw_whitespace<D: DrawTarget<Color = BinaryColor>>(
        &self,
        width: u32,
        position: Point,
        _baseline: Baseline,
        _target: &mut D,
    ) -> Result<Point, D::Error> {
        Ok(position + Point::new(width as i32, 0))
    }

    fn measure_string(&self, text: &str, position: Point, baseline: Baseline) -> TextMetrics {
        let width: u32 = text.chars().map(|c| self.cell_width(c)).sum();
        let top = self.top(position, baseline);
        TextMetrics {
            bounding_box: Rectangle::new(
                Point::new(position.x, top),
                Size::new(width, HEIGHT * self.scale_y),
            ),
            next_position: position + Point::new(width as i32, 0),
        }
    }

    fn line_height(&self) -> u32 {
        HEIGHT * self.scale_y
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_every_modern_hangul_syllable_and_the_won_signs() {
        let font = Font::get();
        assert!(font.glyph_count() > 11_172);
        for cp in 0xAC00..=0xD7A3 {
            assert!(font.covers(char::from_u32(cp).unwrap()), "U+{cp:04X}");
        }
        for ch in ['똠', '햏', '뷁', '￦', '₩', 'A', '~'] {
            assert!(font.covers(ch), "{ch}");
        }
        let g = font.glyph('똠').unwrap();
        assert_eq!(g.width, 24);
        let ink = (0..24).flat_map(|y| (0..24).map(move |x| (x, y))).filter(|(x, y)| g.pixel(*x, *y)).count();
        assert!(ink > 40, "the glyph has ink ({ink})");
    }
}
