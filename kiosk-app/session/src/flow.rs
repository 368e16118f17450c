//! The customer session as a deterministic state machine: intents from the screen, outcomes
//! of the work it asked for, and the time go in; the next page and the work to do
//! ([`Effect`]) come out. No I/O and no clock of its own, so every flow is tested with a
//! fake clock and canned outcomes; the firmware performs the effects.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::scan::{ScanKind, classify};
use kiosk_domain::{
    Cart, CartError, Choices, GroupId, ItemId, Lang, LocalTime, Menu, Money, OptionId, Order, OrderId,
    OrderKind, Pick, Selection, Service, Settlement, StepId, Tab, TableId,
};
use kiosk_drivers::keypad::Key;
use kiosk_drivers::scanner::Scan;
use uuid::Uuid;

use super::access::{Access, AccessSwitch, FocusMove};
use super::words::{self, sentences};
use kiosk_domain::DeviceSetting;
use kiosk_domain::ReceiptPolicy;
use kiosk_domain::StaffReason;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Attract,
    Language,
    Service,
    Menu,
    Item,
    Cart,
    PayChoice,
    Paying,
    Done,
    Problem,
    TableHome,
    Bill,
    StaffCall,
    Pin,
    Operator,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayWith {
    Card,
    Wallet,
    Counter,
}

/// What the device offers, from its configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    pub store_name: String,
    /// `Some(table number)` on a table tablet.
    pub table: Option<String>,
    pub languages: Vec<Lang>,
    pub default_language: Lang,
    pub services: Vec<Service>,
    pub methods: Vec<PayWith>,
    pub idle_timeout_ms: i64,
    pub idle_warning_ms: i64,
    /// How long the order number stays up before the next customer.
    pub done_return_ms: i64,
    /// How long the barcode prompt waits for a scan.
    pub scan_wait_ms: i64,
    pub receipt: ReceiptPolicy,
    /// Sound volume, 0 (silent) to [`MAX_VOLUME`].
    pub volume: u8,
}

pub const MAX_VOLUME: u8 = 10;
/// One step of the idle timeout's stepper.
const IDLE_STEP_S: i32 = 15;

/// A setting with a stepper on the operator page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingKey {
    Table,
    Volume,
    IdleTimeout,
}
/// The idle timeout the operator can choose, in seconds.
pub const IDLE_TIMEOUT_RANGE_S: (u32, u32) = (30, 600);

impl Settings {
    pub fn kiosk() -> Settings {
        Settings {
            store_name: String::new(),
            table: None,
            languages: vec![Lang::Ko, Lang::En],
            default_language: Lang::Ko,
            services: vec![Service::DineIn, Service::TakeOut],
            methods: vec![PayWith::Card, PayWith::Wallet, PayWith::Counter],
            idle_timeout_ms: 90_000,
            idle_warning_ms: 20_000,
            done_return_ms: 20_000,
            scan_wait_ms: 60_000,
            receipt: ReceiptPolicy::Ask,
            volume: 7,
        }
    }

    /// Takes an operator's setting, within its bounds. Returns it as taken, or `None` when
    /// this device cannot take it: a table number on a kiosk or an empty one, a language the
    /// device does not offer.
    pub fn apply(&mut self, setting: DeviceSetting) -> Option<DeviceSetting> {
        Some(match setting {
            DeviceSetting::Table(table) => {
                let table = table.trim();
                if self.table.is_none() || table.is_empty() {
                    return None;
                }
                self.table = Some(table.to_owned());
                DeviceSetting::Table(table.to_owned())
            }
            DeviceSetting::Volume(v) => {
                self.volume = v.min(MAX_VOLUME);
                DeviceSetting::Volume(self.volume)
            }
            DeviceSetting::IdleTimeoutS(secs) => {
                let secs = secs.clamp(IDLE_TIMEOUT_RANGE_S.0, IDLE_TIMEOUT_RANGE_S.1);
                self.idle_timeout_ms = i64::from(secs) * 1000;
                DeviceSetting::IdleTimeoutS(secs)
            }
            DeviceSetting::Language(lang) => {
                if !self.languages.contains(&lang) {
                    return None;
                }
                self.default_language = lang;
                DeviceSetting::Language(lang)
            }
        })
    }
}

/// What the devices and the POS link allow right now (from the supervisor and the link).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Availability {
    pub card: bool,
    pub scanner: bool,
    pub printer: bool,
    pub pos_reachable: bool,
    /// Orders committed here and not yet acknowledged by the POS.
    pub queued: u64,
    /// No customer may start an order (a required device is down).
    pub out_of_service: bool,
}

impl Default for Availability {
    fn default() -> Self {
        Availability {
            card: true,
            scanner: true,
            printer: true,
            pos_reachable: true,
            queued: 0,
            out_of_service: false,
        }
    }
}

/// The time as the session sees it: milliseconds for timers, the store's local time for
/// time-of-day menus.
#[derive(Debug, Clone, Copy)]
pub struct Now {
    pub ms: i64,
    pub local: Option<LocalTime>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    Start,
    ChooseLanguage(Lang),
    ChooseService(Service),
    SelectCategory(usize),
    OpenItem(ItemId),
    /// A chip on the item page: ids as the view gave them (see [`OptionKey`]).
    ToggleOption {
        group: String,
        option: String,
    },
    SetQuantity(u32),
    AddToCart,
    ShowCart,
    ChangeLine {
        index: usize,
        quantity: u32,
    },
    /// From the cart: choose how to pay.
    Checkout,
    Pay(PayWith),
    CancelPayment,
    WantReceipt(bool),
    Back,
    MoreTime,
    SetGuests(u16),
    OrderRound,
    ShowStaffCall,
    CallStaff(StaffReason),
    ShowBill,
    Dismiss,
    Scanned(Scan),
    /// The hidden operator gesture (five taps in a corner).
    OperatorGesture,
    Pin(String),
    /// The call button beside the screen (or a help key): staff come, the page stays.
    HelpButton,
    /// Operator page: a device setting changed.
    ChangeSetting(DeviceSetting),
    /// Operator page: a stepper's − (`step` −1) or + (+1).
    AdjustSetting {
        key: SettingKey,
        step: i32,
    },
    /// Operator page: cancel this approval (asks for confirmation first).
    CancelApproval(OrderId),
    /// Operator page: the table paid at the counter; its tab is closed.
    CloseTab,
    ConfirmCancel(bool),
    SetSoldOut {
        item: ItemId,
        sold_out: bool,
    },
    PrinterTest,
    ReprintLast,
    /// A key of the tactile keypad.
    Key(Key),
    /// The headphone jack: earphones plugged in (true) or out.
    Earphones(bool),
    /// A switch on the accessibility bar.
    ToggleAccess(AccessSwitch),
}

/// The work the session asks for; each answers with an [`Outcome`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Store `order` (unless it is already stored, after a decline) and settle it: charge it
    /// by card or barcode, or commit it unpaid for the counter.
    Checkout {
        order: Order,
        payment: Payment,
    },
    /// The customer left an unpaid draft behind: cancel it.
    Abandon(OrderId),
    /// Commit a table round unpaid onto the tab.
    SendRound(Order),
    PrintReceipt(OrderId),
    CallStaff {
        id: Uuid,
        reason: StaffReason,
        table: Option<String>,
    },
    VerifyPin(String),
    /// Keep an operator's setting (and, for the table number, claim the table at the POS).
    SaveSetting(DeviceSetting),
    /// Read the latest approvals for the operator's payment journal.
    LoadJournal,
    /// A sound on the buzzer (at the operator's volume; never asked for at volume 0).
    Sound(Cue),
    /// Reverse an order's standing approval at the terminal (the operator confirmed).
    CancelApproval(OrderId),
    /// Record that the table's tab is settled (paid at the counter).
    CloseTab(TableId),
    SetSoldOut {
        item: ItemId,
        sold_out: bool,
    },
    PrinterTest,
    /// The screen moves the keypad focus (and says what it lands on). Answers nothing.
    Focus(FocusMove),
    /// The speech rate and volume changed. Answers nothing.
    Voice {
        rate_wpm: u16,
        volume: u8,
    },
    /// Say this now, over whatever is being said. Answers nothing.
    Announce(String),
    /// Stop speaking. Answers nothing.
    Silence,
}

impl Effect {
    /// Effects the screen performs itself, at once: focus and speech.
    pub fn is_local(&self) -> bool {
        matches!(self, Effect::Focus(_) | Effect::Voice { .. } | Effect::Announce(_) | Effect::Silence)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payment {
    Card,
    /// A wallet barcode, passed through to the terminal and never stored.
    Barcode(String),
    Counter,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Paid (or, for the counter, committed unpaid), with the order number.
    Committed {
        order: OrderId,
        number: u32,
    },
    Declined {
        order: OrderId,
        message: String,
    },
    /// The customer cancelled at the terminal: nothing charged, back to the cart.
    Aborted {
        order: OrderId,
    },
    /// The charge is ambiguous and the terminal cannot tell yet: held for staff.
    Unresolved {
        order: OrderId,
        number: u32,
    },
    RoundSent(Order),
    Printed {
        ok: bool,
    },
    StaffCalled {
        reason: StaffReason,
        ok: bool,
    },
    PinChecked(bool),
    /// A setting was kept; `problem` says what went wrong with it (a table taken at the POS).
    SettingSaved {
        problem: Option<String>,
    },
    Journal(Vec<JournalLine>),
    ApprovalCancelled {
        order: OrderId,
        ok: bool,
    },
    /// The table's tab is closed in the store: the next guests start a new one.
    TabClosed,
    /// The menu changed (an operator's sold-out toggle, the POS).
    Menu(Arc<Menu>),
    /// The work could not be done (a store error): nothing was charged.
    Failed {
        what: String,
    },
}

/// What a sound means; the runner picks how it sounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cue {
    /// The idle warning came up.
    IdleWarning,
}

/// One approval on the operator's payment journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalLine {
    pub order: OrderId,
    pub number: u32,
    pub amount: Money,
    pub approval_no: String,
    /// When it was approved, in the store's time zone.
    pub at: String,
    /// Reversed at the terminal since (cancelled or refunded).
    pub reversed: bool,
}

/// The item being put together on the item page.
#[derive(Debug, Clone)]
pub struct Editor {
    pub item: ItemId,
    pub choices: Choices,
    pub set_choices: BTreeMap<StepId, ItemId>,
    pub quantity: u32,
    pub problem: Option<String>,
}

/// The option ids a chip carries. Plain groups use the group id; a set step is
/// `step:ID`; a group opened by a picked option is `PARENT/OPTION/GROUP`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionKey {
    Group(GroupId),
    Step(StepId),
    Nested { parent: GroupId, option: OptionId, group: GroupId },
}

impl OptionKey {
    pub fn encode(&self) -> String {
        match self {
            OptionKey::Group(g) => g.0.clone(),
            OptionKey::Step(s) => format!("step:{}", s.0),
            OptionKey::Nested { parent, option, group } => format!("{}/{}/{}", parent.0, option.0, group.0),
        }
    }

    pub fn decode(s: &str) -> OptionKey {
        if let Some(step) = s.strip_prefix("step:") {
            return OptionKey::Step(step.into());
        }
        let parts: Vec<&str> = s.split('/').collect();
        match parts.as_slice() {
            [p, o, g] => OptionKey::Nested { parent: (*p).into(), option: (*o).into(), group: (*g).into() },
            _ => OptionKey::Group(s.into()),
        }
    }
}

/// What the done page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    pub order: OrderId,
    pub number: u32,
    pub settlement: Settlement,
    pub receipt: ReceiptState,
    pub since_ms: i64,
    /// The POS link was away when the order was committed.
    pub queued: bool,
    /// A table's bill paid at the table (not an order to collect).
    pub bill: bool,
    /// What was paid for (the receipt's lines, spoken on request).
    pub lines: Vec<kiosk_domain::PricedLine>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptState {
    Offered,
    Printing,
    Declined,
    PrinterDown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub title: String,
    pub body: String,
    pub action: String,
    /// Where "dismiss" leads.
    pub then: Page,
}

/// Where the payment stands on the paying page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Paying {
    /// Waiting for a wallet barcode since this time.
    AwaitingScan { since_ms: i64 },
    /// The terminal has the charge.
    Charging(PayWith),
    /// A table round is on its way to the POS.
    SendingRound,
}

pub struct Flow {
    settings: Settings,
    menu: Arc<Menu>,
    pub(super) lang: Lang,
    pub(super) service: Service,
    pub(super) page: Page,
    pub(super) category: usize,
    pub(super) editor: Option<Editor>,
    pub(super) cart: Cart,
    /// The stored, unpaid order of this cart (kept for a retry after a decline).
    draft: Option<Order>,
    pub(super) paying: Option<Paying>,
    pub(super) done: Option<Done>,
    pub(super) problem: Option<Problem>,
    pub(super) tab: Option<Tab>,
    pub(super) guests: u16,
    /// A short confirmation over the page ("staff are on their way") until this time.
    pub(super) notice: Option<(String, i64)>,
    pub(super) available: Availability,
    /// Device health for the operator page, as the supervisor and POS link report it.
    pub(super) devices: Vec<super::view::DeviceRow>,
    last_touch_ms: i64,
    /// The idle warning's sound was asked for since the last touch.
    warned: bool,
    pub(super) now_ms: i64,
    pub(super) pin_problem: Option<String>,
    /// The page the operator came from.
    operator_return: Page,
    last_order: Option<OrderId>,
    /// The paying page is paying the table's bill, not the cart.
    settling: bool,
    /// Operator page: the latest approvals, and the one whose cancel awaits confirmation.
    pub(super) journal: Vec<JournalLine>,
    pub(super) confirm_cancel: Option<OrderId>,
    pub(super) access: Access,
    /// Earphones are in the jack.
    pub(super) earphones: bool,
}

const NOTICE_MS: i64 = 5_000;

impl Flow {
    pub fn new(settings: Settings, menu: Arc<Menu>, now_ms: i64) -> Flow {
        let tab = settings.table.as_ref().map(|t| Tab::open(TableId(t.clone()), 0));
        let home = if tab.is_some() { Page::TableHome } else { Page::Attract };
        let settings_volume = settings.volume;
        Flow {
            lang: settings.default_language,
            service: settings.services.first().cloned().unwrap_or(Service::TakeOut),
            settings,
            menu,
            page: home,
            category: 0,
            editor: None,
            cart: Cart::default(),
            draft: None,
            paying: None,
            done: None,
            problem: None,
            tab,
            guests: 2,
            notice: None,
            available: Availability::default(),
            devices: Vec::new(),
            last_touch_ms: now_ms,
            warned: false,
            now_ms,
            pin_problem: None,
            operator_return: home,
            last_order: None,
            settling: false,
            journal: Vec::new(),
            confirm_cancel: None,
            access: Access::off(settings_volume),
            earphones: false,
        }
    }

    pub fn page(&self) -> Page {
        self.page
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    pub fn menu(&self) -> &Menu {
        &self.menu
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn cart(&self) -> &Cart {
        &self.cart
    }

    pub fn tab(&self) -> Option<&Tab> {
        self.tab.as_ref()
    }

    pub fn done(&self) -> Option<&Done> {
        self.done.as_ref()
    }

    pub fn problem(&self) -> Option<&Problem> {
        self.problem.as_ref()
    }

    pub fn availability(&self) -> &Availability {
        &self.available
    }

    fn home(&self) -> Page {
        if self.tab.is_some() { Page::TableHome } else { Page::Attract }
    }

    fn menu_page(&self) -> Page {
        if self.tab.is_some() { Page::TableHome } else { Page::Menu }
    }

    /// True while the idle timer must not run: money is moving or the result is shown.
    fn idle_exempt(&self) -> bool {
        matches!(self.page, Page::Paying | Page::Done | Page::Operator | Page::Pin)
            || self.page == self.home() && self.cart.is_empty()
    }

    /// Seconds left before the session resets, when the warning is up.
    pub fn idle_warning(&self) -> Option<u32> {
        if self.idle_exempt() {
            return None;
        }
        let (timeout, warning) = self.idle_limits();
        let left = self.last_touch_ms + timeout - self.now_ms;
        (left <= warning).then(|| (left.max(0) as u32).div_ceil(1000))
    }

    /// A new menu (sold-out marks, a new version): the cart is repriced; lines no longer
    /// possible are dropped and the customer is told.
    pub fn set_menu(&mut self, menu: Arc<Menu>, now: Now) {
        self.menu = menu;
        let dropped = self.cart.reprice(&self.menu, now.local);
        if !dropped.is_empty() {
            let names: Vec<String> = dropped.iter().map(|(l, _)| l.name.get(self.lang).to_owned()).collect();
            self.notice = Some((words::sold_out_removed(&names, self.lang), now.ms + NOTICE_MS * 2));
        }
        if self.category >= self.menu.categories.len() {
            self.category = 0;
        }
    }

    pub fn set_availability(&mut self, available: Availability) {
        self.available = available;
        if matches!(self.page, Page::Attract | Page::Language | Page::Service) {
            self.refuse_if_out_of_service();
        }
    }

    /// Out of service, no order starts: the customer is sent to the counter. True if so.
    fn refuse_if_out_of_service(&mut self) -> bool {
        if self.available.out_of_service {
            let s = sentences(self.lang);
            self.problem = Some(Problem {
                title: s.out_of_service.into(),
                body: s.out_of_service_body.into(),
                action: s.ok.into(),
                then: self.home(),
            });
            self.page = Page::Problem;
        }
        self.available.out_of_service
    }

    pub fn set_devices(&mut self, devices: Vec<super::view::DeviceRow>) {
        self.devices = devices;
    }

    /// Payment means that can be chosen now.
    pub fn offers(&self, with: PayWith) -> bool {
        self.settings.methods.contains(&with)
            && match with {
                PayWith::Card => self.available.card,
                PayWith::Wallet => self.available.card && self.available.scanner,
                PayWith::Counter => true,
            }
    }

    /// The table's bill can be paid here: something is owed and a terminal takes it.
    pub fn bill_payable(&self, with: PayWith) -> bool {
        with != PayWith::Counter && self.offers(with) && self.tab.as_ref().is_some_and(Tab::owes)
    }

    /// Where a payment that did not go through returns to.
    fn pay_again_page(&self) -> Page {
        if self.settling { Page::Bill } else { Page::PayChoice }
    }

    /// No barcode came (cancelled, or the wait ran out): back to choosing how to pay.
    fn stop_waiting_for_scan(&mut self) {
        self.paying = None;
        self.page = self.pay_again_page();
        self.settling = false;
    }

    fn call_staff(&self, reason: StaffReason) -> Vec<Effect> {
        let table = self.tab.as_ref().map(|t| t.table.0.clone());
        vec![Effect::CallStaff { id: Uuid::new_v4(), reason, table }]
    }

    /// The timers: the idle warning and reset, the done page's return, the barcode wait.
    pub fn tick(&mut self, now: Now) -> Vec<Effect> {
        self.now_ms = now.ms;
        if self.notice.as_ref().is_some_and(|(_, until)| now.ms >= *until) {
            self.notice = None;
        }
        if let Some(done) = &self.done
            && self.page == Page::Done
            && now.ms - done.since_ms >= self.settings.done_return_ms
        {
            return self.reset();
        }
        if let Some(Paying::AwaitingScan { since_ms }) = self.paying
            && now.ms - since_ms >= self.settings.scan_wait_ms
        {
            self.stop_waiting_for_scan();
            return Vec::new();
        }
        if !self.idle_exempt() && now.ms - self.last_touch_ms >= self.idle_limits().0 {
            return self.reset();
        }
        if self.idle_warning().is_some()
            && !std::mem::replace(&mut self.warned, true)
            && self.settings.volume > 0
        {
            return vec![Effect::Sound(Cue::IdleWarning)];
        }
        Vec::new()
    }

    /// Back to the start: the cart is cleared, an unpaid draft cancelled. A table keeps its tab.
    fn reset(&mut self) -> Vec<Effect> {
        let mut effects = Vec::new();
        if let Some(draft) = self.draft.take() {
            effects.push(Effect::Abandon(draft.id));
        }
        self.cart.clear();
        self.editor = None;
        self.paying = None;
        self.done = None;
        self.problem = None;
        self.category = 0;
        self.settling = false;
        self.confirm_cancel = None;
        self.lang = self.settings.default_language;
        self.page = self.home();
        self.last_touch_ms = self.now_ms;
        effects.extend(self.reset_access());
        effects
    }

    pub fn handle(&mut self, intent: Intent, now: Now) -> Vec<Effect> {
        self.now_ms = now.ms;
        self.last_touch_ms = now.ms;
        self.warned = false;
        match intent {
            Intent::Start => {
                if self.page == Page::Attract && !self.refuse_if_out_of_service() {
                    self.page = if self.settings.languages.len() > 1 {
                        Page::Language
                    } else {
                        self.after_language()
                    };
                }
            }
            Intent::ChooseLanguage(lang) => {
                self.lang = lang;
                self.page = if self.tab.is_some() { Page::TableHome } else { self.after_language() };
            }
            Intent::ChooseService(service) => {
                self.service = service;
                self.page = Page::Menu;
            }
            Intent::SelectCategory(i) => {
                if i < self.menu.categories.len() {
                    self.category = i;
                }
            }
            Intent::OpenItem(id) => self.open_item(&id),
            Intent::ToggleOption { group, option } => self.toggle(&OptionKey::decode(&group), &option),
            Intent::SetQuantity(q) => {
                if let Some(e) = &mut self.editor {
                    e.quantity = q.clamp(1, 99);
                    e.problem = None;
                }
            }
            Intent::AddToCart => self.add_to_cart(now),
            Intent::ShowCart => {
                if !self.cart.is_empty() {
                    self.page = Page::Cart;
                }
            }
            Intent::ChangeLine { index, quantity } => {
                let _ = if quantity == 0 {
                    self.cart.remove(index).map(|_| ())
                } else {
                    self.cart.set_quantity(&self.menu, index, quantity)
                };
                if self.cart.is_empty() {
                    self.page = self.menu_page();
                }
            }
            Intent::Checkout => {
                if !self.cart.is_empty() && self.tab.is_none() {
                    self.page = Page::PayChoice;
                }
            }
            Intent::Pay(with) => return self.pay(with, now),
            Intent::CancelPayment => {
                if matches!(self.paying, Some(Paying::AwaitingScan { .. })) {
                    self.stop_waiting_for_scan();
                }
            }
            Intent::WantReceipt(want) => return self.want_receipt(want),
            Intent::Back => return self.back(),
            Intent::MoreTime => {}
            Intent::SetGuests(n) => self.guests = n.clamp(1, 99),
            Intent::OrderRound => return self.order_round(now),
            Intent::ShowStaffCall => {
                if self.tab.is_some() {
                    self.page = Page::StaffCall;
                }
            }
            Intent::CallStaff(reason) => {
                self.page = self.menu_page();
                return self.call_staff(reason);
            }
            Intent::ShowBill => {
                if self.tab.is_some() {
                    self.page = Page::Bill;
                }
            }
            Intent::Dismiss => {
                if let Some(p) = self.problem.take() {
                    self.page = p.then;
                }
            }
            Intent::Scanned(scan) => return self.scanned(&scan, now),
            Intent::OperatorGesture => {
                if self.page == self.home() || self.page == Page::Menu {
                    self.operator_return = self.page;
                    self.pin_problem = None;
                    self.page = Page::Pin;
                }
            }
            Intent::Pin(pin) => {
                if self.page == Page::Pin {
                    return vec![Effect::VerifyPin(pin)];
                }
            }
            Intent::SetSoldOut { item, sold_out } => {
                if self.page == Page::Operator {
                    return vec![Effect::SetSoldOut { item, sold_out }];
                }
            }
            Intent::PrinterTest => {
                if self.page == Page::Operator {
                    return vec![Effect::PrinterTest];
                }
            }
            Intent::HelpButton => return self.call_staff(StaffReason::Help),
            Intent::Key(key) => return self.key(key, now),
            Intent::Earphones(plugged) => return self.earphones(plugged, now),
            Intent::ToggleAccess(switch) => self.toggle_access(switch),
            Intent::ChangeSetting(setting) => {
                if self.page == Page::Operator {
                    return self.change_setting(setting, now);
                }
            }
            Intent::AdjustSetting { key, step } => {
                if self.page == Page::Operator
                    && let Some(setting) = self.adjusted(key, step)
                {
                    return self.change_setting(setting, now);
                }
            }
            Intent::CancelApproval(order) => {
                if self.page == Page::Operator && self.journal.iter().any(|j| j.order == order && !j.reversed)
                {
                    self.confirm_cancel = Some(order);
                }
            }
            Intent::ConfirmCancel(yes) => {
                if let Some(order) = self.confirm_cancel.take()
                    && yes
                    && self.page == Page::Operator
                {
                    return vec![Effect::CancelApproval(order)];
                }
            }
            Intent::CloseTab => {
                if self.page == Page::Operator
                    && let Some(tab) = self.tab.as_ref().filter(|t| !t.rounds.is_empty())
                {
                    return vec![Effect::CloseTab(tab.table.clone())];
                }
            }
            Intent::ReprintLast => {
                if self.page == Page::Operator
                    && let Some(order) = self.last_order
                {
                    return vec![Effect::PrintReceipt(order)];
                }
            }
        }
        Vec::new()
    }

    fn after_language(&self) -> Page {
        if self.settings.services.len() > 1 { Page::Service } else { Page::Menu }
    }

    fn back(&mut self) -> Vec<Effect> {
        self.page = match self.page {
            Page::Language => Page::Attract,
            Page::Service => {
                if self.settings.languages.len() > 1 {
                    Page::Language
                } else {
                    Page::Attract
                }
            }
            // "Start over" on the menu.
            Page::Menu => return self.reset(),
            Page::Item => {
                self.editor = None;
                self.menu_page()
            }
            Page::Cart | Page::StaffCall | Page::Bill => self.menu_page(),
            Page::PayChoice => Page::Cart,
            Page::Pin | Page::Operator => {
                self.confirm_cancel = None;
                self.operator_return
            }
            other => other,
        };
        Vec::new()
    }

    /// A stepper's new value; a table number that is not a number has no stepper.
    fn adjusted(&self, key: SettingKey, step: i32) -> Option<DeviceSetting> {
        let step = step.signum();
        Some(match key {
            SettingKey::Table => {
                let n: u32 = self.settings.table.as_ref()?.parse().ok()?;
                DeviceSetting::Table(n.saturating_add_signed(step).max(1).to_string())
            }
            SettingKey::Volume => DeviceSetting::Volume(
                (i32::from(self.settings.volume) + step).clamp(0, MAX_VOLUME.into()) as u8,
            ),
            SettingKey::IdleTimeout => {
                let secs = (self.settings.idle_timeout_ms / 1000) as i32 + step * IDLE_STEP_S;
                let (min, max) = IDLE_TIMEOUT_RANGE_S;
                DeviceSetting::IdleTimeoutS(secs.clamp(min as i32, max as i32) as u32)
            }
        })
    }

    /// An operator's setting: applied at once, then kept by the runner.
    fn change_setting(&mut self, setting: DeviceSetting, now: Now) -> Vec<Effect> {
        if let (DeviceSetting::Table(table), Some(tab)) = (&setting, &self.tab) {
            if table.trim().is_empty() || tab.table.0 == table.trim() {
                return Vec::new();
            }
            // A table with an open bill keeps its number.
            if !tab.rounds.is_empty() {
                self.notice = Some((sentences(self.lang).table_has_tab.into(), now.ms + NOTICE_MS));
                return Vec::new();
            }
        }
        let Some(setting) = self.settings.apply(setting) else { return Vec::new() };
        if let DeviceSetting::Table(table) = &setting {
            self.tab = Some(Tab::open(TableId(table.clone()), 0));
        }
        vec![Effect::SaveSetting(setting)]
    }

    fn open_item(&mut self, id: &ItemId) {
        let Some(item) = self.menu.item(id) else { return };
        if item.sold_out {
            return;
        }
        self.editor = Some(Editor {
            item: id.clone(),
            choices: Choices::new(),
            set_choices: BTreeMap::new(),
            quantity: 1,
            problem: None,
        });
        self.page = Page::Item;
    }

    fn toggle(&mut self, key: &OptionKey, option: &str) {
        let menu = self.menu.clone();
        let lang = self.lang;
        let Some(editor) = &mut self.editor else { return };
        editor.problem = None;
        match key {
            OptionKey::Step(step) => {
                editor.set_choices.insert(step.clone(), ItemId(option.to_owned()));
            }
            OptionKey::Group(group) => {
                let Some(g) = menu.group(group) else { return };
                let picks = editor.choices.entry(group.clone()).or_default();
                if let Some(at) = picks.iter().position(|p| p.option.0 == option) {
                    picks.remove(at);
                } else if g.max == 1 {
                    *picks = vec![Pick::plain(option)];
                } else if (picks.len() as u32) < g.max {
                    picks.push(Pick::plain(option));
                } else {
                    editor.problem = Some(words::too_many(g.name.get(lang), g.max, lang));
                }
                if picks.is_empty() {
                    editor.choices.remove(group);
                }
            }
            OptionKey::Nested { parent, option: parent_option, group } => {
                let Some(g) = menu.group(group) else { return };
                let Some(pick) = editor
                    .choices
                    .get_mut(parent)
                    .and_then(|picks| picks.iter_mut().find(|p| &p.option == parent_option))
                else {
                    return;
                };
                let picks = pick.nested.entry(group.clone()).or_default();
                if let Some(at) = picks.iter().position(|p| p.0 == option) {
                    picks.remove(at);
                } else if g.max == 1 {
                    *picks = vec![OptionId(option.to_owned())];
                } else if (picks.len() as u32) < g.max {
                    picks.push(OptionId(option.to_owned()));
                } else {
                    editor.problem = Some(words::too_many(g.name.get(lang), g.max, lang));
                }
                if picks.is_empty() {
                    pick.nested.remove(group);
                }
            }
        }
    }

    fn add_to_cart(&mut self, now: Now) {
        let Some(editor) = &mut self.editor else { return };
        let selection = Selection {
            item: editor.item.clone(),
            options: editor.choices.clone(),
            set_choices: editor.set_choices.clone(),
            quantity: editor.quantity,
            note: None,
        };
        match self.cart.add(&self.menu, selection, now.local) {
            Ok(_) => {
                self.editor = None;
                self.page = self.menu_page();
            }
            Err(e) => {
                let (menu, lang) = (&self.menu, self.lang);
                editor.problem = Some(words::cart_problem(&e, |name| localized(menu, name, lang), lang));
            }
        }
    }

    /// Prices the current selection for the item page's "add" button.
    pub fn editor_price(&self) -> Option<Result<kiosk_domain::PricedLine, CartError>> {
        let e = self.editor.as_ref()?;
        let sel = Selection {
            item: e.item.clone(),
            options: e.choices.clone(),
            set_choices: e.set_choices.clone(),
            quantity: e.quantity,
            note: None,
        };
        Some(self.menu.price(&sel, None))
    }

    fn new_order(&self, kind: OrderKind, settlement: Settlement, now: Now) -> Option<Order> {
        Order::from_cart(OrderId(Uuid::new_v4()), 0, kind, settlement, &self.cart, &self.menu, now.ms)
            .ok()
            .map(|o| o.in_language(self.lang))
    }

    fn pay(&mut self, with: PayWith, now: Now) -> Vec<Effect> {
        let cart = self.page == Page::PayChoice && !self.cart.is_empty() && self.offers(with);
        let bill = self.page == Page::Bill && self.bill_payable(with);
        if !cart && !bill {
            return Vec::new();
        }
        self.settling = bill;
        if with == PayWith::Wallet {
            self.paying = Some(Paying::AwaitingScan { since_ms: now.ms });
            self.page = Page::Paying;
            return Vec::new();
        }
        let payment = if with == PayWith::Card { Payment::Card } else { Payment::Counter };
        self.checkout(payment, with, now)
    }

    fn checkout(&mut self, payment: Payment, with: PayWith, now: Now) -> Vec<Effect> {
        let mut effects = Vec::new();
        let settlement =
            if payment == Payment::Counter { Settlement::PayAtCounter } else { Settlement::Prepaid };
        let wanted = if self.settling {
            let bill = self.tab.as_ref().and_then(|t| t.bill_order(OrderId(Uuid::new_v4()), now.ms).ok());
            bill.map(|o| o.in_language(self.lang))
        } else {
            self.new_order(OrderKind::Kiosk { service: self.service }, settlement, now)
        };
        let Some(wanted) = wanted else { return effects };
        // A draft of this very order is charged again after a decline; any other is
        // cancelled and replaced.
        let reusable = self.draft.as_ref().is_some_and(|d| {
            d.settlement == wanted.settlement && d.kind == wanted.kind && d.lines == wanted.lines
        });
        if !reusable {
            if let Some(old) = self.draft.take() {
                effects.push(Effect::Abandon(old.id));
            }
            self.draft = Some(wanted);
        }
        let order = self.draft.clone().expect("draft made above");
        self.paying = Some(Paying::Charging(with));
        self.page = Page::Paying;
        effects.push(Effect::Checkout { order, payment });
        effects
    }

    fn scanned(&mut self, scan: &Scan, now: Now) -> Vec<Effect> {
        let awaiting = matches!(self.paying, Some(Paying::AwaitingScan { .. }));
        match classify(scan, Some(&self.menu), awaiting) {
            ScanKind::Payment(code) if awaiting => {
                self.checkout(Payment::Barcode(code), PayWith::Wallet, now)
            }
            ScanKind::Item(item) if matches!(self.page, Page::Menu | Page::TableHome) => {
                self.open_item(&item);
                Vec::new()
            }
            _ => {
                if awaiting {
                    self.notice = Some((sentences(self.lang).wrong_code.into(), now.ms + NOTICE_MS));
                }
                Vec::new()
            }
        }
    }

    fn order_round(&mut self, now: Now) -> Vec<Effect> {
        let Some(tab) = &self.tab else { return Vec::new() };
        if self.page != Page::Cart || self.cart.is_empty() {
            return Vec::new();
        }
        let guests = if tab.rounds.is_empty() { self.guests } else { tab.guests };
        let kind = OrderKind::Table { table: tab.table.clone(), guests, round: tab.next_round() };
        let Some(order) = self.new_order(kind, Settlement::Tab, now) else { return Vec::new() };
        self.paying = Some(Paying::SendingRound);
        self.page = Page::Paying;
        vec![Effect::SendRound(order)]
    }

    fn want_receipt(&mut self, want: bool) -> Vec<Effect> {
        let Some(done) = &mut self.done else { return Vec::new() };
        if want && done.receipt == ReceiptState::Offered {
            if self.available.printer {
                done.receipt = ReceiptState::Printing;
                return vec![Effect::PrintReceipt(done.order)];
            }
            done.receipt = ReceiptState::PrinterDown;
            return Vec::new();
        }
        self.reset()
    }

    /// The answer to an [`Effect`].
    pub fn outcome(&mut self, outcome: Outcome, now: Now) -> Vec<Effect> {
        self.now_ms = now.ms;
        let s = sentences(self.lang);
        match outcome {
            Outcome::Committed { order, number } => {
                let settlement = self.draft.take().map(|d| d.settlement).unwrap_or(Settlement::Prepaid);
                let bill = std::mem::take(&mut self.settling);
                let lines = if bill {
                    self.tab.as_ref().map(Tab::standing_lines).unwrap_or_default()
                } else {
                    self.cart.lines().to_vec()
                };
                if bill {
                    self.new_tab();
                } else {
                    self.cart.clear();
                }
                self.paying = None;
                self.last_order = Some(order);
                let receipt = match self.settings.receipt {
                    ReceiptPolicy::Ask => ReceiptState::Offered,
                    ReceiptPolicy::Never => ReceiptState::Declined,
                    ReceiptPolicy::Always if self.available.printer => ReceiptState::Printing,
                    ReceiptPolicy::Always => ReceiptState::PrinterDown,
                };
                self.done = Some(Done {
                    order,
                    number,
                    settlement,
                    bill,
                    receipt,
                    since_ms: now.ms,
                    queued: !self.available.pos_reachable,
                    lines,
                });
                self.page = Page::Done;
                if receipt == ReceiptState::Printing {
                    return vec![Effect::PrintReceipt(order)];
                }
            }
            Outcome::Declined { message, .. } => {
                self.paying = None;
                self.problem = Some(Problem {
                    title: s.declined.into(),
                    body: message,
                    action: s.try_again.into(),
                    then: self.pay_again_page(),
                });
                self.settling = false;
                self.page = Page::Problem;
            }
            Outcome::Aborted { .. } => {
                self.paying = None;
                self.page = if std::mem::take(&mut self.settling) { Page::Bill } else { Page::Cart };
            }
            Outcome::Unresolved { number, .. } => {
                // Held for staff: this cart (or bill) must never be charged again.
                self.draft = None;
                if !std::mem::take(&mut self.settling) {
                    self.cart.clear();
                }
                self.paying = None;
                self.problem = Some(Problem {
                    title: s.unresolved.into(),
                    body: format!("{} ({number})", s.unresolved_body),
                    action: s.ok.into(),
                    then: self.home(),
                });
                self.page = Page::Problem;
            }
            Outcome::RoundSent(order) => {
                self.paying = None;
                self.cart.clear();
                self.last_order = Some(order.id);
                if let Some(tab) = &mut self.tab {
                    if tab.rounds.is_empty()
                        && let OrderKind::Table { guests, .. } = &order.kind
                    {
                        tab.guests = *guests;
                    }
                    if let Err(e) = tab.add_round(order) {
                        tracing::error!("table tab: {e}");
                    }
                }
                self.notice = Some((s.round_sent.into(), now.ms + NOTICE_MS));
                self.page = self.menu_page();
            }
            Outcome::Printed { ok } => {
                if let Some(done) = &mut self.done
                    && done.receipt == ReceiptState::Printing
                    && !ok
                {
                    done.receipt = ReceiptState::PrinterDown;
                }
            }
            Outcome::StaffCalled { ok, .. } => {
                let text = if ok { s.staff_coming } else { s.staff_call_failed };
                self.notice = Some((text.into(), now.ms + NOTICE_MS));
            }
            Outcome::PinChecked(ok) => {
                if self.page == Page::Pin {
                    if ok {
                        self.page = Page::Operator;
                        return vec![Effect::LoadJournal];
                    } else {
                        self.pin_problem = Some(s.wrong_pin.into());
                    }
                }
            }
            Outcome::SettingSaved { problem } => {
                let text = problem.unwrap_or_else(|| s.saved.into());
                self.notice = Some((text, now.ms + NOTICE_MS));
            }
            Outcome::Journal(lines) => self.journal = lines,
            Outcome::ApprovalCancelled { ok, .. } => {
                let text = if ok { s.cancelled } else { s.cancel_failed };
                self.notice = Some((text.into(), now.ms + NOTICE_MS));
                return vec![Effect::LoadJournal];
            }
            Outcome::TabClosed => {
                self.new_tab();
                self.notice = Some((s.tab_closed.into(), now.ms + NOTICE_MS));
            }
            Outcome::Menu(menu) => self.set_menu(menu, now),
            Outcome::Failed { what } => {
                tracing::error!("session: {what}");
                self.paying = None;
                let then = if std::mem::take(&mut self.settling) {
                    Page::Bill
                } else if self.cart.is_empty() {
                    self.home()
                } else {
                    Page::Cart
                };
                self.problem = Some(Problem {
                    title: s.failed.into(),
                    body: s.failed_body.into(),
                    action: s.ok.into(),
                    then,
                });
                self.page = Page::Problem;
            }
        }
        Vec::new()
    }

    /// The POS marked one of this table's rounds ready (or served): the diners are told.
    pub fn round_status(&mut self, order: OrderId, served: bool, now: Now) {
        let Some(tab) = &self.tab else { return };
        let Some(round) = tab.rounds.iter().find(|o| o.id == order).and_then(|o| o.kind.round()) else {
            return;
        };
        self.notice = Some((words::round_status(round, served, self.lang), now.ms + NOTICE_MS));
    }

    /// The tab a restart found in the store ([`kiosk_store::Store::open_tab`]): shown and
    /// billed as if the tablet had never stopped. Only onto a fresh tab with no rounds yet.
    pub fn restore_tab(&mut self, rounds: Vec<Order>) {
        if let Some(tab) = &mut self.tab
            && tab.rounds.is_empty()
        {
            *tab = Tab::restore(tab.table.clone(), rounds);
        }
    }

    /// The table's bill is being paid here: the tab must not change under it.
    pub fn paying_bill(&self) -> bool {
        self.settling
    }

    /// The tab becomes `rounds`, what the store holds open now (a bill paid or found not
    /// charged since, rounds settled at the counter). Not while the bill is being paid here.
    pub fn sync_tab(&mut self, rounds: Vec<Order>) {
        if self.settling {
            return;
        }
        let Some(tab) = self.tab.take() else { return };
        let tab = Tab::restore(tab.table, rounds);
        if tab.rounds.is_empty() {
            self.guests = 2;
        }
        self.tab = Some(tab);
    }

    /// The POS settled the table (paid at the counter): the tab becomes what the store still
    /// holds open, and diners who owe nothing more are thanked.
    pub fn tab_settled(&mut self, rounds: Vec<Order>, now: Now) {
        if self.settling {
            return;
        }
        self.sync_tab(rounds);
        if !self.tab.as_ref().is_some_and(Tab::owes) {
            if self.page == Page::Bill {
                self.page = Page::TableHome;
            }
            self.notice = Some((sentences(self.lang).done_bill.into(), now.ms + NOTICE_MS));
        }
    }

    /// The table is settled: the next guests start a new tab.
    fn new_tab(&mut self) {
        self.tab = self.tab.take().map(|t| Tab::open(t.table, 0));
        self.guests = 2;
    }

    pub(super) fn editor(&self) -> Option<&Editor> {
        self.editor.as_ref()
    }
}

/// The domain names things in one language; find the name in the customer's.
fn localized(menu: &Menu, name: &str, lang: Lang) -> String {
    let texts = menu.option_groups.iter().map(|g| &g.name).chain(menu.items.iter().map(|i| &i.name)).chain(
        menu.items.iter().filter_map(|i| i.set.as_ref()).flat_map(|s| s.steps.iter().map(|st| &st.name)),
    );
    for text in texts {
        if text.0.values().any(|v| v == name) {
            return text.get(lang).to_owned();
        }
    }
    name.to_owned()
}
