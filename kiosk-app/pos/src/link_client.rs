//! The device side of the "kiosk link" protocol (`kiosk-app/link/api/kiosk-link.openapi.yaml`).

use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, StatusCode};
use kiosk_domain::{CouponTerms, Menu, Money, OrderId};
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;

use crate::{Delivered, DeviceHealthReport, MenuFetch, PosAdapter, PosError, PosHealth, StaffReason};
use kiosk_link::http::{Answer, HttpClient, Timeouts};
use kiosk_link::sse::SseParser;
use kiosk_link::wire::{
    self, ErrorBody, ErrorCode, PROTOCOL, PROTOCOL_HEADER, Sequenced, SubmitReply, SubmitStatus,
};

/// The server sends a keep-alive comment every 15 s; a stream silent for longer than this
/// is a dead connection (a cable pulled without a reset).
pub const STREAM_IDLE_LIMIT: Duration = Duration::from_secs(45);

/// How long one long-poll waits on the server before answering with nothing.
pub const LONG_POLL_WAIT: Duration = Duration::from_secs(25);

pub struct KioskLinkClient {
    http: HttpClient,
    timeouts: Timeouts,
}

impl KioskLinkClient {
    pub fn new(
        url: &str,
        token: &str,
        tls_pin_sha256: Option<&str>,
        timeouts: Timeouts,
    ) -> Result<KioskLinkClient, PosError> {
        let tls = tls_pin_sha256
            .map(kiosk_link::tls::pinned_client_config)
            .transpose()
            .map_err(|e| PosError::Tls(e.to_string()))?;
        let http = HttpClient::new(url, tls, timeouts)?
            .with_header("authorization", &format!("Bearer {token}"))?
            .with_header(PROTOCOL_HEADER, &PROTOCOL.to_string())?;
        Ok(KioskLinkClient { http, timeouts })
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        headers: HeaderMap,
        body: Option<String>,
    ) -> Result<Answer, PosError> {
        let mut headers = headers;
        if body.is_some() {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        let answer = self.http.call(method, path, headers, body.map(Bytes::from).unwrap_or_default()).await?;
        if answer.status.is_success() || answer.status == StatusCode::NOT_MODIFIED {
            Ok(answer)
        } else {
            Err(error_from(answer.status, &answer.body))
        }
    }

    async fn call_json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<String>,
    ) -> Result<T, PosError> {
        let answer = self.call(method, path, HeaderMap::new(), body).await?;
        parse(&answer.body)
    }

    /// One long-poll: updates after `since` (without one, a snapshot first), waiting up to
    /// `wait` for the first.
    pub async fn long_poll(&self, since: Option<u64>, wait: Duration) -> Result<wire::UpdateBatch, PosError> {
        let since = since.map(|s| format!("since={s}&")).unwrap_or_default();
        let path = format!("/v1/updates?{since}wait_ms={}", wait.as_millis());
        let batch: wire::UpdateBatch = self.call_json(Method::GET, &path, None).await?;
        check_protocol(batch.protocol)?;
        Ok(batch)
    }

    async fn watch_long_poll(
        &self,
        since: Option<u64>,
        updates: &mpsc::Sender<Sequenced>,
    ) -> Result<(), PosError> {
        let mut since = since;
        loop {
            let batch = self.long_poll(since, LONG_POLL_WAIT.min(self.timeouts.request / 2)).await?;
            for update in batch.updates {
                if updates.send(update).await.is_err() {
                    return Ok(());
                }
            }
            since = Some(batch.next);
        }
    }
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, PosError> {
    serde_json::from_slice(body).map_err(|e| PosError::Protocol(format!("{e} in {}", snippet(body))))
}

fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(120)]).into_owned();
    format!("{text:?}")
}

fn check_protocol(version: u32) -> Result<(), PosError> {
    if version == PROTOCOL {
        Ok(())
    } else {
        Err(PosError::Protocol(format!("the POS speaks kiosk link {version}; this device speaks {PROTOCOL}")))
    }
}

/// Maps an error answer to what the outbox and UI need to know.
fn error_from(status: StatusCode, body: &[u8]) -> PosError {
    let Ok(ErrorBody { error, .. }) = serde_json::from_slice::<ErrorBody>(body) else {
        let message = format!("HTTP {status} {}", snippet(body));
        return if status.is_server_error() {
            PosError::Unavailable { code: status.as_u16().to_string(), message }
        } else if status == StatusCode::UNAUTHORIZED {
            PosError::Unauthorized(message)
        } else {
            PosError::Protocol(message)
        };
    };
    let code = error.code.as_str().to_owned();
    match error.code {
        ErrorCode::Unauthorized => PosError::Unauthorized(error.message),
        // A newer or older server: orders stay queued until one side is upgraded.
        ErrorCode::UnsupportedProtocol => PosError::Protocol(error.message),
        ErrorCode::StoreClosed | ErrorCode::Internal | ErrorCode::Unknown => {
            PosError::Unavailable { code, message: error.message }
        }
        ErrorCode::TooLarge
        | ErrorCode::BadRequest
        | ErrorCode::Conflict
        | ErrorCode::Invalid
        | ErrorCode::TableTaken
        | ErrorCode::NotFound
        | ErrorCode::CouponUnknown
        | ErrorCode::CouponExpired
        | ErrorCode::CouponNotYetValid
        | ErrorCode::CouponUsed
        | ErrorCode::CouponBelowMinimum => PosError::Rejected { code, message: error.message },
    }
}

/// A photo name the device may ask for and keep: letters, digits, `-`, `_` and `.`, never a
/// path (no `/`, no `..`).
pub fn plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        && !name.contains("..")
}

impl PosAdapter for KioskLinkClient {
    fn name(&self) -> &'static str {
        "kiosk-link"
    }

    async fn submit_order(&self, order_id: OrderId, payload_json: &str) -> Result<Delivered, PosError> {
        // The payload is embedded as committed, byte for byte, so a re-send is the same payload.
        let body = format!(r#"{{"protocol":{PROTOCOL},"order":{payload_json}}}"#);
        let reply: SubmitReply = self.call_json(Method::POST, "/v1/orders", Some(body)).await?;
        check_protocol(reply.protocol)?;
        if reply.order_id != order_id.to_string() {
            return Err(PosError::Protocol(format!(
                "the POS acknowledged order {} when {order_id} was sent",
                reply.order_id
            )));
        }
        Ok(Delivered { pos_ref: reply.pos_ref, duplicate: reply.status == SubmitStatus::Duplicate })
    }

    async fn fetch_menu(&self, known_version: Option<&str>) -> Result<MenuFetch, PosError> {
        let mut headers = HeaderMap::new();
        if let Some(v) = known_version.and_then(|v| HeaderValue::from_str(&format!("\"{v}\"")).ok()) {
            headers.insert(header::IF_NONE_MATCH, v);
        }
        let answer = self.call(Method::GET, "/v1/menu", headers, None).await?;
        if answer.status == StatusCode::NOT_MODIFIED {
            return Ok(MenuFetch::Unchanged);
        }
        let mut menu: Menu = parse(&answer.body)?;
        if menu.version.is_empty()
            && let Some(etag) = answer.headers.get(header::ETAG).and_then(|v| v.to_str().ok())
        {
            menu.version = etag.trim_start_matches("W/").trim_matches('"').to_owned();
        }
        let problems = menu.validate();
        if let Some(first) = problems.first() {
            return Err(PosError::Protocol(format!(
                "the POS's menu {:?} has {} problem(s), first: {first}; the last good menu stays in use",
                menu.version,
                problems.len()
            )));
        }
        Ok(MenuFetch::Changed(Box::new(menu)))
    }

    async fn fetch_photo(&self, name: &str) -> Result<Vec<u8>, PosError> {
        if !plain_file_name(name) {
            return Err(PosError::Protocol(format!(
                "the menu names a photo {name:?} that is not a plain file name"
            )));
        }
        let answer = self.call(Method::GET, &format!("/v1/photos/{name}"), HeaderMap::new(), None).await?;
        Ok(answer.body.to_vec())
    }

    async fn watch(&self, since: Option<u64>, updates: &mpsc::Sender<Sequenced>) -> Result<(), PosError> {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static("text/event-stream"));
        if let Some(v) = since.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
            headers.insert("last-event-id", v);
        }
        let response = self.http.open_stream("/v1/events", headers).await?;
        let is_stream = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        if !response.status().is_success() || !is_stream {
            let status = response.status();
            // A proxy in between that buffers or refuses streams: fall back to long-polling.
            if status == StatusCode::NOT_FOUND
                || status == StatusCode::NOT_ACCEPTABLE
                || (status.is_success() && !is_stream)
            {
                return self.watch_long_poll(since, updates).await;
            }
            let body = response.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
            return Err(error_from(status, &body));
        }
        let mut body = response.into_body();
        let mut parser = SseParser::new(wire::MAX_BODY_BYTES);
        loop {
            let frame = match tokio::time::timeout(STREAM_IDLE_LIMIT, body.frame()).await {
                Err(_) => {
                    return Err(PosError::Ambiguous(format!(
                        "the update stream was silent for {STREAM_IDLE_LIMIT:?}"
                    )));
                }
                Ok(None) => return Err(PosError::Unreachable("the POS closed the update stream".into())),
                Ok(Some(Err(e))) => {
                    return Err(PosError::Unreachable(format!("the update stream broke: {e}")));
                }
                Ok(Some(Ok(frame))) => frame,
            };
            let Ok(data) = frame.into_data() else { continue };
            let events = parser.feed(&data).map_err(|e| PosError::Protocol(e.to_string()))?;
            for event in events {
                let update: Sequenced = parse(event.data.as_bytes())?;
                if updates.send(update).await.is_err() {
                    return Ok(()); // nobody listens any more
                }
            }
        }
    }

    async fn call_staff(
        &self,
        id: uuid::Uuid,
        table: Option<&str>,
        reason: StaffReason,
    ) -> Result<(), PosError> {
        let body = wire::StaffCall { protocol: PROTOCOL, id, table: table.map(str::to_owned), reason };
        let body = serde_json::to_string(&body).map_err(|e| PosError::Protocol(e.to_string()))?;
        self.call(Method::POST, "/v1/staff-calls", HeaderMap::new(), Some(body)).await?;
        Ok(())
    }

    async fn claim_table(&self, table: &str) -> Result<(), PosError> {
        if !wire::is_table_name(table) {
            return Err(PosError::Rejected {
                code: "bad_request".into(),
                message: format!("table {table:?} is not a table number"),
            });
        }
        let claim: wire::TableClaim = self
            .call_json(
                Method::POST,
                &format!("/v1/tables/{table}/claim"),
                Some(format!(r#"{{"protocol":{PROTOCOL}}}"#)),
            )
            .await?;
        check_protocol(claim.protocol)
    }

    async fn stamp_card(&self, phone: &str) -> Result<(String, i64), PosError> {
        let body =
            serde_json::to_string(&wire::StampCardRequest { protocol: PROTOCOL, phone: phone.to_owned() })
                .map_err(|e| PosError::Protocol(e.to_string()))?;
        let card: wire::StampCard = self.call_json(Method::POST, "/v1/stamps/cards", Some(body)).await?;
        check_protocol(card.protocol)?;
        Ok((card.card, card.stamps))
    }

    async fn check_coupon(&self, code: &str) -> Result<(String, CouponTerms), PosError> {
        let path = format!("/v1/coupons/{}", coupon_path(code)?);
        let check: wire::CouponCheck = self.call_json(Method::GET, &path, None).await?;
        check_protocol(check.protocol)?;
        Ok((check.code, check.terms))
    }

    async fn hold_coupon(&self, code: &str, order: OrderId, subtotal: Money) -> Result<Money, PosError> {
        let path = format!("/v1/coupons/{}/holds/{order}", coupon_path(code)?);
        let body = serde_json::to_string(&wire::CouponHold { protocol: PROTOCOL, subtotal })
            .map_err(|e| PosError::Protocol(e.to_string()))?;
        let held: wire::CouponHeld = self.call_json(Method::PUT, &path, Some(body)).await?;
        check_protocol(held.protocol)?;
        Ok(held.discount)
    }

    async fn release_coupon(&self, code: &str, order: OrderId) -> Result<(), PosError> {
        let path = format!("/v1/coupons/{}/holds/{order}", coupon_path(code)?);
        let released: wire::CouponReleased = self.call_json(Method::DELETE, &path, None).await?;
        check_protocol(released.protocol)
    }

    async fn health(&self) -> Result<PosHealth, PosError> {
        let hello: wire::Hello = self.call_json(Method::GET, "/v1/hello", None).await?;
        check_protocol(hello.protocol)?;
        Ok(PosHealth {
            server: format!("{} (device {})", hello.server, hello.device),
            store_open: hello.store_open,
            menu_version: hello.menu_version,
        })
    }

    async fn report_devices(&self, report: &DeviceHealthReport) -> Result<(), PosError> {
        let body = serde_json::to_string(report).map_err(|e| PosError::Protocol(e.to_string()))?;
        self.call(Method::PUT, "/v1/devices/self/health", HeaderMap::new(), Some(body)).await?;
        Ok(())
    }

    async fn submit_refund(&self, order_id: OrderId, refund_json: &str) -> Result<(), PosError> {
        // Embedded as queued, byte for byte, like an order: a re-send is the same payload.
        let body = format!(r#"{{"protocol":{PROTOCOL},"refund":{refund_json}}}"#);
        let path = format!("/v1/orders/{order_id}/refunds");
        let reply: wire::RefundReply = self.call_json(Method::POST, &path, Some(body)).await?;
        check_protocol(reply.protocol)?;
        Ok(())
    }
}

/// A coupon code as a path segment: only normalized codes (letters, digits, dashes) are sent.
fn coupon_path(code: &str) -> Result<String, PosError> {
    kiosk_domain::normalize_code(code).map_err(|e| PosError::Rejected {
        code: wire::ErrorCode::CouponUnknown.as_str().into(),
        message: format!("{code:?}: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_answers_map_to_what_the_outbox_needs() {
        let body = |code: &str| format!(r#"{{"protocol":1,"error":{{"code":"{code}","message":"m"}}}}"#);
        assert!(matches!(
            error_from(StatusCode::CONFLICT, body("conflict").as_bytes()),
            PosError::Rejected { .. }
        ));
        assert!(matches!(
            error_from(StatusCode::UNAUTHORIZED, body("unauthorized").as_bytes()),
            PosError::Unauthorized(_)
        ));
        assert!(error_from(StatusCode::BAD_REQUEST, body("unsupported_protocol").as_bytes()).is_transient());
        assert!(error_from(StatusCode::SERVICE_UNAVAILABLE, body("store_closed").as_bytes()).is_transient());
        assert!(error_from(StatusCode::BAD_GATEWAY, b"<html>proxy error</html>").is_transient());
        assert!(matches!(error_from(StatusCode::IM_A_TEAPOT, b"{not json"), PosError::Protocol(_)));
    }
}
