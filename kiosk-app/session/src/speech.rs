//! What the voice guidance says about a page: its purpose, what is on it and what it
//! costs, in the customer's language. Composed from the [`View`] (the same strings the
//! screen shows) so sight and sound never disagree. The screen speaks the whole list when
//! the page changes and only the new sentences when the page stays (a new total after an
//! option, a notice).

use kiosk_domain::Lang;

use crate::flow::Flow;
use crate::stage::Page;
use crate::view::{Line, View};

/// Korean or English, by the customer's language.
fn t(lang: Lang, ko: &'static str, en: &'static str) -> &'static str {
    if lang == Lang::Ko { ko } else { en }
}

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
    let detail = if l.detail.is_empty() { String::new() } else { format!(" ({})", l.detail) };
    match lang {
        Lang::Ko => format!("{}{detail} {}개, {}", l.name, l.quantity, l.total),
        _ => format!("{} {}{detail}, {}", l.quantity, l.name, l.total),
    }
}

fn total(amount: &str, lang: Lang) -> String {
    format!("{} {amount}", t(lang, "합계", "Total"))
}

impl Flow {
    /// The page as the voice guidance says it; empty when the voice is off.
    pub(super) fn speech(&self, view: &View) -> Vec<String> {
        if !self.access.voice {
            return Vec::new();
        }
        let lang = view.lang;
        let mut say: Vec<String> = Vec::new();
        let mut push = |s: &str| {
            if !s.is_empty() {
                say.push(s.to_owned());
            }
        };
        match view.page {
            Page::Attract => {
                push(&view.store_name);
                push(t(
                    lang,
                    "화면을 누르거나 아무 키나 눌러 주문을 시작하세요.",
                    "Touch the screen or press any key to order.",
                ));
            }
            Page::Language => {
                push(t(
                    lang,
                    "음성 안내를 시작합니다. 위아래 키로 항목을 옮기고 확인 키로 고릅니다. 뒤로 키는 이전 화면, 도움 키는 직원 호출입니다.",
                    "Voice guidance is on. Move with the up and down keys and choose with OK. Back returns, Help calls staff.",
                ));
                push("언어를 고르세요. Choose your language: 한국어, English.");
            }
            Page::Service => {
                push(t(lang, "드시고 가시나요, 포장하시나요?", "Will you eat here or take out?"))
            }
            Page::Menu | Page::TableHome => {
                push(&view.table_label);
                let category = view.categories.get(view.category_index).map(String::as_str).unwrap_or("");
                push(&match lang {
                    Lang::Ko => format!("메뉴. {category}, {}가지.", view.items.len()),
                    _ => format!("Menu. {category}, {} items.", view.items.len()),
                });
                if view.item_count > 0 {
                    push(&match lang {
                        Lang::Ko => format!("장바구니 {}개, 합계 {}.", view.item_count, view.total),
                        _ => format!("Cart: {} items, total {}.", view.item_count, view.total),
                    });
                }
            }
            Page::Item => {
                push(&format!("{}, {}.", view.item.name, view.item.price));
                push(&view.item_description);
                for g in &view.groups {
                    let chosen: Vec<&str> =
                        g.options.iter().filter(|o| o.chosen).map(|o| o.name.as_str()).collect();
                    let chosen = if chosen.is_empty() {
                        t(lang, "고르지 않음", "none chosen").to_owned()
                    } else {
                        chosen.join(", ")
                    };
                    push(&format!("{}, {}: {chosen}.", g.name, g.rule));
                }
                push(&match lang {
                    Lang::Ko => format!("수량 {}, {}.", view.quantity, total(&view.item_total, lang)),
                    _ => format!("Quantity {}, {}.", view.quantity, total(&view.item_total, lang)),
                });
                push(&view.item_problem);
            }
            Page::Cart => {
                push(t(lang, "장바구니.", "Your cart."));
                for l in &view.lines {
                    push(&line(l, lang));
                }
                push(&format!("{}, {}.", total(&view.total, lang), view.vat_line));
            }
            Page::PayChoice => {
                push(&format!(
                    "{} {}.",
                    t(lang, "결제 방법을 고르세요.", "How will you pay?"),
                    total(&view.total, lang)
                ));
            }
            Page::Paying => {
                push(&view.payment_prompt);
                push(&view.payment_detail);
                push(&format!("{}.", total(&view.total, lang)));
            }
            Page::Done => {
                push(&match lang {
                    Lang::Ko => format!("주문 번호 {}번.", view.order_number),
                    _ => format!("Your order number is {}.", view.order_number),
                });
                push(&view.done_detail);
                if !view.receipt_lines.is_empty() {
                    push(t(lang, "주문 내역.", "Your receipt."));
                    for l in &view.receipt_lines {
                        push(&line(l, lang));
                    }
                    push(&format!("{}.", total(&view.receipt_total, lang)));
                }
                if view.receipt_offered {
                    push(t(
                        lang,
                        "영수증이 필요하면 영수증 출력을 고르세요.",
                        "Choose Print a receipt if you want one.",
                    ));
                }
            }
            Page::Problem => {
                push(&view.problem_title);
                push(&view.problem_body);
            }
            Page::Bill => {
                push(&view.table_label);
                push(t(lang, "계산서.", "Your bill."));
                for l in &view.tab_lines {
                    push(&line(l, lang));
                }
                push(&format!("{}.", total(&view.tab_total, lang)));
            }
            Page::StaffCall => {
                push(t(lang, "직원 호출. 무엇이 필요하세요?", "Call staff. What do you need?"))
            }
            Page::Pin | Page::Operator => push(t(lang, "직원 전용 화면입니다.", "Staff only.")),
        }
        push(&view.notice);
        if view.idle_seconds.is_some() {
            push(t(
                lang,
                "아직 계신가요? 곧 주문이 취소됩니다. 아무 키나 누르면 시간이 늘어납니다.",
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
