//! The customer session: what the screens show and what a tap does, as a sans-IO core. No
//! tokio, no Slint, no SQLite and no clock of its own: intents from the screen, outcomes of
//! the work it asked for and the time go in; the page, the view and the work to do
//! ([`Effect`]s) come out. The firmware performs the effects and binds the view to the
//! screen; tests drive it with a fake clock and canned outcomes.
//!
//! `flow.rs` is the state machine, `view.rs` turns it into display strings and flags,
//! `words.rs` holds the sentences it composes, `access.rs` the barrier-free mode and its
//! keypad, `speech.rs` what the voice guidance says about a page, and `scan.rs` what a scan
//! means (a table's QR code, a menu item, a coupon, a wallet code).

pub mod access;
pub mod flow;
pub mod scan;
pub mod speech;
pub mod view;
pub mod words;

pub use flow::{Availability, Effect, Flow, Intent, Now, Outcome, Page, PayWith, Payment, Settings};
pub use view::View;

#[cfg(test)]
mod tests;
