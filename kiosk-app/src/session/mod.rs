//! The customer session: what the screens show and what a tap does.
//!
//! `flow.rs` is the session as a deterministic state machine (intents, outcomes and the
//! time in; pages and [`flow::Effect`]s out), `view.rs` turns it into display strings and
//! flags, `words.rs` holds the sentences it composes, `access.rs` the barrier-free mode and its keypad,
//! `speech.rs` what the voice guidance says about a page, and `runner.rs` performs the effects
//! against the store, the payment desk, the print queue and the POS link. The Slint binding
//! (`crate::screen`) only copies views in and intents out.

pub mod access;
pub mod flow;
pub mod runner;
pub mod speech;
pub mod view;
pub mod words;

pub use flow::{Availability, Effect, Flow, Intent, Now, Outcome, Page, PayWith, Payment, Settings};
pub use view::View;

#[cfg(test)]
mod tests;
