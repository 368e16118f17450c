//! Arbitrary text as a menu file, JSON or CSV: the reader never panics, every problem names
//! a place, and a menu it accepts is valid (the validator finds nothing) and reads back the
//! same from our JSON.
#![no_main]

use kiosk_menu_file::{Format, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, bytes)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(bytes) else { return };
    let format = if which & 1 == 0 { Format::Json } else { Format::Csv };
    match parse(text, format) {
        Ok(menu) => {
            assert!(menu.validate().is_empty(), "accepted but invalid: {:?}", menu.validate());
            let json = serde_json::to_string(&menu).unwrap();
            assert_eq!(parse(&json, Format::Json).ok().as_ref(), Some(&menu), "our JSON of an accepted menu");
        }
        Err(problems) => assert!(!problems.is_empty(), "refused without a reason"),
    }
});
