//! Time-of-day availability ("breakfast until 10:30", "lunch set Mon–Fri 11:00–14:00").
//!
//! The domain never reads a clock: callers pass the store's local [`LocalTime`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Weekday {
    pub const ALL: [Weekday; 7] =
        [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun];

    /// The day before, for windows that run past midnight.
    pub fn previous(self) -> Weekday {
        let i = Weekday::ALL.iter().position(|d| *d == self).unwrap_or(0);
        Weekday::ALL[(i + 6) % 7]
    }
}

/// Minutes since local midnight, written `HH:MM`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay(u16);

impl TimeOfDay {
    /// `None` unless `hour < 24 && minute < 60`.
    pub fn new(hour: u8, minute: u8) -> Option<TimeOfDay> {
        (hour < 24 && minute < 60).then(|| TimeOfDay(u16::from(hour) * 60 + u16::from(minute)))
    }

    pub fn minutes(self) -> u16 {
        self.0
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl FromStr for TimeOfDay {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{s}` is not a time of day (HH:MM, 00:00–23:59)");
        let (h, m) = s.split_once(':').ok_or_else(bad)?;
        if h.len() != 2 || m.len() != 2 {
            return Err(bad());
        }
        let (h, m) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        TimeOfDay::new(h, m).ok_or_else(bad)
    }
}

impl Serialize for TimeOfDay {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TimeOfDay {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The store's local wall-clock time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalTime {
    pub weekday: Weekday,
    pub time: TimeOfDay,
}

/// A window in which something is sold. `from > until` runs past midnight (22:00–02:00);
/// the window then belongs to the day it starts on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// Days on which the window starts; empty means every day.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub days: Vec<Weekday>,
    pub from: TimeOfDay,
    pub until: TimeOfDay,
}

impl Window {
    fn starts_on(&self, day: Weekday) -> bool {
        self.days.is_empty() || self.days.contains(&day)
    }

    /// Whether `at` falls inside the window (`from` inclusive, `until` exclusive).
    pub fn contains(&self, at: LocalTime) -> bool {
        if self.from <= self.until {
            self.starts_on(at.weekday) && self.from <= at.time && at.time < self.until
        } else {
            (self.starts_on(at.weekday) && at.time >= self.from)
                || (self.starts_on(at.weekday.previous()) && at.time < self.until)
        }
    }
}

/// Availability is "always" when there are no windows, otherwise any window.
pub fn available(windows: &[Window], at: LocalTime) -> bool {
    windows.is_empty() || windows.iter().any(|w| w.contains(at))
}

/// When something not available at `at` is next on sale the same day: the earliest start of
/// a window that opens later today. `None` when it is available, or not again today.
pub fn opens_later_today(windows: &[Window], at: LocalTime) -> Option<TimeOfDay> {
    if available(windows, at) {
        return None;
    }
    windows.iter().filter(|w| w.starts_on(at.weekday) && w.from > at.time).map(|w| w.from).min()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: Weekday, s: &str) -> LocalTime {
        LocalTime { weekday: day, time: s.parse().unwrap() }
    }

    #[test]
    fn parses_and_rejects_times() {
        assert_eq!("07:05".parse::<TimeOfDay>().unwrap().minutes(), 425);
        for bad in ["24:00", "7:05", "07:60", "x", "07-05"] {
            assert!(bad.parse::<TimeOfDay>().is_err(), "{bad}");
        }
    }

    #[test]
    fn lunch_window_on_weekdays() {
        let w = Window {
            days: vec![Weekday::Mon, Weekday::Fri],
            from: "11:00".parse().unwrap(),
            until: "14:00".parse().unwrap(),
        };
        assert!(w.contains(at(Weekday::Mon, "11:00")));
        assert!(!w.contains(at(Weekday::Mon, "14:00")));
        assert!(!w.contains(at(Weekday::Tue, "12:00")));
    }

    #[test]
    fn overnight_window_belongs_to_its_start_day() {
        let w = Window {
            days: vec![Weekday::Fri],
            from: "22:00".parse().unwrap(),
            until: "02:00".parse().unwrap(),
        };
        assert!(w.contains(at(Weekday::Fri, "23:30")));
        assert!(w.contains(at(Weekday::Sat, "01:59")));
        assert!(!w.contains(at(Weekday::Fri, "01:00")));
        assert!(!w.contains(at(Weekday::Sat, "22:30")));
        assert!(available(&[], at(Weekday::Sun, "03:00")));
    }

    #[test]
    fn the_next_opening_is_the_earliest_window_starting_later_today() {
        let t = |h, m| TimeOfDay::new(h, m).unwrap();
        let w = |days: Vec<Weekday>, from, until| Window { days, from, until };
        let lunch = vec![w(vec![], t(11, 0), t(14, 0)), w(vec![Weekday::Mon], t(17, 0), t(21, 0))];
        let at = |weekday, time| LocalTime { weekday, time };
        assert_eq!(opens_later_today(&lunch, at(Weekday::Mon, t(9, 30))), Some(t(11, 0)));
        assert_eq!(opens_later_today(&lunch, at(Weekday::Mon, t(12, 0))), None, "open now");
        assert_eq!(opens_later_today(&lunch, at(Weekday::Mon, t(15, 0))), Some(t(17, 0)));
        assert_eq!(opens_later_today(&lunch, at(Weekday::Tue, t(15, 0))), None, "not again today");
        assert_eq!(opens_later_today(&[], at(Weekday::Tue, t(15, 0))), None, "always on sale");
    }
}
