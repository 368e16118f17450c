//! Sizes in millimetres, measured on the rendered pixels, on the displays kiosks and table
//! tablets have: portrait kiosks at 1080×1920 (15.6", 21.5", 27"), portrait tablets at
//! 800×1280 (8", 10.1") and landscape tablets at 1280×800 (10.1", and a 13.3" one, which the
//! Korean standard counts as large). The panel's size is the configuration's `ui.panel_mm`.
//! On every page of an order:
//! - every control is at least WCAG 2.5.5's 44 CSS pixels (11.6 mm) high and wide;
//! - in the barrier-free mode (magnified), every text is at least as tall as the standard
//!   asks for the display's class: 12 mm, or 7.25 mm on 11" and less. A text's height is its
//!   tallest line of ink, measured on Korean texts with a syllable that has a final
//!   consonant (받침): the syllable block is the standard's character, and one without a
//!   final (그) or a line of digits alone is shorter by design;
//! - nothing runs off the screen's edges (the bottom included, unless it scrolls).
//!
//! (Its own process: Slint allows one platform per process.)

use std::path::Path;

use kiosk_app::screen::shell::Shell;
use kiosk_app::screen::sizing::{Class, Panel, Sizing, TOUCH_TARGET_MM};
use kiosk_session::Page;
use kiosk_ui::audit::{self, AccessibleRole, Drawn};
use kiosk_ui::headless::Screen;

mod common;

use common::{ko, press};

struct Display {
    name: &'static str,
    pixels: (u32, u32),
    panel: (u16, u16),
    /// The barrier-free mode is audited too. Not on two panels, where the magnified pages do
    /// not fit yet (left for their layouts):
    /// - 8" portrait: at 7.25 mm its text leaves 317 logical pixels across, where the pages
    ///   are laid out for 400 (the access switches and the cart's lines run off it);
    /// - 13.3" landscape: at 12 mm, 333 down, and the item and cart pages' fixed bars (the
    ///   total, quantity and buttons) are taller than that.
    magnified: bool,
}

const DISPLAYS: [Display; 7] = [
    Display { name: "kiosk 21.5in 1080x1920", pixels: (1080, 1920), panel: (268, 476), magnified: true },
    Display { name: "kiosk 27in 1080x1920", pixels: (1080, 1920), panel: (336, 597), magnified: true },
    Display { name: "kiosk 15.6in 1080x1920", pixels: (1080, 1920), panel: (194, 345), magnified: true },
    Display { name: "tablet 10.1in 800x1280", pixels: (800, 1280), panel: (136, 217), magnified: true },
    Display { name: "tablet 8in 800x1280", pixels: (800, 1280), panel: (108, 172), magnified: false },
    Display { name: "tablet 10.1in 1280x800", pixels: (1280, 800), panel: (217, 136), magnified: true },
    Display { name: "tablet 13.3in 1280x800", pixels: (1280, 800), panel: (286, 179), magnified: false },
];

/// What the audit found on one page.
#[derive(Default)]
struct Findings {
    problems: Vec<String>,
    /// The smallest control (mm, its label) and the shortest magnified Korean text.
    least_target: Option<(f32, String)>,
    least_text: Option<(f32, String)>,
    texts_measured: usize,
}

/// The tallest line of ink in `bounds` (logical pixels), in pixels: rows holding ink are
/// grouped into lines where they are separated by blank rows of at least a fifth of the
/// taller neighbour (the gaps inside a syllable, as in 으, are smaller).
fn ink_height(rgba: &[u8], width: u32, height: u32, factor: f32, (x, y, w, h): (f32, f32, f32, f32)) -> u32 {
    let (x0, y0) = ((x * factor).max(0.0) as u32, (y * factor).max(0.0) as u32);
    let (x1, y1) = ((((x + w) * factor) as u32).min(width), (((y + h) * factor) as u32).min(height));
    if x1 <= x0 || y1 <= y0 {
        return 0;
    }
    let pixel = |px: u32, py: u32| {
        let i = ((py * width + px) * 4) as usize;
        [rgba[i], rgba[i + 1], rgba[i + 2]]
    };
    // The background: the box's most common colour; ink: anything far from it.
    let mut counts = std::collections::HashMap::<[u8; 3], u32>::new();
    for py in y0..y1 {
        for px in x0..x1 {
            *counts.entry(pixel(px, py)).or_default() += 1;
        }
    }
    let Some((&background, _)) = counts.iter().max_by_key(|(_, n)| **n) else { return 0 };
    let inked: Vec<bool> = (y0..y1)
        .map(|py| (x0..x1).any(|px| audit::contrast_ratio(pixel(px, py), background) > 2.0))
        .collect();
    let mut lines: Vec<(usize, usize)> = Vec::new(); // (first row, last row)
    let mut row = 0;
    while row < inked.len() {
        if !inked[row] {
            row += 1;
            continue;
        }
        let start = row;
        while row < inked.len() && inked[row] {
            row += 1;
        }
        let run = (start, row - 1);
        match lines.last_mut() {
            Some(last) => {
                let gap = start - last.1 - 1;
                let taller = (last.1 - last.0 + 1).max(run.1 - run.0 + 1);
                if gap * 5 < taller { last.1 = run.1 } else { lines.push(run) }
            }
            None => lines.push(run),
        }
    }
    lines.iter().map(|(a, b)| (b - a + 1) as u32).max().unwrap_or(0)
}

/// A Hangul syllable with a final consonant (받침): as tall as the font draws a syllable
/// block (one without may be a third shorter, 그 against 근).
fn full_syllable(c: char) -> bool {
    ('\u{AC00}'..='\u{D7A3}').contains(&c) && !(c as u32 - 0xAC00).is_multiple_of(28)
}

fn audit_page(screen: &Screen, shell: &Shell, display: &Display, name: &str, findings: &mut Findings) {
    let rgba = screen.render();
    let (width, height) = screen.size();
    let panel = Panel { width_mm: f32::from(display.panel.0), height_mm: f32::from(display.panel.1) };
    let factor = slint::ComponentHandle::window(shell.window()).scale_factor();
    let magnified = shell.view().access.magnify;
    let sizing = Sizing::of(display.pixels, Some(panel));
    assert!((factor - sizing.scale_factor).abs() < 1e-3, "{}: scale factor {factor}", display.name);
    let mm = |logical: f32| Sizing::mm(logical, factor, display.pixels, panel);
    let px_per_mm = mm(1.0).recip() * factor; // pixels per millimetre
    let drawn: Vec<Drawn> = audit::drawn(shell.window());
    let on_screen = |d: &&Drawn| {
        let (x, y, w, h) = d.bounds;
        x >= -0.5
            && y >= -0.5
            && (x + w) * factor <= width as f32 + 0.5
            && (y + h) * factor <= height as f32 + 0.5
    };
    let place = format!("{} {name}{}", display.name, if magnified { " magnified" } else { "" });
    for d in drawn.iter().filter(on_screen) {
        match d.role {
            Some(AccessibleRole::Button) if d.unclipped() => {
                let (w, h) = (mm(d.bounds.2), mm(d.bounds.3));
                let least = w.min(h);
                if findings.least_target.as_ref().is_none_or(|(m, _)| least < *m) {
                    findings.least_target = Some((least, format!("{place}: {}", d.label)));
                }
                if least + 0.05 < TOUCH_TARGET_MM {
                    findings.problems.push(format!("{place}: {:?} is {w:.1} × {h:.1} mm", d.label));
                }
            }
            // (A text a scrolling area cuts is not wholly drawn: measured where it is.)
            Some(AccessibleRole::Text)
                if magnified && d.unclipped() && d.label.chars().any(full_syllable) =>
            {
                let class = sizing.class.expect("a known panel has a class");
                let ink = ink_height(&rgba, width, height, factor, d.bounds) as f32 / px_per_mm;
                findings.texts_measured += 1;
                if findings.least_text.as_ref().is_none_or(|(m, _)| ink < *m) {
                    findings.least_text = Some((ink, format!("{place}: {}", d.label)));
                }
                // Half a pixel of rasterising either way.
                if ink + 0.5 / px_per_mm < class.character_height_mm() {
                    findings.problems.push(format!(
                        "{place}: {:?} is {ink:.2} mm tall (at least {} mm)",
                        d.label,
                        class.character_height_mm()
                    ));
                }
            }
            _ => {}
        }
    }
    // Below the screen, with no scrolling area to bring it up: out of reach.
    for d in drawn.iter().filter(|d| d.clip.is_none()) {
        let (_, y, _, h) = d.bounds;
        if y * factor < height as f32 && (y + h) * factor > height as f32 + 0.5 {
            findings.problems.push(format!(
                "{place}: runs off the bottom: {:?} at y {:.0}..{:.0}",
                d.label,
                y,
                y + h
            ));
        }
    }
    let categories = shell.view().categories;
    let scrolls = |l: &str| categories.iter().any(|c| l.contains(c.as_str()));
    // Cut off: the audit works in logical pixels; the screen is this many of them wide.
    for cut in audit::cut_off(&drawn, (width as f32 / factor).ceil() as u32, scrolls) {
        findings.problems.push(format!("{place}: cut off: {cut}"));
    }
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sizes");
    std::fs::create_dir_all(&out).unwrap();
    screen.save_png(&out.join(format!("{place}.png").replace(' ', "-"))).unwrap();
}

/// Goes through an order's pages on `display`, auditing each, first as it is and then
/// magnified.
fn order_pages(screen: &Screen, shell: &Shell, display: &Display, findings: &mut Findings) {
    let kiosk = display.pixels.0 < display.pixels.1;
    for magnify in [false, true].into_iter().filter(|m| !m || display.magnified) {
        if kiosk {
            assert_eq!(shell.view().page, Page::Attract);
            audit_page(screen, shell, display, "attract", findings);
            press(shell, &ko("Touch to order"));
            if magnify {
                press(shell, &ko("Magnify"));
            }
            audit_page(screen, shell, display, "language", findings);
            press(shell, "한국어");
            audit_page(screen, shell, display, "service", findings);
            press(shell, &ko("Take out"));
        } else if magnify {
            shell.intent(kiosk_session::Intent::ToggleAccess(kiosk_session::access::AccessSwitch::Magnify));
            common::settle(shell);
        }
        audit_page(screen, shell, display, "menu", findings);
        // (Magnified on a landscape panel the cards may start below the fold: opened as a
        // scroll and a tap would.)
        shell.intent(kiosk_session::Intent::OpenItem("americano".into()));
        common::settle(shell);
        // (Magnified, the options run below the screen: chosen as a scroll and a tap would.)
        for (group, option) in [("temp", "iced"), ("size", "regular")] {
            shell.intent(kiosk_session::Intent::ToggleOption { group: group.into(), option: option.into() });
            common::settle(shell);
        }
        audit_page(screen, shell, display, "item", findings);
        press(shell, &ko("Add · {}").replace("{}", "4,500원"));
        press(shell, &ko("View cart"));
        audit_page(screen, shell, display, "cart", findings);
        if kiosk {
            press(shell, &ko("Pay"));
            audit_page(screen, shell, display, "pay", findings);
            // Back to the cart, the menu, and "start over" (which ends the barrier-free mode).
            for _ in 0..3 {
                shell.intent(kiosk_session::Intent::Back);
                common::settle(shell);
            }
        } else {
            shell.intent(kiosk_session::Intent::Back);
            common::settle(shell);
            shell.intent(kiosk_session::Intent::ChangeLine { index: 0, quantity: 0 });
            common::settle(shell);
            if magnify {
                shell.intent(kiosk_session::Intent::ToggleAccess(
                    kiosk_session::access::AccessSwitch::Magnify,
                ));
                common::settle(shell);
            }
        }
    }
}

#[test]
fn controls_and_magnified_text_meet_their_millimetres_on_every_display() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let _enter = runtime.enter();
    let dir = tempfile::tempdir().unwrap();
    let screen = Screen::install(DISPLAYS[0].pixels.0, DISPLAYS[0].pixels.1).unwrap();
    let mut report = Vec::new();
    let mut problems = Vec::new();
    for (n, display) in DISPLAYS.iter().enumerate() {
        screen.next_screen(display.pixels.0, display.pixels.1);
        let data = dir.path().join(format!("device-{n}"));
        let panel = format!("panel_mm = [{}, {}]", display.panel.0, display.panel.1);
        let kiosk = display.pixels.0 < display.pixels.1;
        let config = if kiosk {
            // Four languages: the language page at its longest.
            let ui = format!(
                "payment_methods = [\"counter\"]\nlanguages = [\"ko\", \"en\", \"zh\", \"ja\"]\n{panel}"
            );
            common::device_config(&data, "kiosk", &ui, "")
        } else {
            common::device_config(
                &data,
                "table",
                &format!("postpay = true\npayment_methods = [\"counter\"]\n{panel}"),
                "[table]\nnumber = \"7\"",
            )
        };
        let (shell, _store) = common::demo_device(&config, runtime.handle());
        common::settle(&shell);
        let mut findings = Findings::default();
        order_pages(&screen, &shell, display, &mut findings);
        let class = Sizing::of(
            display.pixels,
            Some(Panel { width_mm: f32::from(display.panel.0), height_mm: f32::from(display.panel.1) }),
        )
        .class;
        let (target, text) = (
            findings.least_target.clone().unwrap_or_default(),
            findings.least_text.clone().unwrap_or_default(),
        );
        report.push(format!(
            "{}: {:?}, least control {:.1} mm ({}), least magnified text {:.2} mm of {} measured ({})",
            display.name,
            class.unwrap_or(Class::Large),
            target.0,
            target.1,
            text.0,
            findings.texts_measured,
            text.1
        ));
        assert!(
            !display.magnified || findings.texts_measured >= 10,
            "{}: only {} texts measured",
            display.name,
            findings.texts_measured
        );
        problems.extend(findings.problems);
    }
    println!("{}", report.join("\n"));
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}
