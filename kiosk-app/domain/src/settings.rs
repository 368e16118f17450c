//! How a device is set up: the settings the operator changes on the device itself (table
//! number, volume, idle timeout, default language; they override the configuration file and
//! outlive restarts) and the receipt policy.

use crate::Lang;

/// One operator setting, as the operator page changes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceSetting {
    Table(String),
    /// 0 (silent) to 10.
    Volume(u8),
    IdleTimeoutS(u32),
    Language(Lang),
}

/// Whether a customer gets a printed receipt: always, when they ask for it, or never.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptPolicy {
    Always,
    Ask,
    Never,
}

/// What the device does while a required peripheral is down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenDown {
    /// Stop taking orders: "out of service".
    OutOfService,
    /// Terminal down: take orders, paid at the counter.
    PayAtCounter,
    /// Printer down: take orders, show the order number on screen instead of a slip.
    NoPrinting,
}
