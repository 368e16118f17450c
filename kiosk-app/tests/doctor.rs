//! `kiosk doctor` against the three simulators.

use std::time::Duration;

use kiosk_sim::printer::Condition;
use kiosk_sim::printer::server::{SimOptions, spawn_pty as spawn_printer};
use kiosk_sim::scanner::{ScannerSim, ScannerSimOptions};
use kiosk_sim::terminal::server::{TerminalSimOptions, spawn_pty as spawn_terminal};

use kiosk_store_server::db::ServerDb;
use kiosk_store_server::{ServeOptions, start};

const EXAMPLE: &str = include_str!("../data/kiosk.example.toml");

async fn doctor(config: &std::path::Path, json: bool) -> (Option<i32>, String) {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_kiosk"));
    cmd.args(["doctor", "--config", config.to_str().unwrap()]).env("KIOSK_LOG", "warn");
    if json {
        cmd.arg("--json");
    }
    let out = cmd.output().await.unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_reports_the_simulators_and_what_to_do_when_paper_is_out() {
    let dir = tempfile::tempdir().unwrap();
    let (p, t, s) =
        (dir.path().join("ttyPRINTER"), dir.path().join("ttyTERMINAL"), dir.path().join("ttySCANNER"));
    let printer = spawn_printer(&p, SimOptions { baud: Some(19_200), ..SimOptions::default() }).unwrap();
    let _terminal = spawn_terminal(&t, TerminalSimOptions::default()).unwrap();
    let _scanner = ScannerSim::create(&s, ScannerSimOptions::default()).unwrap();
    // The store server, with a token for this device.
    let db = dir.path().join("pos.sqlite");
    let token = ServerDb::open(&db).unwrap().issue_token("kiosk-1", false).unwrap();
    let menu = Some(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/menu.example.json"));
    let listen = "127.0.0.1:0".parse().unwrap();
    let server = start(ServeOptions { db, listen, menu, kitchen_printer: None, tls: None, backups: None })
        .await
        .unwrap();
    let config = EXAMPLE
        .replace("http://127.0.0.1:8765", &format!("http://{}", server.addr))
        .replace("device-token-from-the-store-server", &token)
        .replace("/var/lib/kiosk", dir.path().join("data").to_str().unwrap())
        .replace("/dev/ttyUSB0", p.to_str().unwrap())
        .replace("/dev/ttyUSB1", t.to_str().unwrap())
        .replace("/dev/ttyACM0", s.to_str().unwrap())
        .replace(
            "required = false                    # without",
            "required = true                     # without",
        );
    let path = dir.path().join("kiosk.toml");
    std::fs::write(&path, config).unwrap();

    let (code, table) = doctor(&path, false).await;
    assert_eq!(code, Some(0), "{table}");
    let row = |device: &str| table.lines().find(|l| l.starts_with(device)).unwrap_or_default().to_owned();
    assert!(row("printer").contains("ok (required)"), "{table}");
    assert!(
        row("terminal").contains("ok (required)") && row("terminal").contains("version TL3600 SIM"),
        "{table}"
    );
    assert!(row("scanner").contains(" ok "), "{table}");
    assert!(row("pos").contains(" ok ") && row("pos").contains("store open"), "{table}");
    assert!(row("pos").contains("menu \"2026-11-22.1\""), "{table}");

    // A wrong token: the POS row says what to do, and the device still passes (orders queue).
    let wrong = std::fs::read_to_string(&path).unwrap().replace(&token, "stale-token");
    let wrong_path = dir.path().join("wrong-token.toml");
    std::fs::write(&wrong_path, wrong).unwrap();
    let (code, table) = doctor(&wrong_path, false).await;
    assert_eq!(code, Some(0), "{table}");
    assert!(
        row_of(&table, "pos").contains("fault") && row_of(&table, "pos").contains("kiosk-pos token"),
        "{table}"
    );

    printer.handle.set(Condition::PaperOut);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let (code, table) = doctor(&path, false).await;
    assert_eq!(code, Some(1), "{table}");
    assert!(row_of(&table, "printer").contains("fault (required)"), "{table}");
    assert!(row_of(&table, "printer").contains("out of paper: load a new roll"), "{table}");

    let (_, json) = doctor(&path, true).await;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v[0]["device"], "printer");
    assert_eq!(v[0]["status"], "fault");
    assert_eq!(v[1]["status"], "ok");
}

fn row_of(table: &str, device: &str) -> String {
    table.lines().find(|l| l.starts_with(device)).unwrap_or_default().to_owned()
}
