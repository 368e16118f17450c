//! The SMARTRO link layer as a state machine without I/O: bytes and the time go in, bytes to
//! send and outcomes come out. One request at a time:
//!
//! ```text
//! request ─▶ (ACK within 3 s, else resend; after 3 tries: NoAck) ─▶ response ─▶ our ACK
//! ```
//!
//! A response that arrives without its ACK (the ACK was lost) is accepted. Event frames
//! (`@`) are passed up and not acknowledged. A response that arrives when nothing is
//! waiting for it (late, after a give-up) is acknowledged and passed up as unsolicited: it
//! may carry the outcome of an ambiguous charge.
//!
//! A charge waiting for the customer's card can be abandoned: [`Session::abort`] sends a
//! reset (`R`) and keeps waiting a short while for the charge's own response, since the
//! customer may have paid just before the reset arrived. A charge response (approved,
//! declined or cancelled) is passed up as the charge's outcome; the reset's answer without
//! one ends the charge as [`LinkError::NoResponse`], ambiguous: the caller asks the
//! terminal's last transaction and never sends the charge again. (The client does not
//! reset a terminal that is already reading the customer's card.)

use std::time::{Duration, Instant};

use super::frame::{ACK, Decoder, Frame, NACK, Token};

pub const ACK_TIMEOUT: Duration = Duration::from_secs(3);
pub const MAX_TRIES: u32 = 3;
/// How long an abandoned charge waits for the reset's answer.
pub const ABORT_TIMEOUT: Duration = Duration::from_secs(5);
/// After the reset's answer, how long a charge response already on its way may still come.
pub const ABORT_GRACE: Duration = Duration::from_millis(500);

/// Why a request failed on the link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// Never acknowledged in three tries. The terminal may still have received it (a lost
    /// ACK), so for a charge this is ambiguous.
    #[error("the terminal did not acknowledge the request")]
    NoAck,
    /// Acknowledged, but no response in time: ambiguous.
    #[error("no response from the terminal in time")]
    NoResponse,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Send these bytes.
    Transmit(Vec<u8>),
    /// The response to the current request (already acknowledged).
    Response(Frame),
    /// An event from the terminal (card inserted, barcode read…).
    Event(u8),
    /// The current request failed.
    Failed(LinkError),
    /// A response nobody was waiting for (acknowledged).
    Unsolicited(Frame),
    /// Something refused, for the log: noise, a bad frame (NACKed), another terminal's frame.
    Refused(String),
}

#[derive(Debug)]
enum State {
    Idle,
    AwaitingAck {
        request: Vec<u8>,
        job: u8,
        tries: u32,
        deadline: Instant,
        response_timeout: Duration,
    },
    AwaitingResponse {
        job: u8,
        deadline: Instant,
    },
    /// A reset was sent to abandon the charge `job`; its response still counts. The reset
    /// is sent again when no ACK comes by `ack_deadline` (`None` once acknowledged).
    Aborting {
        job: u8,
        reset: Vec<u8>,
        tries: u32,
        ack_deadline: Option<Instant>,
        deadline: Instant,
        reset_answered: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a request is already in progress")]
pub struct Busy;

#[derive(Debug)]
pub struct Session {
    terminal_id: String,
    decoder: Decoder,
    state: State,
}

impl Session {
    /// `terminal_id`: the terminal we talk to; frames from another id are refused (an empty
    /// id accepts any).
    pub fn new(terminal_id: &str) -> Session {
        Session { terminal_id: terminal_id.to_owned(), decoder: Decoder::new(), state: State::Idle }
    }

    pub fn terminal_id(&self) -> &str {
        &self.terminal_id
    }

    pub fn is_idle(&self) -> bool {
        matches!(self.state, State::Idle)
    }

    /// Starts a request; `response_timeout` counts from its ACK.
    pub fn start(
        &mut self,
        frame: Frame,
        now: Instant,
        response_timeout: Duration,
    ) -> Result<Vec<Output>, Busy> {
        if !self.is_idle() {
            return Err(Busy);
        }
        let request = frame.encode();
        self.state = State::AwaitingAck {
            request: request.clone(),
            job: frame.job,
            tries: 1,
            deadline: now + ACK_TIMEOUT,
            response_timeout,
        };
        Ok(vec![Output::Transmit(request)])
    }

    /// Abandons the charge in progress: sends `reset` (an `R` frame) and waits for the
    /// charge's response a while longer. Nothing happens when no request is in progress or
    /// one is already being abandoned.
    pub fn abort(&mut self, reset: Frame, now: Instant) -> Vec<Output> {
        let job = match self.state {
            State::AwaitingAck { job, .. } | State::AwaitingResponse { job, .. } => job,
            State::Idle | State::Aborting { .. } => return Vec::new(),
        };
        let reset = reset.encode();
        self.state = State::Aborting {
            job,
            reset: reset.clone(),
            tries: 1,
            ack_deadline: Some(now + ACK_TIMEOUT),
            deadline: now + ABORT_TIMEOUT,
            reset_answered: false,
        };
        vec![Output::Transmit(reset)]
    }

    /// A reset is abandoning the current charge.
    pub fn is_aborting(&self) -> bool {
        matches!(self.state, State::Aborting { .. })
    }

    /// Forgets the current request (the caller gave up on it).
    pub fn reset(&mut self) {
        self.state = State::Idle;
        self.decoder.clear();
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        match &self.state {
            State::Idle => None,
            State::AwaitingAck { deadline, .. } | State::AwaitingResponse { deadline, .. } => Some(*deadline),
            State::Aborting { deadline, ack_deadline, .. } => {
                Some(ack_deadline.map_or(*deadline, |ack| ack.min(*deadline)))
            }
        }
    }

    pub fn handle_timeout(&mut self, now: Instant) -> Vec<Output> {
        match &mut self.state {
            State::AwaitingAck { request, tries, deadline, .. } if now >= *deadline => {
                if *tries < MAX_TRIES {
                    *tries += 1;
                    *deadline = now + ACK_TIMEOUT;
                    vec![Output::Transmit(request.clone())]
                } else {
                    self.state = State::Idle;
                    vec![Output::Failed(LinkError::NoAck)]
                }
            }
            State::AwaitingResponse { deadline, .. } | State::Aborting { deadline, .. }
                if now >= *deadline =>
            {
                self.state = State::Idle;
                vec![Output::Failed(LinkError::NoResponse)]
            }
            // The reset was not acknowledged: sent again, three tries in all.
            State::Aborting { reset, tries, ack_deadline, .. } if ack_deadline.is_some_and(|a| now >= a) => {
                if *tries < MAX_TRIES {
                    *tries += 1;
                    *ack_deadline = Some(now + ACK_TIMEOUT);
                    vec![Output::Transmit(reset.clone())]
                } else {
                    *ack_deadline = None;
                    Vec::new()
                }
            }
            _ => Vec::new(),
        }
    }

    pub fn handle_input(&mut self, bytes: &[u8], now: Instant) -> Vec<Output> {
        let mut out = Vec::new();
        for token in self.decoder.feed(bytes) {
            match token {
                Token::Ack => match &mut self.state {
                    State::AwaitingAck { job, response_timeout, .. } => {
                        let (job, response_timeout) = (*job, *response_timeout);
                        self.state = State::AwaitingResponse { job, deadline: now + response_timeout };
                    }
                    State::Aborting { ack_deadline, .. } => *ack_deadline = None,
                    _ => {}
                },
                Token::Nack => match &mut self.state {
                    State::AwaitingAck { request, tries, deadline, .. } => {
                        if *tries < MAX_TRIES {
                            *tries += 1;
                            *deadline = now + ACK_TIMEOUT;
                            out.push(Output::Transmit(request.clone()));
                        } else {
                            self.state = State::Idle;
                            out.push(Output::Failed(LinkError::NoAck));
                        }
                    }
                    // The reset was refused: send it again (the deadline stands).
                    State::Aborting { reset, tries, reset_answered: false, .. } if *tries < MAX_TRIES => {
                        *tries += 1;
                        out.push(Output::Transmit(reset.clone()));
                    }
                    _ => {}
                },
                Token::Frame(frame) => self.frame(frame, now, &mut out),
                Token::Invalid(e) => {
                    out.push(Output::Transmit(vec![NACK]));
                    out.push(Output::Refused(format!("bad frame, NACKed: {e}")));
                }
                Token::Garbage(g) => {
                    out.push(Output::Refused(format!("{} byte(s) of noise skipped", g.len())))
                }
            }
        }
        out
    }

    fn frame(&mut self, frame: Frame, now: Instant, out: &mut Vec<Output>) {
        if !self.terminal_id.is_empty() && frame.terminal_id() != self.terminal_id {
            out.push(Output::Refused(format!("frame for terminal {:?}, not ours", frame.terminal_id())));
            return;
        }
        if frame.is_event() {
            out.push(Output::Event(frame.data.first().copied().unwrap_or(0)));
            return;
        }
        let waiting = match self.state {
            State::AwaitingAck { job, .. }
            | State::AwaitingResponse { job, .. }
            | State::Aborting { job, .. } => Some(job),
            State::Idle => None,
        };
        out.push(Output::Transmit(vec![ACK]));
        if let State::Aborting { reset_answered, deadline, .. } = &mut self.state
            && frame.job == super::jobs::job::RESET.to_ascii_lowercase()
        {
            // The terminal is back at rest; a charge response it sent before may still be
            // on the line.
            *reset_answered = true;
            *deadline = (*deadline).min(now + ABORT_GRACE);
            return;
        }
        if waiting.is_some_and(|job| frame.job == job.to_ascii_lowercase()) {
            self.state = State::Idle;
            out.push(Output::Response(frame));
        } else {
            out.push(Output::Unsolicited(frame));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TID: &str = "TERM0001";

    fn response(job: u8) -> Vec<u8> {
        Frame::new(TID, "20261122134501", job, b"OOOO".to_vec()).encode()
    }

    fn transmitted(out: &[Output]) -> Vec<Vec<u8>> {
        out.iter().filter_map(|o| if let Output::Transmit(b) = o { Some(b.clone()) } else { None }).collect()
    }

    #[test]
    fn request_ack_response_ack() {
        let t0 = Instant::now();
        let mut s = Session::new(TID);
        let out =
            s.start(Frame::new(TID, "20261122134501", b'A', vec![]), t0, Duration::from_secs(5)).unwrap();
        assert_eq!(transmitted(&out).len(), 1);
        assert!(s.handle_input(&[ACK], t0).is_empty());
        let out = s.handle_input(&response(b'a'), t0);
        assert_eq!(transmitted(&out), vec![vec![ACK]]);
        assert!(matches!(&out[1], Output::Response(f) if f.data == b"OOOO"));
        assert!(s.is_idle());
        assert_eq!(
            s.start(Frame::new(TID, "", b'A', vec![]), t0, Duration::from_secs(5)).map(|_| ()),
            Ok(())
        );
        assert_eq!(
            s.start(Frame::new(TID, "", b'A', vec![]), t0, Duration::from_secs(5)).map(|_| ()),
            Err(Busy)
        );
    }

    #[test]
    fn resends_after_3_s_and_gives_up_after_3_tries() {
        let t0 = Instant::now();
        let mut s = Session::new(TID);
        let first =
            transmitted(&s.start(Frame::new(TID, "", b'B', vec![]), t0, Duration::from_secs(60)).unwrap());
        assert_eq!(s.poll_timeout(), Some(t0 + ACK_TIMEOUT));
        assert!(s.handle_timeout(t0 + Duration::from_millis(2999)).is_empty());
        assert_eq!(transmitted(&s.handle_timeout(t0 + ACK_TIMEOUT)), first, "second try");
        // a NACK counts as a try too
        assert_eq!(transmitted(&s.handle_input(&[NACK], t0 + Duration::from_secs(4))), first, "third try");
        let out = s.handle_timeout(t0 + Duration::from_secs(7));
        assert_eq!(out, vec![Output::Failed(LinkError::NoAck)]);
        assert!(s.is_idle());
    }

    #[test]
    fn a_missing_response_is_ambiguous_and_a_late_one_is_unsolicited() {
        let t0 = Instant::now();
        let mut s = Session::new(TID);
        s.start(Frame::new(TID, "", b'B', vec![]), t0, Duration::from_secs(30)).unwrap();
        s.handle_input(&[ACK], t0);
        assert_eq!(s.poll_timeout(), Some(t0 + Duration::from_secs(30)));
        assert_eq!(
            s.handle_timeout(t0 + Duration::from_secs(30)),
            vec![Output::Failed(LinkError::NoResponse)]
        );
        let out = s.handle_input(&response(b'b'), t0 + Duration::from_secs(31));
        assert_eq!(transmitted(&out), vec![vec![ACK]]);
        assert!(matches!(out[1], Output::Unsolicited(_)));
    }

    #[test]
    fn a_response_without_its_ack_is_taken_events_are_not_acked() {
        let t0 = Instant::now();
        let mut s = Session::new(TID);
        s.start(Frame::new(TID, "", b'B', vec![]), t0, Duration::from_secs(30)).unwrap();
        let event = Frame::new(TID, "20261122134501", b'@', vec![b'I']).encode();
        let out = s.handle_input(&event, t0);
        assert_eq!(out, vec![Output::Event(b'I')], "no ACK for events");
        let out = s.handle_input(&response(b'b'), t0);
        assert!(matches!(out[1], Output::Response(_)), "the ACK was lost; the response still counts");
    }

    fn reset_frame() -> Frame {
        Frame::new(TID, "20261122134501", b'R', vec![])
    }

    #[test]
    fn an_abandoned_charge_takes_its_own_response_if_one_comes() {
        let t0 = Instant::now();
        let mut s = Session::new(TID);
        s.start(Frame::new(TID, "", b'B', vec![]), t0, Duration::from_secs(60)).unwrap();
        s.handle_input(&[ACK], t0);
        let out = s.abort(reset_frame(), t0 + Duration::from_secs(1));
        assert_eq!(transmitted(&out), vec![reset_frame().encode()]);
        assert!(s.abort(reset_frame(), t0).is_empty(), "one reset");
        assert_eq!(
            s.poll_timeout(),
            Some(t0 + Duration::from_secs(1) + ACK_TIMEOUT),
            "the reset's ACK first"
        );
        // a reset lost on the line is sent again
        let t1 = t0 + Duration::from_secs(1) + ACK_TIMEOUT;
        assert_eq!(transmitted(&s.handle_timeout(t1)), vec![reset_frame().encode()]);
        assert_eq!(
            s.poll_timeout(),
            Some(t0 + Duration::from_secs(1) + ABORT_TIMEOUT),
            "then the abort's own time"
        );
        // the customer paid just before the reset: the approval still counts
        s.handle_input(&[ACK], t0 + Duration::from_secs(1));
        let out = s.handle_input(&response(b'b'), t0 + Duration::from_secs(1));
        assert!(matches!(&out[1], Output::Response(f) if f.job == b'b'), "{out:?}");
        assert!(s.is_idle());
    }

    #[test]
    fn an_abandoned_charge_without_its_response_is_ambiguous() {
        let t0 = Instant::now();
        let mut s = Session::new(TID);
        s.start(Frame::new(TID, "", b'B', vec![]), t0, Duration::from_secs(60)).unwrap();
        s.handle_input(&[ACK], t0);
        s.abort(reset_frame(), t0);
        // a NACKed reset is sent again
        assert_eq!(transmitted(&s.handle_input(&[NACK], t0)), vec![reset_frame().encode()]);
        let out = s.handle_input(&response(b'r'), t0);
        assert_eq!(transmitted(&out), vec![vec![ACK]], "the reset's answer is acknowledged, not passed up");
        assert_eq!(s.poll_timeout(), Some(t0 + ABORT_GRACE), "a short grace for a response on its way");
        assert!(s.handle_timeout(t0 + ABORT_GRACE - Duration::from_millis(1)).is_empty());
        assert_eq!(s.handle_timeout(t0 + ABORT_GRACE), vec![Output::Failed(LinkError::NoResponse)]);
        assert!(s.is_idle());
    }

    #[test]
    fn bad_frames_are_nacked_and_foreign_ones_refused() {
        let t0 = Instant::now();
        let mut s = Session::new(TID);
        let mut bad = response(b'a');
        let n = bad.len();
        bad[n - 1] ^= 1;
        let out = s.handle_input(&bad, t0);
        assert_eq!(transmitted(&out), vec![vec![NACK]]);
        let foreign = Frame::new("OTHER", "20261122134501", b'a', vec![]).encode();
        let out = s.handle_input(&foreign, t0);
        assert!(transmitted(&out).is_empty() && matches!(out[0], Output::Refused(_)));
    }
}
