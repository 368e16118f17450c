//! What the customer picks, how it is priced, and the cart that holds it.
//!
//! A [`Selection`] is checked against the [`Menu`] and priced into a [`PricedLine`], which
//! keeps a snapshot of names and amounts: a receipt shows what was sold even after the menu
//! changes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::coupon::{Coupon, CouponError};
use crate::menu::{GroupId, Item, ItemId, Menu, OptionGroup, OptionId, StepId};
use crate::money::{Money, Overflow, VatRate, VatSplit};
use crate::note::{Note, NoteError};
use crate::schedule::LocalTime;
use crate::text::Text;

/// Options picked per group; a picked option may carry picks for its nested groups.
pub type Choices = BTreeMap<GroupId, Vec<Pick>>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pick {
    pub option: OptionId,
    /// Picks in the groups this option opens; plain ids, since nesting is one level deep.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub nested: BTreeMap<GroupId, Vec<OptionId>>,
}

impl Pick {
    pub fn plain(option: &str) -> Pick {
        Pick { option: option.into(), nested: BTreeMap::new() }
    }
}

/// One cart line as the customer chose it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selection {
    pub item: ItemId,
    #[serde(default)]
    pub options: Choices,
    /// For a set: the item picked at each step.
    #[serde(default)]
    pub set_choices: BTreeMap<StepId, ItemId>,
    pub quantity: u32,
    /// The customer's requests for this line (요청사항). Named `requests` on the wire: an
    /// older server that knows no requests takes the order without them.
    #[serde(default, rename = "requests", skip_serializing_if = "Option::is_none")]
    pub note: Option<Note>,
}

impl Selection {
    pub fn of(item: &str, quantity: u32) -> Selection {
        Selection {
            item: item.into(),
            options: Choices::new(),
            set_choices: BTreeMap::new(),
            quantity,
            note: None,
        }
    }
}

/// A priced part of a line: a set component or an option, with its price delta.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinePart {
    pub name: Text,
    pub delta: Money,
    /// Depth for display: 0 for a set component or option, 1 for a nested option.
    pub depth: u8,
}

/// A selection, checked and priced, with a snapshot of its names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PricedLine {
    pub selection: Selection,
    pub name: Text,
    pub base_price: Money,
    pub parts: Vec<LinePart>,
    /// Base price plus every part's delta.
    pub unit_price: Money,
    pub quantity: u32,
    /// `unit_price × quantity`.
    pub line_total: Money,
}

/// Why a selection or cart change was refused. Each reads as a message for the customer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CartError {
    #[error("item \"{0}\" is not on the menu")]
    UnknownItem(ItemId),
    #[error("\"{0}\" is sold out")]
    SoldOut(String),
    #[error("\"{0}\" is not available at this time of day")]
    NotAvailableNow(String),
    #[error("option group \"{0}\" is not offered here")]
    UnknownGroup(GroupId),
    #[error("option \"{option}\" is not in group \"{group}\"")]
    UnknownOption { group: GroupId, option: OptionId },
    #[error("option \"{0}\" was picked twice")]
    DuplicateOption(OptionId),
    #[error("choose at least {min} in \"{group}\" ({got} chosen)")]
    TooFewChoices { group: String, min: u32, got: u32 },
    #[error("choose at most {max} in \"{group}\" ({got} chosen)")]
    TooManyChoices { group: String, max: u32, got: u32 },
    #[error("\"{0}\" is not a set menu")]
    NotASet(ItemId),
    #[error("choose one for \"{0}\"")]
    MissingSetChoice(String),
    #[error("\"{item}\" is not a choice for \"{step}\"")]
    UnknownSetChoice { step: StepId, item: ItemId },
    #[error("quantity must be at least 1")]
    ZeroQuantity,
    #[error("at most {limit} of \"{name}\" per order")]
    QuantityLimit { name: String, limit: u32 },
    #[error("the cart is full ({limit} lines)")]
    CartFull { limit: usize },
    #[error("the price of \"{0}\" would be negative")]
    NegativePrice(String),
    #[error("the amount is too large")]
    Overflow,
    #[error("no line {0} in the cart")]
    NoSuchLine(usize),
    #[error(transparent)]
    Note(#[from] NoteError),
}

impl From<Overflow> for CartError {
    fn from(_: Overflow) -> Self {
        CartError::Overflow
    }
}

impl Menu {
    /// Checks `sel` against the menu and prices it. `at` is the store's local time, or
    /// `None` to skip time-of-day checks (e.g. when re-pricing a recovered order).
    pub fn price(&self, sel: &Selection, at: Option<LocalTime>) -> Result<PricedLine, CartError> {
        if sel.quantity == 0 {
            return Err(CartError::ZeroQuantity);
        }
        if let Some(note) = &sel.note {
            note.check()?;
        }
        let item = self.item(&sel.item).ok_or_else(|| CartError::UnknownItem(sel.item.clone()))?;
        self.check_on_sale(item, at)?;
        let mut parts = Vec::new();

        match &item.set {
            Some(set) => {
                for step in &set.steps {
                    let chosen = sel.set_choices.get(&step.id).ok_or_else(|| {
                        CartError::MissingSetChoice(step.name.get(crate::Lang::En).to_owned())
                    })?;
                    let choice = step.choices.iter().find(|c| &c.item == chosen).ok_or_else(|| {
                        CartError::UnknownSetChoice { step: step.id.clone(), item: chosen.clone() }
                    })?;
                    let component =
                        self.item(&choice.item).ok_or_else(|| CartError::UnknownItem(choice.item.clone()))?;
                    if component.sold_out {
                        return Err(CartError::SoldOut(english(&component.name)));
                    }
                    parts.push(LinePart {
                        name: component.name.clone(),
                        delta: choice.price_delta,
                        depth: 0,
                    });
                }
                if let Some(extra) = sel.set_choices.keys().find(|k| !set.steps.iter().any(|s| &s.id == *k)) {
                    return Err(CartError::UnknownSetChoice {
                        step: extra.clone(),
                        item: sel.set_choices[extra].clone(),
                    });
                }
            }
            None if !sel.set_choices.is_empty() => return Err(CartError::NotASet(item.id.clone())),
            None => {}
        }

        self.price_groups(&item.option_groups, &sel.options, &mut parts)?;

        let unit_price = Money::sum(std::iter::once(item.price).chain(parts.iter().map(|p| p.delta)))?;
        if unit_price.is_negative() {
            return Err(CartError::NegativePrice(english(&item.name)));
        }
        if let Some(limit) = item.max_per_order
            && sel.quantity > limit
        {
            return Err(CartError::QuantityLimit { name: english(&item.name), limit });
        }
        Ok(PricedLine {
            selection: sel.clone(),
            name: item.name.clone(),
            base_price: item.price,
            parts,
            unit_price,
            quantity: sel.quantity,
            line_total: unit_price.checked_mul(sel.quantity)?,
        })
    }

    fn check_on_sale(&self, item: &Item, at: Option<LocalTime>) -> Result<(), CartError> {
        if item.sold_out {
            return Err(CartError::SoldOut(english(&item.name)));
        }
        if at.is_some_and(|at| !self.is_available(item, at)) {
            return Err(CartError::NotAvailableNow(english(&item.name)));
        }
        Ok(())
    }

    /// Checks and prices the picks for `offered` groups (top level), with their nested picks.
    fn price_groups(
        &self,
        offered: &[GroupId],
        picks: &Choices,
        parts: &mut Vec<LinePart>,
    ) -> Result<(), CartError> {
        if let Some(unknown) = picks.keys().find(|g| !offered.contains(g)) {
            return Err(CartError::UnknownGroup(unknown.clone()));
        }
        for gid in offered {
            let group = self.group(gid).ok_or_else(|| CartError::UnknownGroup(gid.clone()))?;
            let chosen = picks.get(gid).map(Vec::as_slice).unwrap_or_default();
            let ids: Vec<&OptionId> = chosen.iter().map(|p| &p.option).collect();
            for option in check_group(group, &ids)? {
                parts.push(LinePart { name: option.name.clone(), delta: option.price_delta, depth: 0 });
                let pick = chosen.iter().find(|p| p.option == option.id).expect("checked above");
                if let Some(unknown) = pick.nested.keys().find(|g| !option.option_groups.contains(g)) {
                    return Err(CartError::UnknownGroup(unknown.clone()));
                }
                for nested_id in &option.option_groups {
                    let nested =
                        self.group(nested_id).ok_or_else(|| CartError::UnknownGroup(nested_id.clone()))?;
                    let ids: Vec<&OptionId> = pick.nested.get(nested_id).into_iter().flatten().collect();
                    for n in check_group(nested, &ids)? {
                        parts.push(LinePart { name: n.name.clone(), delta: n.price_delta, depth: 1 });
                    }
                }
            }
        }
        Ok(())
    }
}

/// Checks picked ids against one group's limits; returns the picked options in pick order.
fn check_group<'m>(
    group: &'m OptionGroup,
    ids: &[&OptionId],
) -> Result<Vec<&'m crate::menu::MenuOption>, CartError> {
    let got = ids.len() as u32;
    let name = || english(&group.name);
    if got < group.min {
        return Err(CartError::TooFewChoices { group: name(), min: group.min, got });
    }
    if got > group.max {
        return Err(CartError::TooManyChoices { group: name(), max: group.max, got });
    }
    let mut out = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        if ids[..i].contains(id) {
            return Err(CartError::DuplicateOption((*id).clone()));
        }
        let option = group
            .option(id)
            .ok_or_else(|| CartError::UnknownOption { group: group.id.clone(), option: (*id).clone() })?;
        if option.sold_out {
            return Err(CartError::SoldOut(english(&option.name)));
        }
        out.push(option);
    }
    Ok(out)
}

fn english(text: &Text) -> String {
    text.get(crate::Lang::En).to_owned()
}

/// Limits that keep a cart sane; configured per store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartLimits {
    pub max_lines: usize,
    /// Most of one line (and of one item across lines, unless the item sets its own limit).
    pub max_quantity: u32,
}

impl Default for CartLimits {
    fn default() -> Self {
        CartLimits { max_lines: 30, max_quantity: 99 }
    }
}

/// Totals of a cart or order, with the VAT split over the whole total (after any coupon's
/// discount: the VAT is on what the customer pays).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub item_count: u32,
    pub vat: VatSplit,
    /// Taken off the sum of the lines by a coupon; the total is the sum less this.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub discount: Money,
}

fn is_zero(m: &Money) -> bool {
    *m == Money::ZERO
}

impl Totals {
    pub fn of(lines: &[PricedLine], rate: VatRate) -> Result<Totals, Overflow> {
        let total = Money::sum(lines.iter().map(|l| l.line_total))?;
        let item_count = lines.iter().try_fold(0u32, |n, l| n.checked_add(l.quantity)).ok_or(Overflow)?;
        Ok(Totals { item_count, vat: total.vat_split(rate), discount: Money::ZERO })
    }

    /// The totals with `coupon`'s discount taken off the sum of `lines`.
    pub fn with_coupon(
        lines: &[PricedLine],
        coupon: Option<&Coupon>,
        rate: VatRate,
    ) -> Result<Totals, CouponError> {
        Totals::with_discounts(lines, None, coupon, rate)
    }

    /// The totals with a stamp reward (what it takes off) and then `coupon`'s discount on
    /// what is left taken off the sum of `lines`; the VAT is on what is paid.
    pub fn with_discounts(
        lines: &[PricedLine],
        reward: Option<Money>,
        coupon: Option<&Coupon>,
        rate: VatRate,
    ) -> Result<Totals, CouponError> {
        let plain = Totals::of(lines, rate)?;
        let subtotal = plain.total();
        let reward = reward.unwrap_or(Money::ZERO).min(subtotal);
        let after_reward = subtotal.checked_sub(reward)?;
        let off = match coupon {
            Some(coupon) => coupon.terms.discount(after_reward)?,
            None => Money::ZERO,
        };
        let discount = reward.checked_add(off)?;
        Ok(Totals {
            item_count: plain.item_count,
            vat: subtotal.checked_sub(discount)?.vat_split(rate),
            discount,
        })
    }

    /// What the lines add up to, before any discount.
    pub fn subtotal(&self) -> Money {
        Money(self.vat.total.0.saturating_add(self.discount.0))
    }

    pub fn total(&self) -> Money {
        self.vat.total
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Cart {
    pub limits: CartLimits,
    lines: Vec<PricedLine>,
    /// The customer's requests for the order as a whole.
    #[serde(default, rename = "requests", skip_serializing_if = "Option::is_none")]
    note: Option<Note>,
    /// A coupon the store server accepted for this cart; dropped by any change that leaves
    /// the cart below its minimum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    coupon: Option<Coupon>,
    /// The customer's stamp card (the store server's id for it), and the reward item taken
    /// free with its stamps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    stamp_card: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reward: Option<ItemId>,
}

impl Cart {
    pub fn new(limits: CartLimits) -> Cart {
        Cart { limits, lines: Vec::new(), note: None, coupon: None, stamp_card: None, reward: None }
    }

    pub fn lines(&self) -> &[PricedLine] {
        &self.lines
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Prices `sel` and adds it; an identical selection already in the cart gets its
    /// quantity raised instead of a second line. Returns the line's index.
    pub fn add(&mut self, menu: &Menu, sel: Selection, at: Option<LocalTime>) -> Result<usize, CartError> {
        let priced = menu.price(&sel, at)?;
        let same = self.lines.iter().position(|l| {
            let s = &l.selection;
            s.item == sel.item
                && s.options == sel.options
                && s.set_choices == sel.set_choices
                && s.note == sel.note
        });
        match same {
            Some(index) => {
                let quantity =
                    self.lines[index].quantity.checked_add(sel.quantity).ok_or(CartError::Overflow)?;
                self.set_quantity(menu, index, quantity)?;
                Ok(index)
            }
            None => {
                if self.lines.len() >= self.limits.max_lines {
                    return Err(CartError::CartFull { limit: self.limits.max_lines });
                }
                self.check_item_limit(menu, &priced, None)?;
                self.lines.push(priced);
                Ok(self.lines.len() - 1)
            }
        }
    }

    /// Changes a line's quantity (0 is refused: use [`Cart::remove`]).
    pub fn set_quantity(&mut self, menu: &Menu, index: usize, quantity: u32) -> Result<(), CartError> {
        let line = self.lines.get(index).ok_or(CartError::NoSuchLine(index))?;
        let mut sel = line.selection.clone();
        sel.quantity = quantity;
        let priced = menu.price(&sel, None)?;
        self.check_item_limit(menu, &priced, Some(index))?;
        self.lines[index] = priced;
        self.keep_coupon_if_it_fits();
        Ok(())
    }

    pub fn remove(&mut self, index: usize) -> Result<PricedLine, CartError> {
        if index >= self.lines.len() {
            return Err(CartError::NoSuchLine(index));
        }
        let line = self.lines.remove(index);
        self.keep_coupon_if_it_fits();
        Ok(line)
    }

    /// Empties the cart, its note, coupon and stamp card with it.
    pub fn clear(&mut self) {
        self.lines.clear();
        self.note = None;
        self.coupon = None;
        self.stamp_card = None;
        self.reward = None;
    }

    /// The stamp card the order earns on (the store server's id for it), or none.
    pub fn set_stamp_card(&mut self, card: Option<String>) {
        if card.is_none() {
            self.reward = None;
        }
        self.stamp_card = card;
    }

    /// Takes `item` free as a stamp reward (or with `None` gives it back); only with a card
    /// and a line of that item in the cart. Returns whether the reward is taken.
    pub fn take_reward(&mut self, item: Option<ItemId>) -> bool {
        self.reward =
            item.filter(|i| self.stamp_card.is_some() && self.lines.iter().any(|l| &l.selection.item == i));
        self.keep_coupon_if_it_fits();
        self.reward.is_some()
    }

    /// What the reward takes off: the reward item's price before options (its cheapest line).
    fn reward_value(&self) -> Option<Money> {
        let item = self.reward.as_ref()?;
        self.lines.iter().filter(|l| &l.selection.item == item).map(|l| l.base_price).min()
    }

    /// The stamp card and the reward taken, as the order carries them.
    pub fn stamps(&self) -> Option<crate::stamps::StampUse> {
        let card = self.stamp_card.clone()?;
        Some(crate::stamps::StampUse { card, reward: self.reward_value() })
    }

    pub fn coupon(&self) -> Option<&Coupon> {
        self.coupon.as_ref()
    }

    /// Puts a coupon on the cart (or with `None` takes it off); one the cart is below the
    /// minimum of is refused.
    pub fn set_coupon(&mut self, coupon: Option<Coupon>) -> Result<(), CouponError> {
        if let Some(c) = &coupon {
            Totals::with_discounts(&self.lines, self.reward_value(), Some(c), VatRate::from_basis_points(0))?;
        }
        self.coupon = coupon;
        Ok(())
    }

    /// A change to the lines that takes the reward item away gives the reward back; one that
    /// leaves the cart below the coupon's minimum takes the coupon off.
    fn keep_coupon_if_it_fits(&mut self) {
        if self.reward_value().is_none() {
            self.reward = None;
        }
        let reward = self.reward_value();
        if let Some(c) = &self.coupon
            && Totals::with_discounts(&self.lines, reward, Some(c), VatRate::from_basis_points(0)).is_err()
        {
            self.coupon = None;
        }
    }

    pub fn note(&self) -> Option<&Note> {
        self.note.as_ref()
    }

    /// Sets (or with `None` clears) the order's note; a note [`Note::check`] refuses is not kept.
    pub fn set_note(&mut self, note: Option<Note>) -> Result<(), NoteError> {
        if let Some(note) = &note {
            note.check()?;
        }
        self.note = note.filter(|n| !n.is_empty());
        Ok(())
    }

    /// The totals, with the coupon's discount (which the cart keeps within its terms).
    pub fn totals(&self, rate: VatRate) -> Result<Totals, Overflow> {
        Totals::with_discounts(&self.lines, self.reward_value(), self.coupon.as_ref(), rate).or_else(|e| {
            match e {
                CouponError::Overflow(o) => Err(o),
                // Not reached: the cart drops a coupon it no longer meets the terms of.
                _ => Totals::of(&self.lines, rate),
            }
        })
    }

    /// Re-prices every line against a new menu. Lines that can no longer be sold (sold out,
    /// removed, changed options) are taken out and returned with the reason.
    pub fn reprice(&mut self, menu: &Menu, at: Option<LocalTime>) -> Vec<(PricedLine, CartError)> {
        let mut dropped = Vec::new();
        let mut kept = Vec::with_capacity(self.lines.len());
        for line in self.lines.drain(..) {
            match menu.price(&line.selection, at) {
                Ok(p) => kept.push(p),
                Err(e) => dropped.push((line, e)),
            }
        }
        self.lines = kept;
        self.keep_coupon_if_it_fits();
        dropped
    }

    /// The per-item limit: the item's own `max_per_order`, else the cart's `max_quantity`,
    /// counted over every line of that item.
    fn check_item_limit(
        &self,
        menu: &Menu,
        line: &PricedLine,
        replacing: Option<usize>,
    ) -> Result<(), CartError> {
        let item = menu
            .item(&line.selection.item)
            .ok_or_else(|| CartError::UnknownItem(line.selection.item.clone()))?;
        let limit = item.max_per_order.unwrap_or(self.limits.max_quantity).min(self.limits.max_quantity);
        let others: u64 = self
            .lines
            .iter()
            .enumerate()
            .filter(|(i, l)| Some(*i) != replacing && l.selection.item == item.id)
            .map(|(_, l)| u64::from(l.quantity))
            .sum();
        if others + u64::from(line.quantity) > u64::from(limit) {
            return Err(CartError::QuantityLimit { name: english(&item.name), limit });
        }
        Ok(())
    }
}
