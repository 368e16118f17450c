//! Suggestions (함께 드시면 좋아요): once an item is in the cart, the menu's pairing for it,
//! made once a session and never in the way: a card above the cart bar to take or decline,
//! and on the cart page what goes with its lines. The answers ride on the order, so the
//! store counts them per business day.

use kiosk_domain::{ItemId, Order, Suggestion, SuggestionAnswer};

use crate::flow::Flow;

impl Flow {
    fn items_in_cart(&self) -> Vec<&ItemId> {
        self.cart.lines().iter().map(|l| &l.selection.item).collect()
    }

    /// After `added` went into the cart: the suggestion to make now, if any (the card of an
    /// earlier add goes either way).
    pub(crate) fn suggest_after(&mut self, added: &ItemId) {
        self.suggestion = None;
        let menu = self.menu.clone();
        let in_cart = self.items_in_cart();
        let Some(s) = menu.suggestion_after(added, &in_cart, &self.asked, self.local) else { return };
        self.asked.push(s.id.clone());
        self.suggestion = Some(s.id.clone());
    }

    /// The customer's answer to suggestion `id`: take it (its item opens, to be put
    /// together and added) or decline it (it is not listed again).
    pub(crate) fn answer_suggestion(&mut self, id: &str, take: bool) {
        if self.suggestion.as_ref().is_some_and(|s| s.0 == id) {
            self.suggestion = None;
        }
        let Some(s) = self.menu.suggestions.iter().find(|s| s.id.0 == id).cloned() else { return };
        if !self.asked.contains(&s.id) {
            self.asked.push(s.id.clone());
        }
        if !self.answered.contains(&s.id) {
            self.answered.push(s.id.clone());
        }
        if take {
            self.open_item(&s.offer);
        } else if !self.declined.contains(&s.id) {
            self.declined.push(s.id.clone());
        }
    }

    /// The answers `order` carries: each suggestion answered while it was put together,
    /// counted as taken only when its offer is in the order (opened, then put back, it was
    /// not taken).
    pub(crate) fn suggestion_answers(&self, order: &Order) -> Vec<SuggestionAnswer> {
        self.answered
            .iter()
            .map(|id| {
                let offer = self.menu.suggestions.iter().find(|s| &s.id == id).map(|s| &s.offer);
                let ordered = offer.is_some_and(|o| order.lines.iter().any(|l| &l.selection.item == o));
                SuggestionAnswer { id: id.clone(), accepted: ordered }
            })
            .collect()
    }

    /// A new session, or a table's next party: every suggestion may be made again.
    pub(crate) fn forget_suggestions(&mut self) {
        self.asked.clear();
        self.declined.clear();
        self.suggestion = None;
    }

    /// The suggestion card over the menu: the one made after the last item added (if that
    /// add made one), while it still may be made.
    pub(crate) fn pending_suggestion(&self) -> Option<&Suggestion> {
        let id = self.suggestion.as_ref()?;
        let s = self.menu.suggestions.iter().find(|s| &s.id == id)?;
        self.menu.may_suggest(s, &self.items_in_cart(), self.local).then_some(s)
    }

    /// The cart page's suggestions: those for its lines that were not declined and may be
    /// made (their item on sale, not in the cart).
    pub(crate) fn cart_suggestions(&self) -> Vec<&Suggestion> {
        let in_cart = self.items_in_cart();
        self.menu
            .suggestions
            .iter()
            .filter(|s| s.after.iter().any(|a| in_cart.contains(&a)))
            .filter(|s| !self.declined.contains(&s.id))
            .filter(|s| self.menu.may_suggest(s, &in_cart, self.local))
            .collect()
    }

    /// The answers go with the order just sent; the next one starts afresh.
    pub(crate) fn suggestions_sent(&mut self) {
        self.answered.clear();
        self.suggestion = None;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use kiosk_domain::{Lang, SuggestionAnswer};
    use kiosk_drivers::keypad::Key;

    use crate::tests::{at, at_menu, demo_menu};
    use crate::{Effect, Intent, Page, PayWith, Settings};

    fn add_americano_at_table(f: &mut crate::Flow) {
        f.handle(Intent::OpenItem("americano".into()), at(10));
        for (g, o) in [("temp", "iced"), ("size", "regular")] {
            f.handle(Intent::ToggleOption { group: g.into(), option: o.into() }, at(11));
        }
        f.handle(Intent::AddToCart, at(12));
        assert_eq!(f.page(), Page::TableHome);
    }

    fn add_americano(f: &mut crate::Flow) {
        f.handle(Intent::OpenItem("americano".into()), at(10));
        for (g, o) in [("temp", "iced"), ("size", "regular")] {
            f.handle(Intent::ToggleOption { group: g.into(), option: o.into() }, at(11));
        }
        f.handle(Intent::AddToCart, at(12));
        assert_eq!(f.page(), Page::Menu);
    }

    fn answer(id: &str, take: bool) -> Intent {
        Intent::AnswerSuggestion { id: id.into(), take }
    }

    fn offered(f: &crate::Flow) -> Vec<String> {
        f.view().suggestions.iter().map(|s| format!("{} {}", s.name, s.price)).collect()
    }

    #[test]
    fn a_suggestion_is_made_once_taken_or_declined_and_its_answer_goes_with_the_order() {
        // Taken: the cheesecake opens, is added, and the order says the suggestion was taken.
        let mut f = at_menu(Settings::kiosk(), Lang::Ko);
        add_americano(&mut f);
        assert_eq!(offered(&f), ["뉴욕 치즈케이크 6,500원"], "after a coffee, the menu's pairing");
        f.handle(answer("coffee-cheesecake", true), at(13));
        assert_eq!(f.page(), Page::Item);
        assert_eq!(f.view().item.id, "cheesecake");
        f.handle(Intent::AddToCart, at(14));
        assert!(offered(&f).is_empty(), "nothing more to suggest");
        f.handle(Intent::ShowCart, at(15));
        assert!(offered(&f).is_empty(), "the cheesecake is in the cart: not suggested again");
        f.handle(Intent::Checkout, at(16));
        let effects = f.handle(Intent::Pay(PayWith::Card), at(17));
        let [Effect::Checkout { order, .. }] = effects.as_slice() else { panic!("{effects:?}") };
        assert_eq!(order.suggestions, [SuggestionAnswer { id: "coffee-cheesecake".into(), accepted: true }]);

        // Declined: the card goes, a second coffee does not bring it back, the cart page does
        // not list it, and the order says it was declined.
        let mut f = at_menu(Settings::kiosk(), Lang::En);
        add_americano(&mut f);
        assert_eq!(offered(&f), ["New York cheesecake ₩6,500"]);
        f.handle(answer("coffee-cheesecake", false), at(13));
        assert!(offered(&f).is_empty());
        add_americano(&mut f);
        assert!(offered(&f).is_empty(), "made once a session");
        f.handle(Intent::ShowCart, at(15));
        assert!(offered(&f).is_empty(), "declined: not on the cart page either");
        f.handle(Intent::Checkout, at(16));
        let effects = f.handle(Intent::Pay(PayWith::Card), at(17));
        let [Effect::Checkout { order, .. }] = effects.as_slice() else { panic!("{effects:?}") };
        assert_eq!(order.suggestions, [SuggestionAnswer { id: "coffee-cheesecake".into(), accepted: false }]);

        // Neither: the customer goes on; the cart page offers it, and the order carries no answer.
        let mut f = at_menu(Settings::kiosk(), Lang::En);
        add_americano(&mut f);
        f.handle(Intent::ShowCart, at(15));
        assert_eq!(offered(&f), ["New York cheesecake ₩6,500"], "the cart page lists what goes with it");
        f.handle(Intent::Checkout, at(16));
        let effects = f.handle(Intent::Pay(PayWith::Card), at(17));
        let [Effect::Checkout { order, .. }] = effects.as_slice() else { panic!("{effects:?}") };
        assert!(order.suggestions.is_empty());
    }

    #[test]
    fn taken_means_ordered_and_a_card_no_longer_shown_is_not_what_back_skips() {
        // Taken from the card, then taken out of the cart: the order says not taken.
        let mut f = at_menu(Settings::kiosk(), Lang::En);
        add_americano(&mut f);
        f.handle(answer("coffee-cheesecake", true), at(13));
        f.handle(Intent::AddToCart, at(14));
        f.handle(Intent::ShowCart, at(15));
        let cake = f.cart().lines().iter().position(|l| l.selection.item.0 == "cheesecake").unwrap();
        f.handle(Intent::ChangeLine { index: cake, quantity: 0 }, at(16));
        f.handle(Intent::Checkout, at(17));
        let effects = f.handle(Intent::Pay(PayWith::Card), at(18));
        let [Effect::Checkout { order, .. }] = effects.as_slice() else { panic!("{effects:?}") };
        assert_eq!(order.suggestions, [SuggestionAnswer { id: "coffee-cheesecake".into(), accepted: false }]);

        // The cheesecake added from the grid hides the card: the keypad's Back is "start
        // over" again, not a "no thanks" to a card nobody sees.
        let mut f = at_menu(Settings::kiosk(), Lang::En);
        f.handle(Intent::Key(Key::Down), at(5));
        add_americano(&mut f);
        f.handle(Intent::OpenItem("cheesecake".into()), at(13));
        f.handle(Intent::AddToCart, at(14));
        assert!(offered(&f).is_empty());
        f.handle(Intent::Key(Key::Back), at(15));
        assert!(f.answered.is_empty() && f.declined.is_empty(), "no answer for a card not shown");
        assert_eq!(f.page(), Page::Attract, "Back started over");
    }

    #[test]
    fn a_tables_party_hears_each_suggestion_once_and_the_next_party_again() {
        let settings = Settings { table: Some("7".into()), ..Settings::kiosk() };
        let mut f = crate::Flow::new(settings, demo_menu(), at(0), Box::new(crate::SeededIds(7)));
        add_americano_at_table(&mut f);
        f.handle(answer("coffee-cheesecake", false), at(13));
        f.handle(Intent::ShowCart, at(14));
        let e = f.handle(Intent::OrderRound, at(15));
        let [Effect::SendRound(round)] = e.as_slice() else { panic!("{e:?}") };
        assert_eq!(round.suggestions, [SuggestionAnswer { id: "coffee-cheesecake".into(), accepted: false }]);
        let mut committed = round.clone();
        committed.state = kiosk_domain::OrderState::Committed;
        f.outcome(crate::Outcome::RoundSent(Box::new(committed)), at(16));
        // The second round: neither the card nor the cart page offers it again, and the round
        // carries no answer (the first round's went with it).
        add_americano_at_table(&mut f);
        assert!(offered(&f).is_empty());
        f.handle(Intent::ShowCart, at(17));
        assert!(offered(&f).is_empty(), "declined by this party");
        let e = f.handle(Intent::OrderRound, at(18));
        let [Effect::SendRound(round)] = e.as_slice() else { panic!("{e:?}") };
        assert!(round.suggestions.is_empty());
        // The tab is settled at the counter; the next party is offered it again.
        f.tab_settled(Vec::new(), at(19));
        f.handle(Intent::Back, at(20));
        add_americano_at_table(&mut f);
        assert_eq!(offered(&f).len(), 1);
    }

    #[test]
    fn a_sold_out_or_unknown_offer_is_never_suggested_and_the_checker_warns_of_the_unknown() {
        let mut menu = (*demo_menu()).clone();
        menu.set_sold_out(&"cheesecake".into(), true);
        let mut f = at_menu(Settings::kiosk(), Lang::Ko);
        f.set_menu(Arc::new(menu.clone()), at(5));
        add_americano(&mut f);
        assert!(offered(&f).is_empty(), "a sold-out cheesecake is not suggested");

        menu.suggestions[0].offer = "gone".into();
        assert!(menu.validate().is_empty(), "the menu stays good");
        let warnings: Vec<String> = menu.warnings().iter().map(ToString::to_string).collect();
        assert_eq!(
            warnings,
            ["suggestions[0] \"coffee-cheesecake\".offer: unknown item \"gone\": never suggested"]
        );
        let mut f = at_menu(Settings::kiosk(), Lang::Ko);
        f.set_menu(Arc::new(menu), at(5));
        add_americano(&mut f);
        assert!(offered(&f).is_empty());
    }

    #[test]
    fn with_the_voice_a_suggestion_is_said_and_one_key_skips_it() {
        let mut f = at_menu(Settings::kiosk(), Lang::Ko);
        f.handle(Intent::Key(Key::Down), at(5)); // the first key starts the voice
        add_americano(&mut f);
        let said = f.view().speech.join(" ");
        assert!(said.contains("함께 드시면 좋아요: 뉴욕 치즈케이크, 6,500원"), "{said}");
        f.handle(Intent::Key(Key::Back), at(13));
        assert_eq!(f.page(), Page::Menu, "the key skipped the suggestion, not the order");
        assert!(offered(&f).is_empty());
        assert_eq!(f.answered, [kiosk_domain::SuggestionId::from("coffee-cheesecake")]);
        assert_eq!(f.declined, f.answered, "declined");
        assert_eq!(f.cart().lines().len(), 1);
    }
}
