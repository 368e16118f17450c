//! The three printouts: the customer receipt, the kitchen ticket and the order-number slip,
//! built from a domain [`Order`] in the language of the context (Korean, English, Chinese or
//! Japanese: the customer's for a receipt or slip, the store's for a kitchen ticket) as the
//! printer driver's receipt model.
//! What a receipt says is the application's business; how it reaches paper is the driver's.

use kiosk_domain::{
    Approval, Lang, Money, MoneyStyle, Order, OrderKind, PaymentMethod, Service, Settlement, Wallet,
};

use kiosk_drivers::printer::receipt::{Block, Paper, Receipt, Style};

/// What every receipt says about the business, and how it is printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptContext {
    pub store_name: String,
    /// 사업자등록번호
    pub business_number: String,
    pub representative: Option<String>,
    pub address: String,
    pub phone: Option<String>,
    pub header: Vec<String>,
    pub footer: Vec<String>,
    pub lang: Lang,
    pub paper: Paper,
    /// Local date and time to print, e.g. "2026-11-22 13:45".
    pub printed_at: String,
}

struct Labels {
    business_number: &'static str,
    representative: &'static str,
    phone: &'static str,
    order_no: &'static str,
    dine_in: &'static str,
    take_out: &'static str,
    table: &'static str,
    /// A table's round, `{}` its number: "(2차 주문)".
    round: &'static str,
    bill: &'static str,
    guests: &'static str,
    supply: &'static str,
    vat: &'static str,
    total: &'static str,
    card: &'static str,
    card_no: &'static str,
    installment: &'static str,
    lump_sum: &'static str,
    /// After the number of instalments, with the language's space or none: "3개월", "3 months".
    months: &'static str,
    kakao_pay: &'static str,
    naver_pay: &'static str,
    other_wallet: &'static str,
    approval_no: &'static str,
    approved_at: &'static str,
    pay_at_counter: &'static str,
    on_tab: &'static str,
    share: &'static str,
    whole_bill: &'static str,
    receipt: &'static str,
    copy: &'static str,
    kitchen: &'static str,
    note: &'static str,
    subtotal: &'static str,
    coupon: &'static str,
    reward: &'static str,
    nothing_to_pay: &'static str,
    slip_hint: &'static str,
}

const KO: Labels = Labels {
    business_number: "사업자번호",
    representative: "대표",
    phone: "전화",
    order_no: "주문번호",
    dine_in: "매장",
    take_out: "포장",
    table: "테이블",
    round: "({}차 주문)",
    bill: "계산",
    guests: "인원",
    supply: "공급가액",
    vat: "부가세",
    total: "합계",
    card: "신용카드",
    card_no: "카드번호",
    installment: "할부",
    lump_sum: "일시불",
    months: "개월",
    kakao_pay: "카카오페이",
    naver_pay: "네이버페이",
    other_wallet: "간편결제",
    approval_no: "승인번호",
    approved_at: "승인일시",
    pay_at_counter: "카운터에서 결제해 주세요",
    on_tab: "후불 (테이블 계산)",
    share: "나누어 계산",
    whole_bill: "전체 금액",
    receipt: "영수증",
    copy: "재발행",
    kitchen: "주방 주문서",
    note: "요청",
    subtotal: "소계",
    coupon: "쿠폰 할인",
    reward: "스탬프 보상",
    nothing_to_pay: "결제할 금액 없음",
    slip_hint: "번호가 불리면 카운터로 와 주세요",
};

const EN: Labels = Labels {
    business_number: "Business No.",
    representative: "Owner",
    phone: "Tel",
    order_no: "Order",
    dine_in: "Dine-in",
    take_out: "Take-out",
    table: "Table",
    round: "(round {})",
    bill: "bill",
    guests: "Guests",
    supply: "Supply value",
    vat: "VAT",
    total: "Total",
    card: "Credit card",
    card_no: "Card",
    installment: "Installment",
    lump_sum: "Lump sum",
    months: " months",
    kakao_pay: "Kakao Pay",
    naver_pay: "Naver Pay",
    other_wallet: "Mobile wallet",
    approval_no: "Approval No.",
    approved_at: "Approved",
    pay_at_counter: "Please pay at the counter",
    on_tab: "On the table's tab",
    share: "Split bill, share",
    whole_bill: "Whole bill",
    receipt: "RECEIPT",
    copy: "COPY",
    kitchen: "KITCHEN",
    note: "Note",
    subtotal: "Subtotal",
    coupon: "Coupon",
    reward: "Stamp reward",
    nothing_to_pay: "Nothing to pay",
    slip_hint: "Please come to the counter when your number is called",
};

const ZH: Labels = Labels {
    business_number: "营业执照号",
    representative: "代表",
    phone: "电话",
    order_no: "订单号",
    dine_in: "堂食",
    take_out: "打包",
    table: "桌号",
    round: "(第{}轮)",
    bill: "结账",
    guests: "人数",
    supply: "不含税金额",
    vat: "增值税",
    total: "合计",
    card: "信用卡",
    card_no: "卡号",
    installment: "分期",
    lump_sum: "一次付清",
    months: "期",
    kakao_pay: "Kakao Pay",
    naver_pay: "Naver Pay",
    other_wallet: "移动支付",
    approval_no: "授权号",
    approved_at: "授权时间",
    pay_at_counter: "请在收银台付款",
    on_tab: "餐后结账",
    share: "分开结账",
    whole_bill: "总金额",
    receipt: "收据",
    copy: "补打",
    kitchen: "厨房单",
    note: "备注",
    subtotal: "小计",
    coupon: "优惠券",
    reward: "集章奖励",
    nothing_to_pay: "无需付款",
    slip_hint: "叫到您的号码时请到柜台取餐",
};

const JA: Labels = Labels {
    business_number: "事業者番号",
    representative: "代表",
    phone: "電話",
    order_no: "注文番号",
    dine_in: "店内",
    take_out: "持ち帰り",
    table: "テーブル",
    round: "({}回目)",
    bill: "会計",
    guests: "人数",
    supply: "税抜金額",
    vat: "消費税",
    total: "合計",
    card: "クレジットカード",
    card_no: "カード番号",
    installment: "分割",
    lump_sum: "一括払い",
    months: "回",
    kakao_pay: "Kakao Pay",
    naver_pay: "Naver Pay",
    other_wallet: "モバイル決済",
    approval_no: "承認番号",
    approved_at: "承認日時",
    pay_at_counter: "レジでお支払いください",
    on_tab: "後払い(テーブル会計)",
    share: "割り勘",
    whole_bill: "総額",
    receipt: "領収書",
    copy: "再発行",
    kitchen: "キッチン伝票",
    note: "ご要望",
    subtotal: "小計",
    coupon: "クーポン",
    reward: "スタンプ特典",
    nothing_to_pay: "お支払いなし",
    slip_hint: "番号が呼ばれたらカウンターへお越しください",
};

fn labels(lang: Lang) -> &'static Labels {
    match lang {
        Lang::Ko => &KO,
        Lang::En => &EN,
        Lang::Zh => &ZH,
        Lang::Ja => &JA,
    }
}

fn amount(order: &Order, m: Money) -> String {
    m.display(order.currency, MoneyStyle::Plain)
}

fn total(order: &Order, lang: Lang) -> String {
    in_words(order, order.total(), lang)
}

/// An amount as a total is printed: "17,800원", "₩17,800".
fn in_words(order: &Order, m: Money, lang: Lang) -> String {
    let style = if lang == Lang::Ko { MoneyStyle::Korean } else { MoneyStyle::Symbol };
    m.display(order.currency, style)
}

/// "포장 / 매장 / 테이블 12 (2차 주문)".
fn where_(order: &Order, l: &Labels) -> String {
    match &order.kind {
        OrderKind::Kiosk { service: Service::DineIn } => l.dine_in.to_owned(),
        OrderKind::Kiosk { service: Service::TakeOut } => l.take_out.to_owned(),
        OrderKind::Table { table, round, .. } => {
            format!("{} {table} {}", l.table, l.round.replace("{}", &round.to_string()))
        }
        OrderKind::TableBill { table, .. } => format!("{} {table} {}", l.table, l.bill),
    }
}

fn store_header(r: &mut Receipt, ctx: &ReceiptContext, l: &Labels) {
    r.text(&ctx.store_name, Style::default().double().center().bold());
    let mut id = format!("{} {}", l.business_number, ctx.business_number);
    if let Some(rep) = &ctx.representative {
        id += &format!("  {} {rep}", l.representative);
    }
    r.text(id, Style::default());
    r.text(&ctx.address, Style::default());
    if let Some(phone) = &ctx.phone {
        r.text(format!("{} {phone}", l.phone), Style::default());
    }
}

/// The customer's receipt: the business, the order with its options, supply value, VAT and
/// total, and how it was paid.
pub fn customer_receipt(ctx: &ReceiptContext, order: &Order, approval: Option<&Approval>) -> Receipt {
    receipt(ctx, order, approval, false)
}

/// A receipt printed again (the operator's reprint): the same, marked as a copy
/// ("[영수증 재발행]"), so it is never taken for a second purchase.
pub fn receipt_copy(ctx: &ReceiptContext, order: &Order, approval: Option<&Approval>) -> Receipt {
    receipt(ctx, order, approval, true)
}

fn receipt(ctx: &ReceiptContext, order: &Order, approval: Option<&Approval>, copy: bool) -> Receipt {
    let l = labels(ctx.lang);
    let mut r = Receipt::new(ctx.paper);
    store_header(&mut r, ctx, l);
    for line in &ctx.header {
        r.text(line, Style::default().center());
    }
    r.separator('=');
    let title = if copy { format!("[{} {}]", l.receipt, l.copy) } else { format!("[{}]", l.receipt) };
    r.text(title, Style::default().center().bold());
    r.row(format!("{} {:04}", l.order_no, order.number), where_(order, l), Style::default());
    r.text(&ctx.printed_at, Style::default());
    r.separator('-');
    for line in &order.lines {
        r.row(
            format!("{} x{}", line.name.get(ctx.lang), line.quantity),
            amount(order, line.line_total),
            Style::default(),
        );
        for part in &line.parts {
            let indent = "  ".repeat(usize::from(part.depth) + 1);
            let name = format!("{indent}+ {}", part.name.get(ctx.lang));
            if part.delta == Money::ZERO {
                r.text(name, Style::default());
            } else {
                r.row(name, amount(order, part.delta), Style::default());
            }
        }
        if let Some(note) = &line.selection.note {
            r.text(format!("    ※ {}", note.render(ctx.lang)), Style::default());
        }
    }
    if let Some(note) = &order.note {
        r.text(format!("※ {}: {}", l.note, note.render(ctx.lang)), Style::default());
    }
    r.separator('-');
    if order.totals.discount != Money::ZERO {
        // The lines' sum, the stamp reward, the coupon, then the VAT split of what was paid.
        let reward = order.stamps.as_ref().and_then(|s| s.reward).unwrap_or(Money::ZERO);
        r.row(l.subtotal, amount(order, order.totals.subtotal()), Style::default());
        if reward != Money::ZERO {
            r.row(l.reward, amount(order, -reward), Style::default());
        }
        if let Some(coupon) = &order.coupon {
            let off = Money(order.totals.discount.0 - reward.0);
            r.row(format!("{} {}", l.coupon, coupon.code), amount(order, -off), Style::default());
        }
    }
    r.row(l.supply, amount(order, order.totals.vat.supply), Style::default());
    r.row(l.vat, amount(order, order.totals.vat.vat), Style::default());
    r.row(l.total, total(order, ctx.lang), Style::default().bold().tall());
    if let Some(share) = order.kind.share() {
        // One diner's part: which share, and the whole bill it is part of.
        r.row(format!("{} {}", l.share, share.part), total(order, ctx.lang), Style::default());
        r.row(l.whole_bill, in_words(order, share.whole, ctx.lang), Style::default());
    }
    r.separator('-');
    match (order.settlement, approval) {
        (Settlement::Prepaid, Some(a)) => payment_lines(&mut r, l, a),
        (Settlement::Tab, _) => {
            r.text(l.on_tab, Style::default());
        }
        _ if order.total() == Money::ZERO => {
            r.text(l.nothing_to_pay, Style::default().bold());
        }
        _ => {
            r.text(l.pay_at_counter, Style::default().bold());
        }
    }
    if !ctx.footer.is_empty() {
        r.separator('-');
        for line in &ctx.footer {
            r.text(line, Style::default().center());
        }
    }
    r.push(Block::Feed(1));
    r.push(Block::Cut { partial: true });
    r
}

fn payment_lines(r: &mut Receipt, l: &Labels, a: &Approval) {
    let method = match a.method {
        PaymentMethod::Card => match &a.issuer {
            Some(issuer) => format!("{} {issuer}", l.card),
            None => l.card.to_owned(),
        },
        PaymentMethod::Wallet(Wallet::KakaoPay) => l.kakao_pay.to_owned(),
        PaymentMethod::Wallet(Wallet::NaverPay) => l.naver_pay.to_owned(),
        PaymentMethod::Wallet(Wallet::Other) => l.other_wallet.to_owned(),
    };
    r.text(method, Style::default());
    if let Some(masked) = &a.card_masked {
        r.row(l.card_no, masked, Style::default());
    }
    if a.method == PaymentMethod::Card {
        let months = match a.installment_months {
            0 | 1 => l.lump_sum.to_owned(),
            n => format!("{n}{}", l.months),
        };
        r.row(l.installment, months, Style::default());
    }
    r.row(l.approval_no, &a.approval_no, Style::default());
    r.row(l.approved_at, format_terminal_time(&a.approved_at), Style::default());
}

/// `YYMMDDhhmmss` → `20YY-MM-DD hh:mm:ss`; anything else as it came.
fn format_terminal_time(t: &str) -> String {
    if t.len() == 12 && t.bytes().all(|b| b.is_ascii_digit()) {
        format!("20{}-{}-{} {}:{}:{}", &t[0..2], &t[2..4], &t[4..6], &t[6..8], &t[8..10], &t[10..12])
    } else {
        t.to_owned()
    }
}

/// The kitchen's ticket: a large order number, where it goes, and what to make. No prices.
pub fn kitchen_ticket(ctx: &ReceiptContext, order: &Order) -> Receipt {
    station_ticket(ctx, order, labels(ctx.lang).kitchen)
}

/// A station's ticket (the bar, the grill): the kitchen's ticket headed with the station's
/// name, for the lines it makes (the caller passes the order with those lines).
pub fn station_ticket(ctx: &ReceiptContext, order: &Order, station: &str) -> Receipt {
    let l = labels(ctx.lang);
    let mut r = Receipt::new(ctx.paper);
    r.text(format!("[{station}]"), Style::default().center());
    r.text(format!("{} {:04}", l.order_no, order.number), Style::default().double().center().bold());
    r.text(where_(order, l), Style::default().double().center());
    if let OrderKind::Table { guests, round: 1, .. } = &order.kind {
        r.text(format!("{} {guests}", l.guests), Style::default().center());
    }
    r.text(&ctx.printed_at, Style::default().center());
    r.separator('=');
    for line in &order.lines {
        r.text(format!("{} x{}", line.name.get(ctx.lang), line.quantity), Style::default().bold().tall());
        for part in &line.parts {
            let indent = "  ".repeat(usize::from(part.depth) + 1);
            r.text(format!("{indent}+ {}", part.name.get(ctx.lang)), Style::default().tall());
        }
        if let Some(note) = &line.selection.note {
            r.text(format!("  ※ {}: {}", l.note, note.render(ctx.lang)), Style::default().bold());
        }
    }
    if let Some(note) = &order.note {
        // The whole order's requests, under its lines, as large as a line.
        r.separator('-');
        r.text(format!("※ {}: {}", l.note, note.render(ctx.lang)), Style::default().bold().tall());
    }
    r.separator('=');
    r.push(Block::Feed(1));
    r.push(Block::Cut { partial: false });
    r
}

/// The slip a customer keeps: the order number, large.
pub fn order_slip(ctx: &ReceiptContext, order: &Order) -> Receipt {
    let l = labels(ctx.lang);
    let mut r = Receipt::new(ctx.paper);
    r.text(&ctx.store_name, Style::default().center().bold());
    r.text(l.order_no, Style::default().center());
    r.text(
        format!("{:04}", order.number),
        Style { bold: true, width: 2, height: 2, align: kiosk_drivers::printer::receipt::Align::Center },
    );
    r.text(where_(order, l), Style::default().center());
    r.text(&ctx.printed_at, Style::default().center());
    r.text(l.slip_hint, Style::default().center());
    r.push(Block::Feed(1));
    r.push(Block::Cut { partial: true });
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiosk_domain::{Cart, Note, OrderId, Pick, Selection, Text};

    fn menu() -> kiosk_domain::Menu {
        serde_json::from_str(include_str!("../../data/menu.example.json")).expect("example menu")
    }

    fn order(settlement: Settlement) -> Order {
        let menu = menu();
        let mut cart = Cart::default();
        let mut burger = Selection::of("bulgogi-burger", 2);
        burger.options.insert("patty".into(), vec![Pick::plain("double")]);
        burger.options.insert("extras".into(), vec![Pick::plain("cheese"), Pick::plain("no-pickles")]);
        burger.note = Note::of(vec![Text::new("덜 맵게", "Less spicy")], "소스 많이");
        cart.add(&menu, burger, None).unwrap();
        cart.add(&menu, Selection::of("cola", 1), None).unwrap();
        cart.set_note(Note::of(vec![Text::new("포크 2개", "Two forks")], "")).unwrap();
        let kind = OrderKind::Kiosk { service: Service::TakeOut };
        let mut o =
            Order::from_cart(OrderId(uuid::Uuid::nil()), 0, kind, settlement, &cart, &menu, 0).unwrap();
        o.number = 123;
        o
    }

    fn ctx(lang: Lang) -> ReceiptContext {
        ReceiptContext {
            store_name: "한입버거 강남점".into(),
            business_number: "123-45-67891".into(),
            representative: Some("김한입".into()),
            address: "서울특별시 강남구 테헤란로 123".into(),
            phone: Some("02-555-0123".into()),
            header: vec![],
            footer: vec!["감사합니다".into()],
            lang,
            paper: Paper::MM80,
            printed_at: "2026-11-22 13:45".into(),
        }
    }

    fn approval(amount: Money) -> Approval {
        Approval {
            card_masked: Some("9411-23**-****-1234".into()),
            issuer: Some("KB국민카드".into()),
            installment_months: 3,
            ..Approval::card("30012345", "261122134501", amount)
        }
    }

    #[test]
    fn the_customer_receipt_has_what_korean_receipts_must_show() {
        let o = order(Settlement::Prepaid);
        let text = customer_receipt(&ctx(Lang::Ko), &o, Some(&approval(o.total()))).text_lines().join("\n");
        for needle in [
            "한입버거 강남점",
            "사업자번호 123-45-67891  대표 김한입",
            "주문번호 0123",
            "포장",
            "불고기 버거 x2",
            "+ 더블",
            "+ 피클 빼기",
            "※ 덜 맵게, 소스 많이",
            "※ 요청: 포크 2개",
            "공급가액",
            "부가세",
            "합계",
            "17,800원",
            "신용카드 KB국민카드",
            "9411-23**-****-1234",
            "3개월",
            "30012345",
            "2026-11-22 13:45:01",
            "감사합니다",
        ] {
            assert!(text.contains(needle), "{needle:?} missing from\n{text}");
        }
        // 2 × (5,500 + 2,000 double + 500 cheese) + 1,800 cola; VAT = floor(17,800 / 11)
        assert_eq!(o.total(), Money(17_800));
        assert!(text.contains("16,182") && text.contains("1,618"), "supply and VAT\n{text}");
    }

    #[test]
    fn a_coupons_discount_is_printed_and_the_vat_is_on_what_was_paid() {
        let mut cart = Cart::default();
        let menu = menu();
        cart.add(&menu, Selection::of("cola", 5), None).unwrap();
        let terms = kiosk_domain::CouponTerms {
            value: kiosk_domain::CouponValue::Amount(Money(2_000)),
            min_order: Money(0),
        };
        cart.set_coupon(Some(kiosk_domain::Coupon { code: "WELCOME".into(), terms })).unwrap();
        let kind = OrderKind::Kiosk { service: Service::DineIn };
        let o = Order::from_cart(OrderId(uuid::Uuid::nil()), 7, kind, Settlement::Prepaid, &cart, &menu, 0)
            .unwrap();
        // 5 × 1,800 = 9,000 less 2,000: 7,000 paid, VAT floor(7,000 / 11) = 636.
        assert_eq!((o.totals.subtotal(), o.total()), (Money(9_000), Money(7_000)));
        let text = customer_receipt(&ctx(Lang::Ko), &o, Some(&approval(o.total()))).text_lines().join("\n");
        for needle in ["소계", "9,000", "쿠폰 할인 WELCOME", "-2,000", "6,364", "636", "7,000원"] {
            assert!(text.contains(needle), "{needle:?} missing from\n{text}");
        }
        let en = customer_receipt(&ctx(Lang::En), &o, None).text_lines().join("\n");
        assert!(en.contains("Coupon WELCOME") && en.contains("Subtotal"), "{en}");
    }

    #[test]
    fn a_reprint_says_it_is_a_copy() {
        let o = order(Settlement::Prepaid);
        let paid = approval(o.total());
        let original = customer_receipt(&ctx(Lang::Ko), &o, Some(&paid)).text_lines();
        let copy = receipt_copy(&ctx(Lang::Ko), &o, Some(&paid)).text_lines();
        assert!(original.iter().any(|l| l.trim() == "[영수증]"), "{original:?}");
        assert!(copy.iter().any(|l| l.trim() == "[영수증 재발행]"), "{copy:?}");
        let rest = |lines: &[String]| lines.iter().filter(|l| !l.contains('[')).cloned().collect::<Vec<_>>();
        assert_eq!(rest(&original), rest(&copy), "the same receipt otherwise");
        let en = receipt_copy(&ctx(Lang::En), &o, Some(&paid)).text_lines();
        assert!(en.iter().any(|l| l.trim() == "[RECEIPT COPY]"), "{en:?}");
    }

    #[test]
    fn a_shares_receipt_shows_its_part_and_the_whole_bill() {
        let mut round = order(Settlement::Prepaid);
        round.kind = OrderKind::Table { table: kiosk_domain::TableId("7".into()), guests: 2, round: 1 };
        round.settlement = Settlement::Tab;
        round.state = kiosk_domain::OrderState::Committed;
        let mut tab = kiosk_domain::Tab::open(kiosk_domain::TableId("7".into()), 2);
        tab.add_round(round).unwrap();
        let share =
            tab.share_order(OrderId(uuid::Uuid::nil()), kiosk_domain::Split::Even { parts: 2 }, 0).unwrap();
        let text =
            customer_receipt(&ctx(Lang::Ko), &share, Some(&approval(share.total()))).text_lines().join("\n");
        for needle in ["테이블 7 계산", "나누어 계산 1", "8,900원", "전체 금액", "17,800원"] {
            assert!(text.contains(needle), "{needle:?} missing from\n{text}");
        }
    }

    #[test]
    fn english_receipt_and_pay_at_counter() {
        let o = order(Settlement::PayAtCounter);
        let text = customer_receipt(&ctx(Lang::En), &o, None).text_lines().join("\n");
        assert!(text.contains("Bulgogi burger x2") && text.contains("Please pay at the counter"), "{text}");
        // The requests in the customer's language (what they wrote, as they wrote it).
        assert!(text.contains("※ Less spicy, 소스 많이") && text.contains("※ Note: Two forks"), "{text}");
        assert!(text.contains("₩17,800"), "{text}");
        assert!(text.contains("Supply value") && text.contains("VAT"));
    }

    #[test]
    fn the_kitchen_ticket_has_no_prices_and_the_slip_a_big_number() {
        let o = order(Settlement::Prepaid);
        let t = kitchen_ticket(&ctx(Lang::Ko), &o);
        let text = t.text_lines().join("\n");
        assert!(
            text.contains("주문번호 0123")
                && text.contains("불고기 버거 x2")
                && text.contains("※ 요청: 덜 맵게, 소스 많이")
                && text.contains("※ 요청: 포크 2개"),
            "{text}"
        );
        assert!(!text.contains("16,000") && !text.contains("원"), "{text}");
        let slip = order_slip(&ctx(Lang::Ko), &o);
        assert!(
            slip.blocks
                .iter()
                .any(|b| matches!(b, Block::Text { text, style } if text == "0123" && style.width == 2))
        );
    }
}
