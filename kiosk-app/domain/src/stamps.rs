//! Stamps (적립): a customer gives their mobile number at the kiosk, each qualifying item
//! earns a stamp, and `per_reward` stamps buy the reward item free.
//!
//! The number never stays on the device: the store server turns it into a card id (a salted
//! hash only the server can make) and the order carries the card id. The server counts the
//! stamps as the order arrives, in the transaction that takes it, so a re-sent order earns
//! nothing twice.

use serde::{Deserialize, Serialize};

use crate::cart::PricedLine;
use crate::menu::{CategoryId, ItemId, Menu};
use crate::money::Money;

/// The store's stamp programme, in its menu.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StampProgram {
    /// Stamps a reward costs (2 to 100).
    pub per_reward: u32,
    /// The item a reward makes free (its price before options).
    pub reward: ItemId,
    /// Items of these categories earn a stamp each; empty: every item.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<CategoryId>,
}

/// A stamp card on an order: which card earns, and the reward taken on it, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StampUse {
    /// The store server's id of the customer's card (never the number).
    pub card: String,
    /// The reward taken: what it took off (the reward item's price before options).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reward: Option<Money>,
}

/// Why a number is not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("a mobile number has 10 or 11 digits and starts with 01")]
    WrongLength,
}

/// A mobile number as the store hashes it: its digits only, 10 or 11 of them, starting 01
/// (010-1234-5678, 011-123-4567).
pub fn normalize_phone(typed: &str) -> Result<String, PhoneError> {
    let digits: String = typed.chars().filter(|c| !matches!(c, '-' | ' ')).collect();
    let ok = (10..=11).contains(&digits.len())
        && digits.starts_with("01")
        && digits.chars().all(|c| c.is_ascii_digit());
    if ok { Ok(digits) } else { Err(PhoneError::WrongLength) }
}

impl StampProgram {
    /// The stamps `lines` earn: one per qualifying item, less the one a reward made free.
    pub fn earned(&self, menu: &Menu, lines: &[PricedLine], rewarded: bool) -> u32 {
        let qualifies = |item: &ItemId| {
            menu.item(item)
                .is_some_and(|i| self.categories.is_empty() || self.categories.contains(&i.category))
        };
        let count: u32 = lines.iter().filter(|l| qualifies(&l.selection.item)).map(|l| l.quantity).sum();
        let free = u32::from(rewarded && qualifies(&self.reward));
        count.saturating_sub(free)
    }

    /// What a reward takes off `lines`: the reward item's price before options, when the
    /// cart has it (`None` otherwise).
    pub fn reward_value(&self, lines: &[PricedLine]) -> Option<Money> {
        lines.iter().filter(|l| l.selection.item == self.reward).map(|l| l.base_price).min()
    }

    /// Problems with the programme against its menu, each with its path.
    pub fn problems(&self, menu: &Menu) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if !(2..=100).contains(&self.per_reward) {
            out.push(("stamps.per_reward".into(), "a reward costs 2 to 100 stamps".into()));
        }
        if menu.item(&self.reward).is_none() {
            out.push(("stamps.reward".into(), format!("unknown item \"{}\"", self.reward)));
        }
        for (k, c) in self.categories.iter().enumerate() {
            if !menu.categories.iter().any(|m| &m.id == c) {
                out.push((format!("stamps.categories[{k}]"), format!("unknown category \"{c}\"")));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobile_numbers_are_taken_as_digits_and_wrong_lengths_refused() {
        assert_eq!(normalize_phone("010-1234-5678"), Ok("01012345678".into()));
        assert_eq!(normalize_phone("0111234567"), Ok("0111234567".into()));
        for bad in ["010123456", "010123456789", "02-123-4567", "010-1234-567a", ""] {
            assert_eq!(normalize_phone(bad), Err(PhoneError::WrongLength), "{bad:?}");
        }
    }
}
