//! Backups while the server runs: daily copies rotate, each is a whole database, and a store
//! restored from one serves the orders it held.

use std::time::{Duration, Instant};

use kiosk_domain::{Cart, Menu, Order, OrderForPos, OrderId, OrderKind, Selection, Service, Settlement};
use kiosk_store_server::db::ServerDb;
use kiosk_store_server::{Backups, ServeOptions, start};

fn order(menu: &Menu, n: u128) -> OrderForPos {
    let mut cart = Cart::default();
    cart.add(menu, Selection::of("cola", 1), None).unwrap();
    let kind = OrderKind::Kiosk { service: Service::TakeOut };
    let order = Order::from_cart(
        OrderId(uuid::Uuid::from_u128(n)),
        n as u32,
        kind,
        Settlement::Prepaid,
        &cart,
        menu,
        0,
    )
    .unwrap();
    OrderForPos { order, payment: None, receipt_token: None }
}

fn backups_in(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "db"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daily_backups_rotate_and_a_store_restored_from_one_serves_its_orders() {
    let dir = tempfile::tempdir().unwrap();
    let (db, backup_dir) = (dir.path().join("store.db"), dir.path().join("backups"));
    let menu: Menu = serde_json::from_str(include_str!("../../data/menu.example.json")).unwrap();
    {
        let mut db = ServerDb::open(&db).unwrap();
        db.load_menu(menu.clone()).unwrap();
    }
    let backups = Backups { dir: backup_dir.clone(), keep: 2, every: Duration::from_millis(300) };
    let server = start(ServeOptions {
        db: db.clone(),
        listen: "127.0.0.1:0".parse().unwrap(),
        menu: None,
        kitchen_printer: None,
        tls: None,
        backups: Some(backups),
    })
    .await
    .unwrap();
    // Orders keep arriving while the copies are taken.
    let writer = {
        let (db, menu) = (db.clone(), menu.clone());
        tokio::task::spawn_blocking(move || {
            let mut db = ServerDb::open(&db).unwrap();
            for n in 1..=60u128 {
                db.receive_order("kiosk-1", &order(&menu, n)).unwrap();
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = std::collections::BTreeSet::new();
    while seen.len() < 4 {
        seen.extend(backups_in(&backup_dir));
        assert!(Instant::now() < deadline, "only {} backups in 20 s", seen.len());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    writer.await.unwrap();
    server.stop().await;
    let kept = backups_in(&backup_dir);
    assert_eq!(kept.len(), 2, "the newest two kept: {kept:?}");
    let partial = std::fs::read_dir(&backup_dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .any(|e| e.path().extension().is_some_and(|x| x == "partial"));
    assert!(!partial, "no half-written copy is left behind");

    // Restore: the newest copy as the store's database.
    let newest = kept.last().unwrap();
    let copied = ServerDb::open(newest).unwrap().orders(0, 1000).unwrap().len();
    assert!(copied > 0, "the copy holds the orders taken before it");
    let restored = dir.path().join("restored.db");
    std::fs::copy(newest, &restored).unwrap();
    let server = start(ServeOptions {
        db: restored.clone(),
        listen: "127.0.0.1:0".parse().unwrap(),
        menu: None,
        kitchen_printer: None,
        tls: None,
        backups: None,
    })
    .await
    .unwrap();
    let mut db = ServerDb::open(&restored).unwrap();
    assert_eq!(db.orders(0, 1000).unwrap().len(), copied);
    // A re-send of an order the copy holds is a duplicate, not a second order.
    let again = db.receive_order("kiosk-1", &order(&menu, 1)).unwrap().0;
    assert_eq!(again, kiosk_link::wire::SubmitStatus::Duplicate);
    // And a manual backup of the running store is whole too.
    let manual = dir.path().join("manual.db");
    db.backup_to(&manual).unwrap();
    assert_eq!(ServerDb::open(&manual).unwrap().orders(0, 1000).unwrap().len(), copied);
    server.stop().await;
}
