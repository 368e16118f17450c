//! Money in integer minor units, and the VAT split of VAT-inclusive prices.
//!
//! Prices are stored as `i64` minor units of one [`Currency`] (won have no minor unit, so
//! `Money(1500)` in KRW is ₩1,500; in USD it is $15.00). All arithmetic is checked: an
//! overflow is an error, never a wrap.
//!
//! # VAT rounding rule
//! Menu prices include VAT. A receipt shows the total split into supply value and VAT:
//!
//! ```text
//! VAT          = floor(total × rate / (1 + rate))   in minor units (Korea: floor(total / 11))
//! supply value = total − VAT
//! ```
//!
//! The VAT is truncated below the smallest unit (원 미만 절사), which is how Korean POS
//! systems print it, and the supply value is derived by subtraction, so
//! `supply + VAT == total` holds exactly for every total. The split is made once, over the
//! order total, never per line, so line roundings cannot add up to a different VAT.

use std::fmt;
use std::ops::Neg;

use serde::{Deserialize, Serialize};

/// A currency and the number of decimal places of its minor unit (ISO 4217).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "UPPERCASE")]
pub enum Currency {
    /// Korean won; no minor unit in use.
    #[default]
    Krw,
    /// Japanese yen; no minor unit.
    Jpy,
    /// US dollar; cents.
    Usd,
    /// Euro; cents.
    Eur,
    /// Chinese yuan; fen.
    Cny,
}

impl Currency {
    /// Decimal places of the minor unit.
    pub const fn exponent(self) -> u32 {
        match self {
            Currency::Krw | Currency::Jpy => 0,
            Currency::Usd | Currency::Eur | Currency::Cny => 2,
        }
    }

    /// ISO 4217 code.
    pub const fn code(self) -> &'static str {
        match self {
            Currency::Krw => "KRW",
            Currency::Jpy => "JPY",
            Currency::Usd => "USD",
            Currency::Eur => "EUR",
            Currency::Cny => "CNY",
        }
    }

    /// Parses an ISO 4217 code (case-insensitive).
    pub fn from_code(code: &str) -> Option<Currency> {
        [Currency::Krw, Currency::Jpy, Currency::Usd, Currency::Eur, Currency::Cny]
            .into_iter()
            .find(|c| c.code().eq_ignore_ascii_case(code))
    }

    /// The VAT rate that applies by default, in basis points (Korea: 10 %).
    pub const fn default_vat_rate(self) -> VatRate {
        match self {
            Currency::Krw => VatRate::KOREA,
            Currency::Jpy => VatRate::from_basis_points(1000),
            Currency::Usd => VatRate::ZERO,
            Currency::Eur => VatRate::from_basis_points(1900),
            Currency::Cny => VatRate::from_basis_points(600),
        }
    }
}

/// An amount in minor units. The currency is carried by the menu or order it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Money(pub i64);

/// Arithmetic on money left the range of `i64` minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("amount out of range")]
pub struct Overflow;

impl Money {
    pub const ZERO: Money = Money(0);

    pub const fn minor(self) -> i64 {
        self.0
    }

    pub fn checked_add(self, other: Money) -> Result<Money, Overflow> {
        self.0.checked_add(other.0).map(Money).ok_or(Overflow)
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, Overflow> {
        self.0.checked_sub(other.0).map(Money).ok_or(Overflow)
    }

    pub fn checked_mul(self, factor: u32) -> Result<Money, Overflow> {
        self.0.checked_mul(i64::from(factor)).map(Money).ok_or(Overflow)
    }

    /// Sums amounts, failing on overflow.
    pub fn sum<I: IntoIterator<Item = Money>>(amounts: I) -> Result<Money, Overflow> {
        amounts.into_iter().try_fold(Money::ZERO, Money::checked_add)
    }

    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// Splits a VAT-inclusive total; see the module documentation for the rounding rule.
    pub fn vat_split(self, rate: VatRate) -> VatSplit {
        let total = i128::from(self.0);
        let bp = i128::from(rate.0);
        // floor division: for negative totals (refunds) the VAT is rounded towards -inf,
        // which mirrors the positive case exactly (split(-x) == -split(x) is not required;
        // supply + vat == total is).
        let vat = (total * bp).div_euclid(10_000 + bp);
        // |vat| <= |total|, so it fits in i64.
        let vat = Money(vat as i64);
        VatSplit { total: self, vat, supply: Money(self.0 - vat.0) }
    }

    /// Formats the amount for a person, e.g. `₩12,000` / `12,000원` / `$15.00`.
    pub fn display(self, currency: Currency, style: MoneyStyle) -> String {
        let exp = currency.exponent();
        let abs = self.0.unsigned_abs();
        let unit = 10u64.pow(exp);
        let whole = group_thousands(abs / unit);
        let number =
            if exp == 0 { whole } else { format!("{whole}.{:0width$}", abs % unit, width = exp as usize) };
        let sign = if self.0 < 0 { "-" } else { "" };
        match (currency, style) {
            (Currency::Krw, MoneyStyle::Korean) => format!("{sign}{number}원"),
            (Currency::Krw, MoneyStyle::Symbol) => format!("{sign}₩{number}"),
            (Currency::Jpy, _) => format!("{sign}¥{number}"),
            (Currency::Usd, _) => format!("{sign}${number}"),
            (Currency::Eur, _) => format!("{sign}€{number}"),
            (Currency::Cny, _) => format!("{sign}CN¥{number}"),
            (_, MoneyStyle::Plain) => format!("{sign}{number}"),
        }
    }
}

impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(-self.0)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// How [`Money::display`] writes the currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoneyStyle {
    /// `12,000원` for won; the symbol for other currencies.
    Korean,
    /// `₩12,000`, `$15.00`.
    Symbol,
    /// `12,000` for won; the symbol for other currencies.
    Plain,
}

fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// A VAT rate in basis points (1000 = 10 %).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct VatRate(u16);

impl VatRate {
    pub const ZERO: VatRate = VatRate(0);
    /// Korean standard VAT, 10 %.
    pub const KOREA: VatRate = VatRate(1000);

    pub const fn from_basis_points(bp: u16) -> VatRate {
        VatRate(bp)
    }

    pub const fn basis_points(self) -> u16 {
        self.0
    }
}

/// A VAT-inclusive total split into supply value and VAT. `supply + vat == total` always.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VatSplit {
    pub total: Money,
    pub supply: Money,
    pub vat: Money,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn korean_vat_is_one_eleventh_truncated() {
        let s = Money(10_000).vat_split(VatRate::KOREA);
        assert_eq!((s.supply, s.vat), (Money(9_091), Money(909)));
        let s = Money(5_500).vat_split(VatRate::KOREA);
        assert_eq!((s.supply, s.vat), (Money(5_000), Money(500)));
        let s = Money(10).vat_split(VatRate::KOREA);
        assert_eq!((s.supply, s.vat), (Money(10), Money(0)));
        let s = Money(0).vat_split(VatRate::KOREA);
        assert_eq!((s.supply, s.vat), (Money(0), Money(0)));
    }

    #[test]
    fn vat_split_of_extreme_totals_does_not_overflow() {
        for total in [i64::MAX, i64::MIN, i64::MAX - 1, -1] {
            let s = Money(total).vat_split(VatRate::from_basis_points(u16::MAX));
            assert_eq!(s.supply.0 as i128 + s.vat.0 as i128, total as i128);
        }
    }

    #[test]
    fn display_uses_the_minor_unit() {
        assert_eq!(Money(12_000).display(Currency::Krw, MoneyStyle::Korean), "12,000원");
        assert_eq!(Money(12_000).display(Currency::Krw, MoneyStyle::Symbol), "₩12,000");
        assert_eq!(Money(1_234_567).display(Currency::Krw, MoneyStyle::Plain), "1,234,567");
        assert_eq!(Money(1_505).display(Currency::Usd, MoneyStyle::Symbol), "$15.05");
        assert_eq!(Money(-5).display(Currency::Eur, MoneyStyle::Symbol), "-€0.05");
        assert_eq!(Money(999).display(Currency::Krw, MoneyStyle::Plain), "999");
    }

    #[test]
    fn checked_arithmetic_reports_overflow() {
        assert_eq!(Money(i64::MAX).checked_add(Money(1)), Err(Overflow));
        assert_eq!(Money(i64::MAX / 2 + 1).checked_mul(2), Err(Overflow));
        assert_eq!(Money(3).checked_mul(4), Ok(Money(12)));
        assert_eq!(Money::sum([Money(1), Money(2)]), Ok(Money(3)));
    }

    #[test]
    fn subtraction_negation_and_sign() {
        assert_eq!(Money(5).checked_sub(Money(7)), Ok(Money(-2)));
        assert_eq!(Money(i64::MIN).checked_sub(Money(1)), Err(Overflow));
        assert_eq!(-Money(250), Money(-250));
        assert_eq!(Money(-250).minor(), -250);
        assert!(Money(-1).is_negative());
        assert!(!Money::ZERO.is_negative(), "zero is not negative (a free item is no refund)");
        assert_eq!(Money::ZERO.display(Currency::Krw, MoneyStyle::Korean), "0원");
        assert_eq!(Money(-1_000).display(Currency::Krw, MoneyStyle::Korean), "-1,000원");
        assert_eq!(VatRate::KOREA.basis_points(), 1000);
        assert_eq!(VatRate::from_basis_points(700).basis_points(), 700);
    }

    #[test]
    fn currency_codes_round_trip() {
        for c in [Currency::Krw, Currency::Jpy, Currency::Usd, Currency::Eur, Currency::Cny] {
            assert_eq!(Currency::from_code(&c.code().to_lowercase()), Some(c));
        }
        assert_eq!(Currency::from_code("XXX"), None);
    }
}
