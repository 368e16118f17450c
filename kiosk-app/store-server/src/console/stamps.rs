//! Stamp cards (적립) at the counter: staff type a customer's mobile number and see the
//! card's stamps. The number is posted (never in a URL), hashed like the kiosks' lookups,
//! shown back masked, and kept nowhere.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use super::auth::Staff;
use super::page::{Page, wants_fragment};
use super::words::Words;
use crate::AppState;
use crate::db::console::Permission;

/// "010-****-5678": enough for the customer to recognise, too little to be theirs.
fn masked(digits: &str) -> String {
    let tail = &digits[digits.len().saturating_sub(4)..];
    format!("{}-****-{tail}", &digits[..3.min(digits.len())])
}

fn form(page: &Page<'_>, w: &Words) -> Markup {
    page.form("/console/stamps", "stack", html! {
        label for="s-phone" { (w.mobile_number) }
        input id="s-phone" name="phone" type="tel" inputmode="numeric" autocomplete="off" required maxlength="13";
        button type="submit" class="primary" { (w.look_up) }
    })
}

/// The programme, as the menu has it: "10 stamps: a free Americano".
async fn programme(state: &AppState, lang: kiosk_domain::Lang) -> Option<String> {
    let menu = crate::run(state, |db| db.current_menu()).await.ok().flatten()?;
    let p = menu.stamps.as_ref()?;
    let reward = menu.item(&p.reward).map_or(p.reward.0.clone(), |i| i.name.get(lang).to_owned());
    Some(format!("{} × ★ → {reward}", p.per_reward))
}

pub async fn stamps_page(State(state): State<AppState>, staff: Staff, headers: HeaderMap) -> Response {
    if let Some(r) = staff.refused(Permission::TakePayments) {
        return r;
    }
    let w = Words::of(staff.lang);
    let page = Page::new(w.stamps, &staff).at("/console/stamps");
    let programme = programme(&state, staff.lang.menu()).await;
    let main = html! {
        p { (programme.unwrap_or_else(|| w.no_stamp_programme.to_owned())) }
        (form(&page, w))
    };
    page.respond(wants_fragment(&headers), main)
}

#[derive(serde::Deserialize)]
pub struct Lookup {
    csrf: Option<String>,
    phone: String,
}

pub async fn look_up(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    axum::Form(f): axum::Form<Lookup>,
) -> Response {
    if let Some(r) = staff.refused_change(Permission::TakePayments, &headers, f.csrf.as_deref()) {
        return r;
    }
    let w = Words::of(staff.lang);
    let page = Page::new(w.stamps, &staff).at("/console/stamps");
    let digits = kiosk_domain::normalize_phone(&f.phone);
    let found = match &digits {
        Ok(d) => {
            let d = d.clone();
            match crate::run(&state, move |db| db.stamp_card(&d)).await {
                Ok((_, stamps)) => Ok(stamps),
                Err(e) => return e.into_response(),
            }
        }
        Err(_) => Err(w.wrong_number),
    };
    let main = html! {
        @match (&digits, found) {
            (Ok(d), Ok(stamps)) => p class="done" role="status" {
                (masked(d)) ": " span class="stamps" { (stamps) } " " (w.stamps_unit)
            },
            (_, Err(problem)) => p class="problem" role="alert" { (problem) },
            _ => {},
        }
        (form(&page, w))
    };
    page.respond(wants_fragment(&headers), main)
}
