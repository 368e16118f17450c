//! The POS outbox (one row per committed order, keyed by its UUID) and the print queue.

use kiosk_domain::{Order, OrderEvent, OrderForPos, OrderId, OrderState};
use rusqlite::{OptionalExtension, Transaction, params};

use super::orders::{parse_order_id, state_of, transition};
use super::{Actor, Result, Store, StoreError, audit};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// Commit order: the outbox delivers strictly in this order.
    pub seq: i64,
    /// The idempotency key: the POS must treat a re-send of the same key as the same order.
    pub order_id: OrderId,
    pub payload_json: String,
    pub attempts: u32,
    pub next_attempt_ms: i64,
    pub last_error: Option<String>,
}

/// Where a committed order stands with the POS ("sent" or "queued" in the UI).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboxStatus {
    Queued {
        attempts: u32,
        last_error: Option<String>,
    },
    Delivered {
        pos_ref: Option<String>,
    },
    /// The POS refused it for good; staff must look at it (it is not lost).
    SetAside {
        reason: String,
    },
}

/// What a print job prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrintKind {
    Receipt,
    KitchenTicket,
    OrderSlip,
    /// The operator's printer test (no order).
    TestPage,
}

impl PrintKind {
    pub const ALL: [PrintKind; 4] =
        [PrintKind::Receipt, PrintKind::KitchenTicket, PrintKind::OrderSlip, PrintKind::TestPage];

    pub fn as_str(self) -> &'static str {
        match self {
            PrintKind::Receipt => "receipt",
            PrintKind::KitchenTicket => "kitchen_ticket",
            PrintKind::OrderSlip => "order_slip",
            PrintKind::TestPage => "test_page",
        }
    }

    fn parse(s: &str) -> Option<PrintKind> {
        PrintKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintJob {
    pub id: i64,
    pub order_id: Option<OrderId>,
    pub kind: PrintKind,
    pub attempts: u32,
    /// Its bytes were being sent when the last attempt ended unrecorded (a crash or power
    /// cut mid-job): the paper may hold the first part of it.
    pub interrupted: bool,
}

/// Queues the order for the POS with the approval that paid it, if any (the POS payload is
/// fixed here: every attempt sends these bytes).
pub(super) fn enqueue(tx: &Transaction<'_>, order: &Order, now_ms: i64) -> Result<()> {
    let payment = crate::journal::standing_approval_in(tx, order.id)?;
    let receipt_token = Some(crate::receipts::receipt_token(&crate::receipts::receipt_key_in(tx)?, order.id));
    let payload = OrderForPos { order: order.clone(), payment, receipt_token };
    tx.execute(
        "INSERT INTO pos_outbox (order_id, payload_json, status, next_attempt_ms, created_at_ms)
         VALUES (?1, ?2, 'queued', ?3, ?3)",
        params![order.id.to_string(), serde_json::to_string(&payload)?, now_ms],
    )?;
    Ok(())
}

pub(super) fn queue_print_in(
    tx: &Transaction<'_>,
    order: Option<OrderId>,
    kind: PrintKind,
    now_ms: i64,
) -> Result<i64> {
    tx.execute(
        "INSERT INTO print_queue (order_id, kind, status, created_at_ms) VALUES (?1, ?2, 'pending', ?3)",
        params![order.map(|o| o.to_string()), kind.as_str(), now_ms],
    )?;
    Ok(tx.last_insert_rowid())
}

impl Store {
    /// Queued orders whose next attempt is due, in commit order.
    pub fn outbox_due(&self, now_ms: i64, limit: u32) -> Result<Vec<OutboxEntry>> {
        self.outbox_select("status = 'queued' AND next_attempt_ms <= ?1", now_ms, limit)
    }

    /// The queue in commit order, due or not: the worker delivers its head first.
    pub fn outbox_queue(&self, limit: u32) -> Result<Vec<OutboxEntry>> {
        self.outbox_select("status = 'queued' AND ?1 = ?1", 0, limit)
    }

    fn outbox_select(&self, filter: &str, now_ms: i64, limit: u32) -> Result<Vec<OutboxEntry>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT seq, order_id, payload_json, attempts, next_attempt_ms, last_error FROM pos_outbox
             WHERE {filter} ORDER BY seq LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![now_ms, limit], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
        })?;
        rows.map(|row| {
            let (seq, id, payload_json, attempts, next_attempt_ms, last_error) = row?;
            Ok(OutboxEntry {
                seq,
                order_id: parse_order_id(&id)?,
                payload_json,
                attempts,
                next_attempt_ms,
                last_error,
            })
        })
        .collect()
    }

    /// Where one order stands with the POS; `None` for an order never committed.
    pub fn outbox_status(&self, order_id: OrderId) -> Result<Option<OutboxStatus>> {
        let row: Option<(String, u32, Option<String>, Option<String>)> = self
            .conn
            .query_row(
                "SELECT status, attempts, last_error, pos_ref FROM pos_outbox WHERE order_id = ?1",
                [order_id.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        Ok(row.map(|(status, attempts, last_error, pos_ref)| match status.as_str() {
            "delivered" => OutboxStatus::Delivered { pos_ref },
            "set_aside" => OutboxStatus::SetAside { reason: last_error.unwrap_or_default() },
            _ => OutboxStatus::Queued { attempts, last_error },
        }))
    }

    /// Orders the POS refused for good, for the operator: `(order, reason)`.
    pub fn outbox_set_aside_list(&self) -> Result<Vec<(OrderId, String)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT order_id, COALESCE(last_error, '') FROM pos_outbox WHERE status = 'set_aside' ORDER BY seq",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        rows.map(|row| {
            let (id, reason) = row?;
            Ok((parse_order_id(&id)?, reason))
        })
        .collect()
    }

    /// Orders committed but not yet delivered to the POS ("queued" in the UI).
    pub fn outbox_pending_count(&self) -> Result<u64> {
        Ok(self
            .conn
            .query_row("SELECT COUNT(*) FROM pos_outbox WHERE status = 'queued'", [], |r| r.get(0))?)
    }

    /// How many orders this device has committed (each is queued for the POS once), and
    /// when the last was: the device's telemetry.
    pub fn orders_committed(&self) -> Result<(u64, Option<i64>)> {
        Ok(self.conn.query_row("SELECT COUNT(*), MAX(created_at_ms) FROM pos_outbox", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?)
    }

    /// Journals that a send is about to happen: counts the attempt and moves a committed
    /// order to `SentToPos`. After a crash between this and the answer, the same key is
    /// simply sent again.
    pub fn outbox_begin_send(&mut self, order_id: OrderId, now_ms: i64) -> Result<()> {
        let tx = self.write()?;
        let changed = tx.execute(
            "UPDATE pos_outbox SET attempts = attempts + 1 WHERE order_id = ?1 AND status = 'queued'",
            [order_id.to_string()],
        )?;
        if changed == 0 {
            return Err(StoreError::NoSuchOrder(order_id));
        }
        if state_of(&tx, order_id)? == OrderState::Committed {
            transition(&tx, order_id, OrderEvent::Send, Actor::System, now_ms)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The POS has the order (accepted, or answered "duplicate" for the same payload).
    pub fn outbox_delivered(&mut self, order_id: OrderId, pos_ref: Option<&str>, now_ms: i64) -> Result<()> {
        let tx = self.write()?;
        let changed = tx.execute(
            "UPDATE pos_outbox SET status = 'delivered', delivered_at_ms = ?1, last_error = NULL, pos_ref = ?3
             WHERE order_id = ?2 AND status = 'queued'",
            params![now_ms, order_id.to_string(), pos_ref],
        )?;
        if changed == 0 {
            return Err(StoreError::NoSuchOrder(order_id));
        }
        if state_of(&tx, order_id)? == OrderState::SentToPos {
            transition(&tx, order_id, OrderEvent::PosAcknowledged, Actor::Pos, now_ms)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// A send failed or its outcome is unknown: try the same key again at `next_attempt_ms`.
    pub fn outbox_retry_later(
        &mut self,
        order_id: OrderId,
        error: &str,
        next_attempt_ms: i64,
        now_ms: i64,
    ) -> Result<()> {
        let tx = self.write()?;
        tx.execute(
            "UPDATE pos_outbox SET last_error = ?1, next_attempt_ms = ?2 WHERE order_id = ?3 AND status = 'queued'",
            params![error, next_attempt_ms, order_id.to_string()],
        )?;
        audit(&tx, now_ms, Actor::System, "outbox.retry", Some(order_id), error)?;
        tx.commit()?;
        Ok(())
    }

    /// The POS refused the order for good (a conflicting payload, an order it calls invalid):
    /// it leaves the queue so later orders can go, and waits for staff.
    pub fn outbox_set_aside(&mut self, order_id: OrderId, reason: &str, now_ms: i64) -> Result<()> {
        let tx = self.write()?;
        let changed = tx.execute(
            "UPDATE pos_outbox SET status = 'set_aside', last_error = ?1 WHERE order_id = ?2 AND status = 'queued'",
            params![reason, order_id.to_string()],
        )?;
        if changed == 0 {
            return Err(StoreError::NoSuchOrder(order_id));
        }
        audit(&tx, now_ms, Actor::System, "outbox.set_aside", Some(order_id), reason)?;
        tx.commit()?;
        Ok(())
    }

    /// Staff send a set-aside order again (after fixing the POS side).
    pub fn outbox_requeue(&mut self, order_id: OrderId, actor: Actor, now_ms: i64) -> Result<()> {
        let tx = self.write()?;
        let changed = tx.execute(
            "UPDATE pos_outbox SET status = 'queued', next_attempt_ms = ?1 WHERE order_id = ?2 AND status = 'set_aside'",
            params![now_ms, order_id.to_string()],
        )?;
        if changed == 0 {
            return Err(StoreError::NoSuchOrder(order_id));
        }
        audit(&tx, now_ms, actor, "outbox.requeue", Some(order_id), "")?;
        tx.commit()?;
        Ok(())
    }

    /// Queues a print job on its own (a reprint, a receipt asked for after commit).
    pub fn queue_print(
        &mut self,
        order: Option<OrderId>,
        kind: PrintKind,
        actor: Actor,
        now_ms: i64,
    ) -> Result<i64> {
        let tx = self.write()?;
        let id = queue_print_in(&tx, order, kind, now_ms)?;
        audit(&tx, now_ms, actor, "print.queue", order, kind.as_str())?;
        tx.commit()?;
        Ok(id)
    }

    pub fn print_pending(&self, limit: u32) -> Result<Vec<PrintJob>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, order_id, kind, attempts, started_at_ms IS NOT NULL FROM print_queue
             WHERE status = 'pending' ORDER BY id LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, u32>(3)?,
                r.get::<_, bool>(4)?,
            ))
        })?;
        rows.map(|row| {
            let (id, order, kind, attempts, interrupted) = row?;
            Ok(PrintJob {
                id,
                order_id: order.as_deref().map(parse_order_id).transpose()?,
                kind: PrintKind::parse(&kind).ok_or_else(|| StoreError::Corrupt {
                    table: "print_queue",
                    detail: format!("kind {kind:?}"),
                })?,
                attempts,
                interrupted,
            })
        })
        .collect()
    }

    /// An earlier job printed a `kind` of `order`: job `job` is a copy (a reprint).
    pub fn printed_before(&self, order: OrderId, kind: PrintKind, job: i64) -> Result<bool> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM print_queue
                            WHERE order_id = ?1 AND kind = ?2 AND status = 'printed' AND id < ?3)",
            params![order.to_string(), kind.as_str(), job],
            |r| r.get(0),
        )?)
    }

    /// Journals that a job's bytes start going out to the printer.
    pub fn print_started(&mut self, job: i64, now_ms: i64) -> Result<()> {
        self.conn.execute("UPDATE print_queue SET started_at_ms = ?1 WHERE id = ?2", params![now_ms, job])?;
        Ok(())
    }

    /// Records a print attempt: printed, or failed with the reason (the job stays pending
    /// for a retry unless `give_up`).
    pub fn print_attempted(
        &mut self,
        job: i64,
        result: Result<(), &str>,
        give_up: bool,
        now_ms: i64,
    ) -> Result<()> {
        let tx = self.write()?;
        match result {
            Ok(()) => tx.execute(
                "UPDATE print_queue SET status = 'printed', attempts = attempts + 1, printed_at_ms = ?1,
                 last_error = NULL, started_at_ms = NULL WHERE id = ?2",
                params![now_ms, job],
            )?,
            Err(e) => tx.execute(
                "UPDATE print_queue SET status = ?1, attempts = attempts + 1, last_error = ?2,
                 started_at_ms = NULL WHERE id = ?3",
                params![if give_up { "failed" } else { "pending" }, e, job],
            )?,
        };
        tx.commit()?;
        Ok(())
    }
}
