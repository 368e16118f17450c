//! Device drivers for the kiosk: the ESC/POS receipt printer, the VAN card terminal, the
//! QR/barcode scanner and GPIO peripherals, each with a protocol-exact simulator, and speech
//! output (espeak-ng) for the barrier-free mode.
//!
//! Every protocol is sans-IO (bytes in, events out, no clock of its own) and every driver is
//! generic over its transport. This crate depends on nothing of the application.

pub mod gpio;
pub mod keypad;
pub mod payment;
pub mod printer;
pub mod scanner;
#[cfg(feature = "sim")]
pub mod sim;
pub mod speech;
pub mod transport;
