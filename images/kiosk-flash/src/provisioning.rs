//! The per-device settings written with a card (`write --provision FILE`): a device
//! configuration (role, table number, store, POS address and token, language, time zone),
//! checked by the same checker as `kiosk check-config` before a single block is written, and
//! placed on the FAT boot partition as `kiosk-provision.toml`, where the device's first-boot
//! unit reads it. Written through the FAT code of [`kiosk_image::disk`] on the card itself (no
//! mount, so no privileges and no automounter), then read back from the card.

use std::path::{Path, PathBuf};

use kiosk_config::{Config, ConfigError};

use crate::write::{Target, WriteError};
use kiosk_image::bmap::{Bmap, Range};
use kiosk_image::disk::{self, DiskError, PartitionTable};

/// Where the device looks for it, in the root of the boot partition (`/boot/firmware`).
pub const FILE_NAME: &str = kiosk_image::PROVISION_FILE;
/// The FAT boot partition (images/README.md, "Disk layout").
pub const BOOT_PARTITION: usize = 1;

#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    // Causes in the message, not chained (the CLI would print them twice).
    #[error("cannot read the provisioning file {path}: {cause}")]
    Read { path: String, cause: std::io::Error },
    #[error("the provisioning file {path} has {} problem(s); nothing was written:\n{}", .errors.len(), render(.path, .errors))]
    Invalid { path: String, errors: Vec<ConfigError> },
    #[error("writing {FILE_NAME} to the boot partition of {device}: {cause} (try another card or reader)")]
    Disk { device: String, cause: DiskError },
    #[error(transparent)]
    Sync(#[from] WriteError),
    #[error(
        "{FILE_NAME} read back from {device} differs from what was written: the card or reader is faulty (try another card or reader)"
    )]
    ReadBack { device: String },
}

/// `FILE:LINE: key: message`, one problem a line, as an editor's "go to error" reads them.
fn render(path: &str, errors: &[ConfigError]) -> String {
    kiosk_config::render(Path::new(path), errors)
}

/// A provisioning file that passed the checker: the bytes go to the card unchanged.
#[derive(Debug, Clone)]
pub struct Provision {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
    pub config: Config,
}

impl Provision {
    /// What the installer is told it provisioned, to catch the wrong file for this device.
    pub fn summary(&self) -> String {
        let c = &self.config;
        let role = match c.role {
            kiosk_config::Role::Kiosk => "kiosk".to_owned(),
            kiosk_config::Role::Table => {
                format!("table {}", c.table_number.as_deref().unwrap_or("?"))
            }
        };
        format!("{role} of store {} ({})", c.store.id, c.store.name)
    }
}

/// Reads and checks a provisioning file; every problem is reported at once.
pub fn check(path: &Path) -> Result<Provision, ProvisionError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|cause| ProvisionError::Read { path: shown.clone(), cause })?;
    let text = std::str::from_utf8(&bytes).map_err(|e| ProvisionError::Invalid {
        path: shown.clone(),
        errors: vec![ConfigError {
            key: String::new(),
            line: bytes[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() + 1,
            message: "not UTF-8 text (save the file as UTF-8)".to_owned(),
        }],
    })?;
    let config = Config::parse(text).map_err(|errors| ProvisionError::Invalid { path: shown, errors })?;
    Ok(Provision { path: path.to_owned(), bytes, config })
}

/// Writes the file to the boot partition of the written card, flushes it to the card and
/// reads it back from there. `target` is the card still held open (exclusively, for a block
/// device) since the image was written; the FAT is reached through a second, ordinary
/// handle, which an exclusive claim allows.
pub fn install(target: &Target, p: &Provision) -> Result<(), ProvisionError> {
    let device = target.path();
    let disk_error = |cause| ProvisionError::Disk { device: device.display().to_string(), cause };
    let fat = disk::open_fat(device, BOOT_PARTITION).map_err(disk_error)?;
    disk::write_fat_file(&fat, FILE_NAME, &p.bytes).map_err(disk_error)?;
    // Writes the FAT's free-cluster count back and flushes; dropping would swallow an error.
    fat.unmount().map_err(|e| disk_error(e.into()))?;
    target.sync()?;
    let fat = disk::open_fat(device, BOOT_PARTITION).map_err(disk_error)?;
    match disk::read_fat_file(&fat, FILE_NAME).map_err(disk_error)? {
        Some(back) if back == p.bytes => Ok(()),
        _ => Err(ProvisionError::ReadBack { device: device.display().to_string() }),
    }
}

/// Whether the ranges that read back different from the image are all explained by
/// provisioning: they lie inside the boot partition, and that partition is still a FAT file
/// system holding the provisioning file. Anything else differing means a bad write.
pub fn explains(device: &Path, bmap: &Bmap, differing: &[Range]) -> bool {
    let Ok(mut file) = std::fs::File::open(device) else { return false };
    let Ok(boot) = PartitionTable::read(&mut file).and_then(|t| t.get(BOOT_PARTITION)) else { return false };
    let inside = differing.iter().all(|r| {
        let (start, len) = bmap.span(r);
        start >= boot.start && start + len <= boot.start + boot.len
    });
    inside
        && disk::open_fat(device, BOOT_PARTITION)
            .and_then(|fat| disk::read_fat_file(&fat, FILE_NAME))
            .is_ok_and(|f| f.is_some())
}
