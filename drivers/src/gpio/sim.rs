//! Simulated pins: shared levels that tests, the demo and the CLI set and read.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use embedded_hal::digital::{ErrorType, InputPin, OutputPin};

/// One simulated pin; clones share the level.
#[derive(Debug, Clone, Default)]
pub struct SimPin(Arc<AtomicBool>);

impl SimPin {
    pub fn new() -> SimPin {
        SimPin::default()
    }

    /// Drives the level from outside (a person at the sensor or button).
    pub fn set(&self, high: bool) {
        self.0.store(high, Ordering::SeqCst);
    }

    pub fn get(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

impl ErrorType for SimPin {
    type Error = Infallible;
}

impl InputPin for SimPin {
    fn is_high(&mut self) -> Result<bool, Infallible> {
        Ok(self.get())
    }
    fn is_low(&mut self) -> Result<bool, Infallible> {
        Ok(!self.get())
    }
}

impl OutputPin for SimPin {
    fn set_high(&mut self) -> Result<(), Infallible> {
        self.set(true);
        Ok(())
    }
    fn set_low(&mut self) -> Result<(), Infallible> {
        self.set(false);
        Ok(())
    }
}

/// A simulated pin header: one shared pin per BCM number, made on first use, so a test or
/// the demo can press a button the service reads.
#[derive(Debug, Clone, Default)]
pub struct SimBoard(Arc<std::sync::Mutex<std::collections::BTreeMap<u8, SimPin>>>);

impl SimBoard {
    pub fn new() -> SimBoard {
        SimBoard::default()
    }

    pub fn pin(&self, bcm: u8) -> SimPin {
        self.0.lock().expect("sim board").entry(bcm).or_default().clone()
    }
}
