//! Splitting a table's bill (더치페이): each diner pays a share, evenly by the number of
//! guests or for the items they had, each by their own card or barcode, until the bill is
//! paid.
//!
//! A share is an order of its own ([`OrderKind::TableBill`] with a [`BillShare`]), charged
//! and journaled like any other. It pays towards the tab's standing rounds; what the tab
//! still owes is the standing rounds less every share paid or being resolved, so a share is
//! never charged twice and a round that arrives meanwhile simply joins what is owed. Only
//! the share that pays the rest ([`BillShare::last`]) settles the rounds and closes the tab.

use serde::{Deserialize, Serialize};

use crate::cart::{PricedLine, Selection, Totals};
use crate::money::Money;
use crate::order::{Order, OrderError, OrderId, OrderKind, Tab};
use crate::text::Text;

/// The item id of an even share's one line (an amount, not food).
pub const SHARE_ITEM: &str = "bill-share";

/// One line of a table's bill: the round it was ordered in and its index there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct LineRef {
    pub round: OrderId,
    pub line: u32,
}

/// What a share order pays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillShare {
    /// Which share this is, counting from 1.
    pub part: u32,
    /// The bill's lines it paid for, when split by items; empty for an amount.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<LineRef>,
    /// The whole bill (every standing round) when it was paid, for its receipt.
    pub whole: Money,
    /// It paid the rest: the tab's rounds are settled.
    pub last: bool,
}

/// How the next share is chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Split {
    /// An even part of what is owed among the `parts` diners still to pay (the last of them
    /// pays the won left over by rounding).
    Even { parts: u32 },
    /// These lines of the bill, each paid in full.
    Items(Vec<LineRef>),
    /// Everything still owed.
    Rest,
}

/// Why a share cannot be made. Each reads as a message for the diner.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    #[error("nothing is owed on this table")]
    NothingOwed,
    #[error("a share of the bill is still being checked; staff will help")]
    SharePending,
    #[error("choose at least one item to pay for")]
    NoItems,
    #[error("an item chosen is not on the bill or is paid already")]
    LineNotOpen,
    #[error("after an even share, the rest is split evenly too")]
    ItemsAfterEven,
    #[error("a bill is split among 2 to 20 diners")]
    Parts,
    #[error("the shares paid add up to more than the bill")]
    Overpaid,
}

/// Most diners a bill is split among.
pub const MAX_PARTS: u32 = 20;

impl Tab {
    /// Shares that count: committed, or held while their charge is resolved (they may have
    /// been paid, so they are never asked for again).
    fn counted_shares(&self) -> impl Iterator<Item = &Order> {
        self.shares.iter().filter(|o| o.state.is_committed() || o.state.needs_payment_recovery())
    }

    /// A share's charge is being resolved: no further share is taken until it is.
    pub fn share_pending(&self) -> bool {
        self.shares.iter().any(|o| o.state.needs_payment_recovery())
    }

    /// The whole bill: every standing round.
    pub fn whole(&self) -> Money {
        self.standing().map(Order::total).fold(Money::ZERO, |a, b| a.checked_add(b).unwrap_or(a))
    }

    /// Paid by shares so far (or being resolved).
    pub fn paid_by_shares(&self) -> Money {
        self.counted_shares().map(Order::total).fold(Money::ZERO, |a, b| a.checked_add(b).unwrap_or(a))
    }

    /// What is still owed: the bill less the shares. Never below zero.
    pub fn owed(&self) -> Money {
        let owed = Money(self.whole().0 - self.paid_by_shares().0);
        if owed > Money::ZERO { owed } else { Money::ZERO }
    }

    /// The bill's lines no share has paid for by item, with their place in the bill.
    pub fn open_lines(&self) -> Vec<(LineRef, &PricedLine)> {
        let paid: Vec<LineRef> = self
            .counted_shares()
            .filter_map(|o| match &o.kind {
                OrderKind::TableBill { share: Some(s), .. } => Some(s.lines.iter().copied()),
                _ => None,
            })
            .flatten()
            .collect();
        self.standing()
            .flat_map(|o| {
                o.lines.iter().enumerate().map(|(i, l)| (LineRef { round: o.id, line: i as u32 }, l))
            })
            .filter(|(r, _)| !paid.contains(r))
            .collect()
    }

    /// Some share was paid as an amount (not by items).
    fn even_share_paid(&self) -> bool {
        self.counted_shares()
            .any(|o| matches!(&o.kind, OrderKind::TableBill { share: Some(s), .. } if s.lines.is_empty()))
    }

    /// The order of the next share, `how` it is chosen, to be charged like any order.
    pub fn share_order(&self, id: OrderId, how: Split, created_at_ms: i64) -> Result<Order, OrderError> {
        let first = self.standing().next().ok_or(SplitError::NothingOwed)?;
        if self.share_pending() {
            return Err(SplitError::SharePending.into());
        }
        let owed = self.owed();
        if owed == Money::ZERO {
            return Err(SplitError::NothingOwed.into());
        }
        let part = self.counted_shares().count() as u32 + 1;
        let by_lines = |refs: Vec<LineRef>| -> Result<(Vec<LineRef>, Vec<PricedLine>), SplitError> {
            let open = self.open_lines();
            let mut lines = Vec::new();
            for r in &refs {
                let (_, line) = open.iter().find(|(o, _)| o == r).ok_or(SplitError::LineNotOpen)?;
                lines.push((*line).clone());
            }
            Ok((refs, lines))
        };
        let (refs, lines) = match how {
            Split::Items(refs) if refs.is_empty() => return Err(SplitError::NoItems.into()),
            Split::Items(_) if self.even_share_paid() => return Err(SplitError::ItemsAfterEven.into()),
            Split::Items(mut refs) => {
                refs.sort();
                refs.dedup();
                by_lines(refs)?
            }
            Split::Even { parts } if !(1..=MAX_PARTS).contains(&parts) => {
                return Err(SplitError::Parts.into());
            }
            Split::Even { parts } => {
                // Rounded up, so the last diner never pays more than the others.
                let amount = Money((owed.0 + i64::from(parts) - 1) / i64::from(parts));
                (Vec::new(), vec![share_line(&self.table.0, part, amount)])
            }
            Split::Rest if !self.even_share_paid() => {
                let refs = self.open_lines().into_iter().map(|(r, _)| r).collect();
                by_lines(refs)?
            }
            Split::Rest => (Vec::new(), vec![share_line(&self.table.0, part, owed)]),
        };
        let totals = Totals::of(&lines, first.vat_rate)?;
        if totals.total() > owed {
            return Err(SplitError::Overpaid.into());
        }
        let last = totals.total() == owed;
        let share = BillShare { part, lines: refs, whole: self.whole(), last };
        self.table_bill(id, Some(share), lines, created_at_ms)
    }

    /// A share was paid (committed), or is held while its charge is resolved.
    pub fn add_share(&mut self, share: Order) {
        self.shares.retain(|s| s.id != share.id);
        self.shares.push(share);
    }
}

/// An even share's one line: an amount of the table's bill.
fn share_line(table: &str, part: u32, amount: Money) -> PricedLine {
    PricedLine {
        selection: Selection::of(SHARE_ITEM, 1),
        name: Text::new(
            &format!("테이블 {table} 나누어 계산 {part}"),
            &format!("Table {table} bill, share {part}"),
        ),
        base_price: amount,
        parts: Vec::new(),
        unit_price: amount,
        quantity: 1,
        line_total: amount,
    }
}
