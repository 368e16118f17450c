//! What a device offers its customers, from how it is set up (the firmware copies its
//! configuration into a [`Profile`]) and what the operator changed on the device itself.

use kiosk_domain::{DeviceSetting, Lang, ReceiptPolicy, Service};

use crate::stage::PayWith;
use crate::status::{Peripherals, offered_methods};

/// The device's configuration, as plain data (the firmware fills it in).
#[derive(Debug, Clone)]
pub struct Profile {
    pub store_name: String,
    /// `Some(table number)` on a table tablet (empty until the installer sets one).
    pub table: Option<String>,
    pub languages: Vec<Lang>,
    pub default_language: Lang,
    pub services: Vec<Service>,
    /// The payment means the configuration asks for.
    pub methods: Vec<PayWith>,
    pub peripherals: Peripherals,
    pub idle_timeout_ms: i64,
    pub idle_warning_ms: i64,
    pub receipt: ReceiptPolicy,
    /// The store serves e-receipts customers can open from a QR code on the done page.
    pub e_receipts: bool,
    /// A table whose rounds are paid as they are ordered (`ui.postpay = false`).
    pub prepay: bool,
}

/// What the device offers, from its configuration and the operator's changes.
#[derive(Debug, Clone)]
pub struct Settings {
    pub store_name: String,
    /// `Some(table number)` on a table tablet.
    pub table: Option<String>,
    pub languages: Vec<Lang>,
    pub default_language: Lang,
    pub services: Vec<Service>,
    /// The payment means offered: those asked for that the device has the devices for.
    pub methods: Vec<PayWith>,
    pub peripherals: Peripherals,
    pub idle_timeout_ms: i64,
    pub idle_warning_ms: i64,
    /// How long the order number stays up before the next customer.
    pub done_return_ms: i64,
    /// How long the barcode prompt waits for a scan.
    pub scan_wait_ms: i64,
    pub receipt: ReceiptPolicy,
    /// The store serves e-receipts: the done page offers a receipt by QR code, and shows it
    /// when no printed receipt can be had.
    pub e_receipts: bool,
    /// Sound volume, 0 (silent) to [`MAX_VOLUME`].
    pub volume: u8,
    /// A table's rounds are paid as they are ordered, before they are sent: by card or
    /// barcode at the table, or, without a terminal, at the counter (the store holds the
    /// round from the kitchen until then). Otherwise they go onto the tab.
    pub prepay: bool,
}

pub const MAX_VOLUME: u8 = 10;
/// One step of the idle timeout's stepper.
pub const IDLE_STEP_S: i32 = 15;
/// The idle timeout the operator can choose, in seconds.
pub const IDLE_TIMEOUT_RANGE_S: (u32, u32) = (30, 600);

/// A setting with a stepper on the operator page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingKey {
    Table,
    Volume,
    IdleTimeout,
}

impl Settings {
    /// A kiosk with every payment means and its devices, for tests and defaults.
    pub fn kiosk() -> Settings {
        use crate::status::Peripheral;
        let device = Some(Peripheral { required: false, when_down: kiosk_domain::WhenDown::OutOfService });
        Settings {
            store_name: String::new(),
            table: None,
            languages: vec![Lang::Ko, Lang::En],
            default_language: Lang::Ko,
            services: vec![Service::DineIn, Service::TakeOut],
            methods: vec![PayWith::Card, PayWith::Wallet, PayWith::Counter],
            peripherals: Peripherals { printer: device, terminal: device, scanner: device },
            idle_timeout_ms: 90_000,
            idle_warning_ms: 20_000,
            done_return_ms: 20_000,
            scan_wait_ms: 60_000,
            receipt: ReceiptPolicy::Ask,
            e_receipts: false,
            volume: 7,
            prepay: false,
        }
    }

    /// The settings of a device set up as `profile`, with what the operator changed on the
    /// device over it.
    pub fn from_profile(profile: Profile, operator: Vec<DeviceSetting>) -> Settings {
        let mut settings = Settings {
            methods: offered_methods(&profile.methods, &profile.peripherals),
            store_name: profile.store_name,
            table: profile.table,
            languages: profile.languages,
            default_language: profile.default_language,
            services: profile.services,
            peripherals: profile.peripherals,
            idle_timeout_ms: profile.idle_timeout_ms,
            idle_warning_ms: profile.idle_warning_ms,
            receipt: profile.receipt,
            e_receipts: profile.e_receipts,
            prepay: profile.prepay,
            ..Settings::kiosk()
        };
        for setting in operator {
            settings.apply(setting);
        }
        settings
    }

    /// Takes an operator's setting, within its bounds. Returns it as taken, or `None` when
    /// this device cannot take it: a table number on a kiosk or an empty one, a language the
    /// device does not offer.
    pub fn apply(&mut self, setting: DeviceSetting) -> Option<DeviceSetting> {
        Some(match setting {
            DeviceSetting::Table(table) => {
                let table = table.trim();
                if self.table.is_none() || table.is_empty() {
                    return None;
                }
                self.table = Some(table.to_owned());
                DeviceSetting::Table(table.to_owned())
            }
            DeviceSetting::Volume(v) => {
                self.volume = v.min(MAX_VOLUME);
                DeviceSetting::Volume(self.volume)
            }
            DeviceSetting::IdleTimeoutS(secs) => {
                let secs = secs.clamp(IDLE_TIMEOUT_RANGE_S.0, IDLE_TIMEOUT_RANGE_S.1);
                self.idle_timeout_ms = i64::from(secs) * 1000;
                DeviceSetting::IdleTimeoutS(secs)
            }
            DeviceSetting::Language(lang) => {
                if !self.languages.contains(&lang) {
                    return None;
                }
                self.default_language = lang;
                DeviceSetting::Language(lang)
            }
        })
    }

    /// A stepper's new value; a table number that is not a number has no stepper.
    pub fn stepped(&self, key: SettingKey, step: i32) -> Option<DeviceSetting> {
        let step = step.signum();
        Some(match key {
            SettingKey::Table => {
                let n: u32 = self.table.as_ref()?.parse().ok()?;
                DeviceSetting::Table(n.saturating_add_signed(step).max(1).to_string())
            }
            SettingKey::Volume => {
                DeviceSetting::Volume((i32::from(self.volume) + step).clamp(0, MAX_VOLUME.into()) as u8)
            }
            SettingKey::IdleTimeout => {
                let secs = (self.idle_timeout_ms / 1000) as i32 + step * IDLE_STEP_S;
                let (min, max) = IDLE_TIMEOUT_RANGE_S;
                DeviceSetting::IdleTimeoutS(secs.clamp(min as i32, max as i32) as u32)
            }
        })
    }
}
