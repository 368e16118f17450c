//! What `kiosk run` does before any service starts: open the store and find what a crash or
//! power cut left unfinished, so the services resolve it before taking new orders.

use std::fmt::Write as _;

use kiosk_domain::OrderState;

use crate::config::Config;
use kiosk_store::{Store, StoreError};

/// What was found at start-up.
#[derive(Debug)]
pub struct StartupReport {
    pub database: std::path::PathBuf,
    pub schema_version: u32,
    pub menu_version: Option<String>,
    /// Payment steps journaled but never answered: to be resolved by querying the terminal.
    pub open_payments: usize,
    /// Orders holding or possibly holding money without being committed.
    pub orders_to_recover: usize,
    pub outbox_pending: u64,
}

impl StartupReport {
    pub fn lines(&self) -> Vec<String> {
        let mut out = String::new();
        let _ = writeln!(out, "store {} (schema v{})", self.database.display(), self.schema_version);
        match &self.menu_version {
            Some(v) => _ = writeln!(out, "menu version {v:?}"),
            None => {
                _ = writeln!(out, "no menu yet: import one with `kiosk menu import FILE --config CONFIG`")
            }
        }
        if self.open_payments + self.orders_to_recover > 0 {
            let _ = writeln!(
                out,
                "{} unanswered payment step(s) and {} order(s) to recover from the last run",
                self.open_payments, self.orders_to_recover
            );
        }
        let _ = writeln!(out, "{} order(s) waiting for the POS", self.outbox_pending);
        out.lines().map(str::to_owned).collect()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot create the data directory {path}")]
    DataDir { path: std::path::PathBuf, source: std::io::Error },
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub fn start(config: &Config) -> Result<StartupReport, StartupError> {
    let database = config.database_path();
    if let Some(dir) = database.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|source| StartupError::DataDir { path: dir.to_owned(), source })?;
    }
    let store = Store::open(&database)?;
    let problems = store.integrity_problems()?;
    if !problems.is_empty() {
        tracing::error!(
            "database integrity check found {} problem(s): {}",
            problems.len(),
            problems.join("; ")
        );
    }
    let to_recover: Vec<OrderState> =
        OrderState::ALL.into_iter().filter(|s| s.needs_payment_recovery()).collect();
    Ok(StartupReport {
        schema_version: store.schema_version()?,
        menu_version: store.menu_version()?,
        open_payments: store.open_payments()?.len(),
        orders_to_recover: store.orders_in(&to_recover)?.len(),
        outbox_pending: store.outbox_pending_count()?,
        database,
    })
}
