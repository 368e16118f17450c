//! What the screen shows, computed from the session: display strings and flags only, in
//! the customer's language. The Slint binding copies it into the `Kiosk` global; tests read
//! it directly.

use kiosk_domain::{Item, Lang, LocalTime, Menu, PricedLine, Totals};

use crate::flow::Flow;
use crate::note::KeyboardMode;
use crate::stage::{OptionKey, Page, PayWith, Paying, PayingWhat, ReceiptState, Stage};
pub use crate::status::DeviceRow;
use crate::words::{self, sentences};
use kiosk_domain::Settlement;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ItemCard {
    pub id: String,
    pub name: String,
    pub price: String,
    pub tags: String,
    pub sold_out: bool,
    /// Not on sale now (a time-of-day menu): when it is, "11:00부터"; empty while on sale.
    pub closed: String,
    /// The image file name from the menu, resolved by the binding.
    pub photo: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionChip {
    pub id: String,
    pub name: String,
    pub delta: String,
    pub chosen: bool,
    pub sold_out: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionGroupView {
    pub id: String,
    pub name: String,
    pub rule: String,
    pub options: Vec<OptionChip>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub name: String,
    pub detail: String,
    pub quantity: u32,
    pub total: String,
}

/// A request preset's chip (요청사항) on the item page or the cart page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteChip {
    pub id: String,
    pub name: String,
    pub chosen: bool,
}

/// A suggestion (함께 드시면 좋아요): the item offered and its price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuggestionCard {
    pub id: String,
    pub name: String,
    pub price: String,
}

/// The on-screen keyboard's page.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyboardView {
    /// What the request is for: the item's name, or the order.
    pub title: String,
    /// The text so far, with the syllable being composed.
    pub text: String,
    /// "12/40"
    pub count: String,
    /// The letter keys, row by row, as the layout and shift have them.
    pub rows: Vec<Vec<String>>,
    pub korean: bool,
    pub shift: bool,
    pub problem: String,
    /// A coupon code or a mobile number is typed (the text box's words, and no layout or
    /// shift key).
    pub coupon: bool,
    pub phone: bool,
}

/// One of the bill's open lines on the split page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareLine {
    pub line: Line,
    /// This share pays for it.
    pub chosen: bool,
}

/// One order on the operator's receipt journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayOrderRow {
    pub order: String,
    /// "#12 · 14:03"
    pub title: String,
    pub amount: String,
    pub state: String,
}

/// One approval on the operator's payment journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalRow {
    pub order: String,
    /// "#12 · 2026-11-22 14:03"
    pub title: String,
    pub amount: String,
    pub approval_no: String,
    pub state: String,
    pub can_cancel: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    pub page: Page,
    pub lang: Lang,
    /// The languages the store offers, in its order (the language page's choices).
    pub languages: Vec<Lang>,
    pub store_name: String,
    pub table_label: String,
    pub status_line: String,
    pub notice: String,
    pub categories: Vec<String>,
    pub category_index: usize,
    pub items: Vec<ItemCard>,
    pub item: ItemCard,
    pub item_description: String,
    pub groups: Vec<OptionGroupView>,
    pub quantity: u32,
    pub item_total: String,
    pub item_problem: String,
    /// The item page's request presets for the item, or the cart page's for the order, and
    /// the text the customer wrote.
    pub note_chips: Vec<NoteChip>,
    pub note_text: String,
    /// The keyboard page.
    pub keyboard: KeyboardView,
    /// The menu's card of the suggestion just made (one), or the cart page's suggestions.
    pub suggestions: Vec<SuggestionCard>,
    pub lines: Vec<Line>,
    pub item_count: u32,
    /// The cart page's coupon: "Coupon WELCOME: −₩1,000" (empty: none), and whether one can
    /// be entered.
    pub coupon_line: String,
    pub coupons_offered: bool,
    /// The cart page's stamps: "Stamps: 7, +2 with this order" (empty: no card yet), whether
    /// a number can be given, and the reward offered ("Use a free Americano (10 stamps)";
    /// empty: none) or taken.
    pub stamp_line: String,
    pub stamps_offered: bool,
    pub reward_offer: String,
    pub reward_taken: bool,
    pub total: String,
    pub vat_line: String,
    pub payment_prompt: String,
    pub payment_detail: String,
    pub can_cancel_payment: bool,
    pub order_number: String,
    pub done_detail: String,
    pub receipt_offered: bool,
    /// The done page offers the receipt as a QR code (the store serves e-receipts).
    pub receipt_qr_offered: bool,
    /// The order whose e-receipt's QR code the done page shows.
    pub receipt_qr: Option<kiosk_domain::OrderId>,
    pub problem_title: String,
    pub problem_body: String,
    pub problem_action: String,
    pub card_available: bool,
    pub wallet_available: bool,
    pub counter_available: bool,
    pub idle_seconds: Option<u32>,
    pub ask_guests: bool,
    pub guests: u32,
    pub tab_lines: Vec<Line>,
    /// A pre-pay table's rounds, paid as they were ordered (the bill page lists them), and
    /// those sent to be paid at the counter.
    pub paid_lines: Vec<Line>,
    pub counter_lines: Vec<Line>,
    /// The table owes for rounds on its tab.
    pub owes: bool,
    /// The bill page, once a share is paid: the whole bill and what the shares paid.
    pub bill_paid_line: String,
    /// The split page: by items or evenly, among how many, the open lines, this share's
    /// amount, and what remains after it.
    pub split_by_items: bool,
    pub split_diners: u32,
    pub split_lines: Vec<ShareLine>,
    pub split_amount: String,
    pub split_summary: String,
    /// The split page's share can be paid (something chosen, nothing being checked).
    pub split_payable: bool,
    pub tab_total: String,
    pub tab_vat_line: String,
    pub pin_problem: String,
    /// Operator page only: device health and every item with its sold-out mark.
    pub devices: Vec<DeviceRow>,
    pub all_items: Vec<ItemCard>,
    /// Operator page: the settings as they stand, and the payment journal.
    pub setting_table: String,
    /// The table owes for rounds: staff can close its tab after payment at the counter.
    pub can_close_tab: bool,
    pub setting_volume: u32,
    pub setting_idle_s: u32,
    pub setting_language: Lang,
    pub journal: Vec<JournalRow>,
    /// Operator page: today's orders (the receipt journal).
    pub day_orders: Vec<DayOrderRow>,
    /// The question before an approval is cancelled; empty when none is asked.
    pub confirm_cancel: String,
    /// The bill page: the table's bill can be paid here by card, by barcode.
    pub bill_card: bool,
    pub bill_wallet: bool,
    /// The barrier-free modes on.
    pub access: crate::access::Access,
    /// What the voice guidance says about this page (empty with the voice off).
    pub speech: Vec<String>,
    /// The done page: what was paid for, and its total (spoken as the receipt).
    pub receipt_lines: Vec<Line>,
    pub receipt_total: String,
    /// The pay page offers instalments (a card, 50,000 won or more), and the plan chosen:
    /// "일시불" (a lump sum) or "3개월".
    pub instalments_offered: bool,
    pub instalments: String,
}

impl Flow {
    pub fn view(&self) -> View {
        let lang = self.lang;
        let menu = self.menu();
        let currency = menu.currency;
        let s = sentences(lang);
        let money = |m| words::money(m, currency, lang);
        let totals = or_zero(self.cart.totals(menu.vat_rate()), menu);

        let category = menu.categories.get(self.category);
        let items = category
            .map(|c| menu.items_in(&c.id).map(|i| card(menu, i, lang, self.local)).collect())
            .unwrap_or_default();

        let mut view = View {
            page: self.page(),
            lang,
            languages: self.settings().languages.clone(),
            store_name: self.settings().store_name.clone(),
            table_label: self.tab.as_ref().map(|t| words::table_label(&t.table.0, lang)).unwrap_or_default(),
            status_line: self.status_line(),
            notice: self.notice.as_ref().map(|(t, _)| t.clone()).unwrap_or_default(),
            categories: menu.categories.iter().map(|c| c.name.get(lang).to_owned()).collect(),
            category_index: self.category,
            items,
            item: ItemCard::default(),
            item_description: String::new(),
            groups: Vec::new(),
            quantity: 1,
            item_total: String::new(),
            item_problem: String::new(),
            note_chips: Vec::new(),
            note_text: String::new(),
            keyboard: KeyboardView::default(),
            suggestions: Vec::new(),
            lines: self.cart.lines().iter().map(|l| line(l, currency, lang)).collect(),
            item_count: self.cart.lines().iter().map(|l| l.quantity).sum(),
            coupon_line: self.coupon_line(),
            coupons_offered: self.coupons_offered(),
            stamp_line: self.stamp_line(),
            stamps_offered: self.stamps_offered(),
            reward_offer: if self.reward_offered() { self.reward_label() } else { String::new() },
            reward_taken: self.cart.stamps().is_some_and(|s| s.reward.is_some()),
            total: money(totals.total()),
            vat_line: words::vat_included(totals.vat.vat, currency, lang),
            payment_prompt: String::new(),
            payment_detail: String::new(),
            can_cancel_payment: false,
            order_number: String::new(),
            done_detail: String::new(),
            receipt_offered: false,
            receipt_qr_offered: false,
            receipt_qr: None,
            problem_title: String::new(),
            problem_body: String::new(),
            problem_action: String::new(),
            card_available: self.offers(PayWith::Card),
            wallet_available: self.offers(PayWith::Wallet),
            counter_available: self.offers(PayWith::Counter),
            idle_seconds: self.idle_warning(),
            ask_guests: self.tab.as_ref().is_some_and(|t| t.rounds.is_empty()),
            guests: self.guests as u32,
            tab_lines: Vec::new(),
            paid_lines: Vec::new(),
            counter_lines: Vec::new(),
            owes: false,
            bill_paid_line: String::new(),
            split_by_items: false,
            split_diners: 0,
            split_lines: Vec::new(),
            split_amount: String::new(),
            split_summary: String::new(),
            split_payable: false,
            tab_total: String::new(),
            tab_vat_line: String::new(),
            pin_problem: self.pin_problem().unwrap_or_default().to_owned(),
            devices: Vec::new(),
            all_items: Vec::new(),
            setting_table: self.settings().table.clone().unwrap_or_default(),
            can_close_tab: self.tab.as_ref().is_some_and(|t| !t.rounds.is_empty()),
            setting_volume: u32::from(self.settings().volume),
            setting_idle_s: (self.settings().idle_timeout_ms / 1000) as u32,
            setting_language: self.settings().default_language,
            journal: Vec::new(),
            day_orders: Vec::new(),
            confirm_cancel: String::new(),
            bill_card: self.bill_payable(PayWith::Card),
            bill_wallet: self.bill_payable(PayWith::Wallet),
            access: self.access,
            speech: Vec::new(),
            receipt_lines: Vec::new(),
            receipt_total: String::new(),
            instalments_offered: false,
            instalments: String::new(),
        };
        if self.page() == Page::Operator {
            view.devices = self.devices.clone();
            view.all_items = menu.items.iter().map(|i| card(menu, i, lang, self.local)).collect();
            view.journal = self
                .journal
                .iter()
                .map(|j| JournalRow {
                    order: j.order.to_string(),
                    title: format!("#{} · {}", j.number, j.at),
                    amount: money(j.amount),
                    approval_no: j.approval_no.clone(),
                    state: words::journal_state(j.reversed, lang).into(),
                    can_cancel: !j.reversed,
                })
                .collect();
            view.day_orders = self
                .day_orders
                .iter()
                .map(|d| DayOrderRow {
                    order: d.order.to_string(),
                    title: format!("#{} · {}", d.number, d.at),
                    amount: money(d.total),
                    state: words::day_order_state(d.settlement, d.undone, lang).into(),
                })
                .collect();
            if let Some(j) = self.confirm_cancel().and_then(|o| self.journal.iter().find(|j| j.order == o)) {
                view.confirm_cancel = words::confirm_cancel(j.number, &money(j.amount), &j.approval_no, lang);
            }
        }

        if let Some(editor) = self.editor()
            && let Some(item) = menu.item(&editor.item)
        {
            view.item = card(menu, item, lang, self.local);
            view.item_description =
                item.description.as_ref().map(|d| d.get(lang).to_owned()).unwrap_or_default();
            view.groups = groups(menu, item, editor, lang);
            view.quantity = editor.quantity;
            view.item_total = match self.editor_price() {
                Some(Ok(priced)) => money(priced.line_total),
                _ => money(item.price.checked_mul(editor.quantity).unwrap_or(item.price)),
            };
            view.item_problem = editor.problem.clone().unwrap_or_default();
            (view.note_chips, view.note_text) =
                note_chips(menu.item_presets(item), editor.note.as_ref(), lang);
        }
        let suggestion_card = |s: &kiosk_domain::Suggestion| {
            menu.item(&s.offer).map(|i| SuggestionCard {
                id: s.id.0.clone(),
                name: i.name.get(lang).to_owned(),
                price: money(i.price),
            })
        };
        match self.page() {
            Page::Menu | Page::TableHome => {
                view.suggestions = self.pending_suggestion().and_then(suggestion_card).into_iter().collect();
            }
            Page::Cart => {
                view.suggestions = self.cart_suggestions().into_iter().filter_map(suggestion_card).collect()
            }
            _ => {}
        }
        match &self.stage {
            crate::stage::Stage::Cart => {
                (view.note_chips, view.note_text) = note_chips(menu.order_presets(), self.cart.note(), lang);
            }
            crate::stage::Stage::Note(keyboard) => {
                view.keyboard = keyboard_view(keyboard, menu, lang, self.access.magnify)
            }
            _ => {}
        }

        if let Stage::Paying(Paying { what, .. }) = &self.stage {
            match what {
                PayingWhat::AwaitingScan { .. } => {
                    view.payment_prompt = s.show_barcode.into();
                    view.payment_detail = s.show_barcode_detail.into();
                    view.can_cancel_payment = true;
                }
                PayingWhat::Charging(PayWith::Card) => {
                    view.payment_prompt = s.insert_card.into();
                    view.payment_detail = s.insert_card_detail.into();
                    view.can_cancel_payment = self.draft.is_some();
                }
                PayingWhat::CancellingCharge => {
                    view.payment_prompt = s.cancelling_charge.into();
                    view.payment_detail = s.cancelling_charge_detail.into();
                }
                PayingWhat::Charging(PayWith::Wallet) => view.payment_prompt = s.approving.into(),
                PayingWhat::Charging(PayWith::Counter) | PayingWhat::SendingRound => {
                    view.payment_prompt = s.sending_order.into();
                }
            }
        }

        if let Some(done) = self.done() {
            view.order_number = done.number.to_string();
            let share_done = done
                .share
                .zip(done.still_owed)
                .map(|(part, owed)| words::share_done(part, &money(owed), lang));
            let mut detail = vec![match (done.bill, done.round, done.settlement) {
                _ if share_done.is_some() => share_done.as_deref().unwrap_or_default(),
                (true, _, _) => s.done_bill,
                (false, true, Settlement::PayAtCounter) => s.done_round_counter,
                (false, true, _) => s.done_round_paid,
                (false, false, Settlement::PayAtCounter) if done.free => s.done_free,
                (false, false, Settlement::PayAtCounter) => s.done_counter,
                (false, false, _) => s.done_paid,
            }];
            match done.receipt {
                ReceiptState::Printing => detail.push(s.receipt_printing),
                ReceiptState::PrinterDown => detail.push(s.printer_down),
                ReceiptState::Qr => detail.push(s.receipt_qr),
                ReceiptState::Offered | ReceiptState::Declined => {}
            }
            if done.queued {
                detail.push(s.done_queued);
            }
            view.done_detail = detail.join(" ");
            view.receipt_offered = done.receipt == ReceiptState::Offered && self.availability().printer;
            view.receipt_qr_offered = done.receipt == ReceiptState::Offered && self.settings.e_receipts;
            view.receipt_qr = (done.receipt == ReceiptState::Qr).then_some(done.order);
            view.receipt_lines = done.lines.iter().map(|l| line(l, currency, lang)).collect();
            let paid = or_zero(kiosk_domain::Totals::of(&done.lines, menu.vat_rate()), menu);
            view.receipt_total = money(paid.total());
        }

        view.instalments_offered = self.instalments_offered();
        view.instalments = if self.instalment_months == 0 {
            s.lump_sum.to_owned()
        } else {
            s.months.replace("{}", &self.instalment_months.to_string())
        };

        if let Some(p) = self.problem() {
            view.problem_title = p.title.clone();
            view.problem_body = p.body.clone();
            view.problem_action = p.action.clone();
        }

        if let Some(tab) = self.tab() {
            let lines = tab.standing_lines();
            let bill = or_zero(tab.bill(menu.vat_rate()), menu);
            view.tab_lines = lines.iter().map(|l| line(l, currency, lang)).collect();
            view.tab_total = money(bill.total());
            view.tab_vat_line = words::vat_included(bill.vat.vat, currency, lang);
            view.owes = tab.owes();
            if !tab.shares.is_empty() {
                // The tab's total is what is still owed, with its VAT; the whole and the
                // shares beside it.
                view.tab_total = money(tab.owed());
                view.tab_vat_line =
                    words::vat_included(tab.owed().vat_split(menu.vat_rate()).vat, currency, lang);
                view.bill_paid_line =
                    words::shares_paid(&money(tab.whole()), &money(tab.paid_by_shares()), lang);
            }
            if self.stage == Stage::Split {
                let choice = self.split_choice();
                view.split_by_items = choice.by_items;
                view.split_diners = choice.diners;
                view.split_lines = self
                    .split_lines()
                    .into_iter()
                    .map(|(chosen, l)| ShareLine { line: line(l, currency, lang), chosen })
                    .collect();
                let next = self.preview_share();
                view.split_payable = next.is_ok();
                let amount = next.as_ref().map(|o| o.total()).unwrap_or(kiosk_domain::Money::ZERO);
                view.split_amount = money(amount);
                view.split_summary = words::split_summary(
                    &money(tab.owed()),
                    &money(kiosk_domain::Money(tab.owed().0 - amount.0)),
                    lang,
                );
            }
            let lines_of = |settlement: Settlement| -> Vec<Line> {
                tab.paid_rounds()
                    .filter(|o| o.settlement == settlement)
                    .flat_map(|o| o.lines.iter())
                    .map(|l| line(l, currency, lang))
                    .collect()
            };
            view.paid_lines = lines_of(Settlement::Prepaid);
            view.counter_lines = lines_of(Settlement::PayAtCounter);
        }
        view.speech = self.speech(&view);
        view
    }

    /// For staff, on the header: the POS link and the kiosk mode.
    fn status_line(&self) -> String {
        let a = self.availability();
        let s = sentences(self.lang);
        let mut parts = Vec::new();
        if !a.card && self.settings().methods.contains(&PayWith::Card) {
            parts.push(s.counter_only.to_owned());
        }
        if a.queued > 0 && !a.pos_reachable {
            parts.push(format!("{} {}", s.pos_away, a.queued));
        }
        parts.join(" · ")
    }
}

/// An overflowing total cannot be built by the cart; shown as zero rather than a panic.
fn or_zero(totals: Result<Totals, kiosk_domain::Overflow>, menu: &Menu) -> Totals {
    totals.unwrap_or(Totals {
        item_count: 0,
        vat: kiosk_domain::Money(0).vat_split(menu.vat_rate()),
        discount: kiosk_domain::Money(0),
    })
}

fn card(menu: &Menu, item: &Item, lang: Lang, at: Option<LocalTime>) -> ItemCard {
    let s = sentences(lang);
    let closed = at.and_then(|at| menu.closed_until(item, at)).map(|opens| match opens {
        Some(time) => s.available_from.replace("{}", &time.to_string()),
        None => s.not_available_now.to_owned(),
    });
    ItemCard {
        id: item.id.0.clone(),
        name: item.name.get(lang).to_owned(),
        price: words::money(item.price, menu.currency, lang),
        tags: item.tags.iter().map(|t| words::tag(*t, lang)).collect::<Vec<_>>().join(" · "),
        sold_out: item.sold_out,
        closed: closed.unwrap_or_default(),
        photo: item.image.clone(),
    }
}

fn line(l: &PricedLine, currency: kiosk_domain::Currency, lang: Lang) -> Line {
    let detail: Vec<String> = l
        .parts
        .iter()
        .map(|p| {
            let d = words::delta(p.delta, currency, lang);
            if d.is_empty() { p.name.get(lang).to_owned() } else { format!("{} {d}", p.name.get(lang)) }
        })
        .collect();
    let mut detail = detail.join(", ");
    if let Some(note) = &l.selection.note {
        let sep = if detail.is_empty() { "" } else { " · " };
        detail = format!("{detail}{sep}※ {}", note.render(lang));
    }
    Line {
        name: l.name.get(lang).to_owned(),
        detail,
        quantity: l.quantity,
        total: words::money(l.line_total, currency, lang),
    }
}

fn note_chips<'a>(
    offered: impl Iterator<Item = &'a kiosk_domain::NotePreset>,
    note: Option<&kiosk_domain::Note>,
    lang: Lang,
) -> (Vec<NoteChip>, String) {
    let chips = offered
        .map(|p| NoteChip {
            id: p.id.0.clone(),
            name: p.text.get(lang).to_owned(),
            chosen: note.is_some_and(|n| n.presets.contains(&p.text)),
        })
        .collect();
    (chips, note.map(|n| n.text.clone()).unwrap_or_default())
}

/// At 200 % a row of ten keys does not fit the screen's width: each row comes in halves.
fn keyboard_view(k: &crate::note::Keyboard, menu: &Menu, lang: Lang, magnified: bool) -> KeyboardView {
    let title = match k.item.as_ref().and_then(|e| menu.item(&e.item)) {
        _ if k.mode == KeyboardMode::Coupon => words::tr(lang, "Coupon code").to_owned(),
        _ if k.mode == KeyboardMode::Phone => words::tr(lang, "Mobile number for stamps").to_owned(),
        Some(item) => words::trf(lang, "Request for {}", &[&item.name.get(lang)]),
        None => words::tr(lang, "Request for the order").to_owned(),
    };
    KeyboardView {
        title,
        text: k.shown(),
        count: format!("{}/{}", k.length(), k.max_chars()),
        coupon: k.mode == KeyboardMode::Coupon,
        phone: k.mode == KeyboardMode::Phone,
        rows: k
            .rows()
            .iter()
            .flat_map(|row| {
                let keys: Vec<String> = row.chars().map(String::from).collect();
                let width = if magnified { keys.len().div_ceil(2) } else { keys.len() };
                keys.chunks(width).map(<[String]>::to_vec).collect::<Vec<_>>()
            })
            .collect(),
        korean: k.korean,
        shift: k.shift,
        problem: k.problem.clone().unwrap_or_default(),
    }
}

fn chips(
    group: &kiosk_domain::OptionGroup,
    currency: kiosk_domain::Currency,
    lang: Lang,
    chosen: impl Fn(&kiosk_domain::OptionId) -> bool,
) -> Vec<OptionChip> {
    group
        .options
        .iter()
        .map(|o| OptionChip {
            id: o.id.0.clone(),
            name: o.name.get(lang).to_owned(),
            delta: words::delta(o.price_delta, currency, lang),
            chosen: chosen(&o.id),
            sold_out: o.sold_out,
        })
        .collect()
}

/// The item page's chip groups: set steps first, then option groups, each followed by
/// the groups its picked options open.
fn groups(menu: &Menu, item: &Item, editor: &crate::stage::Editor, lang: Lang) -> Vec<OptionGroupView> {
    let currency = menu.currency;
    let mut out = Vec::new();
    if let Some(set) = &item.set {
        for step in &set.steps {
            let options = step
                .choices
                .iter()
                .filter_map(|c| {
                    let choice = menu.item(&c.item)?;
                    Some(OptionChip {
                        id: c.item.0.clone(),
                        name: choice.name.get(lang).to_owned(),
                        delta: words::delta(c.price_delta, currency, lang),
                        chosen: editor.set_choices.get(&step.id) == Some(&c.item),
                        sold_out: choice.sold_out,
                    })
                })
                .collect();
            out.push(OptionGroupView {
                id: OptionKey::Step(step.id.clone()).encode(),
                name: step.name.get(lang).to_owned(),
                rule: words::set_step_rule(lang),
                options,
            });
        }
    }
    for gid in &item.option_groups {
        let Some(g) = menu.group(gid) else { continue };
        let picks = editor.choices.get(gid).cloned().unwrap_or_default();
        out.push(OptionGroupView {
            id: OptionKey::Group(gid.clone()).encode(),
            name: g.name.get(lang).to_owned(),
            rule: words::group_rule(g.min, g.max, lang),
            options: chips(g, currency, lang, |o| picks.iter().any(|p| &p.option == o)),
        });
        for pick in &picks {
            let Some(option) = g.option(&pick.option) else { continue };
            for nested_id in &option.option_groups {
                let Some(n) = menu.group(nested_id) else { continue };
                let chosen = pick.nested.get(nested_id).cloned().unwrap_or_default();
                out.push(OptionGroupView {
                    id: OptionKey::Nested {
                        parent: gid.clone(),
                        option: option.id.clone(),
                        group: nested_id.clone(),
                    }
                    .encode(),
                    name: format!("{} · {}", option.name.get(lang), n.name.get(lang)),
                    rule: words::group_rule(n.min, n.max, lang),
                    options: chips(n, currency, lang, |o| chosen.contains(o)),
                });
            }
        }
    }
    out
}
