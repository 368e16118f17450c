use image::ImageEncoder;

use super::*;

/// A photo whose left half is red and right half blue, in RGB.
fn halves(width: u32, height: u32) -> Vec<u8> {
    (0..height)
        .flat_map(|_| (0..width).flat_map(move |x| if x < width / 2 { [220, 20, 20] } else { [20, 20, 220] }))
        .collect()
}

/// A JPEG of `rgb`, with an EXIF orientation when given.
fn jpeg_of(rgb: &[u8], width: u32, height: u32, orientation: Option<u16>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90);
    if let Some(o) = orientation {
        // TIFF, big-endian: one IFD with one SHORT entry, Orientation (0x0112).
        let mut tiff = b"MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01".to_vec();
        tiff.extend_from_slice(&o.to_be_bytes());
        tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        encoder.set_exif_metadata(tiff).unwrap();
    }
    encoder.write_image(rgb, width, height, image::ExtendedColorType::Rgb8).unwrap();
    out
}

fn png_of(data: &[u8], width: u32, height: u32, color: png::ColorType) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(color);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.write_header().unwrap().write_image_data(data).unwrap();
    out
}

fn rgb(f: &Fitted) -> &[u8] {
    match &f.pixels {
        Pixels::Rgb(p) => p,
        Pixels::Rgba(_) => panic!("expected RGB"),
    }
}

/// The colour at a point of an RGB photo.
fn at(f: &Fitted, x: u32, y: u32) -> [u8; 3] {
    let i = (y * f.width + x) as usize * 3;
    let p = rgb(f);
    [p[i], p[i + 1], p[i + 2]]
}

fn reddish(c: [u8; 3]) -> bool {
    c[0] > 150 && c[2] < 100
}

fn bluish(c: [u8; 3]) -> bool {
    c[2] > 150 && c[0] < 100
}

const CARD: Fit = Fit { width: 267, height: 200 };

#[test]
fn a_phone_jpeg_is_scaled_to_cover_the_box_and_never_decoded_whole() {
    let (w, h) = (2400, 1800);
    let file = jpeg_of(&halves(w, h), w, h, None);
    // Decoded whole it would take 2400 × 1800 × 4 bytes (17 MB); the DCT scale of 1/8 takes
    // 300 × 225, well inside a 1 MB allowance.
    let tight = Limits { max_decoded_bytes: 1 << 20, ..LIMITS };
    let f = fit(&file, CARD, &tight).unwrap();
    assert_eq!((f.width, f.height), (267, 200));
    assert_eq!(f.bytes(), 267 * 200 * 3);
    assert!(
        reddish(at(&f, 10, 100)) && bluish(at(&f, 256, 100)),
        "{:?} {:?}",
        at(&f, 10, 100),
        at(&f, 256, 100)
    );
    // A PNG of the same size has no such scale: the same allowance refuses it.
    let png = png_of(&halves(w, h), w, h, png::ColorType::Rgb);
    assert!(matches!(fit(&png, CARD, &tight), Err(PhotoError::DecodeTooLarge { .. })));
}

#[test]
fn a_wide_photo_covers_the_box_and_keeps_its_middle() {
    // 1600 × 900 covers 267 × 200 at 356 × 200; its middle 267 columns are kept, so the red
    // half ends at the middle still.
    let file = jpeg_of(&halves(1600, 900), 1600, 900, None);
    let f = fit(&file, CARD, &LIMITS).unwrap();
    assert_eq!((f.width, f.height), (267, 200));
    assert!(
        reddish(at(&f, 125, 100)) && bluish(at(&f, 142, 100)),
        "{:?} {:?}",
        at(&f, 125, 100),
        at(&f, 142, 100)
    );
}

#[test]
fn a_small_photo_is_never_enlarged() {
    let file = png_of(&halves(100, 50), 100, 50, png::ColorType::Rgb);
    let f = fit(&file, Fit { width: 800, height: 600 }, &LIMITS).unwrap();
    assert_eq!((f.width, f.height), (100, 50));
    assert_eq!(rgb(&f), &halves(100, 50)[..]);
}

#[test]
fn exif_orientations_turn_the_photo_upright() {
    // Stored 80×40, red on the left. Turned a quarter clockwise (6), red is on top; a quarter
    // anticlockwise (8), red is at the bottom; half a turn (3), red is on the right.
    let file = |o| jpeg_of(&halves(80, 40), 80, 40, Some(o));
    let box_ = Fit { width: 400, height: 400 };
    let six = fit(&file(6), box_, &LIMITS).unwrap();
    assert_eq!((six.width, six.height), (40, 80));
    assert!(reddish(at(&six, 20, 5)) && bluish(at(&six, 20, 75)));
    let eight = fit(&file(8), box_, &LIMITS).unwrap();
    assert_eq!((eight.width, eight.height), (40, 80));
    assert!(bluish(at(&eight, 20, 5)) && reddish(at(&eight, 20, 75)));
    let three = fit(&file(3), box_, &LIMITS).unwrap();
    assert_eq!((three.width, three.height), (80, 40));
    assert!(bluish(at(&three, 5, 20)) && reddish(at(&three, 75, 20)));
    let one = fit(&file(1), box_, &LIMITS).unwrap();
    assert!(reddish(at(&one, 5, 20)) && bluish(at(&one, 75, 20)));
}

#[test]
fn a_turned_photo_covers_the_box_upright() {
    // A portrait phone photo stored landscape (orientation 6) for a landscape box: scaled so
    // that, upright, it covers 267 wide.
    let file = jpeg_of(&halves(1200, 900), 1200, 900, Some(6));
    let f = fit(&file, CARD, &LIMITS).unwrap();
    assert_eq!((f.width, f.height), (267, 200));
    // Upright, the red half is on top: the middle 200 rows of 356 straddle the line.
    assert!(
        reddish(at(&f, 133, 80)) && bluish(at(&f, 133, 120)),
        "{:?} {:?}",
        at(&f, 133, 80),
        at(&f, 133, 120)
    );
}

#[test]
fn transparency_is_kept_and_an_opaque_rgba_photo_becomes_rgb() {
    let mut rgba: Vec<u8> = halves(20, 10).chunks(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect();
    let opaque = fit(&png_of(&rgba, 20, 10, png::ColorType::Rgba), CARD, &LIMITS).unwrap();
    assert_eq!(opaque.pixels, Pixels::Rgb(halves(20, 10)));
    rgba[3] = 0;
    let clear = fit(&png_of(&rgba, 20, 10, png::ColorType::Rgba), CARD, &LIMITS).unwrap();
    assert!(matches!(&clear.pixels, Pixels::Rgba(p) if p[3] == 0 && p.len() == 20 * 10 * 4));
}

#[test]
fn webp_is_read() {
    let mut file = Vec::new();
    image_webp::WebPEncoder::new(&mut file)
        .encode(&halves(64, 32), 64, 32, image_webp::ColorType::Rgb8)
        .unwrap();
    let f = fit(&file, Fit { width: 32, height: 16 }, &LIMITS).unwrap();
    assert_eq!((f.width, f.height), (32, 16));
    assert!(reddish(at(&f, 2, 8)) && bluish(at(&f, 30, 8)));
}

#[test]
fn photos_past_the_limits_are_refused_before_they_are_decoded() {
    let file = jpeg_of(&halves(200, 100), 200, 100, None);
    let small_file = Limits { max_file_bytes: 100, ..LIMITS };
    assert!(matches!(fit(&file, CARD, &small_file), Err(PhotoError::FileTooLarge { limit: 100, .. })));
    let few_pixels = Limits { max_pixels: 10_000, ..LIMITS };
    assert_eq!(
        fit(&file, CARD, &few_pixels),
        Err(PhotoError::TooManyPixels { width: 200, height: 100, limit: 10_000 })
    );
    let png = png_of(&halves(200, 100), 200, 100, png::ColorType::Rgb);
    assert!(matches!(fit(&png, CARD, &few_pixels), Err(PhotoError::TooManyPixels { .. })));
    let mut webp = Vec::new();
    image_webp::WebPEncoder::new(&mut webp)
        .encode(&halves(200, 100), 200, 100, image_webp::ColorType::Rgb8)
        .unwrap();
    assert!(matches!(fit(&webp, CARD, &few_pixels), Err(PhotoError::TooManyPixels { .. })));
}

#[test]
fn garbage_and_truncated_files_are_errors_not_panics() {
    assert_eq!(fit(b"not a photo at all", CARD, &LIMITS), Err(PhotoError::UnknownFormat));
    assert_eq!(fit(b"", CARD, &LIMITS), Err(PhotoError::UnknownFormat));
    let jpeg = jpeg_of(&halves(200, 100), 200, 100, None);
    let png = png_of(&halves(200, 100), 200, 100, png::ColorType::Rgb);
    // A PNG cut in its pixels is refused; a JPEG's headers cut short too, while one cut in its scan
    // data is shown as far as it goes (as browsers do), at its full size.
    for cut in [4, 20, 100, png.len() / 2] {
        let e = fit(&png[..cut], CARD, &LIMITS).map(|f| (f.width, f.height));
        assert!(
            matches!(e, Err(PhotoError::Corrupt { .. }) | Err(PhotoError::UnknownFormat)),
            "PNG cut at {cut}: {e:?}"
        );
    }
    for cut in [4, 20, 100] {
        let e = fit(&jpeg[..cut], CARD, &LIMITS).map(|f| (f.width, f.height));
        assert!(
            matches!(e, Err(PhotoError::Corrupt { .. }) | Err(PhotoError::UnknownFormat)),
            "JPEG cut at {cut}: {e:?}"
        );
    }
    for cut in [jpeg.len() / 2, jpeg.len() - 3] {
        let e = fit(&jpeg[..cut], CARD, &LIMITS).map(|f| (f.width, f.height));
        assert!(matches!(e, Ok((200, 100)) | Err(PhotoError::Corrupt { .. })), "JPEG cut at {cut}: {e:?}");
    }
}
