//! Arbitrary text as a device configuration file: the checker never panics, and whatever it
//! accepts it accepts again (and every problem it reports names its line within the file).
#![no_main]

use kiosk_config::Config;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match Config::parse(text) {
        Ok(config) => assert!(Config::parse(text).is_ok(), "{config:?} parsed once"),
        Err(problems) => {
            let lines = text.lines().count().max(1);
            for p in problems {
                assert!(p.line <= lines + 1, "{p:?} names line {} of {lines}", p.line);
            }
        }
    }
});
