//! 1-bit images: a canvas that embedded-graphics draws on, text lines drawn with the receipt
//! font, `GS v 0` encoding, and logos from PNG with Floyd–Steinberg dithering.

use embedded_graphics::pixelcolor::BinaryColor;
use embedded_graphics::prelude::*;
use embedded_graphics::text::{Baseline, Text};

use super::font::{HEIGHT, ReceiptTextStyle};
use super::receipt::{Line, Raster};

impl OriginDimensions for Raster {
    fn size(&self) -> Size {
        Size::new(self.width, self.height)
    }
}

impl DrawTarget for Raster {
    type Color = BinaryColor;
    type Error = std::convert::Infallible;

    fn draw_iter<I: IntoIterator<Item = Pixel<BinaryColor>>>(
        &mut self,
        pixels: I,
    ) -> Result<(), Self::Error> {
        for Pixel(p, color) in pixels {
            if p.x >= 0 && p.y >= 0 {
                self.set(p.x as u32, p.y as u32, color.is_on());
            }
        }
        Ok(())
    }
}

/// Draws a laid-out line as an image `width_dots` wide, as the printer would print it.
pub fn render_line(line: &Line, width_dots: u32) -> Raster {
    let style = ReceiptTextStyle {
        scale_x: u32::from(line.style.width.max(1)),
        scale_y: u32::from(line.style.height.max(1)),
        bold: line.style.bold,
        added: super::font::added(),
    };
    let mut canvas = Raster::new(width_dots, HEIGHT * style.scale_y);
    Text::with_baseline(&line.text, Point::zero(), style, Baseline::Top)
        .draw(&mut canvas)
        .expect("infallible");
    canvas
}

/// `GS v 0 m xL xH yL yH d…` for an image (m = 0, normal size).
pub fn gs_v_0(image: &Raster) -> Vec<u8> {
    let x = image.stride();
    let y = image.height;
    let mut out = Vec::with_capacity(8 + image.data.len());
    out.extend_from_slice(&[0x1D, 0x76, 0x30, 0x00, x as u8, (x >> 8) as u8, y as u8, (y >> 8) as u8]);
    out.extend_from_slice(&image.data);
    out
}

#[derive(Debug, thiserror::Error)]
pub enum LogoError {
    #[error("not a PNG image: {0}")]
    Decode(#[from] png::DecodingError),
    #[error("unsupported PNG layout ({0:?})")]
    Unsupported(png::ColorType),
}

/// A logo from PNG bytes: converted to grey (transparent counts as white), scaled down to at
/// most `max_width` dots, and Floyd–Steinberg dithered to black and white.
pub fn logo_from_png(bytes: &[u8], max_width: u32) -> Result<Raster, LogoError> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info()?;
    let mut buf = vec![0; reader.output_buffer_size().unwrap_or(0)];
    let info = reader.next_frame(&mut buf)?;
    let (w, h) = (info.width, info.height);
    let channels = match info.color_type {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        other => return Err(LogoError::Unsupported(other)),
    };
    let grey = |x: u32, y: u32| -> f32 {
        let p = &buf[((y * w + x) * channels) as usize..][..channels as usize];
        let (luma, alpha) = match channels {
            1 => (f32::from(p[0]), 255.0),
            2 => (f32::from(p[0]), f32::from(p[1])),
            3 => (0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2]), 255.0),
            _ => {
                (0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2]), f32::from(p[3]))
            }
        };
        let a = alpha / 255.0;
        luma * a + 255.0 * (1.0 - a)
    };
    // Box-filter down to the target width.
    let out_w = w.min(max_width).max(1);
    let out_h = ((u64::from(h) * u64::from(out_w)) / u64::from(w.max(1))).max(1) as u32;
    let mut levels = vec![0f32; (out_w * out_h) as usize];
    for oy in 0..out_h {
        for ox in 0..out_w {
            let (x0, x1) = (ox * w / out_w, ((ox + 1) * w / out_w).max(ox * w / out_w + 1));
            let (y0, y1) = (oy * h / out_h, ((oy + 1) * h / out_h).max(oy * h / out_h + 1));
            let mut sum = 0.0;
            for y in y0..y1.min(h) {
                for x in x0..x1.min(w) {
                    sum += grey(x, y);
                }
            }
            levels[(oy * out_w + ox) as usize] = sum / ((x1 - x0) * (y1 - y0)) as f32;
        }
    }
    Ok(dither(&mut levels, out_w, out_h))
}

/// Floyd–Steinberg error diffusion of 0–255 grey levels (255 = white) to 1 bit.
pub fn dither(levels: &mut [f32], w: u32, h: u32) -> Raster {
    let mut out = Raster::new(w, h);
    let idx = |x: u32, y: u32| (y * w + x) as usize;
    for y in 0..h {
        for x in 0..w {
            let old = levels[idx(x, y)];
            let black = old < 128.0;
            out.set(x, y, black);
            let err = old - if black { 0.0 } else { 255.0 };
            let mut spread = |dx: i32, dy: u32, f: f32| {
                let nx = x as i32 + dx;
                if nx >= 0 && (nx as u32) < w && y + dy < h {
                    levels[idx(nx as u32, y + dy)] += err * f;
                }
            };
            spread(1, 0, 7.0 / 16.0);
            spread(-1, 1, 3.0 / 16.0);
            spread(0, 1, 5.0 / 16.0);
            spread(1, 1, 1.0 / 16.0);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printer::receipt::Style;

    #[test]
    fn a_line_renders_inside_its_columns() {
        let line = Line { text: "똠 A".into(), style: Style::default() };
        let img = render_line(&line, 576);
        assert_eq!((img.width, img.height), (576, 24));
        let ink_in = |x0: u32, x1: u32| (0..24).any(|y| (x0..x1).any(|x| img.get(x, y)));
        assert!(ink_in(0, 24), "똠 in columns 0-1");
        assert!(!ink_in(24, 36), "the space is blank");
        assert!(ink_in(36, 48), "A in column 3");
        assert!(!ink_in(48, 576), "nothing beyond");
        let tall = render_line(&Line { text: "A".into(), style: Style::default().double() }, 576);
        assert_eq!(tall.height, 48);
    }

    #[test]
    fn gs_v_0_header_counts_bytes_and_dots() {
        let img = Raster::new(576, 24);
        let bytes = gs_v_0(&img);
        assert_eq!(&bytes[..8], &[0x1D, 0x76, 0x30, 0x00, 72, 0, 24, 0]);
        assert_eq!(bytes.len(), 8 + 72 * 24);
    }

    #[test]
    fn dithering_keeps_the_grey_level() {
        let mut mid = vec![128.0 - 0.5; 64 * 64];
        let img = dither(&mut mid, 64, 64);
        let black =
            (0..64).flat_map(|y| (0..64).map(move |x| (x, y))).filter(|(x, y)| img.get(*x, *y)).count();
        assert!((1900..=2200).contains(&black), "about half black: {black}");
    }

    #[test]
    fn logos_come_from_png() {
        // an 8x2 RGBA PNG: left half black, right half transparent
        let mut png_bytes = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut png_bytes, 8, 2);
            enc.set_color(png::ColorType::Rgba);
            enc.set_depth(png::BitDepth::Eight);
            let mut w = enc.write_header().unwrap();
            let mut data = Vec::new();
            for _ in 0..2 {
                for x in 0..8 {
                    data.extend_from_slice(if x < 4 { &[0, 0, 0, 255] } else { &[0, 0, 0, 0] });
                }
            }
            w.write_image_data(&data).unwrap();
        }
        let logo = logo_from_png(&png_bytes, 576).unwrap();
        assert_eq!((logo.width, logo.height), (8, 2));
        assert_eq!(logo.data, vec![0xF0, 0xF0]);
        assert!(logo_from_png(b"not a png", 576).is_err());
    }
}
