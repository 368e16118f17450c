//! Coupons: the owner issues them (a code, an amount or a percentage off, a minimum order,
//! the days they may be used on) and sees where each stands: available, held for an order
//! being paid on a device, or used by an order.

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use kiosk_clock::unix_now_ms;
use kiosk_domain::{CouponTerms, CouponValue, Money};
use maud::html;

use super::auth::Staff;
use super::page::{Page, wants_fragment, won, won_digits};
use super::words::Words;
use crate::AppState;
use crate::db::console::Permission;
use crate::db::coupons::{CouponStanding, IssuedCoupon};

#[derive(serde::Deserialize)]
pub struct CouponsQuery {
    problem: Option<String>,
}

fn value_of(terms: &CouponTerms) -> String {
    match terms.value {
        CouponValue::Amount(a) => won(a.0),
        CouponValue::Percent(p) => format!("{p}%"),
    }
}

fn standing_of(w: &Words, c: &IssuedCoupon) -> String {
    match &c.standing {
        CouponStanding::Free => w.coupon_free.to_owned(),
        CouponStanding::Held { device, .. } => format!("{} ({device})", w.coupon_held),
        CouponStanding::Used { number: Some(n), .. } => format!("{} (#{n})", w.coupon_used),
        CouponStanding::Used { number: None, .. } => w.coupon_used.to_owned(),
    }
}

pub async fn coupons_page(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Query(q): Query<CouponsQuery>,
) -> Response {
    if let Some(r) = staff.refused(Permission::EditMenu) {
        return r;
    }
    let coupons = match crate::run(&state, |db| db.coupons()).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let w = Words::of(staff.lang);
    let page = Page::new(w.coupons, &staff).at("/console/coupons");
    let main = html! {
        @if let Some(p) = &q.problem { p class="problem" role="alert" { (p) } }
        @if coupons.is_empty() {
            p { (w.no_coupons) }
        } @else {
            table {
                thead { tr {
                    th scope="col" { (w.coupon_code) } th scope="col" { (w.coupon_value) }
                    th scope="col" { (w.min_order) } th scope="col" { (w.valid_from) }
                    th scope="col" { (w.valid_until) } th scope="col" { (w.standing) }
                } }
                tbody {
                    @for c in &coupons {
                        tr {
                            th scope="row" { (c.code) }
                            td { (value_of(&c.terms)) }
                            td { (won(c.terms.min_order.0)) }
                            td { (c.valid_from.as_deref().unwrap_or("—")) }
                            td { (c.valid_until.as_deref().unwrap_or("—")) }
                            td class="standing" { (standing_of(w, c)) }
                        }
                    }
                }
            }
        }
        h2 { (w.issue_coupon) }
        (page.form("/console/coupons", "stack", html! {
            label for="c-code" { (w.coupon_code) }
            input id="c-code" name="code" required maxlength=(kiosk_domain::COUPON_CODE_MAX) pattern="[A-Za-z0-9-]{3,20}" autocomplete="off";
            label for="c-kind" { (w.coupon_terms) }
            select id="c-kind" name="kind" {
                option value="amount" { (w.kind_amount) }
                option value="percent" { (w.kind_percent) }
            }
            label for="c-value" { (w.coupon_value) }
            input id="c-value" name="value" required inputmode="numeric";
            label for="c-min" { (w.min_order) }
            input id="c-min" name="min_order" inputmode="numeric" value="0";
            label for="c-from" { (w.valid_from) }
            input id="c-from" name="valid_from" type="date";
            label for="c-until" { (w.valid_until) }
            input id="c-until" name="valid_until" type="date";
            button type="submit" class="primary" { (w.issue_coupon) }
        }))
    };
    page.respond(wants_fragment(&headers), main)
}

#[derive(serde::Deserialize)]
pub struct NewCoupon {
    csrf: Option<String>,
    code: String,
    kind: String,
    value: String,
    #[serde(default)]
    min_order: String,
    #[serde(default)]
    valid_from: String,
    #[serde(default)]
    valid_until: String,
}

/// The terms as posted: "1,000" or "10" as the kind says; a minimum in won (empty: none).
fn posted_terms(f: &NewCoupon) -> Result<CouponTerms, String> {
    let number = |raw: &str, what: &str| {
        let digits = won_digits(raw);
        if digits.is_empty() {
            return Ok(0);
        }
        digits.parse::<i64>().map_err(|_| format!("{what}: {raw:?} is not a number"))
    };
    let value = number(&f.value, "value")?;
    let value = match f.kind.as_str() {
        "amount" => CouponValue::Amount(Money(value)),
        "percent" => {
            CouponValue::Percent(u8::try_from(value).map_err(|_| format!("{value}% is out of range"))?)
        }
        other => return Err(format!("unknown kind {other:?}")),
    };
    let terms = CouponTerms { value, min_order: Money(number(&f.min_order, "minimum")?) };
    terms.check().map_err(|e| e.to_string())?;
    Ok(terms)
}

pub async fn issue(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    axum::Form(f): axum::Form<NewCoupon>,
) -> Response {
    if let Some(r) = staff.refused_change(Permission::EditMenu, &headers, f.csrf.as_deref()) {
        return r;
    }
    let problem =
        |m: &str| Redirect::to(&format!("/console/coupons?problem={}", super::url_encode(m))).into_response();
    let terms = match posted_terms(&f) {
        Ok(t) => t,
        Err(e) => return problem(&e),
    };
    let day = |d: &str| Some(d.trim().to_owned()).filter(|d| !d.is_empty());
    let (from, until) = (day(&f.valid_from), day(&f.valid_until));
    let (member, code) = (staff.member.clone(), f.code.clone());
    let result = crate::run(&state, move |db| {
        let code = db.add_coupon(&code, terms, from.as_deref(), until.as_deref())?;
        db.audit(Some(&member), "", "coupon.issued", &code, unix_now_ms())
    })
    .await;
    match result {
        Ok(()) => Redirect::to("/console/coupons").into_response(),
        Err(e) => problem(&e.message()),
    }
}
