//! The SMARTRO TL3500/TL3600 kiosk payment terminal protocol: framing, job payloads, the
//! link-layer session (sans-IO) and the async client.

#[cfg(feature = "io")]
pub mod client;
pub mod frame;
pub mod jobs;
pub mod session;
