//! The customer-facing sentences the session composes from data (prompts, problems, rules,
//! amounts). Fixed labels live in the `.slint` files behind `@tr`; these carry numbers and
//! names, so they are built here, in the customer's language.

use kiosk_domain::{CartError, Currency, Lang, Money, MoneyStyle};

/// Korean where the customer chose Korean; English for every other language until the
/// menu and UI carry them.
fn ko(lang: Lang) -> bool {
    lang == Lang::Ko
}

pub fn money(amount: Money, currency: Currency, lang: Lang) -> String {
    amount.display(currency, if ko(lang) { MoneyStyle::Korean } else { MoneyStyle::Symbol })
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
    if ko(lang) {
        format!("부가세 {} 포함", money(vat, currency, lang))
    } else {
        format!("incl. VAT {}", money(vat, currency, lang))
    }
}

/// The rule of an option group: "필수 · 1개 선택", "최대 3개".
pub fn group_rule(min: u32, max: u32, lang: Lang) -> String {
    match (ko(lang), min, max) {
        (true, 0, m) => format!("선택 · 최대 {m}개"),
        (true, n, m) if n == m => format!("필수 · {n}개 선택"),
        (true, n, m) => format!("필수 · {n}~{m}개"),
        (false, 0, m) => format!("optional · up to {m}"),
        (false, n, m) if n == m => format!("required · choose {n}"),
        (false, n, m) => format!("required · {n} to {m}"),
    }
}

pub fn set_step_rule(lang: Lang) -> String {
    (if ko(lang) { "세트 구성 · 1개 선택" } else { "set · choose 1" }).to_owned()
}

pub fn table_label(table: &str, lang: Lang) -> String {
    if ko(lang) { format!("테이블 {table}") } else { format!("Table {table}") }
}

pub fn line_quantity(name: &str, quantity: u32) -> String {
    if quantity > 1 { format!("{name} × {quantity}") } else { name.to_owned() }
}

/// An option group already holds its most.
pub fn too_many(group: &str, max: u32, lang: Lang) -> String {
    if ko(lang) {
        format!("{group}: 최대 {max}개까지 고를 수 있습니다")
    } else {
        format!("{group}: choose at most {max}")
    }
}

/// Lines a new menu no longer allows, taken out of the cart.
pub fn sold_out_removed(names: &[String], lang: Lang) -> String {
    if ko(lang) {
        format!("품절되어 장바구니에서 뺐습니다: {}", names.join(", "))
    } else {
        format!("Sold out, removed from your cart: {}", names.join(", "))
    }
}

/// The kitchen's word on a table's round `n`.
pub fn round_status(n: u32, served: bool, lang: Lang) -> String {
    match (ko(lang), served) {
        (true, false) => format!("{n}번째 주문이 준비되었습니다"),
        (true, true) => format!("{n}번째 주문이 나왔습니다"),
        (false, false) => format!("Round {n} is ready"),
        (false, true) => format!("Round {n} has been served"),
    }
}

/// A refused selection, told plainly; `name` puts a menu name into the customer's language.
pub fn cart_problem(e: &CartError, name: impl Fn(&str) -> String, lang: Lang) -> String {
    let ko = ko(lang);
    match e {
        CartError::TooFewChoices { group, min, .. } => {
            let group = name(group);
            if ko {
                format!("{group}: {min}개를 골라 주세요")
            } else {
                format!("{group}: please choose {min}")
            }
        }
        CartError::MissingSetChoice(step) => {
            let step = name(step);
            if ko { format!("{step}을(를) 골라 주세요") } else { format!("Please choose the {step}") }
        }
        CartError::SoldOut(item) => {
            let item = name(item);
            if ko { format!("{item}은(는) 품절입니다") } else { format!("{item} is sold out") }
        }
        CartError::QuantityLimit { name: item, limit } => {
            let item = name(item);
            if ko {
                format!("{item}은(는) 한 주문에 {limit}개까지입니다")
            } else {
                format!("At most {limit} of {item} per order")
            }
        }
        other => other.to_string(),
    }
}

/// The operator's confirmation before an approval is cancelled at the terminal.
pub fn confirm_cancel(number: u32, amount: &str, approval_no: &str, lang: Lang) -> String {
    if ko(lang) {
        format!(
            "주문 {number}번 {amount} (승인번호 {approval_no}) 결제를 취소할까요? 카드사에 취소가 요청됩니다."
        )
    } else {
        format!(
            "Cancel the payment of {amount} for order {number} (approval {approval_no})? The card issuer is asked to reverse it."
        )
    }
}

/// The keypad changed the voice: what it now is.
pub fn voice_setting(volume: u8, rate_wpm: u16, key: kiosk_drivers::keypad::Key, lang: Lang) -> String {
    use kiosk_drivers::keypad::Key;
    match (ko(lang), matches!(key, Key::VolumeUp | Key::VolumeDown)) {
        (true, true) => format!("음량 {volume}"),
        (true, false) => format!("말하기 속도 {rate_wpm}"),
        (false, true) => format!("Volume {volume}"),
        (false, false) => format!("Speech rate {rate_wpm}"),
    }
}

/// One approval on the operator's payment journal.
pub fn journal_state(reversed: bool, lang: Lang) -> &'static str {
    match (ko(lang), reversed) {
        (true, false) => "승인",
        (true, true) => "취소됨",
        (false, false) => "approved",
        (false, true) => "cancelled",
    }
}

pub struct Sentences {
    pub insert_card: &'static str,
    pub insert_card_detail: &'static str,
    pub show_barcode: &'static str,
    pub show_barcode_detail: &'static str,
    pub approving: &'static str,
    pub sending_order: &'static str,
    pub declined: &'static str,
    pub try_again: &'static str,
    pub unresolved: &'static str,
    pub unresolved_body: &'static str,
    pub ok: &'static str,
    pub done_paid: &'static str,
    pub done_counter: &'static str,
    pub done_queued: &'static str,
    pub receipt_printing: &'static str,
    pub printer_down: &'static str,
    pub round_sent: &'static str,
    pub staff_coming: &'static str,
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
    pub saved: &'static str,
    pub cancelled: &'static str,
    pub cancel_failed: &'static str,
    pub tab_closed: &'static str,
}

const KO: Sentences = Sentences {
    insert_card: "카드를 꽂거나 대 주세요",
    insert_card_detail: "결제를 멈추려면 카드 단말기의 취소 버튼을 눌러 주세요",
    show_barcode: "결제 바코드를 스캐너에 보여 주세요",
    show_barcode_detail: "카카오페이 · 네이버페이 앱의 결제 바코드",
    approving: "승인 중입니다. 잠시만 기다려 주세요",
    sending_order: "주문을 보내는 중입니다",
    declined: "결제가 승인되지 않았습니다",
    try_again: "다시 결제하기",
    unresolved: "결제 확인이 필요합니다",
    unresolved_body: "직원이 곧 도와드립니다. 다시 결제하지 마세요. 주문 번호를 직원에게 알려 주세요.",
    ok: "확인",
    done_paid: "결제가 완료되었습니다. 번호가 불리면 찾아가세요.",
    done_counter: "카운터에서 주문 번호를 말씀하시고 결제해 주세요.",
    done_queued: "주문이 이 기기에 저장되었고 주방 연결이 돌아오면 바로 전달됩니다.",
    receipt_printing: "영수증을 출력하고 있습니다.",
    printer_down: "프린터를 사용할 수 없어 영수증을 출력하지 못했습니다. 화면의 번호를 확인해 주세요.",
    round_sent: "주문이 주방으로 전달되었습니다",
    staff_coming: "직원이 곧 찾아갑니다",
    staff_call_failed: "직원 호출을 보내지 못했습니다. 손을 들어 직원을 불러 주세요.",
    failed: "주문을 처리하지 못했습니다",
    failed_body: "결제되지 않았습니다. 직원에게 문의해 주세요.",
    out_of_service: "잠시 사용할 수 없습니다",
    out_of_service_body: "점검 중입니다. 카운터에서 주문해 주세요.",
    counter_only: "카드 단말기 점검 중: 카운터 결제만 가능합니다",
    pos_away: "주문 전송 대기",
    wrong_pin: "PIN이 맞지 않습니다",
    wrong_code: "결제 바코드가 아닙니다. 다시 보여 주세요.",
    done_bill: "계산이 완료되었습니다. 감사합니다.",
    table_has_tab: "이 테이블의 계산이 끝나지 않았습니다. 먼저 계산을 마감해 주세요",
    saved: "저장했습니다",
    cancelled: "승인을 취소했습니다",
    cancel_failed: "승인을 취소하지 못했습니다. 카드 단말기를 확인해 주세요.",
    tab_closed: "테이블 계산을 마감했습니다",
};

const EN: Sentences = Sentences {
    insert_card: "Insert or tap your card",
    insert_card_detail: "To stop, press cancel on the card reader",
    show_barcode: "Show your payment barcode to the scanner",
    show_barcode_detail: "The payment barcode in Kakao Pay or Naver Pay",
    approving: "Approving. Please wait",
    sending_order: "Sending your order",
    declined: "The payment was declined",
    try_again: "Try again",
    unresolved: "Your payment needs checking",
    unresolved_body: "Staff will help you shortly. Please do not pay again; tell them your order number.",
    ok: "OK",
    done_paid: "Paid. Collect your order when your number is called.",
    done_counter: "Please pay at the counter with your order number.",
    done_queued: "Your order is saved on this kiosk and goes to the kitchen as soon as the link is back.",
    receipt_printing: "Your receipt is printing.",
    printer_down: "The printer is unavailable, so no receipt was printed. Please note your number.",
    round_sent: "Your order is on its way to the kitchen",
    staff_coming: "Staff are on their way",
    staff_call_failed: "The call did not go through. Please raise your hand for staff.",
    failed: "Your order could not be processed",
    failed_body: "You have not been charged. Please ask staff.",
    out_of_service: "Temporarily unavailable",
    out_of_service_body: "This kiosk is being serviced. Please order at the counter.",
    counter_only: "Card reader being serviced: pay at the counter only",
    pos_away: "orders waiting to send",
    wrong_pin: "Wrong PIN",
    wrong_code: "That is not a payment barcode. Please show it again.",
    done_bill: "Your bill is paid. Thank you.",
    table_has_tab: "This table's bill is still open: close the tab first",
    saved: "Saved",
    cancelled: "The approval is cancelled",
    cancel_failed: "The approval could not be cancelled. Check the card reader.",
    tab_closed: "The table's tab is closed",
};

pub fn sentences(lang: Lang) -> &'static Sentences {
    if ko(lang) { &KO } else { &EN }
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
