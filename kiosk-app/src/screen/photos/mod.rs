//! Menu photos: the menu names a file; this loads it from the photo folder once and keeps
//! it. A missing or unreadable photo is logged once and shown as an empty frame, never an
//! error for the customer.

use std::collections::HashMap;
use std::path::PathBuf;

use slint::{Image, Rgba8Pixel, SharedPixelBuffer};

pub struct Photos {
    dir: Option<PathBuf>,
    cache: HashMap<String, Image>,
}

impl Photos {
    pub fn new(dir: Option<PathBuf>) -> Photos {
        Photos { dir, cache: HashMap::new() }
    }

    pub fn get(&mut self, name: Option<&str>) -> Image {
        let Some(name) = name else { return Image::default() };
        if let Some(image) = self.cache.get(name) {
            return image.clone();
        }
        let image = match self.load(name) {
            Ok(image) => image,
            Err(e) => {
                tracing::warn!("menu photo {name:?}: {e}");
                Image::default()
            }
        };
        self.cache.insert(name.to_owned(), image.clone());
        image
    }

    fn load(&self, name: &str) -> Result<Image, String> {
        // A name is a file in the photo folder, never a path out of it.
        if name.contains('/') || name.contains("..") {
            return Err("not a plain file name".into());
        }
        let dir = self.dir.as_ref().ok_or("no photo folder configured")?;
        let file = std::fs::File::open(dir.join(name)).map_err(|e| e.to_string())?;
        let mut decoder = png::Decoder::new(std::io::BufReader::new(file));
        decoder
            .set_transformations(png::Transformations::normalize_to_color8() | png::Transformations::ALPHA);
        let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
        let mut buf = vec![0; reader.output_buffer_size().ok_or("image too large")?];
        let info = reader.next_frame(&mut buf).map_err(|e| e.to_string())?;
        if info.color_type != png::ColorType::Rgba {
            return Err(format!("unexpected colour type {:?}", info.color_type));
        }
        let pixels = SharedPixelBuffer::<Rgba8Pixel>::clone_from_slice(
            &buf[..info.buffer_size()],
            info.width,
            info.height,
        );
        Ok(Image::from_rgba8(pixels))
    }
}
