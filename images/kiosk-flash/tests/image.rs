//! The image build, end to end in its small mode: `images/build --small` turns the device
//! binary into a signed card image; the image is then read back without mounting anything
//! (the MBR, the files on the FAT boot partition, the files on the ext4 root through
//! debugfs, the signature), written to a file "card" and verified, and a tampered image is
//! refused before a single byte is written.
//!
//! The device binary is `KIOSK_DEVICE_BINARY`, else target/aarch64-unknown-linux-gnu/device/kiosk
//! (made by images/cross-build). The build needs the Debian packages marked `small` in
//! images/packages-build.txt (genimage, mtools, dosfstools, e2fsprogs, fakeroot, xz-utils).

// One tamper helper for the image and bundle tests, kept with the bundle tests.
#[path = "../../kiosk-image/tests/common/mod.rs"]
mod common;

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use kiosk_flash::disk::{self, PartitionTable, Window};
use kiosk_flash::{bundle, sign, slots};

const MIB: u64 = 1 << 20;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// The real aarch64 `kiosk`: the test is about the image we ship, so it does not skip.
fn device_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("KIOSK_DEVICE_BINARY") {
        let path = PathBuf::from(path);
        assert!(path.is_file(), "KIOSK_DEVICE_BINARY={} is not a file", path.display());
        return path;
    }
    let path = workspace().join("target/aarch64-unknown-linux-gnu/device/kiosk");
    assert!(
        path.is_file(),
        "no device binary at {}: run images/cross-build first (or set KIOSK_DEVICE_BINARY)",
        path.display()
    );
    path
}

fn said(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn flash(args: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kiosk-flash")).args(args).output().unwrap()
}

/// debugfs from e2fsprogs, which Debian puts in /sbin (not on a user's PATH).
fn debugfs(fs: &Path, request: &str) -> String {
    let program = ["/usr/sbin/debugfs", "/sbin/debugfs"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .unwrap_or("debugfs");
    let out = Command::new(program).arg("-R").arg(request).arg(fs).output().expect("debugfs (e2fsprogs)");
    assert!(out.status.success(), "debugfs -R '{request}': {}", said(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// One partition of the image copied out, as debugfs wants a file system of its own.
fn extract(image: &Path, index: usize, to: &Path) -> Vec<u8> {
    let mut file = File::open(image).unwrap();
    let part = PartitionTable::read(&mut file).unwrap().get(index).unwrap();
    let mut bytes = Vec::new();
    Window::new(file, part).read_to_end(&mut bytes).unwrap();
    assert_eq!(bytes.len() as u64, part.len, "partition {index} lies inside the image file");
    std::fs::write(to, &bytes).unwrap();
    bytes
}

fn fat_text(fat: &disk::Fat, name: &str) -> String {
    let bytes = disk::read_fat_file(fat, name)
        .unwrap()
        .unwrap_or_else(|| panic!("{name} is not on the boot partition"));
    String::from_utf8(bytes).unwrap()
}

#[test]
fn the_small_image_has_our_layout_files_and_signature_and_flashes() {
    let binary = device_binary();
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("out");

    let build = Command::new(workspace().join("images/build"))
        .args(["--small", "--out"])
        .arg(&out)
        .arg("--binary")
        .arg(&binary)
        .args(["--version", "0.0.0-test"])
        .env("KIOSK_FLASH", env!("CARGO_BIN_EXE_kiosk-flash"))
        .output()
        .unwrap();
    let log = said(&build);
    assert!(build.status.success(), "images/build --small failed:\n{log}");
    assert!(log.contains("THROWAWAY DEVELOPMENT KEY"), "an unkeyed build warns loudly:\n{log}");
    assert!(log.contains("does not boot"), "the small image says it has no firmware or kernel:\n{log}");
    let (image, xz, bmap) = (out.join("kiosk.img"), out.join("kiosk.img.xz"), out.join("kiosk.img.bmap"));
    let (manifest, public) = (out.join("SHA256SUMS"), out.join("dev-release.pub"));

    // --- the partition table (images/README.md) ---
    let table = PartitionTable::read(&mut File::open(&image).unwrap()).unwrap();
    assert_eq!(table.disk_id, 0x4b49_4f53, "disk signature \"KIOS\"");
    let parts = &table.partitions;
    assert_eq!(parts.iter().map(|p| p.index).collect::<Vec<_>>(), [1, 2, 3, 4], "four primary partitions");
    assert_eq!(
        parts.iter().map(|p| p.kind).collect::<Vec<_>>(),
        [0x0c, 0x83, 0x83, 0x83],
        "FAT32 LBA, then Linux"
    );
    assert_eq!(parts.iter().map(|p| p.bootable).collect::<Vec<_>>(), [true, false, false, false]);
    assert_eq!(
        parts.iter().map(|p| p.len / MIB).collect::<Vec<_>>(),
        [64, 64, 64, 16],
        "the small mode's sizes"
    );
    assert_eq!(parts[0].start, 4 * MIB);
    for pair in parts.windows(2) {
        assert!(pair[0].start + pair[0].len <= pair[1].start, "no overlap: {pair:?}");
    }
    for p in parts {
        assert_eq!(p.start % (4 * MIB), 0, "partition {} on a 4 MiB boundary", p.index);
    }
    let end = parts[3].start + parts[3].len;
    assert!(std::fs::metadata(&image).unwrap().len() >= end, "the image file covers the last partition");
    assert_eq!(table.partuuid(2), "4b494f53-02");

    // --- the boot partition (FAT, read in place) ---
    let fat = disk::open_fat(&image, 1).unwrap();
    assert_eq!(fat.volume_label().trim(), "BOOT");
    let config = fat_text(&fat, "config.txt");
    assert!(config.contains("include common.txt") && config.lines().any(|l| l == "os_prefix=a/"), "{config}");
    let tryboot = fat_text(&fat, "tryboot.txt");
    assert!(tryboot.lines().any(|l| l == "os_prefix=a/"), "no trial armed in a fresh image: {tryboot}");
    let common = fat_text(&fat, "common.txt");
    for setting in ["arm_64bit=1", "disable_splash=1", "boot_delay=0", "kernel=vmlinuz"] {
        assert!(common.lines().any(|l| l == setting), "common.txt lacks {setting}: {common}");
    }
    for (slot, part) in [("a", "02"), ("b", "03")] {
        let cmdline = fat_text(&fat, &format!("{slot}/cmdline.txt"));
        assert_eq!(cmdline.lines().count(), 1, "cmdline.txt is one line: {cmdline:?}");
        for arg in [
            format!("root=PARTUUID=4b494f53-{part}"),
            "ro".into(),
            "rootwait".into(),
            format!("kiosk.slot={slot}"),
        ] {
            assert!(
                cmdline.split_whitespace().any(|a| a == arg),
                "{slot}/cmdline.txt lacks {arg}: {cmdline}"
            );
        }
    }
    assert!(
        disk::read_fat_file(&fat, "PLACEHOLDER-NOT-BOOTABLE.txt").unwrap().is_some(),
        "placeholders say so"
    );
    drop(fat);

    // --- the root file system (ext4, through debugfs; both slots hold the same one) ---
    let root_a = t.path().join("root-a.ext4");
    let a = extract(&image, 2, &root_a);
    let b = extract(&image, 3, &t.path().join("root-b.ext4"));
    assert!(a == b, "slot b is a copy of slot a");
    let unit = debugfs(&root_a, "cat /etc/systemd/system/kiosk.service");
    for line in [
        "Type=notify",
        "ExecStart=/usr/bin/kiosk run --config /var/lib/kiosk/kiosk.toml",
        "Restart=always",
        "WatchdogSec=30",
        "Environment=SLINT_BACKEND=linuxkms-software",
    ] {
        assert!(unit.lines().any(|l| l == line), "kiosk.service lacks {line}:\n{unit}");
    }
    assert!(!unit.contains("network-online"), "the screen does not wait for the network");
    let provision = debugfs(&root_a, "cat /etc/systemd/system/kiosk-provision.service");
    assert!(
        provision.contains("ExecStart=/usr/bin/kiosk provision --boot /boot/firmware --data /var/lib/kiosk"),
        "{provision}"
    );
    let stat = debugfs(&root_a, "stat /usr/bin/kiosk");
    let size = std::fs::metadata(&binary).unwrap().len();
    assert!(stat.contains("Type: regular") && stat.contains("Mode:  0755"), "{stat}");
    assert!(stat.contains("User:     0   Group:     0"), "owned by root: {stat}");
    assert!(stat.contains(&format!("Size: {size}\n")), "the whole binary ({size} bytes): {stat}");
    let enabled = debugfs(&root_a, "stat /etc/systemd/system/multi-user.target.wants/kiosk.service");
    assert!(enabled.contains("Type: symlink") && enabled.contains("../kiosk.service"), "enabled: {enabled}");
    let fstab = debugfs(&root_a, "cat /etc/fstab");
    let root_line = fstab.lines().find(|l| l.split_whitespace().nth(1) == Some("/")).expect("/ in fstab");
    assert!(root_line.split_whitespace().nth(3).unwrap().split(',').any(|o| o == "ro"), "{root_line}");
    assert!(fstab.lines().any(|l| l.starts_with("LABEL=data") && l.contains("/var/lib/kiosk")), "{fstab}");
    assert_eq!(debugfs(&root_a, "cat /etc/kiosk/release.pub"), std::fs::read_to_string(&public).unwrap());
    let keyring = debugfs(&root_a, "cat /etc/kiosk/release-bundle.pem");
    assert_eq!(keyring, std::fs::read_to_string(out.join("dev-release-bundle.pem")).unwrap());
    let os_release = debugfs(&root_a, "cat /etc/os-release");
    assert!(os_release.lines().any(|l| l == "IMAGE_VERSION=0.0.0-test"), "{os_release}");
    assert_eq!(debugfs(&root_a, "cat /etc/machine-id"), "", "made afresh each boot on a read-only root");
    let data = t.path().join("data.ext4");
    extract(&image, 4, &data);
    assert!(debugfs(&data, "stats").contains("Filesystem volume name:   data"), "LABEL=data");

    // --- the signature ---
    sign::verify(&[&xz, &bmap], &manifest, &public).unwrap();

    // --- flashed to a file "card", verified, and byte for byte the image ---
    let card = t.path().join("card.img");
    let written = flash(&[Path::new("write"), &xz, &card, Path::new("--key"), &public]);
    assert!(written.status.success(), "kiosk-flash write: {}", said(&written));
    let verified = flash(&[Path::new("verify"), &card, &xz]);
    assert!(verified.status.success(), "kiosk-flash verify: {}", said(&verified));
    assert!(std::fs::read(&card).unwrap() == std::fs::read(&image).unwrap(), "the card holds the image");

    // --- bmaptool (bmap-tools, the tool installers already use) takes our block map, checks
    // its own checksum and every range's, and writes the same bytes ---
    let by_bmaptool = t.path().join("card-bmaptool.img");
    let copied = Command::new("bmaptool")
        .args(["copy", "--bmap"])
        .arg(&bmap)
        .arg(&xz)
        .arg(&by_bmaptool)
        .output()
        .expect("bmaptool (bmap-tools)");
    assert!(copied.status.success(), "bmaptool copy: {}", said(&copied));
    assert!(
        std::fs::read(&by_bmaptool).unwrap() == std::fs::read(&card).unwrap(),
        "bmaptool wrote what kiosk-flash wrote"
    );

    // --- an update bundle from the same build, installed into slot b of the card ---
    let bundle = t.path().join("update.raucb");
    let bundle_key = out.join("dev-release-bundle.key");
    let cert = out.join("dev-release-bundle.pem");
    let made = flash(&[
        Path::new("bundle"),
        Path::new("--rootfs"),
        &out.join("rootfs.ext4"),
        Path::new("--boot"),
        &out.join("boot-slot"),
        Path::new("--version"),
        Path::new("0.0.2-test"),
        Path::new("--key"),
        &bundle_key,
        Path::new("-o"),
        &bundle,
    ]);
    assert!(made.status.success(), "kiosk-flash bundle: {}", said(&made));
    {
        let boot = slots::FatBoot::open(&card).unwrap();
        let state = t.path().join("update-state");
        let running = slots::committed(&boot).unwrap();
        assert_eq!(running, slots::Slot::A, "a fresh card runs slot a");
        let target = bundle::Target { disk: &card, boot: &boot, running, boot_id: None };
        let installed = bundle::install(&bundle, &cert, &target, &state).unwrap();
        assert_eq!((installed.slot, installed.version.as_str()), (slots::Slot::B, "0.0.2-test"));
        assert_eq!(slots::firmware_boot(&boot, true).unwrap(), (slots::Slot::B, 3), "the trial boots b");
        assert_eq!(slots::firmware_boot(&boot, false).unwrap(), (slots::Slot::A, 2), "until committed, a");
    }
    let root_b = t.path().join("root-b.ext4");
    extract(&card, 3, &root_b);
    assert!(debugfs(&root_b, "stat /usr/bin/kiosk").contains("Type: regular"), "slot b holds the new root");

    // --- one byte changed in the release: refused before anything is written ---
    common::flip_byte(&xz, std::fs::metadata(&xz).unwrap().len() / 2, 0xff);
    let fresh = t.path().join("fresh.img");
    let refused = flash(&[Path::new("write"), &xz, &fresh, Path::new("--key"), &public]);
    assert!(!refused.status.success(), "a tampered image was written");
    let why = said(&refused);
    assert!(why.contains("refusing to write") && why.contains("kiosk.img.xz does not match"), "{why}");
    assert!(!fresh.exists(), "nothing written");
}
