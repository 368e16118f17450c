//! The payment desk against the simulated SMARTRO terminal: every fault ends with a journal
//! that agrees with the terminal's own ledger.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use kiosk_app::payment_desk::{COMPLETE_WINDOW_MS, Means, PayResult, PaymentDesk};
use kiosk_app::store_thread::StoreHandle;
use kiosk_clock::{ManualTime, StoreClock, TimeSource};
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
    store: StoreHandle,
    menu: Menu,
    /// The device's clocks, set by the test: a wall clock step or a reboot on demand.
    time: ManualTime,
}

fn rig_with(options: TerminalSimOptions) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let sim = spawn_pty(&dir.path().join("ttyTERMINAL"), options).unwrap();
    let store = StoreHandle::spawn(Store::open(dir.path().join("kiosk.db")).unwrap());
    let menu = serde_json::from_str(include_str!("../data/menu.example.json")).unwrap();
    Rig { dir, sim, store, menu, time: ManualTime::new(60_000, 1_000) }
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
        let clock = StoreClock::with_source("Asia/Seoul", std::sync::Arc::new(self.time.clone()));
        PaymentDesk::new(self.store.clone(), terminal, clock)
    }

    fn order(&self, colas: u32, now_ms: i64) -> OrderId {
        let mut o = common::cola_order(&self.menu, colas, Settlement::Prepaid, now_ms);
        let id = o.id;
        self.with(move |s| s.create_order(&mut o, "2026-11-22", Actor::Customer, now_ms)).unwrap();
        id
    }

    fn state(&self, id: OrderId) -> OrderState {
        self.with(move |s| s.order_state(id)).unwrap()
    }

    /// A look at the store from the test (on a thread of its own: tests are async).
    fn with<R: Send + 'static>(&self, f: impl FnOnce(&mut Store) -> R + Send + 'static) -> R {
        let store = self.store.clone();
        std::thread::spawn(move || store.run_blocking(f)).join().unwrap()
    }

    /// The journal and the terminal's ledger agree: the approvals standing at the terminal
    /// are exactly those standing in our journal, at most one per order, and every one of
    /// them belongs to an order that is paid (approved or committed).
    fn assert_agreement(&self) {
        let ledger = self.sim.handle.standing_approvals();
        self.with(move |store| Self::agree(store, ledger));
    }

    fn agree(store: &mut Store, ledger: Vec<(String, u64)>) {
        assert!(store.open_payments().unwrap().is_empty(), "no step left open");
        let at_terminal: BTreeSet<String> = ledger.into_iter().map(|a| a.0).collect();
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

/// A card charge of 50,000 won or more goes to the terminal in the instalments the customer
/// chose (the terminal's answer carries them, for the receipt); one under 50,000 won, or a
/// plan of 1 or 13 months, is refused before the terminal: nothing journaled, nothing charged.
#[tokio::test]
async fn instalments_reach_the_terminal_and_a_plan_the_amount_does_not_allow_never_does() {
    let rig = rig();
    let mut desk = rig.desk().await;
    let big = rig.order(28, 1_000); // 28 colas: 50,400 won
    match desk.pay(big, &Means::Instalments(3)).await.unwrap() {
        PayResult::Approved(a) => {
            assert_eq!(a.installment_months, 3, "the terminal's answer carries the plan");
            assert_eq!(a.amount, Money(50_400));
        }
        other => panic!("{other:?}"),
    }
    let ledger = rig.sim.handle.ledger().len();
    for (colas, months) in [(27, 3), (28, 1), (28, 13)] {
        let id = rig.order(colas, 2_000);
        let result = desk.pay(id, &Means::Instalments(months)).await.unwrap();
        assert!(
            matches!(&result, PayResult::Declined { code, .. } if code == "NI"),
            "{colas} colas in {months} months: {result:?}"
        );
        assert_eq!(rig.state(id), OrderState::Draft, "nothing journaled");
        assert!(rig.with(move |s| s.payments_of(id)).unwrap().is_empty());
    }
    assert_eq!(rig.sim.handle.ledger().len(), ledger, "nothing reached the terminal");
    rig.assert_agreement();
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
        let result = desk.pay(id, &Means::Card).await.unwrap();
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
        desk.pay(id, &Means::Barcode("281006020000123456".into())).await.unwrap(),
        PayResult::Approved(_)
    ));
    let journal = rig.with(move |s| s.payments_of(id)).unwrap();
    assert!(journal.iter().all(|e| !e.request_json.contains("2810060200")), "the barcode is not journaled");
    rig.assert_agreement();
}

#[tokio::test]
async fn an_unplugged_terminal_holds_the_order_and_recovery_completes_it() {
    let rig = rig();
    let mut desk = rig.desk().await;
    let id = rig.order(2, 1_000);
    rig.sim.handle.push_fault(Fault::UnplugAfterApproval);
    assert_eq!(desk.pay(id, &Means::Card).await.unwrap(), PayResult::Unresolved);
    assert_eq!(rig.state(id), OrderState::PaymentUnknown);
    // never charged again while its fate is unknown
    let again = desk.pay(id, &Means::Card).await;
    assert!(matches!(again, Err(StoreError::Order(OrderError::Transition(_)))), "{again:?}");
    assert_eq!(rig.sim.handle.standing_approvals().len(), 1);
    drop(desk);

    // the terminal is back; start-up recovery asks it and completes the fresh approval
    tokio::time::sleep(Duration::from_millis(800)).await;
    let mut desk = rig.desk().await;
    let report = desk.recover().await.unwrap();
    assert_eq!((report.resolved_approved, report.completed.as_slice()), (1, &[id][..]), "{report:?}");
    assert_eq!(rig.state(id), OrderState::Committed);
    assert_eq!(rig.with(|s| s.print_pending(10)).unwrap().len(), 3, "receipt, kitchen ticket, slip");
    rig.assert_agreement();
}

#[tokio::test]
async fn the_recovery_rule_completes_fresh_approvals_and_cancels_old_ones() {
    let rig = rig();
    let mut desk = rig.desk().await;
    // two orders approved, then the kiosk "crashed" before committing either
    let fresh = rig.order(1, 0);
    let old = rig.order(3, 0);
    assert!(matches!(desk.pay(old, &Means::Card).await.unwrap(), PayResult::Approved(_)));
    rig.time.advance(COMPLETE_WINDOW_MS);
    assert!(matches!(desk.pay(fresh, &Means::Card).await.unwrap(), PayResult::Approved(_)));
    rig.time.advance(60_000);
    // and a draft that was never paid
    let abandoned = rig.order(1, 0);
    let report = desk.recover().await.unwrap();
    assert_eq!(report.completed, vec![fresh]);
    assert_eq!(report.cancelled, vec![old]);
    assert_eq!(rig.state(fresh), OrderState::Committed);
    assert_eq!(rig.state(old), OrderState::Reversed);
    assert_eq!(rig.state(abandoned), OrderState::Cancelled);
    assert_eq!(rig.sim.handle.standing_approvals().len(), 1);
    rig.assert_agreement();
    assert_eq!(rig.with(|s| s.refunds_pending_count()).unwrap(), 0, "the POS never had `old`");
    // a second recovery changes nothing
    rig.time.advance(1);
    let again = desk.recover().await.unwrap();
    assert_eq!(again, Default::default());
}

/// A share of a table's bill approved, then the tablet crashed before committing it; while
/// it was down, staff settled the table at the counter. Recovery must not complete the share
/// (the table paid in full at the counter): it cancels the approval. Another table's share,
/// whose tab is still open, is completed, with its receipt and no kitchen ticket or slip.
#[tokio::test]
async fn recovery_cancels_a_share_whose_table_was_settled_at_the_counter_meanwhile() {
    let rig = rig();
    let mut desk = rig.desk().await;
    let share_of = |table: &str, n: u128| -> OrderId {
        let mut cart = Cart::default();
        cart.add(&rig.menu, Selection::of("cola", 2), None).unwrap();
        let tab = Tab::open(TableId(table.into()), 2);
        let id = OrderId(uuid::Uuid::from_u128(n));
        let mut round =
            Order::from_cart(id, 0, tab.next_kind(), Settlement::Tab, &cart, &rig.menu, 0).unwrap();
        rig.with(move |s| {
            s.create_order(&mut round, "2026-11-22", Actor::Customer, 0)?;
            s.commit_order(id, &[], Actor::Customer, 0)
        })
        .unwrap();
        let table = TableId(table.into());
        let rounds = rig.with(move |s| s.open_tab(&table)).unwrap();
        let tab = Tab::restore(TableId(tab.table.0.clone()), rounds);
        let mut share =
            tab.share_order(OrderId(uuid::Uuid::from_u128(n + 100)), Split::Even { parts: 2 }, 0).unwrap();
        let share_id = share.id;
        rig.with(move |s| s.create_order(&mut share, "2026-11-22", Actor::Customer, 0)).unwrap();
        share_id
    };
    let settled = share_of("3", 1);
    let open = share_of("4", 2);
    for share in [settled, open] {
        assert!(matches!(desk.pay(share, &Means::Card).await.unwrap(), PayResult::Approved(_)));
    }
    // the tablet is down; staff take table 3's whole bill at the counter
    rig.with(|s| s.close_tab(&TableId("3".into()), Actor::Operator, 1)).unwrap();
    let report = desk.recover().await.unwrap();
    assert_eq!(report.cancelled, vec![settled], "never paid twice");
    assert_eq!(report.completed, vec![open]);
    assert_eq!(rig.sim.handle.standing_approvals().len(), 1);
    rig.assert_agreement();
    let prints: Vec<kiosk_store::PrintKind> =
        rig.with(|s| s.print_pending(10)).unwrap().into_iter().map(|j| j.kind).collect();
    assert_eq!(prints, [kiosk_store::PrintKind::Receipt], "a share's receipt only");
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

#[tokio::test]
async fn no_card_number_reaches_the_database_or_the_logs() {
    let logs = common::Captured::default();
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
        desk.pay(id, &Means::Card).await.unwrap();
    }
    desk.recover().await.unwrap();
    let first = rig.with(|s| s.orders_in(&OrderState::ALL)).unwrap()[0];
    let masked = rig.with(move |s| s.payments_of(first)).unwrap();
    assert!(masked.iter().any(|e| matches!(&e.outcome, Some(PaymentOutcome::Approved(a)) if a.card_masked.as_deref() == Some("411111******1111"))));
    drop(desk);
    // Every text value stored, in every table (read through SQLite, so the WAL counts too).
    let found = rig.with(|store| {
        let mut found = Vec::new();
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
        found
    });
    let mut found = found;
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

/// The recovery rule measures an approval's age on the monotonic clock within a boot: a wall
/// clock stepped three hours either way (NTP after a boot at the image's build time) neither
/// completes an old approval nor cancels a fresh one. Across a reboot it trusts the wall
/// clock only once it is synchronised; until then the order is held, unless this boot's
/// uptime alone proves the window has passed.
#[tokio::test]
async fn a_wall_clock_step_or_a_reboot_never_decides_an_approval() {
    const HOURS_3: i64 = 3 * 3_600_000;
    let rig = rig();
    let mut desk = rig.desk().await;
    // fresh by the monotonic clock, though the wall clock jumped three hours ahead
    let a = rig.order(1, 0);
    assert!(matches!(desk.pay(a, &Means::Card).await.unwrap(), PayResult::Approved(_)));
    rig.time.advance(30_000);
    rig.time.step_wall(HOURS_3);
    let report = desk.recover().await.unwrap();
    assert_eq!(report.completed, vec![a], "{report:?}");

    // eleven minutes old by the monotonic clock, though the wall clock went back three hours
    let b = rig.order(2, 0);
    assert!(matches!(desk.pay(b, &Means::Card).await.unwrap(), PayResult::Approved(_)));
    rig.time.advance(11 * 60_000);
    rig.time.step_wall(-HOURS_3);
    let report = desk.recover().await.unwrap();
    assert_eq!(report.cancelled, vec![b], "{report:?}");

    // a reboot with the clock back at the image's build time: held until NTP sets it
    let c = rig.order(3, 0);
    assert!(matches!(desk.pay(c, &Means::Card).await.unwrap(), PayResult::Approved(_)));
    let approved_at = rig.time.wall_ms();
    rig.time.reboot(20_000, 1_000, false);
    let report = desk.recover().await.unwrap();
    assert_eq!((report.age_unknown, report.settled()), (1, false), "{report:?}");
    assert_eq!(rig.state(c), OrderState::PaymentApproved, "held, never charged again");
    rig.time.set_wall(approved_at + 2 * 60_000, true);
    let report = desk.recover().await.unwrap();
    assert_eq!(report.completed, vec![c], "two minutes old by the synchronised clock: {report:?}");

    // a reboot that has itself lasted longer than the window: too old whatever the clock says
    let d = rig.order(4, 0);
    assert!(matches!(desk.pay(d, &Means::Card).await.unwrap(), PayResult::Approved(_)));
    rig.time.reboot(COMPLETE_WINDOW_MS + 1_000, 1_000, false);
    let report = desk.recover().await.unwrap();
    assert_eq!(report.cancelled, vec![d], "{report:?}");
    rig.assert_agreement();
}
