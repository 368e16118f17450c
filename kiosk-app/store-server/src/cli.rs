//! `kiosk-pos …`: run the store server and work on its database (issue tokens,
//! load the menu, mark sold out, mark orders ready, settle tables paid at the counter, list
//! orders and staff calls). The commands write to the database file directly; a running
//! server picks the changes up within a fraction of a second and pushes them to the devices.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use kiosk_drivers::transport::Endpoint;

use crate::db::ServerDb;
use crate::{ServeOptions, start};
use kiosk_link::wire::OrderStatus;

#[derive(Debug, Subcommand)]
pub enum PosCommand {
    /// Serve the kiosk link protocol (and the admin endpoints) from a SQLite database.
    Serve {
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8765")]
        listen: SocketAddr,
        /// Load this menu (JSON or CSV) at start.
        #[arg(long, value_name = "FILE")]
        menu: Option<PathBuf>,
        /// Print kitchen tickets on this network ESC/POS printer (HOST:PORT, usually 9100).
        #[arg(long, value_name = "HOST:PORT")]
        printer: Option<String>,
        /// Serve HTTPS with this PEM certificate (and --tls-key).
        #[arg(long, value_name = "FILE", requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        #[arg(long, value_name = "FILE", requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Serve HTTPS with a self-signed certificate kept in DIR (made on first use); the
        /// pin for the devices' `tls_pin_sha256` is printed at start.
        #[arg(long, value_name = "DIR", conflicts_with = "tls_cert")]
        tls_self_signed: Option<PathBuf>,
        /// Back the database up into DIR once a day (the first a minute after start).
        #[arg(long, value_name = "DIR")]
        backup_dir: Option<PathBuf>,
        /// How many daily backups to keep.
        #[arg(long, value_name = "N", default_value_t = 14, requires = "backup_dir")]
        backup_keep: usize,
    },
    /// Issue (or replace) the token of a device, or of staff with --admin; printed once.
    Token {
        name: String,
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
        #[arg(long)]
        admin: bool,
    },
    /// Load a menu file (JSON or CSV); devices fetch it at once.
    Menu {
        file: PathBuf,
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
    },
    /// Mark an item sold out (or back on sale with --back).
    SoldOut {
        item: String,
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
        #[arg(long)]
        back: bool,
    },
    /// Set an order's status: received, ready or served. The device that sent it shows it.
    Status {
        order_id: String,
        status: String,
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
    },
    /// The table paid at the counter: its rounds are settled and its tablet starts a new tab.
    Settle {
        table: String,
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
    },
    /// Open or close the store (a closed store takes no new orders).
    Store {
        #[arg(value_parser = ["open", "closed"])]
        state: String,
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
    },
    /// List received orders.
    Orders {
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// List staff calls, newest first.
    Calls {
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
    },
    /// Staff accounts for the console (`/console/`).
    #[command(subcommand)]
    Staff(StaffCommand),
    /// Add a pickup board for a TV: prints its address (`/board/KEY`), shown once.
    Board {
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
    },
    /// Copy the database while the server runs (SQLite's online backup), to FILE.
    Backup {
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
        /// Where the copy goes.
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Add a staff member; the PIN or password is read from standard input.
    Add {
        name: String,
        #[arg(long, value_parser = ["owner", "counter", "kitchen"])]
        role: String,
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
    },
    /// List staff accounts.
    List {
        #[arg(long, value_name = "FILE")]
        db: PathBuf,
    },
}

fn open(db: &Path) -> Result<ServerDb> {
    ServerDb::open(db).with_context(|| format!("opening {}", db.display()))
}

pub fn run(command: PosCommand) -> Result<()> {
    match command {
        PosCommand::Serve {
            db,
            listen,
            menu,
            printer,
            tls_cert,
            tls_key,
            tls_self_signed,
            backup_dir,
            backup_keep,
        } => {
            let backups = backup_dir.map(|dir| crate::Backups {
                dir,
                keep: backup_keep,
                every: std::time::Duration::from_secs(24 * 60 * 60),
            });
            let tls = match (tls_cert, tls_key, tls_self_signed) {
                (Some(cert), Some(key), _) => Some((
                    std::fs::read(&cert).with_context(|| format!("reading {}", cert.display()))?,
                    std::fs::read(&key).with_context(|| format!("reading {}", key.display()))?,
                )),
                (_, _, Some(dir)) => Some(self_signed_in(&dir, listen)?),
                _ => None,
            };
            let kitchen_printer = printer.map(|address| Endpoint::Tcp { address });
            let runtime =
                tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
            runtime.block_on(async {
                let server = start(ServeOptions { db, listen, menu, kitchen_printer, tls, backups }).await?;
                let scheme = if server.tls_pin.is_some() { "https" } else { "http" };
                println!("kiosk link server on {scheme}://{}", server.addr);
                if let Some(pin) = &server.tls_pin {
                    println!("tls_pin_sha256 = \"{pin}\"");
                }
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => server.stop().await,
                    _ = wait_terminate() => server.stop().await,
                }
                Ok(())
            })
        }
        PosCommand::Token { name, db, admin } => {
            let token = open(&db)?.issue_token(&name, admin)?;
            println!("{token}");
            eprintln!(
                "token for {name}{} (shown once; put it in the device's [pos] token)",
                if admin { " (admin)" } else { "" }
            );
            Ok(())
        }
        PosCommand::Menu { file, db } => {
            let menu = kiosk_menu_file::read_menu_file(&file).with_context(|| file.display().to_string())?;
            let items = menu.items.len();
            let version = open(&db)?.load_menu(menu)?;
            println!("menu {version:?} loaded ({items} items)");
            Ok(())
        }
        PosCommand::SoldOut { item, db, back } => {
            open(&db)?.set_sold_out(&item, !back)?;
            println!("{item}: {}", if back { "back on sale" } else { "sold out" });
            Ok(())
        }
        PosCommand::Status { order_id, status, db } => {
            let Some(s) = OrderStatus::parse(&status) else {
                bail!("status {status:?}: use received, ready or served")
            };
            open(&db)?.set_order_status(&order_id, s)?;
            println!("{order_id}: {status}");
            Ok(())
        }
        PosCommand::Settle { table, db } => {
            let rounds = open(&db)?.settle_table(&table)?;
            println!("table {table}: {} round(s) settled", rounds.len());
            Ok(())
        }
        PosCommand::Store { state, db } => {
            open(&db)?.set_store_open(state == "open")?;
            println!("store {state}");
            Ok(())
        }
        PosCommand::Orders { db, json } => {
            let orders = open(&db)?.orders(0, u32::MAX)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&orders)?);
            } else {
                println!(
                    "{:>6}  {:<36}  {:<12}  {:>5}  {:>9}  {:>9}  {:<8}  dup",
                    "ref", "order", "device", "no.", "total", "refunded", "status"
                );
                for o in &orders {
                    println!(
                        "{:>6}  {:<36}  {:<12}  {:>5}  {:>9}  {:>9}  {:<8}  {}",
                        crate::db::pos_ref(o.seq),
                        o.order_id,
                        o.device,
                        o.number,
                        o.total,
                        o.refunded,
                        o.status,
                        o.duplicates
                    );
                }
                println!("{} order(s)", orders.len());
            }
            Ok(())
        }
        PosCommand::Staff(StaffCommand::Add { name, role, db }) => {
            let role = crate::db::console::Role::parse(&role).expect("clap checked the role");
            let mut secret = String::new();
            std::io::stdin()
                .read_line(&mut secret)
                .context("reading the PIN or password from standard input")?;
            let secret = secret.trim_end_matches(['\n', '\r']);
            crate::console::auth::check_secret(secret)
                .map_err(|e| anyhow::anyhow!("the PIN or password needs {e}"))?;
            let hash = crate::hash_secret(secret).map_err(anyhow::Error::msg)?;
            let mut db = open(&db)?;
            db.staff_add(&name, role, &hash, kiosk_clock::unix_now_ms())?;
            db.audit(
                None,
                "kiosk-pos",
                "staff.added",
                &format!("{name} ({})", role.as_str()),
                kiosk_clock::unix_now_ms(),
            )?;
            println!("staff {name} ({}) added; log in at /console/login", role.as_str());
            Ok(())
        }
        PosCommand::Staff(StaffCommand::List { db }) => {
            for m in open(&db)?.staff_list()? {
                println!(
                    "{:<20}  {:<8}  {}",
                    m.name,
                    m.role.as_str(),
                    if m.active { "active" } else { "inactive" }
                );
            }
            Ok(())
        }
        PosCommand::Board { db } => {
            let key = open(&db)?.board_key_add("pickup board", kiosk_clock::unix_now_ms())?;
            println!("/board/{key}");
            Ok(())
        }
        PosCommand::Backup { db, out } => {
            let bytes = open(&db)?.backup_to(&out)?;
            println!("{} → {} ({bytes} bytes, integrity checked)", db.display(), out.display());
            Ok(())
        }
        PosCommand::Calls { db } => {
            for c in open(&db)?.staff_calls(100)? {
                println!(
                    "{}  {:<12}  table {:<4}  {}",
                    c.at_ms,
                    c.device,
                    c.table.as_deref().unwrap_or("-"),
                    c.reason
                );
            }
            Ok(())
        }
    }
}

/// A self-signed certificate kept in `dir`, made on first use: `(cert PEM, key PEM)`.
fn self_signed_in(dir: &Path, listen: SocketAddr) -> Result<(Vec<u8>, Vec<u8>)> {
    let (cert_path, key_path) = (dir.join("cert.pem"), dir.join("key.pem"));
    if !cert_path.exists() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let names = vec!["localhost".to_owned(), listen.ip().to_string()];
        let (cert, key, _) = kiosk_link::tls::self_signed(&names)?;
        std::fs::write(&key_path, key).with_context(|| format!("writing {}", key_path.display()))?;
        std::fs::write(&cert_path, cert).with_context(|| format!("writing {}", cert_path.display()))?;
    }
    Ok((std::fs::read(&cert_path)?, std::fs::read(&key_path)?))
}

async fn wait_terminate() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut s) => {
            s.recv().await;
        }
        Err(_) => std::future::pending().await,
    }
}
