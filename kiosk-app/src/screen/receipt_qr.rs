//! The e-receipt's QR code on the done page: the store server's receipt page for the order
//! (`<link>/r/<token>`, the token the device sent with the order), drawn as a picture with
//! the quiet zone a phone's camera needs.

use slint::{Image, Rgb8Pixel, SharedPixelBuffer};

/// Screen pixels per QR module (the page draws the picture at its own size, pixelated).
const MODULE_PX: usize = 4;
/// Modules of white around the code, as the QR standard asks.
const QUIET: usize = 4;

/// The receipt page's address for an order's token.
pub fn receipt_url(link: &str, token: &str) -> String {
    format!("{}/r/{token}", link.trim_end_matches('/'))
}

/// `url` as a QR code picture; `None` if it is too long for a QR code.
pub fn qr_image(url: &str) -> Option<Image> {
    let code = qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M).ok()?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET) * MODULE_PX;
    let mut buffer = SharedPixelBuffer::<Rgb8Pixel>::new(side as u32, side as u32);
    let pixels = buffer.make_mut_slice();
    for (i, px) in pixels.iter_mut().enumerate() {
        let (x, y) = ((i % side) / MODULE_PX, (i / side) / MODULE_PX);
        let dark = x >= QUIET
            && y >= QUIET
            && x < QUIET + modules
            && y < QUIET + modules
            && colors[(y - QUIET) * modules + (x - QUIET)] == qrcode::Color::Dark;
        let v = if dark { 0 } else { 255 };
        *px = Rgb8Pixel { r: v, g: v, b: v };
    }
    Some(Image::from_rgb8(buffer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_link_is_the_store_servers_receipt_page() {
        assert_eq!(receipt_url("http://10.0.0.2:8765/", "ab12"), "http://10.0.0.2:8765/r/ab12");
        let image = qr_image(&receipt_url("http://10.0.0.2:8765", &"a".repeat(32))).unwrap();
        let size = image.size();
        assert_eq!(size.width, size.height);
        assert!(size.width as usize >= (21 + 2 * QUIET) * MODULE_PX);
    }
}
