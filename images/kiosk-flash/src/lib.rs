//! `kiosk-flash`, the installer's tool: lists the disks it may write, writes a signed
//! device image through its block map (only mapped blocks, each checked; the partition
//! table last; read back from the device to verify), and verifies a written disk.

pub mod bmap;
pub mod disk;
pub mod disks;
pub mod provision;
pub mod sign;
pub mod slots;
pub mod source;
pub mod update;
pub mod write;
