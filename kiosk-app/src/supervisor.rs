//! The device supervisor: one task per configured device, each keeping its device connected
//! (reconnecting with capped backoff after an unplug: EOF and EIO both mean gone) and
//! publishing its health — ok, degraded, missing or fault, with the reason and since when — on
//! one watch channel for the UI and the POS link. What the kiosk can offer with that health
//! is the session's rule (`kiosk_session::status`).

use std::sync::Arc;
use std::time::Duration;

use kiosk_drivers::payment::PaymentTerminal;
use kiosk_drivers::payment::smartro::client::SmartroTerminal;
use kiosk_drivers::printer::status::PrinterState;
use kiosk_drivers::scanner::reader::ScannerReader;
use kiosk_drivers::scanner::{FramingOptions, ScanEvent, Suffix as FramingSuffix};
use kiosk_drivers::transport::{Endpoint, Port};
use tokio::sync::{mpsc, watch};

use crate::config::{Config, ScannerConfig, Suffix};
use crate::printing::{PrintHandle, PrintService, PrintSetup, PrinterHealth};
use crate::store_thread::StoreHandle;
use kiosk_clock::unix_now_ms;

pub use kiosk_session::status::{DeviceHealth, HealthMap, HealthState};

/// The terminal connection the supervisor keeps alive; payments borrow it.
pub type SharedTerminal = Arc<tokio::sync::Mutex<Option<SmartroTerminal<Port>>>>;

pub struct Supervisor {
    pub health: watch::Receiver<HealthMap>,
    pub scans: Option<mpsc::Receiver<ScanEvent>>,
    pub terminal: Option<SharedTerminal>,
    pub printing: Option<PrintHandle>,
}

/// Records a device's state; `since` moves only when the state changes.
fn publish(
    tx: &watch::Sender<HealthMap>,
    device: &'static str,
    state: HealthState,
    reason: impl Into<String>,
) {
    let reason = reason.into();
    tx.send_if_modified(|map| match map.get_mut(device) {
        Some(h) if h.state == state && h.reason == reason => false,
        Some(h) if h.state == state => {
            h.reason = reason.clone();
            true
        }
        _ => {
            map.insert(device, DeviceHealth { state, reason: reason.clone(), since_ms: unix_now_ms() });
            true
        }
    });
}

/// The printer's health entry for what its print service reports, or `None` to keep the
/// one there: a printer that stays away is retried every few seconds, and each attempt is
/// "connecting" again, which says nothing new about a printer already known missing (and
/// would flap its reason, and the telemetry with it).
fn printer_entry(h: &PrinterHealth, now: Option<&DeviceHealth>) -> Option<(HealthState, String)> {
    Some(match h {
        PrinterHealth::Connecting if now.is_some_and(|d| d.state == HealthState::Missing) => return None,
        PrinterHealth::Connecting => (HealthState::Missing, "connecting".to_owned()),
        PrinterHealth::Disconnected { reason } => (HealthState::Missing, reason.clone()),
        PrinterHealth::Online(s) => match s.state() {
            PrinterState::Ready => (HealthState::Ok, "ready".to_owned()),
            PrinterState::PaperNearEnd => (HealthState::Degraded, "paper near its end".to_owned()),
            other => (HealthState::Fault, kiosk_drivers::printer::driver::state_message(other).to_owned()),
        },
    })
}

/// How often the card terminal is checked while no payment holds it: rarely while it is
/// ready (an idle kiosk sleeps, and a payment finds a terminal gone by itself), often while it
/// is not, so "pay at the counter" gives way to cards as soon as it is back.
const TERMINAL_CHECK_EVERY: Duration = Duration::from_secs(5);
const TERMINAL_RECHECK_EVERY: Duration = Duration::from_millis(500);
const RETRY_EVERY: Duration = Duration::from_millis(250);

impl Supervisor {
    /// Starts a task per configured device (on the current tokio runtime).
    pub fn start(config: &Config, store: StoreHandle) -> Supervisor {
        let (tx, health) = watch::channel(HealthMap::new());
        let tx = Arc::new(tx);
        let mut sup = Supervisor { health, scans: None, terminal: None, printing: None };

        if let Some(printer) = &config.devices.printer {
            publish(&tx, "printer", HealthState::Missing, "connecting");
            let (service, handle) = PrintService::new(store, PrintSetup::from_config(config, printer));
            let mut printer_health = handle.health();
            let tx = tx.clone();
            tokio::spawn(service.run());
            tokio::spawn(async move {
                loop {
                    let h = printer_health.borrow_and_update().clone();
                    let now = tx.borrow().get("printer").cloned();
                    if let Some((state, reason)) = printer_entry(&h, now.as_ref()) {
                        publish(&tx, "printer", state, reason);
                    }
                    if printer_health.changed().await.is_err() {
                        return;
                    }
                }
            });
            sup.printing = Some(handle);
        }

        if let Some(terminal) = &config.devices.terminal {
            publish(&tx, "terminal", HealthState::Missing, "connecting");
            let shared: SharedTerminal = Arc::new(tokio::sync::Mutex::new(None));
            tokio::spawn(watch_terminal(terminal.link.clone(), shared.clone(), tx.clone()));
            sup.terminal = Some(shared);
        }

        if let Some(scanner) = &config.devices.scanner {
            sup.scans = Some(start_scanner(scanner, tx.clone()));
        }
        sup
    }
}

/// Keeps the terminal connected and checks it whenever no payment holds it.
async fn watch_terminal(endpoint: Endpoint, shared: SharedTerminal, tx: Arc<watch::Sender<HealthMap>>) {
    loop {
        let mut ready = false;
        if let Ok(mut guard) = shared.try_lock() {
            if guard.is_none() {
                match Port::open(&endpoint, Duration::from_secs(1)).await {
                    Ok(link) => *guard = Some(SmartroTerminal::new(link, "")),
                    Err(e) => publish(&tx, "terminal", HealthState::Missing, format!("{endpoint}: {e}")),
                }
            }
            if let Some(t) = guard.as_mut() {
                match tokio::time::timeout(Duration::from_secs(2), t.check()).await {
                    Ok(Ok(info)) if info.ready => {
                        ready = true;
                        publish(&tx, "terminal", HealthState::Ok, format!("ready ({})", info.version))
                    }
                    Ok(Ok(info)) => {
                        publish(&tx, "terminal", HealthState::Fault, format!("not ready: {}", info.detail))
                    }
                    Ok(Err(e)) => {
                        *guard = None;
                        publish(&tx, "terminal", HealthState::Missing, e.to_string());
                    }
                    Err(_) => {
                        *guard = None;
                        publish(&tx, "terminal", HealthState::Missing, "does not answer");
                    }
                }
            }
        }
        tokio::time::sleep(if ready { TERMINAL_CHECK_EVERY } else { TERMINAL_RECHECK_EVERY }).await;
    }
}

/// Opens the scanner (again after it was unplugged) and returns its scans, reporting its
/// health to `tx`. Start-up and first-boot provisioning (the table's QR code) both read it.
pub fn start_scanner(
    scanner: &ScannerConfig,
    tx: Arc<watch::Sender<HealthMap>>,
) -> mpsc::Receiver<ScanEvent> {
    publish(&tx, "scanner", HealthState::Missing, "connecting");
    let options = FramingOptions {
        suffix: match scanner.suffix {
            Suffix::Cr => FramingSuffix::Cr,
            Suffix::CrLf => FramingSuffix::CrLf,
            Suffix::None => FramingSuffix::None,
        },
        prefix: scanner.prefix.clone(),
        aim_ids: scanner.aim_ids,
        ..FramingOptions::default()
    };
    let (scans_tx, scans) = mpsc::channel(64);
    tokio::spawn(watch_scanner(scanner.link.clone(), options, scans_tx, tx));
    scans
}

/// Keeps the scanner open and forwards its scans.
async fn watch_scanner(
    endpoint: Endpoint,
    options: FramingOptions,
    scans: mpsc::Sender<ScanEvent>,
    tx: Arc<watch::Sender<HealthMap>>,
) {
    loop {
        match Port::open(&endpoint, Duration::from_secs(1)).await {
            Ok(link) => {
                publish(&tx, "scanner", HealthState::Ok, "connected");
                let mut reader = ScannerReader::new(link, options.clone());
                loop {
                    match reader.next().await {
                        Ok(events) => {
                            for e in events {
                                if let ScanEvent::Rejected(why) = &e {
                                    tracing::warn!("scanner: {why}");
                                }
                                let _ = scans.send(e).await;
                            }
                        }
                        Err(e) => {
                            publish(&tx, "scanner", HealthState::Missing, format!("gone: {e}"));
                            break;
                        }
                    }
                }
            }
            Err(e) => publish(&tx, "scanner", HealthState::Missing, format!("{endpoint}: {e}")),
        }
        tokio::time::sleep(RETRY_EVERY).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_printer_keeps_its_reason_while_it_is_retried() {
        let missing = DeviceHealth {
            state: HealthState::Missing,
            reason: "/dev/ttyUSB0: No such file or directory".into(),
            since_ms: 1,
        };
        assert_eq!(printer_entry(&PrinterHealth::Connecting, Some(&missing)), None);
        let first = printer_entry(&PrinterHealth::Connecting, None).unwrap();
        assert_eq!(first, (HealthState::Missing, "connecting".to_owned()), "at start it says so");
        let gone = PrinterHealth::Disconnected { reason: "cut".into() };
        assert_eq!(printer_entry(&gone, Some(&missing)), Some((HealthState::Missing, "cut".into())));
    }
}
