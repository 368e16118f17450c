//! What a payment step asked for and what came of it, as the journal records it. The
//! terminal drivers map their wire results onto these types.

use serde::{Deserialize, Serialize};

use crate::lifecycle::{OrderEvent, OrderState};
use crate::money::Money;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Wallet {
    KakaoPay,
    NaverPay,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    Card,
    Wallet(Wallet),
}

/// The terminal operation a journal entry covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentOp {
    /// Charge the order's total.
    Approve,
    /// Cancel (reverse) an approval.
    Cancel,
    /// Ask the terminal for its last transaction, to resolve an ambiguous charge.
    QueryLast,
}

impl PaymentOp {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentOp::Approve => "approve",
            PaymentOp::Cancel => "cancel",
            PaymentOp::QueryLast => "query_last",
        }
    }
}

/// A terminal's approval, with what the receipt must show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    pub approval_no: String,
    /// Date and time as the terminal reported it (`YYMMDDhhmmss`).
    pub approved_at: String,
    pub amount: Money,
    pub method: PaymentMethod,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_masked: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acquirer: Option<String>,
    #[serde(default)]
    pub installment_months: u8,
}

impl Approval {
    /// A card approval with only what every approval has; the optional details (masked
    /// number, issuer, acquirer, installment) are set by the caller.
    pub fn card(approval_no: &str, approved_at: &str, amount: Money) -> Approval {
        Approval {
            approval_no: approval_no.to_owned(),
            approved_at: approved_at.to_owned(),
            amount,
            method: PaymentMethod::Card,
            card_masked: None,
            issuer: None,
            acquirer: None,
            installment_months: 0,
        }
    }
}

/// An approval reversed after its order was committed (the order may already be at the
/// POS): the POS is told once, by the refund's own id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    pub id: uuid::Uuid,
    pub order_id: crate::OrderId,
    pub amount: Money,
    /// The approval that was reversed.
    pub approval_no: String,
    pub refunded_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum PaymentOutcome {
    Approved(Approval),
    Declined {
        code: String,
        message: String,
    },
    /// The customer cancelled on the terminal; nothing was charged.
    Aborted,
    /// No reliable answer: the charge may or may not have happened.
    Unknown {
        reason: String,
    },
    /// A cancel request succeeded: the approval is reversed.
    Reversed {
        approval_no: String,
    },
    /// A query found no charge for this order.
    NotCharged,
}

impl PaymentOutcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            PaymentOutcome::Approved(_) => "approved",
            PaymentOutcome::Declined { .. } => "declined",
            PaymentOutcome::Aborted => "aborted",
            PaymentOutcome::Unknown { .. } => "unknown",
            PaymentOutcome::Reversed { .. } => "reversed",
            PaymentOutcome::NotCharged => "not_charged",
        }
    }

    /// The lifecycle event this outcome of `op` means for an order now in `state`, or `None`
    /// when it changes nothing (a query or cancel that learnt nothing, a refused cancel).
    pub fn event(&self, op: PaymentOp, state: OrderState) -> Option<OrderEvent> {
        use PaymentOutcome as O;
        match (op, self) {
            (PaymentOp::Approve, O::Approved(_)) => Some(OrderEvent::PaymentApproved),
            (PaymentOp::Approve, O::Declined { .. }) => Some(OrderEvent::PaymentDeclined),
            (PaymentOp::Approve, O::Aborted) => Some(OrderEvent::PaymentAborted),
            (PaymentOp::Approve, O::Unknown { .. }) => Some(OrderEvent::PaymentTimedOut),
            (PaymentOp::QueryLast, O::Approved(_)) => Some(OrderEvent::PaymentApproved),
            (PaymentOp::QueryLast, O::NotCharged) => Some(OrderEvent::ConfirmedNotCharged),
            (PaymentOp::Cancel, O::Reversed { .. }) if state.is_committed() => Some(OrderEvent::Refund),
            (PaymentOp::Cancel, O::Reversed { .. }) => Some(OrderEvent::Reverse),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_map_to_lifecycle_events() {
        let unknown = PaymentOutcome::Unknown { reason: "timeout".into() };
        assert_eq!(
            unknown.event(PaymentOp::Approve, OrderState::AwaitingPayment),
            Some(OrderEvent::PaymentTimedOut)
        );
        assert_eq!(unknown.event(PaymentOp::QueryLast, OrderState::PaymentUnknown), None);
        let reversed = PaymentOutcome::Reversed { approval_no: "1".into() };
        assert_eq!(reversed.event(PaymentOp::Cancel, OrderState::PaymentApproved), Some(OrderEvent::Reverse));
        assert_eq!(reversed.event(PaymentOp::Cancel, OrderState::Completed), Some(OrderEvent::Refund));
        let declined = PaymentOutcome::Declined { code: "51".into(), message: "한도 초과".into() };
        assert_eq!(declined.event(PaymentOp::Cancel, OrderState::Committed), None);
        assert_eq!(
            PaymentOutcome::NotCharged.event(PaymentOp::QueryLast, OrderState::PaymentUnknown),
            Some(OrderEvent::ConfirmedNotCharged)
        );
    }
}

/// The smallest card charge that may be split into instalments (할부): Korean card issuers
/// offer them from 50,000 won.
pub const INSTALMENT_MINIMUM: Money = Money(50_000);

/// The instalment plans a customer may choose: a lump sum (0), or 2 to 12 months.
pub const INSTALMENT_MONTHS: [u8; 12] = [0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];

/// Whether a card charge of `amount` may go to the terminal in `months` instalments.
pub fn instalments_allowed(months: u8, amount: Money) -> bool {
    months == 0 || (INSTALMENT_MONTHS.contains(&months) && amount >= INSTALMENT_MINIMUM)
}

#[cfg(test)]
mod instalment_tests {
    use super::*;

    #[test]
    fn instalments_are_two_to_twelve_months_from_fifty_thousand_won() {
        assert!(instalments_allowed(0, Money(1_000)), "a lump sum always");
        assert!(instalments_allowed(3, Money(50_000)));
        assert!(instalments_allowed(12, Money(80_000)));
        assert!(!instalments_allowed(3, Money(49_999)));
        assert!(!instalments_allowed(1, Money(80_000)), "one month is a lump sum");
        assert!(!instalments_allowed(13, Money(80_000)));
    }
}
