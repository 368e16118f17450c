//! The customer session as a deterministic state machine: intents from the screen, outcomes
//! of the work it asked for, and the time go in; the next [`Stage`] and the work to do
//! ([`Effect`]s) come out. No I/O and no clock of its own, so every flow is tested with a
//! fake clock and canned outcomes; the firmware performs the effects.
//!
//! This file holds the session's state, the dispatch of intents and outcomes, and the
//! timers; each concern has its own module: `item.rs` (the item page), `checkout.rs`
//! (paying), `table.rs` (rounds, staff calls, the bill), `operator.rs` (operator mode),
//! `access.rs` (the barrier-free mode).

use std::sync::Arc;

use kiosk_domain::{
    Cart, Lang, LocalTime, Menu, Order, OrderId, OrderKind, Service, Settlement, Tab, TableId,
};

use crate::access::Access;
use crate::messages::{Cue, DayLine, Effect, IdSource, Intent, JournalLine, Now, Outcome};
use crate::settings::Settings;
use crate::stage::{Done, Editor, OptionKey, Page, PayWith, PayingWhat, Problem, Stage};
use crate::status::{Availability, DeviceRow, Status};
use crate::words::{self, sentences};

/// How long a short confirmation ("staff are on their way") stays over the page.
pub(crate) const NOTICE_MS: i64 = 5_000;

pub struct Flow {
    pub(crate) settings: Settings,
    pub(crate) menu: Arc<Menu>,
    pub(crate) ids: Box<dyn IdSource>,
    pub(crate) lang: Lang,
    pub(crate) service: Service,
    pub(crate) stage: Stage,
    pub(crate) category: usize,
    pub(crate) cart: Cart,
    /// The stored, unpaid order of this cart (kept for a retry after a decline).
    pub(crate) draft: Option<Order>,
    pub(crate) tab: Option<Tab>,
    pub(crate) guests: u16,
    /// A short confirmation over the page until this (monotonic) time.
    pub(crate) notice: Option<(String, i64)>,
    pub(crate) available: Availability,
    /// Device health for the operator page, as the supervisor and POS link report it.
    pub(crate) devices: Vec<DeviceRow>,
    pub(crate) last_touch_ms: i64,
    /// The idle warning's sound was asked for since the last touch.
    pub(crate) warned: bool,
    /// The latest time seen (monotonic milliseconds).
    pub(crate) now_ms: i64,
    pub(crate) last_order: Option<OrderId>,
    /// Operator page: the latest approvals.
    pub(crate) journal: Vec<JournalLine>,
    /// Settlement attempts sent (see [`Effect::Checkout`]'s `attempt`).
    pub(crate) charge_attempt: u32,
    /// The split page's choices (더치페이).
    pub(crate) split: crate::split::SplitChoice,
    /// Today's orders, for the operator's receipt journal.
    pub(crate) day_orders: Vec<DayLine>,
    pub(crate) access: Access,
    /// Earphones are in the jack.
    pub(crate) earphones: bool,
    /// The store gave this tablet's table to another tablet: no round goes onto that bill
    /// from here until staff give this tablet its own number.
    pub(crate) table_taken: bool,
    /// The instalments chosen for the card payment under way (0: a lump sum).
    pub(crate) instalment_months: u8,
    /// The store's local time as last seen (the grid greys what is not on sale now).
    pub(crate) local: Option<LocalTime>,
    /// Suggestions made this session (each is made once), the one whose card is up, and the
    /// suggestions the customer answered (they go with the next order, each counted taken when
    /// its offer is in it).
    pub(crate) asked: Vec<kiosk_domain::SuggestionId>,
    pub(crate) suggestion: Option<kiosk_domain::SuggestionId>,
    pub(crate) answered: Vec<kiosk_domain::SuggestionId>,
    /// Suggestions declined this session (a table: this party's), never listed again.
    pub(crate) declined: Vec<kiosk_domain::SuggestionId>,
    /// The coupon code the store server is being asked about.
    pub(crate) coupon_asked: Option<String>,
    /// The stamps on the cart's card, as the store server said when it was looked up.
    pub(crate) stamp_balance: Option<i64>,
}

impl Flow {
    pub fn new(settings: Settings, menu: Arc<Menu>, now: Now, ids: Box<dyn IdSource>) -> Flow {
        let tab = settings.table.as_ref().map(|t| Tab::open(TableId(t.clone()), 0));
        let volume = settings.volume;
        let mut flow = Flow {
            lang: settings.default_language,
            service: settings.services.first().cloned().unwrap_or(Service::TakeOut),
            settings,
            menu,
            ids,
            stage: Stage::Attract,
            category: 0,
            cart: Cart::default(),
            draft: None,
            tab,
            guests: 2,
            notice: None,
            available: Availability::default(),
            devices: Vec::new(),
            last_touch_ms: now.mono_ms,
            warned: false,
            now_ms: now.mono_ms,
            last_order: None,
            journal: Vec::new(),
            split: Default::default(),
            charge_attempt: 0,
            day_orders: Vec::new(),
            access: Access::off(volume),
            earphones: false,
            table_taken: false,
            instalment_months: 0,
            local: now.local,
            asked: Vec::new(),
            suggestion: None,
            answered: Vec::new(),
            declined: Vec::new(),
            coupon_asked: None,
            stamp_balance: None,
        };
        flow.stage = flow.home_stage();
        flow
    }

    pub fn page(&self) -> Page {
        self.stage.page(self.tab.is_some())
    }

    pub fn stage(&self) -> &Stage {
        &self.stage
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    pub fn menu(&self) -> &Menu {
        &self.menu
    }

    /// The menu as shared: a new one is a new allocation, whatever it holds.
    pub fn shared_menu(&self) -> &Arc<Menu> {
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
        match &self.stage {
            Stage::Done(done) => Some(done),
            _ => None,
        }
    }

    pub fn problem(&self) -> Option<&Problem> {
        match &self.stage {
            Stage::Problem(problem) => Some(problem),
            _ => None,
        }
    }

    pub(crate) fn editor(&self) -> Option<&Editor> {
        match &self.stage {
            Stage::Item(editor) => Some(editor),
            _ => None,
        }
    }

    pub fn availability(&self) -> &Availability {
        &self.available
    }

    /// The attract loop of a kiosk; the home page of a table.
    pub(crate) fn home_stage(&self) -> Stage {
        if self.tab.is_some() { Stage::Browsing } else { Stage::Attract }
    }

    pub(crate) fn home(&self) -> Page {
        self.home_stage().page(self.tab.is_some())
    }

    /// Moves to `page`, entered afresh.
    pub(crate) fn go(&mut self, page: Page) {
        self.stage = Stage::entering(page);
    }

    pub(crate) fn notice(&mut self, text: impl Into<String>, for_ms: i64) {
        self.notice = Some((text.into(), self.now_ms + for_ms));
    }

    /// No customer is here: the start page with an empty cart (no session, no payment).
    pub fn at_rest(&self) -> bool {
        self.stage == self.home_stage() && self.cart.is_empty()
    }

    /// True while the idle timer must not run: money is moving or the result is shown.
    fn idle_exempt(&self) -> bool {
        matches!(self.stage, Stage::Paying(_) | Stage::Done(_) | Stage::Operator { .. } | Stage::Pin { .. })
            || self.at_rest()
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
        self.now_ms = now.mono_ms;
        self.menu = menu;
        let dropped = self.cart.reprice(&self.menu, now.local);
        if self.pending_suggestion().is_none() {
            // Its offer is gone or sold out, or the suggestion itself: the card goes.
            self.suggestion = None;
        }
        if !dropped.is_empty() {
            let names: Vec<String> = dropped.iter().map(|(l, _)| l.name.get(self.lang).to_owned()).collect();
            self.notice(words::sold_out_removed(&names, self.lang), NOTICE_MS * 2);
        }
        if self.category >= self.menu.categories.len() {
            self.category = 0;
        }
    }

    /// What the supervisor and the POS link report now: what can be offered, and the
    /// operator page's device list.
    pub fn set_status(&mut self, status: &Status) {
        self.devices = status.device_rows();
        self.set_availability(status.availability(&self.settings.peripherals));
    }

    pub fn set_availability(&mut self, available: Availability) {
        self.available = available;
        if matches!(self.stage, Stage::Attract | Stage::Language | Stage::Service) {
            self.refuse_if_out_of_service();
        }
    }

    /// What the store said when this tablet claimed its table: `taken` when another tablet
    /// holds it. Told on the screen at once when the diner is on the table's home page, and
    /// again at every round the diner tries to send (see [`Flow::refuse_if_table_taken`]).
    pub fn table_claim(&mut self, taken: bool) {
        if self.tab.is_none() || self.table_taken == taken {
            return;
        }
        self.table_taken = taken;
        if taken && self.stage == Stage::Browsing {
            self.refuse_if_table_taken();
        }
    }

    /// The table is another tablet's: the diner is told, and nothing is sent. True if so.
    pub(crate) fn refuse_if_table_taken(&mut self) -> bool {
        if !self.table_taken {
            return false;
        }
        let s = sentences(self.lang);
        let table = self.tab.as_ref().map(|t| t.table.0.clone()).unwrap_or_default();
        self.stage = Stage::Problem(Problem {
            title: s.table_taken.into(),
            body: s.table_taken_body.replace("{}", &table),
            action: s.ok.into(),
            then: self.home(),
        });
        true
    }

    /// Out of service, no order starts: the customer is sent to the counter. True if so.
    fn refuse_if_out_of_service(&mut self) -> bool {
        if self.available.out_of_service {
            let s = sentences(self.lang);
            self.stage = Stage::Problem(Problem {
                title: s.out_of_service.into(),
                body: s.out_of_service_body.into(),
                action: s.ok.into(),
                then: self.home(),
            });
        }
        self.available.out_of_service
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

    /// The timers: the idle warning and reset, the done page's return, the barcode wait,
    /// a notice's end.
    pub fn tick(&mut self, now: Now) -> Vec<Effect> {
        self.now_ms = now.mono_ms;
        self.local = now.local;
        if self.notice.as_ref().is_some_and(|(_, until)| self.now_ms >= *until) {
            self.notice = None;
        }
        if let Stage::Done(done) = &self.stage
            && self.now_ms - done.since_ms >= self.settings.done_return_ms
        {
            return self.reset();
        }
        if let Stage::Paying(p) = self.stage
            && let PayingWhat::AwaitingScan { since_ms } = p.what
            && self.now_ms - since_ms >= self.settings.scan_wait_ms
        {
            self.stop_waiting_for_scan();
            return Vec::new();
        }
        if !self.idle_exempt() && self.now_ms - self.last_touch_ms >= self.idle_limits().0 {
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

    /// The next time (monotonic milliseconds) at which [`Flow::tick`] has something to do,
    /// or at which the view changes by itself (the idle warning's countdown, a notice going
    /// away). The screen sleeps until then unless something happens.
    pub fn next_deadline(&self) -> Option<i64> {
        let mut deadlines = Vec::new();
        if let Some((_, until)) = &self.notice {
            deadlines.push(*until);
        }
        match &self.stage {
            Stage::Done(done) => deadlines.push(done.since_ms + self.settings.done_return_ms),
            Stage::Paying(p) => {
                if let PayingWhat::AwaitingScan { since_ms } = p.what {
                    deadlines.push(since_ms + self.settings.scan_wait_ms);
                }
            }
            _ => {}
        }
        if !self.idle_exempt() {
            let (timeout, warning) = self.idle_limits();
            let reset = self.last_touch_ms + timeout;
            let warn = reset - warning;
            if self.now_ms < warn {
                deadlines.push(warn);
            } else {
                // The countdown shows whole seconds: the next one, or the reset.
                let left = reset - self.now_ms;
                deadlines.push(if left <= 0 { reset } else { self.now_ms + ((left - 1) % 1000) + 1 });
            }
        }
        deadlines.into_iter().min()
    }

    /// Back to the start: the cart is cleared, an unpaid draft cancelled. A table keeps its tab.
    pub(crate) fn reset(&mut self) -> Vec<Effect> {
        let mut effects = Vec::new();
        if let Some(draft) = self.draft.take() {
            effects.push(Effect::Abandon(draft.id));
        }
        self.cart.clear();
        self.coupon_asked = None;
        self.stamp_balance = None;
        // A notice is this customer's (their stamps, a coupon's answer): not the next one's.
        self.notice = None;
        self.forget_suggestions();
        self.suggestions_sent();
        self.category = 0;
        self.lang = self.settings.default_language;
        self.stage = self.home_stage();
        self.last_touch_ms = self.now_ms;
        effects.extend(self.reset_access());
        effects
    }

    pub fn handle(&mut self, intent: Intent, now: Now) -> Vec<Effect> {
        self.now_ms = now.mono_ms;
        self.local = now.local;
        self.last_touch_ms = now.mono_ms;
        self.warned = false;
        match intent {
            Intent::Start => {
                if self.stage == Stage::Attract && !self.refuse_if_out_of_service() {
                    self.stage = if self.settings.languages.len() > 1 {
                        Stage::Language
                    } else {
                        self.after_language()
                    };
                }
            }
            Intent::ChooseLanguage(lang) => {
                self.lang = lang;
                self.stage = if self.tab.is_some() { Stage::Browsing } else { self.after_language() };
            }
            Intent::ChooseService(service) => {
                self.service = service;
                self.stage = Stage::Browsing;
            }
            Intent::SelectCategory(i) => {
                if i < self.menu.categories.len() {
                    self.category = i;
                }
            }
            Intent::OpenItem(id) => self.open_item(&id),
            Intent::ToggleOption { group, option } => self.toggle(&OptionKey::decode(&group), &option),
            Intent::SetQuantity(q) => self.set_quantity(q),
            Intent::ToggleNotePreset { order, preset } => self.toggle_note_preset(order, &preset),
            Intent::EditNote { order } => self.edit_note(order),
            Intent::NoteKey(key) => return self.note_key(key),
            Intent::EnterCoupon => self.edit_coupon(),
            Intent::RemoveCoupon => self.remove_coupon(),
            Intent::EnterPhone => self.edit_phone(),
            Intent::UseReward(take) => self.use_reward(take),
            Intent::AddToCart => self.add_to_cart(now),
            Intent::ShowCart => {
                if !self.cart.is_empty() {
                    self.stage = Stage::Cart;
                    // The cart page lists what goes with the order.
                    self.suggestion = None;
                }
            }
            Intent::AnswerSuggestion { id, take } => self.answer_suggestion(&id, take),
            Intent::ChangeLine { index, quantity } => {
                let _ = if quantity == 0 {
                    self.cart.remove(index).map(|_| ())
                } else {
                    self.cart.set_quantity(&self.menu, index, quantity)
                };
                if self.cart.is_empty() {
                    self.stage = Stage::Browsing;
                }
            }
            Intent::Checkout => {
                if !self.cart.is_empty() && self.tab.is_none() {
                    self.stage = Stage::PayChoice;
                    self.instalment_months = 0;
                }
            }
            Intent::Pay(with) => return self.pay(with, now),
            Intent::StepInstalments(step) => self.step_instalments(step),
            Intent::CancelPayment => return self.cancel_payment(),
            Intent::WantReceipt(want) => return self.want_receipt(want),
            Intent::ReceiptByQr => self.receipt_by_qr(),
            Intent::Back => return self.back(),
            Intent::MoreTime => {}
            Intent::SetGuests(n) => self.guests = n.clamp(1, 99),
            Intent::OrderRound => return self.order_round(now),
            Intent::ShowStaffCall => {
                if self.tab.is_some() {
                    self.stage = Stage::StaffCall;
                }
            }
            Intent::CallStaff(reason) => {
                self.stage = Stage::Browsing;
                return self.call_staff(reason);
            }
            Intent::ShowBill => {
                if self.tab.is_some() {
                    self.stage = Stage::Bill;
                    self.instalment_months = 0;
                }
            }
            Intent::ShowSplit => self.show_split(),
            Intent::SplitByItems(by_items) => self.split_by_items(by_items),
            Intent::StepSplitDiners(step) => self.step_split_diners(step),
            Intent::ToggleShareLine(index) => self.toggle_share_line(index),
            Intent::Dismiss => {
                if let Stage::Problem(p) = &self.stage {
                    let then = p.then;
                    self.go(then);
                }
            }
            Intent::Scanned(scan) => return self.scanned(&scan, now),
            Intent::HelpButton => return self.call_staff(kiosk_domain::StaffReason::Help),
            Intent::Key(key) => return self.key(key, now),
            Intent::Earphones(plugged) => return self.earphones(plugged, now),
            Intent::ToggleAccess(switch) => self.toggle_access(switch),
            Intent::OperatorGesture
            | Intent::Pin(_)
            | Intent::SetSoldOut { .. }
            | Intent::PrinterTest
            | Intent::ChangeSetting(_)
            | Intent::AdjustSetting { .. }
            | Intent::CancelApproval(_)
            | Intent::ConfirmCancel(_)
            | Intent::CloseTab
            | Intent::ReprintLast
            | Intent::Reprint(_) => return self.operator(intent),
        }
        Vec::new()
    }

    pub(crate) fn after_language(&self) -> Stage {
        if self.settings.services.len() > 1 { Stage::Service } else { Stage::Browsing }
    }

    fn back(&mut self) -> Vec<Effect> {
        self.stage = match &self.stage {
            Stage::Language => Stage::Attract,
            Stage::Service => {
                if self.settings.languages.len() > 1 {
                    Stage::Language
                } else {
                    Stage::Attract
                }
            }
            // "Start over" on a kiosk's menu.
            Stage::Browsing if self.tab.is_none() => return self.reset(),
            Stage::Item(_) | Stage::Cart | Stage::StaffCall | Stage::Bill => Stage::Browsing,
            Stage::PayChoice => Stage::Cart,
            Stage::Split => Stage::Bill,
            Stage::Note(_) => return self.close_keyboard(None),
            Stage::Pin { back, .. } | Stage::Operator { back, .. } => Stage::entering(*back),
            other => other.clone(),
        };
        Vec::new()
    }

    /// The answer to an [`Effect`].
    pub fn outcome(&mut self, outcome: Outcome, now: Now) -> Vec<Effect> {
        self.now_ms = now.mono_ms;
        match outcome {
            Outcome::Committed { order, number } => self.committed(order, number, now),
            Outcome::Declined { message, .. } => {
                self.declined(message);
                Vec::new()
            }
            Outcome::Aborted { .. } => {
                self.aborted();
                Vec::new()
            }
            Outcome::Unresolved { number, .. } => {
                self.unresolved(number);
                Vec::new()
            }
            Outcome::RoundSent(order) => {
                self.round_sent(*order);
                Vec::new()
            }
            Outcome::Printed { ok } => {
                self.printed(ok);
                Vec::new()
            }
            Outcome::StaffCalled { ok, .. } => {
                let s = sentences(self.lang);
                self.notice(if ok { s.staff_coming } else { s.staff_call_failed }, NOTICE_MS);
                Vec::new()
            }
            Outcome::PinChecked(_)
            | Outcome::SettingSaved { .. }
            | Outcome::Journal(_)
            | Outcome::Orders(_)
            | Outcome::Reprinted { .. }
            | Outcome::ApprovalCancelled { .. }
            | Outcome::TabClosed => self.operator_outcome(outcome),
            Outcome::Menu(menu) => {
                self.set_menu(menu, now);
                Vec::new()
            }
            Outcome::Failed { what } => {
                self.failed(&what);
                Vec::new()
            }
            Outcome::CouponChecked { code, answer } => {
                self.coupon_checked(&code, answer);
                Vec::new()
            }
            Outcome::StampCard(card) => {
                self.stamp_card_found(card);
                Vec::new()
            }
            Outcome::CouponRefused { order, refusal } => {
                self.coupon_refused(order, refusal);
                Vec::new()
            }
        }
    }

    /// A new order of this cart, in the customer's language, with an id from the source.
    pub(crate) fn new_order(&mut self, kind: OrderKind, settlement: Settlement, now: Now) -> Option<Order> {
        let id = OrderId(self.ids.next_id());
        let mut order =
            Order::from_cart(id, 0, kind, settlement, &self.cart, &self.menu, now.wall_ms).ok()?;
        order.suggestions = self.suggestion_answers(&order);
        Some(order.in_language(self.lang))
    }
}
