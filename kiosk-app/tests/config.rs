use kiosk_app::config::{Config, ConfigError, FlowControl, Link, Paper, PosAdapter, Role};

const EXAMPLE: &str = include_str!("../data/kiosk.example.toml");

fn errors(src: &str) -> Vec<ConfigError> {
    Config::parse(src).expect_err("should be invalid")
}

fn keys_and_lines(src: &str) -> Vec<(String, usize)> {
    errors(src).into_iter().map(|e| (e.key, e.line)).collect()
}

#[test]
fn the_example_config_is_valid() {
    let c = Config::parse(EXAMPLE).unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(c.role, Role::Kiosk);
    assert_eq!(c.ui.panel_mm, None, "commented out: the panel's EDID decides");
    let sized = Config::parse(&EXAMPLE.replace("# panel_mm = [268, 476]", "panel_mm = [268, 476]")).unwrap();
    assert_eq!(sized.ui.panel_mm, Some((268, 476)));
    assert_eq!(c.store.business_number, "123-45-67891");
    assert_eq!(c.devices.printer.as_ref().unwrap().paper, Paper::Mm80);
    assert_eq!(
        c.devices.terminal.as_ref().unwrap().link,
        Link::Serial { path: "/dev/ttyUSB1".into(), baud: 57600, flow_control: FlowControl::None }
    );
    assert_eq!(c.pos.adapter, PosAdapter::KioskLink);
    assert_eq!(c.database_path(), std::path::Path::new("/var/lib/kiosk/kiosk.db"));
    assert!(c.operator.verify_pin("4321"));
    let gpio = &c.devices.gpio;
    assert_eq!(gpio.call_button.map(|p| (p.bcm, p.active_low)), Some((27, true)));
    assert_eq!(gpio.presence.map(|p| (p.bcm, p.active_low)), Some((17, false)));
    assert!(gpio.door.is_none());
    assert!(!c.operator.verify_pin("1234"));
}

#[test]
fn three_distinct_errors_are_all_reported_with_key_and_line() {
    let src = EXAMPLE
        .replace("baud = 19200", "baud = 12345")
        .replace("idle_timeout_s = 90", "idle_timeout_s = \"ninety\"")
        .replace("[pos]\n", "[pos]\nadress = \"x\"\n");
    let line_of = |needle: &str| src.lines().position(|l| l.contains(needle)).unwrap() + 1;
    assert_eq!(
        keys_and_lines(&src),
        vec![
            ("ui.idle_timeout_s".to_owned(), line_of("ninety")),
            ("devices.printer.baud".to_owned(), line_of("12345")),
            ("pos.adress".to_owned(), line_of("adress")),
        ]
    );
    let messages: Vec<String> = errors(&src).iter().map(ToString::to_string).collect();
    assert!(messages[0].ends_with("ui.idle_timeout_s: expected an integer, found string"), "{messages:?}");
    assert!(messages[2].ends_with("pos.adress: unknown key"), "{messages:?}");
}

#[test]
fn missing_keys_point_at_their_table() {
    let src = "role = \"kiosk\"\n[store]\nid = \"a\"\nname = \"b\"\naddress = \"c\"\n[operator]\npin_hash = \"$argon2id$v=19$m=19456,t=2,p=1$85yF9bV0iF6OLtae5+NoQg$Zw/m+KgIdB25JbPsVDIkwd8EvD2yEoVjqMIi+nDmEBM\"\n[ui]\npayment_methods = [\"counter\"]\n";
    assert_eq!(keys_and_lines(src), vec![("store.business_number".to_owned(), 2)]);
}

#[test]
fn cross_field_rules() {
    // a table device needs its number; a kiosk must not have one
    let table = EXAMPLE
        .replace("role = \"kiosk\"", "role = \"table\"")
        .replace("order_types = [\"dine_in\", \"take_out\"]\n", "");
    assert_eq!(keys_and_lines(&table).into_iter().map(|k| k.0).collect::<Vec<_>>(), ["table.number"]);
    let table = table.replace("# [table]", "[table]").replace("# number = \"12\"", "number = \"12\"");
    let c = Config::parse(&table).unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!((c.role, c.table_number.as_deref(), c.ui.postpay), (Role::Table, Some("12"), true));
    let kiosk_with_table =
        EXAMPLE.replace("# [table]", "[table]").replace("# number = \"12\"", "number = \"12\"");
    assert_eq!(keys_and_lines(&kiosk_with_table)[0].0, "table");
    // serial or TCP, not both
    let both =
        EXAMPLE.replace("port = \"/dev/ttyUSB0\"", "port = \"/dev/ttyUSB0\"\naddress = \"10.0.0.5:9100\"");
    assert_eq!(keys_and_lines(&both)[0].0, "devices.printer.address");
    // the default language must be offered
    let lang = EXAMPLE.replace("default_language = \"ko\"", "default_language = \"ja\"");
    assert_eq!(keys_and_lines(&lang)[0].0, "ui.default_language");
    // card payment without a terminal
    let start = EXAMPLE.find("[devices.terminal]").unwrap();
    let end = EXAMPLE.find("[devices.scanner]").unwrap();
    let no_terminal = format!("{}{}", &EXAMPLE[..start], &EXAMPLE[end..]);
    assert_eq!(keys_and_lines(&no_terminal)[0].0, "ui.payment_methods");
    // falling back to the counter needs counter payment
    let no_counter = EXAMPLE.replace(
        "payment_methods = [\"card\", \"wallet\", \"counter\"]",
        "payment_methods = [\"card\", \"wallet\"]",
    );
    let line = no_counter.lines().position(|l| l.starts_with("when_down = \"pay-at-counter\"")).unwrap() + 1;
    assert_eq!(keys_and_lines(&no_counter), vec![("devices.terminal.when_down".to_owned(), line)]);
}

#[test]
fn value_checks() {
    let cases = [
        ("business_number = \"123-45-67891\"", "business_number = \"123-45-6789\"", "must have 10 digits"),
        ("time_zone = \"Asia/Seoul\"", "time_zone = \"Mars/Olympus\"", "not a known time zone"),
        ("url = \"http://127.0.0.1:8765\"", "url = \"ftp://pos\"", "not an http:// or https:// URL"),
        ("languages = [\"ko\", \"en\"]", "languages = [\"ko\", \"ko\"]", "listed twice"),
        ("idle_warning_s = 20", "idle_warning_s = 100", "shorter than idle_timeout_s"),
        ("paper = \"80mm\"", "paper = \"A4\"", "\"A4\" is not one of \"80mm\", \"58mm\""),
        ("# panel_mm = [268, 476]", "panel_mm = [268]", "expected two sizes"),
        ("# panel_mm = [268, 476]", "panel_mm = [268, 4760]", "4760 is out of range (20–2000)"),
        (
            "required = false                    # without",
            "required = \"no\"  # without",
            "expected true or false",
        ),
    ];
    for (from, to, expected) in cases {
        assert!(EXAMPLE.contains(from), "{from}");
        let errs = errors(&EXAMPLE.replacen(from, to, 1));
        assert!(errs.iter().any(|e| e.message.contains(expected)), "{to}: {errs:#?}");
    }
}

#[test]
fn a_syntax_error_is_reported_with_its_line() {
    let errs = errors("role = \"kiosk\"\n[store\nid = 1\n");
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].line, 2);
    assert!(!errs[0].message.contains('\n'));
}

#[test]
fn the_fleet_section_turns_the_rollout_agent_on_with_defaults_and_checks() {
    use kiosk_app::config::{FleetAuth, FleetConfig};
    assert_eq!(Config::parse(EXAMPLE).unwrap().fleet, None, "off without [fleet]");
    let with = |section: &str| format!("{EXAMPLE}\n[fleet]\n{section}\n");
    let fleet = Config::parse(&with("server = \"http://10.0.0.5:8080/\"")).unwrap().fleet.unwrap();
    assert_eq!(
        fleet,
        FleetConfig {
            server: "http://10.0.0.5:8080".into(),
            tenant: "DEFAULT".into(),
            controller_id: format!("{}-kiosk", Config::parse(EXAMPLE).unwrap().store.id),
            auth: FleetAuth::None,
            tls_pin_sha256: None,
            restart_while_open: false,
        }
    );
    let fleet = Config::parse(&with(
        "server = \"http://h:1\"\ntenant = \"chain-7\"\ncontroller_id = \"gangnam-k2\"\ntarget_token = \"t0k\"\nrestart_while_open = true",
    ))
    .unwrap()
    .fleet
    .unwrap();
    assert_eq!(
        (fleet.tenant.as_str(), fleet.controller_id.as_str(), &fleet.auth, fleet.restart_while_open),
        ("chain-7", "gangnam-k2", &FleetAuth::Target("t0k".into()), true)
    );
    assert_eq!(
        keys_and_lines(&with("tenant = \"x\"")).first().map(|(k, _)| k.as_str()),
        Some("fleet.server")
    );
    let both = keys_and_lines(&with("server = \"http://h:1\"\ntarget_token = \"a\"\ngateway_token = \"b\""));
    assert_eq!(both.first().map(|(k, _)| k.as_str()), Some("fleet.gateway_token"));
    // https with the system's CA roots, or pinned; a pin on plain http is a mistake.
    assert!(Config::parse(&with("server = \"https://h:1\"")).is_ok());
    let pin = "ab".repeat(32);
    let plain = keys_and_lines(&with(&format!("server = \"http://h:1\"\ntls_pin_sha256 = \"{pin}\"")));
    assert_eq!(plain.first().map(|(k, _)| k.as_str()), Some("fleet.tls_pin_sha256"));
    let unknown = keys_and_lines(&with("server = \"http://h:1\"\npoll = 5"));
    assert_eq!(unknown.first().map(|(k, _)| k.as_str()), Some("fleet.poll"));
}

#[test]
fn the_telemetry_section_turns_mqtt_on_with_defaults_and_checks() {
    use kiosk_app::config::TelemetryConfig;
    let example = Config::parse(EXAMPLE).unwrap();
    assert_eq!(example.telemetry, None, "off without [telemetry]");
    let with = |section: &str| format!("{EXAMPLE}\n[telemetry]\n{section}\n");
    let telemetry = Config::parse(&with("broker = \"mqtt://10.0.0.5\"")).unwrap().telemetry.unwrap();
    assert_eq!(
        telemetry,
        TelemetryConfig {
            host: "10.0.0.5".into(),
            port: 1883,
            tls: false,
            tls_pin_sha256: None,
            device: "kiosk".into(),
            username: format!("{}-kiosk", example.store.id),
            password: None,
            queue: 1000,
        }
    );
    let pin = "ab".repeat(32);
    let telemetry = Config::parse(&with(&format!(
        "broker = \"mqtts://[::1]:9883\"\ntls_pin_sha256 = \"{pin}\"\ndevice = \"kiosk-2\"\nusername = \"u\"\npassword = \"p\"\nqueue = 50"
    )))
    .unwrap()
    .telemetry
    .unwrap();
    assert_eq!(
        (telemetry.host.as_str(), telemetry.port, telemetry.device.as_str(), telemetry.password.as_deref()),
        ("::1", 9883, "kiosk-2", Some("p"))
    );
    assert_eq!((telemetry.username.as_str(), telemetry.queue), ("u", 50));
    let first_key = |section: &str| keys_and_lines(&with(section)).first().map(|(k, _)| k.clone());
    assert_eq!(first_key("device = \"k\"").as_deref(), Some("telemetry.broker"));
    let roots = Config::parse(&with("broker = \"mqtts://h\"")).unwrap().telemetry.unwrap();
    assert_eq!((roots.tls, roots.port, roots.tls_pin_sha256), (true, 8883, None), "the system's CA roots");
    let pinned_plain = format!("broker = \"mqtt://h\"\ntls_pin_sha256 = \"{pin}\"");
    assert_eq!(first_key(&pinned_plain).as_deref(), Some("telemetry.tls_pin_sha256"));
    assert_eq!(first_key("broker = \"tcp://h:1\"").as_deref(), Some("telemetry.broker"));
    assert_eq!(first_key("broker = \"mqtt://h:x\"").as_deref(), Some("telemetry.broker"));
    assert_eq!(first_key("broker = \"mqtt://[::1]junk\"").as_deref(), Some("telemetry.broker"));
    assert_eq!(first_key("broker = \"mqtt://h\"\ndevice = \"a/b\"").as_deref(), Some("telemetry.device"));
    assert_eq!(first_key("broker = \"mqtt://h\"\nqueue = 3").as_deref(), Some("telemetry.queue"));
    assert_eq!(first_key("broker = \"mqtt://h\"\nkeepalive = 3").as_deref(), Some("telemetry.keepalive"));
}
