//! The screen's controller on the UI thread: one [`Flow`] bound to one window. Taps become
//! intents; effects run in order on the tokio runtime through the [`Runner`]; their outcomes,
//! device health, POS state and scans are taken in by [`Shell::pump`], which a UI timer (or
//! the headless script) calls; the view is copied to the window only when it changed.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::mpsc as std_mpsc;

use kiosk_domain::Lang;
use kiosk_drivers::gpio::service::GpioEvent;
use kiosk_drivers::keypad::Key;
use kiosk_drivers::scanner::ScanEvent;
use kiosk_drivers::speech::service::SpeechHandle;
use kiosk_ui::KioskWindow;
use tokio::sync::{mpsc, watch};

use super::bind;
use super::guide::Guide;
use super::photos::Photos;
use crate::config::{Config, PaymentMethodConfig, Role};
use crate::effects::Runner;
use crate::pos::delivery::OutboxView;
use crate::pos::sync::PosView;
use crate::supervisor::{HealthMap, KioskMode, State, kiosk_mode};
use kiosk_domain::DeviceSetting;
use kiosk_link::wire::OrderStatus;
use kiosk_session::flow::{Availability, Effect, Flow, Intent, Now, Outcome, Settings};
use kiosk_session::view::{DeviceRow, View};

/// The shell's devices besides the touchscreen: what it listens to, and the voice.
#[derive(Default)]
pub struct Feeds {
    pub health: Option<watch::Receiver<HealthMap>>,
    pub pos: Option<watch::Receiver<PosView>>,
    pub outbox: Option<watch::Receiver<OutboxView>>,
    pub scans: Option<mpsc::Receiver<ScanEvent>>,
    /// The presence sensor and the call button.
    pub gpio: Option<mpsc::UnboundedReceiver<GpioEvent>>,
    /// The tactile keypad.
    pub keys: Option<mpsc::UnboundedReceiver<Key>>,
    /// The voice guidance's speech output.
    pub speech: Option<SpeechHandle>,
}

pub struct Shell {
    flow: RefCell<Flow>,
    runner: Runner,
    config: Config,
    runtime: tokio::runtime::Handle,
    effects: mpsc::UnboundedSender<Effect>,
    /// One message per effect performed: its outcome, or `None` for one that answers nothing.
    outcomes: std_mpsc::Receiver<Option<Outcome>>,
    outcome_tx: std_mpsc::Sender<Option<Outcome>>,
    in_flight: Rc<Cell<usize>>,
    window: KioskWindow,
    photos: RefCell<Photos>,
    shown: RefCell<Option<View>>,
    lang: RefCell<Option<Lang>>,
    feeds: RefCell<Feeds>,
    menu_version: RefCell<(String, std::collections::BTreeSet<String>)>,
    /// Order statuses from the POS already passed to the session.
    statuses: RefCell<std::collections::BTreeMap<String, OrderStatus>>,
    /// The POS's count of tab settlements already shown.
    tabs_settled: Cell<u64>,
    guide: Guide,
}

/// The session's settings from the device configuration, with what the operator changed
/// on the device over it.
pub fn settings(config: &Config, operator: Vec<DeviceSetting>) -> Settings {
    use kiosk_session::flow::PayWith;
    let mut settings = Settings {
        table: (config.role == Role::Table).then(|| config.table_number.clone().unwrap_or_default()),
        languages: config.ui.languages.clone(),
        default_language: config.ui.default_language,
        services: config
            .ui
            .order_types
            .iter()
            .map(|t| match t {
                crate::config::OrderType::DineIn => kiosk_domain::Service::DineIn,
                crate::config::OrderType::TakeOut => kiosk_domain::Service::TakeOut,
            })
            .collect(),
        // A means needs its device: no terminal, no card; no scanner, no wallet barcode.
        methods: config
            .ui
            .payment_methods
            .iter()
            .filter_map(|m| match m {
                PaymentMethodConfig::Card => config.devices.terminal.as_ref().map(|_| PayWith::Card),
                PaymentMethodConfig::Wallet => (config.devices.terminal.is_some()
                    && config.devices.scanner.is_some())
                .then_some(PayWith::Wallet),
                PaymentMethodConfig::Counter => Some(PayWith::Counter),
            })
            .collect(),
        store_name: config.store.name.clone(),
        idle_timeout_ms: config.ui.idle_timeout.as_millis() as i64,
        idle_warning_ms: config.ui.idle_warning.as_millis() as i64,
        receipt: config.receipt.print,
        ..Settings::kiosk()
    };
    for setting in operator {
        settings.apply(setting);
    }
    settings
}

impl Shell {
    /// Binds a new window to a session over `runner`. Call on the UI thread, inside the
    /// tokio runtime `runtime`.
    pub fn new(
        config: &Config,
        runner: Runner,
        mut feeds: Feeds,
        photos: Photos,
        runtime: tokio::runtime::Handle,
    ) -> anyhow::Result<Rc<Shell>> {
        let menu = runner.menu()?.ok_or_else(|| anyhow::anyhow!("no menu in the store: import one first"))?;
        let now = runner.clock.now_ms();
        let operator = runner.store.lock().expect("store lock").device_settings()?;
        let mut flow = Flow::new(settings(config, operator), std::sync::Arc::new(menu), now);
        // A restart (crash, power cut, update) keeps the diners' tab.
        if let Some(tab) = flow.tab() {
            flow.restore_tab(runner.open_tab(&tab.table)?);
        }
        let window = KioskWindow::new()?;
        slint::ComponentHandle::global::<kiosk_ui::Theme>(&window)
            .set_reach(f32::from(config.ui.low_reach_percent) / 100.0);
        let guide = Guide::new(feeds.speech.take());
        let (effects, mut effect_rx) = mpsc::unbounded_channel::<Effect>();
        let (outcome_tx, outcomes) = std_mpsc::channel();
        // One worker performs effects in the order the session asked for them; a staff
        // call (which may wait out a short outage) runs beside it.
        let worker_runner = runner.clone();
        let tx = outcome_tx.clone();
        runtime.spawn(async move {
            while let Some(effect) = effect_rx.recv().await {
                if tx.send(worker_runner.perform(effect).await).is_err() {
                    return;
                }
            }
        });
        let shell = Rc::new(Shell {
            flow: RefCell::new(flow),
            runner,
            config: config.clone(),
            runtime,
            effects,
            outcomes,
            outcome_tx,
            in_flight: Rc::new(Cell::new(0)),
            window,
            photos: RefCell::new(photos),
            shown: RefCell::new(None),
            lang: RefCell::new(None),
            feeds: RefCell::new(feeds),
            menu_version: RefCell::new(Default::default()),
            statuses: RefCell::new(Default::default()),
            tabs_settled: Cell::new(0),
            guide,
        });
        let weak = Rc::downgrade(&shell);
        bind::connect(
            &shell.window,
            Rc::new(move |intent| {
                if let Some(shell) = weak.upgrade() {
                    shell.intent(intent);
                }
            }),
        );
        shell.pump();
        Ok(shell)
    }

    pub fn window(&self) -> &KioskWindow {
        &self.window
    }

    pub fn view(&self) -> View {
        self.flow.borrow().view()
    }

    /// Effects asked for and not yet answered.
    pub fn busy(&self) -> bool {
        self.in_flight.get() > 0
    }

    /// Pumps until the work the session asked for is done (a payment included); false when
    /// it is still busy after `limit`. For screens driven without an event loop.
    pub fn settle(&self, limit: std::time::Duration) -> bool {
        let deadline = std::time::Instant::now() + limit;
        loop {
            self.pump();
            if !self.busy() {
                return true;
            }
            if std::time::Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    /// The control the keypad focus is on, by its label.
    pub fn focused(&self) -> Option<String> {
        self.guide.focused()
    }

    fn now(&self) -> Now {
        let ms = self.runner.clock.now_ms();
        Now { ms, local: Some(self.runner.clock.local_time(ms)) }
    }

    pub fn intent(&self, intent: Intent) {
        // The bill shows what the store holds open now: a bill whose payment was resolved in
        // the background (start-up recovery) may have settled rounds, or left them owed.
        if intent == Intent::ShowBill
            && let Some(rounds) = self.open_tab()
        {
            self.flow.borrow_mut().sync_tab(rounds);
        }
        let effects = self.flow.borrow_mut().handle(intent, self.now());
        self.dispatch(effects);
        self.refresh();
    }

    fn dispatch(&self, effects: Vec<Effect>) {
        for effect in effects {
            if effect.is_local() {
                // Cloned: pressing a control re-enters the shell, which updates the view.
                let speech = self.shown.borrow().as_ref().map(|v| v.speech.clone()).unwrap_or_default();
                self.guide.perform(&self.window, &effect, &speech);
                continue;
            }
            self.in_flight.set(self.in_flight.get() + 1);
            if let Effect::CallStaff { .. } = effect {
                let (runner, tx) = (self.runner.clone(), self.outcome_tx.clone());
                self.runtime.spawn(async move {
                    let _ = tx.send(runner.perform(effect).await);
                });
            } else if self.effects.send(effect).is_err() {
                tracing::error!("the effect worker stopped");
            }
        }
    }

    /// Takes in outcomes, device and POS changes and scans; runs the timers; redraws.
    pub fn pump(&self) {
        let now = self.now();
        while let Ok(done) = self.outcomes.try_recv() {
            self.in_flight.set(self.in_flight.get().saturating_sub(1));
            if let Some(outcome) = done {
                let effects = self.flow.borrow_mut().outcome(outcome, now);
                self.dispatch(effects);
            }
        }
        self.take_feeds(now);
        let effects = self.flow.borrow_mut().tick(now);
        self.dispatch(effects);
        self.refresh();
    }

    fn take_feeds(&self, now: Now) {
        let mut feeds = self.feeds.borrow_mut();
        let changed = feeds.health.as_ref().is_some_and(|r| r.has_changed().unwrap_or(false))
            || feeds.pos.as_ref().is_some_and(|r| r.has_changed().unwrap_or(false))
            || feeds.outbox.as_ref().is_some_and(|r| r.has_changed().unwrap_or(false));
        let mut scans = Vec::new();
        if let Some(rx) = feeds.scans.as_mut() {
            while let Ok(event) = rx.try_recv() {
                match event {
                    ScanEvent::Scan(scan) => scans.push(scan),
                    other => tracing::info!("scanner: {other:?}"),
                }
            }
        }
        if changed || self.shown.borrow().is_none() {
            let health = feeds.health.as_mut().map(|r| r.borrow_and_update().clone()).unwrap_or_default();
            let pos = feeds.pos.as_mut().map(|r| r.borrow_and_update().clone());
            let outbox = feeds.outbox.as_mut().map(|r| r.borrow_and_update().clone()).unwrap_or_default();
            let available = self.availability(&health, pos.as_ref(), &outbox);
            self.flow.borrow_mut().set_availability(available);
            self.flow.borrow_mut().set_devices(device_rows(&health, pos.as_ref()));
            if let Some(pos) = pos {
                // New kitchen statuses of this device's orders.
                let mut statuses = self.statuses.borrow_mut();
                for (id, status) in &pos.order_status {
                    if statuses.get(id) != Some(status)
                        && *status != OrderStatus::Received
                        && let Ok(uuid) = id.parse()
                    {
                        let served = *status == OrderStatus::Served;
                        self.flow.borrow_mut().round_status(kiosk_domain::OrderId(uuid), served, now);
                    }
                    statuses.insert(id.clone(), *status);
                }
                // The table paid at the counter: the tab is what the store still holds open
                // (taken once the bill being paid here, if any, is done).
                if pos.tabs_settled != self.tabs_settled.get() && !self.flow.borrow().paying_bill() {
                    self.tabs_settled.set(pos.tabs_settled);
                    if let Some(rounds) = self.open_tab() {
                        self.flow.borrow_mut().tab_settled(rounds, now);
                    }
                }
                // The POS changed the menu or its sold-out marks: take the stored menu again.
                let key = (pos.menu_version.clone().unwrap_or_default(), pos.sold_out.clone());
                if *self.menu_version.borrow() != key {
                    *self.menu_version.borrow_mut() = key;
                    match self.runner.menu() {
                        Ok(Some(menu)) => self.flow.borrow_mut().set_menu(std::sync::Arc::new(menu), now),
                        Ok(None) => {}
                        Err(e) => tracing::error!("reloading the menu: {e}"),
                    }
                }
            }
        }
        let mut presses = Vec::new();
        if let Some(rx) = feeds.gpio.as_mut() {
            while let Ok(event) = rx.try_recv() {
                match event {
                    // Someone stepped up: the attract loop gives way to the order.
                    GpioEvent::PresenceDetected => presses.push(Intent::Start),
                    GpioEvent::CallStaffPressed => presses.push(Intent::HelpButton),
                    GpioEvent::EarphonesPlugged => presses.push(Intent::Earphones(true)),
                    GpioEvent::EarphonesUnplugged => presses.push(Intent::Earphones(false)),
                    other => tracing::info!("gpio: {other:?}"),
                }
            }
        }
        if let Some(rx) = feeds.keys.as_mut() {
            while let Ok(key) = rx.try_recv() {
                presses.push(Intent::Key(key));
            }
        }
        drop(feeds);
        for intent in presses {
            let effects = self.flow.borrow_mut().handle(intent, now);
            self.dispatch(effects);
        }
        for scan in scans {
            let effects = self.flow.borrow_mut().handle(Intent::Scanned(scan), now);
            self.dispatch(effects);
        }
    }

    /// The table's open tab as the store holds it; `None` on a kiosk or a store error.
    fn open_tab(&self) -> Option<Vec<kiosk_domain::Order>> {
        let table = self.flow.borrow().tab().map(|t| t.table.clone())?;
        self.runner
            .open_tab(&table)
            .inspect_err(|e| tracing::error!("reading table {}'s tab: {e}", table.0))
            .ok()
    }

    fn availability(&self, health: &HealthMap, pos: Option<&PosView>, outbox: &OutboxView) -> Availability {
        let usable = |d: &str| health.get(d).is_some_and(|h| h.usable());
        let mode = kiosk_mode(&self.config, health);
        let devices = &self.config.devices;
        Availability {
            card: devices.terminal.is_some() && usable("terminal") && mode != KioskMode::PayAtCounterOnly,
            scanner: devices.scanner.is_some() && usable("scanner"),
            printer: devices.printer.is_some() && usable("printer"),
            // Without a POS link orders wait on the device by design; nothing to warn about.
            pos_reachable: pos.is_none_or(|p| p.reachable),
            queued: outbox.queued,
            out_of_service: matches!(mode, KioskMode::OutOfService { .. }),
        }
    }

    fn refresh(&self) {
        let view = self.flow.borrow().view();
        if self.shown.borrow().as_ref() == Some(&view) {
            return;
        }
        let shown = self.shown.borrow().clone();
        bind::show(
            &self.window,
            &view,
            shown.as_ref(),
            &mut self.photos.borrow_mut(),
            &mut self.lang.borrow_mut(),
        );
        self.guide.shown(&self.window, shown.as_ref(), &view);
        *self.shown.borrow_mut() = Some(view);
    }
}

/// The operator page's device list: the supervisor's devices and the POS link.
fn device_rows(health: &HealthMap, pos: Option<&PosView>) -> Vec<DeviceRow> {
    let mut rows: Vec<DeviceRow> = health
        .iter()
        .map(|(name, h)| {
            let state = match h.state {
                State::Ok => "ok",
                State::Degraded => "degraded",
                State::Missing => "missing",
                State::Fault => "fault",
            };
            DeviceRow {
                name: (*name).to_owned(),
                state: state.to_owned(),
                reason: h.reason.clone(),
                ok: h.usable(),
            }
        })
        .collect();
    if let Some(p) = pos {
        rows.push(DeviceRow {
            name: "pos".into(),
            state: if p.reachable { "ok" } else { "unreachable" }.into(),
            reason: p.problem.clone().unwrap_or_default(),
            ok: p.reachable,
        });
    }
    rows
}
