//! Splitting the table's bill on the tablet (더치페이): evenly among the diners still to pay,
//! or by the items each had; each share paid by its own card or barcode through the usual
//! checkout, until the bill is paid. The arithmetic and the rules are the domain's
//! (`kiosk_domain::split`); this is the page's state.

use kiosk_domain::{Lang, LineRef, Order, OrderError, OrderId, Split, SplitError};

use crate::flow::Flow;
use crate::messages::Now;
use crate::stage::Stage;

/// The split page's choices.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SplitChoice {
    /// By items; otherwise evenly.
    pub by_items: bool,
    /// Evenly: among how many diners (those who paid a share already included); 0 until
    /// the page first comes up.
    pub diners: u32,
    /// By items: the bill's lines chosen for this share.
    pub chosen: Vec<LineRef>,
}

impl Flow {
    /// "Split the bill" on the bill page.
    pub(crate) fn show_split(&mut self) {
        let Some(tab) = self.tab.as_ref().filter(|t| t.owes()) else { return };
        if self.stage != Stage::Bill {
            return;
        }
        // Evenly among the table's guests at first (also after a restart between shares);
        // later as chosen; never fewer than those who paid already and one more.
        let paid = tab.shares.len() as u32;
        if self.split.diners == 0 {
            self.split.diners = u32::from(tab.guests).clamp(2, kiosk_domain::split::MAX_PARTS);
        }
        self.split.diners = self.split.diners.max(paid + 1);
        self.stage = Stage::Split;
    }

    pub(crate) fn split_by_items(&mut self, by_items: bool) {
        if self.stage == Stage::Split {
            self.split.by_items = by_items;
        }
    }

    pub(crate) fn step_split_diners(&mut self, step: i8) {
        if self.stage != Stage::Split {
            return;
        }
        let paid = self.tab.as_ref().map_or(0, |t| t.shares.len() as u32);
        let min = (paid + 1).max(2);
        let next = i64::from(self.split.diners) + i64::from(step.signum());
        self.split.diners = next.clamp(i64::from(min), i64::from(kiosk_domain::split::MAX_PARTS)) as u32;
    }

    /// Chooses or unchooses the `index`th of the bill's open lines for this share.
    pub(crate) fn toggle_share_line(&mut self, index: usize) {
        if self.stage != Stage::Split {
            return;
        }
        let Some(line) = self.tab.as_ref().and_then(|t| t.open_lines().get(index).map(|(r, _)| *r)) else {
            return;
        };
        if let Some(at) = self.split.chosen.iter().position(|r| *r == line) {
            self.split.chosen.remove(at);
        } else {
            self.split.chosen.push(line);
        }
    }

    /// The next share as chosen on the split page, as order `id`, not yet charged.
    pub(crate) fn next_share(&self, id: OrderId, now: Now) -> Result<Order, OrderError> {
        let tab = self.tab.as_ref().ok_or(SplitError::NothingOwed)?;
        let how = if self.split.by_items {
            Split::Items(self.split.chosen.clone())
        } else {
            let paid = tab.shares.len() as u32;
            Split::Even { parts: self.split.diners.saturating_sub(paid).max(1) }
        };
        tab.share_order(id, how, now.wall_ms)
    }

    /// The next share as the split page shows it (its amount, whether it can be paid),
    /// before it is an order of its own.
    pub(crate) fn preview_share(&self) -> Result<Order, OrderError> {
        self.next_share(OrderId(uuid::Uuid::nil()), Now { mono_ms: 0, wall_ms: 0, local: None })
    }

    /// The split is over (the bill is paid, or a new tab begins).
    pub(crate) fn end_split(&mut self) {
        self.split = SplitChoice::default();
    }

    /// After a share is paid: the lines it paid are no longer open.
    pub(crate) fn share_paid(&mut self) {
        self.split.chosen.clear();
    }

    /// Keeps only the chosen lines that are still open (the tab changed under the page).
    pub(crate) fn keep_open_share_lines(&mut self) {
        let open: Vec<LineRef> = self
            .tab
            .as_ref()
            .map(|t| t.open_lines().into_iter().map(|(r, _)| r).collect())
            .unwrap_or_default();
        self.split.chosen.retain(|r| open.contains(r));
    }

    /// The bill's lines still open, with whether this share has them.
    pub fn split_lines(&self) -> Vec<(bool, &kiosk_domain::PricedLine)> {
        let Some(tab) = self.tab.as_ref() else { return Vec::new() };
        tab.open_lines().into_iter().map(|(r, l)| (self.split.chosen.contains(&r), l)).collect()
    }

    pub fn split_choice(&self) -> &SplitChoice {
        &self.split
    }
}

/// A split's problem, for the diner.
pub(crate) fn problem(e: &OrderError, lang: Lang) -> &'static str {
    use crate::words::tr;
    match e {
        OrderError::Split(SplitError::NoItems) => tr(lang, "Choose the items this share pays for"),
        OrderError::Split(SplitError::SharePending) => {
            tr(lang, "A share of the bill is being checked. Staff will help you shortly.")
        }
        OrderError::Split(SplitError::ItemsAfterEven) => {
            tr(lang, "Part of the bill was paid as an amount: split the rest evenly")
        }
        _ => tr(lang, "This share cannot be paid. Please ask staff."),
    }
}
