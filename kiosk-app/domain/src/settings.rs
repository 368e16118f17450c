//! Settings the operator changes on the device itself (table number, volume, idle timeout,
//! default language). They override the configuration file and outlive restarts.

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
