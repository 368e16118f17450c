//! First-boot provisioning through the real `kiosk provision` command, on directories that
//! stand for the boot and data partitions: a kiosk with Wi-Fi; a broken file that changes
//! nothing and says why on the boot partition; a table whose number comes from scanning its
//! QR code on the (simulated) scanner; and a second run after success doing nothing.

use std::path::Path;
use std::time::Duration;

use kiosk_sim::scanner::{ScannerSim, ScannerSimOptions};

const PIN_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$85yF9bV0iF6OLtae5+NoQg$Zw/m+KgIdB25JbPsVDIkwd8EvD2yEoVjqMIi+nDmEBM";

fn provisioning(data: &Path, role_part: &str) -> String {
    format!(
        r#"# written by the installer
{role_part}
data_dir = "{}"
time_zone = "Asia/Seoul"
[store]
id = "hanip-gangnam"
name = "한입버거 강남점"
business_number = "123-45-67891"
address = "서울특별시 강남구 테헤란로 123"
[ui]
payment_methods = ["counter"]
[pos]
adapter = "kiosk-link"
url = "http://192.168.0.10:8765"
token = "device-token"
[operator]
pin_hash = "{PIN_HASH}"
"#,
        data.display()
    )
}

async fn provision(boot: &Path, data: &Path) -> (Option<i32>, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_kiosk"))
        .args(["provision", "--boot", boot.to_str().unwrap(), "--data", data.to_str().unwrap()])
        .args(["--scan-timeout", "20"])
        .env("KIOSK_LOG", "warn")
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code(), text)
}

fn parts(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let (boot, data) = (dir.join("boot"), dir.join("data"));
    std::fs::create_dir_all(&boot).unwrap();
    (boot, data)
}

#[tokio::test]
async fn a_kiosk_is_provisioned_with_wifi_once_and_a_second_boot_does_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (boot, data) = parts(dir.path());
    let text = provisioning(&data, "role = \"kiosk\"")
        + "[network]\nwifi_ssid = \"IEEE\"\nwifi_psk = \"password\"\nwifi_country = \"KR\"\n";
    std::fs::write(boot.join("kiosk-provision.toml"), &text).unwrap();

    let (code, out) = provision(&boot, &data).await;
    assert_eq!(code, Some(0), "{out}");
    let config = kiosk_app::config::Config::load(&data.join("kiosk.toml")).unwrap();
    assert_eq!(config.store.id, "hanip-gangnam");
    assert_eq!(std::fs::read_to_string(data.join("kiosk.toml")).unwrap(), text, "applied as written");
    let wpa = std::fs::read_to_string(data.join("system/wpa_supplicant-wlan0.conf")).unwrap();
    assert!(wpa.contains("ssid=49454545"), "the network name in hex: {wpa}");
    assert!(
        wpa.contains("psk=f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e"),
        "the derived key, not the password: {wpa}"
    );
    assert!(!wpa.contains("password") && wpa.contains("country=KR"), "{wpa}");
    assert_eq!(
        std::fs::read_link(data.join("system/localtime")).unwrap(),
        Path::new("/usr/share/zoneinfo/Asia/Seoul")
    );
    let result = std::fs::read_to_string(boot.join("kiosk-provision.result")).unwrap();
    assert!(result.starts_with("ok: provisioned as a kiosk, Wi-Fi set"), "{result}");
    assert!(!boot.join("kiosk-provision.toml").exists(), "set aside once applied");
    assert!(boot.join("kiosk-provision.applied.toml").exists());

    let (code, out) = provision(&boot, &data).await;
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("already provisioned"), "{out}");
}

#[tokio::test]
async fn a_broken_file_changes_nothing_and_says_what_to_fix_on_the_boot_partition() {
    let dir = tempfile::tempdir().unwrap();
    let (boot, data) = parts(dir.path());
    let text = provisioning(&data, "role = \"tablet\"").replace("123-45-67891", "123-45-67890")
        + "[network]\nwifi_ssid = \"Cafe\"\nwifi_psk = \"short\"\n";
    std::fs::write(boot.join("kiosk-provision.toml"), &text).unwrap();

    let (code, out) = provision(&boot, &data).await;
    assert_eq!(code, Some(2), "invalid input: {out}");
    let result = std::fs::read_to_string(boot.join("kiosk-provision.result")).unwrap();
    for (line, key) in [(2, "role"), (8, "store.business_number"), (20, "network.wifi_psk")] {
        assert!(result.contains(&format!(":{line}: {key}: ")), "line {line}, {key}: {result}");
        assert!(out.contains(&format!(":{line}: {key}: ")), "line {line}, {key}: {out}");
    }
    assert!(!data.join("kiosk.toml").exists(), "no half-configured device");
    assert!(boot.join("kiosk-provision.toml").exists(), "kept, to be fixed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_number_comes_from_the_tables_qr_code() {
    let dir = tempfile::tempdir().unwrap();
    let (boot, data) = parts(dir.path());
    let tty = dir.path().join("ttySCANNER");
    let mut scanner = ScannerSim::create(&tty, ScannerSimOptions::default()).unwrap();
    let text = provisioning(&data, "role = \"table\"")
        + &format!(
            "[table]\nnumber = \"scan\"   # the installer scans the table's code\n[devices.scanner]\nport = \"{}\"\nbaud = 9600\n",
            tty.display()
        );
    std::fs::write(boot.join("kiosk-provision.toml"), &text).unwrap();

    let run = tokio::spawn({
        let (boot, data) = (boot.clone(), data.clone());
        async move { provision(&boot, &data).await }
    });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    scanner.scan("8801234567890").await.unwrap(); // a product barcode: ignored
    scanner.scan("https://order.example/hanip-gangnam/t/12").await.unwrap();
    let (code, out) = tokio::time::timeout(Duration::from_secs(30), run).await.unwrap().unwrap();
    assert_eq!(code, Some(0), "{out}");
    let config = kiosk_app::config::Config::load(&data.join("kiosk.toml")).unwrap();
    assert_eq!(config.table_number.as_deref(), Some("12"));
    assert!(!config.table_number_by_scan);
    let written = std::fs::read_to_string(data.join("kiosk.toml")).unwrap();
    assert!(written.contains("# the installer scans the table's code"), "comments kept: {written}");
    let result = std::fs::read_to_string(boot.join("kiosk-provision.result")).unwrap();
    assert!(result.starts_with("ok: provisioned as a table tablet at table 12"), "{result}");
}
