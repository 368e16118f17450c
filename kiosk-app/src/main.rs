//! `kiosk`: the firmware's one command (run, provision, update, doctor, check-config, menu
//! import, hash-pin); the demo, `automate` and the simulators are `kiosk-dev`, the store
//! server `kiosk-pos`. Each subcommand is a thin shell over the library;
//! errors are reported here with their context. Exit codes: 0 ok, 1 failure, 2 invalid input
//! (a bad config or menu file), so scripts and installers can tell them apart.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use kiosk_app::config::{Config, LoadError, hash_pin};
use kiosk_app::startup;
use kiosk_clock::StoreClock;
use kiosk_menu_file::{self as menu_import, Format};
use kiosk_store::{Actor, Store};

#[derive(Parser)]
#[command(name = "kiosk", version, about = "Self-service kiosk and table-order firmware")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the device service with a configuration file.
    Run {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// Start, recover and report, then exit (a smoke check for installers).
        #[arg(long)]
        once: bool,
        /// Run the service without the customer screen, even in a build that has one.
        #[arg(long)]
        headless: bool,
    },
    /// First boot: apply the installer's kiosk-provision.toml from the boot partition to the
    /// data partition (device configuration, Wi-Fi, time zone). With `[table] number =
    /// "scan"`, waits for the table's QR code. Safe to run again; does nothing once applied.
    Provision {
        #[arg(long, value_name = "DIR", default_value = "/boot/firmware")]
        boot: PathBuf,
        #[arg(long, value_name = "DIR", default_value = "/var/lib/kiosk")]
        data: PathBuf,
        /// How long to wait for the table's QR code, in seconds.
        #[arg(long, value_name = "SECONDS", default_value_t = 3600)]
        scan_timeout: u64,
    },
    /// Install a signed update bundle into the inactive slot and reboot into it on trial; the
    /// kiosk commits it once healthy, otherwise the next boot returns to this slot.
    Update {
        #[arg(value_name = "BUNDLE")]
        bundle: PathBuf,
        /// The release certificate the bundle must be signed with (RAUC's keyring).
        #[arg(long, value_name = "PEM", default_value = kiosk_app::update::KEYRING)]
        keyring: PathBuf,
        /// The disk to update (default: the one this device booted from), or an image file.
        #[arg(long, value_name = "DISK")]
        disk: Option<PathBuf>,
        #[arg(long, value_name = "DIR", default_value = kiosk_app::update::BOOT_DIR)]
        boot: PathBuf,
        #[arg(long, value_name = "DIR", default_value = kiosk_app::update::STATE_DIR)]
        state: PathBuf,
        /// Install only; reboot later with `systemctl reboot "0 tryboot"`.
        #[arg(long)]
        no_reboot: bool,
    },
    /// Check a configuration file and print every problem with its key and line.
    CheckConfig {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Menu management.
    Menu {
        #[command(subcommand)]
        command: MenuCommand,
    },
    /// Hash an operator PIN (read from standard input) for `[operator] pin_hash`.
    HashPin,
    /// Probe every configured device; exit 1 when a required one fails.
    Doctor {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum MenuCommand {
    /// Import a menu from JSON or CSV into the store. Nothing changes if any row is bad.
    Import {
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// The device configuration (the database lives in its data_dir).
        #[arg(long, value_name = "FILE", required_unless_present = "db", conflicts_with = "db")]
        config: Option<PathBuf>,
        /// The database file, instead of --config.
        #[arg(long, value_name = "FILE")]
        db: Option<PathBuf>,
        /// Check the file only; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// An error that means "the input was invalid" (exit 2), already reported.
#[derive(Debug)]
struct Invalid;

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("invalid input")
    }
}

impl std::error::Error for Invalid {}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let result = match cli.command {
        Command::Run { config, once, headless } => run(&config, once, headless),
        Command::CheckConfig { file } => check_config(&file),
        Command::Update { bundle, keyring, disk, boot, state, no_reboot } => {
            let options =
                kiosk_app::update::UpdateOptions { bundle, keyring, disk, boot, state, reboot: !no_reboot };
            kiosk_app::update::update(&options).map(|i| {
                println!(
                    "installed {} into slot {} ({} MB); it runs on trial at the next boot",
                    i.version,
                    i.slot,
                    i.bytes / 1_000_000
                )
            })
        }
        Command::Provision { boot, data, scan_timeout } => provision(boot, data, scan_timeout),
        Command::Menu { command: MenuCommand::Import { file, config, db, dry_run } } => {
            menu_import(&file, config.as_deref(), db.as_deref(), dry_run)
        }
        Command::HashPin => hash_pin_from_stdin(),
        Command::Doctor { config, json } => doctor(&config, json),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is::<Invalid>() => ExitCode::from(2),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging() {
    let level = std::env::var("KIOSK_LOG").ok().and_then(|l| l.parse().ok()).unwrap_or(tracing::Level::INFO);
    tracing_subscriber::fmt().with_max_level(level).with_writer(std::io::stderr).init();
}

/// Loads a config, printing every problem (and returning [`Invalid`]) when it is bad.
fn load_config(path: &Path) -> Result<Config> {
    match Config::load(path) {
        Ok(config) => Ok(config),
        Err(LoadError::Invalid { path, errors }) => {
            for e in &errors {
                eprintln!("{}:{e}", path.display());
            }
            eprintln!("{}: {} problem(s)", path.display(), errors.len());
            Err(Invalid.into())
        }
        Err(e @ LoadError::Read { .. }) => Err(e.into()),
    }
}

fn check_config(file: &Path) -> Result<()> {
    let config = load_config(file)?;
    let role = match config.role {
        kiosk_app::config::Role::Kiosk => "kiosk".to_owned(),
        kiosk_app::config::Role::Table if config.table_number_by_scan => {
            "table, number to be scanned at first boot".to_owned()
        }
        kiosk_app::config::Role::Table => format!("table {}", config.table_number.as_deref().unwrap_or("?")),
    };
    println!("{}: ok ({role}, store {} \"{}\")", file.display(), config.store.id, config.store.name);
    Ok(())
}

fn provision(boot: PathBuf, data: PathBuf, scan_timeout: u64) -> Result<()> {
    use kiosk_app::provision::{Outcome, Paths, ProvisionError, apply};
    let paths = Paths { boot, data, scan_timeout: std::time::Duration::from_secs(scan_timeout) };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    match runtime.block_on(apply(&paths)) {
        Ok(Outcome::AlreadyProvisioned) => println!("already provisioned; nothing to do"),
        Ok(outcome) => println!("provisioned: {outcome:?}"),
        Err(e @ ProvisionError::Invalid { .. }) => {
            eprintln!("{e}");
            return Err(Invalid.into());
        }
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

fn run(config_path: &Path, once: bool, headless: bool) -> Result<()> {
    let config = load_config(config_path)?;
    if config.table_number_by_scan {
        anyhow::bail!(
            "{}: the table number is still to be scanned; run `kiosk provision` first",
            config_path.display()
        );
    }
    let report = startup::start(&config).context("starting up")?;
    for line in report.lines() {
        tracing::info!("{line}");
    }
    // The device build draws to the display itself (linuxkms); other builds, and installers'
    // smoke checks, run the service alone.
    if cfg!(feature = "kms") && !once && !headless {
        return kiosk_app::screen::run_screen(&config);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(kiosk_app::service::run(config, once))
}

fn menu_import(file: &Path, config: Option<&Path>, db: Option<&Path>, dry_run: bool) -> Result<()> {
    let format = Format::of(file).with_context(|| format!("{}: use a .json or .csv file", file.display()))?;
    let contents = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let menu = match menu_import::parse(&contents, format) {
        Ok(menu) => menu,
        Err(errors) => {
            for e in &errors {
                eprintln!("{}: {e}", file.display());
            }
            eprintln!("{}: {} problem(s); the stored menu was not changed", file.display(), errors.len());
            return Err(Invalid.into());
        }
    };
    // Worth fixing, not worth refusing the menu for (a suggestion of an item dropped).
    for w in menu.warnings() {
        eprintln!("{}: warning: {w}", file.display());
    }
    let summary = format!(
        "{} categories, {} items, version {:?}",
        menu.categories.len(),
        menu.items.len(),
        menu.version
    );
    if dry_run {
        println!("{}: ok ({summary}); dry run, nothing written", file.display());
        return Ok(());
    }
    let (db_path, clock) = match (config, db) {
        (Some(config), _) => {
            let config = load_config(config)?;
            (config.database_path(), StoreClock::new(&config.time_zone))
        }
        (None, Some(db)) => (db.to_owned(), StoreClock::new("UTC")),
        (None, None) => unreachable!("clap requires --config or --db"),
    };
    if let Some(dir) = db_path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut store = Store::open(&db_path).with_context(|| format!("opening {}", db_path.display()))?;
    let source = format!("file:{}", file.display());
    store.save_menu(&menu, &source, Actor::Operator, clock.now_ms()).context("saving the menu")?;
    println!("{}: imported {summary} into {}", file.display(), db_path.display());
    Ok(())
}

fn doctor(config_path: &Path, as_json: bool) -> Result<()> {
    let config = load_config(config_path)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let findings = runtime.block_on(kiosk_app::doctor::probe(&config));
    if as_json {
        println!("{}", kiosk_app::doctor::json(&findings));
    } else {
        println!("{}", kiosk_app::doctor::table(&findings));
    }
    if findings.iter().any(|f| f.fails()) {
        anyhow::bail!("a required device is not working");
    }
    Ok(())
}

fn hash_pin_from_stdin() -> Result<()> {
    let mut pin = String::new();
    std::io::stdin().read_to_string(&mut pin).context("reading the PIN from standard input")?;
    let pin = pin.trim();
    if pin.len() < 4 || !pin.bytes().all(|b| b.is_ascii_digit()) {
        eprintln!("the PIN must be at least 4 digits");
        return Err(Invalid.into());
    }
    println!("{}", hash_pin(pin).map_err(|e| anyhow::anyhow!("hashing: {e}"))?);
    Ok(())
}
