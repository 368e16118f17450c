//! The firmware's side of the POS link: the delivery worker that sends committed orders and
//! refunds exactly once (`delivery`), the sync task that brings menu, sold-out state, order
//! status and table settlements back (`sync`), and the device-health reporter, started
//! around one adapter for `kiosk run`.

pub mod delivery;
pub mod sync;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::config::Config;
use crate::profile::peripherals;
use crate::store_thread::StoreHandle;
use delivery::{Backoff, OutboxHandle, OutboxWorker};
use kiosk_link::wire::{PROTOCOL, PeripheralHealth};
use kiosk_pos::{AnyPos, DeviceHealthReport, PosAdapter, PosError};
use kiosk_session::status::{HealthMap, kiosk_mode};
use sync::{PosSync, PosView};

/// The device re-sends its health this often even when nothing changed, so the store's
/// screen can tell a silent device from a healthy one.
pub const HEALTH_REPORT_EVERY: Duration = Duration::from_secs(60);

pub struct PosLink {
    pub pos: Arc<AnyPos>,
    pub outbox: OutboxHandle,
    pub view: watch::Receiver<PosView>,
}

/// Spawns the outbox worker and the sync task on the current runtime. Call from outside its
/// workers: it reads the stored sold-out marks first. Menu photos the POS delivers are kept
/// in `photos`. A table tablet claims `table` at every connection.
pub fn start(
    pos: AnyPos,
    store: StoreHandle,
    photos: Option<std::path::PathBuf>,
    table: Option<String>,
) -> PosLink {
    let pos = Arc::new(pos);
    let (worker, outbox) = OutboxWorker::new(store.clone(), pos.clone(), Backoff::default());
    tokio::spawn(worker.run());
    let sold_out = store
        .run_blocking(|s| s.sold_out_items())
        .map(|ids| ids.into_iter().map(|i| i.0).collect())
        .unwrap_or_default();
    let (sync, view) = PosSync::new(store, pos.clone(), Some(outbox.clone()), sold_out);
    tokio::spawn(sync.with_photos(photos).with_table(table).run());
    PosLink { pos, outbox, view }
}

pub fn health_report(config: &Config, map: &HealthMap, queued: Option<u64>) -> DeviceHealthReport {
    DeviceHealthReport {
        version: Some(env!("CARGO_PKG_VERSION").to_owned()),
        queued,
        protocol: PROTOCOL,
        mode: kiosk_mode(&peripherals(config), map).describe(),
        devices: map
            .iter()
            .map(|(device, h)| PeripheralHealth {
                device: (*device).to_owned(),
                status: h.state.as_str().to_owned(),
                reason: h.reason.clone(),
                since_ms: h.since_ms,
            })
            .collect(),
    }
}

/// Publishes the supervisor's device health (with the software version and the orders still
/// queued for the store) to the POS on every change and every minute.
pub async fn report_health<A: PosAdapter>(
    pos: Arc<A>,
    config: Config,
    mut health: watch::Receiver<HealthMap>,
    outbox: watch::Receiver<delivery::OutboxView>,
) {
    let mut last_error: Option<String> = None;
    loop {
        let queued = Some(outbox.borrow().queued);
        let report = health_report(&config, &health.borrow_and_update(), queued);
        match pos.report_devices(&report).await {
            Ok(()) => last_error = None,
            Err(PosError::Unsupported { .. }) => return, // e.g. Tryton: nothing to report to
            Err(e) => {
                let e = e.to_string();
                if last_error.as_ref() != Some(&e) {
                    tracing::warn!("device health not reported to the POS: {e}");
                }
                last_error = Some(e);
            }
        }
        // Ends when the supervisor is gone; a timeout just re-sends the same report.
        if let Ok(Err(_)) = tokio::time::timeout(HEALTH_REPORT_EVERY, health.changed()).await {
            return;
        }
    }
}
