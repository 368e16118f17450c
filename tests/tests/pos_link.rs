//! The kiosk link protocol end to end: the device's client against the reference store
//! server on loopback (plain and TLS-pinned), the sync task and the outbox worker.

use std::time::{Duration, Instant};

use kiosk_app::pos::delivery::{Backoff, OutboxWorker};
use kiosk_app::pos::sync::{PosSync, stored_sold_out};
use kiosk_domain::{ItemId, OrderId, OrderState, TableId};
use kiosk_link::wire::{OrderStatus, PROTOCOL, StaffReason};
use kiosk_pos::{MenuFetch, PosAdapter, PosError};
use kiosk_store::{OutboxStatus, Store};
use kiosk_store_server::db::kitchen::Station;
use kiosk_tests::example_menu;
use kiosk_tests::pos::{TestServer, WithStore, commit_order, commit_round, shared};

async fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    start.elapsed()
}

#[tokio::test]
async fn an_order_is_taken_once_however_often_it_is_sent() {
    let server = TestServer::start(None).await;
    let link = server.client(&server.device_token);
    let mut store = Store::open_in_memory().unwrap();
    let order = commit_order(&mut store, &example_menu(), 1, 1_000);
    let payload = store.outbox_queue(1).unwrap().remove(0).payload_json;

    let first = link.submit_order(order.id, &payload).await.unwrap();
    assert!(!first.duplicate);
    let again = link.submit_order(order.id, &payload).await.unwrap();
    assert!(again.duplicate, "the same key and payload is a duplicate");
    assert_eq!(first.pos_ref, again.pos_ref);

    // The same key with another payload is refused for good (and not stored).
    let mut other: serde_json::Value = serde_json::from_str(&payload).unwrap();
    other["number"] = serde_json::json!(999);
    let err = link.submit_order(order.id, &other.to_string()).await.unwrap_err();
    assert!(matches!(&err, PosError::Rejected { code, .. } if code == "conflict"), "{err}");
    assert!(!err.is_transient());

    // Totals that do not add up are refused as invalid.
    let mut wrong: serde_json::Value = serde_json::from_str(&payload).unwrap();
    wrong["id"] = serde_json::json!(uuid::Uuid::new_v4());
    wrong["totals"]["vat"]["total"] = serde_json::json!(1);
    let err = link.submit_order(OrderId(uuid::Uuid::new_v4()), &wrong.to_string()).await.unwrap_err();
    assert!(matches!(&err, PosError::Rejected { code, .. } if code == "invalid"), "{err}");

    let orders = server.db().orders(0, 100).unwrap();
    assert_eq!(orders.len(), 1);
    assert_eq!((orders[0].order_id.as_str(), orders[0].duplicates), (order.id.to_string().as_str(), 1));
    server.handle.stop().await;
}

#[tokio::test]
async fn wrong_tokens_and_versions_get_typed_errors() {
    let server = TestServer::start(None).await;
    let stranger = server.client("not-a-token");
    assert!(matches!(stranger.health().await, Err(PosError::Unauthorized(_))));
    assert!(matches!(stranger.fetch_menu(None).await, Err(PosError::Unauthorized(_))));

    // A device speaking protocol 2 is told so, and keeps its order queued (transient).
    let body = r#"{"protocol":2,"order":{}}"#;
    let answer = raw_post(&server, "/v1/orders", &server.device_token, body).await;
    assert!(answer.contains("400") && answer.contains("unsupported_protocol"), "{answer}");
    let answer =
        raw_post(&server, "/v1/orders", &server.device_token, "{\"protocol\":1,\"order\":[1,2").await;
    assert!(answer.contains("400") && answer.contains("bad_request"), "{answer}");
    let answer =
        raw_post(&server, "/v1/staff-calls", &server.device_token, r#"{"protocol":1,"id":"x","reason":7}"#)
            .await;
    assert!(answer.contains("bad_request"), "{answer}");
    server.handle.stop().await;
}

async fn raw_post(server: &TestServer, path: &str, token: &str, body: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(server.handle.addr).await.unwrap();
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}

#[tokio::test]
async fn an_unchanged_menu_costs_a_304_and_a_new_one_arrives_whole() {
    let server = TestServer::start(None).await;
    let link = server.client(&server.device_token);
    let MenuFetch::Changed(menu) = link.fetch_menu(None).await.unwrap() else { panic!("first fetch") };
    assert_eq!(menu.version, example_menu().version);
    assert_eq!(link.fetch_menu(Some(&menu.version)).await.unwrap(), MenuFetch::Unchanged);
    let mut newer = example_menu();
    newer.version = "2026-11-23.1".into();
    server.db().load_menu(newer).unwrap();
    let MenuFetch::Changed(menu) = link.fetch_menu(Some(&menu.version)).await.unwrap() else {
        panic!("new menu")
    };
    assert_eq!(menu.version, "2026-11-23.1");
    // An invalid menu never gets into the server; the device keeps the last good one.
    let mut bad = example_menu();
    bad.items[0].price = kiosk_domain::Money(-5);
    assert!(server.db().load_menu(bad).is_err());
    server.handle.stop().await;
}

#[tokio::test]
async fn sold_out_and_ready_reach_the_device_within_two_seconds() {
    let server = TestServer::start(None).await;
    let link = std::sync::Arc::new(server.client(&server.device_token));
    let store = shared(Store::open_in_memory().unwrap());
    let (sync, view) = PosSync::new(store.clone(), link.clone(), None, stored_sold_out(&store).await);
    sync.refresh_menu().await.unwrap();
    let task = tokio::spawn(sync.run());
    wait_for("connected", Duration::from_secs(5), || view.borrow().reachable).await;

    // Staff mark fries sold out through the CLI's path (the database file).
    server.db().set_sold_out("fries", true).unwrap();
    let took =
        wait_for("sold out", Duration::from_secs(2), || view.borrow().sold_out.contains("fries")).await;
    println!("sold-out mark reached the device in {} ms", took.as_millis());
    let cached = store.with(|s| s.load_menu()).unwrap().unwrap();
    assert!(cached.menu.items.iter().find(|i| i.id == ItemId("fries".into())).unwrap().sold_out);

    // Through the admin endpoint the other way round.
    let answer = admin_post(&server, "/admin/v1/items/fries/sold-out", r#"{"sold_out":false}"#).await;
    assert!(answer.starts_with("HTTP/1.1 204"), "{answer}");
    wait_for("back on sale", Duration::from_secs(2), || !view.borrow().sold_out.contains("fries")).await;

    // An order sent, then marked ready at the store.
    let order = store.with(|s| commit_order(s, &example_menu(), 2, 1_000));
    let (worker, handle) = OutboxWorker::new(store.clone(), link.clone(), Backoff::default());
    let outbox = tokio::spawn(worker.run());
    handle.order_committed();
    wait_for("delivered", Duration::from_secs(5), || {
        matches!(
            store.with(move |s| s.outbox_status(order.id)).unwrap(),
            Some(OutboxStatus::Delivered { .. })
        )
    })
    .await;
    server.db().set_order_status(&order.id.to_string(), OrderStatus::Ready).unwrap();
    wait_for("ready", Duration::from_secs(2), || {
        view.borrow().order_status.get(&order.id.to_string()) == Some(&OrderStatus::Ready)
    })
    .await;
    assert_eq!(store.with(move |s| s.order_state(order.id)).unwrap(), OrderState::Ready);
    task.abort();
    outbox.abort();
    server.handle.stop().await;
}

#[tokio::test]
async fn a_table_paid_at_the_counter_closes_the_tablets_tab_even_while_it_was_off() {
    let server = TestServer::start(None).await;
    let link = std::sync::Arc::new(server.client(&server.device_token));
    let store = shared(Store::open_in_memory().unwrap());
    let (sync, view) = PosSync::new(store.clone(), link.clone(), None, stored_sold_out(&store).await);
    let task = tokio::spawn(sync.run());
    wait_for("connected", Duration::from_secs(5), || view.borrow().reachable).await;

    let seven = TableId("7".into());
    let (worker, outbox) = OutboxWorker::new(store.clone(), link.clone(), Backoff::default());
    let outbox_task = tokio::spawn(worker.run());
    let rounds: Vec<_> =
        (1..=2).map(|r| store.with(move |s| commit_round(s, &example_menu(), "7", r, 1_000))).collect();
    outbox.order_committed();
    wait_for("both rounds at the store", Duration::from_secs(5), || {
        store.with(|s| s.outbox_pending_count()).unwrap() == 0
    })
    .await;
    let seven_ = seven.clone();
    assert_eq!(store.with(move |s| s.open_tab(&seven_)).unwrap().len(), 2);

    // The tablet is switched off; staff take payment at the counter; it comes back.
    task.abort();
    let _ = task.await;
    let settled = server.db().settle_table("7").unwrap();
    let mut expected: Vec<String> = rounds.iter().map(|o| o.id.to_string()).collect();
    expected.sort();
    let mut got = settled.clone();
    got.sort();
    assert_eq!(got, expected);
    assert!(server.db().settle_table("7").is_err(), "nothing more is owed");
    let (sync, view) = PosSync::new(store.clone(), link.clone(), None, stored_sold_out(&store).await);
    let task = tokio::spawn(sync.run());
    wait_for("settled", Duration::from_secs(5), || view.borrow().tabs_settled == 1).await;
    assert!(view.borrow().store_open, "the resumed stream asked the POS's hello for the store's state");
    assert!(
        {
            let seven = seven.clone();
            store.with(move |s| s.open_tab(&seven)).unwrap().is_empty()
        },
        "the tab closed from where it left off"
    );

    // The next guests' round stays open until they pay, through the admin endpoint this time.
    let next = store.with(|s| commit_round(s, &example_menu(), "7", 1, 2_000));
    outbox.order_committed();
    wait_for("the next round at the store", Duration::from_secs(5), || {
        store.with(|s| s.outbox_pending_count()).unwrap() == 0
    })
    .await;
    let answer = admin_post(&server, "/admin/v1/tables/7/settle", "").await;
    assert!(answer.starts_with("HTTP/1.1 200") && answer.contains(&next.id.to_string()), "{answer}");
    wait_for("settled again", Duration::from_secs(2), || view.borrow().tabs_settled == 2).await;
    assert!(store.with(move |s| s.open_tab(&seven)).unwrap().is_empty());
    let answer = admin_post(&server, "/admin/v1/tables/7/settle", "").await;
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
    task.abort();
    outbox_task.abort();
    server.handle.stop().await;
}

#[tokio::test]
async fn a_refund_reaches_the_store_once_after_its_order() {
    use kiosk_domain::{
        Approval, Cart, Order, OrderKind, PaymentOp, PaymentOutcome, Refund, Selection, Service, Settlement,
    };
    use kiosk_store::Actor;
    let server = TestServer::start(None).await;
    let link = std::sync::Arc::new(server.client(&server.device_token));
    let store = shared(Store::open_in_memory().unwrap());
    let menu = example_menu();
    let mut cart = Cart::default();
    cart.add(&menu, Selection::of("cola", 2), None).unwrap();
    let kind = OrderKind::Kiosk { service: Service::TakeOut };
    let mut order =
        Order::from_cart(OrderId(uuid::Uuid::new_v4()), 0, kind, Settlement::Prepaid, &cart, &menu, 1)
            .unwrap();
    let order = store.with(move |s| {
        // Paid and committed; then the operator reverses the approval before the POS has it.
        s.create_order(&mut order, "2026-11-23", Actor::Customer, 1).unwrap();
        let j = s.begin_payment(order.id, PaymentOp::Approve, order.total(), "{}", 2).unwrap();
        let approved = PaymentOutcome::Approved(Approval::card("30012345", "261123101500", order.total()));
        s.finish_payment(j, &approved, 3).unwrap();
        s.commit_order(order.id, &[], Actor::System, 4).unwrap();
        let c = s.begin_payment(order.id, PaymentOp::Cancel, order.total(), "{}", 5).unwrap();
        s.finish_payment(c, &PaymentOutcome::Reversed { approval_no: "30012345".into() }, 6).unwrap();
        order
    });
    let (worker, outbox) = OutboxWorker::new(store.clone(), link.clone(), Backoff::default());
    let task = tokio::spawn(worker.run());
    outbox.order_committed();
    wait_for("the refund delivered", Duration::from_secs(5), || {
        store.with(|s| s.refunds_pending_count()).unwrap() == 0
    })
    .await;
    let at_store = server.db().orders(0, 10).unwrap();
    assert_eq!(at_store.len(), 1);
    assert_eq!((at_store[0].total, at_store[0].refunded), (order.total().0, order.total().0));

    // Another order, refunded by hand: a re-send (after an ambiguous attempt) counts once;
    // the same id with another amount, more than the order's total, or an order the store
    // never had are refused for good.
    let second = {
        let menu = menu.clone();
        store.with(move |s| commit_order(s, &menu, 1, 8))
    };
    outbox.order_committed();
    wait_for("the second order delivered", Duration::from_secs(5), || {
        store.with(|s| s.outbox_pending_count()).unwrap() == 0
    })
    .await;
    let mut refund = Refund {
        id: uuid::Uuid::new_v4(),
        order_id: second.id,
        amount: kiosk_domain::Money(500),
        approval_no: "30012346".into(),
        refunded_at_ms: 9,
    };
    let json = |r: &Refund| serde_json::to_string(r).unwrap();
    link.submit_refund(second.id, &json(&refund)).await.unwrap();
    link.submit_refund(second.id, &json(&refund)).await.unwrap();
    let refunded = |id: OrderId| {
        server
            .db()
            .orders(0, 10)
            .unwrap()
            .into_iter()
            .find(|o| o.order_id == id.to_string())
            .unwrap()
            .refunded
    };
    assert_eq!(refunded(second.id), 500, "counted once");
    let rejected = |e: PosError, want: &str| {
        assert!(matches!(&e, PosError::Rejected { code, .. } if code == want), "{e:?}");
    };
    refund.amount = kiosk_domain::Money(600);
    rejected(link.submit_refund(second.id, &json(&refund)).await.unwrap_err(), "conflict");
    refund.id = uuid::Uuid::new_v4();
    refund.amount = second.total();
    rejected(link.submit_refund(second.id, &json(&refund)).await.unwrap_err(), "invalid");
    refund.order_id = OrderId(uuid::Uuid::new_v4());
    rejected(link.submit_refund(refund.order_id, &json(&refund)).await.unwrap_err(), "not_found");
    assert_eq!(refunded(second.id), 500);
    task.abort();
    server.handle.stop().await;
}

/// A table tablet claims its table whenever its link connects: a second tablet configured
/// with the same number hears at its start that the store gave the table to the first (the
/// screen tells the diner; see the session's and the UI's tests), and an operator's number
/// kept in the store is the one claimed.
#[tokio::test]
async fn a_tablet_claims_its_table_when_it_connects_and_hears_when_another_holds_it() {
    let server = TestServer::start(None).await;
    let start = |token: &str, table: &str, stored: Option<&str>| {
        let link = std::sync::Arc::new(server.client(token));
        let store = shared(Store::open_in_memory().unwrap());
        if let Some(n) = stored {
            let setting = kiosk_domain::DeviceSetting::Table(n.to_owned());
            store.with(move |s| s.set_device_setting(&setting, kiosk_store::Actor::Operator, 0)).unwrap();
        }
        let (sync, view) = PosSync::new(store, link, None, Default::default());
        (tokio::spawn(sync.with_table(Some(table.to_owned())).run()), view)
    };
    let (first, first_view) = start(&server.device_token, "7", None);
    wait_for("the first tablet connected", Duration::from_secs(5), || first_view.borrow().reachable).await;
    wait_for("table 7 claimed", Duration::from_secs(5), || {
        server.db().table_holder("7").unwrap().as_deref() == Some("kiosk-1")
    })
    .await;
    let (second, second_view) = start(&server.second_device_token, "7", None);
    wait_for("the second tablet told", Duration::from_secs(5), || second_view.borrow().table_taken.is_some())
        .await;
    let said = second_view.borrow().table_taken.clone().unwrap();
    assert!(said.contains("kiosk-1"), "the store names the holder: {said}");
    assert!(first_view.borrow().table_taken.is_none());
    second.abort();
    // The same tablet after staff gave it table 8 on its operator page: its own table.
    let (renumbered, view) = start(&server.second_device_token, "7", Some("8"));
    wait_for("connected", Duration::from_secs(5), || view.borrow().reachable).await;
    wait_for("table 8 claimed", Duration::from_secs(5), || server.db().table_holder("8").unwrap().is_some())
        .await;
    assert!(view.borrow().table_taken.is_none());
    assert_eq!(server.db().table_holder("7").unwrap().as_deref(), Some("kiosk-1"));
    first.abort();
    renumbered.abort();
    server.handle.stop().await;
}

async fn admin_post(server: &TestServer, path: &str, body: &str) -> String {
    raw_post(server, path, &server.admin_token, body).await
}

#[tokio::test]
async fn staff_calls_count_once_and_two_tablets_cannot_hold_one_table() {
    let server = TestServer::start(None).await;
    let a = server.client(&server.device_token);
    let b = server.client(&server.second_device_token);
    let id = uuid::Uuid::new_v4();
    a.call_staff(id, Some("7"), StaffReason::Water).await.unwrap();
    a.call_staff(id, Some("7"), StaffReason::Water).await.unwrap();
    a.call_staff(uuid::Uuid::new_v4(), Some("7"), StaffReason::Bill).await.unwrap();
    let calls = server.db().staff_calls(10).unwrap();
    assert_eq!(calls.len(), 2, "a re-sent call counts once");

    a.claim_table("7").await.unwrap();
    a.claim_table("7").await.unwrap();
    let err = b.claim_table("7").await.unwrap_err();
    assert!(
        matches!(&err, PosError::Rejected { code, message } if code == "table_taken" && message.contains("kiosk-1")),
        "{err}"
    );
    b.claim_table("8").await.unwrap();

    let health = a.health().await.unwrap();
    assert!(health.store_open && health.server.contains("kiosk-1"), "{health:?}");
    a.report_devices(&kiosk_pos::DeviceHealthReport {
        protocol: PROTOCOL,
        mode: "normal".into(),
        devices: vec![kiosk_link::wire::PeripheralHealth {
            device: "printer".into(),
            status: "ok".into(),
            reason: "ready".into(),
            since_ms: 1,
        }],
        version: Some("0.1.0".into()),
        queued: Some(0),
    })
    .await
    .unwrap();
    let devices = server.db().devices().unwrap();
    assert!(
        devices
            .iter()
            .any(|d| d.name == "kiosk-1" && d.report_json.as_deref().is_some_and(|r| r.contains("printer")))
    );
    server.handle.stop().await;
}

#[tokio::test]
async fn tls_works_with_the_pinned_certificate_and_refuses_any_other() {
    let (cert, key, pin) = kiosk_link::tls::self_signed(&["127.0.0.1".into()]).unwrap();
    let server = TestServer::start(Some((cert.into_bytes(), key.into_bytes()))).await;
    assert_eq!(server.handle.tls_pin.as_deref(), Some(pin.as_str()));
    let link = server.client(&server.device_token);
    assert!(link.health().await.unwrap().store_open);

    let other_pin = "00".repeat(32);
    let wrong = kiosk_pos::link_client::KioskLinkClient::new(
        &server.url(),
        &server.device_token,
        Some(&other_pin),
        Default::default(),
    )
    .unwrap();
    let err = wrong.health().await.unwrap_err();
    assert!(matches!(&err, PosError::Tls(m) if m.contains("not the pinned one")), "{err}");
    // https without a pin is a configuration error, not a silent trust-anything.
    assert!(
        kiosk_pos::link_client::KioskLinkClient::new(&server.url(), "t", None, Default::default()).is_err()
    );
    server.handle.stop().await;
}

#[tokio::test]
async fn long_polling_serves_the_same_updates_as_the_stream() {
    let server = TestServer::start(None).await;
    let link = server.client(&server.device_token);
    let first = link.long_poll(None, Duration::ZERO).await.unwrap();
    assert!(matches!(first.updates.as_slice(), [u] if u.update.kind() == "snapshot"));
    let since = first.next;
    let db_path = server.db_path.clone();
    let marker = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        kiosk_store_server::db::ServerDb::open(&db_path).unwrap().set_sold_out("cola", true).unwrap();
    });
    let t = Instant::now();
    let batch = link.long_poll(Some(since), Duration::from_secs(5)).await.unwrap();
    marker.await.unwrap();
    assert!(t.elapsed() >= Duration::from_millis(250), "it waited for the update");
    assert!(
        matches!(batch.updates.as_slice(), [u] if u.update == kiosk_pos::Update::SoldOut { item: "cola".into(), sold_out: true })
    );
    assert!(batch.next > since);
    let empty = link.long_poll(Some(batch.next), Duration::from_millis(100)).await.unwrap();
    assert!(empty.updates.is_empty() && empty.next == batch.next);
    server.handle.stop().await;
}

/// A store server in `dir` printing kitchen tickets on `printer` (set up further by `setup`),
/// and an order (cola and cheese sticks) a device sent it.
async fn kitchen_order(
    dir: &tempfile::TempDir,
    printer: &str,
    setup: impl FnOnce(&mut kiosk_store_server::db::ServerDb),
) -> (kiosk_store_server::ServerHandle, kiosk_domain::Order) {
    let db = dir.path().join("pos.sqlite");
    let token = {
        let mut db = kiosk_store_server::db::ServerDb::open(&db).unwrap();
        setup(&mut db);
        db.issue_token("kiosk-1", false).unwrap()
    };
    let server = kiosk_store_server::start(kiosk_store_server::ServeOptions {
        db,
        listen: "127.0.0.1:0".parse().unwrap(),
        menu: None,
        kitchen_printer: Some(kiosk_drivers::transport::Endpoint::Tcp { address: printer.to_owned() }),
        tls: None,
        backups: None,
    })
    .await
    .unwrap();
    let link = kiosk_pos::link_client::KioskLinkClient::new(
        &format!("http://{}", server.addr),
        &token,
        None,
        Default::default(),
    )
    .unwrap();
    let mut store = Store::open_in_memory().unwrap();
    let order = commit_order(&mut store, &example_menu(), 1, 1_000);
    let payload = store.outbox_queue(1).unwrap().remove(0).payload_json;
    link.submit_order(order.id, &payload).await.unwrap();
    (server, order)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_server_prints_kitchen_tickets_on_a_network_printer_and_keeps_them_through_paper_out() {
    use kiosk_sim::printer::Condition;
    use kiosk_sim::printer::server::{SimOptions, SimReport, spawn_tcp};
    let printer = spawn_tcp("127.0.0.1:0", SimOptions::default()).await.unwrap();
    let mut printed = printer.handle.subscribe();
    printer.handle.set(Condition::PaperOut);
    let dir = tempfile::tempdir().unwrap();
    let (server, order) = kitchen_order(&dir, &printer.address.unwrap().to_string(), |_| ()).await;

    // Out of paper: the ticket waits; a new roll prints it.
    tokio::time::sleep(Duration::from_millis(500)).await;
    printer.handle.set(Condition::PaperIn);
    let job = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Ok(SimReport::Printed(job)) = printed.recv().await {
                return job;
            }
        }
    })
    .await
    .expect("the kitchen ticket prints once paper is back");
    let text = job.text();
    assert!(text.contains(&format!("{:04}", order.number)) && text.contains("콜라"), "{text}");
    assert!(job.cut);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_station_prints_its_own_lines_on_its_own_printer() {
    use kiosk_sim::printer::server::{SimOptions, SimReport, spawn_tcp};
    let kitchen = spawn_tcp("127.0.0.1:0", SimOptions::default()).await.unwrap();
    let bar = spawn_tcp("127.0.0.1:0", SimOptions::default()).await.unwrap();
    let (mut kitchen_jobs, mut bar_jobs) = (kitchen.handle.subscribe(), bar.handle.subscribe());
    let dir = tempfile::tempdir().unwrap();
    let bar_printer = bar.address.unwrap().to_string();
    let (server, order) = kitchen_order(&dir, &kitchen.address.unwrap().to_string(), move |db| {
        let station = Station { id: "bar".into(), name: "Bar".into(), printer: Some(bar_printer) };
        db.save_station(&station).unwrap();
        db.assign_station("item", "cola", Some("bar")).unwrap();
    })
    .await; // cola and cheese sticks

    async fn next_job(jobs: &mut tokio::sync::broadcast::Receiver<SimReport>) -> kiosk_sim::printer::Job {
        tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                if let Ok(SimReport::Printed(job)) = jobs.recv().await {
                    return job;
                }
            }
        })
        .await
        .expect("a ticket prints")
    }
    let (at_bar, in_kitchen) =
        (next_job(&mut bar_jobs).await.text(), next_job(&mut kitchen_jobs).await.text());
    let number = format!("{:04}", order.number);
    assert!(at_bar.contains("[Bar]") && at_bar.contains(&number) && at_bar.contains("콜라"), "{at_bar}");
    assert!(!at_bar.contains("치즈스틱"), "the bar's ticket has only the bar's lines: {at_bar}");
    assert!(in_kitchen.contains(&number) && in_kitchen.contains("치즈스틱"), "{in_kitchen}");
    assert!(!in_kitchen.contains("콜라"), "the kitchen's ticket has no bar lines: {in_kitchen}");
    server.stop().await;
}

/// A fake POS that answers every request with `answer` (raw HTTP).
async fn fake_pos(answer: &'static str) -> std::net::SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                while let Ok(n) = s.read(&mut buf).await {
                    if n == 0 || s.write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

#[tokio::test]
async fn a_malformed_pos_reply_keeps_the_order_queued_and_a_bad_menu_keeps_the_last_good_one() {
    // "201 Created" with a body that is not the promised JSON: the POS may have the order,
    // so it stays queued for the same key.
    let addr =
        fake_pos("HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n{oops")
            .await;
    let link = std::sync::Arc::new(
        kiosk_pos::link_client::KioskLinkClient::new(
            &format!("http://{addr}"),
            "t",
            None,
            Default::default(),
        )
        .unwrap(),
    );
    let store = shared(Store::open_in_memory().unwrap());
    let order = store.with(|s| commit_order(s, &example_menu(), 1, 1_000));
    let (worker, _handle) = OutboxWorker::new(store.clone(), link.clone(), Backoff::default());
    worker.pass().await.unwrap();
    let status = store.with(move |s| s.outbox_status(order.id)).unwrap();
    assert!(
        matches!(&status, Some(OutboxStatus::Queued { attempts: 1, last_error: Some(e) }) if e.contains("cannot read")),
        "{status:?}"
    );

    // A menu with a negative price from the POS: refused, the stored menu stays.
    let mut bad = serde_json::to_value(example_menu()).unwrap();
    bad["version"] = serde_json::json!("broken-1");
    bad["items"][0]["price"] = serde_json::json!(-100);
    let body: &'static str = Box::leak(bad.to_string().into_boxed_str());
    let answer: &'static str = Box::leak(
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_boxed_str(),
    );
    let addr = fake_pos(answer).await;
    let link = std::sync::Arc::new(
        kiosk_pos::link_client::KioskLinkClient::new(
            &format!("http://{addr}"),
            "t",
            None,
            Default::default(),
        )
        .unwrap(),
    );
    store.with(|s| s.save_menu(&example_menu(), "file", kiosk_store::Actor::Operator, 0)).unwrap();
    let (sync, _view) = PosSync::new(store.clone(), link, None, stored_sold_out(&store).await);
    let err = sync.refresh_menu().await.unwrap_err();
    assert!(err.to_string().contains("last good menu stays"), "{err}");
    assert_eq!(store.with(|s| s.menu_version()).unwrap().as_deref(), Some(example_menu().version.as_str()));
}
