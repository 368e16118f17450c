//! Refunds for the POS: an approval reversed after its order was committed (an operator's
//! cancel) is queued with the reversal and delivered once the POS has the order itself, so
//! the store's sales agree with the terminal. Keyed by the refund's own id. A refund the POS
//! refuses for good is set aside and counted with the set-aside orders on the operator's
//! device page; one whose order is set aside waits until staff requeue the order.

use kiosk_domain::{OrderId, Refund};
use rusqlite::{Transaction, params};
use uuid::Uuid;

use super::orders::parse_order_id;
use super::{Actor, Result, Store, StoreError, audit};

/// A refund waiting for the POS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundEntry {
    pub refund_id: Uuid,
    pub order_id: OrderId,
    pub payload_json: String,
    pub attempts: u32,
    pub next_attempt_ms: i64,
}

pub(super) fn enqueue(tx: &Transaction<'_>, refund: &Refund, now_ms: i64) -> Result<()> {
    tx.execute(
        "INSERT INTO pos_refunds (refund_id, order_id, payload_json, next_attempt_ms, created_at_ms)
         VALUES (?1, ?2, ?3, ?4, ?4)",
        params![refund.id.to_string(), refund.order_id.to_string(), serde_json::to_string(refund)?, now_ms],
    )?;
    Ok(())
}

impl Store {
    /// Queued refunds whose order the POS already has, oldest first.
    pub fn refund_queue(&self, limit: u32) -> Result<Vec<RefundEntry>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.refund_id, r.order_id, r.payload_json, r.attempts, r.next_attempt_ms
             FROM pos_refunds r JOIN pos_outbox o ON o.order_id = r.order_id
             WHERE r.status = 'queued' AND o.status = 'delivered'
             ORDER BY r.seq LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })?;
        rows.map(|row| {
            let (refund_id, order_id, payload_json, attempts, next_attempt_ms) = row?;
            Ok(RefundEntry {
                refund_id: Uuid::parse_str(&refund_id).map_err(|e| StoreError::Corrupt {
                    table: "pos_refunds",
                    detail: format!("refund id {refund_id:?}: {e}"),
                })?,
                order_id: parse_order_id(&order_id)?,
                payload_json,
                attempts,
                next_attempt_ms,
            })
        })
        .collect()
    }

    /// Refunds not yet delivered (queued, whether or not their order is at the POS yet).
    pub fn refunds_pending_count(&self) -> Result<u64> {
        Ok(self
            .conn
            .query_row("SELECT COUNT(*) FROM pos_refunds WHERE status = 'queued'", [], |r| r.get(0))?)
    }

    /// Refunds the POS refused for good, kept for staff.
    pub fn refunds_set_aside_count(&self) -> Result<u64> {
        Ok(self
            .conn
            .query_row("SELECT COUNT(*) FROM pos_refunds WHERE status = 'set_aside'", [], |r| r.get(0))?)
    }

    pub fn refund_delivered(&mut self, entry: &RefundEntry, now_ms: i64) -> Result<()> {
        self.refund_done(entry, "delivered", None, "pos.refund.delivered", now_ms)
    }

    /// The POS refused the refund for good: kept for staff, never dropped.
    pub fn refund_set_aside(&mut self, entry: &RefundEntry, why: &str, now_ms: i64) -> Result<()> {
        self.refund_done(entry, "set_aside", Some(why), "pos.refund.set_aside", now_ms)
    }

    pub fn refund_retry_later(&mut self, entry: &RefundEntry, why: &str, next_attempt_ms: i64) -> Result<()> {
        self.conn.execute(
            "UPDATE pos_refunds SET attempts = attempts + 1, next_attempt_ms = ?1, last_error = ?2
             WHERE refund_id = ?3 AND status = 'queued'",
            params![next_attempt_ms, why, entry.refund_id.to_string()],
        )?;
        Ok(())
    }

    fn refund_done(
        &mut self,
        entry: &RefundEntry,
        status: &str,
        why: Option<&str>,
        action: &str,
        now_ms: i64,
    ) -> Result<()> {
        let tx = self.write()?;
        tx.execute(
            "UPDATE pos_refunds SET status = ?1, attempts = attempts + 1, last_error = ?2, done_at_ms = ?3
             WHERE refund_id = ?4 AND status = 'queued'",
            params![status, why, now_ms, entry.refund_id.to_string()],
        )?;
        audit(
            &tx,
            now_ms,
            Actor::System,
            action,
            Some(entry.order_id),
            &format!("refund {}", entry.refund_id),
        )?;
        tx.commit()?;
        Ok(())
    }
}
