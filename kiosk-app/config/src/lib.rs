//! The device configuration: one TOML file, checked as a whole.
//!
//! [`Config::parse`] reports every problem at once, each with its dotted key and line, and
//! treats unknown keys as errors (a misspelt key must not silently fall back to a default).
//! `kiosk check-config FILE` prints them; the image's first-boot provisioning uses the same
//! checker.

mod reader;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use argon2::{PasswordHash, PasswordVerifier};
use kiosk_domain::Lang;
use toml_edit::{ImDocument, Value};

pub use reader::ConfigError;
use reader::{Reader, Section, boolean, int_in, millimetres_pair, non_empty, one_of, string, strings};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A self-service kiosk: customers order and pay.
    Kiosk,
    /// A tablet fixed to a table: diners order rounds onto a running tab.
    Table,
}

impl Role {
    /// The role as the configuration names it.
    pub fn as_str(self) -> &'static str {
        ROLES.iter().find(|(_, role)| *role == self).map_or("kiosk", |(name, _)| name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub role: Role,
    /// Where the database and logs live (a writable partition on the device).
    pub data_dir: PathBuf,
    /// IANA time zone of the store, for business days and time-of-day menus.
    pub time_zone: String,
    pub store: StoreInfo,
    /// The table this device sits on; set for role `table` (unless it is still to be scanned).
    pub table_number: Option<String>,
    /// `[table] number = "scan"` in a provisioning file: the installer scans the table's QR
    /// code at first boot (`kiosk provision`), which writes the number in.
    pub table_number_by_scan: bool,
    pub network: NetworkConfig,
    pub ui: UiConfig,
    pub devices: Devices,
    pub pos: PosConfig,
    pub receipt: ReceiptConfig,
    pub operator: OperatorConfig,
    /// `[fleet]`: the chain's rollout server; without the section no agent runs.
    pub fleet: Option<FleetConfig>,
    /// `[telemetry]`: the chain's MQTT broker; without the section nothing is published.
    pub telemetry: Option<TelemetryConfig>,
}

/// `[fleet]`: the device polls a hawkBit rollout server (DDI API) for updates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetConfig {
    /// `http://HOST:PORT` or `https://…` (its certificate pinned by `tls_pin_sha256`, or
    /// else checked against the system's CA roots).
    pub server: String,
    pub tenant: String,
    /// This device's name on the server; default `{store id}-{role}-{table or "kiosk"}`.
    pub controller_id: String,
    pub auth: FleetAuth,
    pub tls_pin_sha256: Option<String>,
    /// Restart into an installed update while the store is open (never during a session);
    /// otherwise only once it closes, unless the server forces the update.
    pub restart_while_open: bool,
}

/// `[telemetry]`: the device's health, published to an MQTT broker under
/// `kiosk/{store}/{device}/…` (docs/telemetry.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelemetryConfig {
    /// The broker's host and port.
    pub host: String,
    pub port: u16,
    /// `mqtts://`: TLS, the broker's certificate pinned by `tls_pin_sha256` or else checked
    /// against the system's CA roots.
    pub tls: bool,
    pub tls_pin_sha256: Option<String>,
    /// The device's topic level, unique in its store; default `kiosk`, or `table-N` on a
    /// table (a store with two kiosks names them).
    pub device: String,
    /// This device's own credentials on the broker, and its MQTT client id; default user
    /// `{store id}-{device}`.
    pub username: String,
    pub password: Option<String>,
    /// The most messages kept while the broker is away; the oldest events go first.
    pub queue: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FleetAuth {
    /// The server lets devices in without a token (goosebit's default; a test setup).
    None,
    /// `Authorization: TargetToken …`: this device's own token.
    Target(String),
    /// `Authorization: GatewayToken …`: the tenant's shared token.
    Gateway(String),
}

/// `[network]`: how the device reaches the store's LAN. Wired Ethernet needs nothing here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkConfig {
    pub wifi: Option<Wifi>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wifi {
    pub ssid: String,
    /// The WPA2 passphrase (8 to 63 characters) or the 64-hex-digit key.
    pub psk: String,
    /// ISO 3166 country code for the radio's channels and power ("KR").
    pub country: String,
}

/// What receipts must show about the business (Korean receipts: 상호, 사업자등록번호, 대표자, 주소).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreInfo {
    pub id: String,
    pub name: String,
    /// 사업자등록번호 as `NNN-NN-NNNNN`, check digit verified.
    pub business_number: String,
    pub representative: Option<String>,
    pub address: String,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentMethodConfig {
    Card,
    Wallet,
    Counter,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderType {
    DineIn,
    TakeOut,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UiConfig {
    pub languages: Vec<Lang>,
    pub default_language: Lang,
    pub idle_timeout: Duration,
    pub idle_warning: Duration,
    /// Kiosk only: which of dine-in / take-out are offered.
    pub order_types: Vec<OrderType>,
    pub payment_methods: Vec<PaymentMethodConfig>,
    /// Table only: rounds go onto the tab and are paid at the end (`true`), or each round
    /// is paid when ordered.
    pub postpay: bool,
    /// Low reach: the lowest part of a portrait screen that holds every control, in percent.
    pub low_reach_percent: u8,
    /// The panel's visible width and height in millimetres, taken before its EDID (the Pi's
    /// DSI touch screens report none, some HDMI boards a wrong one); text and touch targets are
    /// sized in millimetres.
    pub panel_mm: Option<(u16, u16)>,
    /// The speech program of the voice guidance (espeak-ng); `None`: no voice.
    pub speech: Option<std::path::PathBuf>,
    /// The tactile keypad's event device (a USB keypad; build feature `hid`).
    pub keypad: Option<std::path::PathBuf>,
}

/// How a device is reached: the drivers' own type, so nothing is translated.
pub use kiosk_drivers::transport::{Endpoint as Link, FlowControl};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paper {
    Mm80,
    Mm58,
}

/// What the kiosk does while a required device is down.
pub use kiosk_domain::WhenDown;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrinterConfig {
    pub link: Link,
    pub paper: Paper,
    pub required: bool,
    pub when_down: WhenDown,
    /// The receipt glyphs for Chinese and Japanese (the image's
    /// `/usr/share/kiosk/receipt-font-cjk-24.bin`), read when a receipt first needs them.
    pub cjk_glyphs: PathBuf,
}

/// Where the image puts the receipt's Chinese and Japanese glyphs.
pub const CJK_GLYPHS: &str = "/usr/share/kiosk/receipt-font-cjk-24.bin";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TerminalProtocol {
    Smartro,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalConfig {
    pub protocol: TerminalProtocol,
    pub link: Link,
    pub required: bool,
    pub when_down: WhenDown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suffix {
    Cr,
    CrLf,
    None,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannerConfig {
    pub link: Link,
    pub suffix: Suffix,
    pub prefix: Option<String>,
    pub aim_ids: bool,
    pub required: bool,
}

/// A GPIO line: BCM pin number and whether it is active low (a switch to ground).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinConfig {
    pub bcm: u8,
    pub active_low: bool,
}

/// GPIO peripherals; every one optional.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GpioConfig {
    pub presence: Option<PinConfig>,
    pub call_button: Option<PinConfig>,
    pub door: Option<PinConfig>,
    /// The headphone jack's detect switch (plugging in starts the voice mode).
    pub earphones: Option<PinConfig>,
    pub light: Option<PinConfig>,
    pub buzzer: Option<PinConfig>,
}

impl GpioConfig {
    pub fn any(&self) -> bool {
        [&self.presence, &self.call_button, &self.door, &self.earphones, &self.light, &self.buzzer]
            .iter()
            .any(|p| p.is_some())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Devices {
    pub printer: Option<PrinterConfig>,
    pub terminal: Option<TerminalConfig>,
    pub scanner: Option<ScannerConfig>,
    pub gpio: GpioConfig,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PosAdapter {
    /// No POS: orders stay in the local store (and the kitchen printer).
    None,
    /// The open "kiosk link" HTTP/JSON protocol (our reference store server speaks it).
    KioskLink,
    /// Tryton's sale_point over JSON-RPC.
    Tryton,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PosConfig {
    pub adapter: PosAdapter,
    pub url: Option<String>,
    pub token: Option<String>,
    /// SHA-256 of the POS server's certificate, hex, when TLS is pinned.
    pub tls_pin_sha256: Option<String>,
}

pub use kiosk_domain::ReceiptPolicy;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptConfig {
    pub header: Vec<String>,
    pub footer: Vec<String>,
    pub print: ReceiptPolicy,
    /// Where customers' phones reach the store server's e-receipt pages (`<link>/r/<token>`,
    /// e.g. the store server's address on the guest Wi-Fi). With it, the done page offers a
    /// receipt by QR code, and shows it when the printer cannot print one.
    pub link: Option<String>,
    /// A kiosk prints every order's number on a slip, in the transaction that commits the
    /// order, unless every order gets a receipt anyway (`print = "always"`): the customer who
    /// declines a receipt, or pays at the counter, still walks away with the number.
    pub order_slip: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorConfig {
    /// Argon2 PHC string of the operator PIN.
    pub pin_hash: String,
}

impl OperatorConfig {
    pub fn verify_pin(&self, pin: &str) -> bool {
        PasswordHash::new(&self.pin_hash)
            .is_ok_and(|hash| argon2::Argon2::default().verify_password(pin.as_bytes(), &hash).is_ok())
    }
}

/// Hashes an operator PIN for the config file (argon2id, random salt).
pub fn hash_pin(pin: &str) -> Result<String, argon2::password_hash::Error> {
    use password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
    let salt = SaltString::generate(&mut OsRng);
    Ok(argon2::Argon2::default().hash_password(pin.as_bytes(), &salt)?.to_string())
}

/// Why a configuration file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {path}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path} has {} problem(s):\n{}", .errors.len(), render(.path, .errors))]
    Invalid { path: PathBuf, errors: Vec<ConfigError> },
}

/// Every problem on its own indented line as `FILE:LINE: key: message`, the form editors
/// and installers jump to.
pub fn render(path: &Path, errors: &[ConfigError]) -> String {
    errors.iter().map(|e| format!("  {}:{e}", path.display())).collect::<Vec<_>>().join("\n")
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, LoadError> {
        let src =
            std::fs::read_to_string(path).map_err(|source| LoadError::Read { path: path.into(), source })?;
        Config::parse(&src).map_err(|errors| LoadError::Invalid { path: path.into(), errors })
    }

    /// Parses and checks a whole file; on failure returns every problem, in file order.
    pub fn parse(src: &str) -> Result<Config, Vec<ConfigError>> {
        let doc = match ImDocument::parse(src) {
            Ok(doc) => doc,
            Err(e) => {
                let r = Reader::new(src);
                let line = r.line_of(e.span());
                let message = e.message().trim().replace('\n', "; ");
                return Err(vec![ConfigError { key: String::new(), line, message }]);
            }
        };
        let mut r = Reader::new(src);
        let mut root = Section::root(doc.as_table());
        let config = read(&mut r, &mut root);
        root.finish(&mut r);
        match config {
            Some(config) if r.errors.is_empty() => Ok(config),
            _ => {
                let mut errors = r.errors;
                errors.sort_by_key(|e| e.line);
                Err(errors)
            }
        }
    }

    /// Directory of the database file.
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("kiosk.db")
    }
}

const ROLES: &[(&str, Role)] = &[("kiosk", Role::Kiosk), ("table", Role::Table)];
const BAUDS: &[i64] = &[1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200];

fn read(r: &mut Reader, root: &mut Section) -> Option<Config> {
    let role = root.required(r, "role", one_of(ROLES));
    let data_dir =
        root.value(r, "data_dir", non_empty).map_or_else(|| PathBuf::from("/var/lib/kiosk"), PathBuf::from);
    let time_zone = root.value(r, "time_zone", time_zone).unwrap_or_else(|| "Asia/Seoul".to_owned());

    let mut store = root.table(r, "store");
    let store_info = read_store(r, &mut store);
    store.finish(r);

    let mut table = root.table(r, "table");
    let table_number = table.value(r, "number", non_empty);
    let table_number_by_scan = table_number.as_deref() == Some(TABLE_NUMBER_BY_SCAN);
    let table_number = table_number.filter(|_| !table_number_by_scan);
    match role {
        Some(Role::Table) if table_number.is_none() && !table.has("number") => r.error(
            "table.number",
            table.span(),
            "missing; a table device needs its table number ([table] number = \"12\")",
        ),
        Some(Role::Kiosk) if table.present() => {
            r.error("table", table.span(), "only for role = \"table\"; remove it or change the role")
        }
        _ => {}
    }
    table.finish(r);

    let mut network = root.table(r, "network");
    let network_config = read_network(r, &mut network);
    network.finish(r);

    let mut ui = root.table(r, "ui");
    let ui_config = read_ui(r, &mut ui, role);
    let payment_methods_span = ui.span_of("payment_methods").or_else(|| ui.span());
    ui.finish(r);

    let mut devices = root.table(r, "devices");
    let counter =
        ui_config.as_ref().is_none_or(|ui| ui.payment_methods.contains(&PaymentMethodConfig::Counter));
    let devices_config = read_devices(r, &mut devices, counter);
    devices.finish(r);

    if let (Some(ui), Some(devices)) = (&ui_config, &devices_config) {
        let pays_at_device = ui
            .payment_methods
            .iter()
            .any(|m| matches!(m, PaymentMethodConfig::Card | PaymentMethodConfig::Wallet));
        if pays_at_device && devices.terminal.is_none() && !(role == Some(Role::Table) && ui.postpay) {
            r.error(
                "ui.payment_methods",
                payment_methods_span.clone(),
                "card or wallet payment needs a payment terminal: add [devices.terminal] or offer only \"counter\"",
            );
        }
    }

    let mut pos = root.table(r, "pos");
    let pos_config = read_pos(r, &mut pos);
    pos.finish(r);

    let mut receipt = root.table(r, "receipt");
    let receipt_config = ReceiptConfig {
        header: receipt.value(r, "header", strings).unwrap_or_default(),
        footer: receipt.value(r, "footer", strings).unwrap_or_default(),
        print: receipt
            .value(
                r,
                "print",
                one_of(&[
                    ("always", ReceiptPolicy::Always),
                    ("ask", ReceiptPolicy::Ask),
                    ("never", ReceiptPolicy::Never),
                ]),
            )
            .unwrap_or(ReceiptPolicy::Ask),
        link: receipt.value(r, "link", http_url),
        order_slip: receipt.value(r, "order_slip", boolean).unwrap_or(true),
    };
    receipt.finish(r);

    let mut operator = root.table(r, "operator");
    let pin_hash = operator.required(r, "pin_hash", argon2_hash);
    operator.finish(r);

    // The device's default name in the chain's engines: `kiosk`, or `table-N`; with the
    // store's id, its rollout controller id and its broker user.
    let store = store_info.as_ref().map_or("store", |s| s.id.as_str());
    let device = table_number.as_deref().map_or_else(|| "kiosk".to_owned(), |t| format!("table-{t}"));

    let mut fleet = root.table(r, "fleet");
    let fleet_config = fleet.present().then(|| read_fleet(r, &mut fleet, format!("{store}-{device}")));
    fleet.finish(r);

    let mut telemetry = root.table(r, "telemetry");
    let telemetry_config = telemetry.present().then(|| read_telemetry(r, &mut telemetry, store, device));
    telemetry.finish(r);

    Some(Config {
        role: role?,
        data_dir,
        time_zone,
        store: store_info?,
        table_number,
        table_number_by_scan,
        network: network_config?,
        ui: ui_config?,
        devices: devices_config?,
        pos: pos_config?,
        receipt: receipt_config,
        operator: OperatorConfig { pin_hash: pin_hash? },
        fleet: fleet_config.flatten(),
        telemetry: telemetry_config.flatten(),
    })
}

fn read_telemetry(
    r: &mut Reader,
    s: &mut Section,
    store: &str,
    default_device: String,
) -> Option<TelemetryConfig> {
    let broker = s.required(r, "broker", mqtt_url);
    let tls_pin_sha256 = s.value(r, "tls_pin_sha256", sha256_hex);
    let device = s.value(r, "device", store_id).unwrap_or(default_device);
    let username = s.value(r, "username", non_empty).unwrap_or_else(|| format!("{store}-{device}"));
    let password = s.value(r, "password", non_empty);
    let queue = s.value(r, "queue", int_in(16, 100_000)).map_or(1000, |n| n as usize);
    let (tls, host, port) = broker?;
    if !tls && tls_pin_sha256.is_some() {
        r.error(&s.key_path("tls_pin_sha256"), s.span_of("tls_pin_sha256"), "only for an mqtts:// broker");
        return None;
    }
    Some(TelemetryConfig { host, port, tls, tls_pin_sha256, device, username, password, queue })
}

/// `mqtt://HOST[:PORT]` (1883) or `mqtts://HOST[:PORT]` (8883): TLS, host, port.
fn mqtt_url(v: &Value) -> Result<(bool, String, u16), String> {
    let s = non_empty(v)?;
    let bad = || format!("\"{s}\" is not an mqtt://HOST[:PORT] or mqtts://HOST[:PORT] address");
    let (tls, rest) = match (s.strip_prefix("mqtt://"), s.strip_prefix("mqtts://")) {
        (Some(rest), _) => (false, rest),
        (_, Some(rest)) => (true, rest),
        _ => return Err(bad()),
    };
    let rest = rest.trim_end_matches('/');
    let default_port = if tls { 8883 } else { 1883 };
    // An IPv6 address is bracketed: [::1]:1883.
    let (host, port) = match rest.strip_prefix('[') {
        Some(v6) => {
            let (host, after) = v6.split_once(']').ok_or_else(bad)?;
            match after {
                "" => (host, None),
                _ => (host, Some(after.strip_prefix(':').ok_or_else(bad)?)),
            }
        }
        None => match rest.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (rest, None),
        },
    };
    let port = match port {
        Some(p) => p.parse::<u16>().map_err(|_| bad())?,
        None => default_port,
    };
    if host.is_empty() || host.contains(['/', '@', ' ']) || port == 0 {
        return Err(bad());
    }
    Ok((tls, host.to_owned(), port))
}

fn read_fleet(r: &mut Reader, s: &mut Section, default_id: String) -> Option<FleetConfig> {
    let server = s.required(r, "server", http_url);
    let tenant = s.value(r, "tenant", store_id).unwrap_or_else(|| "DEFAULT".to_owned());
    let controller_id = s.value(r, "controller_id", store_id).unwrap_or(default_id);
    let target = s.value(r, "target_token", non_empty);
    let gateway = s.value(r, "gateway_token", non_empty);
    let tls_pin_sha256 = s.value(r, "tls_pin_sha256", sha256_hex);
    let restart_while_open = s.value(r, "restart_while_open", boolean).unwrap_or(false);
    let auth = match (target, gateway) {
        (Some(_), Some(_)) => {
            r.error(
                &s.key_path("gateway_token"),
                s.span_of("gateway_token"),
                "give target_token or gateway_token, not both",
            );
            return None;
        }
        (Some(t), None) => FleetAuth::Target(t),
        (None, Some(g)) => FleetAuth::Gateway(g),
        (None, None) => FleetAuth::None,
    };
    let server = server?;
    if !server.starts_with("https://") && tls_pin_sha256.is_some() {
        r.error(&s.key_path("tls_pin_sha256"), s.span_of("tls_pin_sha256"), "only for an https:// server");
        return None;
    }
    Some(FleetConfig { server, tenant, controller_id, auth, tls_pin_sha256, restart_while_open })
}

/// The placeholder table number of a provisioning file: filled in by scanning at first boot.
pub const TABLE_NUMBER_BY_SCAN: &str = "scan";

fn read_network(r: &mut Reader, s: &mut Section) -> Option<NetworkConfig> {
    let ssid = s.value(r, "wifi_ssid", wifi_ssid);
    let psk = s.value(r, "wifi_psk", wifi_psk);
    let country = s.value(r, "wifi_country", country).unwrap_or_else(|| "KR".to_owned());
    match (ssid, psk) {
        (Some(ssid), Some(psk)) => Some(NetworkConfig { wifi: Some(Wifi { ssid, psk, country }) }),
        (None, None) => Some(NetworkConfig::default()),
        (Some(_), None) => {
            r.error("network.wifi_psk", s.span(), "missing; a Wi-Fi network needs its password");
            None
        }
        (None, Some(_)) => {
            r.error("network.wifi_ssid", s.span(), "missing; which network is the password for?");
            None
        }
    }
}

fn wifi_ssid(v: &Value) -> Result<String, String> {
    let ssid = non_empty(v)?;
    if ssid.len() > 32 {
        return Err(format!("{} bytes; a Wi-Fi network name has at most 32", ssid.len()));
    }
    Ok(ssid)
}

fn wifi_psk(v: &Value) -> Result<String, String> {
    let psk = string(v)?;
    let hex_key = psk.len() == 64 && psk.bytes().all(|b| b.is_ascii_hexdigit());
    let passphrase = (8..=63).contains(&psk.len()) && psk.bytes().all(|b| (0x20..0x7f).contains(&b));
    if hex_key || passphrase {
        Ok(psk)
    } else {
        Err("a WPA2 password is 8 to 63 printable ASCII characters (or a 64-digit hex key)".to_owned())
    }
}

fn country(v: &Value) -> Result<String, String> {
    let c = string(v)?;
    if c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(c)
    } else {
        Err(format!("{c:?} is not a two-letter country code such as \"KR\""))
    }
}

fn read_store(r: &mut Reader, s: &mut Section) -> Option<StoreInfo> {
    let id = s.required(r, "id", store_id);
    let name = s.required(r, "name", non_empty);
    let business_number = s.required(r, "business_number", business_number);
    let representative = s.value(r, "representative", non_empty);
    let address = s.required(r, "address", non_empty);
    let phone = s.value(r, "phone", non_empty);
    Some(StoreInfo {
        id: id?,
        name: name?,
        business_number: business_number?,
        representative,
        address: address?,
        phone,
    })
}

fn read_ui(r: &mut Reader, s: &mut Section, role: Option<Role>) -> Option<UiConfig> {
    let languages = s.value(r, "languages", languages).unwrap_or_else(|| Lang::REQUIRED.to_vec());
    let default_language = s.value(r, "default_language", language).unwrap_or(Lang::Ko);
    if !languages.contains(&default_language) {
        r.error(
            &s.key_path("default_language"),
            s.span_of("default_language"),
            format!("\"{default_language}\" is not in ui.languages"),
        );
    }
    let idle_timeout = s.value(r, "idle_timeout_s", int_in(15, 3600)).unwrap_or(90);
    let idle_warning = s.value(r, "idle_warning_s", int_in(5, 120)).unwrap_or(20);
    if idle_warning >= idle_timeout {
        r.error(
            &s.key_path("idle_warning_s"),
            s.span_of("idle_warning_s"),
            format!("must be shorter than idle_timeout_s ({idle_timeout})"),
        );
    }
    let order_types = s
        .value(r, "order_types", list_of(&[("dine_in", OrderType::DineIn), ("take_out", OrderType::TakeOut)]))
        .unwrap_or_else(|| vec![OrderType::DineIn, OrderType::TakeOut]);
    if role == Some(Role::Table) && s.has("order_types") {
        r.error(
            &s.key_path("order_types"),
            s.span_of("order_types"),
            "only for role = \"kiosk\" (a table is always dine-in)",
        );
    }
    let payment_methods = s
        .value(
            r,
            "payment_methods",
            list_of(&[
                ("card", PaymentMethodConfig::Card),
                ("wallet", PaymentMethodConfig::Wallet),
                ("counter", PaymentMethodConfig::Counter),
            ]),
        )
        .unwrap_or_else(|| {
            vec![PaymentMethodConfig::Card, PaymentMethodConfig::Wallet, PaymentMethodConfig::Counter]
        });
    let postpay = s.value(r, "postpay", boolean).unwrap_or(role == Some(Role::Table));
    if postpay && role == Some(Role::Kiosk) {
        r.error(
            &s.key_path("postpay"),
            s.span_of("postpay"),
            "a kiosk cannot run a tab; postpay is for role = \"table\"",
        );
    }
    let low_reach_percent = s.value(r, "low_reach_percent", int_in(30, 80)).unwrap_or(55) as u8;
    let panel_mm = s.value(r, "panel_mm", millimetres_pair);
    // An empty program turns the voice off.
    let speech =
        match s.value(r, "speech_program", |v| non_empty(v).or_else(|_| Ok::<_, String>(String::new()))) {
            Some(p) if p.is_empty() => None,
            Some(p) => Some(p.into()),
            None => Some("espeak-ng".into()),
        };
    let keypad = s.value(r, "keypad_device", non_empty).map(Into::into);
    Some(UiConfig {
        languages,
        default_language,
        idle_timeout: Duration::from_secs(idle_timeout as u64),
        idle_warning: Duration::from_secs(idle_warning as u64),
        order_types,
        payment_methods,
        postpay,
        low_reach_percent,
        panel_mm,
        speech,
        keypad,
    })
}

/// `counter`: the store offers paying at the counter (a terminal may fall back to it).
fn read_devices(r: &mut Reader, devices: &mut Section, counter: bool) -> Option<Devices> {
    let mut ok = true;
    let mut printer = devices.table(r, "printer");
    let printer_config = if printer.present() {
        let link = read_link(r, &mut printer, 19200);
        let paper = printer
            .value(r, "paper", one_of(&[("80mm", Paper::Mm80), ("58mm", Paper::Mm58)]))
            .unwrap_or(Paper::Mm80);
        let required = printer.value(r, "required", boolean).unwrap_or(false);
        let when_down = printer
            .value(
                r,
                "when_down",
                one_of(&[("out-of-service", WhenDown::OutOfService), ("no-printing", WhenDown::NoPrinting)]),
            )
            .unwrap_or(WhenDown::OutOfService);
        let cjk_glyphs =
            printer.value(r, "cjk_glyphs", string).unwrap_or_else(|| CJK_GLYPHS.to_owned()).into();
        ok &= link.is_some();
        link.map(|link| PrinterConfig { link, paper, required, when_down, cjk_glyphs })
    } else {
        None
    };
    printer.finish(r);

    let mut terminal = devices.table(r, "terminal");
    let terminal_config = if terminal.present() {
        let protocol = terminal
            .value(r, "protocol", one_of(&[("smartro", TerminalProtocol::Smartro)]))
            .unwrap_or(TerminalProtocol::Smartro);
        let link = read_link(r, &mut terminal, 57600);
        let required = terminal.value(r, "required", boolean).unwrap_or(true);
        let when_down = terminal
            .value(
                r,
                "when_down",
                one_of(&[
                    ("pay-at-counter", WhenDown::PayAtCounter),
                    ("out-of-service", WhenDown::OutOfService),
                ]),
            )
            .unwrap_or(if counter { WhenDown::PayAtCounter } else { WhenDown::OutOfService });
        if when_down == WhenDown::PayAtCounter && !counter {
            let span = terminal.span_of("when_down").or_else(|| terminal.span());
            r.error(
                &terminal.key_path("when_down"),
                span,
                "\"pay-at-counter\" needs \"counter\" in ui.payment_methods (or choose \"out-of-service\")",
            );
        }
        ok &= link.is_some();
        link.map(|link| TerminalConfig { protocol, link, required, when_down })
    } else {
        None
    };
    terminal.finish(r);

    let mut scanner = devices.table(r, "scanner");
    let scanner_config = if scanner.present() {
        let link = read_link(r, &mut scanner, 9600);
        let suffix = scanner
            .value(r, "suffix", one_of(&[("cr", Suffix::Cr), ("crlf", Suffix::CrLf), ("none", Suffix::None)]))
            .unwrap_or(Suffix::Cr);
        let prefix = scanner.value(r, "prefix", string);
        let aim_ids = scanner.value(r, "aim_ids", boolean).unwrap_or(false);
        let required = scanner.value(r, "required", boolean).unwrap_or(false);
        ok &= link.is_some();
        link.map(|link| ScannerConfig { link, suffix, prefix, aim_ids, required })
    } else {
        None
    };
    scanner.finish(r);

    let mut gpio = devices.table(r, "gpio");
    let gpio_config = read_gpio(r, &mut gpio);
    gpio.finish(r);
    ok.then_some(Devices {
        printer: printer_config,
        terminal: terminal_config,
        scanner: scanner_config,
        gpio: gpio_config,
    })
}

/// `[devices.gpio]`: `<role>_pin = BCM` and `<role>_active_low = bool` for presence,
/// call_button, door, earphones, light and buzzer. Two roles on one pin is an error.
fn read_gpio(r: &mut Reader, s: &mut Section) -> GpioConfig {
    let mut used: Vec<(u8, &str)> = Vec::new();
    let mut pin =
        |r: &mut Reader, s: &mut Section, role: &'static str, default_low: bool| -> Option<PinConfig> {
            let key = format!("{role}_pin");
            let bcm = s.value(r, &key, int_in(0, 27))? as u8;
            let active_low = s.value(r, &format!("{role}_active_low"), boolean).unwrap_or(default_low);
            if let Some((_, other)) = used.iter().find(|(p, _)| *p == bcm) {
                r.error(&s.key_path(&key), s.span_of(&key), format!("BCM {bcm} is already the {other} pin"));
            }
            used.push((bcm, role));
            Some(PinConfig { bcm, active_low })
        };
    GpioConfig {
        presence: pin(r, s, "presence", false),
        call_button: pin(r, s, "call_button", true),
        door: pin(r, s, "door", true),
        earphones: pin(r, s, "earphones", false),
        light: pin(r, s, "light", false),
        buzzer: pin(r, s, "buzzer", false),
    }
}

/// `port` (+ `baud`, `flow_control`) for serial, or `address` for TCP; exactly one of them.
fn read_link(r: &mut Reader, s: &mut Section, default_baud: u32) -> Option<Link> {
    let port = s.value(r, "port", non_empty);
    let baud = s.value(r, "baud", baud);
    let flow_control = s.value(
        r,
        "flow_control",
        one_of(&[
            ("none", FlowControl::None),
            ("xonxoff", FlowControl::Software),
            ("rtscts", FlowControl::Hardware),
        ]),
    );
    let address = s.value(r, "address", tcp_address);
    match (port, address) {
        (Some(port), None) => Some(Link::Serial {
            path: port.into(),
            baud: baud.unwrap_or(default_baud),
            flow_control: flow_control.unwrap_or_default(),
        }),
        (None, Some(address)) => {
            for key in ["baud", "flow_control"] {
                if s.has(key) {
                    r.error(
                        &s.key_path(key),
                        s.span_of(key),
                        format!("{key} is for a serial port, not a TCP address"),
                    );
                }
            }
            Some(Link::Tcp { address })
        }
        (Some(_), Some(_)) => {
            r.error(
                &s.key_path("address"),
                s.span_of("address"),
                "give either port (serial) or address (TCP), not both",
            );
            None
        }
        (None, None) => {
            if !s.has("port") && !s.has("address") {
                r.error(
                    &s.key_path("port"),
                    s.span(),
                    "missing; give port = \"/dev/ttyUSB0\" or address = \"HOST:PORT\"",
                );
            }
            None
        }
    }
}

fn read_pos(r: &mut Reader, s: &mut Section) -> Option<PosConfig> {
    let adapter = s
        .value(
            r,
            "adapter",
            one_of(&[
                ("none", PosAdapter::None),
                ("kiosk-link", PosAdapter::KioskLink),
                ("tryton", PosAdapter::Tryton),
            ]),
        )
        .unwrap_or(PosAdapter::None);
    let url = s.value(r, "url", http_url);
    let token = s.value(r, "token", non_empty);
    let tls_pin_sha256 = s.value(r, "tls_pin_sha256", sha256_hex);
    if adapter != PosAdapter::None {
        if url.is_none() && !s.has("url") {
            r.error(
                &s.key_path("url"),
                s.span(),
                "missing; the POS adapter needs url = \"http://HOST:PORT\"",
            );
        }
        if token.is_none() && !s.has("token") {
            r.error(&s.key_path("token"), s.span(), "missing; the POS adapter needs this device's token");
        }
    }
    Some(PosConfig { adapter, url, token, tls_pin_sha256 })
}

// Value checks specific to this file.

fn store_id(v: &Value) -> Result<String, String> {
    let s = non_empty(v)?;
    if s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        Ok(s)
    } else {
        Err(format!("\"{s}\" may only hold letters, digits, '-' and '_'"))
    }
}

/// 사업자등록번호: ten digits, the last a check digit (weights 1,3,7,1,3,7,1,3,5).
pub fn business_number(v: &Value) -> Result<String, String> {
    let s = string(v)?;
    let digits: Vec<u32> = s
        .chars()
        .filter(|c| *c != '-')
        .map(|c| c.to_digit(10))
        .collect::<Option<_>>()
        .ok_or_else(|| format!("\"{s}\" must be digits (NNN-NN-NNNNN)"))?;
    if digits.len() != 10 {
        return Err(format!("\"{s}\" must have 10 digits (NNN-NN-NNNNN)"));
    }
    const W: [u32; 9] = [1, 3, 7, 1, 3, 7, 1, 3, 5];
    let mut sum: u32 = digits.iter().zip(W).map(|(d, w)| d * w).sum();
    sum += digits[8] * 5 / 10;
    let check = (10 - sum % 10) % 10;
    if check != digits[9] {
        return Err(format!("\"{s}\" is not a valid business registration number (check digit)"));
    }
    Ok(format!(
        "{}-{}-{}",
        digits[..3].iter().map(u32::to_string).collect::<String>(),
        digits[3..5].iter().map(u32::to_string).collect::<String>(),
        digits[5..].iter().map(u32::to_string).collect::<String>()
    ))
}

fn time_zone(v: &Value) -> Result<String, String> {
    let s = non_empty(v)?;
    jiff::tz::TimeZone::get(&s)
        .map(|_| s.clone())
        .map_err(|_| format!("\"{s}\" is not a known time zone (e.g. \"Asia/Seoul\")"))
}

fn language(v: &Value) -> Result<Lang, String> {
    let s = string(v)?;
    Lang::from_code(&s).ok_or_else(|| format!("\"{s}\" is not a supported language (ko, en, zh, ja)"))
}

fn languages(v: &Value) -> Result<Vec<Lang>, String> {
    let codes = strings(v)?;
    let mut out = Vec::new();
    for code in codes {
        let lang = Lang::from_code(&code)
            .ok_or_else(|| format!("\"{code}\" is not a supported language (ko, en, zh, ja)"))?;
        if out.contains(&lang) {
            return Err(format!("\"{code}\" is listed twice"));
        }
        out.push(lang);
    }
    if out.is_empty() {
        return Err("must list at least one language".to_owned());
    }
    Ok(out)
}

fn list_of<T: Copy + PartialEq>(
    choices: &'static [(&'static str, T)],
) -> impl Fn(&Value) -> Result<Vec<T>, String> {
    move |v| {
        let names = strings(v)?;
        let mut out = Vec::new();
        for name in names {
            let value = one_of(choices)(&Value::from(name.as_str()))?;
            if out.contains(&value) {
                return Err(format!("\"{name}\" is listed twice"));
            }
            out.push(value);
        }
        if out.is_empty() { Err("must not be empty".to_owned()) } else { Ok(out) }
    }
}

fn baud(v: &Value) -> Result<u32, String> {
    let n = v.as_integer().ok_or_else(|| format!("expected an integer, found {}", v.type_name()))?;
    if BAUDS.contains(&n) {
        Ok(n as u32)
    } else {
        let list: Vec<_> = BAUDS.iter().map(i64::to_string).collect();
        Err(format!("{n} is not a standard baud rate ({})", list.join(", ")))
    }
}

fn tcp_address(v: &Value) -> Result<String, String> {
    let s = non_empty(v)?;
    if s.parse::<SocketAddr>().is_ok() {
        return Ok(s);
    }
    match s.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0) => Ok(s),
        _ => Err(format!("\"{s}\" is not HOST:PORT")),
    }
}

fn http_url(v: &Value) -> Result<String, String> {
    let s = non_empty(v)?;
    let rest = s.strip_prefix("http://").or_else(|| s.strip_prefix("https://"));
    match rest {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') => Ok(s.trim_end_matches('/').to_owned()),
        _ => Err(format!("\"{s}\" is not an http:// or https:// URL")),
    }
}

fn sha256_hex(v: &Value) -> Result<String, String> {
    let s = string(v)?.replace(':', "").to_ascii_lowercase();
    if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(s)
    } else {
        Err("expected 64 hex digits (SHA-256 of the server certificate)".to_owned())
    }
}

fn argon2_hash(v: &Value) -> Result<String, String> {
    let s = string(v)?;
    let parsed = PasswordHash::new(&s)
        .map_err(|e| format!("not an argon2 hash ({e}); make one with `kiosk hash-pin`"))?;
    if !parsed.algorithm.as_str().starts_with("argon2") {
        return Err(format!("algorithm {} is not argon2; make one with `kiosk hash-pin`", parsed.algorithm));
    }
    Ok(s)
}
