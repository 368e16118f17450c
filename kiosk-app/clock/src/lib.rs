//! Wall-clock time for the store: the domain never reads a clock, so this is where "now",
//! the store's local time and the business day come from.

use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use kiosk_domain::{LocalTime, TimeOfDay, Weekday};

/// A business day starts at this local hour: orders placed at 01:30 still belong to the
/// previous day's numbering and takings, as at a late-night restaurant.
pub const BUSINESS_DAY_STARTS_AT_HOUR: i8 = 4;

/// Now, in Unix milliseconds (the store's timestamps).
pub fn unix_now_ms() -> i64 {
    Timestamp::now().as_millisecond()
}

#[derive(Debug, Clone)]
pub struct StoreClock {
    tz: TimeZone,
}

impl StoreClock {
    /// `time_zone` was checked by the configuration; an unknown name falls back to UTC.
    pub fn new(time_zone: &str) -> StoreClock {
        StoreClock { tz: TimeZone::get(time_zone).unwrap_or(TimeZone::UTC) }
    }

    pub fn now_ms(&self) -> i64 {
        unix_now_ms()
    }

    fn zoned(&self, at_ms: i64) -> Zoned {
        Timestamp::from_millisecond(at_ms).unwrap_or(Timestamp::UNIX_EPOCH).to_zoned(self.tz.clone())
    }

    /// The store's local weekday and time at `at_ms`.
    pub fn local_time(&self, at_ms: i64) -> LocalTime {
        let z = self.zoned(at_ms);
        let weekday = match z.weekday() {
            jiff::civil::Weekday::Monday => Weekday::Mon,
            jiff::civil::Weekday::Tuesday => Weekday::Tue,
            jiff::civil::Weekday::Wednesday => Weekday::Wed,
            jiff::civil::Weekday::Thursday => Weekday::Thu,
            jiff::civil::Weekday::Friday => Weekday::Fri,
            jiff::civil::Weekday::Saturday => Weekday::Sat,
            jiff::civil::Weekday::Sunday => Weekday::Sun,
        };
        let time = TimeOfDay::new(z.hour() as u8, z.minute() as u8).expect("a clock reads a valid time");
        LocalTime { weekday, time }
    }

    /// Local date and time for printouts, `YYYY-MM-DD hh:mm`.
    pub fn local_datetime(&self, at_ms: i64) -> String {
        self.zoned(at_ms).strftime("%Y-%m-%d %H:%M").to_string()
    }

    /// The business day (`YYYY-MM-DD`) that `at_ms` belongs to.
    pub fn business_day(&self, at_ms: i64) -> String {
        let z = self.zoned(at_ms);
        let date = if z.hour() < BUSINESS_DAY_STARTS_AT_HOUR {
            z.date().yesterday().unwrap_or(z.date())
        } else {
            z.date()
        };
        date.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2026-11-22 16:30 UTC is 2026-11-23 01:30 in Seoul (UTC+9), a Monday.
    const AT: i64 = 1_795_365_000_000;

    #[test]
    fn local_time_and_business_day_follow_the_store_zone() {
        let seoul = StoreClock::new("Asia/Seoul");
        let t = seoul.local_time(AT);
        assert_eq!((t.weekday, t.time.to_string()), (Weekday::Mon, "01:30".to_owned()));
        assert_eq!(seoul.business_day(AT), "2026-11-22", "before 04:00 counts as the previous day");
        assert_eq!(seoul.business_day(AT + 3 * 3_600_000), "2026-11-23");
        assert_eq!(StoreClock::new("UTC").business_day(AT), "2026-11-22");
        assert_eq!(seoul.local_datetime(AT), "2026-11-23 01:30");
    }
}
