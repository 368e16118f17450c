//! The device image, as the installer and the device both handle it: bmaptool block maps
//! (`bmap`), MBR partitions and the FAT boot partition inside an image or card (`disk`), the
//! signed SHA256SUMS manifest (`sign`), raw or `.xz` images streamed (`source`), the A/B root
//! slots over the Pi firmware's tryboot (`slots`) and signed update bundles (`bundle`).
//! The installer's CLI (`kiosk-flash`) and the firmware (`kiosk update`, first boot) share it;
//! it knows nothing of either.

pub mod bmap;
pub mod bundle;
pub mod disk;
pub mod sign;
pub mod slots;
pub mod source;

/// The installer's provisioning file, on the card's boot partition: written by `kiosk-flash
/// write --provision`, applied by the device's first boot.
pub const PROVISION_FILE: &str = "kiosk-provision.toml";
