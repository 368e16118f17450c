//! One reading of the device's clocks, as the payment journal keeps it: how long ago
//! something happened is measured on the monotonic clock within one boot, and on the wall
//! clock across boots only when both readings were synchronised (a Raspberry Pi has no
//! real-time clock and boots at its image's build time).

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    /// Milliseconds since boot (never stepped).
    pub mono_ms: i64,
    /// Unix milliseconds by the wall clock.
    pub wall_ms: i64,
    /// The boot the monotonic reading belongs to; empty when unknown.
    pub boot_id: String,
    /// The wall clock had been synchronised (by NTP) when it was read.
    pub wall_synced: bool,
}

impl Stamp {
    /// How long ago `earlier` was, when the clocks can tell: by the monotonic clock within
    /// one boot, by the wall clock across boots when both readings were synchronised.
    /// `None` when nothing trustworthy can say (a reboot with an unsynchronised clock).
    pub fn since(&self, earlier: &Stamp) -> Option<i64> {
        if !self.boot_id.is_empty() && self.boot_id == earlier.boot_id {
            Some(self.mono_ms - earlier.mono_ms)
        } else if self.wall_synced && earlier.wall_synced {
            Some(self.wall_ms - earlier.wall_ms)
        } else {
            None
        }
    }

    /// The least time that has surely passed since `earlier`, even when [`Stamp::since`]
    /// cannot tell: across a reboot, at least this boot's uptime.
    pub fn at_least_since(&self, earlier: &Stamp) -> i64 {
        self.since(earlier).unwrap_or(self.mono_ms).max(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(mono_ms: i64, wall_ms: i64, boot: &str, synced: bool) -> Stamp {
        Stamp { mono_ms, wall_ms, boot_id: boot.into(), wall_synced: synced }
    }

    #[test]
    fn durations_come_from_the_monotonic_clock_within_a_boot() {
        let then = stamp(60_000, 1_000_000, "a", false);
        // the wall clock was stepped by three hours meanwhile: irrelevant
        let now = stamp(65_000, 1_000_000 + 3 * 3_600_000, "a", true);
        assert_eq!(now.since(&then), Some(5_000));
        // after a reboot only two synchronised wall readings compare
        assert_eq!(stamp(20_000, 1_007_000, "b", true).since(&stamp(1, 1_000_000, "a", true)), Some(7_000));
        let unsure = stamp(20_000, 5, "b", false);
        assert_eq!(unsure.since(&then), None);
        assert_eq!(unsure.at_least_since(&then), 20_000, "at least this boot's uptime");
        // an unknown boot never matches another unknown boot
        assert_eq!(stamp(9, 0, "", false).since(&stamp(1, 0, "", false)), None);
    }
}
