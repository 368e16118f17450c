//! The order board (counter), the kitchen display and the counter's payments.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use kiosk_clock::unix_now_ms;
use kiosk_link::wire::OrderStatus;
use maud::{Markup, html};

use super::auth::Staff;
use super::page::{Page, age, wants_fragment, won};
use super::words::Words;
use crate::AppState;
use crate::db::console::{BoardOrder, CounterMethod, Permission};

/// Orders received this long ago or less are marked new (highlighted, and the chime rings).
const NEW_MS: i64 = 60_000;
/// Served orders stay on the board this long.
const SERVED_WINDOW_MS: i64 = 5 * 60_000;

/// What a card offers staff to do with its order.
#[derive(Clone, Copy)]
enum CardActions<'a> {
    None,
    /// Ready, then served.
    Status,
    /// A station bumps its part.
    Bump(&'a str),
}

fn order_card(
    page: &Page<'_>,
    w: &Words,
    o: &BoardOrder,
    now: i64,
    actions: CardActions<'_>,
    kitchen: bool,
) -> Markup {
    let fresh = o.status == "received" && now - o.received_at_ms <= NEW_MS;
    let payment = if o.prepaid {
        o.payment.as_deref().map(|p| w.payment_label(p)).unwrap_or_else(|| w.prepaid.into())
    } else {
        match o.paid_at_counter.as_deref() {
            Some("cash") => w.paid_cash.into(),
            Some(_) => w.paid_card.into(),
            None => format!("{} · {}", w.pay_at_counter, w.unpaid),
        }
    };
    html! {
        article class={ "order " (o.status) @if fresh { " new" } } data-order=(o.order_id) data-new=[fresh.then_some("1")]
            aria-labelledby={ "o-" (o.order_id) } {
            header {
                h3 id={ "o-" (o.order_id) } { span class="number" { (o.number) } " " span class="place" { (w.place(&o.place)) } }
                span class="age" title=(w.age) { (age(page.lang(), now, o.received_at_ms)) }
            }
            ul class="lines" {
                @for l in &o.lines {
                    li { span class="qty" { (l.quantity) "×" } " " (l.name)
                        @if !l.options.is_empty() { span class="options" { " (" (l.options.join(", ")) ")" } }
                        @if !l.note.is_empty() { br; span class="request" { "※ " (w.request) ": " (l.note) } } }
                }
            }
            @if !o.note.is_empty() {
                p class="request" { "※ " (w.request) ": " (o.note) }
            }
            @if !kitchen {
                p class="meta" { (won(o.total)) " · " (payment) " · " (o.device) }
            }
            @match actions {
                CardActions::None => {}
                CardActions::Status => div class="actions" {
                    @if o.status == "received" {
                        (page.form(&format!("/console/orders/{}/ready", o.order_id), "inline", html! {
                            button type="submit" class="primary" { (w.mark_ready) " · " (o.number) }
                        }))
                    } @else if o.status == "ready" {
                        (page.form(&format!("/console/orders/{}/served", o.order_id), "inline", html! {
                            button type="submit" { (w.mark_served) " · " (o.number) }
                        }))
                    }
                },
                CardActions::Bump(station) => div class="actions" {
                    (page.form(&format!("/console/orders/{}/bump", o.order_id), "inline", html! {
                        input type="hidden" name="station" value=(station);
                        button type="submit" class="primary" { (w.mark_ready) " · " (o.number) }
                    }))
                },
            }
        }
    }
}

pub async fn board(State(state): State<AppState>, staff: Staff, headers: HeaderMap) -> Response {
    if let Some(r) = staff.refused(Permission::SeeOrders) {
        return r;
    }
    let now = unix_now_ms();
    let lang = staff.lang.menu();
    let read = crate::read_page(&state, move |db| {
        Ok((db.board_orders(now, SERVED_WINDOW_MS, lang)?, db.board_counts()?))
    });
    let (orders, (received, ready)) = match read.await {
        Ok(o) => o,
        Err(e) => return e.into_response(),
    };
    let w = Words::of(staff.lang);
    let page = Page::new(w.board, &staff).at("/console/").live("/console/events");
    let actions =
        if staff.member.role.may(Permission::MarkOrders) { CardActions::Status } else { CardActions::None };
    let section = |title: &str, status: &str| {
        let list: Vec<&BoardOrder> = orders.iter().filter(|o| o.status == status).collect();
        let total = match status {
            "received" => received as usize,
            "ready" => ready as usize,
            _ => list.len(),
        };
        html! {
            section class="column" aria-label=(title) {
                h2 { (title) " " span class="count" { (total) } }
                @if list.is_empty() { p class="empty" { (w.nothing_waiting) } }
                @for o in &list { (order_card(&page, w, o, now, actions, false)) }
                @if total > list.len() { p class="more" { (w.more_not_shown(total - list.len())) } }
            }
        }
    };
    let main = html! {
        div class="columns" {
            (section(w.new_orders, "received"))
            (section(w.ready_orders, "ready"))
            (section(w.served_orders, "served"))
        }
    };
    page.respond(wants_fragment(&headers), main)
}

#[derive(serde::Deserialize, Default)]
pub struct StationQuery {
    station: Option<String>,
}

/// What the kitchen display shows: tickets to make, oldest first. At a station, only its
/// lines, and an order leaves once the station has bumped its part; held orders (unpaid,
/// while the store holds those back) are not shown.
pub async fn kitchen(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<StationQuery>,
) -> Response {
    if let Some(r) = staff.refused(Permission::SeeOrders) {
        return r;
    }
    let now = unix_now_ms();
    let lang = staff.lang.menu();
    let station = q.station.clone().filter(|s| !s.is_empty());
    let at = station.clone();
    let data = crate::read_page(&state, move |db| {
        let held = db.held_orders()?;
        let mut orders: Vec<BoardOrder> = db
            .board_orders(now, 0, lang)?
            .into_iter()
            .filter(|o| o.status == "received" && !held.contains(&o.order_id))
            .collect();
        if let Some(station) = &at {
            let mut kept = Vec::new();
            for mut o in orders {
                o.lines.retain(|l| &l.station == station);
                if !o.lines.is_empty() && !db.bumped_stations(&o.order_id)?.contains(station) {
                    kept.push(o);
                }
            }
            orders = kept;
        }
        Ok((orders, db.stations()?))
    })
    .await;
    let (tickets, stations) = match data {
        Ok(d) => d,
        Err(e) => return e.into_response(),
    };
    let w = Words::of(staff.lang);
    let title = match stations.iter().find(|s| Some(&s.id) == station.as_ref()) {
        Some(s) => format!("{} · {}", w.kitchen, s.name),
        None => w.kitchen.to_owned(),
    };
    let page = Page::new(&title, &staff).at("/console/kitchen").live("/console/events");
    let main = html! {
        @if !stations.is_empty() {
            nav class="stations" aria-label=(w.stations) {
                a href="/console/kitchen" aria-current=[station.is_none().then_some("page")] { (w.all_stations) }
                @for s in &stations {
                    a href={ "/console/kitchen?station=" (s.id) } aria-current=[(station.as_ref() == Some(&s.id)).then_some("page")] { (s.name) }
                }
            }
        }
        div class="tickets" {
            @if tickets.is_empty() { p class="empty" { (w.nothing_waiting) } }
            @for o in &tickets {
                @match &station {
                    Some(station) => (order_card(&page, w, o, now, CardActions::Bump(station), true)),
                    None => (order_card(&page, w, o, now, CardActions::Status, true)),
                }
            }
        }
    };
    page.respond(wants_fragment(&headers), main)
}

#[derive(serde::Deserialize)]
pub struct BumpForm {
    csrf: Option<String>,
    station: String,
}

/// A station has made its part; the order is ready when every station has.
pub async fn bump(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<BumpForm>,
) -> Response {
    if let Some(r) = staff.refused_change(Permission::MarkOrders, &headers, f.csrf.as_deref()) {
        return r;
    }
    let member = staff.member.clone();
    let station = f.station.clone();
    let result = crate::run(&state, move |db| {
        let now = unix_now_ms();
        let ready = db.bump_station(&id, &station, now)?;
        db.audit(
            Some(&member),
            "",
            "order.bump",
            &format!("{id} {station}{}", if ready { " ready" } else { "" }),
            now,
        )
    })
    .await;
    match result {
        Ok(()) => {
            state.announce_now().await;
            let to = format!("/console/kitchen?station={}", super::url_encode(&f.station));
            Redirect::to(back(&headers, &to)).into_response()
        }
        Err(e) => e.into_response(),
    }
}

#[derive(serde::Deserialize)]
pub struct CsrfOnly {
    csrf: Option<String>,
}

async fn mark(
    state: AppState,
    staff: Staff,
    headers: HeaderMap,
    id: String,
    csrf: Option<String>,
    status: OrderStatus,
) -> Response {
    if let Some(r) = staff.refused_change(Permission::MarkOrders, &headers, csrf.as_deref()) {
        return r;
    }
    let member = staff.member.clone();
    let result = crate::run(&state, move |db| {
        db.mark_order(&id, status, unix_now_ms())?;
        db.audit(Some(&member), "", &format!("order.{}", status.as_str()), &id, unix_now_ms())
    })
    .await;
    match result {
        Ok(()) => {
            state.announce_now().await;
            Redirect::to(back(&headers, "/console/")).into_response()
        }
        Err(e) => e.into_response(),
    }
}

/// Where the form was: back there after a change.
pub fn back<'a>(headers: &'a HeaderMap, default: &'a str) -> &'a str {
    headers
        .get(axum::http::header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.find("/console/").map(|i| &r[i..]))
        .unwrap_or(default)
}

pub async fn mark_ready(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<CsrfOnly>,
) -> Response {
    mark(state, staff, headers, id, f.csrf, OrderStatus::Ready).await
}

pub async fn mark_served(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<CsrfOnly>,
) -> Response {
    mark(state, staff, headers, id, f.csrf, OrderStatus::Served).await
}

/// A counter payment's form fields (an order's, or a table's settlement).
#[derive(serde::Deserialize)]
pub struct PayForm {
    pub csrf: Option<String>,
    pub method: String,
    pub tendered: Option<String>,
    pub cash_receipt: Option<String>,
}

impl PayForm {
    pub fn parse(&self) -> Result<(CounterMethod, Option<i64>), String> {
        let method = CounterMethod::parse(&self.method).ok_or_else(|| format!("method {:?}", self.method))?;
        let tendered = match self.tendered.as_deref().map(super::page::won_digits) {
            None => None,
            Some(t) if t.is_empty() => None,
            Some(t) => Some(t.parse::<i64>().map_err(|_| format!("{t:?} is not an amount"))?),
        };
        Ok((method, tendered))
    }
}

/// The payment fields: cash (with what was handed over) or the counter's card terminal, and
/// a 현금영수증 request.
pub fn pay_fields(w: &Words, id: &str, total: i64) -> Markup {
    html! {
        fieldset {
            legend { (w.take_payment) " · " (won(total)) }
            div class="choice" {
                input type="radio" name="method" value="cash" id={ "cash-" (id) } checked;
                label for={ "cash-" (id) } { (w.cash) }
                input type="radio" name="method" value="card" id={ "card-" (id) };
                label for={ "card-" (id) } { (w.counter_card) }
            }
            label for={ "tendered-" (id) } { (w.tendered) }
            input id={ "tendered-" (id) } name="tendered" inputmode="numeric" placeholder=(total);
            label for={ "receipt-" (id) } { (w.cash_receipt) }
            input id={ "receipt-" (id) } name="cash_receipt" inputmode="numeric" autocomplete="off";
            button type="submit" class="primary" { (w.take_payment) }
        }
    }
}

#[derive(serde::Deserialize, Default)]
pub struct PaidQuery {
    pub paid: Option<u32>,
    pub change: Option<i64>,
    pub problem: Option<String>,
}

pub async fn counter(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<PaidQuery>,
) -> Response {
    if let Some(r) = staff.refused(Permission::TakePayments) {
        return r;
    }
    let lang = staff.lang.menu();
    let orders = match crate::read_page(&state, move |db| db.unpaid_counter_orders(lang)).await {
        Ok(o) => o,
        Err(e) => return e.into_response(),
    };
    let w = Words::of(staff.lang);
    let page = Page::new(w.counter, &staff).at("/console/counter").live("/console/events");
    let now = unix_now_ms();
    let main = html! {
        @if let Some(n) = q.paid {
            p class="done" role="status" { (w.paid) " · " (n) @if let Some(c) = q.change { " · " (w.change) " " strong class="change" { (won(c)) } } }
        }
        @if let Some(p) = &q.problem { p class="problem" role="alert" { (p) } }
        @if orders.is_empty() { p class="empty" { (w.no_unpaid) } }
        div class="tickets" {
            @for o in &orders {
                div class="pay" {
                    (order_card(&page, w, o, now, CardActions::None, false))
                    (page.form(&format!("/console/orders/{}/pay", o.order_id), "payform", pay_fields(w, &o.order_id, o.total)))
                }
            }
        }
    };
    page.respond(wants_fragment(&headers), main)
}

pub async fn pay(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<PayForm>,
) -> Response {
    if let Some(r) = staff.refused_change(Permission::TakePayments, &headers, f.csrf.as_deref()) {
        return r;
    }
    let (method, tendered) = match f.parse() {
        Ok(p) => p,
        Err(e) => return (StatusCode::BAD_REQUEST, e).into_response(),
    };
    let member = staff.member.clone();
    let receipt = f.cash_receipt.clone();
    let result = crate::run(&state, move |db| {
        let now = unix_now_ms();
        let paid = db.pay_order_at_counter(&id, method, tendered, receipt.as_deref(), &member, now)?;
        let number = db.board_order(&id)?.map(|o| o.number).unwrap_or(0);
        db.audit(Some(&member), "", "order.paid", &format!("{id} {} {}", method.as_str(), paid.amount), now)?;
        Ok((number, paid))
    })
    .await;
    match result {
        Ok((number, paid)) => {
            state.announce_now().await;
            let change = paid.change.map(|c| format!("&change={c}")).unwrap_or_default();
            Redirect::to(&format!("/console/counter?paid={number}{change}")).into_response()
        }
        Err(e) => {
            let message = e.message();
            Redirect::to(&format!("/console/counter?problem={}", super::url_encode(&message))).into_response()
        }
    }
}
