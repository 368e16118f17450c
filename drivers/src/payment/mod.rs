//! Card and mobile-wallet payment terminals.

pub mod smartro;
