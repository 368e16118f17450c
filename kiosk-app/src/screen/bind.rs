//! The Slint binding: copies a [`View`] into the `Kiosk` global and turns its callbacks
//! into [`Intent`]s. Nothing here decides anything.

use std::rc::Rc;

use kiosk_domain::{Lang, Service};
use kiosk_ui::{
    CategoryView, DeviceView, GroupView, ItemView, JournalView, Kiosk, KioskWindow, LineView, OptionView,
    Page, Theme,
};
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use super::photos::Photos;
use kiosk_domain::DeviceSetting;
use kiosk_pos::StaffReason;
use kiosk_session::view::{ItemCard, Line, View};
use kiosk_session::{Intent, Page as FlowPage, PayWith, SettingKey};

fn page(p: FlowPage) -> Page {
    match p {
        FlowPage::Attract => Page::Attract,
        FlowPage::Language => Page::Language,
        FlowPage::Service => Page::Service,
        FlowPage::Menu => Page::Menu,
        FlowPage::Item => Page::Item,
        FlowPage::Cart => Page::Cart,
        FlowPage::PayChoice => Page::PayChoice,
        FlowPage::Paying => Page::Paying,
        FlowPage::Done => Page::Done,
        FlowPage::Problem => Page::Problem,
        FlowPage::TableHome => Page::TableHome,
        FlowPage::Bill => Page::Bill,
        FlowPage::StaffCall => Page::StaffCall,
        FlowPage::Pin => Page::Pin,
        FlowPage::Operator => Page::Operator,
    }
}

fn model<T: Clone + 'static>(items: Vec<T>) -> ModelRc<T> {
    ModelRc::new(VecModel::from(items))
}

fn s(text: &str) -> SharedString {
    text.into()
}

fn item_view(card: &ItemCard, photos: &mut Photos) -> ItemView {
    ItemView {
        id: s(&card.id),
        name: s(&card.name),
        price: s(&card.price),
        tags: s(&card.tags),
        sold_out: card.sold_out,
        photo: photos.get(card.photo.as_deref()),
    }
}

fn line_view(l: &Line) -> LineView {
    LineView { name: s(&l.name), detail: s(&l.detail), quantity: l.quantity as i32, total: s(&l.total) }
}

/// Copies `view` into the window. Lists are replaced only when they changed since `shown`
/// (the view copied last time), so Slint redraws only what changed.
pub fn show(
    window: &KioskWindow,
    view: &View,
    shown: Option<&View>,
    photos: &mut Photos,
    last_lang: &mut Option<Lang>,
) {
    let k = window.global::<Kiosk>();
    // A list is replaced only when it differs from the one shown (Slint's models compare by
    // identity, and a fresh model redraws every row).
    macro_rules! changed {
        ($field:ident) => {
            shown.is_none_or(|p| p.$field != view.$field)
        };
    }
    if *last_lang != Some(view.lang) {
        if let Err(e) = kiosk_ui::select_language(view.lang.code()) {
            tracing::warn!("UI language {}: {e}", view.lang);
        }
        *last_lang = Some(view.lang);
    }
    k.set_page(page(view.page));
    k.set_store_name(s(&view.store_name));
    k.set_table_label(s(&view.table_label));
    k.set_status_line(s(&view.status_line));
    k.set_notice(s(&view.notice));
    if changed!(categories) {
        k.set_categories(model(
            view.categories
                .iter()
                .enumerate()
                .map(|(i, c)| CategoryView { id: i.to_string().into(), name: s(c) })
                .collect(),
        ));
    }
    k.set_category_index(view.category_index as i32);
    if changed!(items) {
        k.set_items(model(view.items.iter().map(|c| item_view(c, photos)).collect()));
    }
    k.set_item(item_view(&view.item, photos));
    k.set_item_description(s(&view.item_description));
    if changed!(groups) {
        k.set_groups(model(
            view.groups
                .iter()
                .map(|g| GroupView {
                    id: s(&g.id),
                    name: s(&g.name),
                    rule: s(&g.rule),
                    options: model(
                        g.options
                            .iter()
                            .map(|o| OptionView {
                                id: s(&o.id),
                                name: s(&o.name),
                                delta: s(&o.delta),
                                chosen: o.chosen,
                                sold_out: o.sold_out,
                            })
                            .collect(),
                    ),
                })
                .collect(),
        ));
    }
    k.set_quantity(view.quantity as i32);
    k.set_item_total(s(&view.item_total));
    k.set_item_problem(s(&view.item_problem));
    if changed!(lines) {
        k.set_lines(model(view.lines.iter().map(line_view).collect()));
    }
    k.set_item_count(view.item_count as i32);
    k.set_total(s(&view.total));
    k.set_vat_line(s(&view.vat_line));
    k.set_payment_prompt(s(&view.payment_prompt));
    k.set_payment_detail(s(&view.payment_detail));
    k.set_can_cancel_payment(view.can_cancel_payment);
    k.set_order_number(s(&view.order_number));
    k.set_done_detail(s(&view.done_detail));
    k.set_receipt_offered(view.receipt_offered);
    k.set_problem_title(s(&view.problem_title));
    k.set_problem_body(s(&view.problem_body));
    k.set_problem_action(s(&view.problem_action));
    k.set_card_available(view.card_available);
    k.set_wallet_available(view.wallet_available);
    k.set_counter_available(view.counter_available);
    k.set_idle_warning(view.idle_seconds.is_some());
    k.set_idle_seconds(view.idle_seconds.unwrap_or(0) as i32);
    k.set_ask_guests(view.ask_guests);
    k.set_guests(view.guests as i32);
    if changed!(tab_lines) {
        k.set_tab_lines(model(view.tab_lines.iter().map(line_view).collect()));
    }
    k.set_tab_total(s(&view.tab_total));
    k.set_tab_vat_line(s(&view.tab_vat_line));
    k.set_pin_problem(s(&view.pin_problem));
    if changed!(devices) {
        k.set_devices(model(
            view.devices
                .iter()
                .map(|d| DeviceView { name: s(&d.name), status: s(&d.state), reason: s(&d.reason), ok: d.ok })
                .collect(),
        ));
    }
    if changed!(all_items) {
        k.set_all_items(model(view.all_items.iter().map(|c| item_view(c, photos)).collect()));
    }
    k.set_setting_table(s(&view.setting_table));
    k.set_can_close_tab(view.can_close_tab);
    k.set_setting_volume(view.setting_volume as i32);
    k.set_setting_idle_s(view.setting_idle_s as i32);
    k.set_setting_language(s(view.setting_language.code()));
    if changed!(journal) {
        k.set_journal(model(
            view.journal
                .iter()
                .map(|j| JournalView {
                    order: s(&j.order),
                    title: s(&j.title),
                    amount: s(&j.amount),
                    approval: s(&j.approval_no),
                    state: s(&j.state),
                    can_cancel: j.can_cancel,
                })
                .collect(),
        ));
    }
    k.set_confirm_cancel(s(&view.confirm_cancel));
    k.set_bill_card(view.bill_card);
    k.set_bill_wallet(view.bill_wallet);
    k.set_voice(view.access.voice);
    let theme = window.global::<Theme>();
    theme.set_scale(if view.access.magnify { MAGNIFIED } else { 1.0 });
    theme.set_high_contrast(view.access.contrast);
    theme.set_low_reach(view.access.low_reach);
}

/// Magnify-all: every size at 200 %.
pub const MAGNIFIED: f32 = 2.0;

/// Wires every callback of the `Kiosk` global to `send`.
pub fn connect(window: &KioskWindow, send: Rc<dyn Fn(Intent)>) {
    let k = window.global::<Kiosk>();
    macro_rules! on {
        ($setter:ident, || $intent:expr) => {{
            let send = send.clone();
            k.$setter(move || {
                if let Some(intent) = $intent {
                    send(intent);
                }
            });
        }};
        ($setter:ident, |$($arg:ident),*| $intent:expr) => {{
            let send = send.clone();
            k.$setter(move |$($arg),*| {
                if let Some(intent) = $intent {
                    send(intent);
                }
            });
        }};
    }
    on!(on_start, || Some(Intent::Start));
    on!(on_choose_language, |code| Lang::from_code(&code).map(Intent::ChooseLanguage));
    on!(on_choose_service, |code| match code.as_str() {
        "dine_in" => Some(Intent::ChooseService(Service::DineIn)),
        "take_out" => Some(Intent::ChooseService(Service::TakeOut)),
        _ => None,
    });
    on!(on_select_category, |i| usize::try_from(i).ok().map(Intent::SelectCategory));
    on!(on_open_item, |id| Some(Intent::OpenItem(id.as_str().into())));
    on!(on_toggle_option, |group, option| Some(Intent::ToggleOption {
        group: group.into(),
        option: option.into()
    }));
    on!(on_set_quantity, |q| u32::try_from(q).ok().map(Intent::SetQuantity));
    on!(on_add_to_cart, || Some(Intent::AddToCart));
    on!(on_show_cart, || Some(Intent::ShowCart));
    on!(on_change_line, |index, quantity| usize::try_from(index)
        .ok()
        .map(|index| Intent::ChangeLine { index, quantity: u32::try_from(quantity).unwrap_or(0) }));
    on!(on_pay, |with| match with.as_str() {
        "card" => Some(Intent::Pay(PayWith::Card)),
        "wallet" => Some(Intent::Pay(PayWith::Wallet)),
        "counter" => Some(Intent::Pay(PayWith::Counter)),
        _ => None,
    });
    on!(on_checkout, || Some(Intent::Checkout));
    on!(on_cancel_payment, || Some(Intent::CancelPayment));
    on!(on_want_receipt, |want| Some(Intent::WantReceipt(want)));
    on!(on_back, || Some(Intent::Back));
    on!(on_more_time, || Some(Intent::MoreTime));
    on!(on_order_round, || Some(Intent::OrderRound));
    on!(on_call_staff, |reason| StaffReason::ALL
        .into_iter()
        .find(|r| r.as_str() == reason.as_str())
        .map(Intent::CallStaff));
    on!(on_show_bill, || Some(Intent::ShowBill));
    on!(on_show_staff_call, || Some(Intent::ShowStaffCall));
    on!(on_dismiss, || Some(Intent::Dismiss));
    on!(on_set_guests, |n| u16::try_from(n).ok().map(Intent::SetGuests));
    on!(on_operator_gesture, || Some(Intent::OperatorGesture));
    on!(on_pin_entered, |pin| Some(Intent::Pin(pin.into())));
    on!(on_set_sold_out, |item, sold_out| Some(Intent::SetSoldOut { item: item.as_str().into(), sold_out }));
    on!(on_printer_test, || Some(Intent::PrinterTest));
    on!(on_reprint_last, || Some(Intent::ReprintLast));
    on!(on_close_tab, || Some(Intent::CloseTab));
    on!(on_adjust_setting, |key, step| {
        let key = match key.as_str() {
            "table" => Some(SettingKey::Table),
            "volume" => Some(SettingKey::Volume),
            "idle" => Some(SettingKey::IdleTimeout),
            _ => None,
        };
        key.map(|key| Intent::AdjustSetting { key, step })
    });
    on!(on_set_default_language, |code| Lang::from_code(&code)
        .map(|l| Intent::ChangeSetting(DeviceSetting::Language(l))));
    on!(on_cancel_approval, |order| order
        .parse()
        .ok()
        .map(|o| Intent::CancelApproval(kiosk_domain::OrderId(o))));
    on!(on_answer_cancel, |yes| Some(Intent::ConfirmCancel(yes)));
    on!(on_toggle_access, |which| {
        use kiosk_session::access::AccessSwitch;
        match which.as_str() {
            "voice" => Some(AccessSwitch::Voice),
            "magnify" => Some(AccessSwitch::Magnify),
            "contrast" => Some(AccessSwitch::Contrast),
            "low-reach" => Some(AccessSwitch::LowReach),
            _ => None,
        }
        .map(Intent::ToggleAccess)
    });
}
