//! The simulated printer on a real transport: a TCP port (like port 9100 of a network
//! printer) or a PTY, reading at the configured baud rate. Conditions (paper out, cover
//! open, offline) can change at any moment through the handle.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;

use super::model::{Condition, Job, SimEvent, SimPrinter};
use super::render::{png, render};
use crate::pty::PtyDevice;
use crate::wire_time;
use kiosk_drivers::printer::receipt::Paper;
use kiosk_drivers::printer::status::PrinterStatus;

/// Most bytes the simulated printer buffers before it stops reading (real printers hold
/// 4–64 KB and then assert flow control).
const RECEIVE_BUFFER: usize = 64 * 1024;

#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Pace reading at this baud rate (8N1); `None` reads as fast as the transport allows.
    pub baud: Option<u32>,
    pub paper: Paper,
    /// Write `job-NNNN.txt` and `job-NNNN.png` here for every printed job.
    pub out_dir: Option<PathBuf>,
    /// Conditions at start (`--paper-out`, `--cover-open`, `--offline`).
    pub initial: Vec<Condition>,
    /// How long an unplugged PTY device stays away.
    pub replug_after: std::time::Duration,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            baud: None,
            paper: Paper::MM80,
            out_dir: None,
            initial: Vec::new(),
            replug_after: std::time::Duration::from_millis(500),
        }
    }
}

/// What the simulator reports as it runs.
#[derive(Debug, Clone)]
pub enum SimReport {
    Printed(Job),
    Discarded(Job),
    Garbage(usize),
    DrawerKicked,
    Connected,
    Disconnected,
}

/// Controls a running simulator and hears what it prints.
#[derive(Clone)]
pub struct SimHandle {
    printer: Arc<Mutex<SimPrinter>>,
    wake: mpsc::UnboundedSender<()>,
    reports: broadcast::Sender<SimReport>,
    unplug: Arc<tokio::sync::Notify>,
}

impl SimHandle {
    /// Changes the printer's condition (an ASB message goes out at once when enabled).
    pub fn set(&self, condition: Condition) {
        self.printer.lock().expect("printer lock").set(condition);
        let _ = self.wake.send(());
    }

    pub fn status(&self) -> PrinterStatus {
        self.printer.lock().expect("printer lock").status()
    }

    pub fn subscribe(&self) -> broadcast::Receiver<SimReport> {
        self.reports.subscribe()
    }

    /// Pulls the cable (PTY only): the device disappears and comes back at the same path
    /// after `SimOptions::replug_after`.
    pub fn unplug(&self) {
        self.unplug.notify_one();
    }
}

pub struct RunningSim {
    pub handle: SimHandle,
    pub task: JoinHandle<()>,
    /// The TCP address, when listening on TCP.
    pub address: Option<SocketAddr>,
}

fn new_handle(options: &SimOptions) -> (SimHandle, mpsc::UnboundedReceiver<()>) {
    let mut printer = SimPrinter::new();
    for c in &options.initial {
        printer.set(*c);
    }
    let (wake, woken) = mpsc::unbounded_channel();
    let (reports, _) = broadcast::channel(256);
    let unplug = Arc::new(tokio::sync::Notify::new());
    (SimHandle { printer: Arc::new(Mutex::new(printer)), wake, reports, unplug }, woken)
}

/// Listens on `address` (e.g. 127.0.0.1:9100) and serves one connection at a time.
pub async fn spawn_tcp(address: &str, options: SimOptions) -> std::io::Result<RunningSim> {
    let listener = TcpListener::bind(address).await?;
    let local = listener.local_addr()?;
    let (handle, mut woken) = new_handle(&options);
    let h = handle.clone();
    let task = tokio::spawn(async move {
        let mut seq = 0;
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            let _ = h.reports.send(SimReport::Connected);
            serve(stream, &h, &mut woken, &options, &mut seq).await;
            let _ = h.reports.send(SimReport::Disconnected);
        }
    });
    Ok(RunningSim { handle, task, address: Some(local) })
}

/// Creates a PTY linked at `link` and serves it; [`SimHandle::unplug`] removes it for a while.
pub fn spawn_pty(link: &Path, options: SimOptions) -> std::io::Result<RunningSim> {
    let mut pty = Some(PtyDevice::create(link)?);
    let (handle, mut woken) = new_handle(&options);
    let h = handle.clone();
    let link = link.to_owned();
    let task = tokio::spawn(async move {
        let mut seq = 0;
        loop {
            let device = match pty.take() {
                Some(d) => d,
                None => match PtyDevice::create(&link) {
                    Ok(d) => d,
                    Err(_) => return,
                },
            };
            tokio::select! {
                _ = serve(device, &h, &mut woken, &options, &mut seq) => return,
                _ = h.unplug.notified() => {}
            }
            // the device (and its link) is gone until replugged
            tokio::time::sleep(options.replug_after).await;
        }
    });
    Ok(RunningSim { handle, task, address: None })
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    handle: &SimHandle,
    woken: &mut mpsc::UnboundedReceiver<()>,
    options: &SimOptions,
    seq: &mut u32,
) {
    let mut buf = vec![0u8; 512];
    loop {
        let room = RECEIVE_BUFFER.saturating_sub(handle.printer.lock().expect("printer lock").buffered());
        // Paced reads: at most ~10 ms of line time per read, then wait out the wire time.
        let want = match options.baud {
            Some(baud) => ((baud as usize / 1000).max(1)).min(buf.len()).min(room.max(1)),
            None => buf.len().min(room.max(1)),
        };
        let reading = room > 0;
        let events = tokio::select! {
            n = stream.read(&mut buf[..want]), if reading => {
                match n {
                    Ok(0) | Err(_) => {
                        let job = handle.printer.lock().expect("printer lock").finish();
                        if let Some(job) = job {
                            report(handle, SimEvent::Printed(job), options, seq);
                        }
                        return;
                    }
                    Ok(n) => {
                        if let Some(baud) = options.baud {
                            tokio::time::sleep(wire_time(n, baud)).await;
                        }
                        handle.printer.lock().expect("printer lock").receive(&buf[..n])
                    }
                }
            }
            Some(()) = woken.recv() => handle.printer.lock().expect("printer lock").process(),
        };
        let replies = handle.printer.lock().expect("printer lock").take_replies();
        if !replies.is_empty() && stream.write_all(&replies).await.is_err() {
            return;
        }
        for e in events {
            report(handle, e, options, seq);
        }
    }
}

fn report(handle: &SimHandle, event: SimEvent, options: &SimOptions, seq: &mut u32) {
    let report = match event {
        SimEvent::Printed(job) => {
            *seq += 1;
            if let Some(dir) = &options.out_dir {
                let base = dir.join(format!("job-{:04}", *seq));
                let _ = std::fs::create_dir_all(dir);
                let _ = std::fs::write(base.with_extension("txt"), job.text() + "\n");
                let _ = std::fs::write(base.with_extension("png"), png(&render(&job, options.paper.dots)));
            }
            SimReport::Printed(job)
        }
        SimEvent::Discarded(job) => SimReport::Discarded(job),
        SimEvent::Garbage(bytes) => SimReport::Garbage(bytes.len()),
        SimEvent::DrawerKicked => SimReport::DrawerKicked,
    };
    let _ = handle.reports.send(report);
}
