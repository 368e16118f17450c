//! The device's side of a chain's rollout server, Eclipse hawkBit's Direct Device
//! Integration API (DDI), as a deterministic state machine: it is told what the server
//! answered, what a download or an install came to and whether the kiosk is at rest, and
//! says what to do next. It does no I/O and reads no clock: `kiosk_app::fleet` moves the
//! bytes, and tests drive it with byte vectors and explicit instants.

pub mod agent;
pub mod ddi;
pub mod telemetry;

pub use agent::{Agent, Boot, Command, Downloaded, Pending, Policy, Want};
