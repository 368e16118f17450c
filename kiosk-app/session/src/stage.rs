//! Where a session stands: one [`Stage`], each variant carrying only what that stage needs
//! (the item being put together, the payment under way, the order number shown, the
//! problem explained), so no combination of leftovers can describe an impossible screen.
//! The [`Page`] the screen draws follows from it.

use std::collections::BTreeMap;

use kiosk_domain::{Choices, GroupId, ItemId, Note, OptionId, OrderId, PricedLine, Settlement, StepId};

/// The page the screen draws.
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
    /// Splitting the table's bill: the next diner's share.
    Split,
    /// The on-screen keyboard: a request note in the customer's words.
    Note,
    StaffCall,
    Pin,
    Operator,
}

/// How the customer pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayWith {
    Card,
    Wallet,
    Counter,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    /// The attract loop of a kiosk.
    Attract,
    Language,
    Service,
    /// The menu of a kiosk, or a table's home page (its menu and its tab).
    Browsing,
    /// An item being put together.
    Item(Editor),
    Cart,
    PayChoice,
    Paying(Paying),
    /// The order number (or the bill's thanks), with the receipt offer.
    Done(Done),
    Problem(Problem),
    StaffCall,
    Bill,
    /// Splitting the table's bill (see `split.rs`).
    Split,
    /// Writing a request note on the keyboard (see `note.rs`).
    Note(crate::note::Keyboard),
    /// Operator mode's PIN pad; `back` is where "close" returns.
    Pin {
        problem: Option<String>,
        back: Page,
    },
    /// Operator mode; an approval whose cancel awaits confirmation.
    Operator {
        confirm_cancel: Option<OrderId>,
        back: Page,
    },
}

/// The item being put together on the item page.
#[derive(Debug, Clone, PartialEq)]
pub struct Editor {
    pub item: ItemId,
    pub choices: Choices,
    pub set_choices: BTreeMap<StepId, ItemId>,
    pub quantity: u32,
    /// The customer's requests for this item (요청사항).
    pub note: Option<Note>,
    pub problem: Option<String>,
}

/// A payment under way on the paying page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paying {
    pub what: PayingWhat,
    /// The table's bill, not the cart.
    pub bill: bool,
    /// One diner's share of the table's bill.
    pub share: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayingWhat {
    /// Waiting for a wallet barcode since this time (monotonic milliseconds).
    AwaitingScan { since_ms: i64 },
    /// The terminal has the charge (or the order is being committed for the counter).
    Charging(PayWith),
    /// The customer cancelled the card charge on the screen; the terminal is being reset,
    /// and its answer (not charged, or paid just before) decides what comes next.
    CancellingCharge,
    /// A table round is on its way to the POS.
    SendingRound,
}

/// What the done page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    pub order: OrderId,
    pub number: u32,
    pub settlement: Settlement,
    pub receipt: ReceiptState,
    /// When the page came up (monotonic milliseconds).
    pub since_ms: i64,
    /// The POS link was away when the order was committed.
    pub queued: bool,
    /// A table's bill paid at the table (not an order to collect).
    pub bill: bool,
    /// A pre-pay table's round, paid (or to pay at the counter): it comes to the table.
    pub round: bool,
    /// One diner's share of the bill: which, counting from 1.
    pub share: Option<u32>,
    /// What the table still owes after a share that did not pay the rest.
    pub still_owed: Option<kiosk_domain::Money>,
    /// What was paid for (the receipt's lines, spoken on request).
    pub lines: Vec<PricedLine>,
    /// Nothing to pay: a stamp reward or a coupon took the whole order off.
    pub free: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptState {
    Offered,
    Printing,
    Declined,
    PrinterDown,
    /// The e-receipt's QR code is on the screen (chosen, or no printed receipt to be had).
    Qr,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub title: String,
    pub body: String,
    pub action: String,
    /// Where "dismiss" leads.
    pub then: Page,
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

impl Stage {
    /// The page this stage is drawn on; `table` says whether browsing is a table's home.
    pub fn page(&self, table: bool) -> Page {
        match self {
            Stage::Attract => Page::Attract,
            Stage::Language => Page::Language,
            Stage::Service => Page::Service,
            Stage::Browsing if table => Page::TableHome,
            Stage::Browsing => Page::Menu,
            Stage::Item(_) => Page::Item,
            Stage::Cart => Page::Cart,
            Stage::PayChoice => Page::PayChoice,
            Stage::Paying(_) => Page::Paying,
            Stage::Done(_) => Page::Done,
            Stage::Problem(_) => Page::Problem,
            Stage::StaffCall => Page::StaffCall,
            Stage::Bill => Page::Bill,
            Stage::Split => Page::Split,
            Stage::Note(_) => Page::Note,
            Stage::Pin { .. } => Page::Pin,
            Stage::Operator { .. } => Page::Operator,
        }
    }

    /// The stage a page is entered at afresh (what a problem's "dismiss" or "back" leads to).
    pub fn entering(page: Page) -> Stage {
        match page {
            Page::Attract => Stage::Attract,
            Page::Language => Stage::Language,
            Page::Service => Stage::Service,
            Page::Menu | Page::TableHome | Page::Item | Page::Note => Stage::Browsing,
            Page::Cart => Stage::Cart,
            Page::PayChoice | Page::Paying => Stage::PayChoice,
            Page::Done | Page::Problem => Stage::Browsing,
            Page::StaffCall => Stage::StaffCall,
            Page::Bill => Stage::Bill,
            Page::Split => Stage::Split,
            Page::Pin => Stage::Pin { problem: None, back: Page::Attract },
            Page::Operator => Stage::Operator { confirm_cancel: None, back: Page::Attract },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_keys_round_trip() {
        for key in [
            OptionKey::Group("size".into()),
            OptionKey::Step("drink".into()),
            OptionKey::Nested { parent: "milk".into(), option: "oat".into(), group: "foam".into() },
        ] {
            assert_eq!(OptionKey::decode(&key.encode()), key);
        }
    }

    #[test]
    fn browsing_is_the_menu_or_the_tables_home() {
        assert_eq!(Stage::Browsing.page(false), Page::Menu);
        assert_eq!(Stage::Browsing.page(true), Page::TableHome);
        for page in [Page::Attract, Page::Cart, Page::Bill, Page::StaffCall] {
            assert_eq!(Stage::entering(page).page(false), page);
        }
    }
}
