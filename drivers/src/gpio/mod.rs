//! GPIO peripherals over embedded-hal 1.0 digital pins: the presence sensor, the call-staff
//! button, an optional door or drawer switch, the status light and the buzzer. Pins come from
//! any embedded-hal implementation: rppal on the device (feature `gpio-rppal`), simulated
//! pins in tests and the demo, embedded-hal-mock in unit tests.
//!
//! The logic (debouncing, light and buzzer patterns) is sans-IO with the time passed in;
//! [`service`] drives it with tokio's clock, which tests pause.

pub mod patterns;
#[cfg(feature = "gpio-rppal")]
pub mod rpi;
#[cfg(feature = "io")]
pub mod service;
#[cfg(feature = "sim-pins")]
pub mod sim;

use std::time::{Duration, Instant};

use embedded_hal::digital::{InputPin, OutputPin};

/// An input whose active level is configured (`active_low` for a switch to ground).
pub struct Input<P> {
    pin: P,
    active_low: bool,
}

impl<P: InputPin> Input<P> {
    pub fn new(pin: P, active_low: bool) -> Input<P> {
        Input { pin, active_low }
    }

    pub fn is_active(&mut self) -> Result<bool, P::Error> {
        Ok(self.pin.is_high()? != self.active_low)
    }
}

/// An output whose active level is configured.
pub struct Output<P> {
    pin: P,
    active_low: bool,
}

impl<P: OutputPin> Output<P> {
    pub fn new(pin: P, active_low: bool) -> Output<P> {
        Output { pin, active_low }
    }

    pub fn set_active(&mut self, on: bool) -> Result<(), P::Error> {
        if on != self.active_low { self.pin.set_high() } else { self.pin.set_low() }
    }
}

/// A change of a debounced input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    Activated,
    Released,
}

/// Debounces a bouncing contact: a new level counts once it has held for `hold`.
#[derive(Debug, Clone)]
pub struct Debouncer {
    hold: Duration,
    stable: bool,
    candidate: bool,
    candidate_since: Option<Instant>,
}

impl Debouncer {
    pub fn new(hold: Duration) -> Debouncer {
        Debouncer { hold, stable: false, candidate: false, candidate_since: None }
    }

    pub fn level(&self) -> bool {
        self.stable
    }

    /// Feeds one sample of the raw level at `now`.
    pub fn sample(&mut self, level: bool, now: Instant) -> Option<Edge> {
        if level == self.stable {
            self.candidate_since = None;
            return None;
        }
        if self.candidate != level || self.candidate_since.is_none() {
            self.candidate = level;
            self.candidate_since = Some(now);
        }
        if self.candidate_since.is_some_and(|t| now.duration_since(t) >= self.hold) {
            self.stable = level;
            self.candidate_since = None;
            return Some(if level { Edge::Activated } else { Edge::Released });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use embedded_hal_mock::eh1::digital::{Mock, State, Transaction};

    #[test]
    fn polarity_is_applied_both_ways() {
        let mut input =
            Input::new(Mock::new(&[Transaction::get(State::Low), Transaction::get(State::High)]), true);
        assert!(input.is_active().unwrap(), "active low: low is active");
        assert!(!input.is_active().unwrap());
        input.pin.done();
        let mut out =
            Output::new(Mock::new(&[Transaction::set(State::Low), Transaction::set(State::High)]), true);
        out.set_active(true).unwrap();
        out.set_active(false).unwrap();
        out.pin.done();
    }

    #[test]
    fn bounces_shorter_than_the_hold_time_are_ignored() {
        let t = Instant::now();
        let ms = |n| t + Duration::from_millis(n);
        let mut d = Debouncer::new(Duration::from_millis(30));
        // a press that bounces for 20 ms, then holds
        assert_eq!(d.sample(true, ms(0)), None);
        assert_eq!(d.sample(false, ms(5)), None);
        assert_eq!(d.sample(true, ms(10)), None);
        assert_eq!(d.sample(false, ms(15)), None);
        assert_eq!(d.sample(true, ms(20)), None);
        assert_eq!(d.sample(true, ms(45)), None);
        assert_eq!(d.sample(true, ms(50)), Some(Edge::Activated));
        assert_eq!(d.sample(true, ms(60)), None, "once");
        // a 10 ms glitch while held is not a release
        assert_eq!(d.sample(false, ms(100)), None);
        assert_eq!(d.sample(true, ms(110)), None);
        assert_eq!(d.sample(false, ms(200)), None);
        assert_eq!(d.sample(false, ms(230)), Some(Edge::Released));
    }
}
