//! The `kiosk` command as an installer or operator uses it: exit codes and messages.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use kiosk_store::Store;

const EXAMPLE_CONFIG: &str = include_str!("../data/kiosk.example.toml");
const EXAMPLE_MENU: &str = "data/menu.example.json";

fn kiosk(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kiosk"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("KIOSK_LOG", "warn")
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn write(dir: &Path, name: &str, contents: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path.to_str().unwrap().to_owned()
}

/// A CSV menu of `n` items in 10 categories.
pub fn csv_menu(n: usize) -> String {
    let mut s = String::from(
        "category,category_ko,category_en,id,name_ko,name_en,price,tags,allergens,sold_out,available\n",
    );
    for i in 0..n {
        let c = i % 10;
        s += &format!(
            "c{c},분류{c},Category {c},item-{i},메뉴 {i},Item {i},\"{}\",new;spicy,wheat;egg,no,\n",
            1000 + i * 100
        );
    }
    s
}

#[test]
fn check_config_accepts_the_example() {
    let o = kiosk(&["check-config", "data/kiosk.example.toml"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("ok (kiosk, store hanip-gangnam"));
}

#[test]
fn check_config_reports_three_errors_with_keys_and_lines_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad = EXAMPLE_CONFIG
        .replace("baud = 19200", "baud = 12345")
        .replace("role = \"kiosk\"", "role = \"vending-machine\"")
        .replace("[receipt]\n", "[receipt]\nfooterr = []\n");
    let path = write(dir.path(), "bad.toml", &bad);
    let line_of = |needle: &str| bad.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let o = kiosk(&["check-config", &path]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 4, "{err}");
    let role = format!(
        "{path}:{}: role: \"vending-machine\" is not one of \"kiosk\", \"table\"",
        line_of("vending")
    );
    assert_eq!(lines[0], role);
    let baud =
        format!("{path}:{}: devices.printer.baud: 12345 is not a standard baud rate", line_of("12345"));
    assert!(lines[1].starts_with(&baud), "{err}");
    assert_eq!(lines[2], format!("{path}:{}: receipt.footerr: unknown key", line_of("footerr")));
    assert_eq!(lines[3], format!("{path}: 3 problem(s)"));
}

#[test]
fn menu_import_writes_a_good_file_and_nothing_from_a_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kiosk.db");
    let db = db.to_str().unwrap();
    let o = kiosk(&["menu", "import", EXAMPLE_MENU, "--db", db]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("imported 5 categories, 11 items"));

    // a CSV with one bad row among 500 changes nothing
    let mut csv = csv_menu(500);
    csv = csv.replacen("item-250,메뉴 250,Item 250,\"26000\"", "item-250,메뉴 250,Item 250,\"26,000원\"", 1);
    let path = write(dir.path(), "menu.csv", &csv);
    let o = kiosk(&["menu", "import", &path, "--db", db]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("row 252, column 7 (price): \"26,000원\" is not a whole amount in won"),
        "{}",
        stderr(&o)
    );
    let store = Store::open(db).unwrap();
    let cached = store.load_menu().unwrap().unwrap();
    assert_eq!(cached.menu.items.len(), 11, "the JSON menu is still the stored one");
    drop(store);

    // the same file, fixed, imports whole
    let path = write(dir.path(), "menu.csv", &csv_menu(500));
    let o = kiosk(&["menu", "import", &path, "--db", db]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(Store::open(db).unwrap().load_menu().unwrap().unwrap().menu.items.len(), 500);
}

#[test]
fn menu_import_reports_each_bad_place() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kiosk.db");
    let csv = csv_menu(5)
        .replace("item-1,", "item-0,") // duplicate id (row 3)
        .replace(",Item 3,", ",,") // missing English name (row 5)
        .replace("wheat;egg,no,\nc4", "wheat;gluten,no,\nc4"); // unknown allergen (row 5)
    let path = write(dir.path(), "menu.csv", &csv);
    let o = kiosk(&["menu", "import", &path, "--db", db.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("row 5, column 9 (allergens): unknown allergen \"gluten\""), "{err}");
    // structural errors are only looked for once every cell parses
    let csv = csv_menu(5).replace("item-1,", "item-0,").replace(",Item 3,", ",,");
    let path = write(dir.path(), "menu.csv", &csv);
    let err = stderr(&kiosk(&["menu", "import", &path, "--db", db.to_str().unwrap()]));
    assert!(err.contains("row 3.id: duplicate id \"item-0\""), "{err}");
    assert!(err.contains("row 5 \"item-3\".name: missing translation: en"), "{err}");
    assert!(!db.exists() || Store::open(&db).unwrap().load_menu().unwrap().is_none());

    let broken = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(EXAMPLE_MENU))
        .unwrap()
        .replacen("\"price\": 5500,", "\"price\": 5500", 1);
    let path = write(dir.path(), "menu.json", &broken);
    let err = stderr(&kiosk(&["menu", "import", &path, "--dry-run", "--db", "unused.db"]));
    // serde_json points just past the missing comma: the start of the next key
    let line = broken.lines().position(|l| l.trim_end().ends_with("\"price\": 5500")).unwrap() + 2;
    assert!(err.contains(&format!("menu.json: line {line}, column 7: expected `,` or `}}`")), "{err}");
    let negative = broken.replacen("\"price\": 5500", "\"price\": -5500,", 1);
    let path = write(dir.path(), "menu.json", &negative);
    let err = stderr(&kiosk(&["menu", "import", &path, "--dry-run", "--db", "unused.db"]));
    assert!(err.contains("items[0] \"bulgogi-burger\".price: price -5500 is negative"), "{err}");

    // A suggestion of an item the menu lacks is a warning: the menu is taken, it is never made.
    let example = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(EXAMPLE_MENU)).unwrap();
    let stale = example.replacen("\"offer\": \"cola\"", "\"offer\": \"melon-soda\"", 1);
    let path = write(dir.path(), "menu.json", &stale);
    let o = kiosk(&["menu", "import", &path, "--dry-run", "--db", "unused.db"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains(
            "warning: suggestions[1] \"burger-cola\".offer: unknown item \"melon-soda\": never suggested"
        ),
        "{err}"
    );
}

#[test]
fn run_once_opens_the_store_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let config = EXAMPLE_CONFIG.replace("/var/lib/kiosk", dir.path().join("data").to_str().unwrap());
    let path = write(dir.path(), "kiosk.toml", &config);
    let o = Command::new(env!("CARGO_BIN_EXE_kiosk"))
        .args(["run", "--config", &path, "--once"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let log = stderr(&o);
    assert!(
        log.contains(&format!("schema v{}", kiosk_store::SCHEMA_VERSION)) && log.contains("no menu yet"),
        "{log}"
    );
    assert!(dir.path().join("data/kiosk.db").exists());
}

#[test]
fn hash_pin_makes_a_hash_the_config_accepts() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kiosk"))
        .arg("hash-pin")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"987654\n").unwrap();
    let o = child.wait_with_output().unwrap();
    let hash = String::from_utf8(o.stdout).unwrap();
    let config = EXAMPLE_CONFIG.replace(
        "$argon2id$v=19$m=19456,t=2,p=1$85yF9bV0iF6OLtae5+NoQg$Zw/m+KgIdB25JbPsVDIkwd8EvD2yEoVjqMIi+nDmEBM",
        hash.trim(),
    );
    let c = kiosk_app::config::Config::parse(&config).unwrap();
    assert!(c.operator.verify_pin("987654"));
    let o = kiosk(&["hash-pin"]); // no stdin: empty PIN
    assert_eq!(o.status.code(), Some(2));
}
