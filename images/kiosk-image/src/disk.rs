//! A written disk (or an image file, which is the same bytes): its MBR partitions, a window
//! onto one partition, and the FAT boot partition opened inside it without mounting. The
//! installer writes the provisioning file this way, the updater switches slots this way on
//! image files, and the tests read cards back this way.
//!
//! The four primary MBR entries are read by hand: 16 bytes each at a fixed offset, less code
//! than any crate's API for it.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

pub const SECTOR: u64 = 512;

#[derive(Debug, thiserror::Error)]
pub enum DiskError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("no MBR partition table (sector 0 does not end in 55 AA)")]
    NoPartitionTable,
    #[error("partition {0} does not exist on this disk")]
    NoPartition(usize),
    #[error("partition {index} is not a FAT file system: {reason}")]
    NotFat { index: usize, reason: String },
}

/// One primary partition: `index` counts from 1, as in `/dev/mmcblk0p1` and `PARTUUID=…-01`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    pub index: usize,
    pub kind: u8,
    pub bootable: bool,
    pub start: u64,
    pub len: u64,
}

/// The disk signature (the PARTUUID prefix) and the used primary partitions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionTable {
    pub disk_id: u32,
    pub partitions: Vec<Partition>,
}

impl PartitionTable {
    pub fn read(disk: &mut (impl Read + Seek)) -> Result<PartitionTable, DiskError> {
        let mut mbr = [0u8; SECTOR as usize];
        disk.seek(SeekFrom::Start(0))?;
        disk.read_exact(&mut mbr)?;
        if mbr[510..512] != [0x55, 0xaa] {
            return Err(DiskError::NoPartitionTable);
        }
        let u32_at = |at: usize| u32::from_le_bytes(mbr[at..at + 4].try_into().expect("4 bytes"));
        let partitions = (0..4)
            .filter_map(|i| {
                let e = 446 + 16 * i;
                let (kind, sectors) = (mbr[e + 4], u32_at(e + 12));
                (kind != 0 && sectors != 0).then(|| Partition {
                    index: i + 1,
                    kind,
                    bootable: mbr[e] == 0x80,
                    start: u64::from(u32_at(e + 8)) * SECTOR,
                    len: u64::from(sectors) * SECTOR,
                })
            })
            .collect();
        Ok(PartitionTable { disk_id: u32_at(440), partitions })
    }

    pub fn get(&self, index: usize) -> Result<Partition, DiskError> {
        self.partitions.iter().copied().find(|p| p.index == index).ok_or(DiskError::NoPartition(index))
    }

    /// The `PARTUUID=` value the kernel command line names this partition by.
    pub fn partuuid(&self, index: usize) -> String {
        format!("{:08x}-{index:02x}", self.disk_id)
    }
}

/// Reads and writes one partition of a disk as if it were the whole file: offsets start at
/// the partition's first byte and stop at its end.
pub struct Window<D> {
    disk: D,
    start: u64,
    len: u64,
    pos: u64,
}

impl<D: Seek> Window<D> {
    pub fn new(disk: D, part: Partition) -> Window<D> {
        Window { disk, start: part.start, len: part.len, pos: 0 }
    }

    fn remaining(&self, want: usize) -> usize {
        want.min(self.len.saturating_sub(self.pos) as usize)
    }
}

impl<D: Read + Seek> Read for Window<D> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.remaining(buf.len());
        self.disk.seek(SeekFrom::Start(self.start + self.pos))?;
        let n = self.disk.read(&mut buf[..n])?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<D: Write + Seek> Write for Window<D> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.remaining(buf.len());
        if n == 0 && !buf.is_empty() {
            return Err(io::Error::new(io::ErrorKind::WriteZero, "past the end of the partition"));
        }
        self.disk.seek(SeekFrom::Start(self.start + self.pos))?;
        let n = self.disk.write(&buf[..n])?;
        self.pos += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.disk.flush()
    }
}

impl<D: Seek> Seek for Window<D> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let pos = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = pos.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        Ok(self.pos)
    }
}

pub type Fat = fatfs::FileSystem<Window<File>>;

/// Opens the FAT file system of partition `index` of a disk or image file, read-write.
pub fn open_fat(disk: &Path, index: usize) -> Result<Fat, DiskError> {
    let mut file = std::fs::OpenOptions::new().read(true).write(true).open(disk)?;
    let part = PartitionTable::read(&mut file)?.get(index)?;
    fatfs::FileSystem::new(Window::new(file, part), fatfs::FsOptions::new())
        .map_err(|e| DiskError::NotFat { index, reason: e.to_string() })
}

/// A whole file of the FAT file system, or `None` when it is not there.
pub fn read_fat_file(fat: &Fat, name: &str) -> Result<Option<Vec<u8>>, DiskError> {
    match fat.root_dir().open_file(name) {
        Ok(mut f) => {
            let mut bytes = Vec::new();
            f.read_to_end(&mut bytes)?;
            Ok(Some(bytes))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Replaces (or creates) a file of the FAT file system, creating its directories.
pub fn write_fat_file(fat: &Fat, name: &str, bytes: &[u8]) -> Result<(), DiskError> {
    let root = fat.root_dir();
    if let Some((dirs, _)) = name.rsplit_once('/') {
        let mut at = String::new();
        for part in dirs.split('/') {
            at = if at.is_empty() { part.to_owned() } else { format!("{at}/{part}") };
            root.create_dir(&at)?;
        }
    }
    let mut f = root.create_file(name)?;
    f.truncate()?;
    f.write_all(bytes)?;
    f.flush()?;
    Ok(())
}
