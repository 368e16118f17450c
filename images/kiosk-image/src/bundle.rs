//! The update bundle and its installation into the inactive slot (`kiosk update`).
//!
//! A bundle is a RAUC bundle in its plain format, the format hawkBit servers and their
//! clients ship: a squashfs holding `manifest.raucm`, `rootfs.img` (the root partition's
//! image) and `boot.tar` (the slot directory's files; its `cmdline.txt` is made per slot on
//! the device), followed by a CMS signature over the squashfs made with the release
//! certificate's key. `rauc bundle` makes it (release side).
//!
//! Installing has RAUC itself check the signature against the release certificate and
//! read the signed manifest (`rauc info --keyring`), then takes each image out with
//! `unsquashfs -cat` and holds it to the size and SHA-256 that manifest signs: `boot.tar`
//! whole, before the first byte is written; `rootfs.img` while it is written to the inactive
//! root partition, before anything is armed, and again by reading the partition back. Then
//! the slot's boot directory is written and tryboot armed. The running slot and
//! `config.txt` are never written. RAUC's own installer is not used: it works only through
//! its D-Bus service, and it has no backend for the Pi firmware's tryboot (images/README.md).

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::{Digest, Sha256};

use crate::disk::{DiskError, Partition, PartitionTable, Window};
use crate::slots::{self, BootFiles, DISK_ID, Slot, SlotError, TrialRecord};

/// The hardware a bundle is for (`[update] compatible`; hawkBit servers show it as the
/// device's model): a kiosk refuses a bundle made for anything else.
pub const COMPATIBLE: &str = "kiosk-rpi-arm64";
pub const MANIFEST: &str = "manifest.raucm";
pub const ROOTFS: &str = "rootfs.img";
pub const BOOT_TAR: &str = "boot.tar";
/// The first bytes of a squashfs, so of every RAUC bundle.
const SQUASHFS_MAGIC: &[u8; 4] = b"hsqs";

/// The boot files are held in memory between the check and the write, so they cannot change
/// in between; the boot partition is 256 MiB, so more cannot be meant.
const BOOT_LIMIT: u64 = 256 << 20;
const CHUNK: usize = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    #[error("{what} {path}: {source}")]
    Io { what: &'static str, path: String, source: io::Error },
    #[error(
        "cannot run {program}: {source} (the device image carries it; elsewhere install Debian's {package})"
    )]
    Tool { program: &'static str, package: &'static str, source: io::Error },
    #[error("{bundle} is not an update bundle: {reason}")]
    NotABundle { bundle: String, reason: String },
    #[error("refusing to install {bundle}, nothing was written: RAUC says {reason}")]
    Rejected { bundle: String, reason: String },
    #[error(
        "refusing to install {bundle}, nothing was written: it is made for {found}, and this device is {COMPATIBLE}"
    )]
    Incompatible { bundle: String, found: String },
    #[error(
        "refusing to install {bundle}, nothing was written: its signed manifest lacks {name}, which a kiosk bundle must hold"
    )]
    Incomplete { bundle: String, name: String },
    #[error("cannot release {path}: {reason}")]
    Release { path: String, reason: String },
    #[error("{disk}: {source}")]
    Disk { disk: String, source: DiskError },
    #[error(
        "{disk} is not a kiosk disk (disk signature {found:08x}, ours is {DISK_ID:08x}): check which disk the updater was given"
    )]
    NotKioskDisk { disk: String, found: u32 },
    #[error(
        "rootfs.img is {bytes} bytes but partition {partition} (root-{slot}) holds only {capacity}: this bundle is for a larger card layout; nothing was written"
    )]
    TooBig { bytes: u64, partition: usize, slot: Slot, capacity: u64 },
    #[error(
        "slot {running} runs on trial and is not committed yet ({committed} is): the kiosk commits it once healthy, or a reboot returns to {committed}; update after that"
    )]
    RunningOnTrial { running: Slot, committed: Slot },
    #[error(
        "{bundle} changed while it was being installed ({name} is not what its signed manifest says): install it again; nothing was armed, slot {running} stays"
    )]
    Changed { bundle: String, name: &'static str, running: Slot },
    #[error(
        "partition {partition} reads back differently from what was written: the card may be failing; nothing was armed, slot {running} stays"
    )]
    ReadBack { partition: usize, running: Slot },
    #[error("writing {name} to the boot partition: {source}; nothing was armed, slot {running} stays")]
    Boot { name: String, running: Slot, source: io::Error },
    #[error(
        "another install is running (the rollout agent's or a `kiosk update`): nothing was written; try again once it has ended"
    )]
    Busy,
    #[error("{0}")]
    Slots(#[from] SlotError),
}

/// The lock held for a whole install: two installers (the rollout agent and `kiosk update`
/// by hand) must never write the inactive slot at once. Released when the returned file is
/// dropped (or the process ends).
fn install_lock(state_dir: &Path) -> Result<File, UpdateError> {
    use std::os::fd::AsRawFd;
    std::fs::create_dir_all(state_dir).map_err(io_err("creating", state_dir))?;
    let path = state_dir.join("install.lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io_err("opening", &path))?;
    // SAFETY: an advisory lock on a descriptor we own.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        return Err(UpdateError::Busy);
    }
    Ok(file)
}

fn io_err<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> UpdateError + 'a {
    move |source| UpdateError::Io { what, path: path.display().to_string(), source }
}

fn spawn_err(program: &'static str) -> impl FnOnce(io::Error) -> UpdateError {
    let package = match program {
        "unsquashfs" => "squashfs-tools",
        other => other,
    };
    move |source| UpdateError::Tool { program, package, source }
}

/// Where an update goes: the whole disk (or image file) holding both root partitions, its
/// boot files, and the slot running now (from `/proc/cmdline` on a device).
pub struct Target<'a> {
    pub disk: &'a Path,
    pub boot: &'a dyn BootFiles,
    pub running: Slot,
    /// This boot's id, kept in the trial record (see `slots::status`).
    pub boot_id: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    pub slot: Slot,
    pub version: String,
    /// The root image's size, written to the slot's partition.
    pub bytes: u64,
}

/// A bundle whose signature RAUC checked, with what its signed manifest says.
#[derive(Debug)]
pub struct Verified {
    pub version: String,
    pub rootfs_bytes: u64,
    rootfs_sum: String,
    /// (path inside the slot directory, content), checked against the manifest's sum.
    boot: Vec<(String, Vec<u8>)>,
}

/// What a device accepts as a version: it is shown and recorded, never parsed.
fn check_version(version: &str) -> Result<(), String> {
    let fine = !version.is_empty() && version.len() <= 64 && version.chars().all(|c| c.is_ascii_graphic());
    fine.then_some(())
        .ok_or_else(|| format!("version {version:?} is not 1 to 64 printable characters without spaces"))
}

/// What a release must be: a semantic version (MAJOR.MINOR.PATCH, a pre-release and build
/// after `-` and `+`), which hawkBit servers require of the software they roll out.
pub fn check_release_version(version: &str) -> Result<(), String> {
    let bad = || format!("version {version:?} is not a semantic version such as 1.4.0 or 1.4.0-rc.1");
    check_version(version).map_err(|_| bad())?;
    let (rest, build) = version.split_once('+').map_or((version, None), |(r, b)| (r, Some(b)));
    let (core, pre) = rest.split_once('-').map_or((rest, None), |(c, p)| (c, Some(p)));
    let number =
        |n: &str| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && (n == "0" || !n.starts_with('0'));
    let ident = |s: &str| {
        s.split('.').all(|i| !i.is_empty() && i.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    };
    let parts: Vec<&str> = core.split('.').collect();
    let fine = parts.len() == 3
        && parts.iter().all(|n| number(n))
        && pre.is_none_or(ident)
        && build.is_none_or(ident);
    fine.then_some(()).ok_or_else(bad)
}

/// The regular files under `dir`, by '/'-separated relative paths, sorted so that a bundle's
/// member order does not depend on the file system.
fn files_under(dir: &Path) -> io::Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    let mut todo = vec![(String::new(), dir.to_owned())];
    while let Some((rel, path)) = todo.pop() {
        for entry in std::fs::read_dir(&path)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = if rel.is_empty() { name } else { format!("{rel}/{name}") };
            let meta = std::fs::metadata(entry.path())?;
            if meta.is_dir() {
                todo.push((rel, entry.path()));
            } else if meta.is_file() {
                out.push((rel, entry.path()));
            }
        }
    }
    out.sort();
    Ok(out)
}

fn append(tar: &mut tar::Builder<File>, name: &str, size: u64, data: impl Read) -> io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_size(size);
    header.set_mode(0o644);
    header.set_mtime(0);
    tar.append_data(&mut header, name, data)
}

/// The manifest `rauc bundle` completes with each image's size and sum.
fn manifest_text(version: &str) -> String {
    format!(
        "[update]\ncompatible={COMPATIBLE}\nversion={version}\n\n[bundle]\nformat=plain\n\n\
         [image.rootfs]\nfilename={ROOTFS}\n\n[image.boot]\nfilename={BOOT_TAR}\n"
    )
}

/// What a failed rauc or unsquashfs said, without RAUC's progress messages.
fn tool_said(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> =
        text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("rauc-Message")).collect();
    if lines.is_empty() { "nothing (it failed without a message)".into() } else { lines.join("; ") }
}

/// Makes a signed bundle (release side) with `rauc bundle`, signed with the release
/// certificate `cert` and its key. The slot directory's own `cmdline.txt`, if `boot_dir`
/// has one, is left out: the device makes it for the slot it installs to.
pub fn make_bundle(
    rootfs: &Path,
    boot_dir: &Path,
    version: &str,
    cert: &Path,
    key: &Path,
    out: &Path,
) -> Result<(), UpdateError> {
    let release = |reason: String| UpdateError::Release { path: out.display().to_string(), reason };
    check_release_version(version).map_err(release)?;
    let mut boot = files_under(boot_dir).map_err(io_err("reading", boot_dir))?;
    boot.retain(|(rel, _)| rel != "cmdline.txt");

    // The bundle's content is gathered beside `out`, and the bundle written beside it and
    // renamed, so a failed release leaves no half bundle to ship.
    let beside = |suffix: &str| {
        let mut p = out.as_os_str().to_owned();
        p.push(suffix);
        PathBuf::from(p)
    };
    let (content, tmp) = (beside(".content"), beside(".part"));
    let gather = || -> io::Result<()> {
        let _ = std::fs::remove_dir_all(&content);
        std::fs::create_dir_all(&content)?;
        // A root image is hundreds of MiB: linked where the file system allows.
        if std::fs::hard_link(rootfs, content.join(ROOTFS)).is_err() {
            std::fs::copy(rootfs, content.join(ROOTFS))?;
        }
        let mut tar = tar::Builder::new(File::create(content.join(BOOT_TAR))?);
        for (rel, path) in &boot {
            let file = File::open(path)?;
            append(&mut tar, rel, file.metadata()?.len(), file)?;
        }
        tar.into_inner()?.sync_all()?;
        std::fs::write(content.join(MANIFEST), manifest_text(version))?;
        match std::fs::remove_file(&tmp) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    };
    let made = gather().map_err(|e| release(e.to_string())).and_then(|()| {
        let said = Command::new("rauc")
            .args(["bundle", "--cert"])
            .arg(cert)
            .arg("--key")
            .arg(key)
            .arg(&content)
            .arg(&tmp)
            .output()
            .map_err(spawn_err("rauc"))?;
        if !said.status.success() {
            return Err(release(format!("rauc bundle: {}", tool_said(&said.stderr))));
        }
        File::open(&tmp)
            .and_then(|f| f.sync_all())
            .and_then(|()| std::fs::rename(&tmp, out))
            .map_err(|e| release(e.to_string()))
    });
    let _ = std::fs::remove_dir_all(&content);
    if made.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    made
}

/// A member's path with '/' separators, refused when it could point outside the slot.
fn member_name(path: &Path) -> Option<String> {
    let parts: Option<Vec<&str>> =
        path.components().map(|c| if let Component::Normal(p) = c { p.to_str() } else { None }).collect();
    parts.filter(|p| !p.is_empty()).map(|p| p.join("/"))
}

fn hash_stream(
    mut from: impl Read,
    mut to: impl FnMut(&[u8]) -> io::Result<()>,
) -> io::Result<(String, u64)> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0u64;
    loop {
        let n = from.read(&mut buf)?;
        if n == 0 {
            return Ok((hex::encode(hasher.finalize()), total));
        }
        hasher.update(&buf[..n]);
        to(&buf[..n])?;
        total += n as u64;
    }
}

/// One image of the signed manifest as `rauc info` reports it.
#[derive(Debug, serde::Deserialize)]
struct ImageInfo {
    filename: String,
    checksum: String,
    size: u64,
}

/// `rauc info --output-format=json`: the signed manifest, read once the signature held.
#[derive(Debug, serde::Deserialize)]
struct BundleInfo {
    compatible: String,
    version: String,
    /// One map per image, keyed by its slot class.
    images: Vec<HashMap<String, ImageInfo>>,
}

/// `unsquashfs -cat BUNDLE NAME`: the file's bytes as they stream out of the bundle.
fn cat(bundle: &Path, name: &str) -> Result<std::process::Child, UpdateError> {
    Command::new("unsquashfs")
        .arg("-cat")
        .arg(bundle)
        .arg(name)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(spawn_err("unsquashfs"))
}

/// The slot's boot files out of `boot.tar`, which was checked against the signed sum.
fn boot_files(bundle: &str, tar_bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, UpdateError> {
    let bad = |reason: String| UpdateError::NotABundle {
        bundle: bundle.to_owned(),
        reason: format!("{BOOT_TAR}: {reason}"),
    };
    let mut archive = tar::Archive::new(tar_bytes);
    let mut files = Vec::new();
    for entry in archive.entries().map_err(|e| bad(e.to_string()))? {
        let mut entry = entry.map_err(|e| bad(e.to_string()))?;
        let path = entry.path().map_err(|e| bad(e.to_string()))?.into_owned();
        let name = member_name(&path).ok_or_else(|| bad(format!("member {path:?} leaves the slot")))?;
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            continue;
        }
        if !kind.is_file() {
            return Err(bad(format!("{name} is not a regular file")));
        }
        if name == "cmdline.txt" {
            return Err(bad("it ships a cmdline.txt, which the device makes per slot".into()));
        }
        if files.iter().any(|(n, _)| *n == name) {
            return Err(bad(format!("{name} is in it twice")));
        }
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).map_err(|e| bad(e.to_string()))?;
        files.push((name, bytes));
    }
    Ok(files)
}

/// Has RAUC check the bundle's signature against `keyring` (the release certificate) and
/// read its manifest, then reads the boot files and checks them against it; nothing is
/// written. A bundle that passes is signed by the release key and made for this hardware.
pub fn verify(bundle: &Path, keyring: &Path, running: Slot) -> Result<Verified, UpdateError> {
    let name = bundle.display().to_string();
    let mut magic = [0u8; 4];
    File::open(bundle).and_then(|mut f| f.read_exact(&mut magic)).map_err(io_err("reading", bundle))?;
    if &magic != SQUASHFS_MAGIC {
        let reason = "it is not a RAUC bundle (no squashfs at its start)".to_owned();
        return Err(UpdateError::NotABundle { bundle: name, reason });
    }
    let info = Command::new("rauc")
        .arg("--keyring")
        .arg(keyring)
        .args(["info", "--output-format=json"])
        .arg(bundle)
        .stdin(Stdio::null())
        .output()
        .map_err(spawn_err("rauc"))?;
    if !info.status.success() {
        return Err(UpdateError::Rejected { bundle: name, reason: tool_said(&info.stderr) });
    }
    let info: BundleInfo = serde_json::from_slice(&info.stdout).map_err(|e| UpdateError::NotABundle {
        bundle: name.clone(),
        reason: format!("rauc info printed what is not its manifest: {e}"),
    })?;
    if info.compatible != COMPATIBLE {
        return Err(UpdateError::Incompatible { bundle: name, found: info.compatible });
    }
    check_version(&info.version)
        .map_err(|reason| UpdateError::NotABundle { bundle: name.clone(), reason })?;
    let image = |file: &str| {
        info.images
            .iter()
            .flat_map(HashMap::values)
            .find(|i| i.filename == file)
            .ok_or_else(|| UpdateError::Incomplete { bundle: name.clone(), name: file.to_owned() })
    };
    let (rootfs, boot) = (image(ROOTFS)?, image(BOOT_TAR)?);
    if boot.size > BOOT_LIMIT {
        let reason = format!("its boot files are larger than {BOOT_LIMIT} bytes");
        return Err(UpdateError::NotABundle { bundle: name, reason });
    }

    let mut child = cat(bundle, BOOT_TAR)?;
    let mut tar_bytes = Vec::new();
    let read = child.stdout.take().map(|out| out.take(BOOT_LIMIT + 1).read_to_end(&mut tar_bytes));
    let ended = child.wait().map_err(spawn_err("unsquashfs"))?;
    let sum = hex::encode(Sha256::digest(&tar_bytes));
    if !matches!(read, Some(Ok(_)))
        || !ended.success()
        || tar_bytes.len() as u64 != boot.size
        || sum != boot.checksum
    {
        return Err(UpdateError::Changed { bundle: name, name: BOOT_TAR, running });
    }
    Ok(Verified {
        version: info.version.clone(),
        rootfs_bytes: rootfs.size,
        rootfs_sum: rootfs.checksum.clone(),
        boot: boot_files(&name, &tar_bytes)?,
    })
}

/// The root partition of `slot` on a kiosk disk.
fn root_partition(disk: &Path, slot: Slot) -> Result<Partition, UpdateError> {
    let disk_err = |source| UpdateError::Disk { disk: disk.display().to_string(), source };
    let mut file = File::open(disk).map_err(io_err("opening", disk))?;
    let table = PartitionTable::read(&mut file).map_err(disk_err)?;
    if table.disk_id != DISK_ID {
        return Err(UpdateError::NotKioskDisk { disk: disk.display().to_string(), found: table.disk_id });
    }
    table.get(slot.partition()).map_err(disk_err)
}

/// Streams `rootfs.img` out of the bundle into `part`, then reads it back past the page
/// cache. The sum is taken while writing: the bundle file may have changed since RAUC
/// checked it.
fn write_rootfs(
    bundle: &Path,
    disk: &Path,
    part: Partition,
    v: &Verified,
    running: Slot,
) -> Result<(), UpdateError> {
    let changed = || UpdateError::Changed { bundle: bundle.display().to_string(), name: ROOTFS, running };
    let file = OpenOptions::new().read(true).write(true).open(disk).map_err(io_err("opening", disk))?;
    let sync = file.try_clone().map_err(io_err("opening", disk))?;
    let mut window = Window::new(file, part);
    let mut child = cat(bundle, ROOTFS)?;
    let out = child.stdout.take().ok_or_else(changed)?;
    // One byte past the signed size is read, to tell a longer stream; the window ends at the
    // partition, so nothing runs into the next one, and nothing is armed after a mismatch.
    let written = hash_stream(out.take(v.rootfs_bytes + 1), |chunk| window.write_all(chunk));
    let ended = child.wait().map_err(spawn_err("unsquashfs"))?;
    let (sum, bytes) = written.map_err(io_err("writing", disk))?;
    if !ended.success() || sum != v.rootfs_sum || bytes != v.rootfs_bytes {
        return Err(changed());
    }
    sync.sync_all().map_err(io_err("syncing", disk))?;
    drop_cached(&sync, part.start, bytes);

    let mut back = Window::new(File::open(disk).map_err(io_err("reading back", disk))?, part);
    back.seek(SeekFrom::Start(0)).map_err(io_err("reading back", disk))?;
    let (read, _) = hash_stream((&mut back).take(bytes), |_| Ok(())).map_err(io_err("reading back", disk))?;
    if read != v.rootfs_sum {
        return Err(UpdateError::ReadBack { partition: part.index, running });
    }
    Ok(())
}

/// Drops the written range from the page cache so the read-back comes from the card.
fn drop_cached(file: &File, start: u64, len: u64) {
    use std::os::fd::AsRawFd;
    // SAFETY: an advisory call on an open descriptor; failure only means a cached read-back.
    unsafe {
        libc::posix_fadvise(
            file.as_raw_fd(),
            start as libc::off_t,
            len as libc::off_t,
            libc::POSIX_FADV_DONTNEED,
        )
    };
}

/// Installs a bundle into the slot that is not running and arms it for one tryboot; the
/// caller then reboots with `reboot "0 tryboot"`. The running slot stays committed until the
/// new one commits itself (`slots::commit`). `state_dir` is on the data partition and keeps
/// the trial record that lets the next boot report a rollback.
pub fn install(
    bundle: &Path,
    keyring: &Path,
    target: &Target,
    state_dir: &Path,
) -> Result<Installed, UpdateError> {
    let _lock = install_lock(state_dir)?;
    let running = target.running;
    let v = verify(bundle, keyring, running)?;
    let committed = slots::committed(target.boot)?;
    if running != committed {
        // The inactive slot is then the only one known to boot: it must not be overwritten.
        return Err(UpdateError::RunningOnTrial { running, committed });
    }
    let slot = running.other();
    let part = root_partition(target.disk, slot)?;
    if v.rootfs_bytes > part.len {
        return Err(UpdateError::TooBig {
            bytes: v.rootfs_bytes,
            partition: part.index,
            slot,
            capacity: part.len,
        });
    }

    // An earlier armed trial of this slot must not be started while the slot is half written.
    slots::disarm(target.boot)?;
    write_rootfs(bundle, target.disk, part, &v, running)?;

    let boot_err = |name: &str| {
        let name = name.to_owned();
        move |source| UpdateError::Boot { name, running, source }
    };
    let template_name = format!("{}cmdline.txt", running.prefix());
    let template = target.boot.read(&template_name).map_err(boot_err(&template_name))?;
    for (rel, bytes) in &v.boot {
        let name = format!("{}{rel}", slot.prefix());
        target.boot.write(&name, bytes).map_err(boot_err(&name))?;
    }
    let cmdline = slots::cmdline_for(template.as_deref().map(String::from_utf8_lossy).as_deref(), slot);
    let name = format!("{}cmdline.txt", slot.prefix());
    target.boot.write(&name, cmdline.as_bytes()).map_err(boot_err(&name))?;

    // Recorded before arming: an update that stops in between is reported as not taken.
    let armed_at =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let boot_id = target.boot_id.map(str::to_owned);
    TrialRecord { slot, version: v.version.clone(), armed_at, boot_id }.save(state_dir)?;
    slots::arm_trial(target.boot, slot)?;
    Ok(Installed { slot, version: v.version, bytes: v.rootfs_bytes })
}

/// A new bundle signing pair (release side): an ECDSA P-256 key and its self-signed X.509
/// certificate, which the image carries as the keyring RAUC checks bundles against. RAUC
/// signs with CMS, which takes no ed25519 key, so the pair is apart from the image
/// manifest's key. Made by `openssl`; the key is readable by its owner only.
pub fn keygen(key: &Path, cert: &Path, common_name: &str) -> Result<(), UpdateError> {
    let release = |reason: String| UpdateError::Release { path: key.display().to_string(), reason };
    if common_name.contains(['/', '=', '\\']) {
        return Err(release(format!("{common_name:?}: a certificate name without / = or \\")));
    }
    // Created empty first, owner-only, so the key is never readable by others, even briefly.
    {
        use std::os::unix::fs::OpenOptionsExt;
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(key)
            .map_err(io_err("creating", key))?;
    }
    let said = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"])
        .args(["-days", "36500", "-subj"])
        .arg(format!("/O=kiosk/CN={common_name}"))
        .arg("-keyout")
        .arg(key)
        .arg("-out")
        .arg(cert)
        .output()
        .map_err(spawn_err("openssl"));
    match said {
        Ok(said) if said.status.success() => Ok(()),
        failed => {
            let _ = std::fs::remove_file(key);
            let _ = std::fs::remove_file(cert);
            let said = failed?;
            Err(release(format!("openssl req: {}", tool_said(&said.stderr))))
        }
    }
}
