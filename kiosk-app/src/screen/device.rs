//! Starts what one device's screen needs from its configuration: the store, the device
//! supervisor, the POS link, the GPIO service, and the [`Runner`] and [`Feeds`] the shell
//! binds.

use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};

use kiosk_drivers::keypad::Key;
use kiosk_drivers::speech::service::{Output, spawn as spawn_speech};
use tokio::sync::mpsc::UnboundedReceiver;

use super::shell::Feeds;
use crate::config::Config;
use crate::effects::Runner;
use crate::pos::{self, PosLink};
use crate::supervisor::Supervisor;
use kiosk_clock::StoreClock;
use kiosk_pos::AnyPos;
use kiosk_store::Store;

pub struct Device {
    pub runner: Runner,
    pub feeds: Feeds,
    pub link: Option<PosLink>,
}

/// Opens the store and starts the supervisor and POS link on the current tokio runtime.
pub fn start(config: &Config) -> Result<Device> {
    let store = Store::open(config.database_path()).context("opening the store")?;
    let store = Arc::new(Mutex::new(store));
    let mut sup = Supervisor::start(config, store.clone());
    let pos = AnyPos::from_config(&config.pos).context("the [pos] section")?;
    let link = pos.map(|pos| pos::start(pos, store.clone()));
    if let Some(link) = &link {
        tokio::spawn(pos::report_health(link.pos.clone(), config.clone(), sup.health.clone()));
    }
    let gpio = crate::gpio_setup::start_or_report(&config.devices.gpio);
    let (gpio_commands, gpio_events) = gpio.map(|g| (g.commands, g.events)).unzip();
    let runner = Runner {
        store,
        clock: StoreClock::new(&config.time_zone),
        terminal: sup.terminal.clone(),
        printing: sup.printing.clone(),
        pos: link.as_ref().map(|l| l.pos.clone()),
        outbox: link.as_ref().map(|l| l.outbox.clone()),
        operator: config.operator.clone(),
        gpio: gpio_commands,
    };
    let feeds = Feeds {
        health: Some(sup.health.clone()),
        pos: link.as_ref().map(|l| l.view.clone()),
        outbox: link.as_ref().map(|l| l.outbox.view()),
        scans: sup.scans.take(),
        gpio: gpio_events,
        keys: config.ui.keypad.as_deref().and_then(start_keypad),
        speech: config.ui.speech.clone().map(|program| spawn_speech(program, Output::Device)),
    };
    Ok(Device { runner, feeds, link })
}

/// Reads the USB keypad, and opens it again after it was unplugged.
#[cfg(feature = "hid")]
fn start_keypad(path: &std::path::Path) -> Option<UnboundedReceiver<Key>> {
    use kiosk_drivers::keypad::evdev_reader::HidKeypad;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let path = path.to_owned();
    tokio::spawn(async move {
        loop {
            match HidKeypad::open(&path) {
                Ok(mut keypad) => {
                    tracing::info!("keypad {} open", path.display());
                    while let Ok(key) = keypad.next().await {
                        if tx.send(key).is_err() {
                            return;
                        }
                    }
                    tracing::warn!("keypad {} gone", path.display());
                }
                Err(e) => tracing::debug!("keypad {}: {e}", path.display()),
            }
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        }
    });
    Some(rx)
}

/// Without evdev the keypad cannot be read: said once, and the screen goes on without it.
#[cfg(not(feature = "hid"))]
fn start_keypad(path: &std::path::Path) -> Option<UnboundedReceiver<Key>> {
    tracing::error!(
        "ui.keypad_device {} is set, but this build has no HID support (feature hid)",
        path.display()
    );
    None
}

/// How often the screen takes in what the devices and the POS link report.
const PUMP: std::time::Duration = std::time::Duration::from_millis(30);

/// A device's screen, bound to its running store, drivers and POS link.
pub struct OpenScreen {
    pub shell: std::rc::Rc<super::shell::Shell>,
    /// Kept alive while the screen runs: dropping it stops the POS link's tasks.
    _link: Option<PosLink>,
}

/// Starts the device from `config` on `runtime` (as [`start`]), reconciles payments with the
/// terminal before the first customer, waits for a menu, and binds the customer screen. Call
/// on the UI thread once a Slint platform is chosen.
pub fn open_screen(config: &Config, runtime: &tokio::runtime::Runtime) -> Result<OpenScreen> {
    let _enter = runtime.enter();
    let device = start(config)?;
    let runner = device.runner.clone();
    runtime.block_on(crate::service::reconcile_at_start(
        runner.terminal.clone(),
        runner.store.clone(),
        &runner.clock,
        true,
    ));
    // The first boot may come before the POS link has delivered a menu. The device is up
    // meanwhile (devices, POS link): systemd hears "ready" (repeating it is harmless), so its
    // start timeout does not restart the service over a POS that is not reachable yet.
    while runner.menu()?.is_none() {
        tracing::warn!("no menu in the store yet: waiting for the POS link (or `kiosk menu import`)");
        crate::systemd::ready();
        crate::systemd::alive();
        std::thread::sleep(std::time::Duration::from_secs(5));
    }
    let photos = super::photos::Photos::new(Some(config.data_dir.join("photos")));
    let shell =
        super::shell::Shell::new(config, device.runner, device.feeds, photos, runtime.handle().clone())?;
    Ok(OpenScreen { shell, _link: device.link })
}

/// The worker threads of a device's runtime: the UI thread is the caller's own.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?)
}

/// `kiosk run` on a device with a display: the customer screen, full screen, over the
/// device's store, drivers and POS link, until the process is stopped.
pub fn run_screen(config: &Config) -> Result<()> {
    use slint::ComponentHandle;

    let runtime = runtime()?;
    let screen = open_screen(config, &runtime)?;
    let shell = screen.shell.clone();
    shell.window().window().set_fullscreen(true);
    shell.window().show()?;

    let pump = slint::Timer::default();
    let pumped = shell.clone();
    pump.start(slint::TimerMode::Repeated, PUMP, move || pumped.pump());
    // The heartbeat comes from the UI thread's own timer: a hung event loop stops it, and
    // systemd restarts the service.
    crate::systemd::ready();
    // A trial slot (after `kiosk update`) is committed from the same beat.
    let mut trial = crate::update::TrialCommit::at_start();
    let heartbeat = slint::Timer::default();
    heartbeat.start(slint::TimerMode::Repeated, crate::systemd::heartbeat(), move || {
        crate::systemd::alive();
        if trial.as_ref().is_some_and(|t| t.healthy_tick()) {
            trial = None;
        }
    });
    slint::run_event_loop()?;
    Ok(())
}
