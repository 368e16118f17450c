//! The one place the firmware and the store server read the clocks.
//!
//! - The **wall clock** (Unix milliseconds) is for display, receipts and the business day
//!   only. A Raspberry Pi has no real-time clock: it boots at the image's build time, and
//!   NTP may step it by hours once the network is up.
//! - The **monotonic clock** (milliseconds since boot, `CLOCK_BOOTTIME`) measures every
//!   duration: timers, timeouts, and how long ago a payment step was journaled. With the
//!   boot's identity it tells whether two readings can be compared at all.
//!
//! [`TimeSource`] is the seam: [`SystemTime`] on a device, [`ManualTime`] in tests, which
//! step the wall clock by hours to prove nothing depends on it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};
use kiosk_domain::{LocalTime, TimeOfDay, Weekday};

/// A business day starts at this local hour: orders placed at 01:30 still belong to the
/// previous day's numbering and takings, as at a late-night restaurant.
pub const BUSINESS_DAY_STARTS_AT_HOUR: i8 = 4;

/// Now, in Unix milliseconds by the wall clock (the store's timestamps).
pub fn unix_now_ms() -> i64 {
    Timestamp::now().as_millisecond()
}

/// Where the time comes from.
pub trait TimeSource: Send + Sync + 'static {
    /// Milliseconds since this boot (monotonic: never stepped).
    fn mono_ms(&self) -> i64;
    /// Unix milliseconds by the wall clock.
    fn wall_ms(&self) -> i64;
    /// This boot's identity: monotonic readings compare only within one boot.
    fn boot_id(&self) -> String;
    /// The wall clock is synchronised (NTP has set it since boot): only then can wall
    /// readings of two boots be compared.
    fn wall_synced(&self) -> bool;
}

pub use kiosk_domain::Stamp;

/// The system's clocks: `CLOCK_BOOTTIME`, the wall clock, the kernel's boot id and its
/// synchronisation flag.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemTime;

impl TimeSource for SystemTime {
    fn mono_ms(&self) -> i64 {
        let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: clock_gettime writes one timespec we own; CLOCK_BOOTTIME exists on Linux.
        let ok = unsafe { libc::clock_gettime(libc::CLOCK_BOOTTIME, &mut ts) } == 0;
        // time_t and c_long are 32 bits on armv7: the casts widen there.
        #[allow(clippy::unnecessary_cast)]
        let ms = ts.tv_sec as i64 * 1000 + ts.tv_nsec as i64 / 1_000_000;
        if ok { ms } else { 0 }
    }

    fn wall_ms(&self) -> i64 {
        unix_now_ms()
    }

    fn boot_id(&self) -> String {
        std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
            .map(|s| s.trim().to_owned())
            .unwrap_or_default()
    }

    fn wall_synced(&self) -> bool {
        let mut tx: libc::timex = unsafe { std::mem::zeroed() };
        // SAFETY: adjtimex with modes 0 only reads the kernel's time state into `tx`.
        let state = unsafe { libc::adjtimex(&mut tx) };
        state >= 0 && state != libc::TIME_ERROR && tx.status & libc::STA_UNSYNC == 0
    }
}

/// Clocks a test sets by hand: the wall clock can be stepped without the monotonic one
/// moving, and a reboot (a new boot id, the monotonic clock from zero) simulated.
#[derive(Debug, Clone)]
pub struct ManualTime(Arc<ManualState>);

#[derive(Debug)]
struct ManualState {
    mono: AtomicI64,
    wall: AtomicI64,
    boot: AtomicI64,
    synced: AtomicBool,
}

impl ManualTime {
    pub fn new(mono_ms: i64, wall_ms: i64) -> ManualTime {
        ManualTime(Arc::new(ManualState {
            mono: AtomicI64::new(mono_ms),
            wall: AtomicI64::new(wall_ms),
            boot: AtomicI64::new(1),
            synced: AtomicBool::new(true),
        }))
    }

    /// Time passes: both clocks move.
    pub fn advance(&self, ms: i64) {
        self.0.mono.fetch_add(ms, Ordering::SeqCst);
        self.0.wall.fetch_add(ms, Ordering::SeqCst);
    }

    /// The wall clock is stepped (NTP, a hand-set clock); the monotonic clock is not.
    pub fn step_wall(&self, ms: i64) {
        self.0.wall.fetch_add(ms, Ordering::SeqCst);
    }

    /// A reboot: a new boot, the monotonic clock from `uptime_ms`, the wall clock at
    /// `wall_ms`, `synced` or not (without a real-time clock it restarts wherever the image
    /// left it, until NTP sets it).
    pub fn reboot(&self, uptime_ms: i64, wall_ms: i64, synced: bool) {
        self.0.boot.fetch_add(1, Ordering::SeqCst);
        self.0.mono.store(uptime_ms, Ordering::SeqCst);
        self.0.wall.store(wall_ms, Ordering::SeqCst);
        self.0.synced.store(synced, Ordering::SeqCst);
    }

    /// NTP sets the wall clock.
    pub fn set_wall(&self, wall_ms: i64, synced: bool) {
        self.0.wall.store(wall_ms, Ordering::SeqCst);
        self.0.synced.store(synced, Ordering::SeqCst);
    }

    pub fn set_synced(&self, synced: bool) {
        self.0.synced.store(synced, Ordering::SeqCst);
    }
}

impl TimeSource for ManualTime {
    fn mono_ms(&self) -> i64 {
        self.0.mono.load(Ordering::SeqCst)
    }

    fn wall_ms(&self) -> i64 {
        self.0.wall.load(Ordering::SeqCst)
    }

    fn boot_id(&self) -> String {
        format!("manual-boot-{}", self.0.boot.load(Ordering::SeqCst))
    }

    fn wall_synced(&self) -> bool {
        self.0.synced.load(Ordering::SeqCst)
    }
}

/// The store's clocks: its time zone, and where the time comes from.
#[derive(Clone)]
pub struct StoreClock {
    tz: TimeZone,
    source: Arc<dyn TimeSource>,
}

impl std::fmt::Debug for StoreClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreClock").field("tz", &self.tz).finish_non_exhaustive()
    }
}

impl StoreClock {
    /// `time_zone` was checked by the configuration; an unknown name falls back to UTC.
    pub fn new(time_zone: &str) -> StoreClock {
        StoreClock::with_source(time_zone, Arc::new(SystemTime))
    }

    pub fn with_source(time_zone: &str, source: Arc<dyn TimeSource>) -> StoreClock {
        StoreClock { tz: TimeZone::get(time_zone).unwrap_or(TimeZone::UTC), source }
    }

    /// The wall clock, Unix milliseconds: for timestamps shown or printed, never durations.
    pub fn now_ms(&self) -> i64 {
        self.source.wall_ms()
    }

    /// The monotonic clock, milliseconds since boot: for every duration.
    pub fn mono_ms(&self) -> i64 {
        self.source.mono_ms()
    }

    /// Every clock at once.
    pub fn stamp(&self) -> Stamp {
        Stamp {
            mono_ms: self.source.mono_ms(),
            wall_ms: self.source.wall_ms(),
            boot_id: self.source.boot_id(),
            wall_synced: self.source.wall_synced(),
        }
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
    fn readings_compare_within_a_boot_or_when_both_walls_are_synchronised() {
        let time = ManualTime::new(60_000, AT);
        let clock = StoreClock::with_source("Asia/Seoul", Arc::new(time.clone()));
        let journaled = clock.stamp();
        time.advance(5_000);
        time.step_wall(3 * 3_600_000);
        assert_eq!(clock.stamp().since(&journaled), Some(5_000), "a wall step changes no duration");
        // after a reboot the monotonic clock restarts: only synchronised walls compare
        time.reboot(20_000, AT + 7_000, true);
        assert_eq!(clock.stamp().since(&journaled), Some(7_000));
        time.set_synced(false);
        assert_eq!(clock.stamp().since(&journaled), None);
    }

    #[test]
    fn the_system_clocks_read() {
        let s = SystemTime;
        let (a, b) = (s.mono_ms(), s.mono_ms());
        assert!(a > 0 && b >= a, "CLOCK_BOOTTIME counts up from boot");
        assert_eq!(s.boot_id().len(), 36, "the kernel's boot id is a UUID");
        assert!(s.wall_ms() > 1_700_000_000_000);
    }

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
