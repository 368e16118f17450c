//! Taking payment: every terminal step journaled before it is sent and after it answers,
//! ambiguous outcomes resolved by asking the terminal, and start-up reconciliation.
//!
//! # The recovery rule
//! An approval whose order was not committed (the kiosk crashed, lost power or timed out
//! between the terminal's approval and the commit) is **completed** — the order is committed,
//! queued for the POS and, if it is food, the kitchen, and its receipt (and a kiosk order's
//! number slip) printed — when
//!
//! 1. the approval's amount equals the order's total,
//! 2. it was journaled at most [`COMPLETE_WINDOW_MS`] (10 minutes) ago: the customer is
//!    plausibly still at the kiosk or waiting for the order, and
//! 3. for a table's bill or a share of it, the table has not paid those rounds otherwise
//!    meanwhile (staff settled the tab at the counter while the charge was unresolved).
//!
//! Otherwise it is **cancelled** at the terminal (by approval number), since nobody can be
//! served for it. The age is measured on the monotonic clock when the approval was journaled
//! in this boot, and on the wall clock across a reboot only when both readings were
//! synchronised: a wall clock stepped by NTP, or one that restarted at the image's build
//! time, never decides. When nothing can tell the age yet (a reboot before NTP has set the
//! clock), the approval waits — its order held, never charged again — until the clock is
//! synchronised or this boot's uptime alone proves the window has passed.
//!
//! An ambiguous charge (timeout, lost response, unplugged terminal) is never retried: the
//! terminal's last transaction decides whether it happened (an approval with the order's
//! amount and a number not already in our journal is ours); while the terminal cannot be
//! asked, the order stays `PaymentUnknown` and the kiosk takes no new charge for it.
//!
//! # A customer who cancels on the screen
//! While the terminal waits for the card, the customer may cancel on the screen
//! ([`PaymentDesk::pay_until`]): the terminal is reset (unless it is already reading the
//! card, when the charge goes on), and the charge ends as the terminal says. Aborted: nothing
//! was charged, back to the cart. Declined: the customer is told, as for any decline.
//! Approved (the card was paid before the reset arrived): the order is completed like any
//! paid order, since the money is taken. No answer: an ambiguous charge like any other,
//! decided by the last transaction; "not charged" then is the customer's cancel.

use kiosk_clock::StoreClock;
use kiosk_domain::{Approval, OrderEvent, OrderId, OrderState, PaymentOp, PaymentOutcome};
use kiosk_drivers::payment::smartro::client::SmartroTerminal;
use kiosk_drivers::payment::{CancelWhat, ChargeRequest, PaymentTerminal};
use kiosk_drivers::transport::Port;
use kiosk_store::{Actor, JournalId, PrintKind, StoreError};

use crate::store_thread::StoreHandle;
use crate::supervisor::SharedTerminal;

/// Approvals journaled at most this long ago are completed by recovery; older ones are
/// cancelled.
pub const COMPLETE_WINDOW_MS: i64 = 10 * 60 * 1000;

/// Printouts of an order completed by recovery: its receipt, a kitchen ticket for food, and
/// a kiosk order's number slip.
pub fn recovery_prints(order: &kiosk_domain::Order) -> Vec<PrintKind> {
    let mut prints = vec![PrintKind::Receipt];
    if order.kind.goes_to_kitchen() {
        prints.push(PrintKind::KitchenTicket);
    }
    if matches!(order.kind, kiosk_domain::OrderKind::Kiosk { .. }) {
        prints.push(PrintKind::OrderSlip);
    }
    prints
}

/// How the customer pays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Means {
    /// A card, the whole amount at once (일시불).
    Card,
    /// A card, the amount in 2 to 12 monthly instalments (할부), from 50,000 won.
    Instalments(u8),
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
    /// Approvals whose age no trustworthy clock can tell yet: held until one can.
    pub age_unknown: usize,
}

impl ReconcileReport {
    /// Nothing is left for a later reconciliation.
    pub fn settled(&self) -> bool {
        self.still_unknown == 0 && self.cancel_pending == 0 && self.age_unknown == 0
    }
}

pub struct PaymentDesk<T> {
    store: StoreHandle,
    terminal: T,
    clock: StoreClock,
}

/// Runs `f` with a payment desk on the supervisor's terminal connection, held for the whole
/// of `f` so nothing else talks to the terminal meanwhile. `None` when the terminal is not
/// connected now.
pub async fn with_desk<R>(
    terminal: &SharedTerminal,
    store: StoreHandle,
    clock: StoreClock,
    f: impl AsyncFnOnce(&mut PaymentDesk<SmartroTerminal<Port>>) -> R,
) -> Option<R> {
    let mut guard = terminal.lock().await;
    let mut desk = PaymentDesk::new(store, guard.take()?, clock);
    let result = f(&mut desk).await;
    *guard = Some(desk.into_terminal());
    Some(result)
}

const NOT_SENT: &str = "NS";
const NOT_CHARGED: &str = "NC";
/// An instalment plan the amount does not allow (refused before the terminal).
const NO_INSTALMENTS: &str = "NI";
const NO_INSTALMENTS_MESSAGE: &str = "할부는 5만 원 이상 카드 결제에 2~12개월로 가능합니다 / Instalments: 2 to 12 months, on card payments of 50,000 won or more";

impl<T: PaymentTerminal> PaymentDesk<T> {
    pub fn new(store: StoreHandle, terminal: T, clock: StoreClock) -> PaymentDesk<T> {
        PaymentDesk { store, terminal, clock }
    }

    pub fn terminal(&mut self) -> &mut T {
        &mut self.terminal
    }

    /// Gives the terminal back (to the supervisor that keeps it connected).
    pub fn into_terminal(self) -> T {
        self.terminal
    }

    async fn request(&self, order: OrderId) -> Result<ChargeRequest, StoreError> {
        let o = self.store.run(move |s| s.load_order(order)).await?.ok_or(StoreError::NoSuchOrder(order))?;
        Ok(ChargeRequest {
            amount: o.total(),
            vat: o.totals.vat.vat,
            installment_months: 0,
            order_ref: order.to_string(),
        })
    }

    /// Journals a step as started (the order moves with it) before the terminal is asked.
    async fn begin(
        &self,
        order: OrderId,
        op: PaymentOp,
        amount: kiosk_domain::Money,
        record: String,
    ) -> Result<JournalId, StoreError> {
        let now = self.clock.now_ms();
        self.store.run(move |s| s.begin_payment(order, op, amount, &record, now)).await
    }

    /// Journals a step's answer, with every clock's reading for the recovery rule.
    async fn finish(&self, step: JournalId, outcome: &PaymentOutcome) -> Result<OrderState, StoreError> {
        let (outcome, at) = (outcome.clone(), self.clock.stamp());
        self.store.run(move |s| s.finish_payment_at(step, &outcome, &at)).await
    }

    /// Charges the order. The intent is journaled (and the order moved to
    /// `AwaitingPayment`) before the terminal is asked.
    pub async fn pay(&mut self, order: OrderId, means: &Means) -> Result<PayResult, StoreError> {
        self.pay_until(order, means, std::future::pending()).await
    }

    /// Charges the order, abandoning a card charge that still waits for the card when
    /// `abort` resolves (the customer's cancel on the screen; see the module's rule).
    pub async fn pay_until(
        &mut self,
        order: OrderId,
        means: &Means,
        abort: impl Future<Output = ()> + Send,
    ) -> Result<PayResult, StoreError> {
        let mut req = self.request(order).await?;
        if let Means::Instalments(months) = *means {
            // Refused here, before the terminal: nothing is journaled, nothing charged.
            if !kiosk_domain::instalments_allowed(months, req.amount) {
                tracing::warn!("order {order}: {months} instalments refused for {}", req.amount.0);
                return Ok(PayResult::Declined {
                    code: NO_INSTALMENTS.into(),
                    message: NO_INSTALMENTS_MESSAGE.into(),
                });
            }
            req.installment_months = months;
        }
        // What was asked, for the journal: never the barcode itself (a payment credential).
        let kind = match means {
            Means::Card | Means::Instalments(_) => "card",
            Means::Barcode(_) => "barcode",
        };
        let record = format!(
            r#"{{"means":"{kind}","amount":{},"vat":{},"months":{}}}"#,
            req.amount, req.vat, req.installment_months
        );
        let step = self.begin(order, PaymentOp::Approve, req.amount, record).await?;
        let cancelled = std::sync::atomic::AtomicBool::new(false);
        let abort = async {
            abort.await;
            cancelled.store(true, std::sync::atomic::Ordering::Relaxed);
        };
        let answer = match means {
            Means::Card | Means::Instalments(_) => self.terminal.approve_until(&req, abort).await,
            Means::Barcode(code) => self.terminal.approve_barcode(&req, code).await,
        };
        let cancelled = cancelled.load(std::sync::atomic::Ordering::Relaxed);
        let outcome = match answer {
            Ok(PaymentOutcome::Unknown { reason }) if cancelled => PaymentOutcome::Unknown {
                reason: format!("cancelled by the customer on the screen; {reason}"),
            },
            Ok(outcome) => outcome,
            Err(e) => {
                tracing::warn!("payment for order {order} not sent: {e}");
                PaymentOutcome::Declined {
                    code: NOT_SENT.into(),
                    message: "결제 단말기에 연결할 수 없습니다. 카운터에서 결제해 주세요.".into(),
                }
            }
        };
        self.finish(step, &outcome).await?;
        match outcome {
            PaymentOutcome::Approved(a) => {
                self.confirm().await;
                Ok(PayResult::Approved(a))
            }
            PaymentOutcome::Declined { code, message } => Ok(PayResult::Declined { code, message }),
            PaymentOutcome::Aborted => Ok(PayResult::Aborted),
            PaymentOutcome::Unknown { reason } => {
                tracing::warn!("payment for order {order} is ambiguous ({reason}); asking the terminal");
                match self.resolve(order).await? {
                    PayResult::Declined { code, .. } if cancelled && code == NOT_CHARGED => {
                        Ok(PayResult::Aborted)
                    }
                    result => Ok(result),
                }
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
    pub async fn resolve(&mut self, order: OrderId) -> Result<PayResult, StoreError> {
        let req = self.request(order).await?;
        let step = self.begin(order, PaymentOp::QueryLast, req.amount, "{}".into()).await?;
        let outcome = match self.terminal.last_transaction().await {
            Ok(PaymentOutcome::Approved(a)) => {
                let number = a.approval_no.clone();
                let someone_elses =
                    self.store.run(move |s| s.order_of_approval(&number)).await?.is_some_and(|o| o != order);
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
        self.finish(step, &outcome).await?;
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
    pub async fn cancel_payment(&mut self, order: OrderId) -> Result<bool, StoreError> {
        let Some(approval) = self.store.run(move |s| s.standing_approval(order)).await? else {
            return Ok(false);
        };
        let req = ChargeRequest { amount: approval.amount, ..self.request(order).await? };
        let step = self.begin(order, PaymentOp::Cancel, approval.amount, "{}".into()).await?;
        let what = CancelWhat::Approval {
            approval_no: approval.approval_no.clone(),
            approved_at: approval.approved_at.clone(),
        };
        let outcome = match self.terminal.cancel(&what, &req).await {
            Ok(o) => o,
            Err(e) => PaymentOutcome::Unknown { reason: e.to_string() },
        };
        self.finish(step, &outcome).await?;
        Ok(matches!(outcome, PaymentOutcome::Reversed { .. }))
    }

    async fn cancel_order(&self, order: OrderId) -> Result<OrderState, StoreError> {
        let now = self.clock.now_ms();
        self.store.run(move |s| s.apply_event(order, OrderEvent::Cancel, Actor::System, now)).await
    }

    /// Brings the journal and the terminal into agreement at start-up, before any customer:
    /// finishes steps a crash left open, resolves ambiguous charges, applies the recovery rule
    /// to approvals without a committed order, and ends unpaid drafts whose customer is gone.
    /// (During a session, an ambiguous charge is resolved at once by [`PaymentDesk::pay`].)
    pub async fn recover(&mut self) -> Result<ReconcileReport, StoreError> {
        let mut report = ReconcileReport::default();
        // 1. steps whose answer a crash lost: ambiguous
        for entry in self.store.run(|s| s.open_payments()).await? {
            let outcome = PaymentOutcome::Unknown { reason: "interrupted (restart)".into() };
            self.finish(entry.id, &outcome).await?;
            report.interrupted_steps += 1;
        }
        // 2. ambiguous charges: ask the terminal; a charge that did not happen ends the
        //    order (its customer session is gone)
        for order in self.store.run(|s| s.orders_in(&[OrderState::PaymentUnknown])).await? {
            match self.resolve(order).await? {
                PayResult::Approved(_) => report.resolved_approved += 1,
                PayResult::Declined { .. } => {
                    report.resolved_not_charged += 1;
                    self.cancel_order(order).await?;
                }
                _ => report.still_unknown += 1,
            }
        }
        // 3. approvals without a committed order: the recovery rule
        for order in self.store.run(|s| s.orders_in(&[OrderState::PaymentApproved])).await? {
            let (o, journaled, approval) = self
                .store
                .run(move |s| {
                    Ok::<_, StoreError>((
                        s.load_order(order)?,
                        s.approval_stamp(order)?,
                        s.standing_approval(order)?,
                    ))
                })
                .await?;
            let o = o.ok_or(StoreError::NoSuchOrder(order))?;
            let bill = o.clone();
            if self.store.run(move |s| s.settled_otherwise(&bill)).await? {
                tracing::warn!(
                    "order {order}: its table's rounds were settled otherwise meanwhile; cancelling"
                );
                if self.cancel_payment(order).await? {
                    report.cancelled.push(order);
                } else {
                    report.cancel_pending += 1;
                }
                continue;
            }
            let now = self.clock.stamp();
            let age = journaled.as_ref().map(|j| (now.since(j), now.at_least_since(j)));
            let amount_matches = approval.as_ref().is_some_and(|a| a.amount == o.total());
            let fresh = match age {
                Some((Some(age), _)) => age <= COMPLETE_WINDOW_MS,
                // No clock can tell yet: too old once this boot alone has outlasted the window.
                Some((None, at_least)) if at_least <= COMPLETE_WINDOW_MS && amount_matches => {
                    tracing::warn!(
                        "order {order}: the approval's age is unknown until the clock is set; held"
                    );
                    report.age_unknown += 1;
                    continue;
                }
                _ => false,
            };
            if fresh && amount_matches {
                let now = now.wall_ms;
                let prints = recovery_prints(&o);
                self.store.run(move |s| s.commit_order(order, &prints, Actor::System, now)).await?;
                report.completed.push(order);
            } else if self.cancel_payment(order).await? {
                report.cancelled.push(order);
            } else {
                report.cancel_pending += 1;
            }
        }
        // 4. unpaid drafts whose customer is gone (declined, aborted or never paid)
        for order in
            self.store.run(|s| s.orders_in(&[OrderState::PaymentDeclined, OrderState::Draft])).await?
        {
            self.cancel_order(order).await?;
        }
        Ok(report)
    }
}
