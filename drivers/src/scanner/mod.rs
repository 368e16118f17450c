//! QR and barcode scanners: serial/USB-CDC framing, HID keyboard-mode decoding, and what a
//! scan means to the kiosk.

#[cfg(feature = "hid")]
pub mod evdev_reader;
pub mod framing;
pub mod hid;
#[cfg(feature = "io")]
pub mod reader;

pub use framing::{FramingOptions, Scan, ScanEvent, Suffix, Symbology};
