//! Writing an image to a disk through its block map: only mapped ranges, each checked
//! against its SHA-256 as it is read from the image; the first sector (the partition table)
//! written last, so an interrupted write leaves a card that does not boot rather than one
//! that boots half an image; then every range read back from the device itself, bypassing
//! the page cache, and checked again.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::Instant;

use sha2::{Digest, Sha256};

use crate::bmap::{Bmap, Range};

const SECTOR: usize = 512;
const CHUNK: usize = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("{what} {path}: {source}")]
    Io { what: &'static str, path: String, source: std::io::Error },
    #[error("the image's blocks {first}-{last} do not match the block map: the image file is damaged")]
    ImageDamaged { first: u64, last: u64 },
    #[error(
        "blocks {first}-{last} read back from {device} differ from the image: the card or reader is faulty (try another card or reader)"
    )]
    VerifyFailed { device: String, first: u64, last: u64 },
    #[error("{device} holds {size} bytes; the image needs {needed}")]
    TooSmall { device: String, size: u64, needed: u64 },
}

fn io(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> WriteError + use<> {
    let path = path.display().to_string();
    move |source| WriteError::Io { what, path, source }
}

/// The size of a block device or file.
fn size_of(file: &mut File) -> std::io::Result<u64> {
    let end = file.seek(SeekFrom::End(0))?;
    file.seek(SeekFrom::Start(0))?;
    Ok(end)
}

/// Writes the mapped blocks of `image` to `device` (a block device or a regular file) and
/// verifies them by reading back. Returns the bytes written.
/// `progress` hears bytes done, bytes to do, and the time since the start.
pub fn write(
    image: &Path,
    bmap: &Bmap,
    device: &Path,
    progress: &mut dyn FnMut(u64, u64, std::time::Duration),
) -> Result<u64, WriteError> {
    let mut src = File::open(image).map_err(io("opening", image))?;
    // O_EXCL on a block device fails while it is mounted or in use (the kernel's own check).
    let is_block = std::fs::metadata(device)
        .map(|m| std::os::unix::fs::FileTypeExt::is_block_device(&m.file_type()))
        .unwrap_or(false);
    let mut dst = OpenOptions::new()
        .write(true)
        .read(true)
        .create(!is_block)
        .custom_flags(if is_block { libc::O_EXCL } else { 0 })
        .open(device)
        .map_err(io("opening (is it mounted?)", device))?;
    if is_block {
        let size = size_of(&mut dst).map_err(io("sizing", device))?;
        if size < bmap.image_size {
            return Err(WriteError::TooSmall {
                device: device.display().to_string(),
                size,
                needed: bmap.image_size,
            });
        }
    } else {
        dst.set_len(bmap.image_size).map_err(io("sizing", device))?;
    }
    let total: u64 = bmap.ranges.iter().map(|r| bmap.span(r).1).sum();
    let (mut done, started) = (0u64, Instant::now());
    let mut first_sector: Option<Vec<u8>> = None;
    let mut buf = vec![0u8; CHUNK];
    for range in &bmap.ranges {
        let (start, len) = bmap.span(range);
        src.seek(SeekFrom::Start(start)).map_err(io("reading", image))?;
        dst.seek(SeekFrom::Start(start)).map_err(io("writing", device))?;
        let mut hasher = Sha256::new();
        let mut left = len;
        let mut at = start;
        while left > 0 {
            let n = left.min(CHUNK as u64) as usize;
            src.read_exact(&mut buf[..n]).map_err(io("reading", image))?;
            hasher.update(&buf[..n]);
            let mut chunk = &buf[..n];
            if at == 0 {
                // Held back: written after everything else is on the card.
                first_sector = Some(chunk[..SECTOR.min(n)].to_vec());
                dst.seek(SeekFrom::Start(SECTOR.min(n) as u64)).map_err(io("writing", device))?;
                chunk = &chunk[SECTOR.min(n)..];
            }
            dst.write_all(chunk).map_err(io("writing", device))?;
            at += n as u64;
            left -= n as u64;
            done += n as u64;
            progress(done, total, started.elapsed());
        }
        if hex::encode(hasher.finalize()) != range.sha256 {
            return Err(WriteError::ImageDamaged { first: range.first, last: range.last });
        }
    }
    dst.sync_all().map_err(io("flushing", device))?;
    verify(device, bmap, first_sector.is_some())?;
    if let Some(sector) = first_sector {
        dst.seek(SeekFrom::Start(0)).map_err(io("writing", device))?;
        dst.write_all(&sector).map_err(io("writing", device))?;
        dst.sync_all().map_err(io("flushing", device))?;
        verify_range(&mut open_uncached(device)?, device, bmap, &bmap.ranges[0])?;
    }
    Ok(done)
}

/// Reads every mapped range back from `device` and checks it against the block map.
/// `skip_first_sector`: the partition table is not written yet (checked after it is).
pub fn verify(device: &Path, bmap: &Bmap, skip_first_sector: bool) -> Result<(), WriteError> {
    let mut f = open_uncached(device)?;
    for (i, range) in bmap.ranges.iter().enumerate() {
        if i == 0 && skip_first_sector && range.first == 0 {
            continue;
        }
        verify_range(&mut f, device, bmap, range)?;
    }
    Ok(())
}

/// Opened with O_DIRECT so the bytes come from the device, not from what the page cache
/// kept of the write; where the file system refuses O_DIRECT (tmpfs), the cached pages are
/// dropped first.
fn open_uncached(device: &Path) -> Result<File, WriteError> {
    match OpenOptions::new().read(true).custom_flags(libc::O_DIRECT).open(device) {
        Ok(f) => Ok(f),
        Err(_) => {
            let f = File::open(device).map_err(io("reading back", device))?;
            // SAFETY: advisory call on an open descriptor.
            unsafe {
                libc::posix_fadvise(std::os::fd::AsRawFd::as_raw_fd(&f), 0, 0, libc::POSIX_FADV_DONTNEED)
            };
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

fn verify_range(f: &mut File, device: &Path, bmap: &Bmap, range: &Range) -> Result<(), WriteError> {
    let (start, len) = bmap.span(range);
    // O_DIRECT reads whole aligned blocks; the hash takes only the range's bytes.
    let aligned_start = start / 4096 * 4096;
    let skip = (start - aligned_start) as usize;
    f.seek(SeekFrom::Start(aligned_start)).map_err(io("reading back", device))?;
    let mut hasher = Sha256::new();
    let mut buf = Aligned::new(CHUNK);
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
            return Err(WriteError::VerifyFailed {
                device: device.display().to_string(),
                first: range.first,
                last: range.last,
            });
        }
        hasher.update(&chunk[from..from + take]);
        left -= take as u64;
        first = false;
    }
    if hex::encode(hasher.finalize()) != range.sha256 {
        return Err(WriteError::VerifyFailed {
            device: device.display().to_string(),
            first: range.first,
            last: range.last,
        });
    }
    Ok(())
}
