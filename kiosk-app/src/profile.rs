//! The device's configuration as the session takes it: plain data copied over, every
//! decision (which payment means, the kiosk's mode when a device is down) left to the
//! session's rules.

use kiosk_domain::Service;
use kiosk_session::PayWith;
use kiosk_session::settings::Profile;
use kiosk_session::status::{Peripheral, Peripherals};

use crate::config::{Config, OrderType, PaymentMethodConfig, Role};

/// The peripherals the configuration names, with what each does while down.
pub fn peripherals(config: &Config) -> Peripherals {
    let d = &config.devices;
    Peripherals {
        printer: d.printer.as_ref().map(|p| Peripheral { required: p.required, when_down: p.when_down }),
        terminal: d.terminal.as_ref().map(|t| Peripheral { required: t.required, when_down: t.when_down }),
        scanner: d
            .scanner
            .as_ref()
            .map(|s| Peripheral { required: s.required, when_down: kiosk_domain::WhenDown::OutOfService }),
    }
}

pub fn profile(config: &Config) -> Profile {
    Profile {
        store_name: config.store.name.clone(),
        table: (config.role == Role::Table).then(|| config.table_number.clone().unwrap_or_default()),
        languages: config.ui.languages.clone(),
        default_language: config.ui.default_language,
        services: config
            .ui
            .order_types
            .iter()
            .map(|t| match t {
                OrderType::DineIn => Service::DineIn,
                OrderType::TakeOut => Service::TakeOut,
            })
            .collect(),
        methods: config
            .ui
            .payment_methods
            .iter()
            .map(|m| match m {
                PaymentMethodConfig::Card => PayWith::Card,
                PaymentMethodConfig::Wallet => PayWith::Wallet,
                PaymentMethodConfig::Counter => PayWith::Counter,
            })
            .collect(),
        peripherals: peripherals(config),
        idle_timeout_ms: config.ui.idle_timeout.as_millis() as i64,
        idle_warning_ms: config.ui.idle_warning.as_millis() as i64,
        receipt: config.receipt.print,
        e_receipts: config.receipt.link.is_some(),
        prepay: config.role == Role::Table && !config.ui.postpay,
    }
}

#[cfg(test)]
mod tests {
    use kiosk_session::status::{DeviceHealth, HealthMap, HealthState, KioskMode, kiosk_mode};

    use super::*;

    fn health(printer: HealthState, terminal: HealthState) -> HealthMap {
        let h = |state| DeviceHealth { state, reason: String::new(), since_ms: 0 };
        HealthMap::from([("printer", h(printer)), ("terminal", h(terminal))])
    }

    /// The example configuration's `when_down` and `required` reach the session's rule.
    #[test]
    fn when_down_chooses_the_mode() {
        use HealthState::*;
        let text = include_str!("../data/kiosk.example.toml");
        let mode = |config: &Config, p, t| kiosk_mode(&peripherals(config), &health(p, t));
        let config = Config::parse(text).unwrap();
        assert_eq!(mode(&config, Ok, Ok), KioskMode::Normal);
        assert_eq!(mode(&config, Fault, Ok), KioskMode::Normal, "the printer is optional");
        assert_eq!(mode(&config, Ok, Missing), KioskMode::PayAtCounterOnly);
        let strict = Config::parse(
            &text
                .replace("when_down = \"pay-at-counter\"", "when_down = \"out-of-service\"")
                .replace("required = false                    # without it", "required = true  # without it")
                .replace(
                    "when_down = \"out-of-service\"        # if required",
                    "when_down = \"no-printing\"  # if required",
                ),
        )
        .unwrap();
        assert_eq!(mode(&strict, Missing, Ok), KioskMode::NoPrinting);
        assert_eq!(
            mode(&strict, Missing, Missing),
            KioskMode::OutOfService { device: "terminal" },
            "the most restrictive wins"
        );
        assert_eq!(mode(&strict, Degraded, Ok), KioskMode::Normal, "paper low still prints");
    }
}
