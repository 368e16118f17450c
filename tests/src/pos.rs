//! Helpers for the POS link tests: a reference store server on loopback with its tokens,
//! and committed orders in a device store.

use std::path::PathBuf;

use kiosk_app::store_thread::StoreHandle;
use kiosk_domain::{Cart, Menu, Order, OrderId, OrderKind, Selection, Service, Settlement, TableId};
use kiosk_link::http::Timeouts;
use kiosk_pos::link_client::KioskLinkClient;
use kiosk_store::{Actor, Store};
use kiosk_store_server::db::ServerDb;
use kiosk_store_server::{ServeOptions, ServerHandle, start};

pub struct TestServer {
    pub handle: ServerHandle,
    pub db_path: PathBuf,
    pub device_token: String,
    pub second_device_token: String,
    pub admin_token: String,
    _dir: tempfile::TempDir,
}

impl TestServer {
    /// A server on 127.0.0.1 with the example menu, two device tokens and an admin token.
    pub async fn start(tls: Option<(Vec<u8>, Vec<u8>)>) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let db_path = dir.path().join("pos.sqlite");
        let (device_token, second_device_token, admin_token) = {
            let mut db = ServerDb::open(&db_path).unwrap();
            (
                db.issue_token("kiosk-1", false).unwrap(),
                db.issue_token("table-7", false).unwrap(),
                db.issue_token("staff", true).unwrap(),
            )
        };
        let menu = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../kiosk-app/data/menu.example.json"));
        let handle = start(ServeOptions {
            db: db_path.clone(),
            listen: "127.0.0.1:0".parse().unwrap(),
            menu: Some(menu),
            kitchen_printer: None,
            tls,
            backups: None,
        })
        .await
        .unwrap();
        TestServer { handle, db_path, device_token, second_device_token, admin_token, _dir: dir }
    }

    pub fn url(&self) -> String {
        let scheme = if self.handle.tls_pin.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.handle.addr)
    }

    pub fn client(&self, token: &str) -> KioskLinkClient {
        KioskLinkClient::new(&self.url(), token, self.handle.tls_pin.as_deref(), Timeouts::default()).unwrap()
    }

    /// The server's database, opened beside the running server (as the CLI does).
    pub fn db(&self) -> ServerDb {
        ServerDb::open(&self.db_path).unwrap()
    }
}

/// A pay-at-counter kiosk order with two lines, created and committed (so it is in the
/// outbox). `n` varies the quantities so payloads differ.
pub fn commit_order(store: &mut Store, menu: &Menu, n: u32, now_ms: i64) -> Order {
    let kind = OrderKind::Kiosk { service: Service::TakeOut };
    commit(store, menu, n, kind, Settlement::PayAtCounter, now_ms)
}

/// Round `round` of `table`'s tab, committed unpaid.
pub fn commit_round(store: &mut Store, menu: &Menu, table: &str, round: u32, now_ms: i64) -> Order {
    let kind = OrderKind::Table { table: TableId(table.into()), guests: 2, round };
    commit(store, menu, round, kind, Settlement::Tab, now_ms)
}

fn commit(
    store: &mut Store,
    menu: &Menu,
    n: u32,
    kind: OrderKind,
    settlement: Settlement,
    now_ms: i64,
) -> Order {
    let mut cart = Cart::default();
    cart.add(menu, Selection::of("cola", 1 + n % 3), None).unwrap();
    cart.add(menu, Selection::of("cheese-sticks", 1), None).unwrap();
    let mut order =
        Order::from_cart(OrderId(uuid::Uuid::new_v4()), 0, kind, settlement, &cart, menu, now_ms).unwrap();
    store.create_order(&mut order, "2026-11-22", Actor::Customer, now_ms).unwrap();
    store.commit_order(order.id, &[], Actor::System, now_ms).unwrap();
    order
}

/// The store on its thread, as the firmware runs it.
pub fn shared(store: Store) -> StoreHandle {
    StoreHandle::spawn(store)
}

/// A test's synchronous look at the store thread's store, from anywhere (an async test's
/// closures included): the call waits on a thread of its own, never on the runtime's.
pub trait WithStore {
    fn with<R: Send + 'static>(&self, f: impl FnOnce(&mut Store) -> R + Send + 'static) -> R;
}

impl WithStore for StoreHandle {
    fn with<R: Send + 'static>(&self, f: impl FnOnce(&mut Store) -> R + Send + 'static) -> R {
        let handle = self.clone();
        std::thread::spawn(move || handle.run_blocking(f)).join().expect("the store call panicked")
    }
}
