//! The order domain of the kiosk and table-order firmware.
//!
//! Pure by design: no UI, no async runtime, no SQL, no clock and no I/O. Everything here is
//! deterministic and is tested with plain values (and property tests for pricing). The store,
//! the drivers and the UI depend on this crate; it depends on none of them.

pub mod cart;
pub mod coupon;
pub mod lifecycle;
pub mod menu;
pub mod money;
pub mod note;
pub mod order;
pub mod payment;
pub mod schedule;
pub mod settings;
pub mod split;
pub mod staff;
pub mod stamps;
pub mod text;
pub mod time;

pub use cart::{Cart, CartError, CartLimits, Choices, LinePart, Pick, PricedLine, Selection, Totals};
pub use coupon::{
    COUPON_CODE_MAX, Coupon, CouponError, CouponRefusal, CouponTerms, CouponValue, normalize_code,
};
pub use lifecycle::{OrderEvent, OrderState, TransitionError};
pub use menu::{
    Allergen, Category, CategoryId, GroupId, Item, ItemId, Menu, MenuError, MenuOption, NoteId, NotePreset,
    NoteScope, OptionGroup, OptionId, SetChoice, SetMenu, SetStep, StepId, Suggestion, SuggestionAnswer,
    SuggestionId, Tag,
};
pub use money::{Currency, Money, MoneyStyle, Overflow, VatRate, VatSplit};
pub use note::{NOTE_MAX_CHARS, NOTE_MAX_PRESETS, Note, NoteError};
pub use order::{
    Order, OrderError, OrderForPos, OrderId, OrderKind, Service, Settlement, Tab, TableId, next_state,
};
pub use payment::{
    Approval, INSTALMENT_MINIMUM, INSTALMENT_MONTHS, PaymentMethod, PaymentOp, PaymentOutcome, Refund,
    Wallet, instalments_allowed,
};
pub use schedule::{LocalTime, TimeOfDay, Weekday, Window};
pub use settings::{DeviceSetting, ReceiptPolicy, WhenDown};
pub use split::{BillShare, LineRef, Split, SplitError};
pub use staff::StaffReason;
pub use stamps::{PhoneError, StampProgram, StampUse, normalize_phone};
pub use text::{Lang, Text};
pub use time::Stamp;
