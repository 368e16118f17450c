//! What the voice guidance says about a page: its purpose, what is on it and what it
//! costs, in the customer's language. Composed from the [`View`] (the same strings the
//! screen shows) so sight and sound never disagree. The screen speaks the whole list when
//! the page changes and only the new sentences when the page stays (a new total after an
//! option, a notice).

use kiosk_domain::Lang;
use kiosk_drivers::speech::espeak::voice;

use crate::flow::Flow;
use crate::stage::Page;
use crate::view::{Line, View};
use crate::words::{tr, trf, trn};

/// An amount as it is read aloud: "₩14,000" is "14,000 won" in English (espeak-ng would
/// read the sign's name); Korean "14,000원" reads as written. Applied by the screen to
/// everything it speaks (pages, focused controls, announcements), once.
pub fn for_ears(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '₩' => {
                let mut amount = String::new();
                while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit() || **d == ',') {
                    amount.push(d);
                    chars.next();
                }
                out.push_str(&amount);
                out.push_str(" won");
            }
            '·' => out.push(','),
            '×' => out.push('x'),
            _ => out.push(c),
        }
    }
    out
}

fn line(l: &Line, lang: Lang) -> String {
    let name = if l.detail.is_empty() { l.name.clone() } else { format!("{} ({})", l.name, l.detail) };
    trf(lang, "{0} {1}, {2}", &[&l.quantity, &name, &l.total])
}

/// The requests chosen and written on the item or cart page.
fn notes(push: &mut impl FnMut(&str), view: &View, lang: Lang) {
    let mut chosen: Vec<&str> =
        view.note_chips.iter().filter(|c| c.chosen).map(|c| c.name.as_str()).collect();
    if !view.note_text.is_empty() {
        chosen.push(&view.note_text);
    }
    if !chosen.is_empty() {
        push(&trf(lang, "Requests: {}.", &[&chosen.join(", ")]));
    }
}

fn total(amount: &str, lang: Lang) -> String {
    trf(lang, "Total {}", &[&amount])
}

impl Flow {
    /// The page as the voice guidance says it; empty when the voice is off.
    pub(super) fn speech(&self, view: &View) -> Vec<String> {
        let lang = view.lang;
        // A language espeak-ng cannot read (Japanese) says nothing rather than noise; the
        // language page named the ones that speak.
        if !self.access.voice || voice(lang).is_none() {
            return Vec::new();
        }
        let mut say: Vec<String> = Vec::new();
        let mut push = |s: &str| {
            if !s.is_empty() {
                say.push(s.to_owned());
            }
        };
        match view.page {
            Page::Attract => {
                push(&view.store_name);
                push(tr(lang, "Touch the screen or press any key to order."));
            }
            Page::Language => {
                push(tr(
                    lang,
                    "Voice guidance is on. Move with the up and down keys and choose with OK. Back returns, Help calls staff.",
                ));
                // Said in Korean and English, the customer not having chosen yet: every
                // language on offer that the voice can speak, Korean by its name and the others
                // by their English ones (a Korean voice cannot say 中文).
                let spoken: Vec<&str> = view
                    .languages
                    .iter()
                    .filter(|l| voice(**l).is_some())
                    .map(|l| if *l == Lang::Ko { l.native_name() } else { l.english_name() })
                    .collect();
                push(&format!("언어를 고르세요. Choose your language: {}.", spoken.join(", ")));
            }
            Page::Service => push(tr(lang, "Will you eat here or take out?")),
            Page::Menu | Page::TableHome => {
                push(&view.table_label);
                let category = view.categories.get(view.category_index).map(String::as_str).unwrap_or("");
                push(&trn(
                    lang,
                    "Menu. {}, {n} item.",
                    "Menu. {}, {n} items.",
                    view.items.len() as u64,
                    &[&category],
                ));
                if let Some(s) = view.suggestions.first() {
                    push(&trf(
                        lang,
                        "Goes well with it: {0}, {1}. Back skips this suggestion.",
                        &[&s.name, &s.price],
                    ));
                }
                if view.item_count > 0 {
                    push(&trn(
                        lang,
                        "Cart: {n} item, total {}.",
                        "Cart: {n} items, total {}.",
                        u64::from(view.item_count),
                        &[&view.total],
                    ));
                }
            }
            Page::Item => {
                push(&format!("{}, {}.", view.item.name, view.item.price));
                push(&view.item_description);
                for g in &view.groups {
                    let chosen: Vec<&str> =
                        g.options.iter().filter(|o| o.chosen).map(|o| o.name.as_str()).collect();
                    let chosen = if chosen.is_empty() {
                        tr(lang, "none chosen").to_owned()
                    } else {
                        chosen.join(", ")
                    };
                    push(&format!("{}, {}: {chosen}.", g.name, g.rule));
                }
                notes(&mut push, view, lang);
                push(&trf(lang, "Quantity {}, {}.", &[&view.quantity, &total(&view.item_total, lang)]));
                push(&view.item_problem);
            }
            Page::Cart => {
                push(tr(lang, "Your cart."));
                for l in &view.lines {
                    push(&line(l, lang));
                }
                notes(&mut push, view, lang);
                if !view.suggestions.is_empty() {
                    let offers: Vec<String> =
                        view.suggestions.iter().map(|s| format!("{}, {}", s.name, s.price)).collect();
                    push(&trf(lang, "Goes well with your order: {}.", &[&offers.join("; ")]));
                }
                push(&format!("{}, {}.", total(&view.total, lang), view.vat_line));
            }
            Page::Note => {
                push(&view.keyboard.title);
                let text =
                    if view.keyboard.text.is_empty() { tr(lang, "empty") } else { &view.keyboard.text };
                push(&format!("{text}. {}.", view.keyboard.count));
                push(&view.keyboard.problem);
            }
            Page::PayChoice => {
                push(&format!("{} {}.", tr(lang, "How will you pay?"), total(&view.total, lang)));
            }
            Page::Paying => {
                push(&view.payment_prompt);
                push(&view.payment_detail);
                push(&format!("{}.", total(&view.total, lang)));
            }
            Page::Done => {
                push(&trf(lang, "Your order number is {}.", &[&view.order_number]));
                push(&view.done_detail);
                if !view.receipt_lines.is_empty() {
                    push(tr(lang, "Your receipt."));
                    for l in &view.receipt_lines {
                        push(&line(l, lang));
                    }
                    push(&format!("{}.", total(&view.receipt_total, lang)));
                }
                if view.receipt_offered {
                    push(tr(lang, "Choose Print a receipt if you want one."));
                }
            }
            Page::Problem => {
                push(&view.problem_title);
                push(&view.problem_body);
            }
            Page::Bill => {
                push(&view.table_label);
                push(tr(lang, "Your bill."));
                for l in &view.tab_lines {
                    push(&line(l, lang));
                }
                push(&format!("{}.", total(&view.tab_total, lang)));
            }
            Page::Split => {
                push(tr(lang, "Split the bill."));
                push(&view.split_summary);
                if view.split_by_items {
                    for l in view.split_lines.iter().filter(|l| l.chosen) {
                        push(&line(&l.line, lang));
                    }
                }
                push(&format!("{}.", total(&view.split_amount, lang)));
            }
            Page::StaffCall => push(tr(lang, "Call staff. What do you need?")),
            Page::Pin | Page::Operator => push(tr(lang, "Staff only.")),
        }
        push(&view.notice);
        if view.idle_seconds.is_some() {
            push(tr(
                lang,
                "Are you still there? Your order will be cleared soon. Press any key for more time.",
            ));
        }
        say
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_amounts_are_read_in_won() {
        assert_eq!(for_ears("Total ₩14,000 · incl. VAT ₩1,272"), "Total 14,000 won , incl. VAT 1,272 won");
        assert_eq!(for_ears("합계 14,000원"), "합계 14,000원");
    }
}
