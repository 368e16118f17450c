//! The print service: drains the store's print queue through the printer driver.
//!
//! A job leaves the queue only when the driver confirms it printed. When the printer is not
//! ready (paper out, cover open, offline) the job stays queued with the reason, the service
//! watches the printer until it recovers, and prints the job again from the start. When the
//! printer is gone (unplugged, switched off) it reconnects with capped backoff.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use kiosk_domain::OrderId;
use kiosk_drivers::printer::driver::{DriverOptions, PrintError, PrinterDriver};
use kiosk_drivers::printer::encoder::{PrinterProfile, encode};
use kiosk_drivers::printer::font;
use kiosk_drivers::printer::receipt::{Block, Paper as ReceiptPaper, Receipt, Style};
use kiosk_drivers::printer::status::PrinterStatus;
use kiosk_drivers::transport::{Endpoint, Port};
use kiosk_receipts::{ReceiptContext, customer_receipt, kitchen_ticket, order_slip, receipt_copy};
use tokio::sync::{Notify, watch};

use crate::config::{Config, Paper, PrinterConfig};
use kiosk_clock::{StoreClock, unix_now_ms};
use kiosk_store::{PrintJob, PrintKind, Store, StoreError};

use crate::store_thread::StoreHandle;

/// What the rest of the firmware (supervisor, UI) sees of the printer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrinterHealth {
    Connecting,
    Disconnected { reason: String },
    Online(PrinterStatus),
}

/// Where the printer is and how the printouts look: from the configuration.
#[derive(Debug, Clone)]
pub struct PrintSetup {
    pub endpoint: Endpoint,
    pub profile: PrinterProfile,
    /// The business on every receipt; `lang` and `printed_at` are set per job.
    pub context: ReceiptContext,
    /// The store's clock, for the printed date and time.
    pub clock: StoreClock,
    /// The Chinese and Japanese receipt glyphs, added when a receipt first needs them (a
    /// megabyte a Korean store's kiosk never spends).
    pub cjk_glyphs: PathBuf,
}

impl PrintSetup {
    pub fn from_config(config: &Config, printer: &PrinterConfig) -> PrintSetup {
        PrintSetup {
            endpoint: printer.link.clone(),
            profile: PrinterProfile::default(),
            context: ReceiptContext {
                store_name: config.store.name.clone(),
                business_number: config.store.business_number.clone(),
                representative: config.store.representative.clone(),
                address: config.store.address.clone(),
                phone: config.store.phone.clone(),
                header: config.receipt.header.clone(),
                footer: config.receipt.footer.clone(),
                lang: config.ui.default_language,
                paper: match printer.paper {
                    Paper::Mm80 => ReceiptPaper::MM80,
                    Paper::Mm58 => ReceiptPaper::MM58,
                },
                printed_at: String::new(),
            },
            clock: StoreClock::new(&config.time_zone),
            cjk_glyphs: printer.cjk_glyphs.clone(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("order {0} of the print job is missing")]
    MissingOrder(OrderId),
    #[error("print job {0} has no order")]
    NoOrder(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The ESC/POS bytes of a queued job.
pub fn render(
    store: &Store,
    setup: &PrintSetup,
    job: &PrintJob,
    now_ms: i64,
) -> Result<Vec<u8>, RenderError> {
    let mut ctx = ReceiptContext { printed_at: setup.clock.local_datetime(now_ms), ..setup.context.clone() };
    let receipt = if job.kind == PrintKind::TestPage {
        test_page(&ctx)
    } else {
        let id = job.order_id.ok_or(RenderError::NoOrder(job.id))?;
        let order = store.load_order(id)?.ok_or(RenderError::MissingOrder(id))?;
        // The customer's printouts in the customer's language; the kitchen's in the store's
        // (the device's default language), whatever language the customer ordered in.
        if job.kind != PrintKind::KitchenTicket {
            ctx.lang = order.lang;
        }
        match job.kind {
            PrintKind::Receipt => {
                let approval = store.standing_approval(id)?;
                if store.printed_before(id, PrintKind::Receipt, job.id)? {
                    receipt_copy(&ctx, &order, approval.as_ref())
                } else {
                    customer_receipt(&ctx, &order, approval.as_ref())
                }
            }
            PrintKind::KitchenTicket => kitchen_ticket(&ctx, &order),
            PrintKind::OrderSlip | PrintKind::TestPage => order_slip(&ctx, &order),
        }
    };
    if receipt.text_lines().iter().any(|line| font::needs_added_glyphs(line)) {
        add_glyphs(&setup.cjk_glyphs);
    }
    Ok(encode(&receipt, setup.profile).bytes)
}

/// Adds the CJK receipt glyphs from `path`; without them the receipt prints hollow boxes where
/// they were needed, and the operator reads why.
fn add_glyphs(path: &Path) {
    // Read once: a file that is missing or broken stays so until the next start.
    static TRIED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if TRIED.swap(true, std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    match std::fs::read(path).map(|bytes| font::add_glyphs(&bytes)) {
        Ok(Ok(count)) => tracing::info!("receipt glyphs: {count} added from {}", path.display()),
        Ok(Err(e)) => tracing::error!("receipt glyphs {}: {e}", path.display()),
        Err(e) => {
            tracing::error!("receipt glyphs {}: {e}; Chinese and Japanese print as boxes", path.display())
        }
    }
}

fn test_page(ctx: &ReceiptContext) -> Receipt {
    let mut r = Receipt::new(ctx.paper);
    r.text(&ctx.store_name, Style::default().double().center().bold());
    r.text("프린터 테스트 / Printer test", Style::default().center());
    r.text(&ctx.printed_at, Style::default().center());
    r.separator('-');
    r.text("가나다라마바사 아자차카타파하 ￦1,234,567", Style::default());
    r.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789", Style::default());
    r.text("똠얌꿍 햏 (raster)", Style::default());
    r.push(Block::Cut { partial: true });
    r
}

pub struct PrintService {
    store: StoreHandle,
    setup: PrintSetup,
    options: DriverOptions,
    wake: Arc<Notify>,
    health: watch::Sender<PrinterHealth>,
}

/// Handle to a running print service.
#[derive(Clone)]
pub struct PrintHandle {
    wake: Arc<Notify>,
    health: watch::Receiver<PrinterHealth>,
}

impl PrintHandle {
    /// Tells the service new jobs are queued.
    pub fn poke(&self) {
        self.wake.notify_one();
    }

    pub fn health(&self) -> watch::Receiver<PrinterHealth> {
        self.health.clone()
    }
}

/// How often an idle printer is asked for its status. Between jobs the printer's own status
/// messages (ASB) and an unplug (end of file) are heard at once, so a printer that can print
/// is asked rarely, only to notice one that went silent (a network printer switched off):
/// an idle kiosk sleeps, the attract page's slides (every four seconds) its most frequent
/// wake-up. One that cannot print is asked often, so the screen clears as soon as it is fixed.
const IDLE_STATUS_EVERY: Duration = Duration::from_secs(5);
const RECOVERY_POLL: Duration = Duration::from_millis(500);
const BACKOFF_MIN: Duration = Duration::from_millis(250);
const BACKOFF_MAX: Duration = Duration::from_secs(2);

impl PrintService {
    pub fn new(store: StoreHandle, setup: PrintSetup) -> (PrintService, PrintHandle) {
        let line_rate = match setup.endpoint {
            Endpoint::Serial { baud, .. } => Some(baud),
            Endpoint::Tcp { .. } => None,
        };
        let options = DriverOptions { line_rate, ..DriverOptions::default() };
        let wake = Arc::new(Notify::new());
        let (health, rx) = watch::channel(PrinterHealth::Connecting);
        let handle = PrintHandle { wake: wake.clone(), health: rx };
        (PrintService { store, setup, options, wake, health }, handle)
    }

    async fn store<T: Send + 'static>(&self, f: impl FnOnce(&mut Store) -> T + Send + 'static) -> T {
        self.store.run(f).await
    }

    /// Runs forever: connect, print what is queued, recover, reconnect.
    pub async fn run(self) {
        let mut backoff = BACKOFF_MIN;
        loop {
            self.health.send_replace(PrinterHealth::Connecting);
            let link = match Port::open(&self.setup.endpoint, Duration::from_secs(3)).await {
                Ok(link) => link,
                Err(e) => {
                    self.health.send_replace(PrinterHealth::Disconnected {
                        reason: format!("{}: {e}", self.setup.endpoint),
                    });
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(BACKOFF_MAX);
                    continue;
                }
            };
            let mut driver = PrinterDriver::new(link, self.options);
            let reason = self.serve(&mut driver, &mut backoff).await;
            tracing::warn!("printer: {reason}; reconnecting");
            self.health.send_replace(PrinterHealth::Disconnected { reason });
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(BACKOFF_MAX);
        }
    }

    /// Serves one connection until the printer is gone; returns why.
    async fn serve(&self, driver: &mut PrinterDriver<Port>, backoff: &mut Duration) -> String {
        let mut updates = driver.watch();
        let health = self.health.clone();
        // Mirror every decoded status (mid-job too) to the health channel.
        let mirror = tokio::spawn(async move {
            while updates.changed().await.is_ok() {
                let status = *updates.borrow_and_update();
                health.send_replace(PrinterHealth::Online(status));
            }
        });
        // The printer tells paper out, cover open or offline by itself from now, and an unplug
        // is an end of file: between jobs the service listens, and asks only now and then.
        if let Err(e) = driver.enable_asb().await {
            mirror.abort();
            return e.operator_message();
        }
        let reason = loop {
            let idle_check = match driver.status().await {
                Ok(status) => {
                    *backoff = BACKOFF_MIN;
                    self.health.send_replace(PrinterHealth::Online(status));
                    if status.can_print() { IDLE_STATUS_EVERY } else { RECOVERY_POLL }
                }
                Err(e) => break e.operator_message(),
            };
            let pending = match self.store(|s| s.print_pending(20)).await {
                Ok(p) => p,
                Err(e) => {
                    tracing::error!("print queue: {e}");
                    Vec::new()
                }
            };
            if pending.is_empty() {
                let listened = tokio::select! {
                    _ = self.wake.notified() => Ok(()),
                    heard = driver.listen_until(tokio::time::Instant::now() + idle_check) => heard,
                };
                if let Err(e) = listened {
                    break e.operator_message();
                }
                continue;
            }
            if let Some(reason) = self.print_all(driver, &pending).await {
                break reason;
            }
        };
        mirror.abort();
        reason
    }

    /// Prints the jobs in order; returns a reason when the printer is gone.
    async fn print_all(&self, driver: &mut PrinterDriver<Port>, jobs: &[PrintJob]) -> Option<String> {
        for job in jobs {
            let now = unix_now_ms();
            let (setup, rendered) = (self.setup.clone(), job.clone());
            let bytes = match self.store(move |s| render(s, &setup, &rendered, now)).await {
                Ok(bytes) => bytes,
                Err(e) => {
                    // A job that cannot be rendered never will be: record and drop it.
                    tracing::error!("print job {}: {e}", job.id);
                    let (id, why) = (job.id, e.to_string());
                    let _ = self.store(move |s| s.print_attempted(id, Err(&why), true, now)).await;
                    continue;
                }
            };
            if job.interrupted {
                // The last attempt died mid-job: cut off whatever of it the printer already
                // put on paper, so the reprint is not glued to a fragment.
                tracing::warn!("print job {}: interrupted last time; cutting off the fragment", job.id);
                let mut cut = Receipt::new(self.setup.context.paper);
                cut.push(Block::Feed(3));
                cut.push(Block::Cut { partial: false });
                if let Err(e) = driver.print(&encode(&cut, self.setup.profile).bytes).await {
                    return Some(e.operator_message());
                }
            }
            let id = job.id;
            if let Err(e) = self.store(move |s| s.print_started(id, unix_now_ms())).await {
                tracing::error!("print job {}: journaling the start: {e}", job.id);
            }
            loop {
                match driver.print(&bytes).await {
                    Ok(_) => {
                        if let Err(e) =
                            self.store(move |s| s.print_attempted(id, Ok(()), false, unix_now_ms())).await
                        {
                            tracing::error!("print job {}: printed, but recording it failed: {e}", job.id);
                        }
                        break;
                    }
                    Err(e @ (PrintError::NotReady(_) | PrintError::Interrupted(_))) => {
                        let message = e.operator_message();
                        tracing::warn!("print job {}: {message}; kept in the queue", job.id);
                        let why = message.clone();
                        let _ =
                            self.store(move |s| s.print_attempted(id, Err(&why), false, unix_now_ms())).await;
                        if let Err(gone) = self.wait_until_ready(driver).await {
                            return Some(gone.operator_message());
                        }
                    }
                    Err(e) => {
                        let message = e.operator_message();
                        let why = message.clone();
                        let _ =
                            self.store(move |s| s.print_attempted(id, Err(&why), false, unix_now_ms())).await;
                        return Some(message);
                    }
                }
            }
        }
        None
    }

    async fn wait_until_ready(&self, driver: &mut PrinterDriver<Port>) -> Result<(), PrintError> {
        loop {
            let status = driver.status().await?;
            self.health.send_replace(PrinterHealth::Online(status));
            if status.can_print() {
                return Ok(());
            }
            tokio::time::sleep(RECOVERY_POLL).await;
        }
    }
}
