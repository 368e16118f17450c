//! The A/B root slots and how the Pi firmware's tryboot switches between them: which slot
//! is committed (`config.txt`), which one is on trial (`tryboot.txt`), committing the
//! running slot, and telling a rollback after the fact. Everything goes through
//! [`BootFiles`], so the same logic runs on a device's mounted boot partition and on an
//! image file.

use std::fmt;
use std::io;
use std::path::{Component, Path, PathBuf};

use crate::disk::{self, DiskError, Fat};

/// The disk signature of every kiosk card: partitions are `PARTUUID=4b494f53-0N`.
pub const DISK_ID: u32 = 0x4b49_4f53;
pub const CONFIG: &str = "config.txt";
pub const TRYBOOT: &str = "tryboot.txt";
/// The trial record's file name inside the update state directory.
pub const TRIAL_RECORD: &str = "trial";

/// Used when the committed slot has no `cmdline.txt` to copy the device's arguments from.
/// As images/boot/cmdline.txt.in makes it for slot a.
const DEFAULT_CMDLINE: &str =
    "root=PARTUUID=4b494f53-02 rootfstype=ext4 ro rootwait quiet kiosk.slot=a net.ifnames=0 fsck.repair=yes";

#[derive(Debug, thiserror::Error)]
pub enum SlotError {
    #[error("boot partition, {name}: {source}")]
    Io { name: String, source: io::Error },
    #[error("{0} is missing from the boot partition: the card was not prepared by our image")]
    Missing(String),
    #[error("{file} names no slot: it needs a line os_prefix=a/ or os_prefix=b/")]
    NoSlot { file: String },
    #[error("{file} says {line:?}: only os_prefix=a/ and os_prefix=b/ are kiosk slots")]
    BadSlot { file: String, line: String },
    #[error("{file} has no root=PARTUUID=4b494f53-02 or -03: the kernel would not find a kiosk root")]
    NoRoot { file: String },
    #[error("update state {path}: {reason}")]
    State { path: String, reason: String },
}

fn boot_io(name: &str) -> impl FnOnce(io::Error) -> SlotError + '_ {
    move |source| SlotError::Io { name: name.to_owned(), source }
}

fn state_io(path: &Path) -> impl FnOnce(io::Error) -> SlotError + '_ {
    move |e| SlotError::State { path: path.display().to_string(), reason: e.to_string() }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Slot {
    A,
    B,
}

impl Slot {
    /// The root partition's index (`/dev/mmcblk0p2`, `PARTUUID=…-02`).
    pub fn partition(self) -> usize {
        match self {
            Slot::A => 2,
            Slot::B => 3,
        }
    }

    /// The boot directory the firmware loads this slot's kernel and `cmdline.txt` from.
    pub fn prefix(self) -> &'static str {
        match self {
            Slot::A => "a/",
            Slot::B => "b/",
        }
    }

    pub fn other(self) -> Slot {
        match self {
            Slot::A => Slot::B,
            Slot::B => Slot::A,
        }
    }

    pub fn from_partition(index: usize) -> Option<Slot> {
        [Slot::A, Slot::B].into_iter().find(|s| s.partition() == index)
    }

    fn from_name(name: &str) -> Option<Slot> {
        match name {
            "a" => Some(Slot::A),
            "b" => Some(Slot::B),
            _ => None,
        }
    }

    /// The slot a kernel command line (`/proc/cmdline`) runs: `kiosk.slot=`, else the
    /// partition `root=PARTUUID=` names.
    pub fn from_cmdline(cmdline: &str) -> Option<Slot> {
        let tagged = cmdline.split_whitespace().find_map(|t| t.strip_prefix("kiosk.slot="));
        match tagged {
            Some(name) => Slot::from_name(name),
            None => root_partition(cmdline).and_then(Slot::from_partition),
        }
    }
}

impl fmt::Display for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.prefix()[..1])
    }
}

/// The partition index of `root=PARTUUID=4b494f53-NN`; `None` for any other root, including
/// a partition of another disk.
pub fn root_partition(cmdline: &str) -> Option<usize> {
    let uuid = cmdline.split_whitespace().find_map(|t| t.strip_prefix("root=PARTUUID="))?;
    let (disk, index) = uuid.split_once('-')?;
    let same_disk = u32::from_str_radix(disk, 16).ok() == Some(DISK_ID);
    same_disk.then(|| usize::from_str_radix(index, 16).ok()).flatten()
}

/// The files of the FAT boot partition, by '/'-separated names relative to its root.
pub trait BootFiles {
    fn read(&self, name: &str) -> io::Result<Option<Vec<u8>>>;
    /// Replaces the file whole (creating its directories), or fails leaving the old one.
    fn write(&self, name: &str, bytes: &[u8]) -> io::Result<()>;
}

/// The mounted boot partition of a running device (`/boot/firmware`).
pub struct DirBoot(pub PathBuf);

impl DirBoot {
    fn path(&self, name: &str) -> io::Result<PathBuf> {
        let plain = Path::new(name).components().all(|c| matches!(c, Component::Normal(_)));
        if !plain || name.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{name:?} is not a boot file name"),
            ));
        }
        Ok(self.0.join(name))
    }
}

impl BootFiles for DirBoot {
    fn read(&self, name: &str) -> io::Result<Option<Vec<u8>>> {
        match std::fs::read(self.path(name)?) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn write(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        let path = self.path(name)?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        replace_file(&path, bytes, 0o666)
    }
}

/// Writes a temporary file beside `path` (with permissions `mode`, before the umask), syncs
/// it, renames it over `path` and syncs the directory: a power cut leaves the old file or the
/// new one, never half of either. First-boot provisioning writes its files this way too.
pub fn replace_file(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut tmp_name = path.file_name().unwrap_or_default().to_owned();
    tmp_name.push(".new");
    let tmp = dir.join(tmp_name);
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(mode).open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path)?;
    std::fs::File::open(dir)?.sync_all()
}

/// The boot partition inside a disk or image file, without mounting: for tests and for
/// preparing cards. Writes are not synced; the caller syncs or drops the file.
pub struct FatBoot(pub Fat);

impl FatBoot {
    /// Partition 1 of `disk`.
    pub fn open(disk: &Path) -> Result<FatBoot, DiskError> {
        disk::open_fat(disk, 1).map(FatBoot)
    }
}

fn disk_to_io(e: DiskError) -> io::Error {
    match e {
        DiskError::Io(e) => e,
        other => io::Error::other(other.to_string()),
    }
}

impl BootFiles for FatBoot {
    fn read(&self, name: &str) -> io::Result<Option<Vec<u8>>> {
        disk::read_fat_file(&self.0, name).map_err(disk_to_io)
    }

    fn write(&self, name: &str, bytes: &[u8]) -> io::Result<()> {
        disk::write_fat_file(&self.0, name, bytes).map_err(disk_to_io)
    }
}

fn read_text(boot: &dyn BootFiles, name: &str) -> Result<Option<String>, SlotError> {
    let bytes = boot.read(name).map_err(boot_io(name))?;
    Ok(bytes.map(|b| String::from_utf8_lossy(&b).into_owned()))
}

/// A config file with its `include` lines replaced by the files they name, as the firmware
/// reads it. Missing includes are skipped, like the firmware does; depth is bounded so an
/// include loop cannot hang us.
fn expanded(boot: &dyn BootFiles, name: &str, depth: u8) -> Result<Option<String>, SlotError> {
    let Some(text) = read_text(boot, name)? else { return Ok(None) };
    let mut out = String::new();
    for line in text.lines() {
        match line.trim().strip_prefix("include ") {
            Some(inner) if depth < 4 => {
                out.push_str(&expanded(boot, inner.trim(), depth + 1)?.unwrap_or_default())
            }
            _ => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    Ok(Some(out))
}

/// The slot a config file boots: its last `os_prefix=` line wins, as in the firmware.
fn slot_of(boot: &dyn BootFiles, file: &str) -> Result<Option<Slot>, SlotError> {
    let Some(text) = expanded(boot, file, 0)? else { return Ok(None) };
    let line = text.lines().map(str::trim).rfind(|l| l.starts_with("os_prefix="));
    let line = line.ok_or_else(|| SlotError::NoSlot { file: file.to_owned() })?;
    let value = &line["os_prefix=".len()..];
    let slot = value.strip_suffix('/').and_then(Slot::from_name);
    slot.map(Some).ok_or_else(|| SlotError::BadSlot { file: file.to_owned(), line: line.to_owned() })
}

/// The slot `config.txt` names: what every normal boot starts.
pub fn committed(boot: &dyn BootFiles) -> Result<Slot, SlotError> {
    slot_of(boot, CONFIG)?.ok_or_else(|| SlotError::Missing(CONFIG.to_owned()))
}

/// The slot the next tryboot would start, when it differs from the committed one.
pub fn armed_trial(boot: &dyn BootFiles) -> Result<Option<Slot>, SlotError> {
    let committed = committed(boot)?;
    Ok(slot_of(boot, TRYBOOT)?.filter(|s| *s != committed))
}

/// `text` with its `os_prefix=` lines pointing at `slot` (one appended if there was none);
/// every other line is kept.
fn with_prefix(text: &str, slot: Slot) -> String {
    let wanted = format!("os_prefix={}", slot.prefix());
    let mut found = false;
    let mut out = String::new();
    for line in text.lines() {
        if line.trim().starts_with("os_prefix=") {
            found = true;
            out.push_str(&wanted);
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    if !found {
        out.push_str(&wanted);
        out.push('\n');
    }
    out
}

fn point(boot: &dyn BootFiles, file: &str, slot: Slot) -> Result<(), SlotError> {
    let config = read_text(boot, CONFIG)?.ok_or_else(|| SlotError::Missing(CONFIG.to_owned()))?;
    boot.write(file, with_prefix(&config, slot).as_bytes()).map_err(boot_io(file))
}

/// Points `tryboot.txt` at `slot`: the next `reboot "0 tryboot"` starts it, once.
pub fn arm_trial(boot: &dyn BootFiles, slot: Slot) -> Result<(), SlotError> {
    point(boot, TRYBOOT, slot)
}

/// Points `tryboot.txt` at the committed slot, so no tryboot starts a slot being rewritten.
pub fn disarm(boot: &dyn BootFiles) -> Result<(), SlotError> {
    point(boot, TRYBOOT, committed(boot)?)
}

/// Makes the running slot the committed one (after it proved healthy) and drops its trial
/// record. Idempotent: nothing is written when it is committed already.
pub fn commit(boot: &dyn BootFiles, running: Slot, state: &Path) -> Result<(), SlotError> {
    if committed(boot)? != running {
        point(boot, CONFIG, running)?;
    }
    // A record of the *other* slot is a rollback not yet reported: `status` must see it.
    if TrialRecord::load(state)?.is_some_and(|r| r.slot == running) {
        TrialRecord::clear(state)?;
    }
    Ok(())
}

/// What an update armed, kept on the data partition so that the boot after a failed trial
/// can say which version failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrialRecord {
    pub slot: Slot,
    pub version: String,
    /// Seconds since the Unix epoch.
    pub armed_at: u64,
    /// The kernel's boot id when it was armed: while it is still the same boot, the trial
    /// has not started yet (the kiosk restarted in between), which is not a rollback.
    pub boot_id: Option<String>,
}

/// This boot's id (`/proc/sys/kernel/random/boot_id`), where the kernel gives one.
pub fn current_boot_id() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok().map(|s| s.trim().to_owned())
}

impl TrialRecord {
    fn path(state: &Path) -> PathBuf {
        state.join(TRIAL_RECORD)
    }

    pub fn load(state: &Path) -> Result<Option<TrialRecord>, SlotError> {
        let path = Self::path(state);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(state_io(&path)(e)),
        };
        let field = |key: &str| text.lines().find_map(|l| l.strip_prefix(key)?.strip_prefix('='));
        let bad =
            |reason: &str| SlotError::State { path: path.display().to_string(), reason: reason.to_owned() };
        Ok(Some(TrialRecord {
            slot: field("slot").and_then(Slot::from_name).ok_or_else(|| bad("no slot=a or slot=b line"))?,
            version: field("version").ok_or_else(|| bad("no version= line"))?.to_owned(),
            armed_at: field("armed_at")
                .and_then(|t| t.parse().ok())
                .ok_or_else(|| bad("no armed_at= line"))?,
            boot_id: field("boot_id").map(str::to_owned),
        }))
    }

    pub fn save(&self, state: &Path) -> Result<(), SlotError> {
        std::fs::create_dir_all(state).map_err(state_io(state))?;
        let mut text = format!("slot={}\nversion={}\narmed_at={}\n", self.slot, self.version, self.armed_at);
        if let Some(id) = &self.boot_id {
            text.push_str(&format!("boot_id={id}\n"));
        }
        let path = Self::path(state);
        replace_file(&path, text.as_bytes(), 0o666).map_err(state_io(&path))
    }

    pub fn clear(state: &Path) -> Result<(), SlotError> {
        let path = Self::path(state);
        match std::fs::remove_file(&path) {
            Ok(()) => std::fs::File::open(state).and_then(|d| d.sync_all()).map_err(state_io(state)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(state_io(&path)(e)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// The running slot is the committed one; no update is pending.
    Committed { slot: Slot },
    /// The running slot was started by tryboot and is not committed yet: the next normal
    /// boot returns to the other slot unless the kiosk commits this one.
    OnTrial { slot: Slot, version: Option<String> },
    /// An update is installed into `slot` and armed in this very boot: the kiosk restarted
    /// before the reboot that starts the trial.
    Armed { slot: Slot, version: String },
    /// The last update's trial did not commit and the firmware went back to `running`.
    RolledBack { from: Slot, version: String, armed_at: u64 },
}

/// What this boot is. A rollback is reported once: its record is cleared and `tryboot.txt`
/// disarmed, so the next call says `Committed`. `boot_id` is this boot's
/// ([`current_boot_id`]): a record armed in the same boot is an update still to start.
pub fn status(
    boot: &dyn BootFiles,
    running: Slot,
    state: &Path,
    boot_id: Option<&str>,
) -> Result<Status, SlotError> {
    let committed = committed(boot)?;
    let record = TrialRecord::load(state)?;
    if running != committed {
        let version = record.filter(|r| r.slot == running).map(|r| r.version);
        return Ok(Status::OnTrial { slot: running, version });
    }
    let Some(record) = record else { return Ok(Status::Committed { slot: running }) };
    if record.slot != running
        && boot_id.is_some()
        && record.boot_id.as_deref() == boot_id
        && armed_trial(boot)? == Some(record.slot)
    {
        return Ok(Status::Armed { slot: record.slot, version: record.version });
    }
    TrialRecord::clear(state)?;
    if record.slot == running {
        // A commit that stopped between config.txt and clearing the record.
        return Ok(Status::Committed { slot: running });
    }
    disarm(boot)?;
    Ok(Status::RolledBack { from: record.slot, version: record.version, armed_at: record.armed_at })
}

/// A model of what the Pi firmware does at boot, for tests that "boot" an image file: with
/// the tryboot flag it reads `tryboot.txt` (else, or when that is absent, `config.txt`),
/// follows its `include`s and last `os_prefix=`, reads that slot's `cmdline.txt` and
/// resolves `root=PARTUUID=` to a partition. Not modelled: `[section]` filters,
/// `autoboot.txt`, and whether the kernel, initramfs and device trees load. Returns the
/// slot whose boot files load and the root partition the kernel mounts.
pub fn firmware_boot(boot: &dyn BootFiles, tryboot_flag: bool) -> Result<(Slot, usize), SlotError> {
    let tried = if tryboot_flag { slot_of(boot, TRYBOOT)? } else { None };
    let slot = match tried {
        Some(slot) => slot,
        None => committed(boot)?,
    };
    let file = format!("{}cmdline.txt", slot.prefix());
    let cmdline = read_text(boot, &file)?.ok_or_else(|| SlotError::Missing(file.clone()))?;
    let root = root_partition(&cmdline).ok_or(SlotError::NoRoot { file })?;
    Ok((slot, root))
}

/// The kernel command line for `slot`: the committed slot's line (keeping the device's own
/// arguments) with `root=` and `kiosk.slot=` pointing at `slot`.
pub fn cmdline_for(template: Option<&str>, slot: Slot) -> String {
    let root = format!("root=PARTUUID={DISK_ID:08x}-{:02x}", slot.partition());
    let tag = format!("kiosk.slot={slot}");
    let template = template.map(str::trim).filter(|t| !t.is_empty()).unwrap_or(DEFAULT_CMDLINE);
    let mut words: Vec<String> = template
        .split_whitespace()
        .map(|w| match w {
            _ if w.starts_with("root=") => root.clone(),
            _ if w.starts_with("kiosk.slot=") => tag.clone(),
            _ => w.to_owned(),
        })
        .collect();
    for needed in [root, tag] {
        if !words.contains(&needed) {
            words.push(needed);
        }
    }
    words.join(" ") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_is_read_from_the_kernel_command_line() {
        let a = "console=tty1 root=PARTUUID=4b494f53-02 rootfstype=ext4 ro rootwait quiet kiosk.slot=a";
        assert_eq!(Slot::from_cmdline(a), Some(Slot::A));
        assert_eq!(Slot::from_cmdline("ro root=PARTUUID=4b494f53-03 quiet"), Some(Slot::B));
        assert_eq!(Slot::from_cmdline("ro root=PARTUUID=deadbeef-03 quiet"), None, "another disk");
        assert_eq!(Slot::from_cmdline("root=/dev/sda2"), None);
        assert_eq!(root_partition(a), Some(2));
    }

    #[test]
    fn the_command_line_of_the_other_slot_keeps_the_devices_arguments() {
        let a = "console=serial0,115200 root=PARTUUID=4b494f53-02 ro rootwait kiosk.slot=a video=HDMI-A-1:1024x600";
        assert_eq!(
            cmdline_for(Some(a), Slot::B),
            "console=serial0,115200 root=PARTUUID=4b494f53-03 ro rootwait kiosk.slot=b video=HDMI-A-1:1024x600\n"
        );
        assert!(cmdline_for(None, Slot::B).contains("root=PARTUUID=4b494f53-03 rootfstype=ext4"));
        assert_eq!(cmdline_for(Some("quiet"), Slot::A), "quiet root=PARTUUID=4b494f53-02 kiosk.slot=a\n");
    }

    #[test]
    fn only_the_os_prefix_line_changes_and_the_last_one_wins() {
        let config = "include common.txt\n# os_prefix=b/ in a comment\nos_prefix=a/\ndisable_splash=1\n";
        assert_eq!(
            with_prefix(config, Slot::B),
            "include common.txt\n# os_prefix=b/ in a comment\nos_prefix=b/\ndisable_splash=1\n"
        );
        assert_eq!(with_prefix("include common.txt", Slot::A), "include common.txt\nos_prefix=a/\n");
    }

    fn device_boot() -> (tempfile::TempDir, DirBoot) {
        let t = tempfile::tempdir().unwrap();
        let boot = DirBoot(t.path().join("boot"));
        boot.write("common.txt", b"arm_64bit=1\nos_prefix=b/\n").unwrap();
        boot.write(CONFIG, b"include common.txt\nos_prefix=a/\n").unwrap();
        for slot in [Slot::A, Slot::B] {
            let name = format!("{}cmdline.txt", slot.prefix());
            boot.write(&name, cmdline_for(None, slot).as_bytes()).unwrap();
        }
        (t, boot)
    }

    #[test]
    fn on_a_mounted_boot_partition_a_trial_is_armed_committed_and_a_rollback_reported_once() {
        let (t, boot) = device_boot();
        let state = t.path().join("update-state");
        assert_eq!(firmware_boot(&boot, true).unwrap(), (Slot::A, 2), "no tryboot.txt: config.txt");
        assert_eq!(armed_trial(&boot).unwrap(), None);

        arm_trial(&boot, Slot::B).unwrap();
        let boot_id = Some("boot-of-the-arming".to_owned());
        let record = TrialRecord { slot: Slot::B, version: "7".into(), armed_at: 1_700_000_000, boot_id };
        record.save(&state).unwrap();
        assert_eq!(TrialRecord::load(&state).unwrap(), Some(record));
        assert_eq!(
            std::fs::read_to_string(t.path().join("boot/tryboot.txt")).unwrap(),
            "include common.txt\nos_prefix=b/\n"
        );
        assert_eq!(armed_trial(&boot).unwrap(), Some(Slot::B));
        assert_eq!(firmware_boot(&boot, true).unwrap(), (Slot::B, 3));
        assert_eq!(
            status(&boot, Slot::B, &state, Some("the-trial-boot")).unwrap(),
            Status::OnTrial { slot: Slot::B, version: Some("7".into()) }
        );

        // The trial never committed: the next normal boot is a again.
        assert_eq!(firmware_boot(&boot, false).unwrap(), (Slot::A, 2));
        commit(&boot, Slot::A, &state).unwrap();
        assert!(TrialRecord::load(&state).unwrap().is_some(), "a commit of a keeps b's failure for status");
        let rolled = Status::RolledBack { from: Slot::B, version: "7".into(), armed_at: 1_700_000_000 };
        assert_eq!(status(&boot, Slot::A, &state, Some("a-boot-after")).unwrap(), rolled);
        assert_eq!(
            status(&boot, Slot::A, &state, Some("a-boot-after")).unwrap(),
            Status::Committed { slot: Slot::A }
        );
        assert_eq!(armed_trial(&boot).unwrap(), None, "disarmed after the rollback");

        arm_trial(&boot, Slot::B).unwrap();
        commit(&boot, Slot::B, &state).unwrap();
        assert_eq!(committed(&boot).unwrap(), Slot::B);
        assert_eq!(firmware_boot(&boot, false).unwrap(), (Slot::B, 3));
        let leftovers: Vec<_> =
            std::fs::read_dir(t.path().join("boot")).unwrap().flatten().map(|e| e.file_name()).collect();
        assert!(leftovers.iter().all(|n| !n.to_string_lossy().ends_with(".new")), "{leftovers:?}");
    }

    #[test]
    fn a_config_without_a_kiosk_slot_is_an_error_that_says_so() {
        let (_t, boot) = device_boot();
        boot.write(CONFIG, b"os_prefix=c/\n").unwrap();
        let err = committed(&boot).unwrap_err().to_string();
        assert!(err.contains("only os_prefix=a/ and os_prefix=b/"), "{err}");
        assert!(DirBoot(PathBuf::from("/x")).write("../etc/passwd", b"").is_err());
    }
}
