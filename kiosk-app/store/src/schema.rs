//! Versioned schema migrations, tracked in `PRAGMA user_version`.
//!
//! Migrations are append-only: a released migration is never edited. Each runs in its own
//! transaction together with the version bump, so a crash leaves either the old or the new
//! schema, never half of one.

use rusqlite::{Connection, TransactionBehavior};

use super::StoreError;

/// Migration `i` takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    r#"
    CREATE TABLE menu_cache (
        id              INTEGER PRIMARY KEY CHECK (id = 1),
        version         TEXT    NOT NULL,
        source          TEXT    NOT NULL,
        menu_json       TEXT    NOT NULL,
        item_count      INTEGER NOT NULL,
        imported_at_ms  INTEGER NOT NULL
    );

    -- Sold-out marks set by staff or the POS; they outlive menu reloads.
    CREATE TABLE sold_out (
        item_id   TEXT    PRIMARY KEY,
        since_ms  INTEGER NOT NULL
    );

    -- Order numbers are handed out per business day.
    CREATE TABLE order_numbers (
        business_day  TEXT    PRIMARY KEY,
        last          INTEGER NOT NULL
    );

    CREATE TABLE orders (
        id             TEXT    PRIMARY KEY,               -- client UUID, the POS idempotency key
        number         INTEGER NOT NULL,
        business_day   TEXT    NOT NULL,
        kind_json      TEXT    NOT NULL,
        table_id       TEXT,
        settlement     TEXT    NOT NULL,
        currency       TEXT    NOT NULL,
        vat_rate_bp    INTEGER NOT NULL,
        item_count     INTEGER NOT NULL,
        total          INTEGER NOT NULL CHECK (total >= 0),
        supply         INTEGER NOT NULL,
        vat            INTEGER NOT NULL,
        line_count     INTEGER NOT NULL CHECK (line_count > 0),
        state          TEXT    NOT NULL,
        created_at_ms  INTEGER NOT NULL,
        updated_at_ms  INTEGER NOT NULL,
        CHECK (supply + vat = total)
    );
    CREATE INDEX orders_state ON orders(state);
    CREATE INDEX orders_table ON orders(table_id) WHERE table_id IS NOT NULL;

    CREATE TABLE order_lines (
        order_id    TEXT    NOT NULL REFERENCES orders(id),
        line_no     INTEGER NOT NULL,
        item_id     TEXT    NOT NULL,
        quantity    INTEGER NOT NULL CHECK (quantity > 0),
        unit_price  INTEGER NOT NULL CHECK (unit_price >= 0),
        line_total  INTEGER NOT NULL CHECK (line_total = unit_price * quantity),
        line_json   TEXT    NOT NULL,                      -- priced snapshot with names
        PRIMARY KEY (order_id, line_no)
    ) WITHOUT ROWID;

    -- One row per terminal request: written before the terminal is asked (outcome NULL),
    -- completed after it answers. A row left with outcome NULL after a crash is an
    -- ambiguous step that recovery must resolve by querying the terminal, never by
    -- charging again.
    CREATE TABLE payment_journal (
        id              INTEGER PRIMARY KEY,
        order_id        TEXT    NOT NULL REFERENCES orders(id),
        operation       TEXT    NOT NULL,
        amount          INTEGER NOT NULL,
        request_json    TEXT    NOT NULL,
        outcome         TEXT,
        approval_no     TEXT,
        outcome_json    TEXT,
        started_at_ms   INTEGER NOT NULL,
        finished_at_ms  INTEGER
    );
    CREATE INDEX payment_journal_order ON payment_journal(order_id);
    CREATE UNIQUE INDEX payment_journal_one_open ON payment_journal(order_id) WHERE outcome IS NULL;

    -- One row per committed order, keyed by the order UUID (the idempotency key).
    CREATE TABLE pos_outbox (
        order_id          TEXT    PRIMARY KEY REFERENCES orders(id),
        payload_json      TEXT    NOT NULL,
        status            TEXT    NOT NULL CHECK (status IN ('queued', 'delivered')),
        attempts          INTEGER NOT NULL DEFAULT 0,
        next_attempt_ms   INTEGER NOT NULL,
        last_error        TEXT,
        created_at_ms     INTEGER NOT NULL,
        delivered_at_ms   INTEGER
    );
    CREATE INDEX pos_outbox_due ON pos_outbox(next_attempt_ms) WHERE status = 'queued';

    CREATE TABLE print_queue (
        id             INTEGER PRIMARY KEY,
        order_id       TEXT    REFERENCES orders(id),
        kind           TEXT    NOT NULL,
        status         TEXT    NOT NULL CHECK (status IN ('pending', 'printed', 'failed')),
        attempts       INTEGER NOT NULL DEFAULT 0,
        last_error     TEXT,
        created_at_ms  INTEGER NOT NULL,
        printed_at_ms  INTEGER
    );
    CREATE INDEX print_queue_pending ON print_queue(id) WHERE status = 'pending';

    CREATE TABLE audit_log (
        id        INTEGER PRIMARY KEY,
        at_ms     INTEGER NOT NULL,
        actor     TEXT    NOT NULL,
        action    TEXT    NOT NULL,
        order_id  TEXT,
        detail    TEXT
    );
    "#,
    // 2: the customer's language, for their receipt.
    r#"
    ALTER TABLE orders ADD COLUMN lang TEXT NOT NULL DEFAULT 'ko';
    "#,
    // 3: the outbox keeps commit order in its own sequence (a wall clock can step back),
    // records the POS's reference, and can set aside an order the POS refused for good.
    r#"
    CREATE TABLE pos_outbox_v3 (
        seq               INTEGER PRIMARY KEY AUTOINCREMENT,
        order_id          TEXT    NOT NULL UNIQUE REFERENCES orders(id),
        payload_json      TEXT    NOT NULL,
        status            TEXT    NOT NULL CHECK (status IN ('queued', 'delivered', 'set_aside')),
        attempts          INTEGER NOT NULL DEFAULT 0,
        next_attempt_ms   INTEGER NOT NULL,
        last_error        TEXT,
        created_at_ms     INTEGER NOT NULL,
        delivered_at_ms   INTEGER,
        pos_ref           TEXT
    );
    INSERT INTO pos_outbox_v3 (order_id, payload_json, status, attempts, next_attempt_ms, last_error,
                               created_at_ms, delivered_at_ms)
        SELECT order_id, payload_json, status, attempts, next_attempt_ms, last_error, created_at_ms, delivered_at_ms
        FROM pos_outbox ORDER BY created_at_ms, rowid;
    DROP TABLE pos_outbox;
    ALTER TABLE pos_outbox_v3 RENAME TO pos_outbox;
    CREATE INDEX pos_outbox_queued ON pos_outbox(seq) WHERE status = 'queued';
    "#,
    // 4: settings the operator changed on the device (they override the configuration file).
    r#"
    CREATE TABLE device_settings (
        key     TEXT    PRIMARY KEY,
        value   TEXT    NOT NULL,
        at_ms   INTEGER NOT NULL
    );
    "#,
    // 5: a print job is journaled as started before its bytes go out, so the next connection
    // knows the printer may hold a fragment of it (after a crash or power cut mid-job).
    r#"
    ALTER TABLE print_queue ADD COLUMN started_at_ms INTEGER;
    "#,
    // 6: a table's tab is settled (its bill paid, its rounds settled at the counter), so a
    // restarted tablet shows only the rounds still owed; and the POS update stream's cursor.
    r#"
    CREATE TABLE tab_closures (
        seq             INTEGER PRIMARY KEY AUTOINCREMENT,
        table_id        TEXT    NOT NULL,
        through_rowid   INTEGER NOT NULL,
        bill_order_id   TEXT    REFERENCES orders(id),
        at_ms           INTEGER NOT NULL
    );
    CREATE INDEX tab_closures_table ON tab_closures (table_id, seq);
    -- The last POS update applied (the device resumes there after a restart).
    CREATE TABLE pos_cursor (
        id      INTEGER PRIMARY KEY CHECK (id = 1),
        seq     INTEGER NOT NULL,
        at_ms   INTEGER NOT NULL
    );
    -- Earlier firmware started a new tab at every start, and an update restarts: every
    -- table's rounds so far are taken as settled.
    INSERT INTO tab_closures (table_id, through_rowid, at_ms)
        SELECT table_id, MAX(rowid), 0 FROM orders WHERE table_id IS NOT NULL GROUP BY table_id;
    "#,
    // 7: refunds for the POS: an approval reversed after its order was committed is queued in
    // the reversal's own transaction and delivered after the order itself.
    r#"
    CREATE TABLE pos_refunds (
        seq             INTEGER PRIMARY KEY AUTOINCREMENT,
        refund_id       TEXT    NOT NULL UNIQUE,
        order_id        TEXT    NOT NULL REFERENCES orders(id),
        payload_json    TEXT    NOT NULL,
        status          TEXT    NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'delivered', 'set_aside')),
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_ms INTEGER NOT NULL DEFAULT 0,
        last_error      TEXT,
        created_at_ms   INTEGER NOT NULL,
        done_at_ms      INTEGER
    );
    "#,
    // 8: when a payment step finished, on every clock: the recovery rule measures an
    // approval's age on the monotonic clock within one boot and trusts the wall clock across
    // boots only when it was synchronised (a device without a real-time clock boots at its
    // image's build time).
    r#"
    ALTER TABLE payment_journal ADD COLUMN finished_mono_ms INTEGER;
    ALTER TABLE payment_journal ADD COLUMN boot_id TEXT;
    ALTER TABLE payment_journal ADD COLUMN wall_synced INTEGER;
    "#,
    // 9: the device's secrets (the key its orders' e-receipt links are made with).
    r#"
    CREATE TABLE device_secrets (
        name   TEXT PRIMARY KEY,
        value  BLOB NOT NULL
    );
    "#,
    // 10: the customer's requests for the order as a whole (a line's are in its line_json).
    r#"
    ALTER TABLE orders ADD COLUMN note_json TEXT;
    "#,
    // 11: the customer's answers to the suggestions made while the order was put together.
    r#"
    ALTER TABLE orders ADD COLUMN suggestions_json TEXT;
    "#,
    // 12: coupons and stamps: the order's coupon, stamp card and discount, and the journal of
    // the coupon's hold at the store server (see coupons.rs).
    r#"
    ALTER TABLE orders ADD COLUMN coupon_json TEXT;
    ALTER TABLE orders ADD COLUMN stamps_json TEXT;
    ALTER TABLE orders ADD COLUMN discount INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE coupon_holds (
        order_id        TEXT PRIMARY KEY REFERENCES orders(id),
        code            TEXT NOT NULL,
        state           TEXT NOT NULL CHECK (state IN ('asking', 'held', 'refused', 'used', 'releasing', 'released')),
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_ms INTEGER NOT NULL DEFAULT 0,
        last_error      TEXT,
        updated_at_ms   INTEGER NOT NULL
    );
    CREATE INDEX coupon_holds_releasing ON coupon_holds (state, next_attempt_ms);
    "#,
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Brings the database up to [`SCHEMA_VERSION`]; refuses one written by a newer build.
pub fn migrate(conn: &mut Connection) -> Result<u32, StoreError> {
    let found: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew { found, known: SCHEMA_VERSION });
    }
    for (from, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Another process may have migrated while we waited for the lock.
        let now: u32 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if now as usize > from {
            continue;
        }
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", from as u32 + 1)?;
        tx.commit()?;
    }
    Ok(SCHEMA_VERSION)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_1_database_migrates_with_its_orders() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute(
            "INSERT INTO orders (id, number, business_day, kind_json, settlement, currency, vat_rate_bp, item_count,
                                 total, supply, vat, line_count, state, created_at_ms, updated_at_ms)
             VALUES ('o1', 1, 'd', '{}', 'prepaid', 'KRW', 1000, 1, 1100, 1000, 100, 1, 'draft', 0, 0)",
            [],
        )
        .unwrap();
        assert_eq!(migrate(&mut conn).unwrap(), SCHEMA_VERSION);
        let lang: String =
            conn.query_row("SELECT lang FROM orders WHERE id = 'o1'", [], |r| r.get(0)).unwrap();
        assert_eq!(lang, "ko");
        assert_eq!(migrate(&mut conn).unwrap(), SCHEMA_VERSION, "a second run changes nothing");
    }

    #[test]
    fn a_version_5_database_takes_every_tab_so_far_as_settled() {
        let mut conn = Connection::open_in_memory().unwrap();
        for sql in &MIGRATIONS[..5] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 5).unwrap();
        for (id, table) in [("r1", Some("7")), ("k1", None), ("r2", Some("7")), ("r3", Some("8"))] {
            conn.execute(
                "INSERT INTO orders (id, number, business_day, kind_json, table_id, settlement, currency, vat_rate_bp,
                                     item_count, total, supply, vat, line_count, state, created_at_ms, updated_at_ms)
                 VALUES (?1, 1, 'd', '{}', ?2, 'tab', 'KRW', 1000, 1, 1100, 1000, 100, 1, 'committed', 0, 0)",
                rusqlite::params![id, table],
            )
            .unwrap();
        }
        migrate(&mut conn).unwrap();
        let mut stmt =
            conn.prepare("SELECT table_id, through_rowid FROM tab_closures ORDER BY table_id").unwrap();
        let closures: Vec<(String, i64)> =
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect();
        assert_eq!(closures, [("7".to_owned(), 3), ("8".to_owned(), 4)], "through each table's last order");
    }

    #[test]
    fn a_version_2_outbox_keeps_its_rows_in_commit_order() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.execute_batch(MIGRATIONS[1]).unwrap();
        conn.pragma_update(None, "user_version", 2).unwrap();
        for (id, created) in [("b", 5), ("a", 7), ("c", 5)] {
            conn.execute(
                "INSERT INTO orders (id, number, business_day, kind_json, settlement, currency, vat_rate_bp, item_count,
                                     total, supply, vat, line_count, state, created_at_ms, updated_at_ms)
                 VALUES (?1, 1, 'd', '{}', 'prepaid', 'KRW', 1000, 1, 1100, 1000, 100, 1, 'committed', 0, 0)",
                [id],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO pos_outbox (order_id, payload_json, status, next_attempt_ms, created_at_ms)
                 VALUES (?1, '{}', 'queued', 0, ?2)",
                rusqlite::params![id, created],
            )
            .unwrap();
        }
        migrate(&mut conn).unwrap();
        let mut stmt = conn.prepare("SELECT order_id FROM pos_outbox ORDER BY seq").unwrap();
        let order: Vec<String> = stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
        assert_eq!(order, ["b", "c", "a"], "by the old created_at_ms, then rowid");
    }
}
