//! The printer driver: sends jobs and watches status over any byte stream.
//!
//! A job counts as printed only when the printer stayed ready (online, paper, cover shut, no
//! error) from before its first byte to the reply of the `GS r 1` sent after its last byte,
//! which the printer answers only once it has processed everything before it. On any
//! trouble the driver flushes the half-sent command with NULs and clears the printer's
//! buffers (`DLE DC4 8`), so that the retry, not a remainder, prints after recovery.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;
use tokio::time::{Instant, MissedTickBehavior, interval, sleep_until, timeout};

use super::commands::{ASB_ENABLE, CLEAR_BUFFERS, PAPER_SENSOR_STATUS, status_query};
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
        let mut bytes = Vec::with_capacity(job.len() + 6);
        bytes.extend_from_slice(&ASB_ENABLE);
        bytes.extend_from_slice(job);
        bytes.extend_from_slice(&PAPER_SENSOR_STATUS);
        let mut sent = 0;
        match self.send_and_confirm(&bytes, &mut sent).await {
            Ok(status) => Ok(status),
            Err(e @ (PrintError::Interrupted(_) | PrintError::NoReply)) => {
                self.abandon(&bytes, sent).await;
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    async fn send_and_confirm(
        &mut self,
        bytes: &[u8],
        sent: &mut usize,
    ) -> Result<PrinterStatus, PrintError> {
        self.decoder.expect(Query::PaperSensor);
        let chunk = self.options.chunk.max(1);
        let mut buf = [0u8; 256];
        let mut poll = interval(self.options.poll_interval);
        poll.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let give_up = Instant::now() + self.options.job_timeout;
        let mut confirmed = false;
        // When the oldest unanswered status poll was sent.
        let mut polls_unanswered_since: Option<Instant> = None;
        let started = Instant::now();
        let line_rate = self.options.line_rate;
        let (mut rd, mut wr) = tokio::io::split(&mut self.io);
        loop {
            let status = self.decoder.status();
            if !status.can_print() {
                return Err(PrintError::Interrupted(status.state()));
            }
            if confirmed {
                return Ok(status);
            }
            let writing = *sent < bytes.len();
            let allowed = match line_rate {
                Some(baud) => chunk + (started.elapsed().as_secs_f64() * f64::from(baud) / 10.0) as usize,
                None => usize::MAX,
            };
            let may_write = writing && *sent < allowed;
            tokio::select! {
                n = wr.write(&bytes[*sent..(*sent + chunk).min(bytes.len()).min(allowed.max(*sent + 1))]), if may_write => {
                    *sent += n.map_err(io_error)?;
                }
                _ = tokio::time::sleep(Duration::from_millis(5)), if writing && !may_write => {}
                n = rd.read(&mut buf) => {
                    let n = n.map_err(io_error)?;
                    if n == 0 {
                        return Err(PrintError::Gone(std::io::ErrorKind::UnexpectedEof.into()));
                    }
                    for event in self.decoder.feed(&buf[..n]) {
                        if let StatusEvent::PaperSensor(_) = event {
                            confirmed = true;
                        }
                    }
                    let status = self.decoder.status();
                    self.updates.send_if_modified(|s| std::mem::replace(s, status) != status);
                    // Only the paper sensor reply (the end of the job) may still be owed.
                    if self.decoder.pending() <= 1 {
                        polls_unanswered_since = None;
                    }
                }
                // Once the whole job is sent, poll the real-time status (safe: we are between
                // commands) so a stop is noticed even without ASB.
                _ = poll.tick(), if !writing => {
                    if polls_unanswered_since.is_some_and(|t| t.elapsed() > self.options.reply_timeout) {
                        return Err(PrintError::NoReply);
                    }
                    polls_unanswered_since.get_or_insert_with(Instant::now);
                    let mut q = Vec::with_capacity(6);
                    for n in [2, 4] {
                        q.extend_from_slice(&status_query(n));
                        self.decoder.expect(Query::RealTime(n));
                    }
                    wr.write_all(&q).await.map_err(io_error)?;
                }
                _ = sleep_until(give_up) => return Err(PrintError::NoReply),
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
