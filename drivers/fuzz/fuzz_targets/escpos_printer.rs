//! Arbitrary bytes into the ESC/POS parser and the simulated printer, with its condition
//! changing along the way: never a panic, the parser always makes progress, and the
//! printer's receive buffer only holds what it was given.
#![no_main]

use kiosk_drivers::printer::parser::{Parsed, parse};
use kiosk_sim::printer::render::render;
use kiosk_sim::printer::{Condition, SimEvent, SimPrinter};
use libfuzzer_sys::fuzz_target;

const CONDITIONS: [Condition; 8] = [
    Condition::PaperOut,
    Condition::PaperIn,
    Condition::CoverOpen,
    Condition::CoverClosed,
    Condition::Offline,
    Condition::Online,
    Condition::CutterError,
    Condition::PaperNearEnd,
];

fuzz_target!(|data: &[u8]| {
    // the parser alone: every step consumes at least one byte or asks for more
    let mut rest = data;
    while !rest.is_empty() {
        match parse(rest) {
            Parsed::Command(_, n) | Parsed::Garbage(n) => {
                assert!(n >= 1 && n <= rest.len());
                rest = &rest[n..];
            }
            Parsed::NeedMore => break,
        }
    }
    // the printer, fed in chunks, with conditions changing between them
    let mut sim = SimPrinter::new();
    for (i, chunk) in data.chunks(61).enumerate() {
        sim.set(CONDITIONS[(chunk.first().copied().unwrap_or(0) as usize + i) % CONDITIONS.len()]);
        for event in sim.receive(chunk) {
            if let SimEvent::Printed(job) = event {
                let _ = job.text_lines();
                let _ = render(&job, 384);
            }
        }
        assert!(sim.buffered() <= data.len());
        let _ = sim.take_replies();
    }
});
