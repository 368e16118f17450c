//! The simulated terminal on a PTY, its replies paced at the baud rate (115200 by default).
//! An unplug fault removes the device; it comes back at the same path shortly after.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::model::{Fault, LedgerEntry, Reply, SimTerminal};
use crate::pty::PtyDevice;
use crate::wire_time;

#[derive(Debug, Clone)]
pub struct TerminalSimOptions {
    pub terminal_id: String,
    pub baud: u32,
    pub customer_delay: Duration,
    /// How long an unplugged terminal stays away.
    pub replug_after: Duration,
    /// The card number in approvals (see [`SimTerminal::card_number`]).
    pub card_number: String,
}

impl Default for TerminalSimOptions {
    fn default() -> Self {
        TerminalSimOptions {
            terminal_id: "SIM00001".into(),
            baud: 115_200,
            customer_delay: Duration::from_millis(200),
            replug_after: Duration::from_millis(500),
            card_number: "9411-23**-****-1234".into(),
        }
    }
}

#[derive(Clone)]
pub struct TerminalHandle {
    model: Arc<Mutex<SimTerminal>>,
    to_host: tokio::sync::mpsc::UnboundedSender<Unprompted>,
    unplug: Arc<tokio::sync::Notify>,
}

impl TerminalHandle {
    pub fn push_fault(&self, fault: Fault) {
        self.model.lock().expect("terminal lock").push_fault(fault);
    }

    /// How long the customer takes at the terminal from the next charge on.
    pub fn set_customer_delay(&self, delay: Duration) {
        self.model.lock().expect("terminal lock").customer_delay = delay;
    }

    /// A charge is waiting for the customer (see [`SimTerminal::awaiting_customer`]).
    pub fn awaiting_customer(&self) -> bool {
        self.model.lock().expect("terminal lock").awaiting_customer()
    }

    pub fn ledger(&self) -> Vec<LedgerEntry> {
        self.model.lock().expect("terminal lock").ledger().to_vec()
    }

    /// Injects random faults into `percent` of charges from now on.
    pub fn set_chaos(&self, percent: u32, seed: u64) {
        self.model.lock().expect("terminal lock").chaos = Some(super::model::Chaos::new(percent, seed));
    }

    /// The random faults injected so far, and the number of charges seen.
    pub fn chaos_report(&self) -> Option<(u32, std::collections::BTreeMap<&'static str, u32>)> {
        self.model.lock().expect("terminal lock").chaos.as_ref().map(|c| (c.charges, c.counts.clone()))
    }

    pub fn standing_approvals(&self) -> Vec<(String, u64)> {
        self.model.lock().expect("terminal lock").standing_approvals()
    }

    /// Pulls the cable: the device disappears and comes back after `replug_after`.
    pub fn unplug(&self) {
        self.unplug.notify_one();
    }

    /// Sends a card event (`I` inserted, `O` removed, `R` tapped, `M` swiped, `Q` barcode).
    pub fn card_event(&self, code: u8) {
        let _ = self.to_host.send(Unprompted::Event(code));
    }

    /// Puts these bytes on the line to the host, as noise or the tail of a frame a host that
    /// died before reading it left behind.
    pub fn line_noise(&self, bytes: &[u8]) {
        let _ = self.to_host.send(Unprompted::Noise(bytes.to_vec()));
    }
}

/// What the terminal sends without being asked.
enum Unprompted {
    Event(u8),
    Noise(Vec<u8>),
}

pub struct TerminalSim {
    pub handle: TerminalHandle,
    pub task: JoinHandle<()>,
    pub link: PathBuf,
}

pub fn spawn_pty(link: &Path, options: TerminalSimOptions) -> std::io::Result<TerminalSim> {
    let mut model = SimTerminal::new(&options.terminal_id);
    model.customer_delay = options.customer_delay;
    model.card_number = options.card_number.clone();
    let model = Arc::new(Mutex::new(model));
    let (to_host, mut unprompted) = tokio::sync::mpsc::unbounded_channel();
    let unplug = Arc::new(tokio::sync::Notify::new());
    let handle = TerminalHandle { model: model.clone(), to_host, unplug: unplug.clone() };
    let mut pty = PtyDevice::create(link)?;
    let link_path = link.to_owned();
    let task = tokio::spawn(async move {
        let mut buf = [0u8; 512];
        // What is due when, in order (a card charge waits on the customer while the line
        // stays open: a reset can reach the terminal meanwhile).
        let mut due = Schedule::default();
        loop {
            let replies = tokio::select! {
                n = pty.read(&mut buf) => match n {
                    Ok(0) | Err(_) => return,
                    Ok(n) => model.lock().expect("terminal lock").receive(&buf[..n]),
                },
                Some(what) = unprompted.recv() => {
                    let bytes = match what {
                        Unprompted::Event(code) => model.lock().expect("terminal lock").event(code),
                        Unprompted::Noise(bytes) => bytes,
                    };
                    vec![Reply::Send { after: Duration::ZERO, bytes }]
                }
                _ = unplug.notified() => vec![Reply::Unplug],
                () = due.next() => Vec::new(),
            };
            due.add(replies);
            while let Some(reply) = due.pop_due() {
                match reply {
                    Reply::Send { bytes, .. } => {
                        // paced: the line carries 10 bits a byte
                        for chunk in bytes.chunks(64) {
                            if pty.write_all(chunk).await.is_err() {
                                return;
                            }
                            tokio::time::sleep(wire_time(chunk.len(), options.baud)).await;
                        }
                    }
                    Reply::Customer { charge, .. } => {
                        let replies = model.lock().expect("terminal lock").customer_acts(charge);
                        due.add(replies);
                    }
                    Reply::Unplug => {
                        drop(pty);
                        // whatever was on its way is lost with the cable
                        due = Schedule::default();
                        tokio::time::sleep(options.replug_after).await;
                        match PtyDevice::create(&link_path) {
                            Ok(p) => pty = p,
                            Err(_) => return,
                        }
                    }
                }
            }
        }
    });
    Ok(TerminalSim { handle, task, link: link.to_owned() })
}

/// Replies by the time they are due, in the order they were made when due together.
#[derive(Default)]
struct Schedule {
    entries: Vec<(Instant, u64, Reply)>,
    made: u64,
}

impl Schedule {
    fn add(&mut self, replies: Vec<Reply>) {
        let now = Instant::now();
        for reply in replies {
            let after = match &reply {
                Reply::Send { after, .. } | Reply::Customer { after, .. } => *after,
                Reply::Unplug => Duration::ZERO,
            };
            self.made += 1;
            self.entries.push((now + after, self.made, reply));
        }
    }

    fn first(&self) -> Option<usize> {
        (0..self.entries.len()).min_by_key(|&i| (self.entries[i].0, self.entries[i].1))
    }

    /// The first reply that is due now.
    fn pop_due(&mut self) -> Option<Reply> {
        let i = self.first()?;
        (self.entries[i].0 <= Instant::now()).then(|| self.entries.remove(i).2)
    }

    /// Resolves when the first reply is due; never when nothing is scheduled.
    async fn next(&self) {
        match self.first() {
            Some(i) => tokio::time::sleep_until(self.entries[i].0).await,
            None => std::future::pending().await,
        }
    }
}
