//! The customer-facing sentences the session composes from data (prompts, problems, rules,
//! amounts). Their words come from the same catalogues as the `.slint` files' `@tr`
//! (kiosk-i18n); the msgid is the English text.

use kiosk_domain::{CartError, Currency, Lang, Money, MoneyStyle, Tag};
pub(crate) use kiosk_i18n::{tr, trf, trn};

/// Amounts follow the customer's language: "14,000원" in Korean, "₩14,000" otherwise.
pub fn money(amount: Money, currency: Currency, lang: Lang) -> String {
    amount.display(currency, if lang == Lang::Ko { MoneyStyle::Korean } else { MoneyStyle::Symbol })
}

/// A price change on an option chip: "+500원", "−500원", or nothing for zero.
pub fn delta(amount: Money, currency: Currency, lang: Lang) -> String {
    match amount.0.signum() {
        0 => String::new(),
        1 => format!("+{}", money(amount, currency, lang)),
        _ => format!("−{}", money(Money(-amount.0), currency, lang)),
    }
}

pub fn vat_included(vat: Money, currency: Currency, lang: Lang) -> String {
    trf(lang, "incl. VAT {}", &[&money(vat, currency, lang)])
}

/// The rule of an option group: "필수 · 1개 선택", "최대 3개".
pub fn group_rule(min: u32, max: u32, lang: Lang) -> String {
    match (min, max) {
        (0, m) => trf(lang, "optional · up to {}", &[&m]),
        (n, m) if n == m => trf(lang, "required · choose {}", &[&n]),
        (n, m) => trf(lang, "required · {} to {}", &[&n, &m]),
    }
}

pub fn set_step_rule(lang: Lang) -> String {
    tr(lang, "set · choose 1").to_owned()
}

pub fn table_label(table: &str, lang: Lang) -> String {
    trf(lang, "Table {}", &[&table])
}

pub fn line_quantity(name: &str, quantity: u32) -> String {
    if quantity > 1 { format!("{name} × {quantity}") } else { name.to_owned() }
}

/// A menu tag as the customer reads it.
pub fn tag(tag: Tag, lang: Lang) -> &'static str {
    match tag {
        Tag::New => tr(lang, "New"),
        Tag::Best => tr(lang, "Best"),
        Tag::Recommended => tr(lang, "Recommended"),
        Tag::Spicy => tr(lang, "Spicy"),
        Tag::Vegetarian => tr(lang, "Vegetarian"),
        Tag::Vegan => tr(lang, "Vegan"),
        Tag::Halal => tr(lang, "Halal"),
    }
}

/// An option group already holds its most.
pub fn too_many(group: &str, max: u32, lang: Lang) -> String {
    trf(lang, "{}: choose at most {}", &[&group, &max])
}

/// Lines a new menu no longer allows, taken out of the cart.
pub fn sold_out_removed(names: &[String], lang: Lang) -> String {
    trf(lang, "Sold out, removed from your cart: {}", &[&names.join(", ")])
}

/// The kitchen's word on a table's round `n`.
pub fn round_status(n: u32, served: bool, lang: Lang) -> String {
    if served { trf(lang, "Round {} has been served", &[&n]) } else { trf(lang, "Round {} is ready", &[&n]) }
}

/// The kitchen marked the customer's order ready while they still see its number.
pub fn order_ready(number: u32, lang: Lang) -> String {
    trf(lang, "Order {} is ready: please collect it", &[&number])
}

/// Staff moved the table's tab to another table.
pub fn tab_moved(to: &str, lang: Lang) -> String {
    trf(lang, "Your tab moved to table {}", &[&to])
}

/// A refused selection, told plainly; `name` puts a menu name into the customer's language.
pub fn cart_problem(e: &CartError, name: impl Fn(&str) -> String, lang: Lang) -> String {
    match e {
        CartError::TooFewChoices { group, min, .. } => {
            trf(lang, "{}: please choose {}", &[&name(group), min])
        }
        CartError::MissingSetChoice(step) => trf(lang, "Please choose the {}", &[&name(step)]),
        CartError::SoldOut(item) => trf(lang, "{} is sold out", &[&name(item)]),
        CartError::QuantityLimit { name: item, limit } => {
            trf(lang, "At most {0} of {1} per order", &[limit, &name(item)])
        }
        CartError::Note(e) => crate::note::note_problem(e, lang),
        other => other.to_string(),
    }
}

/// The operator's confirmation before an approval is cancelled at the terminal.
pub fn confirm_cancel(number: u32, amount: &str, approval_no: &str, lang: Lang) -> String {
    trf(
        lang,
        "Cancel the payment of {0} for order {1} (approval {2})? The card issuer is asked to reverse it.",
        &[&amount, &number, &approval_no],
    )
}

/// The keypad changed the voice: what it now is.
pub fn voice_setting(volume: u8, rate_wpm: u16, key: kiosk_drivers::keypad::Key, lang: Lang) -> String {
    use kiosk_drivers::keypad::Key;
    if matches!(key, Key::VolumeUp | Key::VolumeDown) {
        trf(lang, "Volume {}", &[&volume])
    } else {
        trf(lang, "Speech rate {}", &[&rate_wpm])
    }
}

/// The bill page once shares are paid: the whole bill and what the shares paid of it.
pub fn shares_paid(whole: &str, paid: &str, lang: Lang) -> String {
    trf(lang, "Whole bill {}, paid in shares {}", &[&whole, &paid])
}

/// The split page: what is owed, and what will be left after this share.
pub fn split_summary(owed: &str, after: &str, lang: Lang) -> String {
    trf(lang, "Still to pay {}; after this share {}", &[&owed, &after])
}

/// The done page after a share that left some of the bill owed.
pub fn share_done(part: u32, owed: &str, lang: Lang) -> String {
    trf(lang, "Share {} is paid. Still to pay at this table: {}.", &[&part, &owed])
}

/// How an order of the receipt journal was settled, or that it was undone since.
pub fn day_order_state(settlement: kiosk_domain::Settlement, undone: bool, lang: Lang) -> &'static str {
    use kiosk_domain::Settlement;
    match (settlement, undone) {
        (_, true) => tr(lang, "refunded or voided"),
        (Settlement::Prepaid, false) => tr(lang, "paid here"),
        (Settlement::PayAtCounter, false) => tr(lang, "pay at the counter"),
        (Settlement::Tab, false) => tr(lang, "on the tab"),
    }
}

/// One approval on the operator's payment journal.
pub fn journal_state(reversed: bool, lang: Lang) -> &'static str {
    if reversed { tr(lang, "cancelled") } else { tr(lang, "approved") }
}

pub struct Sentences {
    pub insert_card: &'static str,
    pub insert_card_detail: &'static str,
    pub show_barcode: &'static str,
    pub show_barcode_detail: &'static str,
    pub approving: &'static str,
    pub cancelling_charge: &'static str,
    pub cancelling_charge_detail: &'static str,
    pub paid_before_cancel: &'static str,
    pub sending_order: &'static str,
    pub declined: &'static str,
    pub try_again: &'static str,
    pub unresolved: &'static str,
    pub unresolved_body: &'static str,
    pub ok: &'static str,
    pub done_paid: &'static str,
    pub done_counter: &'static str,
    pub done_free: &'static str,
    pub done_round_paid: &'static str,
    pub done_round_counter: &'static str,
    pub done_queued: &'static str,
    pub receipt_printing: &'static str,
    pub printer_down: &'static str,
    pub receipt_qr: &'static str,
    pub round_sent: &'static str,
    pub staff_coming: &'static str,
    pub staff_answered: &'static str,
    pub staff_call_failed: &'static str,
    pub failed: &'static str,
    pub failed_body: &'static str,
    pub out_of_service: &'static str,
    pub out_of_service_body: &'static str,
    pub counter_only: &'static str,
    pub pos_away: &'static str,
    pub wrong_pin: &'static str,
    pub wrong_code: &'static str,
    pub done_bill: &'static str,
    pub table_has_tab: &'static str,
    pub table_taken: &'static str,
    pub table_taken_body: &'static str,
    pub lump_sum: &'static str,
    pub months: &'static str,
    pub available_from: &'static str,
    pub not_available_now: &'static str,
    pub saved: &'static str,
    pub cancelled: &'static str,
    pub cancel_failed: &'static str,
    pub reprinting: &'static str,
    pub printer_down_operator: &'static str,
    pub tab_closed: &'static str,
}

/// The fixed sentences of the session's pages, in the customer's language.
pub fn sentences(lang: Lang) -> Sentences {
    Sentences {
        insert_card: tr(lang, "Insert or tap your card"),
        insert_card_detail: tr(lang, "To stop, press Cancel payment"),
        show_barcode: tr(lang, "Show your payment barcode to the scanner"),
        show_barcode_detail: tr(lang, "The payment barcode in Kakao Pay or Naver Pay"),
        approving: tr(lang, "Approving. Please wait"),
        cancelling_charge: tr(lang, "Cancelling the payment"),
        cancelling_charge_detail: tr(lang, "Please do not insert or tap your card"),
        paid_before_cancel: tr(
            lang,
            "Your card was paid before the cancel reached the reader, so your order went through.",
        ),
        sending_order: tr(lang, "Sending your order"),
        declined: tr(lang, "The payment was declined"),
        try_again: tr(lang, "Try again"),
        unresolved: tr(lang, "Your payment needs checking"),
        unresolved_body: tr(
            lang,
            "Staff will help you shortly. Please do not pay again; tell them your order number.",
        ),
        ok: tr(lang, "OK"),
        done_paid: tr(lang, "Paid. Collect your order when your number is called."),
        done_counter: tr(lang, "Please pay at the counter with your order number."),
        done_free: tr(lang, "Nothing to pay: your order is placed."),
        done_round_paid: tr(lang, "Paid. Your order is on its way to the kitchen."),
        done_round_counter: tr(
            lang,
            "Please pay at the counter with your order number. The kitchen starts on it once it is paid.",
        ),
        done_queued: tr(
            lang,
            "Your order is saved on this kiosk and goes to the kitchen as soon as the link is back.",
        ),
        receipt_printing: tr(lang, "Your receipt is printing."),
        receipt_qr: tr(lang, "Scan the code with your phone for your receipt."),
        printer_down: tr(
            lang,
            "The printer is unavailable, so no receipt was printed. Please note your number.",
        ),
        round_sent: tr(lang, "Your order is on its way to the kitchen"),
        staff_coming: tr(lang, "Staff are on their way"),
        staff_answered: tr(lang, "Staff saw your call and are coming"),
        staff_call_failed: tr(lang, "The call did not go through. Please raise your hand for staff."),
        failed: tr(lang, "Your order could not be processed"),
        failed_body: tr(lang, "You have not been charged. Please ask staff."),
        out_of_service: tr(lang, "Temporarily unavailable"),
        out_of_service_body: tr(lang, "This kiosk is being serviced. Please order at the counter."),
        counter_only: tr(lang, "Card reader being serviced: pay at the counter only"),
        pos_away: tr(lang, "orders waiting to send"),
        wrong_pin: tr(lang, "Wrong PIN"),
        wrong_code: tr(lang, "That is not a payment barcode. Please show it again."),
        done_bill: tr(lang, "Your bill is paid. Thank you."),
        table_has_tab: tr(lang, "This table's bill is still open: close the tab first"),
        table_taken: tr(lang, "This table number is in use"),
        table_taken_body: tr(
            lang,
            "Another tablet already takes orders for table {}. Please call staff: this tablet needs its own table number.",
        ),
        lump_sum: tr(lang, "Lump sum"),
        months: tr(lang, "{} months"),
        available_from: tr(lang, "Available from {}"),
        not_available_now: tr(lang, "Not available now"),
        saved: tr(lang, "Saved"),
        cancelled: tr(lang, "The approval is cancelled"),
        cancel_failed: tr(lang, "The approval could not be cancelled. Check the card reader."),
        reprinting: tr(lang, "Printing a copy of the receipt"),
        printer_down_operator: tr(lang, "No printer to print on. Check the printer."),
        tab_closed: tr(lang, "The table's tab is closed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_naturally_in_each_language() {
        assert_eq!(money(Money(14_000), Currency::Krw, Lang::Ko), "14,000원");
        assert_eq!(money(Money(14_000), Currency::Krw, Lang::En), "₩14,000");
        assert_eq!(delta(Money(-500), Currency::Krw, Lang::Ko), "−500원");
        assert_eq!(delta(Money(0), Currency::Krw, Lang::Ko), "");
        assert_eq!(group_rule(1, 1, Lang::Ko), "필수 · 1개 선택");
        assert_eq!(group_rule(0, 3, Lang::En), "optional · up to 3");
    }
}
