//! The payment journal: intent before the terminal is asked, result after.

use kiosk_domain::{
    Approval, Money, OrderEvent, OrderId, OrderState, PaymentOp, PaymentOutcome, Refund, Stamp,
};
use rusqlite::{OptionalExtension, params};

use super::orders::{parse_order_id, state_of, transition};
use super::refunds;
use super::{Actor, Result, Store, StoreError, audit};

/// A payment journal row id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JournalId(pub i64);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    pub id: JournalId,
    pub order_id: OrderId,
    pub op: PaymentOp,
    pub amount: Money,
    /// What was sent to the terminal (method, installment, wallet code reference…).
    pub request_json: String,
    /// `None` while the step is open: the terminal was (or was about to be) asked and no
    /// answer was recorded.
    pub outcome: Option<PaymentOutcome>,
    pub started_at_ms: i64,
}

impl Store {
    /// Journals the intent to ask the terminal, before asking it. For an approval the order
    /// moves to `AwaitingPayment` in the same transaction. Refused while the order already
    /// has an open step: an unanswered request is resolved, never repeated.
    pub fn begin_payment(
        &mut self,
        order_id: OrderId,
        op: PaymentOp,
        amount: Money,
        request_json: &str,
        now_ms: i64,
    ) -> Result<JournalId> {
        let tx = self.write()?;
        let open: Option<i64> = tx
            .query_row(
                "SELECT id FROM payment_journal WHERE order_id = ?1 AND outcome IS NULL",
                [order_id.to_string()],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(open) = open {
            return Err(StoreError::PaymentInProgress(order_id, open));
        }
        if op == PaymentOp::Approve {
            transition(&tx, order_id, OrderEvent::RequestPayment, Actor::Customer, now_ms)?;
        } else {
            // The order must exist for the other operations too.
            tx.query_row("SELECT 1 FROM orders WHERE id = ?1", [order_id.to_string()], |_| Ok(()))
                .optional()?
                .ok_or(StoreError::NoSuchOrder(order_id))?;
        }
        tx.execute(
            "INSERT INTO payment_journal (order_id, operation, amount, request_json, started_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![order_id.to_string(), op.as_str(), amount.0, request_json, now_ms],
        )?;
        let id = tx.last_insert_rowid();
        audit(
            &tx,
            now_ms,
            Actor::System,
            "payment.begin",
            Some(order_id),
            &format!("{} {amount} (journal {id})", op.as_str()),
        )?;
        tx.commit()?;
        Ok(JournalId(id))
    }

    /// Records the terminal's answer and moves the order accordingly, in one transaction.
    pub fn finish_payment(
        &mut self,
        journal: JournalId,
        outcome: &PaymentOutcome,
        now_ms: i64,
    ) -> Result<OrderState> {
        self.finish_payment_at(
            journal,
            outcome,
            &Stamp { mono_ms: 0, wall_ms: now_ms, boot_id: String::new(), wall_synced: true },
        )
    }

    /// [`Store::finish_payment`] with every clock's reading, kept for the recovery rule.
    pub fn finish_payment_at(
        &mut self,
        journal: JournalId,
        outcome: &PaymentOutcome,
        at: &Stamp,
    ) -> Result<OrderState> {
        let now_ms = at.wall_ms;
        let tx = self.write()?;
        let (order_id, op, amount): (String, String, i64) = tx
            .query_row(
                "SELECT order_id, operation, amount FROM payment_journal WHERE id = ?1 AND outcome IS NULL",
                [journal.0],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?
            .ok_or(StoreError::NoOpenJournalEntry(journal.0))?;
        let order_id = parse_order_id(&order_id)?;
        let op = parse_op(&op)?;
        let approval_no = match outcome {
            PaymentOutcome::Approved(a) => Some(a.approval_no.as_str()),
            PaymentOutcome::Reversed { approval_no } => Some(approval_no.as_str()),
            _ => None,
        };
        tx.execute(
            "UPDATE payment_journal SET outcome = ?1, approval_no = ?2, outcome_json = ?3, finished_at_ms = ?4,
                    finished_mono_ms = ?6, boot_id = ?7, wall_synced = ?8
             WHERE id = ?5",
            params![
                outcome.as_str(),
                approval_no,
                serde_json::to_string(outcome)?,
                now_ms,
                journal.0,
                (!at.boot_id.is_empty()).then_some(at.mono_ms),
                (!at.boot_id.is_empty()).then_some(at.boot_id.as_str()),
                at.wall_synced
            ],
        )?;
        let mut state = state_of(&tx, order_id)?;
        if let Some(event) = outcome.event(op, state) {
            state = transition(&tx, order_id, event, Actor::System, now_ms)?;
            // A committed order's approval reversed: the POS has (or will have) the order
            // as paid, so it is told of the refund, in this same transaction.
            if event == OrderEvent::Refund
                && let PaymentOutcome::Reversed { approval_no } = outcome
            {
                let refund = Refund {
                    id: uuid::Uuid::new_v4(),
                    order_id,
                    amount: Money(amount),
                    approval_no: approval_no.clone(),
                    refunded_at_ms: now_ms,
                };
                refunds::enqueue(&tx, &refund, now_ms)?;
            }
        }
        audit(
            &tx,
            now_ms,
            Actor::System,
            "payment.finish",
            Some(order_id),
            &format!("{} → {}", op.as_str(), outcome.as_str()),
        )?;
        tx.commit()?;
        Ok(state)
    }

    /// Steps begun but never finished: after a crash these are the ambiguous ones.
    pub fn open_payments(&self) -> Result<Vec<JournalEntry>> {
        self.journal_where("outcome IS NULL", [])
    }

    /// The journal of one order, oldest first.
    pub fn payments_of(&self, order_id: OrderId) -> Result<Vec<JournalEntry>> {
        self.journal_where("order_id = ?1", [order_id.to_string()])
    }

    /// The approval that currently stands for an order: the latest approval not followed by
    /// a reversal.
    pub fn standing_approval(&self, order_id: OrderId) -> Result<Option<Approval>> {
        standing_approval_in(&self.conn, order_id)
    }

    fn journal_where<P: rusqlite::Params>(&self, condition: &str, params: P) -> Result<Vec<JournalEntry>> {
        let sql = format!(
            "SELECT id, order_id, operation, amount, request_json, outcome_json, started_at_ms
             FROM payment_journal WHERE {condition} ORDER BY id"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(params, |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, i64>(6)?,
            ))
        })?;
        rows.map(|row| {
            let (id, order_id, op, amount, request_json, outcome, started_at_ms) = row?;
            Ok(JournalEntry {
                id: JournalId(id),
                order_id: parse_order_id(&order_id)?,
                op: parse_op(&op)?,
                amount: Money(amount),
                request_json,
                outcome: outcome.map(|o| serde_json::from_str(&o)).transpose()?,
                started_at_ms,
            })
        })
        .collect()
    }
}

fn parse_op(s: &str) -> Result<PaymentOp> {
    [PaymentOp::Approve, PaymentOp::Cancel, PaymentOp::QueryLast]
        .into_iter()
        .find(|op| op.as_str() == s)
        .ok_or_else(|| StoreError::Corrupt { table: "payment_journal", detail: format!("operation {s:?}") })
}

/// One approval for the operator's payment journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalRow {
    pub order_id: OrderId,
    pub number: u32,
    pub amount: Money,
    pub approval_no: String,
    pub approved_at_ms: i64,
    pub order_state: OrderState,
    /// A later cancel reversed it (at the terminal or by the recovery rule).
    pub reversed: bool,
}

impl Store {
    /// The latest approvals, newest first, each with whether it still stands.
    pub fn recent_approvals(&self, limit: u32) -> Result<Vec<ApprovalRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT j.order_id, o.number, j.amount, j.approval_no, j.finished_at_ms, o.state,
                    EXISTS (SELECT 1 FROM payment_journal r
                            WHERE r.order_id = j.order_id AND r.outcome = 'reversed' AND r.id > j.id)
             FROM payment_journal j JOIN orders o ON o.id = j.order_id
             WHERE j.outcome = 'approved'
             ORDER BY j.id DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, u32>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<i64>>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, bool>(6)?,
            ))
        })?;
        rows.map(|row| {
            let (order_id, number, amount, approval_no, at, state, reversed) = row?;
            Ok(ApprovalRow {
                order_id: parse_order_id(&order_id)?,
                number,
                amount: Money(amount),
                approval_no: approval_no.unwrap_or_default(),
                approved_at_ms: at.unwrap_or_default(),
                order_state: super::parse_state(&state)?,
                reversed,
            })
        })
        .collect()
    }

    /// The order an approval number was journaled for, if any.
    pub fn order_of_approval(&self, approval_no: &str) -> Result<Option<OrderId>> {
        let id: Option<String> = self
            .conn
            .query_row(
                "SELECT order_id FROM payment_journal WHERE approval_no = ?1 AND outcome = 'approved' LIMIT 1",
                [approval_no],
                |r| r.get(0),
            )
            .optional()?;
        id.as_deref().map(parse_order_id).transpose()
    }

    /// When an order's approval was journaled, on every clock that was read (a row from an
    /// older build has the wall clock only, taken as synchronised, as that build did).
    pub fn approval_stamp(&self, order_id: OrderId) -> Result<Option<Stamp>> {
        Ok(self
            .conn
            .query_row(
                "SELECT finished_at_ms, finished_mono_ms, boot_id, wall_synced FROM payment_journal
                 WHERE order_id = ?1 AND outcome = 'approved' ORDER BY id DESC LIMIT 1",
                [order_id.to_string()],
                |r| {
                    Ok(Stamp {
                        wall_ms: r.get(0)?,
                        mono_ms: r.get::<_, Option<i64>>(1)?.unwrap_or(0),
                        boot_id: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                        wall_synced: r.get::<_, Option<bool>>(3)?.unwrap_or(true),
                    })
                },
            )
            .optional()?)
    }
}

/// [`Store::standing_approval`] on any connection (a transaction derefs to one).
pub(crate) fn standing_approval_in(
    conn: &rusqlite::Connection,
    order_id: OrderId,
) -> Result<Option<Approval>> {
    let mut stmt =
        conn.prepare("SELECT outcome_json FROM payment_journal WHERE order_id = ?1 ORDER BY id")?;
    let outcomes = stmt.query_map([order_id.to_string()], |r| r.get::<_, Option<String>>(0))?;
    let mut standing = None;
    for outcome in outcomes {
        match outcome?.map(|j| serde_json::from_str::<PaymentOutcome>(&j)).transpose()? {
            Some(PaymentOutcome::Approved(a)) => standing = Some(a),
            Some(PaymentOutcome::Reversed { .. }) => standing = None,
            _ => {}
        }
    }
    Ok(standing)
}
