//! Menu photos: the menu names a file in the photo folder; this reads it, decodes it once at
//! the size it is drawn ([`decode`]) and keeps it in a cache bounded in bytes, the photos
//! used longest ago dropped first. A missing, unreadable or oversized photo is logged once
//! and shown as an empty frame, never an error for the customer.

pub mod decode;
pub mod fitted;

use std::collections::HashMap;
use std::fs::Metadata;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use slint::{Image, Rgb8Pixel, Rgba8Pixel, SharedPixelBuffer};

use decode::Fitted;
pub use decode::{Fit, Limits};
use fitted::FittedStore;

/// What the cache may hold besides the photos on screen (the screen holds those itself): a
/// card's photo is 224 × 120 RGB, 81 KB, at 800×1280, so about a category of a dozen. (The
/// attract page's photo, 704 × 512 there, is larger: it is then held alone.) Going
/// back to a category whose photos are out reads them from the fitted store (a tenth of a
/// millisecond a card), and every photo of the menu was fitted ahead
/// ([`Photos::fit_ahead`]): a larger cache would save little and cost memory.
pub const CACHE_BYTES: usize = 1 << 20;

/// The boxes photos are drawn in, in physical pixels, from the window's size, the
/// magnification (`Theme.scale`) and the window's scale factor: the layout of
/// `ui/ui/theme.slint` (pad 16, gap 12), `pages/menu.slint` (the card's photo: its cell less
/// the card's padding, 120 high) and `pages/welcome.slint`.
impl Fit {
    /// A menu card's photo. The grid has 3 columns upright, 4 sideways, and `magnify` times
    /// fewer when magnified (`ui/ui/app.slint`).
    pub fn card(window: (u32, u32), magnify: f32, scale_factor: f32) -> Fit {
        let (w, s) = (window.0 as f32, magnify.max(1.0) * scale_factor);
        let columns = ((if window.0 > window.1 { 4.0 } else { 3.0 }) / magnify.max(1.0)).floor().max(1.0);
        let cell = (w - 2.0 * 16.0 * s - 12.0 * s * (columns - 1.0)) / columns;
        Fit { width: (cell - 2.0 * 12.0 * s).ceil().max(1.0) as u32, height: (120.0 * s).ceil() as u32 }
    }

    /// The attract page's photo: the window's width less the page's padding, 40 % of its height.
    pub fn attract(window: (u32, u32), magnify: f32, scale_factor: f32) -> Fit {
        let s = magnify.max(1.0) * scale_factor;
        Fit {
            width: (window.0 as f32 - 2.0 * 3.0 * 16.0 * s).ceil().max(1.0) as u32,
            height: (window.1 as f32 * 0.4).ceil() as u32,
        }
    }
}

thread_local! {
    static NONE: Image = Image::from_rgba8(SharedPixelBuffer::<Rgba8Pixel>::new(1, 1));
}

/// The empty frame of a card without a photo: one transparent pixel, shared. (Two empty
/// `slint::Image`s never compare equal, so a card holding one would be redrawn at every
/// change of the screen; this one equals itself. Slint's renderer cannot draw a picture of
/// no pixels.)
pub fn none() -> Image {
    NONE.with(Image::clone)
}

/// Whether `image` is [`none`] (or Slint's own empty image).
pub fn is_none(image: &Image) -> bool {
    let size = image.size();
    size.width <= 1 && size.height <= 1
}

struct Entry {
    image: Image,
    bytes: usize,
    used: u64,
}

pub struct Photos {
    dir: Option<PathBuf>,
    limits: Limits,
    budget: usize,
    cache: HashMap<(String, Fit), Entry>,
    held: usize,
    tick: u64,
    /// Photos that could not be shown, logged once each.
    refused: HashMap<String, String>,
    /// Whether a photo was decoded since [`Photos::release_decoder_memory`] last ran.
    decoded: bool,
    /// Photos fitted before, on disk: decoded once per box, ever.
    fitted: Option<FittedStore>,
    /// The thread that fits photos ahead ([`Photos::fit_ahead`]), once asked to.
    ahead: Option<mpsc::Sender<Vec<(String, Fit)>>>,
}

impl Photos {
    pub fn new(dir: Option<PathBuf>) -> Photos {
        Photos::with_budget(dir, CACHE_BYTES, decode::LIMITS)
    }

    pub fn with_budget(dir: Option<PathBuf>, budget: usize, limits: Limits) -> Photos {
        Photos {
            dir,
            limits,
            budget,
            cache: HashMap::new(),
            held: 0,
            tick: 0,
            refused: HashMap::new(),
            decoded: false,
            fitted: None,
            ahead: None,
        }
    }

    /// Keeps every photo fitted to its box in `dir` (the data partition), so it is decoded
    /// once per box, ever (see [`fitted`]).
    pub fn with_fitted_store(mut self, dir: PathBuf) -> Photos {
        self.fitted = Some(FittedStore::new(dir));
        self
    }

    /// Has every photo of `names` fitted to each box of `fits` and kept in the fitted store,
    /// on a thread of its own at a low priority: the tap that first shows a category then
    /// reads its cards' pixels instead of decoding a photo for each (a 12 MP phone JPEG takes
    /// tens of milliseconds here, several times that on a Pi). The thread skips a photo
    /// already in the store, and the screen asks again only when the menu or the boxes
    /// change. Without a fitted store this does nothing: what it fitted would have nowhere
    /// to go. Returns how many (photo, box) pairs it queued: those not in the memory cache.
    pub fn fit_ahead<'a>(&mut self, names: impl IntoIterator<Item = &'a str>, fits: &[Fit]) -> usize {
        let (Some(dir), Some(store)) = (&self.dir, &self.fitted) else { return 0 };
        // Box by box: every card as it is now first, then as the barrier-free mode magnifies it.
        let names: Vec<&str> = names.into_iter().collect();
        let mut jobs = Vec::new();
        for &fit in fits {
            for &name in &names {
                let job = (name.to_owned(), fit);
                if !self.refused.contains_key(name) && !self.cache.contains_key(&job) {
                    jobs.push(job);
                }
            }
        }
        let queued = jobs.len();
        if queued == 0 {
            return 0;
        }
        let limits = self.limits;
        let ahead = self.ahead.get_or_insert_with(|| fit_ahead_thread(dir.clone(), store.clone(), limits));
        // A thread that could not start was said; the photos are then fitted when shown.
        let _ = ahead.send(jobs);
        queued
    }

    /// The photo `name` at the size that covers `fit`, or an empty frame.
    pub fn get(&mut self, name: Option<&str>, fit: Fit) -> Image {
        let Some(name) = name else { return none() };
        if self.refused.contains_key(name) {
            return none();
        }
        self.tick += 1;
        let key = (name.to_owned(), fit);
        if let Some(entry) = self.cache.get_mut(&key) {
            entry.used = self.tick;
            return entry.image.clone();
        }
        match self.load(name, fit) {
            Ok((image, bytes)) => {
                self.make_room(bytes);
                self.held += bytes;
                self.cache.insert(key, Entry { image: image.clone(), bytes, used: self.tick });
                image
            }
            Err(reason) => {
                tracing::warn!("menu photo {name:?} is not shown: {reason}");
                self.refused.insert(name.to_owned(), reason);
                none()
            }
        }
    }

    /// After photos were decoded (or tried) since the last call, gives the decoders' freed
    /// buffers back to the system ([`crate::allocator::trim`]); otherwise does nothing.
    pub fn release_decoder_memory(&mut self) {
        if std::mem::take(&mut self.decoded) {
            crate::allocator::trim();
        }
    }

    /// Bytes of decoded pixels the cache holds now.
    pub fn held_bytes(&self) -> usize {
        self.held
    }

    /// Why a photo is not shown, if it was refused.
    pub fn refused(&self, name: &str) -> Option<&str> {
        self.refused.get(name).map(String::as_str)
    }

    /// Drops the photos used longest ago until `bytes` more fit in the budget. (A photo
    /// still on screen stays alive in the UI's model; it is only no longer shared from here.)
    fn make_room(&mut self, bytes: usize) {
        while self.held + bytes > self.budget {
            let Some(oldest) = self.cache.iter().min_by_key(|(_, e)| e.used).map(|(k, _)| k.clone()) else {
                return;
            };
            if let Some(e) = self.cache.remove(&oldest) {
                self.held -= e.bytes;
            }
        }
    }

    fn load(&mut self, name: &str, fit: Fit) -> Result<(Image, usize), String> {
        let dir = self.dir.as_ref().ok_or("no photo folder configured")?;
        let (fitted, decoded) = fitted_photo(dir, self.fitted.as_ref(), &self.limits, name, fit)?;
        // Only a decode leaves decoder buffers to give back (a fitted file read does not).
        self.decoded |= decoded;
        let held = fitted.bytes();
        let image =
            match fitted.pixels {
                decode::Pixels::Rgb(p) => Image::from_rgb8(SharedPixelBuffer::<Rgb8Pixel>::clone_from_slice(
                    &p,
                    fitted.width,
                    fitted.height,
                )),
                decode::Pixels::Rgba(p) => Image::from_rgba8(
                    SharedPixelBuffer::<Rgba8Pixel>::clone_from_slice(&p, fitted.width, fitted.height),
                ),
            };
        Ok((image, held))
    }
}

/// The source file of photo `name` in `dir`, refused when it is not a plain file name there
/// or is larger than `limits` allow (before it is read).
fn source(dir: &Path, limits: &Limits, name: &str) -> Result<(PathBuf, Metadata), String> {
    // A name is a file in the photo folder, never a path out of it.
    if name.contains('/') || name.contains("..") {
        return Err("not a plain file name".into());
    }
    let path = dir.join(name);
    let meta = std::fs::metadata(&path).map_err(|e| e.to_string())?;
    if meta.len() > limits.max_file_bytes as u64 {
        return Err(decode::PhotoError::FileTooLarge {
            bytes: meta.len() as usize,
            limit: limits.max_file_bytes,
        }
        .to_string());
    }
    Ok((path, meta))
}

/// Decodes the photo at `path` to `fit`, and keeps it at `kept` in the fitted store.
fn decode_and_keep(
    path: &Path,
    kept: Option<(&FittedStore, &Path)>,
    limits: &Limits,
    fit: Fit,
) -> Result<Fitted, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let fitted = decode::fit(&bytes, fit, limits).map_err(|e| e.to_string())?;
    if let Some((store, at)) = kept {
        store.write(at, &fitted);
    }
    Ok(fitted)
}

/// Photo `name` of `dir` fitted to `fit`: read from the fitted store when it is there,
/// else decoded (true) and kept there.
fn fitted_photo(
    dir: &Path,
    store: Option<&FittedStore>,
    limits: &Limits,
    name: &str,
    fit: Fit,
) -> Result<(Fitted, bool), String> {
    let (path, meta) = source(dir, limits, name)?;
    let kept = store.map(|store| (store, store.path(name, fit, &meta)));
    if let Some(fitted) = kept.as_ref().and_then(|(store, at)| store.read(at)) {
        return Ok((fitted, false));
    }
    let fitted =
        decode_and_keep(&path, kept.as_ref().map(|(store, at)| (*store, at.as_path())), limits, fit)?;
    Ok((fitted, true))
}

/// The thread behind [`Photos::fit_ahead`]: fits each photo asked for into `store` unless it
/// is there already, then gives the decoders' memory back.
fn fit_ahead_thread(dir: PathBuf, store: FittedStore, limits: Limits) -> mpsc::Sender<Vec<(String, Fit)>> {
    let (tx, rx) = mpsc::channel::<Vec<(String, Fit)>>();
    let spawned = std::thread::Builder::new().name("photos-ahead".into()).spawn(move || {
        lower_priority();
        while let Ok(jobs) = rx.recv() {
            let mut decoded = 0;
            for (name, fit) in jobs {
                let fitted = source(&dir, &limits, &name).and_then(|(path, meta)| {
                    let at = store.path(&name, fit, &meta);
                    if at.exists() {
                        return Ok(());
                    }
                    let fitted = decode_and_keep(&path, Some((&store, &at)), &limits, fit).map(drop);
                    decoded += 1;
                    // Every few photos as well as after the batch: the file and the decoder's
                    // buffers of one phone JPEG are megabytes, and a 200-item menu would pile
                    // them up. (Not after each: a trim holds the allocator's locks meanwhile.)
                    if decoded % TRIM_EVERY == 0 {
                        crate::allocator::trim();
                    }
                    fitted
                });
                // A photo that cannot be shown is logged, once, by the screen that asks for it.
                if let Err(reason) = fitted {
                    tracing::debug!("menu photo {name:?} not fitted ahead: {reason}");
                }
            }
            if decoded > 0 {
                crate::allocator::trim();
            }
        }
    });
    if let Err(e) = spawned {
        tracing::warn!("menu photos are fitted when first shown: no thread to fit them ahead ({e})");
    }
    tx
}

/// How many photos the thread fitting ahead decodes between giving memory back.
const TRIM_EVERY: usize = 8;

/// Fitting ahead gives way to everything else the device does: the screen, the payment, the
/// store's writes.
fn lower_priority() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: getpriority and setpriority only read and change a scheduling priority. Linux
    // keeps the nice value per thread: the calling thread's id names this thread alone.
    unsafe {
        let me = libc::gettid() as libc::id_t;
        // Nicer than the screen by AHEAD_NICENESS, whatever niceness the process has.
        let nice = (libc::getpriority(libc::PRIO_PROCESS, me) + AHEAD_NICENESS).min(19);
        if libc::setpriority(libc::PRIO_PROCESS, me, nice) != 0 {
            tracing::debug!(
                "fitting photos ahead at the screen's priority: {}",
                std::io::Error::last_os_error()
            );
        }
    }
}

/// How much nicer the thread fitting photos ahead is than the screen's.
const AHEAD_NICENESS: i32 = 10;

#[cfg(test)]
mod tests {
    use super::*;

    fn photo_dir(names: &[&str], size: u32) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for name in names {
            grey_png(&dir.path().join(name), size, 90);
        }
        dir
    }

    const FIT: Fit = Fit { width: 100, height: 100 };

    #[test]
    fn the_cache_stays_within_its_budget_dropping_the_photos_used_longest_ago() {
        let names = ["a.png", "b.png", "c.png", "d.png"];
        let dir = photo_dir(&names, 100);
        // Room for two photos of 100 × 100 RGB.
        let mut photos = Photos::with_budget(Some(dir.path().into()), 2 * 30_000, decode::LIMITS);
        for round in 0..3 {
            for name in names {
                let image = photos.get(Some(name), FIT);
                assert_eq!((image.size().width, image.size().height), (100, 100), "{name} in round {round}");
                assert!(photos.held_bytes() <= 60_000, "{} bytes held", photos.held_bytes());
            }
        }
        assert_eq!(photos.held_bytes(), 60_000);
        // The last two are the ones kept: asking for them again reads nothing.
        std::fs::remove_file(dir.path().join("d.png")).unwrap();
        assert_eq!(photos.get(Some("d.png"), FIT).size().width, 100);
        // The first was dropped: it is read again, and is gone now.
        std::fs::remove_file(dir.path().join("a.png")).unwrap();
        assert!(is_none(&photos.get(Some("a.png"), FIT)));
        assert!(photos.refused("a.png").is_some());
    }

    #[test]
    fn a_missing_oversized_or_outside_photo_is_an_empty_frame_with_its_reason() {
        let dir = photo_dir(&["big.png"], 100);
        let limits = Limits { max_file_bytes: 50, ..decode::LIMITS };
        let mut photos = Photos::with_budget(Some(dir.path().into()), CACHE_BYTES, limits);
        assert!(is_none(&photos.get(Some("big.png"), FIT)));
        assert!(
            photos.refused("big.png").unwrap().contains("at most 50 bytes"),
            "{:?}",
            photos.refused("big.png")
        );
        assert!(is_none(&photos.get(Some("none.png"), FIT)));
        assert!(photos.refused("none.png").is_some());
        assert!(is_none(&photos.get(Some("../big.png"), FIT)));
        assert_eq!(photos.refused("../big.png"), Some("not a plain file name"));
        assert_eq!(photos.held_bytes(), 0);
    }

    /// The pixels of an image, for comparing what two loads gave.
    fn pixels(image: &Image) -> Vec<u8> {
        let buffer = image.to_rgb8().expect("an RGB photo");
        buffer.as_bytes().to_vec()
    }

    /// Writes a `size`² PNG of one grey level at `path`.
    fn grey_png(path: &std::path::Path, size: u32, level: u8) {
        let file = std::fs::File::create(path).unwrap();
        let mut encoder = png::Encoder::new(file, size, size);
        encoder.set_color(png::ColorType::Rgb);
        encoder.write_header().unwrap().write_image_data(&vec![level; (size * size * 3) as usize]).unwrap();
    }

    #[test]
    fn a_photo_is_decoded_once_per_box_ever_and_again_when_it_is_replaced() {
        let (dir, kept) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let photo = dir.path().join("a.png");
        grey_png(&photo, 100, 90);
        let open = || Photos::new(Some(dir.path().into())).with_fitted_store(kept.path().into());
        let first = pixels(&open().get(Some("a.png"), FIT));
        // A restart (an empty memory cache): the source is not decoded again. Garbage of the
        // same length and time in its place proves it is not even read.
        let when = std::fs::metadata(&photo).unwrap().modified().unwrap();
        let len = std::fs::metadata(&photo).unwrap().len() as usize;
        std::fs::write(&photo, vec![0u8; len]).unwrap();
        std::fs::File::options().write(true).open(&photo).unwrap().set_modified(when).unwrap();
        let mut photos = open();
        assert_eq!(pixels(&photos.get(Some("a.png"), FIT)), first, "read back as fitted");
        assert!(photos.refused("a.png").is_none());
        // Another box of the same photo is fitted on its own (the garbage is refused).
        assert!(is_none(&photos.get(Some("a.png"), Fit { width: 50, height: 50 })));
        // The store replaces the photo: decoded afresh, and the old fitted file removed.
        std::thread::sleep(std::time::Duration::from_millis(20));
        grey_png(&photo, 100, 200);
        let second = pixels(&open().get(Some("a.png"), FIT));
        assert_ne!(second, first);
        assert!(second.iter().all(|&b| b == 200));
        let files = std::fs::read_dir(kept.path().join("a.png")).unwrap().count();
        assert_eq!(files, 1, "the older version's file is gone");
        // A fitted file cut short is decoded again, never shown half.
        let file = std::fs::read_dir(kept.path().join("a.png")).unwrap().next().unwrap().unwrap().path();
        let whole = std::fs::read(&file).unwrap();
        std::fs::write(&file, &whole[..whole.len() / 2]).unwrap();
        assert_eq!(pixels(&open().get(Some("a.png"), FIT)), second);
        assert_eq!(std::fs::read(&file).unwrap(), whole, "written whole again");
    }

    /// The nice value in a thread's `stat` file.
    fn nice_in(stat: &std::path::Path) -> Option<i64> {
        let stat = std::fs::read_to_string(stat).ok()?;
        // After the command's closing parenthesis: the state is field 3, the nice value 19.
        stat.rsplit_once(')')?.1.split_whitespace().nth(16)?.parse().ok()
    }

    /// The nice value of this process's thread named `name`, if there is one.
    fn thread_nice(name: &str) -> Option<i64> {
        std::fs::read_dir("/proc/self/task").ok()?.flatten().find_map(|task| {
            let comm = std::fs::read_to_string(task.path().join("comm")).ok()?;
            (comm.trim() == name).then(|| nice_in(&task.path().join("stat")))?
        })
    }

    #[test]
    fn the_menus_photos_are_fitted_ahead_at_a_low_priority_so_showing_them_decodes_none() {
        let names = ["a.png", "b.png", "c.png"];
        let dir = photo_dir(&names, 100);
        let kept = tempfile::tempdir().unwrap();
        let mut photos = Photos::new(Some(dir.path().into())).with_fitted_store(kept.path().into());
        let small = Fit { width: 50, height: 50 };
        // A missing photo and a name out of the folder among them: skipped, nothing written.
        let queued = photos.fit_ahead(names.into_iter().chain(["missing.png", "../a.png"]), &[FIT, small]);
        assert_eq!(queued, 5 * 2);
        let fitted =
            || walk(kept.path()).into_iter().filter(|p| p.extension().is_some_and(|e| e == "fit")).count();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while fitted() < names.len() * 2 {
            assert!(std::time::Instant::now() < deadline, "{} of 6 photos fitted ahead", fitted());
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        {
            let own =
                nice_in(std::path::Path::new("/proc/thread-self/stat")).expect("this thread's nice value");
            let expected = (own + i64::from(AHEAD_NICENESS)).min(19);
            assert_eq!(thread_nice("photos-ahead"), Some(expected), "the fitting thread gives way");
        }
        for name in names {
            for fit in [FIT, small] {
                let size = photos.get(Some(name), fit).size();
                assert_eq!((size.width, size.height), (fit.width, fit.height), "{name}");
            }
        }
        assert!(!photos.decoded, "every photo was read fitted: none decoded on the screen's thread");
        assert_eq!(walk(kept.path()).len(), 6, "only whole fitted files: {:?}", walk(kept.path()));
        // The ones shown are in the memory cache: not queued again.
        assert_eq!(photos.fit_ahead(names, &[FIT]), 0);
    }

    /// Every file under `dir`.
    fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            if entry.path().is_dir() {
                files.extend(walk(&entry.path()));
            } else {
                files.push(entry.path());
            }
        }
        files
    }

    #[test]
    fn card_boxes_follow_the_grid_and_magnification() {
        assert_eq!(Fit::card((800, 1280), 1.0, 1.0), Fit { width: 224, height: 120 });
        assert_eq!(Fit::card((1280, 800), 1.0, 1.0), Fit { width: 279, height: 120 });
        // Magnified: one column upright, two sideways, everything twice as large.
        assert_eq!(Fit::card((800, 1280), 2.0, 1.0), Fit { width: 688, height: 240 });
        assert_eq!(Fit::card((1280, 800), 2.0, 1.0), Fit { width: 548, height: 240 });
        assert_eq!(Fit::attract((800, 1280), 1.0, 1.0), Fit { width: 704, height: 512 });
    }
}
