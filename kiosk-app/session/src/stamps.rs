//! Stamps (적립) on a kiosk's cart: the customer types their mobile number on the keypad,
//! the store server answers with the card's id and stamps, the order earns on that card, and
//! with enough stamps the reward item in the cart is free.
//!
//! The number is held by the keypad page while it is typed and by the one effect that asks
//! the store server; the cart keeps only the card's id.

use kiosk_domain::Lang;

use crate::flow::{Flow, NOTICE_MS};
use crate::messages::{Effect, Phone};
use crate::note::{Keyboard, KeyboardMode};
use crate::stage::Stage;
use crate::words::{money, tr, trf};

impl Flow {
    /// Stamps are offered: the menu has a programme, and this is a kiosk with a cart.
    pub fn stamps_offered(&self) -> bool {
        self.menu.stamps.is_some() && self.tab.is_none() && !self.cart.is_empty()
    }

    /// "Stamps" on the cart page: the keypad, for the number.
    pub(crate) fn edit_phone(&mut self) {
        if self.stage == Stage::Cart && self.stamps_offered() {
            self.stage = Stage::Note(Keyboard::for_code(KeyboardMode::Phone));
        }
    }

    /// A number of the right length: the store server is asked for its card.
    pub(crate) fn find_stamp_card(&mut self, phone: String) -> Vec<Effect> {
        if !self.stamps_offered() {
            return Vec::new();
        }
        self.notice(tr(self.lang, "Looking up your stamps…"), NOTICE_MS);
        vec![Effect::FindStampCard { phone: Phone(phone) }]
    }

    /// The store server's answer: the order will earn on this card.
    pub(crate) fn stamp_card_found(&mut self, card: Option<(String, i64)>) {
        let Some((card, stamps)) = card else {
            self.notice(tr(self.lang, "Stamps cannot be looked up right now. Please ask staff."), NOTICE_MS);
            return;
        };
        if self.cart.is_empty() || matches!(self.stage, Stage::Paying(_) | Stage::Done(_)) {
            return; // the session moved on meanwhile
        }
        self.cart.set_stamp_card(Some(card));
        self.stamp_balance = Some(stamps);
        self.notice(trf(self.lang, "You have {} stamps", &[&stamps]), NOTICE_MS);
    }

    /// "Use a free …": the reward item in the cart free, with the card's stamps.
    pub(crate) fn use_reward(&mut self, take: bool) {
        let reward = self.menu.stamps.as_ref().map(|p| p.reward.clone());
        if !take {
            self.cart.take_reward(None);
        } else if self.reward_offered() {
            self.cart.take_reward(reward);
        }
    }

    /// The card has the stamps for a reward, the cart has the reward item, and it is not taken.
    pub fn reward_offered(&self) -> bool {
        let Some(program) = &self.menu.stamps else { return false };
        let enough = self.stamp_balance.is_some_and(|s| s >= i64::from(program.per_reward));
        let taken = self.cart.stamps().is_some_and(|s| s.reward.is_some());
        enough && !taken && program.reward_value(self.cart.lines()).is_some()
    }

    /// The cart page's stamp line: the card's stamps and what this order earns, or the reward
    /// taken (empty: no card).
    pub(crate) fn stamp_line(&self) -> String {
        let (Some(program), Some(stamps), Some(card)) =
            (&self.menu.stamps, self.stamp_balance, self.cart.stamps())
        else {
            return String::new();
        };
        let earns = program.earned(&self.menu, self.cart.lines(), card.reward.is_some());
        let reward = self.menu.item(&program.reward).map_or("", |i| i.name.get(self.lang));
        match card.reward {
            Some(off) => trf(
                self.lang,
                "Stamps: {} − {} for a free {} (−{}), +{} with this order",
                &[&stamps, &program.per_reward, &reward, &money(off, self.menu.currency, self.lang), &earns],
            ),
            None => trf(self.lang, "Stamps: {}, +{} with this order", &[&stamps, &earns]),
        }
    }

    /// The reward button's words: "Use a free Americano (10 stamps)".
    pub(crate) fn reward_label(&self) -> String {
        let Some(program) = &self.menu.stamps else { return String::new() };
        let reward = self.menu.item(&program.reward).map_or("", |i| i.name.get(self.lang));
        trf(self.lang, "Use a free {} ({} stamps)", &[&reward, &program.per_reward])
    }
}

/// A number of the wrong length, in the customer's words.
pub(crate) fn wrong_number(lang: Lang) -> String {
    tr(lang, "Enter a mobile number of 10 or 11 digits, starting with 01").to_owned()
}

#[cfg(test)]
mod tests {
    use kiosk_domain::{Lang, Money};

    use crate::note::NoteKey;
    use crate::tests::{at, at_menu};
    use crate::{Effect, Intent, Outcome, Page, PayWith, Payment, Settings};

    /// An iced regular americano in the cart (4,500 won, a coffee: it earns a stamp).
    fn americano(f: &mut crate::Flow) {
        f.handle(Intent::OpenItem("americano".into()), at(10));
        for (g, o) in [("temp", "iced"), ("size", "regular")] {
            f.handle(Intent::ToggleOption { group: g.into(), option: o.into() }, at(11));
        }
        f.handle(Intent::AddToCart, at(12));
    }

    #[test]
    fn a_number_finds_the_card_the_order_earns_on_and_ten_stamps_make_the_americano_free() {
        let mut f = at_menu(Settings::kiosk(), Lang::En);
        americano(&mut f);
        f.handle(Intent::OpenItem("scone".into()), at(13));
        f.handle(Intent::AddToCart, at(14));
        f.handle(Intent::ShowCart, at(15));
        assert!(f.view().stamps_offered && f.view().stamp_line.is_empty());
        f.handle(Intent::EnterPhone, at(16));
        assert_eq!(f.page(), Page::Note);
        assert_eq!(f.view().keyboard.rows.concat().concat(), "1234567890");
        crate::tests::type_chars(&mut f, "010123456", 20);
        assert!(f.handle(Intent::NoteKey(NoteKey::Done), at(21)).is_empty());
        assert_eq!(f.page(), Page::Note, "nine digits: still on the keypad");
        assert_eq!(f.view().keyboard.problem, "Enter a mobile number of 10 or 11 digits, starting with 01");
        crate::tests::type_chars(&mut f, "78", 20);
        let asked = f.handle(Intent::NoteKey(NoteKey::Done), at(22));
        let [Effect::FindStampCard { phone }] = asked.as_slice() else { panic!("{asked:?}") };
        assert_eq!(phone.0, "01012345678");
        assert!(!format!("{asked:?}").contains("0101234"), "the number is never printed: {asked:?}");
        assert_eq!(f.page(), Page::Cart);

        f.outcome(Outcome::StampCard(Some(("c0ffee".into(), 12))), at(23));
        let v = f.view();
        assert_eq!(v.stamp_line, "Stamps: 12, +1 with this order", "the scone is no coffee");
        assert_eq!(v.reward_offer, "Use a free Americano (10 stamps)");
        assert_eq!(v.notice, "You have 12 stamps");
        let before = f.cart.totals(f.menu.vat_rate()).unwrap().total();
        f.handle(Intent::UseReward(true), at(24));
        let v = f.view();
        assert!(v.reward_taken && v.reward_offer.is_empty());
        assert_eq!(v.stamp_line, "Stamps: 12 − 10 for a free Americano (−₩4,500), +0 with this order");
        assert_eq!(f.cart.totals(f.menu.vat_rate()).unwrap().total(), Money(before.0 - 4_500));

        f.handle(Intent::Checkout, at(25));
        let paid = f.handle(Intent::Pay(PayWith::Card), at(26));
        let [Effect::Checkout { order, payment: Payment::Card { .. }, .. }] = paid.as_slice() else {
            panic!("{paid:?}")
        };
        let stamps = order.stamps.as_ref().expect("the card goes with the order");
        assert_eq!((stamps.card.as_str(), stamps.reward), ("c0ffee", Some(Money(4_500))));
        assert_eq!(order.totals.discount, Money(4_500));
    }

    /// A customer who starts over leaves nothing of theirs on the attract page for the next
    /// one, though the stamp notice had time left.
    #[test]
    fn the_stamp_notice_goes_with_the_customer() {
        let mut f = at_menu(Settings::kiosk(), Lang::En);
        americano(&mut f);
        f.handle(Intent::ShowCart, at(15));
        f.handle(Intent::EnterPhone, at(16));
        crate::tests::type_chars(&mut f, "01012345678", 20);
        f.handle(Intent::NoteKey(NoteKey::Done), at(21));
        f.outcome(Outcome::StampCard(Some(("c0ffee".into(), 12))), at(23));
        assert_eq!(f.view().notice, "You have 12 stamps");
        f.handle(Intent::Back, at(24));
        f.handle(Intent::Back, at(25));
        assert_eq!(f.page(), Page::Attract);
        assert_eq!(f.view().notice, "", "the last customer's stamps on the attract page");
    }

    #[test]
    fn a_free_americano_alone_has_nothing_to_pay_and_is_placed_without_a_charge() {
        let mut f = at_menu(Settings::kiosk(), Lang::En);
        americano(&mut f);
        f.handle(Intent::ShowCart, at(15));
        f.handle(Intent::EnterPhone, at(16));
        crate::tests::type_chars(&mut f, "01098765432", 20);
        f.handle(Intent::NoteKey(NoteKey::Done), at(21));
        f.outcome(Outcome::StampCard(Some(("cafe".into(), 10))), at(22));
        f.handle(Intent::UseReward(true), at(23));
        assert_eq!(f.view().total, "₩0");
        f.handle(Intent::Checkout, at(24));
        let placed = f.handle(Intent::Pay(PayWith::Card), at(25));
        let [Effect::Checkout { order, payment: Payment::Counter, .. }] = placed.as_slice() else {
            panic!("nothing to charge: {placed:?}")
        };
        assert_eq!(order.total(), Money(0));
        f.outcome(Outcome::Committed { order: order.id, number: 7 }, at(26));
        assert_eq!(f.view().done_detail, "Nothing to pay: your order is placed.");

        // A table tablet offers no stamps; nor does a cart whose card could not be looked up.
        let mut g = at_menu(Settings::kiosk(), Lang::En);
        americano(&mut g);
        g.handle(Intent::ShowCart, at(15));
        g.outcome(Outcome::StampCard(None), at(16));
        assert_eq!(g.view().notice, "Stamps cannot be looked up right now. Please ask staff.");
        assert!(g.view().stamp_line.is_empty() && g.view().reward_offer.is_empty());
    }
}
