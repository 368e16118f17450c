//! The customer session: what the screens show and what a tap does, as a sans-IO core. No
//! tokio, no Slint, no SQLite and no clock of its own: intents from the screen, outcomes of
//! the work it asked for and the time go in; the stage, the view and the work to do
//! ([`Effect`]s) come out. The firmware performs the effects and binds the view to the
//! screen; tests drive it with a fake clock, seeded ids and canned outcomes.
//!
//! - `flow.rs`: the state machine's core (state, dispatch, timers and the next deadline);
//!   `stage.rs`: where a session stands, one enum; `messages.rs`: the time, intents,
//!   effects and outcomes; `settings.rs`: what the device offers.
//! - By concern: `item.rs` (the item page), `checkout.rs` (paying, the order number),
//!   `table.rs` (rounds, staff calls, the tab), `operator.rs` (operator mode), `access.rs`
//!   (the barrier-free mode and its keypad), `note.rs` (request notes and the on-screen
//!   keyboard; `hangul.rs` composes its Hangul), `suggest.rs` (the menu's pairings).
//! - `status.rs`: what the devices and the POS link allow (the kiosk's mode, payment means);
//!   `scan.rs`: what a scan means; `view.rs`, `words.rs`, `speech.rs`: what is shown and
//!   said, in the customer's language.

pub mod access;
mod checkout;
mod coupon;
pub mod flow;
pub mod hangul;
mod item;
pub mod messages;
pub mod note;
mod operator;
pub mod scan;
pub mod settings;
pub mod speech;
mod split;
pub mod stage;
mod stamps;
pub mod status;
mod suggest;
mod table;
pub mod view;
pub mod words;

pub use flow::Flow;
pub use messages::{Cue, DayLine, Effect, IdSource, Intent, JournalLine, Now, Outcome, Payment, SeededIds};
pub use settings::{Profile, SettingKey, Settings};
pub use stage::{Page, PayWith, Stage};
pub use status::{Availability, Status};
pub use view::View;

#[cfg(test)]
mod tests;
