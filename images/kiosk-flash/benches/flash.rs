//! What writing through the block map buys: a sparse image the size and shape of a release
//! (2 GiB, 37 % mapped as in the reference build, in ranges from 4 KiB to 8 MiB) written to a
//! file by the installer's writer twice: once through its block map, once through a map that
//! names every block (the same code, so the difference is only the blocks skipped). Both
//! runs include the fsync and the O_DIRECT read-back verification, as `kiosk-flash write`
//! does; the image's cached pages are dropped before each run so it is read from disk.
//!
//! `cargo bench -p kiosk-flash --bench flash`. Environment: `KIOSK_FLASH_BENCH_MIB` (image
//! size, default 2048), `KIOSK_FLASH_BENCH_MAPPED` (percent mapped, default 37),
//! `KIOSK_FLASH_BENCH_DIR` (where the files go, default Cargo's target tmp dir; they are
//! removed at the end, also on failure).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::time::Instant;

use kiosk_flash::bmap::{Bmap, Range};
use kiosk_flash::write;
use sha2::{Digest, Sha256};

const BLOCK: u64 = 4096;
const MIB: u64 = 1 << 20;

fn env_number(name: &str, default: f64) -> f64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// splitmix64: reproducible, incompressible-looking bytes without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn fill(&mut self, buf: &mut [u8]) {
        for word in buf.chunks_mut(8) {
            let n = word.len();
            word.copy_from_slice(&self.next().to_le_bytes()[..n]);
        }
    }
    /// Log-uniform between `lo` and `hi` blocks: many small extents, a few large ones, as
    /// in an ext4 image (bitmaps and inode tables, small files, big binaries).
    fn blocks(&mut self, lo: u64, hi: u64) -> u64 {
        let f = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((lo as f64) * ((hi as f64) / (lo as f64)).powf(f)).round() as u64
    }
}

/// Writes the sparse image: data extents with holes between, `share` of it mapped.
fn make_image(path: &Path, size: u64, share: f64) -> u64 {
    let mut f = File::create(path).unwrap();
    f.set_len(size).unwrap();
    let mut rng = Rng(0x6b69_6f73_6b21);
    let mut buf = vec![0u8; MIB as usize];
    let (mut at, mut mapped) = (0u64, 0u64);
    let blocks = size / BLOCK;
    while at < blocks {
        let len = rng.blocks(1, 8 * MIB / BLOCK).min(blocks - at);
        f.seek(SeekFrom::Start(at * BLOCK)).unwrap();
        let mut left = len * BLOCK;
        while left > 0 {
            let n = left.min(MIB) as usize;
            rng.fill(&mut buf[..n]);
            f.write_all(&buf[..n]).unwrap();
            left -= n as u64;
        }
        mapped += len;
        // The gap keeps the running share at `share` (with some spread around it).
        let target_total = (mapped as f64 / share) as u64;
        let gap = (target_total.saturating_sub(at + len)).max(1);
        at += len + rng.blocks(gap.div_ceil(2).max(1), gap * 3 / 2 + 1);
    }
    f.sync_all().unwrap();
    mapped
}

/// A map naming every block of the image: the writer then copies it whole, holes included.
fn all_blocks(image: &Path, bmap: &Bmap) -> Bmap {
    let mut f = File::open(image).unwrap();
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; MIB as usize];
    loop {
        let n = f.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    let range = Range { first: 0, last: bmap.blocks_count - 1, sha256: hex::encode(hasher.finalize()) };
    Bmap { ranges: vec![range], ..bmap.clone() }
}

fn drop_cache(path: &Path) {
    let f = File::open(path).unwrap();
    // SAFETY: advisory call on an open descriptor.
    unsafe { libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
}

/// Seconds and bytes written for one write of `image` through `bmap` to a new file.
fn timed(image: &Path, bmap: &Bmap, dir: &Path) -> (f64, u64) {
    let target = dir.join("card.img");
    drop_cache(image);
    let start = Instant::now();
    let written = write::write(image, bmap, &target, &mut |_, _, _| {}).expect("write");
    let secs = start.elapsed().as_secs_f64();
    std::fs::remove_file(&target).unwrap();
    (secs, written)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not, and only wants to
    // know that it builds and runs, not to write gigabytes.
    if !std::env::args().any(|a| a == "--bench") {
        println!("flash: run with `cargo bench -p kiosk-flash --bench flash`");
        return;
    }
    let size = env_number("KIOSK_FLASH_BENCH_MIB", 2048.0) as u64 * MIB;
    let share = env_number("KIOSK_FLASH_BENCH_MAPPED", 37.0) / 100.0;
    let base = std::env::var_os("KIOSK_FLASH_BENCH_DIR")
        .map(Into::into)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")));
    std::fs::create_dir_all(&base).unwrap();
    // Removed when dropped, also when a step panics (unwinding).
    let dir = tempfile::tempdir_in(&base).unwrap();
    let image = dir.path().join("kiosk.img");

    eprintln!("making a {} MiB sparse image in {} …", size / MIB, dir.path().display());
    let mapped = make_image(&image, size, share);
    let bmap = Bmap::create(&image, BLOCK).unwrap();
    assert_eq!(bmap.mapped_blocks(), mapped, "the map sees the extents written");
    let every = all_blocks(&image, &bmap);

    let (t_map, w_map) = timed(&image, &bmap, dir.path());
    let (t_all, w_all) = timed(&image, &every, dir.path());

    let mb = |b: u64| b as f64 / 1e6;
    println!(
        "image {} MiB, {:.1} % mapped ({} of {} blocks, {} ranges); target: a file in {}",
        size / MIB,
        mapped as f64 * 100.0 / bmap.blocks_count as f64,
        mapped,
        bmap.blocks_count,
        bmap.ranges.len(),
        base.display()
    );
    println!("each run: write + fsync + O_DIRECT read-back verify, image not in the page cache");
    println!("{:<34} {:>12} {:>9} {:>9}", "method", "written MB", "seconds", "MB/s");
    for (name, secs, written) in
        [("block map (mapped blocks only)", t_map, w_map), ("every block (all-blocks map)", t_all, w_all)]
    {
        println!("{name:<34} {:>12.1} {secs:>9.2} {:>9.1}", mb(written), mb(written) / secs);
    }
    println!("{:<34} {:>12} {:>9.2}x", "speed-up (time, every / map)", "", t_all / t_map);
    // For bench/run's summary table.
    println!("figure\tflash\tbmap_write\t{t_map:.2}\ts");
    println!("figure\tflash\tbmap_written\t{:.1}\tMB", mb(w_map));
    println!("figure\tflash\tbmap_rate\t{:.1}\tMB/s", mb(w_map) / t_map);
    println!("figure\tflash\tall_blocks_write\t{t_all:.2}\ts");
    println!("figure\tflash\tall_blocks_rate\t{:.1}\tMB/s", mb(w_all) / t_all);
    println!("figure\tflash\tspeedup\t{:.2}\tx", t_all / t_map);
}
