//! The barrier-free mode of a session: voice guidance, the keypad, magnify-all, high
//! contrast and the low-reach layout. The customer switches them on (a keypad key or
//! earphones start the voice); they last until the session resets for the next customer.
//! Focus itself lives with the screen, which knows what is drawn: the session only says
//! where to move it ([`Effect::Focus`]).

use kiosk_drivers::keypad::Key;

use crate::flow::Flow;
use crate::messages::{Effect, Intent, Now};
use crate::settings::MAX_VOLUME;
use crate::stage::Page;
use crate::words;

/// Speech rate bounds and step, words per minute (espeak-ng's scale).
pub const RATE_WPM: (u16, u16, u16) = (100, 320, 30);
pub const DEFAULT_RATE_WPM: u16 = 165;
/// In the barrier-free mode the idle timer is at least this long, and warns this early.
pub const ACCESS_IDLE_MIN_MS: i64 = 180_000;
pub const ACCESS_WARNING_MIN_MS: i64 = 30_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    /// Pages, focus and changes are spoken.
    pub voice: bool,
    /// Every visual element at 200 %.
    pub magnify: bool,
    pub contrast: bool,
    /// Every control within the lower part of a portrait screen.
    pub low_reach: bool,
    pub rate_wpm: u16,
    /// The speech volume, 0 to [`MAX_VOLUME`].
    pub volume: u8,
}

impl Access {
    pub fn off(volume: u8) -> Access {
        Access {
            voice: false,
            magnify: false,
            contrast: false,
            low_reach: false,
            rate_wpm: DEFAULT_RATE_WPM,
            volume,
        }
    }

    /// Any mode on: the idle timer is longer.
    pub fn any(&self) -> bool {
        self.voice || self.magnify || self.contrast || self.low_reach
    }
}

/// A switch on the accessibility bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessSwitch {
    Voice,
    Magnify,
    Contrast,
    LowReach,
}

/// Where the screen moves the keypad focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FocusMove {
    Next,
    Previous,
    /// Press the focused control.
    Activate,
    /// Say the focused control again.
    Repeat,
}

impl Flow {
    pub fn access(&self) -> Access {
        self.access
    }

    /// The idle timeout and warning, longer in the barrier-free mode.
    pub(crate) fn idle_limits(&self) -> (i64, i64) {
        let s = self.settings();
        let warning = s.idle_warning_ms.min(s.idle_timeout_ms / 2);
        if self.access.any() {
            (s.idle_timeout_ms.max(ACCESS_IDLE_MIN_MS), warning.max(ACCESS_WARNING_MIN_MS))
        } else {
            (s.idle_timeout_ms, warning)
        }
    }

    /// The modes for the next customer: all off, but the voice stays on while earphones
    /// are plugged in.
    pub(crate) fn reset_access(&mut self) -> Vec<Effect> {
        let before = self.access;
        self.access = Access { voice: self.earphones, ..Access::off(self.settings().volume) };
        self.speech_settings_changed(before)
    }

    fn speech_settings_changed(&self, before: Access) -> Vec<Effect> {
        if (before.rate_wpm, before.volume) != (self.access.rate_wpm, self.access.volume) {
            vec![Effect::Voice { rate_wpm: self.access.rate_wpm, volume: self.access.volume }]
        } else {
            Vec::new()
        }
    }

    pub(crate) fn toggle_access(&mut self, switch: AccessSwitch) {
        let a = &mut self.access;
        match switch {
            AccessSwitch::Voice => a.voice = !a.voice,
            AccessSwitch::Magnify => a.magnify = !a.magnify,
            AccessSwitch::Contrast => a.contrast = !a.contrast,
            AccessSwitch::LowReach => a.low_reach = !a.low_reach,
        }
    }

    /// Earphones in: the voice starts (and the order, from the attract loop). Out: it stops
    /// unless the customer turned it on another way.
    pub(crate) fn earphones(&mut self, plugged: bool, now: Now) -> Vec<Effect> {
        self.earphones = plugged;
        if plugged && !self.access.voice {
            self.access.voice = true;
            if self.page() == Page::Attract {
                return self.handle(Intent::Start, now);
            }
        } else if !plugged {
            self.access.voice = false;
            return vec![Effect::Silence];
        }
        Vec::new()
    }

    /// A keypad key. The first key of a session starts the voice guidance (and the order,
    /// from the attract loop) and does nothing else, except help, which always calls staff.
    pub(crate) fn key(&mut self, key: Key, now: Now) -> Vec<Effect> {
        if !self.access.voice {
            self.access.voice = true;
            let mut effects =
                if self.page() == Page::Attract { self.handle(Intent::Start, now) } else { Vec::new() };
            if key == Key::Help {
                effects.extend(self.handle(Intent::HelpButton, now));
            }
            return effects;
        }
        let before = self.access;
        let (lo, hi, step) = RATE_WPM;
        match key {
            Key::Up | Key::Left => vec![Effect::Focus(FocusMove::Previous)],
            Key::Down | Key::Right => vec![Effect::Focus(FocusMove::Next)],
            Key::Ok => vec![Effect::Focus(FocusMove::Activate)],
            Key::Back => match self.page() {
                Page::Paying => self.handle(Intent::CancelPayment, now),
                // A suggestion's card is up: one key skips it.
                Page::Menu | Page::TableHome if self.pending_suggestion().is_some() => {
                    let id = self.pending_suggestion().map(|s| s.id.0.clone()).unwrap_or_default();
                    self.handle(Intent::AnswerSuggestion { id, take: false }, now)
                }
                // Nothing behind these pages: say where we are instead.
                Page::Done | Page::Problem | Page::Attract => vec![Effect::Focus(FocusMove::Repeat)],
                _ => self.handle(Intent::Back, now),
            },
            Key::Help => self.handle(Intent::HelpButton, now),
            Key::VolumeUp | Key::VolumeDown | Key::Faster | Key::Slower => {
                let a = &mut self.access;
                match key {
                    Key::VolumeUp => a.volume = (a.volume + 1).min(MAX_VOLUME),
                    Key::VolumeDown => a.volume = a.volume.saturating_sub(1).max(1),
                    Key::Faster => a.rate_wpm = (a.rate_wpm + step).min(hi),
                    _ => a.rate_wpm = a.rate_wpm.saturating_sub(step).max(lo),
                }
                let mut effects = self.speech_settings_changed(before);
                let said = words::voice_setting(self.access.volume, self.access.rate_wpm, key, self.lang);
                effects.push(Effect::Announce(said));
                effects
            }
        }
    }
}
