//! A small kiosk disk as the image build leaves it, for update tests (here and in the
//! fleet test): a hand-written MBR with our disk signature, a FAT boot partition with
//! slot a committed, two root slots and a data partition.

use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

use kiosk_image::disk::{PartitionTable, Window};
use kiosk_image::slots::{self, BootFiles, FatBoot};

pub const MIB: u64 = 1 << 20;
/// (start, length) of partitions 1 to 4.
pub const LAYOUT: [(u64, u64); 4] =
    [(MIB, 8 * MIB), (9 * MIB, 4 * MIB), (13 * MIB, 4 * MIB), (17 * MIB, 2 * MIB)];
pub const A_CMDLINE: &str =
    "console=tty1 root=PARTUUID=4b494f53-02 rootfstype=ext4 ro rootwait quiet kiosk.slot=a";

/// `len` bytes of `tag` repeated: recognisable wherever it lands.
pub fn pattern(tag: &str, len: u64) -> Vec<u8> {
    tag.bytes().cycle().take(len as usize).collect()
}

/// A kiosk disk as the image build leaves it: slot a committed, slot b holding old bytes.
pub fn kiosk_disk(path: &Path) {
    let mut f = std::fs::OpenOptions::new().read(true).write(true).create_new(true).open(path).unwrap();
    f.set_len(19 * MIB).unwrap();
    let mut mbr = vec![0u8; 512];
    mbr[440..444].copy_from_slice(&slots::DISK_ID.to_le_bytes());
    for (i, (start, len)) in LAYOUT.iter().enumerate() {
        let e = 446 + 16 * i;
        mbr[e + 4] = if i == 0 { 0x0c } else { 0x83 };
        mbr[e + 8..e + 12].copy_from_slice(&((start / 512) as u32).to_le_bytes());
        mbr[e + 12..e + 16].copy_from_slice(&((len / 512) as u32).to_le_bytes());
    }
    mbr[510] = 0x55;
    mbr[511] = 0xaa;
    f.write_all(&mbr).unwrap();
    for (index, tag) in [(2, "root-a "), (3, "old-b "), (4, "data ")] {
        f.seek(SeekFrom::Start(LAYOUT[index - 1].0)).unwrap();
        f.write_all(&pattern(tag, LAYOUT[index - 1].1)).unwrap();
    }
    let table = PartitionTable::read(&mut f).unwrap();
    let options = fatfs::FormatVolumeOptions::new().volume_label(*b"BOOT       ");
    fatfs::format_volume(Window::new(f, table.get(1).unwrap()), options).unwrap();

    let boot = FatBoot::open(path).unwrap();
    for (name, text) in [
        ("common.txt", "arm_64bit=1\ndisable_splash=1\n"),
        ("config.txt", "include common.txt\nos_prefix=a/\n"),
        ("a/cmdline.txt", A_CMDLINE),
        ("a/kernel8.img", "kernel of release 1"),
    ] {
        boot.write(name, text.as_bytes()).unwrap();
    }
}
