//! First-boot provisioning (`kiosk provision`): the installer left `kiosk-provision.toml` on
//! the boot partition (`kiosk-flash write --provision`); this checks it with the same
//! checker as `kiosk check-config`, fills in the table number from the table's QR code when
//! the file says `number = "scan"`, and applies it to the data partition: the device
//! configuration, the Wi-Fi settings and the time zone.
//!
//! Safe to run again after a power cut: every output is written whole (temporary file,
//! fsync, rename) and the provisioning file is set aside only after all of them, so a
//! half-done run is simply redone. The outcome, good or bad, is written beside the file on
//! the boot partition, where an installer can read it on any computer.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use kiosk_drivers::scanner::ScanEvent;
use kiosk_session::scan::table_of;

use crate::config::{Config, ConfigError, Role, Wifi};

/// Where the installer's `kiosk-flash write --provision` puts it.
pub const PROVISION_FILE: &str = kiosk_image::PROVISION_FILE;
/// The provisioning file after it was applied (kept for the record; no longer read).
pub const APPLIED_FILE: &str = "kiosk-provision.applied.toml";
pub const RESULT_FILE: &str = "kiosk-provision.result";
/// The device configuration `kiosk run` reads, in the data directory.
pub const DEVICE_CONFIG: &str = "kiosk.toml";

#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    #[error("{} has {} problem(s):\n{}", .path.display(), .errors.len(), crate::config::render(.path, .errors))]
    Invalid { path: PathBuf, errors: Vec<ConfigError> },
    #[error(
        "no {PROVISION_FILE} in {0} and the device has no configuration yet: write one with `kiosk-flash write --provision FILE`"
    )]
    Missing(PathBuf),
    #[error("table.number = \"scan\" needs a scanner ([devices.scanner]) to read the table's QR code")]
    NoScanner,
    #[error("no table QR code was scanned within {0:?}")]
    ScanTimeout(Duration),
    #[error("{what} {path}: {source}")]
    Io { what: &'static str, path: PathBuf, source: std::io::Error },
}

fn io(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> ProvisionError + use<> {
    let path = path.to_owned();
    move |source| ProvisionError::Io { what, path, source }
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Applied(Applied),
    /// Nothing to do: no provisioning file, and the device is already configured.
    AlreadyProvisioned,
}

/// A provisioning file applied now: the role, with the table number when it is a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub role: Role,
    pub table: Option<String>,
    pub wifi: bool,
}

impl std::fmt::Display for Applied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let role = match self.role {
            Role::Kiosk => "a kiosk",
            Role::Table => "a table tablet",
        };
        write!(f, "provisioned as {role}")?;
        if let Some(t) = &self.table {
            write!(f, " at table {t}")?;
        }
        if self.wifi {
            f.write_str(", Wi-Fi set")?;
        }
        Ok(())
    }
}

/// Where provisioning reads and writes.
pub struct Paths {
    /// The mounted boot partition (`/boot/firmware`).
    pub boot: PathBuf,
    /// The data partition (`/var/lib/kiosk`).
    pub data: PathBuf,
    /// How long to wait for the table's QR code.
    pub scan_timeout: Duration,
}

/// Applies the provisioning file, if there is one. On an invalid file the problems are also
/// written to the result file on the boot partition, and nothing else changes.
pub async fn apply(paths: &Paths) -> Result<Outcome, ProvisionError> {
    let source = paths.boot.join(PROVISION_FILE);
    let outcome = match std::fs::read_to_string(&source) {
        Ok(text) => apply_file(paths, &source, &text).await,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return if paths.data.join(DEVICE_CONFIG).exists() {
                Ok(Outcome::AlreadyProvisioned)
            } else {
                Err(ProvisionError::Missing(paths.boot.clone()))
            };
        }
        Err(e) => Err(io("reading", &source)(e)),
    };
    let report = match &outcome {
        Ok(applied) => format!("ok: {applied}\n"),
        Err(e) => format!("error: {e}\n"),
    };
    write_whole(&paths.boot.join(RESULT_FILE), report.as_bytes(), 0o644)?;
    let applied = outcome?;
    let set_aside = paths.boot.join(APPLIED_FILE);
    std::fs::rename(&source, &set_aside).map_err(io("setting aside", &source))?;
    Ok(Outcome::Applied(applied))
}

async fn apply_file(paths: &Paths, source: &Path, text: &str) -> Result<Applied, ProvisionError> {
    let config =
        Config::parse(text).map_err(|errors| ProvisionError::Invalid { path: source.to_owned(), errors })?;
    let mut text = text.to_owned();
    let mut table = config.table_number.clone();
    if config.table_number_by_scan {
        let number = match already_scanned(&paths.data) {
            Some(number) => number,
            None => scan_table_number(&config, paths.scan_timeout).await?,
        };
        text = with_table_number(&text, &number);
        table = Some(number);
    }
    std::fs::create_dir_all(&paths.data).map_err(io("creating", &paths.data))?;
    let system = paths.data.join("system");
    std::fs::create_dir_all(&system).map_err(io("creating", &system))?;
    if let Some(wifi) = &config.network.wifi {
        write_whole(&system.join("wpa_supplicant-wlan0.conf"), wpa_supplicant_conf(wifi).as_bytes(), 0o600)?;
    }
    let localtime = system.join("localtime");
    let zone = Path::new("/usr/share/zoneinfo").join(&config.time_zone);
    let _ = std::fs::remove_file(&localtime);
    std::os::unix::fs::symlink(&zone, &localtime).map_err(io("linking", &localtime))?;
    // The device configuration last: `kiosk run` starts only once it exists.
    write_whole(&paths.data.join(DEVICE_CONFIG), text.as_bytes(), 0o600)?;
    Ok(Applied { role: config.role, table, wifi: config.network.wifi.is_some() })
}

/// A table number scanned in an earlier, interrupted run (the device configuration was
/// written, the provisioning file not yet set aside): the installer need not scan again.
fn already_scanned(data: &Path) -> Option<String> {
    Config::load(&data.join(DEVICE_CONFIG)).ok().and_then(|c| c.table_number)
}

/// The provisioning text with `[table] number` set, comments and layout kept.
fn with_table_number(text: &str, number: &str) -> String {
    let mut doc: toml_edit::DocumentMut = text.parse().expect("checked by Config::parse");
    if let Some(value) = doc["table"]["number"].as_value_mut() {
        let decor = value.decor().clone();
        *value = number.into();
        *value.decor_mut() = decor;
    }
    doc.to_string()
}

/// Waits for a scan of the table's QR code and returns its table number; other codes are
/// logged and ignored.
async fn scan_table_number(config: &Config, timeout: Duration) -> Result<String, ProvisionError> {
    let scanner = config.devices.scanner.as_ref().ok_or(ProvisionError::NoScanner)?;
    let (health, _) = tokio::sync::watch::channel(Default::default());
    let mut scans = crate::supervisor::start_scanner(scanner, Arc::new(health));
    tracing::info!("scan the QR code on this table to set its number");
    let wait = async {
        while let Some(event) = scans.recv().await {
            match event {
                // The same table codes the table tablet itself recognises.
                ScanEvent::Scan(scan) => match table_of(&scan.data) {
                    Some(table) => return Some(table.0),
                    None => {
                        tracing::warn!("{:?} is not a table QR code; scan the one on the table", scan.data)
                    }
                },
                ScanEvent::Rejected(why) => tracing::warn!("scan rejected: {why}"),
            }
        }
        None
    };
    match tokio::time::timeout(timeout, wait).await {
        Ok(Some(number)) => {
            tracing::info!("table number {number} scanned");
            Ok(number)
        }
        _ => Err(ProvisionError::ScanTimeout(timeout)),
    }
}

/// wpa_supplicant's configuration, with the network name in hex and the key derived from
/// the passphrase: no quoting to get wrong, and no plaintext password on the device.
fn wpa_supplicant_conf(wifi: &Wifi) -> String {
    let psk =
        if wifi.psk.len() == 64 { wifi.psk.to_ascii_lowercase() } else { wpa_psk(&wifi.psk, &wifi.ssid) };
    format!(
        "# written by `kiosk provision`\nctrl_interface=DIR=/run/wpa_supplicant\ncountry={}\n\nnetwork={{\n\tssid={}\n\tpsk={psk}\n\tkey_mgmt=WPA-PSK\n}}\n",
        wifi.country,
        kiosk_link::tls::hex(wifi.ssid.as_bytes()),
    )
}

/// The WPA2 pre-shared key: PBKDF2-HMAC-SHA1(passphrase, SSID, 4096 rounds, 32 bytes).
pub fn wpa_psk(passphrase: &str, ssid: &str) -> String {
    let mut key = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha1::Sha1>(passphrase.as_bytes(), ssid.as_bytes(), 4096, &mut key);
    kiosk_link::tls::hex(&key)
}

/// Writes a file whole or not at all (the updater's way: temporary file, fsync, rename).
fn write_whole(path: &Path, bytes: &[u8], mode: u32) -> Result<(), ProvisionError> {
    kiosk_image::slots::replace_file(path, bytes, mode).map_err(io("writing", path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TABLE_NUMBER_BY_SCAN;

    #[test]
    fn the_wpa_key_is_the_802_11i_one() {
        // IEEE 802.11i-2004, annex H.4.1, test vector 1
        assert_eq!(
            wpa_psk("password", "IEEE"),
            "f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e"
        );
    }

    #[test]
    fn the_scanned_number_is_written_into_the_file_keeping_its_comments() {
        let text = "role = \"table\" # a tablet\n[table]\nnumber = \"scan\" # by QR\n";
        let out = with_table_number(text, "12");
        assert!(out.contains("number = \"12\" # by QR"), "{out}");
        assert!(out.contains("# a tablet"), "{out}");
        assert!(!out.contains(TABLE_NUMBER_BY_SCAN), "{out}");
    }
}
