//! Sizes in millimetres on any display. The pages are laid out in logical pixels; this
//! decides how many of the panel's pixels one logical pixel is (Slint's scale factor) from
//! the panel's physical size, so text and touch targets have the same size in millimetres
//! whatever the panel's resolution, and how far the barrier-free mode magnifies so its text
//! is as tall as the Korean verification standard asks for the device's class.
//!
//! The physical size comes from the configuration's `ui.panel_mm` when it is set (a DSI
//! touch screen reports none, and an operator may correct a panel that reports nonsense), or
//! from the panel's EDID (the DRM connector's, read from sysfs by [`connected_panel`]). A size
//! that cannot be the panel's (a diagonal outside 4–100", or a shape unlike its pixels': cheap
//! HDMI boards report 160 × 90 cm as an aspect ratio) is not used ([`Panel::fit`]). Without
//! one, a logical pixel is a pixel and the pages look as they always did. No I/O but
//! [`connected_panel`].

use std::path::Path;

/// A panel's visible area.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Panel {
    pub width_mm: f32,
    pub height_mm: f32,
}

impl Panel {
    /// The diagonal in inches, as panels are sold.
    pub fn diagonal_inches(self) -> f32 {
        self.width_mm.hypot(self.height_mm) / 25.4
    }

    /// This size as the window of `pixels` is turned (an EDID gives the panel's own way up; a
    /// portrait kiosk turns a landscape panel), or `None` when it cannot be the panel's: a
    /// diagonal outside 4–100", fewer than 30 pixels an inch (a 65" 1080p screen has 34), or
    /// a shape more than 15 % unlike the pixels'.
    pub fn fit(self, pixels: (u32, u32)) -> Option<Panel> {
        let (w, h) = (self.width_mm, self.height_mm);
        let turned = (pixels.0 > pixels.1) != (w > h);
        let panel = if turned { Panel { width_mm: h, height_mm: w } } else { self };
        let shape = (panel.width_mm / panel.height_mm) / (pixels.0 as f32 / pixels.1 as f32);
        let plausible = w > 0.0
            && h > 0.0
            && pixels.0 > 0
            && pixels.1 > 0
            && (4.0..=100.0).contains(&panel.diagonal_inches())
            && pixels.0 as f32 / (panel.width_mm / 25.4) >= 30.0
            && (1.0 / 1.15..=1.15).contains(&shape);
        plausible.then_some(panel)
    }

    /// Pixels a millimetre on this panel shown as `pixels`, across and down (square pixels in
    /// practice: their mean).
    fn density(self, pixels: (u32, u32)) -> f32 {
        (pixels.0 as f32 / self.width_mm + pixels.1 as f32 / self.height_mm) / 2.0
    }
}

/// The Korean verification standard's two classes of kiosk: small ones (a diagonal of 11"
/// or less, the table tablets) may show the barrier-free mode's text smaller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Small,
    Large,
}

impl Class {
    pub fn of(panel: Panel) -> Class {
        if panel.diagonal_inches() <= 11.0 { Class::Small } else { Class::Large }
    }

    /// What one logical pixel measures on the panel: the design's own panels, a 21.5"
    /// 1080×1920 kiosk (0.248 mm a pixel) and a 10.1" 800×1280 tablet (0.170 mm).
    pub fn mm_per_logical_px(self) -> f32 {
        match self {
            Class::Large => 0.25,
            Class::Small => 0.17,
        }
    }

    /// The barrier-free mode's least character height (`../shared/reference/accessibility.md`,
    /// item 7: 12 mm; 7.25 mm on devices of 11" and less).
    pub fn character_height_mm(self) -> f32 {
        match self {
            Class::Large => 12.0,
            Class::Small => 7.25,
        }
    }
}

/// The least touch target, every mode and class: WCAG 2.5.5's 44 CSS pixels, a CSS pixel
/// being 1/96 inch.
pub const TOUCH_TARGET_MM: f32 = 44.0 / 96.0 * 25.4;

/// The smallest text the barrier-free mode shows, in logical pixels before magnification
/// (`Theme.font`: the theme shows no smaller text when magnified).
pub const MAGNIFIED_TEXT_PX: f32 = 26.0;

/// A Hangul syllable's height in its font size: the least of the syllables with a final
/// consonant (받침) in NanumGothic, 0.862 of the em (뀬; 한 is 0.907, 읊 0.935). A syllable
/// without one may be shorter (그 0.687): the standard's character is a whole syllable block.
pub const HANGUL_EM: f32 = 0.86;

/// The barrier-free mode's magnification when the panel's size is unknown.
pub const MAGNIFIED: f32 = 2.0;

/// How the pages are sized on one panel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sizing {
    /// Panel pixels per logical pixel.
    pub scale_factor: f32,
    /// The barrier-free mode's magnification (`Theme.scale`), at least 2.
    pub magnified: f32,
    /// Known with the panel's size.
    pub class: Option<Class>,
}

impl Sizing {
    /// For a panel of `pixels` (width, height) whose size is `panel`, if known and plausible
    /// ([`Panel::fit`]).
    pub fn of(pixels: (u32, u32), panel: Option<Panel>) -> Sizing {
        let Some(panel) = panel.and_then(|p| p.fit(pixels)) else {
            return Sizing { scale_factor: 1.0, magnified: MAGNIFIED, class: None };
        };
        let class = Class::of(panel);
        let density = panel.density(pixels);
        let mm = class.mm_per_logical_px();
        let magnified = (class.character_height_mm() / (MAGNIFIED_TEXT_PX * HANGUL_EM * mm)).max(MAGNIFIED);
        Sizing { scale_factor: density * mm, magnified, class: Some(class) }
    }

    /// Millimetres of `logical` logical pixels on this panel of `pixels` and `panel` size
    /// (as the window is turned).
    pub fn mm(logical: f32, scale_factor: f32, pixels: (u32, u32), panel: Panel) -> f32 {
        logical * scale_factor / panel.fit(pixels).unwrap_or(panel).density(pixels)
    }
}

/// The visible size an EDID block gives: its first detailed timing descriptor's (in
/// millimetres), else the basic block's (in centimetres). `None` for a block that is not an
/// EDID (header, checksum) or says nothing (projectors, many DSI panels write zeros).
pub fn edid_size(edid: &[u8]) -> Option<Panel> {
    const HEADER: [u8; 8] = [0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00];
    let block = edid.get(..128)?;
    if block[..8] != HEADER || block.iter().fold(0u8, |sum, b| sum.wrapping_add(*b)) != 0 {
        return None;
    }
    // A detailed timing descriptor has a non-zero pixel clock (bytes 0–1).
    let dtd = &block[54..72];
    if dtd[0] != 0 || dtd[1] != 0 {
        let width = u16::from(dtd[12]) | (u16::from(dtd[14] >> 4) << 8);
        let height = u16::from(dtd[13]) | (u16::from(dtd[14] & 0x0F) << 8);
        if width > 0 && height > 0 {
            return Some(Panel { width_mm: f32::from(width), height_mm: f32::from(height) });
        }
    }
    let (width_cm, height_cm) = (block[21], block[22]);
    (width_cm > 0 && height_cm > 0)
        .then(|| Panel { width_mm: f32::from(width_cm) * 10.0, height_mm: f32::from(height_cm) * 10.0 })
}

/// The size of the first connected DRM connector that reports one, from `sys_drm`
/// (`/sys/class/drm`): `card0-HDMI-A-1/status` says `connected` and `edid` holds its EDID.
pub fn connected_panel(sys_drm: &Path) -> Option<Panel> {
    let mut connectors: Vec<_> = std::fs::read_dir(sys_drm).ok()?.flatten().map(|e| e.path()).collect();
    connectors.sort();
    connectors.into_iter().find_map(|c| {
        let status = std::fs::read_to_string(c.join("status")).ok()?;
        if status.trim() != "connected" {
            return None;
        }
        edid_size(&std::fs::read(c.join("edid")).ok()?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 128-byte EDID with a detailed timing descriptor of `w`×`h` mm and a basic size of
    /// `cm`, its checksum made right.
    fn edid(w: u16, h: u16, cm: (u8, u8), pixel_clock: u16) -> Vec<u8> {
        let mut e = vec![0u8; 128];
        e[..8].copy_from_slice(&[0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00]);
        e[18] = 1;
        e[19] = 4;
        (e[21], e[22]) = cm;
        e[54..56].copy_from_slice(&pixel_clock.to_le_bytes());
        e[54 + 12] = (w & 0xFF) as u8;
        e[54 + 13] = (h & 0xFF) as u8;
        e[54 + 14] = (((w >> 8) as u8) << 4) | (h >> 8) as u8;
        let sum = e[..127].iter().fold(0u8, |s, b| s.wrapping_add(*b));
        e[127] = 0u8.wrapping_sub(sum);
        e
    }

    #[test]
    fn the_panel_size_comes_from_the_detailed_timing_then_the_basic_block() {
        // A 21.5" 1920×1080 monitor: 476 × 268 mm (the 12-bit fields' high nibbles used).
        assert_eq!(
            edid_size(&edid(476, 268, (48, 27), 14_850)),
            Some(Panel { width_mm: 476.0, height_mm: 268.0 })
        );
        // No detailed timing: the basic block's centimetres.
        assert_eq!(edid_size(&edid(0, 0, (22, 14), 0)), Some(Panel { width_mm: 220.0, height_mm: 140.0 }));
        // Says nothing, a broken checksum, not an EDID.
        assert_eq!(edid_size(&edid(0, 0, (0, 0), 0)), None);
        let mut broken = edid(476, 268, (48, 27), 14_850);
        broken[100] ^= 1;
        assert_eq!(edid_size(&broken), None);
        assert_eq!(edid_size(&[0u8; 128]), None);
        assert_eq!(edid_size(&[0u8; 12]), None);
    }

    #[test]
    fn sysfs_gives_the_first_connected_connector_with_a_size() {
        let dir = tempfile::tempdir().unwrap();
        let connector = |name: &str, status: &str, edid: &[u8]| {
            let c = dir.path().join(name);
            std::fs::create_dir_all(&c).unwrap();
            std::fs::write(c.join("status"), status).unwrap();
            std::fs::write(c.join("edid"), edid).unwrap();
        };
        connector("card0-DSI-1", "connected\n", &[]);
        connector("card0-HDMI-A-1", "disconnected\n", &edid(600, 340, (60, 34), 14_850));
        connector("card0-HDMI-A-2", "connected\n", &edid(476, 268, (48, 27), 14_850));
        assert_eq!(connected_panel(dir.path()), Some(Panel { width_mm: 476.0, height_mm: 268.0 }));
        assert_eq!(connected_panel(&dir.path().join("none")), None);
    }

    #[test]
    fn a_logical_pixel_measures_the_same_on_every_panel_of_a_class() {
        // A 21.5" portrait kiosk at 1080×1920, a 32" one at the same resolution, a 15.6" one.
        let kiosk = |w: f32, h: f32| Panel { width_mm: w, height_mm: h };
        for (pixels, panel) in [
            ((1080, 1920), kiosk(268.0, 476.0)),
            ((1080, 1920), kiosk(398.0, 708.0)),
            ((1080, 1920), kiosk(194.0, 345.0)),
        ] {
            let s = Sizing::of(pixels, Some(panel));
            assert_eq!(s.class, Some(Class::Large));
            let touch = Sizing::mm(72.0, s.scale_factor, pixels, panel);
            assert!((touch - 18.0).abs() < 0.01, "{panel:?}: the 72 px target is {touch} mm");
            // Magnified, the least text is 12 mm tall: 26 px × magnification × HANGUL_EM.
            let text = Sizing::mm(MAGNIFIED_TEXT_PX * s.magnified * HANGUL_EM, s.scale_factor, pixels, panel);
            assert!(text >= 12.0 - 1e-3, "{panel:?}: {text} mm");
        }
        // A 10.1" tablet either way up: its own class, its design size, 7.25 mm text.
        for pixels in [(800, 1280), (1280, 800)] {
            let panel = if pixels.0 < pixels.1 { kiosk(136.0, 217.0) } else { kiosk(217.0, 136.0) };
            let s = Sizing::of(pixels, Some(panel));
            assert_eq!(s.class, Some(Class::Small));
            assert!((s.scale_factor - 1.0).abs() < 0.01, "{}", s.scale_factor);
            let text = Sizing::mm(MAGNIFIED_TEXT_PX * s.magnified * HANGUL_EM, s.scale_factor, pixels, panel);
            assert!(text >= 7.25 - 1e-3, "{text} mm");
            assert_eq!(s.magnified, MAGNIFIED, "2× already makes 7.25 mm on a tablet");
        }
        // Unknown, or nonsense (an aspect ratio in cm, a panel the wrong shape): as designed.
        let designed = Sizing { scale_factor: 1.0, magnified: 2.0, class: None };
        assert_eq!(Sizing::of((800, 1280), None), designed);
        assert_eq!(Sizing::of((1024, 600), Some(kiosk(1600.0, 900.0))), designed, "160 × 90 cm");
        assert_eq!(Sizing::of((1024, 600), Some(kiosk(160.0, 160.0))), designed, "square");
        // A landscape panel's EDID in a portrait window: turned, the same as the portrait size.
        let turned = Sizing::of((1080, 1920), Some(kiosk(476.0, 268.0)));
        assert_eq!(turned, Sizing::of((1080, 1920), Some(kiosk(268.0, 476.0))));
        const { assert!(TOUCH_TARGET_MM > 11.6 && TOUCH_TARGET_MM < 11.7) };
    }
}
