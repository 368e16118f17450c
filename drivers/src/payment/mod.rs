//! Card and mobile-wallet payment terminals, behind one trait so the kiosk does not care
//! which protocol its terminal speaks (SMARTRO today; ZVT or nexo later).
//!
//! Every call that can move money returns `Ok(outcome)` once the request may have reached
//! the terminal, with [`PaymentOutcome::Unknown`] when its fate is not known; `Err` means the
//! request certainly never left (so nothing can have been charged).

pub mod smartro;

use std::future::Future;

use kiosk_domain::{Money, PaymentOutcome};

/// What to charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeRequest {
    /// VAT-inclusive total.
    pub amount: Money,
    pub vat: Money,
    /// 0 = lump sum.
    pub installment_months: u8,
    /// Our order id. SMARTRO has no field for it; it is kept in our journal.
    pub order_ref: String,
}

/// Which approval a cancel reverses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelWhat {
    /// A given approval: number and the terminal's `YYMMDDhhmmss`.
    Approval { approval_no: String, approved_at: String },
    /// The terminal's last transaction.
    Last,
}

/// Something the customer did at the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TerminalEvent {
    CardInserted,
    CardRemoved,
    CardSwiped,
    CardTapped,
    /// The chip could not be read; swipe instead.
    Fallback,
    /// The terminal's own reader read a wallet barcode.
    BarcodeRead,
}

impl TerminalEvent {
    /// A card is being read (inserted, tapped or swiped): its charge is under way.
    pub fn is_card(self) -> bool {
        matches!(self, TerminalEvent::CardInserted | TerminalEvent::CardSwiped | TerminalEvent::CardTapped)
    }
}

/// The terminal's own account of itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalInfo {
    pub ready: bool,
    pub version: String,
    /// Per-part states for the operator, e.g. "card O, RF O, VAN O, server O".
    pub detail: String,
}

#[derive(Debug, thiserror::Error)]
pub enum TerminalError {
    /// The request never left: nothing can have happened at the terminal.
    #[error("request not sent: {0}")]
    NotSent(String),
    /// A query or check failed on the link (no money moved).
    #[error("terminal link: {0}")]
    Link(#[from] smartro::session::LinkError),
    #[error("terminal disconnected: {0}")]
    Gone(std::io::Error),
    #[error("unexpected reply from the terminal: {0}")]
    Protocol(String),
}

/// A payment terminal.
pub trait PaymentTerminal {
    /// Device check and version.
    fn check(&mut self) -> impl Future<Output = Result<TerminalInfo, TerminalError>> + Send;
    /// Charge a card (inserted, tapped or swiped at the terminal).
    fn approve(
        &mut self,
        req: &ChargeRequest,
    ) -> impl Future<Output = Result<PaymentOutcome, TerminalError>> + Send {
        self.approve_until(req, std::future::pending())
    }
    /// Charge a card, abandoning the wait for it once `abort` resolves (the customer
    /// cancelled on the screen) unless the card is already being read. A charge the customer
    /// completed before the terminal heard of the abort is still `Approved`; one whose fate
    /// the terminal does not tell is `Unknown`, resolved like any ambiguous charge.
    fn approve_until(
        &mut self,
        req: &ChargeRequest,
        abort: impl Future<Output = ()> + Send,
    ) -> impl Future<Output = Result<PaymentOutcome, TerminalError>> + Send;
    /// Charge a wallet barcode (Kakao Pay, Naver Pay…), passed through opaque.
    fn approve_barcode(
        &mut self,
        req: &ChargeRequest,
        code: &str,
    ) -> impl Future<Output = Result<PaymentOutcome, TerminalError>> + Send;
    /// Reverse an approval. `Reversed` when done, `Declined` when the terminal refuses.
    fn cancel(
        &mut self,
        what: &CancelWhat,
        req: &ChargeRequest,
    ) -> impl Future<Output = Result<PaymentOutcome, TerminalError>> + Send;
    /// The terminal's last approval (or decline), to resolve an ambiguous charge;
    /// `NotCharged` when the terminal has none. Whether it belongs to the charge in question
    /// is for the caller to decide (by approval number and amount against its journal).
    fn last_transaction(&mut self) -> impl Future<Output = Result<PaymentOutcome, TerminalError>> + Send;
    /// Confirms that we recorded the last approval.
    fn confirm(&mut self) -> impl Future<Output = Result<(), TerminalError>> + Send;
    /// Events seen since the last call.
    fn take_events(&mut self) -> Vec<TerminalEvent>;
}

/// Masks a card number for storage and receipts: the first six and last four digits stay,
/// the rest become `*`; separators are kept. A number the terminal already masked passes
/// through unchanged. No full card number (PAN) ever leaves this function.
pub fn mask_card_number(s: &str) -> String {
    let digits = s.chars().filter(char::is_ascii_digit).count();
    let mut seen = 0;
    s.chars()
        .map(|c| {
            if !c.is_ascii_digit() {
                return c;
            }
            seen += 1;
            if seen <= 6 || seen > digits.saturating_sub(4) { c } else { '*' }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_numbers_are_masked_whatever_the_terminal_sends() {
        assert_eq!(mask_card_number("9411234567891234"), "941123******1234");
        assert_eq!(mask_card_number("9411-2345-6789-1234"), "9411-23**-****-1234");
        assert_eq!(mask_card_number("9411-23**-****-1234"), "9411-23**-****-1234");
        assert_eq!(mask_card_number(""), "");
        let masked = mask_card_number("4000123412341234567");
        assert_eq!(masked.chars().filter(char::is_ascii_digit).count(), 10);
    }
}
