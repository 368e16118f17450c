//! `kiosk-flash`, the installer's tool: lists the disks it may write, writes a signed
//! device image through its block map (only mapped blocks, each checked; the partition
//! table last; read back from the device to verify), puts the device's provisioning file
//! on the card, and verifies a written disk. The image formats are `kiosk-image`.

pub mod disks;
pub mod provisioning;
pub mod write;

pub use kiosk_image::{bmap, bundle, disk, sign, slots, source};
