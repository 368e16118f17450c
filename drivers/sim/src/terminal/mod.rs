//! The payment terminal simulator (SMARTRO protocol), with its own ledger and scripted faults.

pub mod model;
pub mod server;

pub use model::{Chaos, Fault, LedgerEntry, SimTerminal};
