#![allow(dead_code)]
use kiosk_domain::*;

pub const EXAMPLE_MENU: &str = include_str!("../../../data/menu.example.json");

pub fn example_menu() -> Menu {
    serde_json::from_str(EXAMPLE_MENU).expect("example menu parses")
}

pub fn lunch_time() -> LocalTime {
    LocalTime { weekday: Weekday::Wed, time: "12:30".parse().unwrap() }
}

pub fn pick(menu_sel: &mut Selection, group: &str, options: &[&str]) {
    menu_sel.options.insert(group.into(), options.iter().map(|o| Pick::plain(o)).collect());
}
