//! The kiosk firmware as a library: configuration, the durable store, menu import and the
//! services the `kiosk` command runs. The binary in `main.rs` is a thin shell over this.

/// The configuration file lives in its own crate so the installer can check it too.
pub use kiosk_config as config;
pub mod allocator;
pub mod device;
pub mod doctor;
pub mod effects;
pub mod fleet;
pub mod gpio_setup;
pub mod payment_desk;
pub mod pos;
pub mod printing;
pub mod profile;
pub mod provision;
pub mod screen;
pub mod service;
pub mod startup;
pub mod store_thread;
pub mod supervisor;
pub mod systemd;
pub mod telemetry;
pub mod update;
