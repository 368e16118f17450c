//! The menu as staff edit it in the console, and its photos: a photo is stored once under a
//! name made from its content, so a changed photo is a new name and no device keeps showing
//! an old picture under it.

use kiosk_domain::Menu;
use kiosk_link::tls::sha256_hex;
use rusqlite::{OptionalExtension, params};

use super::{Result, ServerDb};

/// The file name a photo is stored and served under.
pub fn photo_name(png: &[u8]) -> String {
    format!("p-{}.png", &sha256_hex(png)[..24])
}

/// Whether `name` is one [`photo_name`] makes (anything else is refused before a lookup).
pub fn is_photo_name(name: &str) -> bool {
    name.len() == 30
        && name.starts_with("p-")
        && name.ends_with(".png")
        && name[2..26].bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

impl ServerDb {
    /// The menu devices download now, with the sold-out marks it travels without.
    pub fn current_menu(&self) -> Result<Option<Menu>> {
        let Some((_, json)) = self.menu()? else { return Ok(None) };
        let mut menu: Menu = serde_json::from_str(&json)?;
        let sold_out = self.sold_out_items()?;
        for item in &mut menu.items {
            item.sold_out = sold_out.contains(&item.id.0);
        }
        Ok(Some(menu))
    }

    /// A menu changed by staff replaces the current one under a new version (made from its
    /// content); devices hear of it at once.
    pub fn save_edited_menu(&mut self, mut menu: Menu) -> Result<String> {
        menu.version.clear();
        self.load_menu(menu)
    }

    /// Keeps a photo (already scaled and encoded as PNG); returns its name.
    pub fn put_photo(&mut self, png: &[u8], now_ms: i64) -> Result<String> {
        let name = photo_name(png);
        self.conn.execute(
            "INSERT INTO photos (name, png, at_ms) VALUES (?1, ?2, ?3) ON CONFLICT (name) DO NOTHING",
            params![name, png, now_ms],
        )?;
        Ok(name)
    }

    pub fn photo(&self, name: &str) -> Result<Option<Vec<u8>>> {
        if !is_photo_name(name) {
            return Ok(None);
        }
        Ok(self.conn.query_row("SELECT png FROM photos WHERE name = ?1", [name], |r| r.get(0)).optional()?)
    }
}
