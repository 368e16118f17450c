//! The store POS as the device sees it: one [`PosAdapter`] trait that the firmware talks to,
//! and its implementations, the open kiosk link protocol's client ([`link_client`]) and
//! Tryton's sale_point over JSON-RPC ([`tryton`]).
//!
//! The adapters make one attempt per call and say precisely how it ended ([`PosError`]).
//! Retrying is the caller's: the firmware's delivery worker for orders and refunds (its
//! backoff), the update stream's reconnects, and [`call_staff_with_retry`] here; the Tryton
//! client logs in again once when its session expires.

use std::future::Future;

use kiosk_domain::{CouponRefusal, CouponTerms, Menu, Money, OrderId};
use tokio::sync::mpsc;

pub mod link_client;
pub mod tryton;

pub use kiosk_link::wire::{DeviceHealthReport, Sequenced, StaffReason, Update};

/// How one POS request ended, when it did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PosError {
    /// Nothing reached the POS (connection refused, no route): safe to send again.
    #[error("the POS is unreachable: {0}")]
    Unreachable(String),
    /// The request may have reached the POS (timeout, connection lost after sending).
    /// Only the same idempotency key may be sent again.
    #[error("no clear answer from the POS: {0}")]
    Ambiguous(String),
    /// The POS refused this device's token or password.
    #[error("the POS refused this device's credentials: {0}")]
    Unauthorized(String),
    /// The POS understood the request and refused it for good (`code` from the protocol).
    #[error("the POS rejected it ({code}): {message}")]
    Rejected { code: String, message: String },
    /// The POS is up but failing or closed; try again later.
    #[error("the POS cannot take it now ({code}): {message}")]
    Unavailable { code: String, message: String },
    /// The answer could not be read: malformed JSON, wrong types, wrong protocol version.
    #[error("the POS answered something this device cannot read: {0}")]
    Protocol(String),
    /// The server's certificate is not the pinned one, or the TLS setup is wrong.
    #[error("TLS: {0}")]
    Tls(String),
    #[error("the {adapter} POS adapter does not support {what}")]
    Unsupported { adapter: &'static str, what: &'static str },
}

impl PosError {
    /// The store gave the table to another device (the answer to a claim).
    pub fn is_table_taken(&self) -> bool {
        matches!(self, PosError::Rejected { code, .. } if code == kiosk_link::wire::ErrorCode::TableTaken.as_str())
    }

    /// The coupon refusal this is (`minimum`: the coupon's, for a refusal below it).
    pub fn coupon_refusal(&self, minimum: Money) -> Option<CouponRefusal> {
        let PosError::Rejected { code, .. } = self else { return None };
        use kiosk_link::wire::ErrorCode as E;
        let codes =
            [E::CouponUnknown, E::CouponExpired, E::CouponNotYetValid, E::CouponUsed, E::CouponBelowMinimum];
        codes.into_iter().find(|c| c.as_str() == code)?.coupon_refusal(minimum)
    }

    /// Whether trying the same request again later can succeed without anyone acting.
    pub fn is_transient(&self) -> bool {
        !matches!(self, PosError::Rejected { .. } | PosError::Unsupported { .. })
    }

    /// A short word for the operator's screen and the logs.
    pub fn kind(&self) -> &'static str {
        match self {
            PosError::Unreachable(_) => "unreachable",
            PosError::Ambiguous(_) => "ambiguous",
            PosError::Unauthorized(_) => "unauthorized",
            PosError::Rejected { .. } => "rejected",
            PosError::Unavailable { .. } => "unavailable",
            PosError::Protocol(_) => "protocol",
            PosError::Tls(_) => "tls",
            PosError::Unsupported { .. } => "unsupported",
        }
    }
}

impl From<kiosk_link::http::HttpError> for PosError {
    fn from(e: kiosk_link::http::HttpError) -> PosError {
        use kiosk_link::http::HttpError as H;
        match e {
            H::Connect(m) => PosError::Unreachable(m),
            H::Certificate(m) => PosError::Tls(m),
            H::Ambiguous(m) => PosError::Ambiguous(m),
            // The request was answered, but the answer was lost: the POS may have acted.
            H::Body(m) => PosError::Ambiguous(m),
            H::Url(url, why) => PosError::Tls(format!("{url}: {why}")),
        }
    }
}

/// The POS has the order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    /// The POS's own reference (ticket or sale number).
    pub pos_ref: String,
    /// The POS already had it (an earlier attempt arrived after all).
    pub duplicate: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum MenuFetch {
    /// The POS's menu is still the version we have: nothing was transferred.
    Unchanged,
    /// A new menu; its `version` is what to send next time.
    Changed(Box<Menu>),
}

/// What the POS says about itself (and, through the answer arriving, that it is reachable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PosHealth {
    pub server: String,
    pub store_open: bool,
    pub menu_version: Option<String>,
}

/// The store POS as the firmware sees it. One attempt per call; no retries inside.
pub trait PosAdapter: Send + Sync {
    fn name(&self) -> &'static str;

    /// Hands over a committed order: `payload_json` is the order as committed (the outbox
    /// payload), and its id is the idempotency key. Sending the same key again never makes
    /// a second order.
    fn submit_order(
        &self,
        order_id: OrderId,
        payload_json: &str,
    ) -> impl Future<Output = Result<Delivered, PosError>> + Send;

    /// The menu, unless the POS's version is still `known_version`.
    fn fetch_menu(
        &self,
        known_version: Option<&str>,
    ) -> impl Future<Output = Result<MenuFetch, PosError>> + Send;

    /// Follows the POS's updates from `since` (a sequence number from an earlier update;
    /// `None` starts with a snapshot), sending each to `updates` until the stream breaks.
    fn watch(
        &self,
        since: Option<u64>,
        updates: &mpsc::Sender<Sequenced>,
    ) -> impl Future<Output = Result<(), PosError>> + Send;

    /// Calls staff; `id` makes a re-sent call count once.
    fn call_staff(
        &self,
        id: uuid::Uuid,
        table: Option<&str>,
        reason: StaffReason,
    ) -> impl Future<Output = Result<(), PosError>> + Send;

    /// Claims a table number for this device; refused while another device holds it.
    fn claim_table(&self, table: &str) -> impl Future<Output = Result<(), PosError>> + Send;

    fn health(&self) -> impl Future<Output = Result<PosHealth, PosError>> + Send;

    /// Publishes this device's peripheral health (shown on the store's side).
    fn report_devices(
        &self,
        report: &DeviceHealthReport,
    ) -> impl Future<Output = Result<(), PosError>> + Send;

    /// Tells the POS that an approval of a delivered order was reversed: `refund_json` is the
    /// refund as queued, and its id is the idempotency key.
    fn submit_refund(
        &self,
        order_id: OrderId,
        refund_json: &str,
    ) -> impl Future<Output = Result<(), PosError>> + Send;

    /// The stamp card of a mobile number: the store's id for it and its stamps. The number
    /// goes no further than the request.
    fn stamp_card(&self, phone: &str) -> impl Future<Output = Result<(String, i64), PosError>> + Send {
        let (adapter, _) = (self.name(), phone);
        async move { Err(PosError::Unsupported { adapter, what: "stamp cards" }) }
    }

    /// The terms of coupon `code` if it can be used today; a refusal is `Rejected` with a
    /// coupon code ([`PosError::coupon_refusal`]).
    fn check_coupon(
        &self,
        code: &str,
    ) -> impl Future<Output = Result<(String, CouponTerms), PosError>> + Send {
        let (adapter, _) = (self.name(), code);
        async move { Err(PosError::Unsupported { adapter, what: "coupons" }) }
    }

    /// Holds coupon `code` for `order` before it is charged; the same order asking again gets
    /// the same answer. Returns the discount.
    fn hold_coupon(
        &self,
        code: &str,
        order: OrderId,
        subtotal: Money,
    ) -> impl Future<Output = Result<Money, PosError>> + Send {
        let (adapter, _, _, _) = (self.name(), code, order, subtotal);
        async move { Err(PosError::Unsupported { adapter, what: "coupons" }) }
    }

    /// Releases `order`'s hold on coupon `code` (the order will not be placed); releasing
    /// twice, or a coupon the order used, is no error.
    fn release_coupon(
        &self,
        code: &str,
        order: OrderId,
    ) -> impl Future<Output = Result<(), PosError>> + Send {
        let (adapter, _, _) = (self.name(), code, order);
        async move { Err(PosError::Unsupported { adapter, what: "coupons" }) }
    }

    /// A menu photo (PNG) by the file name the menu gives it. POS systems that deliver no
    /// photos answer `Unsupported`: the device shows what its photo folder holds.
    fn fetch_photo(&self, name: &str) -> impl Future<Output = Result<Vec<u8>, PosError>> + Send {
        let (adapter, _) = (self.name(), name);
        async move { Err(PosError::Unsupported { adapter, what: "menu photos" }) }
    }
}

/// The adapter chosen by the configuration.
pub enum AnyPos {
    KioskLink(link_client::KioskLinkClient),
    Tryton(tryton::Tryton),
}

impl AnyPos {
    /// The adapter `[pos]` asks for, or `None` when the device runs without a POS.
    pub fn from_config(config: &kiosk_config::PosConfig) -> Result<Option<AnyPos>, PosError> {
        use kiosk_config::PosAdapter as A;
        let (Some(url), Some(token)) = (&config.url, &config.token) else { return Ok(None) };
        Ok(match config.adapter {
            A::None => None,
            A::KioskLink => Some(AnyPos::KioskLink(link_client::KioskLinkClient::new(
                url,
                token,
                config.tls_pin_sha256.as_deref(),
                Default::default(),
            )?)),
            A::Tryton => {
                Some(AnyPos::Tryton(tryton::Tryton::new(url, token, config.tls_pin_sha256.as_deref())?))
            }
        })
    }
}

macro_rules! dispatch {
    ($self:ident, $a:ident => $e:expr) => {
        match $self {
            AnyPos::KioskLink($a) => $e,
            AnyPos::Tryton($a) => $e,
        }
    };
}

impl PosAdapter for AnyPos {
    fn name(&self) -> &'static str {
        dispatch!(self, a => a.name())
    }

    async fn submit_order(&self, order_id: OrderId, payload_json: &str) -> Result<Delivered, PosError> {
        dispatch!(self, a => a.submit_order(order_id, payload_json).await)
    }

    async fn fetch_menu(&self, known_version: Option<&str>) -> Result<MenuFetch, PosError> {
        dispatch!(self, a => a.fetch_menu(known_version).await)
    }

    async fn watch(&self, since: Option<u64>, updates: &mpsc::Sender<Sequenced>) -> Result<(), PosError> {
        dispatch!(self, a => a.watch(since, updates).await)
    }

    async fn call_staff(
        &self,
        id: uuid::Uuid,
        table: Option<&str>,
        reason: StaffReason,
    ) -> Result<(), PosError> {
        dispatch!(self, a => a.call_staff(id, table, reason).await)
    }

    async fn claim_table(&self, table: &str) -> Result<(), PosError> {
        dispatch!(self, a => a.claim_table(table).await)
    }

    async fn health(&self) -> Result<PosHealth, PosError> {
        dispatch!(self, a => a.health().await)
    }

    async fn report_devices(&self, report: &DeviceHealthReport) -> Result<(), PosError> {
        dispatch!(self, a => a.report_devices(report).await)
    }

    async fn submit_refund(&self, order_id: OrderId, refund_json: &str) -> Result<(), PosError> {
        dispatch!(self, a => a.submit_refund(order_id, refund_json).await)
    }

    async fn fetch_photo(&self, name: &str) -> Result<Vec<u8>, PosError> {
        dispatch!(self, a => a.fetch_photo(name).await)
    }

    async fn stamp_card(&self, phone: &str) -> Result<(String, i64), PosError> {
        dispatch!(self, a => a.stamp_card(phone).await)
    }

    async fn check_coupon(&self, code: &str) -> Result<(String, CouponTerms), PosError> {
        dispatch!(self, a => a.check_coupon(code).await)
    }

    async fn hold_coupon(&self, code: &str, order: OrderId, subtotal: Money) -> Result<Money, PosError> {
        dispatch!(self, a => a.hold_coupon(code, order, subtotal).await)
    }

    async fn release_coupon(&self, code: &str, order: OrderId) -> Result<(), PosError> {
        dispatch!(self, a => a.release_coupon(code, order).await)
    }
}

/// Calls staff, re-sending the same call id through short outages (the server counts an id
/// once). True when the POS took the call.
pub async fn call_staff_with_retry(
    pos: &AnyPos,
    id: uuid::Uuid,
    table: Option<&str>,
    reason: StaffReason,
) -> bool {
    for attempt in 1..=5u32 {
        match pos.call_staff(id, table, reason).await {
            Ok(()) => {
                tracing::info!("staff called ({reason:?})");
                return true;
            }
            Err(e) if e.is_transient() => {
                tracing::warn!("calling staff (attempt {attempt}): {e}");
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            }
            Err(e) => {
                tracing::error!("calling staff: {e}");
                return false;
            }
        }
    }
    false
}
