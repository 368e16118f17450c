//! A job as a PNG image of the paper.

use kiosk_drivers::printer::raster::render_line;
use kiosk_drivers::printer::receipt::{Align, Line, Raster, char_width};

use super::model::{Job, JobItem};

/// Draws the job on paper `dots` wide.
pub fn render(job: &Job, dots: u32) -> Raster {
    let mut parts: Vec<Raster> = Vec::new();
    for item in &job.items {
        match item {
            JobItem::Text(line) => parts.push(aligned(line, dots)),
            JobItem::Image { image, scale_x, scale_y } => {
                parts.push(scaled(image, u32::from(*scale_x), u32::from(*scale_y)))
            }
            JobItem::Qr { data, module_size } => parts.push(qr(data, u32::from(*module_size))),
            JobItem::Barcode { data, .. } => {
                parts.push(bars(data, dots));
                parts.push(aligned(
                    &Line {
                        text: data.clone(),
                        style: kiosk_drivers::printer::receipt::Style::default().center(),
                    },
                    dots,
                ));
            }
            JobItem::DrawerKick => {}
        }
    }
    let height: u32 = parts.iter().map(|p| p.height).sum::<u32>() + 48;
    let mut paper = Raster::new(dots, height);
    let mut y = 24;
    for p in &parts {
        let left = dots.saturating_sub(p.width) / 2 * u32::from(p.width < dots);
        for py in 0..p.height {
            for px in 0..p.width.min(dots) {
                if p.get(px, py) {
                    paper.set(left + px, y + py, true);
                }
            }
        }
        y += p.height;
    }
    paper
}

/// A text line as the printer would place it: `ESC a` alignment applies to printer text.
fn aligned(line: &Line, dots: u32) -> Raster {
    let used: u32 = line.text.chars().map(|c| char_width(c) as u32 * 12 * u32::from(line.style.width)).sum();
    let shift = match line.style.align {
        Align::Left => 0,
        Align::Center => dots.saturating_sub(used) / 2,
        Align::Right => dots.saturating_sub(used),
    };
    let img = render_line(line, dots);
    if shift == 0 {
        return img;
    }
    let mut out = Raster::new(dots, img.height);
    for y in 0..img.height {
        for x in 0..dots.saturating_sub(shift) {
            if img.get(x, y) {
                out.set(x + shift, y, true);
            }
        }
    }
    out
}

fn scaled(image: &Raster, sx: u32, sy: u32) -> Raster {
    let mut out = Raster::new(image.width * sx, image.height * sy);
    for y in 0..out.height {
        for x in 0..out.width {
            if image.get(x / sx, y / sy) {
                out.set(x, y, true);
            }
        }
    }
    out
}

fn qr(data: &str, module: u32) -> Raster {
    let Ok(code) = qrcode::QrCode::new(data.as_bytes()) else {
        return Raster::new(8, 8);
    };
    let n = code.width() as u32;
    let quiet = 4;
    let mut out = Raster::new((n + 2 * quiet) * module, (n + 2 * quiet) * module);
    for (i, c) in code.to_colors().iter().enumerate() {
        if *c == qrcode::Color::Dark {
            let (mx, my) = (i as u32 % n + quiet, i as u32 / n + quiet);
            for y in 0..module {
                for x in 0..module {
                    out.set(mx * module + x, my * module + y, true);
                }
            }
        }
    }
    out
}

/// A schematic barcode (bars from the data's bits); the data itself is printed below it.
fn bars(data: &str, dots: u32) -> Raster {
    let width = (data.len() as u32 * 11 * 2 + 40).min(dots);
    let mut out = Raster::new(width, 80);
    let bits = data.bytes().flat_map(|b| (0..8).map(move |i| b >> (7 - i) & 1 == 1));
    for (i, bit) in std::iter::once(true).chain(bits).enumerate() {
        let x = 20 + i as u32 * 2;
        if bit && x + 1 < width {
            for y in 0..80 {
                out.set(x, y, true);
            }
        }
    }
    out
}

/// PNG bytes of a 1-bit image (black on white).
pub fn png(image: &Raster) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, image.width, image.height);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::One);
        let mut w = enc.write_header().expect("in-memory PNG header");
        // PNG grayscale 1-bit: 1 = white, so invert.
        let data: Vec<u8> = image.data.iter().map(|b| !b).collect();
        w.write_image_data(&data).expect("in-memory PNG data");
    }
    out
}
