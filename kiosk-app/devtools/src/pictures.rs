//! Pictures for the demo menu, drawn here so the repository carries no photos: a cup, a
//! glass, a pastry, a cake slice or a sandwich on a soft background, coloured per item.
//! Real stores put their own photos in the photo folder.

use std::path::Path;

use kiosk_domain::{Item, Menu};

const W: u32 = 320;
const H: u32 = 240;

type Rgb = [u8; 3];

struct Canvas {
    px: Vec<u8>,
}

impl Canvas {
    fn new(top: Rgb, bottom: Rgb) -> Canvas {
        let mut px = Vec::with_capacity((W * H * 4) as usize);
        for y in 0..H {
            let t = y as f32 / H as f32;
            for _ in 0..W {
                for c in 0..3 {
                    px.push((top[c] as f32 * (1.0 - t) + bottom[c] as f32 * t) as u8);
                }
                px.push(255);
            }
        }
        Canvas { px }
    }

    fn fill(&mut self, inside: impl Fn(f32, f32) -> bool, colour: Rgb) {
        for y in 0..H {
            for x in 0..W {
                if inside(x as f32 + 0.5, y as f32 + 0.5) {
                    let i = ((y * W + x) * 4) as usize;
                    self.px[i..i + 3].copy_from_slice(&colour);
                }
            }
        }
    }

    fn ellipse(&mut self, cx: f32, cy: f32, rx: f32, ry: f32, colour: Rgb) {
        self.fill(|x, y| ((x - cx) / rx).powi(2) + ((y - cy) / ry).powi(2) <= 1.0, colour);
    }

    fn rect(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, colour: Rgb) {
        self.fill(|x, y| x >= x0 && x <= x1 && y >= y0 && y <= y1, colour);
    }

    /// A trapezoid: `top` wide at `y0`, `bottom` wide at `y1`, centred on `cx`.
    fn trapezoid(&mut self, cx: f32, y0: f32, y1: f32, top: f32, bottom: f32, colour: Rgb) {
        self.fill(
            |x, y| {
                if y < y0 || y > y1 {
                    return false;
                }
                let half = (top + (bottom - top) * (y - y0) / (y1 - y0)) / 2.0;
                (x - cx).abs() <= half
            },
            colour,
        );
    }

    fn triangle(&mut self, a: (f32, f32), b: (f32, f32), c: (f32, f32), colour: Rgb) {
        let side =
            |p: (f32, f32), q: (f32, f32), x: f32, y: f32| (q.0 - p.0) * (y - p.1) - (q.1 - p.1) * (x - p.0);
        self.fill(
            |x, y| {
                let (d1, d2, d3) = (side(a, b, x, y), side(b, c, x, y), side(c, a, x, y));
                !((d1 < 0.0 || d2 < 0.0 || d3 < 0.0) && (d1 > 0.0 || d2 > 0.0 || d3 > 0.0))
            },
            colour,
        );
    }
}

/// The drink or dish colour, from words in the item id.
fn colour_of(id: &str) -> Rgb {
    const TABLE: [(&str, Rgb); 24] = [
        ("americano", [58, 36, 24]),
        ("espresso", [48, 28, 18]),
        ("cold-brew", [40, 24, 16]),
        ("mocha", [92, 54, 36]),
        ("chocolate", [92, 54, 36]),
        ("caramel", [196, 134, 72]),
        ("vanilla", [222, 196, 150]),
        ("einspanner", [236, 226, 206]),
        ("latte", [200, 160, 120]),
        ("cappuccino", [196, 156, 116]),
        ("flat-white", [210, 176, 136]),
        ("matcha", [120, 168, 80]),
        ("chai", [190, 140, 90]),
        ("earl-grey", [150, 90, 50]),
        ("citron", [246, 196, 60]),
        ("ginger", [214, 160, 70]),
        ("lemon", [250, 224, 90]),
        ("grapefruit", [240, 120, 100]),
        ("green-grape", [170, 210, 90]),
        ("strawberry", [236, 96, 120]),
        ("mango", [250, 176, 50]),
        ("tiramisu", [150, 110, 80]),
        ("carrot", [226, 130, 60]),
        ("macaron", [240, 170, 200]),
    ];
    TABLE.iter().find(|(k, _)| id.contains(k)).map(|(_, c)| *c).unwrap_or_else(|| {
        let h = id.bytes().fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32));
        [(120 + h % 100) as u8, (90 + (h / 7) % 100) as u8, (60 + (h / 49) % 80) as u8]
    })
}

fn draw(item: &Item) -> Vec<u8> {
    let colour = colour_of(&item.id.0);
    let mut c = Canvas::new([252, 246, 236], [232, 220, 202]);
    // the table and a shadow
    c.ellipse(160.0, 206.0, 120.0, 18.0, [214, 200, 180]);
    match item.category.0.as_str() {
        "coffee" | "tea" if !item.id.0.contains("cold") => {
            // a mug with a handle and steam
            c.ellipse(218.0, 140.0, 30.0, 34.0, [250, 250, 248]);
            c.ellipse(218.0, 140.0, 16.0, 20.0, [240, 230, 214]);
            c.trapezoid(160.0, 80.0, 200.0, 130.0, 104.0, [250, 250, 248]);
            c.ellipse(160.0, 84.0, 62.0, 12.0, colour);
            for dx in [-24.0, 0.0, 24.0] {
                c.ellipse(160.0 + dx, 52.0, 6.0, 14.0, [236, 232, 226]);
            }
        }
        "coffee" | "tea" | "ade" => {
            // a tall glass with ice and a straw
            c.rect(176.0, 20.0, 184.0, 120.0, [40, 120, 200]);
            c.trapezoid(160.0, 50.0, 205.0, 112.0, 90.0, [236, 244, 248]);
            c.trapezoid(160.0, 80.0, 200.0, 104.0, 88.0, colour);
            for (x, y) in [(140.0, 96.0), (170.0, 104.0), (152.0, 126.0)] {
                c.rect(x, y, x + 18.0, y + 18.0, [224, 240, 248]);
            }
        }
        "bakery" => {
            // a golden crescent
            let crust = [206, 146, 70];
            c.ellipse(160.0, 150.0, 96.0, 48.0, crust);
            c.ellipse(160.0, 176.0, 70.0, 30.0, [232, 220, 202]);
            for dx in [-50.0, -16.0, 16.0, 50.0] {
                c.ellipse(160.0 + dx, 134.0, 16.0, 26.0, [226, 170, 90]);
            }
        }
        "dessert" => {
            // a cake slice on a plate
            c.ellipse(160.0, 196.0, 110.0, 22.0, [250, 250, 248]);
            c.triangle((70.0, 180.0), (250.0, 180.0), (250.0, 90.0), colour);
            c.rect(70.0, 150.0, 250.0, 158.0, [250, 240, 220]);
            c.triangle((70.0, 180.0), (250.0, 90.0), (250.0, 80.0), [250, 240, 220]);
            c.ellipse(232.0, 84.0, 12.0, 10.0, [200, 40, 60]);
        }
        "brunch" => {
            // a sandwich: bread, leaf, filling, bread
            c.ellipse(160.0, 196.0, 110.0, 22.0, [250, 250, 248]);
            c.rect(80.0, 150.0, 240.0, 176.0, [222, 180, 120]);
            c.rect(76.0, 138.0, 244.0, 150.0, [110, 180, 80]);
            c.rect(80.0, 122.0, 240.0, 138.0, colour);
            c.rect(80.0, 96.0, 240.0, 122.0, [222, 180, 120]);
        }
        _ => {
            // a set: a small cup beside a small plate
            c.trapezoid(110.0, 100.0, 190.0, 90.0, 72.0, [250, 250, 248]);
            c.ellipse(110.0, 104.0, 44.0, 9.0, [120, 80, 50]);
            c.ellipse(220.0, 186.0, 70.0, 14.0, [250, 250, 248]);
            c.rect(170.0, 140.0, 270.0, 180.0, colour);
        }
    }
    c.px
}

/// Writes `ITEM.png` for every item of `menu` that names a photo into `dir`.
pub fn write_all(menu: &Menu, dir: &Path) -> std::io::Result<usize> {
    std::fs::create_dir_all(dir)?;
    let mut n = 0;
    for item in &menu.items {
        let Some(name) = &item.image else { continue };
        let file = std::io::BufWriter::new(std::fs::File::create(dir.join(name))?);
        let mut encoder = png::Encoder::new(file, W, H);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(std::io::Error::other)?;
        writer.write_image_data(&draw(item)).map_err(std::io::Error::other)?;
        n += 1;
    }
    Ok(n)
}
