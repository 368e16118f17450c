//! The composition root: everything one device runs, started from its configuration — the
//! store on its thread, the device supervisor (printer, terminal, scanner), the POS link,
//! the telemetry to the chain's broker, the GPIO service, the keypad and the voice — and
//! payment recovery before the first customer. `kiosk run` starts the same [`Device`] with
//! the screen and with `--headless`; `kiosk-dev automate` starts it off-screen.

use std::time::Duration;

use anyhow::{Context, Result};
use kiosk_clock::StoreClock;
use kiosk_drivers::gpio::service::{GpioCommand, GpioEvent};
use kiosk_drivers::keypad::Key;
use kiosk_drivers::scanner::ScanEvent;
use kiosk_drivers::speech::service::{Output, SpeechHandle, spawn as spawn_speech};
use kiosk_pos::AnyPos;
use kiosk_session::IdSource;
use kiosk_session::status::HealthMap;
use kiosk_store::Store;
use tokio::sync::{mpsc, watch};

use crate::config::Config;
use crate::effects::Runner;
use crate::payment_desk::with_desk;
use crate::pos::delivery::OutboxView;
use crate::pos::sync::PosView;
use crate::pos::{self, PosLink};
use crate::store_thread::StoreHandle;
use crate::supervisor::{SharedTerminal, Supervisor};

/// How long start-up waits for the terminal before leaving reconciliation to later.
const TERMINAL_WAIT: Duration = Duration::from_secs(5);

/// What the device's peripherals and the POS link report, and what its customers do
/// besides the touchscreen: the screen (or the headless service) listens to these.
#[derive(Default)]
pub struct Feeds {
    pub health: Option<watch::Receiver<HealthMap>>,
    pub pos: Option<watch::Receiver<PosView>>,
    pub outbox: Option<watch::Receiver<OutboxView>>,
    pub scans: Option<mpsc::Receiver<ScanEvent>>,
    /// The presence sensor, the call button, the earphone jack.
    pub gpio: Option<mpsc::UnboundedReceiver<GpioEvent>>,
    /// The tactile keypad.
    pub keys: Option<mpsc::UnboundedReceiver<Key>>,
    /// The voice guidance's speech output.
    pub speech: Option<SpeechHandle>,
}

/// One running device.
pub struct Device {
    pub config: Config,
    pub clock: StoreClock,
    pub store: StoreHandle,
    /// Performs the session's effects against the store, the terminal, the printer and the POS.
    pub runner: Runner,
    pub feeds: Feeds,
    pub terminal: Option<SharedTerminal>,
    pub gpio: Option<mpsc::UnboundedSender<GpioCommand>>,
    /// Kept alive while the device runs: dropping it stops the POS link's tasks.
    pub link: Option<PosLink>,
}

/// Order and staff-call ids on a device: random (UUID v4).
pub struct RandomIds;

impl IdSource for RandomIds {
    fn next_id(&mut self) -> uuid::Uuid {
        uuid::Uuid::new_v4()
    }
}

impl Device {
    /// Opens the store and starts every service on the current tokio runtime. Call from
    /// outside the runtime's workers (it reads the store before the services start).
    pub fn start(config: &Config, clock: StoreClock) -> Result<Device> {
        let store = Store::open(config.database_path()).context("opening the store")?;
        let store = StoreHandle::spawn(store);
        let mut sup = Supervisor::start(config, store.clone());
        let pos = match AnyPos::from_config(&config.pos) {
            Ok(pos) => pos,
            Err(e) => {
                tracing::error!("POS link not started: {e}; orders stay queued on this device");
                None
            }
        };
        let table =
            (config.role == crate::config::Role::Table).then(|| config.table_number.clone()).flatten();
        let link = pos.map(|pos| pos::start(pos, store.clone(), Some(config.data_dir.join("photos")), table));
        if let Some(link) = &link {
            tokio::spawn(pos::report_health(
                link.pos.clone(),
                config.clone(),
                sup.health.clone(),
                link.outbox.view(),
            ));
        }
        crate::telemetry::spawn(
            config,
            crate::telemetry::Sources {
                health: sup.health.clone(),
                printer: sup.printing.as_ref().map(|p| p.health()),
                pos: link.as_ref().map(|l| l.view.clone()),
                outbox: link.as_ref().map(|l| l.outbox.view()),
                store: store.clone(),
            },
        );
        let gpio = crate::gpio_setup::start_or_report(&config.devices.gpio);
        let (gpio_commands, gpio_events) = gpio.map(|g| (g.commands, g.events)).unzip();
        let runner = Runner {
            store: store.clone(),
            clock: clock.clone(),
            terminal: sup.terminal.clone(),
            printing: sup.printing.clone(),
            pos: link.as_ref().map(|l| l.pos.clone()),
            outbox: link.as_ref().map(|l| l.outbox.clone()),
            operator: config.operator.clone(),
            gpio: gpio_commands.clone(),
            commit_prints: commit_prints(config),
            charge_abort: Default::default(),
        };
        let feeds = Feeds {
            health: Some(sup.health.clone()),
            pos: link.as_ref().map(|l| l.view.clone()),
            outbox: link.as_ref().map(|l| l.outbox.view()),
            scans: sup.scans.take(),
            gpio: gpio_events,
            keys: config.ui.keypad.as_deref().and_then(start_keypad),
            speech: config.ui.speech.clone().map(|program| spawn_speech(program, Output::Device)),
        };
        Ok(Device {
            config: config.clone(),
            clock,
            store,
            runner,
            feeds,
            terminal: sup.terminal.clone(),
            gpio: gpio_commands,
            link,
        })
    }

    /// Reconciles payments with the terminal before any customer: waits up to
    /// [`TERMINAL_WAIT`] for it, then (when `keep_trying`) goes on in the background until
    /// nothing is left. An order left ambiguous meanwhile cannot be charged again, since its
    /// lifecycle holds it.
    pub async fn reconcile(&self, keep_trying: bool) {
        let Some(terminal) = self.terminal.clone() else { return };
        let (store, clock) = (self.store.clone(), self.clock.clone());
        if reconcile(&terminal, &store, &clock).await {
            return;
        }
        if !keep_trying {
            tracing::warn!("payments are not reconciled yet: the terminal did not answer");
            return;
        }
        tokio::spawn(async move {
            while !reconcile(&terminal, &store, &clock).await {
                tokio::time::sleep(TERMINAL_WAIT).await;
            }
        });
    }
}

/// Start-up payment recovery through the supervisor's terminal connection. True when
/// nothing is left for later.
async fn reconcile(terminal: &SharedTerminal, store: &StoreHandle, clock: &StoreClock) -> bool {
    let deadline = tokio::time::Instant::now() + TERMINAL_WAIT;
    loop {
        match with_desk(terminal, store.clone(), clock.clone(), async |desk| desk.recover().await).await {
            Some(Ok(report)) => {
                tracing::info!("payments reconciled: {report:?}");
                return report.settled();
            }
            Some(Err(e)) => {
                tracing::error!("payment recovery: {e}");
                return false;
            }
            None => {}
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What a kiosk prints with every order it commits: the order-number slip, where it has a
/// printer, the store wants slips, and not every order gets a receipt (which has the number).
/// A table's rounds go to its tab, with nothing to take away.
fn commit_prints(config: &Config) -> Vec<kiosk_store::PrintKind> {
    let slip = config.role == crate::config::Role::Kiosk
        && config.devices.printer.is_some()
        && config.receipt.order_slip
        && config.receipt.print != kiosk_domain::ReceiptPolicy::Always;
    if slip { vec![kiosk_store::PrintKind::OrderSlip] } else { Vec::new() }
}

/// Reads the USB keypad, and opens it again after it was unplugged.
#[cfg(feature = "hid")]
fn start_keypad(path: &std::path::Path) -> Option<mpsc::UnboundedReceiver<Key>> {
    use kiosk_drivers::keypad::evdev_reader::HidKeypad;
    let (tx, rx) = mpsc::unbounded_channel();
    let path = path.to_owned();
    tokio::spawn(async move {
        loop {
            match HidKeypad::open(&path) {
                Ok(mut keypad) => {
                    tracing::info!("keypad {} open", path.display());
                    while let Ok(key) = keypad.next().await {
                        if tx.send(key).is_err() {
                            return;
                        }
                    }
                    tracing::warn!("keypad {} gone", path.display());
                }
                Err(e) => tracing::debug!("keypad {}: {e}", path.display()),
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    });
    Some(rx)
}

/// Without evdev the keypad cannot be read: said once, and the device goes on without it.
#[cfg(not(feature = "hid"))]
fn start_keypad(path: &std::path::Path) -> Option<mpsc::UnboundedReceiver<Key>> {
    tracing::error!(
        "ui.keypad_device {} is set, but this build has no HID support (feature hid)",
        path.display()
    );
    None
}

/// [`Device::start`] on the system's clocks in the configured time zone.
pub fn start(config: &Config) -> Result<Device> {
    Device::start(config, StoreClock::new(&config.time_zone))
}

/// The worker threads of a device's runtime: the UI thread is the caller's own.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `[receipt] order_slip` and `print` decide what a kiosk's commit prints.
    #[test]
    fn a_kiosk_commits_each_order_with_its_number_slip_unless_told_otherwise() {
        let example = include_str!("../data/kiosk.example.toml");
        let prints = |text: &str| commit_prints(&Config::parse(text).unwrap());
        assert_eq!(prints(example), vec![kiosk_store::PrintKind::OrderSlip]);
        assert_eq!(prints(&example.replace("order_slip = true", "order_slip = false")), vec![]);
        assert_eq!(
            prints(&example.replace(r#"print = "ask""#, r#"print = "always""#)),
            vec![],
            "the receipt has it"
        );
        assert_eq!(prints(&example.replace(r#"print = "ask""#, r#"print = "never""#)).len(), 1);
    }
}
