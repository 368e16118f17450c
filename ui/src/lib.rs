//! The touch UI (Slint): pages, widgets and theme. It shows state and forwards the
//! customer's intents through callbacks; it holds no business logic. The screens arrive
//! with the UI issue.
