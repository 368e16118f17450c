//! Orders (one kiosk purchase, or one round at a table) and a table's running tab.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::cart::{Cart, PricedLine, Totals};
use crate::lifecycle::{OrderEvent, OrderState, TransitionError};
use crate::menu::Menu;
use crate::money::{Currency, Money, Overflow, VatRate};
use crate::text::Lang;

/// Client-generated order id. It is the idempotency key towards the POS, so it is made once
/// on the device and never changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrderId(pub Uuid);

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A table's number or name as the store labels it ("12", "T3").
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TableId(pub String);

impl fmt::Display for TableId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    DineIn,
    TakeOut,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum OrderKind {
    Kiosk {
        service: Service,
    },
    /// One round on a table's tab; `round` counts from 1.
    Table {
        table: TableId,
        guests: u16,
        round: u32,
    },
    /// A table's tab paid at the table: the lines of every standing round, prepaid. The POS
    /// closes the table's rounds as paid; it is not a new order for the kitchen. With a
    /// `share`, one diner's part of the bill (더치페이): it pays towards these rounds, and only
    /// the share that pays the rest ([`BillShare::last`]) settles them.
    TableBill {
        table: TableId,
        rounds: Vec<OrderId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        share: Option<crate::split::BillShare>,
    },
}

impl OrderKind {
    /// The table an order belongs to, if any.
    pub fn table(&self) -> Option<&TableId> {
        match self {
            OrderKind::Table { table, .. } | OrderKind::TableBill { table, .. } => Some(table),
            OrderKind::Kiosk { .. } => None,
        }
    }

    /// A table round's number.
    pub fn round(&self) -> Option<u32> {
        match self {
            OrderKind::Table { round, .. } => Some(*round),
            _ => None,
        }
    }

    /// One diner's share of a table's bill.
    pub fn share(&self) -> Option<&crate::split::BillShare> {
        match self {
            OrderKind::TableBill { share, .. } => share.as_ref(),
            _ => None,
        }
    }

    pub fn is_share(&self) -> bool {
        self.share().is_some()
    }

    /// Food to make: everything but a bill.
    pub fn goes_to_kitchen(&self) -> bool {
        !matches!(self, OrderKind::TableBill { .. })
    }
}

/// How the order is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Settlement {
    /// Paid at the device before commit (card or wallet).
    Prepaid,
    /// Committed now, paid at the counter.
    PayAtCounter,
    /// A round added to a table's tab, paid when the table settles.
    Tab,
}

impl Settlement {
    pub const ALL: [Settlement; 3] = [Settlement::Prepaid, Settlement::PayAtCounter, Settlement::Tab];

    pub fn as_str(self) -> &'static str {
        match self {
            Settlement::Prepaid => "prepaid",
            Settlement::PayAtCounter => "pay_at_counter",
            Settlement::Tab => "tab",
        }
    }

    pub fn parse(s: &str) -> Option<Settlement> {
        Settlement::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub id: OrderId,
    /// The short number called out and printed ("123").
    pub number: u32,
    pub kind: OrderKind,
    pub settlement: Settlement,
    pub currency: Currency,
    pub vat_rate: VatRate,
    pub lines: Vec<PricedLine>,
    pub totals: Totals,
    pub state: OrderState,
    /// Unix time in milliseconds, from the caller's clock.
    pub created_at_ms: i64,
    /// The language the customer used: their receipt is printed in it.
    #[serde(default = "default_lang")]
    pub lang: Lang,
    /// The customer's requests for the order as a whole (each line may carry its own).
    /// Named `requests` on the wire, like a line's: an older server that knows no requests
    /// takes the order without them.
    #[serde(default, rename = "requests", skip_serializing_if = "Option::is_none")]
    pub note: Option<crate::note::Note>,
    /// The customer's answers to the suggestions made while this order was put together.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suggestions: Vec<crate::menu::SuggestionAnswer>,
    /// The coupon used, whose discount is in the totals; the store server holds it for this
    /// order before the charge and counts it used when the order arrives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon: Option<crate::coupon::Coupon>,
    /// The customer's stamp card, and the reward taken on it (its value is in the discount,
    /// before the coupon's). The store server adds the stamps the order earns to the card.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stamps: Option<crate::stamps::StampUse>,
}

fn default_lang() -> Lang {
    Lang::Ko
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    #[error("the cart is empty")]
    EmptyCart,
    #[error("a table round cannot be settled as {0:?}")]
    WrongSettlement(Settlement),
    #[error(transparent)]
    Overflow(#[from] Overflow),
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error("an unpaid order is voided, not refunded (and a paid one refunded, not voided)")]
    WrongReversal,
    #[error("round {got} is not the next round {expected} of table {table}")]
    WrongRound { table: TableId, expected: u32, got: u32 },
    #[error("this order is not for table {0}")]
    WrongTable(TableId),
    #[error(transparent)]
    Split(#[from] crate::split::SplitError),
}

/// An order as it goes to the store's POS: the order as committed, with the approval that
/// paid it (a prepaid order), so the store's daily close can tell card issuers and wallets
/// apart. Serialised flat: a reader of plain `Order`s takes it as one (the extra field is
/// ignored), and an order from a device without it reads with `payment: None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderForPos {
    #[serde(flatten)]
    pub order: Order,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<crate::payment::Approval>,
    /// The token of the order's e-receipt page on the store server (128 bits in 22 base64url
    /// characters, made on the device so its done page can show the link at once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receipt_token: Option<String>,
}

impl Order {
    /// A draft order from the cart's lines.
    pub fn from_cart(
        id: OrderId,
        number: u32,
        kind: OrderKind,
        settlement: Settlement,
        cart: &Cart,
        menu: &Menu,
        created_at_ms: i64,
    ) -> Result<Order, OrderError> {
        if cart.is_empty() {
            return Err(OrderError::EmptyCart);
        }
        // Only a table's round can go onto a tab. (A pre-pay table's round is paid as it is
        // ordered, at the table or at the counter, like a kiosk order.)
        if settlement == Settlement::Tab && !matches!(kind, OrderKind::Table { .. }) {
            return Err(OrderError::WrongSettlement(settlement));
        }
        let vat_rate = menu.vat_rate();
        Ok(Order {
            id,
            number,
            kind,
            settlement,
            currency: menu.currency,
            vat_rate,
            lines: cart.lines().to_vec(),
            totals: cart.totals(vat_rate)?,
            state: OrderState::Draft,
            created_at_ms,
            lang: Lang::Ko,
            note: cart.note().cloned(),
            suggestions: Vec::new(),
            coupon: cart.coupon().cloned(),
            stamps: cart.stamps(),
        })
    }

    /// The same order, for a customer using `lang`.
    pub fn in_language(mut self, lang: Lang) -> Order {
        self.lang = lang;
        self
    }

    pub fn total(&self) -> Money {
        self.totals.total()
    }

    /// Applies a lifecycle event; see [`next_state`].
    pub fn apply(&mut self, event: OrderEvent) -> Result<OrderState, OrderError> {
        self.state = next_state(self.state, self.settlement, event)?;
        Ok(self.state)
    }
}

/// The state after `event` for an order settled by `settlement`: the lifecycle's
/// transition, plus the settlement's rules. Only a prepaid order asks for payment and is
/// refunded; an unpaid one (counter, tab) is committed unpaid and voided.
pub fn next_state(
    state: OrderState,
    settlement: Settlement,
    event: OrderEvent,
) -> Result<OrderState, OrderError> {
    let prepaid = settlement == Settlement::Prepaid;
    let allowed = match event {
        OrderEvent::Refund => prepaid,
        OrderEvent::VoidUnpaid => !prepaid,
        OrderEvent::RequestPayment | OrderEvent::Commit => prepaid,
        OrderEvent::CommitUnpaid => !prepaid,
        _ => true,
    };
    if !allowed {
        return Err(match event {
            OrderEvent::Refund | OrderEvent::VoidUnpaid => OrderError::WrongReversal,
            _ => OrderError::WrongSettlement(settlement),
        });
    }
    Ok(state.next(event).ok_or(TransitionError { state, event })?)
}

/// A table's running tab: the rounds ordered since the guests sat down. On a post-pay table
/// every round goes onto the tab (`Settlement::Tab`) and the bill pays them; on a pre-pay
/// table each round was paid at the table as it was ordered, or sent to be paid at the
/// counter, so it is listed but owes nothing on the tab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tab {
    pub table: TableId,
    pub guests: u16,
    pub rounds: Vec<Order>,
    /// Shares of the bill paid at the table so far (see [`crate::split`]): committed, or
    /// held while their charge is resolved.
    #[serde(default)]
    pub shares: Vec<Order>,
}

impl Tab {
    pub fn open(table: TableId, guests: u16) -> Tab {
        Tab { table, guests, rounds: Vec::new(), shares: Vec::new() }
    }

    /// The tab as a restart finds it: the rounds the store holds as committed since the
    /// table was last settled, oldest first. Their numbers are kept as they were sent (a
    /// round lost as a draft in a crash leaves a gap the next round does not fill); the
    /// guests are the first round's. Orders that are not this table's rounds are left out.
    /// The next round continues after the highest number.
    pub fn restore(table: TableId, orders: Vec<Order>) -> Tab {
        let (mut rounds, mut shares) = (Vec::new(), Vec::new());
        for o in orders {
            match &o.kind {
                OrderKind::Table { table: t, .. } if *t == table => rounds.push(o),
                OrderKind::TableBill { table: t, share: Some(_), .. } if *t == table => shares.push(o),
                _ => {}
            }
        }
        let guests = match rounds.first().map(|o| &o.kind) {
            Some(OrderKind::Table { guests, .. }) => *guests,
            _ => 0,
        };
        Tab { table, guests, rounds, shares }
    }

    pub fn next_round(&self) -> u32 {
        self.rounds.iter().filter_map(|o| o.kind.round()).max().unwrap_or(0) + 1
    }

    /// The kind for the next round's order.
    pub fn next_kind(&self) -> OrderKind {
        OrderKind::Table { table: self.table.clone(), guests: self.guests, round: self.next_round() }
    }

    /// Adds a committed round. Rounds must be numbered in order and belong to this table.
    pub fn add_round(&mut self, order: Order) -> Result<(), OrderError> {
        match &order.kind {
            OrderKind::Table { table, round, .. } => {
                if table != &self.table {
                    return Err(OrderError::WrongTable(self.table.clone()));
                }
                if *round != self.next_round() {
                    return Err(OrderError::WrongRound {
                        table: table.clone(),
                        expected: self.next_round(),
                        got: *round,
                    });
                }
            }
            OrderKind::Kiosk { .. } | OrderKind::TableBill { .. } => {
                return Err(OrderError::WrongTable(self.table.clone()));
            }
        }
        self.rounds.push(order);
        Ok(())
    }

    /// The rounds on the tab that still stand (not cancelled or reversed): what the bill
    /// pays.
    pub(crate) fn standing(&self) -> impl Iterator<Item = &Order> {
        self.rounds.iter().filter(|o| o.state.is_committed() && o.settlement == Settlement::Tab)
    }

    /// The rounds not on the tab (a pre-pay table's: paid at the table as they were ordered,
    /// or sent to be paid at the counter), still standing, in order.
    pub fn paid_rounds(&self) -> impl Iterator<Item = &Order> {
        self.rounds.iter().filter(|o| o.state.is_committed() && o.settlement != Settlement::Tab)
    }

    /// Something is owed.
    pub fn owes(&self) -> bool {
        self.owed() > Money::ZERO
    }

    /// The lines of every round that still stands, in order.
    pub fn standing_lines(&self) -> Vec<PricedLine> {
        self.standing().flat_map(|o| o.lines.iter().cloned()).collect()
    }

    /// What the table owes: every round that still stands.
    pub fn bill(&self, rate: VatRate) -> Result<Totals, Overflow> {
        Totals::of(&self.standing_lines(), rate)
    }

    /// The prepaid order that settles this tab at the table: the standing rounds' lines, in
    /// the currency and VAT rate they were ordered in.
    pub fn bill_order(&self, id: OrderId, created_at_ms: i64) -> Result<Order, OrderError> {
        if !self.shares.is_empty() {
            // Part of it is paid: the rest is a share of its own.
            return self.share_order(id, crate::split::Split::Rest, created_at_ms);
        }
        self.table_bill(id, None, self.standing_lines(), created_at_ms)
    }

    /// A prepaid table bill (or, with `share`, a share of it) against the standing rounds,
    /// of `lines`, in the currency and VAT rate the rounds were ordered in.
    pub(crate) fn table_bill(
        &self,
        id: OrderId,
        share: Option<crate::split::BillShare>,
        lines: Vec<PricedLine>,
        created_at_ms: i64,
    ) -> Result<Order, OrderError> {
        let first = self.standing().next().ok_or(OrderError::EmptyCart)?;
        Ok(Order {
            id,
            number: 0,
            kind: OrderKind::TableBill {
                table: self.table.clone(),
                rounds: self.standing().map(|o| o.id).collect(),
                share,
            },
            settlement: Settlement::Prepaid,
            currency: first.currency,
            vat_rate: first.vat_rate,
            totals: Totals::of(&lines, first.vat_rate)?,
            lines,
            state: OrderState::Draft,
            created_at_ms,
            lang: first.lang,
            // A bill is no order for the kitchen: the rounds carried the requests.
            note: None,
            suggestions: Vec::new(),
            coupon: None,
            stamps: None,
        })
    }
}
