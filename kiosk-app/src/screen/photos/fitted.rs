//! Photos as the screen draws them, kept on the data partition: a photo is decoded and fitted
//! once per box it is drawn in, ever, not each time the memory cache has dropped it. Going
//! back to a category then reads a card's pixels (81 KB at 800×1280) instead of decoding a
//! phone's JPEG again, which takes tens of milliseconds a photo on the tap that shows it.
//!
//! `DIR/NAME/WxH-LEN-MTIME.fit`: the source's length and modification time in the name, so a
//! photo the store replaces is decoded afresh; the stale files of a name are removed when its
//! new one is written. A file is `KFIT`, width and height (u32, little-endian), the channels
//! (3 or 4) and the pixels. Writing is best effort: a file that cannot be written or read back
//! whole costs a decode, never a photo.

use std::fs::Metadata;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::UNIX_EPOCH;

use super::decode::{Fit, Fitted, Pixels};

const MAGIC: &[u8; 4] = b"KFIT";
const HEADER: usize = 4 + 4 + 4 + 1;

#[derive(Clone)]
pub struct FittedStore {
    dir: PathBuf,
}

impl FittedStore {
    pub fn new(dir: PathBuf) -> FittedStore {
        FittedStore { dir }
    }

    /// Where photo `name` (a plain file name), whose file is `source`, fitted to `fit` is kept.
    pub fn path(&self, name: &str, fit: Fit, source: &Metadata) -> PathBuf {
        let mtime = source
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        self.dir.join(name).join(format!("{}x{}-{}-{mtime}.fit", fit.width, fit.height, source.len()))
    }

    /// The fitted photo at `path`, if it is there whole.
    pub fn read(&self, path: &Path) -> Option<Fitted> {
        let bytes = std::fs::read(path).ok()?;
        let (header, pixels) = bytes.split_at_checked(HEADER)?;
        let word = |at: usize| u32::from_le_bytes(header[at..at + 4].try_into().expect("four bytes"));
        let (width, height, channels) = (word(4), word(8), header[12]);
        let expected = (width as usize).checked_mul(height as usize)?.checked_mul(channels as usize)?;
        if &header[..4] != MAGIC || pixels.len() != expected {
            tracing::warn!("{}: not a whole fitted photo; decoding the photo again", path.display());
            return None;
        }
        let pixels = match channels {
            3 => Pixels::Rgb(pixels.to_vec()),
            4 => Pixels::Rgba(pixels.to_vec()),
            _ => return None,
        };
        Some(Fitted { width, height, pixels })
    }

    /// Keeps `fitted` at `path` (written aside, then renamed: a crash leaves no half file
    /// under the name) and removes the name's files of an older source.
    pub fn write(&self, path: &Path, fitted: &Fitted) {
        if let Err(e) = self.try_write(path, fitted) {
            tracing::warn!("keeping the fitted photo {}: {e}", path.display());
        }
    }

    fn try_write(&self, path: &Path, fitted: &Fitted) -> std::io::Result<()> {
        let dir = path.parent().expect("a file in a photo's folder");
        std::fs::create_dir_all(dir)?;
        let (channels, pixels) = match &fitted.pixels {
            Pixels::Rgb(p) => (3u8, p),
            Pixels::Rgba(p) => (4u8, p),
        };
        let mut bytes = Vec::with_capacity(HEADER + pixels.len());
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&fitted.width.to_le_bytes());
        bytes.extend_from_slice(&fitted.height.to_le_bytes());
        bytes.push(channels);
        bytes.extend_from_slice(pixels);
        // Aside under a name of this write's own: the screen and the thread fitting ahead
        // may write the same photo at once.
        static WRITES: AtomicU64 = AtomicU64::new(0);
        let aside = path.with_extension(format!("part{}", WRITES.fetch_add(1, Ordering::Relaxed)));
        std::fs::write(&aside, &bytes)?;
        std::fs::rename(&aside, path)?;
        // Files of an older version of this photo (another length or time in their name),
        // and files written aside by a write a crash or power cut interrupted (a write under
        // way takes milliseconds, not minutes).
        let source = |p: &Path| p.file_stem()?.to_str()?.split_once('-').map(|(_, s)| s.to_owned());
        let ours = source(path);
        let abandoned = |p: &Path| {
            p.extension().and_then(|e| e.to_str()).is_some_and(|e| e.starts_with("part"))
                && std::fs::metadata(p)
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > std::time::Duration::from_secs(600)))
        };
        for entry in std::fs::read_dir(dir)?.flatten() {
            let other = entry.path();
            if other != path && (source(&other) != ours || abandoned(&other)) {
                let _ = std::fs::remove_file(other);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_removes_what_an_interrupted_write_left_aside_but_not_a_write_under_way() {
        let (dir, kept) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let photo = dir.path().join("a.png");
        std::fs::write(&photo, b"source").unwrap();
        let store = FittedStore::new(kept.path().into());
        let fit = Fit { width: 2, height: 1 };
        let at = store.path("a.png", fit, &std::fs::metadata(&photo).unwrap());
        std::fs::create_dir_all(at.parent().unwrap()).unwrap();
        // Aside files of this very version: one an hour old (its write never finished), one
        // just begun by another writer.
        let (old, fresh) = (at.with_extension("part3"), at.with_extension("part4"));
        std::fs::write(&old, b"half").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&old)
            .unwrap()
            .set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(3600))
            .unwrap();
        std::fs::write(&fresh, b"half").unwrap();
        let fitted = Fitted { width: 2, height: 1, pixels: Pixels::Rgb(vec![1, 2, 3, 4, 5, 6]) };
        store.write(&at, &fitted);
        assert_eq!(store.read(&at), Some(fitted));
        assert!(!old.exists(), "the interrupted write's file is removed");
        assert!(fresh.exists(), "a write under way is left alone");
    }
}
