//! Arbitrary bytes as the JSON the device reads from the POS (the hello, replies, errors,
//! update batches and events, and a menu): parsing never panics, and what parses survives
//! a round trip through our own serialisation unchanged (so a reply we log and re-read, or
//! a menu we cache and load, is the one we were sent).
#![no_main]

use kiosk_domain::Menu;
use kiosk_link::wire::{ErrorBody, Hello, RefundReply, Sequenced, SubmitReply, Update, UpdateBatch};
use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde::de::DeserializeOwned;

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(bytes: &[u8]) {
    if let Ok(value) = serde_json::from_slice::<T>(bytes) {
        let again: T = serde_json::from_slice(&serde_json::to_vec(&value).unwrap()).unwrap();
        assert_eq!(value, again);
    }
}

fuzz_target!(|data: &[u8]| {
    round_trip::<Hello>(data);
    round_trip::<SubmitReply>(data);
    round_trip::<RefundReply>(data);
    round_trip::<ErrorBody>(data);
    round_trip::<Update>(data);
    round_trip::<Sequenced>(data);
    round_trip::<UpdateBatch>(data);
    if let Ok(menu) = serde_json::from_slice::<Menu>(data) {
        // validation never panics, whatever the menu holds
        let _ = menu.validate();
        let again: Menu = serde_json::from_slice(&serde_json::to_vec(&menu).unwrap()).unwrap();
        assert_eq!(menu, again);
    }
});
