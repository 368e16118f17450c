//! Reads back text lines that the encoder sent as raster: every 12- or 24-dot cell is matched
//! exactly against the receipt font's glyphs, drawn the same way. This is how the simulator's
//! decoded text can include lines such as "똠얌꿍" that the printer's own font lacks, and
//! Chinese or Japanese ones with the CJK glyphs a device's image carries (its own copy of
//! them).

use std::collections::HashMap;
use std::sync::OnceLock;

use embedded_graphics::prelude::*;
use embedded_graphics::text::{Baseline, Text};

use kiosk_drivers::printer::font::{COLUMN, Font, HEIGHT, ReceiptTextStyle};
use kiosk_drivers::printer::receipt::{Raster, char_width};

struct Glyphs {
    narrow: HashMap<Vec<u8>, char>,
    wide: HashMap<Vec<u8>, char>,
    /// Bold is drawn twice, one dot apart, so a glyph that reaches its cell's right edge
    /// spills a dot into the next cell's first column: bold cells are compared without it.
    bold: bool,
}

/// The CJK glyphs a device's image carries, the simulator's own copy (read once): it reads
/// back what a printer that added them prints, and never adds them to the printer side of a
/// process it shares with a kiosk under test.
fn cjk() -> Option<&'static Font> {
    static CJK: OnceLock<Option<Font>> = OnceLock::new();
    CJK.get_or_init(|| {
        let read = std::fs::read(super::model::CJK_GLYPHS).map_err(|e| e.to_string());
        read.and_then(|b| Font::from_bytes(&b).map_err(|e| e.to_string()))
            .inspect_err(|e| tracing::warn!("{}: {e}", super::model::CJK_GLYPHS))
            .ok()
    })
    .as_ref()
}

fn glyphs(bold: bool) -> &'static Glyphs {
    static PLAIN: OnceLock<Glyphs> = OnceLock::new();
    static BOLD: OnceLock<Glyphs> = OnceLock::new();
    (if bold { &BOLD } else { &PLAIN }).get_or_init(|| build(bold))
}

fn build(bold: bool) -> Glyphs {
    let style = ReceiptTextStyle { scale_x: 1, scale_y: 1, bold, added: cjk() };
    let mut g = Glyphs { narrow: HashMap::new(), wide: HashMap::new(), bold };
    let ranges = [
        (0x20u32, 0x7E),
        (0xA0, 0xFF),
        (0x2010, 0x203B),
        (0x20A9, 0x20A9),
        (0x2190, 0x25CF),
        (0x3000, 0x318E),
        (0xAC00, 0xD7A3),
        (0xFF01, 0xFFE6),
    ];
    let bundled = ranges.into_iter().flat_map(|(lo, hi)| (lo..=hi).filter_map(char::from_u32));
    let added = cjk().into_iter().flat_map(|f| f.code_points());
    {
        for ch in bundled.chain(added) {
            let w = char_width(ch) as u32 * COLUMN;
            if w == 0 {
                continue;
            }
            let mut cell = Raster::new(w, HEIGHT);
            let s: String = ch.into();
            Text::with_baseline(&s, Point::zero(), style, Baseline::Top).draw(&mut cell).expect("infallible");
            let key = cell_key(&cell, 0, w, bold);
            let map = if w == COLUMN { &mut g.narrow } else { &mut g.wide };
            // Keep the first (lowest code point) for identical glyphs, e.g. blank ones.
            map.entry(key).or_insert(ch);
        }
    }
    g
}

/// The dots of the cell `w` wide at `x0`, without its first column when `bold`.
fn cell_key(image: &Raster, x0: u32, w: u32, bold: bool) -> Vec<u8> {
    let mut c = Raster::new(w, HEIGHT);
    for y in 0..HEIGHT {
        for x in u32::from(bold)..w {
            if image.get(x0 + x, y) {
                c.set(x, y, true);
            }
        }
    }
    c.data
}

/// The text of a one-line raster drawn with the receipt font (normal, double width, double
/// height or both; plain or bold), or `None` when any cell matches no glyph (a logo, a QR
/// code, another font).
pub fn recognize(image: &Raster) -> Option<String> {
    let sy = image.height / HEIGHT;
    if !image.height.is_multiple_of(HEIGHT) || !(1..=2).contains(&sy) {
        return None;
    }
    (1..=2).find_map(|sx| {
        if !image.width.is_multiple_of(COLUMN * sx) {
            return None;
        }
        let small = shrink(image, sx, sy);
        ['p', 'b'].into_iter().find_map(|variant| read(&small, glyphs(variant == 'b')))
    })
}

/// Undoes an integer magnification (keeps the top-left dot of each block).
fn shrink(image: &Raster, sx: u32, sy: u32) -> Raster {
    if (sx, sy) == (1, 1) {
        return image.clone();
    }
    let mut out = Raster::new(image.width / sx, image.height / sy);
    for y in 0..out.height {
        for x in 0..out.width {
            if image.get(x * sx, y * sy) {
                out.set(x, y, true);
            }
        }
    }
    out
}

fn read(image: &Raster, g: &Glyphs) -> Option<String> {
    let mut out = String::new();
    let mut x = 0;
    while x < image.width {
        if let Some(ch) = g.narrow.get(&cell_key(image, x, COLUMN, g.bold)) {
            out.push(*ch);
            x += COLUMN;
        } else if x + 2 * COLUMN <= image.width {
            out.push(*g.wide.get(&cell_key(image, x, 2 * COLUMN, g.bold))?);
            x += 2 * COLUMN;
        } else {
            return None;
        }
    }
    Some(out)
}
