//! The SMARTRO client against the simulated terminal over a PTY, fault by fault.

use std::time::Duration;

use kiosk_domain::{Money, PaymentMethod, PaymentOutcome, Wallet};
use kiosk_drivers::payment::smartro::client::SmartroTerminal;
use kiosk_drivers::payment::{CancelWhat, ChargeRequest, PaymentTerminal, TerminalEvent};
use kiosk_drivers::transport::{Endpoint, FlowControl, Port};
use kiosk_sim::terminal::server::{TerminalSimOptions, spawn_pty};
use kiosk_sim::terminal::{Fault, LedgerEntry};

const TID: &str = "SIM00001";

struct Rig {
    _dir: tempfile::TempDir,
    sim: kiosk_sim::terminal::server::TerminalSim,
    endpoint: Endpoint,
}

async fn rig() -> Rig {
    rig_with(Duration::from_millis(20)).await
}

/// A terminal whose customer takes `customer_delay` to pay.
async fn rig_with(customer_delay: Duration) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("ttyTERMINAL");
    let options = TerminalSimOptions { customer_delay, ..TerminalSimOptions::default() };
    let sim = spawn_pty(&link, options).unwrap();
    let endpoint = Endpoint::Serial { path: link, baud: 115_200, flow_control: FlowControl::None };
    Rig { _dir: dir, sim, endpoint }
}

async fn connect(rig: &Rig) -> SmartroTerminal<Port> {
    let link = Port::open(&rig.endpoint, Duration::from_secs(2)).await.unwrap();
    SmartroTerminal::new(link, TID).with_charge_timeout(Duration::from_millis(700))
}

fn charge(amount: i64) -> ChargeRequest {
    ChargeRequest {
        amount: Money(amount),
        vat: Money(amount / 11),
        installment_months: 0,
        order_ref: "order-1".into(),
    }
}

fn approval_no(o: &PaymentOutcome) -> String {
    match o {
        PaymentOutcome::Approved(a) => a.approval_no.clone(),
        other => panic!("not approved: {other:?}"),
    }
}

#[tokio::test]
async fn device_check_reports_ready_with_the_version() {
    let rig = rig().await;
    let mut t = connect(&rig).await;
    let info = t.check().await.unwrap();
    assert!(info.ready, "{info:?}");
    assert!(info.version.starts_with("TL3600 SIM"), "{}", info.version);
    assert_eq!(info.detail, "card O, RF O, VAN O, server O");
    t.reset().await.unwrap();
}

#[tokio::test]
async fn approve_decline_abort_and_events() {
    let rig = rig().await;
    let mut t = connect(&rig).await;
    rig.sim.handle.card_event(b'I');
    let o = t.approve(&charge(17_800)).await.unwrap();
    match &o {
        PaymentOutcome::Approved(a) => {
            assert_eq!(a.amount, Money(17_800));
            assert_eq!(a.card_masked.as_deref(), Some("9411-23**-****-1234"));
            assert_eq!(a.method, PaymentMethod::Card);
            assert_eq!(a.issuer.as_deref(), Some("KB국민카드"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(t.take_events(), vec![TerminalEvent::CardInserted]);
    t.confirm().await.unwrap();

    rig.sim.handle.push_fault(Fault::Decline("6B"));
    assert!(
        matches!(t.approve(&charge(5_000)).await.unwrap(), PaymentOutcome::Declined { code, .. } if code == "6B")
    );
    rig.sim.handle.push_fault(Fault::CustomerAbort);
    assert_eq!(t.approve(&charge(5_000)).await.unwrap(), PaymentOutcome::Aborted);
    assert_eq!(rig.sim.handle.standing_approvals().len(), 1);

    let wallet = t.approve_barcode(&charge(4_300), "281006020000123456").await.unwrap();
    assert!(
        matches!(wallet, PaymentOutcome::Approved(a) if a.method == PaymentMethod::Wallet(Wallet::KakaoPay))
    );
}

#[tokio::test]
async fn a_lost_ack_and_a_corrupt_response_still_end_in_one_approval() {
    let rig = rig().await;
    let mut t = connect(&rig).await;
    rig.sim.handle.push_fault(Fault::DropAck);
    let first = approval_no(&t.approve(&charge(1_000)).await.unwrap());
    rig.sim.handle.push_fault(Fault::CorruptBcc);
    let second = approval_no(&t.approve(&charge(2_000)).await.unwrap());
    assert_ne!(first, second);
    assert_eq!(rig.sim.handle.standing_approvals().len(), 2, "no retry charged twice");
}

#[tokio::test]
async fn stall_and_lost_response_are_unknown_and_the_last_transaction_tells() {
    let rig = rig().await;
    let mut t = connect(&rig).await;
    let before = approval_no(&t.approve(&charge(1_000)).await.unwrap());

    rig.sim.handle.push_fault(Fault::Stall);
    assert!(matches!(t.approve(&charge(2_000)).await.unwrap(), PaymentOutcome::Unknown { .. }));
    // the last transaction is the earlier one: this charge did not happen
    assert_eq!(approval_no(&t.last_transaction().await.unwrap()), before);

    rig.sim.handle.push_fault(Fault::ApproveLoseResponse);
    assert!(matches!(t.approve(&charge(3_000)).await.unwrap(), PaymentOutcome::Unknown { .. }));
    let last = t.last_transaction().await.unwrap();
    assert_ne!(approval_no(&last), before, "this charge did happen");
    assert!(matches!(&last, PaymentOutcome::Approved(a) if a.amount == Money(3_000)));
}

#[tokio::test]
async fn unplugged_mid_transaction_then_back() {
    let rig = rig().await;
    let mut t = connect(&rig).await;
    rig.sim.handle.push_fault(Fault::UnplugAfterApproval);
    assert!(matches!(t.approve(&charge(9_900)).await.unwrap(), PaymentOutcome::Unknown { .. }));
    drop(t);
    tokio::time::sleep(Duration::from_millis(800)).await;
    let mut t = connect(&rig).await;
    let last = t.last_transaction().await.unwrap();
    assert!(matches!(&last, PaymentOutcome::Approved(a) if a.amount == Money(9_900)), "{last:?}");
}

#[tokio::test]
async fn cancels_by_number_and_last_and_twice() {
    let rig = rig().await;
    let mut t = connect(&rig).await;
    let o = t.approve(&charge(4_000)).await.unwrap();
    let PaymentOutcome::Approved(a) = &o else { panic!() };
    let what =
        CancelWhat::Approval { approval_no: a.approval_no.clone(), approved_at: a.approved_at.clone() };
    assert_eq!(
        t.cancel(&what, &charge(4_000)).await.unwrap(),
        PaymentOutcome::Reversed { approval_no: a.approval_no.clone() }
    );
    // cancelling again: already cancelled, which is what we wanted
    assert!(matches!(t.cancel(&what, &charge(4_000)).await.unwrap(), PaymentOutcome::Reversed { .. }));
    let b = approval_no(&t.approve(&charge(6_000)).await.unwrap());
    assert_eq!(
        t.cancel(&CancelWhat::Last, &charge(6_000)).await.unwrap(),
        PaymentOutcome::Reversed { approval_no: b }
    );
    assert!(rig.sim.handle.standing_approvals().is_empty());
    assert_eq!(
        rig.sim.handle.ledger().iter().filter(|e| matches!(e, LedgerEntry::Cancelled { .. })).count(),
        2
    );
}

/// What a host that died left unread on the line (here the terminal's NACK of a frame it
/// cut short) is dropped when the next host opens the port: taken for the NACK of the next
/// host's charge, it would send the charge again, and the terminal would approve it twice.
/// (A frame's tail ending in a NACK byte is noise to the decoder; see `frame.rs`.)
#[tokio::test]
async fn what_a_dead_host_left_on_the_line_never_sends_a_charge_twice() {
    let rig = rig().await;
    rig.sim.handle.line_noise(&[0x15]);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut t = connect(&rig).await;
    approval_no(&t.approve(&charge(1_000)).await.unwrap());
    assert_eq!(rig.sim.handle.standing_approvals().len(), 1, "charged twice");
}

/// The customer cancels on the screen while the terminal waits for the card: the terminal
/// is reset at once (not after the customer's time runs out), nothing is charged, and the
/// outcome is left to the terminal's last transaction (a reset does not say whether the
/// card was charged first).
#[tokio::test]
async fn a_charge_abandoned_while_the_terminal_waits_for_the_card_is_not_charged() {
    let rig = rig_with(Duration::from_secs(3)).await;
    let link = Port::open(&rig.endpoint, Duration::from_secs(2)).await.unwrap();
    let mut t = SmartroTerminal::new(link, TID);
    let started = std::time::Instant::now();
    let outcome =
        t.approve_until(&charge(4_500), tokio::time::sleep(Duration::from_millis(200))).await.unwrap();
    assert!(matches!(outcome, PaymentOutcome::Unknown { .. }), "{outcome:?}");
    assert!(started.elapsed() < Duration::from_secs(2), "waited {:?} for the customer", started.elapsed());
    assert_eq!(t.last_transaction().await.unwrap(), PaymentOutcome::NotCharged);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(rig.sim.handle.ledger().is_empty(), "charged after the reset: {:?}", rig.sim.handle.ledger());
    // the terminal takes the next charge as usual
    approval_no(&t.approve(&charge(4_500)).await.unwrap());
}

/// The customer paid at the moment the screen's cancel reset the terminal: the approval
/// the terminal sent first is the charge's outcome, never lost.
#[tokio::test]
async fn a_card_paid_as_the_reset_arrives_is_approved() {
    let rig = rig_with(Duration::from_secs(3)).await;
    rig.sim.handle.push_fault(Fault::PaidBeforeReset);
    let mut t = SmartroTerminal::new(Port::open(&rig.endpoint, Duration::from_secs(2)).await.unwrap(), TID);
    let outcome =
        t.approve_until(&charge(4_500), tokio::time::sleep(Duration::from_millis(200))).await.unwrap();
    let number = approval_no(&outcome);
    assert_eq!(rig.sim.handle.standing_approvals(), vec![(number, 4_500)]);
}

/// Once the customer's card is being read (the terminal reported it inserted), a cancel on
/// the screen no longer resets the terminal: a reset could race the card company's approval,
/// so the charge finishes as the terminal says.
#[tokio::test]
async fn a_cancel_after_the_card_is_read_lets_the_charge_finish() {
    let rig = rig_with(Duration::from_millis(1_500)).await;
    let mut t = SmartroTerminal::new(Port::open(&rig.endpoint, Duration::from_secs(2)).await.unwrap(), TID);
    let handle = rig.sim.handle.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(150)).await;
        handle.card_event(b'I');
    });
    let outcome =
        t.approve_until(&charge(4_500), tokio::time::sleep(Duration::from_millis(500))).await.unwrap();
    let number = approval_no(&outcome);
    assert_eq!(rig.sim.handle.standing_approvals(), vec![(number, 4_500)]);
    assert!(t.take_events().contains(&TerminalEvent::CardInserted));
}
