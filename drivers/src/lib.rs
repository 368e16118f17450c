//! Device drivers for the kiosk: the ESC/POS receipt printer, the VAN card terminal, the
//! QR/barcode scanner, the tactile keypad and GPIO peripherals, and speech output
//! (espeak-ng) for the barrier-free mode. Their simulators are the `kiosk-sim` crate.
//!
//! Every protocol is sans-IO (bytes in, events out, no clock of its own) and every driver is
//! generic over its transport. The tokio side (ports, drivers, services) is the `io`
//! feature: without it the crate is plain data and protocol logic. This crate depends on
//! nothing of the application.

pub mod gpio;
pub mod keypad;
pub mod payment;
pub mod printer;
pub mod scanner;
pub mod speech;
pub mod transport;
