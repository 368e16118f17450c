//! One print job's confirmation as a sans-IO state machine: which bytes may go out when (paced
//! to the line), when to poll the printer's status, and when the job counts as printed. The
//! driver (`driver.rs`) moves the bytes and reads the clock; everything it decides is here,
//! testable with byte vectors and a fake clock, like the SMARTRO link session.
//!
//! A job counts as printed only when the printer stayed ready (online, paper, cover shut, no
//! error) to the reply of the `GS r 1` sent after its last byte, which the printer answers
//! only once it has processed everything before it. Once the whole job is out, the real-time
//! status is polled (safe: the printer is between commands), so a stop is noticed even
//! without Automatic Status Back; polls left unanswered for the reply timeout, or a job that
//! takes longer than the job timeout, mean the printer does not answer.

use std::ops::Range;
use std::time::{Duration, Instant};

use super::commands::{ASB_ENABLE, PAPER_SENSOR_STATUS, status_query};
use super::status::{PrinterState, PrinterStatus, Query, StatusDecoder, StatusEvent};

/// How a job's confirmation is timed and paced.
#[derive(Debug, Clone, Copy)]
pub struct JobTiming {
    /// How long status polls may go unanswered.
    pub reply_timeout: Duration,
    /// How often status is polled once the job is out.
    pub poll_interval: Duration,
    /// Longest a job may take once started.
    pub job_timeout: Duration,
    /// Bytes per write.
    pub chunk: usize,
    /// The serial line's baud rate, if known: at most one chunk runs ahead of the line, so a
    /// status query or buffer clear reaches the printer at once. `None` for TCP.
    pub line_rate: Option<u32>,
}

/// Why a job was not confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobFailure {
    /// The printer stopped being ready during the job.
    Interrupted(PrinterState),
    /// The printer stopped answering.
    NoReply,
}

/// What the driver does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Write `write` of [`PrintJob::bytes`] if given (the driver reports what it wrote with
    /// [`PrintJob::wrote`]), read the printer's replies meanwhile, and ask again by
    /// `wake_at` at the latest.
    Wait { write: Option<Range<usize>>, wake_at: Instant },
    /// Write these status queries whole, then ask again.
    Query(Vec<u8>),
    /// The job is over.
    Done(Result<PrinterStatus, JobFailure>),
}

pub struct PrintJob {
    bytes: Vec<u8>,
    sent: usize,
    timing: JobTiming,
    started: Instant,
    give_up: Instant,
    next_poll: Option<Instant>,
    /// When the oldest unanswered status poll was sent.
    polls_unanswered_since: Option<Instant>,
    confirmed: bool,
}

impl PrintJob {
    /// A job of ESC/POS bytes, with Automatic Status Back switched on before it and the
    /// paper sensor query (the confirmation) after it; `decoder` will expect that reply.
    pub fn new(job: &[u8], timing: JobTiming, decoder: &mut StatusDecoder, now: Instant) -> PrintJob {
        let mut bytes = Vec::with_capacity(job.len() + ASB_ENABLE.len() + PAPER_SENSOR_STATUS.len());
        bytes.extend_from_slice(&ASB_ENABLE);
        bytes.extend_from_slice(job);
        bytes.extend_from_slice(&PAPER_SENSOR_STATUS);
        decoder.expect(Query::PaperSensor);
        PrintJob {
            bytes,
            sent: 0,
            timing,
            started: now,
            give_up: now + timing.job_timeout,
            next_poll: None,
            polls_unanswered_since: None,
            confirmed: false,
        }
    }

    /// Everything the job sends, in order.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// How many of [`Self::bytes`] have been written.
    pub fn sent(&self) -> usize {
        self.sent
    }

    /// The driver wrote `n` more bytes of the job.
    pub fn wrote(&mut self, n: usize) {
        self.sent = (self.sent + n).min(self.bytes.len());
    }

    /// Bytes from the printer: decoded, and the confirmation noted. Returns the events, for
    /// the driver to publish status changes.
    pub fn handle_input(&mut self, bytes: &[u8], decoder: &mut StatusDecoder) -> Vec<StatusEvent> {
        let events = decoder.feed(bytes);
        if events.iter().any(|e| matches!(e, StatusEvent::PaperSensor(_))) {
            self.confirmed = true;
        }
        // Only the paper sensor reply (the end of the job) may still be owed: the polls
        // were answered.
        if decoder.pending() <= 1 {
            self.polls_unanswered_since = None;
        }
        events
    }

    /// How many bytes the line has taken by `now` (plus one chunk ahead).
    fn allowance(&self, now: Instant) -> usize {
        let chunk = self.timing.chunk.max(1);
        match self.timing.line_rate {
            Some(baud) => {
                chunk
                    + (now.saturating_duration_since(self.started).as_secs_f64() * f64::from(baud) / 10.0)
                        as usize
            }
            None => usize::MAX,
        }
    }

    /// When the line will have taken byte `sent` (so one more may be written).
    fn allowance_grows_at(&self) -> Instant {
        let chunk = self.timing.chunk.max(1);
        let baud = self.timing.line_rate.unwrap_or(u32::MAX).max(1);
        let bytes = (self.sent + 1).saturating_sub(chunk) as f64;
        self.started + Duration::from_secs_f64(bytes * 10.0 / f64::from(baud))
    }

    /// What to do at `now`.
    pub fn poll(&mut self, decoder: &mut StatusDecoder, now: Instant) -> Step {
        let status = decoder.status();
        if !status.can_print() {
            return Step::Done(Err(JobFailure::Interrupted(status.state())));
        }
        if self.confirmed {
            return Step::Done(Ok(status));
        }
        if now >= self.give_up {
            return Step::Done(Err(JobFailure::NoReply));
        }
        let writing = self.sent < self.bytes.len();
        if writing {
            let chunk = self.timing.chunk.max(1);
            let allowed = self.allowance(now);
            if self.sent < allowed {
                let end = (self.sent + chunk).min(self.bytes.len()).min(allowed);
                return Step::Wait { write: Some(self.sent..end), wake_at: self.give_up };
            }
            return Step::Wait { write: None, wake_at: self.allowance_grows_at().min(self.give_up) };
        }
        let due = *self.next_poll.get_or_insert(now);
        if now < due {
            return Step::Wait { write: None, wake_at: due.min(self.give_up) };
        }
        if self
            .polls_unanswered_since
            .is_some_and(|t| now.saturating_duration_since(t) > self.timing.reply_timeout)
        {
            return Step::Done(Err(JobFailure::NoReply));
        }
        self.polls_unanswered_since.get_or_insert(now);
        self.next_poll = Some(now + self.timing.poll_interval);
        let mut query = Vec::with_capacity(6);
        for n in [2, 4] {
            query.extend_from_slice(&status_query(n));
            decoder.expect(Query::RealTime(n));
        }
        Step::Query(query)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printer::status::{PaperLevel, encode};

    fn timing(line_rate: Option<u32>) -> JobTiming {
        JobTiming {
            reply_timeout: Duration::from_millis(1000),
            poll_interval: Duration::from_millis(250),
            job_timeout: Duration::from_secs(120),
            chunk: 256,
            line_rate,
        }
    }

    /// Writes everything the job offers at `now`, as a fast line would (and stops before a
    /// status poll is due).
    fn send_all(job: &mut PrintJob, decoder: &mut StatusDecoder, now: Instant) {
        while job.sent() < job.bytes().len() {
            let Step::Wait { write: Some(range), .. } = job.poll(decoder, now) else { return };
            job.wrote(range.len());
        }
    }

    fn ready() -> PrinterStatus {
        PrinterStatus::default()
    }

    #[test]
    fn a_job_is_printed_when_the_paper_sensor_answers_after_its_last_byte() {
        let t0 = Instant::now();
        let mut decoder = StatusDecoder::new();
        let mut job = PrintJob::new(b"hello\n", timing(None), &mut decoder, t0);
        assert_eq!(&job.bytes()[..3], &ASB_ENABLE);
        assert_eq!(&job.bytes()[job.bytes().len() - 3..], &PAPER_SENSOR_STATUS);
        send_all(&mut job, &mut decoder, t0);
        assert_eq!(job.sent(), job.bytes().len());
        // all out: the status is polled, not yet confirmed
        let Step::Query(q) = job.poll(&mut decoder, t0) else { panic!("a poll once the job is out") };
        assert_eq!(q, [status_query(2), status_query(4)].concat());
        assert!(matches!(job.poll(&mut decoder, t0), Step::Wait { write: None, .. }));
        // the printer answers the paper sensor query first (it was sent first), then the polls
        let s = ready();
        let reply = [vec![0x00], vec![encode::real_time(2, &s), encode::real_time(4, &s)]].concat();
        job.handle_input(&reply, &mut decoder);
        assert_eq!(job.poll(&mut decoder, t0 + Duration::from_millis(10)), Step::Done(Ok(s)));
    }

    #[test]
    fn paper_out_mid_job_interrupts_it_at_once() {
        let t0 = Instant::now();
        let mut decoder = StatusDecoder::new();
        let mut job = PrintJob::new(&[b'x'; 1000], timing(None), &mut decoder, t0);
        let Step::Wait { write: Some(first), .. } = job.poll(&mut decoder, t0) else { panic!() };
        job.wrote(first.len());
        let out = PrinterStatus { paper: PaperLevel::Out, ..ready() };
        job.handle_input(&encode::asb(&out), &mut decoder);
        assert_eq!(
            job.poll(&mut decoder, t0),
            Step::Done(Err(JobFailure::Interrupted(PrinterState::PaperOut)))
        );
        assert!(job.sent() < job.bytes().len(), "the driver finishes the half-sent command from `sent`");
    }

    #[test]
    fn unanswered_polls_mean_no_reply_after_the_reply_timeout() {
        let t0 = Instant::now();
        let mut decoder = StatusDecoder::new();
        let mut job = PrintJob::new(b"x", timing(None), &mut decoder, t0);
        send_all(&mut job, &mut decoder, t0);
        let mut now = t0;
        let mut polls = 0;
        loop {
            match job.poll(&mut decoder, now) {
                Step::Query(_) => polls += 1,
                Step::Wait { write: None, wake_at } => now = wake_at,
                Step::Done(r) => {
                    assert_eq!(r, Err(JobFailure::NoReply));
                    break;
                }
                other => panic!("{other:?}"),
            }
        }
        let waited = now - t0;
        assert!(waited > Duration::from_millis(1000) && waited <= Duration::from_millis(1250), "{waited:?}");
        assert_eq!(polls, 5, "every 250 ms until the first poll is a second old");
    }

    #[test]
    fn answered_polls_keep_a_long_job_alive_until_its_timeout() {
        let t0 = Instant::now();
        let mut decoder = StatusDecoder::new();
        let mut job = PrintJob::new(b"x", timing(None), &mut decoder, t0);
        send_all(&mut job, &mut decoder, t0);
        let s = ready();
        let mut now = t0;
        loop {
            match job.poll(&mut decoder, now) {
                Step::Query(_) => {
                    job.handle_input(&[encode::real_time(2, &s), encode::real_time(4, &s)], &mut decoder);
                }
                Step::Wait { write: None, wake_at } => now = wake_at,
                Step::Done(r) => {
                    assert_eq!(r, Err(JobFailure::NoReply));
                    break;
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(now - t0, Duration::from_secs(120), "the job timeout, not the reply timeout");
    }

    #[test]
    fn a_slow_line_is_fed_one_chunk_ahead_of_its_baud_rate() {
        let t0 = Instant::now();
        let mut decoder = StatusDecoder::new();
        let mut job = PrintJob::new(&[b'x'; 4000], timing(Some(9600)), &mut decoder, t0);
        send_all(&mut job, &mut decoder, t0);
        assert_eq!(job.sent(), 256, "one chunk ahead at the start");
        let Step::Wait { write: None, wake_at } = job.poll(&mut decoder, t0) else { panic!() };
        // the next byte may go once the line has taken the first one: 10 bits at 9600 baud
        assert_eq!(wake_at - t0, Duration::from_secs_f64(10.0 / 9600.0));
        // after one second, 960 more bytes
        send_all(&mut job, &mut decoder, t0 + Duration::from_secs(1));
        assert_eq!(job.sent(), 256 + 960);
    }
}
