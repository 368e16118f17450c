//! Helpers shared by the end-to-end tests and the programs they drive.

pub mod browser;
pub mod e2e;
pub mod fault_proxy;
pub mod goosebit;
pub mod mosquitto;
pub mod peers;
pub mod pos;
pub mod release;
pub mod tryton;

use kiosk_domain::Menu;

/// The example menu shipped with the firmware.
pub fn example_menu() -> Menu {
    serde_json_menu(include_str!("../../kiosk-app/data/menu.example.json"))
}

fn serde_json_menu(s: &str) -> Menu {
    kiosk_menu_file::parse(s, kiosk_menu_file::Format::Json).expect("example menu is valid")
}
