//! Taking payment: every terminal step journaled before it is sent and after it answers,
//! ambiguous outcomes resolved by asking the terminal, and start-up reconciliation.
//!
//! # The recovery rule
//! An approval whose order was not committed (the kiosk crashed, lost power or timed out
//! between the terminal's approval and the commit) is **completed** — the order is committed,
//! queued for the POS and the kitchen, and its receipt and order slip printed — when
//!
//! 1. the approval's amount equals the order's total, and
//! 2. it was journaled at most [`COMPLETE_WINDOW_MS`] (10 minutes) ago: the customer is
//!    plausibly still at the kiosk or waiting for the order.
//!
//! Otherwise it is **cancelled** at the terminal (by approval number), since nobody can be
//! served for it. An ambiguous charge (timeout, lost response, unplugged terminal) is never
//! retried: the terminal's last transaction decides whether it happened (an approval with the
//! order's amount and a number not already in our journal is ours); while the terminal cannot
//! be asked, the order stays `PaymentUnknown` and the kiosk takes no new charge for it.

use std::sync::{Arc, Mutex};

use kiosk_domain::{Approval, OrderEvent, OrderId, OrderState, PaymentOp, PaymentOutcome};
use kiosk_drivers::payment::smartro::client::SmartroTerminal;
use kiosk_drivers::payment::{CancelWhat, ChargeRequest, PaymentTerminal};
use kiosk_drivers::transport::Port;

use crate::supervisor::SharedTerminal;
use kiosk_store::{Actor, PrintKind, Store, StoreError};

/// Approvals journaled at most this long ago are completed by recovery; older ones are
/// cancelled.
pub const COMPLETE_WINDOW_MS: i64 = 10 * 60 * 1000;

/// Printouts of an order completed by recovery.
pub const RECOVERY_PRINTS: [PrintKind; 3] =
    [PrintKind::Receipt, PrintKind::KitchenTicket, PrintKind::OrderSlip];

/// How the customer pays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Means {
    Card,
    /// A wallet barcode (Kakao Pay, Naver Pay…), passed through opaque and never stored.
    Barcode(String),
}

/// What the customer is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayResult {
    /// The order is paid (`PaymentApproved`): commit it.
    Approved(Approval),
    /// Not charged; the customer may try again or pay otherwise.
    Declined { code: String, message: String },
    /// The customer cancelled at the terminal; back to the cart.
    Aborted,
    /// The charge is ambiguous and the terminal cannot tell yet: the order is held and staff
    /// must look. Never charge again for it.
    Unresolved,
}

/// What a reconciliation did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReconcileReport {
    pub interrupted_steps: usize,
    pub resolved_approved: usize,
    pub resolved_not_charged: usize,
    pub still_unknown: usize,
    pub completed: Vec<OrderId>,
    pub cancelled: Vec<OrderId>,
    pub cancel_pending: usize,
}

pub struct PaymentDesk<T> {
    store: Arc<Mutex<Store>>,
    terminal: T,
}

/// Runs `f` with a payment desk on the supervisor's terminal connection, held for the whole
/// of `f` so nothing else talks to the terminal meanwhile. `None` when the terminal is not
/// connected now.
pub async fn with_desk<R>(
    terminal: &SharedTerminal,
    store: Arc<Mutex<Store>>,
    f: impl AsyncFnOnce(&mut PaymentDesk<SmartroTerminal<Port>>) -> R,
) -> Option<R> {
    let mut guard = terminal.lock().await;
    let mut desk = PaymentDesk::new(store, guard.take()?);
    let result = f(&mut desk).await;
    *guard = Some(desk.into_terminal());
    Some(result)
}

const NOT_SENT: &str = "NS";
const NOT_CHARGED: &str = "NC";

impl<T: PaymentTerminal> PaymentDesk<T> {
    pub fn new(store: Arc<Mutex<Store>>, terminal: T) -> PaymentDesk<T> {
        PaymentDesk { store, terminal }
    }

    pub fn terminal(&mut self) -> &mut T {
        &mut self.terminal
    }

    /// Gives the terminal back (to the supervisor that keeps it connected).
    pub fn into_terminal(self) -> T {
        self.terminal
    }

    fn store<R>(&self, f: impl FnOnce(&mut Store) -> R) -> R {
        f(&mut self.store.lock().expect("store lock"))
    }

    fn request(&self, order: OrderId) -> Result<ChargeRequest, StoreError> {
        let o = self.store(|s| s.load_order(order))?.ok_or(StoreError::NoSuchOrder(order))?;
        Ok(ChargeRequest {
            amount: o.total(),
            vat: o.totals.vat.vat,
            installment_months: 0,
            order_ref: order.to_string(),
        })
    }

    /// Charges the order. The intent is journaled (and the order moved to
    /// `AwaitingPayment`) before the terminal is asked.
    pub async fn pay(&mut self, order: OrderId, means: &Means, now_ms: i64) -> Result<PayResult, StoreError> {
        let req = self.request(order)?;
        // What was asked, for the journal: never the barcode itself (a payment credential).
        let record = match means {
            Means::Card => format!(r#"{{"means":"card","amount":{},"vat":{}}}"#, req.amount, req.vat),
            Means::Barcode(_) => {
                format!(r#"{{"means":"barcode","amount":{},"vat":{}}}"#, req.amount, req.vat)
            }
        };
        let step = self.store(|s| s.begin_payment(order, PaymentOp::Approve, req.amount, &record, now_ms))?;
        let answer = match means {
            Means::Card => self.terminal.approve(&req).await,
            Means::Barcode(code) => self.terminal.approve_barcode(&req, code).await,
        };
        let outcome = match answer {
            Ok(outcome) => outcome,
            Err(e) => {
                tracing::warn!("payment for order {order} not sent: {e}");
                PaymentOutcome::Declined {
                    code: NOT_SENT.into(),
                    message: "결제 단말기에 연결할 수 없습니다. 카운터에서 결제해 주세요.".into(),
                }
            }
        };
        self.store(|s| s.finish_payment(step, &outcome, now_ms))?;
        match outcome {
            PaymentOutcome::Approved(a) => {
                self.confirm().await;
                Ok(PayResult::Approved(a))
            }
            PaymentOutcome::Declined { code, message } => Ok(PayResult::Declined { code, message }),
            PaymentOutcome::Aborted => Ok(PayResult::Aborted),
            PaymentOutcome::Unknown { reason } => {
                tracing::warn!("payment for order {order} is ambiguous ({reason}); asking the terminal");
                self.resolve(order, now_ms).await
            }
            PaymentOutcome::Reversed { .. } | PaymentOutcome::NotCharged => Ok(PayResult::Unresolved),
        }
    }

    async fn confirm(&mut self) {
        if let Err(e) = self.terminal.confirm().await {
            tracing::warn!("terminal: approval confirm failed: {e}");
        }
    }

    /// Decides an ambiguous charge by the terminal's last transaction.
    pub async fn resolve(&mut self, order: OrderId, now_ms: i64) -> Result<PayResult, StoreError> {
        let req = self.request(order)?;
        let step = self.store(|s| s.begin_payment(order, PaymentOp::QueryLast, req.amount, "{}", now_ms))?;
        let outcome = match self.terminal.last_transaction().await {
            Ok(PaymentOutcome::Approved(a)) => {
                let someone_elses =
                    self.store(|s| s.order_of_approval(&a.approval_no))?.is_some_and(|o| o != order);
                if a.amount == req.amount && !someone_elses {
                    PaymentOutcome::Approved(a)
                } else {
                    PaymentOutcome::NotCharged
                }
            }
            Ok(PaymentOutcome::Unknown { reason }) => PaymentOutcome::Unknown { reason },
            Ok(_) => PaymentOutcome::NotCharged,
            Err(e) => PaymentOutcome::Unknown { reason: e.to_string() },
        };
        self.store(|s| s.finish_payment(step, &outcome, now_ms))?;
        Ok(match outcome {
            PaymentOutcome::Approved(a) => {
                self.confirm().await;
                PayResult::Approved(a)
            }
            PaymentOutcome::NotCharged => PayResult::Declined {
                code: NOT_CHARGED.into(),
                message: "결제되지 않았습니다. 다시 시도해 주세요.".into(),
            },
            _ => PayResult::Unresolved,
        })
    }

    /// Reverses an order's standing approval at the terminal (a refund after commit, or the
    /// recovery rule before it). `Ok(true)` when the approval is reversed.
    pub async fn cancel_payment(&mut self, order: OrderId, now_ms: i64) -> Result<bool, StoreError> {
        let Some(approval) = self.store(|s| s.standing_approval(order))? else {
            return Ok(false);
        };
        let req = ChargeRequest { amount: approval.amount, ..self.request(order)? };
        let step =
            self.store(|s| s.begin_payment(order, PaymentOp::Cancel, approval.amount, "{}", now_ms))?;
        let what = CancelWhat::Approval {
            approval_no: approval.approval_no.clone(),
            approved_at: approval.approved_at.clone(),
        };
        let outcome = match self.terminal.cancel(&what, &req).await {
            Ok(o) => o,
            Err(e) => PaymentOutcome::Unknown { reason: e.to_string() },
        };
        self.store(|s| s.finish_payment(step, &outcome, now_ms))?;
        Ok(matches!(outcome, PaymentOutcome::Reversed { .. }))
    }

    /// Brings the journal and the terminal into agreement at start-up, before any customer:
    /// finishes steps a crash left open, resolves ambiguous charges, applies the recovery rule
    /// to approvals without a committed order, and ends unpaid drafts whose customer is gone.
    /// (During a session, an ambiguous charge is resolved at once by [`PaymentDesk::pay`].)
    pub async fn recover(&mut self, now_ms: i64) -> Result<ReconcileReport, StoreError> {
        let mut report = ReconcileReport::default();
        // 1. steps whose answer a crash lost: ambiguous
        for entry in self.store(|s| s.open_payments())? {
            let outcome = PaymentOutcome::Unknown { reason: "interrupted (restart)".into() };
            self.store(|s| s.finish_payment(entry.id, &outcome, now_ms))?;
            report.interrupted_steps += 1;
        }
        // 2. ambiguous charges: ask the terminal; a charge that did not happen ends the
        //    order (its customer session is gone)
        for order in self.store(|s| s.orders_in(&[OrderState::PaymentUnknown]))? {
            match self.resolve(order, now_ms).await? {
                PayResult::Approved(_) => report.resolved_approved += 1,
                PayResult::Declined { .. } => {
                    report.resolved_not_charged += 1;
                    self.store(|s| s.apply_event(order, OrderEvent::Cancel, Actor::System, now_ms))?;
                }
                _ => report.still_unknown += 1,
            }
        }
        // 3. approvals without a committed order: the recovery rule
        for order in self.store(|s| s.orders_in(&[OrderState::PaymentApproved]))? {
            let o = self.store(|s| s.load_order(order))?.ok_or(StoreError::NoSuchOrder(order))?;
            let journaled_at = self.store(|s| s.approval_journaled_at(order))?;
            let approval = self.store(|s| s.standing_approval(order))?;
            let fresh = journaled_at.is_some_and(|t| now_ms - t <= COMPLETE_WINDOW_MS);
            let amount_matches = approval.as_ref().is_some_and(|a| a.amount == o.total());
            if fresh && amount_matches {
                self.store(|s| s.commit_order(order, &RECOVERY_PRINTS, Actor::System, now_ms))?;
                report.completed.push(order);
            } else if self.cancel_payment(order, now_ms).await? {
                report.cancelled.push(order);
            } else {
                report.cancel_pending += 1;
            }
        }
        // 4. unpaid drafts whose customer is gone (declined, aborted or never paid)
        for order in self.store(|s| s.orders_in(&[OrderState::PaymentDeclined, OrderState::Draft]))? {
            self.store(|s| s.apply_event(order, OrderEvent::Cancel, Actor::System, now_ms))?;
        }
        Ok(report)
    }
}
