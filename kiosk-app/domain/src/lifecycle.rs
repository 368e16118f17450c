//! The order and payment lifecycle as an explicit state machine.
//!
//! ```text
//!            RequestPayment          PaymentApproved          Commit
//!   Draft ─────────────────▶ AwaitingPayment ─────▶ PaymentApproved ─────▶ Committed
//!     │  ▲                     │  │   │                  │                   │ Send
//!     │  └── PaymentAborted ───┘  │   └ PaymentTimedOut ─┼──▶ PaymentUnknown │
//!     │                           │                      │     │  │  │       ▼
//!     │             PaymentDeclined                      │     │  │  │    SentToPos
//!     │                           ▼                      │     │  │  │       │ PosAcknowledged
//!     │ Cancel          PaymentDeclined ◀─ConfirmedNotCharged──┘  │  │       ▼
//!     ▼                   │  │ RequestPayment (retry)             │  │   Acknowledged ─▶ Ready ─▶ Completed
//!  Cancelled ◀── Cancel ──┘  └──▶ AwaitingPayment                 │  │    (MarkedReady, Completed)
//!                                        PaymentApproved (query) ◀┘  │
//!  Reversed ◀── Reverse (PaymentApproved, PaymentUnknown) ──────────┘
//!  Reversed ◀── Refund (paid order after commit)      Cancelled ◀── VoidUnpaid (unpaid order after commit)
//!  Draft ── CommitUnpaid ──▶ Committed   (pay at the counter, table tab)
//! ```
//!
//! `PaymentUnknown` is the ambiguous state after a terminal timeout: the card may or may
//! not have been charged. It is never left by charging again; only a query of the
//! terminal's last transaction (→ `PaymentApproved` or `PaymentDeclined`) or a reversal
//! (→ `Reversed`) leaves it.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    Draft,
    AwaitingPayment,
    PaymentApproved,
    Committed,
    SentToPos,
    Acknowledged,
    Ready,
    Completed,
    Cancelled,
    PaymentDeclined,
    /// Terminal timed out or the link broke mid-payment: charged or not is unknown.
    PaymentUnknown,
    /// The approval was cancelled at the terminal (before commit) or refunded (after).
    Reversed,
}

/// The named transitions. Each is an event that happened, not a wish.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderEvent {
    /// The customer chose to pay by card or wallet; the terminal is about to be asked.
    RequestPayment,
    /// The terminal approved the charge.
    PaymentApproved,
    /// The terminal declined the charge.
    PaymentDeclined,
    /// The customer cancelled on the terminal before a charge; back to the cart.
    PaymentAborted,
    /// No answer from the terminal in time: the charge is ambiguous.
    PaymentTimedOut,
    /// A query of the terminal showed the ambiguous charge did not happen.
    ConfirmedNotCharged,
    /// The order is final and durable: queued for the POS, kitchen and receipt.
    Commit,
    /// Committed without payment now: pay at the counter, or a round on a table's tab.
    CommitUnpaid,
    /// The order was handed to the POS link.
    Send,
    /// The POS confirmed it has the order.
    PosAcknowledged,
    /// The kitchen marked it ready.
    MarkedReady,
    /// Picked up or served.
    Completed,
    /// Dropped before any charge.
    Cancel,
    /// An approved or ambiguous charge was cancelled at the terminal before commit.
    Reverse,
    /// A paid, committed order was refunded by staff.
    Refund,
    /// An unpaid, committed order was voided by staff.
    VoidUnpaid,
}

impl OrderState {
    pub const ALL: [OrderState; 12] = [
        OrderState::Draft,
        OrderState::AwaitingPayment,
        OrderState::PaymentApproved,
        OrderState::Committed,
        OrderState::SentToPos,
        OrderState::Acknowledged,
        OrderState::Ready,
        OrderState::Completed,
        OrderState::Cancelled,
        OrderState::PaymentDeclined,
        OrderState::PaymentUnknown,
        OrderState::Reversed,
    ];

    /// The state after `event`, or `None` when the event cannot happen in this state.
    pub fn next(self, event: OrderEvent) -> Option<OrderState> {
        use OrderEvent as E;
        use OrderState as S;
        Some(match (self, event) {
            (S::Draft | S::PaymentDeclined, E::RequestPayment) => S::AwaitingPayment,
            (S::AwaitingPayment | S::PaymentUnknown, E::PaymentApproved) => S::PaymentApproved,
            (S::AwaitingPayment, E::PaymentDeclined) => S::PaymentDeclined,
            (S::AwaitingPayment, E::PaymentAborted) => S::Draft,
            (S::AwaitingPayment, E::PaymentTimedOut) => S::PaymentUnknown,
            (S::PaymentUnknown, E::ConfirmedNotCharged) => S::PaymentDeclined,
            (S::PaymentApproved, E::Commit) => S::Committed,
            (S::Draft, E::CommitUnpaid) => S::Committed,
            (S::Committed, E::Send) => S::SentToPos,
            (S::SentToPos, E::PosAcknowledged) => S::Acknowledged,
            (S::Acknowledged, E::MarkedReady) => S::Ready,
            (S::Acknowledged | S::Ready, E::Completed) => S::Completed,
            (S::Draft | S::PaymentDeclined, E::Cancel) => S::Cancelled,
            (S::PaymentApproved | S::PaymentUnknown, E::Reverse) => S::Reversed,
            (S::Committed | S::SentToPos | S::Acknowledged | S::Ready | S::Completed, E::Refund) => {
                S::Reversed
            }
            (S::Committed | S::SentToPos | S::Acknowledged | S::Ready, E::VoidUnpaid) => S::Cancelled,
            _ => return None,
        })
    }

    /// No event leaves these states (cancelled and reversed orders; the lifecycle's table
    /// is the one definition).
    pub fn is_final(self) -> bool {
        OrderEvent::ALL.iter().all(|e| self.next(*e).is_none())
    }

    /// The order has been committed: it must reach the POS and the kitchen.
    pub fn is_committed(self) -> bool {
        matches!(
            self,
            OrderState::Committed
                | OrderState::SentToPos
                | OrderState::Acknowledged
                | OrderState::Ready
                | OrderState::Completed
        )
    }

    /// Money may be held for this order without a committed order to show for it: recovery
    /// must resolve it (complete the commit, or reverse the charge).
    pub fn needs_payment_recovery(self) -> bool {
        matches!(self, OrderState::AwaitingPayment | OrderState::PaymentApproved | OrderState::PaymentUnknown)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::Draft => "draft",
            OrderState::AwaitingPayment => "awaiting_payment",
            OrderState::PaymentApproved => "payment_approved",
            OrderState::Committed => "committed",
            OrderState::SentToPos => "sent_to_pos",
            OrderState::Acknowledged => "acknowledged",
            OrderState::Ready => "ready",
            OrderState::Completed => "completed",
            OrderState::Cancelled => "cancelled",
            OrderState::PaymentDeclined => "payment_declined",
            OrderState::PaymentUnknown => "payment_unknown",
            OrderState::Reversed => "reversed",
        }
    }

    pub fn parse(s: &str) -> Option<OrderState> {
        OrderState::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

impl fmt::Display for OrderState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl OrderEvent {
    pub const ALL: [OrderEvent; 16] = [
        OrderEvent::RequestPayment,
        OrderEvent::PaymentApproved,
        OrderEvent::PaymentDeclined,
        OrderEvent::PaymentAborted,
        OrderEvent::PaymentTimedOut,
        OrderEvent::ConfirmedNotCharged,
        OrderEvent::Commit,
        OrderEvent::CommitUnpaid,
        OrderEvent::Send,
        OrderEvent::PosAcknowledged,
        OrderEvent::MarkedReady,
        OrderEvent::Completed,
        OrderEvent::Cancel,
        OrderEvent::Reverse,
        OrderEvent::Refund,
        OrderEvent::VoidUnpaid,
    ];
}

/// An event that cannot happen in the order's current state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot {event:?} an order that is {state}")]
pub struct TransitionError {
    pub state: OrderState,
    pub event: OrderEvent,
}

#[cfg(test)]
mod tests {
    use super::{OrderEvent as E, OrderState as S};

    /// Every allowed transition, written out. Anything not here must be refused.
    const ALLOWED: &[(S, E, S)] = &[
        (S::Draft, E::RequestPayment, S::AwaitingPayment),
        (S::PaymentDeclined, E::RequestPayment, S::AwaitingPayment),
        (S::AwaitingPayment, E::PaymentApproved, S::PaymentApproved),
        (S::PaymentUnknown, E::PaymentApproved, S::PaymentApproved),
        (S::AwaitingPayment, E::PaymentDeclined, S::PaymentDeclined),
        (S::AwaitingPayment, E::PaymentAborted, S::Draft),
        (S::AwaitingPayment, E::PaymentTimedOut, S::PaymentUnknown),
        (S::PaymentUnknown, E::ConfirmedNotCharged, S::PaymentDeclined),
        (S::PaymentApproved, E::Commit, S::Committed),
        (S::Draft, E::CommitUnpaid, S::Committed),
        (S::Committed, E::Send, S::SentToPos),
        (S::SentToPos, E::PosAcknowledged, S::Acknowledged),
        (S::Acknowledged, E::MarkedReady, S::Ready),
        (S::Acknowledged, E::Completed, S::Completed),
        (S::Ready, E::Completed, S::Completed),
        (S::Draft, E::Cancel, S::Cancelled),
        (S::PaymentDeclined, E::Cancel, S::Cancelled),
        (S::PaymentApproved, E::Reverse, S::Reversed),
        (S::PaymentUnknown, E::Reverse, S::Reversed),
        (S::Committed, E::Refund, S::Reversed),
        (S::SentToPos, E::Refund, S::Reversed),
        (S::Acknowledged, E::Refund, S::Reversed),
        (S::Ready, E::Refund, S::Reversed),
        (S::Completed, E::Refund, S::Reversed),
        (S::Committed, E::VoidUnpaid, S::Cancelled),
        (S::SentToPos, E::VoidUnpaid, S::Cancelled),
        (S::Acknowledged, E::VoidUnpaid, S::Cancelled),
        (S::Ready, E::VoidUnpaid, S::Cancelled),
    ];

    #[test]
    fn every_state_event_pair_matches_the_table() {
        for state in S::ALL {
            for event in E::ALL {
                let expected = ALLOWED.iter().find(|(s, e, _)| *s == state && *e == event).map(|t| t.2);
                assert_eq!(state.next(event), expected, "{state} --{event:?}-->");
            }
        }
    }

    #[test]
    fn every_event_is_used_and_every_state_is_reachable() {
        for event in E::ALL {
            assert!(ALLOWED.iter().any(|t| t.1 == event), "{event:?} is never allowed");
        }
        for state in S::ALL {
            assert!(state == S::Draft || ALLOWED.iter().any(|t| t.2 == state), "{state} unreachable");
        }
    }

    #[test]
    fn happy_paths() {
        let walk = |events: &[E]| events.iter().try_fold(S::Draft, |s, e| s.next(*e));
        use E::*;
        assert_eq!(
            walk(&[RequestPayment, PaymentApproved, Commit, Send, PosAcknowledged, MarkedReady, Completed]),
            Some(S::Completed)
        );
        assert_eq!(walk(&[CommitUnpaid, Send, PosAcknowledged, Completed]), Some(S::Completed));
        assert_eq!(
            walk(&[RequestPayment, PaymentDeclined, RequestPayment, PaymentApproved]),
            Some(S::PaymentApproved)
        );
        assert_eq!(walk(&[RequestPayment, PaymentTimedOut, PaymentApproved, Commit]), Some(S::Committed));
        assert_eq!(walk(&[RequestPayment, PaymentTimedOut, ConfirmedNotCharged, Cancel]), Some(S::Cancelled));
        assert_eq!(walk(&[RequestPayment, PaymentTimedOut, Reverse]), Some(S::Reversed));
    }

    #[test]
    fn final_states_and_the_states_recovery_must_resolve() {
        let finals: Vec<S> = S::ALL.into_iter().filter(|s| s.is_final()).collect();
        assert_eq!(finals, vec![S::Cancelled, S::Reversed]);
        // money may be held without a committed order to show for it in exactly these
        let recover: Vec<S> = S::ALL.into_iter().filter(|s| s.needs_payment_recovery()).collect();
        assert_eq!(recover, vec![S::AwaitingPayment, S::PaymentApproved, S::PaymentUnknown]);
        for s in S::ALL {
            assert!(
                !(s.needs_payment_recovery() && s.is_committed()),
                "{s}: committed orders are delivered, not recovered"
            );
        }
    }

    #[test]
    fn an_ambiguous_payment_is_never_charged_again() {
        assert_eq!(S::PaymentUnknown.next(E::RequestPayment), None);
        assert_eq!(S::PaymentUnknown.next(E::Cancel), None, "money may be held: reverse, not cancel");
        assert_eq!(S::PaymentApproved.next(E::Cancel), None);
    }

    #[test]
    fn final_states_and_names() {
        let finals: Vec<_> = S::ALL.into_iter().filter(|s| s.is_final()).collect();
        assert_eq!(finals, vec![S::Cancelled, S::Reversed]);
        for s in S::ALL {
            assert_eq!(S::parse(s.as_str()), Some(s));
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
        assert!(S::Completed.is_committed() && !S::Completed.is_final());
    }
}
