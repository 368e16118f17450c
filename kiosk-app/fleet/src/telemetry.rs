//! Device health for a chain's MQTT broker, as a deterministic core: it is given snapshots
//! of what the device's supervisor, POS link and store report, and says which messages go
//! out under the topic scheme (`docs/telemetry.md`, schema `docs/telemetry.schema.json`):
//!
//! - `kiosk/{store}/{device}/status`: `online` or `offline` (the last will), retained;
//! - `kiosk/{store}/{device}/state`: the whole snapshot, retained, at most the latest;
//! - `kiosk/{store}/{device}/events`: what changed (a device's health, new orders, a start).
//!
//! Every message is QoS 1 and held in a bounded queue until the broker acknowledges it: a
//! broker away or restarting loses nothing but the oldest events once the queue is full
//! (counted in the next state), and a state superseded before it went out is replaced, not
//! sent twice. The connection is the caller's (`kiosk_app::telemetry`): a new connection
//! starts with an empty in-flight window, and what was not acknowledged goes out again.
//! Nothing here reads a clock: times come in with the snapshots and calls.

use std::collections::{BTreeMap, VecDeque};

use serde_json::{Value, json};

/// The `schema` field of every message, and the schema file's version.
pub const SCHEMA: &str = "kiosk-telemetry/1";

/// How many messages may be handed to the connection before the broker acknowledges them.
pub const WINDOW: usize = 16;

/// One peripheral's health as the supervisor sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    /// `ok`, `degraded`, `missing` or `fault`.
    pub state: String,
    pub reason: String,
    /// Unix milliseconds when `state` last changed.
    pub since_ms: i64,
}

/// The POS link as the device sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PosState {
    pub reachable: bool,
    pub store_open: bool,
}

/// What the device reports, whole.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snapshot {
    /// The running image's version.
    pub version: String,
    /// The A/B slot it runs from (`a`, `b`), when booted from a kiosk image.
    pub slot: Option<String>,
    /// `kiosk` or `table`.
    pub role: String,
    /// What the kiosk can offer with its devices' health (`normal`, `counter_only`,
    /// `no_printing`, `out_of_service`).
    pub mode: String,
    /// By device name: `printer`, `terminal`, `scanner`.
    pub devices: BTreeMap<String, Health>,
    /// The printer's paper: `ok`, `near_end`, `out`; none while the printer does not answer.
    pub paper: Option<String>,
    pub pos: Option<PosState>,
    /// Orders (and refunds) committed here and not yet taken by the POS.
    pub queued_orders: u64,
    /// Orders (and refunds) the POS refused, waiting for staff.
    pub set_aside_orders: u64,
    /// Orders committed on this device since its store was created.
    pub orders_total: u64,
    /// When the last of them was committed (Unix milliseconds).
    pub last_order_ms: Option<i64>,
}

/// A message for the broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub topic: String,
    pub payload: String,
    pub retain: bool,
}

/// The topics of one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topics {
    base: String,
}

/// A topic segment that is not one: empty, or holding `/`, `+`, `#` or a NUL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} {value:?} cannot be a topic level: it must be non-empty, without '/', '+', '#'")]
pub struct BadLevel {
    pub what: &'static str,
    pub value: String,
}

fn level(what: &'static str, value: &str) -> Result<(), BadLevel> {
    if value.is_empty() || value.contains(['/', '+', '#', '\0']) {
        return Err(BadLevel { what, value: value.to_owned() });
    }
    Ok(())
}

impl Topics {
    pub fn new(store: &str, device: &str) -> Result<Topics, BadLevel> {
        level("the store id", store)?;
        level("the device name", device)?;
        Ok(Topics { base: format!("kiosk/{store}/{device}") })
    }

    pub fn status(&self) -> String {
        format!("{}/status", self.base)
    }

    pub fn state(&self) -> String {
        format!("{}/state", self.base)
    }

    pub fn events(&self) -> String {
        format!("{}/events", self.base)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Status,
    State,
    Event,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Leg {
    /// Not handed to the connection yet (or handed to one that is gone).
    Waiting,
    /// Handed to the connection; its packet id comes when it is written.
    Handed,
    /// Written with this packet id; waiting for the broker's acknowledgement.
    Sent(u16),
}

#[derive(Debug, Clone)]
struct Queued {
    kind: Kind,
    message: Message,
    leg: Leg,
}

/// Counters for the state message and the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// Acknowledged by the broker.
    pub delivered: u64,
    /// Events dropped because the queue was full.
    pub dropped: u64,
    /// Waiting or in flight.
    pub queued: usize,
}

/// The telemetry of one device.
pub struct Telemetry {
    topics: Topics,
    limit: usize,
    queue: VecDeque<Queued>,
    connected: bool,
    last: Option<Snapshot>,
    delivered: u64,
    dropped: u64,
}

fn health_json(h: &Health) -> Value {
    json!({ "state": h.state, "reason": h.reason, "since_ms": h.since_ms })
}

impl Telemetry {
    /// `limit`: the most messages held while the broker is away (at least [`WINDOW`]).
    pub fn new(topics: Topics, limit: usize) -> Telemetry {
        Telemetry {
            topics,
            limit: limit.max(WINDOW),
            queue: VecDeque::new(),
            connected: false,
            last: None,
            delivered: 0,
            dropped: 0,
        }
    }

    pub fn topics(&self) -> &Topics {
        &self.topics
    }

    /// The last will the broker publishes when the connection ends without a DISCONNECT:
    /// the device never sends one, so a stop, a kill and a power cut all end this way.
    pub fn will(&self) -> Message {
        self.status(false, None)
    }

    fn status(&self, online: bool, at_ms: Option<i64>) -> Message {
        let mut body = json!({ "schema": SCHEMA, "online": online });
        if let Some(at) = at_ms {
            body["at_ms"] = at.into();
        }
        Message { topic: self.topics.status(), payload: body.to_string(), retain: true }
    }

    pub fn counts(&self) -> Counts {
        Counts { delivered: self.delivered, dropped: self.dropped, queued: self.queue.len() }
    }

    /// A connection is up: `online` goes first, then what waited, then the latest state.
    pub fn on_connected(&mut self, at_ms: i64) {
        self.connected = true;
        self.forget_connection();
        let status = self.status(true, Some(at_ms));
        self.queue.retain(|q| !(q.kind == Kind::Status && q.leg == Leg::Waiting));
        self.make_room();
        self.queue.push_front(Queued { kind: Kind::Status, message: status, leg: Leg::Waiting });
        if let Some(snapshot) = self.last.clone() {
            self.queue_state(&snapshot, at_ms);
        }
    }

    /// The connection is gone: whatever it held unacknowledged waits for the next one.
    pub fn on_disconnected(&mut self) {
        self.connected = false;
        self.forget_connection();
    }

    fn forget_connection(&mut self) {
        for q in &mut self.queue {
            q.leg = Leg::Waiting;
        }
    }

    /// The device as it is now. The first snapshot sends a `started` event; later ones an
    /// event per peripheral whose health state changed (a new reason alone changes only
    /// the state message) and one for new orders; every change replaces the state.
    pub fn observe(&mut self, snapshot: Snapshot, at_ms: i64) {
        let previous = self.last.replace(snapshot.clone());
        if previous.as_ref() == Some(&snapshot) {
            return;
        }
        match &previous {
            None => self.event(
                json!({
                    "kind": "started",
                    "version": snapshot.version,
                    "slot": snapshot.slot,
                }),
                at_ms,
            ),
            Some(before) => {
                for (name, health) in &snapshot.devices {
                    let was = before.devices.get(name);
                    if was.is_none_or(|w| w.state != health.state) {
                        self.event(
                            json!({
                                "kind": "health",
                                "device": name,
                                "state": health.state,
                                "reason": health.reason,
                            }),
                            at_ms,
                        );
                    }
                }
                if snapshot.orders_total > before.orders_total {
                    self.event(
                        json!({
                            "kind": "orders",
                            "count": snapshot.orders_total - before.orders_total,
                            "last_order_ms": snapshot.last_order_ms,
                        }),
                        at_ms,
                    );
                }
            }
        }
        self.queue_state(&snapshot, at_ms);
    }

    fn event(&mut self, mut body: Value, at_ms: i64) {
        body["schema"] = SCHEMA.into();
        body["at_ms"] = at_ms.into();
        let message = Message { topic: self.topics.events(), payload: body.to_string(), retain: false };
        self.make_room();
        self.queue.push_back(Queued { kind: Kind::Event, message, leg: Leg::Waiting });
    }

    fn queue_state(&mut self, s: &Snapshot, at_ms: i64) {
        // Retained: only the latest matters, so one not yet handed over is replaced.
        self.queue.retain(|q| !(q.kind == Kind::State && q.leg == Leg::Waiting));
        // Room first, so the state counts what this very message cost.
        self.make_room();
        let devices: serde_json::Map<String, Value> =
            s.devices.iter().map(|(name, h)| (name.clone(), health_json(h))).collect();
        let body = json!({
            "schema": SCHEMA,
            "at_ms": at_ms,
            "version": s.version,
            "slot": s.slot,
            "role": s.role,
            "mode": s.mode,
            "devices": devices,
            "paper": s.paper,
            "pos": s.pos.map(|p| json!({ "reachable": p.reachable, "store_open": p.store_open })),
            "orders": {
                "queued": s.queued_orders,
                "set_aside": s.set_aside_orders,
                "total": s.orders_total,
                "last_ms": s.last_order_ms,
            },
            "telemetry": { "dropped": self.dropped },
        });
        let message = Message { topic: self.topics.state(), payload: body.to_string(), retain: true };
        self.queue.push_back(Queued { kind: Kind::State, message, leg: Leg::Waiting });
    }

    /// Drops the oldest events waiting until one more message fits; the state and the status
    /// are never more than one each.
    fn make_room(&mut self) {
        while self.queue.len() >= self.limit {
            match self.queue.iter().position(|q| q.kind == Kind::Event && q.leg == Leg::Waiting) {
                Some(i) => {
                    self.queue.remove(i);
                    self.dropped += 1;
                }
                None => break,
            }
        }
    }

    /// The next message to hand to the connection, while one is up and the window has room.
    pub fn next_message(&mut self) -> Option<Message> {
        if !self.connected {
            return None;
        }
        let in_flight = self.queue.iter().filter(|q| q.leg != Leg::Waiting).count();
        if in_flight >= WINDOW {
            return None;
        }
        let q = self.queue.iter_mut().find(|q| q.leg == Leg::Waiting)?;
        q.leg = Leg::Handed;
        Some(q.message.clone())
    }

    /// The connection wrote a publish with `packet_id`: the oldest handed message (a
    /// connection writes them in the order they were handed).
    pub fn on_written(&mut self, packet_id: u16) {
        if let Some(q) = self.queue.iter_mut().find(|q| q.leg == Leg::Handed) {
            q.leg = Leg::Sent(packet_id);
        }
    }

    /// The broker acknowledged `packet_id`: that message is delivered.
    pub fn on_acknowledged(&mut self, packet_id: u16) {
        if let Some(i) = self.queue.iter().position(|q| q.leg == Leg::Sent(packet_id)) {
            self.queue.remove(i);
            self.delivered += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot() -> Snapshot {
        let mut devices = BTreeMap::new();
        devices
            .insert("printer".to_owned(), Health { state: "ok".into(), reason: "ready".into(), since_ms: 1 });
        Snapshot {
            version: "1.0.0".into(),
            slot: Some("a".into()),
            role: "kiosk".into(),
            mode: "normal".into(),
            devices,
            paper: Some("ok".into()),
            pos: Some(PosState { reachable: true, store_open: true }),
            ..Snapshot::default()
        }
    }

    fn drain(t: &mut Telemetry, ack: bool) -> Vec<Message> {
        let mut out = Vec::new();
        let mut id = 0u16;
        while let Some(m) = t.next_message() {
            id += 1;
            t.on_written(id);
            if ack {
                t.on_acknowledged(id);
            }
            out.push(m);
        }
        out
    }

    /// Connected, with its first snapshot sent and acknowledged.
    fn settled() -> Telemetry {
        let mut t = Telemetry::new(Topics::new("s", "d").unwrap(), 100);
        t.observe(snapshot(), 10);
        t.on_connected(20);
        drain(&mut t, true);
        t
    }

    fn kinds(messages: &[Message]) -> Vec<String> {
        messages
            .iter()
            .map(|m| {
                let v: Value = serde_json::from_str(&m.payload).unwrap();
                match v.get("kind") {
                    Some(k) => k.as_str().unwrap().to_owned(),
                    None => m.topic.rsplit('/').next().unwrap().to_owned(),
                }
            })
            .collect()
    }

    #[test]
    fn topic_levels_refuse_wildcards_and_separators() {
        assert!(Topics::new("hanip", "kiosk-1").is_ok());
        for bad in ["", "a/b", "a+", "#"] {
            assert!(Topics::new(bad, "kiosk-1").is_err(), "{bad:?}");
            assert!(Topics::new("hanip", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn online_then_state_then_what_waited_and_nothing_before_a_connection() {
        let mut t = Telemetry::new(Topics::new("s", "d").unwrap(), 100);
        t.observe(snapshot(), 10);
        assert_eq!(t.next_message(), None, "no connection yet");
        t.on_connected(20);
        let sent = drain(&mut t, true);
        assert_eq!(kinds(&sent), ["status", "started", "state"]);
        assert!(sent[0].retain && sent[2].retain && !sent[1].retain);
        assert_eq!(t.counts(), Counts { delivered: 3, dropped: 0, queued: 0 });
        assert_eq!(t.will().payload, r#"{"online":false,"schema":"kiosk-telemetry/1"}"#);
    }

    #[test]
    fn a_health_change_is_an_event_and_a_new_state() {
        let mut t = settled();
        let mut s = snapshot();
        s.devices.get_mut("printer").unwrap().state = "fault".into();
        s.paper = Some("out".into());
        s.orders_total = 2;
        t.observe(s.clone(), 30);
        let sent = drain(&mut t, true);
        assert_eq!(kinds(&sent), ["health", "orders", "state"]);
        assert!(sent[1].payload.contains(r#""count":2"#));
        t.observe(s, 40);
        assert_eq!(drain(&mut t, true), vec![], "nothing changed");
    }

    #[test]
    fn unacknowledged_messages_go_again_on_the_next_connection() {
        let mut t = Telemetry::new(Topics::new("s", "d").unwrap(), 100);
        t.observe(snapshot(), 10);
        t.on_connected(20);
        let first = drain(&mut t, false);
        assert_eq!(first.len(), 3);
        t.on_acknowledged(1);
        t.on_disconnected();
        assert_eq!(t.next_message(), None);
        t.on_connected(30);
        let again = drain(&mut t, true);
        // A fresh `online`, then the started event and the state that were not acknowledged.
        assert_eq!(kinds(&again), ["status", "started", "state"]);
        assert!(again[0].payload.contains(r#""at_ms":30"#));
        assert_eq!(t.counts().queued, 0);
    }

    #[test]
    fn a_new_reason_alone_is_a_new_state_not_an_event() {
        let mut t = settled();
        let mut s = snapshot();
        s.devices.get_mut("printer").unwrap().reason = "warming up".into();
        t.observe(s, 30);
        assert_eq!(kinds(&drain(&mut t, true)), ["state"]);
    }

    #[test]
    fn a_cut_after_some_acknowledgements_sends_again_only_the_rest_in_order() {
        let mut t = Telemetry::new(Topics::new("s", "d").unwrap(), 100);
        t.on_connected(0);
        t.observe(snapshot(), 1);
        for n in 1..=5 {
            let mut s = snapshot();
            s.orders_total = n;
            s.last_order_ms = Some(n as i64);
            t.observe(s, n as i64 + 1);
        }
        // status, started, 5 order events, one state: written as packets 10..=17.
        let mut written = Vec::new();
        while let Some(m) = t.next_message() {
            t.on_written(10 + written.len() as u16);
            written.push(m);
        }
        assert_eq!(written.len(), 8);
        // The broker acknowledges the 1st, 3rd and 4th; the link dies.
        for id in [10, 12, 13] {
            t.on_acknowledged(id);
        }
        t.on_disconnected();
        t.on_connected(100);
        let again = drain(&mut t, true);
        let expected: Vec<&Message> = [1usize, 4, 5, 6, 7].iter().map(|i| &written[*i]).collect();
        assert_eq!(again[0].topic, "kiosk/s/d/status", "a fresh online first");
        // The state went again as the newest one (with the connection's time), at the end.
        assert_eq!(again.len(), 1 + expected.len(), "{again:#?}");
        for (got, want) in again[1..again.len() - 1].iter().zip(&expected[..expected.len() - 1]) {
            assert_eq!(got, *want);
        }
        assert!(again.last().unwrap().topic.ends_with("/state"));
        assert_eq!(t.counts().queued, 0);
    }

    #[test]
    fn an_acknowledgement_for_another_packet_delivers_nothing() {
        let mut t = Telemetry::new(Topics::new("s", "d").unwrap(), 100);
        t.observe(snapshot(), 10);
        t.on_connected(20);
        let m = t.next_message().unwrap();
        t.on_written(7);
        t.on_acknowledged(8);
        assert_eq!(t.counts().delivered, 0);
        t.on_acknowledged(7);
        assert_eq!(t.counts().delivered, 1);
        assert_eq!(m.topic, "kiosk/s/d/status");
    }

    #[test]
    fn the_window_bounds_what_is_in_flight() {
        let mut t = Telemetry::new(Topics::new("s", "d").unwrap(), 1000);
        t.observe(snapshot(), 0);
        t.on_connected(0);
        for i in 0..40 {
            let mut s = snapshot();
            s.orders_total = i + 1;
            t.observe(s, i as i64);
        }
        let mut n = 0;
        while t.next_message().is_some() {
            n += 1;
            t.on_written(n as u16);
        }
        assert_eq!(n, WINDOW);
    }

    #[test]
    fn a_full_queue_drops_the_oldest_events_and_keeps_one_state() {
        let mut t = Telemetry::new(Topics::new("s", "d").unwrap(), 20);
        t.observe(snapshot(), 0);
        for i in 0..50u64 {
            let mut s = snapshot();
            s.orders_total = i + 1;
            t.observe(s, i as i64 + 1);
        }
        let counts = t.counts();
        assert!(counts.queued <= 20, "{counts:?}");
        assert_eq!(counts.dropped, 51 - 19, "{counts:?}");
        t.on_connected(100);
        let sent = drain(&mut t, true);
        let kinds = kinds(&sent);
        assert_eq!(kinds.iter().filter(|k| *k == "state").count(), 1, "{kinds:?}");
        // The newest events survive: the last one counts the fiftieth order.
        let last_event = sent.iter().rev().find(|m| m.topic.ends_with("/events")).unwrap();
        assert!(last_event.payload.contains(r#""at_ms":50"#), "{}", last_event.payload);
        // `online` took one more event's place; the state counts it.
        let state = sent.iter().find(|m| m.topic.ends_with("/state")).unwrap();
        assert_eq!(t.counts().dropped, 33);
        assert!(state.payload.contains(r#""dropped":33"#), "{}", state.payload);
    }

    #[test]
    fn a_state_not_yet_sent_is_replaced_not_queued_twice() {
        let mut t = Telemetry::new(Topics::new("s", "d").unwrap(), 100);
        t.observe(snapshot(), 0);
        let mut s = snapshot();
        s.mode = "counter_only".into();
        t.observe(s, 1);
        t.on_connected(2);
        let sent = drain(&mut t, true);
        let states: Vec<_> = sent.iter().filter(|m| m.topic.ends_with("/state")).collect();
        assert_eq!(states.len(), 1);
        assert!(states[0].payload.contains("counter_only"));
    }
}
