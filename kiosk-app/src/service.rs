//! `kiosk run --headless` (and a build without a screen): the [`Device`] the screen runs,
//! without the screen. Payments are reconciled before anything else; then device health,
//! the POS link and scans are reported as they come, the status light follows the kiosk's
//! mode, and the call button calls staff.

use anyhow::Result;
use kiosk_clock::StoreClock;
use kiosk_drivers::gpio::patterns::LightPattern;
use kiosk_drivers::gpio::service::{GpioCommand, GpioEvent};
use kiosk_pos::{PosAdapter, StaffReason};
use kiosk_session::status::{KioskMode, kiosk_mode};

use crate::config::Config;
use crate::device::Device;
use crate::profile::peripherals;

pub async fn run(config: Config, once: bool) -> Result<()> {
    let clock = StoreClock::new(&config.time_zone);
    let config_for_start = config.clone();
    let mut device = tokio::task::spawn_blocking(move || Device::start(&config_for_start, clock)).await??;
    device.reconcile(!once).await;
    if once {
        if let Some(link) = &device.link {
            let pos = &link.pos;
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

    tracing::info!("running (stop with Ctrl-C or SIGTERM)");
    crate::systemd::ready();
    let mut alive = tokio::time::interval(crate::systemd::heartbeat());
    let (mut trial, slots) = crate::update::TrialCommit::at_start();
    // Without a screen there is no customer: a restart waits only for the store's hours.
    let fleet = crate::fleet::spawn(&config, slots.as_ref(), &tokio::runtime::Handle::current());
    let peripherals = peripherals(&config);
    let feeds = &mut device.feeds;
    let mut health = feeds.health.take();
    let mut pos_view = feeds.pos.take();
    let mut scans = feeds.scans.take();
    let mut gpio = feeds.gpio.take();
    let mut last_mode = None;
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    loop {
        tokio::select! {
            changed = async { match health.as_mut() { Some(h) => h.changed().await, None => std::future::pending().await } } => {
                if changed.is_err() {
                    return Ok(());
                }
                let map = health.as_mut().map(|h| h.borrow_and_update().clone()).unwrap_or_default();
                for (name, h) in &map {
                    tracing::info!("{name}: {:?} ({})", h.state, h.reason);
                }
                let mode = kiosk_mode(&peripherals, &map);
                if last_mode.as_ref() != Some(&mode) {
                    let normal = mode == KioskMode::Normal;
                    if normal {
                        tracing::info!("kiosk mode: {}", mode.describe());
                    } else {
                        tracing::warn!("kiosk mode: {}", mode.describe());
                    }
                    if let Some(g) = &device.gpio {
                        let pattern = if normal { LightPattern::Idle } else { LightPattern::Fault };
                        let _ = g.send(GpioCommand::Light(pattern));
                    }
                    last_mode = Some(mode);
                }
            }
            event = async { match gpio.as_mut() { Some(g) => g.recv().await, None => std::future::pending().await } } => {
                match event {
                    Some(GpioEvent::CallStaffPressed) => call_staff(&device),
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
                    if let Some((_, committed)) = &fleet {
                        let _ = committed.send(true);
                    }
                }
                if let Some((kiosk, _)) = &fleet {
                    let store_open = pos_view.as_ref().is_none_or(|v| v.borrow().store_open);
                    let state = kiosk_fleet::agent::Kiosk { at_rest: true, store_open };
                    kiosk.send_if_modified(|k| std::mem::replace(k, state) != *k);
                }
            }
            _ = tokio::signal::ctrl_c() => return Ok(()),
            _ = term.recv() => return Ok(()),
        }
    }
}

/// The call button: staff come to this table (or kiosk). Sent in the background.
fn call_staff(device: &Device) {
    let Some(link) = &device.link else {
        tracing::warn!("call button pressed, but no POS is configured to call staff through");
        return;
    };
    let (pos, table) = (link.pos.clone(), device.config.table_number.clone());
    tokio::spawn(async move {
        kiosk_pos::call_staff_with_retry(&pos, uuid::Uuid::new_v4(), table.as_deref(), StaffReason::Help)
            .await
    });
}
