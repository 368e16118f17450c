//! Where an order's food is made: stations (the bar, the kitchen) assigned per category or
//! per item, each with its own network printer or the store's kitchen printer; the kitchen
//! queue with one ticket per station an order needs; stations bumping their part of an
//! order (the order is ready when every station has); and the store's choice to hold
//! pay-at-counter orders back from the kitchen until they are paid.
//!
//! An order's stations are fixed when it arrives (`orders.line_stations`), so moving an item
//! to another station later changes no ticket already made.

use std::collections::BTreeSet;

use kiosk_domain::{Menu, Order, OrderForPos, Settlement};
use kiosk_link::wire::OrderStatus;
use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;

use super::{DbError, Result, ServerDb};

pub(super) const MIGRATION: &str = r#"
CREATE TABLE stations (
    id        TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    printer   TEXT
);
CREATE TABLE station_assignments (
    kind      TEXT NOT NULL CHECK (kind IN ('category', 'item')),
    target    TEXT NOT NULL,
    station   TEXT NOT NULL REFERENCES stations(id) ON DELETE CASCADE,
    PRIMARY KEY (kind, target)
);
ALTER TABLE orders ADD COLUMN line_stations TEXT;
ALTER TABLE kitchen_queue ADD COLUMN station TEXT NOT NULL DEFAULT '';
CREATE TABLE station_bumps (
    order_id  TEXT NOT NULL,
    station   TEXT NOT NULL,
    at_ms     INTEGER NOT NULL,
    PRIMARY KEY (order_id, station)
);
CREATE TABLE photos (
    name      TEXT PRIMARY KEY,
    png       BLOB NOT NULL,
    at_ms     INTEGER NOT NULL
);
"#;

/// The setting that holds unpaid pay-at-counter orders back from the kitchen.
pub const HOLD_UNPAID: &str = "hold_unpaid_orders";

/// A place where food is made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Station {
    /// Lower-case letters, digits and `-`.
    pub id: String,
    pub name: String,
    /// `HOST:PORT` of its own ESC/POS printer; without one, the store's kitchen printer.
    pub printer: Option<String>,
}

/// Which station makes what: per category, with items that go elsewhere.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assignments {
    pub categories: std::collections::BTreeMap<String, String>,
    pub items: std::collections::BTreeMap<String, String>,
}

impl Assignments {
    /// The station of an item: its own, else its category's, else none (`""`).
    pub fn station_of(&self, menu: Option<&Menu>, item: &str) -> String {
        if let Some(s) = self.items.get(item) {
            return s.clone();
        }
        let category =
            menu.and_then(|m| m.items.iter().find(|i| i.id.0 == item)).map(|i| i.category.0.as_str());
        category.and_then(|c| self.categories.get(c)).cloned().unwrap_or_default()
    }
}

fn valid_station_id(id: &str) -> bool {
    (1..=24).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn valid_printer(address: &str) -> bool {
    match address.rsplit_once(':') {
        Some((host, port)) => !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0),
        None => false,
    }
}

/// Whether `order` waits for its payment before the kitchen sees it: a pay-at-counter kiosk
/// order where the store holds those, and always a pre-pay table's round sent for the
/// counter to take (it was ordered to be paid first). An order with nothing to pay (a stamp
/// reward or a coupon took it all off) is never held.
fn held(hold_unpaid: bool, sent: &OrderForPos) -> bool {
    sent.order.settlement == Settlement::PayAtCounter
        && sent.order.total().0 > 0
        && (hold_unpaid || sent.order.kind.table().is_some())
}

/// Queues an order's kitchen tickets, one per station its lines need, and fixes the station
/// of each line. Called in the transaction that stores the order, and again when a held order
/// is paid. Returns whether anything was queued.
pub(super) fn queue_for_kitchen(
    tx: &Transaction<'_>,
    order_id: &str,
    sent: &OrderForPos,
    paid: bool,
) -> Result<bool> {
    if !sent.order.kind.goes_to_kitchen() {
        return Ok(false);
    }
    let fixed: Option<String> =
        tx.query_row("SELECT line_stations FROM orders WHERE order_id = ?1", [order_id], |r| r.get(0))?;
    let stations = match fixed {
        Some(json) => serde_json::from_str(&json)?,
        None => {
            let stations: Vec<String> = line_stations_in(tx, &sent.order)?;
            tx.execute(
                "UPDATE orders SET line_stations = ?1 WHERE order_id = ?2",
                params![serde_json::to_string(&stations)?, order_id],
            )?;
            stations
        }
    };
    if !paid && held(hold_unpaid_in(tx)?, sent) {
        return Ok(false);
    }
    let already: bool =
        tx.query_row("SELECT EXISTS (SELECT 1 FROM kitchen_queue WHERE order_id = ?1)", [order_id], |r| {
            r.get(0)
        })?;
    if already {
        return Ok(false);
    }
    for station in stations.iter().collect::<BTreeSet<_>>() {
        tx.execute(
            "INSERT INTO kitchen_queue (order_id, station) VALUES (?1, ?2)",
            params![order_id, station],
        )?;
    }
    Ok(true)
}

fn line_stations_in(tx: &Transaction<'_>, order: &Order) -> Result<Vec<String>> {
    let assignments = assignments_in(tx)?;
    // The menu (a large JSON) is read only when a line may go by its category's station:
    // this runs for every order received.
    let by_category = !assignments.categories.is_empty()
        && order.lines.iter().any(|l| !assignments.items.contains_key(&l.selection.item.0));
    let menu: Option<String> = if by_category {
        tx.query_row("SELECT menu_json FROM menu WHERE id = 1", [], |r| r.get(0)).optional()?
    } else {
        None
    };
    let menu: Option<Menu> = menu.map(|m| serde_json::from_str(&m)).transpose()?;
    Ok(order.lines.iter().map(|l| assignments.station_of(menu.as_ref(), &l.selection.item.0)).collect())
}

fn assignments_in(conn: &rusqlite::Connection) -> Result<Assignments> {
    let mut stmt = conn.prepare_cached("SELECT kind, target, station FROM station_assignments")?;
    let mut out = Assignments::default();
    for row in
        stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))?
    {
        let (kind, target, station) = row?;
        if kind == "item" {
            out.items.insert(target, station)
        } else {
            out.categories.insert(target, station)
        };
    }
    Ok(out)
}

fn hold_unpaid_in(conn: &rusqlite::Connection) -> Result<bool> {
    let v: Option<String> = conn
        .query_row("SELECT value FROM settings WHERE key = ?1", [HOLD_UNPAID], |r| r.get(0))
        .optional()?;
    Ok(v.as_deref() == Some("1"))
}

/// A kitchen ticket to print: its queue entry, its station and the order with that
/// station's lines only.
#[derive(Debug, Clone)]
pub struct KitchenTicket {
    pub seq: i64,
    pub station: Option<Station>,
    pub order: Order,
}

impl ServerDb {
    pub fn stations(&self) -> Result<Vec<Station>> {
        let mut stmt = self.conn.prepare_cached("SELECT id, name, printer FROM stations ORDER BY name")?;
        let rows =
            stmt.query_map([], |r| Ok(Station { id: r.get(0)?, name: r.get(1)?, printer: r.get(2)? }))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Adds a station or changes its name and printer.
    pub fn save_station(&mut self, station: &Station) -> Result<()> {
        if !valid_station_id(&station.id) {
            return Err(DbError::Invalid(format!(
                "a station's id is 1 to 24 lower-case letters, digits or '-', not {:?}",
                station.id
            )));
        }
        let name = station.name.trim();
        if name.is_empty() || name.chars().count() > 32 {
            return Err(DbError::Invalid("a station's name is 1 to 32 characters".into()));
        }
        if let Some(p) = station.printer.as_deref().filter(|p| !valid_printer(p)) {
            return Err(DbError::Invalid(format!("a printer is HOST:PORT (usually port 9100), not {p:?}")));
        }
        self.conn.execute(
            "INSERT INTO stations (id, name, printer) VALUES (?1, ?2, ?3)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, printer = excluded.printer",
            params![station.id, name, station.printer],
        )?;
        Ok(())
    }

    pub fn station_assignments(&self) -> Result<Assignments> {
        assignments_in(&self.conn)
    }

    /// Sends a category's or an item's lines to `station` (`None`: an item follows its
    /// category again, a category goes to no station).
    pub fn assign_station(&mut self, kind: &str, target: &str, station: Option<&str>) -> Result<()> {
        if kind != "category" && kind != "item" {
            return Err(DbError::Invalid(format!(
                "stations are assigned to a category or an item, not {kind:?}"
            )));
        }
        match station.filter(|s| !s.is_empty()) {
            Some(s) => {
                let known: bool = self.conn.query_row(
                    "SELECT EXISTS (SELECT 1 FROM stations WHERE id = ?1)",
                    [s],
                    |r| r.get(0),
                )?;
                if !known {
                    return Err(DbError::NotFound(format!("station {s:?}")));
                }
                self.conn.execute(
                    "INSERT INTO station_assignments (kind, target, station) VALUES (?1, ?2, ?3)
                     ON CONFLICT (kind, target) DO UPDATE SET station = excluded.station",
                    params![kind, target, s],
                )?;
            }
            None => {
                self.conn.execute(
                    "DELETE FROM station_assignments WHERE kind = ?1 AND target = ?2",
                    params![kind, target],
                )?;
            }
        }
        Ok(())
    }

    pub fn hold_unpaid(&self) -> Result<bool> {
        hold_unpaid_in(&self.conn)
    }

    pub fn set_hold_unpaid(&mut self, hold: bool) -> Result<()> {
        self.set_setting(HOLD_UNPAID, if hold { "1" } else { "0" })
    }

    /// The printers station tickets go to, besides the store's kitchen printer.
    pub fn station_printers(&self) -> Result<BTreeSet<String>> {
        let mut stmt =
            self.conn.prepare_cached("SELECT DISTINCT printer FROM stations WHERE printer IS NOT NULL")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The next ticket for a printer: `Some(address)` for a station's own printer, `None`
    /// for the store's kitchen printer (stations without a printer, and lines of none).
    pub fn next_kitchen_ticket(&self, printer: Option<&str>) -> Result<Option<KitchenTicket>> {
        let row: Option<(i64, String, String, Option<String>)> = self
            .conn
            .query_row(
                "SELECT k.seq, k.station, o.payload_json, o.line_stations FROM kitchen_queue k
                   JOIN orders o ON o.order_id = k.order_id
                   LEFT JOIN stations s ON s.id = k.station
                 WHERE k.printed = 0 AND COALESCE(s.printer, '') = ?1
                 ORDER BY k.seq LIMIT 1",
                [printer.unwrap_or("")],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let Some((seq, station_id, json, line_stations)) = row else { return Ok(None) };
        let mut order: Order = serde_json::from_str(&json)?;
        if let Some(stations) = line_stations {
            let stations: Vec<String> = serde_json::from_str(&stations)?;
            let mut i = 0;
            order.lines.retain(|_| {
                let keep = stations.get(i).is_none_or(|s| *s == station_id);
                i += 1;
                keep
            });
        }
        let station = self
            .conn
            .query_row("SELECT id, name, printer FROM stations WHERE id = ?1", [&station_id], |r| {
                Ok(Station { id: r.get(0)?, name: r.get(1)?, printer: r.get(2)? })
            })
            .optional()?;
        Ok(Some(KitchenTicket { seq, station, order }))
    }

    pub fn kitchen_printed(&mut self, seq: i64, error: Option<&str>) -> Result<()> {
        self.conn.execute(
            "UPDATE kitchen_queue SET printed = ?1, error = ?2 WHERE seq = ?3",
            params![error.is_none(), error, seq],
        )?;
        Ok(())
    }

    /// A station has made its part of an order. When every station the order needs has,
    /// the order is ready (and its device told). Returns whether the order became ready.
    pub fn bump_station(&mut self, order_id: &str, station: &str, now_ms: i64) -> Result<bool> {
        let stations = self.order_stations(order_id)?;
        if !stations.contains(station) {
            return Err(DbError::NotFound(format!("station {station:?}'s part of order {order_id}")));
        }
        self.conn.execute(
            "INSERT INTO station_bumps (order_id, station, at_ms) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
            params![order_id, station, now_ms],
        )?;
        let bumped = self.bumped_stations(order_id)?;
        if stations.is_subset(&bumped) {
            self.mark_order(order_id, OrderStatus::Ready, now_ms)?;
            return Ok(true);
        }
        Ok(false)
    }

    /// The stations an order's lines go to (`""` for lines of no station).
    pub fn order_stations(&self, order_id: &str) -> Result<BTreeSet<String>> {
        let json: Option<Option<String>> = self
            .conn
            .query_row("SELECT line_stations FROM orders WHERE order_id = ?1", [order_id], |r| r.get(0))
            .optional()?;
        let json = json.ok_or_else(|| DbError::NotFound(format!("order {order_id}")))?;
        Ok(match json {
            Some(j) => serde_json::from_str::<Vec<String>>(&j)?.into_iter().collect(),
            None => BTreeSet::from([String::new()]),
        })
    }

    pub fn bumped_stations(&self, order_id: &str) -> Result<BTreeSet<String>> {
        let mut stmt = self.conn.prepare_cached("SELECT station FROM station_bumps WHERE order_id = ?1")?;
        let rows = stmt.query_map([order_id], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Orders the kitchen does not see yet: pay-at-counter orders not paid while the store
    /// holds those back, and a pre-pay table's rounds not paid at the counter yet.
    pub fn held_orders(&self) -> Result<BTreeSet<String>> {
        let hold = self.hold_unpaid()?;
        // Of the counter's unpaid orders, exactly these are held (`held`).
        Ok(self
            .unpaid_counter_orders(kiosk_domain::Lang::Ko)?
            .into_iter()
            .filter(|o| hold || o.table.is_some())
            .map(|o| o.order_id)
            .collect())
    }
}
