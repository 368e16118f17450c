//! Telemetry against Mosquitto, a real MQTT broker: a kiosk's health and orders as the
//! chain's operator receives them, in the documented schema (checked by Python's reference
//! JSON Schema implementation), with nothing of a customer's or a card's in any message;
//! the last will of a killed kiosk; messages taken while the broker restarts arriving
//! afterwards; a device with the wrong password refused.

use std::time::Duration;

use kiosk_app::telemetry::{LinkStatus, run};
use kiosk_config::TelemetryConfig;
use kiosk_fleet::telemetry::{Health, Snapshot};
use kiosk_tests::e2e::{Basket, KioskProcess, Pay, Stage, journaled_approvals, kiosk_order};
use kiosk_tests::mosquitto::{Mosquitto, Received, Subscriber, SwallowingProxy, schema_problems};
use tokio::sync::watch;

const STORE: &str = "e2e-cafe";

fn is(m: &Received, device: &str, leaf: &str) -> bool {
    m.topic == format!("kiosk/{STORE}/{device}/{leaf}")
}

#[test]
fn a_kiosk_reports_its_health_and_orders_in_the_schema_and_nothing_personal_and_its_will_when_killed() {
    let password = "kiosk-1-secret";
    let broker = Mosquitto::start(&[("e2e-cafe-kiosk", password, "kiosk/e2e-cafe/kiosk")]);
    let operator = Subscriber::start(broker.port);
    let mut stage = Stage::start();
    // Over TLS, the broker's certificate pinned; the device's own credentials.
    let mut config = std::fs::read_to_string(&stage.kiosk_config).unwrap();
    config.push_str(&format!(
        "\n[telemetry]\nbroker = \"mqtts://127.0.0.1:{}\"\ntls_pin_sha256 = \"{}\"\npassword = \"{password}\"\n",
        broker.tls_port, broker.pin
    ));
    std::fs::write(&stage.kiosk_config, config).unwrap();
    let mut kiosk = KioskProcess::start(&stage.kiosk_config, "800x1280").expect("the kiosk starts");

    operator.wait_for(Duration::from_secs(30), "online status", |m| {
        is(m, "kiosk", "status") && m.json()["online"] == true
    });
    let basket = Basket { items: vec![(0, 1), (3, 2)] };
    let mut numbers = Vec::new();
    for (pay, receipt, code) in [
        (Pay::Card, true, "281006020000000001"),
        (Pay::Wallet, false, "281006020000000002"),
        (Pay::Counter, false, "281006020000000003"),
    ] {
        numbers.push(kiosk_order(&mut kiosk, &mut stage, &basket, pay, receipt, code, false).unwrap());
    }
    // What the customers were told is the record: three orders, all taken by the store.
    assert_eq!(stage.told.len(), 3, "{:?}", stage.told);
    let state = operator.wait_for(Duration::from_secs(30), "a state with the three orders delivered", |m| {
        is(m, "kiosk", "state") && m.json()["orders"]["total"] == 3 && m.json()["orders"]["queued"] == 0
    });
    let state = state.json();
    // Retained: a dashboard opened now gets the device's status and latest state at once.
    let retained = Subscriber::retained(broker.port);
    assert!(retained.iter().any(|m| is(m, "kiosk", "status") && m.json()["online"] == true), "{retained:?}");
    assert!(
        retained.iter().any(|m| is(m, "kiosk", "state") && m.json()["orders"]["total"] == 3),
        "{retained:?}"
    );
    assert_eq!(state["role"], "kiosk");
    assert_eq!(state["mode"], "normal");
    assert_eq!(state["paper"], "ok");
    assert_eq!(state["devices"]["terminal"]["state"], "ok");
    assert_eq!(state["devices"]["printer"]["state"], "ok");
    assert_eq!(state["pos"]["reachable"], true);
    assert!(state["orders"]["last_ms"].as_i64().unwrap() > 0);
    let counted: i64 = operator
        .all()
        .iter()
        .filter(|m| is(m, "kiosk", "events") && m.json()["kind"] == "orders")
        .map(|m| m.json()["count"].as_i64().unwrap())
        .sum();
    assert_eq!(counted, 3, "the order events count every order once");

    // Killed: no goodbye, the connection just ends. The broker publishes the will.
    kiosk.kill();
    operator.wait_for(Duration::from_secs(10), "the last will", |m| {
        is(m, "kiosk", "status") && m.json()["online"] == false
    });
    let retained = Subscriber::retained(broker.port);
    assert!(
        retained.iter().any(|m| is(m, "kiosk", "status") && m.json()["online"] == false),
        "the will is retained, so a dashboard opened later sees it: {retained:?}"
    );

    let all = operator.all();
    assert!(all.iter().all(|m| m.topic.starts_with("kiosk/e2e-cafe/kiosk/")), "only its own topics");
    let problems = schema_problems(&all);
    assert!(problems.is_empty(), "messages outside docs/telemetry.schema.json:\n{}", problems.join("\n"));

    // Nothing personal or card-related: the card number the terminal reported, the
    // approvals in the device's journal (the terminal's ledger has them too), the wallet
    // codes the customers showed, the order numbers they were given, the receipt link, the
    // POS token, the broker password.
    let approvals = journaled_approvals(&stage.kiosk_db);
    assert_eq!(approvals.len(), 2, "card and wallet were approved");
    let config = kiosk_config::Config::load(&stage.kiosk_config).unwrap();
    let token = config.pos.token.clone().expect("the kiosk's POS token");
    let mut secrets: Vec<String> = approvals.keys().cloned().collect();
    secrets.extend(["9411-23**-****-1234", "23**", "****"].map(str::to_owned));
    secrets.extend(["281006020000000001", "281006020000000002", "281006020000000003"].map(str::to_owned));
    secrets.extend([token, password.to_owned(), "/r/".to_owned(), "receipt".to_owned()]);
    for m in &all {
        for secret in &secrets {
            assert!(!m.payload.contains(secret.as_str()), "{secret:?} in {}: {}", m.topic, m.payload);
        }
        let v = m.json();
        for number in &numbers {
            assert!(
                !v.to_string().contains(&format!("\"number\":{number}")),
                "order number {number} in {}",
                m.topic
            );
        }
        for key in ["card", "approval", "phone", "name", "items", "lines", "total_won", "amount"] {
            assert!(
                !m.payload.contains(&format!("\"{key}")),
                "a {key:?} field in {}: {}",
                m.topic,
                m.payload
            );
        }
    }
}

fn device(port: u16, password: &str, queue: usize) -> TelemetryConfig {
    TelemetryConfig {
        host: "127.0.0.1".into(),
        port,
        tls: false,
        tls_pin_sha256: None,
        device: "kiosk-9".into(),
        username: "e2e-cafe-kiosk-9".into(),
        password: Some(password.into()),
        queue,
    }
}

fn snapshot(orders: u64, printer: &str) -> Snapshot {
    let mut s = Snapshot {
        version: "1.2.0".into(),
        role: "kiosk".into(),
        mode: "normal".into(),
        orders_total: orders,
        last_order_ms: (orders > 0).then_some(1_000 + orders as i64),
        ..Snapshot::default()
    };
    s.devices.insert("printer".into(), Health { state: printer.into(), reason: printer.into(), since_ms: 5 });
    s
}

/// A device's telemetry link on a runtime of its own, as `kiosk_app::telemetry` runs it on
/// the kiosk, fed snapshots by the test: (runtime, snapshots, link status, its task).
type Link = (
    tokio::runtime::Runtime,
    watch::Sender<Snapshot>,
    watch::Receiver<LinkStatus>,
    tokio::task::JoinHandle<anyhow::Result<()>>,
);

fn link(port: u16, password: &str) -> Link {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let (snapshots, snapshots_rx) = watch::channel(snapshot(0, "ok"));
    let (status_tx, status) = watch::channel(LinkStatus::default());
    let config = device(port, password, 100);
    let task = runtime.spawn(async move { run(config, STORE, snapshots_rx, status_tx).await });
    (runtime, snapshots, status, task)
}

fn wait_status(status: &mut watch::Receiver<LinkStatus>, what: &str, pred: impl Fn(&LinkStatus) -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !pred(&status.borrow()) {
        assert!(std::time::Instant::now() < deadline, "no {what}: {:?}", *status.borrow());
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn messages_taken_while_the_broker_restarts_arrive_afterwards() {
    let mut broker = Mosquitto::start(&[("e2e-cafe-kiosk-9", "pw9", "kiosk/e2e-cafe/kiosk-9")]);
    let operator = Subscriber::start(broker.port);
    let (runtime, snapshots, mut status, publisher) = link(broker.port, "pw9");
    operator.wait_for(Duration::from_secs(10), "the first state", |m| is(m, "kiosk-9", "state"));
    wait_status(&mut status, "everything delivered", |s| s.connected && s.queued == 0);

    broker.stop();
    wait_status(&mut status, "the link down", |s| !s.connected);
    // While the broker is away: five orders, one at a time, and the paper runs out.
    for n in 1..=5 {
        snapshots.send_replace(snapshot(n, "ok"));
        std::thread::sleep(Duration::from_millis(50));
    }
    snapshots.send_replace(snapshot(5, "fault"));
    wait_status(&mut status, "the events queued", |s| s.queued >= 6);
    let before = operator.all().len();
    broker.restart();

    operator.wait_for(Duration::from_secs(30), "the state after the restart", |m| {
        is(m, "kiosk-9", "state") && m.json()["orders"]["total"] == 5
    });
    wait_status(&mut status, "the queue emptied", |s| s.connected && s.queued == 0);
    let after: Vec<Received> = operator.all().split_off(before);
    let orders: Vec<i64> = after
        .iter()
        .filter(|m| is(m, "kiosk-9", "events") && m.json()["kind"] == "orders")
        .map(|m| m.json()["last_order_ms"].as_i64().unwrap())
        .collect();
    // Each order's event, once each (QoS 1 may repeat one; none here was cut mid-flight).
    let mut unique = orders.clone();
    unique.dedup();
    assert_eq!(unique, vec![1001, 1002, 1003, 1004, 1005], "all: {orders:?}");
    assert!(
        after.iter().any(|m| is(m, "kiosk-9", "events")
            && m.json()["kind"] == "health"
            && m.json()["state"] == "fault"),
        "the printer's fault, taken while the broker was away"
    );
    let problems = schema_problems(&operator.all());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(status.borrow().dropped, 0);
    drop(snapshots);
    runtime.block_on(publisher).unwrap().unwrap();
}

#[test]
fn a_device_with_the_wrong_password_is_refused_and_publishes_nothing() {
    let broker = Mosquitto::start(&[("e2e-cafe-kiosk-9", "right", "kiosk/e2e-cafe/kiosk-9")]);
    let operator = Subscriber::start(broker.port);
    let (_runtime, _snapshots, mut status, _) = link(broker.port, "wrong");
    wait_status(&mut status, "a refusal", |s| s.refused.is_some());
    let why = status.borrow().refused.clone().unwrap();
    assert!(why.contains("username and password"), "{why}");
    assert!(!status.borrow().connected);
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        operator.all().iter().all(|m| !m.topic.starts_with("kiosk/e2e-cafe/kiosk-9/")),
        "{:?}",
        operator.all()
    );
    assert!(
        broker.log().contains("not authorised") || broker.log().contains("not authorized"),
        "{}",
        broker.log()
    );
}

#[test]
fn a_message_the_broker_never_acknowledged_goes_again_on_the_next_connection() {
    let broker = Mosquitto::start(&[("e2e-cafe-kiosk-9", "pw9", "kiosk/e2e-cafe/kiosk-9")]);
    let operator = Subscriber::start(broker.port);
    let proxy = SwallowingProxy::start(broker.port);
    let (_runtime, snapshots, mut status, _) = link(proxy.port, "pw9");
    wait_status(&mut status, "everything delivered", |s| s.connected && s.queued == 0 && s.delivered > 0);

    // The link dies silently: the order's event and state are written, never acknowledged.
    proxy.swallow(true);
    snapshots.send_replace(snapshot(1, "ok"));
    wait_status(&mut status, "the order's messages in flight", |s| s.queued >= 2);
    std::thread::sleep(Duration::from_millis(300));
    assert!(operator.all().iter().all(|m| !m.payload.contains("\"last_order_ms\":1001")), "swallowed");
    proxy.swallow(false);
    proxy.cut();

    operator.wait_for(Duration::from_secs(20), "the order's event, sent again", |m| {
        is(m, "kiosk-9", "events") && m.json()["kind"] == "orders" && m.json()["last_order_ms"] == 1001
    });
    wait_status(&mut status, "the queue emptied", |s| s.connected && s.queued == 0);
    let problems = schema_problems(&operator.all());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
