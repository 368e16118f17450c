//! Protocol-exact device simulators, for tests, the demo and installers (`kiosk sim …`).

pub mod printer;
