//! Table tabs across restarts: which committed rounds a table still owes for.
//!
//! A tab ends when it is settled: its bill is committed (paid at the table; recorded in the
//! bill's own commit transaction), the POS settles its rounds (paid at the counter), or staff
//! close it on the tablet. Each
//! closure records the highest order row at that moment, so the open tab is the table's
//! committed rounds stored after its last closure. Row order, not the wall clock, which can
//! step back (the store never runs VACUUM, which could renumber the orders' rows).

use kiosk_domain::{Order, OrderId, OrderKind, TableId};
use rusqlite::{Connection, OptionalExtension, params};

use super::orders::{load_order, parse_order_id};
use super::{Actor, Result, Store, audit};

impl Store {
    /// The rounds of `table`'s open tab, oldest first: committed rounds (unpaid, on the tab)
    /// stored since the table was last settled.
    pub fn open_tab(&self, table: &TableId) -> Result<Vec<Order>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id FROM orders WHERE table_id = ?1 AND rowid > ?2 ORDER BY rowid")?;
        let ids = stmt
            .query_map(params![table.0, closed_through(&self.conn, table)?], |r| r.get::<_, String>(0))?
            .map(|id| parse_order_id(&id?))
            .collect::<Result<Vec<_>>>()?;
        let mut rounds = Vec::new();
        for id in ids {
            if let Some(order) = load_order(&self.conn, id)?
                && matches!(order.kind, OrderKind::Table { .. })
                && order.state.is_committed()
            {
                rounds.push(order);
            }
        }
        Ok(rounds)
    }

    /// Staff closed `table`'s tab on the tablet (paid at the counter, the POS not told).
    pub fn close_tab(&mut self, table: &TableId, actor: Actor, now_ms: i64) -> Result<()> {
        let tx = self.write()?;
        close_tab_in(&tx, table, None, now_ms)?;
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
        let mut through = 0;
        for id in rounds {
            let row: Option<i64> = tx
                .query_row(
                    "SELECT rowid FROM orders WHERE id = ?1 AND table_id = ?2",
                    params![id.to_string(), table.0],
                    |r| r.get(0),
                )
                .optional()?;
            through = through.max(row.unwrap_or(0));
        }
        if through <= closed_through(&tx, table)? {
            return Ok(false);
        }
        record_closure(&tx, table, through, None, now_ms)?;
        audit(
            &tx,
            now_ms,
            actor,
            "tab.settle",
            None,
            &format!("table {}: {} round(s)", table.0, rounds.len()),
        )?;
        tx.commit()?;
        Ok(true)
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

fn record_closure(
    conn: &Connection,
    table: &TableId,
    through: i64,
    bill: Option<&Order>,
    now_ms: i64,
) -> Result<()> {
    conn.execute(
        "INSERT INTO tab_closures (table_id, through_rowid, bill_order_id, at_ms) VALUES (?1, ?2, ?3, ?4)",
        params![table.0, through, bill.map(|b| b.id.to_string()), now_ms],
    )?;
    Ok(())
}

/// Records that `table`'s tab is settled, through every order stored so far; by `bill` when
/// its bill was paid at the table.
pub(super) fn close_tab_in(
    conn: &Connection,
    table: &TableId,
    bill: Option<&Order>,
    now_ms: i64,
) -> Result<()> {
    let through: i64 =
        conn.query_row("SELECT MAX(rowid) FROM orders", [], |r| r.get::<_, Option<i64>>(0))?.unwrap_or(0);
    record_closure(conn, table, through, bill, now_ms)
}

/// The table a committed bill settles, if `order` is one.
pub(super) fn settled_by(order: &Order) -> Option<&TableId> {
    match &order.kind {
        OrderKind::TableBill { table, .. } => Some(table),
        _ => None,
    }
}
