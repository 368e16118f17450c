//! The screen's controller on the UI thread: one [`Flow`] bound to one window. Taps become
//! intents; effects run in order on the tokio runtime through the [`Runner`]. Their
//! outcomes, device health, the POS link's state, scans, GPIO events and keypad keys all
//! arrive in one inbox; whoever runs the loop (the event loop on a device, `automate`, a
//! test) is woken when something arrives and told when the session next has something to
//! do, and calls [`Shell::pump`] then. Nothing polls: an idle screen sleeps.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kiosk_domain::{Lang, OrderId};
use kiosk_drivers::gpio::service::GpioEvent;
use kiosk_drivers::keypad::Key;
use kiosk_drivers::scanner::{Scan, ScanEvent};
use kiosk_link::wire::OrderStatus;
use kiosk_session::settings::Profile;
use kiosk_session::status::{LinkStatus, Status};
use kiosk_session::{Effect, Flow, Intent, Now, Outcome, Settings, View};
use kiosk_ui::KioskWindow;
use tokio::sync::{mpsc, watch};

use super::bind;
use super::guide::Guide;
use super::photos::Photos;
use super::sizing::Panel;
use crate::config::Config;
use crate::device::{Feeds, RandomIds};
use crate::effects::Runner;
use crate::pos::delivery::OutboxView;
use crate::pos::sync::PosView;
use kiosk_session::status::HealthMap;

/// Called from any thread when something arrived for the shell: the loop's owner pumps.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// Told how long until the session next has something to do (`None`: until something happens).
type Schedule = Box<dyn Fn(Option<Duration>)>;

/// What arrives for the shell.
enum Event {
    /// An effect was performed: its outcome, or `None` for one that answers nothing.
    Performed(Option<Outcome>),
    /// The devices' health, the POS link or the outbox changed.
    Status,
    Scan(Scan),
    Gpio(GpioEvent),
    Key(Key),
}

/// The inbox's sending side, with the waker to call after each event.
#[derive(Clone)]
struct Mailbox {
    tx: std_mpsc::Sender<Event>,
    waker: Arc<Mutex<Option<Waker>>>,
}

impl Mailbox {
    fn post(&self, event: Event) -> bool {
        let sent = self.tx.send(event).is_ok();
        if let Some(wake) = self.waker.lock().expect("waker lock").as_ref() {
            wake();
        }
        sent
    }
}

/// The status feeds the shell reads on [`Event::Status`].
struct StatusFeeds {
    health: Option<watch::Receiver<HealthMap>>,
    pos: Option<watch::Receiver<PosView>>,
    outbox: Option<watch::Receiver<OutboxView>>,
}

pub struct Shell {
    flow: RefCell<Flow>,
    runner: Runner,
    runtime: tokio::runtime::Handle,
    effects: mpsc::UnboundedSender<Effect>,
    inbox: std_mpsc::Receiver<Event>,
    mailbox: Mailbox,
    in_flight: Rc<Cell<usize>>,
    /// The menu and the boxes whose photos were last asked to be fitted ahead.
    fitting_ahead: RefCell<Option<(std::sync::Weak<kiosk_domain::Menu>, [super::photos::Fit; 2])>>,
    window: KioskWindow,
    photos: RefCell<Photos>,
    /// Where customers' phones open e-receipts (`[receipt] link`).
    receipt_link: Option<String>,
    shown: RefCell<Option<View>>,
    /// The panel's size: the configuration's `ui.panel_mm`, or its EDID on the device.
    panel: Cell<Option<Panel>>,
    lang: RefCell<Option<Lang>>,
    status: RefCell<StatusFeeds>,
    menu_version: RefCell<(String, std::collections::BTreeSet<String>)>,
    /// Order statuses from the POS already passed to the session.
    statuses: RefCell<std::collections::BTreeMap<String, OrderStatus>>,
    /// The POS's count of tab settlements already shown.
    tabs_settled: Cell<u64>,
    /// The POS's counts of tab moves and answered staff calls already shown.
    tabs_moved: Cell<u64>,
    /// The store's last answer to this tablet's claim of its table, as last told the session.
    table_taken: Cell<bool>,
    calls_answered: Cell<u64>,
    guide: Guide,
    /// Told, after every change, how long until the session next has something to do.
    schedule: RefCell<Option<Schedule>>,
    /// The rollout agent's view of whether a restart may happen, told after every change
    /// (a customer's first touch included), not only on the watchdog's beat.
    fleet: RefCell<Option<tokio::sync::watch::Sender<kiosk_fleet::agent::Kiosk>>>,
}

/// The session's settings for this device: its configuration and what the operator
/// changed on the device over it.
pub fn settings(config: &Config, operator: Vec<kiosk_domain::DeviceSetting>) -> Settings {
    let profile: Profile = crate::profile::profile(config);
    Settings::from_profile(profile, operator)
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
        let operator = runner.store.run_blocking(|s| s.device_settings())?;
        let now = now(&runner);
        let mut flow = Flow::new(settings(config, operator), Arc::new(menu), now, Box::new(RandomIds));
        // A restart (crash, power cut, update) keeps the diners' tab.
        if let Some(tab) = flow.tab() {
            flow.restore_tab(runner.open_tab(&tab.table)?);
        }
        let window = KioskWindow::new()?;
        let guide = Guide::new(&window, feeds.speech.take());
        slint::ComponentHandle::global::<kiosk_ui::Theme>(&window)
            .set_reach(f32::from(config.ui.low_reach_percent) / 100.0);
        let (tx, inbox) = std_mpsc::channel();
        let mailbox = Mailbox { tx, waker: Arc::default() };
        // One worker performs effects in the order the session asked for them; a staff
        // call (which may wait out a short outage) runs beside it.
        let (effects, mut effect_rx) = mpsc::unbounded_channel::<Effect>();
        let (worker_runner, worker_mail) = (runner.clone(), mailbox.clone());
        runtime.spawn(async move {
            while let Some(effect) = effect_rx.recv().await {
                if !worker_mail.post(Event::Performed(worker_runner.perform(effect).await)) {
                    return;
                }
            }
        });
        let status = StatusFeeds {
            health: feeds.health.clone(),
            pos: feeds.pos.clone(),
            outbox: feeds.outbox.clone(),
        };
        runtime.spawn(forward(feeds, mailbox.clone()));
        let shell = Rc::new(Shell {
            flow: RefCell::new(flow),
            runner,
            runtime,
            effects,
            inbox,
            mailbox,
            in_flight: Rc::new(Cell::new(0)),
            fitting_ahead: RefCell::new(None),
            window,
            photos: RefCell::new(photos),
            receipt_link: config.receipt.link.clone(),
            shown: RefCell::new(None),
            lang: RefCell::new(None),
            panel: Cell::new(
                config.ui.panel_mm.map(|(w, h)| Panel { width_mm: f32::from(w), height_mm: f32::from(h) }),
            ),
            status: RefCell::new(status),
            menu_version: RefCell::new(Default::default()),
            statuses: RefCell::new(Default::default()),
            tabs_settled: Cell::new(0),
            tabs_moved: Cell::new(0),
            table_taken: Cell::new(false),
            calls_answered: Cell::new(0),
            guide,
            schedule: RefCell::new(None),
            fleet: RefCell::new(None),
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
        let weak = Rc::downgrade(&shell);
        slint::ComponentHandle::global::<kiosk_ui::MenuState>(&shell.window).on_show_slide(move |index| {
            if let Some(shell) = weak.upgrade() {
                shell.show_slide(usize::try_from(index).unwrap_or(0));
            }
        });
        shell.take_status(now);
        shell.pump();
        Ok(shell)
    }

    /// Called (from any thread) whenever something arrives for the shell.
    pub fn set_waker(&self, waker: Waker) {
        *self.mailbox.waker.lock().expect("waker lock") = Some(waker);
    }

    /// Told after every change how long until the session next has something to do
    /// (`None`: nothing until something happens).
    pub fn on_schedule(&self, schedule: impl Fn(Option<Duration>) + 'static) {
        *self.schedule.borrow_mut() = Some(Box::new(schedule));
        self.reschedule();
    }

    pub fn window(&self) -> &KioskWindow {
        &self.window
    }

    /// The panel's size is now known (its EDID, once the window is on it): the pages are
    /// sized again in millimetres.
    pub fn set_panel(&self, panel: Option<Panel>) {
        self.panel.set(panel);
        *self.shown.borrow_mut() = None;
        self.refresh();
    }

    pub fn view(&self) -> View {
        self.flow.borrow().view()
    }

    /// How long until the session next has something to do.
    pub fn next_wake(&self) -> Option<Duration> {
        let deadline = self.flow.borrow().next_deadline()?;
        Some(Duration::from_millis((deadline - self.runner.clock.mono_ms()).max(0) as u64))
    }

    /// Keeps `sender` told of [`Shell::fleet_state`] after every change.
    pub fn tell_fleet(&self, sender: tokio::sync::watch::Sender<kiosk_fleet::agent::Kiosk>) {
        *self.fleet.borrow_mut() = Some(sender);
        self.publish_fleet_state();
    }

    fn publish_fleet_state(&self) {
        if let Some(sender) = self.fleet.borrow().as_ref() {
            let state = self.fleet_state();
            sender.send_if_modified(|k| std::mem::replace(k, state) != *k);
        }
    }

    /// Whether an update may restart the kiosk now: no customer, nothing in flight (a
    /// payment), and the store's hours as the POS reports them (open without a POS).
    pub fn fleet_state(&self) -> kiosk_fleet::agent::Kiosk {
        let store_open = self.status.borrow().pos.as_ref().is_none_or(|p| p.borrow().store_open);
        kiosk_fleet::agent::Kiosk { at_rest: self.flow.borrow().at_rest() && !self.busy(), store_open }
    }

    /// Effects asked for and not yet answered.
    pub fn busy(&self) -> bool {
        self.in_flight.get() > 0
    }

    /// Pumps until the work the session asked for is done (a payment included); false when
    /// it is still busy after `limit`. For screens driven without an event loop.
    pub fn settle(&self, limit: Duration) -> bool {
        let deadline = std::time::Instant::now() + limit;
        loop {
            self.pump();
            if !self.busy() {
                return true;
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return false;
            }
            // Asleep until what was asked for answers (its outcome arrives in the inbox) or
            // the session's next deadline: a tap whose effect is done in 0.2 ms is drawn
            // then, not at the next turn of a polling loop.
            // (At least 1 ms: a deadline the session keeps past would otherwise spin.)
            let wait = self.next_wake().map_or(left, |next| next.max(Duration::from_millis(1)).min(left));
            if let Ok(event) = self.inbox.recv_timeout(wait) {
                self.take(event, self.now());
            }
        }
    }

    /// The control the keypad focus is on, by its label.
    pub fn focused(&self) -> Option<String> {
        self.guide.focused(&self.window)
    }

    fn now(&self) -> Now {
        now(&self.runner)
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
        self.publish_fleet_state();
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
            // Beside the worker: a staff call may wait out a short outage, and the cancel of
            // a charge must reach the charge the worker is busy with.
            if let Effect::CallStaff { .. } | Effect::AbortCharge { .. } = effect {
                let (runner, mail) = (self.runner.clone(), self.mailbox.clone());
                self.runtime.spawn(async move {
                    mail.post(Event::Performed(runner.perform(effect).await));
                });
            } else if self.effects.send(effect).is_err() {
                tracing::error!("the effect worker stopped");
            }
        }
    }

    /// Waits up to `limit` for the customer's next input to arrive (a key sent to the
    /// keypad's channel, a scan, a GPIO event), taking in whatever comes before it, then
    /// pumps. False when none came. For screens driven without an event loop.
    pub fn wait_input(&self, limit: Duration) -> bool {
        let deadline = std::time::Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let Ok(event) = self.inbox.recv_timeout(left) else { return false };
            let input = matches!(event, Event::Scan(_) | Event::Gpio(_) | Event::Key(_));
            self.take(event, self.now());
            if input {
                self.pump();
                return true;
            }
        }
    }

    /// Takes in what arrived (outcomes, status changes, scans, GPIO, keys), runs the
    /// session's timers, redraws what changed and says when to come back.
    pub fn pump(&self) {
        let now = self.now();
        while let Ok(event) = self.inbox.try_recv() {
            self.take(event, now);
        }
        let effects = self.flow.borrow_mut().tick(now);
        self.dispatch(effects);
        self.refresh();
        self.publish_fleet_state();
    }

    fn take(&self, event: Event, now: Now) {
        {
            match event {
                Event::Performed(done) => {
                    self.in_flight.set(self.in_flight.get().saturating_sub(1));
                    if let Some(outcome) = done {
                        let effects = self.flow.borrow_mut().outcome(outcome, now);
                        self.dispatch(effects);
                    }
                }
                Event::Status => self.take_status(now),
                Event::Scan(scan) => self.handle(Intent::Scanned(scan), now),
                // Someone stepped up: the attract loop gives way to the order.
                Event::Gpio(GpioEvent::PresenceDetected) => self.handle(Intent::Start, now),
                Event::Gpio(GpioEvent::CallStaffPressed) => self.handle(Intent::HelpButton, now),
                Event::Gpio(GpioEvent::EarphonesPlugged) => self.handle(Intent::Earphones(true), now),
                Event::Gpio(GpioEvent::EarphonesUnplugged) => self.handle(Intent::Earphones(false), now),
                Event::Gpio(other) => tracing::info!("gpio: {other:?}"),
                Event::Key(key) => self.handle(Intent::Key(key), now),
            }
        }
    }

    fn handle(&self, intent: Intent, now: Now) {
        let effects = self.flow.borrow_mut().handle(intent, now);
        self.dispatch(effects);
    }

    /// The devices' health, the POS link and the outbox as they stand now, to the session;
    /// and what the POS changed (kitchen statuses, a table settled, the menu).
    fn take_status(&self, now: Now) {
        let mut feeds = self.status.borrow_mut();
        let health = feeds.health.as_mut().map(|r| r.borrow_and_update().clone()).unwrap_or_default();
        let pos = feeds.pos.as_mut().map(|r| r.borrow_and_update().clone());
        let outbox = feeds.outbox.as_mut().map(|r| r.borrow_and_update().clone()).unwrap_or_default();
        drop(feeds);
        let status = Status {
            health,
            link: pos.as_ref().map(|p| LinkStatus { reachable: p.reachable, problem: p.problem.clone() }),
            queued: outbox.queued,
        };
        self.flow.borrow_mut().set_status(&status);
        let Some(pos) = pos else { return };
        // New kitchen statuses of this device's orders.
        let mut statuses = self.statuses.borrow_mut();
        for (id, status) in &pos.order_status {
            if statuses.get(id) != Some(status)
                && *status != OrderStatus::Received
                && let Ok(uuid) = id.parse()
            {
                let served = *status == OrderStatus::Served;
                self.flow.borrow_mut().round_status(OrderId(uuid), served, now);
            }
            statuses.insert(id.clone(), *status);
        }
        drop(statuses);
        // The table paid at the counter: the tab is what the store still holds open (taken
        // once the bill being paid here, if any, is done).
        if pos.tabs_settled != self.tabs_settled.get() && !self.flow.borrow().paying_bill() {
            self.tabs_settled.set(pos.tabs_settled);
            if let Some(rounds) = self.open_tab() {
                self.flow.borrow_mut().tab_settled(rounds, now);
            }
        }
        // Staff moved the tab to another table: the tab is what the store still holds.
        if pos.tabs_moved.0 != self.tabs_moved.get() && !self.flow.borrow().paying_bill() {
            self.tabs_moved.set(pos.tabs_moved.0);
            if let Some(rounds) = self.open_tab() {
                self.flow.borrow_mut().tab_moved(rounds, &pos.tabs_moved.1, now);
            }
        }
        // The store's answer to this tablet's claim of its table, when it changes (an
        // operator's new number, accepted, clears the session's flag in between).
        if pos.table_taken.is_some() != self.table_taken.get() {
            self.table_taken.set(pos.table_taken.is_some());
            self.flow.borrow_mut().table_claim(pos.table_taken.is_some());
        }
        if pos.calls_answered != self.calls_answered.get() {
            self.calls_answered.set(pos.calls_answered);
            self.flow.borrow_mut().staff_call_answered(now);
        }
        // The POS changed the menu or its sold-out marks: take the stored menu again.
        let key = (pos.menu_version.clone().unwrap_or_default(), pos.sold_out.clone());
        if *self.menu_version.borrow() != key {
            *self.menu_version.borrow_mut() = key;
            match self.runner.menu() {
                Ok(Some(menu)) => self.flow.borrow_mut().set_menu(Arc::new(menu), now),
                Ok(None) => {}
                Err(e) => tracing::error!("reloading the menu: {e}"),
            }
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

    fn refresh(&self) {
        let view = self.flow.borrow().view();
        if self.shown.borrow().as_ref() != Some(&view) {
            let shown = self.shown.borrow().clone();
            bind::show(
                &self.window,
                &view,
                shown.as_ref(),
                &mut self.photos.borrow_mut(),
                &mut self.lang.borrow_mut(),
                self.panel.get(),
            );
            self.photos.borrow_mut().release_decoder_memory();
            self.fit_photos_ahead();
            self.guide.shown(&self.window, shown.as_ref(), &view);
            if shown.as_ref().map(|v| v.receipt_qr) != Some(view.receipt_qr) {
                self.show_receipt_qr(view.receipt_qr);
            }
            *self.shown.borrow_mut() = Some(view);
        }
        self.reschedule();
    }

    /// Every photo of the menu fitted to the cards' boxes ahead of the customer, asked
    /// again only when the menu or the boxes change ([`Photos::fit_ahead`]).
    fn fit_photos_ahead(&self) {
        let Some(boxes) = bind::card_boxes(&self.window, self.panel.get()) else { return };
        let flow = self.flow.borrow();
        let menu = flow.shared_menu();
        let mut asked = self.fitting_ahead.borrow_mut();
        // The Weak keeps the last menu's allocation, so a new menu never has its address.
        if asked.as_ref().is_some_and(|(m, b)| std::ptr::eq(m.as_ptr(), Arc::as_ptr(menu)) && *b == boxes) {
            return;
        }
        *asked = Some((Arc::downgrade(menu), boxes));
        self.photos.borrow_mut().fit_ahead(menu.items.iter().filter_map(|i| i.image.as_deref()), &boxes);
    }

    /// The attract page turned to slide `index` of the items shown.
    fn show_slide(&self, index: usize) {
        if let Some(view) = self.shown.borrow().as_ref() {
            bind::show_slide(&self.window, view, index, &mut self.photos.borrow_mut(), self.panel.get());
        }
        self.photos.borrow_mut().release_decoder_memory();
    }

    /// Draws the e-receipt's QR code of `order` (the token the device sent the store with it).
    fn show_receipt_qr(&self, order: Option<kiosk_domain::OrderId>) {
        let pay = slint::ComponentHandle::global::<kiosk_ui::PaymentState>(&self.window);
        let (Some(order), Some(link)) = (order, self.receipt_link.as_deref()) else {
            pay.set_receipt_qr(slint::Image::default());
            return;
        };
        match self.runner.store.run_blocking(move |s| s.receipt_token(order)) {
            Ok(token) => {
                let image = super::receipt_qr::qr_image(&super::receipt_qr::receipt_url(link, &token));
                pay.set_receipt_qr(image.unwrap_or_default());
            }
            Err(e) => tracing::error!("the e-receipt of order {order}: {e}"),
        }
    }

    fn reschedule(&self) {
        if let Some(schedule) = self.schedule.borrow().as_ref() {
            schedule(self.next_wake());
        }
    }
}

/// The time as the session takes it: the monotonic clock for its timers, the wall clock
/// and the store's local time for orders and time-of-day menus.
fn now(runner: &Runner) -> Now {
    let (mono_ms, wall_ms) = (runner.clock.mono_ms(), runner.clock.now_ms());
    Now { mono_ms, wall_ms, local: Some(runner.clock.local_time(wall_ms)) }
}

/// Forwards the feeds into the inbox as they come, waking the loop's owner each time.
async fn forward(feeds: Feeds, mail: Mailbox) {
    let Feeds { mut health, mut pos, mut outbox, mut scans, mut gpio, mut keys, speech: _ } = feeds;
    async fn changed<T>(rx: &mut Option<watch::Receiver<T>>) {
        let open = match rx.as_mut() {
            Some(r) => r.changed().await.is_ok(),
            None => false,
        };
        if !open {
            *rx = None;
            std::future::pending::<()>().await
        }
    }
    async fn next<T>(rx: &mut Option<mpsc::Receiver<T>>) -> T {
        match rx.as_mut() {
            Some(r) => match r.recv().await {
                Some(item) => item,
                None => {
                    *rx = None;
                    std::future::pending().await
                }
            },
            None => std::future::pending().await,
        }
    }
    async fn next_unbounded<T>(rx: &mut Option<mpsc::UnboundedReceiver<T>>) -> T {
        match rx.as_mut() {
            Some(r) => match r.recv().await {
                Some(item) => item,
                None => {
                    *rx = None;
                    std::future::pending().await
                }
            },
            None => std::future::pending().await,
        }
    }
    loop {
        let event = tokio::select! {
            () = changed(&mut health) => Event::Status,
            () = changed(&mut pos) => Event::Status,
            () = changed(&mut outbox) => Event::Status,
            scan = next(&mut scans) => match scan {
                ScanEvent::Scan(scan) => Event::Scan(scan),
                other => {
                    tracing::info!("scanner: {other:?}");
                    continue;
                }
            },
            event = next_unbounded(&mut gpio) => Event::Gpio(event),
            key = next_unbounded(&mut keys) => Event::Key(key),
        };
        if !mail.post(event) {
            return;
        }
    }
}
