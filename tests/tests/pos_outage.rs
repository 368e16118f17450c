//! A long POS outage with thousands of orders queued, then recovery through a faulty LAN:
//! every order reaches the store server exactly once, in commit order, and the device sends
//! an order again only when a fault kept the answer to its last attempt from it (the fault
//! proxy's log of every submission).
//!
//! `KIOSK_OUTAGE_ORDERS` sets the backlog (default 2,000).

use std::sync::Arc;
use std::time::{Duration, Instant};

use kiosk_app::pos::delivery::{Backoff, OutboxWorker};
use kiosk_domain::OrderState;
use kiosk_link::http::Timeouts;
use kiosk_pos::link_client::KioskLinkClient;
use kiosk_store::Store;
use kiosk_tests::example_menu;
use kiosk_tests::fault_proxy::{FaultProxy, Faults, resends};
use kiosk_tests::pos::{TestServer, WithStore, commit_order, shared};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_outage_then_a_faulty_lan_delivers_every_order_once_in_commit_order() {
    let backlog: u32 =
        std::env::var("KIOSK_OUTAGE_ORDERS").ok().and_then(|v| v.parse().ok()).unwrap_or(2_000);
    let seed: u64 = std::env::var("KIOSK_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(0x6b696f736b);
    let server = TestServer::start(None).await;
    let proxy = FaultProxy::start(server.handle.addr, seed).await;
    proxy.set_down(true);

    let dir = tempfile::tempdir().unwrap();
    let store = shared(Store::open(dir.path().join("kiosk.db")).unwrap());
    // Short timeouts so a delayed request becomes an ambiguous one now and then.
    let timeouts = Timeouts { connect: Duration::from_millis(500), request: Duration::from_millis(800) };
    let link = Arc::new(
        KioskLinkClient::new(&format!("http://{}", proxy.addr), &server.device_token, None, timeouts)
            .unwrap(),
    );
    let backoff = Backoff { base: Duration::from_millis(20), cap: Duration::from_millis(400) };
    let (worker, handle) = OutboxWorker::new(store.clone(), link, backoff);
    let worker = tokio::spawn(worker.run());

    // The outage: orders keep being taken and queue up.
    let menu = example_menu();
    let started = Instant::now();
    let mut committed = Vec::with_capacity(backlog as usize);
    for n in 0..backlog {
        let menu = menu.clone();
        let order = store.with(move |s| commit_order(s, &menu, n, 1_000 + n as i64));
        committed.push(order.id.to_string());
        handle.order_committed();
    }
    let took_orders = started.elapsed();
    assert_eq!(
        store.with(|s| s.outbox_pending_count()).unwrap(),
        backlog as u64,
        "nothing delivered while down"
    );
    assert!(server.db().orders(0, 10).unwrap().is_empty());

    // The outage lasts until the device has found the POS gone (a busy commit loop can keep
    // the worker from its first attempt for a while on a loaded machine).
    use std::sync::atomic::Ordering::Relaxed;
    let t = Instant::now();
    while proxy.counts.refused.load(Relaxed) == 0 {
        assert!(t.elapsed() < Duration::from_secs(30), "the worker never tried while the POS was down");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Back, through a LAN that drops, delays, duplicates and resets.
    proxy.set_faults(Faults {
        drop: 3,
        reset_after: 3,
        duplicate: 3,
        delay: 1,
        delay_for: Duration::from_millis(1_000),
    });
    proxy.set_down(false);
    handle.pos_reachable();
    let recovery = Instant::now();
    let mut view = handle.view();
    let limit = Duration::from_secs(240);
    while view.borrow().queued > 0 || view.borrow().delivered_total < backlog as u64 {
        assert!(recovery.elapsed() < limit, "still {} queued after {limit:?}", view.borrow().queued);
        let _ = tokio::time::timeout(Duration::from_millis(200), view.changed()).await;
    }
    let drained = recovery.elapsed();
    worker.abort();

    let received = server.db().orders(0, u32::MAX).unwrap();
    let ids: Vec<String> = received.iter().map(|o| o.order_id.clone()).collect();
    assert_eq!(received.len(), committed.len(), "server count equals device count");
    assert_eq!(ids, committed, "every order exactly once, in commit order");
    let duplicates: u32 = received.iter().map(|o| o.duplicates).sum();
    // Delivery is once from the device's side too: every re-send follows an attempt that a
    // fault cut, dropped, delayed past the device's 800 ms timeout, or left unanswered.
    let log = resends(&proxy.attempts(), &[], timeouts.request / 2);
    assert!(
        log.unexplained.is_empty(),
        "{} needless re-sends: {:#?}",
        log.unexplained.len(),
        log.unexplained
    );
    for o in &received {
        let copies = log.extra_copies.get(&format!("order {}", o.order_id)).copied().unwrap_or(0);
        assert!(
            o.duplicates <= copies,
            "order {}: the server counts {} extra copies, the LAN carried {copies}",
            o.order_id,
            o.duplicates
        );
    }
    let attempts = proxy.attempts();
    let sent: std::collections::BTreeSet<&str> =
        attempts.iter().filter_map(|a| a.key.strip_prefix("order ")).collect();
    assert_eq!(sent.len(), backlog as usize, "the proxy saw every order");
    store.with(|store| {
        assert_eq!(store.outbox_pending_count().unwrap(), 0);
        assert!(store.outbox_set_aside_list().unwrap().is_empty(), "nothing refused");
        assert!(store.orders_in(&[OrderState::Committed, OrderState::SentToPos]).unwrap().is_empty());
    });
    println!(
        "outage: {backlog} orders taken in {:.1} s while the POS was down; drained in {:.1} s through faults ({}); \
         the device re-sent {} times, each after a fault; the server saw {duplicates} copies of orders it already had \
         and stored each order once, in commit order",
        took_orders.as_secs_f64(),
        drained.as_secs_f64(),
        proxy.counts.summary(),
        log.resends
    );
    let c = &proxy.counts;
    assert!(c.refused.load(Relaxed) > 0 && c.reset_after.load(Relaxed) > 0 && c.dropped.load(Relaxed) > 0);
    server.handle.stop().await;
}
