//! Helpers shared by the kiosk-app integration tests (and the UI benchmark). Each binary
//! uses a part of them.
#![allow(dead_code)]

use kiosk_domain::{Cart, Menu, Order, OrderId, OrderKind, Selection, Service, Settlement};

/// A take-out order of `colas` colas, not yet stored.
pub fn cola_order(menu: &Menu, colas: u32, settlement: Settlement, now_ms: i64) -> Order {
    let mut cart = Cart::default();
    cart.add(menu, Selection::of("cola", colas), None).unwrap();
    let kind = OrderKind::Kiosk { service: Service::TakeOut };
    Order::from_cart(OrderId(uuid::Uuid::new_v4()), 0, kind, settlement, &cart, menu, now_ms).unwrap()
}

/// A device configuration with its data in `dir`: `role`, the `[ui]` lines, and any
/// further sections (`[table]`, `[devices.…]`).
pub fn device_config(dir: &std::path::Path, role: &str, ui: &str, more: &str) -> kiosk_app::config::Config {
    let text = format!(
        r#"
role = "{role}"
data_dir = "{}"
time_zone = "Asia/Seoul"
[store]
id = "t"
name = "테스트 카페"
business_number = "123-45-67891"
address = "서울"
[ui]
{ui}
{more}
[operator]
pin_hash = "$argon2id$v=19$m=19456,t=2,p=1$85yF9bV0iF6OLtae5+NoQg$Zw/m+KgIdB25JbPsVDIkwd8EvD2yEoVjqMIi+nDmEBM"
"#,
        dir.display()
    );
    kiosk_app::config::Config::parse(&text).unwrap_or_else(|e| panic!("{e:?}"))
}

/// A kiosk with no devices and no POS that takes payment at the counter, its data in `dir`.
pub fn counter_kiosk(dir: &std::path::Path) -> kiosk_app::config::Config {
    device_config(dir, "kiosk", r#"payment_methods = ["counter"]"#, "")
}

/// Pumps a screen's shell until the work it asked for is done.
pub fn settle(shell: &kiosk_app::screen::shell::Shell) {
    let settled = shell.settle(std::time::Duration::from_secs(30));
    assert!(settled, "the UI did not settle on {:?}", shell.view().page);
}

/// A message of the UI's catalogue in Korean.
pub fn ko(msgid: &str) -> String {
    kiosk_ui::translate("ko", msgid)
}

/// Presses the control with this accessible label, and waits for what it asked for.
pub fn press(shell: &kiosk_app::screen::shell::Shell, label: &str) {
    kiosk_ui::headless::press(shell.window(), label).unwrap_or_else(|e| panic!("{label}: {e:?}"));
    settle(shell);
}

/// Pumps the screen until `done` holds, for at most `limit`.
pub fn wait_until(
    shell: &kiosk_app::screen::shell::Shell,
    limit: std::time::Duration,
    what: &str,
    done: impl Fn(&kiosk_app::screen::shell::Shell) -> bool,
) {
    let deadline = std::time::Instant::now() + limit;
    while !done(shell) {
        assert!(std::time::Instant::now() < deadline, "{what}: still on {:?}", shell.view().page);
        std::thread::sleep(std::time::Duration::from_millis(20));
        shell.pump();
    }
}

/// Presses without waiting for the work it asks for (a charge waits for the customer).
pub fn tap(shell: &kiosk_app::screen::shell::Shell, label: &str) {
    kiosk_ui::headless::press(shell.window(), label).unwrap_or_else(|e| panic!("{label}: {e:?}"));
    shell.pump();
}

/// The device of `config` on the demo menu, behind its screen: the data directory made,
/// the menu stored as after a first sync, the device started and its shell on `runtime`.
/// Returns the shell and the device's store.
pub fn demo_device(
    config: &kiosk_app::config::Config,
    runtime: &tokio::runtime::Handle,
) -> (std::rc::Rc<kiosk_app::screen::shell::Shell>, kiosk_app::store_thread::StoreHandle) {
    std::fs::create_dir_all(&config.data_dir).unwrap();
    let menu: Menu = serde_json::from_str(include_str!("../../data/demo-menu.json")).unwrap();
    kiosk_store::Store::open(config.database_path())
        .unwrap()
        .save_menu(&menu, "test", kiosk_store::Actor::System, 0)
        .unwrap();
    let device = kiosk_app::device::start(config).unwrap();
    let store = device.runner.store.clone();
    let photos = kiosk_app::screen::photos::Photos::new(None);
    let shell =
        kiosk_app::screen::shell::Shell::new(config, device.runner, device.feeds, photos, runtime.clone())
            .unwrap();
    (shell, store)
}

/// The store server on `db`, on a free loopback port, with nothing else configured.
pub fn start_store_server(
    runtime: &tokio::runtime::Runtime,
    db: &std::path::Path,
) -> kiosk_store_server::ServerHandle {
    start_store_server_with_kitchen(runtime, db, None)
}

/// The store server on `db`, printing kitchen tickets on `kitchen_printer`.
pub fn start_store_server_with_kitchen(
    runtime: &tokio::runtime::Runtime,
    db: &std::path::Path,
    kitchen_printer: Option<kiosk_drivers::transport::Endpoint>,
) -> kiosk_store_server::ServerHandle {
    let options = kiosk_store_server::ServeOptions {
        db: db.to_owned(),
        listen: "127.0.0.1:0".parse().unwrap(),
        menu: None,
        kitchen_printer,
        tls: None,
        backups: None,
    };
    runtime.block_on(kiosk_store_server::start(options)).unwrap()
}

/// A card kiosk on the demo menu with its printer and card terminal simulators on PTYs,
/// linked to the store server at `server` with `token`, up and on its attract screen.
pub struct LinkedKiosk {
    pub shell: std::rc::Rc<kiosk_app::screen::shell::Shell>,
    pub store: kiosk_app::store_thread::StoreHandle,
    pub printer: kiosk_sim::printer::server::RunningSim,
    pub terminal: kiosk_sim::terminal::server::TerminalSim,
    /// The device's data directory.
    pub data: std::path::PathBuf,
}

pub fn linked_kiosk(
    dir: &std::path::Path,
    server: std::net::SocketAddr,
    token: &str,
    runtime: &tokio::runtime::Runtime,
) -> LinkedKiosk {
    linked_kiosk_with(dir, server, token, runtime, "")
}

/// As [`linked_kiosk`], with more `[ui]` lines (the languages offered).
pub fn linked_kiosk_with(
    dir: &std::path::Path,
    server: std::net::SocketAddr,
    token: &str,
    runtime: &tokio::runtime::Runtime,
    ui: &str,
) -> LinkedKiosk {
    use kiosk_sim::printer::server::{SimOptions, spawn_pty as spawn_printer};
    use kiosk_sim::terminal::server::{TerminalSimOptions, spawn_pty as spawn_terminal};
    let printer = spawn_printer(&dir.join("ttyPRINTER"), SimOptions::default()).unwrap();
    let terminal = spawn_terminal(&dir.join("ttyTERMINAL"), TerminalSimOptions::default()).unwrap();
    let data = dir.join("kiosk");
    let config = device_config(
        &data,
        "kiosk",
        &format!("payment_methods = [\"card\"]\n{ui}"),
        &format!(
            "[devices.printer]\nport = \"{}\"\nbaud = 115200\ncjk_glyphs = \"{}\"\n\
             [devices.terminal]\nprotocol = \"smartro\"\nport = \"{}\"\nbaud = 115200\n\
             [pos]\nadapter = \"kiosk-link\"\nurl = \"http://{server}\"\ntoken = \"{token}\"",
            dir.join("ttyPRINTER").display(),
            kiosk_sim::printer::model::CJK_GLYPHS,
            dir.join("ttyTERMINAL").display(),
        ),
    );
    let (shell, store) = demo_device(&config, runtime.handle());
    // Until both the printer and the terminal are up, the kiosk says it is out of service.
    wait_until(&shell, std::time::Duration::from_secs(10), "the printer and terminal did not come up", |s| {
        if s.view().page == kiosk_session::Page::Problem {
            let _ = kiosk_ui::headless::press(s.window(), &ko("OK"));
        }
        s.view().card_available && s.view().page == kiosk_session::Page::Attract
    });
    LinkedKiosk { shell, store, printer, terminal, data }
}

/// From the attract screen to the menu, in Korean, to take out.
pub fn start_order_ko(shell: &kiosk_app::screen::shell::Shell) {
    press(shell, &ko("Touch to order"));
    press(shell, "한국어");
    press(shell, &ko("Take out"));
}

/// An iced regular americano, opened from the coffee menu (its options chosen; not added).
pub fn open_iced_americano(shell: &kiosk_app::screen::shell::Shell) {
    press(shell, "커피");
    press(shell, "아메리카노, 4,500원");
    press(shell, "아이스");
    press(shell, "레귤러");
}

/// Log lines caught in memory (a `tracing` writer), for tests that scan them.
#[derive(Clone, Default)]
pub struct Captured(pub std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
