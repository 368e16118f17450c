//! `kiosk run`: the device service. Starts the supervisor (printer, terminal, scanner),
//! reconciles payments with the terminal before any customer, and reports device health and
//! scans as they come. The touch UI, when it arrives, takes its state from here.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};

use crate::clock::StoreClock;
use crate::config::Config;
use crate::payments::PaymentDesk;
use crate::store::Store;
use crate::supervisor::{SharedTerminal, Supervisor, kiosk_mode};

/// How long start-up waits for the terminal before leaving reconciliation to later.
const TERMINAL_WAIT: Duration = Duration::from_secs(5);

pub async fn run(config: Config, once: bool) -> Result<()> {
    let store = Store::open(config.database_path()).context("opening the store")?;
    let store = Arc::new(Mutex::new(store));
    let clock = StoreClock::new(&config.time_zone);
    let mut sup = Supervisor::start(&config, store.clone());

    if let Some(terminal) = sup.terminal.clone()
        && !reconcile(&terminal, store.clone(), &clock).await
    {
        if once {
            tracing::warn!("the terminal did not answer: payments are not reconciled yet");
        } else {
            // keep trying in the background; an order left ambiguous cannot be charged again
            // meanwhile, since the lifecycle holds it
            let store = store.clone();
            let clock = clock.clone();
            tokio::spawn(async move {
                while !reconcile(&terminal, store.clone(), &clock).await {
                    tokio::time::sleep(TERMINAL_WAIT).await;
                }
            });
        }
    }
    if once {
        return Ok(());
    }

    tracing::info!("running (stop with Ctrl-C or SIGTERM)");
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
                    if mode == crate::supervisor::KioskMode::Normal {
                        tracing::info!("kiosk mode: {mode:?}");
                    } else {
                        tracing::warn!("kiosk mode: {mode:?}");
                    }
                    last_mode = Some(mode);
                }
            }
            scan = async { match scans.as_mut() { Some(s) => s.recv().await, None => std::future::pending().await } } => {
                match scan {
                    Some(event) => tracing::info!("scan: {event:?}"),
                    None => scans = None,
                }
            }
            _ = tokio::signal::ctrl_c() => return Ok(()),
            _ = term.recv() => return Ok(()),
        }
    }
}

/// Start-up payment recovery through the supervisor's terminal connection. True when done.
async fn reconcile(terminal: &SharedTerminal, store: Arc<Mutex<Store>>, clock: &StoreClock) -> bool {
    let deadline = tokio::time::Instant::now() + TERMINAL_WAIT;
    loop {
        {
            let mut guard = terminal.lock().await;
            if let Some(t) = guard.take() {
                let mut desk = PaymentDesk::new(store.clone(), t);
                let result = desk.recover(clock.now_ms()).await;
                *guard = Some(desk.into_terminal());
                match result {
                    Ok(report) => {
                        tracing::info!("payments reconciled: {report:?}");
                        return report.still_unknown == 0;
                    }
                    Err(e) => {
                        tracing::error!("payment recovery: {e}");
                        return false;
                    }
                }
            }
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
