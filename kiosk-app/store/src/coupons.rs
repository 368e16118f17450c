//! The coupon journal: a coupon is held at the store server for an order before the order is
//! charged, and released there if the order is not placed.
//!
//! Journaled like a payment: `asking` before the server is asked, `held` (or `refused`)
//! after. The order's end decides the rest, in the transaction that ends it: committed, the
//! coupon goes to the server with the order (`used`); cancelled or reversed before it was
//! placed, the hold is `releasing` until the server confirms (`released`), retried like the
//! outbox. A crash between asking and the answer leaves `asking`, which start-up recovery
//! cancels with its draft, so the hold is released either way: never lost, never used twice.

use kiosk_domain::{OrderId, OrderState};
use rusqlite::{Transaction, params};

use super::orders::parse_order_id;
use super::{Result, Store, audit};
use crate::Actor;

/// A hold to release at the store server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponRelease {
    pub order_id: OrderId,
    pub code: String,
    pub attempts: u32,
}

/// Where an order's coupon stands on this device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CouponHoldState {
    Asking,
    Held,
    Refused,
    Used,
    Releasing,
    Released,
}

impl CouponHoldState {
    fn as_str(self) -> &'static str {
        match self {
            CouponHoldState::Asking => "asking",
            CouponHoldState::Held => "held",
            CouponHoldState::Refused => "refused",
            CouponHoldState::Used => "used",
            CouponHoldState::Releasing => "releasing",
            CouponHoldState::Released => "released",
        }
    }

    fn parse(s: &str) -> Option<CouponHoldState> {
        use CouponHoldState as S;
        [S::Asking, S::Held, S::Refused, S::Used, S::Releasing, S::Released]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// The order reached `to` inside `tx`: its hold follows (see the module documentation).
pub(super) fn follow_order(tx: &Transaction<'_>, id: OrderId, to: OrderState, now_ms: i64) -> Result<()> {
    let next = match to {
        OrderState::Committed => "used",
        OrderState::Cancelled | OrderState::Reversed => "releasing",
        _ => return Ok(()),
    };
    let changed = tx.execute(
        "UPDATE coupon_holds SET state = ?1, updated_at_ms = ?2 WHERE order_id = ?3 AND state IN ('asking', 'held')",
        params![next, now_ms, id.to_string()],
    )?;
    if changed > 0 {
        audit(tx, now_ms, Actor::System, "coupon.follow", Some(id), next)?;
    }
    Ok(())
}

impl Store {
    /// Before the server is asked to hold `code` for `order_id` (a retry after a decline
    /// asks again for the same order: the server answers the same).
    pub fn coupon_asking(&mut self, order_id: OrderId, code: &str, now_ms: i64) -> Result<()> {
        let tx = self.write()?;
        tx.execute(
            "INSERT INTO coupon_holds (order_id, code, state, attempts, next_attempt_ms, updated_at_ms)
             VALUES (?1, ?2, 'asking', 0, 0, ?3)
             ON CONFLICT (order_id) DO NOTHING",
            params![order_id.to_string(), code, now_ms],
        )?;
        audit(&tx, now_ms, Actor::Customer, "coupon.asking", Some(order_id), code)?;
        tx.commit()?;
        Ok(())
    }

    /// The server's answer: held, or refused for good (nothing stands there to release; a
    /// hold an earlier ask made is released). Without a clear answer the hold may stand: the
    /// caller cancels the order, which releases it.
    pub fn coupon_answered(&mut self, order_id: OrderId, held: bool, now_ms: i64) -> Result<()> {
        let state = if held { "held" } else { "refused" };
        let tx = self.write()?;
        tx.execute(
            "UPDATE coupon_holds SET state = CASE
                 WHEN state = 'asking' THEN ?1
                 WHEN ?1 = 'refused' THEN 'releasing'
                 ELSE state END,
             updated_at_ms = ?2
             WHERE order_id = ?3 AND state IN ('asking', 'held')",
            params![state, now_ms, order_id.to_string()],
        )?;
        audit(&tx, now_ms, Actor::Pos, "coupon.answer", Some(order_id), state)?;
        tx.commit()?;
        Ok(())
    }

    pub fn coupon_hold_state(&self, order_id: OrderId) -> Result<Option<CouponHoldState>> {
        use rusqlite::OptionalExtension;
        let state: Option<String> = self
            .conn
            .query_row("SELECT state FROM coupon_holds WHERE order_id = ?1", [order_id.to_string()], |r| {
                r.get(0)
            })
            .optional()?;
        Ok(state.and_then(|s| CouponHoldState::parse(&s)))
    }

    /// Holds to release whose next attempt is due, oldest first.
    pub fn coupon_releases_due(&self, now_ms: i64, limit: u32) -> Result<Vec<CouponRelease>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT order_id, code, attempts FROM coupon_holds
             WHERE state = 'releasing' AND next_attempt_ms <= ?1 ORDER BY updated_at_ms LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![now_ms, limit], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, u32>(2)?))
        })?;
        rows.map(|row| {
            let (order_id, code, attempts) = row?;
            Ok(CouponRelease { order_id: parse_order_id(&order_id)?, code, attempts })
        })
        .collect()
    }

    /// The hold of `order_id` waiting to be released, if one does.
    pub fn coupon_release_of(&self, order_id: OrderId) -> Result<Option<CouponRelease>> {
        use rusqlite::OptionalExtension;
        let row: Option<(String, u32)> = self
            .conn
            .query_row(
                "SELECT code, attempts FROM coupon_holds WHERE order_id = ?1 AND state = 'releasing'",
                [order_id.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(row.map(|(code, attempts)| CouponRelease { order_id, code, attempts }))
    }

    /// The earliest time a release is due, if any waits.
    pub fn coupon_release_next_ms(&self) -> Result<Option<i64>> {
        Ok(self.conn.query_row(
            "SELECT MIN(next_attempt_ms) FROM coupon_holds WHERE state = 'releasing'",
            [],
            |r| r.get(0),
        )?)
    }

    /// The server released the hold (or had none standing).
    pub fn coupon_released(&mut self, order_id: OrderId, now_ms: i64) -> Result<()> {
        let tx = self.write()?;
        tx.execute(
            "UPDATE coupon_holds SET state = 'released', updated_at_ms = ?1 WHERE order_id = ?2 AND state = 'releasing'",
            params![now_ms, order_id.to_string()],
        )?;
        audit(&tx, now_ms, Actor::Pos, "coupon.released", Some(order_id), "")?;
        tx.commit()?;
        Ok(())
    }

    pub fn coupon_release_later(&mut self, order_id: OrderId, why: &str, next_attempt_ms: i64) -> Result<()> {
        self.conn.execute(
            "UPDATE coupon_holds SET attempts = attempts + 1, next_attempt_ms = ?1, last_error = ?2
             WHERE order_id = ?3 AND state = 'releasing'",
            params![next_attempt_ms, why, order_id.to_string()],
        )?;
        Ok(())
    }
}
