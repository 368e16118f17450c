//! Status light and buzzer patterns as functions of time (sans-IO).

use std::time::Duration;

/// What the status light says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LightPattern {
    Off,
    /// Steady: ready for customers.
    #[default]
    Idle,
    /// Slow blink: working (payment, printing).
    Busy,
    /// Fast blink: the customer or staff should look (order ready, help called).
    Attention,
    /// Double flash: a device fault.
    Fault,
}

impl LightPattern {
    /// The light's level `elapsed` into the pattern.
    pub fn level_at(self, elapsed: Duration) -> bool {
        let ms = elapsed.as_millis();
        match self {
            LightPattern::Off => false,
            LightPattern::Idle => true,
            LightPattern::Busy => ms % 1000 < 500,
            LightPattern::Attention => ms % 300 < 150,
            LightPattern::Fault => matches!(ms % 1200, 0..=99 | 200..=299),
        }
    }
}

/// A buzzer sound: on/off segments in milliseconds, played once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sound {
    /// Three short beeps.
    OrderReady,
    /// One long beep.
    Error,
    /// One short click, for a key press in accessibility mode.
    Click,
    /// Two short beeps: "are you still there?" before the session resets.
    Attention,
}

impl Sound {
    fn segments(self) -> &'static [(bool, u64)] {
        match self {
            Sound::OrderReady => &[(true, 120), (false, 80), (true, 120), (false, 80), (true, 120)],
            Sound::Error => &[(true, 600)],
            Sound::Click => &[(true, 20)],
            Sound::Attention => &[(true, 150), (false, 150), (true, 150)],
        }
    }

    pub fn duration(self) -> Duration {
        Duration::from_millis(self.segments().iter().map(|s| s.1).sum())
    }

    /// The buzzer's level `elapsed` into the sound, or `None` when it is over.
    pub fn level_at(self, elapsed: Duration) -> Option<bool> {
        let mut t = elapsed.as_millis() as u64;
        for &(on, len) in self.segments() {
            if t < len {
                return Some(on);
            }
            t -= len;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_over_time() {
        let at = |p: LightPattern, ms| p.level_at(Duration::from_millis(ms));
        assert!(at(LightPattern::Idle, 12_345) && !at(LightPattern::Off, 0));
        assert!(at(LightPattern::Busy, 100) && !at(LightPattern::Busy, 600) && at(LightPattern::Busy, 1100));
        assert!(
            at(LightPattern::Fault, 50)
                && !at(LightPattern::Fault, 150)
                && at(LightPattern::Fault, 250)
                && !at(LightPattern::Fault, 700)
        );
        let beeps: Vec<bool> =
            (0..52).map(|i| Sound::OrderReady.level_at(Duration::from_millis(i * 10)).unwrap()).collect();
        assert_eq!(
            beeps.windows(2).filter(|w| !w[0] && w[1]).count(),
            2,
            "three beeps: two rising edges after the first"
        );
        assert_eq!(Sound::OrderReady.level_at(Sound::OrderReady.duration()), None);
    }
}
