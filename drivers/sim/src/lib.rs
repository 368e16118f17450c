//! Protocol-exact device simulators, for tests, the demo and installers (`kiosk sim …`).

pub mod printer;
pub mod pty;
pub mod scanner;
pub mod terminal;

/// Time a serial line takes to carry `bytes` at `baud` (8N1: 10 bits a byte).
pub fn wire_time(bytes: usize, baud: u32) -> std::time::Duration {
    std::time::Duration::from_micros(bytes as u64 * 10 * 1_000_000 / u64::from(baud.max(1)))
}
