//! The update bundle and its installation into the inactive slot (`kiosk update`).
//!
//! A bundle is a tar file: `SHA256SUMS` (every other member's sum, by its path in the
//! bundle), `SHA256SUMS.sig`, `VERSION`, `rootfs.img` (the root partition's image) and
//! `boot/…` (the slot directory's files; its `cmdline.txt` is made per slot on the device).
//! Installing reads the whole bundle once to check the signature and every sum before the
//! first byte is written, then writes the inactive root partition, reads it back, writes its
//! boot directory and arms tryboot. The running slot and `config.txt` are never written.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Component, Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::disk::{DiskError, Partition, PartitionTable, Window};
use crate::sign::{self, SignError};
use crate::slots::{self, BootFiles, DISK_ID, Slot, SlotError, TrialRecord};

pub const MANIFEST: &str = "SHA256SUMS";
pub const SIGNATURE: &str = "SHA256SUMS.sig";
pub const VERSION: &str = "VERSION";
pub const ROOTFS: &str = "rootfs.img";
pub const BOOT: &str = "boot/";

/// The boot files are held in memory between the check and the write, so they cannot change
/// in between; the boot partition is 256 MiB, so more cannot be meant.
const BOOT_LIMIT: u64 = 256 << 20;
const SMALL_LIMIT: u64 = 1 << 20;
const CHUNK: usize = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    #[error("{what} {path}: {source}")]
    Io { what: &'static str, path: String, source: io::Error },
    #[error("{bundle} is not an update bundle: {reason}")]
    NotABundle { bundle: String, reason: String },
    #[error("refusing to install {bundle}, nothing was written: {source}")]
    Rejected { bundle: String, source: SignError },
    #[error(
        "refusing to install {bundle}, nothing was written: it lacks {name}, which a bundle must hold or its manifest lists; download it again"
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
        "{bundle} changed while it was being installed: install it again; nothing was armed, slot {running} stays"
    )]
    Changed { bundle: String, running: Slot },
    #[error(
        "partition {partition} reads back differently from what was written: the card may be failing; nothing was armed, slot {running} stays"
    )]
    ReadBack { partition: usize, running: Slot },
    #[error("writing {name} to the boot partition: {source}; nothing was armed, slot {running} stays")]
    Boot { name: String, running: Slot, source: io::Error },
    #[error("{0}")]
    Slots(#[from] SlotError),
}

fn io_err<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> UpdateError + 'a {
    move |source| UpdateError::Io { what, path: path.display().to_string(), source }
}

/// Where an update goes: the whole disk (or image file) holding both root partitions, its
/// boot files, and the slot running now (from `/proc/cmdline` on a device).
pub struct Target<'a> {
    pub disk: &'a Path,
    pub boot: &'a dyn BootFiles,
    pub running: Slot,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    pub slot: Slot,
    pub version: String,
    /// The root image's size, written to the slot's partition.
    pub bytes: u64,
}

/// A bundle whose signature and sums were checked.
#[derive(Debug)]
pub struct Verified {
    pub version: String,
    pub rootfs_bytes: u64,
    rootfs_sum: String,
    /// (path inside the slot directory, content)
    boot: Vec<(String, Vec<u8>)>,
}

fn check_version(version: &str) -> Result<(), String> {
    let fine = !version.is_empty() && version.len() <= 64 && version.chars().all(|c| c.is_ascii_graphic());
    fine.then_some(())
        .ok_or_else(|| format!("version {version:?} is not 1 to 64 printable characters without spaces"))
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

/// Makes a signed bundle (release side). The slot directory's own `cmdline.txt`, if
/// `boot_dir` has one, is left out: the device makes it for the slot it installs to.
pub fn make_bundle(
    rootfs: &Path,
    boot_dir: &Path,
    version: &str,
    secret_key: &Path,
    out: &Path,
) -> Result<(), UpdateError> {
    let release = |reason: String| UpdateError::Release { path: out.display().to_string(), reason };
    check_version(version).map_err(release)?;
    let mut boot = files_under(boot_dir).map_err(io_err("reading", boot_dir))?;
    boot.retain(|(rel, _)| rel != "cmdline.txt");
    let version_text = format!("{version}\n");

    let mut manifest = sign::manifest_line(&hex::encode(Sha256::digest(&version_text)), VERSION);
    let sum = |p: &Path| sign::sha256_file(p).map_err(|e| release(e.to_string()));
    manifest.push_str(&sign::manifest_line(&sum(rootfs)?, ROOTFS));
    for (rel, path) in &boot {
        manifest.push_str(&sign::manifest_line(&sum(path)?, &format!("{BOOT}{rel}")));
    }
    let signature = sign::signature(&manifest, secret_key).map_err(|e| release(e.to_string()))?;

    // Written beside `out` and renamed, so a failed release leaves no half bundle to ship.
    let mut tmp = out.as_os_str().to_owned();
    tmp.push(".part");
    let tmp = PathBuf::from(tmp);
    let write = || -> io::Result<()> {
        let mut tar = tar::Builder::new(File::create(&tmp)?);
        append(&mut tar, MANIFEST, manifest.len() as u64, manifest.as_bytes())?;
        append(&mut tar, SIGNATURE, signature.len() as u64, signature.as_bytes())?;
        append(&mut tar, VERSION, version_text.len() as u64, version_text.as_bytes())?;
        let file = File::open(rootfs)?;
        append(&mut tar, ROOTFS, file.metadata()?.len(), file)?;
        for (rel, path) in &boot {
            let file = File::open(path)?;
            append(&mut tar, &format!("{BOOT}{rel}"), file.metadata()?.len(), file)?;
        }
        tar.into_inner()?.sync_all()?;
        std::fs::rename(&tmp, out)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        release(e.to_string())
    })
}

/// A member's path with '/' separators, refused when it could point outside the bundle.
fn member_name(path: &Path) -> Option<String> {
    let parts: Option<Vec<&str>> =
        path.components().map(|c| if let Component::Normal(p) = c { p.to_str() } else { None }).collect();
    parts.filter(|p| !p.is_empty()).map(|p| p.join("/"))
}

fn read_limited(entry: impl Read, limit: u64) -> io::Result<Option<Vec<u8>>> {
    let mut bytes = Vec::new();
    entry.take(limit + 1).read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= limit).then_some(bytes))
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

/// Everything one pass over the bundle collects: the manifest, its signature, the small
/// members' contents and every member's sum.
#[derive(Default)]
struct Members {
    manifest: Option<Vec<u8>>,
    signature: Option<Vec<u8>>,
    version: Option<Vec<u8>>,
    rootfs: Option<(String, u64)>,
    boot: Vec<(String, Vec<u8>)>,
    sums: Vec<(String, String)>,
}

fn read_members(bundle: &Path) -> Result<Members, UpdateError> {
    let not_bundle =
        |reason: String| UpdateError::NotABundle { bundle: bundle.display().to_string(), reason };
    let mut archive = tar::Archive::new(File::open(bundle).map_err(io_err("opening", bundle))?);
    let mut m = Members::default();
    let mut boot_bytes = 0u64;
    let mut seen = std::collections::HashSet::new();
    for entry in archive.entries().map_err(|e| not_bundle(e.to_string()))? {
        let mut entry = entry.map_err(|e| not_bundle(e.to_string()))?;
        let path = entry.path().map_err(|e| not_bundle(e.to_string()))?.into_owned();
        let name =
            member_name(&path).ok_or_else(|| not_bundle(format!("member {path:?} leaves the bundle")))?;
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            continue;
        }
        if !kind.is_file() {
            return Err(not_bundle(format!("{name} is not a regular file")));
        }
        if !seen.insert(name.clone()) {
            return Err(not_bundle(format!("{name} is in it twice")));
        }
        let small = |entry: &mut tar::Entry<File>, limit| {
            read_limited(entry, limit)
                .map_err(|e| not_bundle(e.to_string()))?
                .ok_or_else(|| not_bundle(format!("{name} is too large")))
        };
        match name.as_str() {
            MANIFEST => m.manifest = Some(small(&mut entry, SMALL_LIMIT)?),
            SIGNATURE => m.signature = Some(small(&mut entry, SMALL_LIMIT)?),
            VERSION => {
                let bytes = small(&mut entry, SMALL_LIMIT)?;
                m.sums.push((name, hex::encode(Sha256::digest(&bytes))));
                m.version = Some(bytes);
            }
            ROOTFS => {
                let (sum, bytes) = hash_stream(&mut entry, |_| Ok(())).map_err(io_err("reading", bundle))?;
                m.sums.push((name, sum.clone()));
                m.rootfs = Some((sum, bytes));
            }
            _ => {
                let Some(rel) = name.strip_prefix(BOOT) else {
                    return Err(not_bundle(format!("unexpected member {name}")));
                };
                if rel == "cmdline.txt" {
                    return Err(not_bundle("it ships a cmdline.txt, which the device makes per slot".into()));
                }
                boot_bytes += entry.size();
                if boot_bytes > BOOT_LIMIT {
                    return Err(not_bundle(format!("its boot files are larger than {BOOT_LIMIT} bytes")));
                }
                let bytes = small(&mut entry, BOOT_LIMIT)?;
                m.sums.push((name.clone(), hex::encode(Sha256::digest(&bytes))));
                m.boot.push((rel.to_owned(), bytes));
            }
        }
    }
    Ok(m)
}

/// Reads the whole bundle and checks its signature and every member's sum; nothing is
/// written. A bundle that passes holds exactly the signed files.
pub fn verify(bundle: &Path, public_key: &Path) -> Result<Verified, UpdateError> {
    let m = read_members(bundle)?;
    let name = bundle.display().to_string();
    let rejected = |source| UpdateError::Rejected { bundle: name.clone(), source };
    let manifest = m.manifest.ok_or_else(|| UpdateError::NotABundle {
        bundle: name.clone(),
        reason: format!("it has no {MANIFEST}"),
    })?;
    let signature = m.signature.ok_or_else(|| rejected(SignError::Unsigned(SIGNATURE.to_owned())))?;
    sign::check_signature(&manifest, &signature, public_key).map_err(rejected)?;

    let manifest = String::from_utf8_lossy(&manifest);
    for (member, actual) in &m.sums {
        let signed = sign::signed_sum(&manifest, member)
            .ok_or_else(|| rejected(SignError::NotListed(member.clone())))?;
        if *actual != signed {
            let mismatch = SignError::Mismatch { name: member.clone(), actual: actual.clone(), signed };
            return Err(rejected(mismatch));
        }
    }
    for line in manifest.lines() {
        let listed = line.split_once("  ").map(|(_, n)| n).unwrap_or(line);
        if !m.sums.iter().any(|(n, _)| n == listed) {
            return Err(UpdateError::Incomplete { bundle: name, name: listed.to_owned() });
        }
    }
    let (rootfs_sum, rootfs_bytes) =
        m.rootfs.ok_or_else(|| UpdateError::Incomplete { bundle: name.clone(), name: ROOTFS.into() })?;
    let version =
        m.version.ok_or_else(|| UpdateError::Incomplete { bundle: name.clone(), name: VERSION.into() })?;
    let version = String::from_utf8_lossy(&version).trim().to_owned();
    check_version(&version).map_err(|reason| UpdateError::NotABundle { bundle: name, reason })?;
    Ok(Verified { version, rootfs_bytes, rootfs_sum, boot: m.boot })
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

/// Streams `rootfs.img` from the bundle into `part`, then reads it back past the page cache.
/// The sum is taken again while writing: the bundle file may have changed since `verify`.
fn write_rootfs(
    bundle: &Path,
    disk: &Path,
    part: Partition,
    v: &Verified,
    running: Slot,
) -> Result<(), UpdateError> {
    let mut archive = tar::Archive::new(File::open(bundle).map_err(io_err("opening", bundle))?);
    let changed = || UpdateError::Changed { bundle: bundle.display().to_string(), running };
    let mut entries = archive.entries().map_err(|_| changed())?;
    let entry = entries
        .find(|e| {
            e.as_ref().ok().and_then(|e| e.path().ok().and_then(|p| member_name(&p))).as_deref()
                == Some(ROOTFS)
        })
        .ok_or_else(changed)?
        .map_err(|_| changed())?;

    let file = OpenOptions::new().read(true).write(true).open(disk).map_err(io_err("opening", disk))?;
    let sync = file.try_clone().map_err(io_err("opening", disk))?;
    let mut window = Window::new(file, part);
    let (sum, bytes) =
        hash_stream(entry, |chunk| window.write_all(chunk)).map_err(io_err("writing", disk))?;
    if sum != v.rootfs_sum || bytes != v.rootfs_bytes {
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
    public_key: &Path,
    target: &Target,
    state_dir: &Path,
) -> Result<Installed, UpdateError> {
    let v = verify(bundle, public_key)?;
    let running = target.running;
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
    TrialRecord { slot, version: v.version.clone(), armed_at }.save(state_dir)?;
    slots::arm_trial(target.boot, slot)?;
    Ok(Installed { slot, version: v.version, bytes: v.rootfs_bytes })
}
