//! What the peripherals and the POS link allow the session to offer: the kiosk's mode when a
//! required device is down, which payment means can be chosen, and the operator page's
//! device list. The supervisor and the POS link report plain states; the rules are here.

use std::collections::BTreeMap;

use kiosk_domain::WhenDown;

use crate::stage::PayWith;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthState {
    Ok,
    /// Works, but needs attention soon.
    Degraded,
    /// Not there.
    Missing,
    /// There, not working.
    Fault,
}

impl HealthState {
    pub fn as_str(self) -> &'static str {
        match self {
            HealthState::Ok => "ok",
            HealthState::Degraded => "degraded",
            HealthState::Missing => "missing",
            HealthState::Fault => "fault",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceHealth {
    pub state: HealthState,
    pub reason: String,
    /// Unix milliseconds when the state last changed (for the operator and the store).
    pub since_ms: i64,
}

impl DeviceHealth {
    pub fn usable(&self) -> bool {
        matches!(self.state, HealthState::Ok | HealthState::Degraded)
    }
}

/// Health by device name: "printer", "terminal", "scanner".
pub type HealthMap = BTreeMap<&'static str, DeviceHealth>;

/// A peripheral as the device is set up with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peripheral {
    /// A required device that is down changes the kiosk's mode (`when_down`).
    pub required: bool,
    pub when_down: WhenDown,
}

/// The peripherals the device has; `None` for one it was set up without.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Peripherals {
    pub printer: Option<Peripheral>,
    pub terminal: Option<Peripheral>,
    pub scanner: Option<Peripheral>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KioskMode {
    Normal,
    /// "Card payment unavailable — pay at the counter."
    PayAtCounterOnly,
    /// Orders are taken; the order number is shown on screen instead of printed.
    NoPrinting,
    /// "Out of service", with the device to blame.
    OutOfService {
        device: &'static str,
    },
}

impl KioskMode {
    /// For logs and the store's device list.
    pub fn describe(&self) -> String {
        match self {
            KioskMode::Normal => "normal".into(),
            KioskMode::PayAtCounterOnly => "card payment unavailable: pay at the counter".into(),
            KioskMode::NoPrinting => "no printing: order numbers on screen".into(),
            KioskMode::OutOfService { device } => format!("out of service ({device})"),
        }
    }
}

/// The mode a required device's `when_down` chooses while it is down; the most restrictive
/// wins. Optional devices never change the mode.
pub fn kiosk_mode(peripherals: &Peripherals, health: &HealthMap) -> KioskMode {
    let down = |device: &str| health.get(device).is_none_or(|h| !h.usable());
    let mut modes = Vec::new();
    if let Some(p) = peripherals.printer.filter(|p| p.required && down("printer")) {
        modes.push(match p.when_down {
            WhenDown::NoPrinting => KioskMode::NoPrinting,
            _ => KioskMode::OutOfService { device: "printer" },
        });
    }
    if let Some(t) = peripherals.terminal.filter(|t| t.required && down("terminal")) {
        modes.push(match t.when_down {
            WhenDown::PayAtCounter => KioskMode::PayAtCounterOnly,
            _ => KioskMode::OutOfService { device: "terminal" },
        });
    }
    modes.into_iter().max_by_key(|m| matches!(m, KioskMode::OutOfService { .. })).unwrap_or(KioskMode::Normal)
}

/// The payment means a device offers: those its configuration asks for that it has the
/// devices for (no terminal, no card; no terminal and scanner, no wallet barcode).
pub fn offered_methods(wanted: &[PayWith], peripherals: &Peripherals) -> Vec<PayWith> {
    wanted
        .iter()
        .copied()
        .filter(|m| match m {
            PayWith::Card => peripherals.terminal.is_some(),
            PayWith::Wallet => peripherals.terminal.is_some() && peripherals.scanner.is_some(),
            PayWith::Counter => true,
        })
        .collect()
}

/// The POS link as the device sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkStatus {
    pub reachable: bool,
    pub problem: Option<String>,
}

/// Everything the supervisor and the POS link report, at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    pub health: HealthMap,
    /// `None` without a POS link (orders wait on the device by design).
    pub link: Option<LinkStatus>,
    /// Orders committed here and not yet acknowledged by the POS.
    pub queued: u64,
}

/// What the devices and the POS link allow right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Availability {
    pub card: bool,
    pub scanner: bool,
    pub printer: bool,
    pub pos_reachable: bool,
    pub queued: u64,
    /// No customer may start an order (a required device is down).
    pub out_of_service: bool,
}

impl Default for Availability {
    fn default() -> Self {
        Availability {
            card: true,
            scanner: true,
            printer: true,
            pos_reachable: true,
            queued: 0,
            out_of_service: false,
        }
    }
}

/// One line of the operator page's device list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRow {
    pub name: String,
    /// "ok", "degraded", "missing", "fault"; for the POS, "ok" or "unreachable".
    pub state: String,
    pub reason: String,
    pub ok: bool,
}

impl Status {
    pub fn availability(&self, peripherals: &Peripherals) -> Availability {
        let usable = |d: &str| self.health.get(d).is_some_and(DeviceHealth::usable);
        let mode = kiosk_mode(peripherals, &self.health);
        Availability {
            card: peripherals.terminal.is_some() && usable("terminal") && mode != KioskMode::PayAtCounterOnly,
            scanner: peripherals.scanner.is_some() && usable("scanner"),
            printer: peripherals.printer.is_some() && usable("printer") && mode != KioskMode::NoPrinting,
            pos_reachable: self.link.as_ref().is_none_or(|l| l.reachable),
            queued: self.queued,
            out_of_service: matches!(mode, KioskMode::OutOfService { .. }),
        }
    }

    /// The supervisor's devices and the POS link, for the operator page.
    pub fn device_rows(&self) -> Vec<DeviceRow> {
        let mut rows: Vec<DeviceRow> = self
            .health
            .iter()
            .map(|(name, h)| DeviceRow {
                name: (*name).to_owned(),
                state: h.state.as_str().to_owned(),
                reason: h.reason.clone(),
                ok: h.usable(),
            })
            .collect();
        if let Some(l) = &self.link {
            rows.push(DeviceRow {
                name: "pos".into(),
                state: if l.reachable { "ok" } else { "unreachable" }.into(),
                reason: l.problem.clone().unwrap_or_default(),
                ok: l.reachable,
            });
        }
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn health(printer: HealthState, terminal: HealthState) -> HealthMap {
        let h = |state| DeviceHealth { state, reason: String::new(), since_ms: 0 };
        HealthMap::from([("printer", h(printer)), ("terminal", h(terminal))])
    }

    fn required(when_down: WhenDown) -> Option<Peripheral> {
        Some(Peripheral { required: true, when_down })
    }

    #[test]
    fn the_most_restrictive_required_device_decides_the_mode() {
        use HealthState::*;
        let p = Peripherals {
            printer: required(WhenDown::NoPrinting),
            terminal: required(WhenDown::PayAtCounter),
            scanner: None,
        };
        assert_eq!(kiosk_mode(&p, &health(Ok, Ok)), KioskMode::Normal);
        assert_eq!(kiosk_mode(&p, &health(Ok, Missing)), KioskMode::PayAtCounterOnly);
        assert_eq!(kiosk_mode(&p, &health(Fault, Ok)), KioskMode::NoPrinting);
        let strict = Peripherals { terminal: required(WhenDown::OutOfService), ..p };
        assert_eq!(
            kiosk_mode(&strict, &health(Fault, Missing)),
            KioskMode::OutOfService { device: "terminal" }
        );
        // An optional device never changes the mode.
        let optional = Peripherals {
            printer: Some(Peripheral { required: false, when_down: WhenDown::OutOfService }),
            ..Peripherals::default()
        };
        assert_eq!(kiosk_mode(&optional, &health(Missing, Missing)), KioskMode::Normal);
    }

    #[test]
    fn a_means_needs_its_devices_and_their_health() {
        use HealthState::*;
        let terminal = required(WhenDown::PayAtCounter);
        let all = [PayWith::Card, PayWith::Wallet, PayWith::Counter];
        let no_scanner = Peripherals { terminal, ..Peripherals::default() };
        assert_eq!(offered_methods(&all, &no_scanner), [PayWith::Card, PayWith::Counter]);
        assert_eq!(offered_methods(&all, &Peripherals::default()), [PayWith::Counter]);
        let status = Status { health: health(Ok, Missing), link: None, queued: 0 };
        let a = status.availability(&no_scanner);
        assert!(!a.card && !a.out_of_service && a.pos_reachable);
        let a = Status { health: health(Ok, Degraded), ..status }.availability(&no_scanner);
        assert!(a.card, "a degraded terminal still takes cards");
    }

    #[test]
    fn the_device_list_names_the_pos_link_too() {
        let status = Status {
            health: health(HealthState::Ok, HealthState::Fault),
            link: Some(LinkStatus { reachable: false, problem: Some("refused".into()) }),
            queued: 3,
        };
        let rows = status.device_rows();
        let names: Vec<(&str, &str, bool)> =
            rows.iter().map(|r| (r.name.as_str(), r.state.as_str(), r.ok)).collect();
        assert_eq!(
            names,
            [("printer", "ok", true), ("terminal", "fault", false), ("pos", "unreachable", false)]
        );
    }
}
