//! E-receipt links: each order's receipt page on the store server is found by a token of
//! of 128 bits the device makes from the order id with a key of its own (HMAC-SHA256), sends
//! with the order, and can make again for the QR code on the done page, before the order
//! has even reached the store. Nobody without the key can guess another order's token.

use kiosk_domain::OrderId;
use ring::{hmac, rand::SecureRandom};
use rusqlite::{OptionalExtension, Transaction};

use crate::{Result, Store, StoreError};

/// The token of `order`'s e-receipt, made with `key`: 128 bits as 22 base64url characters
/// (not hex: a long run of decimal digits would look like a card number to an audit).
pub fn receipt_token(key: &[u8], order: OrderId) -> String {
    use base64::Engine;
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), order.0.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&tag.as_ref()[..16])
}

/// The device's receipt key, made (from the system's random source) the first time.
pub(crate) fn receipt_key_in(tx: &Transaction<'_>) -> Result<Vec<u8>> {
    let stored: Option<Vec<u8>> = tx
        .query_row("SELECT value FROM device_secrets WHERE name = 'receipt_key'", [], |r| r.get(0))
        .optional()?;
    if let Some(key) = stored {
        return Ok(key);
    }
    let mut key = vec![0u8; 32];
    ring::rand::SystemRandom::new()
        .fill(&mut key)
        .map_err(|_| StoreError::Corrupt { table: "device_secrets", detail: "no random source".into() })?;
    tx.execute("INSERT INTO device_secrets (name, value) VALUES ('receipt_key', ?1)", [&key])?;
    Ok(key)
}

impl Store {
    /// The token of `order`'s e-receipt, as it was sent to the store with the order.
    pub fn receipt_token(&mut self, order: OrderId) -> Result<String> {
        let tx = self.conn.transaction()?;
        let key = receipt_key_in(&tx)?;
        tx.commit()?;
        Ok(receipt_token(&key, order))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_128_bits_per_order_and_per_device() {
        let order = OrderId(uuid::Uuid::from_u128(1));
        let (mut a, mut b) = (Store::open_in_memory().unwrap(), Store::open_in_memory().unwrap());
        let token = a.receipt_token(order).unwrap();
        assert_eq!(token.len(), 22);
        assert!(token.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_eq!(a.receipt_token(order).unwrap(), token, "the same order, the same token");
        assert_ne!(a.receipt_token(OrderId(uuid::Uuid::from_u128(2))).unwrap(), token);
        assert_ne!(b.receipt_token(order).unwrap(), token, "another device's key");
    }
}
