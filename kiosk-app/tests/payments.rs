//! The payment desk against the simulated SMARTRO terminal: every fault ends with a journal
//! that agrees with the terminal's own ledger.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kiosk_app::payments::{COMPLETE_WINDOW_MS, Means, PayResult, PaymentDesk};
use kiosk_domain::*;
use kiosk_drivers::payment::smartro::client::SmartroTerminal;
use kiosk_drivers::transport::{Endpoint, FlowControl, Port};
use kiosk_sim::terminal::Fault;
use kiosk_sim::terminal::server::{TerminalSim, TerminalSimOptions, spawn_pty};
use kiosk_store::{Actor, Store, StoreError};

mod common;

struct Rig {
    dir: tempfile::TempDir,
    sim: TerminalSim,
    store: Arc<Mutex<Store>>,
    menu: Menu,
}

fn rig_with(options: TerminalSimOptions) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let sim = spawn_pty(&dir.path().join("ttyTERMINAL"), options).unwrap();
    let store = Arc::new(Mutex::new(Store::open(dir.path().join("kiosk.db")).unwrap()));
    let menu = serde_json::from_str(include_str!("../data/menu.example.json")).unwrap();
    Rig { dir, sim, store, menu }
}

fn rig() -> Rig {
    rig_with(TerminalSimOptions {
        customer_delay: Duration::from_millis(10),
        ..TerminalSimOptions::default()
    })
}

impl Rig {
    async fn desk(&self) -> PaymentDesk<SmartroTerminal<Port>> {
        let endpoint =
            Endpoint::Serial { path: self.sim.link.clone(), baud: 115_200, flow_control: FlowControl::None };
        let link = Port::open(&endpoint, Duration::from_secs(2)).await.unwrap();
        let terminal = SmartroTerminal::new(link, "SIM00001").with_charge_timeout(Duration::from_millis(600));
        PaymentDesk::new(self.store.clone(), terminal)
    }

    fn order(&self, colas: u32, now_ms: i64) -> OrderId {
        let mut o = common::cola_order(&self.menu, colas, Settlement::Prepaid, now_ms);
        self.store.lock().unwrap().create_order(&mut o, "2026-11-22", Actor::Customer, now_ms).unwrap();
        o.id
    }

    fn state(&self, id: OrderId) -> OrderState {
        self.store.lock().unwrap().order_state(id).unwrap()
    }

    /// The journal and the terminal's ledger agree: the approvals standing at the terminal
    /// are exactly those standing in our journal, at most one per order, and every one of
    /// them belongs to an order that is paid (approved or committed).
    fn assert_agreement(&self) {
        let store = self.store.lock().unwrap();
        assert!(store.open_payments().unwrap().is_empty(), "no step left open");
        let at_terminal: BTreeSet<String> =
            self.sim.handle.standing_approvals().into_iter().map(|a| a.0).collect();
        let mut ours = BTreeSet::new();
        let all: Vec<OrderState> = OrderState::ALL.to_vec();
        for id in store.orders_in(&all).unwrap() {
            if let Some(a) = store.standing_approval(id).unwrap() {
                let state = store.order_state(id).unwrap();
                assert!(
                    state == OrderState::PaymentApproved || state.is_committed(),
                    "{id} holds an approval in {state}"
                );
                assert!(ours.insert(a.approval_no), "one approval per order");
            }
        }
        assert_eq!(at_terminal, ours, "terminal ledger vs journal");
    }
}

#[tokio::test]
async fn every_fault_ends_with_a_consistent_journal() {
    let rig = rig();
    let mut desk = rig.desk().await;
    let cases: [(Option<Fault>, OrderState); 8] = [
        (None, OrderState::PaymentApproved),
        (Some(Fault::Decline("6B")), OrderState::PaymentDeclined),
        (Some(Fault::Decline("0A")), OrderState::PaymentDeclined),
        (Some(Fault::CustomerAbort), OrderState::Draft),
        (Some(Fault::DropAck), OrderState::PaymentApproved),
        (Some(Fault::CorruptBcc), OrderState::PaymentApproved),
        (Some(Fault::Stall), OrderState::PaymentDeclined),
        (Some(Fault::ApproveLoseResponse), OrderState::PaymentApproved),
    ];
    for (i, (fault, expected)) in cases.into_iter().enumerate() {
        let id = rig.order(1 + i as u32, 1_000);
        if let Some(f) = fault {
            rig.sim.handle.push_fault(f);
        }
        let result = desk.pay(id, &Means::Card, 2_000).await.unwrap();
        assert_eq!(rig.state(id), expected, "{fault:?}: {result:?}");
        match (fault, &result) {
            (Some(Fault::Decline(code)), PayResult::Declined { code: c, .. }) => assert_eq!(c, code),
            (Some(Fault::Stall), PayResult::Declined { code, .. }) => assert_eq!(code, "NC", "not charged"),
            (Some(Fault::CustomerAbort), PayResult::Aborted) => {}
            (_, PayResult::Approved(a)) => assert_eq!(a.amount, Money(1800 * (1 + i as i64))),
            other => panic!("unexpected {other:?}"),
        }
        rig.assert_agreement();
    }
    // a wallet barcode, not stored anywhere
    let id = rig.order(2, 3_000);
    assert!(matches!(
        desk.pay(id, &Means::Barcode("281006020000123456".into()), 4_000).await.unwrap(),
        PayResult::Approved(_)
    ));
    let journal = rig.store.lock().unwrap().payments_of(id).unwrap();
    assert!(journal.iter().all(|e| !e.request_json.contains("2810060200")), "the barcode is not journaled");
    rig.assert_agreement();
}

#[tokio::test]
async fn an_unplugged_terminal_holds_the_order_and_recovery_completes_it() {
    let rig = rig();
    let mut desk = rig.desk().await;
    let id = rig.order(2, 1_000);
    rig.sim.handle.push_fault(Fault::UnplugAfterApproval);
    assert_eq!(desk.pay(id, &Means::Card, 2_000).await.unwrap(), PayResult::Unresolved);
    assert_eq!(rig.state(id), OrderState::PaymentUnknown);
    // never charged again while its fate is unknown
    let again = desk.pay(id, &Means::Card, 2_500).await;
    assert!(matches!(again, Err(StoreError::Order(OrderError::Transition(_)))), "{again:?}");
    assert_eq!(rig.sim.handle.standing_approvals().len(), 1);
    drop(desk);

    // the terminal is back; start-up recovery asks it and completes the fresh approval
    tokio::time::sleep(Duration::from_millis(800)).await;
    let mut desk = rig.desk().await;
    let report = desk.recover(3_000).await.unwrap();
    assert_eq!((report.resolved_approved, report.completed.as_slice()), (1, &[id][..]), "{report:?}");
    assert_eq!(rig.state(id), OrderState::Committed);
    assert_eq!(
        rig.store.lock().unwrap().print_pending(10).unwrap().len(),
        3,
        "receipt, kitchen ticket, slip"
    );
    rig.assert_agreement();
}

#[tokio::test]
async fn the_recovery_rule_completes_fresh_approvals_and_cancels_old_ones() {
    let rig = rig();
    let mut desk = rig.desk().await;
    // two orders approved, then the kiosk "crashed" before committing either
    let fresh = rig.order(1, 0);
    let old = rig.order(3, 0);
    assert!(matches!(desk.pay(old, &Means::Card, 1_000).await.unwrap(), PayResult::Approved(_)));
    let later = 1_000 + COMPLETE_WINDOW_MS + 60_000;
    assert!(matches!(desk.pay(fresh, &Means::Card, later - 60_000).await.unwrap(), PayResult::Approved(_)));
    // and a draft that was never paid
    let abandoned = rig.order(1, 0);
    let report = desk.recover(later).await.unwrap();
    assert_eq!(report.completed, vec![fresh]);
    assert_eq!(report.cancelled, vec![old]);
    assert_eq!(rig.state(fresh), OrderState::Committed);
    assert_eq!(rig.state(old), OrderState::Reversed);
    assert_eq!(rig.state(abandoned), OrderState::Cancelled);
    assert_eq!(rig.sim.handle.standing_approvals().len(), 1);
    rig.assert_agreement();
    assert_eq!(rig.store.lock().unwrap().refunds_pending_count().unwrap(), 0, "the POS never had `old`");
    // a second recovery changes nothing
    let again = desk.recover(later + 1).await.unwrap();
    assert_eq!(again, Default::default());
}

/// Digit runs of 13–19 (the length of a card number) in some bytes. (The test's clock values
/// are small, so a millisecond timestamp cannot pass for one.)
fn pan_like_runs(bytes: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut run = String::new();
    for &b in bytes.iter().chain(std::iter::once(&b' ')) {
        if b.is_ascii_digit() {
            run.push(b as char);
        } else {
            if (13..=19).contains(&run.len()) {
                out.push(run.clone());
            }
            run.clear();
        }
    }
    out
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_card_number_reaches_the_database_or_the_logs() {
    let logs = Captured::default();
    let sink = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    // a misconfigured terminal that reports the full card number
    let rig = rig_with(TerminalSimOptions {
        customer_delay: Duration::from_millis(10),
        card_number: "4111111111111111".into(),
        ..TerminalSimOptions::default()
    });
    let mut desk = rig.desk().await;
    for (i, fault) in [None, Some(Fault::ApproveLoseResponse), Some(Fault::CorruptBcc), Some(Fault::Stall)]
        .into_iter()
        .enumerate()
    {
        let id = rig.order(1, i as i64);
        if let Some(f) = fault {
            rig.sim.handle.push_fault(f);
        }
        desk.pay(id, &Means::Card, 10 + i as i64).await.unwrap();
    }
    desk.recover(100).await.unwrap();
    let first = rig.store.lock().unwrap().orders_in(&OrderState::ALL).unwrap()[0];
    let masked = rig.store.lock().unwrap().payments_of(first).unwrap();
    assert!(masked.iter().any(|e| matches!(&e.outcome, Some(PaymentOutcome::Approved(a)) if a.card_masked.as_deref() == Some("411111******1111"))));
    drop(desk);
    // Every text value stored, in every table (read through SQLite, so the WAL counts too).
    let mut found = Vec::new();
    {
        let store = rig.store.lock().unwrap();
        let c = store.connection();
        let tables: Vec<String> = c
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        for table in tables {
            let mut stmt = c.prepare(&format!("SELECT * FROM {table}")).unwrap();
            let columns = stmt.column_count();
            let mut rows = stmt.query([]).unwrap();
            while let Some(row) = rows.next().unwrap() {
                for i in 0..columns {
                    if let rusqlite::types::ValueRef::Text(t) | rusqlite::types::ValueRef::Blob(t) =
                        row.get_ref(i).unwrap()
                    {
                        found.extend(pan_like_runs(t).into_iter().map(|run| format!("{table}: {run}")));
                    }
                }
            }
        }
    }
    drop(rig.store);
    // and the full number nowhere in the files, in any form
    for file in ["kiosk.db", "kiosk.db-wal"] {
        let path = rig.dir.path().join(file);
        if Path::new(&path).exists() {
            let bytes = std::fs::read(&path).unwrap();
            assert!(!bytes.windows(16).any(|w| w == b"4111111111111111"), "the card number is in {file}");
        }
    }
    found.extend(pan_like_runs(&logs.0.lock().unwrap()).into_iter().map(|run| format!("log: {run}")));
    assert!(found.is_empty(), "PAN-like numbers stored or logged: {found:?}");
    assert!(!logs.0.lock().unwrap().is_empty(), "the logs were captured");
}
