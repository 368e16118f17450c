//! The Slint binding: copies a [`View`] into the UI's globals (one per area) and turns their
//! callbacks into [`Intent`]s. The callbacks carry typed values (Slint enums), mapped here
//! one to one; nothing here decides anything.

use std::rc::Rc;

use kiosk_domain::{Lang, Service, StaffReason};
use kiosk_session::access::AccessSwitch;
use kiosk_session::note::NoteKey;
use kiosk_session::view::{ItemCard, Line, View};
use kiosk_session::{Intent, Page as FlowPage, PayWith, SettingKey};
use kiosk_ui::{
    CartState, CategoryView, DayOrderView, DeviceView, GroupView, ItemView, JournalView, KeyRow, KioskWindow,
    LineView, MenuState, NoteAction, NoteChipView, NoteState, OperatorState, OptionView, Page, PaymentState,
    Session, ShareLineView, SuggestState, SuggestionView, TableState, Theme,
};
use slint::{ComponentHandle, Model, ModelRc, SharedString, VecModel};

use super::photos::{Fit, Photos};
use super::sizing::{Panel, Sizing, TOUCH_TARGET_MM};
use kiosk_domain::DeviceSetting;

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
        FlowPage::Split => Page::Split,
        FlowPage::Note => Page::Note,
        FlowPage::StaffCall => Page::StaffCall,
        FlowPage::Pin => Page::Pin,
        FlowPage::Operator => Page::Operator,
    }
}

/// The UI's languages and the domain's, one to one.
pub fn language(l: kiosk_ui::Language) -> Lang {
    match l {
        kiosk_ui::Language::Ko => Lang::Ko,
        kiosk_ui::Language::En => Lang::En,
        kiosk_ui::Language::Zh => Lang::Zh,
        kiosk_ui::Language::Ja => Lang::Ja,
    }
}

fn ui_language(l: Lang) -> kiosk_ui::Language {
    match l {
        Lang::Ko => kiosk_ui::Language::Ko,
        Lang::En => kiosk_ui::Language::En,
        Lang::Zh => kiosk_ui::Language::Zh,
        Lang::Ja => kiosk_ui::Language::Ja,
    }
}

pub fn pay_with(m: kiosk_ui::PayMethod) -> PayWith {
    match m {
        kiosk_ui::PayMethod::Card => PayWith::Card,
        kiosk_ui::PayMethod::Wallet => PayWith::Wallet,
        kiosk_ui::PayMethod::Counter => PayWith::Counter,
    }
}

pub fn service(s: kiosk_ui::ServiceKind) -> Service {
    match s {
        kiosk_ui::ServiceKind::DineIn => Service::DineIn,
        kiosk_ui::ServiceKind::TakeOut => Service::TakeOut,
    }
}

pub fn staff_reason(r: kiosk_ui::StaffReason) -> StaffReason {
    match r {
        kiosk_ui::StaffReason::Water => StaffReason::Water,
        kiosk_ui::StaffReason::Cutlery => StaffReason::Cutlery,
        kiosk_ui::StaffReason::Bill => StaffReason::Bill,
        kiosk_ui::StaffReason::Help => StaffReason::Help,
    }
}

pub fn setting_key(k: kiosk_ui::SettingKey) -> SettingKey {
    match k {
        kiosk_ui::SettingKey::Table => SettingKey::Table,
        kiosk_ui::SettingKey::Volume => SettingKey::Volume,
        kiosk_ui::SettingKey::IdleTimeout => SettingKey::IdleTimeout,
    }
}

pub fn note_key(a: NoteAction) -> NoteKey {
    match a {
        NoteAction::Space => NoteKey::Space,
        NoteAction::Backspace => NoteKey::Backspace,
        NoteAction::Shift => NoteKey::Shift,
        NoteAction::Layout => NoteKey::Layout,
        NoteAction::Done => NoteKey::Done,
        NoteAction::Cancel => NoteKey::Cancel,
    }
}

pub fn access_switch(a: kiosk_ui::AccessSwitch) -> AccessSwitch {
    match a {
        kiosk_ui::AccessSwitch::Voice => AccessSwitch::Voice,
        kiosk_ui::AccessSwitch::Magnify => AccessSwitch::Magnify,
        kiosk_ui::AccessSwitch::Contrast => AccessSwitch::Contrast,
        kiosk_ui::AccessSwitch::LowReach => AccessSwitch::LowReach,
    }
}

fn model<T: Clone + 'static>(items: Vec<T>) -> ModelRc<T> {
    ModelRc::new(VecModel::from(items))
}

/// Puts `rows` into a list the UI shows, in place: changed rows are set, extra rows pushed
/// and missing ones dropped from the end, so the elements of the rows that stay (and the
/// keypad focus on one of them, with its ring) are kept. Returns a new model only when the
/// list shown is not one of ours.
fn update_rows<T: Clone + PartialEq + 'static>(shown: &ModelRc<T>, rows: Vec<T>) -> Option<ModelRc<T>> {
    let Some(current) = shown.as_any().downcast_ref::<VecModel<T>>() else {
        return Some(model(rows));
    };
    while current.row_count() > rows.len() {
        current.remove(current.row_count() - 1);
    }
    for (i, row) in rows.into_iter().enumerate() {
        match current.row_data(i) {
            Some(old) if old == row => {}
            Some(_) => current.set_row_data(i, row),
            None => current.push(row),
        }
    }
    None
}

fn s(text: &str) -> SharedString {
    text.into()
}

/// A card of the menu; `photo` is what its card draws ([`none`](super::photos::none) where none is drawn).
fn item_view(card: &ItemCard, photo: slint::Image) -> ItemView {
    ItemView {
        id: s(&card.id),
        name: s(&card.name),
        price: s(&card.price),
        tags: s(&card.tags),
        sold_out: card.sold_out,
        closed: s(&card.closed),
        photo,
    }
}

/// The window's size in physical pixels, and its scale factor. Before a window is shown its
/// size may be unknown: then its preferred size (`ui/ui/app.slint`), so no photo is fitted
/// to a box of no pixels.
fn window_size(window: &KioskWindow) -> ((u32, u32), f32) {
    let size = window.window().size();
    let size = if size.width == 0 || size.height == 0 { (800, 1280) } else { (size.width, size.height) };
    (size, window.window().scale_factor())
}

/// The window's size in pixels, its scale factor and the pages' magnification, on a panel of
/// `panel`'s size: a known panel sets the scale factor that makes a logical pixel the same
/// length in millimetres on every panel of its class, and the barrier-free mode's
/// magnification that makes its text as tall as the class needs ([`Sizing`]). An unknown
/// one leaves the scale factor to the platform.
fn sized(window: &KioskWindow, view: &View, panel: Option<Panel>) -> ((u32, u32), f32, f32) {
    let (size, mut factor) = window_size(window);
    // Before the window is on the panel its size is a guess: nothing to size yet.
    let known = window.window().size().width > 0;
    let sizing = Sizing::of(size, panel.filter(|_| known));
    if sizing.class.is_some() && (factor - sizing.scale_factor).abs() > 1e-4 {
        // The new factor, then the same panel in the new logical pixels (the window keeps its
        // logical size through a change of factor, as a desktop window moved between screens).
        // A factor the platform fixed stays: what the window has is what is used.
        let w = window.window();
        let event = slint::platform::WindowEvent::ScaleFactorChanged { scale_factor: sizing.scale_factor };
        if let Err(e) = w.dispatch_event_with_result(event) {
            tracing::warn!("scale factor {}: {e}", sizing.scale_factor);
        }
        factor = w.scale_factor();
        let logical = slint::LogicalSize::new(size.0 as f32 / factor, size.1 as f32 / factor);
        if let Err(e) = w.dispatch_event_with_result(slint::platform::WindowEvent::Resized { size: logical })
        {
            tracing::warn!("resizing to {logical:?}: {e}");
        }
    }
    let least = sizing.class.map_or(0.0, |c| TOUCH_TARGET_MM / c.mm_per_logical_px());
    window.global::<Theme>().set_least_target(least);
    (size, factor, if view.access.magnify { sizing.magnified } else { 1.0 })
}

/// The boxes the menu's cards draw their photos in on this window: as they are now, and
/// magnified by the barrier-free mode; none before the window's size is known (a guess would
/// fit photos to boxes never drawn). After [`show`], which sets the window's scale factor.
pub fn card_boxes(window: &KioskWindow, panel: Option<Panel>) -> Option<[Fit; 2]> {
    if window.window().size().width == 0 {
        return None;
    }
    let (size, factor) = window_size(window);
    let magnified = Sizing::of(size, panel).magnified;
    Some([Fit::card(size, 1.0, factor), Fit::card(size, magnified, factor)])
}

/// The attract page's photo for slide `index` of the items shown (an empty frame past them).
pub fn show_slide(
    window: &KioskWindow,
    view: &View,
    index: usize,
    photos: &mut Photos,
    panel: Option<Panel>,
) {
    let name = view.items.get(index).and_then(|c| c.photo.as_deref());
    let (size, factor, scale) = sized(window, view, panel);
    let photo = photos.get(name, Fit::attract(size, scale, factor));
    window.global::<MenuState>().set_attract_photo(photo);
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
    panel: Option<Panel>,
) {
    let (session, menu, cart) =
        (window.global::<Session>(), window.global::<MenuState>(), window.global::<CartState>());
    let (pay, table, op) =
        (window.global::<PaymentState>(), window.global::<TableState>(), window.global::<OperatorState>());
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
        session.set_language(ui_language(view.lang));
    }
    if changed!(languages) {
        session.set_languages(model(view.languages.iter().map(|l| ui_language(*l)).collect()));
    }
    session.set_page(page(view.page));
    session.set_store_name(s(&view.store_name));
    session.set_table_label(s(&view.table_label));
    session.set_status_line(s(&view.status_line));
    session.set_notice(s(&view.notice));
    if changed!(categories) {
        menu.set_categories(model(
            view.categories
                .iter()
                .enumerate()
                .map(|(i, c)| CategoryView { id: i.to_string().into(), name: s(c) })
                .collect(),
        ));
    }
    menu.set_category_index(view.category_index as i32);
    let (size, factor, scale) = sized(window, view, panel);
    // Cards draw their photos at a size that follows the magnification.
    let card_fit = Fit::card(size, scale, factor);
    if (changed!(items) || shown.is_none_or(|p| p.access.magnify != view.access.magnify))
        && let Some(m) = update_rows(
            &menu.get_items(),
            view.items.iter().map(|c| item_view(c, photos.get(c.photo.as_deref(), card_fit))).collect(),
        )
    {
        menu.set_items(m);
    }
    // The attract page starts at its first slide (its timer asks for the next ones); other
    // pages hold no large photo.
    let on_attract = |v: &View| v.page == FlowPage::Attract;
    if on_attract(view) && (shown.is_none_or(|p| !on_attract(p)) || changed!(items)) {
        show_slide(window, view, 0, photos, panel);
    } else if !on_attract(view) && shown.is_some_and(on_attract) {
        menu.set_attract_photo(super::photos::none());
    }
    // The item page and the operator's list draw no photo.
    menu.set_item(item_view(&view.item, super::photos::none()));
    menu.set_item_description(s(&view.item_description));
    if changed!(groups) {
        // An option chosen changes its chip in place: the keypad focus stays on it.
        let shown_groups = menu.get_groups();
        let groups = view
            .groups
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let options: Vec<OptionView> = g
                    .options
                    .iter()
                    .map(|o| OptionView {
                        id: s(&o.id),
                        name: s(&o.name),
                        delta: s(&o.delta),
                        chosen: o.chosen,
                        sold_out: o.sold_out,
                    })
                    .collect();
                let options = match shown_groups.row_data(i).filter(|old| old.id.as_str() == g.id) {
                    Some(old) => update_rows(&old.options, options).unwrap_or(old.options),
                    None => model(options),
                };
                GroupView { id: s(&g.id), name: s(&g.name), rule: s(&g.rule), options }
            })
            .collect();
        if let Some(m) = update_rows(&shown_groups, groups) {
            menu.set_groups(m);
        }
    }
    show_notes(window, view, shown);
    if shown.is_none_or(|p| p.suggestions != view.suggestions) {
        let offers = view
            .suggestions
            .iter()
            .map(|o| SuggestionView { id: s(&o.id), name: s(&o.name), price: s(&o.price) })
            .collect();
        window.global::<SuggestState>().set_offers(model(offers));
    }
    menu.set_quantity(view.quantity as i32);
    menu.set_item_total(s(&view.item_total));
    menu.set_item_problem(s(&view.item_problem));
    if changed!(lines)
        && let Some(m) = update_rows(&cart.get_lines(), view.lines.iter().map(line_view).collect())
    {
        cart.set_lines(m);
    }
    cart.set_item_count(view.item_count as i32);
    cart.set_total(s(&view.total));
    cart.set_vat_line(s(&view.vat_line));
    cart.set_coupon_line(s(&view.coupon_line));
    cart.set_coupons_offered(view.coupons_offered);
    cart.set_stamp_line(s(&view.stamp_line));
    cart.set_stamps_offered(view.stamps_offered);
    cart.set_reward_offer(s(&view.reward_offer));
    cart.set_reward_taken(view.reward_taken);
    pay.set_payment_prompt(s(&view.payment_prompt));
    pay.set_payment_detail(s(&view.payment_detail));
    pay.set_can_cancel_payment(view.can_cancel_payment);
    pay.set_order_number(s(&view.order_number));
    pay.set_done_detail(s(&view.done_detail));
    pay.set_receipt_offered(view.receipt_offered);
    pay.set_receipt_qr_offered(view.receipt_qr_offered);
    pay.set_receipt_qr_shown(view.receipt_qr.is_some());
    pay.set_problem_title(s(&view.problem_title));
    pay.set_problem_body(s(&view.problem_body));
    pay.set_problem_action(s(&view.problem_action));
    pay.set_instalments_offered(view.instalments_offered);
    pay.set_instalments(s(&view.instalments));
    pay.set_card_available(view.card_available);
    pay.set_wallet_available(view.wallet_available);
    pay.set_counter_available(view.counter_available);
    session.set_idle_warning(view.idle_seconds.is_some());
    session.set_idle_seconds(view.idle_seconds.unwrap_or(0) as i32);
    table.set_ask_guests(view.ask_guests);
    table.set_guests(view.guests as i32);
    if changed!(tab_lines)
        && let Some(m) = update_rows(&table.get_tab_lines(), view.tab_lines.iter().map(line_view).collect())
    {
        table.set_tab_lines(m);
    }
    if changed!(paid_lines)
        && let Some(m) = update_rows(&table.get_paid_lines(), view.paid_lines.iter().map(line_view).collect())
    {
        table.set_paid_lines(m);
    }
    if changed!(counter_lines)
        && let Some(m) =
            update_rows(&table.get_counter_lines(), view.counter_lines.iter().map(line_view).collect())
    {
        table.set_counter_lines(m);
    }
    table.set_owes(view.owes);
    table.set_bill_paid_line(s(&view.bill_paid_line));
    table.set_split_by_items(view.split_by_items);
    table.set_split_diners(view.split_diners as i32);
    if changed!(split_lines) {
        table.set_split_lines(model(
            view.split_lines
                .iter()
                .map(|l| ShareLineView {
                    name: s(&l.line.name),
                    quantity: l.line.quantity as i32,
                    total: s(&l.line.total),
                    chosen: l.chosen,
                })
                .collect(),
        ));
    }
    table.set_split_amount(s(&view.split_amount));
    table.set_split_summary(s(&view.split_summary));
    table.set_split_payable(view.split_payable);
    table.set_tab_total(s(&view.tab_total));
    table.set_tab_vat_line(s(&view.tab_vat_line));
    op.set_pin_problem(s(&view.pin_problem));
    if changed!(devices) {
        op.set_devices(model(
            view.devices
                .iter()
                .map(|d| DeviceView { name: s(&d.name), status: s(&d.state), reason: s(&d.reason), ok: d.ok })
                .collect(),
        ));
    }
    if changed!(all_items) {
        op.set_all_items(model(view.all_items.iter().map(|c| item_view(c, super::photos::none())).collect()));
    }
    op.set_setting_table(s(&view.setting_table));
    op.set_can_close_tab(view.can_close_tab);
    op.set_setting_volume(view.setting_volume as i32);
    op.set_setting_idle_s(view.setting_idle_s as i32);
    op.set_setting_language(ui_language(view.setting_language));
    if changed!(journal) {
        op.set_journal(model(
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
    if changed!(day_orders) {
        op.set_day_orders(model(
            view.day_orders
                .iter()
                .map(|o| DayOrderView {
                    order: s(&o.order),
                    title: s(&o.title),
                    amount: s(&o.amount),
                    state: s(&o.state),
                })
                .collect(),
        ));
    }
    op.set_confirm_cancel(s(&view.confirm_cancel));
    table.set_bill_card(view.bill_card);
    table.set_bill_wallet(view.bill_wallet);
    session.set_voice(view.access.voice);
    let theme = window.global::<Theme>();
    theme.set_scale(scale);
    theme.set_high_contrast(view.access.contrast);
    theme.set_low_reach(view.access.low_reach);
}

/// The request notes (the item's or the order's presets and text) and the keyboard page.
fn show_notes(window: &KioskWindow, view: &View, shown: Option<&View>) {
    let note = window.global::<NoteState>();
    if shown.is_none_or(|p| p.note_chips != view.note_chips) {
        // A chip chosen changes in place: the keypad focus stays on it.
        let chips = view
            .note_chips
            .iter()
            .map(|c| NoteChipView { id: s(&c.id), name: s(&c.name), chosen: c.chosen })
            .collect();
        if let Some(m) = update_rows(&note.get_presets(), chips) {
            note.set_presets(m);
        }
    }
    note.set_text(s(&view.note_text));
    let k = &view.keyboard;
    note.set_title(s(&k.title));
    note.set_shown(s(&k.text));
    note.set_count(s(&k.count));
    if shown.is_none_or(|p| p.keyboard.rows != k.rows) {
        note.set_rows(model(
            k.rows.iter().map(|row| KeyRow { keys: model(row.iter().map(|key| s(key)).collect()) }).collect(),
        ));
    }
    note.set_korean(k.korean);
    note.set_coupon(k.coupon);
    note.set_phone(k.phone);
    note.set_shift(k.shift);
    note.set_problem(s(&k.problem));
}

/// Wires every callback of the UI's globals to `send`.
pub fn connect(window: &KioskWindow, send: Rc<dyn Fn(Intent)>) {
    macro_rules! on {
        ($global:ty, $setter:ident, || $intent:expr) => {{
            let send = send.clone();
            window.global::<$global>().$setter(move || {
                if let Some(intent) = $intent {
                    send(intent);
                }
            });
        }};
        ($global:ty, $setter:ident, |$($arg:ident),*| $intent:expr) => {{
            let send = send.clone();
            window.global::<$global>().$setter(move |$($arg),*| {
                if let Some(intent) = $intent {
                    send(intent);
                }
            });
        }};
    }
    on!(Session, on_start, || Some(Intent::Start));
    on!(Session, on_choose_language, |l| Some(Intent::ChooseLanguage(language(l))));
    on!(Session, on_back, || Some(Intent::Back));
    on!(Session, on_more_time, || Some(Intent::MoreTime));
    on!(Session, on_dismiss, || Some(Intent::Dismiss));
    on!(Session, on_operator_gesture, || Some(Intent::OperatorGesture));
    on!(Session, on_toggle_access, |which| Some(Intent::ToggleAccess(access_switch(which))));
    on!(MenuState, on_choose_service, |kind| Some(Intent::ChooseService(service(kind))));
    on!(MenuState, on_select_category, |i| usize::try_from(i).ok().map(Intent::SelectCategory));
    on!(MenuState, on_open_item, |id| Some(Intent::OpenItem(id.as_str().into())));
    on!(MenuState, on_toggle_option, |group, option| Some(Intent::ToggleOption {
        group: group.into(),
        option: option.into()
    }));
    on!(MenuState, on_set_quantity, |q| u32::try_from(q).ok().map(Intent::SetQuantity));
    on!(MenuState, on_add_to_cart, || Some(Intent::AddToCart));
    on!(NoteState, on_toggle_preset, |order, id| Some(Intent::ToggleNotePreset { order, preset: id.into() }));
    on!(NoteState, on_edit, |order| Some(Intent::EditNote { order }));
    on!(NoteState, on_key, |key| key.chars().next().map(|c| Intent::NoteKey(NoteKey::Char(c))));
    on!(NoteState, on_action, |action| Some(Intent::NoteKey(note_key(action))));
    on!(SuggestState, on_answer, |id, take| Some(Intent::AnswerSuggestion { id: id.into(), take }));
    on!(CartState, on_show_cart, || Some(Intent::ShowCart));
    on!(CartState, on_change_line, |index, quantity| usize::try_from(index)
        .ok()
        .map(|index| Intent::ChangeLine { index, quantity: u32::try_from(quantity).unwrap_or(0) }));
    on!(CartState, on_checkout, || Some(Intent::Checkout));
    on!(CartState, on_enter_coupon, || Some(Intent::EnterCoupon));
    on!(CartState, on_remove_coupon, || Some(Intent::RemoveCoupon));
    on!(CartState, on_enter_phone, || Some(Intent::EnterPhone));
    on!(CartState, on_use_reward, |take| Some(Intent::UseReward(take)));
    on!(PaymentState, on_pay, |with| Some(Intent::Pay(pay_with(with))));
    on!(PaymentState, on_step_instalments, |step| Some(Intent::StepInstalments(step.signum() as i8)));
    on!(PaymentState, on_cancel_payment, || Some(Intent::CancelPayment));
    on!(PaymentState, on_want_receipt, |want| Some(Intent::WantReceipt(want)));
    on!(PaymentState, on_receipt_by_qr, || Some(Intent::ReceiptByQr));
    on!(TableState, on_order_round, || Some(Intent::OrderRound));
    on!(TableState, on_set_guests, |n| u16::try_from(n).ok().map(Intent::SetGuests));
    on!(TableState, on_show_staff_call, || Some(Intent::ShowStaffCall));
    on!(TableState, on_call_staff, |reason| Some(Intent::CallStaff(staff_reason(reason))));
    on!(TableState, on_show_bill, || Some(Intent::ShowBill));
    on!(TableState, on_show_split, || Some(Intent::ShowSplit));
    on!(TableState, on_choose_split, |by_items| Some(Intent::SplitByItems(by_items)));
    on!(TableState, on_step_split_diners, |step| Some(Intent::StepSplitDiners(step.signum() as i8)));
    on!(TableState, on_toggle_share_line, |i| usize::try_from(i).ok().map(Intent::ToggleShareLine));
    on!(OperatorState, on_pin_entered, |pin| Some(Intent::Pin(pin.into())));
    on!(OperatorState, on_set_sold_out, |item, sold_out| Some(Intent::SetSoldOut {
        item: item.as_str().into(),
        sold_out
    }));
    on!(OperatorState, on_printer_test, || Some(Intent::PrinterTest));
    on!(OperatorState, on_reprint_last, || Some(Intent::ReprintLast));
    on!(OperatorState, on_reprint, |order| order
        .parse()
        .ok()
        .map(|o| Intent::Reprint(kiosk_domain::OrderId(o))));
    on!(OperatorState, on_close_tab, || Some(Intent::CloseTab));
    on!(OperatorState, on_adjust_setting, |key, step| Some(Intent::AdjustSetting {
        key: setting_key(key),
        step
    }));
    on!(OperatorState, on_set_default_language, |l| Some(Intent::ChangeSetting(DeviceSetting::Language(
        language(l)
    ))));
    on!(OperatorState, on_cancel_approval, |order| order
        .parse()
        .ok()
        .map(|o| Intent::CancelApproval(kiosk_domain::OrderId(o))));
    on!(OperatorState, on_answer_cancel, |yes| Some(Intent::ConfirmCancel(yes)));
}
