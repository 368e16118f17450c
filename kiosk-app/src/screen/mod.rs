//! The touch screen: the Slint window bound to the customer session (`shell.rs`,
//! `bind.rs`), the keypad focus and the voice (`guide.rs`), menu photos (`photos.rs`),
//! sizes in millimetres on any panel (`sizing.rs`), and the device's screen as `kiosk run`
//! starts it ([`open`], [`run_screen`]).

pub mod bind;
pub mod guide;
pub mod photos;
pub mod receipt_qr;
pub mod shell;
pub mod sizing;

use std::rc::Rc;
use std::time::Duration;

use anyhow::Result;
use kiosk_clock::StoreClock;

use crate::config::Config;
use crate::device::Device;
use crate::pos::PosLink;
use shell::Shell;

/// A device's screen, bound to its running store, drivers and POS link.
pub struct OpenScreen {
    pub shell: Rc<Shell>,
    /// Kept alive while the screen runs: dropping it stops the POS link's tasks.
    _link: Option<PosLink>,
}

/// Starts the [`Device`] from `config` on `runtime`, reconciles payments with the terminal
/// before the first customer, waits for a menu, and binds the customer screen. Call on the
/// UI thread once a Slint platform is chosen.
pub fn open(config: &Config, clock: StoreClock, runtime: &tokio::runtime::Runtime) -> Result<OpenScreen> {
    let _enter = runtime.enter();
    let mut device = Device::start(config, clock)?;
    runtime.block_on(device.reconcile(true));
    // The first boot may come before the POS link has delivered a menu. The device is up
    // meanwhile (devices, POS link): systemd hears "ready" (repeating it is harmless), so its
    // start timeout does not restart the service over a POS that is not reachable yet.
    while device.runner.menu()?.is_none() {
        tracing::warn!("no menu in the store yet: waiting for the POS link (or `kiosk menu import`)");
        crate::systemd::ready();
        crate::systemd::alive();
        std::thread::sleep(Duration::from_secs(5));
    }
    let photos = photos::Photos::new(Some(config.data_dir.join("photos")))
        .with_fitted_store(config.data_dir.join("photo-cache"));
    let feeds = std::mem::take(&mut device.feeds);
    let shell = Shell::new(config, device.runner.clone(), feeds, photos, runtime.handle().clone())?;
    Ok(OpenScreen { shell, _link: device.link.take() })
}

thread_local! {
    /// The screens of this (UI) thread, for wake-ups posted from other threads.
    static SCREENS: std::cell::RefCell<Vec<std::rc::Weak<Shell>>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Drives `shell` from Slint's event loop on this thread: pumped when something arrives for
/// it (from any thread) and at the session's next deadline (the idle warning, the order
/// number's time on screen), by one timer re-armed after every change. Nothing polls: between
/// those the loop sleeps. Keep the returned timer as long as the screen runs.
pub fn drive_from_event_loop(shell: &Rc<Shell>) -> Rc<slint::Timer> {
    SCREENS.with(|s| s.borrow_mut().push(Rc::downgrade(shell)));
    shell.set_waker(std::sync::Arc::new(|| {
        let _ = slint::invoke_from_event_loop(|| {
            for shell in
                SCREENS.with(|s| s.borrow().iter().filter_map(std::rc::Weak::upgrade).collect::<Vec<_>>())
            {
                shell.pump();
            }
        });
    }));
    let deadline = Rc::new(slint::Timer::default());
    let weak = Rc::downgrade(shell);
    let timer = Rc::downgrade(&deadline);
    shell.on_schedule(move |wake| {
        let Some(timer) = timer.upgrade() else { return };
        match wake {
            Some(after) => {
                let weak = weak.clone();
                timer.start(slint::TimerMode::SingleShot, after.max(Duration::from_millis(1)), move || {
                    if let Some(shell) = weak.upgrade() {
                        shell.pump();
                    }
                })
            }
            None => timer.stop(),
        }
    });
    deadline
}

/// `kiosk run` on a device with a display: the customer screen, full screen, over the
/// device's store, drivers and POS link, until the process is stopped. The event loop
/// sleeps until something arrives or the session's next deadline.
pub fn run_screen(config: &Config) -> Result<()> {
    use slint::ComponentHandle;

    crate::allocator::tune();
    let runtime = crate::device::runtime()?;
    let screen = open(config, StoreClock::new(&config.time_zone), &runtime)?;
    let shell = screen.shell.clone();
    shell.window().window().set_fullscreen(true);
    shell.window().show()?;
    // The panel's size: its EDID once the window is on it (the DRM connector's), else the
    // configuration's. Only here, on the device: tests and tools size from the configuration.
    let panel = sizing::connected_panel(std::path::Path::new("/sys/class/drm")).or_else(|| {
        config.ui.panel_mm.map(|(w, h)| sizing::Panel { width_mm: f32::from(w), height_mm: f32::from(h) })
    });
    match panel {
        Some(p) => {
            tracing::info!("panel {:.0} × {:.0} mm ({:.1}\")", p.width_mm, p.height_mm, p.diagonal_inches())
        }
        None => tracing::info!("panel size unknown (no EDID, no ui.panel_mm): sized in pixels"),
    }
    shell.set_panel(panel);
    let _deadline = drive_from_event_loop(&shell);
    // The heartbeat comes from the UI thread's own timer: a hung event loop stops it, and
    // systemd restarts the service.
    crate::systemd::ready();
    // A trial slot (after `kiosk update`) is committed from the same beat.
    let (mut trial, slots) = crate::update::TrialCommit::at_start();
    // The rollout agent ([fleet]) hears from the same beat whether a restart may happen.
    let fleet = crate::fleet::spawn(config, slots.as_ref(), runtime.handle());
    let committed = fleet.map(|(kiosk, committed)| {
        shell.tell_fleet(kiosk);
        committed
    });
    let heartbeat = slint::Timer::default();
    heartbeat.start(slint::TimerMode::Repeated, crate::systemd::heartbeat(), move || {
        crate::systemd::alive();
        if trial.as_ref().is_some_and(|t| t.healthy_tick()) {
            trial = None;
            if let Some(committed) = &committed {
                let _ = committed.send(true);
            }
        }
    });
    slint::run_event_loop()?;
    drop(screen);
    Ok(())
}
