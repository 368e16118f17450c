//! Why a customer calls staff to the table or the kiosk.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffReason {
    Water,
    Cutlery,
    Bill,
    Help,
}

impl StaffReason {
    pub const ALL: [StaffReason; 4] =
        [StaffReason::Water, StaffReason::Cutlery, StaffReason::Bill, StaffReason::Help];

    pub fn as_str(self) -> &'static str {
        match self {
            StaffReason::Water => "water",
            StaffReason::Cutlery => "cutlery",
            StaffReason::Bill => "bill",
            StaffReason::Help => "help",
        }
    }
}
