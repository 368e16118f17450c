//! Operator mode, behind five taps in a corner and the PIN: device settings, sold-out marks,
//! the printer test, the receipt journal of today's orders with a reprint of any, the
//! payment journal with a confirmed cancel, and closing a table's tab paid at the counter.

use kiosk_domain::{DeviceSetting, Tab, TableId};

use crate::flow::{Flow, NOTICE_MS};
use crate::messages::{Effect, Intent, Outcome};
use crate::stage::Stage;
use crate::words::sentences;

impl Flow {
    fn in_operator_mode(&self) -> bool {
        matches!(self.stage, Stage::Operator { .. })
    }

    pub(crate) fn operator(&mut self, intent: Intent) -> Vec<Effect> {
        let operator = self.in_operator_mode();
        match intent {
            Intent::OperatorGesture if self.stage == self.home_stage() || self.stage == Stage::Browsing => {
                let back = self.page();
                self.stage = Stage::Pin { problem: None, back };
            }
            Intent::Pin(pin) => {
                if matches!(self.stage, Stage::Pin { .. }) {
                    return vec![Effect::VerifyPin(pin)];
                }
            }
            Intent::SetSoldOut { item, sold_out } if operator => {
                return vec![Effect::SetSoldOut { item, sold_out }];
            }
            Intent::PrinterTest if operator => return vec![Effect::PrinterTest],
            Intent::ChangeSetting(setting) if operator => return self.change_setting(setting),
            Intent::AdjustSetting { key, step } if operator => {
                if let Some(setting) = self.settings.stepped(key, step) {
                    return self.change_setting(setting);
                }
            }
            Intent::CancelApproval(order) => {
                let standing = self.journal.iter().any(|j| j.order == order && !j.reversed);
                if let Stage::Operator { confirm_cancel, .. } = &mut self.stage
                    && standing
                {
                    *confirm_cancel = Some(order);
                }
            }
            Intent::ConfirmCancel(yes) => {
                if let Stage::Operator { confirm_cancel, .. } = &mut self.stage
                    && let Some(order) = confirm_cancel.take()
                    && yes
                {
                    return vec![Effect::CancelApproval(order)];
                }
            }
            Intent::CloseTab if operator => {
                if let Some(tab) = self.tab.as_ref().filter(|t| !t.rounds.is_empty()) {
                    return vec![Effect::CloseTab(tab.table.clone())];
                }
            }
            // The last order this session committed, or after a restart the newest of today's.
            Intent::ReprintLast if operator => {
                if let Some(order) = self.last_order.or(self.day_orders.first().map(|d| d.order)) {
                    return vec![Effect::Reprint(order)];
                }
            }
            Intent::Reprint(order) if operator && self.day_orders.iter().any(|d| d.order == order) => {
                return vec![Effect::Reprint(order)];
            }
            _ => {}
        }
        Vec::new()
    }

    /// The operator confirmed the pending cancel.
    pub fn confirm_cancel(&self) -> Option<kiosk_domain::OrderId> {
        match &self.stage {
            Stage::Operator { confirm_cancel, .. } => *confirm_cancel,
            _ => None,
        }
    }

    pub fn pin_problem(&self) -> Option<&str> {
        match &self.stage {
            Stage::Pin { problem, .. } => problem.as_deref(),
            _ => None,
        }
    }

    /// An operator's setting: applied at once, then kept by the runner.
    fn change_setting(&mut self, setting: DeviceSetting) -> Vec<Effect> {
        if let (DeviceSetting::Table(table), Some(tab)) = (&setting, &self.tab) {
            if table.trim().is_empty() || tab.table.0 == table.trim() {
                return Vec::new();
            }
            // A table with an open bill keeps its number.
            if !tab.rounds.is_empty() {
                self.notice(sentences(self.lang).table_has_tab, NOTICE_MS);
                return Vec::new();
            }
        }
        let Some(setting) = self.settings.apply(setting) else { return Vec::new() };
        if let DeviceSetting::Table(table) = &setting {
            self.tab = Some(Tab::open(TableId(table.clone()), 0));
        }
        vec![Effect::SaveSetting(setting)]
    }

    pub(crate) fn operator_outcome(&mut self, outcome: Outcome) -> Vec<Effect> {
        let s = sentences(self.lang);
        match outcome {
            Outcome::PinChecked(ok) => {
                if let Stage::Pin { problem, back } = &mut self.stage {
                    if ok {
                        self.stage = Stage::Operator { confirm_cancel: None, back: *back };
                        return vec![Effect::LoadJournal, Effect::LoadOrders];
                    }
                    *problem = Some(s.wrong_pin.into());
                }
            }
            Outcome::SettingSaved { problem, table_taken } => {
                if let Some(taken) = table_taken {
                    self.table_taken = taken;
                }
                self.notice(problem.unwrap_or_else(|| s.saved.into()), NOTICE_MS);
            }
            Outcome::Journal(lines) => self.journal = lines,
            Outcome::Orders(lines) => self.day_orders = lines,
            Outcome::Reprinted { ok } => {
                self.notice(if ok { s.reprinting } else { s.printer_down_operator }, NOTICE_MS);
            }
            Outcome::ApprovalCancelled { ok, .. } => {
                self.notice(if ok { s.cancelled } else { s.cancel_failed }, NOTICE_MS);
                return vec![Effect::LoadJournal, Effect::LoadOrders];
            }
            Outcome::TabClosed => {
                self.new_tab();
                self.notice(s.tab_closed, NOTICE_MS);
            }
            _ => {}
        }
        Vec::new()
    }
}
