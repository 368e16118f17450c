//! The store server (`kiosk-pos serve`): the kiosk link protocol's server on SQLite. The demo
//! runs it in-process; a small store without another POS runs it as its POS (menus, orders,
//! sold-out marks, "ready" calls, staff calls and kitchen tickets). It is a program of its
//! own: nothing of it is in the device's firmware.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use kiosk_domain::{Menu, Order, OrderForPos, Refund};
use kiosk_drivers::transport::Endpoint;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tokio::sync::{Notify, watch};

use kiosk_link::wire::{
    self, ErrorBody, ErrorCode, ErrorDetail, Hello, MAX_BODY_BYTES, OrderStatus, PROTOCOL, PROTOCOL_HEADER,
    RefundReply, Sequenced, StaffCall, SubmitOrder, SubmitRefund, SubmitReply, SubmitStatus, TableClaim,
    UpdateBatch,
};

pub mod cli;
mod console;
pub mod db;

/// Hashes a staff PIN or password as the console stores it (the CLI and tests add staff).
pub use console::auth::hash_secret;
/// NanumGothic made fit for browsers (the console; the browser comparison benchmark).
pub use console::font::web_font;
pub mod kitchen;
mod tls_listener;

use db::{DbError, Device, ServerDb};

/// How often the server looks for events written by another process (the CLI).
const EVENT_POLL: Duration = Duration::from_millis(200);
const KEEP_ALIVE: Duration = Duration::from_secs(15);
const MAX_LONG_POLL: Duration = Duration::from_secs(30);

pub struct ServeOptions {
    pub db: PathBuf,
    pub listen: SocketAddr,
    /// A menu file loaded at start (JSON, as `kiosk menu import` reads).
    pub menu: Option<PathBuf>,
    /// A network ESC/POS printer for kitchen tickets.
    pub kitchen_printer: Option<Endpoint>,
    /// PEM certificate and key: serve HTTPS.
    pub tls: Option<(Vec<u8>, Vec<u8>)>,
    /// Automatic backups of the database.
    pub backups: Option<Backups>,
}

/// Daily online backups, the newest `keep` kept.
#[derive(Debug, Clone)]
pub struct Backups {
    pub dir: PathBuf,
    pub keep: usize,
    pub every: Duration,
}

/// Takes a backup every `every` (the first one a minute after start) into `dir`, named by
/// the time it was taken, and removes all but the newest `keep`.
async fn backup_loop(db: Arc<Mutex<ServerDb>>, backups: Backups) {
    let mut next = tokio::time::Instant::now() + Duration::from_secs(60).min(backups.every);
    loop {
        tokio::time::sleep_until(next).await;
        next += backups.every;
        let (db, dir) = (db.clone(), backups.dir.clone());
        let keep = backups.keep.max(1);
        let result = tokio::task::spawn_blocking(move || -> Result<PathBuf, String> {
            std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            let name = format!("kiosk-pos-{}.db", kiosk_clock::unix_now_ms());
            let path = dir.join(name);
            db.lock().expect("server db lock").backup_to(&path).map_err(|e| e.to_string())?;
            let mut kept: Vec<PathBuf> = std::fs::read_dir(&dir)
                .map_err(|e| e.to_string())?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("kiosk-pos-") && n.ends_with(".db"))
                })
                .collect();
            kept.sort();
            while kept.len() > keep {
                let old = kept.remove(0);
                let _ = std::fs::remove_file(&old);
            }
            Ok(path)
        })
        .await;
        match result {
            Ok(Ok(path)) => tracing::info!("backup: {}", path.display()),
            Ok(Err(e)) => tracing::error!("backup failed: {e}"),
            Err(e) => tracing::error!("backup task: {e}"),
        }
    }
}

#[derive(Clone)]
pub(crate) struct AppState {
    db: Arc<Mutex<ServerDb>>,
    /// The same database, read only, for the devices' requests (see [`read`]).
    reader: Arc<Mutex<ServerDb>>,
    /// Another read-only connection for the console's pages, so a large board never holds
    /// up a device's request.
    page_reader: Arc<Mutex<ServerDb>>,
    events: watch::Receiver<u64>,
    events_tx: Arc<watch::Sender<u64>>,
    /// Bumped on every change the console shows that devices do not follow (an order
    /// received, a staff call, a payment, a device's health).
    console: watch::Receiver<u64>,
    console_tx: Arc<watch::Sender<u64>>,
    kitchen: Arc<Notify>,
    /// The kitchen printer, which also prints the Z-report.
    kitchen_printer: Option<Endpoint>,
    /// Served over TLS: the console's cookies are `Secure`.
    tls: bool,
}

impl AppState {
    /// Every kitchen printer looks at the queue again (one per station printer).
    fn wake_kitchen(&self) {
        self.kitchen.notify_waiters();
    }

    /// The console's pages refresh.
    fn console_changed(&self) {
        self.console_tx.send_modify(|n| *n += 1);
    }

    /// After a change made through the console: devices hear of it at once (not at the
    /// next poll of the event log) and the console's pages refresh.
    async fn announce_now(&self) {
        if let Ok(last) = run(self, |db| db.last_event()).await {
            announce(self, last);
        }
        self.console_changed();
    }
}

/// A running server.
pub struct ServerHandle {
    pub addr: SocketAddr,
    /// The certificate's SHA-256 when serving HTTPS: what devices pin.
    pub tls_pin: Option<String>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    background: Vec<tokio::task::JoinHandle<()>>,
}

impl ServerHandle {
    /// Stops accepting, ends open streams and waits for the server to finish.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        for t in &self.background {
            t.abort();
        }
        self.task.abort();
        let _ = self.task.await;
    }

    /// Waits until the server ends (it does not, unless it fails).
    pub async fn wait(self) {
        let _ = self.task.await;
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{path}: {error}", path = .0.display(), error = .1)]
    Db(PathBuf, DbError),
    #[error("menu {path}: {error}", path = .0.display(), error = .1)]
    Menu(PathBuf, String),
    #[error("cannot listen on {0}: {1}")]
    Listen(SocketAddr, std::io::Error),
    #[error("TLS: {0}")]
    Tls(#[from] kiosk_link::tls::TlsError),
}

/// Opens the database, loads the menu if given, binds and serves in the background.
pub async fn start(options: ServeOptions) -> Result<ServerHandle, ServeError> {
    let mut db = ServerDb::open(&options.db).map_err(|e| ServeError::Db(options.db.clone(), e))?;
    if let Some(path) = &options.menu {
        let menu = kiosk_menu_file::read_menu_file(path)
            .map_err(|e| ServeError::Menu(path.clone(), e.to_string()))?;
        db.load_menu(menu).map_err(|e| ServeError::Menu(path.clone(), e.to_string()))?;
    }
    let last = db.last_event().map_err(|e| ServeError::Db(options.db.clone(), e))?;
    let (events_tx, events) = watch::channel(last);
    let (console_tx, console) = watch::channel(0);
    let reader = ServerDb::open_reader(&options.db).map_err(|e| ServeError::Db(options.db.clone(), e))?;
    let page_reader =
        ServerDb::open_reader(&options.db).map_err(|e| ServeError::Db(options.db.clone(), e))?;
    let state = AppState {
        db: Arc::new(Mutex::new(db)),
        reader: Arc::new(Mutex::new(reader)),
        page_reader: Arc::new(Mutex::new(page_reader)),
        events,
        events_tx: Arc::new(events_tx),
        console,
        console_tx: Arc::new(console_tx),
        kitchen: Arc::new(Notify::new()),
        kitchen_printer: options.kitchen_printer.clone(),
        tls: options.tls.is_some(),
    };
    let mut background =
        vec![tokio::spawn(poll_events(state.clone())), tokio::spawn(checkpoints(options.db.clone()))];
    if let Some(endpoint) = options.kitchen_printer.clone() {
        background.push(tokio::spawn(kitchen::run(state.db.clone(), endpoint, state.kitchen.clone(), None)));
    }
    background.push(tokio::spawn(kitchen::run_station_printers(state.db.clone(), state.kitchen.clone())));
    if let Some(backups) = options.backups.clone() {
        background.push(tokio::spawn(backup_loop(state.db.clone(), backups)));
    }
    let app = router(state);
    let tcp = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|e| ServeError::Listen(options.listen, e))?;
    let addr = tcp.local_addr().map_err(|e| ServeError::Listen(options.listen, e))?;
    let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
    let (task, tls_pin) = match &options.tls {
        None => {
            let serve = axum::serve(tcp, app).with_graceful_shutdown(async {
                let _ = stop.await;
            });
            (
                tokio::spawn(async move {
                    if let Err(e) = serve.await {
                        tracing::error!("pos server: {e}");
                    }
                }),
                None,
            )
        }
        Some((cert, key)) => {
            let config = kiosk_link::tls::server_config(cert, key, "the server certificate")?;
            let pin = kiosk_link::tls::pem_fingerprint(cert);
            let listener = tls_listener::TlsListener::new(tcp, config);
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stop.await;
            });
            (
                tokio::spawn(async move {
                    if let Err(e) = serve.await {
                        tracing::error!("pos server: {e}");
                    }
                }),
                pin,
            )
        }
    };
    Ok(ServerHandle { addr, tls_pin, shutdown: Some(shutdown), task, background })
}

/// Picks up events another process (the CLI) wrote to the same database.
async fn poll_events(state: AppState) {
    loop {
        tokio::time::sleep(EVENT_POLL).await;
        if let Ok(last) = read(&state, |db| db.last_event()).await {
            announce(&state, last);
        }
    }
}

/// How often the WAL is copied back into the database.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// Keeps the WAL short with passive checkpoints off the requests' path (a checkpoint inside
/// a commit would make that order wait for the database file's fsync too).
async fn checkpoints(path: std::path::PathBuf) {
    loop {
        tokio::time::sleep(CHECKPOINT_EVERY).await;
        let path = path.clone();
        match tokio::task::spawn_blocking(move || ServerDb::checkpoint(&path)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!("checkpoint: {e}"),
            Err(e) => tracing::warn!("checkpoint task: {e}"),
        }
    }
}

/// Wakes the devices' streams when events up to `last` are new to them.
fn announce(state: &AppState, last: u64) {
    state.events_tx.send_if_modified(|v| {
        let changed = *v != last;
        *v = last;
        changed
    });
}

fn router(state: AppState) -> Router {
    Router::new()
        .merge(console::routes())
        .route("/v1/hello", get(hello))
        .route("/v1/orders", post(submit_order))
        .route("/v1/orders/{id}/refunds", post(submit_refund))
        .route("/v1/menu", get(menu))
        .route("/v1/photos/{name}", get(photo))
        .route("/v1/events", get(events))
        .route("/v1/updates", get(long_poll))
        .route("/v1/staff-calls", post(staff_call))
        .route("/v1/tables/{table}/claim", post(claim_table).delete(release_table))
        .route("/v1/devices/self/health", put(report_health))
        .route("/v1/stamps/cards", post(stamp_card))
        .route("/v1/coupons/{code}", get(check_coupon))
        .route("/v1/coupons/{code}/holds/{order}", put(hold_coupon).delete(release_coupon))
        .route("/admin/v1/menu", put(admin_menu))
        .route("/admin/v1/items/{item}/sold-out", post(admin_sold_out))
        .route("/admin/v1/orders", get(admin_orders))
        .route("/admin/v1/orders/{id}/status", post(admin_order_status))
        .route("/admin/v1/store", post(admin_store))
        .route("/admin/v1/tables/{table}/settle", post(admin_settle_table))
        .route("/admin/v1/staff-calls", get(admin_staff_calls))
        .route("/admin/v1/devices", get(admin_devices))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, "no such endpoint") })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// An error answer: the status and a typed `ErrorBody`.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: ErrorCode,
    message: String,
}

impl ApiError {
    /// What went wrong, for a person.
    pub(crate) fn message(&self) -> String {
        self.message.clone()
    }

    fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into() }
    }

    fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body =
            ErrorBody { protocol: PROTOCOL, error: ErrorDetail { code: self.code, message: self.message } };
        (self.status, axum::Json(body)).into_response()
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> ApiError {
        let message = e.to_string();
        match e {
            DbError::Conflict(_) | DbError::AlreadyDone(_) => {
                ApiError::new(StatusCode::CONFLICT, ErrorCode::Conflict, message)
            }
            DbError::Invalid(_) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::Invalid, message)
            }
            DbError::NotFound(_) => ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message),
            DbError::TableTaken { .. } => ApiError::new(StatusCode::CONFLICT, ErrorCode::TableTaken, message),
            DbError::Coupon(refusal) => {
                use kiosk_domain::CouponRefusal as R;
                let (status, code) = match refusal {
                    R::Unknown => (StatusCode::NOT_FOUND, ErrorCode::CouponUnknown),
                    R::Used => (StatusCode::CONFLICT, ErrorCode::CouponUsed),
                    R::Expired => (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::CouponExpired),
                    R::NotYetValid => (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::CouponNotYetValid),
                    R::BelowMinimum { .. } => {
                        (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::CouponBelowMinimum)
                    }
                };
                ApiError::new(status, code, message)
            }
            DbError::StoreClosed => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::StoreClosed, message)
            }
            DbError::Sqlite(_) | DbError::Json(_) | DbError::TooNew(_) => {
                tracing::error!("pos server: {message}");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorCode::Internal,
                    "the store server failed; see its log",
                )
            }
        }
    }
}

/// Runs a database call off the async threads.
/// Runs a read on the read-only connection, off the async workers: a page or a device lookup
/// never waits for the writer (an order being stored, a backup) nor holds it up.
pub(crate) async fn read<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&ServerDb) -> Result<T, DbError> + Send + 'static,
) -> Result<T, ApiError> {
    read_on(&state.reader, f).await
}

/// A console page's read, on a connection of its own.
pub(crate) async fn read_page<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&ServerDb) -> Result<T, DbError> + Send + 'static,
) -> Result<T, ApiError> {
    read_on(&state.page_reader, f).await
}

async fn read_on<T: Send + 'static>(
    db: &Arc<Mutex<ServerDb>>,
    f: impl FnOnce(&ServerDb) -> Result<T, DbError> + Send + 'static,
) -> Result<T, ApiError> {
    let db = db.clone();
    tokio::task::spawn_blocking(move || f(&db.lock().expect("server db reader lock")))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal, e.to_string()))?
        .map_err(ApiError::from)
}

pub(crate) async fn run<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&mut ServerDb) -> Result<T, DbError> + Send + 'static,
) -> Result<T, ApiError> {
    let db = state.db.clone();
    tokio::task::spawn_blocking(move || f(&mut db.lock().expect("server db lock")))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal, e.to_string()))?
        .map_err(ApiError::from)
}

/// Checks the token (and, for admin endpoints, that it is an admin's) and the protocol header.
async fn authenticate(state: &AppState, headers: &HeaderMap, admin: bool) -> Result<Device, ApiError> {
    if let Some(v) = headers.get(PROTOCOL_HEADER) {
        let version = v.to_str().ok().and_then(|v| v.trim().parse::<u32>().ok());
        if version != Some(PROTOCOL) {
            return Err(unsupported(v.to_str().unwrap_or("?")));
        }
    }
    let unauthorized = |m: &str| ApiError::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, m);
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| unauthorized("missing \"Authorization: Bearer <device token>\""))?
        .trim()
        .to_owned();
    let device = read(state, move |db| db.device_for_token(&token))
        .await?
        .ok_or_else(|| unauthorized("unknown token; issue one with `kiosk-pos token NAME --db FILE`"))?;
    if admin && !device.admin {
        return Err(unauthorized("this endpoint needs an admin token (`kiosk-pos token NAME --admin`)"));
    }
    Ok(device)
}

fn unsupported(got: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        ErrorCode::UnsupportedProtocol,
        format!("this server speaks kiosk link protocol {PROTOCOL}, not {got}"),
    )
}

/// Parses a JSON body with a typed error: too large, not JSON, wrong types.
fn parse_body<T: DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> Result<T, ApiError> {
    let bytes = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::TooLarge,
                format!("bodies are limited to {MAX_BODY_BYTES} bytes"),
            )
        } else {
            ApiError::bad_request(e.body_text())
        }
    })?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad_request(format!("the body is not what this endpoint takes: {e}")))
}

/// Reads `protocol` first, so a newer device gets `unsupported_protocol`, not a type error.
fn check_body_protocol(body: &Result<Bytes, BytesRejection>) -> Result<(), ApiError> {
    #[derive(Deserialize)]
    struct Versioned {
        protocol: Option<u32>,
    }
    if let Ok(bytes) = body
        && let Ok(Versioned { protocol: Some(p) }) = serde_json::from_slice::<Versioned>(bytes)
        && p != PROTOCOL
    {
        return Err(unsupported(p));
    }
    Ok(())
}

async fn hello(State(state): State<AppState>, headers: HeaderMap) -> Result<axum::Json<Hello>, ApiError> {
    let device = authenticate(&state, &headers, false).await?;
    let (store_open, menu_version) = run(&state, |db| Ok((db.store_open()?, db.menu_version()?))).await?;
    Ok(axum::Json(Hello {
        protocol: PROTOCOL,
        server: format!("kiosk-pos serve {}", env!("CARGO_PKG_VERSION")),
        device: device.name,
        store_open,
        menu_version,
    }))
}

/// Totals that do not add up are refused: the store must not book an order the device
/// priced wrongly. So is a request note the device should have refused (too long, or with
/// a control character that would drive the kitchen's printer).
fn check_order(order: &Order) -> Result<(), ApiError> {
    let invalid = |m: String| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::Invalid, m);
    if order.lines.is_empty() {
        return Err(invalid("the order has no lines".into()));
    }
    if let Some(note) = &order.note {
        note.check().map_err(|e| invalid(format!("the order's note: {e}")))?;
    }
    let mut sum = 0i64;
    for (i, line) in order.lines.iter().enumerate() {
        if let Some(note) = &line.selection.note {
            note.check().map_err(|e| invalid(format!("line {}'s note: {e}", i + 1)))?;
        }
        if line.quantity == 0
            || line.unit_price.0 < 0
            || line.unit_price.0.checked_mul(line.quantity as i64) != Some(line.line_total.0)
        {
            return Err(invalid(format!(
                "line {}: {} × {} is not {}",
                i + 1,
                line.unit_price.0,
                line.quantity,
                line.line_total.0
            )));
        }
        sum = sum.checked_add(line.line_total.0).ok_or_else(|| invalid("the total overflows".into()))?;
    }
    let discount = order.totals.discount.0;
    let reward = order.stamps.as_ref().and_then(|s| s.reward).map_or(0, |r| r.0);
    if discount < 0 || discount > sum || reward < 0 || reward > discount {
        return Err(invalid(format!(
            "a discount of {discount} (a stamp reward of {reward}) on lines of {sum}"
        )));
    }
    if discount > reward && order.coupon.is_none() {
        return Err(invalid(format!("{} off with no coupon", discount - reward)));
    }
    let split = order.totals.vat;
    let parts = split.supply.0.checked_add(split.vat.0).filter(|_| split.supply.0 >= 0 && split.vat.0 >= 0);
    if sum - discount != split.total.0 || parts != Some(split.total.0) {
        return Err(invalid(format!(
            "the lines add up to {sum} less {discount}, the order says {} (supply {} + VAT {})",
            split.total.0, split.supply.0, split.vat.0
        )));
    }
    Ok(())
}

async fn submit_order(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let device = authenticate(&state, &headers, false).await?;
    check_body_protocol(&body)?;
    let SubmitOrder::<OrderForPos> { order, .. } = parse_body(body)?;
    check_order(&order.order)?;
    let order_id = order.order.id.to_string();
    let (status, pos_ref) = run(&state, move |db| db.receive_order(&device.name, &order)).await?;
    if status == SubmitStatus::Accepted {
        state.wake_kitchen();
        state.console_changed();
    }
    let code = created_or_ok(status);
    Ok((code, axum::Json(SubmitReply { protocol: PROTOCOL, status, order_id, pos_ref })).into_response())
}

/// A path parameter; one that does not parse is a `bad_request` in the protocol's error body.
struct ApiPath<T>(T);

impl<T: serde::de::DeserializeOwned + Send, S: Send + Sync> axum::extract::FromRequestParts<S>
    for ApiPath<T>
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(t)| ApiPath(t))
            .map_err(|e| ApiError::bad_request(e.body_text()))
    }
}

/// A query string; one that does not parse is a `bad_request` in the protocol's error body.
struct ApiQuery<T>(T);

impl<T: serde::de::DeserializeOwned + Send, S: Send + Sync> axum::extract::FromRequestParts<S>
    for ApiQuery<T>
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(t)| ApiQuery(t))
            .map_err(|e| ApiError::bad_request(e.body_text()))
    }
}

/// 201 the first time, 200 for a re-send the server already had.
fn created_or_ok(status: SubmitStatus) -> StatusCode {
    if status == SubmitStatus::Accepted { StatusCode::CREATED } else { StatusCode::OK }
}

async fn submit_refund(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let device = authenticate(&state, &headers, false).await?;
    check_body_protocol(&body)?;
    let SubmitRefund::<Refund> { refund, .. } = parse_body(body)?;
    if refund.order_id.to_string() != id {
        return Err(ApiError::bad_request(format!(
            "a refund of order {} sent to order {id}",
            refund.order_id
        )));
    }
    let refund_id = refund.id.to_string();
    let status = run(&state, move |db| db.receive_refund(&device.name, &refund)).await?;
    let code = created_or_ok(status);
    Ok((code, axum::Json(RefundReply { protocol: PROTOCOL, status, refund_id })).into_response())
}

/// A menu photo the menu names (uploaded in the console), as the devices draw it.
async fn photo(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(name): ApiPath<String>,
) -> Result<Response, ApiError> {
    authenticate(&state, &headers, false).await?;
    let png = run(&state, move |db| db.photo(&name)).await?;
    match png {
        Some(png) => Ok(console::menu::photo_response(Some(png))),
        None => Err(ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, "no such photo")),
    }
}

async fn menu(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    authenticate(&state, &headers, false).await?;
    let Some((version, json)) = run(&state, |db| db.menu()).await? else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            "no menu is loaded (`kiosk-pos menu FILE`)",
        ));
    };
    let etag = format!("\"{version}\"");
    let etag_value = HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"\""));
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim().trim_start_matches("W/") == etag));
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag_value)]).into_response());
    }
    Ok((
        StatusCode::OK,
        [(header::ETAG, etag_value), (header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        json,
    )
        .into_response())
}

/// Where a device's stream starts: after its last event id, or with a snapshot (also when
/// the id is ahead of this server's log: a server started over on a new database).
fn start_cursor(headers: &HeaderMap, since: Option<u64>) -> Option<u64> {
    since.or_else(|| {
        headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok())
    })
}

async fn next_batch(state: &AppState, device: &str, cursor: Option<u64>) -> Result<Vec<Sequenced>, ApiError> {
    let device = device.to_owned();
    run(state, move |db| match cursor {
        Some(since) if since <= db.last_event()? => db.events_after(since, &device, 200),
        _ => Ok(vec![db.snapshot()?]),
    })
    .await
}

#[derive(Deserialize)]
struct SinceQuery {
    since: Option<u64>,
    wait_ms: Option<u64>,
}

async fn events(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<SinceQuery>,
) -> Result<Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let device = authenticate(&state, &headers, false).await?;
    let cursor = start_cursor(&headers, q.since);
    struct Follow {
        state: AppState,
        device: String,
        cursor: Option<u64>,
        pending: VecDeque<Sequenced>,
        events: watch::Receiver<u64>,
    }
    let follow =
        Follow { events: state.events.clone(), state, device: device.name, cursor, pending: VecDeque::new() };
    let stream = futures_util::stream::unfold(follow, |mut f| async move {
        loop {
            if let Some(update) = f.pending.pop_front() {
                f.cursor = Some(update.seq);
                let data = serde_json::to_string(&update).unwrap_or_default();
                let event =
                    Event::default().id(update.seq.to_string()).event(update.update.kind()).data(data);
                return Some((Ok(event), f));
            }
            f.events.borrow_and_update();
            match next_batch(&f.state, &f.device, f.cursor).await {
                Ok(batch) if !batch.is_empty() => f.pending.extend(batch),
                Ok(_) => {
                    if f.events.changed().await.is_err() {
                        return None;
                    }
                }
                Err(_) => return None, // the device reconnects with its last id
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE)))
}

async fn long_poll(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<SinceQuery>,
) -> Result<axum::Json<UpdateBatch>, ApiError> {
    let device = authenticate(&state, &headers, false).await?;
    let cursor = q.since;
    let wait = Duration::from_millis(q.wait_ms.unwrap_or(0)).min(MAX_LONG_POLL);
    let mut events = state.events.clone();
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        events.borrow_and_update();
        let updates = next_batch(&state, &device.name, cursor).await?;
        if !updates.is_empty() || tokio::time::Instant::now() >= deadline {
            let next = updates.iter().map(|u| u.seq).max().unwrap_or(cursor.unwrap_or(0));
            return Ok(axum::Json(UpdateBatch { protocol: PROTOCOL, updates, next }));
        }
        let _ = tokio::time::timeout_at(deadline, events.changed()).await;
    }
}

async fn staff_call(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, ApiError> {
    let device = authenticate(&state, &headers, false).await?;
    check_body_protocol(&body)?;
    let call: StaffCall = parse_body(body)?;
    let new = run(&state, move |db| {
        db.staff_call(&call.id.to_string(), &device.name, call.table.as_deref(), call.reason)
    })
    .await?;
    if new {
        state.console_changed();
    }
    Ok(if new { StatusCode::CREATED } else { StatusCode::OK })
}

fn table_name(table: &str) -> Result<(), ApiError> {
    if !wire::is_table_name(table) {
        return Err(ApiError::bad_request(format!("{table:?} is not a table number")));
    }
    Ok(())
}

async fn claim_table(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(table): ApiPath<String>,
) -> Result<axum::Json<TableClaim>, ApiError> {
    let device = authenticate(&state, &headers, false).await?;
    table_name(&table)?;
    let (t, d) = (table.clone(), device.name.clone());
    run(&state, move |db| db.claim_table(&t, &d)).await?;
    Ok(axum::Json(TableClaim { protocol: PROTOCOL, table, device: device.name }))
}

async fn release_table(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(table): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    let device = authenticate(&state, &headers, false).await?;
    table_name(&table)?;
    run(&state, move |db| {
        db.claim_table(&table, &device.name)?; // only the holder may release
        db.release_table(&table)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

fn subtotal(value: i64) -> Result<kiosk_domain::Money, ApiError> {
    if value < 0 {
        return Err(ApiError::bad_request(format!("subtotal {value} is negative")));
    }
    Ok(kiosk_domain::Money(value))
}

/// A stamp card by mobile number. POST, so the number is in no URL (nor any log of one).
async fn stamp_card(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<axum::Json<wire::StampCard>, ApiError> {
    authenticate(&state, &headers, false).await?;
    check_body_protocol(&body)?;
    let asked: wire::StampCardRequest = parse_body(body)?;
    let (card, stamps) = run(&state, move |db| db.stamp_card(&asked.phone)).await?;
    Ok(axum::Json(wire::StampCard { protocol: PROTOCOL, card, stamps }))
}

async fn check_coupon(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(code): ApiPath<String>,
) -> Result<axum::Json<wire::CouponCheck>, ApiError> {
    authenticate(&state, &headers, false).await?;
    let (code, terms) = run(&state, move |db| db.check_coupon(&code)).await?;
    Ok(axum::Json(wire::CouponCheck { protocol: PROTOCOL, code, terms }))
}

async fn hold_coupon(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath((code, order)): ApiPath<(String, kiosk_domain::OrderId)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<axum::Json<wire::CouponHeld>, ApiError> {
    let device = authenticate(&state, &headers, false).await?;
    check_body_protocol(&body)?;
    let hold: wire::CouponHold = parse_body(body)?;
    let sum = subtotal(hold.subtotal.0)?;
    let order_id = order.to_string();
    let (o, c) = (order_id.clone(), code.clone());
    let discount = run(&state, move |db| db.hold_coupon(&o, &c, sum, &device.name)).await?;
    let code = kiosk_domain::normalize_code(&code).unwrap_or(code);
    state.console_changed();
    Ok(axum::Json(wire::CouponHeld { protocol: PROTOCOL, code, order_id, discount }))
}

async fn release_coupon(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath((code, order)): ApiPath<(String, kiosk_domain::OrderId)>,
) -> Result<axum::Json<wire::CouponReleased>, ApiError> {
    let device = authenticate(&state, &headers, false).await?;
    let released = run(&state, move |db| db.release_coupon(&order.to_string(), &code, &device.name)).await?;
    state.console_changed();
    Ok(axum::Json(wire::CouponReleased { protocol: PROTOCOL, released }))
}

async fn report_health(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, ApiError> {
    let device = authenticate(&state, &headers, false).await?;
    check_body_protocol(&body)?;
    let report: wire::DeviceHealthReport = parse_body(body)?;
    let json = serde_json::to_string(&report).map_err(|e| ApiError::bad_request(e.to_string()))?;
    run(&state, move |db| db.record_health(&device.name, &json)).await?;
    state.console_changed();
    Ok(StatusCode::NO_CONTENT)
}

/// An admin change: checks the staff token, parses the body, applies `change` and tells the
/// devices' streams.
async fn admin_change<T: DeserializeOwned + Send + 'static>(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    change: impl FnOnce(&mut ServerDb, T) -> Result<(), DbError> + Send + 'static,
) -> Result<StatusCode, ApiError> {
    authenticate(state, headers, true).await?;
    let request: T = parse_body(body)?;
    run_and_announce(state, move |db| change(db, request)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Runs a change that appends events, and wakes the devices' streams at once (without
/// waiting for the poll that catches the CLI's changes).
async fn run_and_announce<T: Send + 'static>(
    state: &AppState,
    change: impl FnOnce(&mut ServerDb) -> Result<T, DbError> + Send + 'static,
) -> Result<T, ApiError> {
    let (out, last) = run(state, move |db| Ok((change(db)?, db.last_event()?))).await?;
    announce(state, last);
    Ok(out)
}

async fn admin_menu(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    authenticate(&state, &headers, true).await?;
    let menu: Menu = parse_body(body)?;
    let version = run_and_announce(&state, move |db| db.load_menu(menu)).await?;
    Ok(axum::Json(serde_json::json!({"protocol": PROTOCOL, "version": version})))
}

#[derive(Deserialize)]
struct SoldOutBody {
    sold_out: bool,
}

async fn admin_sold_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(item): ApiPath<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, ApiError> {
    admin_change(&state, &headers, body, move |db, b: SoldOutBody| db.set_sold_out(&item, b.sold_out)).await
}

#[derive(Deserialize)]
struct OrdersQuery {
    after: Option<i64>,
    limit: Option<u32>,
}

async fn admin_orders(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<OrdersQuery>,
) -> Result<axum::Json<Vec<db::ReceivedOrder>>, ApiError> {
    authenticate(&state, &headers, true).await?;
    let orders =
        run(&state, move |db| db.orders(q.after.unwrap_or(0), q.limit.unwrap_or(1000).min(10_000))).await?;
    Ok(axum::Json(orders))
}

#[derive(Deserialize)]
struct StatusBody {
    /// received, ready or served; anything else is `bad_request`.
    status: OrderStatus,
}

async fn admin_order_status(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, ApiError> {
    admin_change(&state, &headers, body, move |db, b: StatusBody| {
        db.set_order_status(&id, b.status).map(drop)
    })
    .await
}

#[derive(Deserialize)]
struct StoreBody {
    open: bool,
}

async fn admin_store(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, ApiError> {
    admin_change(&state, &headers, body, |db, b: StoreBody| db.set_store_open(b.open)).await
}

/// `{"orders": [...]}`: the rounds now settled; `not_found` when the table owes nothing.
async fn admin_settle_table(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(table): ApiPath<String>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    authenticate(&state, &headers, true).await?;
    table_name(&table)?;
    let orders = run_and_announce(&state, move |db| db.settle_table(&table)).await?;
    Ok(axum::Json(serde_json::json!({"protocol": PROTOCOL, "orders": orders})))
}

async fn admin_staff_calls(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<axum::Json<Vec<db::StaffCallRecord>>, ApiError> {
    authenticate(&state, &headers, true).await?;
    Ok(axum::Json(run(&state, |db| db.staff_calls(200)).await?))
}

async fn admin_devices(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    authenticate(&state, &headers, true).await?;
    let devices = run(&state, |db| db.devices()).await?;
    let list: Vec<serde_json::Value> = devices
        .into_iter()
        .map(|d| {
            let health = d.report_json.and_then(|r| serde_json::from_str::<serde_json::Value>(&r).ok());
            serde_json::json!({"name": d.name, "admin": d.admin, "health": health, "reported_at_ms": d.reported_at_ms})
        })
        .collect();
    Ok(axum::Json(serde_json::Value::Array(list)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = kiosk_link::OPENAPI;

    /// The published specification must name every endpoint, error code and update kind
    /// this server implements, so vendors implementing it miss nothing.
    /// A crafted VAT split whose parts overflow when added is refused, never summed with
    /// wrap-around (release builds) or a panic (debug builds).
    /// A prepaid take-out order `n` of `line` (from the example menu), with the order's note.
    fn order_of(n: u128, line: kiosk_domain::Selection, note: Option<kiosk_domain::Note>) -> Order {
        let menu: Menu = serde_json::from_str(include_str!("../../data/menu.example.json")).unwrap();
        let mut cart = kiosk_domain::Cart::default();
        cart.add(&menu, line, None).unwrap();
        cart.set_note(note).unwrap();
        let kind = kiosk_domain::OrderKind::Kiosk { service: kiosk_domain::Service::TakeOut };
        let id = kiosk_domain::OrderId(uuid::Uuid::from_u128(n));
        Order::from_cart(id, 1, kind, kiosk_domain::Settlement::Prepaid, &cart, &menu, 0).unwrap()
    }

    #[test]
    fn an_order_whose_vat_split_overflows_is_refused() {
        let mut order = order_of(7, kiosk_domain::Selection::of("cola", 1), None);
        assert!(check_order(&order).is_ok(), "the order as the device makes it");
        let total = order.totals.vat.total.0;
        for (supply, vat) in [(i64::MAX, 1), (i64::MIN, i64::MIN), (total + 5, -5), (-1, total + 1)] {
            order.totals.vat.supply = kiosk_domain::Money(supply);
            order.totals.vat.vat = kiosk_domain::Money(vat);
            assert!(check_order(&order).is_err(), "supply {supply} + VAT {vat} for a total of {total}");
        }
    }

    #[test]
    fn an_order_with_a_bad_request_note_is_refused() {
        let mut cola = kiosk_domain::Selection::of("cola", 1);
        cola.note = kiosk_domain::Note::of(vec![], "얼음 적게");
        let good = order_of(7, cola, kiosk_domain::Note::of(vec![], "포크 2개"));
        assert!(check_order(&good).is_ok(), "the order as the device makes it");
        // What a device that skipped the checks (or a forged request) could send.
        let mut escape = good.clone();
        escape.lines[0].selection.note.as_mut().unwrap().text = "\u{1b}@\u{1b}d\u{9}".into();
        let mut long = good.clone();
        long.note.as_mut().unwrap().text = "포크".repeat(21);
        for (bad, says) in [(escape, "line 1's note"), (long, "the order's note")] {
            let e = check_order(&bad).unwrap_err();
            assert!(e.code == ErrorCode::Invalid && e.message.contains(says), "{}", e.message);
        }
    }

    /// The versioning rule the OpenAPI file states: an order may gain optional fields within
    /// a version, and this server takes one with fields it does not know.
    #[test]
    fn an_order_with_fields_this_server_does_not_know_is_taken() {
        let order = order_of(8, kiosk_domain::Selection::of("cola", 1), None);
        let mut json = serde_json::to_value(&order).unwrap();
        json["loyalty"] = serde_json::json!({"stamps": 3});
        json["lines"][0]["selection"]["gift_wrap"] = serde_json::json!(true);
        let body = serde_json::json!({"protocol": PROTOCOL, "order": json}).to_string();
        let SubmitOrder::<OrderForPos> { order: taken, .. } = parse_body(Ok(Bytes::from(body))).unwrap();
        assert_eq!(taken.order, order);
    }

    #[test]
    fn the_openapi_file_covers_the_server() {
        for path in [
            "/v1/hello",
            "/v1/orders",
            "/v1/orders/{id}/refunds",
            "/v1/menu",
            "/v1/photos/{name}",
            "/v1/events",
            "/v1/updates",
            "/v1/staff-calls",
            "/v1/tables/{table}/claim",
            "/v1/devices/self/health",
            "/admin/v1/menu",
            "/admin/v1/items/{item}/sold-out",
            "/admin/v1/orders",
            "/admin/v1/orders/{id}/status",
            "/admin/v1/store",
            "/admin/v1/tables/{table}/settle",
            "/admin/v1/staff-calls",
            "/admin/v1/devices",
        ] {
            assert!(SPEC.contains(&format!("\n  {path}:\n")), "{path} is not in the OpenAPI file");
        }
        for code in [
            ErrorCode::BadRequest,
            ErrorCode::Unauthorized,
            ErrorCode::TooLarge,
            ErrorCode::UnsupportedProtocol,
            ErrorCode::Conflict,
            ErrorCode::Invalid,
            ErrorCode::TableTaken,
            ErrorCode::NotFound,
            ErrorCode::StoreClosed,
            ErrorCode::Internal,
        ] {
            assert!(SPEC.contains(code.as_str()), "error code {} is not in the OpenAPI file", code.as_str());
        }
        for kind in [
            "snapshot",
            "sold_out",
            "store",
            "menu",
            "order_status",
            "table_settled",
            "staff_call_answered",
            "tab_moved",
        ] {
            assert!(
                SPEC.contains(&format!("const: {kind} }}")),
                "update kind {kind} is not in the OpenAPI file"
            );
        }
        assert!(SPEC.contains(&format!("version: \"{PROTOCOL}\"")));
    }
}
