//! The owner's and counter's pages about the store itself: open or closed, its devices, the
//! pickup boards, the daily close and the staff accounts with the audit log.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use kiosk_clock::unix_now_ms;
use kiosk_link::wire::DeviceHealthReport;
use maud::html;

use super::auth::{Staff, check_secret, hash_secret};
use super::page::{Page, age, wants_fragment, won};
use super::words::Words;
use crate::AppState;
use crate::db::console::{DayReport, Permission, Role};

#[derive(serde::Deserialize)]
pub struct CsrfOnly {
    csrf: Option<String>,
}

#[derive(serde::Deserialize, Default)]
pub struct BoardQuery {
    key: Option<String>,
}

pub async fn store(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Query(q): Query<BoardQuery>,
) -> Response {
    if let Some(r) = staff.refused(Permission::Store) {
        return r;
    }
    let data = crate::run(&state, |db| Ok((db.store_open()?, db.devices()?))).await;
    let (open, devices) = match data {
        Ok(d) => d,
        Err(e) => return e.into_response(),
    };
    let w = Words::of(staff.lang);
    let page = Page::new(w.store, &staff).at("/console/store").live("/console/events");
    let now = unix_now_ms();
    let main = html! {
        section aria-labelledby="store-state" {
            h2 id="store-state" { (if open { w.store_is_open } else { w.store_is_closed }) }
            (page.form("/console/store/open", "inline", html! {
                input type="hidden" name="open" value=(if open { "0" } else { "1" });
                button type="submit" class=(if open { "danger" } else { "primary" }) { (if open { w.close_store } else { w.open_store }) }
            }))
        }
        section aria-labelledby="devices" {
            h2 id="devices" { (w.devices) }
            table {
                thead { tr { th scope="col" { (w.device) } th scope="col" { (w.mode) } th scope="col" { (w.last_contact) } th scope="col" { (w.version) } th scope="col" { (w.queued) } } }
                tbody {
                    @for d in devices.iter().filter(|d| !d.admin) {
                        @let report = d.report_json.as_deref().and_then(|j| serde_json::from_str::<DeviceHealthReport>(j).ok());
                        tr data-device=(d.name) {
                            th scope="row" { (d.name) }
                            td {
                                @if let Some(r) = &report {
                                    (r.mode)
                                    @for p in r.devices.iter().filter(|p| p.status != "ok") { br; small { (p.device) ": " (p.status) " (" (p.reason) ")" } }
                                } @else { "—" }
                            }
                            td { (d.reported_at_ms.map(|t| age(staff.lang, now, t)).unwrap_or_else(|| w.never.into())) }
                            td { (report.as_ref().and_then(|r| r.version.clone()).unwrap_or_else(|| "—".into())) }
                            td { (report.as_ref().and_then(|r| r.queued).map(|q| q.to_string()).unwrap_or_else(|| "—".into())) }
                        }
                    }
                }
            }
        }
        @if staff.member.role.may(Permission::ManageStaff) {
            section aria-labelledby="boards" {
                h2 id="boards" { (w.pickup_boards) }
                @if let Some(key) = &q.key {
                    p class="done" role="status" { (w.board_link) ": " a href={ "/board/" (key) } { "/board/" (key) } }
                }
                (page.form("/console/boards", "inline", html! { button type="submit" { (w.add_board) } }))
            }
        }
    };
    page.respond(wants_fragment(&headers), main)
}

#[derive(serde::Deserialize)]
pub struct OpenForm {
    csrf: Option<String>,
    open: String,
}

pub async fn set_open(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    axum::Form(f): axum::Form<OpenForm>,
) -> Response {
    if let Some(r) = staff.refused_change(Permission::Store, &headers, f.csrf.as_deref()) {
        return r;
    }
    let open = f.open == "1";
    let member = staff.member.clone();
    let result = crate::run(&state, move |db| {
        db.set_store_open(open)?;
        db.audit(Some(&member), "", if open { "store.open" } else { "store.closed" }, "", unix_now_ms())
    })
    .await;
    match result {
        Ok(()) => {
            state.announce_now().await;
            Redirect::to("/console/store").into_response()
        }
        Err(e) => e.into_response(),
    }
}

pub async fn add_board(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    axum::Form(f): axum::Form<CsrfOnly>,
) -> Response {
    if let Some(r) = staff.refused_change(Permission::ManageStaff, &headers, f.csrf.as_deref()) {
        return r;
    }
    let member = staff.member.clone();
    let result = crate::run(&state, move |db| {
        let key = db.board_key_add("pickup board", unix_now_ms())?;
        db.audit(Some(&member), "", "board.added", "", unix_now_ms())?;
        Ok(key)
    })
    .await;
    match result {
        Ok(key) => Redirect::to(&format!("/console/store?key={key}")).into_response(),
        Err(e) => e.into_response(),
    }
}

// --- the daily close ----------------------------------------------------------------------------

#[derive(serde::Deserialize, Default)]
pub struct DayQuery {
    day: Option<String>,
    printed: Option<u8>,
    problem: Option<String>,
}

fn valid_day(day: &str) -> bool {
    day.parse::<jiff::civil::Date>().is_ok()
}

async fn report_for(
    state: &AppState,
    day: Option<String>,
) -> Result<(String, DayReport, Vec<(String, i64)>, Option<kiosk_domain::Menu>), Response> {
    crate::run(state, move |db| {
        let day = match day.filter(|d| valid_day(d)) {
            Some(d) => d,
            None => db.business_day(unix_now_ms())?,
        };
        Ok((day.clone(), db.day_report(&day)?, db.closed_days(14)?, db.current_menu()?))
    })
    .await
    .map_err(IntoResponse::into_response)
}

pub async fn close_page(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Query(q): Query<DayQuery>,
) -> Response {
    if let Some(r) = staff.refused(Permission::CloseDay) {
        return r;
    }
    let (day, r, closed, menu) = match report_for(&state, q.day.clone()).await {
        Ok(x) => x,
        Err(e) => return e,
    };
    let w = Words::of(staff.lang);
    let page = Page::new(w.close, &staff).at("/console/close");
    let row = |figure: &str, label: &str, amount: i64, value: String| {
        html! { tr data-figure=(figure) { th scope="row" { (label) } td class="num" data-amount=(amount) { (value) } } }
    };
    let main = html! {
        form method="get" action="/console/close" class="inline" {
            label for="day" { (w.business_day) }
            input id="day" name="day" type="date" value=(day);
            button type="submit" { (w.show) }
        }
        @if q.printed.is_some() { p class="done" role="status" { (w.printed) } }
        @if let Some(p) = &q.problem { p class="problem" role="alert" { (p) } }
        h2 { (day) " · " (if r.closed_at_ms.is_some() { w.day_closed } else { w.day_open }) }
        table class="report" data-day=(day) {
            tbody {
                (row("orders", w.orders, r.orders.into(), r.orders.to_string()))
                (row("gross", w.gross, r.gross, won(r.gross)))
                (row("refunds", w.refunds, r.refunds, format!("{} ({})", won(r.refunds), r.refund_count)))
                (row("net", w.net, r.net, won(r.net)))
                (row("supply", w.supply, r.supply, won(r.supply)))
                (row("vat", w.vat, r.vat, won(r.vat)))
                (row("kiosk", w.kiosk_sales, r.kiosk_gross, format!("{} ({})", won(r.kiosk_gross), r.kiosk_orders)))
                (row("table", w.table_sales, r.table_gross, format!("{} ({})", won(r.table_gross), r.table_orders)))
            }
        }
        h3 { (w.payments) }
        table class="report payments" {
            thead { tr { th scope="col" { (w.payment) } th scope="col" { (w.count) } th scope="col" { (w.amount) } } }
            tbody {
                @for (label, (count, amount)) in &r.payments {
                    tr data-payment=(label) { th scope="row" { (w.payment_label(label)) } td class="num" { (count) } td class="num" data-amount=(amount) { (won(*amount)) } }
                }
            }
        }
        @if !r.suggestions.is_empty() {
            h3 { (w.suggestions) }
            table class="report suggestions" {
                thead { tr { th scope="col" { (w.suggestion) } th scope="col" { (w.taken) } th scope="col" { (w.declined) } } }
                tbody {
                    @for (id, (taken, declined)) in &r.suggestions {
                        tr data-suggestion=(id) { th scope="row" { (suggestion_name(menu.as_ref(), id, staff.lang.menu())) } td class="num" { (taken) } td class="num" { (declined) } }
                    }
                }
            }
        }
        div class="actions" {
            a class="button" href={ "/console/close.csv?day=" (day) } download { (w.export_csv) }
            (page.form(&format!("/console/close/print?day={day}"), "inline", html! { button type="submit" { (w.print_z) } }))
            @if r.closed_at_ms.is_none() {
                (page.form(&format!("/console/close?day={day}"), "inline", html! { button type="submit" class="danger" { (w.close_day) " " (day) } }))
            }
        }
        @if !closed.is_empty() {
            h3 { (w.day_closed) }
            ul { @for (d, _) in &closed { li { a href={ "/console/close?day=" (d) } { (d) } } } }
        }
    };
    page.respond(wants_fragment(&headers), main)
}

pub async fn close_day(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Query(q): Query<DayQuery>,
    axum::Form(f): axum::Form<CsrfOnly>,
) -> Response {
    if let Some(r) = staff.refused_change(Permission::CloseDay, &headers, f.csrf.as_deref()) {
        return r;
    }
    let Some(day) = q.day.filter(|d| valid_day(d)) else {
        return (StatusCode::BAD_REQUEST, "which day?").into_response();
    };
    let member = staff.member.clone();
    let d = day.clone();
    let result = crate::run(&state, move |db| {
        let report = db.close_day(&d, &member, unix_now_ms())?;
        db.audit(
            Some(&member),
            "",
            "day.closed",
            &format!("{d}: gross {} net {}", report.gross, report.net),
            unix_now_ms(),
        )
    })
    .await;
    match result {
        Ok(()) => Redirect::to(&format!("/console/close?day={day}")).into_response(),
        Err(e) => {
            Redirect::to(&format!("/console/close?day={day}&problem={}", super::url_encode(&e.message())))
                .into_response()
        }
    }
}

/// The daily close as CSV: one row per figure, then one per payment kind.
pub fn report_csv(r: &DayReport) -> String {
    let mut out = String::from("business_day,item,count,amount\n");
    let mut line = |item: &str, count: String, amount: i64| {
        out.push_str(&format!("{},{item},{count},{amount}\n", r.business_day))
    };
    line("orders", r.orders.to_string(), r.gross);
    line("refunds", r.refund_count.to_string(), r.refunds);
    line("net", String::new(), r.net);
    line("supply", String::new(), r.supply);
    line("vat", String::new(), r.vat);
    line("kiosk", r.kiosk_orders.to_string(), r.kiosk_gross);
    line("table", r.table_orders.to_string(), r.table_gross);
    for (label, (count, amount)) in &r.payments {
        let label = label.replace([',', '"', '\n'], " ");
        line(&format!("payment:{label}"), count.to_string(), *amount);
    }
    for (id, (taken, declined)) in &r.suggestions {
        let id = id.replace([',', '"', '\n'], " ");
        line(&format!("suggestion_taken:{id}"), taken.to_string(), 0);
        line(&format!("suggestion_declined:{id}"), declined.to_string(), 0);
    }
    out
}

/// A suggestion as the owner knows it: "아메리카노 → 뉴욕 치즈케이크" from the menu, or its id
/// when the menu no longer has it.
fn suggestion_name(menu: Option<&kiosk_domain::Menu>, id: &str, lang: kiosk_domain::Lang) -> String {
    let Some(menu) = menu else { return id.to_owned() };
    let Some(s) = menu.suggestions.iter().find(|s| s.id.0 == id) else { return id.to_owned() };
    let name =
        |item: &kiosk_domain::ItemId| menu.item(item).map_or(item.0.clone(), |i| i.name.get(lang).to_owned());
    let after: Vec<String> = s.after.iter().map(name).collect();
    format!("{} → {}", after.join(", "), name(&s.offer))
}

pub async fn close_csv(State(state): State<AppState>, staff: Staff, Query(q): Query<DayQuery>) -> Response {
    if let Some(r) = staff.refused(Permission::CloseDay) {
        return r;
    }
    match report_for(&state, q.day).await {
        Ok((day, r, ..)) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"close-{day}.csv\"")),
            ],
            report_csv(&r),
        )
            .into_response(),
        Err(e) => e,
    }
}

pub async fn print_z(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Query(q): Query<DayQuery>,
    axum::Form(f): axum::Form<CsrfOnly>,
) -> Response {
    if let Some(r) = staff.refused_change(Permission::CloseDay, &headers, f.csrf.as_deref()) {
        return r;
    }
    let (day, r, ..) = match report_for(&state, q.day).await {
        Ok(x) => x,
        Err(e) => return e,
    };
    let w = Words::of(staff.lang);
    let Some(printer) = state.kitchen_printer.clone() else {
        return Redirect::to(&format!(
            "/console/close?day={day}&problem={}",
            super::url_encode(w.no_printer)
        ))
        .into_response();
    };
    let bytes = super::zreport::encode(&r, staff.lang);
    match super::zreport::print(&printer, &bytes).await {
        Ok(()) => Redirect::to(&format!("/console/close?day={day}&printed=1")).into_response(),
        Err(e) => Redirect::to(&format!("/console/close?day={day}&problem={}", super::url_encode(&e)))
            .into_response(),
    }
}

// --- staff ------------------------------------------------------------------------------------

#[derive(serde::Deserialize, Default)]
pub struct StaffQuery {
    problem: Option<String>,
}

pub async fn staff_page(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Query(q): Query<StaffQuery>,
) -> Response {
    if let Some(r) = staff.refused(Permission::ManageStaff) {
        return r;
    }
    let data = crate::run(&state, |db| Ok((db.staff_list()?, db.audit_log(100)?))).await;
    let (members, log) = match data {
        Ok(d) => d,
        Err(e) => return e.into_response(),
    };
    let w = Words::of(staff.lang);
    let page = Page::new(w.staff, &staff).at("/console/staff");
    let main = html! {
        @if let Some(p) = &q.problem { p class="problem" role="alert" { (p) } }
        table {
            thead { tr { th scope="col" { (w.name) } th scope="col" { (w.role) } th scope="col" { (w.active) } th scope="col" { span class="sr" { (w.active) } } } }
            tbody {
                @for m in &members {
                    tr {
                        th scope="row" { (m.name) }
                        td { (w.role(m.role)) }
                        td { (if m.active { "✓" } else { "—" }) }
                        td {
                            @if m.id != staff.member.id {
                                (page.form(&format!("/console/staff/{}/active", m.id), "inline", html! {
                                    input type="hidden" name="active" value=(if m.active { "0" } else { "1" });
                                    button type="submit" { (if m.active { w.deactivate } else { w.activate }) " · " (m.name) }
                                }))
                            }
                        }
                    }
                }
            }
        }
        h2 { (w.add_staff) }
        (page.form("/console/staff", "stack", html! {
            label for="new-name" { (w.name) }
            input id="new-name" name="name" required maxlength="32";
            label for="new-role" { (w.role) }
            select id="new-role" name="role" {
                @for role in Role::ALL { option value=(role.as_str()) { (w.role(role)) } }
            }
            label for="new-secret" { (w.secret) }
            input id="new-secret" name="secret" type="password" required minlength="4" autocomplete="new-password";
            button type="submit" class="primary" { (w.add_staff) }
        }))
        h2 { (w.audit) }
        table class="audit" {
            thead { tr { th scope="col" { (w.when) } th scope="col" { (w.who) } th scope="col" { (w.what) } } }
            tbody {
                @for e in &log {
                    tr { td { (age(staff.lang, unix_now_ms(), e.at_ms)) } td { (e.staff_name) } td { (e.action) " " small { (e.detail) } } }
                }
            }
        }
    };
    page.respond(wants_fragment(&headers), main)
}

#[derive(serde::Deserialize)]
pub struct NewStaff {
    csrf: Option<String>,
    name: String,
    role: String,
    secret: String,
}

pub async fn add_staff(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    axum::Form(f): axum::Form<NewStaff>,
) -> Response {
    if let Some(r) = staff.refused_change(Permission::ManageStaff, &headers, f.csrf.as_deref()) {
        return r;
    }
    let problem =
        |m: &str| Redirect::to(&format!("/console/staff?problem={}", super::url_encode(m))).into_response();
    let Some(role) = Role::parse(&f.role) else { return problem("unknown role") };
    if let Err(e) = check_secret(&f.secret) {
        return problem(e);
    }
    let secret = f.secret.clone();
    let hash = match tokio::task::spawn_blocking(move || hash_secret(&secret)).await {
        Ok(Ok(h)) => h,
        _ => return (StatusCode::INTERNAL_SERVER_ERROR, "hashing failed").into_response(),
    };
    let member = staff.member.clone();
    let name = f.name.clone();
    let result = crate::run(&state, move |db| {
        let now = unix_now_ms();
        db.staff_add(&name, role, &hash, now)?;
        db.audit(Some(&member), "", "staff.added", &format!("{name} ({})", role.as_str()), now)
    })
    .await;
    match result {
        Ok(()) => Redirect::to("/console/staff").into_response(),
        Err(e) => problem(&e.message()),
    }
}

#[derive(serde::Deserialize)]
pub struct ActiveForm {
    csrf: Option<String>,
    active: String,
}

pub async fn set_active(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<ActiveForm>,
) -> Response {
    if let Some(r) = staff.refused_change(Permission::ManageStaff, &headers, f.csrf.as_deref()) {
        return r;
    }
    let active = f.active == "1";
    if !active && id == staff.member.id {
        return (StatusCode::UNPROCESSABLE_ENTITY, "you cannot deactivate your own account").into_response();
    }
    let member = staff.member.clone();
    let result = crate::run(&state, move |db| {
        db.staff_set_active(id, active)?;
        db.audit(
            Some(&member),
            "",
            if active { "staff.activated" } else { "staff.deactivated" },
            &id.to_string(),
            unix_now_ms(),
        )
    })
    .await;
    match result {
        Ok(()) => Redirect::to("/console/staff").into_response(),
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csv_has_every_figure_and_payment() {
        let mut r = DayReport {
            business_day: "2026-12-06".into(),
            orders: 3,
            gross: 30_000,
            net: 30_000,
            ..DayReport::default()
        };
        r.payments.insert("card:KB국민카드".into(), (2, 20_000));
        r.payments.insert("cash".into(), (1, 10_000));
        let csv = report_csv(&r);
        assert!(csv.starts_with("business_day,item,count,amount\n2026-12-06,orders,3,30000\n"), "{csv}");
        assert!(
            csv.contains("2026-12-06,payment:card:KB국민카드,2,20000\n")
                && csv.contains(",payment:cash,1,10000\n")
        );
    }
}
