//! The reference store server's SQLite database: devices and their tokens, the menu,
//! sold-out marks, received orders (deduplicated by order id), the update log that devices
//! follow, staff calls, table claims, device health and tables settled at the counter.
//!
//! Every write that devices must hear about appends to `events` in the same transaction,
//! so a device that reconnects with its last event id misses nothing. The CLI writes to the
//! same file while the server runs; the server notices new events by polling `MAX(seq)`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use kiosk_domain::{Menu, Order, OrderForPos, Refund};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use kiosk_clock::unix_now_ms;
use kiosk_link::tls::{hex, sha256_hex};
use kiosk_link::wire::{OrderStatus, Sequenced, StaffReason, SubmitStatus, Update};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("stored JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("order {0} was received before with a different payload")]
    Conflict(String),
    /// A change already made (a payment taken, a day closed, a name taken), said as is.
    #[error("{0}")]
    AlreadyDone(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("table {table} is held by {holder}")]
    TableTaken { table: String, holder: String },
    #[error("the store is closed")]
    StoreClosed,
    #[error("the database was written by a newer server (schema {0})")]
    TooNew(u32),
    #[error("{0}")]
    Coupon(kiosk_domain::CouponRefusal),
}

pub type Result<T, E = DbError> = std::result::Result<T, E>;

pub mod console;
pub mod coupons;
pub mod kitchen;
pub mod menu;
pub mod stamps;

const SCHEMA: &str = r#"
CREATE TABLE devices (
    name          TEXT PRIMARY KEY,
    token_sha256  TEXT NOT NULL UNIQUE,
    admin         INTEGER NOT NULL DEFAULT 0,
    created_at_ms INTEGER NOT NULL
);
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE menu (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    version   TEXT NOT NULL,
    menu_json TEXT NOT NULL,
    item_ids  TEXT NOT NULL
);
CREATE TABLE sold_out (item_id TEXT PRIMARY KEY, since_ms INTEGER NOT NULL);
CREATE TABLE orders (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id        TEXT NOT NULL UNIQUE,
    device          TEXT NOT NULL,
    payload_sha256  TEXT NOT NULL,
    payload_json    TEXT NOT NULL,
    number          INTEGER NOT NULL,
    total           INTEGER NOT NULL,
    status          TEXT NOT NULL,
    received_at_ms  INTEGER NOT NULL,
    duplicates      INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE events (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    device  TEXT,                       -- NULL: for every device
    json    TEXT NOT NULL,
    at_ms   INTEGER NOT NULL
);
CREATE TABLE staff_calls (
    id        TEXT PRIMARY KEY,
    device    TEXT NOT NULL,
    table_id  TEXT,
    reason    TEXT NOT NULL,
    at_ms     INTEGER NOT NULL
);
CREATE TABLE table_claims (table_id TEXT PRIMARY KEY, device TEXT NOT NULL, at_ms INTEGER NOT NULL);
CREATE TABLE device_health (device TEXT PRIMARY KEY, report_json TEXT NOT NULL, at_ms INTEGER NOT NULL);
CREATE TABLE kitchen_queue (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id  TEXT NOT NULL,
    printed   INTEGER NOT NULL DEFAULT 0,
    error     TEXT
);
"#;

/// Changes after the first schema: `MIGRATIONS[i]` takes version `i + 1` to `i + 2`.
const MIGRATIONS: &[&str] = &[
    // 2: rounds paid at the counter (a round is settled once).
    r#"
    CREATE TABLE table_settlements (
        seq       INTEGER PRIMARY KEY AUTOINCREMENT,
        table_id  TEXT NOT NULL,
        order_id  TEXT NOT NULL UNIQUE,
        at_ms     INTEGER NOT NULL
    );
    "#,
    // 3: refunds of orders already received (an approval reversed on the device).
    r#"
    CREATE TABLE refunds (
        refund_id       TEXT PRIMARY KEY,
        order_id        TEXT NOT NULL REFERENCES orders(order_id),
        amount          INTEGER NOT NULL,
        approval_no     TEXT NOT NULL,
        payload_sha256  TEXT NOT NULL,
        received_at_ms  INTEGER NOT NULL
    );
    CREATE INDEX refunds_order ON refunds (order_id);
    "#,
    // 4: the staff console (accounts, sessions, audit log, counter payments, business days).
    console::MIGRATION,
    // 5: stations, their printers and bumps; menu photos.
    kitchen::MIGRATION,
    // 6: failed logins counted per name typed, with lockouts that grow.
    console::LOGIN_MIGRATION,
    // 7: an index for the order board.
    console::BOARD_MIGRATION,
    // 8: coupons, and which order holds or used each.
    coupons::MIGRATION,
    // 9: stamp cards (by a salted hash of the number) and what each order earned and spent.
    stamps::MIGRATION,
];

const SCHEMA_VERSION: u32 = 1 + MIGRATIONS.len() as u32;

/// The server's view of a device, found by its token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub name: String,
    pub admin: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReceivedOrder {
    pub seq: i64,
    pub order_id: String,
    pub device: String,
    pub number: u32,
    pub total: i64,
    pub status: String,
    pub received_at_ms: i64,
    pub duplicates: u32,
    /// Refunded since (approvals reversed on the device).
    pub refunded: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StaffCallRecord {
    pub id: String,
    pub device: String,
    pub table: Option<String>,
    pub reason: String,
    pub at_ms: i64,
}

/// A device and its last health report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRow {
    pub name: String,
    pub admin: bool,
    pub report_json: Option<String>,
    pub reported_at_ms: Option<i64>,
}

pub struct ServerDb {
    conn: Connection,
}

impl ServerDb {
    pub fn open(path: &Path) -> Result<ServerDb> {
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        // The server checkpoints the WAL in the background (`checkpoint`), off the path of a
        // request; this is only the backstop should that stop.
        conn.pragma_update(None, "wal_autocheckpoint", 10_000)?;
        let version: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(DbError::TooNew(version));
        }
        if version < SCHEMA_VERSION {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            // Another process may have migrated while we waited for the lock.
            let mut version: u32 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            if version > SCHEMA_VERSION {
                return Err(DbError::TooNew(version));
            }
            if version == 0 {
                tx.execute_batch(SCHEMA)?;
                tx.execute("INSERT INTO settings (key, value) VALUES ('store_open', '1')", [])?;
                version = 1;
            }
            for sql in &MIGRATIONS[(version - 1) as usize..] {
                tx.execute_batch(sql)?;
            }
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
            tx.commit()?;
        }
        Ok(ServerDb { conn })
    }

    /// Copies the WAL back into the database without waiting for anyone (SQLite's passive
    /// checkpoint), on a connection of its own: an order being stored never pays for it.
    pub fn checkpoint(path: &Path) -> Result<()> {
        let conn = Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// A second connection to an opened database that only reads: pages, device lookups and
    /// the update log are read through it, so they never wait for (or hold up) a write. In
    /// WAL mode it sees every committed transaction.
    pub fn open_reader(path: &Path) -> Result<ServerDb> {
        let conn = Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(5))?;
        Ok(ServerDb { conn })
    }

    /// Creates or replaces the token of a device (or of an admin); returns the new token,
    /// which is shown once: only its hash is kept.
    pub fn issue_token(&mut self, name: &str, admin: bool) -> Result<String> {
        let token = random_hex(24);
        self.conn.execute(
            "INSERT INTO devices (name, token_sha256, admin, created_at_ms) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (name) DO UPDATE SET token_sha256 = excluded.token_sha256, admin = excluded.admin",
            params![name, sha256_hex(token.as_bytes()), admin, unix_now_ms()],
        )?;
        Ok(token)
    }

    pub fn device_for_token(&self, token: &str) -> Result<Option<Device>> {
        Ok(self
            .conn
            .query_row(
                "SELECT name, admin FROM devices WHERE token_sha256 = ?1",
                [sha256_hex(token.as_bytes())],
                |r| Ok(Device { name: r.get(0)?, admin: r.get(1)? }),
            )
            .optional()?)
    }

    fn append(tx: &rusqlite::Transaction<'_>, device: Option<&str>, update: &Update) -> Result<i64> {
        tx.execute(
            "INSERT INTO events (device, json, at_ms) VALUES (?1, ?2, ?3)",
            params![device, serde_json::to_string(update)?, unix_now_ms()],
        )?;
        Ok(tx.last_insert_rowid())
    }

    pub fn last_event(&self) -> Result<u64> {
        Ok(self.conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |r| r.get(0))?)
    }

    /// Updates after `since` meant for `device`, oldest first.
    pub fn events_after(&self, since: u64, device: &str, limit: u32) -> Result<Vec<Sequenced>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, json FROM events WHERE seq > ?1 AND (device IS NULL OR device = ?2) ORDER BY seq LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![since, device, limit], |r| {
            Ok((r.get::<_, u64>(0)?, r.get::<_, String>(1)?))
        })?;
        rows.map(|row| {
            let (seq, json) = row?;
            Ok(Sequenced { seq, update: serde_json::from_str(&json)? })
        })
        .collect()
    }

    /// Items marked sold out, by id.
    pub fn sold_out_items(&self) -> Result<std::collections::BTreeSet<String>> {
        let mut stmt = self.conn.prepare_cached("SELECT item_id FROM sold_out")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The whole current state as one update, stamped with the latest event number.
    pub fn snapshot(&self) -> Result<Sequenced> {
        let seq = self.last_event()?;
        let sold_out = self.sold_out_items()?.into_iter().collect(); // in item id order
        Ok(Sequenced {
            seq,
            update: Update::Snapshot {
                store_open: self.store_open()?,
                menu_version: self.menu_version()?,
                sold_out,
            },
        })
    }

    pub fn store_open(&self) -> Result<bool> {
        store_open(&self.conn)
    }

    pub fn set_store_open(&mut self, open: bool) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO settings (key, value) VALUES ('store_open', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [if open { "1" } else { "0" }],
        )?;
        Self::append(&tx, None, &Update::Store { open })?;
        tx.commit()?;
        Ok(())
    }

    pub fn menu_version(&self) -> Result<Option<String>> {
        Ok(self.conn.query_row("SELECT version FROM menu WHERE id = 1", [], |r| r.get(0)).optional()?)
    }

    /// `(version, JSON)` of the menu devices download.
    pub fn menu(&self) -> Result<Option<(String, String)>> {
        Ok(self
            .conn
            .query_row("SELECT version, menu_json FROM menu WHERE id = 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    /// Replaces the menu after validating it; a menu without a version gets one from its
    /// content, so an unchanged menu keeps its version (and its ETag).
    pub fn load_menu(&mut self, mut menu: Menu) -> Result<String> {
        let problems = menu.validate();
        if !problems.is_empty() {
            let list: Vec<String> = problems.iter().take(5).map(|p| p.to_string()).collect();
            return Err(DbError::Invalid(format!(
                "the menu has {} problem(s): {}",
                problems.len(),
                list.join("; ")
            )));
        }
        for item in &mut menu.items {
            item.sold_out = false; // sold-out state travels as marks and updates
        }
        if menu.version.is_empty() {
            menu.version = format!("sha-{}", &sha256_hex(serde_json::to_string(&menu)?.as_bytes())[..16]);
        }
        let ids: Vec<&str> = menu.items.iter().map(|i| i.id.0.as_str()).collect();
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO menu (id, version, menu_json, item_ids) VALUES (1, ?1, ?2, ?3)
             ON CONFLICT (id) DO UPDATE SET version = excluded.version, menu_json = excluded.menu_json,
                 item_ids = excluded.item_ids",
            params![menu.version, serde_json::to_string(&menu)?, serde_json::to_string(&ids)?],
        )?;
        Self::append(&tx, None, &Update::Menu { version: menu.version.clone() })?;
        tx.commit()?;
        Ok(menu.version)
    }

    fn has_item(&self, item: &str) -> Result<bool> {
        let ids: Option<String> =
            self.conn.query_row("SELECT item_ids FROM menu WHERE id = 1", [], |r| r.get(0)).optional()?;
        Ok(match ids {
            Some(ids) => serde_json::from_str::<Vec<String>>(&ids)?.iter().any(|i| i == item),
            None => false,
        })
    }

    pub fn set_sold_out(&mut self, item: &str, sold_out: bool) -> Result<()> {
        if !self.has_item(item)? {
            return Err(DbError::NotFound(format!("item {item:?} of the menu")));
        }
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if sold_out {
            tx.execute(
                "INSERT INTO sold_out (item_id, since_ms) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                params![item, unix_now_ms()],
            )?;
        } else {
            tx.execute("DELETE FROM sold_out WHERE item_id = ?1", [item])?;
        }
        Self::append(&tx, None, &Update::SoldOut { item: item.to_owned(), sold_out })?;
        tx.commit()?;
        Ok(())
    }

    /// Receives an order: the first time it is stored (and queued for the kitchen), a
    /// re-send of the same payload is a duplicate, a different payload a conflict. A closed
    /// store takes no new orders but still answers re-sends of those it took while open.
    /// Returns the status and the store's reference.
    pub fn receive_order(&mut self, device: &str, sent: &OrderForPos) -> Result<(SubmitStatus, String)> {
        let canonical = serde_json::to_string(sent)?;
        let digest = sha256_hex(canonical.as_bytes());
        let order = &sent.order;
        let id = order.id.to_string();
        let now = unix_now_ms();
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let existing: Option<(i64, String)> = tx
            .query_row("SELECT seq, payload_sha256 FROM orders WHERE order_id = ?1", [&id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let (status, seq) = match existing {
            Some((seq, stored)) if stored == digest => {
                tx.execute("UPDATE orders SET duplicates = duplicates + 1 WHERE seq = ?1", [seq])?;
                (SubmitStatus::Duplicate, seq)
            }
            Some(_) => return Err(DbError::Conflict(id)),
            None if !store_open(&tx)? => return Err(DbError::StoreClosed),
            None => {
                let day = console::business_day_in(&tx, &console::clock_in(&tx)?, now)?;
                coupons::use_in(&tx, order, device)?;
                stamps::earn_in(&tx, order)?;
                tx.execute(
                    "INSERT INTO orders (order_id, device, payload_sha256, payload_json, number, total, status, received_at_ms,
                                         business_day, receipt_token)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'received', ?7, ?8, ?9)",
                    params![
                        id,
                        device,
                        digest,
                        canonical,
                        order.number,
                        order.totals.total().0,
                        now,
                        day,
                        console::receipt_token_for(&tx, sent)?
                    ],
                )?;
                let seq = tx.last_insert_rowid();
                // A table's bill pays rounds the kitchen already has.
                kitchen::queue_for_kitchen(&tx, &id, sent, false)?;
                (SubmitStatus::Accepted, seq)
            }
        };
        tx.commit()?;
        Ok((status, pos_ref(seq)))
    }

    /// Staff mark an order ready or served; the device that sent it hears about it. Marking
    /// it with the status it has changes nothing and tells no one. Returns whether it changed.
    pub fn set_order_status(&mut self, order_id: &str, status: OrderStatus) -> Result<bool> {
        self.change_order_status(order_id, status, None)
    }

    /// [`ServerDb::set_order_status`], stamping when (`ready_at_ms`, `served_at_ms`) in the
    /// same transaction when `stamp_ms` is given.
    pub(crate) fn change_order_status(
        &mut self,
        order_id: &str,
        status: OrderStatus,
        stamp_ms: Option<i64>,
    ) -> Result<bool> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let row: Option<(String, String)> = tx
            .query_row("SELECT device, status FROM orders WHERE order_id = ?1", [order_id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let (device, current) = row.ok_or_else(|| DbError::NotFound(format!("order {order_id}")))?;
        if current == status.as_str() {
            return Ok(false);
        }
        tx.execute("UPDATE orders SET status = ?1 WHERE order_id = ?2", params![status.as_str(), order_id])?;
        let column = match status {
            OrderStatus::Ready => Some("ready_at_ms"),
            OrderStatus::Served => Some("served_at_ms"),
            OrderStatus::Received => None,
        };
        if let (Some(column), Some(at)) = (column, stamp_ms) {
            tx.execute(
                &format!("UPDATE orders SET {column} = ?1 WHERE order_id = ?2"),
                params![at, order_id],
            )?;
        }
        Self::append(&tx, Some(&device), &Update::OrderStatus { order_id: order_id.to_owned(), status })?;
        tx.commit()?;
        Ok(true)
    }

    /// Staff took payment for `table` at the counter: every round on its tab (received, and
    /// neither paid by its bill at the table nor settled here before; a tab moved here
    /// counts) is settled now, and the devices that sent them hear about it. Returns the
    /// rounds settled.
    pub fn settle_table(&mut self, table: &str) -> Result<Vec<String>> {
        let rounds: Vec<String> =
            self.open_tabs()?.remove(table).unwrap_or_default().into_iter().map(|(id, _)| id).collect();
        if rounds.is_empty() {
            return Err(DbError::NotFound(format!("an open tab for table {table}")));
        }
        self.settle_rounds(table, &rounds)
    }

    /// Marks `rounds` settled at the counter for `table` and tells their devices.
    pub(crate) fn settle_rounds(&mut self, table: &str, rounds: &[String]) -> Result<Vec<String>> {
        self.settle_rounds_with(table, rounds, |_, _| Ok(()))
    }

    /// Settles rounds and, in the same transaction, records what paid for them (`also`
    /// gets the rounds this call settled): both happen, or neither.
    pub(crate) fn settle_rounds_with(
        &mut self,
        table: &str,
        rounds: &[String],
        also: impl FnOnce(&rusqlite::Transaction<'_>, &[String]) -> Result<()>,
    ) -> Result<Vec<String>> {
        let now = unix_now_ms();
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut by_device: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut settled = Vec::new();
        for id in rounds {
            let n = tx.execute(
                "INSERT INTO table_settlements (table_id, order_id, at_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT (order_id) DO NOTHING",
                params![table, id, now],
            )?;
            if n == 0 {
                continue;
            }
            let device: String =
                tx.query_row("SELECT device FROM orders WHERE order_id = ?1", [id], |r| r.get(0))?;
            by_device.entry(device).or_default().push(id.clone());
            settled.push(id.clone());
        }
        for (device, orders) in by_device {
            Self::append(&tx, Some(&device), &Update::TableSettled { table: table.to_owned(), orders })?;
        }
        also(&tx, &settled)?;
        tx.commit()?;
        Ok(settled)
    }

    /// Receives a refund of an order this device sent: the first time it is stored, a
    /// re-send of the same payload is a duplicate, a different payload under the same id a
    /// conflict. Refunds never add up to more than the order's total. A closed store still
    /// takes them.
    pub fn receive_refund(&mut self, device: &str, refund: &Refund) -> Result<SubmitStatus> {
        let digest = sha256_hex(serde_json::to_string(refund)?.as_bytes());
        let (id, order_id) = (refund.id.to_string(), refund.order_id.to_string());
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let stored: Option<String> = tx
            .query_row("SELECT payload_sha256 FROM refunds WHERE refund_id = ?1", [&id], |r| r.get(0))
            .optional()?;
        match stored {
            Some(stored) if stored == digest => return Ok(SubmitStatus::Duplicate),
            Some(_) => return Err(DbError::Conflict(format!("refund {id}"))),
            None => {}
        }
        let total: i64 = tx
            .query_row(
                "SELECT total FROM orders WHERE order_id = ?1 AND device = ?2",
                params![order_id, device],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| DbError::NotFound(format!("order {order_id}")))?;
        let refunded: i64 = tx.query_row(
            "SELECT COALESCE(SUM(amount), 0) FROM refunds WHERE order_id = ?1",
            [&order_id],
            |r| r.get(0),
        )?;
        if refund.amount.0 <= 0 || refunded + refund.amount.0 > total {
            return Err(DbError::Invalid(format!(
                "a refund of {} on order {order_id} of {total} (refunded so far: {refunded})",
                refund.amount.0
            )));
        }
        tx.execute(
            "INSERT INTO refunds (refund_id, order_id, amount, approval_no, payload_sha256, received_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![id, order_id, refund.amount.0, refund.approval_no, digest, unix_now_ms()],
        )?;
        tx.commit()?;
        Ok(SubmitStatus::Accepted)
    }

    /// Every round settled at the counter (order ids).
    pub fn settled_rounds(&self) -> Result<BTreeSet<String>> {
        let mut stmt = self.conn.prepare_cached("SELECT order_id FROM table_settlements")?;
        Ok(stmt.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?)
    }

    pub fn orders(&self, after_seq: i64, limit: u32) -> Result<Vec<ReceivedOrder>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, order_id, device, number, total, status, received_at_ms, duplicates,
                    (SELECT COALESCE(SUM(amount), 0) FROM refunds r WHERE r.order_id = orders.order_id)
             FROM orders WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after_seq, limit], |r| {
            Ok(ReceivedOrder {
                seq: r.get(0)?,
                order_id: r.get(1)?,
                device: r.get(2)?,
                number: r.get(3)?,
                total: r.get(4)?,
                status: r.get(5)?,
                received_at_ms: r.get(6)?,
                duplicates: r.get(7)?,
                refunded: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn order_payload(&self, order_id: &str) -> Result<Option<Order>> {
        let json: Option<String> = self
            .conn
            .query_row("SELECT payload_json FROM orders WHERE order_id = ?1", [order_id], |r| r.get(0))
            .optional()?;
        Ok(json.map(|j| serde_json::from_str(&j)).transpose()?)
    }

    /// Records a staff call once per id; returns whether it was new.
    pub fn staff_call(
        &mut self,
        id: &str,
        device: &str,
        table: Option<&str>,
        reason: StaffReason,
    ) -> Result<bool> {
        let n = self.conn.execute(
            "INSERT INTO staff_calls (id, device, table_id, reason, at_ms) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (id) DO NOTHING",
            params![id, device, table, reason.as_str(), unix_now_ms()],
        )?;
        Ok(n == 1)
    }

    pub fn staff_calls(&self, limit: u32) -> Result<Vec<StaffCallRecord>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, device, table_id, reason, at_ms FROM staff_calls ORDER BY at_ms DESC, id LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit], |r| {
            Ok(StaffCallRecord {
                id: r.get(0)?,
                device: r.get(1)?,
                table: r.get(2)?,
                reason: r.get(3)?,
                at_ms: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The device that holds `table`, if one does.
    pub fn table_holder(&self, table: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT device FROM table_claims WHERE table_id = ?1", [table], |r| r.get(0))
            .optional()?)
    }

    /// Claims `table` for `device`; a second device gets `TableTaken` until it is released.
    pub fn claim_table(&mut self, table: &str, device: &str) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let holder: Option<String> = tx
            .query_row("SELECT device FROM table_claims WHERE table_id = ?1", [table], |r| r.get(0))
            .optional()?;
        match holder {
            Some(h) if h != device => return Err(DbError::TableTaken { table: table.to_owned(), holder: h }),
            Some(_) => {}
            None => {
                // A device holds one table: moving it frees the old one.
                tx.execute("DELETE FROM table_claims WHERE device = ?1", [device])?;
                tx.execute(
                    "INSERT INTO table_claims (table_id, device, at_ms) VALUES (?1, ?2, ?3)",
                    params![table, device, unix_now_ms()],
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    pub fn release_table(&mut self, table: &str) -> Result<bool> {
        Ok(self.conn.execute("DELETE FROM table_claims WHERE table_id = ?1", [table])? == 1)
    }

    pub fn record_health(&mut self, device: &str, report_json: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO device_health (device, report_json, at_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT (device) DO UPDATE SET report_json = excluded.report_json, at_ms = excluded.at_ms",
            params![device, report_json, unix_now_ms()],
        )?;
        Ok(())
    }

    pub fn devices(&self) -> Result<Vec<DeviceRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT d.name, d.admin, h.report_json, h.at_ms FROM devices d
             LEFT JOIN device_health h ON h.device = d.name ORDER BY d.name",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(DeviceRow {
                name: r.get(0)?,
                admin: r.get(1)?,
                report_json: r.get(2)?,
                reported_at_ms: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// An online copy of the database at `to` (SQLite's backup API: a consistent snapshot
    /// while the server keeps writing), checked whole before it is kept. Returns its size.
    pub fn backup_to(&self, to: &Path) -> Result<u64> {
        let partial = to.with_extension("partial");
        let _ = std::fs::remove_file(&partial);
        {
            let mut copy = Connection::open(&partial)?;
            rusqlite::backup::Backup::new(&self.conn, &mut copy)?.run_to_completion(
                256,
                Duration::from_millis(5),
                None,
            )?;
            let check: String = copy.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
            if check != "ok" {
                return Err(DbError::Invalid(format!("the backup failed its integrity check: {check}")));
            }
        }
        std::fs::rename(&partial, to)
            .map_err(|e| DbError::Invalid(format!("keeping {}: {e}", to.display())))?;
        Ok(std::fs::metadata(to).map(|m| m.len()).unwrap_or(0))
    }
}

/// `bytes` random bytes from the system's source, in hex: tokens, keys, links.
pub fn random_hex(bytes: usize) -> String {
    let mut raw = vec![0u8; bytes];
    rand::fill(&mut raw[..]);
    hex(&raw)
}

fn store_open(conn: &Connection) -> Result<bool> {
    let v: Option<String> =
        conn.query_row("SELECT value FROM settings WHERE key = 'store_open'", [], |r| r.get(0)).optional()?;
    Ok(v.as_deref() != Some("0"))
}

/// The store's reference for an order: its arrival number.
/// Refunds of `order_id` add up to its total.
fn refunded_in_full(conn: &Connection, order_id: &str) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT COALESCE((SELECT SUM(amount) FROM refunds WHERE order_id = ?1), 0) >= total FROM orders WHERE order_id = ?1",
        [order_id],
        |r| r.get(0),
    )?)
}

pub fn pos_ref(seq: i64) -> String {
    format!("K-{seq:05}")
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn db() -> (tempfile::TempDir, ServerDb) {
        let dir = tempfile::tempdir().unwrap();
        let db = ServerDb::open(&dir.path().join("pos.sqlite")).unwrap();
        (dir, db)
    }

    #[test]
    fn a_first_version_database_is_migrated_with_its_data() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pos.sqlite");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(SCHEMA).unwrap();
        conn.execute("INSERT INTO settings (key, value) VALUES ('store_open', '0')", []).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        drop(conn);
        let mut db = ServerDb::open(&path).unwrap();
        assert!(!db.store_open().unwrap(), "the data stays");
        assert!(db.settled_rounds().unwrap().is_empty());
        assert!(matches!(db.settle_table("7"), Err(DbError::NotFound(_))));
        drop(db);
        ServerDb::open(&path).unwrap();
    }

    #[test]
    fn tokens_are_stored_hashed_and_found_again() {
        let (_d, mut db) = db();
        let token = db.issue_token("kiosk-1", false).unwrap();
        assert_eq!(
            db.device_for_token(&token).unwrap(),
            Some(Device { name: "kiosk-1".into(), admin: false })
        );
        assert_eq!(db.device_for_token("guess").unwrap(), None);
        let stored: String = db.conn.query_row("SELECT token_sha256 FROM devices", [], |r| r.get(0)).unwrap();
        assert_ne!(stored, token);
        let rotated = db.issue_token("kiosk-1", false).unwrap();
        assert_eq!(db.device_for_token(&token).unwrap(), None, "the old token stops working");
        assert!(db.device_for_token(&rotated).unwrap().is_some());
    }

    /// A kiosk order of one cola, with id `n`.
    pub(super) fn order(n: u128) -> OrderForPos {
        use kiosk_domain::{Cart, OrderKind, Selection, Service, Settlement};
        let menu: Menu = serde_json::from_str(include_str!("../../../data/menu.example.json")).unwrap();
        let mut cart = Cart::default();
        cart.add(&menu, Selection::of("cola", 1), None).unwrap();
        let kind = OrderKind::Kiosk { service: Service::TakeOut };
        let id = kiosk_domain::OrderId(uuid::Uuid::from_u128(n));
        let order = Order::from_cart(id, n as u32, kind, Settlement::Prepaid, &cart, &menu, 0).unwrap();
        OrderForPos { order, payment: None, receipt_token: None }
    }

    /// A pre-pay table's round of one cola, with id `n`, settled as `settlement`.
    fn prepay_round(n: u128, settlement: kiosk_domain::Settlement) -> OrderForPos {
        let mut sent = order(n);
        sent.order.kind = kiosk_domain::OrderKind::Table {
            table: kiosk_domain::TableId("3".into()),
            guests: 2,
            round: n as u32,
        };
        sent.order.settlement = settlement;
        sent
    }

    /// A pre-pay table's round sent for the counter waits there, out of the kitchen, until
    /// it is paid (whether or not the store holds kiosks' unpaid orders); a round paid at the
    /// table goes to the kitchen at once. Neither is owed on the table's tab.
    #[test]
    fn a_prepay_tables_round_for_the_counter_is_held_until_paid_and_never_owed() {
        use kiosk_domain::Settlement;
        let (_d, mut db) = db();
        assert!(!db.hold_unpaid().unwrap());
        let counter = prepay_round(1, Settlement::PayAtCounter);
        db.receive_order("table-3", &counter).unwrap();
        let id = counter.order.id.to_string();
        assert!(db.next_kitchen_ticket(None).unwrap().is_none(), "held from the kitchen");
        assert_eq!(db.held_orders().unwrap(), [id.clone()].into());
        let unpaid = db.unpaid_counter_orders(kiosk_domain::Lang::Ko).unwrap();
        assert_eq!(unpaid.iter().map(|o| o.table.as_deref()).collect::<Vec<_>>(), [Some("3")]);
        assert!(
            db.tables(0).unwrap().iter().all(|t| t.owed == 0 && t.rounds == 0),
            "nothing owed on the tab"
        );

        let staff = db.staff_add("Minji", console::Role::Counter, "hash", 0).unwrap();
        let member = console::StaffMember {
            id: staff,
            name: "Minji".into(),
            role: console::Role::Counter,
            active: true,
        };
        db.pay_order_at_counter(&id, console::CounterMethod::Card, None, None, &member, 10).unwrap();
        assert!(db.held_orders().unwrap().is_empty());
        let ticket = db.next_kitchen_ticket(None).unwrap().expect("to the kitchen once paid");
        assert_eq!(ticket.order.id, counter.order.id);
        db.kitchen_printed(ticket.seq, None).unwrap();

        let paid = prepay_round(2, Settlement::Prepaid);
        db.receive_order("table-3", &paid).unwrap();
        assert_eq!(
            db.next_kitchen_ticket(None).unwrap().map(|t| t.order.id),
            Some(paid.order.id),
            "paid: at once"
        );
        assert!(db.tables(0).unwrap().iter().all(|t| t.owed == 0), "nothing owed on the tab");
    }

    /// Shares of a bill paid at the table: each lowers what the table owes on the tables
    /// page and at the counter; the share that pays the rest settles the tab.
    #[test]
    fn shares_of_a_bill_lower_what_the_table_owes_and_the_last_settles_it() {
        use kiosk_domain::{Settlement, Split, Tab, TableId};
        let (_d, mut db) = db();
        let mut round = prepay_round(1, Settlement::Tab);
        round.order.kind = kiosk_domain::OrderKind::Table { table: TableId("3".into()), guests: 2, round: 1 };
        round.order.state = kiosk_domain::OrderState::Committed;
        db.receive_order("table-3", &round).unwrap();
        let mut tab = Tab::open(TableId("3".into()), 2);
        tab.add_round(round.order.clone()).unwrap();
        let owed = |db: &ServerDb| db.tables(0).unwrap().iter().find(|t| t.table == "3").map(|t| t.owed);
        assert_eq!(owed(&db), Some(1_800));

        let id = |n| kiosk_domain::OrderId(uuid::Uuid::from_u128(n));
        let mut first = tab.share_order(id(11), Split::Even { parts: 2 }, 0).unwrap();
        first.state = kiosk_domain::OrderState::Committed;
        db.receive_order(
            "table-3",
            &OrderForPos { order: first.clone(), payment: None, receipt_token: None },
        )
        .unwrap();
        assert_eq!(owed(&db), Some(900), "less the first share");
        {
            // the counter takes only the rest (in a copy of the store: the tablet pays it here)
            let copy = _d.path().join("copy.sqlite");
            db.conn.execute("VACUUM INTO ?1", [copy.to_str().unwrap()]).unwrap();
            let mut counter = ServerDb::open(&copy).unwrap();
            let staff = counter.staff_add("Minji", console::Role::Counter, "hash", 0).unwrap();
            let member = console::StaffMember {
                id: staff,
                name: "Minji".into(),
                role: console::Role::Counter,
                active: true,
            };
            let (_, paid) = counter
                .settle_table_at_counter("3", console::CounterMethod::Card, None, None, &member, 5)
                .unwrap();
            assert_eq!(paid.amount, 900);
        }
        tab.add_share(first);
        let mut rest = tab.share_order(id(12), Split::Rest, 0).unwrap();
        assert!(rest.kind.share().unwrap().last);
        rest.state = kiosk_domain::OrderState::Committed;
        db.receive_order("table-3", &OrderForPos { order: rest, payment: None, receipt_token: None })
            .unwrap();
        assert_eq!(owed(&db), None, "settled by the last share");
    }

    #[test]
    fn a_board_far_behind_shows_its_oldest_and_newest_orders_and_counts_them_all() {
        let (_d, mut db) = db();
        for n in 1..=300 {
            db.receive_order("kiosk-1", &order(n)).unwrap();
        }
        let ready = kiosk_domain::OrderId(uuid::Uuid::from_u128(7)).to_string();
        db.mark_order(&ready, OrderStatus::Ready, 1).unwrap();
        let board = db.board_orders(2, 60_000, kiosk_domain::Lang::Ko).unwrap();
        let received: Vec<u32> = board.iter().filter(|o| o.status == "received").map(|o| o.number).collect();
        assert_eq!(received.len(), console::BOARD_COLUMN);
        assert_eq!(received[0], 1, "the oldest first");
        assert_eq!(*received.last().unwrap(), 300, "the newest is there too");
        assert!(board.iter().any(|o| o.number == 7 && o.status == "ready"));
        assert_eq!(db.board_counts().unwrap(), (299, 1), "every order is counted");
    }

    #[test]
    fn a_closed_store_refuses_new_orders_but_answers_re_sends() {
        let (_d, mut db) = db();
        let (taken, _) = db.receive_order("kiosk-1", &order(1)).unwrap();
        assert_eq!(taken, SubmitStatus::Accepted);
        db.set_store_open(false).unwrap();
        assert!(matches!(db.receive_order("kiosk-1", &order(2)), Err(DbError::StoreClosed)));
        assert_eq!(db.receive_order("kiosk-1", &order(1)).unwrap().0, SubmitStatus::Duplicate);

        // Marking an order with the status it has tells its device nothing again.
        let id = kiosk_domain::OrderId(uuid::Uuid::from_u128(1)).to_string();
        let before = db.last_event().unwrap();
        assert!(db.set_order_status(&id, OrderStatus::Ready).unwrap());
        assert!(!db.set_order_status(&id, OrderStatus::Ready).unwrap(), "ready twice");
        assert_eq!(db.last_event().unwrap(), before + 1, "one update for the device, not two");
    }

    /// The daily close counts the customers' answers to suggestions, from the orders that
    /// carried them, less the orders refunded whole.
    #[test]
    fn the_daily_close_counts_each_suggestion_taken_and_declined() {
        use kiosk_domain::SuggestionAnswer;
        let (_d, mut db) = db();
        let answer = |id: &str, accepted| SuggestionAnswer { id: id.into(), accepted };
        let answers = [
            vec![answer("coffee-cheesecake", true)],
            vec![answer("coffee-cheesecake", false), answer("sandwich-lemonade", true)],
            vec![],
        ];
        for (n, answers) in answers.into_iter().enumerate() {
            let mut sent = order(n as u128 + 1);
            sent.order.suggestions = answers;
            db.receive_order("kiosk-1", &sent).unwrap();
        }
        let day = db.business_day(kiosk_clock::unix_now_ms()).unwrap();
        let r = db.day_report(&day).unwrap();
        assert_eq!(r.orders, 3);
        assert_eq!(
            r.suggestions,
            BTreeMap::from([
                ("coffee-cheesecake".to_owned(), (1, 1)),
                ("sandwich-lemonade".to_owned(), (1, 0))
            ])
        );
        let csv = crate::console::admin::report_csv(&r);
        assert!(csv.contains(",suggestion_taken:coffee-cheesecake,1,0\n"), "{csv}");
        assert!(csv.contains(",suggestion_declined:coffee-cheesecake,1,0\n"), "{csv}");

        // The first order refunded whole: the suggestion taken with it no longer counts.
        let first = order(1);
        let refund = kiosk_domain::Refund {
            id: uuid::Uuid::from_u128(99),
            order_id: first.order.id,
            amount: first.order.total(),
            approval_no: "30000001".into(),
            refunded_at_ms: 0,
        };
        db.receive_refund("kiosk-1", &refund).unwrap();
        let r = db.day_report(&day).unwrap();
        assert_eq!(
            r.suggestions,
            BTreeMap::from([
                ("coffee-cheesecake".to_owned(), (0, 1)),
                ("sandwich-lemonade".to_owned(), (1, 0))
            ])
        );
    }

    #[test]
    fn two_devices_cannot_hold_one_table() {
        let (_d, mut db) = db();
        db.claim_table("7", "tab-a").unwrap();
        db.claim_table("7", "tab-a").unwrap();
        assert!(
            matches!(db.claim_table("7", "tab-b"), Err(DbError::TableTaken { holder, .. }) if holder == "tab-a")
        );
        db.claim_table("8", "tab-a").unwrap();
        db.claim_table("7", "tab-b").unwrap();
    }
}
