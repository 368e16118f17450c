//! Writing an image to a disk through its block map: only mapped ranges, each checked
//! against its SHA-256 as it is read from the image; the first sector (the partition table)
//! written last, so an interrupted write leaves a card that does not boot rather than one
//! that boots half an image; then every range read back from the device itself, bypassing
//! the page cache, and checked again. The image may be raw or .xz ([`Source`]).

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use sha2::{Digest, Sha256};

use kiosk_image::bmap::{Bmap, Range};
use kiosk_image::source::{Source, SourceError};

const SECTOR: usize = 512;
const CHUNK: usize = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The cause is in the message, not chained: the CLI prints a chain too and would say
    /// it twice.
    #[error("{what} {path}: {cause}")]
    Io { what: &'static str, path: String, cause: std::io::Error },
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(
        "the image's blocks {first}-{last} do not match the block map: the image file is damaged (download it again)"
    )]
    ImageDamaged { first: u64, last: u64 },
    #[error(
        "blocks {first}-{last} read back from {device} differ from the image: the card or reader is faulty (try another card or reader)"
    )]
    VerifyFailed { device: String, first: u64, last: u64 },
    #[error("{device} holds {size} bytes; the image needs {needed}: use a bigger card")]
    TooSmall { device: String, size: u64, needed: u64 },
}

fn io(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> WriteError + use<> {
    let path = path.display().to_string();
    move |cause| WriteError::Io { what, path, cause }
}

/// The size of a block device or file.
fn size_of(file: &mut File) -> std::io::Result<u64> {
    let end = file.seek(SeekFrom::End(0))?;
    file.seek(SeekFrom::Start(0))?;
    Ok(end)
}

/// The card being written, open from the first block to the provisioning file's read-back.
/// A block device is opened with O_EXCL: the kernel refuses that while a partition is
/// mounted, and while we hold it nothing can mount one (a desktop's automounter reacts to
/// the new partition table), so the FAT write after the image cannot race a mount.
pub struct Target {
    file: File,
    path: PathBuf,
}

impl Target {
    /// Opens a card (a block device, which must hold `image_size` bytes) or an image file
    /// (created, or emptied, and sized: a file then holds exactly the image, holes and all).
    pub fn open(device: &Path, image_size: u64) -> Result<Target, WriteError> {
        let is_block = std::fs::metadata(device)
            .map(|m| std::os::unix::fs::FileTypeExt::is_block_device(&m.file_type()))
            .unwrap_or(false);
        let mut file = OpenOptions::new()
            .write(true)
            .read(true)
            .create(!is_block)
            .truncate(!is_block)
            .custom_flags(if is_block { libc::O_EXCL } else { 0 })
            .open(device)
            .map_err(io(
                if is_block { "opening (mounted or in use? unmount it first)" } else { "creating" },
                device,
            ))?;
        if is_block {
            let size = size_of(&mut file).map_err(io("sizing", device))?;
            if size < image_size {
                return Err(WriteError::TooSmall {
                    device: device.display().to_string(),
                    size,
                    needed: image_size,
                });
            }
        } else {
            file.set_len(image_size).map_err(io("sizing", device))?;
        }
        Ok(Target { file, path: device.to_owned() })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes everything written to the device, through this handle or any other (fsync
    /// acts on the device, not the descriptor), then drops its cached pages so that the
    /// next read comes from the card.
    pub fn sync(&self) -> Result<(), WriteError> {
        self.file.sync_all().map_err(io("flushing", &self.path))?;
        drop_cached(&self.file);
        Ok(())
    }
}

/// Drops a file's or device's clean cached pages. Advisory: a failure only costs the
/// read-back its independence from the cache, which O_DIRECT covers where it is allowed.
fn drop_cached(file: &File) {
    // SAFETY: advisory call on an open descriptor.
    unsafe { libc::posix_fadvise(std::os::fd::AsRawFd::as_raw_fd(file), 0, 0, libc::POSIX_FADV_DONTNEED) };
}

/// Progress: bytes of mapped ranges done, bytes to do, and the time since the start. For a
/// compressed image these are decompressed bytes, so speed and ETA mean the same either way.
pub type Progress<'a> = &'a mut dyn FnMut(u64, u64, std::time::Duration);

/// Writes the mapped blocks of `image` (raw or .xz) to `device` (a block device or a
/// regular file) and verifies them by reading back. Returns the bytes written.
pub fn write(image: &Path, bmap: &Bmap, device: &Path, progress: Progress) -> Result<u64, WriteError> {
    let mut source = Source::open(image)?;
    let mut target = Target::open(device, bmap.image_size)?;
    write_to(&mut source, bmap, &mut target, progress)
}

/// [`write`] on an opened image and card.
pub fn write_to(
    src: &mut Source,
    bmap: &Bmap,
    target: &mut Target,
    progress: Progress,
) -> Result<u64, WriteError> {
    let device = target.path.clone();
    let dst = &mut target.file;
    let total: u64 = bmap.ranges.iter().map(|r| bmap.span(r).1).sum();
    let (mut done, started) = (0u64, Instant::now());
    let mut first_sector: Option<Vec<u8>> = None;
    let mut buf = vec![0u8; CHUNK];
    for range in &bmap.ranges {
        let (start, len) = bmap.span(range);
        src.skip_to(start)?;
        dst.seek(SeekFrom::Start(start)).map_err(io("writing", &device))?;
        let mut hasher = Sha256::new();
        let mut left = len;
        let mut at = start;
        while left > 0 {
            let n = left.min(CHUNK as u64) as usize;
            src.read_exact(&mut buf[..n])?;
            hasher.update(&buf[..n]);
            let mut chunk = &buf[..n];
            if at == 0 {
                // Held back: written after everything else is on the card.
                first_sector = Some(chunk[..SECTOR.min(n)].to_vec());
                dst.seek(SeekFrom::Start(SECTOR.min(n) as u64)).map_err(io("writing", &device))?;
                chunk = &chunk[SECTOR.min(n)..];
            }
            dst.write_all(chunk).map_err(io("writing", &device))?;
            at += n as u64;
            left -= n as u64;
            done += n as u64;
            progress(done, total, started.elapsed());
        }
        if hex::encode(hasher.finalize()) != range.sha256 {
            return Err(WriteError::ImageDamaged { first: range.first, last: range.last });
        }
    }
    dst.sync_all().map_err(io("flushing", &device))?;
    verify(&device, bmap, first_sector.is_some())?;
    if let Some(sector) = first_sector {
        dst.seek(SeekFrom::Start(0)).map_err(io("writing", &device))?;
        dst.write_all(&sector).map_err(io("writing", &device))?;
        target.sync()?;
        let mut f = open_uncached(&device)?;
        if !verify_range(&mut f, &mut Aligned::new(CHUNK), &device, bmap, &bmap.ranges[0])? {
            return Err(mismatch(&device, &bmap.ranges[0]));
        }
    }
    Ok(done)
}

fn mismatch(device: &Path, range: &Range) -> WriteError {
    WriteError::VerifyFailed { device: device.display().to_string(), first: range.first, last: range.last }
}

/// Reads every mapped range back from `device` and checks it against the block map.
/// `skip_first_sector`: the partition table is not written yet (checked after it is).
pub fn verify(device: &Path, bmap: &Bmap, skip_first_sector: bool) -> Result<(), WriteError> {
    let (mut f, mut buf) = (open_uncached(device)?, Aligned::new(CHUNK));
    for (i, range) in bmap.ranges.iter().enumerate() {
        if i == 0 && skip_first_sector && range.first == 0 {
            continue;
        }
        if !verify_range(&mut f, &mut buf, device, bmap, range)? {
            return Err(mismatch(device, range));
        }
    }
    Ok(())
}

/// Every mapped range that reads back from `device` different from the block map (a
/// written card may since have been changed on purpose: see `provision::explains`).
pub fn differing(device: &Path, bmap: &Bmap) -> Result<Vec<Range>, WriteError> {
    let (mut f, mut buf) = (open_uncached(device)?, Aligned::new(CHUNK));
    let mut out = Vec::new();
    for range in &bmap.ranges {
        if !verify_range(&mut f, &mut buf, device, bmap, range)? {
            out.push(range.clone());
        }
    }
    Ok(out)
}

/// Opened with O_DIRECT so the bytes come from the device, not from what the page cache
/// kept of the write; where the file system refuses O_DIRECT (tmpfs), the cached pages are
/// dropped first.
fn open_uncached(device: &Path) -> Result<File, WriteError> {
    match OpenOptions::new().read(true).custom_flags(libc::O_DIRECT).open(device) {
        Ok(f) => Ok(f),
        Err(_) => {
            let f = File::open(device).map_err(io("reading back", device))?;
            drop_cached(&f);
            Ok(f)
        }
    }
}

/// A buffer aligned for O_DIRECT (4 KiB).
struct Aligned {
    raw: Vec<u8>,
    offset: usize,
}

impl Aligned {
    fn new(len: usize) -> Aligned {
        let raw = vec![0u8; len + 4096];
        let offset = raw.as_ptr().align_offset(4096);
        Aligned { raw, offset }
    }
    fn get(&mut self, len: usize) -> &mut [u8] {
        &mut self.raw[self.offset..self.offset + len]
    }
}

/// Whether `range` reads back from `device` as the block map says. A device that ends
/// before the range does not.
fn verify_range(
    f: &mut File,
    buf: &mut Aligned,
    device: &Path,
    bmap: &Bmap,
    range: &Range,
) -> Result<bool, WriteError> {
    let (start, len) = bmap.span(range);
    // O_DIRECT reads whole aligned blocks; the hash takes only the range's bytes.
    let aligned_start = start / 4096 * 4096;
    let skip = (start - aligned_start) as usize;
    f.seek(SeekFrom::Start(aligned_start)).map_err(io("reading back", device))?;
    let mut hasher = Sha256::new();
    let (mut left, mut first) = (len, true);
    while left > 0 {
        let want = ((left as usize + if first { skip } else { 0 }).min(CHUNK)).div_ceil(4096) * 4096;
        let chunk = buf.get(want);
        let mut got = 0;
        while got < want {
            match f.read(&mut chunk[got..]).map_err(io("reading back", device))? {
                0 => break,
                n => got += n,
            }
        }
        let from = if first { skip } else { 0 };
        let take = (got.saturating_sub(from)).min(left as usize);
        if take == 0 {
            return Ok(false);
        }
        hasher.update(&chunk[from..from + take]);
        left -= take as u64;
        first = false;
    }
    Ok(hex::encode(hasher.finalize()) == range.sha256)
}
