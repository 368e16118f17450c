//! Kitchen tickets from the store server to a network ESC/POS printer (port 9100), in the
//! order orders arrived. A ticket that fails stays queued and is printed when the printer
//! is back; nothing is skipped.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use kiosk_domain::Lang;
use kiosk_drivers::printer::driver::{DriverOptions, PrinterDriver};
use kiosk_drivers::printer::encoder::{PrinterProfile, encode};
use kiosk_drivers::printer::receipt::Paper;
use kiosk_drivers::transport::{Endpoint, Port};
use kiosk_receipts::{ReceiptContext, kitchen_ticket, station_ticket};
use tokio::sync::Notify;

use crate::db::ServerDb;
use kiosk_clock::{StoreClock, unix_now_ms};

const RETRY: Duration = Duration::from_secs(2);
const IDLE_CHECK: Duration = Duration::from_secs(1);

fn context(clock: &StoreClock) -> ReceiptContext {
    ReceiptContext {
        store_name: String::new(),
        business_number: String::new(),
        representative: None,
        address: String::new(),
        phone: None,
        header: vec![],
        footer: vec![],
        lang: Lang::Ko,
        paper: Paper::MM80,
        printed_at: clock.local_datetime(unix_now_ms()),
    }
}

/// Prints tickets for one printer: the store's kitchen printer (`station_printer: None`)
/// prints what no station's own printer does.
pub async fn run(
    db: Arc<Mutex<ServerDb>>,
    endpoint: Endpoint,
    wake: Arc<Notify>,
    station_printer: Option<String>,
) {
    let clock = StoreClock::new("Asia/Seoul");
    loop {
        let link = match Port::open(&endpoint, Duration::from_secs(3)).await {
            Ok(link) => link,
            Err(e) => {
                tracing::warn!("kitchen printer {endpoint}: {e}");
                tokio::time::sleep(RETRY).await;
                continue;
            }
        };
        let mut driver = PrinterDriver::new(link, DriverOptions::default());
        loop {
            let next = db.lock().expect("server db lock").next_kitchen_ticket(station_printer.as_deref());
            let ticket = match next {
                Ok(Some(ticket)) => ticket,
                Ok(None) => {
                    let _ = tokio::time::timeout(IDLE_CHECK, wake.notified()).await;
                    continue;
                }
                Err(e) => {
                    tracing::error!("kitchen queue: {e}");
                    tokio::time::sleep(RETRY).await;
                    continue;
                }
            };
            let seq = ticket.seq;
            // In the kitchen's language (Korean), whatever language the customer ordered in.
            let context = context(&clock);
            let printout = match &ticket.station {
                Some(station) => station_ticket(&context, &ticket.order, &station.name),
                None => kitchen_ticket(&context, &ticket.order),
            };
            match driver.print(&encode(&printout, PrinterProfile::default()).bytes).await {
                Ok(_) => {
                    if let Err(e) = db.lock().expect("server db lock").kitchen_printed(seq, None) {
                        tracing::error!("kitchen queue: printed ticket {seq}, but recording it failed: {e}");
                    }
                }
                Err(e) => {
                    tracing::warn!(
                        "kitchen printer {endpoint}: {}; ticket {seq} stays queued",
                        e.operator_message()
                    );
                    tokio::time::sleep(RETRY).await;
                    break; // reconnect: the printer may have been replaced or restarted
                }
            }
        }
    }
}

/// Starts a printing loop for each station printer staff configure, as they add them.
pub async fn run_station_printers(db: Arc<Mutex<ServerDb>>, wake: Arc<Notify>) {
    let mut running = std::collections::BTreeSet::new();
    loop {
        let printers = db.lock().expect("server db lock").station_printers();
        match printers {
            Ok(printers) => {
                for address in printers {
                    if running.insert(address.clone()) {
                        let endpoint = Endpoint::Tcp { address: address.clone() };
                        tokio::spawn(run(db.clone(), endpoint, wake.clone(), Some(address)));
                    }
                }
            }
            Err(e) => tracing::error!("station printers: {e}"),
        }
        let _ = tokio::time::timeout(RETRY, wake.notified()).await;
    }
}
