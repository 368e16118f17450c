//! What crosses the session's boundary: the time and the intents that come in, the work it
//! asks for ([`Effect`]) and the outcomes of that work.

use std::sync::Arc;

use kiosk_domain::{
    DeviceSetting, ItemId, Lang, LocalTime, Menu, Money, Order, OrderId, Service, StaffReason, TableId,
};
use kiosk_drivers::keypad::Key;
use kiosk_drivers::scanner::Scan;
use uuid::Uuid;

use crate::access::{AccessSwitch, FocusMove};
use crate::settings::SettingKey;
use crate::stage::PayWith;

/// The time as the session sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    /// Monotonic milliseconds (since boot). Every timer of the session runs on these, so a
    /// step of the wall clock (NTP setting a Raspberry Pi's clock hours forward after it
    /// booted at the image's build time) neither resets a cart nor hurries a payment.
    pub mono_ms: i64,
    /// Unix milliseconds by the wall clock: only stamped on orders (receipts, the business
    /// day), never used to measure a duration.
    pub wall_ms: i64,
    /// The store's local weekday and time, for time-of-day menus.
    pub local: Option<LocalTime>,
}

/// Where order and staff-call ids come from: random on a device, seeded in tests so a run
/// can be replayed.
pub trait IdSource {
    fn next_id(&mut self) -> Uuid;
}

/// Ids counted from a seed: deterministic, for tests and replays.
#[derive(Debug, Clone)]
pub struct SeededIds(pub u128);

impl IdSource for SeededIds {
    fn next_id(&mut self) -> Uuid {
        self.0 = self.0.wrapping_add(1);
        Uuid::from_u128(self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    Start,
    ChooseLanguage(Lang),
    ChooseService(Service),
    SelectCategory(usize),
    OpenItem(ItemId),
    /// A chip on the item page: ids as the view gave them (see [`crate::stage::OptionKey`]).
    ToggleOption {
        group: String,
        option: String,
    },
    SetQuantity(u32),
    /// A request preset's chip: on the item page (`order` false) or the cart page (true).
    ToggleNotePreset {
        order: bool,
        preset: String,
    },
    /// "Write a request" on the item page (`order` false) or the cart page (true).
    EditNote {
        order: bool,
    },
    /// A key of the on-screen keyboard.
    NoteKey(crate::note::NoteKey),
    /// "Coupon" on the cart page: the keyboard, for a coupon code.
    EnterCoupon,
    /// Takes the coupon off the cart.
    RemoveCoupon,
    /// "Stamps" on the cart page: the keypad, for a mobile number.
    EnterPhone,
    /// Takes the reward item free with the card's stamps (`true`), or gives it back.
    UseReward(bool),
    /// A suggestion's "add" (`take`) or "no thanks".
    AnswerSuggestion {
        id: String,
        take: bool,
    },
    AddToCart,
    ShowCart,
    ChangeLine {
        index: usize,
        quantity: u32,
    },
    /// From the cart: choose how to pay.
    Checkout,
    Pay(PayWith),
    /// The instalment plan for a card payment of 50,000 won or more: one step more (+1) or
    /// fewer (-1) months, from a lump sum to 12 months.
    StepInstalments(i8),
    CancelPayment,
    WantReceipt(bool),
    /// The done page's "receipt by QR code".
    ReceiptByQr,
    Back,
    MoreTime,
    SetGuests(u16),
    OrderRound,
    ShowStaffCall,
    CallStaff(StaffReason),
    ShowBill,
    /// The bill page's "split the bill": each diner pays a share.
    ShowSplit,
    /// The split page: by items (true) or evenly (false).
    SplitByItems(bool),
    /// The split page: one diner more (+1) or fewer (-1) to split evenly among.
    StepSplitDiners(i8),
    /// The split page: choose or unchoose the `n`th of the bill's open lines.
    ToggleShareLine(usize),
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
    /// Operator page: print this order of today's receipt journal again.
    Reprint(OrderId),
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
        /// This attempt at settling it, counted by the session: a cancel names the attempt
        /// it cancels (the same order is charged again after a decline).
        attempt: u32,
    },
    /// Ask the store server for the terms of coupon `code` (nothing is held yet: the checkout
    /// holds it for the order).
    CheckCoupon {
        code: String,
    },
    /// Ask the store server for the stamp card of this mobile number. The number goes no
    /// further: the card's id comes back.
    FindStampCard {
        phone: Phone,
    },
    /// The customer left an unpaid draft behind: cancel it.
    Abandon(OrderId),
    /// The customer cancelled on the screen while the terminal waits for the card of
    /// `order`'s charge, attempt `attempt`: abandon it. Answers nothing of its own; the
    /// charge's [`Effect::Checkout`] answers (aborted, or committed when the card was paid
    /// first).
    AbortCharge {
        order: OrderId,
        attempt: u32,
    },
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
    /// Read today's orders for the operator's receipt journal.
    LoadOrders,
    /// The operator reprints an order's receipt (printed as a copy).
    Reprint(OrderId),
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
    /// A card; `months` 0 for a lump sum, else the instalments the customer chose.
    Card {
        months: u8,
    },
    /// A wallet barcode, passed through to the terminal and never stored.
    Barcode(String),
    Counter,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The stamp card of the number asked about: its id and stamps (`None`: the store server
    /// could not be asked).
    StampCard(Option<(String, i64)>),
    /// The store server's answer about a coupon: its terms, or why not (`None`: it could not
    /// be asked).
    CouponChecked {
        code: String,
        answer: Result<kiosk_domain::CouponTerms, Option<kiosk_domain::CouponRefusal>>,
    },
    /// The coupon could not be held for `order` at the checkout: nothing was charged and the
    /// draft is cancelled (`None`: the store server could not be asked).
    CouponRefused {
        order: OrderId,
        refusal: Option<kiosk_domain::CouponRefusal>,
    },
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
    RoundSent(Box<Order>),
    Printed {
        ok: bool,
    },
    StaffCalled {
        reason: StaffReason,
        ok: bool,
    },
    PinChecked(bool),
    /// A setting was kept; `problem` says what went wrong with it (a table taken at the POS).
    /// For a table number: whether the store gave that table to another tablet (`None`: not
    /// a table number, or the store could not say).
    SettingSaved {
        problem: Option<String>,
        table_taken: Option<bool>,
    },
    Journal(Vec<JournalLine>),
    /// Today's orders, newest first, for the receipt journal.
    Orders(Vec<DayLine>),
    /// The operator's reprint was queued (`ok`), or there is no printer for it.
    Reprinted {
        ok: bool,
    },
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

/// One order on the operator's receipt journal (today's orders).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayLine {
    pub order: OrderId,
    pub number: u32,
    pub total: Money,
    /// When it was ordered, the store's local time ("14:03").
    pub at: String,
    pub settlement: kiosk_domain::Settlement,
    /// Refunded or voided since it was committed.
    pub undone: bool,
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

/// A customer's mobile number on its way to the store server: its digits, never printed
/// (`Debug` shows only its length), never stored.
#[derive(Clone, PartialEq, Eq)]
pub struct Phone(pub String);

impl std::fmt::Debug for Phone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Phone({} digits)", self.0.len())
    }
}
