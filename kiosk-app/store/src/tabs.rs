//! Table tabs across restarts: which committed rounds a table still owes for.
//!
//! A tab ends when it is settled: its bill is committed (paid at the table; recorded in the
//! bill's own commit transaction), the POS settles its rounds (paid at the counter), or staff
//! close it on the tablet. Each closure records how far it reaches in the orders' row order
//! (the last round it settles), so the open tab is the table's committed rounds stored after
//! its last closure. Row order, not the wall clock, which can step back (the store never runs
//! VACUUM, which could renumber the orders' rows). Closures only ever move forward.
//!
//! Rounds on a bill whose payment is still being resolved (after a crash or a lost answer)
//! are not offered again: they are paid, or owed again once the bill is found not charged.

use kiosk_domain::{Order, OrderId, OrderKind, TableId};
use rusqlite::{Connection, OptionalExtension, params};

use super::orders::{load_order, parse_order_id};
use super::{Actor, Result, Store, audit};

impl Store {
    /// The orders of `table`'s open tab, oldest first: committed rounds stored since the
    /// table was last settled, less those on a bill being paid, and the shares of the bill
    /// paid or being resolved (see `kiosk_domain::split`).
    pub fn open_tab(&self, table: &TableId) -> Result<Vec<Order>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id FROM orders WHERE table_id = ?1 AND rowid > ?2 ORDER BY rowid")?;
        let ids = stmt
            .query_map(params![table.0, closed_through(&self.conn, table)?], |r| r.get::<_, String>(0))?
            .map(|id| parse_order_id(&id?))
            .collect::<Result<Vec<_>>>()?;
        let (mut rounds, mut on_pending_bills) = (Vec::new(), Vec::new());
        for id in ids {
            let Some(order) = load_order(&self.conn, id)? else { continue };
            match &order.kind {
                OrderKind::Table { .. } if order.state.is_committed() => rounds.push(order),
                // A bill (or the share paying the rest) being resolved: its rounds are not
                // offered for payment again meanwhile.
                OrderKind::TableBill { rounds, share, .. }
                    if order.state.needs_payment_recovery() && share.as_ref().is_none_or(|s| s.last) =>
                {
                    on_pending_bills.extend(rounds.iter().copied());
                }
                // A share paid, or being resolved: it counts against what the tab owes.
                OrderKind::TableBill { share: Some(_), .. }
                    if order.state.is_committed() || order.state.needs_payment_recovery() =>
                {
                    rounds.push(order)
                }
                _ => {}
            }
        }
        rounds.retain(|o: &Order| !on_pending_bills.contains(&o.id));
        // A share counts while a round it was paid against is open (the last share settled
        // them, or staff did, and it was stored after the rounds it closed).
        let open: Vec<kiosk_domain::OrderId> =
            rounds.iter().filter(|o| matches!(o.kind, OrderKind::Table { .. })).map(|o| o.id).collect();
        rounds.retain(|o| match &o.kind {
            OrderKind::TableBill { rounds: paid_for, .. } => paid_for.iter().any(|r| open.contains(r)),
            _ => true,
        });
        Ok(rounds)
    }

    /// A table's bill (or a share of it) whose rounds were settled otherwise since it was
    /// charged: the tab was closed (at the counter, by staff) through one of its rounds.
    /// Such a bill must not be completed by recovery: the table has paid.
    pub fn settled_otherwise(&self, bill: &Order) -> Result<bool> {
        let OrderKind::TableBill { table, rounds, .. } = &bill.kind else { return Ok(false) };
        let mut stmt =
            self.conn.prepare_cached("SELECT rowid FROM orders WHERE id = ?1 AND table_id = ?2")?;
        let mut first = None::<i64>;
        for id in rounds {
            let row: Option<i64> =
                stmt.query_row(params![id.to_string(), table.0], |r| r.get(0)).optional()?;
            first = match (first, row) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        Ok(first.is_some_and(|first| first <= closed_through(&self.conn, table).unwrap_or(0)))
    }

    /// Staff closed `table`'s tab on the tablet (paid at the counter, the POS not told).
    pub fn close_tab(&mut self, table: &TableId, actor: Actor, now_ms: i64) -> Result<()> {
        let tx = self.write()?;
        let through: Option<i64> =
            tx.query_row("SELECT MAX(rowid) FROM orders WHERE table_id = ?1", [&table.0], |r| r.get(0))?;
        record_closure(&tx, table, through.unwrap_or(0), None, now_ms)?;
        audit(&tx, now_ms, actor, "tab.close", None, &format!("table {}", table.0))?;
        tx.commit()?;
        Ok(())
    }

    /// The POS settled these rounds of `table` (paid at the counter): the tab closes through
    /// the last of them stored here; rounds sent after it stay open. Returns whether the tab
    /// changed (the same update twice changes nothing).
    pub fn settle_rounds(
        &mut self,
        table: &TableId,
        rounds: &[OrderId],
        actor: Actor,
        now_ms: i64,
    ) -> Result<bool> {
        let tx = self.write()?;
        let closed = record_closure(&tx, table, last_row_of(&tx, table, rounds)?, None, now_ms)?;
        if closed {
            let detail = format!("table {}: {} round(s)", table.0, rounds.len());
            audit(&tx, now_ms, actor, "tab.settle", None, &detail)?;
            tx.commit()?;
        }
        Ok(closed)
    }
}

/// Where `table`'s last closure left off (0: never settled).
fn closed_through(conn: &Connection, table: &TableId) -> Result<i64> {
    Ok(conn
        .query_row(
            "SELECT through_rowid FROM tab_closures WHERE table_id = ?1 ORDER BY seq DESC LIMIT 1",
            [&table.0],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0))
}

/// The row of the last of `rounds` that is one of `table`'s orders here (0: none).
fn last_row_of(conn: &Connection, table: &TableId, rounds: &[OrderId]) -> Result<i64> {
    let mut stmt = conn.prepare_cached("SELECT rowid FROM orders WHERE id = ?1 AND table_id = ?2")?;
    let mut last = 0;
    for id in rounds {
        let row: Option<i64> = stmt.query_row(params![id.to_string(), table.0], |r| r.get(0)).optional()?;
        last = last.max(row.unwrap_or(0));
    }
    Ok(last)
}

/// Closes `table`'s tab through row `through`, unless it is closed that far already.
/// Returns whether it closed.
fn record_closure(
    conn: &Connection,
    table: &TableId,
    through: i64,
    bill: Option<&Order>,
    now_ms: i64,
) -> Result<bool> {
    if through <= closed_through(conn, table)? {
        return Ok(false);
    }
    conn.execute(
        "INSERT INTO tab_closures (table_id, through_rowid, bill_order_id, at_ms) VALUES (?1, ?2, ?3, ?4)",
        params![table.0, through, bill.map(|b| b.id.to_string()), now_ms],
    )?;
    Ok(true)
}

/// A committed bill paid at the table settles its table's tab through the rounds it paid
/// (rounds sent meanwhile, say while its payment was being resolved, stay open). A share of
/// the bill settles it only when it paid the rest.
pub(super) fn close_by_bill(conn: &Connection, bill: &Order, now_ms: i64) -> Result<()> {
    if let OrderKind::TableBill { table, rounds, share } = &bill.kind
        && share.as_ref().is_none_or(|s| s.last)
    {
        record_closure(conn, table, last_row_of(conn, table, rounds)?, Some(bill), now_ms)?;
    }
    Ok(())
}
