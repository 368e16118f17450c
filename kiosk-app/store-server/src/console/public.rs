//! Pages without a login: the pickup board for a TV (a per-board key in its URL) and the
//! e-receipts (a link of 128 random bits, kept for a set number of days).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use kiosk_clock::unix_now_ms;
use kiosk_drivers::printer::receipt::Paper;
use kiosk_receipts::{ReceiptContext, customer_receipt};
use maud::html;

use super::auth::lang_of;
use super::page::{Lang, Page, wants_fragment};
use super::words::Words;
use crate::AppState;

/// E-receipts are kept this many days unless the store says otherwise (`receipt_days`).
pub const RECEIPT_DAYS: u32 = 90;

pub async fn pickup_board(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(key): Path<String>,
) -> Response {
    let k = key.clone();
    let numbers = crate::run(&state, move |db| {
        if !db.board_key_valid(&k)? {
            return Ok(None);
        }
        db.pickup_numbers().map(Some)
    })
    .await;
    let (preparing, ready) = match numbers {
        Ok(Some(n)) => n,
        Ok(None) => return (StatusCode::NOT_FOUND, "no such board").into_response(),
        Err(e) => return e.into_response(),
    };
    // The board speaks both languages at once: it is for every customer.
    let (ko, en) = (Words::of(Lang::Ko), Words::of(Lang::En));
    let page = Page::public("주문 알림 · Orders", Lang::Ko).live(format!("/board/{key}/events"));
    let main = html! {
        div class="pickup" {
            section class="preparing" aria-labelledby="preparing" {
                h2 id="preparing" { (ko.preparing) " " span lang="en" { (en.preparing) } }
                ul { @for n in &preparing { li { (n) } } }
            }
            section class="ready" aria-labelledby="ready" {
                h2 id="ready" { (ko.ready_to_collect) " " span lang="en" { (en.ready_to_collect) } }
                ul data-ready=(ready.iter().map(u32::to_string).collect::<Vec<_>>().join(",")) { @for n in &ready { li { (n) } } }
            }
        }
    };
    page.respond(wants_fragment(&headers), main)
}

pub async fn receipt(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    let lang = lang_of(&headers);
    let found = crate::run(&state, move |db| {
        let keep = db.setting("receipt_days")?.and_then(|d| d.parse().ok()).unwrap_or(RECEIPT_DAYS);
        let sent = db.receipt(&token, unix_now_ms(), keep)?;
        let ctx = ReceiptContext {
            store_name: db.setting("store_name")?.unwrap_or_default(),
            business_number: db.setting("business_number")?.unwrap_or_default(),
            representative: db.setting("representative")?,
            address: db.setting("address")?.unwrap_or_default(),
            phone: db.setting("phone")?,
            header: vec![],
            footer: vec![],
            lang: kiosk_domain::Lang::Ko,
            paper: Paper::MM80,
            printed_at: String::new(),
        };
        Ok(sent.map(|s| (s, ctx, db.clock())))
    })
    .await;
    let w = Words::of(lang);
    match found {
        Ok(Some((sent, mut ctx, clock))) => {
            ctx.lang = sent.order.lang;
            if let Ok(clock) = clock {
                ctx.printed_at = clock.local_datetime(sent.order.created_at_ms);
            }
            let text = customer_receipt(&ctx, &sent.order, sent.payment.as_ref()).text_lines().join("\n");
            let page_lang = if sent.order.lang == kiosk_domain::Lang::Ko { Lang::Ko } else { Lang::En };
            let title = format!("{} #{}", Words::of(page_lang).receipt, sent.order.number);
            Page::public(&title, page_lang).render(html! { pre class="receipt" { (text) } }).into_response()
        }
        Ok(None) => {
            (StatusCode::NOT_FOUND, Page::public(w.receipt, lang).message(w.receipt_gone)).into_response()
        }
        Err(e) => e.into_response(),
    }
}
