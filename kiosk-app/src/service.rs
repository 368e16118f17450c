//! `kiosk run`: the device service. Starts the supervisor (printer, terminal, scanner),
//! reconciles payments with the terminal before any customer, starts the POS link (outbox,
//! sync, health reports) and the GPIO service (presence, call button, light, buzzer), and
//! reports device health and scans as they come. The touch UI takes its state from here.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use kiosk_drivers::gpio::patterns::LightPattern;
use kiosk_drivers::gpio::service::{GpioCommand, GpioEvent};

use crate::config::Config;
use crate::payments::with_desk;
use crate::pos::{self, PosLink};
use crate::supervisor::{SharedTerminal, Supervisor, kiosk_mode};
use kiosk_clock::StoreClock;
use kiosk_pos::{AnyPos, PosAdapter, StaffReason};
use kiosk_store::Store;

/// How long start-up waits for the terminal before leaving reconciliation to later.
const TERMINAL_WAIT: Duration = Duration::from_secs(5);

pub async fn run(config: Config, once: bool) -> Result<()> {
    let store = Store::open(config.database_path()).context("opening the store")?;
    let store = Arc::new(Mutex::new(store));
    let clock = StoreClock::new(&config.time_zone);
    let mut sup = Supervisor::start(&config, store.clone());

    reconcile_at_start(sup.terminal.clone(), store.clone(), &clock, !once).await;
    let pos = match AnyPos::from_config(&config.pos) {
        Ok(pos) => pos,
        Err(e) => {
            tracing::error!("POS link not started: {e}; orders stay queued on this device");
            None
        }
    };
    if once {
        if let Some(pos) = &pos {
            match pos.health().await {
                Ok(h) => tracing::info!(
                    "POS {}: {} (store {})",
                    pos.name(),
                    h.server,
                    if h.store_open { "open" } else { "closed" }
                ),
                Err(e) => tracing::warn!("POS {}: {e}; orders will queue until it answers", pos.name()),
            }
        }
        return Ok(());
    }
    let link: Option<PosLink> = pos.map(|pos| pos::start(pos, store.clone()));
    if let Some(link) = &link {
        tokio::spawn(pos::report_health(link.pos.clone(), config.clone(), sup.health.clone()));
    }
    let mut gpio = crate::gpio_setup::start_or_report(&config.devices.gpio);
    let mut pos_view = link.as_ref().map(|l| l.view.clone());

    tracing::info!("running (stop with Ctrl-C or SIGTERM)");
    crate::systemd::ready();
    let mut alive = tokio::time::interval(crate::systemd::heartbeat());
    let mut trial = crate::update::TrialCommit::at_start();
    let mut health = sup.health.clone();
    let mut scans = sup.scans.take();
    let mut last_mode = None;
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    loop {
        tokio::select! {
            changed = health.changed() => {
                if changed.is_err() {
                    return Ok(());
                }
                let map = health.borrow_and_update().clone();
                for (device, h) in &map {
                    tracing::info!("{device}: {:?} ({})", h.state, h.reason);
                }
                let mode = kiosk_mode(&config, &map);
                if last_mode.as_ref() != Some(&mode) {
                    let normal = mode == crate::supervisor::KioskMode::Normal;
                    if normal {
                        tracing::info!("kiosk mode: {mode:?}");
                    } else {
                        tracing::warn!("kiosk mode: {mode:?}");
                    }
                    if let Some(g) = &gpio {
                        let pattern = if normal { LightPattern::Idle } else { LightPattern::Fault };
                        let _ = g.commands.send(GpioCommand::Light(pattern));
                    }
                    last_mode = Some(mode);
                }
            }
            event = async { match gpio.as_mut() { Some(g) => g.events.recv().await, None => std::future::pending().await } } => {
                match event {
                    Some(GpioEvent::CallStaffPressed) => call_staff(&config, link.as_ref()),
                    Some(event) => tracing::info!("gpio: {event:?}"),
                    None => gpio = None,
                }
            }
            changed = async { match pos_view.as_mut() { Some(v) => v.changed().await, None => std::future::pending().await } } => {
                if changed.is_err() {
                    pos_view = None;
                    continue;
                }
                let view = pos_view.as_mut().map(|v| v.borrow_and_update().clone()).unwrap_or_default();
                tracing::info!(
                    "POS: {}, store {}, {} sold out{}",
                    if view.reachable { "reachable" } else { "unreachable (orders queue)" },
                    if view.store_open { "open" } else { "closed" },
                    view.sold_out.len(),
                    view.problem.map(|p| format!("; {p}")).unwrap_or_default()
                );
            }
            scan = async { match scans.as_mut() { Some(s) => s.recv().await, None => std::future::pending().await } } => {
                match scan {
                    Some(event) => tracing::info!("scan: {event:?}"),
                    None => scans = None,
                }
            }
            _ = alive.tick() => {
                crate::systemd::alive();
                if trial.as_ref().is_some_and(|t| t.healthy_tick()) {
                    trial = None;
                }
            }
            _ = tokio::signal::ctrl_c() => return Ok(()),
            _ = term.recv() => return Ok(()),
        }
    }
}

/// The call button: staff come to this table (or kiosk). Sent in the background.
fn call_staff(config: &Config, link: Option<&PosLink>) {
    let Some(link) = link else {
        tracing::warn!("call button pressed, but no POS is configured to call staff through");
        return;
    };
    let (pos, table) = (link.pos.clone(), config.table_number.clone());
    tokio::spawn(async move {
        kiosk_pos::call_staff_with_retry(&pos, uuid::Uuid::new_v4(), table.as_deref(), StaffReason::Help)
            .await
    });
}

/// Reconciles payments with the terminal before any customer: waits up to [`TERMINAL_WAIT`]
/// for it, then (when `keep_trying`) goes on in the background. An order left ambiguous
/// meanwhile cannot be charged again, since its lifecycle holds it.
pub async fn reconcile_at_start(
    terminal: Option<SharedTerminal>,
    store: Arc<Mutex<Store>>,
    clock: &StoreClock,
    keep_trying: bool,
) {
    let Some(terminal) = terminal else { return };
    if reconcile(&terminal, store.clone(), clock).await {
        return;
    }
    if !keep_trying {
        tracing::warn!("the terminal did not answer: payments are not reconciled yet");
        return;
    }
    let clock = clock.clone();
    tokio::spawn(async move {
        while !reconcile(&terminal, store.clone(), &clock).await {
            tokio::time::sleep(TERMINAL_WAIT).await;
        }
    });
}

/// Start-up payment recovery through the supervisor's terminal connection. True when done.
async fn reconcile(terminal: &SharedTerminal, store: Arc<Mutex<Store>>, clock: &StoreClock) -> bool {
    let deadline = tokio::time::Instant::now() + TERMINAL_WAIT;
    loop {
        match with_desk(terminal, store.clone(), async |desk| desk.recover(clock.now_ms()).await).await {
            Some(Ok(report)) => {
                tracing::info!("payments reconciled: {report:?}");
                return report.still_unknown == 0;
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
