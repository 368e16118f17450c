//! Tables: every table in use with its tab, staff calls to answer, settling at the counter
//! and moving or merging tabs.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use kiosk_clock::unix_now_ms;
use maud::html;

use super::auth::Staff;
use super::orders::{PaidQuery, PayForm, pay_fields};
use super::page::{Page, age, wants_fragment, won};
use super::words::Words;
use crate::AppState;
use crate::db::console::Permission;

pub async fn tables(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<PaidQuery>,
) -> Response {
    if let Some(r) = staff.refused(Permission::Tables) {
        return r;
    }
    let now = unix_now_ms();
    let tables = match crate::run(&state, move |db| db.tables(now)).await {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    let w = Words::of(staff.lang);
    let page = Page::new(w.tables, &staff).at("/console/tables").live("/console/events");
    let main = html! {
        @if let Some(c) = q.change { p class="done" role="status" { (w.paid) " · " (w.change) " " strong class="change" { (won(c)) } } }
        @if let Some(p) = &q.problem { p class="problem" role="alert" { (p) } }
        @if tables.is_empty() { p class="empty" { (w.no_tables) } }
        div class="tables" {
            @for t in &tables {
                article class={ "table" @if !t.calls.iter().all(|c| c.acked_by.is_some()) { " calling" } } data-table=(t.table)
                    aria-labelledby={ "t-" (t.table) } {
                    h2 id={ "t-" (t.table) } { (w.table) " " (t.table) }
                    dl {
                        dt { (w.owed) } dd class="owed" { (won(t.owed)) }
                        dt { (w.rounds) } dd { (t.rounds) }
                        dt { (w.guests) } dd { (t.guests) }
                        @if let Some(first) = t.first_round_ms { dt { (w.since) } dd { (age(staff.lang, now, first)) } }
                        dt { (w.tablet) } dd { (t.tablet.as_deref().unwrap_or("—")) }
                    }
                    @for call in &t.calls {
                        div class={ "call" @if call.acked_by.is_none() { " open" } } {
                            span { (w.calls) ": " strong { (w.reason(&call.reason)) } " · " (age(staff.lang, now, call.at_ms)) }
                            @if let Some(by) = &call.acked_by {
                                span class="answered" { " · " (w.answered_by) " " (by) }
                            } @else {
                                (page.form(&format!("/console/calls/{}/ack", call.id), "inline", html! {
                                    button type="submit" class="primary" { (w.acknowledge) " · " (w.table) " " (t.table) }
                                }))
                            }
                        }
                    }
                    @if t.owed > 0 {
                        details id={ "settle-" (t.table) } {
                            summary { (w.settle) " · " (won(t.owed)) }
                            (page.form(&format!("/console/tables/{}/settle", t.table), "payform", pay_fields(w, &t.table, t.owed)))
                        }
                        details id={ "move-tab-" (t.table) } {
                            summary { (w.move_tab) }
                            (page.form(&format!("/console/tables/{}/move", t.table), "payform", html! {
                                label for={ "move-" (t.table) } { (w.move_to) }
                                input id={ "move-" (t.table) } name="to" required pattern="[A-Za-z0-9_-]{1,16}";
                                button type="submit" { (w.move_tab) }
                            }))
                        }
                    }
                }
            }
        }
    };
    page.respond(wants_fragment(&headers), main)
}

#[derive(serde::Deserialize)]
pub struct CsrfOnly {
    csrf: Option<String>,
}

pub async fn acknowledge(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<CsrfOnly>,
) -> Response {
    if let Some(r) = staff.refused_change(Permission::Tables, &headers, f.csrf.as_deref()) {
        return r;
    }
    let member = staff.member.clone();
    let result = crate::run(&state, move |db| {
        let now = unix_now_ms();
        db.acknowledge_call(&id, &member, now)?;
        db.audit(Some(&member), "", "call.acknowledged", &id, now)
    })
    .await;
    match result {
        Ok(()) => {
            state.announce_now().await;
            Redirect::to("/console/tables").into_response()
        }
        Err(e) => e.into_response(),
    }
}

pub async fn settle(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Path(table): Path<String>,
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
        let (rounds, paid) =
            db.settle_table_at_counter(&table, method, tendered, receipt.as_deref(), &member, now)?;
        db.audit(
            Some(&member),
            "",
            "table.settled",
            &format!("{table}: {} rounds, {} {}", rounds.len(), method.as_str(), paid.amount),
            now,
        )?;
        Ok(paid)
    })
    .await;
    match result {
        Ok(paid) => {
            state.announce_now().await;
            let change = paid.change.map(|c| format!("?change={c}")).unwrap_or_default();
            Redirect::to(&format!("/console/tables{change}")).into_response()
        }
        Err(e) => Redirect::to(&format!("/console/tables?problem={}", super::url_encode(&e.message())))
            .into_response(),
    }
}

#[derive(serde::Deserialize)]
pub struct MoveForm {
    csrf: Option<String>,
    to: String,
}

pub async fn move_tab(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Path(table): Path<String>,
    axum::Form(f): axum::Form<MoveForm>,
) -> Response {
    if let Some(r) = staff.refused_change(Permission::Tables, &headers, f.csrf.as_deref()) {
        return r;
    }
    let member = staff.member.clone();
    let to = f.to.trim().to_owned();
    let result = crate::run(&state, move |db| {
        let now = unix_now_ms();
        let moved = db.move_tab(&table, &to, now)?;
        db.audit(Some(&member), "", "table.moved", &format!("{table} → {to}: {} rounds", moved.len()), now)
    })
    .await;
    match result {
        Ok(()) => {
            state.announce_now().await;
            Redirect::to("/console/tables").into_response()
        }
        Err(e) => Redirect::to(&format!("/console/tables?problem={}", super::url_encode(&e.message())))
            .into_response(),
    }
}
