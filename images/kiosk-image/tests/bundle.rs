//! `kiosk update` on image files: a small kiosk disk (hand-written MBR, FAT boot partition,
//! two root slots, data), bundles made and signed here, installed into the inactive slot
//! and "booted" through the firmware model; and the refusals, which must leave every byte
//! of the disk as it was.

mod common;

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use kiosk_image::bundle::{self, Installed, Target, UpdateError};
use kiosk_image::disk::{PartitionTable, Window};
use kiosk_image::sign;
use kiosk_image::slots::{self, BootFiles, FatBoot, Slot, Status, firmware_boot};
use sha2::{Digest, Sha256};

const MIB: u64 = 1 << 20;
/// (start, length) of partitions 1 to 4.
const LAYOUT: [(u64, u64); 4] =
    [(MIB, 8 * MIB), (9 * MIB, 4 * MIB), (13 * MIB, 4 * MIB), (17 * MIB, 2 * MIB)];
const A_CMDLINE: &str =
    "console=tty1 root=PARTUUID=4b494f53-02 rootfstype=ext4 ro rootwait quiet kiosk.slot=a";

fn part_bytes(disk: &Path, index: usize) -> Vec<u8> {
    let (start, len) = LAYOUT[index - 1];
    std::fs::read(disk).unwrap()[start as usize..(start + len) as usize].to_vec()
}

fn disk_sum(disk: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(disk).unwrap()))
}

/// `len` bytes of `tag` repeated: recognisable wherever it lands.
fn pattern(tag: &str, len: u64) -> Vec<u8> {
    tag.bytes().cycle().take(len as usize).collect()
}

/// A kiosk disk as the image build leaves it: slot a committed, slot b holding old bytes.
fn kiosk_disk(path: &Path) {
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

struct Release {
    dir: tempfile::TempDir,
    secret: PathBuf,
    public: PathBuf,
}

impl Release {
    fn new() -> Release {
        let dir = tempfile::tempdir().unwrap();
        let (secret, public) = sign::generate().unwrap();
        let (s, p) = (dir.path().join("release.key"), dir.path().join("release.pub"));
        std::fs::write(&s, secret).unwrap();
        std::fs::write(&p, public).unwrap();
        Release { dir, secret: s, public: p }
    }

    /// A bundle of `version` whose root image is `rootfs_len` bytes of a pattern naming it.
    fn bundle(&self, version: &str, rootfs_len: u64) -> PathBuf {
        let root = self.dir.path().join(format!("rootfs-{version}.img"));
        std::fs::write(&root, pattern(&format!("rootfs {version} "), rootfs_len)).unwrap();
        let boot = self.dir.path().join(format!("boot-{version}"));
        std::fs::create_dir_all(boot.join("overlays")).unwrap();
        std::fs::write(boot.join("kernel8.img"), format!("kernel of release {version}")).unwrap();
        std::fs::write(boot.join("overlays/kiosk.dtbo"), "an overlay").unwrap();
        std::fs::write(boot.join("cmdline.txt"), "made per slot, never shipped").unwrap();
        let out = self.dir.path().join(format!("kiosk-{version}.bundle"));
        bundle::make_bundle(&root, &boot, version, &self.secret, &out).unwrap();
        out
    }

    fn rootfs(&self, version: &str) -> Vec<u8> {
        std::fs::read(self.dir.path().join(format!("rootfs-{version}.img"))).unwrap()
    }
}

fn install(
    bundle: &Path,
    public: &Path,
    disk: &Path,
    running: Slot,
    state: &Path,
) -> Result<Installed, UpdateError> {
    let boot = FatBoot::open(disk).unwrap();
    bundle::install(bundle, public, &Target { disk, boot: &boot, running }, state)
}

fn boot_file(disk: &Path, name: &str) -> Option<String> {
    FatBoot::open(disk).unwrap().read(name).unwrap().map(|b| String::from_utf8(b).unwrap())
}

/// The firmware model on the disk: (slot whose files load, root partition).
fn boot(disk: &Path, tryboot: bool) -> (Slot, usize) {
    firmware_boot(&FatBoot::open(disk).unwrap(), tryboot).unwrap()
}

fn status(disk: &Path, running: Slot, state: &Path) -> Status {
    slots::status(&FatBoot::open(disk).unwrap(), running, state).unwrap()
}

fn commit(disk: &Path, running: Slot, state: &Path) {
    slots::commit(&FatBoot::open(disk).unwrap(), running, state).unwrap()
}

#[test]
fn an_update_goes_to_the_inactive_slot_boots_on_trial_commits_and_the_next_one_goes_back() {
    let t = tempfile::tempdir().unwrap();
    let (disk, state) = (t.path().join("card.img"), t.path().join("data/update-state"));
    kiosk_disk(&disk);
    let release = Release::new();
    let bundle = release.bundle("2.0", 3 * MIB + 123);
    let (p1, p2, p4) = (part_bytes(&disk, 1), part_bytes(&disk, 2), part_bytes(&disk, 4));
    assert_eq!(boot(&disk, false), (Slot::A, 2));

    let done = install(&bundle, &release.public, &disk, Slot::A, &state).unwrap();
    assert_eq!(done, Installed { slot: Slot::B, version: "2.0".into(), bytes: 3 * MIB + 123 });
    let p3 = part_bytes(&disk, 3);
    let rootfs = release.rootfs("2.0");
    assert!(p3[..rootfs.len()] == rootfs[..], "partition 3 starts with the new root image");
    assert!(p3[rootfs.len()..] == pattern("old-b ", 4 * MIB)[rootfs.len()..], "and not a byte past it");
    assert!(part_bytes(&disk, 2) == p2, "the running slot is untouched");
    assert!(part_bytes(&disk, 4) == p4, "the data partition is untouched");
    assert!(part_bytes(&disk, 1) != p1, "the boot partition took b's files");

    assert_eq!(boot_file(&disk, "b/kernel8.img").as_deref(), Some("kernel of release 2.0"));
    assert_eq!(boot_file(&disk, "b/overlays/kiosk.dtbo").as_deref(), Some("an overlay"));
    assert_eq!(
        boot_file(&disk, "b/cmdline.txt").as_deref(),
        Some("console=tty1 root=PARTUUID=4b494f53-03 rootfstype=ext4 ro rootwait quiet kiosk.slot=b\n")
    );
    assert_eq!(boot_file(&disk, "a/kernel8.img").as_deref(), Some("kernel of release 1"));
    assert_eq!(boot_file(&disk, "a/cmdline.txt").as_deref(), Some(A_CMDLINE));
    assert_eq!(boot_file(&disk, "config.txt").as_deref(), Some("include common.txt\nos_prefix=a/\n"));
    assert_eq!(boot_file(&disk, "tryboot.txt").as_deref(), Some("include common.txt\nos_prefix=b/\n"));

    // The tryboot reboot starts b; any other boot before the commit still starts a.
    assert_eq!(boot(&disk, true), (Slot::B, 3));
    assert_eq!(boot(&disk, false), (Slot::A, 2));
    assert_eq!(
        status(&disk, Slot::B, &state),
        Status::OnTrial { slot: Slot::B, version: Some("2.0".into()) }
    );
    let sum = disk_sum(&disk);
    let err = install(&bundle, &release.public, &disk, Slot::B, &state).unwrap_err();
    assert!(matches!(err, UpdateError::RunningOnTrial { running: Slot::B, committed: Slot::A }), "{err}");
    assert!(err.to_string().contains("commits it once healthy"), "{err}");
    assert_eq!(disk_sum(&disk), sum, "a: the only slot known to boot, is not overwritten from a trial");

    // Healthy on b: committed.
    commit(&disk, Slot::B, &state);
    assert_eq!(boot_file(&disk, "config.txt").as_deref(), Some("include common.txt\nos_prefix=b/\n"));
    assert_eq!(boot(&disk, false), (Slot::B, 3));
    assert_eq!(status(&disk, Slot::B, &state), Status::Committed { slot: Slot::B });
    let sum = disk_sum(&disk);
    commit(&disk, Slot::B, &state);
    assert_eq!(disk_sum(&disk), sum, "committing again writes nothing");

    // The next update goes to a, and leaves b alone.
    let p3 = part_bytes(&disk, 3);
    let bundle = release.bundle("3.0", 2 * MIB);
    let done = install(&bundle, &release.public, &disk, Slot::B, &state).unwrap();
    assert_eq!((done.slot, done.version.as_str()), (Slot::A, "3.0"));
    assert!(part_bytes(&disk, 2)[..2 * MIB as usize] == release.rootfs("3.0")[..]);
    assert!(part_bytes(&disk, 3) == p3, "the running slot b is untouched");
    assert_eq!(boot_file(&disk, "a/kernel8.img").as_deref(), Some("kernel of release 3.0"));
    assert_eq!(boot_file(&disk, "a/cmdline.txt").as_deref().map(str::trim_end), Some(A_CMDLINE));
    assert_eq!((boot(&disk, true), boot(&disk, false)), ((Slot::A, 2), (Slot::B, 3)));
}

#[test]
fn a_trial_that_never_commits_rolls_back_is_reported_once_and_the_next_attempt_works() {
    let t = tempfile::tempdir().unwrap();
    let (disk, state) = (t.path().join("card.img"), t.path().join("update-state"));
    kiosk_disk(&disk);
    let release = Release::new();
    let bundle = release.bundle("2.0-bad", MIB);

    install(&bundle, &release.public, &disk, Slot::A, &state).unwrap();
    assert_eq!(boot(&disk, true), (Slot::B, 3));
    assert_eq!(
        status(&disk, Slot::B, &state),
        Status::OnTrial { slot: Slot::B, version: Some("2.0-bad".into()) }
    );
    // b hangs, the watchdog resets: the firmware has cleared the flag, so a boots.
    assert_eq!(boot(&disk, false), (Slot::A, 2));
    // The kiosk on a commits a (it is healthy) before anyone asks for the status.
    commit(&disk, Slot::A, &state);
    match status(&disk, Slot::A, &state) {
        Status::RolledBack { from: Slot::B, version, armed_at } => {
            assert_eq!(version, "2.0-bad");
            assert!(armed_at > 1_600_000_000, "the time it was armed: {armed_at}");
        }
        other => panic!("expected a rollback from b, got {other:?}"),
    }
    assert_eq!(status(&disk, Slot::A, &state), Status::Committed { slot: Slot::A }, "reported once");
    assert_eq!(slots::armed_trial(&FatBoot::open(&disk).unwrap()).unwrap(), None);
    assert_eq!(boot(&disk, true), (Slot::A, 2), "a stray tryboot starts the committed slot");

    let bundle = release.bundle("2.1", MIB + 1);
    let done = install(&bundle, &release.public, &disk, Slot::A, &state).unwrap();
    assert_eq!((done.slot, done.version.as_str()), (Slot::B, "2.1"));
    assert!(part_bytes(&disk, 3)[..(MIB + 1) as usize] == release.rootfs("2.1")[..]);
    assert_eq!(boot(&disk, true), (Slot::B, 3));
    commit(&disk, Slot::B, &state);
    assert_eq!(boot(&disk, false), (Slot::B, 3));
    assert_eq!(status(&disk, Slot::B, &state), Status::Committed { slot: Slot::B });
}

/// A copy of `bundle` rebuilt member by member, `change` deciding each one's fate.
fn rebuild(bundle: &Path, out: &Path, mut change: impl FnMut(&str, &mut Vec<u8>) -> bool) {
    let mut archive = tar::Archive::new(std::fs::File::open(bundle).unwrap());
    let mut builder = tar::Builder::new(std::fs::File::create(out).unwrap());
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        if change(&name, &mut bytes) {
            let mut header = entry.header().clone();
            header.set_size(bytes.len() as u64);
            builder.append_data(&mut header, &name, &bytes[..]).unwrap();
        }
    }
    builder.finish().unwrap();
}

#[test]
fn a_tampered_re_signed_or_unsigned_bundle_is_refused_and_the_disk_keeps_every_byte() {
    let t = tempfile::tempdir().unwrap();
    let (disk, state) = (t.path().join("card.img"), t.path().join("update-state"));
    kiosk_disk(&disk);
    let release = Release::new();
    let good = release.bundle("2.0", MIB);

    // One byte of the root image changed, in place.
    let tampered = t.path().join("tampered.bundle");
    std::fs::copy(&good, &tampered).unwrap();
    let at = {
        let mut archive = tar::Archive::new(std::fs::File::open(&tampered).unwrap());
        let mut entries = archive.entries().unwrap();
        let rootfs =
            entries.find(|e| e.as_ref().unwrap().path().unwrap().to_str() == Some("rootfs.img")).unwrap();
        rootfs.unwrap().raw_file_position() + 1000
    };
    common::flip_byte(&tampered, at, 0x01);

    // Another root image with a manifest signed by a key that is not the release key.
    let thief = Release::new();
    let resigned = thief.bundle("2.0", MIB);

    // The good bundle without its signature.
    let unsigned = t.path().join("unsigned.bundle");
    rebuild(&good, &unsigned, |name, _| name != bundle::SIGNATURE);

    // A boot file swapped for another, its manifest line made to match: the signature breaks.
    let swapped = t.path().join("swapped.bundle");
    let evil_sum = hex::encode(Sha256::digest(b"evil kernel"));
    rebuild(&good, &swapped, |name, bytes| {
        match name {
            "boot/kernel8.img" => *bytes = b"evil kernel".to_vec(),
            "SHA256SUMS" => {
                let text = String::from_utf8(bytes.clone()).unwrap();
                let sum = sign::signed_sum(&text, "boot/kernel8.img").unwrap();
                *bytes = text.replace(&sum, &evil_sum).into_bytes();
            }
            _ => {}
        }
        true
    });

    let before = disk_sum(&disk);
    for (bundle, said) in [
        (&tampered, "rootfs.img does not match the signed manifest"),
        (&resigned, "signature does not match the release key"),
        (&unsigned, "no signature"),
        (&swapped, "signature does not match the release key"),
    ] {
        let err = install(bundle, &release.public, &disk, Slot::A, &state).unwrap_err();
        assert!(matches!(err, UpdateError::Rejected { .. }), "{err:?}");
        let err = err.to_string();
        assert!(
            err.contains("refusing to install") && err.contains("nothing was written") && err.contains(said),
            "{err}"
        );
        assert_eq!(disk_sum(&disk), before, "{} left the disk as it was", bundle.display());
        assert!(!state.join(slots::TRIAL_RECORD).exists());
    }

    // Not a bundle at all.
    let junk = t.path().join("junk.bundle");
    std::fs::write(&junk, pattern("junk", 5000)).unwrap();
    let err = install(&junk, &release.public, &disk, Slot::A, &state).unwrap_err();
    assert!(matches!(err, UpdateError::NotABundle { .. }), "{err:?}");
    assert_eq!(disk_sum(&disk), before);

    // The untouched bundle still installs.
    install(&good, &release.public, &disk, Slot::A, &state).unwrap();
    assert_eq!(boot(&disk, true), (Slot::B, 3));
}

#[test]
fn a_root_image_larger_than_the_partition_is_refused_before_anything_is_written() {
    let t = tempfile::tempdir().unwrap();
    let (disk, state) = (t.path().join("card.img"), t.path().join("update-state"));
    kiosk_disk(&disk);
    let release = Release::new();
    let bundle = release.bundle("9.0", 4 * MIB + 1);
    let before = disk_sum(&disk);

    let err = install(&bundle, &release.public, &disk, Slot::A, &state).unwrap_err();
    assert!(
        matches!(err, UpdateError::TooBig { bytes, partition: 3, slot: Slot::B, capacity } if bytes == 4 * MIB + 1 && capacity == 4 * MIB),
        "{err:?}"
    );
    assert!(err.to_string().contains("nothing was written"), "{err}");
    assert_eq!(disk_sum(&disk), before);
    assert!(!state.join(slots::TRIAL_RECORD).exists());
    assert_eq!(boot(&disk, true), (Slot::A, 2));
}

#[test]
fn a_disk_that_is_not_a_kiosk_disk_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let (disk, state) = (t.path().join("card.img"), t.path().join("update-state"));
    kiosk_disk(&disk);
    let mut f = std::fs::OpenOptions::new().write(true).open(&disk).unwrap();
    f.seek(SeekFrom::Start(440)).unwrap();
    f.write_all(&0x1234_5678u32.to_le_bytes()).unwrap();
    drop(f);
    let release = Release::new();
    let bundle = release.bundle("2.0", MIB);
    let before = disk_sum(&disk);
    let err = install(&bundle, &release.public, &disk, Slot::A, &state).unwrap_err();
    assert!(err.to_string().contains("disk signature 12345678"), "{err}");
    assert_eq!(disk_sum(&disk), before);
}
