//! A menu photo's bytes to the pixels the screen draws: JPEG, PNG or WebP, decoded once,
//! scaled to cover the box it is drawn in (never enlarged), turned upright by its EXIF
//! orientation and cropped to the box (the middle, as `image-fit: cover` shows it). No I/O: bytes in, pixels out, so every rule here is tested with byte vectors.
//!
//! A phone photo is 12 MP or more: decoded whole it would take 36 MB and most of a second on
//! a Raspberry Pi. A JPEG is decoded at the smallest DCT scale (1/2, 1/4 or 1/8) that still
//! covers the box, so such a photo costs a few hundred kilobytes on its way; only the final
//! step to the exact size is a resize. PNG and WebP have no such scale and are decoded whole,
//! within [`Limits`].

use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer, images::Image};

/// What a photo may cost before it is refused (the customer sees an empty frame).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// The file's size.
    pub max_file_bytes: usize,
    /// Width × height as the file declares it (checked before anything is decoded).
    pub max_pixels: u64,
    /// The largest buffer a decoder may fill on the way (a JPEG after its DCT scale, a PNG
    /// or WebP whole).
    pub max_decoded_bytes: usize,
}

/// A 3 MB phone JPEG passes; a 24 MB file, a 100 MP panorama or a PNG that would decode to
/// more than 64 MiB does not.
pub const LIMITS: Limits =
    Limits { max_file_bytes: 16 << 20, max_pixels: 64_000_000, max_decoded_bytes: 64 << 20 };

/// The box a photo is drawn in, in physical pixels: the photo is scaled to cover it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Fit {
    pub width: u32,
    pub height: u32,
}

/// Decoded pixels, row by row: RGB for an opaque photo (3 bytes a pixel, drawn without
/// blending), RGBA (not premultiplied) for one with transparent pixels.
#[derive(Clone, Debug, PartialEq)]
pub enum Pixels {
    Rgb(Vec<u8>),
    Rgba(Vec<u8>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Fitted {
    pub width: u32,
    pub height: u32,
    pub pixels: Pixels,
}

impl Fitted {
    pub fn bytes(&self) -> usize {
        match &self.pixels {
            Pixels::Rgb(p) | Pixels::Rgba(p) => p.len(),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PhotoError {
    #[error("the file is {bytes} bytes; photos may be at most {limit} bytes")]
    FileTooLarge { bytes: usize, limit: usize },
    #[error("the photo is {width}×{height} pixels; photos may have at most {limit} pixels")]
    TooManyPixels { width: u32, height: u32, limit: u64 },
    #[error("decoding it would take {bytes} bytes; at most {limit} are allowed")]
    DecodeTooLarge { bytes: usize, limit: usize },
    #[error("not a JPEG, PNG or WebP file")]
    UnknownFormat,
    #[error("the photo has no pixels")]
    Empty,
    #[error("{format}: {reason}")]
    Corrupt { format: &'static str, reason: String },
}

fn corrupt(format: &'static str) -> impl Fn(&dyn std::fmt::Display) -> PhotoError {
    move |e| PhotoError::Corrupt { format, reason: e.to_string() }
}

/// Decodes `bytes` and scales the photo to cover `fit`.
pub fn fit(bytes: &[u8], fit: Fit, limits: &Limits) -> Result<Fitted, PhotoError> {
    if bytes.len() > limits.max_file_bytes {
        return Err(PhotoError::FileTooLarge { bytes: bytes.len(), limit: limits.max_file_bytes });
    }
    let (decoded, orientation) = if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        jpeg(bytes, fit, limits)?
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        (png(bytes, limits)?, Orientation::Upright)
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        (webp(bytes, limits)?, Orientation::Upright)
    } else {
        return Err(PhotoError::UnknownFormat);
    };
    let decoded = opaque_as_rgb(decoded);
    let scaled = scale_to_cover(decoded, orientation.stored_fit(fit))?;
    Ok(crop_to(orientation.apply(scaled), fit))
}

/// The middle of the photo, no larger than `fit`: what `image-fit: cover` shows of it, and
/// all the screen keeps.
fn crop_to(f: Fitted, fit: Fit) -> Fitted {
    let (width, height) = (f.width.min(fit.width), f.height.min(fit.height));
    if (width, height) == (f.width, f.height) {
        return f;
    }
    let (left, top) = ((f.width - width) / 2, (f.height - height) / 2);
    let rows = |p: &[u8], n: usize| -> Vec<u8> {
        let (stride, from, len) = (f.width as usize * n, left as usize * n, width as usize * n);
        (top as usize..(top + height) as usize)
            .flat_map(|y| &p[y * stride + from..y * stride + from + len])
            .copied()
            .collect()
    };
    let pixels = match &f.pixels {
        Pixels::Rgb(p) => Pixels::Rgb(rows(p, 3)),
        Pixels::Rgba(p) => Pixels::Rgba(rows(p, 4)),
    };
    Fitted { width, height, pixels }
}

/// Checks the size a photo declares against the limits, before any pixel is decoded.
fn check_declared(width: u32, height: u32, limits: &Limits) -> Result<(), PhotoError> {
    if width == 0 || height == 0 {
        return Err(PhotoError::Empty);
    }
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(PhotoError::TooManyPixels { width, height, limit: limits.max_pixels });
    }
    Ok(())
}

/// Checks the buffer a decoder would fill for `width` × `height` pixels of 4 bytes.
fn check_decoded(width: u32, height: u32, limits: &Limits) -> Result<(), PhotoError> {
    let bytes = width as usize * height as usize * 4;
    if bytes > limits.max_decoded_bytes {
        return Err(PhotoError::DecodeTooLarge { bytes, limit: limits.max_decoded_bytes });
    }
    Ok(())
}

/// The size that covers `fit` with the photo's proportions, never larger than the photo.
fn cover(width: u32, height: u32, fit: Fit) -> (u32, u32) {
    let scale =
        (f64::from(fit.width) / f64::from(width)).max(f64::from(fit.height) / f64::from(height)).min(1.0);
    let side = |v: u32| ((f64::from(v) * scale).round() as u32).max(1);
    (side(width), side(height))
}

fn jpeg(bytes: &[u8], fit: Fit, limits: &Limits) -> Result<(Fitted, Orientation), PhotoError> {
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    decoder.read_info().map_err(|e| corrupt("JPEG")(&e))?;
    let info = decoder.info().ok_or_else(|| corrupt("JPEG")(&"no frame header"))?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    check_declared(width, height, limits)?;
    let orientation = decoder.exif_data().map(Orientation::from_exif).unwrap_or(Orientation::Upright);
    let (want_w, want_h) = cover(width, height, orientation.stored_fit(fit));
    // The smallest DCT scale at or above the size wanted.
    let (w, h) = decoder
        .scale(want_w.min(u32::from(u16::MAX)) as u16, want_h.min(u32::from(u16::MAX)) as u16)
        .map_err(|e| corrupt("JPEG")(&e))?;
    let (w, h) = (u32::from(w), u32::from(h));
    check_decoded(w, h, limits)?;
    decoder.set_max_decoding_buffer_size(limits.max_decoded_bytes);
    let data = decoder.decode().map_err(|e| corrupt("JPEG")(&e))?;
    let format = decoder.info().map(|i| i.pixel_format).ok_or_else(|| corrupt("JPEG")(&"no frame header"))?;
    let rgb = match format {
        jpeg_decoder::PixelFormat::RGB24 => data,
        jpeg_decoder::PixelFormat::L8 => data.iter().flat_map(|&l| [l, l, l]).collect(),
        jpeg_decoder::PixelFormat::L16 => data.chunks_exact(2).flat_map(|l| [l[0], l[0], l[0]]).collect(),
        // Adobe's CMYK JPEGs store the inks inverted.
        jpeg_decoder::PixelFormat::CMYK32 => data
            .chunks_exact(4)
            .flat_map(|p| {
                let k = u16::from(p[3]);
                [p[0], p[1], p[2]].map(|c| (u16::from(c) * k / 255) as u8)
            })
            .collect(),
    };
    if rgb.len() != w as usize * h as usize * 3 {
        return Err(corrupt("JPEG")(&format!("{} bytes of pixels for {w}×{h}", rgb.len())));
    }
    Ok((Fitted { width: w, height: h, pixels: Pixels::Rgb(rgb) }, orientation))
}

fn png(bytes: &[u8], limits: &Limits) -> Result<Fitted, PhotoError> {
    let mut decoder = png::Decoder::new_with_limits(
        std::io::Cursor::new(bytes),
        png::Limits { bytes: limits.max_decoded_bytes },
    );
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let header = decoder.read_header_info().map_err(|e| corrupt("PNG")(&e))?;
    check_declared(header.width, header.height, limits)?;
    check_decoded(header.width, header.height, limits)?;
    let mut reader = decoder.read_info().map_err(|e| corrupt("PNG")(&e))?;
    let mut buf = vec![0; reader.output_buffer_size().ok_or_else(|| corrupt("PNG")(&"too large"))?];
    let frame = reader.next_frame(&mut buf).map_err(|e| corrupt("PNG")(&e))?;
    buf.truncate(frame.buffer_size());
    let (width, height) = (frame.width, frame.height);
    let pixels = match frame.color_type {
        png::ColorType::Rgb => Pixels::Rgb(buf),
        png::ColorType::Rgba => Pixels::Rgba(buf),
        png::ColorType::Grayscale => Pixels::Rgb(buf.iter().flat_map(|&l| [l, l, l]).collect()),
        png::ColorType::GrayscaleAlpha => {
            Pixels::Rgba(buf.chunks_exact(2).flat_map(|p| [p[0], p[0], p[0], p[1]]).collect())
        }
        png::ColorType::Indexed => return Err(corrupt("PNG")(&"palette not expanded")),
    };
    Ok(Fitted { width, height, pixels })
}

fn webp(bytes: &[u8], limits: &Limits) -> Result<Fitted, PhotoError> {
    let mut decoder =
        image_webp::WebPDecoder::new(std::io::Cursor::new(bytes)).map_err(|e| corrupt("WebP")(&e))?;
    let (width, height) = decoder.dimensions();
    check_declared(width, height, limits)?;
    check_decoded(width, height, limits)?;
    decoder.set_memory_limit(limits.max_decoded_bytes);
    let size = decoder.output_buffer_size().ok_or_else(|| corrupt("WebP")(&"too large"))?;
    let mut buf = vec![0; size];
    decoder.read_image(&mut buf).map_err(|e| corrupt("WebP")(&e))?;
    let pixels = if decoder.has_alpha() { Pixels::Rgba(buf) } else { Pixels::Rgb(buf) };
    Ok(Fitted { width, height, pixels })
}

/// RGBA whose every pixel is opaque becomes RGB: a quarter less memory, and drawn without
/// blending.
fn opaque_as_rgb(f: Fitted) -> Fitted {
    match f.pixels {
        Pixels::Rgba(p) if p.chunks_exact(4).all(|px| px[3] == 255) => Fitted {
            pixels: Pixels::Rgb(p.chunks_exact(4).flat_map(|px| [px[0], px[1], px[2]]).collect()),
            ..f
        },
        pixels => Fitted { pixels, ..f },
    }
}

fn scale_to_cover(f: Fitted, fit: Fit) -> Result<Fitted, PhotoError> {
    let (width, height) = cover(f.width, f.height, fit);
    if (width, height) == (f.width, f.height) {
        return Ok(f);
    }
    let (pixel_type, data, rgba) = match f.pixels {
        Pixels::Rgb(p) => (PixelType::U8x3, p, false),
        Pixels::Rgba(p) => (PixelType::U8x4, p, true),
    };
    let resize_error =
        |e: &dyn std::fmt::Display| PhotoError::Corrupt { format: "resize", reason: e.to_string() };
    let source = Image::from_vec_u8(f.width, f.height, data, pixel_type).map_err(|e| resize_error(&e))?;
    let mut target = Image::new(width, height, pixel_type);
    // Catmull-Rom: sharp text on a menu board, no ringing around it.
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::CatmullRom));
    Resizer::new().resize(&source, &mut target, &options).map_err(|e| resize_error(&e))?;
    let data = target.into_vec();
    Ok(Fitted { width, height, pixels: if rgba { Pixels::Rgba(data) } else { Pixels::Rgb(data) } })
}

/// How a camera stored the photo (EXIF tag 0x0112): what turns it upright.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Orientation {
    Upright,
    MirrorHorizontal,
    Rotate180,
    MirrorVertical,
    /// Mirrored across the top-left to bottom-right diagonal.
    Transpose,
    Rotate90,
    /// Mirrored across the top-right to bottom-left diagonal.
    Transverse,
    Rotate270,
}

impl Orientation {
    fn from_exif(tiff: &[u8]) -> Orientation {
        let value = exif::Reader::new().read_raw(tiff.to_vec()).ok().and_then(|e| {
            e.get_field(exif::Tag::Orientation, exif::In::PRIMARY).and_then(|f| f.value.get_uint(0))
        });
        match value {
            Some(2) => Orientation::MirrorHorizontal,
            Some(3) => Orientation::Rotate180,
            Some(4) => Orientation::MirrorVertical,
            Some(5) => Orientation::Transpose,
            Some(6) => Orientation::Rotate90,
            Some(7) => Orientation::Transverse,
            Some(8) => Orientation::Rotate270,
            _ => Orientation::Upright,
        }
    }

    /// The box as the stored (not yet turned) photo sees it.
    fn stored_fit(self, fit: Fit) -> Fit {
        if self.swaps_sides() { Fit { width: fit.height, height: fit.width } } else { fit }
    }

    fn swaps_sides(self) -> bool {
        matches!(
            self,
            Orientation::Transpose | Orientation::Rotate90 | Orientation::Transverse | Orientation::Rotate270
        )
    }

    /// The upright photo: each of its pixels taken from where the camera stored it.
    fn apply(self, f: Fitted) -> Fitted {
        if self == Orientation::Upright {
            return f;
        }
        let (sw, sh) = (f.width as usize, f.height as usize);
        let (w, h) = if self.swaps_sides() { (sh, sw) } else { (sw, sh) };
        let source = |x: usize, y: usize| -> usize {
            let (sx, sy) = match self {
                Orientation::Upright => (x, y),
                Orientation::MirrorHorizontal => (sw - 1 - x, y),
                Orientation::Rotate180 => (sw - 1 - x, sh - 1 - y),
                Orientation::MirrorVertical => (x, sh - 1 - y),
                Orientation::Transpose => (y, x),
                Orientation::Rotate90 => (y, sh - 1 - x),
                Orientation::Transverse => (sw - 1 - y, sh - 1 - x),
                Orientation::Rotate270 => (sw - 1 - y, x),
            };
            sy * sw + sx
        };
        let turn = |p: &[u8], n: usize| -> Vec<u8> {
            let mut out = Vec::with_capacity(p.len());
            for y in 0..h {
                for x in 0..w {
                    let i = source(x, y) * n;
                    out.extend_from_slice(&p[i..i + n]);
                }
            }
            out
        };
        let pixels = match &f.pixels {
            Pixels::Rgb(p) => Pixels::Rgb(turn(p, 3)),
            Pixels::Rgba(p) => Pixels::Rgba(turn(p, 4)),
        };
        Fitted { width: w as u32, height: h as u32, pixels }
    }
}

#[cfg(test)]
mod tests;
