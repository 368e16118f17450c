//! The device side of updates: `kiosk update BUNDLE` installs a signed bundle into the
//! inactive slot and reboots into it on trial; the running service commits the trial once
//! it has served for [`HEALTHY_AFTER`] (a crash, hang or watchdog reset before then boots the
//! old slot again), and reports a rolled-back update at start. The slot logic itself lives
//! in `kiosk_image::{slots, bundle}`, tested on image files.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use kiosk_image::bundle::{Installed, Target, install};
use kiosk_image::slots::{self, BootFiles, DirBoot, FatBoot, Slot, Status};

/// How long the kiosk must run on a trial slot before it is committed: long enough for the
/// screen, the devices and the POS link to have started and for systemd's watchdog to have
/// seen the loop turn.
pub const HEALTHY_AFTER: Duration = Duration::from_secs(90);

/// The version this system runs: the image's (`IMAGE_VERSION` in /etc/os-release), else
/// the program's own (a developer's machine).
pub fn running_version() -> String {
    std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|t| {
            t.lines().find_map(|l| l.strip_prefix("IMAGE_VERSION=").map(|v| v.trim_matches('"').to_owned()))
        })
        .unwrap_or_else(|| env!("CARGO_PKG_VERSION").to_owned())
}

/// Points `tryboot.txt` back at the committed slot of `options`' disk (an image file's,
/// or the device's boot directory): an installed update that is no longer wanted.
pub fn disarm(options: &UpdateOptions) -> Result<()> {
    match options.disk.as_deref().filter(|d| d.is_file()) {
        Some(image) => slots::disarm(&FatBoot::open(image)?)?,
        None => slots::disarm(&DirBoot(options.boot.clone()))?,
    }
    Ok(())
}

/// Where a device keeps the trial record (the data partition).
pub const STATE_DIR: &str = "/var/lib/kiosk/update";
pub const BOOT_DIR: &str = "/boot/firmware";
/// The release certificate update bundles must be signed with (RAUC's keyring).
pub const KEYRING: &str = "/etc/kiosk/release-bundle.pem";

#[derive(Debug, Clone)]
pub struct UpdateOptions {
    pub bundle: PathBuf,
    /// The release certificate (PEM) RAUC checks the bundle's signature against.
    pub keyring: PathBuf,
    /// The whole disk, or an image file (then its boot partition is opened inside it, and its
    /// committed slot counts as the running one). Default: the disk we booted from.
    pub disk: Option<PathBuf>,
    pub boot: PathBuf,
    pub state: PathBuf,
    pub reboot: bool,
}

/// Installs the bundle into the inactive slot and, on a device, reboots into it on trial.
pub fn update(options: &UpdateOptions) -> Result<Installed> {
    let image_file = options.disk.as_deref().filter(|d| d.is_file());
    let installed = if let Some(image) = image_file {
        let boot =
            FatBoot::open(image).with_context(|| format!("the boot partition of {}", image.display()))?;
        let running = slots::committed(&boot)?;
        install(
            &options.bundle,
            &options.keyring,
            &Target { disk: image, boot: &boot, running, boot_id: None },
            &options.state,
        )?
    } else {
        let running = running_slot()?;
        let disk = match &options.disk {
            Some(disk) => disk.clone(),
            None => boot_disk().context("finding the disk this device booted from")?,
        };
        let boot = DirBoot(options.boot.clone());
        let boot_id = slots::current_boot_id();
        install(
            &options.bundle,
            &options.keyring,
            &Target { disk: &disk, boot: &boot, running, boot_id: boot_id.as_deref() },
            &options.state,
        )?
    };
    if options.reboot && image_file.is_none() {
        reboot_into_trial().context("installed, but not restarted")?;
    }
    Ok(installed)
}

/// Reboots with the firmware's one-shot tryboot flag: the next boot only, then config.txt again.
pub fn reboot_into_trial() -> Result<()> {
    let status = std::process::Command::new("systemctl").args(["reboot", "0 tryboot"]).status()?;
    if !status.success() {
        bail!("`systemctl reboot \"0 tryboot\"` failed ({status}); reboot with it by hand");
    }
    Ok(())
}

/// The slot this system runs from (`a`, `b`), when it was booted from a kiosk image.
pub fn running_slot_name() -> Option<String> {
    running_slot().ok().map(|slot| slot.to_string())
}

/// The slot this system runs from, from the kernel command line our images boot with.
fn running_slot() -> Result<Slot> {
    let cmdline = std::fs::read_to_string("/proc/cmdline")?;
    Slot::from_cmdline(&cmdline).with_context(|| {
        format!(
            "this system was not booted from a kiosk image (no kiosk.slot= in /proc/cmdline: {})",
            cmdline.trim()
        )
    })
}

/// The whole disk holding our boot partition: /dev/disk/by-partuuid names it, and sysfs
/// knows the partition's parent.
fn boot_disk() -> Result<PathBuf> {
    let part = std::fs::canonicalize(format!("/dev/disk/by-partuuid/{:08x}-01", slots::DISK_ID))?;
    let name = part.file_name().and_then(|n| n.to_str()).context("partition device name")?;
    let sys = std::fs::canonicalize(Path::new("/sys/class/block").join(name))?;
    let disk = sys.parent().and_then(|p| p.file_name()).context("the partition's disk in sysfs")?;
    Ok(Path::new("/dev").join(disk))
}

/// Commits a trial slot once the service has been healthy for [`HEALTHY_AFTER`].
pub struct TrialCommit {
    boot: DirBoot,
    state: PathBuf,
    running: Slot,
    since: Instant,
}

impl TrialCommit {
    /// At start: reports a rolled-back update, and returns a committer when this boot is a
    /// trial, with what the slots said (read once: a rollback is reported once). Does
    /// nothing off our images (a developer's machine, the demo, tests).
    pub fn at_start() -> (Option<TrialCommit>, Option<Status>) {
        let Ok(running) = running_slot() else { return (None, None) };
        let (boot, state) = (DirBoot(PathBuf::from(BOOT_DIR)), PathBuf::from(STATE_DIR));
        let status = slots::status(&boot, running, &state, slots::current_boot_id().as_deref());
        let trial = match &status {
            Ok(Status::Committed { slot }) => {
                tracing::info!("running slot {slot} (committed)");
                None
            }
            Ok(Status::Armed { slot, version }) => {
                tracing::info!(
                    "running slot {running}; {version} is installed into slot {slot} and starts at the next reboot"
                );
                None
            }
            Ok(Status::RolledBack { from, version, .. }) => {
                tracing::error!(
                    "the update to {version} did not start healthily on slot {from}; running slot {running} again"
                );
                None
            }
            Ok(Status::OnTrial { slot, version }) => {
                tracing::warn!(
                    "running slot {slot} on trial ({}); committing after {} s of healthy service",
                    version.as_deref().unwrap_or("unknown version"),
                    HEALTHY_AFTER.as_secs()
                );
                Some(TrialCommit { boot, state, running, since: Instant::now() })
            }
            Err(e) => {
                tracing::error!("update slots: {e}");
                None
            }
        };
        (trial, status.ok())
    }

    /// Called from the loop that serves customers; true once committed (stop calling).
    pub fn healthy_tick(&self) -> bool {
        if self.since.elapsed() < HEALTHY_AFTER {
            return false;
        }
        match slots::commit(&self.boot as &dyn BootFiles, self.running, &self.state) {
            Ok(()) => {
                tracing::info!("slot {} committed: it boots from now on", self.running);
                true
            }
            Err(e) => {
                tracing::error!("committing slot {}: {e}", self.running);
                false
            }
        }
    }
}
