//! The SMARTRO terminal over any byte stream: the session driven by tokio, and replies mapped
//! onto the domain's payment outcomes.

use std::time::Duration;

use kiosk_domain::{Approval, Money, PaymentMethod, PaymentOutcome, Wallet};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;

use super::frame::Frame;
use super::jobs::{self, Amounts, ApprovalResponse, CancelTarget, DeviceCheck, job};
use super::session::{Output, Session};
use crate::payment::{
    CancelWhat, ChargeRequest, PaymentTerminal, TerminalError, TerminalEvent, TerminalInfo, mask_card_number,
};
use crate::transport::is_gone;

/// How long the customer has to insert, tap or scan.
pub const CHARGE_TIMEOUT: Duration = Duration::from_secs(60);
/// Replies that need no customer.
pub const QUICK_TIMEOUT: Duration = Duration::from_secs(5);

/// Reject codes that mean the customer cancelled at the terminal (verify on target).
pub const CUSTOMER_CANCEL_CODES: &[&str] = &["UC"];
/// Reject code of a cancel whose approval is already cancelled: the goal is met.
pub const ALREADY_CANCELLED: &str = "AC";

pub struct SmartroTerminal<T> {
    io: T,
    session: Session,
    events: Vec<TerminalEvent>,
    /// Responses that came when nobody waited (after a give-up); kept for the log.
    pub unsolicited: Vec<Frame>,
    charge_timeout: Duration,
}

/// A request's failure, and whether any of it left.
struct CallError {
    sent: bool,
    error: TerminalError,
}

impl<T: AsyncRead + AsyncWrite + Unpin + Send> SmartroTerminal<T> {
    pub fn new(io: T, terminal_id: &str) -> SmartroTerminal<T> {
        SmartroTerminal {
            io,
            session: Session::new(terminal_id),
            events: Vec::new(),
            unsolicited: Vec::new(),
            charge_timeout: CHARGE_TIMEOUT,
        }
    }

    /// `R`: resets the terminal's screen and state (after a customer walks away mid-payment,
    /// or from the doctor). Never used to get out of an ambiguous charge.
    pub async fn reset(&mut self) -> Result<(), TerminalError> {
        self.call(job::RESET, Vec::new(), QUICK_TIMEOUT).await.map(|_| ()).map_err(|e| e.error)
    }

    /// Shorter customer time, for tests.
    pub fn with_charge_timeout(mut self, t: Duration) -> Self {
        self.charge_timeout = t;
        self
    }

    async fn call(&mut self, job: u8, data: Vec<u8>, timeout: Duration) -> Result<Frame, CallError> {
        self.call_until(job, data, timeout, std::future::pending()).await
    }

    /// A request that `abort`, once it resolves, abandons with a reset (see
    /// [`Session::abort`]).
    async fn call_until(
        &mut self,
        job: u8,
        data: Vec<u8>,
        timeout: Duration,
        abort: impl Future<Output = ()>,
    ) -> Result<Frame, CallError> {
        let mut abort = std::pin::pin!(abort);
        let mut abort_asked = false;
        // Once the customer's card is being read, a reset could race the card company's
        // approval: the charge is left to finish.
        let mut card_read = false;
        let frame = Frame::new(self.session.terminal_id(), &utc_datetime(), job, data);
        let outputs = self
            .session
            .start(frame, Instant::now().into_std(), timeout)
            .map_err(|e| CallError { sent: false, error: TerminalError::NotSent(e.to_string()) })?;
        let mut sent = false;
        let mut pending = outputs;
        let mut buf = [0u8; 512];
        loop {
            for output in pending.drain(..) {
                match output {
                    Output::Transmit(bytes) => {
                        if let Err(e) = self.io.write_all(&bytes).await {
                            self.session.reset();
                            let error = if is_gone(&e) {
                                TerminalError::Gone(e)
                            } else {
                                TerminalError::NotSent(e.to_string())
                            };
                            return Err(CallError { sent, error });
                        }
                        sent = true;
                    }
                    Output::Response(f) => return Ok(f),
                    Output::Failed(e) => return Err(CallError { sent, error: TerminalError::Link(e) }),
                    Output::Event(e) => {
                        let e = event(e);
                        card_read |= e.is_some_and(TerminalEvent::is_card);
                        self.events.extend(e);
                    }
                    Output::Unsolicited(f) => {
                        tracing::warn!("terminal: unsolicited {:?} response", f.job as char);
                        self.unsolicited.push(f);
                    }
                    Output::Refused(why) => tracing::warn!("terminal: {why}"),
                }
            }
            let deadline = self.session.poll_timeout().map(Instant::from_std);
            tokio::select! {
                n = self.io.read(&mut buf) => {
                    match n {
                        Ok(0) => {
                            self.session.reset();
                            return Err(CallError { sent, error: TerminalError::Gone(std::io::ErrorKind::UnexpectedEof.into()) });
                        }
                        Ok(n) => pending = self.session.handle_input(&buf[..n], Instant::now().into_std()),
                        Err(e) => {
                            self.session.reset();
                            return Err(CallError { sent, error: TerminalError::Gone(e) });
                        }
                    }
                }
                _ = sleep_until_opt(deadline) => pending = self.session.handle_timeout(Instant::now().into_std()),
                () = &mut abort, if !abort_asked => {
                    abort_asked = true;
                    if card_read {
                        tracing::info!("terminal: the customer cancelled after the card was read; the charge goes on");
                    } else {
                        tracing::info!("terminal: the customer cancelled; resetting the terminal");
                        let reset = Frame::new(self.session.terminal_id(), &utc_datetime(), job::RESET, Vec::new());
                        pending = self.session.abort(reset, Instant::now().into_std());
                    }
                }
            }
        }
    }

    /// A charge-like call: any failure after bytes left is an ambiguous outcome.
    async fn charge(
        &mut self,
        job: u8,
        data: Vec<u8>,
        cancel: bool,
        abort: impl Future<Output = ()>,
    ) -> Result<PaymentOutcome, TerminalError> {
        let timeout = self.charge_timeout;
        match self.call_until(job, data, timeout, abort).await {
            Ok(frame) => {
                let r =
                    ApprovalResponse::parse(&frame.data).map_err(|e| TerminalError::Protocol(e.to_string()));
                match r {
                    Ok(r) if cancel => Ok(cancel_outcome(&r)),
                    Ok(r) => Ok(charge_outcome(&r)),
                    // An unreadable reply to a charge: the charge may have happened.
                    Err(e) => Ok(PaymentOutcome::Unknown { reason: e.to_string() }),
                }
            }
            Err(CallError { sent: false, error }) => Err(error),
            Err(CallError { sent: true, error }) => Ok(PaymentOutcome::Unknown { reason: error.to_string() }),
        }
    }
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

fn event(code: u8) -> Option<TerminalEvent> {
    Some(match code {
        b'I' => TerminalEvent::CardInserted,
        b'O' => TerminalEvent::CardRemoved,
        b'M' => TerminalEvent::CardSwiped,
        b'R' => TerminalEvent::CardTapped,
        b'F' => TerminalEvent::Fallback,
        b'Q' => TerminalEvent::BarcodeRead,
        _ => return None,
    })
}

fn amounts(req: &ChargeRequest) -> Result<Amounts, TerminalError> {
    let non_negative = |m: Money, what: &str| {
        u64::try_from(m.0).map_err(|_| TerminalError::NotSent(format!("negative {what}")))
    };
    Ok(Amounts {
        amount: non_negative(req.amount, "amount")?,
        vat: non_negative(req.vat, "VAT")?,
        service: 0,
        installment_months: req.installment_months,
    })
}

/// Strips the 4-character issuer/acquirer code before the name ("0100KB국민카드").
fn institution(s: &str) -> Option<String> {
    let name = if s.len() > 4 && s.is_char_boundary(4) && s[..4].bytes().all(|b| b.is_ascii_alphanumeric()) {
        &s[4..]
    } else {
        s
    };
    let name = name.trim();
    (!name.is_empty()).then(|| name.to_owned())
}

fn approval(r: &ApprovalResponse) -> Approval {
    let method = match r.kind {
        b'5' | b'6' => PaymentMethod::Wallet(Wallet::KakaoPay),
        b'8' => PaymentMethod::Wallet(Wallet::NaverPay),
        b'4' => PaymentMethod::Wallet(Wallet::Other),
        _ => PaymentMethod::Card,
    };
    let date = r.date.get(2..).unwrap_or(&r.date);
    Approval {
        approval_no: r.approval_no.clone(),
        approved_at: format!("{date}{}", r.time),
        amount: Money(r.amounts.amount as i64),
        method,
        card_masked: (!r.card_number.is_empty()).then(|| mask_card_number(&r.card_number)),
        issuer: institution(&r.issuer),
        acquirer: institution(&r.acquirer),
        installment_months: r.amounts.installment_months,
    }
}

/// A plain message for the customer, by reject code.
pub fn decline_message(code: &str, terminal_message: &str) -> String {
    let text = match code {
        "6B" => "잔액이 부족합니다. 다른 카드를 사용해 주세요.",
        "0A" | "0C" => "카드사 연결이 원활하지 않습니다. 잠시 후 다시 시도해 주세요.",
        "69" | "71" | "6D" => "사용할 수 없는 카드입니다. 다른 카드를 사용해 주세요.",
        "6F" => "다시 시도해 주세요.",
        "74" => "결제 중 카드가 바뀌었습니다. 처음부터 다시 시도해 주세요.",
        "B3" => "결제를 처리하지 못했습니다. 다시 시도해 주세요.",
        _ if !terminal_message.is_empty() => return terminal_message.to_owned(),
        _ => "결제가 거절되었습니다. 다른 결제 수단을 이용해 주세요.",
    };
    text.to_owned()
}

fn charge_outcome(r: &ApprovalResponse) -> PaymentOutcome {
    if !r.is_rejected() {
        return PaymentOutcome::Approved(approval(r));
    }
    let code = r.reject_code();
    if CUSTOMER_CANCEL_CODES.contains(&code.as_str()) {
        PaymentOutcome::Aborted
    } else {
        PaymentOutcome::Declined { message: decline_message(&code, &r.issuer), code }
    }
}

fn cancel_outcome(r: &ApprovalResponse) -> PaymentOutcome {
    let code = r.reject_code();
    if r.is_rejected() && code != ALREADY_CANCELLED {
        PaymentOutcome::Declined { message: decline_message(&code, &r.issuer), code }
    } else {
        PaymentOutcome::Reversed { approval_no: r.approval_no.clone() }
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin + Send> PaymentTerminal for SmartroTerminal<T> {
    async fn check(&mut self) -> Result<TerminalInfo, TerminalError> {
        let quick = |e: CallError| e.error;
        let a = self.call(job::DEVICE_CHECK, Vec::new(), QUICK_TIMEOUT).await.map_err(quick)?;
        let check = DeviceCheck::parse(&a.data).map_err(|e| TerminalError::Protocol(e.to_string()))?;
        let v = self.call(job::VERSION, Vec::new(), QUICK_TIMEOUT).await.map_err(quick)?;
        let version = jobs::parse_version(&v.data).map_err(|e| TerminalError::Protocol(e.to_string()))?;
        Ok(TerminalInfo {
            ready: check.ready(),
            version,
            detail: format!(
                "card {}, RF {}, VAN {}, server {}",
                check.card_module.code() as char,
                check.rf.code() as char,
                check.van.code() as char,
                check.server.code() as char
            ),
        })
    }

    async fn approve_until(
        &mut self,
        req: &ChargeRequest,
        abort: impl Future<Output = ()> + Send,
    ) -> Result<PaymentOutcome, TerminalError> {
        let data =
            jobs::approval_request(&amounts(req)?).map_err(|e| TerminalError::NotSent(e.to_string()))?;
        self.charge(job::APPROVAL, data, false, abort).await
    }

    async fn approve_barcode(
        &mut self,
        req: &ChargeRequest,
        code: &str,
    ) -> Result<PaymentOutcome, TerminalError> {
        let data =
            jobs::barcode_request(&amounts(req)?, code).map_err(|e| TerminalError::NotSent(e.to_string()))?;
        self.charge(job::BARCODE_APPROVAL, data, false, std::future::pending()).await
    }

    async fn cancel(
        &mut self,
        what: &CancelWhat,
        req: &ChargeRequest,
    ) -> Result<PaymentOutcome, TerminalError> {
        let target = match what {
            CancelWhat::Last => CancelTarget::Last,
            CancelWhat::Approval { approval_no, approved_at } => CancelTarget::Approval {
                approval_no: approval_no.clone(),
                date: format!("20{}", approved_at.get(..6).unwrap_or_default()),
                time: approved_at.get(6..12).unwrap_or_default().to_owned(),
            },
        };
        let data = jobs::cancel_request(&target, &amounts(req)?)
            .map_err(|e| TerminalError::NotSent(e.to_string()))?;
        self.charge(job::CANCEL, data, true, std::future::pending()).await
    }

    async fn last_transaction(&mut self) -> Result<PaymentOutcome, TerminalError> {
        let f = self.call(job::LAST_APPROVAL, Vec::new(), QUICK_TIMEOUT).await.map_err(|e| e.error)?;
        if f.data.is_empty() {
            return Ok(PaymentOutcome::NotCharged);
        }
        let r = ApprovalResponse::parse(&f.data).map_err(|e| TerminalError::Protocol(e.to_string()))?;
        Ok(charge_outcome(&r))
    }

    async fn confirm(&mut self) -> Result<(), TerminalError> {
        self.call(job::CONFIRM, Vec::new(), QUICK_TIMEOUT).await.map(|_| ()).map_err(|e| e.error)
    }

    fn take_events(&mut self) -> Vec<TerminalEvent> {
        std::mem::take(&mut self.events)
    }
}

/// `YYYYMMDDhhmmss` in UTC, for frame headers (informational to the other side).
pub fn utc_datetime() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // civil-from-days (Howard Hinnant)
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}{m:02}{d:02}{:02}{:02}{:02}", rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_datetime_is_fourteen_digits() {
        let s = utc_datetime();
        assert_eq!(s.len(), 14);
        assert!(s.starts_with("20") && s.bytes().all(|b| b.is_ascii_digit()));
    }

    #[test]
    fn replies_map_to_outcomes() {
        let ok = ApprovalResponse {
            kind: b'1',
            medium: b'1',
            card_number: "9411234567891234".into(),
            amounts: Amounts { amount: 17_800, vat: 1_618, service: 0, installment_months: 0 },
            approval_no: "30012345".into(),
            date: "20261122".into(),
            time: "134501".into(),
            issuer: "0100KB국민카드".into(),
            ..Default::default()
        };
        match charge_outcome(&ok) {
            PaymentOutcome::Approved(a) => {
                assert_eq!(
                    a.card_masked.as_deref(),
                    Some("941123******1234"),
                    "masked even if the terminal did not"
                );
                assert_eq!(a.approved_at, "261122134501");
                assert_eq!(a.issuer.as_deref(), Some("KB국민카드"));
                assert_eq!(a.amount, Money(17_800));
            }
            other => panic!("{other:?}"),
        }
        let declined =
            ApprovalResponse {
                kind: b'X', issuer: "잔액부족".into(), acquirer: "-6B".into(), ..ok.clone()
            };
        assert_eq!(
            charge_outcome(&declined),
            PaymentOutcome::Declined {
                code: "6B".into(),
                message: "잔액이 부족합니다. 다른 카드를 사용해 주세요.".into()
            }
        );
        let aborted = ApprovalResponse { kind: b'X', acquirer: "-UC".into(), ..ok.clone() };
        assert_eq!(charge_outcome(&aborted), PaymentOutcome::Aborted);
        let kakao = ApprovalResponse { kind: b'5', card_number: String::new(), ..ok };
        assert!(
            matches!(charge_outcome(&kakao), PaymentOutcome::Approved(a) if a.method == PaymentMethod::Wallet(Wallet::KakaoPay) && a.card_masked.is_none())
        );
    }
}
