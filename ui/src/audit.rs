//! An accessibility audit of a rendered screen: the contrast of every text as drawn, text
//! and controls cut off at the screen's edges, and controls out of reach. Measured on the
//! pixels the software renderer produced and the element tree, so what is checked is what a
//! customer sees.

pub use i_slint_backend_testing::AccessibleRole;
use i_slint_backend_testing::{ElementHandle, ElementRoot};
use slint::ComponentHandle;

/// The WCAG relative luminance of an sRGB colour.
pub fn luminance([r, g, b]: [u8; 3]) -> f64 {
    let lin = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.039_28 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
    };
    0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
}

/// The WCAG contrast ratio of two colours, 1 to 21.
pub fn contrast_ratio(a: [u8; 3], b: [u8; 3]) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// One element as drawn.
#[derive(Debug, Clone)]
pub struct Drawn {
    pub label: String,
    pub role: Option<AccessibleRole>,
    /// Logical pixels: x, y, width, height.
    pub bounds: (f32, f32, f32, f32),
    /// The scrolling area (Flickable) it lies in, if any: what of it is outside is not drawn.
    pub clip: Option<(f32, f32, f32, f32)>,
}

impl Drawn {
    /// Wholly drawn: not cut by the scrolling area it lies in.
    pub fn unclipped(&self) -> bool {
        let (x, y, w, h) = self.bounds;
        self.clip.is_none_or(|(cx, cy, cw, ch)| {
            x >= cx - 0.5 && y >= cy - 0.5 && x + w <= cx + cw + 0.5 && y + h <= cy + ch + 0.5
        })
    }
}

/// Logical pixels: x, y, width, height.
type Rect = (f32, f32, f32, f32);

fn rect(e: &ElementHandle) -> Rect {
    let (p, s) = (e.absolute_position(), e.size());
    (p.x, p.y, s.width, s.height)
}

/// Every labelled element on the screen, in tree order.
pub fn drawn(component: &impl ComponentHandle) -> Vec<Drawn> {
    // Each labelled element inside a scrolling area, with the smallest such area's rectangle.
    let mut clips: Vec<((String, Rect), Rect)> = Vec::new();
    let flickables = i_slint_backend_testing::ElementQuery::from_root(component)
        .match_descendants()
        .match_type_name("Flickable")
        .find_all();
    for f in flickables {
        let area = rect(&f);
        for e in f.query_descendants().find_all() {
            let Some(label) = e.accessible_label().filter(|l| !l.trim().is_empty()) else { continue };
            let key = (label.to_string(), rect(&e));
            match clips.iter_mut().find(|(k, _)| *k == key) {
                Some((_, clip)) if area.2 * area.3 < clip.2 * clip.3 => *clip = area,
                Some(_) => {}
                None => clips.push((key, area)),
            }
        }
    }
    let mut out = Vec::new();
    component.root_element().visit_descendants(|e: ElementHandle| {
        if let Some(label) = e.accessible_label().filter(|l| !l.trim().is_empty()) {
            let bounds = rect(&e);
            if bounds.2 > 0.0 && bounds.3 > 0.0 {
                let label = label.to_string();
                let clip = clips.iter().find(|((l, b), _)| *l == label && *b == bounds).map(|(_, c)| *c);
                out.push(Drawn { label, role: e.accessible_role(), bounds, clip });
            }
        }
        std::ops::ControlFlow::<()>::Continue(())
    });
    out
}

/// The contrast of a text as drawn in `rgba` (a `width`-pixel-wide screen): its most
/// common colour is the background, and the colour furthest from it the ink. A text drawn
/// in its background's colour (or not drawn at all) measures 1:1: invisible, and reported
/// as such. `None` only when the box holds no pixel.
pub fn drawn_contrast(
    rgba: &[u8],
    width: u32,
    height: u32,
    (x, y, w, h): (f32, f32, f32, f32),
) -> Option<f64> {
    let (x0, y0) = (x.max(0.0) as u32, y.max(0.0) as u32);
    let (x1, y1) = (((x + w) as u32).min(width), ((y + h) as u32).min(height));
    let mut counts = std::collections::HashMap::<[u8; 3], u32>::new();
    for py in y0..y1 {
        for px in x0..x1 {
            let i = ((py * width + px) * 4) as usize;
            *counts.entry([rgba[i], rgba[i + 1], rgba[i + 2]]).or_default() += 1;
        }
    }
    let (&background, _) = counts.iter().max_by_key(|(_, n)| **n)?;
    counts.keys().map(|&c| contrast_ratio(background, c)).max_by(|a, b| a.total_cmp(b))
}

/// The texts of a screen, measured.
#[derive(Debug, Default)]
pub struct ContrastReport {
    /// How many texts were measured: an audit that measured (almost) nothing proves nothing.
    pub measured: usize,
    /// Texts drawn with less contrast than asked, with their ratio (1.0: invisible).
    pub low: Vec<(String, f64)>,
}

/// Measures every text wholly on the screen (what a flickable scrolled away is not drawn
/// there) against `min` (WCAG AA: 4.5).
pub fn text_contrast(elements: &[Drawn], rgba: &[u8], width: u32, height: u32, min: f64) -> ContrastReport {
    let mut report = ContrastReport::default();
    for d in elements
        .iter()
        .filter(|d| d.role == Some(AccessibleRole::Text))
        .filter(|d| inside(d.bounds, width, height))
    {
        let Some(ratio) = drawn_contrast(rgba, width, height, d.bounds) else { continue };
        report.measured += 1;
        if ratio < min {
            report.low.push((d.label.clone(), ratio));
        }
    }
    report
}

fn inside((x, y, w, h): (f32, f32, f32, f32), width: u32, height: u32) -> bool {
    x >= -0.5 && y >= -0.5 && x + w <= width as f32 + 0.5 && y + h <= height as f32 + 0.5
}

/// Elements that begin on the screen and run off its left or right edge: cut off. Labels
/// for which `scrolls` is true sit in a sideways-scrolling bar and are exempt.
pub fn cut_off(elements: &[Drawn], width: u32, scrolls: impl Fn(&str) -> bool) -> Vec<String> {
    let w = width as f32;
    elements
        .iter()
        .filter(|d| {
            let (x, _, dw, _) = d.bounds;
            let starts_on = x < w && x + dw > 0.0;
            starts_on && (x < -0.5 || x + dw > w + 0.5)
        })
        .filter(|d| !scrolls(&d.label))
        .map(|d| format!("{} at x {:.0}..{:.0}", d.label, d.bounds.0, d.bounds.0 + d.bounds.2))
        .collect()
}

/// Controls whose top is above `line` (logical pixels from the top).
pub fn above(elements: &[Drawn], line: f32) -> Vec<String> {
    elements
        .iter()
        .filter(|d| d.role == Some(AccessibleRole::Button) && d.bounds.1 < line - 0.5)
        .map(|d| format!("{} at y {:.0}", d.label, d.bounds.1))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_ratios_match_wcag() {
        assert!((contrast_ratio([0, 0, 0], [255, 255, 255]) - 21.0).abs() < 0.01);
        assert!((contrast_ratio([0x77, 0x77, 0x77], [255, 255, 255]) - 4.48).abs() < 0.01);
        assert_eq!(contrast_ratio([9, 9, 9], [9, 9, 9]), 1.0);
    }

    #[test]
    fn the_ink_is_the_colour_furthest_from_the_background() {
        // 4×2 pixels: white background, one black and one grey pixel
        let mut rgba = vec![255u8; 4 * 2 * 4];
        rgba[0..3].copy_from_slice(&[0, 0, 0]);
        rgba[4..7].copy_from_slice(&[128, 128, 128]);
        let r = drawn_contrast(&rgba, 4, 2, (0.0, 0.0, 4.0, 2.0)).unwrap();
        assert!(r > 20.0);
        // text in the background's colour is measured, at 1:1
        assert_eq!(drawn_contrast(&[255u8; 32], 4, 2, (0.0, 0.0, 4.0, 2.0)), Some(1.0));
        assert_eq!(drawn_contrast(&[255u8; 32], 4, 2, (0.0, 0.0, 0.0, 0.0)), None);
    }
}
