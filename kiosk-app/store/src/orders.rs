//! Orders and their lines, and lifecycle transitions.

use kiosk_domain::{
    Currency, Lang, Money, Order, OrderEvent, OrderId, OrderKind, OrderState, PricedLine, Settlement, Totals,
    VatRate, VatSplit, next_state,
};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use uuid::Uuid;

use super::outbox::{self, PrintKind};
use super::tabs;
use super::{Actor, Result, Store, StoreError, audit, parse_state};

/// Order numbers wrap after this, like the numbers on a kitchen display.
const MAX_ORDER_NUMBER: u32 = 9999;

/// One order of a business day's receipt journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayOrder {
    pub id: OrderId,
    pub number: u32,
    pub total: Money,
    pub settlement: Settlement,
    /// Where it stands now (refunded or voided ones stay listed).
    pub state: OrderState,
    pub created_at_ms: i64,
}

impl Store {
    /// Stores a new draft order with all its lines and gives it the next order number of
    /// `business_day` (e.g. `2026-11-22`), written back into `order.number`.
    pub fn create_order(
        &mut self,
        order: &mut Order,
        business_day: &str,
        actor: Actor,
        now_ms: i64,
    ) -> Result<()> {
        let tx = self.write()?;
        let exists: bool =
            tx.query_row("SELECT EXISTS(SELECT 1 FROM orders WHERE id = ?1)", [order.id.to_string()], |r| {
                r.get(0)
            })?;
        if exists {
            return Err(StoreError::DuplicateOrder(order.id));
        }
        let last: u32 = tx
            .query_row("SELECT last FROM order_numbers WHERE business_day = ?1", [business_day], |r| r.get(0))
            .optional()?
            .unwrap_or(0);
        let number = last % MAX_ORDER_NUMBER + 1;
        tx.execute(
            "INSERT INTO order_numbers (business_day, last) VALUES (?1, ?2)
             ON CONFLICT (business_day) DO UPDATE SET last = excluded.last",
            params![business_day, number],
        )?;
        order.number = number;
        insert_order(&tx, order, business_day, now_ms)?;
        audit(
            &tx,
            now_ms,
            actor,
            "order.create",
            Some(order.id),
            &format!("number {number}, total {}", order.total()),
        )?;
        tx.commit()?;
        Ok(())
    }

    pub fn load_order(&self, id: OrderId) -> Result<Option<Order>> {
        load_order(&self.conn, id)
    }

    pub fn order_state(&self, id: OrderId) -> Result<OrderState> {
        state_of(&self.conn, id)
    }

    /// The orders of `business_day` that were committed and have a receipt (paid here, paid
    /// at the counter, a table's bill; not a table's rounds), newest first, at most `limit`:
    /// the operator's receipt journal. An order refunded or voided since stays listed.
    pub fn orders_of_day(&self, business_day: &str, limit: u32) -> Result<Vec<DayOrder>> {
        // Every commit queues the order for the POS in its transaction: the outbox row is
        // the mark that it was committed, whatever happened to it since.
        let mut stmt = self.conn.prepare_cached(
            "SELECT o.id, o.number, o.total, o.settlement, o.state, o.created_at_ms FROM orders o
             WHERE o.business_day = ?1 AND o.settlement != 'tab'
               AND EXISTS (SELECT 1 FROM pos_outbox b WHERE b.order_id = o.id)
             ORDER BY o.created_at_ms DESC, o.rowid DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![business_day, limit], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, u32>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, i64>(5)?,
            ))
        })?;
        rows.map(|row| {
            let (id, number, total, settlement, state, created_at_ms) = row?;
            Ok(DayOrder {
                id: parse_order_id(&id)?,
                number,
                total: Money(total),
                settlement: parse_settlement(&settlement)?,
                state: parse_state(&state)?,
                created_at_ms,
            })
        })
        .collect()
    }

    /// Orders now in any of `states`, oldest first.
    pub fn orders_in(&self, states: &[OrderState]) -> Result<Vec<OrderId>> {
        let mut stmt =
            self.conn.prepare_cached("SELECT id, state FROM orders ORDER BY created_at_ms, rowid")?;
        let mut out = Vec::new();
        for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
            let (id, state) = row?;
            if states.contains(&parse_state(&state)?) {
                out.push(parse_order_id(&id)?);
            }
        }
        Ok(out)
    }

    /// Applies a lifecycle event (anything but a commit; see [`Store::commit_order`]).
    pub fn apply_event(
        &mut self,
        id: OrderId,
        event: OrderEvent,
        actor: Actor,
        now_ms: i64,
    ) -> Result<OrderState> {
        if matches!(event, OrderEvent::Commit | OrderEvent::CommitUnpaid) {
            return Err(StoreError::UseCommitOrder(event));
        }
        let tx = self.write()?;
        let state = transition(&tx, id, event, actor, now_ms)?;
        tx.commit()?;
        Ok(state)
    }

    /// Commits the order (after approval, or unpaid for pay-at-counter and table rounds),
    /// queues it for the POS and queues `prints`, all in one transaction; a table's bill
    /// closes the table's tab in it too.
    pub fn commit_order(
        &mut self,
        id: OrderId,
        prints: &[PrintKind],
        actor: Actor,
        now_ms: i64,
    ) -> Result<OrderState> {
        let tx = self.write()?;
        let settlement: String = tx
            .query_row("SELECT settlement FROM orders WHERE id = ?1", [id.to_string()], |r| r.get(0))
            .optional()?
            .ok_or(StoreError::NoSuchOrder(id))?;
        let event = if parse_settlement(&settlement)? == Settlement::Prepaid {
            OrderEvent::Commit
        } else {
            OrderEvent::CommitUnpaid
        };
        let state = transition(&tx, id, event, actor, now_ms)?;
        let order = load_order(&tx, id)?.ok_or(StoreError::NoSuchOrder(id))?;
        outbox::enqueue(&tx, &order, now_ms)?;
        tabs::close_by_bill(&tx, &order, now_ms)?;
        for kind in prints {
            outbox::queue_print_in(&tx, Some(id), *kind, now_ms)?;
        }
        tx.commit()?;
        Ok(state)
    }
}

/// An order's state, on any connection (a transaction derefs to one).
pub(super) fn state_of(conn: &Connection, id: OrderId) -> Result<OrderState> {
    let state: Option<String> = conn
        .query_row("SELECT state FROM orders WHERE id = ?1", [id.to_string()], |r| r.get(0))
        .optional()?;
    parse_state(&state.ok_or(StoreError::NoSuchOrder(id))?)
}

pub(super) fn load_order(conn: &Connection, id: OrderId) -> Result<Option<Order>> {
    let header = conn
        .query_row(
            "SELECT number, kind_json, settlement, currency, vat_rate_bp, item_count, total, supply, vat,
                    state, created_at_ms, lang, note_json, suggestions_json, coupon_json, discount, stamps_json
             FROM orders WHERE id = ?1",
            [id.to_string()],
            |r| {
                Ok((
                    r.get::<_, u32>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, u16>(4)?,
                    r.get::<_, u32>(5)?,
                    [r.get::<_, i64>(6)?, r.get::<_, i64>(7)?, r.get::<_, i64>(8)?],
                    r.get::<_, String>(9)?,
                    r.get::<_, i64>(10)?,
                    r.get::<_, String>(11)?,
                    r.get::<_, Option<String>>(12)?,
                    r.get::<_, Option<String>>(13)?,
                    (r.get::<_, Option<String>>(14)?, r.get::<_, i64>(15)?, r.get::<_, Option<String>>(16)?),
                ))
            },
        )
        .optional()?;
    let Some((
        number,
        kind,
        settlement,
        currency,
        vat_bp,
        item_count,
        [total, supply, vat],
        state,
        created,
        lang,
        note,
        suggestions,
        (coupon, discount, stamps),
    )) = header
    else {
        return Ok(None);
    };
    let mut stmt =
        conn.prepare_cached("SELECT line_json FROM order_lines WHERE order_id = ?1 ORDER BY line_no")?;
    let lines = stmt
        .query_map([id.to_string()], |r| r.get::<_, String>(0))?
        .map(|json| Ok(serde_json::from_str::<PricedLine>(&json?)?))
        .collect::<Result<Vec<_>>>()?;
    let corrupt = |detail: String| StoreError::Corrupt { table: "orders", detail };
    Ok(Some(Order {
        id,
        number,
        kind: serde_json::from_str::<OrderKind>(&kind)?,
        settlement: parse_settlement(&settlement)?,
        currency: Currency::from_code(&currency).ok_or_else(|| corrupt(format!("currency {currency:?}")))?,
        vat_rate: VatRate::from_basis_points(vat_bp),
        lines,
        totals: Totals {
            item_count,
            vat: VatSplit { total: Money(total), supply: Money(supply), vat: Money(vat) },
            discount: Money(discount),
        },
        state: parse_state(&state)?,
        created_at_ms: created,
        lang: Lang::from_code(&lang).ok_or_else(|| corrupt(format!("language {lang:?}")))?,
        note: note.map(|json| serde_json::from_str(&json)).transpose()?,
        suggestions: suggestions.map(|json| serde_json::from_str(&json)).transpose()?.unwrap_or_default(),
        coupon: coupon.map(|json| serde_json::from_str(&json)).transpose()?,
        stamps: stamps.map(|json| serde_json::from_str(&json)).transpose()?,
    }))
}

/// Moves an order through one lifecycle event inside `tx`, with its audit row.
pub(super) fn transition(
    tx: &Transaction<'_>,
    id: OrderId,
    event: OrderEvent,
    actor: Actor,
    now_ms: i64,
) -> Result<OrderState> {
    let (state, settlement): (String, String) = tx
        .query_row("SELECT state, settlement FROM orders WHERE id = ?1", [id.to_string()], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?
        .ok_or(StoreError::NoSuchOrder(id))?;
    let from = parse_state(&state)?;
    // The domain decides; the store only records.
    let to = next_state(from, parse_settlement(&settlement)?, event)?;
    tx.execute(
        "UPDATE orders SET state = ?1, updated_at_ms = ?2 WHERE id = ?3",
        params![to.as_str(), now_ms, id.to_string()],
    )?;
    audit(tx, now_ms, actor, "order.transition", Some(id), &format!("{from} --{event:?}--> {to}"))?;
    crate::coupons::follow_order(tx, id, to, now_ms)?;
    Ok(to)
}

fn insert_order(tx: &Transaction<'_>, order: &Order, business_day: &str, now_ms: i64) -> Result<()> {
    let table_id = order.kind.table().map(|t| t.0.clone());
    tx.execute(
        "INSERT INTO orders (id, number, business_day, kind_json, table_id, settlement, currency, vat_rate_bp,
                             item_count, total, supply, vat, line_count, state, created_at_ms, updated_at_ms, lang,
                             note_json, suggestions_json, coupon_json, discount, stamps_json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)",
        params![
            order.id.to_string(),
            order.number,
            business_day,
            serde_json::to_string(&order.kind)?,
            table_id,
            order.settlement.as_str(),
            order.currency.code(),
            order.vat_rate.basis_points(),
            order.totals.item_count,
            order.totals.vat.total.0,
            order.totals.vat.supply.0,
            order.totals.vat.vat.0,
            order.lines.len(),
            order.state.as_str(),
            order.created_at_ms,
            now_ms,
            order.lang.code(),
            order.note.as_ref().map(serde_json::to_string).transpose()?,
            (!order.suggestions.is_empty()).then(|| serde_json::to_string(&order.suggestions)).transpose()?,
            order.coupon.as_ref().map(serde_json::to_string).transpose()?,
            order.totals.discount.0,
            order.stamps.as_ref().map(serde_json::to_string).transpose()?,
        ],
    )?;
    let mut stmt = tx.prepare_cached(
        "INSERT INTO order_lines (order_id, line_no, item_id, quantity, unit_price, line_total, line_json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for (no, line) in order.lines.iter().enumerate() {
        stmt.execute(params![
            order.id.to_string(),
            no,
            line.selection.item.0,
            line.quantity,
            line.unit_price.0,
            line.line_total.0,
            serde_json::to_string(line)?,
        ])?;
    }
    Ok(())
}

pub(super) fn parse_order_id(s: &str) -> Result<OrderId> {
    Uuid::parse_str(s)
        .map(OrderId)
        .map_err(|e| StoreError::Corrupt { table: "orders", detail: format!("order id {s:?}: {e}") })
}

fn parse_settlement(s: &str) -> Result<Settlement> {
    Settlement::parse(s)
        .ok_or_else(|| StoreError::Corrupt { table: "orders", detail: format!("settlement {s:?}") })
}
