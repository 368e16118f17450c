//! Coupons on a kiosk's cart: a code scanned (`CPN-…`) or typed on the keyboard, checked by
//! the store server, its discount on the cart page; held for the order at the checkout.
//!
//! The session only asks and shows: the store server decides whether a coupon applies (it
//! knows which are used), the cart keeps its terms and drops it when a change leaves the cart
//! below its minimum, and the checkout's hold (the firmware's, journaled) makes it the
//! order's. A table tablet takes no coupons: its rounds are paid with the bill.

use kiosk_domain::{Coupon, CouponRefusal, CouponTerms, Lang, OrderId, normalize_code};

use crate::flow::{Flow, NOTICE_MS};
use crate::messages::Effect;
use crate::note::Keyboard;
use crate::stage::{Page, Problem, Stage};
use crate::words::{money, tr, trf};

impl Flow {
    /// Coupons are taken here: a kiosk (not a table tablet) with a cart.
    pub fn coupons_offered(&self) -> bool {
        self.tab.is_none() && !self.cart.is_empty()
    }

    /// "Coupon" on the cart page: the keyboard, for the code.
    pub(crate) fn edit_coupon(&mut self) {
        if self.stage == Stage::Cart && self.coupons_offered() {
            self.stage = Stage::Note(Keyboard::for_code(crate::note::KeyboardMode::Coupon));
        }
    }

    pub(crate) fn remove_coupon(&mut self) {
        // A declined draft that held it is replaced at the next checkout, which releases it.
        let _ = self.cart.set_coupon(None);
    }

    /// A code typed or scanned: the store server is asked about it.
    pub(crate) fn ask_coupon(&mut self, typed: &str) -> Vec<Effect> {
        if !self.coupons_offered() || matches!(self.stage, Stage::Paying(_) | Stage::Done(_)) {
            return Vec::new();
        }
        // The printed coupon's barcode says `CPN-…`; a customer may type that too.
        let typed = crate::scan::coupon_of(typed.trim()).unwrap_or_else(|| typed.to_owned());
        let Ok(code) = normalize_code(&typed) else {
            self.notice(refusal_words(Some(CouponRefusal::Unknown), self.lang, self), NOTICE_MS);
            return Vec::new();
        };
        self.coupon_asked = Some(code.clone());
        self.notice(tr(self.lang, "Checking the coupon…"), NOTICE_MS);
        vec![Effect::CheckCoupon { code }]
    }

    /// The store server's answer: the coupon goes on the cart, or the customer hears why not.
    pub(crate) fn coupon_checked(&mut self, code: &str, answer: Result<CouponTerms, Option<CouponRefusal>>) {
        if self.coupon_asked.as_deref() != Some(code) {
            return; // a session reset or another code since
        }
        self.coupon_asked = None;
        if matches!(self.stage, Stage::Paying(_) | Stage::Done(_)) {
            // Paid (or being paid) without it: the order charged is the one on the screen.
            return;
        }
        let put = answer.and_then(|terms| {
            let coupon = Coupon { code: code.to_owned(), terms };
            // The cart may have changed while the server was asked.
            self.cart
                .set_coupon(Some(coupon))
                .map_err(|_| Some(CouponRefusal::BelowMinimum { minimum: terms.min_order }))
        });
        let words = match put {
            Ok(()) => {
                let off = self.cart.totals(self.menu.vat_rate()).map(|t| t.discount).unwrap_or_default();
                trf(self.lang, "Coupon applied: {} off", &[&money(off, self.menu.currency, self.lang)])
            }
            Err(refusal) => refusal_words(refusal, self.lang, self),
        };
        self.notice(words, NOTICE_MS);
    }

    /// The checkout could not hold the coupon: the draft is cancelled (the firmware did),
    /// the coupon comes off and the customer is back at the cart with the reason.
    pub(crate) fn coupon_refused(&mut self, order: OrderId, refusal: Option<CouponRefusal>) {
        if self.draft.as_ref().is_some_and(|d| d.id == order) {
            self.draft = None;
        }
        let _ = self.cart.set_coupon(None);
        let body = refusal_words(refusal, self.lang, self);
        self.stage = Stage::Problem(Problem {
            title: tr(self.lang, "The coupon cannot be used").into(),
            body: format!("{body}\n{}", tr(self.lang, "Nothing was charged.")),
            action: tr(self.lang, "OK").into(),
            then: Page::Cart,
        });
    }

    /// The coupon line of the cart page: its code and what it takes off.
    pub(crate) fn coupon_line(&self) -> String {
        let Some(coupon) = self.cart.coupon() else { return String::new() };
        let off = self.cart.totals(self.menu.vat_rate()).map(|t| t.discount).unwrap_or_default();
        trf(self.lang, "Coupon {}: −{}", &[&coupon.code, &money(off, self.menu.currency, self.lang)])
    }
}

/// The longest code, in the customer's words.
pub(crate) fn too_long(lang: Lang) -> String {
    trf(lang, "A coupon code has at most {} characters", &[&kiosk_domain::COUPON_CODE_MAX])
}

/// Why a coupon does not apply, in the customer's words.
pub(crate) fn refusal_words(refusal: Option<CouponRefusal>, lang: Lang, flow: &Flow) -> String {
    match refusal {
        Some(CouponRefusal::Unknown) => tr(lang, "This coupon code is not known. Please check it.").into(),
        Some(CouponRefusal::Expired) => tr(lang, "This coupon has expired.").into(),
        Some(CouponRefusal::NotYetValid) => tr(lang, "This coupon cannot be used yet.").into(),
        Some(CouponRefusal::Used) => tr(lang, "This coupon has already been used.").into(),
        Some(CouponRefusal::BelowMinimum { minimum }) => trf(
            lang,
            "This coupon needs an order of at least {}.",
            &[&money(minimum, flow.menu.currency, lang)],
        ),
        None => tr(lang, "The coupon cannot be checked right now. Please try again or ask staff.").into(),
    }
}

#[cfg(test)]
mod tests {
    use kiosk_domain::{CouponRefusal, CouponTerms, CouponValue, Lang, Money};

    use crate::note::NoteKey;
    use crate::tests::{at, at_menu};
    use crate::{Effect, Intent, Outcome, Page, PayWith, Settings};

    fn two_scones() -> crate::Flow {
        let mut f = at_menu(Settings::kiosk(), Lang::En);
        f.handle(Intent::OpenItem("scone".into()), at(10));
        f.handle(Intent::SetQuantity(2), at(11));
        f.handle(Intent::AddToCart, at(12));
        f.handle(Intent::ShowCart, at(13));
        f
    }

    /// "Coupon" on the cart page, `code` typed key by key, and Done: the effects of Done.
    fn enter_code(f: &mut crate::Flow, code: &str, ms: i64) -> Vec<Effect> {
        f.handle(Intent::EnterCoupon, at(ms));
        crate::tests::type_chars(f, code, ms);
        f.handle(Intent::NoteKey(NoteKey::Done), at(ms + 1))
    }

    fn terms(value: CouponValue, min: i64) -> CouponTerms {
        CouponTerms { value, min_order: Money(min) }
    }

    #[test]
    fn a_typed_code_is_checked_and_its_discount_is_charged_and_goes_with_the_order() {
        let mut f = two_scones();
        let before = f.view().total;
        f.handle(Intent::EnterCoupon, at(14));
        assert_eq!(f.page(), Page::Note);
        assert!(!f.view().keyboard.korean && f.view().keyboard.count.ends_with("/20"));
        assert_eq!(f.view().keyboard.rows[3].concat(), "ZXCVBNM-", "capitals and the dash");
        crate::tests::type_chars(&mut f, "welcome-10", 15);
        assert_eq!(f.view().keyboard.text, "WELCOME-10", "typed in capitals");
        // The layout key does nothing: a code has no Hangul.
        f.handle(Intent::NoteKey(NoteKey::Layout), at(15));
        assert!(!f.view().keyboard.korean);
        let asked = f.handle(Intent::NoteKey(NoteKey::Done), at(16));
        let [Effect::CheckCoupon { code }] = asked.as_slice() else { panic!("{asked:?}") };
        let subtotal = f.cart.totals(f.menu.vat_rate()).unwrap().subtotal();
        assert_eq!((code.as_str(), f.page()), ("WELCOME-10", Page::Cart));
        assert_eq!(f.view().total, before, "nothing off until the server says so");

        let answer = Ok(terms(CouponValue::Percent(10), 5_000));
        f.outcome(Outcome::CouponChecked { code: code.clone(), answer }, at(17));
        let off = Money(subtotal.0 / 10);
        let v = f.view();
        assert!(v.notice.contains("Coupon applied"), "{v:?}");
        assert_eq!(
            v.coupon_line,
            format!("Coupon WELCOME-10: −₩{}", off.0.to_string().replace("000", ",000"))
        );
        assert_ne!(v.total, before);

        f.handle(Intent::Checkout, at(18));
        let paid = f.handle(Intent::Pay(PayWith::Card), at(19));
        let [Effect::Checkout { order, .. }] = paid.as_slice() else { panic!("{paid:?}") };
        assert_eq!(order.coupon.as_ref().map(|c| c.code.as_str()), Some("WELCOME-10"));
        assert_eq!(order.totals.discount, off);
        assert_eq!(order.total().0, subtotal.0 - off.0, "the charge is the discounted total");
    }

    #[test]
    fn a_refused_code_applies_nothing_and_says_why_and_a_smaller_cart_drops_the_coupon() {
        let mut f = two_scones();
        let scan = kiosk_drivers::scanner::Scan { data: "CPN-SPRING".into(), symbology: None };
        let asked = f.handle(Intent::Scanned(scan), at(14));
        assert!(
            matches!(asked.as_slice(), [Effect::CheckCoupon { code, .. }] if code == "SPRING"),
            "{asked:?}"
        );
        f.outcome(
            Outcome::CouponChecked { code: "SPRING".into(), answer: Err(Some(CouponRefusal::Used)) },
            at(15),
        );
        assert_eq!(f.view().notice, "This coupon has already been used.");
        assert_eq!(f.view().coupon_line, "");

        // Accepted, then one scone taken off: the cart is below the minimum and it comes off.
        enter_code(&mut f, "ab1", 16);
        let two = f.cart.totals(f.menu.vat_rate()).unwrap().total();
        let answer = Ok(terms(CouponValue::Amount(Money(1_000)), two.0));
        f.outcome(Outcome::CouponChecked { code: "AB1".into(), answer }, at(18));
        assert_ne!(f.view().coupon_line, "");
        f.handle(Intent::ChangeLine { index: 0, quantity: 1 }, at(19));
        assert_eq!(f.view().coupon_line, "", "below the minimum, the coupon is off");
        assert_eq!(f.cart.totals(f.menu.vat_rate()).unwrap().discount, Money(0));

        // A table tablet takes no coupon.
        let settings = Settings { table: Some("7".into()), ..Settings::kiosk() };
        let mut t = crate::Flow::new(
            settings,
            crate::tests::demo_menu(),
            at(0),
            Box::new(crate::messages::SeededIds(1)),
        );
        t.handle(Intent::Start, at(9));
        t.handle(Intent::OpenItem("scone".into()), at(10));
        t.handle(Intent::AddToCart, at(11));
        let scan = kiosk_drivers::scanner::Scan { data: "CPN-SPRING".into(), symbology: None };
        assert!(!t.cart.is_empty());
        assert_eq!(t.handle(Intent::Scanned(scan), at(12)), Vec::new());
    }

    #[test]
    fn a_coupon_the_checkout_cannot_hold_comes_off_and_the_customer_is_back_at_the_cart() {
        let mut f = two_scones();
        enter_code(&mut f, "LATE1", 14);
        let answer = Ok(terms(CouponValue::Amount(Money(500)), 0));
        f.outcome(Outcome::CouponChecked { code: "LATE1".into(), answer }, at(16));
        f.handle(Intent::Checkout, at(17));
        let paid = f.handle(Intent::Pay(PayWith::Card), at(18));
        let [Effect::Checkout { order, .. }] = paid.as_slice() else { panic!("{paid:?}") };
        f.outcome(Outcome::CouponRefused { order: order.id, refusal: Some(CouponRefusal::Used) }, at(19));
        assert_eq!(f.page(), Page::Problem);
        assert!(f.view().problem_body.contains("already been used"), "{:?}", f.view().problem_body);
        f.handle(Intent::Dismiss, at(20));
        assert_eq!(f.page(), Page::Cart);
        assert_eq!(f.view().coupon_line, "");
        // Paying again makes a new order without the coupon (the refused draft was cancelled).
        f.handle(Intent::Checkout, at(21));
        let again = f.handle(Intent::Pay(PayWith::Card), at(22));
        let [Effect::Checkout { order: second, .. }] = again.as_slice() else { panic!("{again:?}") };
        assert_ne!(second.id, order.id);
        assert_eq!((second.coupon.as_ref(), second.totals.discount), (None, Money(0)));
    }

    #[test]
    fn a_coupon_added_after_a_decline_is_charged_on_a_new_order_and_a_late_answer_is_not_applied() {
        let mut f = two_scones();
        f.handle(Intent::Checkout, at(14));
        let first = f.handle(Intent::Pay(PayWith::Card), at(15));
        let [Effect::Checkout { order: declined, .. }] = first.as_slice() else { panic!("{first:?}") };
        f.outcome(Outcome::Declined { order: declined.id, message: "잔액 부족".into() }, at(16));
        f.handle(Intent::Dismiss, at(17));
        f.handle(Intent::Back, at(18));
        enter_code(&mut f, "SAVE1", 19);
        let answer = Ok(terms(CouponValue::Amount(Money(500)), 0));
        f.outcome(Outcome::CouponChecked { code: "SAVE1".into(), answer }, at(21));
        f.handle(Intent::Checkout, at(22));
        let again = f.handle(Intent::Pay(PayWith::Card), at(23));
        // The declined draft had no coupon: it is cancelled, and the order charged has it.
        assert_eq!(again[0], Effect::Abandon(declined.id));
        let Effect::Checkout { order, .. } = &again[1] else { panic!("{again:?}") };
        assert_eq!((order.totals.discount, order.total()), (Money(500), Money(declined.total().0 - 500)));

        // A code typed, then Pay pressed before the store answered: the answer is not applied
        // to an order already being charged.
        let mut g = two_scones();
        enter_code(&mut g, "LATE2", 14);
        g.handle(Intent::Checkout, at(16));
        let paying = g.handle(Intent::Pay(PayWith::Card), at(17));
        let [Effect::Checkout { order, .. }] = paying.as_slice() else { panic!("{paying:?}") };
        let answer = Ok(terms(CouponValue::Amount(Money(500)), 0));
        g.outcome(Outcome::CouponChecked { code: "LATE2".into(), answer }, at(18));
        assert_eq!(g.view().coupon_line, "", "not on the cart being charged");
        assert_eq!(g.cart.totals(g.menu.vat_rate()).unwrap().total(), order.total());
    }
}
