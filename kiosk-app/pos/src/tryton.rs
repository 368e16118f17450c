//! Tryton's `sale_point` module as the store POS, over its JSON-RPC (`POST /<db>/rpc/`).
//!
//! - Each order becomes one `sale.point.sale` created with its lines, its card payment and
//!   the order's UUID in `kiosk_ref` (a unique field added by the small `kiosk_order_ref`
//!   module in `tests/tryton/`; stock Tryton has no field for a client key, and a
//!   search-then-create races). Then `process` (numbers the sale) and `post` (accounting).
//! - Every step is found again by `kiosk_ref` after an ambiguous outcome, and carried on
//!   from the state found: open → process, done → post, posted → delivered.
//! - The menu is the salable products; Tryton has no ETag, so the version is a digest of
//!   the product list and an unchanged list does not touch the device's store.
//! - Tryton has no staff calls, table claims or push: those answer `Unsupported`, and
//!   `watch` polls the product list.
//!
//! Wire rules (checked against trytond 8.2): the body is exactly `{id, method, params}`;
//! the last parameter is the context; Decimals travel as `{"__class__":"Decimal",…}`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine;
use bytes::Bytes;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, StatusCode};
use kiosk_domain::{Category, CategoryId, Currency, Lang, Menu, Order, OrderId, OrderKind, Settlement, Text};
use serde_json::{Value, json};
use tokio::sync::{Mutex, mpsc};

use crate::{Delivered, DeviceHealthReport, MenuFetch, PosAdapter, PosError, PosHealth, StaffReason, Update};
use kiosk_link::http::{HttpClient, Timeouts};
use kiosk_link::wire::Sequenced;

/// How often `watch` looks at the product list.
pub const MENU_POLL: Duration = Duration::from_secs(10);

const ADAPTER: &str = "tryton";

pub struct Tryton {
    http: HttpClient,
    login: String,
    password: String,
    next_id: AtomicU64,
    session: Mutex<Option<Session>>,
}

/// A Tryton sale as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleSummary {
    pub id: i64,
    pub number: Option<String>,
    pub state: String,
    pub total: i64,
    pub total_tax: i64,
}

#[derive(Debug, Clone)]
struct Session {
    /// `Session base64(login:uid:token)`.
    authorization: String,
    context: Value,
    sale_point: i64,
    card_method: i64,
}

fn decimal(amount: &str) -> Value {
    json!({"__class__": "Decimal", "decimal": amount})
}

/// A Tryton Decimal (or a plain number) as whole won.
fn won(v: &Value) -> Option<i64> {
    let text = match v {
        Value::Object(o) => o.get("decimal")?.as_str()?.to_owned(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => return None,
    };
    let f: f64 = text.parse().ok()?;
    Some(f.round() as i64)
}

/// The net unit price Tryton stores beside the gross one, to four places as it computes it.
fn net_of(gross: i64, vat_rate_bp: u32) -> String {
    let net = gross as f64 * 10_000.0 / (10_000.0 + vat_rate_bp as f64);
    format!("{net:.4}")
}

impl Tryton {
    /// `url` is `http://HOST:PORT/DATABASE`; `credentials` is `LOGIN:PASSWORD` (the `[pos]
    /// token` of the configuration).
    pub fn new(url: &str, credentials: &str, tls_pin_sha256: Option<&str>) -> Result<Tryton, PosError> {
        let (login, password) = credentials.split_once(':').ok_or_else(|| {
            PosError::Unauthorized("for Tryton the token is LOGIN:PASSWORD of the kiosk's Tryton user".into())
        })?;
        let tls = tls_pin_sha256
            .map(kiosk_link::tls::pinned_client_config)
            .transpose()
            .map_err(|e| PosError::Tls(e.to_string()))?;
        let timeouts = Timeouts { connect: Duration::from_secs(3), request: Duration::from_secs(15) };
        Ok(Tryton {
            http: HttpClient::new(url, tls, timeouts)?,
            login: login.to_owned(),
            password: password.to_owned(),
            next_id: AtomicU64::new(1),
            session: Mutex::new(None),
        })
    }

    /// One JSON-RPC call. `Ok(Err(..))` is a Tryton error answer (`[kind, [message, …]]`).
    async fn rpc(
        &self,
        authorization: Option<&str>,
        method: &str,
        params: Value,
    ) -> Result<Result<Value, String>, PosError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = json!({"id": id, "method": method, "params": params}).to_string();
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(a) = authorization.and_then(|a| HeaderValue::from_str(a).ok()) {
            headers.insert(header::AUTHORIZATION, a);
        }
        let answer = self.http.call(Method::POST, "/rpc/", headers, Bytes::from(body)).await?;
        match answer.status {
            StatusCode::OK => {}
            StatusCode::UNAUTHORIZED => {
                return Err(PosError::Unauthorized(format!("Tryton refused the session for {method}")));
            }
            s if s.is_server_error() => {
                return Err(PosError::Unavailable {
                    code: s.as_u16().to_string(),
                    message: format!("Tryton failed {method}"),
                });
            }
            s => return Err(PosError::Protocol(format!("Tryton answered HTTP {s} to {method}"))),
        }
        let reply: Value = serde_json::from_slice(&answer.body)
            .map_err(|e| PosError::Protocol(format!("Tryton's answer to {method} is not JSON: {e}")))?;
        if let Some(error) = reply.get("error").filter(|e| !e.is_null()) {
            let message = error
                .get(1)
                .and_then(|m| m.get(0).and_then(Value::as_str).or(m.as_str()))
                .unwrap_or("unknown error")
                .to_owned();
            let kind = error.get(0).and_then(Value::as_str).unwrap_or("Error");
            return Ok(Err(format!("{kind}: {message}")));
        }
        Ok(Ok(reply.get("result").cloned().unwrap_or(Value::Null)))
    }

    async fn log_in(&self) -> Result<Session, PosError> {
        let result = self
            .rpc(None, "common.db.login", json!([self.login, {"password": self.password}, "en"]))
            .await?
            .map_err(PosError::Unauthorized)?;
        // [uid, token, bus url]: three items, not a pair.
        let uid = result.get(0).and_then(Value::as_i64);
        let token = result.get(1).and_then(Value::as_str);
        let (Some(uid), Some(token)) = (uid, token) else {
            return Err(PosError::Unauthorized(format!("Tryton refused the login of {:?}", self.login)));
        };
        let raw = format!("{}:{uid}:{token}", self.login);
        let authorization = format!("Session {}", base64::engine::general_purpose::STANDARD.encode(raw));
        let prefs = self
            .rpc(Some(&authorization), "model.res.user.get_preferences", json!([true, {}]))
            .await?
            .map_err(|e| PosError::Protocol(format!("preferences: {e}")))?;
        let mut context = serde_json::Map::new();
        for key in ["company", "companies", "employee", "language"] {
            if let Some(v) = prefs.get(key).filter(|v| !v.is_null()) {
                context.insert(key.to_owned(), v.clone());
            }
        }
        let context = Value::Object(context);
        let first_id = |v: Value, what: &str| {
            v.as_array().and_then(|a| a.first()).and_then(|r| r.get("id")).and_then(Value::as_i64).ok_or_else(
                || PosError::Rejected { code: "setup".into(), message: format!("Tryton has no {what}") },
            )
        };
        let points = self
            .rpc(
                Some(&authorization),
                "model.sale.point.search_read",
                json!([[], 0, 1, [["id", "ASC"]], ["name"], context]),
            )
            .await?
            .map_err(PosError::Protocol)?;
        let sale_point = first_id(points, "sale point")?;
        let methods = self
            .rpc(
                Some(&authorization),
                "model.sale.point.payment.method.search_read",
                json!([[["cash", "=", false]], 0, 1, [["id", "ASC"]], ["name"], context]),
            )
            .await?
            .map_err(PosError::Protocol)?;
        let card_method =
            first_id(methods, "card payment method (a sale point payment method that is not cash)")?;
        Ok(Session { authorization, context, sale_point, card_method })
    }

    async fn session(&self) -> Result<Session, PosError> {
        let mut slot = self.session.lock().await;
        if let Some(s) = slot.as_ref() {
            return Ok(s.clone());
        }
        let s = self.log_in().await?;
        *slot = Some(s.clone());
        Ok(s)
    }

    /// A model call with the session's context appended; logs in again once on 401.
    async fn call(&self, method: &str, params: Vec<Value>) -> Result<Result<Value, String>, PosError> {
        for attempt in 0..2 {
            let session = self.session().await?;
            let mut with_context = params.clone();
            with_context.push(session.context.clone());
            match self.rpc(Some(&session.authorization), method, Value::Array(with_context)).await {
                Err(PosError::Unauthorized(_)) if attempt == 0 => *self.session.lock().await = None,
                other => return other,
            }
        }
        Err(PosError::Unauthorized("Tryton refused a fresh session".into()))
    }

    async fn call_ok(&self, method: &str, params: Vec<Value>) -> Result<Value, PosError> {
        self.call(method, params)
            .await?
            .map_err(|message| PosError::Rejected { code: "tryton".into(), message })
    }

    /// How many sales carry this order key (for reconciliation: it must be 0 or 1).
    pub async fn sales_with_ref(&self, key: &str) -> Result<u64, PosError> {
        let n = self
            .call_ok("model.sale.point.sale.search_count", vec![json!([["kiosk_ref", "=", key]])])
            .await?;
        n.as_u64().ok_or_else(|| PosError::Protocol(format!("search_count answered {n}")))
    }

    /// How many POS sales Tryton holds, with a kiosk key or without: a reconciliation counts
    /// every sale, so a duplicate that lost its key is seen too.
    pub async fn sales_count(&self) -> Result<u64, PosError> {
        let n = self.call_ok("model.sale.point.sale.search_count", vec![json!([])]).await?;
        n.as_u64().ok_or_else(|| PosError::Protocol(format!("search_count answered {n}")))
    }

    /// The sale made for an order key, as Tryton reports it.
    pub async fn sale_summary(&self, key: &str) -> Result<Option<SaleSummary>, PosError> {
        let found = self
            .call_ok(
                "model.sale.point.sale.search_read",
                vec![
                    json!([["kiosk_ref", "=", key]]),
                    json!(0),
                    json!(1),
                    Value::Null,
                    json!(["number", "state", "total", "total_tax"]),
                ],
            )
            .await?;
        Ok(found.as_array().and_then(|a| a.first()).map(|s| SaleSummary {
            id: s.get("id").and_then(Value::as_i64).unwrap_or(0),
            number: s.get("number").and_then(Value::as_str).map(str::to_owned),
            state: s.get("state").and_then(Value::as_str).unwrap_or("").to_owned(),
            total: s.get("total").and_then(won).unwrap_or(0),
            total_tax: s.get("total_tax").and_then(won).unwrap_or(0),
        }))
    }

    async fn products(&self) -> Result<Vec<Value>, PosError> {
        let list = self
            .call_ok(
                "model.product.product.search_read",
                vec![
                    json!([["salable", "=", true]]),
                    json!(0),
                    Value::Null,
                    json!([["code", "ASC"]]),
                    json!(["code", "rec_name", "gross_price_used", "categories"]),
                ],
            )
            .await?;
        Ok(list.as_array().cloned().unwrap_or_default())
    }

    async fn create_sale(&self, order: &Order, session: &Session) -> Result<Result<Value, String>, PosError> {
        let products = self.products().await?;
        let product_id = |code: &str| {
            products
                .iter()
                .find(|p| p.get("code").and_then(Value::as_str) == Some(code))
                .and_then(|p| p.get("id").and_then(Value::as_i64))
        };
        let mut lines = Vec::new();
        for line in &order.lines {
            let code = &line.selection.item.0;
            let Some(product) = product_id(code) else {
                return Ok(Err(format!("no salable Tryton product has the code {code:?}")));
            };
            let gross = line.unit_price.0;
            lines.push(json!({
                "product": product,
                "quantity": line.quantity as f64,
                "unit_gross_price": decimal(&gross.to_string()),
                "unit_list_price": decimal(&net_of(gross, order.vat_rate.basis_points() as u32)),
            }));
        }
        let mut sale = json!({
            "point": session.sale_point,
            "kiosk_ref": order.id.to_string(),
            "lines": [["create", lines]],
        });
        if order.settlement == Settlement::Prepaid {
            sale["payments"] = json!([["create", [{"method": session.card_method, "amount": decimal(&order.totals.total().0.to_string())}]]]);
        }
        self.call("model.sale.point.sale.create", vec![json!([sale])]).await
    }
}

impl PosAdapter for Tryton {
    fn name(&self) -> &'static str {
        ADAPTER
    }

    async fn submit_order(&self, order_id: OrderId, payload_json: &str) -> Result<Delivered, PosError> {
        let order: Order = serde_json::from_str(payload_json).map_err(|e| PosError::Rejected {
            code: "bad_request".into(),
            message: format!("the order does not parse: {e}"),
        })?;
        if let OrderKind::TableBill { table, .. } = &order.kind {
            // Tryton's sale point sells at the counter; it has no tab to close. Settling the
            // rounds' sales from here is not built yet: staff see this bill set aside (paid,
            // journaled on the device) rather than a second sale of the same food.
            return Err(PosError::Rejected {
                code: "unsupported".into(),
                message: format!("table {table}'s bill was paid at the table: settle its rounds in Tryton"),
            });
        }
        let key = order_id.to_string();
        let session = self.session().await?;
        let mut duplicate = true;
        let mut found = self.sale_summary(&key).await?;
        if found.is_none() {
            duplicate = false;
            match self.create_sale(&order, &session).await {
                Ok(Ok(_)) => {}
                // Another attempt got there first (the unique key held), or the answer was
                // lost: look again rather than create again.
                Ok(Err(e)) if e.contains("must be unique") => duplicate = true,
                Ok(Err(e)) => return Err(PosError::Rejected { code: "tryton".into(), message: e }),
                Err(e) if e.is_transient() => {}
                Err(e) => return Err(e),
            }
            found = self.sale_summary(&key).await?;
        }
        let paid = order.settlement == Settlement::Prepaid;
        // Carry the sale on from the state found. Another device, or an earlier attempt
        // whose answer was lost, may move it on between our read and our call: then the
        // call fails and a fresh read shows the new state.
        for _ in 0..4 {
            let Some(SaleSummary { id: sale, state, number, .. }) = found else {
                return Err(PosError::Ambiguous(format!(
                    "Tryton has no sale for order {key} after creating it"
                )));
            };
            let step = match state.as_str() {
                "open" if paid => "process",
                "done" => "post",
                // posted, or open and paid at the counter: Tryton has the order.
                _ => {
                    return Ok(Delivered {
                        pos_ref: number.unwrap_or_else(|| format!("sale {sale}")),
                        duplicate,
                    });
                }
            };
            let result = self.call(&format!("model.sale.point.sale.{step}"), vec![json!([sale])]).await?;
            found = self.sale_summary(&key).await?;
            if let Err(e) = result
                && found.as_ref().is_some_and(|now| now.state == state)
            {
                return Err(PosError::Rejected { code: "tryton".into(), message: format!("{step}: {e}") });
            }
        }
        Err(PosError::Ambiguous(format!("the Tryton sale for order {key} keeps changing state")))
    }

    async fn fetch_menu(&self, known_version: Option<&str>) -> Result<MenuFetch, PosError> {
        let products = self.products().await?;
        let listing = serde_json::to_vec(&products).map_err(|e| PosError::Protocol(e.to_string()))?;
        let version = format!("tryton-{}", &kiosk_link::tls::sha256_hex(&listing)[..16]);
        if known_version == Some(version.as_str()) {
            return Ok(MenuFetch::Unchanged);
        }
        let mut category_ids: Vec<i64> =
            products.iter().filter_map(|p| p.get("categories")?.as_array()?.first()?.as_i64()).collect();
        category_ids.sort_unstable();
        category_ids.dedup();
        let names = if category_ids.is_empty() {
            Value::Array(vec![])
        } else {
            self.call_ok("model.product.category.read", vec![json!(category_ids), json!(["name"])]).await?
        };
        let both = |s: &str| Text([(Lang::Ko, s.to_owned()), (Lang::En, s.to_owned())].into_iter().collect());
        let mut categories: Vec<Category> = names
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| {
                Some(Category {
                    id: CategoryId(format!("c{}", c.get("id")?.as_i64()?)),
                    name: both(c.get("name")?.as_str()?),
                    image: None,
                    availability: vec![],
                })
            })
            .collect();
        let fallback = CategoryId("menu".into());
        let mut items = Vec::new();
        for p in &products {
            let (Some(code), Some(name), Some(price)) = (
                p.get("code").and_then(Value::as_str),
                p.get("rec_name").and_then(Value::as_str),
                p.get("gross_price_used").and_then(won),
            ) else {
                continue; // a product without a code cannot be ordered by code
            };
            let category = p
                .get("categories")
                .and_then(|c| c.as_array()?.first()?.as_i64())
                .map(|id| CategoryId(format!("c{id}")))
                .filter(|id| categories.iter().any(|c| &c.id == id))
                .unwrap_or_else(|| fallback.clone());
            // Through serde so every optional field takes its menu-file default.
            let item: kiosk_domain::Item = serde_json::from_value(json!({
                "id": code, "category": category.0, "name": {"ko": name, "en": name}, "price": price
            }))
            .map_err(|e| PosError::Protocol(e.to_string()))?;
            items.push(item);
        }
        if items.iter().any(|i| i.category == fallback) {
            categories.push(Category { id: fallback, name: both("Menu"), image: None, availability: vec![] });
        }
        categories.retain(|c| items.iter().any(|i| i.category == c.id));
        let menu = Menu {
            version,
            currency: Currency::Krw,
            vat_rate: None,
            languages: Lang::REQUIRED.to_vec(),
            categories,
            items,
            option_groups: vec![],
            // Tryton's products carry no requests: the customer may still write their own.
            note_presets: vec![],
            suggestions: vec![],
            stamps: None,
        };
        let problems = menu.validate();
        if let Some(first) = problems.first() {
            return Err(PosError::Protocol(format!("the Tryton products make an invalid menu: {first}")));
        }
        Ok(MenuFetch::Changed(Box::new(menu)))
    }

    async fn watch(&self, _since: Option<u64>, updates: &mpsc::Sender<Sequenced>) -> Result<(), PosError> {
        let mut seq = 0u64;
        let mut version: Option<String> = None;
        loop {
            let current = match self.fetch_menu(version.as_deref()).await? {
                MenuFetch::Unchanged => version.clone(),
                MenuFetch::Changed(menu) => Some(menu.version),
            };
            let update = if seq == 0 {
                Some(Update::Snapshot { store_open: true, menu_version: current.clone(), sold_out: vec![] })
            } else if current != version {
                current.clone().map(|version| Update::Menu { version })
            } else {
                None
            };
            if let Some(update) = update {
                seq += 1;
                if updates.send(Sequenced { seq, update }).await.is_err() {
                    return Ok(());
                }
            }
            version = current;
            tokio::time::sleep(MENU_POLL).await;
        }
    }

    async fn call_staff(
        &self,
        _id: uuid::Uuid,
        _table: Option<&str>,
        _reason: StaffReason,
    ) -> Result<(), PosError> {
        Err(PosError::Unsupported { adapter: ADAPTER, what: "staff calls" })
    }

    async fn claim_table(&self, _table: &str) -> Result<(), PosError> {
        Err(PosError::Unsupported { adapter: ADAPTER, what: "table claims" })
    }

    async fn health(&self) -> Result<PosHealth, PosError> {
        let session = self.session().await?;
        self.call_ok("model.sale.point.read", vec![json!([session.sale_point]), json!(["name"])]).await?;
        Ok(PosHealth {
            server: format!("Tryton (user {}, sale point {})", self.login, session.sale_point),
            store_open: true,
            menu_version: None,
        })
    }

    async fn report_devices(&self, _report: &DeviceHealthReport) -> Result<(), PosError> {
        Err(PosError::Unsupported { adapter: ADAPTER, what: "device health reports" })
    }

    /// A posted sale is reversed in Tryton by staff (a return sale): the refund is set aside
    /// on the device for them.
    async fn submit_refund(&self, _order_id: OrderId, _refund_json: &str) -> Result<(), PosError> {
        Err(PosError::Unsupported { adapter: ADAPTER, what: "refunds" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_and_net_prices_follow_trytons_rules() {
        assert_eq!(won(&json!({"__class__": "Decimal", "decimal": "4500.0000"})), Some(4500));
        assert_eq!(won(&json!(5000)), Some(5000));
        assert_eq!(won(&json!(null)), None);
        assert_eq!(net_of(4500, 1000), "4090.9091");
        assert_eq!(net_of(5000, 1000), "4545.4545");
    }
}
