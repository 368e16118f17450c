//! Helpers shared by the image and update tests.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

/// Tampers with a file in place: the byte at `at` XORed with `mask`.
pub fn flip_byte(path: &Path, at: u64, mask: u8) {
    let mut f = std::fs::OpenOptions::new().read(true).write(true).open(path).unwrap();
    let mut byte = [0u8];
    f.seek(SeekFrom::Start(at)).unwrap();
    f.read_exact(&mut byte).unwrap();
    f.seek(SeekFrom::Start(at)).unwrap();
    f.write_all(&[byte[0] ^ mask]).unwrap();
}
