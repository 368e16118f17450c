//! The sync task: keeps the device's menu, sold-out marks and order states in step with
//! the POS, and publishes what the UI shows (reachable or not, store open, sold out).
//!
//! The POS is authoritative for sold-out state while it is reachable: a snapshot replaces
//! the device's marks. While it is not, the device keeps the last state it knew and keeps
//! taking orders (they queue in the outbox).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use kiosk_domain::{ItemId, OrderEvent, OrderId, OrderState, TableId};
use tokio::sync::{mpsc, watch};

use super::delivery::{Backoff, OutboxHandle};
use kiosk_clock::unix_now_ms;
use kiosk_link::wire::OrderStatus;
use kiosk_pos::{MenuFetch, PosAdapter, PosError, Sequenced, Update};
use kiosk_store::{Actor, Store, StoreError};

use crate::store_thread::StoreHandle;

/// Order statuses kept for the UI's "your order is ready" board.
const RECENT_STATUSES: usize = 100;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PosView {
    /// The update stream is connected.
    pub reachable: bool,
    pub store_open: bool,
    pub menu_version: Option<String>,
    pub sold_out: BTreeSet<String>,
    /// Latest status per order id, for this device's recent orders.
    pub order_status: BTreeMap<String, OrderStatus>,
    /// Counts the POS's settlements of this device's table tabs (paid at the counter): the
    /// screen reloads the tab when it changes.
    pub tabs_settled: u64,
    /// Counts the store's tab moves away from this device's table, with the last table the
    /// tab went to: the screen reloads the tab and says where it went.
    pub tabs_moved: (u64, String),
    /// Counts staff calls of this device that staff answered: the screen says someone is
    /// coming.
    pub calls_answered: u64,
    /// Why the link is down, or why the last menu was refused.
    pub problem: Option<String>,
    /// The store gave this tablet's table to another device: the store's words, which name
    /// it. Cleared once the table is claimed (at the next connection, or when the operator
    /// gives this tablet its own number).
    pub table_taken: Option<String>,
    /// When `reachable` last changed (Unix ms).
    pub since_ms: i64,
}

/// The sold-out marks stored by the last sync.
pub async fn stored_sold_out(store: &StoreHandle) -> BTreeSet<String> {
    store
        .run(|s| s.sold_out_items())
        .await
        .map(|ids| ids.into_iter().map(|i| i.0).collect())
        .unwrap_or_default()
}

pub struct PosSync<A> {
    store: StoreHandle,
    pos: Arc<A>,
    outbox: Option<OutboxHandle>,
    view: watch::Sender<PosView>,
    backoff: Backoff,
    /// Where the screen finds menu photos; photos the POS delivers are written here.
    photos: Option<PathBuf>,
    /// A table tablet's number from its configuration (an operator's number, kept in the
    /// store, comes first): claimed at every connection.
    table: Option<String>,
}

impl<A: PosAdapter> PosSync<A> {
    /// Starts from the sold-out marks the store holds (see [`stored_sold_out`]), so a
    /// restarted device refuses a sold-out item before the POS answers.
    pub fn new(
        store: StoreHandle,
        pos: Arc<A>,
        outbox: Option<OutboxHandle>,
        sold_out: BTreeSet<String>,
    ) -> (PosSync<A>, watch::Receiver<PosView>) {
        let (view, rx) = watch::channel(PosView { sold_out, since_ms: unix_now_ms(), ..PosView::default() });
        let backoff = Backoff { base: Duration::from_millis(250), cap: Duration::from_secs(15) };
        (PosSync { store, pos, outbox, view, backoff, photos: None, table: None }, rx)
    }

    async fn with_store<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.store.run(f).await
    }

    fn set_reachable(&self, reachable: bool, problem: Option<String>) {
        self.view.send_if_modified(|v| {
            let changed = v.reachable != reachable || v.problem != problem;
            if v.reachable != reachable {
                v.since_ms = unix_now_ms();
            }
            v.reachable = reachable;
            v.problem = problem;
            changed
        });
    }

    /// Runs until the task is dropped: follow updates, reconnect with backoff. Resumes after
    /// the last update applied before a restart.
    pub async fn run(self) {
        let mut since = self.with_store(|s| s.pos_cursor()).await.unwrap_or_else(|e| {
            tracing::warn!("POS updates: the stored cursor is unreadable ({e}); starting afresh");
            None
        });
        // A resumed stream starts without a snapshot: the first connection asks for what one
        // would have said.
        let mut resumed = since.is_some();
        let mut failures = 0u32;
        loop {
            let connected = if resumed { self.catch_up().await.map(|()| resumed = false) } else { Ok(()) };
            let ended = match connected {
                Ok(()) => self.follow(&mut since).await,
                Err(e) => Err(e),
            };
            match ended {
                Ok(()) => return, // nobody listens
                Err(e) => {
                    // A stream that worked before it broke starts the backoff afresh.
                    failures = if self.view.borrow().reachable { 1 } else { failures + 1 };
                    let wait = self.backoff.delay(failures.min(16), rand::random::<f64>());
                    tracing::warn!("POS updates: {e}; reconnecting in {wait:?}");
                    self.set_reachable(false, Some(e.to_string()));
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// After a restart that resumes the stream: the store's open state and the menu version,
    /// from the POS's answer to a hello, as a snapshot would have given them.
    async fn catch_up(&self) -> Result<(), PosError> {
        let health = self.pos.health().await?;
        self.view.send_modify(|v| v.store_open = health.store_open);
        let stored = self.with_store(|s| s.menu_version()).await.ok().flatten();
        if health.menu_version.is_some()
            && health.menu_version != stored
            && let Err(e) = self.refresh_menu().await
        {
            tracing::warn!("POS updates: {e}");
        }
        Ok(())
    }

    /// One connection: apply updates until the stream breaks.
    async fn follow(&self, since: &mut Option<u64>) -> Result<(), PosError> {
        let (tx, mut rx) = mpsc::channel::<Sequenced>(256);
        let watch = self.pos.watch(*since, &tx);
        tokio::pin!(watch);
        loop {
            tokio::select! {
                ended = &mut watch => return ended.and(Err(PosError::Unreachable("the update stream ended".into()))),
                Some(update) = rx.recv() => {
                    if !self.view.borrow().reachable {
                        self.set_reachable(true, None);
                        if let Some(outbox) = &self.outbox {
                            outbox.pos_reachable();
                        }
                        self.claim_table().await;
                    }
                    *since = Some(update.seq);
                    self.apply(update.update).await;
                    // After applying: a crash in between applies it again, which changes nothing.
                    let seq = update.seq;
                    if let Err(e) = self.with_store(move |s| s.set_pos_cursor(seq, unix_now_ms())).await {
                        tracing::warn!("POS updates: keeping the cursor: {e}");
                    }
                }
            }
        }
    }

    /// Claims `table` (a table tablet's configured number) at every connection.
    pub fn with_table(mut self, table: Option<String>) -> Self {
        self.table = table;
        self
    }

    /// Claims this tablet's table, so that a second tablet configured with the same number
    /// is told at its start, not when both have sent rounds onto one bill. A refusal is
    /// published for the screen; any other failure is left to the next connection.
    async fn claim_table(&self) {
        let Some(configured) = self.table.clone() else { return };
        let stored = self.with_store(|s| s.device_settings()).await.unwrap_or_default();
        let table = stored
            .into_iter()
            .find_map(|s| match s {
                kiosk_domain::DeviceSetting::Table(t) => Some(t),
                _ => None,
            })
            .unwrap_or(configured);
        let taken = match self.pos.claim_table(&table).await {
            Ok(()) => None,
            Err(e) if e.is_table_taken() => {
                tracing::warn!("table {table}: {e}");
                Some(e.to_string())
            }
            Err(e) => {
                tracing::warn!("claiming table {table}: {e}");
                return;
            }
        };
        self.view.send_if_modified(|v| {
            let changed = v.table_taken != taken;
            v.table_taken = taken;
            changed
        });
    }

    /// Keeps the menu's photos the POS delivers in `dir` (the screen's photo folder).
    pub fn with_photos(mut self, dir: Option<PathBuf>) -> Self {
        self.photos = dir;
        self
    }

    /// Brings the photos a new menu names that the photo folder lacks, before the menu is
    /// shown, so its items appear with their pictures. A photo that cannot be fetched is
    /// logged; the item shows an empty frame, as with any missing photo.
    async fn fetch_photos(&self, menu: &kiosk_domain::Menu) {
        let Some(dir) = self.photos.clone() else { return };
        let names: BTreeSet<String> = menu
            .items
            .iter()
            .filter_map(|i| i.image.clone())
            .chain(menu.categories.iter().filter_map(|c| c.image.clone()))
            .filter(|n| kiosk_pos::link_client::plain_file_name(n))
            .collect();
        for name in names {
            if dir.join(&name).exists() {
                continue;
            }
            match self.pos.fetch_photo(&name).await {
                Ok(png) if png.starts_with(b"\x89PNG\r\n\x1a\n") => {
                    let (dir, file) = (dir.clone(), name.clone());
                    let kept = tokio::task::spawn_blocking(move || keep_photo(&dir, &file, &png)).await;
                    if let Ok(Err(e)) | Err(e) = kept.map_err(std::io::Error::other) {
                        tracing::warn!("menu photo {name:?}: keeping it: {e}");
                    }
                }
                Ok(_) => tracing::warn!("menu photo {name:?}: the POS sent something that is not a PNG"),
                Err(PosError::Unsupported { .. }) => return,
                Err(e) => tracing::warn!("menu photo {name:?}: {e}"),
            }
        }
    }

    /// Fetches the menu unless the POS's version is the one we have; a bad menu is refused
    /// and the last good one stays.
    pub async fn refresh_menu(&self) -> Result<bool, PosError> {
        let known = self.with_store(|s| s.menu_version()).await.ok().flatten();
        match self.pos.fetch_menu(known.as_deref()).await? {
            MenuFetch::Unchanged => Ok(false),
            MenuFetch::Changed(menu) => {
                self.fetch_photos(&menu).await;
                let version = menu.version.clone();
                let (name, stored) = (self.pos.name(), menu.clone());
                let saved =
                    self.with_store(move |s| s.save_menu(&stored, name, Actor::Pos, unix_now_ms())).await;
                match saved {
                    Ok(()) => {
                        tracing::info!("menu {version:?} from the POS ({} items)", menu.items.len());
                        self.view.send_modify(|v| v.menu_version = Some(version));
                        Ok(true)
                    }
                    Err(e) => Err(PosError::Protocol(format!(
                        "the POS's menu was refused: {e}; the last good menu stays"
                    ))),
                }
            }
        }
    }

    async fn apply(&self, update: Update) {
        let outcome = match update {
            Update::Snapshot { store_open, menu_version, sold_out } => {
                self.view.send_modify(|v| v.store_open = store_open);
                let menu_stale = menu_version.is_some()
                    && menu_version != self.with_store(|s| s.menu_version()).await.ok().flatten();
                let marks = self.replace_sold_out(sold_out.into_iter().collect()).await;
                if menu_stale {
                    self.refresh_menu().await.map(|_| ()).map_err(|e| e.to_string())
                } else {
                    marks
                }
            }
            Update::SoldOut { item, sold_out } => self.mark_sold_out(&item, sold_out).await,
            Update::Store { open } => {
                self.view.send_modify(|v| v.store_open = open);
                Ok(())
            }
            Update::Menu { .. } => self.refresh_menu().await.map(|_| ()).map_err(|e| e.to_string()),
            Update::OrderStatus { order_id, status } => self.order_status(&order_id, status).await,
            Update::TableSettled { table, orders } => self.table_settled(&table, &orders).await,
            Update::TabMoved { from, to, orders } => {
                // Off this tablet's tab: the rounds are owed at the other table now.
                let moved = self.close_rounds(&from, &orders).await;
                if moved == Ok(true) {
                    self.view.send_modify(|v| v.tabs_moved = (v.tabs_moved.0 + 1, to));
                }
                moved.map(|_| ())
            }
            Update::StaffCallAnswered { .. } => {
                self.view.send_modify(|v| v.calls_answered += 1);
                Ok(())
            }
        };
        if let Err(problem) = outcome {
            tracing::warn!("POS update not applied: {problem}");
            self.view.send_modify(|v| v.problem = Some(problem));
        }
    }

    async fn mark_sold_out(&self, item: &str, sold_out: bool) -> Result<(), String> {
        let id = ItemId(item.to_owned());
        self.with_store(move |s| s.set_sold_out(&id, sold_out, Actor::Pos, unix_now_ms()))
            .await
            .map_err(|e| e.to_string())?;
        self.view.send_modify(|v| {
            if sold_out {
                v.sold_out.insert(item.to_owned());
            } else {
                v.sold_out.remove(item);
            }
        });
        Ok(())
    }

    async fn replace_sold_out(&self, wanted: BTreeSet<String>) -> Result<(), String> {
        let current = self.view.borrow().sold_out.clone();
        for item in current.difference(&wanted) {
            self.mark_sold_out(item, false).await?;
        }
        for item in wanted.difference(&current) {
            self.mark_sold_out(item, true).await?;
        }
        Ok(())
    }

    async fn table_settled(&self, table: &str, orders: &[String]) -> Result<(), String> {
        if self.close_rounds(table, orders).await? {
            self.view.send_modify(|v| v.tabs_settled += 1);
        }
        Ok(())
    }

    /// Closes `orders` on this device's tab of `table`; true when the tab changed.
    async fn close_rounds(&self, table: &str, orders: &[String]) -> Result<bool, String> {
        let rounds = orders
            .iter()
            .map(|id| id.parse().map(OrderId))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| format!("table {table} settled with an order id that is not one: {orders:?}"))?;
        let table_id = TableId(table.to_owned());
        self.with_store(move |s| s.settle_rounds(&table_id, &rounds, Actor::Pos, unix_now_ms()))
            .await
            .map_err(|e| e.to_string())
    }

    async fn order_status(&self, order_id: &str, status: OrderStatus) -> Result<(), String> {
        self.view.send_modify(|v| {
            v.order_status.insert(order_id.to_owned(), status);
            while v.order_status.len() > RECENT_STATUSES {
                let oldest = v.order_status.keys().next().cloned();
                oldest.map(|k| v.order_status.remove(&k));
            }
        });
        let event = match status {
            OrderStatus::Received => return Ok(()),
            OrderStatus::Ready => OrderEvent::MarkedReady,
            OrderStatus::Served => OrderEvent::Completed,
        };
        let id = OrderId(
            order_id
                .parse()
                .map_err(|_| format!("order status for {order_id:?}, which is not an order id"))?,
        );
        self.with_store(move |s| {
            let state = s.order_state(id)?;
            // A status can overtake the outbox's own record of the acknowledgement; then the
            // UI still shows it (above) and the stored state stays as the outbox leaves it.
            let applies = match event {
                OrderEvent::MarkedReady => state == OrderState::Acknowledged,
                _ => matches!(state, OrderState::Acknowledged | OrderState::Ready),
            };
            if applies {
                s.apply_event(id, event, Actor::Pos, unix_now_ms())?;
            }
            Ok(())
        })
        .await
        .map_err(|e| e.to_string())
    }
}

/// Writes a photo whole or not at all (a power cut leaves no half picture under its name).
fn keep_photo(dir: &Path, name: &str, png: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    std::fs::create_dir_all(dir)?;
    let partial = dir.join(format!(".{name}.partial"));
    let mut file = std::fs::File::create(&partial)?;
    file.write_all(png)?;
    file.sync_all()?;
    std::fs::rename(&partial, dir.join(name))
}
