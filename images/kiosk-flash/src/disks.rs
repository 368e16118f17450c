//! Which disks an installer may write: removable ones only, never the disk that holds the
//! running system, never one with a mounted partition.

use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disk {
    pub device: PathBuf,
    pub size_bytes: u64,
    pub model: String,
    /// Why it may not be written, if so.
    pub refused: Option<String>,
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).map(|s| s.trim().to_owned()).unwrap_or_default()
}

/// Devices with a mounted partition (from /proc/self/mounts), by kernel name ("sda").
fn mounted_disks(mounts: &str) -> Vec<(String, String)> {
    mounts
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (dev, at) = (f.next()?, f.next()?);
            let name = dev.strip_prefix("/dev/")?;
            // sda1 → sda, mmcblk0p1 → mmcblk0, nvme0n1p2 → nvme0n1
            let disk = match name.rfind('p') {
                Some(i) if name.starts_with("mmcblk") || name.starts_with("nvme") => &name[..i],
                _ => name.trim_end_matches(|c: char| c.is_ascii_digit()),
            };
            Some((disk.to_owned(), at.to_owned()))
        })
        .collect()
}

/// The removable disks under `sys_block` (normally /sys/block), with a reason when one
/// must not be written.
pub fn list(sys_block: &Path, mounts: &str) -> Vec<Disk> {
    let mounted = mounted_disks(mounts);
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(sys_block) else { return out };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let dir = e.path();
        if read(&dir.join("removable")) != "1" || name.starts_with("loop") || name.starts_with("ram") {
            continue;
        }
        let sectors: u64 = read(&dir.join("size")).parse().unwrap_or(0);
        if sectors == 0 {
            continue; // a reader without a card
        }
        let refused = mounted.iter().find(|(d, _)| *d == name).map(|(_, at)| {
            if at == "/" {
                "it holds the running system".to_owned()
            } else {
                format!("a partition is mounted at {at}: unmount it first")
            }
        });
        out.push(Disk {
            device: PathBuf::from("/dev").join(&name),
            size_bytes: sectors * 512,
            model: read(&dir.join("device/model")),
            refused,
        });
    }
    out.sort_by(|a, b| a.device.cmp(&b.device));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disk(root: &Path, name: &str, removable: bool, sectors: u64) {
        let d = root.join(name);
        std::fs::create_dir_all(d.join("device")).unwrap();
        std::fs::write(d.join("removable"), if removable { "1\n" } else { "0\n" }).unwrap();
        std::fs::write(d.join("size"), format!("{sectors}\n")).unwrap();
        std::fs::write(d.join("device/model"), "Card Reader\n").unwrap();
    }

    #[test]
    fn only_removable_disks_and_mounted_ones_are_refused() {
        let t = tempfile::tempdir().unwrap();
        disk(t.path(), "nvme0n1", false, 1 << 30);
        disk(t.path(), "sda", true, 62_333_952);
        disk(t.path(), "sdb", true, 0);
        disk(t.path(), "mmcblk0", true, 1 << 24);
        let mounts = "/dev/nvme0n1p2 / ext4 rw 0 0\n/dev/mmcblk0p1 /media/boot vfat rw 0 0\n";
        let disks = list(t.path(), mounts);
        let names: Vec<_> = disks.iter().map(|d| d.device.display().to_string()).collect();
        assert_eq!(names, ["/dev/mmcblk0", "/dev/sda"], "no system disk, no empty reader");
        assert_eq!(disks[1].size_bytes, 62_333_952 * 512);
        assert!(disks[1].refused.is_none());
        assert!(disks[0].refused.as_deref().unwrap().contains("/media/boot"));
    }
}
