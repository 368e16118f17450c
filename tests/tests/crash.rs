//! SIGKILL crash test: a worker commits orders and takes card payments (through the real
//! payment desk, against the simulated terminal this test runs) while it is killed at random
//! points; every start recovers through the desk's real recovery. After every kill the
//! database must pass `PRAGMA integrity_check`, and every order must be wholly present or
//! absent, with its payment journal, outbox row and print jobs consistent with its state:
//! every committed order has its kitchen ticket and its receipt or order slip. Nothing
//! committed may ever disappear. A coupon held for an order is used exactly when the order is
//! committed, and released (or being released) when it ends without being placed; at the
//! end none is held. At the end the terminal's own ledger must agree with the journal: one
//! standing approval for every paid order, none for any other.
//!
//! `KIOSK_CRASH_KILLS` sets the number of kills (default 240), `KIOSK_CRASH_SEED` the seed.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kiosk_domain::{OrderState, Settlement};
use kiosk_sim::terminal::server::{TerminalSimOptions, spawn_pty};
use kiosk_store::Store;
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
                 GROUP BY o.id HAVING COUNT(l.line_no) != o.line_count OR COALESCE(SUM(l.line_total), -1) != o.total + o.discount") {
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
    // committed => its kitchen ticket, and its receipt or order slip, in the same transaction
    for (kinds, what) in
        [("('kitchen_ticket')", "kitchen ticket"), ("('receipt','order_slip')", "receipt or order slip")]
    {
        for id in q(&format!(
            "SELECT id FROM orders WHERE state IN {committed_states}
             AND id NOT IN (SELECT order_id FROM print_queue WHERE kind IN {kinds} AND order_id IS NOT NULL)"
        )) {
            bad.push(format!("committed order {id} has no {what}"));
        }
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
    // coupons: used <=> committed (a coupon stays used if the order is refunded afterwards);
    // an order ended without being placed holds none
    let placed = format!("(state IN {committed_states} OR id IN (SELECT order_id FROM pos_outbox))");
    for id in q(&format!(
        "SELECT order_id FROM coupon_holds WHERE (state = 'used') != (order_id IN (SELECT id FROM orders WHERE {placed}))"
    )) {
        bad.push(format!("order {id}: its coupon is used, or not, against whether the order was placed"));
    }
    for id in q(&format!(
        "SELECT order_id FROM coupon_holds WHERE state IN ('asking', 'held')
         AND order_id IN (SELECT id FROM orders WHERE state IN ('cancelled', 'reversed') AND NOT {placed})"
    )) {
        bad.push(format!("order {id} ended without being placed but still holds its coupon"));
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
    // The terminal outlives the worker: its ledger is the record the journal is held to. A
    // fast line and an instant customer keep the worker's time in the store, where the kills
    // must land to find a commit split in two.
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let link = dir.path().join("ttyTERMINAL");
    let options =
        TerminalSimOptions { baud: 921_600, customer_delay: Duration::ZERO, ..TerminalSimOptions::default() };
    let terminal = runtime.block_on(async { spawn_pty(&link, options) }).unwrap();
    let worker = |args: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_crash-worker"));
        c.arg(&db).arg(&link).args(args).stdout(Stdio::piped());
        c
    };
    let started = Instant::now();
    let mut previous = Snapshot::default();
    let (mut interrupted_work, mut unsettled_starts) = (0, 0);
    for k in 0..kills {
        let mut child = worker(&[&rng.random::<u64>().to_string()]).spawn().unwrap();
        // Most kills land while orders are being written; every tenth lands during start-up
        // (opening, migrating, recovering) instead.
        if k % 10 != 0 {
            let mut ready = String::new();
            BufReader::new(child.stdout.take().unwrap()).read_line(&mut ready).unwrap();
            if ready.is_empty() {
                // The terminal could not settle an interrupted charge yet: the next start will.
                let code = child.wait().unwrap().code();
                assert_eq!(code, Some(3), "worker failed to start (seed {seed}, kill {k})");
                unsettled_starts += 1;
            }
            assert!(
                ready.is_empty() || ready.trim() == "ready",
                "worker said {ready:?} (seed {seed}, kill {k})"
            );
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
    // A last, clean recovery (the worker's start-up, to the end) leaves no order holding money
    // without a commit.
    let left = {
        let store = Store::open(&db).unwrap();
        OrderState::ALL
            .into_iter()
            .filter(|s| s.needs_payment_recovery())
            .map(|s| store.orders_in(&[s]).unwrap().len())
            .sum::<usize>()
    };
    let status = worker(&["1", "--recover-only"]).status().unwrap();
    assert_eq!(status.code(), Some(0), "the final recovery settles everything (seed {seed})");
    let store = Store::open(&db).unwrap();
    let pending: Vec<OrderState> =
        OrderState::ALL.into_iter().filter(|s| s.needs_payment_recovery()).collect();
    assert_eq!(store.orders_in(&pending).unwrap(), vec![]);
    let held: u64 = store
        .connection()
        .query_row("SELECT COUNT(*) FROM coupon_holds WHERE state IN ('asking', 'held')", [], |r| r.get(0))
        .unwrap();
    assert_eq!(held, 0, "after the final recovery no coupon is held (seed {seed})");
    // The terminal's ledger against the journal: every paid (committed prepaid) order has
    // exactly one standing approval of its total, and no other approval stands.
    let mut ours = BTreeSet::new();
    for id in store.orders_in(&OrderState::ALL).unwrap() {
        let order = store.load_order(id).unwrap().unwrap();
        let approval = store.standing_approval(id).unwrap();
        if order.state.is_committed() && order.settlement == Settlement::Prepaid {
            let a = approval.unwrap_or_else(|| panic!("paid order {id} without an approval (seed {seed})"));
            assert_eq!(a.amount, order.total(), "approval amount (seed {seed})");
            assert!(ours.insert(a.approval_no), "one approval per order (seed {seed})");
        } else {
            assert!(approval.is_none(), "order {id} in {} holds an approval (seed {seed})", order.state);
        }
    }
    let at_terminal: BTreeSet<String> =
        terminal.handle.standing_approvals().into_iter().map(|a| a.0).collect();
    assert_eq!(at_terminal, ours, "terminal ledger vs journal (seed {seed})");
    let coupons = |state: &str| -> u64 {
        let sql = format!("SELECT COUNT(*) FROM coupon_holds WHERE state IN ({state})");
        store.connection().query_row(&sql, [], |r| r.get(0)).unwrap()
    };
    let (used, released) = (coupons("'used'"), coupons("'releasing', 'released'"));
    drop(store);
    let last = check(&db).unwrap_or_else(|bad| panic!("after recovery:\n{}", bad.join("\n")));
    println!(
        "crash test: {kills} SIGKILLs (seed {seed}) in {:.1} s; {} orders, {} committed, {} approvals standing at the terminal as journaled; \
         {interrupted_work} kills interrupted work in progress; {unsettled_starts} starts waited for the terminal; \
         {left} left for the final recovery; coupons: {used} used, {released} released; 0 inconsistencies",
        started.elapsed().as_secs_f64(),
        last.orders,
        last.committed.len(),
        ours.len(),
    );
    assert!(interrupted_work * 2 >= kills, "most kills should land while orders are being written");
    drop(terminal);
}
