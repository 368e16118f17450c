//! Helpers shared by the kiosk-app integration tests.

use kiosk_domain::{Cart, Menu, Order, OrderId, OrderKind, Selection, Service, Settlement};

/// A take-out order of `colas` colas, not yet stored.
pub fn cola_order(menu: &Menu, colas: u32, settlement: Settlement, now_ms: i64) -> Order {
    let mut cart = Cart::default();
    cart.add(menu, Selection::of("cola", colas), None).unwrap();
    let kind = OrderKind::Kiosk { service: Service::TakeOut };
    Order::from_cart(OrderId(uuid::Uuid::new_v4()), 0, kind, settlement, &cart, menu, now_ms).unwrap()
}
