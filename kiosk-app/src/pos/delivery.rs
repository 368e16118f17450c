//! The outbox worker: delivers committed orders to the POS, exactly once and in commit
//! order, however long the POS is away.
//!
//! - Every attempt is journaled before it is made (`outbox_begin_send`), so a crash
//!   between sending and hearing back simply sends the same key again.
//! - Ambiguous failures (timeout, reset after sending) are retried with the *same* key and
//!   payload; the POS answers "duplicate" if the first attempt arrived, which counts as
//!   delivered.
//! - Delivery is head-of-line: order N+1 is not sent before order N is acknowledged, so the
//!   kitchen sees orders in the order customers paid. An order the POS refuses for good is
//!   set aside for staff (not lost) so it cannot block the queue.
//! - Retries back off exponentially to a cap, with jitter so that a shop's devices do not
//!   come back in lock-step after an outage; the sync task wakes the worker at once when the
//!   POS is reachable again.
//! - Refunds (an approval reversed after its order was committed) follow the orders: each
//!   is sent once the POS has its order, by its own id, with the same retry rules.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use rand::Rng;
use tokio::sync::{Notify, watch};

use kiosk_clock::unix_now_ms;
use kiosk_pos::{PosAdapter, PosError};
use kiosk_store::{OutboxEntry, Store, StoreError};

use crate::store_thread::StoreHandle;

/// Capped exponential backoff with "equal jitter": half of each delay is fixed, half random.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff { base: Duration::from_millis(500), cap: Duration::from_secs(30) }
    }
}

impl Backoff {
    /// The wait after the `failures`-th failure in a row; `unit_random` is in `[0, 1)`.
    pub fn delay(&self, failures: u32, unit_random: f64) -> Duration {
        let exp = self.base.saturating_mul(1u32 << failures.saturating_sub(1).min(20));
        let full = exp.min(self.cap);
        full / 2 + full.mul_f64(unit_random.clamp(0.0, 1.0) / 2.0)
    }
}

/// What the UI and the operator see of the link.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboxView {
    /// Orders committed and not yet acknowledged by the POS.
    pub queued: u64,
    /// Orders the POS refused for good, waiting for staff.
    pub set_aside: u64,
    /// Why the last attempt failed, while it keeps failing.
    pub last_error: Option<String>,
    pub delivered_total: u64,
}

/// Wakes the worker and reads its view; cheap to clone.
#[derive(Clone)]
pub struct OutboxHandle {
    wake: Arc<Notify>,
    retry_now: Arc<AtomicBool>,
    view: watch::Receiver<OutboxView>,
}

impl OutboxHandle {
    /// A new order (or refund) is in the outbox: send it now unless the queue is waiting out
    /// a backoff.
    pub fn order_committed(&self) {
        self.wake.notify_one();
    }

    /// The POS answered again (e.g. the update stream reconnected): retry the head now.
    pub fn pos_reachable(&self) {
        self.retry_now.store(true, Ordering::SeqCst);
        self.wake.notify_one();
    }

    pub fn view(&self) -> watch::Receiver<OutboxView> {
        self.view.clone()
    }
}

pub struct OutboxWorker<A> {
    store: StoreHandle,
    pos: Arc<A>,
    backoff: Backoff,
    wake: Arc<Notify>,
    retry_now: Arc<AtomicBool>,
    view: watch::Sender<OutboxView>,
}

/// How often an idle worker looks at the outbox without being woken. Every commit in this
/// process wakes it, and it reads the outbox when it starts; this only catches a commit that
/// could not (another process writing to the store), so it is rare: an idle kiosk sleeps.
const IDLE_RECHECK: Duration = Duration::from_secs(30);

/// Entries read per pass; the head-of-line rule makes larger batches pointless.
const BATCH: u32 = 64;

impl<A: PosAdapter> OutboxWorker<A> {
    pub fn new(store: StoreHandle, pos: Arc<A>, backoff: Backoff) -> (OutboxWorker<A>, OutboxHandle) {
        let wake = Arc::new(Notify::new());
        let retry_now = Arc::new(AtomicBool::new(false));
        let (view, view_rx) = watch::channel(OutboxView::default());
        let handle = OutboxHandle { wake: wake.clone(), retry_now: retry_now.clone(), view: view_rx };
        (OutboxWorker { store, pos, backoff, wake, retry_now, view }, handle)
    }

    async fn with_store<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.store.run(f).await
    }

    async fn publish(&self, last_error: Option<String>) {
        // Refunds count with the orders: queued, or set aside for staff.
        let counts = self
            .with_store(|s| {
                let queued = s.outbox_pending_count()? + s.refunds_pending_count()?;
                Ok((queued, s.outbox_set_aside_list()?.len() as u64 + s.refunds_set_aside_count()?))
            })
            .await;
        if let Ok((queued, set_aside)) = counts {
            self.view.send_modify(|v| {
                v.queued = queued;
                v.set_aside = set_aside;
                v.last_error = last_error;
            });
        }
    }

    /// Runs until the task is dropped.
    pub async fn run(self) {
        loop {
            match self.pass().await {
                Ok(Some(wait)) => {
                    let _ = tokio::time::timeout(wait, self.wake.notified()).await;
                }
                Ok(None) => {
                    // Committers call `order_committed`; the re-check catches any that
                    // could not (another process, a commit during start-up).
                    let _ = tokio::time::timeout(IDLE_RECHECK, self.wake.notified()).await;
                }
                Err(e) => {
                    tracing::error!("outbox: the store failed: {e}; trying again in 1 s");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    /// Releases the coupon holds of orders that were not placed, then delivers the queue;
    /// `Some(wait)`: when to come back.
    pub async fn pass(&self) -> Result<Option<Duration>, StoreError> {
        let releases = self.coupon_releases().await?;
        let orders = self.orders().await?;
        Ok(releases.into_iter().chain(orders).min())
    }

    /// Releases every coupon hold that is due; `Some(wait)` while some wait for a retry.
    /// Holds are independent of one another and of the order queue: no head-of-line rule.
    async fn coupon_releases(&self) -> Result<Option<Duration>, StoreError> {
        let now = unix_now_ms();
        for hold in self.with_store(move |s| s.coupon_releases_due(now, BATCH)).await? {
            let order = hold.order_id;
            match self.pos.release_coupon(&hold.code, order).await {
                Ok(()) => {
                    tracing::info!(%order, "coupon {}: hold released", hold.code);
                    self.with_store(move |s| s.coupon_released(order, unix_now_ms())).await?;
                }
                Err(e) if e.is_transient() => {
                    let delay = self.backoff.delay(hold.attempts + 1, rand::rng().random::<f64>());
                    tracing::warn!(%order, "coupon {}: releasing: {e}; next try in {delay:?}", hold.code);
                    let (why, next) = (e.to_string(), unix_now_ms() + delay.as_millis() as i64);
                    self.with_store(move |s| s.coupon_release_later(order, &why, next)).await?;
                }
                Err(e) => {
                    // Refused for good (the server has no such hold to release): nothing stands.
                    tracing::error!(%order, "coupon {}: the POS refused the release: {e}", hold.code);
                    self.with_store(move |s| s.coupon_released(order, unix_now_ms())).await?;
                }
            }
        }
        let next = self.with_store(|s| s.coupon_release_next_ms()).await?;
        Ok(next.map(|at| Duration::from_millis(at.saturating_sub(unix_now_ms()).max(0) as u64)))
    }

    /// Delivers from the head of the queue until it is empty (`None`) or an attempt fails
    /// or is not yet due (`Some(wait)`).
    async fn orders(&self) -> Result<Option<Duration>, StoreError> {
        loop {
            let queue = self.with_store(|s| s.outbox_queue(BATCH)).await?;
            if queue.is_empty() {
                let wait = self.refunds().await?;
                if wait.is_none() {
                    self.publish(None).await;
                }
                return Ok(wait);
            }
            for entry in queue {
                let now = unix_now_ms();
                let forced = self.retry_now.swap(false, Ordering::SeqCst);
                if entry.next_attempt_ms > now && !forced {
                    return Ok(Some(Duration::from_millis((entry.next_attempt_ms - now) as u64)));
                }
                if let Err(e) = self.attempt(&entry).await? {
                    let failures = entry.attempts + 1;
                    let delay = self.backoff.delay(failures, rand::rng().random::<f64>());
                    let now = unix_now_ms();
                    let why = e.to_string();
                    tracing::warn!(order = %entry.order_id, failures, "outbox: {why}; next try in {delay:?}");
                    let (order, reason) = (entry.order_id, why.clone());
                    self.with_store(move |s| {
                        s.outbox_retry_later(order, &reason, now + delay.as_millis() as i64, now)
                    })
                    .await?;
                    self.publish(Some(why)).await;
                    return Ok(Some(delay));
                }
            }
        }
    }

    /// Delivers the refunds whose orders the POS has, oldest first, until none is left
    /// (`None`) or an attempt fails or is not yet due (`Some(wait)`).
    async fn refunds(&self) -> Result<Option<Duration>, StoreError> {
        for entry in self.with_store(|s| s.refund_queue(BATCH)).await? {
            let now = unix_now_ms();
            let forced = self.retry_now.swap(false, Ordering::SeqCst);
            if entry.next_attempt_ms > now && !forced {
                return Ok(Some(Duration::from_millis((entry.next_attempt_ms - now) as u64)));
            }
            match self.pos.submit_refund(entry.order_id, &entry.payload_json).await {
                Ok(()) => {
                    let entry = entry.clone();
                    self.with_store(move |s| s.refund_delivered(&entry, unix_now_ms())).await?
                }
                Err(e) if !e.is_transient() => {
                    tracing::error!(order = %entry.order_id, "outbox: refund set aside for staff: {e}");
                    let (entry, why) = (entry.clone(), e.to_string());
                    self.with_store(move |s| s.refund_set_aside(&entry, &why, unix_now_ms())).await?;
                }
                Err(e) => {
                    let delay = self.backoff.delay(entry.attempts + 1, rand::rng().random::<f64>());
                    tracing::warn!(order = %entry.order_id, "outbox: refund: {e}; next try in {delay:?}");
                    let next = unix_now_ms() + delay.as_millis() as i64;
                    let (retry, why) = (entry.clone(), e.to_string());
                    self.with_store(move |s| s.refund_retry_later(&retry, &why, next)).await?;
                    self.publish(Some(e.to_string())).await;
                    return Ok(Some(delay));
                }
            }
        }
        Ok(None)
    }

    /// One delivery attempt. The outer error is the store's; the inner one the POS's,
    /// returned only when the entry stays queued.
    async fn attempt(&self, entry: &OutboxEntry) -> Result<Result<(), PosError>, StoreError> {
        let order = entry.order_id;
        match self.with_store(move |s| s.outbox_begin_send(order, unix_now_ms())).await {
            Err(StoreError::NoSuchOrder(_)) => return Ok(Ok(())), // delivered meanwhile
            other => other?,
        }
        match self.pos.submit_order(entry.order_id, &entry.payload_json).await {
            Ok(delivered) => {
                if delivered.duplicate {
                    tracing::info!(order = %entry.order_id, "outbox: the POS already had it (an earlier attempt arrived)");
                }
                let pos_ref = delivered.pos_ref.clone();
                self.with_store(move |s| s.outbox_delivered(order, Some(&pos_ref), unix_now_ms())).await?;
                self.view.send_modify(|v| v.delivered_total += 1);
                Ok(Ok(()))
            }
            Err(e) if !e.is_transient() => {
                tracing::error!(order = %entry.order_id, "outbox: set aside for staff: {e}");
                let why = e.to_string();
                self.with_store(move |s| s.outbox_set_aside(order, &why, unix_now_ms())).await?;
                self.publish(Some(e.to_string())).await;
                Ok(Ok(()))
            }
            Err(e) => Ok(Err(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_the_cap_and_jitters_within_the_upper_half() {
        let b = Backoff { base: Duration::from_millis(100), cap: Duration::from_secs(2) };
        assert_eq!(b.delay(1, 0.0), Duration::from_millis(50));
        assert_eq!(b.delay(1, 0.999_999).as_millis(), 99);
        assert_eq!(b.delay(3, 0.0), Duration::from_millis(200));
        assert_eq!(b.delay(10, 0.0), Duration::from_secs(1), "capped at 2 s, half fixed");
        assert_eq!(b.delay(u32::MAX, 1.0), Duration::from_secs(2));
        for failures in 1..40 {
            assert!(b.delay(failures, 0.5) <= b.cap);
        }
    }
}
