//! The printer simulator: an ESC/POS printer that parses what it receives, answers status
//! queries as a real one does, and renders each job as text and PNG.

pub mod model;
pub mod recognize;
pub mod render;
pub mod server;

pub use model::{Condition, Job, JobItem, SimEvent, SimPrinter};
