//! What the staff console keeps: staff accounts and their sessions, the audit log of every
//! staff action, payments taken at the counter, staff calls acknowledged, tabs moved between
//! tables, business days closed, pickup board keys and e-receipt links. Password hashing
//! happens outside (it is slow on purpose, and the database is shared); this stores hashes.

use std::collections::BTreeMap;

use kiosk_clock::StoreClock;
use kiosk_domain::{Money, OrderForPos, OrderKind, PaymentMethod, Settlement, VatRate, Wallet};
use kiosk_link::tls::sha256_hex;
use kiosk_link::wire::{OrderStatus, Update};
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use serde::Serialize;

use super::{DbError, Result, ServerDb};

/// Failed logins in a row before an account is locked.
pub const MAX_FAILURES: u32 = 5;
/// How long a locked account stays locked.
pub const LOCKOUT_MS: i64 = 5 * 60 * 1000;
/// The longest a name stays locked after repeated lockouts.
pub const MAX_LOCKOUT_MS: i64 = 24 * 60 * 60 * 1000;

/// The lockout after `lockouts` earlier ones in a row: 5 min, 10, 20 … up to a day.
pub fn lockout_ms(lockouts: u32) -> i64 {
    LOCKOUT_MS.saturating_mul(1i64 << lockouts.min(16)).min(MAX_LOCKOUT_MS)
}

/// Names are counted as staff type them, case and spaces aside.
fn login_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// How long a console session lasts without a new login.
pub const SESSION_MS: i64 = 12 * 60 * 60 * 1000;

pub(super) const MIGRATION: &str = r#"
CREATE TABLE staff (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    name             TEXT NOT NULL UNIQUE,
    role             TEXT NOT NULL CHECK (role IN ('owner', 'counter', 'kitchen')),
    secret_hash      TEXT NOT NULL,
    failures         INTEGER NOT NULL DEFAULT 0,
    locked_until_ms  INTEGER NOT NULL DEFAULT 0,
    active           INTEGER NOT NULL DEFAULT 1,
    created_at_ms    INTEGER NOT NULL
);
CREATE TABLE staff_sessions (
    token_sha256   TEXT PRIMARY KEY,
    staff_id       INTEGER NOT NULL REFERENCES staff(id),
    csrf           TEXT NOT NULL,
    created_at_ms  INTEGER NOT NULL,
    expires_at_ms  INTEGER NOT NULL
);
CREATE TABLE audit_log (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    staff_id    INTEGER,
    staff_name  TEXT NOT NULL,
    action      TEXT NOT NULL,
    detail      TEXT NOT NULL,
    at_ms       INTEGER NOT NULL
);
CREATE TABLE counter_payments (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id      TEXT UNIQUE REFERENCES orders(order_id),
    table_id      TEXT,
    method        TEXT NOT NULL CHECK (method IN ('cash', 'card')),
    amount        INTEGER NOT NULL,
    tendered      INTEGER,
    change_given  INTEGER,
    cash_receipt  TEXT,
    business_day  TEXT NOT NULL,
    staff_id      INTEGER NOT NULL,
    at_ms         INTEGER NOT NULL
);
ALTER TABLE orders ADD COLUMN business_day TEXT;
ALTER TABLE orders ADD COLUMN ready_at_ms INTEGER;
ALTER TABLE orders ADD COLUMN served_at_ms INTEGER;
ALTER TABLE orders ADD COLUMN receipt_token TEXT;
CREATE UNIQUE INDEX orders_receipt ON orders (receipt_token);
CREATE INDEX orders_day ON orders (business_day);
ALTER TABLE staff_calls ADD COLUMN acked_at_ms INTEGER;
ALTER TABLE staff_calls ADD COLUMN acked_by TEXT;
CREATE TABLE tab_moves (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id  TEXT NOT NULL,
    from_table TEXT NOT NULL,
    to_table  TEXT NOT NULL,
    at_ms     INTEGER NOT NULL
);
CREATE TABLE day_closes (
    business_day  TEXT PRIMARY KEY,
    staff_id      INTEGER NOT NULL,
    closed_at_ms  INTEGER NOT NULL,
    report_json   TEXT NOT NULL
);
CREATE TABLE board_keys (
    key_sha256     TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    created_at_ms  INTEGER NOT NULL
);
"#;

/// Failed logins per name typed (known or not), replacing the per-account counters.
pub(super) const LOGIN_MIGRATION: &str = r#"
CREATE TABLE login_attempts (
    name             TEXT PRIMARY KEY,
    failures         INTEGER NOT NULL,
    lockouts         INTEGER NOT NULL,
    locked_until_ms  INTEGER NOT NULL
);
"#;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Counter,
    Kitchen,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Owner, Role::Counter, Role::Kitchen];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Counter => "counter",
            Role::Kitchen => "kitchen",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// What a role may do. The kitchen sees orders and marks them ready; the counter also takes
/// payments, answers staff calls, marks items sold out and runs the store; only the owner
/// edits the menu, closes the day and manages staff. (Refunds of payments made on a device
/// are made at that device's terminal, in its operator mode, and reach the daily close.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    SeeOrders,
    MarkOrders,
    TakePayments,
    Tables,
    Store,
    EditMenu,
    CloseDay,
    ManageStaff,
}

impl Role {
    pub fn may(self, p: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Owner => true,
            Role::Counter => matches!(p, SeeOrders | MarkOrders | TakePayments | Tables | Store),
            Role::Kitchen => matches!(p, SeeOrders | MarkOrders),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StaffMember {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub active: bool,
}

/// A staff member's account as a login needs it.
#[derive(Debug, Clone)]
pub struct Account {
    pub member: StaffMember,
    pub secret_hash: String,
}

/// A logged-in staff member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffSession {
    pub staff: StaffMember,
    pub csrf: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub staff_name: String,
    pub action: String,
    pub detail: String,
    pub at_ms: i64,
}

/// One line of an order as staff read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BoardLine {
    pub name: String,
    pub options: Vec<String>,
    pub quantity: u32,
    /// The customer's requests for it (요청사항), `""` for none.
    pub note: String,
    /// The station that makes it (`""`: none).
    pub station: String,
}

/// An order as the board, the kitchen and the counter show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BoardOrder {
    pub order_id: String,
    pub device: String,
    pub number: u32,
    /// Who it is for.
    pub place: Place,
    pub table: Option<String>,
    pub kiosk: bool,
    pub lines: Vec<BoardLine>,
    /// The customer's requests for the whole order, `""` for none.
    pub note: String,
    pub total: i64,
    pub prepaid: bool,
    /// Paid at the counter (cash or card), for orders paid there.
    pub paid_at_counter: Option<String>,
    pub status: String,
    pub received_at_ms: i64,
    pub business_day: String,
    /// The payment, for a prepaid order: "card KB국민카드", "kakao_pay".
    pub payment: Option<String>,
}

/// Who an order is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Place {
    DineIn,
    TakeOut,
    Round { table: String, round: u32 },
    Bill { table: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenCall {
    pub id: String,
    pub device: String,
    pub table: Option<String>,
    pub reason: String,
    pub at_ms: i64,
    pub acked_by: Option<String>,
}

/// A table as the tables page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct TableView {
    pub table: String,
    pub rounds: u32,
    pub guests: u16,
    pub owed: i64,
    pub first_round_ms: Option<i64>,
    pub round_ids: Vec<String>,
    pub calls: Vec<OpenCall>,
    pub tablet: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CounterMethod {
    Cash,
    Card,
}

impl CounterMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            CounterMethod::Cash => "cash",
            CounterMethod::Card => "card",
        }
    }

    pub fn parse(s: &str) -> Option<CounterMethod> {
        [CounterMethod::Cash, CounterMethod::Card].into_iter().find(|m| m.as_str() == s)
    }
}

/// A payment taken at the counter, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CounterPayment {
    pub method: CounterMethod,
    pub amount: i64,
    pub tendered: Option<i64>,
    pub change: Option<i64>,
    /// The 현금영수증 number, masked.
    pub cash_receipt: Option<String>,
}

/// A business day's figures: the daily close (매출 정산).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, Default)]
pub struct DayReport {
    pub business_day: String,
    /// Sales: kiosk orders and table rounds (a table's bill pays rounds; it is no sale).
    pub orders: u32,
    pub gross: i64,
    pub refunds: i64,
    pub refund_count: u32,
    pub net: i64,
    pub supply: i64,
    pub vat: i64,
    pub kiosk_orders: u32,
    pub kiosk_gross: i64,
    pub table_orders: u32,
    pub table_gross: i64,
    /// How the day was paid: label → (count, amount). Labels: `card:<issuer>`,
    /// `wallet:<kind>`, `cash`, `counter_card`; `unpaid` is what is still owed.
    pub payments: BTreeMap<String, (u32, i64)>,
    /// The customers' answers to the menu's suggestions, by suggestion id: (taken, not
    /// taken), from the day's orders less those refunded whole (a day closed before they were
    /// counted has none). Taken: the offered item was in the order.
    #[serde(default)]
    pub suggestions: BTreeMap<String, (u32, u32)>,
    pub closed_at_ms: Option<i64>,
    pub closed_by: Option<String>,
}

/// Masks a 현금영수증 identifier (a phone or card number): its last four digits show.
pub fn mask_cash_receipt(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    if !(8..=20).contains(&digits.len()) {
        return None;
    }
    let keep = &digits[digits.len() - 4..];
    Some(format!("{}{keep}", "*".repeat(digits.len() - 4)))
}

fn payment_label(p: &kiosk_domain::Approval) -> String {
    match p.method {
        PaymentMethod::Card => format!("card:{}", p.issuer.clone().unwrap_or_else(|| "?".into()).trim()),
        PaymentMethod::Wallet(w) => format!(
            "wallet:{}",
            match w {
                Wallet::KakaoPay => "kakao_pay",
                Wallet::NaverPay => "naver_pay",
                Wallet::Other => "other",
            }
        ),
    }
}

fn place_of(kind: &OrderKind) -> (Place, Option<String>, bool) {
    match kind {
        OrderKind::Kiosk { service: kiosk_domain::Service::DineIn } => (Place::DineIn, None, true),
        OrderKind::Kiosk { service: kiosk_domain::Service::TakeOut } => (Place::TakeOut, None, true),
        OrderKind::Table { table, round, .. } => {
            (Place::Round { table: table.0.clone(), round: *round }, Some(table.0.clone()), false)
        }
        OrderKind::TableBill { table, .. } => {
            (Place::Bill { table: table.0.clone() }, Some(table.0.clone()), false)
        }
    }
}

fn board_order(
    row: &rusqlite::Row<'_>,
    lang: kiosk_domain::Lang,
) -> rusqlite::Result<(BoardOrder, OrderForPos)> {
    let json: String = row.get("payload_json")?;
    let sent: OrderForPos = serde_json::from_str(&json).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })?;
    let (place, table, kiosk) = place_of(&sent.order.kind);
    let stations: Vec<String> = row
        .get::<_, Option<String>>("line_stations")?
        .and_then(|j| serde_json::from_str(&j).ok())
        .unwrap_or_default();
    let lines = sent
        .order
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| BoardLine {
            name: l.name.get(lang).to_owned(),
            options: l.parts.iter().map(|p| p.name.get(lang).to_owned()).collect(),
            quantity: l.quantity,
            note: l.selection.note.as_ref().map(|n| n.render(lang)).unwrap_or_default(),
            station: stations.get(i).cloned().unwrap_or_default(),
        })
        .collect();
    let paid_at_counter: Option<String> = row.get("counter_method")?;
    let order = BoardOrder {
        order_id: row.get("order_id")?,
        device: row.get("device")?,
        number: row.get("number")?,
        place,
        table,
        kiosk,
        lines,
        note: sent.order.note.as_ref().map(|n| n.render(lang)).unwrap_or_default(),
        total: row.get("total")?,
        prepaid: sent.order.settlement == Settlement::Prepaid,
        paid_at_counter,
        status: row.get("status")?,
        received_at_ms: row.get("received_at_ms")?,
        business_day: row.get::<_, Option<String>>("business_day")?.unwrap_or_default(),
        payment: sent.payment.as_ref().map(payment_label),
    };
    Ok((order, sent))
}

/// The most orders one board column shows.
pub const BOARD_COLUMN: usize = 200;

/// Orders on the board (bills are not), by status in arrival order: what the board reads.
pub(super) const BOARD_MIGRATION: &str = r#"
CREATE INDEX orders_on_board ON orders (status, seq) WHERE payload_json NOT LIKE '%"table_bill"%';
"#;

const BOARD_COLUMNS: &str =
    "o.order_id, o.device, o.number, o.total, o.status, o.received_at_ms, o.business_day, o.line_stations,
     o.payload_json, (SELECT method FROM counter_payments c WHERE c.order_id = o.order_id) AS counter_method";

impl ServerDb {
    // --- staff -----------------------------------------------------------------------------

    pub fn staff_count(&self) -> Result<u32> {
        Ok(self.conn.query_row("SELECT COUNT(*) FROM staff", [], |r| r.get(0))?)
    }

    /// Adds a staff member with a hashed PIN or password.
    pub fn staff_add(&mut self, name: &str, role: Role, secret_hash: &str, now_ms: i64) -> Result<i64> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 32 {
            return Err(DbError::Invalid("a staff name is 1 to 32 characters".into()));
        }
        let n = self.conn.execute(
            "INSERT INTO staff (name, role, secret_hash, created_at_ms) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (name) DO NOTHING",
            params![name, role.as_str(), secret_hash, now_ms],
        )?;
        if n == 0 {
            return Err(DbError::AlreadyDone(format!("there is already a staff member called {name}")));
        }
        Ok(self.conn.last_insert_rowid())
    }

    pub fn staff_list(&self) -> Result<Vec<StaffMember>> {
        let mut stmt = self.conn.prepare_cached("SELECT id, name, role, active FROM staff ORDER BY name")?;
        let rows = stmt.query_map([], |r| {
            Ok(StaffMember {
                id: r.get(0)?,
                name: r.get(1)?,
                role: Role::parse(&r.get::<_, String>(2)?).unwrap_or(Role::Kitchen),
                active: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Turns an account off (its sessions end) or on again.
    pub fn staff_set_active(&mut self, id: i64, active: bool) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if tx.execute("UPDATE staff SET active = ?1 WHERE id = ?2", params![active, id])? == 0 {
            return Err(DbError::NotFound(format!("staff member {id}")));
        }
        if !active {
            let owners: u32 =
                tx.query_row("SELECT COUNT(*) FROM staff WHERE role = 'owner' AND active = 1", [], |r| {
                    r.get(0)
                })?;
            if owners == 0 {
                // Nobody could manage staff, edit the menu or close the day any more.
                return Err(DbError::Invalid("the last active owner cannot be deactivated".into()));
            }
            tx.execute("DELETE FROM staff_sessions WHERE staff_id = ?1", [id])?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn staff_account(&self, name: &str) -> Result<Option<Account>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, name, role, active, secret_hash FROM staff WHERE name = ?1",
                [name.trim()],
                |r| {
                    Ok(Account {
                        member: StaffMember {
                            id: r.get(0)?,
                            name: r.get(1)?,
                            role: Role::parse(&r.get::<_, String>(2)?).unwrap_or(Role::Kitchen),
                            active: r.get(3)?,
                        },
                        secret_hash: r.get(4)?,
                    })
                },
            )
            .optional()?)
    }

    /// Until when logins as `name` are refused (0: they are not). Kept per name typed,
    /// whether or not such a staff member exists, so a lockout tells no one which names do.
    pub fn login_locked_until(&self, name: &str) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT locked_until_ms FROM login_attempts WHERE name = ?1", [login_key(name)], |r| {
                r.get(0)
            })
            .optional()?
            .unwrap_or(0))
    }

    /// A wrong name, PIN or password: counted, and the name locked at the limit, each lockout
    /// in a row twice as long as the one before (up to a day), so a 4-digit PIN cannot be
    /// tried through in days. Returns until when it is locked, if it now is.
    pub fn login_failed(&mut self, name: &str, now_ms: i64) -> Result<Option<i64>> {
        let key = login_key(name);
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (failures, lockouts): (u32, u32) = tx.query_row(
            "INSERT INTO login_attempts (name, failures, lockouts, locked_until_ms) VALUES (?1, 1, 0, 0)
             ON CONFLICT (name) DO UPDATE SET failures = failures + 1
             RETURNING failures, lockouts",
            [&key],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let locked = if failures >= MAX_FAILURES {
            let until = now_ms + lockout_ms(lockouts);
            tx.execute(
                "UPDATE login_attempts SET failures = 0, lockouts = lockouts + 1, locked_until_ms = ?1 WHERE name = ?2",
                params![until, key],
            )?;
            Some(until)
        } else {
            None
        };
        tx.commit()?;
        Ok(locked)
    }

    /// A good login: the failures are forgotten and a session starts. `token` is the
    /// cookie's value (only its hash is kept).
    pub fn login_succeeded(&mut self, staff_id: i64, token: &str, csrf: &str, now_ms: i64) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let name: String = tx.query_row("SELECT name FROM staff WHERE id = ?1", [staff_id], |r| r.get(0))?;
        tx.execute("DELETE FROM login_attempts WHERE name = ?1", [login_key(&name)])?;
        tx.execute("DELETE FROM staff_sessions WHERE expires_at_ms < ?1", [now_ms])?;
        tx.execute(
            "INSERT INTO staff_sessions (token_sha256, staff_id, csrf, created_at_ms, expires_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![sha256_hex(token.as_bytes()), staff_id, csrf, now_ms, now_ms + SESSION_MS],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The session a cookie's token belongs to, if it is current and its account active.
    pub fn staff_session(&self, token: &str, now_ms: i64) -> Result<Option<StaffSession>> {
        Ok(self
            .conn
            .query_row(
                "SELECT s.id, s.name, s.role, s.active, x.csrf FROM staff_sessions x JOIN staff s ON s.id = x.staff_id
                 WHERE x.token_sha256 = ?1 AND x.expires_at_ms > ?2 AND s.active = 1",
                params![sha256_hex(token.as_bytes()), now_ms],
                |r| {
                    Ok(StaffSession {
                        staff: StaffMember {
                            id: r.get(0)?,
                            name: r.get(1)?,
                            role: Role::parse(&r.get::<_, String>(2)?).unwrap_or(Role::Kitchen),
                            active: r.get(3)?,
                        },
                        csrf: r.get(4)?,
                    })
                },
            )
            .optional()?)
    }

    pub fn logout(&mut self, token: &str) -> Result<()> {
        self.conn
            .execute("DELETE FROM staff_sessions WHERE token_sha256 = ?1", [sha256_hex(token.as_bytes())])?;
        Ok(())
    }

    /// One staff action (or a login attempt) in the audit log.
    pub fn audit(
        &mut self,
        staff: Option<&StaffMember>,
        name: &str,
        action: &str,
        detail: &str,
        now_ms: i64,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO audit_log (staff_id, staff_name, action, detail, at_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![staff.map(|s| s.id), staff.map_or(name, |s| s.name.as_str()), action, detail, now_ms],
        )?;
        Ok(())
    }

    pub fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, staff_name, action, detail, at_ms FROM audit_log ORDER BY seq DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit], |r| {
            Ok(AuditEntry {
                seq: r.get(0)?,
                staff_name: r.get(1)?,
                action: r.get(2)?,
                detail: r.get(3)?,
                at_ms: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    // --- settings ----------------------------------------------------------------------------

    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    pub fn set_setting(&mut self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// The store's clock: its time zone for business days and printouts.
    pub fn clock(&self) -> Result<StoreClock> {
        let tz = self.setting("time_zone")?.unwrap_or_else(|| "Asia/Seoul".into());
        Ok(StoreClock::new(&tz))
    }

    // --- orders ------------------------------------------------------------------------------

    /// Orders still to make or hand over (received or ready), oldest first, with the ones
    /// served in the last `served_window_ms`. A column holds at most [`BOARD_COLUMN`] orders
    /// (received: the oldest and the newest, so a new order always shows): a store far
    /// behind still gets its board at once, and [`ServerDb::board_counts`] says how many
    /// there are in all.
    pub fn board_orders(
        &self,
        now_ms: i64,
        served_window_ms: i64,
        lang: kiosk_domain::Lang,
    ) -> Result<Vec<BoardOrder>> {
        let on_board = "o.payload_json NOT LIKE '%\"table_bill\"%'";
        let newest = BOARD_COLUMN / 4;
        let sql = format!(
            "SELECT * FROM (
               SELECT * FROM (SELECT {BOARD_COLUMNS}, o.seq AS at FROM orders o
                              WHERE o.status = 'received' AND {on_board} ORDER BY o.seq LIMIT {oldest})
               UNION
               SELECT * FROM (SELECT {BOARD_COLUMNS}, o.seq AS at FROM orders o
                              WHERE o.status = 'received' AND {on_board} ORDER BY o.seq DESC LIMIT {newest})
               UNION
               SELECT * FROM (SELECT {BOARD_COLUMNS}, o.seq AS at FROM orders o
                              WHERE o.status = 'ready' AND {on_board} ORDER BY o.seq LIMIT {all})
               UNION
               SELECT * FROM (SELECT {BOARD_COLUMNS}, o.seq AS at FROM orders o
                              WHERE o.status = 'served' AND {on_board} AND o.served_at_ms > ?1
                              ORDER BY o.seq DESC LIMIT {all})
             ) ORDER BY at",
            oldest = BOARD_COLUMN - newest,
            all = BOARD_COLUMN,
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([now_ms - served_window_ms], |r| board_order(r, lang).map(|(o, _)| o))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// How many orders each board column has in all: `(received, ready)`.
    pub fn board_counts(&self) -> Result<(u64, u64)> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT o.status, COUNT(*) FROM orders o
             WHERE o.status IN ('received', 'ready') AND o.payload_json NOT LIKE '%\"table_bill\"%'
             GROUP BY o.status",
        )?;
        let mut counts = (0, 0);
        for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u64>(1)?)))? {
            match row? {
                (s, n) if s == "received" => counts.0 = n,
                (_, n) => counts.1 = n,
            }
        }
        Ok(counts)
    }

    pub fn board_order(&self, order_id: &str) -> Result<Option<BoardOrder>> {
        let sql = format!("SELECT {BOARD_COLUMNS} FROM orders o WHERE o.order_id = ?1");
        Ok(self
            .conn
            .query_row(&sql, [order_id], |r| board_order(r, kiosk_domain::Lang::Ko).map(|(o, _)| o))
            .optional()?)
    }

    /// Staff mark an order ready or served: stamped, and the device that sent it told.
    pub fn mark_order(&mut self, order_id: &str, status: OrderStatus, now_ms: i64) -> Result<()> {
        self.change_order_status(order_id, status, Some(now_ms)).map(drop)
    }

    /// Pay-at-counter orders not yet paid: a kiosk's, and a pre-pay table's rounds.
    pub fn unpaid_counter_orders(&self, lang: kiosk_domain::Lang) -> Result<Vec<BoardOrder>> {
        let sql = format!(
            "SELECT {BOARD_COLUMNS} FROM orders o
             WHERE o.payload_json LIKE '%\"settlement\":\"pay_at_counter\"%'
               AND NOT EXISTS (SELECT 1 FROM counter_payments c WHERE c.order_id = o.order_id)
               AND o.status != 'served'
             ORDER BY o.seq"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([], |r| board_order(r, lang))?;
        let mut out = Vec::new();
        for row in rows {
            let (order, sent) = row?;
            // Nothing to pay (a reward or a coupon took it all off): not the counter's to take.
            let owed = sent.order.total().0 > 0;
            if sent.order.settlement == Settlement::PayAtCounter
                && owed
                && (order.kiosk || order.table.is_some())
            {
                out.push(order);
            }
        }
        Ok(out)
    }

    /// Takes payment at the counter for a pay-at-counter order: cash (with what was handed
    /// over, and the change) or the counter's own card terminal; a 현금영수증 request kept
    /// masked. An order is paid once.
    pub fn pay_order_at_counter(
        &mut self,
        order_id: &str,
        method: CounterMethod,
        tendered: Option<i64>,
        cash_receipt: Option<&str>,
        staff: &StaffMember,
        now_ms: i64,
    ) -> Result<CounterPayment> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let row: Option<(String, i64, Option<String>)> = tx
            .query_row(
                "SELECT payload_json, total, business_day FROM orders WHERE order_id = ?1",
                [order_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let (json, total, day) = row.ok_or_else(|| DbError::NotFound(format!("order {order_id}")))?;
        let sent: OrderForPos = serde_json::from_str(&json)?;
        if sent.order.settlement != Settlement::PayAtCounter {
            return Err(DbError::Invalid(format!("order {} was paid on the device", sent.order.number)));
        }
        let payment = counter_payment(method, total, tendered, cash_receipt)?;
        let day = match day {
            Some(d) => d,
            None => business_day_in(&tx, &self_clock(&tx)?, now_ms)?,
        };
        let n = tx.execute(
            "INSERT INTO counter_payments (order_id, method, amount, tendered, change_given, cash_receipt, business_day, staff_id, at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (order_id) DO NOTHING",
            params![order_id, method.as_str(), total, payment.tendered, payment.change, payment.cash_receipt, day, staff.id, now_ms],
        )?;
        if n == 0 {
            return Err(DbError::AlreadyDone(format!("order {} is already paid", sent.order.number)));
        }
        // A held order goes to the kitchen now that it is paid.
        super::kitchen::queue_for_kitchen(&tx, order_id, &sent, true)?;
        tx.commit()?;
        Ok(payment)
    }

    // --- staff calls and tables ------------------------------------------------------------

    /// Staff calls not yet answered, and those answered in the last `window_ms`.
    pub fn open_staff_calls(&self, now_ms: i64, window_ms: i64) -> Result<Vec<OpenCall>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, device, table_id, reason, at_ms, acked_by FROM staff_calls
             WHERE acked_at_ms IS NULL OR acked_at_ms > ?1 ORDER BY at_ms",
        )?;
        let rows = stmt.query_map([now_ms - window_ms], |r| {
            Ok(OpenCall {
                id: r.get(0)?,
                device: r.get(1)?,
                table: r.get(2)?,
                reason: r.get(3)?,
                at_ms: r.get(4)?,
                acked_by: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Someone is on the way: the call is answered, and the device that made it told.
    pub fn acknowledge_call(&mut self, id: &str, staff: &StaffMember, now_ms: i64) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let device: Option<String> =
            tx.query_row("SELECT device FROM staff_calls WHERE id = ?1", [id], |r| r.get(0)).optional()?;
        let device = device.ok_or_else(|| DbError::NotFound(format!("staff call {id}")))?;
        let n = tx.execute(
            "UPDATE staff_calls SET acked_at_ms = ?1, acked_by = ?2 WHERE id = ?3 AND acked_at_ms IS NULL",
            params![now_ms, staff.name, id],
        )?;
        if n == 1 {
            Self::append(&tx, Some(&device), &Update::StaffCallAnswered { call_id: id.to_owned() })?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Every table with an open tab (rounds received and neither paid by their bill nor
    /// settled here), or with a call waiting, or held by a tablet.
    pub fn tables(&self, now_ms: i64) -> Result<Vec<TableView>> {
        let mut tables: BTreeMap<String, TableView> = BTreeMap::new();
        let tabs = self.open_tabs()?;
        let in_shares = self.paid_in_shares(&tabs)?;
        for (table, rounds) in tabs {
            let shares = in_shares.get(&table).copied().unwrap_or(0);
            let t =
                tables.entry(table.clone()).or_insert_with(|| TableView { table, ..TableView::default() });
            for (id, order) in rounds {
                t.rounds += 1;
                t.owed += order.totals.total().0;
                if let OrderKind::Table { guests, .. } = order.kind {
                    t.guests = t.guests.max(guests);
                }
                t.first_round_ms =
                    Some(t.first_round_ms.map_or(order.created_at_ms, |f| f.min(order.created_at_ms)));
                t.round_ids.push(id);
            }
            t.owed -= shares;
        }
        for call in self.open_staff_calls(now_ms, 10 * 60 * 1000)? {
            if let Some(table) = call.table.clone() {
                tables
                    .entry(table.clone())
                    .or_insert_with(|| TableView { table, ..TableView::default() })
                    .calls
                    .push(call);
            }
        }
        let mut stmt = self.conn.prepare_cached("SELECT table_id, device FROM table_claims")?;
        for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
            let (table, device) = row?;
            tables
                .entry(table.clone())
                .or_insert_with(|| TableView { table, ..TableView::default() })
                .tablet = Some(device);
        }
        Ok(tables.into_values().collect())
    }

    /// The open rounds of every table, by the table they are on now (a moved tab counts at
    /// its new table).
    pub(crate) fn open_tabs(&self) -> Result<BTreeMap<String, Vec<(String, kiosk_domain::Order)>>> {
        let settled = self.settled_rounds()?;
        let mut moved: BTreeMap<String, String> = BTreeMap::new();
        {
            let mut stmt =
                self.conn.prepare_cached("SELECT order_id, to_table FROM tab_moves ORDER BY seq")?;
            for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
                let (id, to) = row?;
                moved.insert(id, to);
            }
        }
        let mut paid = std::collections::BTreeSet::new();
        let mut rounds = Vec::new();
        let mut stmt = self.conn.prepare_cached("SELECT order_id, payload_json FROM orders ORDER BY seq")?;
        for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
            let (id, json) = row?;
            let order: kiosk_domain::Order = serde_json::from_str(&json)?;
            match &order.kind {
                // A pre-pay table's rounds are paid as they are ordered: never on a tab.
                OrderKind::Table { table, .. } if order.settlement == Settlement::Tab => {
                    rounds.push((id, table.0.clone(), order))
                }
                // A bill, or the share of one that paid the rest, settles its rounds.
                OrderKind::TableBill { rounds: paid_rounds, share, .. }
                    if share.as_ref().is_none_or(|s| s.last)
                        && !super::refunded_in_full(&self.conn, &id)? =>
                {
                    paid.extend(paid_rounds.iter().map(ToString::to_string));
                }
                _ => {}
            }
        }
        let mut tabs: BTreeMap<String, Vec<(String, kiosk_domain::Order)>> = BTreeMap::new();
        for (id, table, order) in rounds {
            if settled.contains(&id) || paid.contains(&id) {
                continue;
            }
            let table = moved.get(&id).cloned().unwrap_or(table);
            tabs.entry(table).or_default().push((id, order));
        }
        Ok(tabs)
    }

    /// What shares of a bill paid at the table (더치페이) have paid towards each open tab: a
    /// share counts for the table whose open rounds it was paid against, until they are
    /// settled.
    pub(crate) fn paid_in_shares(
        &self,
        tabs: &BTreeMap<String, Vec<(String, kiosk_domain::Order)>>,
    ) -> Result<BTreeMap<String, i64>> {
        let table_of: BTreeMap<&str, &str> = tabs
            .iter()
            .flat_map(|(table, rounds)| rounds.iter().map(move |(id, _)| (id.as_str(), table.as_str())))
            .collect();
        let mut paid = BTreeMap::new();
        let mut stmt = self.conn.prepare_cached(
            "SELECT order_id, payload_json FROM orders WHERE payload_json LIKE '%\"share\"%' ORDER BY seq",
        )?;
        for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
            let (id, json) = row?;
            let order: kiosk_domain::Order = serde_json::from_str(&json)?;
            if let OrderKind::TableBill { rounds, share: Some(share), .. } = &order.kind
                && !share.last
                && !super::refunded_in_full(&self.conn, &id)?
                && let Some(table) = rounds.iter().find_map(|r| table_of.get(r.to_string().as_str()))
            {
                *paid.entry((*table).to_owned()).or_insert(0) += order.totals.total().0;
            }
        }
        Ok(paid)
    }

    /// Staff took payment for a table at the counter (cash or card): its open rounds are
    /// settled, the tablets that sent them told, and the payment recorded.
    pub fn settle_table_at_counter(
        &mut self,
        table: &str,
        method: CounterMethod,
        tendered: Option<i64>,
        cash_receipt: Option<&str>,
        staff: &StaffMember,
        now_ms: i64,
    ) -> Result<(Vec<String>, CounterPayment)> {
        let tabs = self.open_tabs()?;
        let rounds = tabs.get(table).cloned().unwrap_or_default();
        if rounds.is_empty() {
            return Err(DbError::NotFound(format!("an open tab for table {table}")));
        }
        // Less what diners paid of it in shares at the table.
        let in_shares = self.paid_in_shares(&tabs)?.get(table).copied().unwrap_or(0);
        let owed: i64 = rounds.iter().map(|(_, o)| o.totals.total().0).sum::<i64>() - in_shares;
        let payment = counter_payment(method, owed, tendered, cash_receipt)?;
        let clock = self.clock()?;
        let ids: Vec<String> = rounds.iter().map(|(id, _)| id.clone()).collect();
        // The settlement and its payment are one transaction: a crash leaves both or neither.
        let settled = self.settle_rounds_with(table, &ids, |tx, settled| {
            if settled.len() != ids.len() {
                // Someone settled some of these rounds meanwhile: the amount owed changed.
                return Err(DbError::AlreadyDone(format!("table {table}'s tab was settled meanwhile")));
            }
            let day = business_day_in(tx, &clock, now_ms)?;
            tx.execute(
                "INSERT INTO counter_payments (table_id, method, amount, tendered, change_given, cash_receipt, business_day, staff_id, at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![table, method.as_str(), owed, payment.tendered, payment.change, payment.cash_receipt, day, staff.id, now_ms],
            )?;
            Ok(())
        })?;
        Ok((settled, payment))
    }

    /// Moves every open round of table `from` to table `to` (the guests changed tables, or
    /// two tables are merged into one). The tablet at `from` is told its tab is gone; the
    /// tab is paid at `to` (at the counter, or by what the tablet there shows of it).
    pub fn move_tab(&mut self, from: &str, to: &str, now_ms: i64) -> Result<Vec<String>> {
        if from == to || !valid_table(to) {
            return Err(DbError::Invalid(format!("cannot move table {from}'s tab to \"{to}\"")));
        }
        let tabs = self.open_tabs()?;
        let rounds = tabs.get(from).cloned().unwrap_or_default();
        if rounds.is_empty() {
            return Err(DbError::NotFound(format!("an open tab for table {from}")));
        }
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut by_device: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (id, _) in &rounds {
            tx.execute(
                "INSERT INTO tab_moves (order_id, from_table, to_table, at_ms) VALUES (?1, ?2, ?3, ?4)",
                params![id, from, to, now_ms],
            )?;
            let device: String =
                tx.query_row("SELECT device FROM orders WHERE order_id = ?1", [id], |r| r.get(0))?;
            by_device.entry(device).or_default().push(id.clone());
        }
        for (device, orders) in by_device {
            Self::append(
                &tx,
                Some(&device),
                &Update::TabMoved { from: from.to_owned(), to: to.to_owned(), orders },
            )?;
        }
        tx.commit()?;
        Ok(rounds.into_iter().map(|(id, _)| id).collect())
    }

    // --- business days and the daily close ---------------------------------------------------

    /// The business day an order received at `now_ms` belongs to: the clock's, or the day
    /// after the last one closed.
    pub fn business_day(&self, now_ms: i64) -> Result<String> {
        business_day_in(&self.conn, &self.clock()?, now_ms)
    }

    pub fn closed_days(&self, limit: u32) -> Result<Vec<(String, i64)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT business_day, closed_at_ms FROM day_closes ORDER BY business_day DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The daily close of `day`, as stored if the day is closed, computed otherwise.
    pub fn day_report(&self, day: &str) -> Result<DayReport> {
        let stored: Option<(String, i64, String)> = self
            .conn
            .query_row(
                "SELECT d.report_json, d.closed_at_ms, COALESCE(s.name, '?') FROM day_closes d
                 LEFT JOIN staff s ON s.id = d.staff_id WHERE d.business_day = ?1",
                [day],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        if let Some((json, at, by)) = stored {
            let mut report: DayReport = serde_json::from_str(&json)?;
            report.closed_at_ms = Some(at);
            report.closed_by = Some(by);
            return Ok(report);
        }
        self.compute_day_report(day)
    }

    fn compute_day_report(&self, day: &str) -> Result<DayReport> {
        let mut r = DayReport { business_day: day.to_owned(), ..DayReport::default() };
        let add = |label: String, amount: i64, payments: &mut BTreeMap<String, (u32, i64)>| {
            let e = payments.entry(label).or_insert((0, 0));
            e.0 += 1;
            e.1 += amount;
        };
        let mut paid = 0i64;
        // The day's refunds, read once: the figures, and each order's refunded sum.
        let mut refunded: BTreeMap<String, i64> = BTreeMap::new();
        let mut stmt = self.conn.prepare_cached(
            "SELECT f.order_id, f.amount FROM refunds f JOIN orders o ON o.order_id = f.order_id WHERE o.business_day = ?1",
        )?;
        for row in stmt.query_map([day], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
            let (order_id, amount) = row?;
            *refunded.entry(order_id).or_default() += amount;
            r.refunds += amount;
            r.refund_count += 1;
            r.vat -= Money(amount).vat_split(VatRate::KOREA).vat.0;
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT o.order_id, o.payload_json, o.total FROM orders o WHERE o.business_day = ?1 ORDER BY o.seq",
        )?;
        let rows = stmt.query_map([day], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?))
        })?;
        for row in rows {
            let (order_id, json, total) = row?;
            let sent: OrderForPos = serde_json::from_str(&json)?;
            match &sent.order.kind {
                OrderKind::TableBill { .. } => {
                    // A bill is a payment for rounds, not a sale.
                    if let Some(p) = &sent.payment {
                        add(payment_label(p), total, &mut r.payments);
                        paid += total;
                    }
                }
                kind => {
                    // A sale refunded whole counts no suggestion taken with it.
                    let counted = if refunded.get(&order_id).is_some_and(|sum| *sum >= total) {
                        &[][..]
                    } else {
                        &sent.order.suggestions[..]
                    };
                    for a in counted {
                        let e = r.suggestions.entry(a.id.0.clone()).or_insert((0, 0));
                        if a.accepted {
                            e.0 += 1;
                        } else {
                            e.1 += 1;
                        }
                    }
                    r.orders += 1;
                    r.gross += total;
                    r.vat += sent.order.totals.vat.vat.0;
                    if matches!(kind, OrderKind::Kiosk { .. }) {
                        r.kiosk_orders += 1;
                        r.kiosk_gross += total;
                    } else {
                        r.table_orders += 1;
                        r.table_gross += total;
                    }
                    if let Some(p) = &sent.payment {
                        add(payment_label(p), total, &mut r.payments);
                        paid += total;
                    }
                }
            }
        }
        let mut stmt = self
            .conn
            .prepare_cached("SELECT method, amount FROM counter_payments WHERE business_day = ?1")?;
        for row in stmt.query_map([day], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
            let (method, amount) = row?;
            add(
                if method == "cash" { "cash".into() } else { "counter_card".into() },
                amount,
                &mut r.payments,
            );
            paid += amount;
        }
        r.net = r.gross - r.refunds;
        r.supply = r.net - r.vat;
        let unpaid = r.gross - paid;
        if unpaid != 0 {
            r.payments.insert("unpaid".into(), (0, unpaid));
        }
        Ok(r)
    }

    /// Closes `day`: its figures are kept as they are now, and orders from then on fall on
    /// the next business day. A day is closed once.
    pub fn close_day(&mut self, day: &str, staff: &StaffMember, now_ms: i64) -> Result<DayReport> {
        let current = self.business_day(now_ms)?;
        if day > current.as_str() {
            // Closing a day not yet begun would push every order after it.
            return Err(DbError::Invalid(format!(
                "business day {day} has not begun (today's is {current}); close it on or after it"
            )));
        }
        let report = self.compute_day_report(day)?;
        let n = self.conn.execute(
            "INSERT INTO day_closes (business_day, staff_id, closed_at_ms, report_json) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (business_day) DO NOTHING",
            params![day, staff.id, now_ms, serde_json::to_string(&report)?],
        )?;
        if n == 0 {
            return Err(DbError::AlreadyDone(format!("business day {day} is already closed")));
        }
        self.day_report(day)
    }

    // --- pickup boards and e-receipts --------------------------------------------------------

    /// A new pickup board key (shown once; its URL is `/board/<key>`).
    pub fn board_key_add(&mut self, name: &str, now_ms: i64) -> Result<String> {
        let key = super::random_hex(16);
        self.conn.execute(
            "INSERT INTO board_keys (key_sha256, name, created_at_ms) VALUES (?1, ?2, ?3)",
            params![sha256_hex(key.as_bytes()), name, now_ms],
        )?;
        Ok(key)
    }

    pub fn board_key_valid(&self, key: &str) -> Result<bool> {
        Ok(self
            .conn
            .query_row("SELECT 1 FROM board_keys WHERE key_sha256 = ?1", [sha256_hex(key.as_bytes())], |_| {
                Ok(())
            })
            .optional()?
            .is_some())
    }

    /// Numbers being prepared and ready to collect (kiosk orders the pickup board shows).
    pub fn pickup_numbers(&self) -> Result<(Vec<u32>, Vec<u32>)> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT number, status, payload_json FROM orders WHERE status IN ('received', 'ready') ORDER BY seq",
        )?;
        let (mut preparing, mut ready) = (Vec::new(), Vec::new());
        for row in
            stmt.query_map([], |r| Ok((r.get::<_, u32>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))?
        {
            let (number, status, json) = row?;
            let order: kiosk_domain::Order = serde_json::from_str(&json)?;
            if !matches!(order.kind, OrderKind::Kiosk { .. }) {
                continue;
            }
            if status == "ready" { ready.push(number) } else { preparing.push(number) }
        }
        Ok((preparing, ready))
    }

    /// The order behind an e-receipt link, while it is kept (`keep_days`).
    pub fn receipt(&self, token: &str, now_ms: i64, keep_days: u32) -> Result<Option<OrderForPos>> {
        let oldest = now_ms - i64::from(keep_days) * 24 * 60 * 60 * 1000;
        let json: Option<String> = self
            .conn
            .query_row(
                "SELECT payload_json FROM orders WHERE receipt_token = ?1 AND received_at_ms >= ?2",
                params![token, oldest],
                |r| r.get(0),
            )
            .optional()?;
        Ok(json.map(|j| serde_json::from_str(&j)).transpose()?)
    }

    /// The e-receipt token of an order.
    pub fn receipt_token(&self, order_id: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT receipt_token FROM orders WHERE order_id = ?1", [order_id], |r| r.get(0))
            .optional()?
            .flatten())
    }
}

/// A fresh e-receipt token: 128 random bits, URL-safe.
/// The token an order's e-receipt is kept under: the one its device made (and shows as a
/// QR code), unless it is malformed or already taken, then a new random one.
pub(super) fn receipt_token_for(tx: &rusqlite::Transaction<'_>, sent: &OrderForPos) -> Result<String> {
    if let Some(token) = sent.receipt_token.as_deref()
        && token.len() == 22
        && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        let taken: bool =
            tx.query_row("SELECT EXISTS (SELECT 1 FROM orders WHERE receipt_token = ?1)", [token], |r| {
                r.get(0)
            })?;
        if !taken {
            return Ok(token.to_owned());
        }
        tracing::warn!("order {}: its e-receipt token is taken; it gets another", sent.order.number);
    }
    Ok(new_receipt_token())
}

pub fn new_receipt_token() -> String {
    super::random_hex(16)
}

fn self_clock(conn: &rusqlite::Connection) -> Result<StoreClock> {
    let tz: Option<String> =
        conn.query_row("SELECT value FROM settings WHERE key = 'time_zone'", [], |r| r.get(0)).optional()?;
    Ok(StoreClock::new(tz.as_deref().unwrap_or("Asia/Seoul")))
}

/// The business day for `now_ms`: the clock's, or the day after the last closed one.
pub(super) fn business_day_in(
    conn: &rusqlite::Connection,
    clock: &StoreClock,
    now_ms: i64,
) -> Result<String> {
    let day = clock.business_day(now_ms);
    let last_closed: Option<String> =
        conn.query_row("SELECT MAX(business_day) FROM day_closes", [], |r| r.get(0)).optional()?.flatten();
    match last_closed {
        Some(closed) if closed >= day => Ok(next_day(&closed)),
        _ => Ok(day),
    }
}

pub(super) fn clock_in(conn: &rusqlite::Connection) -> Result<StoreClock> {
    self_clock(conn)
}

fn next_day(day: &str) -> String {
    day.parse::<jiff::civil::Date>()
        .ok()
        .and_then(|d| d.tomorrow().ok())
        .map(|d| d.to_string())
        .unwrap_or_else(|| day.to_owned())
}

fn valid_table(t: &str) -> bool {
    (1..=16).contains(&t.len()) && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn counter_payment(
    method: CounterMethod,
    amount: i64,
    tendered: Option<i64>,
    cash_receipt: Option<&str>,
) -> Result<CounterPayment> {
    let cash_receipt = match cash_receipt.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(raw) => Some(mask_cash_receipt(raw).ok_or_else(|| {
            DbError::Invalid(
                "a 현금영수증 number is a phone, card or business number (8 to 20 digits)".into(),
            )
        })?),
    };
    match method {
        CounterMethod::Cash => {
            let tendered = tendered.unwrap_or(amount);
            if tendered < amount {
                return Err(DbError::Invalid(format!("{tendered} handed over for {amount}")));
            }
            Ok(CounterPayment {
                method,
                amount,
                tendered: Some(tendered),
                change: Some(tendered - amount),
                cash_receipt,
            })
        }
        CounterMethod::Card => {
            Ok(CounterPayment { method, amount, tendered: None, change: None, cash_receipt })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cash_receipt_number_keeps_its_last_four_digits() {
        assert_eq!(mask_cash_receipt("010-1234-5678").as_deref(), Some("*******5678"));
        assert_eq!(mask_cash_receipt("123"), None);
        assert_eq!(next_day("2026-12-31"), "2027-01-01");
    }

    #[test]
    fn cash_gives_change_and_never_takes_less_than_the_total() {
        let p = counter_payment(CounterMethod::Cash, 13_500, Some(20_000), None).unwrap();
        assert_eq!((p.tendered, p.change), (Some(20_000), Some(6_500)));
        assert!(counter_payment(CounterMethod::Cash, 13_500, Some(10_000), None).is_err());
        assert!(counter_payment(CounterMethod::Card, 13_500, None, Some("12")).is_err());
    }

    fn db() -> (tempfile::TempDir, ServerDb) {
        let dir = tempfile::tempdir().unwrap();
        let db = ServerDb::open(&dir.path().join("pos.sqlite")).unwrap();
        (dir, db)
    }

    #[test]
    fn unknown_names_are_locked_like_known_ones_and_lockouts_grow() {
        let (_dir, mut db) = db();
        let id = db.staff_add("Minji", Role::Counter, "hash", 0).unwrap();
        for name in ["nobody", "minji "] {
            for attempt in 1..MAX_FAILURES {
                assert_eq!(db.login_failed(name, 1_000).unwrap(), None, "{name} attempt {attempt}");
            }
            assert_eq!(db.login_failed(name, 1_000).unwrap(), Some(1_000 + LOCKOUT_MS), "{name}");
            assert_eq!(db.login_locked_until(name).unwrap(), 1_000 + LOCKOUT_MS);
        }
        assert_eq!(
            db.login_locked_until("Minji").unwrap(),
            1_000 + LOCKOUT_MS,
            "names are counted as typed, case aside"
        );
        for _ in 1..MAX_FAILURES {
            db.login_failed("nobody", 2_000).unwrap();
        }
        assert_eq!(
            db.login_failed("nobody", 2_000).unwrap(),
            Some(2_000 + 2 * LOCKOUT_MS),
            "the second lockout doubles"
        );
        assert_eq!(lockout_ms(30), MAX_LOCKOUT_MS);
        db.login_succeeded(id, "token", "csrf", 3_000).unwrap();
        assert_eq!(db.login_locked_until("Minji").unwrap(), 0, "a good login forgets");
    }

    #[test]
    fn a_day_not_begun_cannot_be_closed_and_the_last_owner_stays() {
        let (_dir, mut db) = db();
        let owner_id = db.staff_add("boss", Role::Owner, "hash", 0).unwrap();
        let owner = StaffMember { id: owner_id, name: "boss".into(), role: Role::Owner, active: true };
        let now = 1_780_000_000_000;
        let today = db.business_day(now).unwrap();
        let later = next_day(&today);
        assert!(
            matches!(db.close_day(&later, &owner, now), Err(DbError::Invalid(_))),
            "{later} after {today}"
        );
        db.close_day(&today, &owner, now).unwrap();
        let again = db.close_day(&today, &owner, now).unwrap_err();
        assert_eq!(again.to_string(), format!("business day {today} is already closed"));
        assert!(db.staff_set_active(owner_id, false).is_err(), "the last owner");
        let second = db.staff_add("partner", Role::Owner, "hash", 0).unwrap();
        db.staff_set_active(owner_id, false).unwrap();
        assert!(db.staff_set_active(second, false).is_err(), "the last active owner");
    }

    #[test]
    fn roles_may_what_their_work_needs() {
        assert!(Role::Owner.may(Permission::CloseDay));
        assert!(Role::Counter.may(Permission::TakePayments) && !Role::Counter.may(Permission::EditMenu));
        assert!(Role::Kitchen.may(Permission::MarkOrders));
        for p in [
            Permission::TakePayments,
            Permission::EditMenu,
            Permission::CloseDay,
            Permission::ManageStaff,
            Permission::Tables,
        ] {
            assert!(!Role::Kitchen.may(p), "{p:?}");
        }
    }
}
