//! `[telemetry]`: the device's health to the chain's MQTT broker. [`kiosk_fleet::telemetry`]
//! decides what goes out and holds it until the broker acknowledges it; this moves the
//! bytes with rumqttc (MQTT 3.1.1, QoS 1, plain or TLS with the pinned certificate or the
//! system's CA roots, the device's own credentials, a retained "offline" as its last will)
//! and builds the snapshots from what the supervisor, the printer, the POS link and the
//! store report.
//!
//! Each connection gets a client of its own: what a dead connection had not written dies
//! with it, and the core hands its unacknowledged messages to the next one, so a broker
//! that restarts loses nothing and a message is never matched to another's packet id.

use std::time::Duration;

use anyhow::{Context, Result};
use kiosk_clock::unix_now_ms;
use kiosk_config::{Config, TelemetryConfig};
use kiosk_fleet::telemetry::{Health, PosState, Snapshot, Telemetry, Topics, WINDOW};
use kiosk_session::status::{KioskMode, kiosk_mode};
use rumqttc::{AsyncClient, ConnectionError, Event, LastWill, MqttOptions, Outgoing, Packet, QoS, Transport};
use tokio::sync::{mpsc, watch};

use crate::pos::delivery::OutboxView;
use crate::pos::sync::PosView;
use crate::printing::PrinterHealth;
use crate::store_thread::StoreHandle;
use crate::supervisor::HealthMap;

/// The broker marks the device offline (its will) once it has heard nothing for 1.5 times this.
const KEEP_ALIVE: Duration = Duration::from_secs(30);
/// Reconnection backoff: from the first to the last, doubling.
const FIRST_RETRY: Duration = Duration::from_secs(1);
const LAST_RETRY: Duration = Duration::from_secs(60);
/// Changes closer together than this go out as one snapshot.
const SETTLE: Duration = Duration::from_millis(200);

/// How the telemetry link is doing, for the tests and the fleet benchmark; the log tells the
/// operator the same (a connection, each new error once, a refusal once).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkStatus {
    pub connected: bool,
    /// The broker's refusal (wrong credentials, …), while it refuses.
    pub refused: Option<String>,
    pub delivered: u64,
    pub dropped: u64,
    pub queued: usize,
}

fn link_status(core: &Telemetry, connected: bool, refused: &Option<String>) -> LinkStatus {
    let counts = core.counts();
    LinkStatus {
        connected,
        refused: refused.clone(),
        delivered: counts.delivered,
        dropped: counts.dropped,
        queued: counts.queued,
    }
}

/// What rumqttc's connection error means for the operator.
fn describe(e: &ConnectionError) -> (bool, String) {
    use rumqttc::ConnectReturnCode as Code;
    match e {
        ConnectionError::ConnectionRefused(code) => {
            let why = match code {
                Code::BadUserNamePassword | Code::NotAuthorized => {
                    "the broker refused this device's credentials: check [telemetry] username and password"
                        .to_owned()
                }
                other => format!("the broker refused the connection ({other:?})"),
            };
            (true, why)
        }
        other => (false, other.to_string()),
    }
}

fn options(config: &TelemetryConfig, will: &kiosk_fleet::telemetry::Message) -> Result<MqttOptions> {
    let client_id = config.username.clone();
    let mut options = MqttOptions::new(client_id, config.host.clone(), config.port);
    options.set_keep_alive(KEEP_ALIVE).set_clean_session(true).set_last_will(LastWill::new(
        will.topic.clone(),
        will.payload.clone(),
        QoS::AtLeastOnce,
        will.retain,
    ));
    // The user name always goes (a broker without passwords may still check it).
    options.set_credentials(config.username.clone(), config.password.clone().unwrap_or_default());
    if config.tls {
        let tls =
            kiosk_link::tls::client_config(config.tls_pin_sha256.as_deref()).context("[telemetry] TLS")?;
        options.set_transport(Transport::tls_with_config(rumqttc::TlsConfiguration::Rustls(tls)));
    }
    Ok(options)
}

/// Publishes `snapshots` to the broker of `config` for store `store`, until the snapshots'
/// sender is gone; `status` follows the link.
pub async fn run(
    config: TelemetryConfig,
    store: &str,
    mut snapshots: watch::Receiver<Snapshot>,
    status: watch::Sender<LinkStatus>,
) -> Result<()> {
    let mut core = Telemetry::new(Topics::new(store, &config.device)?, config.queue);
    let options = options(&config, &core.will())?;
    core.observe(snapshots.borrow_and_update().clone(), unix_now_ms());
    let mut retry = FIRST_RETRY;
    let mut refused: Option<String> = None;
    let mut last_error: Option<String> = None;
    loop {
        let (client, mut connection) = AsyncClient::new(options.clone(), WINDOW);
        let (events_tx, mut events) = mpsc::unbounded_channel();
        let reader = tokio::spawn(async move {
            loop {
                let event = connection.poll().await;
                let end = event.is_err();
                if events_tx.send(event).is_err() || end {
                    return;
                }
            }
        });
        // This connection's life: hand over what may go, note what the broker acknowledges.
        let mut connected_at = None;
        loop {
            while let Some(m) = core.next_message() {
                if client.publish(m.topic, QoS::AtLeastOnce, m.retain, m.payload).await.is_err() {
                    break;
                }
            }
            status.send_if_modified(|s| {
                let new = link_status(&core, s.connected, &refused);
                std::mem::replace(s, new.clone()) != new
            });
            tokio::select! {
                event = events.recv() => match event {
                    Some(Ok(Event::Incoming(Packet::ConnAck(_)))) => {
                        tracing::info!("telemetry: connected to {}:{}", config.host, config.port);
                        connected_at = Some(std::time::Instant::now());
                        refused = None;
                        last_error = None;
                        core.on_connected(unix_now_ms());
                        status.send_modify(|s| s.connected = true);
                    }
                    Some(Ok(Event::Outgoing(Outgoing::Publish(packet_id)))) => core.on_written(packet_id),
                    Some(Ok(Event::Incoming(Packet::PubAck(ack)))) => core.on_acknowledged(ack.pkid),
                    Some(Ok(_)) => {}
                    Some(Err(e)) => {
                        let (is_refusal, why) = describe(&e);
                        if is_refusal {
                            if refused.as_deref() != Some(why.as_str()) {
                                tracing::error!("telemetry: {why}");
                            }
                            refused = Some(why);
                            retry = LAST_RETRY;
                        } else if last_error.as_deref() != Some(why.as_str()) {
                            tracing::warn!("telemetry: {}:{}: {why}; messages wait", config.host, config.port);
                            last_error = Some(why);
                        }
                        // The backoff starts over only after a connection that lasted: a
                        // broker that takes the connection and drops it is not hammered.
                        if connected_at.is_some_and(|t: std::time::Instant| t.elapsed() >= KEEP_ALIVE) {
                            retry = FIRST_RETRY;
                        }
                        break;
                    }
                    None => break,
                },
                changed = snapshots.changed() => {
                    if changed.is_err() {
                        reader.abort();
                        return Ok(());
                    }
                    core.observe(snapshots.borrow_and_update().clone(), unix_now_ms());
                }
            }
        }
        reader.abort();
        core.on_disconnected();
        status.send_replace(link_status(&core, false, &refused));
        // Away from the broker, the snapshots still count: their events queue.
        let until = tokio::time::Instant::now() + retry;
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(until) => break,
                changed = snapshots.changed() => {
                    if changed.is_err() {
                        return Ok(());
                    }
                    core.observe(snapshots.borrow_and_update().clone(), unix_now_ms());
                }
            }
        }
        retry = (retry * 2).min(LAST_RETRY);
    }
}

/// The kiosk's mode as the schema names it.
fn mode_name(mode: &KioskMode) -> &'static str {
    match mode {
        KioskMode::Normal => "normal",
        KioskMode::PayAtCounterOnly => "counter_only",
        KioskMode::NoPrinting => "no_printing",
        KioskMode::OutOfService { .. } => "out_of_service",
    }
}

/// What a device's parts report, for [`spawn`].
pub struct Sources {
    pub health: watch::Receiver<HealthMap>,
    pub printer: Option<watch::Receiver<PrinterHealth>>,
    pub pos: Option<watch::Receiver<PosView>>,
    pub outbox: Option<watch::Receiver<OutboxView>>,
    pub store: StoreHandle,
}

/// What does not change while the process runs: read once, not with every snapshot.
struct Fixed {
    /// The version, the slot and the role, the rest empty.
    snapshot: Snapshot,
    peripherals: kiosk_session::status::Peripherals,
}

impl Fixed {
    fn of(config: &Config) -> Fixed {
        let snapshot = Snapshot {
            version: crate::update::running_version(),
            slot: crate::update::running_slot_name(),
            role: config.role.as_str().to_owned(),
            ..Snapshot::default()
        };
        Fixed { snapshot, peripherals: crate::profile::peripherals(config) }
    }
}

/// The device now; marks every source's value seen. `orders` is what the store said last,
/// kept when it cannot be read now (a read error is not "no orders").
async fn snapshot(fixed: &Fixed, sources: &mut Sources, orders: (u64, Option<i64>)) -> Snapshot {
    use kiosk_drivers::printer::status::PaperLevel;
    let health = sources.health.borrow_and_update().clone();
    let devices = health
        .iter()
        .map(|(name, h)| {
            let state = h.state.as_str().to_owned();
            ((*name).to_owned(), Health { state, reason: h.reason.clone(), since_ms: h.since_ms })
        })
        .collect();
    let paper = sources.printer.as_mut().and_then(|p| match &*p.borrow_and_update() {
        PrinterHealth::Online(s) => Some(
            match s.paper {
                PaperLevel::Out => "out",
                PaperLevel::NearEnd => "near_end",
                PaperLevel::Ok => "ok",
            }
            .to_owned(),
        ),
        _ => None,
    });
    let pos = sources.pos.as_mut().map(|v| {
        let v = v.borrow_and_update();
        PosState { reachable: v.reachable, store_open: v.store_open }
    });
    let outbox = sources.outbox.as_mut().map(|o| o.borrow_and_update().clone()).unwrap_or_default();
    let (orders_total, last_order_ms) =
        sources.store.run(|s| s.orders_committed()).await.unwrap_or_else(|e| {
            tracing::warn!("telemetry: reading the order count: {e}");
            orders
        });
    let mode = kiosk_mode(&fixed.peripherals, &health);
    Snapshot {
        mode: mode_name(&mode).to_owned(),
        devices,
        paper,
        pos,
        queued_orders: outbox.queued,
        set_aside_orders: outbox.set_aside,
        orders_total,
        last_order_ms,
        ..fixed.snapshot.clone()
    }
}

/// Waits for a change of an optional source; one that is gone (or absent) never changes.
async fn changed<T>(source: &mut Option<watch::Receiver<T>>) {
    match source.as_mut() {
        Some(rx) => {
            if rx.changed().await.is_err() {
                *source = None;
                std::future::pending::<()>().await;
            }
        }
        None => std::future::pending::<()>().await,
    }
}

/// Starts publishing when the configuration has `[telemetry]`: a snapshot after every
/// change any source reports (an order shows in the outbox's view), settled for
/// [`SETTLE`].
pub fn spawn(config: &Config, mut sources: Sources) {
    let Some(telemetry) = config.telemetry.clone() else { return };
    let (status, _) = watch::channel(LinkStatus::default());
    let (fixed, store) = (Fixed::of(config), config.store.id.clone());
    tokio::spawn(async move {
        let (snapshots, snapshots_rx) = watch::channel(snapshot(&fixed, &mut sources, (0, None)).await);
        tokio::spawn(async move {
            if let Err(e) = run(telemetry, &store, snapshots_rx, status).await {
                tracing::error!("telemetry: not started: {e:#}");
            }
        });
        loop {
            tokio::select! {
                r = sources.health.changed() => if r.is_err() { return },
                _ = changed(&mut sources.printer) => {}
                _ = changed(&mut sources.pos) => {}
                _ = changed(&mut sources.outbox) => {}
                _ = snapshots.closed() => return,
            }
            tokio::time::sleep(SETTLE).await;
            let orders = {
                let now = snapshots.borrow();
                (now.orders_total, now.last_order_ms)
            };
            let next = snapshot(&fixed, &mut sources, orders).await;
            snapshots.send_if_modified(|s| std::mem::replace(s, next.clone()) != next);
        }
    });
}
