//! The typed UI contract: each button, pressed by its label on a real (headless) window
//! bound by `screen::bind`, sends the intent its label promises, with the right enum value.
//! A `.slint` page that passes `PayMethod.card` from the wallet button, or a binding that
//! maps `StaffReason.water` to the bill, compiles; this test is what catches it. The pages
//! come from a real session flow, fed the intents the buttons sent. One test function:
//! Slint allows one platform per process.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use kiosk_app::screen::bind;
use kiosk_app::screen::photos::Photos;
use kiosk_domain::{Lang, Menu, Service, StaffReason};
use kiosk_session::access::AccessSwitch;
use kiosk_session::note::NoteKey;
use kiosk_session::status::{DeviceHealth, HealthState};
use kiosk_session::{Flow, Intent, Now, Page, PayWith, SeededIds, SettingKey, Settings, Status};
use kiosk_ui::KioskWindow;
use kiosk_ui::headless::{self, Screen};
use slint::ComponentHandle;

const DEMO_MENU: &str = include_str!("../data/demo-menu.json");

struct Bench {
    screen: Screen,
    window: KioskWindow,
    sent: Rc<RefCell<Vec<Intent>>>,
    flow: Flow,
    photos: Photos,
    ms: i64,
}

impl Bench {
    fn now(&mut self) -> Now {
        self.ms += 10;
        Now { mono_ms: self.ms, wall_ms: 1_795_365_000_000 + self.ms, local: None }
    }

    /// Shows the flow's current view on the window.
    fn show(&mut self) {
        let view = self.flow.view();
        bind::show(&self.window, &view, None, &mut self.photos, &mut None, None);
        self.screen.draw(true);
    }

    /// Presses `label` and returns the one intent it sent.
    fn press(&mut self, label: &str) -> Intent {
        self.sent.borrow_mut().clear();
        headless::press(&self.window, label).unwrap_or_else(|e| panic!("on {:?}: {e}", self.flow.page()));
        let mut sent = self.sent.borrow_mut();
        assert_eq!(sent.len(), 1, "{label:?} sent {:?}", *sent);
        sent.pop().unwrap()
    }

    /// Presses `label`, checks its intent, and lets the session take it.
    fn go(&mut self, label: &str, expected: Intent) {
        let intent = self.press(label);
        assert_eq!(intent, expected, "{label:?} on {:?}", self.flow.page());
        let now = self.now();
        self.flow.handle(intent, now);
        self.show();
    }

    /// Presses each of `buttons` on the page shown and checks its intent; the session does
    /// not take them (they are the page's alternatives).
    fn each<L: AsRef<str>>(&mut self, buttons: &[(L, Intent)]) {
        for (label, expected) in buttons {
            let label = label.as_ref();
            assert_eq!(&self.press(label), expected, "{label:?} on {:?}", self.flow.page());
        }
    }
}

fn healthy() -> Status {
    let ok = || DeviceHealth { state: HealthState::Ok, reason: "ready".into(), since_ms: 0 };
    Status {
        health: [("printer", ok()), ("terminal", ok()), ("scanner", ok())].into(),
        link: None,
        queued: 0,
    }
}

#[test]
fn every_button_sends_the_intent_its_label_names() {
    let screen = Screen::install(1080, 1920).unwrap();
    let window = KioskWindow::new().unwrap();
    let sent = Rc::new(RefCell::new(Vec::new()));
    let log = sent.clone();
    bind::connect(&window, Rc::new(move |i| log.borrow_mut().push(i)));
    let menu: Arc<Menu> = Arc::new(serde_json::from_str(DEMO_MENU).unwrap());
    let start = Now { mono_ms: 0, wall_ms: 1_795_365_000_000, local: None };
    let english = || Settings { default_language: Lang::En, ..Settings::kiosk() };
    let mut flow = Flow::new(english(), menu.clone(), start, Box::new(SeededIds(1)));
    flow.set_status(&healthy());
    let mut b = Bench { screen, window, sent, flow, photos: Photos::new(None), ms: 0 };
    b.show();

    assert_eq!(b.flow.page(), Page::Attract);
    b.go("Touch to order", Intent::Start);

    assert_eq!(b.flow.page(), Page::Language);
    b.each(&[
        ("Voice guide", Intent::ToggleAccess(AccessSwitch::Voice)),
        ("Magnify", Intent::ToggleAccess(AccessSwitch::Magnify)),
        ("High contrast", Intent::ToggleAccess(AccessSwitch::Contrast)),
        ("Low screen", Intent::ToggleAccess(AccessSwitch::LowReach)),
    ]);
    b.each(&[("한국어", Intent::ChooseLanguage(Lang::Ko))]);
    b.go("English", Intent::ChooseLanguage(Lang::En));

    assert_eq!(b.flow.page(), Page::Service);
    b.each(&[("Eat here", Intent::ChooseService(Service::DineIn))]);
    b.go("Take out", Intent::ChooseService(Service::TakeOut));

    assert_eq!(b.flow.page(), Page::Menu);
    // an item with nothing to choose, so that adding it goes straight to the cart
    let plain =
        menu.items.iter().find(|i| i.option_groups.is_empty() && i.set.is_none()).expect("a plain item");
    let category =
        menu.categories.iter().find(|c| c.id == plain.category).unwrap().name.get(Lang::En).to_owned();
    let index = b.flow.view().categories.iter().position(|c| *c == category).expect("its category is shown");
    b.go(&category, Intent::SelectCategory(index));
    let first =
        b.flow.view().items.iter().find(|i| i.id == plain.id.0).expect("the plain item is shown").clone();
    let card = headless::labels(&b.window)
        .into_iter()
        .find(|l| l.starts_with(&first.name))
        .expect("the item's card");
    b.go(&card, Intent::OpenItem(first.id.as_str().into()));
    assert_eq!(b.flow.page(), Page::Item);
    // The item's requests: a preset's chip, and the keyboard's keys.
    let chip = b.flow.view().note_chips.first().cloned().expect("the first item has request presets");
    b.go(&chip.name, Intent::ToggleNotePreset { order: false, preset: chip.id });
    b.go("Write a request", Intent::EditNote { order: false });
    assert_eq!(b.flow.page(), Page::Note);
    b.each(&[
        ("q", Intent::NoteKey(NoteKey::Char('q'))),
        ("7", Intent::NoteKey(NoteKey::Char('7'))),
        ("Space", Intent::NoteKey(NoteKey::Space)),
        ("Delete", Intent::NoteKey(NoteKey::Backspace)),
        ("Shift", Intent::NoteKey(NoteKey::Shift)),
        ("Latin letters, switch to Korean", Intent::NoteKey(NoteKey::Layout)),
        ("Done", Intent::NoteKey(NoteKey::Done)),
    ]);
    b.go("Cancel", Intent::NoteKey(NoteKey::Cancel));
    assert_eq!(b.flow.page(), Page::Item);
    let add =
        headless::labels(&b.window).into_iter().find(|l| l.starts_with("Add ·")).expect("an add button");
    b.go(&add, Intent::AddToCart);
    assert_eq!(b.flow.page(), Page::Menu);
    b.go("View cart", Intent::ShowCart);
    assert_eq!(b.flow.page(), Page::Cart);
    b.each(&[(&format!("One more {}", first.name), Intent::ChangeLine { index: 0, quantity: 2 })]);
    b.each(&[("Add more", Intent::Back)]);
    b.go("Two forks", Intent::ToggleNotePreset { order: true, preset: "two-forks".into() });
    b.go("Write a request", Intent::EditNote { order: true });
    b.go("Done", Intent::NoteKey(NoteKey::Done));
    assert_eq!(b.flow.page(), Page::Cart);
    b.go("Pay", Intent::Checkout);

    assert_eq!(b.flow.page(), Page::PayChoice);
    b.each(&[
        ("Credit or debit card", Intent::Pay(PayWith::Card)),
        ("Kakao Pay / Naver Pay barcode", Intent::Pay(PayWith::Wallet)),
    ]);
    b.go("Pay at the counter", Intent::Pay(PayWith::Counter));

    // A table tablet: the staff-call reasons and the operator's steppers.
    let mut settings = english();
    settings.table = Some("7".into());
    b.flow = Flow::new(settings, menu.clone(), b.now(), Box::new(SeededIds(2)));
    b.flow.set_status(&healthy());
    b.show();
    assert_eq!(b.flow.page(), Page::TableHome);
    b.go("Call staff", Intent::ShowStaffCall);
    assert_eq!(b.flow.page(), Page::StaffCall);
    b.each(&[
        ("Water", Intent::CallStaff(StaffReason::Water)),
        ("Cutlery", Intent::CallStaff(StaffReason::Cutlery)),
        ("The bill", Intent::CallStaff(StaffReason::Bill)),
        ("Help", Intent::CallStaff(StaffReason::Help)),
    ]);

    // The bill of a round of two, and its split (더치페이).
    let mut cart = kiosk_domain::Cart::default();
    cart.add(&menu, kiosk_domain::Selection::of(&plain.id.0, 2), None).unwrap();
    let kind =
        kiosk_domain::OrderKind::Table { table: kiosk_domain::TableId("7".into()), guests: 2, round: 1 };
    let id = kiosk_domain::OrderId(uuid::Uuid::from_u128(7));
    let mut round =
        kiosk_domain::Order::from_cart(id, 1, kind, kiosk_domain::Settlement::Tab, &cart, &menu, 0).unwrap();
    round.state = kiosk_domain::OrderState::Committed;
    b.flow.restore_tab(vec![round]);
    let now = b.now();
    b.flow.handle(Intent::Back, now);
    b.show();
    b.go("Bill", Intent::ShowBill);
    b.go("Split the bill", Intent::ShowSplit);
    assert_eq!(b.flow.page(), Page::Split);
    b.each(&[
        ("Diners +", Intent::StepSplitDiners(1)),
        ("Diners −", Intent::StepSplitDiners(-1)),
        ("Pay this share by card", Intent::Pay(PayWith::Card)),
        ("Pay this share by barcode", Intent::Pay(PayWith::Wallet)),
    ]);
    b.go("By items", Intent::SplitByItems(true));
    let line = headless::labels(&b.window)
        .into_iter()
        .find(|l| l.starts_with(&format!("{} × 2", plain.name.get(Lang::En))))
        .expect("the bill's line to choose");
    b.go(&line, Intent::ToggleShareLine(0));
    b.go("Evenly", Intent::SplitByItems(false));

    // The operator's page (as after the PIN; the PIN's check is the session's): its
    // buttons and steppers.
    b.window.global::<kiosk_ui::Session>().set_page(kiosk_ui::Page::Operator);
    b.window.global::<kiosk_ui::OperatorState>().set_setting_table("7".into());
    let listed = kiosk_domain::OrderId(uuid::Uuid::from_u128(1));
    let row = kiosk_ui::DayOrderView {
        order: listed.to_string().into(),
        title: "#1 · 14:01".into(),
        amount: "4,500원".into(),
        state: "paid here".into(),
    };
    b.window
        .global::<kiosk_ui::OperatorState>()
        .set_day_orders(slint::ModelRc::new(slint::VecModel::from(vec![row])));
    b.screen.draw(true);
    b.each(&[
        ("Printer test", Intent::PrinterTest),
        ("Reprint last receipt", Intent::ReprintLast),
        ("Reprint receipt #1 · 14:01", Intent::Reprint(listed)),
        ("Table number +", Intent::AdjustSetting { key: SettingKey::Table, step: 1 }),
        ("Table number −", Intent::AdjustSetting { key: SettingKey::Table, step: -1 }),
        ("Volume +", Intent::AdjustSetting { key: SettingKey::Volume, step: 1 }),
        ("Idle timeout (seconds) −", Intent::AdjustSetting { key: SettingKey::IdleTimeout, step: -1 }),
    ]);
}
