//! The randomized payment test: at least 1,000 payments (`KIOSK_PAYMENT_CHAOS` to change)
//! against the simulated terminal with random faults on 8 % of charges, while the paying
//! process is SIGKILLed at random points and restarted. Afterwards the terminal's ledger and
//! our journal must agree: exactly one standing approval for every paid order, none for an
//! unpaid one, nothing left open or ambiguous. The run must have killed the worker, and
//! start-up recovery must have met charges a kill interrupted and settled them by asking the
//! terminal; otherwise it proved nothing about recovery. Some customers cancel a card
//! payment on the screen as the simulated card is paid: a cancel either leaves no charge or
//! an approval with its order, never one without the other. A table's bill is paid in
//! shares between kills: the shares of every tab settled add up to exactly its rounds, and
//! the open tab's shares never exceed them.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use kiosk_domain::{OrderId, OrderKind, OrderState, Settlement, Tab, TableId};
use kiosk_sim::terminal::server::{TerminalSimOptions, spawn_pty};
use kiosk_store::Store;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Charges a kill interrupted (journaled as started, finished by the next start-up's
/// recovery as "interrupted"), and how many of those recovery then settled by asking the
/// terminal (approved, or not charged).
fn interrupted_charges(db: &std::path::Path) -> (u64, u64) {
    let store = Store::open(db).unwrap();
    let count = |sql: &str| -> u64 { store.connection().query_row(sql, [], |r| r.get(0)).unwrap() };
    let interrupted =
        "SELECT {} FROM payment_journal a WHERE a.operation = 'approve' AND a.outcome = 'unknown'
                       AND a.outcome_json LIKE '%interrupted (restart)%'";
    let settled = format!(
        "{} AND EXISTS (SELECT 1 FROM payment_journal q WHERE q.order_id = a.order_id AND q.id > a.id
                        AND q.operation = 'query_last' AND q.outcome IN ('approved', 'not_charged'))",
        interrupted.replace("{}", "COUNT(*)")
    );
    (count(&interrupted.replace("{}", "COUNT(*)")), count(&settled))
}

/// Card charges the customer cancelled on the screen that the terminal's reset answered
/// without the charge (settled by its last transaction, like any ambiguous charge).
fn cancelled_on_screen(db: &std::path::Path) -> u64 {
    let store = Store::open(db).unwrap();
    store
        .connection()
        .query_row(
            "SELECT COUNT(*) FROM payment_journal WHERE operation = 'approve'
               AND outcome_json LIKE '%cancelled by the customer on the screen%'",
            [],
            |r| r.get(0),
        )
        .unwrap()
}

fn payments_attempted(db: &std::path::Path) -> u64 {
    let store = Store::open(db).unwrap();
    store
        .connection()
        .query_row("SELECT COUNT(*) FROM payment_journal WHERE operation = 'approve'", [], |r| r.get(0))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_payments_with_faults_and_kills_end_in_agreement() {
    let target: u64 = std::env::var("KIOSK_PAYMENT_CHAOS").ok().and_then(|s| s.parse().ok()).unwrap_or(1000);
    let seed: u64 =
        std::env::var("KIOSK_CHAOS_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
        });
    let mut rng = StdRng::seed_from_u64(seed);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kiosk.db");
    let link = dir.path().join("ttyTERMINAL");
    let options = TerminalSimOptions {
        customer_delay: Duration::from_millis(2),
        replug_after: Duration::from_millis(200),
        ..TerminalSimOptions::default()
    };
    let sim = spawn_pty(&link, options).unwrap();
    sim.handle.set_chaos(8, seed);
    let started = Instant::now();
    let (mut kills, mut runs) = (0, 0);
    loop {
        let attempted = payments_attempted(&db);
        if attempted >= target {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "too slow: {attempted} payments in 10 min (seed {seed})"
        );
        runs += 1;
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_payment-worker"))
            .arg(&db)
            .arg(&link)
            .arg(rng.random::<u64>().to_string())
            .arg((target - attempted).to_string())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // most runs are killed somewhere in the middle of paying
        let kill_after = Duration::from_millis(rng.random_range(50..3000));
        tokio::select! {
            status = child.wait() => {
                let code = status.unwrap().code();
                assert!(matches!(code, Some(0) | Some(3)), "worker failed with {code:?} (seed {seed})");
            }
            _ = tokio::time::sleep(kill_after) => {
                child.kill().await.unwrap(); // SIGKILL
                kills += 1;
            }
        }
    }
    // last run: no more faults; recovery only
    let (charges, mix) = sim.handle.chaos_report().unwrap_or_default();
    sim.handle.set_chaos(0, 1);
    let status = tokio::process::Command::new(env!("CARGO_BIN_EXE_payment-worker"))
        .arg(&db)
        .arg(&link)
        .arg("1")
        .arg("0")
        .stdout(std::process::Stdio::null())
        .status()
        .await
        .unwrap();
    assert_eq!(status.code(), Some(0), "final recovery (seed {seed})");

    // the agreement
    let store = Store::open(&db).unwrap();
    assert!(store.open_payments().unwrap().is_empty(), "open steps (seed {seed})");
    let unresolved = [OrderState::AwaitingPayment, OrderState::PaymentApproved, OrderState::PaymentUnknown];
    assert_eq!(store.orders_in(&unresolved).unwrap(), vec![], "orders left unresolved (seed {seed})");
    let mut ours = BTreeSet::new();
    let (mut paid, mut unpaid) = (0, 0);
    for id in store.orders_in(&OrderState::ALL).unwrap() {
        let order = store.load_order(id).unwrap().unwrap();
        let approval = store.standing_approval(id).unwrap();
        if order.state.is_committed() && order.settlement == Settlement::Prepaid {
            let a = approval.unwrap_or_else(|| panic!("paid order {id} without an approval (seed {seed})"));
            assert_eq!(a.amount, order.total(), "approval amount (seed {seed})");
            assert!(ours.insert(a.approval_no), "one approval per order (seed {seed})");
            paid += 1;
        } else {
            assert!(
                approval.is_none(),
                "unpaid order {id} in {} holds an approval (seed {seed})",
                order.state
            );
            unpaid += 1;
        }
    }
    // split bills: per tab (by its first round), what the shares paid
    let mut tabs: std::collections::BTreeMap<OrderId, (i64, Option<Vec<OrderId>>)> = Default::default();
    let mut shares_paid = 0;
    for id in store.orders_in(&OrderState::ALL).unwrap() {
        let order = store.load_order(id).unwrap().unwrap();
        if let OrderKind::TableBill { rounds, share: Some(share), .. } = &order.kind
            && order.state.is_committed()
        {
            shares_paid += 1;
            let tab = tabs.entry(rounds[0]).or_default();
            tab.0 += order.total().0;
            if share.last {
                assert!(tab.1.is_none(), "a tab settled twice (seed {seed})");
                tab.1 = Some(rounds.clone());
            }
        }
    }
    let total_of = |rounds: &[OrderId]| -> i64 {
        rounds.iter().map(|r| store.load_order(*r).unwrap().unwrap().total().0).sum()
    };
    let mut settled_tabs = 0;
    for (first, (paid, settled)) in &tabs {
        if let Some(rounds) = settled {
            assert_eq!(*paid, total_of(rounds), "tab of round {first}: shares vs its rounds (seed {seed})");
            settled_tabs += 1;
        }
    }
    let open = Tab::restore(TableId("T1".into()), store.open_tab(&TableId("T1".into())).unwrap());
    assert!(open.paid_by_shares() <= open.whole(), "the open tab's shares exceed its rounds (seed {seed})");
    let at_terminal: BTreeSet<String> = sim.handle.standing_approvals().into_iter().map(|a| a.0).collect();
    assert_eq!(at_terminal, ours, "terminal ledger vs journal (seed {seed})");
    let payments = payments_attempted(&db);
    let faults: u32 = mix.values().sum();
    assert!(faults > 0 || target < 50, "faults were injected (seed {seed})");
    let (interrupted, settled) = interrupted_charges(&db);
    let screen_cancels = cancelled_on_screen(&db);
    if target >= 200 {
        assert!(screen_cancels > 0, "no customer cancelled on the screen (seed {seed})");
        assert!(settled_tabs > 0, "no table's bill was paid in shares to the end (seed {seed})");
        assert!(kills > 0, "the worker was killed (seed {seed})");
        assert!(
            settled > 0,
            "a recovery settled a charge a kill interrupted ({interrupted} interrupted, seed {seed})"
        );
    }
    let mix: Vec<String> = mix.iter().map(|(k, v)| format!("{k} {v}")).collect();
    println!(
        "payment chaos: {payments} payments in {:.0} s (seed {seed}); {paid} paid orders, {unpaid} unpaid; \
         {faults} injected faults over {charges} terminal charges ({}); {kills} SIGKILLs over {runs} runs, \
         {interrupted} charges interrupted mid-way ({settled} settled by recovery asking the terminal); \
         {screen_cancels} card charges cancelled on the screen and reset at the terminal; \
         {shares_paid} shares of table bills paid, {settled_tabs} tabs settled by their last share; \
         ledger and journal agree: {} standing approvals",
        started.elapsed().as_secs_f64(),
        mix.join(", "),
        ours.len()
    );
}
