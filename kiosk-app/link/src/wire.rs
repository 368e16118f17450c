//! The "kiosk link" wire types: the JSON bodies of `api/kiosk-link.openapi.yaml`, shared by
//! the device's client and the reference store server so the two cannot drift apart.

use serde::{Deserialize, Serialize};

/// The protocol version this build speaks. A peer that sends another one gets
/// `unsupported_protocol` and knows to upgrade; it is also the `/v1/` in every path.
pub const PROTOCOL: u32 = 1;

/// Request header carrying the protocol version on requests without a body.
pub const PROTOCOL_HEADER: &str = "kiosk-link-protocol";

/// Bodies larger than this are refused with `too_large` (a menu of 500 items is ~150 kB).
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// `GET /v1/hello`: who the server is and whether the store takes orders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hello {
    pub protocol: u32,
    pub server: String,
    /// The device name the token belongs to.
    pub device: String,
    pub store_open: bool,
    pub menu_version: Option<String>,
}

/// `POST /v1/orders`. `order` is the device's order exactly as committed (the outbox
/// payload); its `id` is the idempotency key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubmitOrder<O> {
    pub protocol: u32,
    pub order: O,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubmitStatus {
    /// First time the server saw this order id.
    Accepted,
    /// The server already had this order id with the same payload.
    Duplicate,
}

/// The answer to `POST /v1/orders` (201 accepted, 200 duplicate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmitReply {
    pub protocol: u32,
    pub status: SubmitStatus,
    pub order_id: String,
    /// The store's own reference for the order (its ticket number).
    pub pos_ref: String,
}

/// `POST /v1/orders/{id}/refunds`: an approval of a delivered order was reversed. `refund`
/// is the device's refund as queued; its `id` is the idempotency key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubmitRefund<R> {
    pub protocol: u32,
    pub refund: R,
}

/// The answer to `POST /v1/orders/{id}/refunds` (201 accepted, 200 duplicate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundReply {
    pub protocol: u32,
    pub status: SubmitStatus,
    pub refund_id: String,
}

/// Every 4xx/5xx answer carries one of these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub protocol: u32,
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    pub message: String,
}

/// Machine-readable error codes; `message` is for the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Malformed JSON or a field of the wrong type.
    BadRequest,
    /// A missing or unknown token.
    Unauthorized,
    /// The body is over [`MAX_BODY_BYTES`].
    TooLarge,
    /// The request's `protocol` is not one the server speaks.
    UnsupportedProtocol,
    /// The same order id was sent before with a different payload.
    Conflict,
    /// Well-formed but wrong: totals that do not add up, an invalid menu.
    Invalid,
    /// Another device holds this table.
    TableTaken,
    NotFound,
    /// The store is closed and takes no orders.
    StoreClosed,
    /// No coupon has this code.
    CouponUnknown,
    /// The coupon's last day has passed.
    CouponExpired,
    /// The coupon's first day has not come.
    CouponNotYetValid,
    /// The coupon is used, or held for another order being paid.
    CouponUsed,
    /// The order is below the coupon's minimum.
    CouponBelowMinimum,
    Internal,
    /// A code from a newer server: treated like `internal`.
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::UnsupportedProtocol => "unsupported_protocol",
            ErrorCode::Conflict => "conflict",
            ErrorCode::Invalid => "invalid",
            ErrorCode::TableTaken => "table_taken",
            ErrorCode::NotFound => "not_found",
            ErrorCode::StoreClosed => "store_closed",
            ErrorCode::CouponUnknown => "coupon_unknown",
            ErrorCode::CouponExpired => "coupon_expired",
            ErrorCode::CouponNotYetValid => "coupon_not_yet_valid",
            ErrorCode::CouponUsed => "coupon_used",
            ErrorCode::CouponBelowMinimum => "coupon_below_minimum",
            ErrorCode::Internal => "internal",
            ErrorCode::Unknown => "unknown",
        }
    }
}

/// `POST /v1/stamps/cards`: the stamp card of a mobile number (digits, dashes allowed).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StampCardRequest {
    pub protocol: u32,
    pub phone: String,
}

impl std::fmt::Debug for StampCardRequest {
    /// Never the number: requests end up in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StampCardRequest").field("protocol", &self.protocol).finish_non_exhaustive()
    }
}

/// The answer: the card's id (a salted hash only the server can make) and its stamps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StampCard {
    pub protocol: u32,
    pub card: String,
    pub stamps: i64,
}

/// `GET /v1/coupons/{code}`: the terms of a coupon that can be used today (the device works
/// out the discount on its cart with them, as the server will on the order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponCheck {
    pub protocol: u32,
    /// The code as the store keeps it (upper case).
    pub code: String,
    pub terms: kiosk_domain::CouponTerms,
}

/// `PUT /v1/coupons/{code}/holds/{order_id}`: hold the coupon for an order about to be paid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponHold {
    pub protocol: u32,
    /// The sum of the order's lines.
    pub subtotal: kiosk_domain::Money,
}

/// The answer to a hold: the coupon is the order's, with this discount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponHeld {
    pub protocol: u32,
    pub code: String,
    pub order_id: String,
    pub discount: kiosk_domain::Money,
}

/// The answer to `DELETE /v1/coupons/{code}/holds/{order_id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouponReleased {
    pub protocol: u32,
    /// A hold was released now (false: none stood, or the order used the coupon).
    pub released: bool,
}

impl ErrorCode {
    /// The refusal a coupon error code stands for.
    pub fn coupon_refusal(self, minimum: kiosk_domain::Money) -> Option<kiosk_domain::CouponRefusal> {
        use kiosk_domain::CouponRefusal as R;
        Some(match self {
            ErrorCode::CouponUnknown => R::Unknown,
            ErrorCode::CouponExpired => R::Expired,
            ErrorCode::CouponNotYetValid => R::NotYetValid,
            ErrorCode::CouponUsed => R::Used,
            ErrorCode::CouponBelowMinimum => R::BelowMinimum { minimum },
            _ => return None,
        })
    }
}

/// Why a diner calls staff.
pub use kiosk_domain::StaffReason;

/// `POST /v1/staff-calls`; `id` makes a re-sent call count once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffCall {
    pub protocol: u32,
    pub id: uuid::Uuid,
    /// The table, or `None` for a kiosk (its help button).
    pub table: Option<String>,
    pub reason: StaffReason,
}

/// A table number as it may appear in a path: 1–16 letters, digits, `-` or `_`.
pub fn is_table_name(table: &str) -> bool {
    (1..=16).contains(&table.len())
        && table.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// `POST /v1/tables/{table}/claim` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableClaim {
    pub protocol: u32,
    pub table: String,
    pub device: String,
}

/// `PUT /v1/devices/self/health`: the device's peripherals as its supervisor sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceHealthReport {
    pub protocol: u32,
    /// "normal", "pay-at-counter only", "out of service".
    pub mode: String,
    pub devices: Vec<PeripheralHealth>,
    /// The device's software version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Orders committed on the device and not yet acknowledged by the store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queued: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeripheralHealth {
    pub device: String,
    /// ok, degraded, missing or fault.
    pub status: String,
    pub reason: String,
    pub since_ms: i64,
}

/// Order status as the store reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Received,
    Ready,
    Served,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Received => "received",
            OrderStatus::Ready => "ready",
            OrderStatus::Served => "served",
        }
    }

    pub fn parse(s: &str) -> Option<OrderStatus> {
        [OrderStatus::Received, OrderStatus::Ready, OrderStatus::Served].into_iter().find(|v| v.as_str() == s)
    }
}

/// One pushed update (an SSE event's `data`, or an element of a long-poll answer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Update {
    /// The whole current state; sent first on a fresh stream and after a gap.
    Snapshot {
        store_open: bool,
        menu_version: Option<String>,
        sold_out: Vec<String>,
    },
    SoldOut {
        item: String,
        sold_out: bool,
    },
    Store {
        open: bool,
    },
    /// A new menu version is available at `GET /v1/menu`.
    Menu {
        version: String,
    },
    OrderStatus {
        order_id: String,
        status: OrderStatus,
    },
    /// Staff took payment for the table at the counter: these rounds (order ids) are paid,
    /// and the tablet's tab no longer shows them.
    TableSettled {
        table: String,
        orders: Vec<String>,
    },
    /// Staff answered this device's call: someone is on the way.
    StaffCallAnswered {
        call_id: String,
    },
    /// Staff moved these rounds (order ids) from table `from` to table `to` (guests changed
    /// tables, or two tables were merged): the tablet at `from` no longer shows them.
    TabMoved {
        from: String,
        to: String,
        orders: Vec<String>,
    },
}

impl Update {
    /// The SSE `event:` name.
    pub fn kind(&self) -> &'static str {
        match self {
            Update::Snapshot { .. } => "snapshot",
            Update::SoldOut { .. } => "sold_out",
            Update::Store { .. } => "store",
            Update::Menu { .. } => "menu",
            Update::OrderStatus { .. } => "order_status",
            Update::TableSettled { .. } => "table_settled",
            Update::StaffCallAnswered { .. } => "staff_call_answered",
            Update::TabMoved { .. } => "tab_moved",
        }
    }
}

/// `GET /v1/updates?since=N&wait_ms=M` (long-poll): updates after `since`, and the cursor
/// to pass next time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateBatch {
    pub protocol: u32,
    pub updates: Vec<Sequenced>,
    pub next: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sequenced {
    pub seq: u64,
    #[serde(flatten)]
    pub update: Update,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_error_code_from_a_newer_server_still_parses() {
        let body: ErrorBody =
            serde_json::from_str(r#"{"protocol":1,"error":{"code":"quota_exceeded","message":"x"}}"#)
                .unwrap();
        assert_eq!(body.error.code, ErrorCode::Unknown);
        let known: ErrorBody =
            serde_json::from_str(r#"{"protocol":1,"error":{"code":"table_taken","message":"x"}}"#).unwrap();
        assert_eq!(known.error.code.as_str(), "table_taken");
    }

    #[test]
    fn updates_are_tagged_by_kind() {
        let u = Sequenced { seq: 7, update: Update::SoldOut { item: "fries".into(), sold_out: true } };
        let json = serde_json::to_string(&u).unwrap();
        assert_eq!(json, r#"{"seq":7,"kind":"sold_out","item":"fries","sold_out":true}"#);
        assert_eq!(serde_json::from_str::<Sequenced>(&json).unwrap(), u);
    }
}
