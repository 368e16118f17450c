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
use kiosk_receipts::{ReceiptContext, kitchen_ticket};
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

pub async fn run(db: Arc<Mutex<ServerDb>>, endpoint: Endpoint, wake: Arc<Notify>) {
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
            let next = db.lock().expect("server db lock").next_kitchen_ticket();
            let (seq, order) = match next {
                Ok(Some(job)) => job,
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
            let ticket = kitchen_ticket(&ReceiptContext { lang: order.lang, ..context(&clock) }, &order);
            match driver.print(&encode(&ticket, PrinterProfile::default()).bytes).await {
                Ok(_) => {
                    if let Err(e) = db.lock().expect("server db lock").kitchen_printed(seq, None) {
                        tracing::error!("kitchen queue: printed ticket {seq}, but recording it failed: {e}");
                    }
                }
                Err(e) => {
                    tracing::warn!("kitchen printer: {}; ticket {seq} stays queued", e.operator_message());
                    tokio::time::sleep(RETRY).await;
                    break; // reconnect: the printer may have been replaced or restarted
                }
            }
        }
    }
}
