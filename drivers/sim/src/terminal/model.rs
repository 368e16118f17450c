//! The simulated SMARTRO terminal, sans-IO: frames in, replies (with the delay before each)
//! out, and a ledger of every approval and cancel it made — the ground truth that tests hold
//! the kiosk's journal against.

use std::collections::VecDeque;
use std::time::Duration;

use kiosk_drivers::payment::smartro::frame::{ACK, Decoder, Frame, NACK, Token};
use kiosk_drivers::payment::smartro::jobs::{
    self, Amounts, ApprovalResponse, CancelTarget, DeviceCheck, PartState, job, version_reply,
};

/// A fault to inject into the next charge (approval, barcode approval or cancel).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Decline with this reject code.
    Decline(&'static str),
    /// The customer presses cancel on the terminal.
    CustomerAbort,
    /// The request's ACK is lost (the request is still processed).
    DropAck,
    /// The response goes out with a wrong BCC first (the host NACKs; it is resent).
    CorruptBcc,
    /// ACK, then nothing: the charge does not happen.
    Stall,
    /// The charge is approved (it is in the ledger) but the response is lost.
    ApproveLoseResponse,
    /// The charge is approved, then the cable is pulled before the response.
    UnplugAfterApproval,
    /// The customer pays at the very moment the host resets the terminal to abandon the
    /// charge: the approval stands and its response goes out before the reset's.
    PaidBeforeReset,
}

impl Fault {
    pub fn parse(s: &str) -> Option<Fault> {
        let mut words = s.split_whitespace();
        Some(match words.next()? {
            "decline" => Fault::Decline(match words.next().unwrap_or("6B") {
                "0A" => "0A",
                "69" => "69",
                "6F" => "6F",
                _ => "6B",
            }),
            "abort" => Fault::CustomerAbort,
            "drop-ack" => Fault::DropAck,
            "corrupt-bcc" => Fault::CorruptBcc,
            "stall" => Fault::Stall,
            "lose-response" => Fault::ApproveLoseResponse,
            "unplug" => Fault::UnplugAfterApproval,
            "paid-before-reset" => Fault::PaidBeforeReset,
            _ => return None,
        })
    }
}

impl Fault {
    /// Every fault, for random fault injection.
    pub const ALL: [Fault; 7] = [
        Fault::Decline("6B"),
        Fault::CustomerAbort,
        Fault::DropAck,
        Fault::CorruptBcc,
        Fault::Stall,
        Fault::ApproveLoseResponse,
        Fault::UnplugAfterApproval,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Fault::Decline(_) => "decline",
            Fault::CustomerAbort => "customer abort",
            Fault::DropAck => "dropped ACK",
            Fault::CorruptBcc => "corrupt BCC",
            Fault::Stall => "stall",
            Fault::ApproveLoseResponse => "approved, response lost",
            Fault::UnplugAfterApproval => "unplugged after approval",
            Fault::PaidBeforeReset => "paid before the reset",
        }
    }
}

/// Random faults: `percent` of charges get one, picked by a seeded generator.
#[derive(Debug, Clone)]
pub struct Chaos {
    pub percent: u32,
    state: u64,
    /// How often each fault was injected.
    pub counts: std::collections::BTreeMap<&'static str, u32>,
    pub charges: u32,
}

impl Chaos {
    pub fn new(percent: u32, seed: u64) -> Chaos {
        Chaos { percent, state: seed | 1, counts: Default::default(), charges: 0 }
    }

    fn next(&mut self) -> u64 {
        // xorshift64*
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn pick(&mut self) -> Option<Fault> {
        self.charges += 1;
        if self.next() % 100 >= u64::from(self.percent) {
            return None;
        }
        let fault = Fault::ALL[(self.next() % Fault::ALL.len() as u64) as usize];
        *self.counts.entry(fault.name()).or_default() += 1;
        Some(fault)
    }
}

/// One line of the terminal's own ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerEntry {
    Approved { approval_no: String, amount: u64 },
    Cancelled { approval_no: String },
}

/// What the simulator does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Send {
        after: Duration,
        bytes: Vec<u8>,
    },
    /// The customer acts on the charge in progress after this long: call
    /// [`SimTerminal::customer_acts`] with `charge` then.
    Customer {
        after: Duration,
        charge: u64,
    },
    /// Pull the cable.
    Unplug,
}

/// A charge the terminal took and is waiting on the customer for (card) or on its server
/// for (barcode, cancel).
#[derive(Debug)]
struct Pending {
    id: u64,
    job: u8,
    request: PendingRequest,
    fault: Option<Fault>,
}

#[derive(Debug)]
enum PendingRequest {
    Charge(Amounts),
    Cancel(CancelTarget, Amounts),
}

#[derive(Debug)]
pub struct SimTerminal {
    terminal_id: String,
    decoder: Decoder,
    faults: VecDeque<Fault>,
    ledger: Vec<LedgerEntry>,
    last: Option<ApprovalResponse>,
    next_approval: u32,
    /// The last response sent, for a resend on NACK.
    last_response: Option<Vec<u8>>,
    pending: Option<Pending>,
    next_pending: u64,
    /// How long the customer takes at the terminal.
    pub customer_delay: Duration,
    /// Random fault injection, after any scripted faults.
    pub chaos: Option<Chaos>,
    /// The card number the terminal reports (masked, as a real terminal does; a test may set
    /// a full number to play a misconfigured one).
    pub card_number: String,
    pub device: DeviceCheck,
    pub version: String,
}

impl SimTerminal {
    pub fn new(terminal_id: &str) -> SimTerminal {
        SimTerminal {
            terminal_id: terminal_id.to_owned(),
            decoder: Decoder::new(),
            faults: VecDeque::new(),
            ledger: Vec::new(),
            last: None,
            next_approval: 30_000_001,
            last_response: None,
            pending: None,
            next_pending: 1,
            customer_delay: Duration::from_millis(200),
            card_number: "9411-23**-****-1234".into(),
            chaos: None,
            device: DeviceCheck {
                card_module: PartState::Ok,
                rf: PartState::Ok,
                van: PartState::Ok,
                server: PartState::Ok,
            },
            version: "TL3600 SIM 1.0.0 (kiosk-drivers)".to_owned(),
        }
    }

    pub fn push_fault(&mut self, fault: Fault) {
        self.faults.push_back(fault);
    }

    /// A charge is waiting for the customer (or the card company): the terminal's screen
    /// says "insert your card".
    pub fn awaiting_customer(&self) -> bool {
        self.pending.is_some()
    }

    pub fn ledger(&self) -> &[LedgerEntry] {
        &self.ledger
    }

    /// Approvals that stand (not cancelled), with their amounts.
    pub fn standing_approvals(&self) -> Vec<(String, u64)> {
        let cancelled: Vec<&str> = self
            .ledger
            .iter()
            .filter_map(|e| {
                if let LedgerEntry::Cancelled { approval_no } = e { Some(approval_no.as_str()) } else { None }
            })
            .collect();
        self.ledger
            .iter()
            .filter_map(|e| match e {
                LedgerEntry::Approved { approval_no, amount }
                    if !cancelled.contains(&approval_no.as_str()) =>
                {
                    Some((approval_no.clone(), *amount))
                }
                _ => None,
            })
            .collect()
    }

    /// A card event, as the terminal reports it (`@I`, `@R`…).
    pub fn event(&self, code: u8) -> Vec<u8> {
        Frame::new(&self.terminal_id, &now(), job::EVENT, vec![code]).encode()
    }

    pub fn receive(&mut self, bytes: &[u8]) -> Vec<Reply> {
        let mut out = Vec::new();
        for token in self.decoder.feed(bytes) {
            match token {
                Token::Ack | Token::Garbage(_) => {}
                Token::Nack => {
                    if let Some(r) = &self.last_response {
                        out.push(Reply::Send { after: Duration::ZERO, bytes: r.clone() });
                    }
                }
                Token::Invalid(_) => out.push(send(vec![NACK])),
                Token::Frame(f) => self.request(f, &mut out),
            }
        }
        out
    }

    fn respond(&mut self, job: u8, data: Vec<u8>) -> Vec<u8> {
        let bytes = Frame::new(&self.terminal_id, &now(), job.to_ascii_lowercase(), data).encode();
        self.last_response = Some(bytes.clone());
        bytes
    }

    fn request(&mut self, f: Frame, out: &mut Vec<Reply>) {
        if f.terminal_id() != self.terminal_id && !f.terminal_id().is_empty() {
            return; // not for us
        }
        let charge = matches!(f.job, job::APPROVAL | job::BARCODE_APPROVAL | job::CANCEL);
        let fault = if charge {
            self.faults.pop_front().or_else(|| self.chaos.as_mut().and_then(Chaos::pick))
        } else {
            None
        };
        if fault != Some(Fault::DropAck) {
            out.push(send(vec![ACK]));
        }
        let request = match f.job {
            job::DEVICE_CHECK => {
                let data = self.device.encode();
                return self.reply_now(f.job, data, out);
            }
            job::VERSION => return self.reply_now(f.job, version_reply(&self.version), out),
            job::CONFIRM => return self.reply_now(f.job, Vec::new(), out),
            job::RESET => {
                self.reset(out);
                return self.reply_now(f.job, Vec::new(), out);
            }
            job::LAST_APPROVAL => {
                let data = match &self.last {
                    Some(r) => r.encode().expect("simulator fields fit"),
                    None => Vec::new(),
                };
                return self.reply_now(f.job, data, out);
            }
            job::APPROVAL => jobs::parse_approval_request(&f.data).map(PendingRequest::Charge),
            job::BARCODE_APPROVAL => {
                jobs::parse_barcode_request(&f.data).map(|(a, _)| PendingRequest::Charge(a))
            }
            job::CANCEL => jobs::parse_cancel_request(&f.data).map(|(t, a)| PendingRequest::Cancel(t, a)),
            _ => {
                out.push(send(vec![NACK]));
                return;
            }
        };
        let Ok(request) = request else {
            let bytes = self.respond(f.job, reject(&Amounts::default(), "B3", "전문 오류"));
            out.push(send(bytes));
            return;
        };
        // The charge happens when the customer (or the card company) has acted.
        let id = self.next_pending;
        self.next_pending += 1;
        self.pending = Some(Pending { id, job: f.job, request, fault });
        out.push(Reply::Customer { after: self.customer_delay, charge: id });
    }

    fn reply_now(&mut self, job: u8, data: Vec<u8>, out: &mut Vec<Reply>) {
        let bytes = self.respond(job, data);
        out.push(Reply::Send { after: Duration::from_millis(5), bytes });
    }

    /// `R`: the terminal goes back to rest. A card charge still waiting for the customer is
    /// dropped without a trace in the ledger, unless the customer paid at that very moment
    /// ([`Fault::PaidBeforeReset`]); a charge already with the card company goes on.
    fn reset(&mut self, out: &mut Vec<Reply>) {
        let waiting_for_card = self.pending.as_ref().is_some_and(|p| p.job == job::APPROVAL);
        if !waiting_for_card {
            return;
        }
        let pending = self.pending.take().expect("checked above");
        if pending.fault == Some(Fault::PaidBeforeReset) {
            out.extend(self.perform(pending));
        }
    }

    /// The customer (or the card company) has acted on charge `charge`: it happens now, with
    /// its fault, and its response goes out. Nothing when that charge was abandoned.
    pub fn customer_acts(&mut self, charge: u64) -> Vec<Reply> {
        match self.pending.take_if(|p| p.id == charge) {
            Some(pending) => self.perform(pending),
            None => Vec::new(),
        }
    }

    fn perform(&mut self, pending: Pending) -> Vec<Reply> {
        let mut out = Vec::new();
        let Pending { job, request, fault, .. } = pending;
        let data = match request {
            PendingRequest::Charge(amounts) => self.charge(job, amounts, fault, &mut out),
            PendingRequest::Cancel(target, amounts) => self.cancel(target, amounts, fault, &mut out),
        };
        let Some(data) = data else { return out };
        let mut bytes = self.respond(job, data);
        if fault == Some(Fault::CorruptBcc) {
            let mut corrupt = bytes.clone();
            let n = corrupt.len();
            corrupt[n - 1] ^= 0x5A;
            std::mem::swap(&mut bytes, &mut corrupt);
            // the good frame is what a NACK gets resent
            self.last_response = Some(corrupt);
        }
        out.push(Reply::Send { after: Duration::ZERO, bytes });
        out
    }

    /// Returns the response data, or `None` when no response goes out.
    fn charge(
        &mut self,
        job: u8,
        amounts: Amounts,
        fault: Option<Fault>,
        out: &mut Vec<Reply>,
    ) -> Option<Vec<u8>> {
        match fault {
            Some(Fault::Decline(code)) => {
                let r = rejection(&amounts, code, "승인 거절");
                self.last = Some(r.clone());
                return Some(r.encode().expect("fits"));
            }
            Some(Fault::CustomerAbort) => return Some(reject(&amounts, "UC", "사용자 취소")),
            Some(Fault::Stall) => return None,
            _ => {}
        }
        let approval_no = format!("{:08}", self.next_approval);
        self.next_approval += 1;
        self.ledger.push(LedgerEntry::Approved { approval_no: approval_no.clone(), amount: amounts.amount });
        let stamp = now();
        let r = ApprovalResponse {
            kind: if job == jobs::job::BARCODE_APPROVAL { b'5' } else { b'1' },
            medium: if job == jobs::job::BARCODE_APPROVAL { b'4' } else { b'1' },
            card_number: if job == jobs::job::BARCODE_APPROVAL {
                String::new()
            } else {
                self.card_number.clone()
            },
            amounts,
            approval_no,
            date: stamp[..8].to_owned(),
            time: stamp[8..].to_owned(),
            transaction_id: format!("{:012}", self.next_approval),
            merchant_no: "1234567890".into(),
            terminal_no: self.terminal_id.clone(),
            issuer: "0100KB국민카드".into(),
            acquirer: "0100KB국민카드".into(),
        };
        self.last = Some(r.clone());
        deliver(&r, fault, out)
    }

    fn cancel(
        &mut self,
        target: CancelTarget,
        amounts: Amounts,
        fault: Option<Fault>,
        out: &mut Vec<Reply>,
    ) -> Option<Vec<u8>> {
        let standing = self.standing_approvals();
        let approval_no = match &target {
            CancelTarget::Last => {
                self.last.as_ref().filter(|r| !r.is_rejected()).map(|r| r.approval_no.clone())
            }
            CancelTarget::Approval { approval_no, .. } => Some(approval_no.clone()),
        };
        let Some(approval_no) = approval_no else {
            return Some(reject(&amounts, "B3", "취소할 거래 없음"));
        };
        let known = self
            .ledger
            .iter()
            .any(|e| matches!(e, LedgerEntry::Approved { approval_no: n, .. } if *n == approval_no));
        if !known {
            return Some(reject(&amounts, "B3", "원거래 없음"));
        }
        if !standing.iter().any(|(n, _)| *n == approval_no) {
            return Some(reject(&amounts, "AC", "이미 취소된 거래"));
        }
        match fault {
            Some(Fault::Stall) => return None,
            Some(Fault::Decline(code)) => return Some(reject(&amounts, code, "취소 거절")),
            _ => {}
        }
        self.ledger.push(LedgerEntry::Cancelled { approval_no: approval_no.clone() });
        let stamp = now();
        let r = ApprovalResponse {
            kind: b'1',
            medium: b'1',
            amounts,
            approval_no,
            date: stamp[..8].to_owned(),
            time: stamp[8..].to_owned(),
            ..Default::default()
        };
        deliver(&r, fault, out)
    }
}

/// The response to a charge that happened: sent, lost, or lost with the cable pulled.
fn deliver(r: &ApprovalResponse, fault: Option<Fault>, out: &mut Vec<Reply>) -> Option<Vec<u8>> {
    match fault {
        Some(Fault::ApproveLoseResponse) => None,
        Some(Fault::UnplugAfterApproval) => {
            out.push(Reply::Unplug);
            None
        }
        _ => Some(r.encode().expect("simulator fields fit")),
    }
}

fn send(bytes: Vec<u8>) -> Reply {
    Reply::Send { after: Duration::ZERO, bytes }
}

fn rejection(amounts: &Amounts, code: &str, message: &str) -> ApprovalResponse {
    ApprovalResponse {
        kind: b'X',
        medium: b'1',
        amounts: *amounts,
        issuer: message.to_owned(),
        acquirer: format!("-{code}"),
        ..Default::default()
    }
}

fn reject(amounts: &Amounts, code: &str, message: &str) -> Vec<u8> {
    rejection(amounts, code, message).encode().expect("fits")
}

fn now() -> String {
    kiosk_drivers::payment::smartro::client::utc_datetime()
}
