//! The staff console, served by the store server at `/console/` from files built into the
//! binary (no internet, no CDN): the order board, the kitchen display, counter payments,
//! tables, the store and its devices, the daily close and staff accounts. Pages are rendered
//! on the server; a small script refreshes a page's live part when the same update stream
//! the devices follow says something changed, and rings a chime for a new order. The pickup
//! board (`/board/<key>`) and e-receipts (`/r/<token>`) need no login.

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use crate::AppState;

pub mod admin;
pub mod auth;
pub mod coupons;
pub mod font;
pub mod menu;
pub mod orders;
pub mod page;
pub mod public;
pub mod stamps;
pub mod tables;
pub mod words;
pub mod zreport;

const CSS: &str = include_str!("assets/console.css");
const JS: &str = include_str!("assets/console.js");
/// The UI's own font (NanumGothic, OFL): Hangul on any staff device, with no internet.
const FONT: &[u8] = include_bytes!("../../../../ui/ui/fonts/NanumGothic.ttf");

fn web_font() -> &'static [u8] {
    static WEB: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    WEB.get_or_init(|| font::web_font(FONT))
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console", get(|| async { Redirect::permanent("/console/") }))
        .route("/console/", get(orders::board))
        .route("/console/login", get(auth::login_page).post(auth::login))
        .route("/console/logout", post(auth::logout))
        .route("/console/lang", get(switch_language))
        .route("/console/events", get(console_events))
        .route("/console/assets/{file}", get(asset))
        .route("/console/kitchen", get(orders::kitchen))
        .route("/console/counter", get(orders::counter))
        .route("/console/orders/{id}/ready", post(orders::mark_ready))
        .route("/console/orders/{id}/served", post(orders::mark_served))
        .route("/console/orders/{id}/pay", post(orders::pay))
        .route("/console/orders/{id}/bump", post(orders::bump))
        .route("/console/menu", get(menu::menu_page))
        .route("/console/menu/items", post(menu::add_item))
        .route(
            "/console/menu/items/{id}",
            get(menu::item_page)
                .post(menu::save_item)
                .layer(axum::extract::DefaultBodyLimit::max(menu::PHOTO_MAX_BYTES + 64 * 1024)),
        )
        .route("/console/menu/items/{id}/sold-out", post(menu::sold_out))
        .route("/console/menu/categories", post(menu::add_category))
        .route("/console/menu/categories/{id}", get(menu::category_page).post(menu::save_category))
        .route("/console/menu/groups", post(menu::add_group))
        .route("/console/menu/groups/{id}", get(menu::group_page).post(menu::save_group))
        .route("/console/menu/requests", get(menu::requests_page).post(menu::save_requests))
        .route("/console/stations", post(menu::save_station))
        .route("/console/hold", post(menu::set_hold))
        .route("/console/photos/{name}", get(menu::console_photo))
        .route("/console/tables", get(tables::tables))
        .route("/console/calls/{id}/ack", post(tables::acknowledge))
        .route("/console/tables/{table}/settle", post(tables::settle))
        .route("/console/tables/{table}/move", post(tables::move_tab))
        .route("/console/store", get(admin::store))
        .route("/console/store/open", post(admin::set_open))
        .route("/console/boards", post(admin::add_board))
        .route("/console/coupons", get(coupons::coupons_page).post(coupons::issue))
        .route("/console/stamps", get(stamps::stamps_page).post(stamps::look_up))
        .route("/console/close", get(admin::close_page).post(admin::close_day))
        .route("/console/close.csv", get(admin::close_csv))
        .route("/console/close/print", post(admin::print_z))
        .route("/console/staff", get(admin::staff_page).post(admin::add_staff))
        .route("/console/staff/{id}/active", post(admin::set_active))
        .route("/board/{key}", get(public::pickup_board))
        .route("/board/{key}/events", get(board_events))
        .route("/r/{token}", get(public::receipt))
        .layer(axum::middleware::map_response(security_headers))
}

/// Pages load only our own files, are never framed, and say where they came from to no one.
async fn security_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
        ),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

async fn asset(Path(file): Path<String>) -> Response {
    let (body, kind, cache): (&[u8], _, _) = match file.as_str() {
        "console.css" => (CSS.as_bytes(), "text/css; charset=utf-8", "max-age=300"),
        "console.js" => (JS.as_bytes(), "text/javascript; charset=utf-8", "max-age=300"),
        "NanumGothic.ttf" => (web_font(), "font/ttf", "max-age=604800, immutable"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    ([(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, cache)], body).into_response()
}

#[derive(serde::Deserialize)]
struct LangQuery {
    to: String,
}

async fn switch_language(headers: HeaderMap, Query(q): Query<LangQuery>) -> Response {
    let lang = if q.to == "en" { "en" } else { "ko" };
    let back = orders::back(&headers, "/console/").to_owned();
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, back),
            (
                header::SET_COOKIE,
                format!("kiosk_console_lang={lang}; Path=/; SameSite=Strict; Max-Age=31536000"),
            ),
        ],
    )
        .into_response()
}

/// An event each time something the console shows may have changed (an order, a payment,
/// a call, a device's health): the page fetches its live part again.
fn change_stream(
    state: &AppState,
) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>> + use<>> {
    let (events, console) = (state.events.clone(), state.console.clone());
    let stream = futures_util::stream::unfold((events, console), |(mut events, mut console)| async move {
        tokio::select! {
            r = events.changed() => r.ok()?,
            r = console.changed() => r.ok()?,
        }
        let n = *events.borrow() + *console.borrow();
        Some((Ok(Event::default().event("changed").data(n.to_string())), (events, console)))
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

async fn console_events(State(state): State<AppState>, _staff: auth::Staff) -> Response {
    change_stream(&state).into_response()
}

async fn board_events(State(state): State<AppState>, Path(key): Path<String>) -> Response {
    match crate::run(&state, move |db| db.board_key_valid(&key)).await {
        Ok(true) => change_stream(&state).into_response(),
        Ok(false) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => e.into_response(),
    }
}

/// Percent-encodes a message for a redirect's query.
pub fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn messages_survive_the_query_string() {
        assert_eq!(super::url_encode("a b/한"), "a%20b%2F%ED%95%9C");
    }
}
