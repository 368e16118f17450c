//! The session flows with a fake clock and canned outcomes.

use std::sync::Arc;

use kiosk_domain::{Lang, Menu, OrderKind, Service, Settlement};
use kiosk_drivers::scanner::Scan;

use crate::settings::MAX_VOLUME;
use crate::status::{DeviceHealth, HealthState, Status};
use crate::*;
use kiosk_domain::ReceiptPolicy;
use kiosk_domain::StaffReason;

pub(crate) fn demo_menu() -> Arc<Menu> {
    let text = include_str!("../../data/demo-menu.json");
    let menu: Menu = serde_json::from_str(text).expect("demo menu parses");
    assert!(menu.validate().is_empty(), "{:?}", menu.validate());
    Arc::new(menu)
}

/// The time `ms` on the monotonic clock; the wall clock reads some other day entirely (a
/// Raspberry Pi boots at its image's build time), which must not matter.
pub(crate) fn at(ms: i64) -> Now {
    Now { mono_ms: ms, wall_ms: 1_795_365_000_000 + ms, local: None }
}

/// A flow with ids counted from a seed.
fn flow(settings: Settings, menu: Arc<Menu>, ms: i64) -> Flow {
    Flow::new(settings, menu, at(ms), Box::new(SeededIds(7)))
}

fn toggle(group: &str, option: &str) -> Intent {
    Intent::ToggleOption { group: group.into(), option: option.into() }
}

/// Types `text` on the on-screen keyboard, one key per character.
pub(crate) fn type_chars(f: &mut Flow, text: &str, ms: i64) {
    for c in text.chars() {
        f.handle(Intent::NoteKey(crate::note::NoteKey::Char(c)), at(ms));
    }
}

/// A kiosk flow up to the menu, in `lang`.
pub(crate) fn at_menu(settings: Settings, lang: Lang) -> Flow {
    let mut f = flow(settings, demo_menu(), 0);
    assert_eq!(f.page(), Page::Attract);
    f.handle(Intent::Start, at(1));
    assert_eq!(f.page(), Page::Language);
    f.handle(Intent::ChooseLanguage(lang), at(2));
    assert_eq!(f.page(), Page::Service);
    f.handle(Intent::ChooseService(Service::TakeOut), at(3));
    assert_eq!(f.page(), Page::Menu);
    f
}

fn add_latte(f: &mut Flow) {
    f.handle(Intent::OpenItem("cafe-latte".into()), at(10));
    assert_eq!(f.page(), Page::Item);
    f.handle(Intent::AddToCart, at(11));
    // required groups unchosen: the customer is told which
    assert_eq!(f.page(), Page::Item);
    assert!(f.view().item_problem.contains("온도"), "{}", f.view().item_problem);
    for (g, o) in [
        ("temp", "iced"),
        ("size", "large"),
        ("milk", "oat"),
        ("milk/oat/oat-brand", "barista"),
        ("shot", "shot1"),
    ] {
        f.handle(toggle(g, o), at(12));
    }
    f.handle(Intent::SetQuantity(2), at(13));
    let v = f.view();
    // 5,000 + 700 + 500 + 500 = 6,700 each
    assert_eq!(v.item_total, "13,400원");
    assert!(v.groups.iter().any(|g| g.id == "milk/oat/oat-brand"), "the oat milk opens its own group");
    f.handle(Intent::AddToCart, at(14));
    assert_eq!(f.page(), Page::Menu);
}

#[test]
fn a_kiosk_order_with_options_is_charged_once_and_shows_its_number() {
    let mut f = at_menu(Settings::kiosk(), Lang::Ko);
    add_latte(&mut f);
    f.handle(Intent::OpenItem("brunch-set".into()), at(20));
    f.handle(toggle("step:sandwich", "chicken-sandwich"), at(21));
    f.handle(toggle("step:drink", "lemon-ade"), at(22));
    assert_eq!(f.view().item_total, "13,500원");
    f.handle(Intent::AddToCart, at(23));

    let v = f.view();
    assert_eq!(v.item_count, 3);
    assert_eq!(v.total, "26,900원");
    assert_eq!(v.vat_line, "부가세 2,445원 포함");
    f.handle(Intent::ShowCart, at(30));
    assert_eq!(f.page(), Page::Cart);
    assert!(f.view().lines[0].detail.contains("오트 우유 +500원"), "{:?}", f.view().lines[0]);
    f.handle(Intent::Checkout, at(31));
    assert_eq!(f.page(), Page::PayChoice);
    let effects = f.handle(Intent::Pay(PayWith::Card), at(32));
    let [Effect::Checkout { order, payment: Payment::Card { months: 0 }, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(order.total().0, 26_900);
    assert_eq!(order.settlement, Settlement::Prepaid);
    assert_eq!(order.lang, Lang::Ko);
    assert_eq!(f.page(), Page::Paying);
    assert_eq!(f.view().payment_prompt, "카드를 꽂거나 대 주세요");
    // a second tap while paying does nothing
    assert!(f.handle(Intent::Pay(PayWith::Card), at(33)).is_empty());

    f.outcome(Outcome::Committed { order: order.id, number: 17 }, at(40));
    let v = f.view();
    assert_eq!((f.page(), v.order_number.as_str()), (Page::Done, "17"));
    assert!(v.receipt_offered);
    assert_eq!(f.handle(Intent::WantReceipt(true), at(41)), vec![Effect::PrintReceipt(order.id)]);
    assert!(f.view().done_detail.contains("영수증을 출력"));
    // the next customer: back to the attract screen by itself
    f.tick(at(40 + 20_000));
    assert_eq!(f.page(), Page::Attract);
    assert!(f.cart().is_empty());
}

#[test]
fn a_declined_card_is_retried_on_the_same_order_and_an_edited_cart_replaces_it() {
    let mut f = at_menu(Settings::kiosk(), Lang::En);
    f.handle(Intent::OpenItem("americano".into()), at(10));
    f.handle(toggle("temp", "hot"), at(11));
    f.handle(toggle("size", "regular"), at(11));
    f.handle(Intent::AddToCart, at(12));
    f.handle(Intent::ShowCart, at(13));
    f.handle(Intent::Checkout, at(14));
    let first = f.handle(Intent::Pay(PayWith::Card), at(15));
    let Effect::Checkout { order, .. } = &first[0] else { panic!() };
    f.outcome(Outcome::Declined { order: order.id, message: "Insufficient funds".into() }, at(16));
    assert_eq!(f.page(), Page::Problem);
    assert_eq!(f.view().problem_title, "The payment was declined");
    assert_eq!(f.view().problem_body, "Insufficient funds");
    f.handle(Intent::Dismiss, at(17));
    assert_eq!(f.page(), Page::PayChoice);
    let again = f.handle(Intent::Pay(PayWith::Card), at(18));
    let Effect::Checkout { order: same, .. } = &again[0] else { panic!() };
    assert_eq!(same.id, order.id, "the declined order is charged again, not a new one");

    f.outcome(Outcome::Aborted { order: order.id }, at(19));
    assert_eq!(f.page(), Page::Cart);
    f.handle(Intent::ChangeLine { index: 0, quantity: 2 }, at(20));
    f.handle(Intent::Checkout, at(21));
    let edited = f.handle(Intent::Pay(PayWith::Card), at(22));
    assert_eq!(edited[0], Effect::Abandon(order.id));
    let Effect::Checkout { order: new, .. } = &edited[1] else { panic!() };
    assert_ne!(new.id, order.id);
    assert_eq!(new.total().0, 9_000);
}

/// A customer who cancels on the screen while the terminal waits for the card: the charge
/// is abandoned at the terminal, and the terminal's answer decides: not charged, back to
/// the cart; paid at that very moment, the order is theirs and they are told why.
#[test]
fn cancel_while_the_terminal_waits_for_the_card() {
    let mut f = at_menu(Settings::kiosk(), Lang::En);
    f.handle(Intent::OpenItem("croissant".into()), at(10));
    f.handle(Intent::AddToCart, at(11));
    f.handle(Intent::ShowCart, at(12));
    f.handle(Intent::Checkout, at(13));
    let e = f.handle(Intent::Pay(PayWith::Card), at(14));
    let Effect::Checkout { order, attempt, .. } = &e[0] else { panic!() };
    assert!(f.view().can_cancel_payment, "the customer can cancel while the terminal waits");
    assert_eq!(f.view().payment_detail, "To stop, press Cancel payment");
    assert_eq!(
        f.handle(Intent::CancelPayment, at(15)),
        vec![Effect::AbortCharge { order: order.id, attempt: *attempt }]
    );
    assert_eq!(f.page(), Page::Paying, "until the terminal answers");
    assert_eq!(f.view().payment_prompt, "Cancelling the payment");
    assert!(!f.view().can_cancel_payment);
    assert!(f.handle(Intent::CancelPayment, at(16)).is_empty(), "one cancel");
    f.outcome(Outcome::Aborted { order: order.id }, at(17));
    assert_eq!(f.page(), Page::Cart);
    assert_eq!(f.cart().lines().len(), 1, "the cart is kept");

    // again, and the card was paid as the cancel went out
    f.handle(Intent::Checkout, at(18));
    let e = f.handle(Intent::Pay(PayWith::Card), at(19));
    let Effect::Checkout { order: same, attempt: second, .. } = &e[0] else { panic!() };
    assert_eq!(same.id, order.id);
    assert_ne!(second, attempt, "another attempt: an earlier cancel does not reach it");
    assert_eq!(
        f.handle(Intent::CancelPayment, at(20)),
        vec![Effect::AbortCharge { order: order.id, attempt: *second }]
    );
    f.outcome(Outcome::Committed { order: order.id, number: 12 }, at(21));
    assert_eq!(f.page(), Page::Done);
    assert_eq!(f.view().order_number, "12");
    assert!(f.view().notice.contains("paid before the cancel"), "{:?}", f.view().notice);

    // a barcode charge under way (with the wallet's server) cannot be cancelled
    let mut f = at_menu(Settings::kiosk(), Lang::En);
    f.handle(Intent::OpenItem("croissant".into()), at(10));
    f.handle(Intent::AddToCart, at(11));
    f.handle(Intent::ShowCart, at(12));
    f.handle(Intent::Checkout, at(13));
    f.handle(Intent::Pay(PayWith::Wallet), at(14));
    f.handle(Intent::Scanned(Scan { data: "281012345678901234".into(), symbology: None }), at(15));
    assert!(!f.view().can_cancel_payment);
    assert!(f.handle(Intent::CancelPayment, at(16)).is_empty());
}

#[test]
fn an_ambiguous_charge_is_never_offered_again() {
    let mut f = at_menu(Settings::kiosk(), Lang::Ko);
    f.handle(Intent::OpenItem("croissant".into()), at(10));
    f.handle(Intent::AddToCart, at(11));
    f.handle(Intent::ShowCart, at(12));
    f.handle(Intent::Checkout, at(13));
    let e = f.handle(Intent::Pay(PayWith::Card), at(14));
    let Effect::Checkout { order, .. } = &e[0] else { panic!() };
    f.outcome(Outcome::Unresolved { order: order.id, number: 3 }, at(15));
    assert_eq!(f.page(), Page::Problem);
    assert!(f.view().problem_body.contains("다시 결제하지 마세요"));
    assert!(f.cart().is_empty(), "the held cart is gone: nothing to charge twice");
    assert!(f.handle(Intent::Dismiss, at(16)).is_empty());
    assert_eq!(f.page(), Page::Attract);
}

#[test]
fn a_wallet_barcode_pays_and_other_codes_are_refused_plainly() {
    let mut f = at_menu(Settings::kiosk(), Lang::Ko);
    f.handle(Intent::OpenItem("croissant".into()), at(10));
    f.handle(Intent::AddToCart, at(11));
    f.handle(Intent::ShowCart, at(12));
    f.handle(Intent::Checkout, at(13));
    assert!(f.handle(Intent::Pay(PayWith::Wallet), at(14)).is_empty());
    assert!(f.view().can_cancel_payment);
    let scan = |data: &str| Intent::Scanned(Scan { data: data.into(), symbology: None });
    assert!(f.handle(scan("hello"), at(15)).is_empty());
    assert!(f.view().notice.contains("결제 바코드가 아닙니다"));
    let e = f.handle(scan("281006020000000001"), at(16));
    assert!(
        matches!(&e[0], Effect::Checkout { payment: Payment::Barcode(c), .. } if c == "281006020000000001"),
        "{e:?}"
    );
    // no scan in time: back to the choice
    let mut g = at_menu(Settings::kiosk(), Lang::Ko);
    g.handle(Intent::OpenItem("croissant".into()), at(10));
    g.handle(Intent::AddToCart, at(11));
    g.handle(Intent::ShowCart, at(12));
    g.handle(Intent::Checkout, at(13));
    g.handle(Intent::Pay(PayWith::Wallet), at(14));
    g.tick(at(14 + 60_000));
    assert_eq!(g.page(), Page::PayChoice);
}

#[test]
fn idle_warns_then_resets_but_never_during_payment() {
    let mut f = at_menu(Settings::kiosk(), Lang::En);
    f.handle(Intent::OpenItem("croissant".into()), at(1_000));
    f.handle(Intent::AddToCart, at(1_000));
    f.tick(at(1_000 + 69_000));
    assert_eq!(f.idle_warning(), None);
    f.tick(at(1_000 + 71_000));
    assert_eq!(f.idle_warning(), Some(19));
    f.handle(Intent::MoreTime, at(1_000 + 72_000));
    assert_eq!(f.idle_warning(), None);
    f.handle(Intent::ShowCart, at(80_000));
    f.handle(Intent::Checkout, at(80_000));
    f.handle(Intent::Pay(PayWith::Card), at(80_000));
    f.tick(at(80_000 + 500_000));
    assert_eq!(f.page(), Page::Paying, "a payment in progress is never reset");
    assert_eq!(f.idle_warning(), None);

    let mut g = at_menu(Settings::kiosk(), Lang::En);
    g.handle(Intent::OpenItem("croissant".into()), at(0));
    g.handle(Intent::AddToCart, at(0));
    g.tick(at(90_000));
    assert_eq!(g.page(), Page::Attract);
    assert!(g.cart().is_empty());
    assert_eq!(g.lang(), Lang::Ko, "the next customer starts in the default language");
}

#[test]
fn pay_at_counter_commits_unpaid_and_says_so() {
    let mut f = at_menu(Settings::kiosk(), Lang::Ko);
    f.handle(Intent::OpenItem("scone".into()), at(10));
    f.handle(Intent::AddToCart, at(11));
    f.handle(Intent::ShowCart, at(12));
    f.handle(Intent::Checkout, at(13));
    f.set_availability(Availability {
        card: false,
        pos_reachable: false,
        queued: 4,
        ..Availability::default()
    });
    assert!(!f.view().card_available && !f.view().wallet_available && f.view().counter_available);
    assert!(
        f.handle(Intent::Pay(PayWith::Card), at(14)).is_empty(),
        "a card cannot be chosen while the reader is down"
    );
    let e = f.handle(Intent::Pay(PayWith::Counter), at(15));
    let Effect::Checkout { order, payment: Payment::Counter, .. } = &e[0] else { panic!("{e:?}") };
    assert_eq!(order.settlement, Settlement::PayAtCounter);
    f.outcome(Outcome::Committed { order: order.id, number: 5 }, at(16));
    let v = f.view();
    assert!(v.done_detail.contains("카운터에서"), "{}", v.done_detail);
    assert!(
        v.done_detail.contains("연결이 돌아오면"),
        "the POS is away: the order is queued, {}",
        v.done_detail
    );
    assert!(v.status_line.contains("주문 전송 대기 4"), "{}", v.status_line);
}

#[test]
fn an_item_outside_its_hours_is_greyed_with_when_it_is_sold_and_does_not_open() {
    use kiosk_domain::{LocalTime, TimeOfDay, Weekday, Window};
    let mut menu = (*demo_menu()).clone();
    let brunch = TimeOfDay::new(11, 0).unwrap();
    let item = menu.items.iter_mut().find(|i| i.id.0 == "scone").unwrap();
    item.availability = vec![Window { days: vec![], from: brunch, until: TimeOfDay::new(15, 0).unwrap() }];
    let clock = |ms: i64, h: u8, m: u8| Now {
        local: Some(LocalTime { weekday: Weekday::Mon, time: TimeOfDay::new(h, m).unwrap() }),
        ..at(ms)
    };
    let mut f = flow(Settings::kiosk(), Arc::new(menu), 0);
    f.handle(Intent::Start, clock(1, 10, 30));
    f.handle(Intent::ChooseLanguage(Lang::Ko), clock(2, 10, 30));
    f.handle(Intent::ChooseService(Service::TakeOut), clock(3, 10, 30));
    let bakery = f.view().categories.iter().position(|c| c == "베이커리").unwrap();
    f.handle(Intent::SelectCategory(bakery), clock(4, 10, 30));
    let scone = |f: &Flow| f.view().items.into_iter().find(|c| c.id == "scone").unwrap();
    assert_eq!(scone(&f).closed, "11:00부터 주문 가능");
    f.handle(Intent::OpenItem("scone".into()), clock(5, 10, 30));
    assert_eq!(f.page(), Page::Menu, "a closed item does not open");
    // at 11:00 it is on sale: the grid says so at the next tick, without a touch
    f.tick(clock(6, 11, 0));
    assert_eq!(scone(&f).closed, "");
    f.handle(Intent::OpenItem("scone".into()), clock(7, 11, 0));
    assert_eq!(f.page(), Page::Item);
    f.handle(Intent::Back, clock(8, 15, 0));
    assert_eq!(scone(&f).closed, "지금은 주문할 수 없습니다", "not again today");
}

#[test]
fn a_card_payment_of_fifty_thousand_won_or_more_may_be_split_into_instalments() {
    let mut f = at_menu(Settings::kiosk(), Lang::Ko);
    // 3 scones: 11,400 won, a lump sum only
    f.handle(Intent::OpenItem("scone".into()), at(10));
    f.handle(Intent::SetQuantity(3), at(10));
    f.handle(Intent::AddToCart, at(11));
    f.handle(Intent::ShowCart, at(12));
    f.handle(Intent::Checkout, at(13));
    assert_eq!(f.page(), Page::PayChoice);
    assert!(!f.view().instalments_offered);
    f.handle(Intent::StepInstalments(1), at(14));
    assert!(!f.view().instalments_offered, "no plan under 50,000 won");
    // 14 scones: 53,200 won
    f.handle(Intent::Back, at(15));
    f.handle(Intent::ChangeLine { index: 0, quantity: 14 }, at(16));
    f.handle(Intent::Checkout, at(17));
    let v = f.view();
    assert!(v.instalments_offered);
    assert_eq!(v.instalments, "일시불");
    f.handle(Intent::StepInstalments(1), at(18));
    assert_eq!(f.view().instalments, "2개월");
    f.handle(Intent::StepInstalments(1), at(18));
    f.handle(Intent::StepInstalments(-1), at(18));
    f.handle(Intent::StepInstalments(1), at(18));
    assert_eq!(f.view().instalments, "3개월");
    for _ in 0..20 {
        f.handle(Intent::StepInstalments(1), at(19));
    }
    assert_eq!(f.view().instalments, "12개월", "12 months at most");
    for _ in 0..9 {
        f.handle(Intent::StepInstalments(-1), at(19));
    }
    assert_eq!(f.view().instalments, "3개월");
    let e = f.handle(Intent::Pay(PayWith::Card), at(20));
    assert!(matches!(e.as_slice(), [Effect::Checkout { payment: Payment::Card { months: 3 }, .. }]), "{e:?}");
}

#[test]
fn a_tablet_whose_table_another_holds_is_told_and_sends_no_round_until_renumbered() {
    let settings = Settings { table: Some("7".into()), ..Settings::kiosk() };
    let mut f = flow(settings, demo_menu(), 0);
    assert_eq!(f.page(), Page::TableHome);
    // the store's answer to the claim at start-up: told at once, on the home page
    f.table_claim(true);
    assert_eq!(f.page(), Page::Problem);
    let v = f.view();
    assert_eq!(v.problem_title, "이미 사용 중인 테이블 번호입니다");
    assert!(v.problem_body.starts_with("7번 테이블은 다른 태블릿이"), "{}", v.problem_body);
    f.handle(Intent::Dismiss, at(1));
    assert_eq!(f.page(), Page::TableHome);
    // a round is refused, with the same words, and nothing is sent
    f.handle(Intent::OpenItem("cheesecake".into()), at(2));
    f.handle(Intent::AddToCart, at(2));
    f.handle(Intent::ShowCart, at(3));
    f.handle(Intent::SetGuests(2), at(3));
    assert!(f.handle(Intent::OrderRound, at(4)).is_empty());
    assert_eq!(f.page(), Page::Problem);
    assert_eq!(f.cart().lines().len(), 1, "the diner's choice is kept");
    // the same answer again changes nothing; staff give the tablet table 8, which the store
    // accepts: rounds go again
    f.handle(Intent::Dismiss, at(5));
    f.table_claim(true);
    assert_eq!(f.page(), Page::TableHome);
    f.outcome(Outcome::SettingSaved { problem: None, table_taken: Some(false) }, at(6));
    f.handle(Intent::ShowCart, at(7));
    let e = f.handle(Intent::OrderRound, at(8));
    assert!(matches!(e.as_slice(), [Effect::SendRound(_)]), "{e:?}");
}

#[test]
fn a_table_sends_rounds_calls_staff_and_sees_its_bill() {
    let settings = Settings { table: Some("7".into()), ..Settings::kiosk() };
    let mut f = flow(settings, demo_menu(), 0);
    assert_eq!(f.page(), Page::TableHome);
    assert_eq!(f.view().table_label, "테이블 7");
    f.handle(Intent::OpenItem("americano".into()), at(1));
    f.handle(toggle("temp", "iced"), at(1));
    f.handle(toggle("size", "regular"), at(1));
    f.handle(Intent::SetQuantity(2), at(1));
    f.handle(Intent::AddToCart, at(2));
    assert_eq!(f.page(), Page::TableHome);
    f.handle(Intent::ShowCart, at(3));
    assert!(f.view().ask_guests);
    f.handle(Intent::SetGuests(3), at(3));
    let e = f.handle(Intent::OrderRound, at(4));
    let [Effect::SendRound(round)] = e.as_slice() else { panic!("{e:?}") };
    assert_eq!(round.settlement, Settlement::Tab);
    assert!(matches!(&round.kind, OrderKind::Table { table, guests: 3, round: 1 } if table.0 == "7"));
    let mut committed = round.clone();
    committed.state = kiosk_domain::OrderState::Committed;
    f.outcome(Outcome::RoundSent(Box::new(committed)), at(5));
    assert_eq!(f.page(), Page::TableHome);
    assert_eq!(f.view().notice, "주문이 주방으로 전달되었습니다");

    f.handle(Intent::OpenItem("cheesecake".into()), at(6));
    f.handle(Intent::AddToCart, at(6));
    f.handle(Intent::ShowCart, at(6));
    assert!(!f.view().ask_guests, "guests are asked on the first round only");
    let e = f.handle(Intent::OrderRound, at(7));
    let [Effect::SendRound(second)] = e.as_slice() else { panic!() };
    assert!(matches!(&second.kind, OrderKind::Table { round: 2, guests: 3, .. }));
    let mut committed = second.clone();
    committed.state = kiosk_domain::OrderState::Committed;
    f.outcome(Outcome::RoundSent(Box::new(committed)), at(8));

    f.round_status(second.id, false, at(8));
    assert_eq!(f.view().notice, "2번째 주문이 준비되었습니다");
    f.round_status(kiosk_domain::OrderId(uuid::Uuid::from_u128(rand_u128())), false, at(8));
    assert_eq!(f.view().notice, "2번째 주문이 준비되었습니다", "another device's order says nothing here");

    f.handle(Intent::ShowStaffCall, at(9));
    assert_eq!(f.page(), Page::StaffCall);
    let e = f.handle(Intent::CallStaff(StaffReason::Water), at(9));
    assert!(matches!(e.as_slice(), [Effect::CallStaff { reason: StaffReason::Water, .. }]));
    f.outcome(Outcome::StaffCalled { reason: StaffReason::Water, ok: true }, at(10));
    assert_eq!(f.view().notice, "직원이 곧 찾아갑니다");

    f.handle(Intent::ShowBill, at(11));
    let v = f.view();
    assert_eq!(f.page(), Page::Bill);
    assert_eq!(v.tab_lines.len(), 2);
    assert_eq!(v.tab_total, "15,500원");
    // idle on a table clears a cart, never the tab
    f.handle(Intent::Back, at(12));
    f.handle(Intent::OpenItem("scone".into()), at(12));
    f.handle(Intent::AddToCart, at(12));
    f.tick(at(12 + 90_000));
    assert_eq!(f.page(), Page::TableHome);
    assert!(f.cart().is_empty());
    assert_eq!(f.tab().unwrap().rounds.len(), 2);
}

#[test]
fn operator_mode_needs_the_pin() {
    let mut f = flow(Settings { receipt: ReceiptPolicy::Always, ..Settings::kiosk() }, demo_menu(), 0);
    f.handle(Intent::OperatorGesture, at(1));
    assert_eq!(f.page(), Page::Pin);
    assert_eq!(f.handle(Intent::Pin("0000".into()), at(2)), vec![Effect::VerifyPin("0000".into())]);
    f.outcome(Outcome::PinChecked(false), at(3));
    assert_eq!((f.page(), f.view().pin_problem.as_str()), (Page::Pin, "PIN이 맞지 않습니다"));
    f.outcome(Outcome::PinChecked(true), at(4));
    assert_eq!(f.page(), Page::Operator);
    assert_eq!(
        f.handle(Intent::SetSoldOut { item: "tiramisu".into(), sold_out: true }, at(5)),
        vec![Effect::SetSoldOut { item: "tiramisu".into(), sold_out: true }]
    );
    // the stored menu comes back and the operator's list shows the mark at once
    let mut menu = (*demo_menu()).clone();
    menu.set_sold_out(&"tiramisu".into(), true);
    f.outcome(Outcome::Menu(Arc::new(menu)), at(5));
    let v = f.view();
    assert!(v.all_items.iter().any(|i| i.id == "tiramisu" && i.sold_out));
    assert_eq!(v.all_items.len(), demo_menu().items.len());
    let printer = DeviceHealth { state: HealthState::Ok, reason: "ready".into(), since_ms: 0 };
    f.set_status(&Status { health: [("printer", printer)].into(), link: None, queued: 0 });
    assert_eq!(f.view().devices.len(), 1);
    assert_eq!(f.handle(Intent::PrinterTest, at(6)), vec![Effect::PrinterTest]);
    f.handle(Intent::Back, at(7));
    assert_eq!(f.page(), Page::Attract);
    assert!(f.view().all_items.is_empty() && f.view().devices.is_empty(), "built for the operator page only");
}

#[test]
fn a_sold_out_item_leaves_the_cart_with_a_notice() {
    let mut f = at_menu(Settings::kiosk(), Lang::En);
    f.handle(Intent::OpenItem("tiramisu".into()), at(10));
    f.handle(Intent::AddToCart, at(11));
    let mut menu = (*demo_menu()).clone();
    menu.set_sold_out(&"tiramisu".into(), true);
    f.set_menu(Arc::new(menu), at(12));
    assert!(f.cart().is_empty());
    assert!(f.view().notice.contains("Tiramisu"), "{}", f.view().notice);
    f.handle(Intent::OpenItem("tiramisu".into()), at(13));
    assert_eq!(f.page(), Page::Menu, "a sold-out item does not open");
}

#[test]
fn out_of_service_sends_the_customer_to_the_counter() {
    let mut f = flow(Settings::kiosk(), demo_menu(), 0);
    f.set_availability(Availability { out_of_service: true, ..Availability::default() });
    assert_eq!(f.page(), Page::Problem);
    assert_eq!(f.view().problem_title, "잠시 사용할 수 없습니다");
    f.handle(Intent::Dismiss, at(1));
    assert_eq!(f.page(), Page::Attract);
    f.handle(Intent::Start, at(2));
    assert_eq!(f.page(), Page::Problem, "no order starts while out of service");
    f.set_availability(Availability::default());
    f.handle(Intent::Dismiss, at(3));
    f.handle(Intent::Start, at(4));
    assert_eq!(f.page(), Page::Language);
}

/// A table flow with one committed round of two iced americanos (9,000원).
fn table_with_a_round(settings: Settings) -> Flow {
    let mut f = flow(Settings { table: Some("7".into()), ..settings }, demo_menu(), 0);
    f.handle(Intent::OpenItem("americano".into()), at(1));
    f.handle(toggle("temp", "iced"), at(1));
    f.handle(toggle("size", "regular"), at(1));
    f.handle(Intent::SetQuantity(2), at(1));
    f.handle(Intent::AddToCart, at(2));
    f.handle(Intent::ShowCart, at(3));
    let e = f.handle(Intent::OrderRound, at(4));
    let [Effect::SendRound(round)] = e.as_slice() else { panic!("{e:?}") };
    let mut committed = round.clone();
    committed.state = kiosk_domain::OrderState::Committed;
    f.outcome(Outcome::RoundSent(Box::new(committed)), at(5));
    f
}

/// A pre-pay table (`postpay = false`): each round is paid before it is sent, by card at
/// the table or, where the tablet has no terminal, at the counter; the tab lists the paid
/// rounds and owes nothing, so the bill asks for nothing.
#[test]
fn a_prepay_table_pays_each_round_before_it_is_sent() {
    let settings = Settings { table: Some("3".into()), prepay: true, ..Settings::kiosk() };
    let mut f = flow(settings, demo_menu(), 0);
    let order_scone = |f: &mut Flow, ms: i64| {
        f.handle(Intent::OpenItem("scone".into()), at(ms));
        f.handle(Intent::AddToCart, at(ms + 1));
        f.handle(Intent::ShowCart, at(ms + 2));
        f.handle(Intent::OrderRound, at(ms + 3))
    };
    assert!(order_scone(&mut f, 10).is_empty(), "nothing is sent before it is paid");
    assert_eq!(f.page(), Page::PayChoice);
    let e = f.handle(Intent::Pay(PayWith::Card), at(20));
    let [Effect::Checkout { order, payment: Payment::Card { months: 0 }, .. }] = e.as_slice() else {
        panic!("{e:?}")
    };
    assert_eq!(order.settlement, Settlement::Prepaid);
    assert!(matches!(&order.kind, OrderKind::Table { table, round: 1, guests: 2 } if table.0 == "3"));
    // declined: the same round is charged again, nothing reached the tab
    f.outcome(Outcome::Declined { order: order.id, message: "잔액 부족".into() }, at(21));
    f.handle(Intent::Dismiss, at(22));
    assert_eq!(f.page(), Page::PayChoice);
    assert!(f.tab().unwrap().rounds.is_empty());
    let e = f.handle(Intent::Pay(PayWith::Card), at(23));
    let [Effect::Checkout { order: again, .. }] = e.as_slice() else { panic!("{e:?}") };
    assert_eq!(again.id, order.id);
    f.outcome(Outcome::Committed { order: order.id, number: 41 }, at(24));
    assert_eq!(f.page(), Page::Done);
    assert_eq!(f.view().order_number, "41");
    assert!(f.view().done_detail.starts_with("결제되었습니다. 주문이 주방으로"), "{}", f.view().done_detail);
    let tab = f.tab().unwrap();
    assert_eq!((tab.rounds.len(), tab.owes(), tab.next_round()), (1, false, 2));
    assert!(f.cart().is_empty());

    // the next round at the counter: sent unpaid, for the counter to take
    f.tick(at(24 + 20_000));
    assert_eq!(f.page(), Page::TableHome, "back to the table's menu");
    order_scone(&mut f, 30_000);
    let e = f.handle(Intent::Pay(PayWith::Counter), at(30_010));
    let [Effect::Checkout { order: second, payment: Payment::Counter, .. }] = e.as_slice() else {
        panic!("{e:?}")
    };
    assert_eq!(second.settlement, Settlement::PayAtCounter);
    assert!(matches!(second.kind, OrderKind::Table { round: 2, .. }));
    f.outcome(Outcome::Committed { order: second.id, number: 42 }, at(30_011));
    assert!(f.view().done_detail.contains("카운터에서 결제"), "{}", f.view().done_detail);
    f.handle(Intent::ShowBill, at(30_012));
    let v = f.view();
    assert!(!v.owes && !v.bill_card && v.tab_lines.is_empty(), "nothing is owed");
    assert_eq!((v.paid_lines.len(), v.counter_lines.len()), (1, 1), "paid here, and to pay at the counter");
}

/// Split bills (더치페이): an even share, then the rest by items after a round arrives; a
/// declined share is charged again as the same order, an ambiguous one is never asked for
/// again and blocks the next share, and only the share that pays the rest closes the tab.
#[test]
fn a_table_splits_its_bill_and_each_share_is_paid_once() {
    let mut f = table_with_a_round(Settings { prepay: false, ..Settings::kiosk() }); // 2 americanos, 9,000
    f.handle(Intent::ShowBill, at(10));
    f.handle(Intent::ShowSplit, at(11));
    assert_eq!(f.page(), Page::Split);
    let v = f.view();
    assert_eq!(
        (v.split_diners, v.split_amount.as_str()),
        (2, "4,500원"),
        "evenly between the table's guests"
    );
    f.handle(Intent::StepSplitDiners(1), at(12));
    assert_eq!(f.view().split_amount, "3,000원");
    let e = f.handle(Intent::Pay(PayWith::Card), at(13));
    let [Effect::Checkout { order: first, .. }] = e.as_slice() else { panic!("{e:?}") };
    assert_eq!(first.total().0, 3_000);
    assert!(matches!(first.kind.share(), Some(s) if s.part == 1 && !s.last));
    f.outcome(Outcome::Declined { order: first.id, message: "잔액 부족".into() }, at(14));
    f.handle(Intent::Dismiss, at(15));
    assert_eq!(f.page(), Page::Split, "back to the share");
    let e = f.handle(Intent::Pay(PayWith::Card), at(16));
    let [Effect::Checkout { order: again, .. }] = e.as_slice() else { panic!("{e:?}") };
    assert_eq!(again.id, first.id, "the declined share is charged again, not a new one");
    f.outcome(Outcome::Committed { order: first.id, number: 21 }, at(17));
    assert_eq!(f.page(), Page::Done);
    assert!(f.view().done_detail.contains("6,000원"), "{}", f.view().done_detail);
    assert!(f.tab().unwrap().owes(), "the tab stays open for the others");

    // a round arrives between shares: it joins what is owed
    f.tick(at(17 + 20_000));
    f.handle(Intent::OpenItem("scone".into()), at(30_000));
    f.handle(Intent::AddToCart, at(30_001));
    f.handle(Intent::ShowCart, at(30_002));
    let e = f.handle(Intent::OrderRound, at(30_003));
    let [Effect::SendRound(round)] = e.as_slice() else { panic!("{e:?}") };
    let mut committed = round.clone();
    committed.state = kiosk_domain::OrderState::Committed;
    f.outcome(Outcome::RoundSent(Box::new(committed)), at(30_004));
    f.handle(Intent::ShowBill, at(30_005));
    assert_eq!(f.view().tab_total, "9,800원", "12,800 less the 3,000 share");
    assert_eq!(f.view().tab_vat_line, "부가세 890원 포함", "the VAT of what is owed");
    assert!(f.view().bill_paid_line.contains("12,800원") && f.view().bill_paid_line.contains("3,000원"));

    // by items after an even share: refused, and said why
    f.handle(Intent::ShowSplit, at(30_006));
    f.handle(Intent::SplitByItems(true), at(30_007));
    f.handle(Intent::ToggleShareLine(1), at(30_008));
    assert!(f.handle(Intent::Pay(PayWith::Card), at(30_009)).is_empty());
    assert!(f.view().notice.contains("나머지"), "{}", f.view().notice);
    f.handle(Intent::SplitByItems(false), at(30_010));
    // two diners still to pay: 4,900 each; the second is ambiguous
    let e = f.handle(Intent::Pay(PayWith::Card), at(30_011));
    let [Effect::Checkout { order: second, .. }] = e.as_slice() else { panic!("{e:?}") };
    assert_eq!(second.total().0, 4_900);
    f.outcome(Outcome::Unresolved { order: second.id, number: 22 }, at(30_012));
    f.handle(Intent::Dismiss, at(30_013));
    f.handle(Intent::ShowBill, at(30_014));
    assert_eq!(f.view().tab_total, "4,900원", "an ambiguous share is never asked for again");
    f.handle(Intent::ShowSplit, at(30_015));
    assert!(!f.view().split_payable);
    assert!(f.handle(Intent::Pay(PayWith::Card), at(30_016)).is_empty(), "no share while one is checked");
    assert!(f.tab().unwrap().owes(), "the tab is not closed while a share is open");
    // staff settle the rest at the counter: the split ends, for the next guests too
    f.tab_settled(Vec::new(), at(30_017));
    assert_eq!(f.page(), Page::TableHome);
    assert_eq!(f.split_choice(), &crate::split::SplitChoice::default());
}

#[test]
fn a_table_pays_its_bill_at_the_table_and_starts_a_new_tab() {
    let mut f = table_with_a_round(Settings::kiosk());
    let round = f.tab().unwrap().rounds[0].clone();
    f.handle(Intent::ShowBill, at(10));
    let v = f.view();
    assert!(v.bill_card && v.bill_wallet, "a terminal is configured: the bill is paid here");
    assert!(
        f.handle(Intent::Pay(PayWith::Counter), at(11)).is_empty(),
        "the counter is not a way to pay here"
    );

    let e = f.handle(Intent::Pay(PayWith::Card), at(12));
    let [Effect::Checkout { order: bill, payment: Payment::Card { months: 0 }, .. }] = e.as_slice() else {
        panic!("{e:?}")
    };
    assert_eq!(f.page(), Page::Paying);
    assert_eq!(bill.settlement, Settlement::Prepaid);
    assert!(
        matches!(&bill.kind, OrderKind::TableBill { table, rounds, share: None } if table.0 == "7" && rounds == &[round.id])
    );
    assert_eq!(bill.lines, round.lines);
    assert_eq!(bill.total(), round.total());

    // declined: back to the bill, and the retry charges the same bill order
    f.outcome(Outcome::Declined { order: bill.id, message: "한도 초과".into() }, at(13));
    f.handle(Intent::Dismiss, at(14));
    assert_eq!(f.page(), Page::Bill);
    let e = f.handle(Intent::Pay(PayWith::Card), at(15));
    assert!(matches!(e.as_slice(), [Effect::Checkout { order, .. }] if order.id == bill.id), "{e:?}");

    f.outcome(Outcome::Committed { order: bill.id, number: 12 }, at(16));
    assert_eq!(f.page(), Page::Done);
    assert_eq!(f.view().done_detail, "계산이 완료되었습니다. 감사합니다.");
    let tab = f.tab().unwrap();
    assert!(tab.rounds.is_empty() && tab.table.0 == "7", "the next guests start a new tab");
    f.handle(Intent::WantReceipt(false), at(17));
    assert_eq!(f.page(), Page::TableHome);
    assert!(f.view().ask_guests);
    f.handle(Intent::ShowBill, at(18));
    assert!(!f.view().bill_card, "nothing is owed");
}

#[test]
fn without_a_terminal_the_bill_says_pay_at_the_counter() {
    let mut f = table_with_a_round(Settings { methods: vec![PayWith::Counter], ..Settings::kiosk() });
    f.handle(Intent::ShowBill, at(10));
    let v = f.view();
    assert!(!v.bill_card && !v.bill_wallet);
    assert!(f.handle(Intent::Pay(PayWith::Card), at(11)).is_empty());
    assert_eq!(f.page(), Page::Bill);
}

#[test]
fn a_restarted_tablet_shows_and_bills_the_tab_it_had() {
    let before = table_with_a_round(Settings::kiosk());
    let rounds = before.tab().unwrap().rounds.clone();
    let mut f = flow(Settings { table: Some("7".into()), ..Settings::kiosk() }, demo_menu(), 100);
    f.restore_tab(rounds.clone());
    let v = f.view();
    assert_eq!(f.page(), Page::TableHome);
    assert_eq!((v.tab_total.as_str(), v.ask_guests), (before.view().tab_total.as_str(), false));
    assert_eq!(f.tab().unwrap().next_round(), 2, "the next round continues the numbering");
    f.restore_tab(Vec::new());
    assert_eq!(f.tab().unwrap().rounds, rounds, "only a fresh tab is restored onto");
    f.handle(Intent::ShowBill, at(101));
    let e = f.handle(Intent::Pay(PayWith::Card), at(102));
    assert!(
        matches!(e.as_slice(), [Effect::Checkout { order, .. }] if order.total() == rounds[0].total()),
        "the bill holds the rounds from before the restart: {e:?}"
    );
}

#[test]
fn a_table_settled_at_the_counter_starts_a_new_tab_unless_its_bill_is_being_paid_here() {
    let mut f = table_with_a_round(Settings::kiosk());
    f.handle(Intent::ShowBill, at(10));
    f.tab_settled(Vec::new(), at(11));
    assert_eq!(f.page(), Page::TableHome);
    assert_eq!(f.view().notice, "계산이 완료되었습니다. 감사합니다.");
    assert!(f.view().ask_guests && !f.tab().unwrap().owes());

    let mut f = table_with_a_round(Settings::kiosk());
    f.handle(Intent::ShowBill, at(10));
    f.handle(Intent::Pay(PayWith::Card), at(11));
    f.tab_settled(Vec::new(), at(12));
    assert!(f.tab().unwrap().owes(), "the payment under way settles the tab");
}

#[test]
fn the_operator_closes_a_tab_paid_at_the_counter() {
    let mut f = table_with_a_round(Settings { methods: vec![PayWith::Counter], ..Settings::kiosk() });
    assert!(f.handle(Intent::CloseTab, at(10)).is_empty(), "only staff close a tab");
    operator(&mut f);
    assert!(f.view().can_close_tab);
    assert_eq!(f.handle(Intent::CloseTab, at(23)), vec![Effect::CloseTab(kiosk_domain::TableId("7".into()))]);
    f.outcome(Outcome::TabClosed, at(24));
    assert_eq!(f.view().notice, "테이블 계산을 마감했습니다");
    assert!(!f.view().can_close_tab && f.tab().unwrap().rounds.is_empty());
    assert!(f.handle(Intent::CloseTab, at(25)).is_empty(), "nothing left to close");
    // the table number can change now
    assert_eq!(
        f.handle(Intent::AdjustSetting { key: SettingKey::Table, step: 1 }, at(26)),
        vec![Effect::SaveSetting(kiosk_domain::DeviceSetting::Table("8".into()))]
    );
    f.handle(Intent::Back, at(27));
    assert!(f.view().ask_guests, "the next guests are asked how many they are");
}

fn operator(f: &mut Flow) {
    f.handle(Intent::OperatorGesture, at(20));
    f.handle(Intent::Pin("1234".into()), at(21));
    assert_eq!(f.outcome(Outcome::PinChecked(true), at(22)), vec![Effect::LoadJournal, Effect::LoadOrders]);
    assert_eq!(f.page(), Page::Operator);
}

#[test]
fn the_operator_changes_settings_that_apply_at_once() {
    let mut f = flow(Settings { table: Some("7".into()), ..Settings::kiosk() }, demo_menu(), 0);
    operator(&mut f);
    let step = |key, step| Intent::AdjustSetting { key, step };
    assert_eq!(
        f.handle(step(SettingKey::Table, 1), at(23)),
        vec![Effect::SaveSetting(kiosk_domain::DeviceSetting::Table("8".into()))]
    );
    assert_eq!(f.view().setting_table, "8");
    assert_eq!(f.view().table_label, "테이블 8");
    for _ in 0..20 {
        f.handle(step(SettingKey::Volume, 1), at(24));
    }
    assert_eq!(f.view().setting_volume, u32::from(MAX_VOLUME), "the volume stops at its most");
    assert_eq!(
        f.handle(step(SettingKey::IdleTimeout, -1), at(25)),
        vec![Effect::SaveSetting(kiosk_domain::DeviceSetting::IdleTimeoutS(75))]
    );
    assert_eq!(
        f.handle(Intent::ChangeSetting(kiosk_domain::DeviceSetting::Language(Lang::En)), at(26)),
        vec![Effect::SaveSetting(kiosk_domain::DeviceSetting::Language(Lang::En))]
    );
    assert!(
        f.handle(Intent::ChangeSetting(kiosk_domain::DeviceSetting::Language(Lang::Ja)), at(26)).is_empty(),
        "a language this device does not offer"
    );
    f.outcome(Outcome::SettingSaved { problem: None, table_taken: None }, at(27));
    assert_eq!(f.view().notice, "저장했습니다");
    f.handle(Intent::Back, at(28));
    // the new timeout rules: 75 s, the warning in its last 20 s
    f.handle(Intent::OpenItem("scone".into()), at(30));
    f.handle(Intent::AddToCart, at(31));
    assert_eq!(f.idle_warning(), None);
    f.tick(at(31 + 56_000));
    assert_eq!(f.idle_warning(), Some(19));
    f.tick(at(31 + 75_000));
    assert!(f.cart().is_empty());
    assert_eq!(f.lang(), Lang::En, "the default language is the operator's");

    // a table with an open bill keeps its number
    let mut f = table_with_a_round(Settings::kiosk());
    operator(&mut f);
    assert!(f.handle(Intent::AdjustSetting { key: SettingKey::Table, step: 1 }, at(40)).is_empty());
    assert_eq!(f.view().setting_table, "7");
    assert!(f.view().notice.contains("먼저 계산을 마감해 주세요"), "{}", f.view().notice);
}

#[test]
fn the_operator_cancels_an_approval_only_after_confirming() {
    let mut f = flow(Settings::kiosk(), demo_menu(), 0);
    operator(&mut f);
    let paid = kiosk_domain::OrderId(uuid::Uuid::from_u128(rand_u128()));
    let reversed = kiosk_domain::OrderId(uuid::Uuid::from_u128(rand_u128()));
    let line = |order, number, reversed| JournalLine {
        order,
        number,
        amount: kiosk_domain::Money(12_000),
        approval_no: format!("A{number}"),
        at: "2026-11-22 14:03".into(),
        reversed,
    };
    f.outcome(Outcome::Journal(vec![line(paid, 12, false), line(reversed, 11, true)]), at(23));
    let v = f.view();
    assert_eq!(v.journal.len(), 2);
    assert_eq!(v.journal[0].title, "#12 · 2026-11-22 14:03");
    assert_eq!((v.journal[0].amount.as_str(), v.journal[0].state.as_str()), ("12,000원", "승인"));
    assert!(v.journal[0].can_cancel && !v.journal[1].can_cancel);

    assert!(f.handle(Intent::CancelApproval(reversed), at(24)).is_empty());
    assert_eq!(f.view().confirm_cancel, "", "a reversed approval cannot be cancelled again");
    assert!(
        f.handle(Intent::CancelApproval(paid), at(25)).is_empty(),
        "nothing happens before the confirmation"
    );
    assert!(f.view().confirm_cancel.contains("12,000원") && f.view().confirm_cancel.contains("A12"));
    assert!(f.handle(Intent::ConfirmCancel(false), at(26)).is_empty());
    assert_eq!(f.view().confirm_cancel, "");
    f.handle(Intent::CancelApproval(paid), at(27));
    assert_eq!(f.handle(Intent::ConfirmCancel(true), at(28)), vec![Effect::CancelApproval(paid)]);
    assert_eq!(
        f.outcome(Outcome::ApprovalCancelled { order: paid, ok: true }, at(29)),
        vec![Effect::LoadJournal, Effect::LoadOrders],
        "the journals are read again"
    );
    assert_eq!(f.view().notice, "승인을 취소했습니다");
}

/// The receipt journal: today's orders from the store, any of them reprinted; "reprint last"
/// after a restart (nothing committed in this session) is the newest of today's.
#[test]
fn the_operator_reprints_any_of_todays_orders() {
    let mut f = flow(Settings::kiosk(), demo_menu(), 0);
    f.handle(Intent::OperatorGesture, at(1));
    f.handle(Intent::Pin("1234".into()), at(2));
    assert_eq!(f.outcome(Outcome::PinChecked(true), at(3)), vec![Effect::LoadJournal, Effect::LoadOrders]);
    let id = |n| kiosk_domain::OrderId(uuid::Uuid::from_u128(n));
    let line = |n: u128, settlement, undone| DayLine {
        order: id(n),
        number: n as u32,
        total: kiosk_domain::Money(4_500 * n as i64),
        at: format!("14:0{n}"),
        settlement,
        undone,
    };
    assert!(f.handle(Intent::Reprint(id(2)), at(4)).is_empty(), "not listed yet");
    assert_eq!(f.handle(Intent::ReprintLast, at(4)), vec![], "nothing to reprint yet");
    f.outcome(
        Outcome::Orders(vec![
            line(3, Settlement::PayAtCounter, false),
            line(2, Settlement::Prepaid, true),
            line(1, Settlement::Prepaid, false),
        ]),
        at(5),
    );
    let v = f.view();
    let rows: Vec<(&str, &str, &str)> =
        v.day_orders.iter().map(|r| (r.title.as_str(), r.amount.as_str(), r.state.as_str())).collect();
    assert_eq!(
        rows,
        [
            ("#3 · 14:03", "13,500원", "카운터 결제"),
            ("#2 · 14:02", "9,000원", "환불 또는 취소됨"),
            ("#1 · 14:01", "4,500원", "키오스크 결제")
        ]
    );
    assert_eq!(f.handle(Intent::Reprint(id(1)), at(6)), vec![Effect::Reprint(id(1))]);
    assert!(f.handle(Intent::Reprint(id(9)), at(6)).is_empty(), "only a listed order");
    assert_eq!(f.handle(Intent::ReprintLast, at(7)), vec![Effect::Reprint(id(3))], "the newest of today's");
    f.outcome(Outcome::Reprinted { ok: true }, at(8));
    assert_eq!(f.view().notice, "영수증 사본을 출력합니다");
    f.outcome(Outcome::Reprinted { ok: false }, at(9));
    assert!(f.view().notice.contains("프린터를 확인"), "{}", f.view().notice);
    f.handle(Intent::Back, at(10));
    assert!(f.handle(Intent::Reprint(id(1)), at(11)).is_empty(), "operator mode only");
    assert!(f.view().day_orders.is_empty());
}

#[test]
fn the_idle_warning_beeps_once_and_the_help_button_keeps_the_page() {
    let mut f = at_menu(Settings::kiosk(), Lang::Ko);
    f.handle(Intent::OpenItem("scone".into()), at(10));
    f.handle(Intent::AddToCart, at(11));
    assert!(f.tick(at(11 + 69_000)).is_empty(), "no warning yet");
    assert_eq!(f.tick(at(11 + 70_000)), vec![Effect::Sound(Cue::IdleWarning)]);
    assert!(f.tick(at(11 + 71_000)).is_empty(), "one beep per warning");
    f.handle(Intent::MoreTime, at(11 + 72_000));
    assert_eq!(f.idle_warning(), None);
    assert_eq!(
        f.tick(at(11 + 72_000 + 70_000)),
        vec![Effect::Sound(Cue::IdleWarning)],
        "the next warning beeps again"
    );

    let e = f.handle(Intent::HelpButton, at(200_000));
    assert!(
        matches!(e.as_slice(), [Effect::CallStaff { reason: StaffReason::Help, table: None, .. }]),
        "{e:?}"
    );
    assert_eq!(f.page(), Page::Menu, "the button beside the screen does not move the customer");
    // the presence sensor starts an order from the attract loop only
    f.handle(Intent::Start, at(200_001));
    assert_eq!(f.page(), Page::Menu);

    let mut quiet = at_menu(Settings { volume: 0, ..Settings::kiosk() }, Lang::Ko);
    quiet.handle(Intent::OpenItem("scone".into()), at(10));
    quiet.handle(Intent::AddToCart, at(11));
    assert!(quiet.tick(at(11 + 70_000)).is_empty(), "volume 0 is silent");
    assert!(quiet.idle_warning().is_some(), "the warning still shows");
}

#[test]
fn the_first_key_starts_the_voice_and_the_order_and_the_keys_then_move_focus() {
    use super::access::FocusMove;
    use kiosk_drivers::keypad::Key;
    let mut f = flow(Settings::kiosk(), demo_menu(), 0);
    assert!(f.view().speech.is_empty(), "silent until asked");
    assert_eq!(f.handle(Intent::Key(Key::Ok), at(1)), vec![], "the first key only starts");
    assert_eq!(f.page(), Page::Language);
    assert!(f.access().voice);
    assert!(f.view().speech[0].contains("음성 안내"), "{:?}", f.view().speech);
    assert_eq!(f.handle(Intent::Key(Key::Down), at(2)), vec![Effect::Focus(FocusMove::Next)]);
    assert_eq!(f.handle(Intent::Key(Key::Up), at(3)), vec![Effect::Focus(FocusMove::Previous)]);
    assert_eq!(f.handle(Intent::Key(Key::Ok), at(4)), vec![Effect::Focus(FocusMove::Activate)]);
    // back is the page's own back
    f.handle(Intent::ChooseLanguage(Lang::En), at(5));
    f.handle(Intent::Key(Key::Back), at(6));
    assert_eq!(f.page(), Page::Language);
    // the rate and volume keys change the voice and say so
    let effects = f.handle(Intent::Key(Key::Faster), at(7));
    assert_eq!(effects[0], Effect::Voice { rate_wpm: 195, volume: 7 });
    assert!(matches!(&effects[1], Effect::Announce(s) if s == "Speech rate 195"));
    // help calls staff
    assert!(matches!(f.handle(Intent::Key(Key::Help), at(8))[..], [Effect::CallStaff { .. }]));
}

#[test]
fn the_voice_says_the_cart_prices_total_and_order_number_and_the_next_customer_starts_plain() {
    let mut f = at_menu(Settings::kiosk(), Lang::Ko);
    f.handle(Intent::ToggleAccess(super::access::AccessSwitch::Voice), at(4));
    f.handle(Intent::ToggleAccess(super::access::AccessSwitch::Magnify), at(4));
    add_latte(&mut f);
    f.handle(Intent::ShowCart, at(20));
    let said = f.view().speech.join(" ");
    assert!(
        said.contains("카페 라떼") && said.contains("2개, 13,400원") && said.contains("합계 13,400원"),
        "{said}"
    );
    f.handle(Intent::Checkout, at(21));
    let effects = f.handle(Intent::Pay(PayWith::Card), at(22));
    let Some(Effect::Checkout { order, .. }) = effects.first() else { panic!("{effects:?}") };
    f.outcome(Outcome::Committed { order: order.id, number: 42 }, at(23));
    let said = f.view().speech.join(" ");
    assert!(said.contains("주문 번호 42번") && said.contains("합계 13,400원"), "the receipt is read: {said}");
    // longer timeouts while a mode is on; all off for the next customer
    assert_eq!(f.idle_limits(), (180_000, 30_000));
    f.tick(at(23 + 20_000));
    assert_eq!(f.page(), Page::Attract);
    assert!(!f.access().any());
    assert!(f.view().speech.is_empty());
}

#[test]
fn earphones_start_the_voice_and_keep_it_for_the_next_customer() {
    let mut f = flow(Settings::kiosk(), demo_menu(), 0);
    f.handle(Intent::Earphones(true), at(1));
    assert_eq!(f.page(), Page::Language);
    assert!(f.access().voice);
    f.handle(Intent::Back, at(2));
    f.handle(Intent::Start, at(3));
    f.tick(at(1_000_000));
    assert_eq!(f.page(), Page::Attract);
    assert!(f.access().voice, "still plugged in");
    assert_eq!(f.handle(Intent::Earphones(false), at(1_000_001)), vec![Effect::Silence]);
    assert!(!f.access().voice);
}

/// A fresh id for a test's own orders, apart from the flow's seeded ones.
fn rand_u128() -> u128 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1 << 40);
    u128::from(NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The same moment on the monotonic clock, with the wall clock stepped by `step_ms` (NTP
/// after a boot at the image's build time, or a time zone change).
fn stepped(ms: i64, step_ms: i64) -> Now {
    Now { wall_ms: at(ms).wall_ms + step_ms, ..at(ms) }
}

#[test]
fn a_wall_clock_step_of_three_hours_neither_resets_a_cart_nor_hurries_its_timer() {
    const HOURS_3: i64 = 3 * 3600 * 1000;
    for step in [HOURS_3, -HOURS_3] {
        let mut f = at_menu(Settings::kiosk(), Lang::Ko);
        add_latte(&mut f);
        // The wall clock jumps while the customer is deciding: nothing happens.
        assert!(f.tick(stepped(20_000, step)).is_empty());
        assert_eq!((f.page(), f.cart().lines().len()), (Page::Menu, 1), "step {step}");
        assert_eq!(f.view().idle_seconds, None, "no warning: only 20 s of the 90 s went by");
        // The idle timer runs on the monotonic clock alone: the warning at 70 s, the reset at 90 s.
        f.tick(stepped(14 + 70_000, step));
        assert_eq!(f.view().idle_seconds, Some(20));
        f.tick(stepped(14 + 90_000, step));
        assert_eq!((f.page(), f.cart().is_empty()), (Page::Attract, true));
    }
}

#[test]
fn orders_carry_the_wall_clock_and_ids_from_the_seeded_source() {
    let mut f = at_menu(Settings::kiosk(), Lang::Ko);
    add_latte(&mut f);
    f.handle(Intent::ShowCart, at(15));
    f.handle(Intent::Checkout, at(16));
    let effects = f.handle(Intent::Pay(PayWith::Card), stepped(17, 3 * 3600 * 1000));
    let [Effect::Checkout { order, .. }] = effects.as_slice() else { panic!("{effects:?}") };
    assert_eq!(
        order.created_at_ms,
        at(17).wall_ms + 3 * 3600 * 1000,
        "the order is stamped by the wall clock"
    );
    assert_eq!(order.id.0, uuid::Uuid::from_u128(8), "the first id after the seed 7");
}

#[test]
fn the_session_says_when_it_next_has_something_to_do() {
    let mut f = flow(Settings::kiosk(), demo_menu(), 0);
    assert_eq!(f.next_deadline(), None, "the attract loop waits for a customer");
    f.handle(Intent::Start, at(1_000));
    // the idle warning comes up 20 s before the 90 s reset
    assert_eq!(f.next_deadline(), Some(1_000 + 70_000));
    f.tick(at(71_000));
    assert_eq!(f.view().idle_seconds, Some(20));
    // then the countdown changes once a second, to the reset
    assert_eq!(f.next_deadline(), Some(72_000));
    f.tick(at(71_400));
    assert_eq!(f.next_deadline(), Some(72_000));
    f.tick(at(90_999));
    assert_eq!(f.next_deadline(), Some(91_000));
    f.tick(at(91_000));
    assert_eq!((f.page(), f.next_deadline()), (Page::Attract, None));

    // the order number stays up for its time; a notice goes away by itself
    let mut f = at_menu(Settings::kiosk(), Lang::Ko);
    add_latte(&mut f);
    f.handle(Intent::ShowCart, at(15));
    f.handle(Intent::Checkout, at(16));
    let e = f.handle(Intent::Pay(PayWith::Card), at(17));
    let [Effect::Checkout { order, .. }] = e.as_slice() else { panic!() };
    assert_eq!(f.next_deadline(), None, "a payment in progress has no timer");
    f.outcome(Outcome::Committed { order: order.id, number: 3 }, at(500));
    assert_eq!(f.next_deadline(), Some(500 + Settings::kiosk().done_return_ms));
    // waiting for a barcode ends by itself
    let mut f = at_menu(Settings::kiosk(), Lang::Ko);
    add_latte(&mut f);
    f.handle(Intent::ShowCart, at(15));
    f.handle(Intent::Checkout, at(16));
    f.handle(Intent::Pay(PayWith::Wallet), at(17));
    assert_eq!(f.next_deadline(), Some(17 + Settings::kiosk().scan_wait_ms));
}

/// A kiosk at the payment choice with one croissant in the cart.
fn at_pay_choice(settings: Settings) -> Flow {
    let mut f = at_menu(settings, Lang::Ko);
    f.handle(Intent::OpenItem("croissant".into()), at(10));
    f.handle(Intent::AddToCart, at(11));
    f.handle(Intent::ShowCart, at(12));
    f.handle(Intent::Checkout, at(13));
    assert_eq!(f.page(), Page::PayChoice);
    f
}

#[test]
fn cancelling_a_barcode_wait_goes_back_to_the_choice_and_a_later_scan_pays_nothing() {
    let mut f = at_pay_choice(Settings::kiosk());
    f.handle(Intent::Pay(PayWith::Wallet), at(14));
    assert_eq!(f.page(), Page::Paying);
    assert!(f.handle(Intent::CancelPayment, at(15)).is_empty());
    assert_eq!(f.page(), Page::PayChoice);
    let scan = Intent::Scanned(Scan { data: "281006020000000001".into(), symbology: None });
    assert!(f.handle(scan, at(16)).is_empty(), "no barcode is awaited any more");
    assert_eq!(f.page(), Page::PayChoice);
    // Cancel means nothing while a card is being charged: the terminal decides.
    let e = f.handle(Intent::Pay(PayWith::Card), at(17));
    assert!(matches!(e[0], Effect::Checkout { .. }));
    f.handle(Intent::CancelPayment, at(18));
    assert_eq!(f.page(), Page::Paying);
}

#[test]
fn an_item_barcode_opens_the_item_only_while_browsing() {
    let mut menu = (*demo_menu()).clone();
    let code = "8801234567890";
    menu.items.iter_mut().find(|i| i.id.0 == "croissant").unwrap().barcode = Some(code.into());
    let mut f = flow(Settings::kiosk(), Arc::new(menu), 0);
    f.handle(Intent::Start, at(1));
    f.handle(Intent::ChooseLanguage(Lang::Ko), at(2));
    f.handle(Intent::ChooseService(Service::TakeOut), at(3));
    assert_eq!(f.page(), Page::Menu);
    let scan = || Intent::Scanned(Scan { data: code.into(), symbology: None });
    f.handle(Intent::OpenItem("scone".into()), at(18));
    f.handle(Intent::AddToCart, at(19));
    f.handle(Intent::ShowCart, at(20));
    assert_eq!(f.page(), Page::Cart);
    f.handle(scan(), at(21));
    assert_eq!(f.page(), Page::Cart, "not while the cart is open");
    f.handle(Intent::Back, at(22));
    assert_eq!(f.page(), Page::Menu);
    f.handle(scan(), at(23));
    assert_eq!(f.page(), Page::Item);
    assert_eq!(f.view().item.id, "croissant");
}

#[test]
fn a_receipt_always_printed_says_so_and_a_failed_print_says_the_printer_is_down() {
    let always = Settings { receipt: ReceiptPolicy::Always, ..Settings::kiosk() };
    let mut f = at_pay_choice(always.clone());
    let e = f.handle(Intent::Pay(PayWith::Counter), at(14));
    let Effect::Checkout { order, .. } = &e[0] else { panic!("{e:?}") };
    let e = f.outcome(Outcome::Committed { order: order.id, number: 8 }, at(15));
    assert_eq!(e, vec![Effect::PrintReceipt(order.id)]);
    assert!(f.view().done_detail.contains("영수증을 출력하고 있습니다"), "{}", f.view().done_detail);
    f.outcome(Outcome::Printed { ok: false }, at(16));
    assert!(f.view().done_detail.contains("프린터를 사용할 수 없어"), "{}", f.view().done_detail);
    f.outcome(Outcome::Printed { ok: true }, at(17));
    assert!(f.view().done_detail.contains("프린터를 사용할 수 없어"), "a late success does not undo it");

    // With the printer down before the order, nothing is sent to it.
    let mut g = at_pay_choice(always);
    g.set_availability(Availability { printer: false, ..Availability::default() });
    let e = g.handle(Intent::Pay(PayWith::Counter), at(14));
    let Effect::Checkout { order, .. } = &e[0] else { panic!("{e:?}") };
    assert!(g.outcome(Outcome::Committed { order: order.id, number: 9 }, at(15)).is_empty());
    assert!(g.view().done_detail.contains("프린터를 사용할 수 없어"), "{}", g.view().done_detail);
}

#[test]
fn a_store_with_e_receipts_offers_the_qr_code_and_shows_it_when_no_receipt_can_be_printed() {
    let ask = Settings { e_receipts: true, ..Settings::kiosk() };
    let mut f = at_pay_choice(ask.clone());
    let e = f.handle(Intent::Pay(PayWith::Counter), at(14));
    let Effect::Checkout { order, .. } = &e[0] else { panic!("{e:?}") };
    let id = order.id;
    f.outcome(Outcome::Committed { order: id, number: 8 }, at(15));
    let v = f.view();
    assert!(
        v.receipt_offered && v.receipt_qr_offered && v.receipt_qr.is_none(),
        "both offered, neither shown"
    );
    f.handle(Intent::ReceiptByQr, at(16));
    let v = f.view();
    assert_eq!(v.receipt_qr, Some(id), "the QR code of this order");
    assert!(!v.receipt_offered && !v.receipt_qr_offered, "the choice is made");
    assert!(v.done_detail.contains("코드를 찍으면"), "{}", v.done_detail);

    // Without e-receipts the button is not there, and asking changes nothing.
    let mut g = at_pay_choice(Settings::kiosk());
    let e = g.handle(Intent::Pay(PayWith::Counter), at(14));
    let Effect::Checkout { order, .. } = &e[0] else { panic!("{e:?}") };
    g.outcome(Outcome::Committed { order: order.id, number: 9 }, at(15));
    assert!(!g.view().receipt_qr_offered);
    g.handle(Intent::ReceiptByQr, at(16));
    assert_eq!(g.view().receipt_qr, None);

    // Always printed, but the print fails: the QR code instead.
    let mut h = at_pay_choice(Settings { receipt: ReceiptPolicy::Always, ..ask });
    let e = h.handle(Intent::Pay(PayWith::Counter), at(14));
    let Effect::Checkout { order, .. } = &e[0] else { panic!("{e:?}") };
    let id = order.id;
    h.outcome(Outcome::Committed { order: id, number: 10 }, at(15));
    assert_eq!(h.view().receipt_qr, None, "printing first");
    h.outcome(Outcome::Printed { ok: false }, at(16));
    assert_eq!(h.view().receipt_qr, Some(id), "the printer failed: the QR code");
}

#[test]
fn a_store_failure_says_nothing_was_charged_and_returns_to_the_cart() {
    let mut f = at_pay_choice(Settings::kiosk());
    f.handle(Intent::Pay(PayWith::Counter), at(14));
    f.outcome(Outcome::Failed { what: "disk full".into() }, at(15));
    assert_eq!(f.page(), Page::Problem);
    assert!(f.view().problem_body.contains("결제되지 않았습니다"), "{}", f.view().problem_body);
    f.handle(Intent::Dismiss, at(16));
    assert_eq!(f.page(), Page::Cart);
    assert_eq!(f.view().item_count, 1, "the cart is kept for another try");
}

/// A store offering all four languages: the language page lists them in the store's order,
/// and a Chinese or Japanese customer reads the menu's own texts and the catalogue's words,
/// with a text the menu lacks in that language shown in English (never blank).
#[test]
fn chinese_and_japanese_customers_read_the_menu_and_the_screen_in_their_language() {
    let mut settings = Settings::kiosk();
    settings.languages = vec![Lang::Ko, Lang::Zh, Lang::Ja, Lang::En];
    let mut menu = (*demo_menu()).clone();
    let latte = menu.items.iter_mut().find(|i| i.id.0 == "cafe-latte").expect("the latte");
    latte.name.0.remove(&Lang::Ja);
    latte.name.0.remove(&Lang::Zh);
    let menu = Arc::new(menu);
    let coffee = menu.categories.iter().position(|c| c.id.0 == "coffee").expect("coffee");
    for (lang, americano, coffee_name, vat) in
        [(Lang::Zh, "美式咖啡", "咖啡", "含增值税"), (Lang::Ja, "アメリカーノ", "コーヒー", "内消費税")]
    {
        let mut f = flow(settings.clone(), menu.clone(), 0);
        f.handle(Intent::Start, at(1));
        assert_eq!(f.view().languages, vec![Lang::Ko, Lang::Zh, Lang::Ja, Lang::En]);
        f.handle(Intent::ChooseLanguage(lang), at(2));
        f.handle(Intent::ChooseService(Service::TakeOut), at(3));
        let v = f.view();
        assert_eq!(v.lang, lang);
        assert_eq!(v.categories[coffee], coffee_name);
        f.handle(Intent::SelectCategory(coffee), at(4));
        let v = f.view();
        let names: Vec<&str> = v.items.iter().map(|i| i.name.as_str()).collect();
        assert!(names.contains(&americano), "{names:?}");
        assert!(names.contains(&"Caffè latte"), "the latte falls back to English: {names:?}");
        f.handle(Intent::OpenItem("americano".into()), at(5));
        for (g, o) in [("temp", "iced"), ("size", "regular")] {
            f.handle(toggle(g, o), at(6));
        }
        f.handle(Intent::AddToCart, at(7));
        f.handle(Intent::ShowCart, at(8));
        let v = f.view();
        assert!(v.vat_line.contains(vat), "{lang}: {}", v.vat_line);
        assert!(!v.vat_line.contains("VAT") && !v.vat_line.contains("부가세"), "{}", v.vat_line);
    }
}
