//! Coupons: issued by staff, checked and held for an order by devices, used once.
//!
//! A coupon is free, held for one order (the device asked before charging it), or used by
//! one order (which arrived with it). A partial unique index lets at most one hold or use
//! stand per code, so two devices can never both take it; a hold is released by the device
//! when its order ends without being placed (declined, abandoned, cancelled at recovery).

use kiosk_domain::{Coupon, CouponRefusal, CouponTerms, CouponValue, Money, Order, normalize_code};
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};

use kiosk_clock::unix_now_ms;

use super::{DbError, Result, ServerDb, console};

pub(super) const MIGRATION: &str = r#"
CREATE TABLE coupons (
    code           TEXT PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind IN ('amount', 'percent')),
    value          INTEGER NOT NULL,
    min_order      INTEGER NOT NULL DEFAULT 0,
    valid_from     TEXT,
    valid_until    TEXT,
    created_at_ms  INTEGER NOT NULL
);
CREATE TABLE coupon_uses (
    order_id       TEXT PRIMARY KEY,
    code           TEXT NOT NULL REFERENCES coupons(code),
    state          TEXT NOT NULL CHECK (state IN ('held', 'used', 'released')),
    device         TEXT NOT NULL,
    discount       INTEGER NOT NULL,
    at_ms          INTEGER NOT NULL
);
CREATE UNIQUE INDEX coupon_uses_standing ON coupon_uses (code) WHERE state IN ('held', 'used');
"#;

/// A coupon as issued, with where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCoupon {
    pub code: String,
    pub terms: CouponTerms,
    /// First and last business day it may be used on (`YYYY-MM-DD`), inclusive.
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
    pub standing: CouponStanding,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CouponStanding {
    Free,
    /// Held for an order being paid on a device.
    Held {
        order_id: String,
        device: String,
    },
    /// Used by an order: its number.
    Used {
        order_id: String,
        number: Option<u32>,
    },
}

fn terms_of(kind: &str, value: i64, min_order: i64) -> Result<CouponTerms> {
    let value = match kind {
        "amount" => CouponValue::Amount(Money(value)),
        _ => CouponValue::Percent(
            u8::try_from(value).map_err(|_| DbError::Invalid(format!("percent {value}")))?,
        ),
    };
    Ok(CouponTerms { value, min_order: Money(min_order) })
}

fn kind_and_value(terms: &CouponTerms) -> (&'static str, i64) {
    match terms.value {
        CouponValue::Amount(a) => ("amount", a.0),
        CouponValue::Percent(p) => ("percent", i64::from(p)),
    }
}

/// The terms of `code`, refused if it is unknown or outside its dates on `day`.
fn terms_in(tx: &rusqlite::Connection, code: &str, day: &str) -> Result<CouponTerms> {
    type Dates = (Option<String>, Option<String>);
    let row: Option<(String, i64, i64, Dates)> = tx
        .query_row(
            "SELECT kind, value, min_order, valid_from, valid_until FROM coupons WHERE code = ?1",
            [code],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, (r.get(3)?, r.get(4)?))),
        )
        .optional()?;
    let (kind, value, min_order, (from, until)) = row.ok_or(DbError::Coupon(CouponRefusal::Unknown))?;
    if from.is_some_and(|f| day < f.as_str()) {
        return Err(DbError::Coupon(CouponRefusal::NotYetValid));
    }
    if until.is_some_and(|u| day > u.as_str()) {
        return Err(DbError::Coupon(CouponRefusal::Expired));
    }
    terms_of(&kind, value, min_order)
}

fn discount_of(terms: &CouponTerms, subtotal: Money) -> Result<Money> {
    terms.discount(subtotal).map_err(|e| match e {
        kiosk_domain::CouponError::BelowMinimum { minimum } => {
            DbError::Coupon(CouponRefusal::BelowMinimum { minimum })
        }
        other => DbError::Invalid(other.to_string()),
    })
}

/// Which order holds or used `code`, other than `order_id`.
fn standing_elsewhere(tx: &rusqlite::Connection, code: &str, order_id: &str) -> Result<bool> {
    Ok(tx
        .query_row(
            "SELECT 1 FROM coupon_uses WHERE code = ?1 AND state IN ('held', 'used') AND order_id <> ?2",
            params![code, order_id],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

fn today(tx: &rusqlite::Connection) -> Result<String> {
    console::business_day_in(tx, &console::clock_in(tx)?, unix_now_ms())
}

impl ServerDb {
    /// Issues a coupon (staff, in the console). Codes are kept normalized.
    pub fn add_coupon(
        &mut self,
        code: &str,
        terms: CouponTerms,
        valid_from: Option<&str>,
        valid_until: Option<&str>,
    ) -> Result<String> {
        let code = normalize_code(code).map_err(|e| DbError::Invalid(e.to_string()))?;
        terms.check().map_err(|e| DbError::Invalid(e.to_string()))?;
        for day in [valid_from, valid_until].into_iter().flatten() {
            day.parse::<jiff::civil::Date>()
                .map_err(|e| DbError::Invalid(format!("the date {day:?}: {e}")))?;
        }
        if let (Some(f), Some(u)) = (valid_from, valid_until)
            && f > u
        {
            return Err(DbError::Invalid(format!("valid from {f} is after valid until {u}")));
        }
        let (kind, value) = kind_and_value(&terms);
        let inserted = self.conn.execute(
            "INSERT OR IGNORE INTO coupons (code, kind, value, min_order, valid_from, valid_until, created_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![code, kind, value, terms.min_order.0, valid_from, valid_until, unix_now_ms()],
        )?;
        if inserted == 0 {
            return Err(DbError::AlreadyDone(format!("a coupon {code} exists already")));
        }
        Ok(code)
    }

    /// Every coupon issued, newest first, with where each stands.
    pub fn coupons(&self) -> Result<Vec<IssuedCoupon>> {
        let mut stmt = self.conn.prepare(
            "SELECT c.code, c.kind, c.value, c.min_order, c.valid_from, c.valid_until,
                    u.state, u.order_id, u.device, o.number
             FROM coupons c
             LEFT JOIN coupon_uses u ON u.code = c.code AND u.state IN ('held', 'used')
             LEFT JOIN orders o ON o.order_id = u.order_id
             ORDER BY c.created_at_ms DESC, c.code",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                (r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?, r.get::<_, i64>(3)?),
                (r.get::<_, Option<String>>(4)?, r.get::<_, Option<String>>(5)?),
                (r.get::<_, Option<String>>(6)?, r.get::<_, Option<String>>(7)?),
                (r.get::<_, Option<String>>(8)?, r.get::<_, Option<u32>>(9)?),
            ))
        })?;
        rows.map(|row| {
            let ((code, kind, value, min), (valid_from, valid_until), (state, order), (device, number)) =
                row?;
            let standing = match (state.as_deref(), order) {
                (Some("held"), Some(order_id)) => {
                    CouponStanding::Held { order_id, device: device.unwrap_or_default() }
                }
                (Some("used"), Some(order_id)) => CouponStanding::Used { order_id, number },
                _ => CouponStanding::Free,
            };
            Ok(IssuedCoupon { code, terms: terms_of(&kind, value, min)?, valid_from, valid_until, standing })
        })
        .collect()
    }

    /// The terms of `code` if it can be used today, without holding it.
    pub fn check_coupon(&self, code: &str) -> Result<(String, CouponTerms)> {
        let code = normalize_code(code).map_err(|_| DbError::Coupon(CouponRefusal::Unknown))?;
        let terms = terms_in(&self.conn, &code, &today(&self.conn)?)?;
        if standing_elsewhere(&self.conn, &code, "")? {
            return Err(DbError::Coupon(CouponRefusal::Used));
        }
        Ok((code, terms))
    }

    /// Holds `code` for `order_id` (a device is about to charge it with the discount). The
    /// same order asking again gets the same answer.
    pub fn hold_coupon(
        &mut self,
        order_id: &str,
        code: &str,
        subtotal: Money,
        device: &str,
    ) -> Result<Money> {
        let code = normalize_code(code).map_err(|_| DbError::Coupon(CouponRefusal::Unknown))?;
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // The same order asking again (a retry after a decline) gets the same answer, even
        // past the coupon's last day: it was held within its dates.
        let standing: Option<i64> = tx
            .query_row(
                "SELECT discount FROM coupon_uses WHERE order_id = ?1 AND code = ?2 AND state IN ('held', 'used')",
                params![order_id, code],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(discount) = standing {
            return Ok(Money(discount));
        }
        let terms = terms_in(&tx, &code, &today(&tx)?)?;
        let discount = discount_of(&terms, subtotal)?;
        if standing_elsewhere(&tx, &code, order_id)? {
            return Err(DbError::Coupon(CouponRefusal::Used));
        }
        let mine: Option<String> = tx
            .query_row("SELECT code FROM coupon_uses WHERE order_id = ?1", [order_id], |r| r.get(0))
            .optional()?;
        if let Some(held) = mine.filter(|held| *held != code) {
            return Err(DbError::Invalid(format!("order {order_id} holds another coupon ({held})")));
        }
        // A hold this order released earlier (its draft was left) is taken again.
        tx.execute(
            "INSERT INTO coupon_uses (order_id, code, state, device, discount, at_ms)
             VALUES (?1, ?2, 'held', ?3, ?4, ?5)
             ON CONFLICT (order_id) DO UPDATE SET state = 'held', device = ?3, discount = ?4, at_ms = ?5",
            params![order_id, code, device, discount.0, unix_now_ms()],
        )?;
        tx.commit()?;
        Ok(discount)
    }

    /// How many holds were released (orders not placed), for the audit and the figures.
    pub fn coupon_holds_released(&self) -> Result<u64> {
        Ok(self
            .conn
            .query_row("SELECT COUNT(*) FROM coupon_uses WHERE state = 'released'", [], |r| r.get(0))?)
    }

    /// Releases `order_id`'s hold, made by `device` (its order will not be placed). Returns
    /// whether a hold was released; a coupon the order used stays used, another device's hold
    /// stands, and releasing twice is no error.
    pub fn release_coupon(&mut self, order_id: &str, code: &str, device: &str) -> Result<bool> {
        let code = code.trim().to_ascii_uppercase();
        let released = self.conn.execute(
            "UPDATE coupon_uses SET state = 'released', at_ms = ?3
             WHERE order_id = ?1 AND code = ?2 AND device = ?4 AND state = 'held'",
            params![order_id, code, unix_now_ms(), device],
        )?;
        Ok(released > 0)
    }
}

/// Marks the order's coupon used as it is received, in its transaction: the coupon must be
/// held for this order (or free), and the discount the one its terms give on the lines.
/// Validity dates are not looked at again: the hold was taken within them.
pub(super) fn use_in(tx: &Transaction<'_>, order: &Order, device: &str) -> Result<()> {
    let Some(Coupon { code, terms }) = &order.coupon else { return Ok(()) };
    let id = order.id.to_string();
    let row: Option<(String, i64, i64)> = tx
        .query_row("SELECT kind, value, min_order FROM coupons WHERE code = ?1", [code], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    let (kind, value, min) = row.ok_or(DbError::Coupon(CouponRefusal::Unknown))?;
    let issued = terms_of(&kind, value, min)?;
    if issued != *terms {
        return Err(DbError::Invalid(format!("coupon {code}: the order's terms are not the coupon's")));
    }
    // A stamp reward comes off first; the coupon applies to what is left.
    let reward = order.stamps.as_ref().and_then(|s| s.reward).unwrap_or(Money::ZERO);
    let discount = discount_of(&issued, Money(order.totals.subtotal().0 - reward.0))?;
    if discount.0 != order.totals.discount.0 - reward.0 {
        return Err(DbError::Invalid(format!(
            "coupon {code} takes {} off, the order says {}",
            discount.0,
            order.totals.discount.0 - reward.0
        )));
    }
    if standing_elsewhere(tx, code, &id)? {
        return Err(DbError::Coupon(CouponRefusal::Used));
    }
    tx.execute(
        "INSERT INTO coupon_uses (order_id, code, state, device, discount, at_ms) VALUES (?1, ?2, 'used', ?3, ?4, ?5)
         ON CONFLICT (order_id) DO UPDATE SET state = 'used', code = ?2, discount = ?4, at_ms = ?5",
        params![id, code, device, discount.0, unix_now_ms()],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use kiosk_domain::{Coupon, CouponRefusal, CouponTerms, CouponValue, Money, OrderForPos, Totals};

    use super::super::tests::{db, order};
    use super::{CouponStanding, DbError};

    fn amount(won: i64, min: i64) -> CouponTerms {
        CouponTerms { value: CouponValue::Amount(Money(won)), min_order: Money(min) }
    }

    fn refused(r: Result<impl std::fmt::Debug, DbError>) -> CouponRefusal {
        match r {
            Err(DbError::Coupon(refusal)) => refusal,
            other => panic!("expected a coupon refusal, got {other:?}"),
        }
    }

    /// Order `n` (one cola, 1,800) with `coupon` and the discount its terms give.
    fn with_coupon(n: u128, code: &str, terms: CouponTerms) -> OrderForPos {
        let mut sent = order(n);
        let coupon = Coupon { code: code.into(), terms };
        sent.order.totals = Totals::with_coupon(&sent.order.lines, Some(&coupon), sent.order.vat_rate)
            .expect("within the terms");
        sent.order.coupon = Some(coupon);
        sent
    }

    fn standing(db: &super::ServerDb, code: &str) -> CouponStanding {
        db.coupons().unwrap().into_iter().find(|c| c.code == code).expect("issued").standing
    }

    #[test]
    fn a_coupon_is_checked_by_its_dates_held_for_one_order_at_a_time_and_used_once() {
        let (_d, mut db) = db();
        assert_eq!(db.add_coupon(" welcome ", amount(500, 1_000), None, None).unwrap(), "WELCOME");
        assert!(matches!(db.add_coupon("WELCOME", amount(1, 0), None, None), Err(DbError::AlreadyDone(_))));
        db.add_coupon("OLD", amount(500, 0), Some("2020-01-01"), Some("2020-12-31")).unwrap();
        db.add_coupon("FUTURE", amount(500, 0), Some("2999-01-01"), None).unwrap();
        assert!(matches!(db.add_coupon("BAD", amount(0, 0), None, None), Err(DbError::Invalid(_))));
        assert!(matches!(
            db.add_coupon("BAD", amount(1, 0), Some("2026-02-30"), None),
            Err(DbError::Invalid(_))
        ));

        assert_eq!(db.check_coupon("welcome").unwrap(), ("WELCOME".into(), amount(500, 1_000)));
        assert_eq!(refused(db.check_coupon("NOPE")), CouponRefusal::Unknown);
        assert_eq!(refused(db.check_coupon("OLD")), CouponRefusal::Expired);
        assert_eq!(refused(db.check_coupon("FUTURE")), CouponRefusal::NotYetValid);

        let (a, b) =
            (with_coupon(1, "WELCOME", amount(500, 1_000)), with_coupon(2, "WELCOME", amount(500, 1_000)));
        let (a_id, b_id) = (a.order.id.to_string(), b.order.id.to_string());
        assert_eq!(
            refused(db.hold_coupon(&a_id, "WELCOME", Money(900), "kiosk-1")),
            CouponRefusal::BelowMinimum { minimum: Money(1_000) }
        );
        assert_eq!(db.hold_coupon(&a_id, "WELCOME", Money(1_800), "kiosk-1").unwrap(), Money(500));
        assert_eq!(
            db.hold_coupon(&a_id, "WELCOME", Money(1_800), "kiosk-1").unwrap(),
            Money(500),
            "asked again"
        );
        // Its last day passes while A's card is declined and tried again: A still has it.
        db.conn.execute("UPDATE coupons SET valid_until = '2020-01-01' WHERE code = 'WELCOME'", []).unwrap();
        assert_eq!(
            db.hold_coupon(&a_id, "WELCOME", Money(1_800), "kiosk-1").unwrap(),
            Money(500),
            "past its day"
        );
        db.conn.execute("UPDATE coupons SET valid_until = NULL WHERE code = 'WELCOME'", []).unwrap();
        assert_eq!(refused(db.hold_coupon(&b_id, "WELCOME", Money(1_800), "kiosk-2")), CouponRefusal::Used);
        assert_eq!(refused(db.check_coupon("WELCOME")), CouponRefusal::Used, "held counts as taken");
        assert!(matches!(db.receive_order("kiosk-2", &b), Err(DbError::Coupon(CouponRefusal::Used))));
        assert_eq!(
            standing(&db, "WELCOME"),
            CouponStanding::Held { order_id: a_id.clone(), device: "kiosk-1".into() }
        );

        // A's payment failed: released, and B takes it, pays and uses it.
        assert!(!db.release_coupon(&a_id, "WELCOME", "kiosk-2").unwrap(), "only the device that holds it");
        assert!(db.release_coupon(&a_id, "welcome", "kiosk-1").unwrap());
        assert!(!db.release_coupon(&a_id, "WELCOME", "kiosk-1").unwrap(), "twice is no error");
        assert_eq!(db.hold_coupon(&b_id, "WELCOME", Money(1_800), "kiosk-2").unwrap(), Money(500));
        db.receive_order("kiosk-2", &b).unwrap();
        assert!(!db.release_coupon(&b_id, "WELCOME", "kiosk-2").unwrap(), "a used coupon stays used");
        assert_eq!(standing(&db, "WELCOME"), CouponStanding::Used { order_id: b_id, number: Some(2) });
        assert_eq!(refused(db.hold_coupon(&a_id, "WELCOME", Money(1_800), "kiosk-1")), CouponRefusal::Used);
        assert!(matches!(db.receive_order("kiosk-1", &a), Err(DbError::Coupon(CouponRefusal::Used))));
    }

    #[test]
    fn an_order_whose_discount_or_terms_are_not_the_coupons_is_refused() {
        let (_d, mut db) = db();
        db.add_coupon(
            "TEN",
            CouponTerms { value: CouponValue::Percent(10), min_order: Money(0) },
            None,
            None,
        )
        .unwrap();
        let mut greedy =
            with_coupon(1, "TEN", CouponTerms { value: CouponValue::Percent(50), min_order: Money(0) });
        assert!(
            matches!(db.receive_order("kiosk-1", &greedy), Err(DbError::Invalid(_))),
            "terms not the coupon's"
        );
        greedy = with_coupon(1, "TEN", CouponTerms { value: CouponValue::Percent(10), min_order: Money(0) });
        greedy.order.totals.discount = Money(200);
        assert!(matches!(db.receive_order("kiosk-1", &greedy), Err(DbError::Invalid(_))), "180 off, not 200");
        // A coupon never held is used as the order arrives (a store that holds none: the counter).
        let fair =
            with_coupon(2, "TEN", CouponTerms { value: CouponValue::Percent(10), min_order: Money(0) });
        db.receive_order("kiosk-1", &fair).unwrap();
        assert_eq!(fair.order.total(), Money(1_620));
        assert!(matches!(standing(&db, "TEN"), CouponStanding::Used { .. }));
    }
}
