//! Stamp cards (적립): a customer's mobile number becomes a card id, a salted SHA-256 made
//! with a secret only this database holds, so neither the number nor a reversible form of
//! it is stored anywhere (a number has only 10^9 values: without the salt an unsalted hash
//! would be looked up in seconds). Orders earn and spend stamps as they arrive, in the
//! transaction that takes them, once per order.

use kiosk_domain::{Menu, Order, normalize_phone};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use kiosk_clock::unix_now_ms;
use kiosk_link::tls::{hex, sha256_hex};

use super::{DbError, Result, ServerDb};

pub(super) const MIGRATION: &str = r#"
CREATE TABLE stamp_cards (
    card           TEXT PRIMARY KEY,
    stamps         INTEGER NOT NULL,
    updated_at_ms  INTEGER NOT NULL
);
CREATE TABLE stamp_moves (
    order_id  TEXT PRIMARY KEY,
    card      TEXT NOT NULL REFERENCES stamp_cards(card),
    earned    INTEGER NOT NULL,
    spent     INTEGER NOT NULL,
    at_ms     INTEGER NOT NULL
);
"#;

/// The card id of a number: the salted hash, made with this store's secret salt (made on
/// first use).
fn card_of(conn: &Connection, phone: &str) -> Result<String> {
    let digits = normalize_phone(phone).map_err(|e| DbError::Invalid(e.to_string()))?;
    let salt: Option<String> =
        conn.query_row("SELECT value FROM settings WHERE key = 'stamp_salt'", [], |r| r.get(0)).optional()?;
    let salt = match salt {
        Some(s) => s,
        None => {
            let mut raw = [0u8; 32];
            rand::fill(&mut raw[..]);
            let made = hex(&raw);
            conn.execute("INSERT OR IGNORE INTO settings (key, value) VALUES ('stamp_salt', ?1)", [&made])?;
            conn.query_row("SELECT value FROM settings WHERE key = 'stamp_salt'", [], |r| r.get(0))?
        }
    };
    Ok(sha256_hex(format!("{salt}:{digits}").as_bytes()))
}

fn stamps_of(conn: &Connection, card: &str) -> Result<i64> {
    Ok(conn
        .query_row("SELECT stamps FROM stamp_cards WHERE card = ?1", [card], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}

fn menu_in(conn: &Connection) -> Result<Option<Menu>> {
    let json: Option<String> =
        conn.query_row("SELECT menu_json FROM menu WHERE id = 1", [], |r| r.get(0)).optional()?;
    Ok(json.map(|j| serde_json::from_str(&j)).transpose()?)
}

impl ServerDb {
    /// The card of a mobile number (the device's lookup, and the console's): its id and its
    /// stamps (0 for a number never seen). A number of the wrong length is `Invalid`.
    pub fn stamp_card(&self, phone: &str) -> Result<(String, i64)> {
        let card = card_of(&self.conn, phone)?;
        let stamps = stamps_of(&self.conn, &card)?;
        Ok((card, stamps))
    }
}

/// The stamps an arriving order earns and spends, on its card, in its transaction. A reward
/// must be the programme's item at the price the order's line has it; a card whose stamps
/// were spent elsewhere meanwhile (two kiosks at once) goes below zero rather than refusing
/// an order already paid.
pub(super) fn earn_in(tx: &Transaction<'_>, order: &Order) -> Result<()> {
    let Some(stamps) = &order.stamps else { return Ok(()) };
    let menu = menu_in(tx)?;
    let Some((menu, program)) = menu.as_ref().and_then(|m| m.stamps.as_ref().map(|p| (m, p))) else {
        if stamps.reward.is_some() {
            return Err(DbError::Invalid("a stamp reward, but the store has no stamp programme".into()));
        }
        return Ok(());
    };
    if let Some(value) = stamps.reward
        && program.reward_value(&order.lines) != Some(value)
    {
        return Err(DbError::Invalid(format!(
            "a stamp reward of {} is not the price of a {} in the order",
            value.0, program.reward
        )));
    }
    let earned = i64::from(program.earned(menu, &order.lines, stamps.reward.is_some()));
    let spent = if stamps.reward.is_some() { i64::from(program.per_reward) } else { 0 };
    let now = unix_now_ms();
    tx.execute(
        "INSERT INTO stamp_cards (card, stamps, updated_at_ms) VALUES (?1, ?2, ?3)
         ON CONFLICT (card) DO UPDATE SET stamps = stamps + ?2, updated_at_ms = ?3",
        params![stamps.card, earned - spent, now],
    )?;
    tx.execute(
        "INSERT INTO stamp_moves (order_id, card, earned, spent, at_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![order.id.to_string(), stamps.card, earned, spent, now],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use kiosk_domain::{
        Cart, Menu, OrderForPos, OrderKind, Selection, Service, Settlement, StampProgram, StampUse,
    };

    use super::super::tests::db;
    use super::DbError;

    fn menu() -> Menu {
        let mut menu: Menu = serde_json::from_str(include_str!("../../../data/menu.example.json")).unwrap();
        // Burgers earn; ten of them buy a cola.
        menu.stamps =
            Some(StampProgram { per_reward: 10, reward: "cola".into(), categories: vec!["burgers".into()] });
        menu
    }

    /// Order `n`: `burgers` cheeseburgers and a cola, on `card`, the cola free if `reward`.
    fn order(menu: &Menu, n: u128, burgers: u32, card: &str, reward: bool) -> OrderForPos {
        let mut cart = Cart::default();
        let mut burger = Selection::of("bulgogi-burger", burgers);
        burger.options.insert("patty".into(), vec![kiosk_domain::Pick::plain("single")]);
        cart.add(menu, burger, None).unwrap();
        cart.add(menu, Selection::of("cola", 1), None).unwrap();
        cart.set_stamp_card(Some(card.into()));
        cart.take_reward(reward.then(|| "cola".into()));
        let id = kiosk_domain::OrderId(uuid::Uuid::from_u128(n));
        let kind = OrderKind::Kiosk { service: Service::TakeOut };
        let order =
            kiosk_domain::Order::from_cart(id, n as u32, kind, Settlement::Prepaid, &cart, menu, 0).unwrap();
        OrderForPos { order, payment: None, receipt_token: None }
    }

    #[test]
    fn a_number_is_a_salted_card_and_orders_earn_and_spend_its_stamps_once() {
        let (_d, mut db) = db();
        let menu = menu();
        db.load_menu(menu.clone()).unwrap();
        let (card, stamps) = db.stamp_card("010-1234-5678").unwrap();
        assert_eq!((card.len(), stamps), (64, 0));
        assert_eq!(db.stamp_card("01012345678").unwrap().0, card, "the same number, the same card");
        assert_ne!(db.stamp_card("01012345679").unwrap().0, card);
        assert_ne!(card, kiosk_link::tls::sha256_hex(b"01012345678"), "salted, not a bare hash");
        let (_d2, other) = db_other();
        assert_ne!(other.stamp_card("01012345678").unwrap().0, card, "another store, another salt");
        assert!(
            matches!(db.stamp_card("010-1234"), Err(DbError::Invalid(_))),
            "a number of the wrong length"
        );

        // Six burgers (the cola earns nothing), sent twice: six stamps.
        let six = order(&menu, 1, 6, &card, false);
        db.receive_order("kiosk-1", &six).unwrap();
        db.receive_order("kiosk-1", &six).unwrap();
        assert_eq!(db.stamp_card("01012345678").unwrap().1, 6);
        db.receive_order("kiosk-1", &order(&menu, 2, 5, &card, false)).unwrap();
        assert_eq!(db.stamp_card("01012345678").unwrap().1, 11);
        // A free cola: ten spent, two burgers earned.
        let free = order(&menu, 3, 2, &card, true);
        assert_eq!(free.order.stamps.as_ref().and_then(|s| s.reward), Some(kiosk_domain::Money(1_800)));
        db.receive_order("kiosk-1", &free).unwrap();
        assert_eq!(db.stamp_card("01012345678").unwrap().1, 3);
        // A reward worth more than the cola's price is refused.
        let mut greedy = order(&menu, 4, 1, &card, true);
        greedy.order.stamps = Some(StampUse { card: card.clone(), reward: Some(kiosk_domain::Money(5_000)) });
        assert!(matches!(db.receive_order("kiosk-1", &greedy), Err(DbError::Invalid(_))));
        let stored: i64 = db
            .conn
            .query_row("SELECT COUNT(*) FROM settings WHERE value LIKE '%01012345678%'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(stored, 0);
    }

    fn db_other() -> (tempfile::TempDir, super::ServerDb) {
        db()
    }
}
