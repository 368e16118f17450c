//! Tools for people building and testing the firmware, never on a device: the demo (a kiosk
//! and a table tablet over simulated devices and an in-process store server), `automate`
//! (the device's real screen off-screen, driven by label over standard input, for the
//! end-to-end and chaos tests and the browser comparison), the device simulators on the
//! command line, and the demo menu's drawn pictures.

pub mod automate;
pub mod demo;
pub mod pictures;
pub mod sim;
