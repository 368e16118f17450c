//! SIGKILL crash test: a worker commits orders and payments while it is killed at random
//! points; after every kill the database must pass `PRAGMA integrity_check`, and every order
//! must be wholly present or absent, with its payment journal, outbox row and print jobs
//! consistent with its state. Nothing committed may ever disappear.
//!
//! `KIOSK_CRASH_KILLS` sets the number of kills (default 240), `KIOSK_CRASH_SEED` the seed.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kiosk_app::store::Store;
use kiosk_domain::OrderState;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rusqlite::Connection;

#[derive(Debug, Default)]
struct Snapshot {
    orders: u64,
    committed: BTreeSet<String>,
    approvals: u64,
}

/// Checks every invariant; returns what is in the database, or the violations found.
fn check(db: &std::path::Path) -> Result<Snapshot, Vec<String>> {
    let store = Store::open(db).map_err(|e| vec![format!("reopen failed: {e}")])?;
    let mut bad = store.integrity_problems().map_err(|e| vec![e.to_string()])?;
    let c: &Connection = store.connection();
    let q = |sql: &str| -> Vec<String> {
        let mut stmt = c.prepare(sql).unwrap();
        stmt.query_map([], |r| r.get::<_, String>(0)).unwrap().map(Result::unwrap).collect()
    };
    // wholly present: every line is there and the sums agree
    for id in q("SELECT o.id FROM orders o LEFT JOIN order_lines l ON l.order_id = o.id
                 GROUP BY o.id HAVING COUNT(l.line_no) != o.line_count OR COALESCE(SUM(l.line_total), -1) != o.total") {
        bad.push(format!("order {id}: lines do not match its header"));
    }
    for id in q("SELECT DISTINCT order_id FROM order_lines WHERE order_id NOT IN (SELECT id FROM orders)") {
        bad.push(format!("lines without an order {id}"));
    }
    // committed <=> in the outbox
    let committed_states = "('committed','sent_to_pos','acknowledged','ready','completed')";
    for id in q(&format!(
        "SELECT id FROM orders WHERE state IN {committed_states} AND id NOT IN (SELECT order_id FROM pos_outbox)"
    )) {
        bad.push(format!("committed order {id} is not in the outbox"));
    }
    for id in q(&format!(
        "SELECT order_id FROM pos_outbox WHERE order_id IN (SELECT id FROM orders WHERE state NOT IN {committed_states} AND state != 'cancelled' AND state != 'reversed')"
    )) {
        bad.push(format!("uncommitted order {id} is in the outbox"));
    }
    for id in q(&format!(
        "SELECT DISTINCT order_id FROM print_queue WHERE order_id NOT IN (SELECT id FROM orders WHERE state IN {committed_states})"
    )) {
        bad.push(format!("print job for uncommitted order {id}"));
    }
    // delivered <=> acknowledged
    for id in q("SELECT order_id FROM pos_outbox o JOIN orders ON orders.id = o.order_id
                 WHERE (o.status = 'delivered') != (orders.state = 'acknowledged')")
    {
        bad.push(format!("order {id}: outbox status and state disagree"));
    }
    // payments: a prepaid commit has its approval; awaiting payment <=> an open approve step
    for id in q(&format!(
        "SELECT id FROM orders WHERE settlement = 'prepaid' AND state IN {committed_states}
                 AND id NOT IN (SELECT order_id FROM payment_journal WHERE outcome = 'approved')"
    )) {
        bad.push(format!("prepaid order {id} committed without an approval"));
    }
    for id in q("SELECT order_id FROM payment_journal WHERE outcome = 'approved' AND order_id IN
                 (SELECT id FROM orders WHERE state IN ('draft','awaiting_payment','payment_declined','cancelled'))") {
        bad.push(format!("approved payment of order {id} is not reflected in its state"));
    }
    let awaiting: BTreeSet<String> =
        q("SELECT id FROM orders WHERE state = 'awaiting_payment'").into_iter().collect();
    let open: BTreeSet<String> =
        q("SELECT order_id FROM payment_journal WHERE outcome IS NULL AND operation = 'approve'")
            .into_iter()
            .collect();
    if awaiting != open {
        bad.push(format!("awaiting-payment orders {awaiting:?} != open approve steps {open:?}"));
    }
    if !bad.is_empty() {
        return Err(bad);
    }
    let count = |sql: &str| -> u64 { c.query_row(sql, [], |r| r.get(0)).unwrap() };
    Ok(Snapshot {
        orders: count("SELECT COUNT(*) FROM orders"),
        committed: q(&format!("SELECT id FROM orders WHERE state IN {committed_states} OR (state IN ('cancelled','reversed') AND id IN (SELECT order_id FROM pos_outbox))")).into_iter().collect(),
        approvals: count("SELECT COUNT(*) FROM payment_journal WHERE outcome = 'approved'"),
    })
}

#[test]
fn sigkill_at_random_points_never_leaves_a_half_order() {
    let kills: u32 = std::env::var("KIOSK_CRASH_KILLS").ok().and_then(|s| s.parse().ok()).unwrap_or(240);
    let seed: u64 =
        std::env::var("KIOSK_CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
        });
    assert!(kills >= 200 || std::env::var("KIOSK_CRASH_KILLS").is_ok());
    let mut rng = StdRng::seed_from_u64(seed);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.db");
    let started = Instant::now();
    let mut previous = Snapshot::default();
    let mut interrupted_work = 0;
    for k in 0..kills {
        let mut child = Command::new(env!("CARGO_BIN_EXE_crash-worker"))
            .arg(&db)
            .arg(rng.random::<u64>().to_string())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        // Most kills land while orders are being written; every tenth lands during start-up
        // (opening, migrating, recovering) instead.
        if k % 10 != 0 {
            let mut ready = String::new();
            BufReader::new(child.stdout.take().unwrap()).read_line(&mut ready).unwrap();
            assert_eq!(ready.trim(), "ready", "worker failed to start (seed {seed}, kill {k})");
        }
        std::thread::sleep(Duration::from_micros(rng.random_range(0..25_000)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let now =
            check(&db).unwrap_or_else(|bad| panic!("after kill {k} (seed {seed}):\n{}", bad.join("\n")));
        assert!(now.orders >= previous.orders, "orders were lost after kill {k} (seed {seed})");
        let lost: Vec<_> = previous.committed.difference(&now.committed).collect();
        assert!(lost.is_empty(), "committed orders vanished after kill {k} (seed {seed}): {lost:?}");
        assert!(now.approvals >= previous.approvals, "an approval vanished after kill {k}");
        if now.orders > previous.orders {
            interrupted_work += 1;
        }
        previous = now;
    }
    // A last, clean recovery leaves no order holding money without a commit.
    let mut store = Store::open(&db).unwrap();
    let recovered = kiosk_tests::recover(&mut store, 0).unwrap();
    let pending: Vec<OrderState> =
        OrderState::ALL.into_iter().filter(|s| s.needs_payment_recovery()).collect();
    assert_eq!(store.orders_in(&pending).unwrap(), vec![]);
    drop(store);
    let last = check(&db).unwrap_or_else(|bad| panic!("after recovery:\n{}", bad.join("\n")));
    println!(
        "crash test: {kills} SIGKILLs (seed {seed}) in {:.1} s; {} orders, {} committed, {} approvals; \
         {interrupted_work} kills interrupted work in progress; {recovered} left for the final recovery; 0 inconsistencies",
        started.elapsed().as_secs_f64(),
        last.orders,
        last.committed.len(),
        last.approvals,
    );
    assert!(interrupted_work * 2 >= kills, "most kills should land while orders are being written");
}
