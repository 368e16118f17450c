//! `kiosk run` as the device service, through the real binary.

use std::time::Duration;

use kiosk_domain::*;
use kiosk_drivers::payment::smartro::client::SmartroTerminal;
use kiosk_drivers::payment::{ChargeRequest, PaymentTerminal};
use kiosk_drivers::transport::{Endpoint, FlowControl, Port};
use kiosk_sim::terminal::server::{TerminalSimOptions, spawn_pty};
use kiosk_store::{Actor, Store};

mod common;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_once_completes_a_charge_that_a_crash_left_unanswered() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let link = dir.path().join("ttyTERMINAL");
    let sim = spawn_pty(
        &link,
        TerminalSimOptions { customer_delay: Duration::from_millis(5), ..TerminalSimOptions::default() },
    )
    .unwrap();

    // Before the crash: the order was created and the charge journaled as sent...
    let menu: Menu = serde_json::from_str(include_str!("../data/menu.example.json")).unwrap();
    let mut store = Store::open(data.join("kiosk.db")).unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    let mut order = common::cola_order(&menu, 2, Settlement::Prepaid, now);
    store.create_order(&mut order, "2026-11-22", Actor::Customer, now).unwrap();
    store.begin_payment(order.id, PaymentOp::Approve, order.total(), "{}", now).unwrap();
    drop(store);
    // ...and the terminal approved it, but the kiosk died before hearing so.
    let endpoint = Endpoint::Serial { path: link.clone(), baud: 115_200, flow_control: FlowControl::None };
    let mut t =
        SmartroTerminal::new(Port::open(&endpoint, Duration::from_secs(2)).await.unwrap(), "SIM00001");
    let req = ChargeRequest {
        amount: order.total(),
        vat: order.totals.vat.vat,
        installment_months: 0,
        order_ref: String::new(),
    };
    assert!(matches!(t.approve(&req).await.unwrap(), PaymentOutcome::Approved(_)));
    drop(t);

    let config = include_str!("../data/kiosk.example.toml")
        .replace("/var/lib/kiosk", data.to_str().unwrap())
        .replace("/dev/ttyUSB1", link.to_str().unwrap())
        .replace("/dev/ttyUSB0", dir.path().join("no-printer").to_str().unwrap())
        .replace("/dev/ttyACM0", dir.path().join("no-scanner").to_str().unwrap());
    let path = dir.path().join("kiosk.toml");
    std::fs::write(&path, config).unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_kiosk"))
        .args(["run", "--config", path.to_str().unwrap(), "--once"])
        .output()
        .await
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");
    assert!(log.contains("1 unanswered payment step(s)"), "{log}");
    assert!(log.contains("payments reconciled"), "{log}");

    let store = Store::open(data.join("kiosk.db")).unwrap();
    assert_eq!(store.order_state(order.id).unwrap(), OrderState::Committed, "{log}");
    assert_eq!(store.print_pending(10).unwrap().len(), 3, "receipt, kitchen ticket and slip queued");
    let ours = store.standing_approval(order.id).unwrap().unwrap().approval_no;
    assert_eq!(sim.handle.standing_approvals().into_iter().map(|a| a.0).collect::<Vec<_>>(), vec![ours]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_delivers_queued_orders_to_the_store_server_and_reports_device_health() {
    use kiosk_store_server::db::ServerDb;
    use kiosk_store_server::{ServeOptions, start};

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    // Orders committed while nothing was running (say, before a power cut).
    let menu: Menu = serde_json::from_str(include_str!("../data/menu.example.json")).unwrap();
    let mut store = Store::open(data.join("kiosk.db")).unwrap();
    let mut ids = Vec::new();
    for n in 0..3 {
        let mut order = common::cola_order(&menu, n + 1, Settlement::PayAtCounter, 0);
        store.create_order(&mut order, "2026-11-22", Actor::Customer, 0).unwrap();
        store.commit_order(order.id, &[], Actor::System, 0).unwrap();
        ids.push(order.id.to_string());
    }
    drop(store);

    let db = dir.path().join("pos.sqlite");
    let token = ServerDb::open(&db).unwrap().issue_token("kiosk-1", false).unwrap();
    let listen = "127.0.0.1:0".parse().unwrap();
    let server = start(ServeOptions {
        db: db.clone(),
        listen,
        menu: None,
        kitchen_printer: None,
        tls: None,
        backups: None,
    })
    .await
    .unwrap();
    let config = include_str!("../data/kiosk.example.toml")
        .replace("/var/lib/kiosk", data.to_str().unwrap())
        .replace("http://127.0.0.1:8765", &format!("http://{}", server.addr))
        .replace("device-token-from-the-store-server", &token)
        .replace("/dev/ttyUSB1", dir.path().join("no-terminal").to_str().unwrap())
        .replace("/dev/ttyUSB0", dir.path().join("no-printer").to_str().unwrap())
        .replace("/dev/ttyACM0", dir.path().join("no-scanner").to_str().unwrap());
    let path = dir.path().join("kiosk.toml");
    std::fs::write(&path, config).unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_kiosk"))
        .args(["run", "--config", path.to_str().unwrap()])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();

    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let (orders, devices) = loop {
        let db = ServerDb::open(&db).unwrap();
        let orders: Vec<String> = db.orders(0, 100).unwrap().into_iter().map(|o| o.order_id).collect();
        let devices = db.devices().unwrap();
        let reported = devices.iter().any(|d| d.report_json.is_some());
        if orders.len() == ids.len() && reported {
            break (orders, devices);
        }
        assert!(std::time::Instant::now() < deadline, "after 20 s: {orders:?}, {devices:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    child.kill().await.unwrap();
    assert_eq!(orders, ids, "each queued order once, in commit order");
    let report = devices[0].report_json.as_deref().unwrap();
    assert!(
        report.contains(r#"{"device":"terminal","status":"missing""#)
            && report.contains("pay at the counter"),
        "{report}"
    );
    let store = Store::open(data.join("kiosk.db")).unwrap();
    assert_eq!(store.outbox_pending_count().unwrap(), 0);
    server.stop().await;
}
