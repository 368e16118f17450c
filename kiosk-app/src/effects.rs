//! Performs the session's effects against the real services: the store (journaled before
//! and after every step), the payment desk on the supervisor's terminal, the print queue and
//! the POS link. Each effect answers with one [`Outcome`]; failures become outcomes the
//! customer can be told about, never panics.

use std::sync::Arc;

use kiosk_domain::{Menu, Order, OrderEvent, OrderId, OrderState, TableId};

use kiosk_drivers::gpio::patterns::Sound;
use kiosk_drivers::gpio::service::GpioCommand;
use tokio::sync::{mpsc, oneshot};

use crate::config::OperatorConfig;
use crate::payment_desk::{Means, PayResult, with_desk};
use crate::pos::delivery::OutboxHandle;
use crate::printing::PrintHandle;
use crate::store_thread::StoreHandle;
use crate::supervisor::SharedTerminal;
use kiosk_clock::StoreClock;
use kiosk_domain::DeviceSetting;
use kiosk_pos::{AnyPos, PosAdapter, call_staff_with_retry};
use kiosk_session::{Cue, DayLine, Effect, JournalLine, Outcome, Payment};
use kiosk_store::{Actor, PrintKind, Store, StoreError};

/// How many approvals the operator's journal shows.
const JOURNAL_ROWS: u32 = 30;
/// How many of today's orders the receipt journal shows.
const DAY_ORDER_ROWS: u32 = 100;

/// Everything the session's effects touch. Cheap to clone; one per device.
#[derive(Clone)]
pub struct Runner {
    pub store: StoreHandle,
    pub clock: StoreClock,
    pub terminal: Option<SharedTerminal>,
    pub printing: Option<PrintHandle>,
    pub pos: Option<Arc<AnyPos>>,
    pub outbox: Option<OutboxHandle>,
    pub operator: OperatorConfig,
    /// The GPIO service's light and buzzer, when pins are configured.
    pub gpio: Option<mpsc::UnboundedSender<GpioCommand>>,
    /// Printed with every order the kiosk commits, in the committing transaction: the
    /// order-number slip (see [`crate::config::ReceiptConfig::order_slip`]), or nothing.
    pub commit_prints: Vec<PrintKind>,
    /// The card charge in progress, for the customer's cancel on the screen.
    pub charge_abort: ChargeAbort,
}

/// The card charge the customer may cancel on the screen. The cancel is performed beside
/// the effect worker (which is busy with the charge), so it may come before the charge has
/// started: then the charge is not started at all.
/// A charge attempt: the order and the session's count of attempts (an order declined and
/// charged again is another attempt, which an earlier cancel must not reach).
type ChargeKey = (OrderId, u32);

#[derive(Clone, Default)]
pub struct ChargeAbort(Arc<std::sync::Mutex<AbortState>>);

#[derive(Default)]
enum AbortState {
    #[default]
    Idle,
    /// `order`'s charge is under way; sending on the channel abandons it.
    Armed(ChargeKey, oneshot::Sender<()>),
    /// The customer cancelled `order`'s charge before it started.
    Requested(ChargeKey),
    /// `order`'s charge has its outcome (a cancel that crossed it finds nothing to do).
    Ended(ChargeKey),
}

impl ChargeAbort {
    fn state(&self) -> std::sync::MutexGuard<'_, AbortState> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `order`'s charge starts: what abandons it, or `None` when the customer already
    /// cancelled it.
    fn arm(&self, order: ChargeKey) -> Option<oneshot::Receiver<()>> {
        let mut state = self.state();
        if matches!(*state, AbortState::Requested(o) if o == order) {
            *state = AbortState::Idle;
            return None;
        }
        let (tx, rx) = oneshot::channel();
        *state = AbortState::Armed(order, tx);
        Some(rx)
    }

    /// `order`'s charge has its outcome.
    fn disarm(&self, order: ChargeKey) {
        *self.state() = AbortState::Ended(order);
    }

    /// The customer cancelled `order`'s charge.
    fn fire(&self, order: ChargeKey) {
        let mut state = self.state();
        match &*state {
            AbortState::Armed(o, _) if *o == order => {
                if let AbortState::Armed(_, tx) = std::mem::replace(&mut *state, AbortState::Ended(order)) {
                    let _ = tx.send(());
                }
            }
            // Another charge's, or this one's already over: nothing to abandon.
            AbortState::Armed(..) => {}
            AbortState::Ended(o) if *o == order => {}
            // Not started yet (the worker has not taken the charge): it never starts.
            _ => *state = AbortState::Requested(order),
        }
    }
}

impl Runner {
    async fn store<R: Send + 'static>(&self, f: impl FnOnce(&mut Store) -> R + Send + 'static) -> R {
        self.store.run(f).await
    }

    /// The rounds `table` still owes for, as the store holds them. Blocks (the UI thread).
    pub fn open_tab(&self, table: &TableId) -> Result<Vec<Order>, StoreError> {
        let table = table.clone();
        self.store.run_blocking(move |s| s.open_tab(&table))
    }

    pub async fn perform(&self, effect: Effect) -> Option<Outcome> {
        let now = self.clock.now_ms();
        match effect {
            Effect::Checkout { order, payment, attempt } => {
                Some(self.checkout(order, payment, attempt).await)
            }
            Effect::AbortCharge { order, attempt } => {
                self.charge_abort.fire((order, attempt));
                None
            }
            Effect::Abandon(id) => {
                self.abandon(id, now).await;
                self.release_coupon_now(id).await;
                None
            }
            Effect::CheckCoupon { code } => Some(self.check_coupon(code).await),
            Effect::FindStampCard { phone } => Some(self.find_stamp_card(phone).await),
            Effect::SendRound(order) => Some(self.send_round(order).await),
            Effect::PrintReceipt(id) => {
                Some(Outcome::Printed { ok: self.print(Some(id), PrintKind::Receipt, Actor::Customer).await })
            }
            Effect::Reprint(id) => Some(Outcome::Reprinted {
                ok: self.print(Some(id), PrintKind::Receipt, Actor::Operator).await,
            }),
            Effect::PrinterTest => {
                Some(Outcome::Printed { ok: self.print(None, PrintKind::TestPage, Actor::Operator).await })
            }
            Effect::LoadOrders => Some(self.day_orders().await),
            // Focus and speech belong to the screen, which performs them itself.
            Effect::Focus(_) | Effect::Voice { .. } | Effect::Announce(_) | Effect::Silence => None,
            Effect::CallStaff { id, reason, table } => {
                let ok = match &self.pos {
                    Some(pos) => call_staff_with_retry(pos, id, table.as_deref(), reason).await,
                    None => {
                        tracing::warn!("staff call: no POS is configured to call staff through");
                        false
                    }
                };
                Some(Outcome::StaffCalled { reason, ok })
            }
            Effect::VerifyPin(pin) => {
                let operator = self.operator.clone();
                // argon2 takes tens of milliseconds by design: off the async threads.
                let ok =
                    tokio::task::spawn_blocking(move || operator.verify_pin(&pin)).await.unwrap_or(false);
                Some(Outcome::PinChecked(ok))
            }
            Effect::SaveSetting(setting) => Some(self.save_setting(setting).await),
            Effect::LoadJournal => match self.store(|s| s.recent_approvals(JOURNAL_ROWS)).await {
                Ok(rows) => Some(Outcome::Journal(
                    rows.into_iter()
                        .map(|r| JournalLine {
                            order: r.order_id,
                            number: r.number,
                            amount: r.amount,
                            approval_no: r.approval_no,
                            at: self.clock.local_datetime(r.approved_at_ms),
                            reversed: r.reversed,
                        })
                        .collect(),
                )),
                Err(e) => Some(Outcome::Failed { what: format!("reading the payment journal: {e}") }),
            },
            Effect::CancelApproval(order) => Some(self.cancel_approval(order).await),
            Effect::CloseTab(table) => {
                let closing = table.clone();
                Some(match self.store(move |s| s.close_tab(&closing, Actor::Operator, now)).await {
                    Ok(()) => Outcome::TabClosed,
                    Err(e) => Outcome::Failed { what: format!("closing table {}'s tab: {e}", table.0) },
                })
            }
            Effect::Sound(cue) => {
                let sound = match cue {
                    Cue::IdleWarning => Sound::Attention,
                };
                if let Some(gpio) = &self.gpio {
                    let _ = gpio.send(GpioCommand::Play(sound));
                }
                None
            }
            Effect::SetSoldOut { item, sold_out } => {
                let marked = item.clone();
                let result = self
                    .store(move |s| {
                        s.set_sold_out(&marked, sold_out, Actor::Operator, now)?;
                        s.load_menu()
                    })
                    .await;
                match result {
                    Ok(Some(cached)) => Some(Outcome::Menu(Arc::new(cached.menu))),
                    Ok(None) => None,
                    Err(e) => Some(Outcome::Failed { what: format!("marking {item} sold out: {e}") }),
                }
            }
        }
    }

    async fn save_setting(&self, setting: DeviceSetting) -> Outcome {
        let now = self.clock.now_ms();
        let kept = setting.clone();
        if let Err(e) = self.store(move |s| s.set_device_setting(&kept, Actor::Operator, now)).await {
            return Outcome::Failed { what: format!("saving the setting {setting:?}: {e}") };
        }
        // The POS hands each table to one device.
        let (problem, table_taken) = match (&setting, &self.pos) {
            (DeviceSetting::Table(table), Some(pos)) => match pos.claim_table(table).await {
                Ok(()) => (None, Some(false)),
                Err(e) => (Some(e.to_string()), e.is_table_taken().then_some(true)),
            },
            _ => (None, None),
        };
        Outcome::SettingSaved { problem, table_taken }
    }

    /// The operator's cancel of an approval, through the supervisor's terminal. The desk
    /// journals the cancel before and after the terminal is asked.
    async fn cancel_approval(&self, order: OrderId) -> Outcome {
        let Some(shared) = &self.terminal else {
            return Outcome::ApprovalCancelled { order, ok: false };
        };
        let result = with_desk(shared, self.store.clone(), self.clock.clone(), async |desk| {
            desk.cancel_payment(order).await
        })
        .await;
        let ok = match result {
            Some(Ok(ok)) => ok,
            Some(Err(e)) => {
                tracing::error!("cancelling the approval of order {order}: {e}");
                false
            }
            None => false,
        };
        tracing::info!(
            "operator cancel of order {order}'s approval: {}",
            if ok { "reversed" } else { "failed" }
        );
        // The reversal queued a refund for the POS in its own transaction: send it now.
        if let (true, Some(outbox)) = (ok, &self.outbox) {
            outbox.order_committed();
        }
        Outcome::ApprovalCancelled { order, ok }
    }

    /// The menu as stored (with sold-out marks). Blocks (the UI thread, start-up).
    pub fn menu(&self) -> Result<Option<Menu>, StoreError> {
        Ok(self.store.run_blocking(|s| s.load_menu())?.map(|c| c.menu))
    }

    async fn abandon(&self, id: OrderId, now: i64) {
        let result = self
            .store(move |s| match s.order_state(id) {
                Ok(OrderState::Draft | OrderState::PaymentDeclined) => {
                    s.apply_event(id, OrderEvent::Cancel, Actor::Customer, now).map(|_| ())
                }
                Ok(_) | Err(StoreError::NoSuchOrder(_)) => Ok(()),
                Err(e) => Err(e),
            })
            .await;
        if let Err(e) = result {
            tracing::error!("cancelling the abandoned draft {id}: {e}");
        }
    }

    /// The stamp card of a number, from the store server. The number is sent, never kept or
    /// logged.
    async fn find_stamp_card(&self, phone: kiosk_session::messages::Phone) -> Outcome {
        let Some(pos) = &self.pos else { return Outcome::StampCard(None) };
        match pos.stamp_card(&phone.0).await {
            Ok(card) => Outcome::StampCard(Some(card)),
            Err(e) => {
                tracing::warn!("stamps: the POS could not look the card up: {}", e.kind());
                Outcome::StampCard(None)
            }
        }
    }

    /// What the store server says of a coupon (nothing is held yet).
    async fn check_coupon(&self, code: String) -> Outcome {
        let answer = match &self.pos {
            None => Err(None),
            Some(pos) => pos.check_coupon(&code).await.map(|(_, terms)| terms).map_err(|e| {
                let refusal = e.coupon_refusal(kiosk_domain::Money::ZERO);
                if refusal.is_none() {
                    tracing::warn!("coupon {code}: the POS could not say: {e}");
                }
                refusal
            }),
        };
        Outcome::CouponChecked { code, answer }
    }

    /// Holds the order's coupon at the store server before it is charged, journaled before
    /// and after. Refused, or without a clear answer, the draft is cancelled, which releases
    /// any hold that may stand (the outbox worker tells the server).
    async fn hold_coupon(
        &self,
        id: OrderId,
        coupon: &kiosk_domain::Coupon,
        subtotal: kiosk_domain::Money,
    ) -> Result<(), Option<kiosk_domain::CouponRefusal>> {
        let Some(pos) = &self.pos else { return Err(None) };
        let code = coupon.code.clone();
        let now = self.clock.now_ms();
        if let Err(e) = self.store(move |s| s.coupon_asking(id, &code, now)).await {
            tracing::error!("order {id}: journaling the coupon: {e}");
            return Err(None);
        }
        let answer = pos.hold_coupon(&coupon.code, id, subtotal).await;
        let held = answer.is_ok();
        let refused = answer.as_ref().err().and_then(|e| e.coupon_refusal(coupon.terms.min_order));
        if held || refused.is_some() {
            let now = self.clock.now_ms();
            if let Err(e) = self.store(move |s| s.coupon_answered(id, held, now)).await {
                tracing::error!("order {id}: journaling the coupon's answer: {e}");
            }
        }
        match answer {
            Ok(_) => Ok(()),
            Err(e) => {
                tracing::warn!("order {id}: coupon {}: {e}", coupon.code);
                self.abandon(id, self.clock.now_ms()).await;
                self.release_coupon_now(id).await; // the hold, if one may stand
                Err(refused)
            }
        }
    }

    /// Releases the coupon hold of an order just ended before the next effect runs (the draft
    /// that replaces it may hold the same coupon); left to the outbox worker's retries when
    /// the store server cannot be reached.
    async fn release_coupon_now(&self, id: OrderId) {
        let (Some(pos), Ok(Some(hold))) = (&self.pos, self.store(move |s| s.coupon_release_of(id)).await)
        else {
            return;
        };
        match pos.release_coupon(&hold.code, id).await {
            Ok(()) => {
                let now = self.clock.now_ms();
                if let Err(e) = self.store(move |s| s.coupon_released(id, now)).await {
                    tracing::error!("order {id}: journaling the coupon's release: {e}");
                }
            }
            Err(e) => {
                tracing::warn!(
                    "order {id}: releasing coupon {}: {e}; the outbox worker tries again",
                    hold.code
                );
                if let Some(outbox) = &self.outbox {
                    outbox.order_committed();
                }
            }
        }
    }

    /// Stores the order once (a retry after a decline reuses it).
    async fn store_draft(&self, mut order: Order) -> Result<u32, StoreError> {
        let now = self.clock.now_ms();
        let day = self.clock.business_day(now);
        self.store(move |s| match s.load_order(order.id)? {
            Some(stored) => Ok(stored.number),
            None => s.create_order(&mut order, &day, Actor::Customer, now).map(|_| order.number),
        })
        .await
    }

    async fn commit(&self, id: OrderId) -> Result<(), StoreError> {
        let now = self.clock.now_ms();
        let prints = self.commit_prints.clone();
        self.store(move |s| s.commit_order(id, &prints, Actor::Customer, now)).await?;
        if let Some(outbox) = &self.outbox {
            outbox.order_committed();
        }
        if !self.commit_prints.is_empty()
            && let Some(printing) = &self.printing
        {
            printing.poke();
        }
        Ok(())
    }

    async fn checkout(&self, order: Order, payment: Payment, attempt: u32) -> Outcome {
        let id = order.id;
        let coupon = order.coupon.clone().map(|c| (c, order.totals.subtotal()));
        let number = match self.store_draft(order).await {
            Ok(n) => n,
            Err(e) => return Outcome::Failed { what: format!("storing order {id}: {e}") },
        };
        if let Some((coupon, subtotal)) = coupon
            && let Err(refusal) = self.hold_coupon(id, &coupon, subtotal).await
        {
            return Outcome::CouponRefused { order: id, refusal };
        }
        let means = match payment {
            Payment::Counter => {
                return match self.commit(id).await {
                    Ok(()) => Outcome::Committed { order: id, number },
                    Err(e) => Outcome::Failed { what: format!("committing order {id}: {e}") },
                };
            }
            Payment::Card { months: 0 } => Means::Card,
            Payment::Card { months } => Means::Instalments(months),
            Payment::Barcode(code) => Means::Barcode(code),
        };
        let Some(shared) = &self.terminal else {
            return Outcome::Declined { order: id, message: "no card terminal".into() };
        };
        let Some(abort) = self.charge_abort.arm((id, attempt)) else {
            tracing::info!("order {id}: the customer cancelled before the charge started");
            return Outcome::Aborted { order: id };
        };
        let abort = async {
            // A dropped sender (the charge ended) never abandons anything.
            if abort.await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        let paid = with_desk(shared, self.store.clone(), self.clock.clone(), async |desk| {
            desk.pay_until(id, &means, abort).await
        })
        .await;
        self.charge_abort.disarm((id, attempt));
        let Some(result) = paid else {
            return Outcome::Declined {
                order: id,
                message: "결제 단말기가 연결되어 있지 않습니다 / The card reader is not connected".into(),
            };
        };
        match result {
            Ok(PayResult::Approved(_)) => match self.commit(id).await {
                Ok(()) => Outcome::Committed { order: id, number },
                // The approval is journaled: start-up recovery completes or cancels it.
                Err(e) => Outcome::Failed { what: format!("committing paid order {id}: {e}") },
            },
            Ok(PayResult::Declined { message, .. }) => Outcome::Declined { order: id, message },
            Ok(PayResult::Aborted) => Outcome::Aborted { order: id },
            Ok(PayResult::Unresolved) => Outcome::Unresolved { order: id, number },
            Err(e) => Outcome::Failed { what: format!("paying order {id}: {e}") },
        }
    }

    async fn send_round(&self, order: Order) -> Outcome {
        let id = order.id;
        let stored = async {
            self.store_draft(order).await?;
            self.commit(id).await?;
            self.store(move |s| s.load_order(id)).await?.ok_or(StoreError::NoSuchOrder(id))
        }
        .await;
        match stored {
            Ok(order) => Outcome::RoundSent(Box::new(order)),
            Err(e) => Outcome::Failed { what: format!("sending round {id}: {e}") },
        }
    }

    /// Today's orders (the store's business day), for the operator's receipt journal.
    async fn day_orders(&self) -> Outcome {
        let day = self.clock.business_day(self.clock.now_ms());
        match self.store(move |s| s.orders_of_day(&day, DAY_ORDER_ROWS)).await {
            Ok(rows) => Outcome::Orders(
                rows.into_iter()
                    .map(|o| DayLine {
                        order: o.id,
                        number: o.number,
                        total: o.total,
                        at: self.clock.local_datetime(o.created_at_ms).split_off(11),
                        settlement: o.settlement,
                        undone: !o.state.is_committed(),
                    })
                    .collect(),
            ),
            Err(e) => Outcome::Failed { what: format!("reading today's orders: {e}") },
        }
    }

    /// Queues a printout; false when there is no printer to print it.
    async fn print(&self, order: Option<OrderId>, kind: PrintKind, actor: Actor) -> bool {
        let Some(printing) = &self.printing else { return false };
        let now = self.clock.now_ms();
        match self.store(move |s| s.queue_print(order, kind, actor, now)).await {
            Ok(_) => {
                printing.poke();
                true
            }
            Err(e) => {
                tracing::error!("queueing a {}: {e}", kind.as_str());
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(n: u128, attempt: u32) -> ChargeKey {
        (OrderId(uuid::Uuid::from_u128(n)), attempt)
    }

    #[test]
    fn a_cancel_reaches_its_own_charge_attempt_only() {
        let abort = ChargeAbort::default();
        // under way: the cancel abandons it
        let mut rx = abort.arm(attempt(1, 1)).expect("armed");
        abort.fire(attempt(2, 1));
        assert!(rx.try_recv().is_err(), "another order's cancel");
        abort.fire(attempt(1, 1));
        assert!(rx.try_recv().is_ok());
        abort.disarm(attempt(1, 1));
        // a cancel that crossed the attempt's outcome leaves the next attempt alone
        abort.fire(attempt(1, 1));
        assert!(abort.arm(attempt(1, 2)).is_some(), "the retry is charged");
        abort.disarm(attempt(1, 2));
        // the same order charged again, cancelled before the worker took it: never starts
        abort.fire(attempt(1, 3));
        assert!(abort.arm(attempt(1, 3)).is_none(), "the retry's own cancel");
        // the customer cancelled before the worker took the charge: it never starts
        abort.fire(attempt(3, 4));
        assert!(abort.arm(attempt(3, 4)).is_none());
        assert!(abort.arm(attempt(3, 5)).is_some(), "only that attempt");
    }
}
