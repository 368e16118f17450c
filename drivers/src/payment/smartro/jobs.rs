//! The data parts of SMARTRO jobs: fixed-width ASCII fields, numbers right-aligned and
//! zero-padded. Builders for what we send; parsers (and, for the simulator, builders) for
//! what the terminal sends.

use encoding_rs::EUC_KR;

/// Job codes.
pub mod job {
    pub const DEVICE_CHECK: u8 = b'A';
    pub const APPROVAL: u8 = b'B';
    pub const CANCEL: u8 = b'C';
    pub const CONFIRM: u8 = b'H';
    pub const LAST_APPROVAL: u8 = b'L';
    pub const BARCODE_APPROVAL: u8 = b'Q';
    pub const RESET: u8 = b'R';
    pub const VERSION: u8 = b'V';
    pub const EVENT: u8 = b'@';
}

/// Why a data part could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    #[error("data is {got} bytes, expected {expected}")]
    Length { expected: usize, got: usize },
    #[error("field {0} is not a number")]
    NotDigits(&'static str),
    #[error("field {0} is not ASCII")]
    NotAscii(&'static str),
    #[error("{0} does not fit its field")]
    TooLarge(&'static str),
}

fn digits(value: u64, width: usize, field: &'static str) -> Result<String, JobError> {
    let s = format!("{value:0width$}");
    if s.len() > width { Err(JobError::TooLarge(field)) } else { Ok(s) }
}

fn padded(text: &str, width: usize) -> Vec<u8> {
    let mut out: Vec<u8> = text.bytes().filter(u8::is_ascii).take(width).collect();
    out.resize(width, b' ');
    out
}

struct Fields<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Fields<'a> {
    fn take(&mut self, n: usize) -> &'a [u8] {
        let f = &self.data[self.at..self.at + n];
        self.at += n;
        f
    }
    fn number(&mut self, n: usize, field: &'static str) -> Result<u64, JobError> {
        let f = self.take(n);
        let s = std::str::from_utf8(f).map_err(|_| JobError::NotDigits(field))?.trim();
        if s.is_empty() {
            return Ok(0);
        }
        s.parse().map_err(|_| JobError::NotDigits(field))
    }
    fn ascii(&mut self, n: usize, field: &'static str) -> Result<String, JobError> {
        let f = self.take(n);
        if !f.iter().all(|b| b.is_ascii() && (*b >= 0x20 || *b == 0)) {
            return Err(JobError::NotAscii(field));
        }
        Ok(String::from_utf8_lossy(f).trim_matches(|c: char| c == '\0' || c == ' ').to_owned())
    }
    /// Names (issuer, acquirer, messages) may be Korean: EUC-KR.
    fn text(&mut self, n: usize) -> String {
        let f = self.take(n);
        EUC_KR.decode_without_bom_handling(f).0.trim_matches(|c: char| c == '\0' || c == ' ').to_owned()
    }
}

fn expect_len(data: &[u8], expected: usize) -> Result<(), JobError> {
    if data.len() == expected { Ok(()) } else { Err(JobError::Length { expected, got: data.len() }) }
}

/// Amounts of a charge, in won.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Amounts {
    pub amount: u64,
    pub vat: u64,
    pub service: u64,
    pub installment_months: u8,
}

impl Amounts {
    fn encode(&self, out: &mut Vec<u8>) -> Result<(), JobError> {
        out.extend(digits(self.amount, 10, "amount")?.bytes());
        out.extend(digits(self.vat, 8, "VAT")?.bytes());
        out.extend(digits(self.service, 8, "service charge")?.bytes());
        out.extend(digits(u64::from(self.installment_months), 2, "installment")?.bytes());
        Ok(())
    }

    fn parse(f: &mut Fields<'_>) -> Result<Amounts, JobError> {
        Ok(Amounts {
            amount: f.number(10, "amount")?,
            vat: f.number(8, "VAT")?,
            service: f.number(8, "service charge")?,
            installment_months: f.number(2, "installment")? as u8,
        })
    }
}

/// `B` approval request: type 1, amounts 28, signature 1 (`1` none).
pub fn approval_request(a: &Amounts) -> Result<Vec<u8>, JobError> {
    let mut out = vec![b'1'];
    a.encode(&mut out)?;
    out.push(b'1');
    Ok(out)
}

/// Reads a `B` request (the simulator's side).
pub fn parse_approval_request(data: &[u8]) -> Result<Amounts, JobError> {
    if data.len() < 30 {
        return Err(JobError::Length { expected: 30, got: data.len() });
    }
    let mut f = Fields { data, at: 1 };
    Amounts::parse(&mut f)
}

/// `Q` barcode approval request: the `B` fields, then the code's length (3 digits) and the
/// code itself, passed through opaque. (Layout to be confirmed against the vendor document.)
pub fn barcode_request(a: &Amounts, code: &str) -> Result<Vec<u8>, JobError> {
    let mut out = approval_request(a)?;
    if !code.is_ascii() {
        return Err(JobError::NotAscii("barcode"));
    }
    out.extend(digits(code.len() as u64, 3, "barcode length")?.bytes());
    out.extend_from_slice(code.as_bytes());
    Ok(out)
}

/// Reads a `Q` request: amounts and the code.
pub fn parse_barcode_request(data: &[u8]) -> Result<(Amounts, String), JobError> {
    let amounts = parse_approval_request(data)?;
    let mut f = Fields { data, at: 30 };
    if data.len() < 33 {
        return Err(JobError::Length { expected: 33, got: data.len() });
    }
    let n = f.number(3, "barcode length")? as usize;
    expect_len(data, 33 + n)?;
    Ok((amounts, f.ascii(n, "barcode")?))
}

/// What a `C` request cancels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelTarget {
    /// The given approval (number, `YYYYMMDD`, `hhmmss`).
    Approval { approval_no: String, date: String, time: String },
    /// The terminal's last transaction.
    Last,
}

/// `C` cancel request (59 bytes).
pub fn cancel_request(target: &CancelTarget, a: &Amounts) -> Result<Vec<u8>, JobError> {
    let mut out = Vec::with_capacity(59);
    let (kind, no, date, time) = match target {
        CancelTarget::Approval { approval_no, date, time } => {
            (b'1', approval_no.as_str(), date.as_str(), time.as_str())
        }
        CancelTarget::Last => (b'2', "", "", ""),
    };
    out.push(kind);
    out.push(b'1');
    a.encode(&mut out)?;
    out.push(b'1');
    out.extend(padded(no, 12));
    out.extend(padded(date, 8));
    out.extend(padded(time, 6));
    out.extend_from_slice(b"00");
    Ok(out)
}

pub fn parse_cancel_request(data: &[u8]) -> Result<(CancelTarget, Amounts), JobError> {
    expect_len(data, 59)?;
    let mut f = Fields { data, at: 2 };
    let amounts = Amounts::parse(&mut f)?;
    f.take(1);
    let approval_no = f.ascii(12, "approval number")?;
    let date = f.ascii(8, "original date")?;
    let time = f.ascii(6, "original time")?;
    let target = match data[0] {
        b'2' => CancelTarget::Last,
        _ => CancelTarget::Approval { approval_no, date, time },
    };
    Ok((target, amounts))
}

/// The 157-byte response to `B`, `Q`, `C` and `L`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApprovalResponse {
    /// `1` credit, `4` ZeroPay, `5` KakaoPay money, `6` KakaoPay credit, `8` NaverPay, `X` rejected.
    pub kind: u8,
    /// `1` IC, `2` MS, `3` RF, `4` barcode, `5` key-in.
    pub medium: u8,
    /// Masked by the terminal.
    pub card_number: String,
    pub amounts: Amounts,
    pub approval_no: String,
    pub date: String,
    pub time: String,
    pub transaction_id: String,
    pub merchant_no: String,
    pub terminal_no: String,
    /// Issuer name; on rejection, the message for the customer.
    pub issuer: String,
    /// Acquirer name; on rejection, `-XX` with the reject code.
    pub acquirer: String,
}

pub const APPROVAL_RESPONSE_LEN: usize = 157;

impl ApprovalResponse {
    pub fn is_rejected(&self) -> bool {
        self.kind == b'X'
    }

    /// The reject code of a rejection (`-6B` → `6B`).
    pub fn reject_code(&self) -> String {
        self.acquirer.trim_start_matches('-').trim().to_owned()
    }

    pub fn parse(data: &[u8]) -> Result<ApprovalResponse, JobError> {
        expect_len(data, APPROVAL_RESPONSE_LEN)?;
        let mut f = Fields { data, at: 0 };
        let kind = f.take(1)[0];
        let medium = f.take(1)[0];
        if !kind.is_ascii() || !medium.is_ascii() {
            return Err(JobError::NotAscii("transaction type"));
        }
        Ok(ApprovalResponse {
            kind,
            medium,
            card_number: f.ascii(20, "card number")?,
            amounts: Amounts::parse(&mut f)?,
            approval_no: f.ascii(12, "approval number")?,
            date: f.ascii(8, "sale date")?,
            time: f.ascii(6, "sale time")?,
            transaction_id: f.ascii(12, "transaction id")?,
            merchant_no: f.ascii(15, "merchant number")?,
            terminal_no: f.ascii(14, "terminal number")?,
            issuer: f.text(20),
            acquirer: f.text(20),
        })
    }

    /// The terminal's side (used by the simulator).
    pub fn encode(&self) -> Result<Vec<u8>, JobError> {
        let mut out = Vec::with_capacity(APPROVAL_RESPONSE_LEN);
        out.push(self.kind);
        out.push(self.medium);
        out.extend(padded(&self.card_number, 20));
        self.amounts.encode(&mut out)?;
        out.extend(padded(&self.approval_no, 12));
        out.extend(padded(&self.date, 8));
        out.extend(padded(&self.time, 6));
        out.extend(padded(&self.transaction_id, 12));
        out.extend(padded(&self.merchant_no, 15));
        out.extend(padded(&self.terminal_no, 14));
        for name in [&self.issuer, &self.acquirer] {
            let mut bytes = EUC_KR.encode(name).0.into_owned();
            bytes.truncate(20);
            bytes.resize(20, b' ');
            out.extend(bytes);
        }
        Ok(out)
    }
}

/// State of one part of the terminal, from the `a` reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartState {
    NotInstalled,
    Ok,
    Error,
    Fail,
}

impl PartState {
    fn parse(b: u8) -> Option<PartState> {
        Some(match b {
            b'N' => PartState::NotInstalled,
            b'O' => PartState::Ok,
            b'X' => PartState::Error,
            b'F' => PartState::Fail,
            _ => return None,
        })
    }

    pub fn code(self) -> u8 {
        match self {
            PartState::NotInstalled => b'N',
            PartState::Ok => b'O',
            PartState::Error => b'X',
            PartState::Fail => b'F',
        }
    }
}

/// The `a` reply: card module, RF reader, VAN link, server link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceCheck {
    pub card_module: PartState,
    pub rf: PartState,
    pub van: PartState,
    pub server: PartState,
}

impl DeviceCheck {
    pub fn parse(data: &[u8]) -> Result<DeviceCheck, JobError> {
        expect_len(data, 4)?;
        let p = |i: usize, name| PartState::parse(data[i]).ok_or(JobError::NotAscii(name));
        Ok(DeviceCheck {
            card_module: p(0, "card module")?,
            rf: p(1, "RF")?,
            van: p(2, "VAN")?,
            server: p(3, "server")?,
        })
    }

    pub fn encode(&self) -> Vec<u8> {
        vec![self.card_module.code(), self.rf.code(), self.van.code(), self.server.code()]
    }

    /// Can it take a card payment now?
    pub fn ready(&self) -> bool {
        self.card_module == PartState::Ok && self.van == PartState::Ok
    }
}

pub const VERSION_LEN: usize = 45;

pub fn parse_version(data: &[u8]) -> Result<String, JobError> {
    expect_len(data, VERSION_LEN)?;
    Fields { data, at: 0 }.ascii(VERSION_LEN, "version")
}

pub fn version_reply(version: &str) -> Vec<u8> {
    padded(version, VERSION_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amounts() -> Amounts {
        Amounts { amount: 17_800, vat: 1_618, service: 0, installment_months: 0 }
    }

    #[test]
    fn golden_approval_request() {
        let data = approval_request(&amounts()).unwrap();
        // type | amount 10 | VAT 8 | service 8 | installment 2 | signature
        let expected = ["1", "0000017800", "00001618", "00000000", "00", "1"].concat();
        assert_eq!(data, expected.as_bytes());
        assert_eq!(data.len(), 30);
    }

    #[test]
    fn golden_cancel_last_request() {
        let data = cancel_request(&CancelTarget::Last, &amounts()).unwrap();
        assert_eq!(data.len(), 59);
        assert_eq!(&data[..2], b"21");
        assert_eq!(&data[2..30], b"0000017800000016180000000000");
        assert_eq!(&data[57..], b"00");
        assert_eq!(parse_cancel_request(&data).unwrap(), (CancelTarget::Last, amounts()));
        let target = CancelTarget::Approval {
            approval_no: "30012345".into(),
            date: "20261122".into(),
            time: "134501".into(),
        };
        let data = cancel_request(&target, &amounts()).unwrap();
        assert_eq!(&data[31..43], b"30012345    ");
        assert_eq!(parse_cancel_request(&data).unwrap().0, target);
    }

    #[test]
    fn approval_responses_round_trip_with_korean_names() {
        let r = ApprovalResponse {
            kind: b'1',
            medium: b'1',
            card_number: "9411-23**-****-1234".into(),
            amounts: amounts(),
            approval_no: "30012345".into(),
            date: "20261122".into(),
            time: "134501".into(),
            transaction_id: "000000000042".into(),
            merchant_no: "123456789".into(),
            terminal_no: "TERM0001".into(),
            issuer: "0100KB국민카드".into(),
            acquirer: "0100KB국민카드".into(),
        };
        let bytes = r.encode().unwrap();
        assert_eq!(bytes.len(), APPROVAL_RESPONSE_LEN);
        assert_eq!(ApprovalResponse::parse(&bytes).unwrap(), r);
        let rejected =
            ApprovalResponse { kind: b'X', issuer: "잔액부족".into(), acquirer: "-6B".into(), ..r };
        let back = ApprovalResponse::parse(&rejected.encode().unwrap()).unwrap();
        assert!(back.is_rejected());
        assert_eq!((back.issuer.as_str(), back.reject_code().as_str()), ("잔액부족", "6B"));
    }

    #[test]
    fn bad_fields_are_typed_errors() {
        assert_eq!(ApprovalResponse::parse(&[b'1'; 10]), Err(JobError::Length { expected: 157, got: 10 }));
        let mut bytes = ApprovalResponse { kind: b'1', medium: b'1', ..Default::default() }.encode().unwrap();
        bytes[25] = b'Z'; // inside the amount
        assert_eq!(ApprovalResponse::parse(&bytes), Err(JobError::NotDigits("amount")));
        bytes[25] = b'0';
        bytes[5] = 0xC8; // non-ASCII inside the card number
        assert_eq!(ApprovalResponse::parse(&bytes), Err(JobError::NotAscii("card number")));
        assert_eq!(
            approval_request(&Amounts { amount: 100_000_000_000, ..amounts() }),
            Err(JobError::TooLarge("amount"))
        );
        assert_eq!(DeviceCheck::parse(b"OOZO"), Err(JobError::NotAscii("VAN")));
        let (a, code) =
            parse_barcode_request(&barcode_request(&amounts(), "281006020000123456").unwrap()).unwrap();
        assert_eq!((a, code.as_str()), (amounts(), "281006020000123456"));
    }
}
