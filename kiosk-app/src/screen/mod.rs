//! The touch screen: the Slint window bound to the customer session (`shell.rs`,
//! `bind.rs`), menu photos (`photos.rs`), the demo's drawn pictures (`pictures.rs`) and
//! `kiosk demo` (`demo.rs`).

pub mod automate;
pub mod bind;
pub mod demo;
pub mod device;
pub mod guide;
pub mod photos;
pub mod pictures;
pub mod shell;
