//! `kiosk doctor`: probes every configured device and says, for each, what is wrong and what
//! to do. Installers run it on a fresh device; it works against the simulators too.

use std::time::Duration;

use kiosk_drivers::payment::PaymentTerminal;
use kiosk_drivers::payment::smartro::client::SmartroTerminal;
use kiosk_drivers::printer::driver::{DriverOptions, PrinterDriver, state_message};
use kiosk_drivers::printer::status::PrinterState;
use kiosk_drivers::transport::{Endpoint, Port};

use crate::config::{Config, PosAdapter};
use kiosk_pos::{AnyPos, MenuFetch, PosAdapter as _, PosError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Ok,
    /// Works, needs attention soon (paper near its end).
    Degraded,
    /// Not there (port missing, nothing answers).
    Missing,
    /// There, but not working.
    Fault,
    /// Not checked.
    Skipped,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Ok => "ok",
            Health::Degraded => "degraded",
            Health::Missing => "missing",
            Health::Fault => "fault",
            Health::Skipped => "skipped",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub device: &'static str,
    pub port: String,
    pub health: Health,
    pub detail: String,
    pub todo: String,
    pub required: bool,
}

impl Finding {
    /// A required device that is not usable.
    pub fn fails(&self) -> bool {
        self.required && matches!(self.health, Health::Missing | Health::Fault)
    }
}

const OPEN: Duration = Duration::from_secs(2);

pub async fn probe(config: &Config) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(p) = &config.devices.printer {
        out.push(printer(&p.link, p.required).await);
    }
    if let Some(t) = &config.devices.terminal {
        out.push(terminal(&t.link, t.required).await);
    }
    if let Some(s) = &config.devices.scanner {
        out.push(scanner(&s.link, s.required).await);
    }
    out.push(pos(config).await);
    out
}

async fn pos(config: &Config) -> Finding {
    let port = config.pos.url.clone().unwrap_or_else(|| "-".into());
    let finding = |health, detail: String, todo: &str| Finding {
        device: "pos",
        port: port.clone(),
        health,
        detail,
        todo: todo.to_owned(),
        // Orders queue while the POS is away, so it never stops the kiosk.
        required: false,
    };
    if config.pos.adapter == PosAdapter::None {
        return finding(Health::Skipped, "no POS configured: orders stay on this device".into(), "");
    }
    let adapter = match AnyPos::from_config(&config.pos) {
        Ok(Some(a)) => a,
        Ok(None) => {
            return finding(Health::Fault, "[pos] needs url and token".into(), "set [pos] url and token");
        }
        Err(e) => return finding(Health::Fault, e.to_string(), "fix [pos] in the config"),
    };
    let probe = async {
        let health = adapter.health().await?;
        let menu = adapter.fetch_menu(None).await;
        Ok::<_, PosError>((health, menu))
    };
    match tokio::time::timeout(Duration::from_secs(20), probe).await {
        Err(_) => {
            finding(Health::Missing, "no answer in 20 s".into(), "check the POS address and the network")
        }
        Ok(Ok((h, menu))) => {
            let menu = match menu {
                Ok(MenuFetch::Changed(m)) => format!("menu {:?} ({} items)", m.version, m.items.len()),
                Ok(MenuFetch::Unchanged) => "menu unchanged".into(),
                Err(e) => format!("menu: {e}"),
            };
            let store = if h.store_open { "store open" } else { "store closed" };
            finding(Health::Ok, format!("{} via {}: {store}, {menu}", h.server, adapter.name()), "")
        }
        Ok(Err(e)) => {
            let (health, todo) = match &e {
                PosError::Unreachable(_) | PosError::Ambiguous(_) => {
                    (Health::Missing, "check the POS address, the network, and that the store server runs")
                }
                PosError::Unauthorized(_) => (
                    Health::Fault,
                    "issue this device a token (kiosk-pos token NAME --db FILE) and put it in [pos] token",
                ),
                PosError::Tls(_) => {
                    (Health::Fault, "copy the pin the store server prints at start into [pos] tls_pin_sha256")
                }
                PosError::Protocol(_) => {
                    (Health::Fault, "update the kiosk or the store server to the same protocol")
                }
                _ => (Health::Fault, "see the detail; the store server's log has more"),
            };
            finding(health, e.to_string(), todo)
        }
    }
}

fn missing(device: &'static str, endpoint: &Endpoint, required: bool, e: impl std::fmt::Display) -> Finding {
    Finding {
        device,
        port: endpoint.to_string(),
        health: Health::Missing,
        detail: format!("cannot open: {e}"),
        todo: match endpoint {
            Endpoint::Serial { .. } => {
                "check the cable and the port in the config (ls /dev/serial/by-id)".into()
            }
            Endpoint::Tcp { .. } => "check the device's power, network cable and IP address".into(),
        },
        required,
    }
}

async fn printer(endpoint: &Endpoint, required: bool) -> Finding {
    let link = match Port::open(endpoint, OPEN).await {
        Ok(l) => l,
        Err(e) => return missing("printer", endpoint, required, e),
    };
    let mut driver = PrinterDriver::new(link, DriverOptions::default());
    let port = endpoint.to_string();
    match driver.status().await {
        Ok(status) => {
            let state = status.state();
            let (health, todo) = match state {
                PrinterState::Ready => (Health::Ok, String::new()),
                PrinterState::PaperNearEnd => (Health::Degraded, "have a new paper roll ready".into()),
                other => (Health::Fault, state_message(other).into()),
            };
            Finding { device: "printer", port, health, detail: format!("{state:?}"), todo, required }
        }
        Err(e) => Finding {
            device: "printer",
            port,
            health: Health::Missing,
            detail: e.to_string(),
            todo: e.operator_message(),
            required,
        },
    }
}

async fn terminal(endpoint: &Endpoint, required: bool) -> Finding {
    let link = match Port::open(endpoint, OPEN).await {
        Ok(l) => l,
        Err(e) => return missing("terminal", endpoint, required, e),
    };
    let mut t = SmartroTerminal::new(link, "");
    let port = endpoint.to_string();
    match tokio::time::timeout(Duration::from_secs(15), t.check()).await {
        Ok(Ok(info)) if info.ready => Finding {
            device: "terminal",
            port,
            health: Health::Ok,
            detail: format!("ready, version {} ({})", info.version, info.detail),
            todo: String::new(),
            required,
        },
        Ok(Ok(info)) => Finding {
            device: "terminal",
            port,
            health: Health::Fault,
            detail: format!("not ready ({}), version {}", info.detail, info.version),
            todo: "check the terminal's network (VAN) link and its card reader; call the VAN if it persists"
                .into(),
            required,
        },
        Ok(Err(e)) => Finding {
            device: "terminal",
            port,
            health: Health::Missing,
            detail: e.to_string(),
            todo: "check that the terminal is on and its serial cable is in".into(),
            required,
        },
        Err(_) => Finding {
            device: "terminal",
            port,
            health: Health::Missing,
            detail: "no answer".into(),
            todo: "check that the terminal is on and its serial cable is in".into(),
            required,
        },
    }
}

async fn scanner(endpoint: &Endpoint, required: bool) -> Finding {
    match Port::open(endpoint, OPEN).await {
        Ok(_) => Finding {
            device: "scanner",
            port: endpoint.to_string(),
            health: Health::Ok,
            detail: "port open (a serial scanner only speaks when it scans)".into(),
            todo: "scan any code to see it read".into(),
            required,
        },
        Err(e) => missing("scanner", endpoint, required, e),
    }
}

/// The findings as a table for a person.
pub fn table(findings: &[Finding]) -> String {
    let headers = ["device", "port", "status", "detail", "what to do"];
    let rows: Vec<[String; 5]> = findings
        .iter()
        .map(|f| {
            let status = if f.required {
                format!("{} (required)", f.health.as_str())
            } else {
                f.health.as_str().to_owned()
            };
            [f.device.to_owned(), f.port.clone(), status, f.detail.clone(), f.todo.clone()]
        })
        .collect();
    let mut widths = headers.map(str::len);
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 5]| {
        cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    let mut out = vec![line(headers)];
    out.extend(rows.iter().map(|r| line([&r[0], &r[1], &r[2], &r[3], &r[4]])));
    out.join("\n")
}

/// The findings as JSON, for scripts.
pub fn json(findings: &[Finding]) -> String {
    let items: Vec<serde_json::Value> = findings
        .iter()
        .map(|f| {
            serde_json::json!({
                "device": f.device, "port": f.port, "status": f.health.as_str(), "required": f.required,
                "detail": f.detail, "todo": f.todo,
            })
        })
        .collect();
    serde_json::Value::Array(items).to_string()
}
