//! The menu cache (the last good menu, from a file or the POS), sold-out marks, and how far
//! the device has followed the POS's updates.

use kiosk_domain::{ItemId, Menu};
use rusqlite::{OptionalExtension, params};

use super::{Actor, Result, Store, StoreError, audit};

#[derive(Debug, Clone, PartialEq)]
pub struct CachedMenu {
    /// The menu with the stored sold-out marks applied.
    pub menu: Menu,
    pub source: String,
    pub imported_at_ms: i64,
}

impl Store {
    /// Replaces the cached menu. An invalid menu is refused and the old one stays.
    pub fn save_menu(&mut self, menu: &Menu, source: &str, actor: Actor, now_ms: i64) -> Result<()> {
        let problems = menu.validate();
        if let Some(first) = problems.first() {
            return Err(StoreError::InvalidMenu(problems.len(), first.to_string()));
        }
        let tx = self.write()?;
        tx.execute(
            "INSERT INTO menu_cache (id, version, source, menu_json, item_count, imported_at_ms)
             VALUES (1, ?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (id) DO UPDATE SET version = excluded.version, source = excluded.source,
                 menu_json = excluded.menu_json, item_count = excluded.item_count,
                 imported_at_ms = excluded.imported_at_ms",
            params![menu.version, source, serde_json::to_string(menu)?, menu.items.len(), now_ms],
        )?;
        audit(
            &tx,
            now_ms,
            actor,
            "menu.save",
            None,
            &format!("version {:?}, {} items from {source}", menu.version, menu.items.len()),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The cached menu's version, to ask the POS "changed since?" cheaply.
    pub fn menu_version(&self) -> Result<Option<String>> {
        Ok(self.conn.query_row("SELECT version FROM menu_cache WHERE id = 1", [], |r| r.get(0)).optional()?)
    }

    pub fn load_menu(&self) -> Result<Option<CachedMenu>> {
        let row: Option<(String, String, i64)> = self
            .conn
            .query_row("SELECT menu_json, source, imported_at_ms FROM menu_cache WHERE id = 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        let Some((json, source, imported_at_ms)) = row else { return Ok(None) };
        let mut menu: Menu = serde_json::from_str(&json)?;
        for id in self.sold_out_items()? {
            menu.set_sold_out(&id, true);
        }
        Ok(Some(CachedMenu { menu, source, imported_at_ms }))
    }

    pub fn sold_out_items(&self) -> Result<Vec<ItemId>> {
        let mut stmt = self.conn.prepare_cached("SELECT item_id FROM sold_out ORDER BY item_id")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0).map(ItemId))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Marks an item sold out (or back on sale); the mark outlives menu reloads.
    pub fn set_sold_out(&mut self, item: &ItemId, sold_out: bool, actor: Actor, now_ms: i64) -> Result<()> {
        let tx = self.write()?;
        if sold_out {
            tx.execute(
                "INSERT INTO sold_out (item_id, since_ms) VALUES (?1, ?2) ON CONFLICT (item_id) DO NOTHING",
                params![item.0, now_ms],
            )?;
        } else {
            tx.execute("DELETE FROM sold_out WHERE item_id = ?1", [&item.0])?;
        }
        audit(
            &tx,
            now_ms,
            actor,
            if sold_out { "menu.sold_out" } else { "menu.back_on_sale" },
            None,
            &item.0,
        )?;
        tx.commit()?;
        Ok(())
    }
}

impl Store {
    /// The sequence number of the last POS update applied here, so that after a restart the
    /// device resumes the update stream instead of missing what happened while it was off.
    pub fn pos_cursor(&self) -> Result<Option<u64>> {
        Ok(self.conn.query_row("SELECT seq FROM pos_cursor WHERE id = 1", [], |r| r.get(0)).optional()?)
    }

    pub fn set_pos_cursor(&mut self, seq: u64, now_ms: i64) -> Result<()> {
        self.conn.execute(
            "INSERT INTO pos_cursor (id, seq, at_ms) VALUES (1, ?1, ?2)
             ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, at_ms = excluded.at_ms",
            params![seq, now_ms],
        )?;
        Ok(())
    }
}
