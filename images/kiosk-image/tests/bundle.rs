//! `kiosk update` on image files: a small kiosk disk (hand-written MBR, FAT boot partition,
//! two root slots, data), bundles made and signed here, installed into the inactive slot
//! and "booted" through the firmware model; and the refusals, which must leave every byte
//! of the disk as it was.

mod common;
#[path = "common/kiosk_disk.rs"]
mod kiosk_disk;

use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use kiosk_image::bundle::{self, Installed, Target, UpdateError};
use kiosk_image::slots::{self, BootFiles, FatBoot, Slot, Status, firmware_boot};
use sha2::{Digest, Sha256};

use kiosk_disk::{A_CMDLINE, LAYOUT, MIB, kiosk_disk, pattern};

/// The boot an update is installed in, and any boot after it (the firmware model's boots).
const INSTALL_BOOT: &str = "boot-of-the-install";
const LATER_BOOT: &str = "a-later-boot";
fn part_bytes(disk: &Path, index: usize) -> Vec<u8> {
    let (start, len) = LAYOUT[index - 1];
    std::fs::read(disk).unwrap()[start as usize..(start + len) as usize].to_vec()
}

fn disk_sum(disk: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(disk).unwrap()))
}

struct Release {
    dir: tempfile::TempDir,
    key: PathBuf,
    /// The certificate: the keyring a device checks bundles against.
    public: PathBuf,
}

impl Release {
    fn new() -> Release {
        let dir = tempfile::tempdir().unwrap();
        let (key, cert) = (dir.path().join("release-bundle.key"), dir.path().join("release-bundle.pem"));
        bundle::keygen(&key, &cert, "release").unwrap();
        Release { dir, key, public: cert }
    }

    /// A bundle made by `rauc bundle` itself from `files` and a manifest of our own.
    fn by_hand(&self, name: &str, manifest: &str, files: &[(&str, &[u8])]) -> PathBuf {
        let content = self.dir.path().join(format!("{name}.content"));
        std::fs::create_dir_all(&content).unwrap();
        std::fs::write(content.join("manifest.raucm"), manifest).unwrap();
        for (file, bytes) in files {
            std::fs::write(content.join(file), bytes).unwrap();
        }
        let out = self.dir.path().join(format!("{name}.raucb"));
        let made = std::process::Command::new("rauc")
            .args(["bundle", "--cert"])
            .arg(&self.public)
            .arg("--key")
            .arg(&self.key)
            .arg(&content)
            .arg(&out)
            .output()
            .unwrap();
        assert!(made.status.success(), "rauc bundle: {}", String::from_utf8_lossy(&made.stderr));
        out
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
        let out = self.dir.path().join(format!("kiosk-{version}.raucb"));
        bundle::make_bundle(&root, &boot, version, &self.public, &self.key, &out).unwrap();
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
    bundle::install(
        bundle,
        public,
        &Target { disk, boot: &boot, running, boot_id: Some(INSTALL_BOOT) },
        state,
    )
}

fn boot_file(disk: &Path, name: &str) -> Option<String> {
    FatBoot::open(disk).unwrap().read(name).unwrap().map(|b| String::from_utf8(b).unwrap())
}

/// The firmware model on the disk: (slot whose files load, root partition).
fn boot(disk: &Path, tryboot: bool) -> (Slot, usize) {
    firmware_boot(&FatBoot::open(disk).unwrap(), tryboot).unwrap()
}

fn status(disk: &Path, running: Slot, state: &Path) -> Status {
    slots::status(&FatBoot::open(disk).unwrap(), running, state, Some(LATER_BOOT)).unwrap()
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
    let bundle = release.bundle("2.0.0", 3 * MIB + 123);
    let (p1, p2, p4) = (part_bytes(&disk, 1), part_bytes(&disk, 2), part_bytes(&disk, 4));
    assert_eq!(boot(&disk, false), (Slot::A, 2));

    let done = install(&bundle, &release.public, &disk, Slot::A, &state).unwrap();
    assert_eq!(done, Installed { slot: Slot::B, version: "2.0.0".into(), bytes: 3 * MIB + 123 });
    let p3 = part_bytes(&disk, 3);
    let rootfs = release.rootfs("2.0.0");
    assert!(p3[..rootfs.len()] == rootfs[..], "partition 3 starts with the new root image");
    assert!(p3[rootfs.len()..] == pattern("old-b ", 4 * MIB)[rootfs.len()..], "and not a byte past it");
    assert!(part_bytes(&disk, 2) == p2, "the running slot is untouched");
    assert!(part_bytes(&disk, 4) == p4, "the data partition is untouched");
    assert!(part_bytes(&disk, 1) != p1, "the boot partition took b's files");

    assert_eq!(boot_file(&disk, "b/kernel8.img").as_deref(), Some("kernel of release 2.0.0"));
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
        Status::OnTrial { slot: Slot::B, version: Some("2.0.0".into()) }
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
    let bundle = release.bundle("3.0.0", 2 * MIB);
    let done = install(&bundle, &release.public, &disk, Slot::B, &state).unwrap();
    assert_eq!((done.slot, done.version.as_str()), (Slot::A, "3.0.0"));
    assert!(part_bytes(&disk, 2)[..2 * MIB as usize] == release.rootfs("3.0.0")[..]);
    assert!(part_bytes(&disk, 3) == p3, "the running slot b is untouched");
    assert_eq!(boot_file(&disk, "a/kernel8.img").as_deref(), Some("kernel of release 3.0.0"));
    assert_eq!(boot_file(&disk, "a/cmdline.txt").as_deref().map(str::trim_end), Some(A_CMDLINE));
    assert_eq!((boot(&disk, true), boot(&disk, false)), ((Slot::A, 2), (Slot::B, 3)));
}

#[test]
fn a_trial_that_never_commits_rolls_back_is_reported_once_and_the_next_attempt_works() {
    let t = tempfile::tempdir().unwrap();
    let (disk, state) = (t.path().join("card.img"), t.path().join("update-state"));
    kiosk_disk(&disk);
    let release = Release::new();
    let bundle = release.bundle("2.0.0-bad", MIB);

    install(&bundle, &release.public, &disk, Slot::A, &state).unwrap();
    assert_eq!(boot(&disk, true), (Slot::B, 3));
    assert_eq!(
        status(&disk, Slot::B, &state),
        Status::OnTrial { slot: Slot::B, version: Some("2.0.0-bad".into()) }
    );
    // b hangs, the watchdog resets: the firmware has cleared the flag, so a boots.
    assert_eq!(boot(&disk, false), (Slot::A, 2));
    // The kiosk on a commits a (it is healthy) before anyone asks for the status.
    commit(&disk, Slot::A, &state);
    match status(&disk, Slot::A, &state) {
        Status::RolledBack { from: Slot::B, version, armed_at } => {
            assert_eq!(version, "2.0.0-bad");
            assert!(armed_at > 1_600_000_000, "the time it was armed: {armed_at}");
        }
        other => panic!("expected a rollback from b, got {other:?}"),
    }
    assert_eq!(status(&disk, Slot::A, &state), Status::Committed { slot: Slot::A }, "reported once");
    assert_eq!(slots::armed_trial(&FatBoot::open(&disk).unwrap()).unwrap(), None);
    assert_eq!(boot(&disk, true), (Slot::A, 2), "a stray tryboot starts the committed slot");

    let bundle = release.bundle("2.1.0", MIB + 1);
    let done = install(&bundle, &release.public, &disk, Slot::A, &state).unwrap();
    assert_eq!((done.slot, done.version.as_str()), (Slot::B, "2.1.0"));
    assert!(part_bytes(&disk, 3)[..(MIB + 1) as usize] == release.rootfs("2.1.0")[..]);
    assert_eq!(boot(&disk, true), (Slot::B, 3));
    commit(&disk, Slot::B, &state);
    assert_eq!(boot(&disk, false), (Slot::B, 3));
    assert_eq!(status(&disk, Slot::B, &state), Status::Committed { slot: Slot::B });
}

#[test]
fn a_kiosk_restarted_before_the_reboot_finds_the_update_armed_not_rolled_back() {
    let t = tempfile::tempdir().unwrap();
    let (disk, state) = (t.path().join("card.img"), t.path().join("update-state"));
    kiosk_disk(&disk);
    let release = Release::new();
    install(&release.bundle("2.0.0", MIB), &release.public, &disk, Slot::A, &state).unwrap();
    let same_boot =
        slots::status(&FatBoot::open(&disk).unwrap(), Slot::A, &state, Some(INSTALL_BOOT)).unwrap();
    assert_eq!(same_boot, Status::Armed { slot: Slot::B, version: "2.0.0".into() });
    assert_eq!(boot(&disk, true), (Slot::B, 3), "still armed");
    assert!(state.join(slots::TRIAL_RECORD).exists());
    // A second installer meanwhile (the agent and `kiosk update` by hand) is turned away.
    let lock = std::fs::File::open(state.join("install.lock")).unwrap();
    // SAFETY: an advisory lock on a descriptor we own.
    assert_eq!(
        unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&lock), libc::LOCK_EX | libc::LOCK_NB) },
        0
    );
    let before = disk_sum(&disk);
    let err = install(&release.bundle("2.0.1", MIB), &release.public, &disk, Slot::A, &state).unwrap_err();
    assert!(matches!(err, UpdateError::Busy), "{err:?}");
    assert_eq!(disk_sum(&disk), before);
    drop(lock);
    // Had the reboot happened and the firmware started a again, it would be a rollback.
    assert!(matches!(status(&disk, Slot::A, &state), Status::RolledBack { from: Slot::B, .. }));
}

/// A RAUC bundle's parts: (squashfs, CMS signature). The file ends with the signature's
/// length as a big-endian u64.
fn split(bundle: &Path) -> (Vec<u8>, Vec<u8>) {
    let bytes = std::fs::read(bundle).unwrap();
    let (rest, len) = bytes.split_at(bytes.len() - 8);
    let len = u64::from_be_bytes(len.try_into().unwrap()) as usize;
    let (squashfs, signature) = rest.split_at(rest.len() - len);
    (squashfs.to_vec(), signature.to_vec())
}

fn join(squashfs: &[u8], signature: &[u8]) -> Vec<u8> {
    [squashfs, signature, &(signature.len() as u64).to_be_bytes()].concat()
}

#[test]
fn a_tampered_re_signed_unsigned_or_foreign_bundle_is_refused_and_the_disk_keeps_every_byte() {
    let t = tempfile::tempdir().unwrap();
    let (disk, state) = (t.path().join("card.img"), t.path().join("update-state"));
    kiosk_disk(&disk);
    let release = Release::new();
    let good = release.bundle("2.0.0", MIB);
    let (squashfs, signature) = split(&good);

    // One byte of the squashfs changed, in place.
    let tampered = t.path().join("tampered.raucb");
    std::fs::copy(&good, &tampered).unwrap();
    common::flip_byte(&tampered, squashfs.len() as u64 / 2, 0x01);

    // Another root image signed by a key that is not the release key.
    let thief = Release::new();
    let resigned = thief.bundle("2.0.0", MIB + 1);

    // The good bundle without its signature.
    let unsigned = t.path().join("unsigned.raucb");
    std::fs::write(&unsigned, &squashfs).unwrap();

    // The thief's content under the release key's signature of the good one.
    let swapped = t.path().join("swapped.raucb");
    std::fs::write(&swapped, join(&split(&resigned).0, &signature)).unwrap();

    let before = disk_sum(&disk);
    for (bundle, said) in [
        (&tampered, "signature verification failed"),
        (&resigned, "signature verification failed: Verify error: self-signed certificate"),
        (&unsigned, "Signature size is 0"),
        (&swapped, "signature verification failed"),
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

    // Signed by the release key, but made for other hardware, or without the slot's boot files.
    let rootfs = pattern("rootfs foreign ", MIB);
    let foreign = release.by_hand(
        "foreign",
        "[update]\ncompatible=some-other-device\nversion=2.0.0\n\n[image.rootfs]\nfilename=rootfs.img\n",
        &[("rootfs.img", &rootfs)],
    );
    let err = install(&foreign, &release.public, &disk, Slot::A, &state).unwrap_err();
    assert!(
        matches!(&err, UpdateError::Incompatible { found, .. } if found == "some-other-device"),
        "{err:?}"
    );
    let bootless = release.by_hand(
        "bootless",
        &format!(
            "[update]\ncompatible={}\nversion=2.0.0\n\n[image.rootfs]\nfilename=rootfs.img\n",
            bundle::COMPATIBLE
        ),
        &[("rootfs.img", &rootfs)],
    );
    let err = install(&bootless, &release.public, &disk, Slot::A, &state).unwrap_err();
    assert!(matches!(&err, UpdateError::Incomplete { name, .. } if name == bundle::BOOT_TAR), "{err:?}");
    assert_eq!(disk_sum(&disk), before);

    // Not a bundle at all.
    let junk = t.path().join("junk.raucb");
    std::fs::write(&junk, pattern("junk", 5000)).unwrap();
    let err = install(&junk, &release.public, &disk, Slot::A, &state).unwrap_err();
    assert!(matches!(err, UpdateError::NotABundle { .. }), "{err:?}");
    assert_eq!(disk_sum(&disk), before);
    assert!(!state.join(slots::TRIAL_RECORD).exists());

    // The untouched bundle still installs.
    install(&good, &release.public, &disk, Slot::A, &state).unwrap();
    assert_eq!(boot(&disk, true), (Slot::B, 3));
}

#[test]
fn a_release_version_must_be_semantic_as_hawkbit_servers_require() {
    for fine in ["1.4.0", "0.1.0-dev.202612071530.g1a2b3c", "2.0.0-rc.1+build.5", "10.20.30"] {
        assert_eq!(bundle::check_release_version(fine), Ok(()), "{fine}");
    }
    for bad in ["2.0", "v1.0.0", "1.0.0-", "01.0.0", "1.0.0+", "1.0.0-a..b", "1.0.0 beta", ""] {
        assert!(bundle::check_release_version(bad).is_err(), "{bad} taken");
    }
    let release = Release::new();
    let root = release.dir.path().join("rootfs.img");
    std::fs::write(&root, b"root").unwrap();
    let out = release.dir.path().join("bad.raucb");
    let err = bundle::make_bundle(&root, release.dir.path(), "2.0", &release.public, &release.key, &out);
    assert!(matches!(err, Err(UpdateError::Release { .. })), "{err:?}");
    assert!(!out.exists());
}

#[test]
fn a_root_image_larger_than_the_partition_is_refused_before_anything_is_written() {
    let t = tempfile::tempdir().unwrap();
    let (disk, state) = (t.path().join("card.img"), t.path().join("update-state"));
    kiosk_disk(&disk);
    let release = Release::new();
    let bundle = release.bundle("9.0.0", 4 * MIB + 1);
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
    let bundle = release.bundle("2.0.0", MIB);
    let before = disk_sum(&disk);
    let err = install(&bundle, &release.public, &disk, Slot::A, &state).unwrap_err();
    assert!(err.to_string().contains("disk signature 12345678"), "{err}");
    assert_eq!(disk_sum(&disk), before);
}

/// Runs `child` (an ignored test of this binary) with a `rauc` first in PATH that runs the
/// real one and then, if `BUNDLE.swap` lies beside the bundle, puts it in the bundle's
/// place: the bundle changes right after RAUC checked it.
fn with_swapping_rauc(child: &str) {
    let t = tempfile::tempdir().unwrap();
    let path = std::env::var("PATH").unwrap_or_default();
    let real =
        std::env::split_paths(&path).map(|d| d.join("rauc")).find(|p| p.is_file()).expect("rauc on PATH");
    let fake = t.path().join("rauc");
    let script = format!(
        "#!/bin/sh\n'{}' \"$@\"\nstatus=$?\nfor a; do bundle=$a; done\n\
         if [ -f \"$bundle.swap\" ]; then cp \"$bundle.swap\" \"$bundle\"; fi\nexit $status\n",
        real.display()
    );
    std::fs::write(&fake, script).unwrap();
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let ran = std::process::Command::new(std::env::current_exe().unwrap())
        .args([child, "--exact", "--ignored", "--nocapture"])
        .env("PATH", format!("{}:{path}", t.path().display()))
        .env("KIOSK_SWAPPING_RAUC", "1")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&ran.stdout) + String::from_utf8_lossy(&ran.stderr);
    assert!(ran.status.success() && said.contains("1 passed"), "{said}");
}

#[test]
fn a_bundle_that_changes_after_rauc_checked_it_is_caught_and_nothing_is_armed() {
    with_swapping_rauc("swapped_after_the_check");
}

#[test]
#[ignore = "run by a_bundle_that_changes_after_rauc_checked_it_is_caught_and_nothing_is_armed"]
fn swapped_after_the_check() {
    assert_eq!(std::env::var("KIOSK_SWAPPING_RAUC").as_deref(), Ok("1"), "run through with_swapping_rauc");
    let t = tempfile::tempdir().unwrap();
    let (disk, state) = (t.path().join("card.img"), t.path().join("update-state"));
    kiosk_disk(&disk);
    let release = Release::new();
    let good = release.bundle("2.0.0", MIB);
    let (p2, p4) = (part_bytes(&disk, 2), part_bytes(&disk, 4));
    let before = disk_sum(&disk);

    // Swapped for another release: its boot files are not the checked ones, so nothing is
    // written at all.
    let first = t.path().join("first.raucb");
    std::fs::copy(&good, &first).unwrap();
    std::fs::copy(release.bundle("2.0.1", MIB), t.path().join("first.raucb.swap")).unwrap();
    let err = install(&first, &release.public, &disk, Slot::A, &state).unwrap_err();
    assert!(matches!(err, UpdateError::Changed { name: bundle::BOOT_TAR, running: Slot::A, .. }), "{err:?}");
    assert!(err.to_string().contains("nothing was armed"), "{err}");
    assert_eq!(disk_sum(&disk), before, "nothing written");

    // Swapped for the same boot files and another root image: caught while the inactive
    // partition is written, before its boot files are and before anything is armed.
    let second = t.path().join("second.raucb");
    std::fs::copy(&good, &second).unwrap();
    let other_root = release.dir.path().join("rootfs-other.img");
    std::fs::write(&other_root, pattern("not the checked root ", MIB)).unwrap();
    let boot_dir = release.dir.path().join("boot-2.0.0");
    let swap = t.path().join("second.raucb.swap");
    bundle::make_bundle(&other_root, &boot_dir, "2.0.0", &release.public, &release.key, &swap).unwrap();
    let err = install(&second, &release.public, &disk, Slot::A, &state).unwrap_err();
    assert!(matches!(err, UpdateError::Changed { name: bundle::ROOTFS, running: Slot::A, .. }), "{err:?}");
    assert_eq!(boot_file(&disk, "b/kernel8.img"), None, "no boot file written");
    assert_eq!(slots::armed_trial(&FatBoot::open(&disk).unwrap()).unwrap(), None, "no trial armed");
    assert!(part_bytes(&disk, 2) == p2 && part_bytes(&disk, 4) == p4, "the running slot and data untouched");
    assert!(!state.join(slots::TRIAL_RECORD).exists());
    assert_eq!((boot(&disk, true), boot(&disk, false)), ((Slot::A, 2), (Slot::A, 2)));
}
