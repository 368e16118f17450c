//! Talks to systemd when it started us (`Type=notify`, `WatchdogSec=`): "ready" once the
//! device serves customers, then a heartbeat from the loop that serves them, so a hung
//! screen or service is restarted. Outside systemd every call does nothing.

use std::time::Duration;

/// Says the service is ready (again is harmless).
pub fn ready() {
    notify(sd_notify::NotifyState::Ready);
}

/// How often to call [`alive`]: half the watchdog period systemd gave us, so one late beat
/// is not fatal (a minute when there is no watchdog).
pub fn heartbeat() -> Duration {
    let mut usec = 0u64;
    if sd_notify::watchdog_enabled(false, &mut usec) && usec > 0 {
        Duration::from_micros(usec / 2)
    } else {
        Duration::from_secs(60)
    }
}

/// One heartbeat: the loop that serves customers is still turning.
pub fn alive() {
    notify(sd_notify::NotifyState::Watchdog);
}

fn notify(state: sd_notify::NotifyState) {
    if let Err(e) = sd_notify::notify(false, &[state]) {
        tracing::debug!("systemd notify: {e}");
    }
}
