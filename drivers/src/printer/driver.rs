//! The printer driver: sends jobs and watches status over any byte stream (tokio).
//!
//! A job counts as printed only when the printer was ready before its first byte and stayed
//! ready to the reply of the `GS r 1` sent after its last byte; what is sent when, and when
//! a job is confirmed, is the sans-IO [`PrintJob`]. On any trouble the driver finishes the
//! half-sent command and clears the printer's buffers (`DLE DC4 8`), so that the retry, not a
//! remainder, prints after recovery.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;
use tokio::time::{Instant, sleep_until, timeout};

use super::commands::{ASB_ENABLE, CLEAR_BUFFERS, status_query};
use super::job::{JobFailure, JobTiming, PrintJob, Step};
use super::parser::command_end;
use super::status::{PrinterState, PrinterStatus, Query, StatusDecoder, StatusEvent};
use crate::transport::is_gone;

#[derive(Debug, Clone, Copy)]
pub struct DriverOptions {
    /// How long a status query may go unanswered before the printer counts as silent.
    pub reply_timeout: Duration,
    /// How often status is polled while waiting for a job to finish printing.
    pub poll_interval: Duration,
    /// Longest a job may take once sent, while the printer keeps answering.
    pub job_timeout: Duration,
    /// Bytes per write.
    pub chunk: usize,
    /// The serial line's baud rate, if known: writes are paced to it so that at most one
    /// chunk waits in the OS buffer, and a status query or buffer clear reaches the printer
    /// at once instead of queueing behind seconds of data. `None` for TCP.
    pub line_rate: Option<u32>,
}

impl Default for DriverOptions {
    fn default() -> Self {
        DriverOptions {
            reply_timeout: Duration::from_millis(1000),
            poll_interval: Duration::from_millis(250),
            job_timeout: Duration::from_secs(120),
            chunk: 256,
            line_rate: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    /// The printer cannot print now; nothing was sent.
    #[error("printer not ready: {0:?}")]
    NotReady(PrinterState),
    /// The printer stopped being ready during the job; it was not (wholly) printed.
    #[error("job interrupted: {0:?}")]
    Interrupted(PrinterState),
    /// The printer did not answer.
    #[error("printer does not answer")]
    NoReply,
    /// The connection is gone (unplugged, closed).
    #[error("printer disconnected: {0}")]
    Gone(std::io::Error),
    #[error("I/O error: {0}")]
    Io(std::io::Error),
}

impl PrintError {
    /// The message for the operator.
    pub fn operator_message(&self) -> String {
        match self {
            PrintError::NotReady(s) | PrintError::Interrupted(s) => state_message(*s).to_owned(),
            PrintError::NoReply => "the printer does not answer: is it switched on?".to_owned(),
            PrintError::Gone(_) => "the printer is disconnected: check its cable".to_owned(),
            PrintError::Io(e) => format!("printer I/O error: {e}"),
        }
    }
}

pub fn state_message(state: PrinterState) -> &'static str {
    match state {
        PrinterState::Ready => "ready",
        PrinterState::PaperNearEnd => "paper is running low",
        PrinterState::PaperOut => "out of paper: load a new roll",
        PrinterState::CoverOpen => "the printer cover is open: close it",
        PrinterState::Offline => "the printer is offline",
        PrinterState::CutterError => "paper jam at the cutter: open the cover and clear it",
        PrinterState::UnrecoverableError => "printer fault: switch it off and on, or call service",
    }
}

fn io_error(e: std::io::Error) -> PrintError {
    if is_gone(&e) { PrintError::Gone(e) } else { PrintError::Io(e) }
}

pub struct PrinterDriver<T> {
    io: T,
    decoder: StatusDecoder,
    options: DriverOptions,
    /// Every status change, as soon as it is decoded (mid-job too).
    updates: watch::Sender<PrinterStatus>,
}

impl<T: AsyncRead + AsyncWrite + Unpin> PrinterDriver<T> {
    pub fn new(io: T, options: DriverOptions) -> PrinterDriver<T> {
        PrinterDriver {
            io,
            decoder: StatusDecoder::new(),
            options,
            updates: watch::channel(PrinterStatus::default()).0,
        }
    }

    /// Status changes as they are decoded, for the device supervisor and the UI: a paper-out
    /// during a job shows here at once, before the job's cleanup is done.
    pub fn watch(&self) -> watch::Receiver<PrinterStatus> {
        self.updates.subscribe()
    }

    fn feed(&mut self, bytes: &[u8]) -> Vec<StatusEvent> {
        let events = self.decoder.feed(bytes);
        let status = self.decoder.status();
        self.updates.send_if_modified(|s| std::mem::replace(s, status) != status);
        events
    }

    /// The last status the printer reported.
    pub fn last_status(&self) -> PrinterStatus {
        self.decoder.status()
    }

    pub fn into_inner(self) -> T {
        self.io
    }

    /// Asks `DLE EOT 1`–`4` and waits for the four replies (and for any still owed from
    /// earlier queries, which the printer answers first).
    pub async fn status(&mut self) -> Result<PrinterStatus, PrintError> {
        let mut query = Vec::with_capacity(12);
        for n in 1..=4 {
            query.extend_from_slice(&status_query(n));
            self.decoder.expect(Query::RealTime(n));
        }
        self.io.write_all(&query).await.map_err(io_error)?;
        let deadline = Instant::now() + self.options.reply_timeout;
        while self.decoder.pending() > 0 {
            self.read_until(deadline).await?;
        }
        Ok(self.decoder.status())
    }

    /// Switches Automatic Status Back on: from now the printer tells a change of its state
    /// (paper out, cover open, offline) by itself, answered first with its state now.
    pub async fn enable_asb(&mut self) -> Result<(), PrintError> {
        self.io.write_all(&ASB_ENABLE).await.map_err(io_error)
    }

    /// Between jobs: listens until `deadline` to what the printer says by itself (its ASB
    /// messages, fed to the status and its [`watch`](Self::watch)), and returns `Gone` as soon
    /// as the port closes (unplugged). Nothing is sent, so an idle printer costs no wake-up
    /// until it has something to say. Cancel-safe: dropping it loses no byte.
    pub async fn listen_until(&mut self, deadline: Instant) -> Result<(), PrintError> {
        let mut buf = [0u8; 64];
        loop {
            match tokio::time::timeout_at(deadline, self.io.read(&mut buf)).await {
                Err(_) => return Ok(()),
                Ok(Ok(0)) => return Err(PrintError::Gone(std::io::ErrorKind::UnexpectedEof.into())),
                Ok(Ok(n)) => {
                    self.feed(&buf[..n]);
                }
                Ok(Err(e)) => return Err(io_error(e)),
            }
        }
    }

    /// Reads once, feeding the decoder; `NoReply` at the deadline.
    async fn read_until(&mut self, deadline: Instant) -> Result<Vec<StatusEvent>, PrintError> {
        let mut buf = [0u8; 256];
        match tokio::time::timeout_at(deadline, self.io.read(&mut buf)).await {
            Err(_) => {
                self.decoder.reset();
                Err(PrintError::NoReply)
            }
            Ok(Ok(0)) => Err(PrintError::Gone(std::io::ErrorKind::UnexpectedEof.into())),
            Ok(Ok(n)) => Ok(self.feed(&buf[..n])),
            Ok(Err(e)) => Err(io_error(e)),
        }
    }

    /// Prints one job (ESC/POS bytes). See the module documentation for what "printed" means.
    pub async fn print(&mut self, job: &[u8]) -> Result<PrinterStatus, PrintError> {
        let before = self.status().await?;
        if !before.can_print() {
            return Err(PrintError::NotReady(before.state()));
        }
        let o = self.options;
        let timing = JobTiming {
            reply_timeout: o.reply_timeout,
            poll_interval: o.poll_interval,
            job_timeout: o.job_timeout,
            chunk: o.chunk,
            line_rate: o.line_rate,
        };
        let mut job = PrintJob::new(job, timing, &mut self.decoder, Instant::now().into_std());
        match self.run(&mut job).await {
            Ok(status) => Ok(status),
            Err(e @ (PrintError::Interrupted(_) | PrintError::NoReply)) => {
                self.abandon(job.bytes(), job.sent()).await;
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    /// Moves the job's bytes and the printer's replies until the job is done.
    async fn run(&mut self, job: &mut PrintJob) -> Result<PrinterStatus, PrintError> {
        let mut buf = [0u8; 256];
        loop {
            let step = job.poll(&mut self.decoder, Instant::now().into_std());
            let (write, wake_at) = match step {
                Step::Done(Ok(status)) => return Ok(status),
                Step::Done(Err(JobFailure::Interrupted(state))) => {
                    return Err(PrintError::Interrupted(state));
                }
                Step::Done(Err(JobFailure::NoReply)) => return Err(PrintError::NoReply),
                Step::Query(query) => {
                    self.io.write_all(&query).await.map_err(io_error)?;
                    continue;
                }
                Step::Wait { write, wake_at } => (write, Instant::from_std(wake_at)),
            };
            let (mut rd, mut wr) = tokio::io::split(&mut self.io);
            let bytes = job.bytes();
            tokio::select! {
                n = async { wr.write(&bytes[write.clone().unwrap_or(0..0)]).await }, if write.is_some() => {
                    let n = n.map_err(io_error)?;
                    job.wrote(n);
                }
                n = rd.read(&mut buf) => {
                    let n = n.map_err(io_error)?;
                    if n == 0 {
                        return Err(PrintError::Gone(std::io::ErrorKind::UnexpectedEof.into()));
                    }
                    job.handle_input(&buf[..n], &mut self.decoder);
                    let status = self.decoder.status();
                    self.updates.send_if_modified(|s| std::mem::replace(s, status) != status);
                }
                _ = sleep_until(wake_at) => {}
            }
        }
    }

    /// After a failed job: finish the command that was half sent (so the printer is between
    /// commands again), clear the printer's buffers, and read the replies still owed, so the
    /// next query is not answered by a stale byte. Best effort: the printer may be gone.
    async fn abandon(&mut self, bytes: &[u8], sent: usize) {
        let rest = &bytes[sent..command_end(bytes, sent).max(sent)];
        let clear = async {
            self.io.write_all(rest).await?;
            self.io.write_all(&CLEAR_BUFFERS).await?;
            self.io.flush().await
        };
        if timeout(Duration::from_secs(5), clear).await.is_err() {
            self.decoder.reset();
            return;
        }
        // The paper sensor query was cleared with the buffers: it will never be answered.
        self.decoder.forget(Query::PaperSensor);
        // Resynchronise: ask the status again and wait for every reply still owed. On a slow
        // line the clear (and these queries) reach the printer only after the rest of the
        // command has crossed the wire, so allow for that.
        let in_flight = rest.len() + self.options.chunk + CLEAR_BUFFERS.len();
        let wire = self.options.line_rate.map_or(Duration::ZERO, |baud| {
            Duration::from_micros(in_flight as u64 * 10 * 1_000_000 / u64::from(baud.max(1)))
        });
        let mut query = Vec::with_capacity(12);
        for n in 1..=4 {
            query.extend_from_slice(&status_query(n));
            self.decoder.expect(Query::RealTime(n));
        }
        if self.io.write_all(&query).await.is_err() {
            self.decoder.reset();
            return;
        }
        let deadline = Instant::now() + wire + self.options.reply_timeout;
        while self.decoder.pending() > 0 {
            if self.read_until(deadline).await.is_err() {
                break;
            }
        }
    }
}
