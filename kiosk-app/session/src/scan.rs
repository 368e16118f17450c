//! What a scan means to the kiosk. Payment codes are opaque: there is no public format for
//! Kakao Pay / Naver Pay codes, so nothing here parses them; a code that is neither one of our
//! table QR codes nor on the menu is offered to the terminal's barcode approval only when the
//! customer is on the payment screen (the caller's context decides).

use kiosk_domain::{ItemId, Menu, TableId};

use kiosk_drivers::scanner::{Scan, Symbology};

/// The QR code on a table: `https://…/t/<table>` or `KIOSK-TABLE:<table>`.
pub fn table_of(data: &str) -> Option<TableId> {
    let id = data
        .strip_prefix("KIOSK-TABLE:")
        .or_else(|| data.split_once("/t/").map(|(_, rest)| rest))?
        .trim_end_matches('/');
    let ok = !id.is_empty() && id.len() <= 16 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    ok.then(|| TableId(id.to_owned()))
}

/// A coupon code: `CPN-…` (letters, digits and dashes, as the store server issues them).
pub fn coupon_of(data: &str) -> Option<String> {
    data.strip_prefix("CPN-")
        .filter(|c| !c.is_empty() && c.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .map(str::to_owned)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanKind {
    /// Binds the device to a table (during provisioning).
    Table(TableId),
    /// Adds this menu item.
    Item(ItemId),
    Coupon(String),
    /// A code to pass, unchanged, to the terminal's barcode approval.
    Payment(String),
    /// None of the above: tell the customer plainly.
    Unknown(String),
}

/// Classifies a scan. `payment_expected`: the customer is on the payment screen, so a code
/// that is nothing else is taken as a wallet code.
pub fn classify(scan: &Scan, menu: Option<&Menu>, payment_expected: bool) -> ScanKind {
    if let Some(table) = table_of(&scan.data) {
        return ScanKind::Table(table);
    }
    if let Some(coupon) = coupon_of(&scan.data) {
        return ScanKind::Coupon(coupon);
    }
    if let Some(item) = menu.and_then(|m| m.item_by_barcode(&scan.data)) {
        return ScanKind::Item(item.id.clone());
    }
    let plausible_payment = scan.data.len() >= 12
        && scan.data.len() <= 64
        && scan.data.chars().all(|c| c.is_ascii_graphic())
        && scan.symbology.is_none_or(|s| s.is_linear() || s == Symbology::Qr);
    if payment_expected && plausible_payment {
        ScanKind::Payment(scan.data.clone())
    } else {
        ScanKind::Unknown(scan.data.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(data: &str) -> Scan {
        Scan { data: data.into(), symbology: None }
    }

    #[test]
    fn tables_coupons_items_payments() {
        let menu: Menu =
            serde_json::from_str(include_str!("../../../kiosk-app/data/menu.example.json")).unwrap();
        assert_eq!(
            classify(&scan("https://hanip.example/t/12"), None, false),
            ScanKind::Table(TableId("12".into()))
        );
        assert_eq!(classify(&scan("KIOSK-TABLE:T3"), None, false), ScanKind::Table(TableId("T3".into())));
        assert_eq!(classify(&scan("CPN-FREECOLA"), None, false), ScanKind::Coupon("FREECOLA".into()));
        assert_eq!(
            classify(&scan("8801234000011"), Some(&menu), true),
            ScanKind::Item("bulgogi-burger".into())
        );
        assert_eq!(
            classify(&scan("281006020000123456"), Some(&menu), true),
            ScanKind::Payment("281006020000123456".into())
        );
        assert_eq!(
            classify(&scan("281006020000123456"), Some(&menu), false),
            ScanKind::Unknown("281006020000123456".into())
        );
        assert_eq!(classify(&scan("hello"), Some(&menu), true), ScanKind::Unknown("hello".into()));
        assert_eq!(table_of("https://x/t/../etc"), None);
    }
}
