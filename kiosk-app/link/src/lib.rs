//! The kiosk link: the open protocol between a kiosk or table tablet and its store server
//! (HTTP/JSON with a per-device token; `api/kiosk-link.openapi.yaml` is its published
//! specification). This crate is the protocol and the LAN it runs over, shared by the
//! device's client and the store server: the JSON bodies (`wire`), the Server-Sent Events
//! parser (`sse`, sans-IO), pinned-certificate TLS (`tls`) and a small HTTP/1.1 client that
//! tells "never sent" from "may have arrived" (`http`).

pub mod http;
pub mod sse;
pub mod tls;
pub mod wire;

/// The published specification, for the server's conformance test and for anyone
/// implementing the protocol.
pub const OPENAPI: &str = include_str!("../api/kiosk-link.openapi.yaml");
