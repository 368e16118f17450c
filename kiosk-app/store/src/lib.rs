//! The durable store: one SQLite database (WAL, `synchronous=FULL`) holding the menu cache,
//! orders and their lines, the payment journal, the POS outbox and refunds, table tabs, the
//! print queue and the audit log.
//!
//! Invariants the rest of the firmware relies on:
//! - Every state change is one transaction, together with its audit row.
//! - An order is committed in the same transaction that puts it in the POS outbox and the
//!   print queue: a committed order without an outbox row cannot exist.
//! - A payment step is journaled before the terminal is asked and completed after it
//!   answers; the order's lifecycle moves in the same transaction as the result.
//! - Every write is fsynced before `commit` returns (`synchronous=FULL`).
//!
//! The API is synchronous; async callers run it on a blocking thread. Time is passed in
//! (`now_ms`, Unix milliseconds) so tests control the clock.

mod coupons;
mod journal;
mod menu;
mod orders;
mod outbox;
mod receipts;
mod refunds;
mod schema;
mod settings;
mod tabs;

pub use receipts::receipt_token;

use std::path::Path;
use std::time::Duration;

use kiosk_domain::{OrderError, OrderEvent, OrderId, OrderState};
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior, params};

pub use coupons::{CouponHoldState, CouponRelease};
pub use journal::{ApprovalRow, JournalEntry, JournalId};
pub use menu::CachedMenu;
pub use orders::DayOrder;
pub use outbox::{OutboxEntry, OutboxStatus, PrintJob, PrintKind};
pub use refunds::RefundEntry;
pub use schema::SCHEMA_VERSION;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error(
        "the database has schema version {found}, newer than this firmware's {known}; refusing to touch it"
    )]
    SchemaTooNew { found: u32, known: u32 },
    #[error("no order {0}")]
    NoSuchOrder(OrderId),
    #[error("order {0} already exists")]
    DuplicateOrder(OrderId),
    #[error(transparent)]
    Order(#[from] OrderError),
    #[error("{0:?} must go through commit_order, which also queues the order for the POS")]
    UseCommitOrder(OrderEvent),
    #[error("order {0} already has a payment step in progress (journal entry {1})")]
    PaymentInProgress(OrderId, i64),
    #[error("no open payment journal entry {0}")]
    NoOpenJournalEntry(i64),
    #[error("the menu is invalid: {0} problem(s), first: {1}")]
    InvalidMenu(usize, String),
    #[error("corrupt row in {table}: {detail}")]
    Corrupt { table: &'static str, detail: String },
    #[error("could not encode or decode stored JSON: {0}")]
    Json(#[from] serde_json::Error),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Who caused a change, for the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Customer,
    Operator,
    Pos,
    System,
}

impl Actor {
    fn as_str(self) -> &'static str {
        match self {
            Actor::Customer => "customer",
            Actor::Operator => "operator",
            Actor::Pos => "pos",
            Actor::System => "system",
        }
    }
}

pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        Store::setup(conn)
    }

    /// A private in-memory database, for tests and dry runs.
    pub fn open_in_memory() -> Result<Store> {
        Store::setup(Connection::open_in_memory()?)
    }

    fn setup(mut conn: Connection) -> Result<Store> {
        conn.busy_timeout(Duration::from_secs(5))?;
        // WAL: readers never block the writer, and a crash mid-write loses at most the
        // uncommitted transaction. FULL: the WAL is fsynced at every commit, so a committed
        // order or payment survives a power cut (NORMAL would only keep it consistent).
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        schema::migrate(&mut conn)?;
        Ok(Store { conn })
    }

    pub fn schema_version(&self) -> Result<u32> {
        Ok(self.conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// `PRAGMA integrity_check` plus a foreign-key check; empty when the database is sound.
    pub fn integrity_problems(&self) -> Result<Vec<String>> {
        let mut problems: Vec<String> = self
            .conn
            .prepare("PRAGMA integrity_check")?
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<_>>()?;
        problems.retain(|p| p != "ok");
        let fk: Vec<String> = self
            .conn
            .prepare("PRAGMA foreign_key_check")?
            .query_map([], |r| Ok(format!("foreign key violation in {}", r.get::<_, String>(0)?)))?
            .collect::<rusqlite::Result<_>>()?;
        problems.extend(fk);
        Ok(problems)
    }

    /// Read-only access for reports and tests.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    fn write(&mut self) -> Result<Transaction<'_>> {
        Ok(self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?)
    }

    /// Audit entries, newest first.
    pub fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>> {
        let mut stmt = self.conn.prepare(
            "SELECT at_ms, actor, action, order_id, detail FROM audit_log ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit], |r| {
            Ok(AuditEntry {
                at_ms: r.get(0)?,
                actor: r.get(1)?,
                action: r.get(2)?,
                order_id: r.get(3)?,
                detail: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub order_id: Option<String>,
    pub detail: Option<String>,
}

fn audit(
    tx: &Transaction<'_>,
    now_ms: i64,
    actor: Actor,
    action: &str,
    order: Option<OrderId>,
    detail: &str,
) -> Result<()> {
    tx.execute(
        "INSERT INTO audit_log (at_ms, actor, action, order_id, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![now_ms, actor.as_str(), action, order.map(|o| o.to_string()), detail],
    )?;
    Ok(())
}

fn parse_state(s: &str) -> Result<OrderState> {
    OrderState::parse(s)
        .ok_or_else(|| StoreError::Corrupt { table: "orders", detail: format!("unknown state {s:?}") })
}
