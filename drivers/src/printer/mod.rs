//! The ESC/POS receipt printer: receipt model, encoder, status decoder, driver.

pub mod commands;
#[cfg(feature = "io")]
pub mod driver;
pub mod encoder;
pub mod font;
pub mod job;
pub mod parser;
pub mod raster;
pub mod receipt;
pub mod status;
