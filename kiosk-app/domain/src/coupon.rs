//! Coupons: a code the store server issued, worth an amount or a percentage off an order of at
//! least a minimum, used once.
//!
//! The store server keeps the coupons and decides whether one may be used; both sides compute
//! the discount with [`CouponTerms::discount`] from the same terms and the order's sum of
//! lines, so the device shows, charges and prints the discount the server will accept.

use serde::{Deserialize, Serialize};

use crate::money::{Money, Overflow};

/// The longest code a coupon may have.
pub const COUPON_CODE_MAX: usize = 20;

/// What a coupon takes off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CouponValue {
    /// This much off (never more than the order).
    Amount(Money),
    /// This percentage of the order off, rounded down to the minor unit (1 to 100).
    Percent(u8),
}

/// The terms of a coupon, as the store server issued it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponTerms {
    pub value: CouponValue,
    /// The sum of the order's lines must be at least this.
    #[serde(default)]
    pub min_order: Money,
}

/// Why a coupon does not apply, in terms both sides share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CouponError {
    #[error("a coupon code has 3 to {COUPON_CODE_MAX} letters, digits or dashes")]
    MalformedCode,
    #[error("the order is below the coupon's minimum of {minimum:?}")]
    BelowMinimum { minimum: Money },
    #[error("the coupon's terms are out of range")]
    BadTerms,
    #[error(transparent)]
    Overflow(#[from] Overflow),
}

impl CouponTerms {
    /// The terms are ones a store can issue: a positive amount, or 1 to 100 percent, and a
    /// minimum that is not negative.
    pub fn check(&self) -> Result<(), CouponError> {
        let value_ok = match self.value {
            CouponValue::Amount(a) => a.0 > 0,
            CouponValue::Percent(p) => (1..=100).contains(&p),
        };
        if !value_ok || self.min_order.is_negative() {
            return Err(CouponError::BadTerms);
        }
        Ok(())
    }

    /// The discount on an order whose lines add up to `subtotal`.
    pub fn discount(&self, subtotal: Money) -> Result<Money, CouponError> {
        self.check()?;
        if subtotal < self.min_order || subtotal.0 <= 0 {
            return Err(CouponError::BelowMinimum { minimum: self.min_order });
        }
        let off = match self.value {
            CouponValue::Amount(a) => a.min(subtotal),
            CouponValue::Percent(p) => {
                let off = i128::from(subtotal.0) * i128::from(p) / 100;
                Money(i64::try_from(off).map_err(|_| Overflow)?)
            }
        };
        Ok(off)
    }
}

/// A code as the store keeps it: trimmed, upper case, letters (A–Z), digits and dashes.
/// Codes are typed by customers and read off paper, so case does not matter.
pub fn normalize_code(code: &str) -> Result<String, CouponError> {
    let code = code.trim().to_ascii_uppercase();
    let fits = (3..=COUPON_CODE_MAX).contains(&code.len())
        && code.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-');
    if fits { Ok(code) } else { Err(CouponError::MalformedCode) }
}

/// Why the store server will not take a coupon (each its own error code on the kiosk link).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "snake_case")]
pub enum CouponRefusal {
    #[error("no coupon has this code")]
    Unknown,
    #[error("the coupon has expired")]
    Expired,
    #[error("the coupon is not valid yet")]
    NotYetValid,
    #[error("the coupon has been used")]
    Used,
    #[error("the order is below the coupon's minimum of {minimum:?}")]
    BelowMinimum { minimum: Money },
}

/// A coupon on a cart or an order: its code and terms. The order's discount is computed from
/// them ([`crate::Totals`]`::discount`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coupon {
    pub code: String,
    pub terms: CouponTerms,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(value: CouponValue, min: i64) -> CouponTerms {
        CouponTerms { value, min_order: Money(min) }
    }

    #[test]
    fn an_amount_is_taken_off_up_to_the_order_and_a_percentage_rounds_down() {
        let amount = terms(CouponValue::Amount(Money(2_000)), 0);
        assert_eq!(amount.discount(Money(9_500)), Ok(Money(2_000)));
        assert_eq!(amount.discount(Money(1_500)), Ok(Money(1_500)), "never more than the order");
        let percent = terms(CouponValue::Percent(10), 10_000);
        assert_eq!(percent.discount(Money(12_345)), Ok(Money(1_234)));
        assert_eq!(percent.discount(Money(9_999)), Err(CouponError::BelowMinimum { minimum: Money(10_000) }));
        assert_eq!(terms(CouponValue::Percent(100), 0).discount(Money(4_500)), Ok(Money(4_500)));
    }

    #[test]
    fn terms_out_of_range_and_malformed_codes_are_refused() {
        for bad in [
            terms(CouponValue::Percent(0), 0),
            terms(CouponValue::Percent(101), 0),
            terms(CouponValue::Amount(Money(0)), 0),
            terms(CouponValue::Amount(Money(100)), -1),
        ] {
            assert_eq!(bad.discount(Money(10_000)), Err(CouponError::BadTerms), "{bad:?}");
        }
        assert_eq!(normalize_code("  welcome-10 "), Ok("WELCOME-10".into()));
        for bad in ["AB", "WELCOME 10", "쿠폰123", &"X".repeat(COUPON_CODE_MAX + 1)] {
            assert_eq!(normalize_code(bad), Err(CouponError::MalformedCode), "{bad:?}");
        }
    }
}
