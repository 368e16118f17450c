//! A table's session: rounds sent onto the running tab, staff called, the kitchen's "ready"
//! and "served", the tab kept across a restart and closed when the POS settles the table.

use kiosk_domain::{Order, OrderId, OrderKind, Settlement, StaffReason, Tab};

use crate::flow::{Flow, NOTICE_MS};
use crate::messages::{Effect, Now};
use crate::stage::{Paying, PayingWhat, Stage};
use crate::words::{self, sentences};

impl Flow {
    pub(crate) fn order_round(&mut self, now: Now) -> Vec<Effect> {
        if self.stage != Stage::Cart || self.cart.is_empty() || self.refuse_if_table_taken() {
            return Vec::new();
        }
        if self.tab.is_none() {
            return Vec::new();
        }
        if self.settings.prepay {
            // Paid before it is sent: the pay page, as at a kiosk.
            self.stage = Stage::PayChoice;
            self.instalment_months = 0;
            return Vec::new();
        }
        let Some(order) = self.round_order(Settlement::Tab, now) else { return Vec::new() };
        self.stage = Stage::Paying(Paying { what: PayingWhat::SendingRound, bill: false, share: false });
        vec![Effect::SendRound(order)]
    }

    /// This cart as the table's next round, settled as `settlement`.
    pub(crate) fn round_order(&mut self, settlement: Settlement, now: Now) -> Option<Order> {
        let tab = self.tab.as_ref()?;
        let guests = if tab.rounds.is_empty() { self.guests } else { tab.guests };
        let kind = OrderKind::Table { table: tab.table.clone(), guests, round: tab.next_round() };
        self.new_order(kind, settlement, now)
    }

    /// A committed round joins the tab (the first one sets the guests).
    pub(crate) fn join_tab(&mut self, order: Order) {
        if let Some(tab) = &mut self.tab {
            if tab.rounds.is_empty()
                && let OrderKind::Table { guests, .. } = &order.kind
            {
                tab.guests = *guests;
            }
            if let Err(e) = tab.add_round(order) {
                tracing::error!("table tab: {e}");
            }
        }
    }

    pub(crate) fn round_sent(&mut self, order: Order) {
        self.cart.clear();
        self.suggestions_sent();
        self.last_order = Some(order.id);
        self.join_tab(order);
        self.notice(sentences(self.lang).round_sent, NOTICE_MS);
        self.stage = Stage::Browsing;
    }

    pub(crate) fn call_staff(&mut self, reason: StaffReason) -> Vec<Effect> {
        let table = self.tab.as_ref().map(|t| t.table.0.clone());
        vec![Effect::CallStaff { id: self.ids.next_id(), reason, table }]
    }

    /// The POS marked one of this table's rounds ready (or served): the diners are told.
    pub fn round_status(&mut self, order: OrderId, served: bool, now: Now) {
        self.now_ms = now.mono_ms;
        // A kiosk customer still at the order number hears it is ready to collect.
        if let Stage::Done(done) = &self.stage
            && done.order == order
            && !served
            && !done.bill
        {
            let number = done.number;
            self.notice(words::order_ready(number, self.lang), NOTICE_MS);
            return;
        }
        let Some(tab) = &self.tab else { return };
        let Some(round) = tab.rounds.iter().find(|o| o.id == order).and_then(|o| o.kind.round()) else {
            return;
        };
        self.notice(words::round_status(round, served, self.lang), NOTICE_MS);
    }

    /// The tab a restart found in the store: shown and billed as if the tablet had never
    /// stopped. Only onto a fresh tab with no rounds yet.
    pub fn restore_tab(&mut self, rounds: Vec<Order>) {
        if let Some(tab) = &mut self.tab
            && tab.rounds.is_empty()
        {
            *tab = Tab::restore(tab.table.clone(), rounds);
        }
    }

    /// The tab becomes `rounds`, what the store holds open now (a bill paid or found not
    /// charged since, rounds settled at the counter). Not while the bill is being paid here.
    pub fn sync_tab(&mut self, rounds: Vec<Order>) {
        if self.paying_bill() {
            return;
        }
        let Some(tab) = self.tab.take() else { return };
        let tab = Tab::restore(tab.table, rounds);
        if tab.rounds.is_empty() {
            self.guests = 2;
        }
        let owes = tab.owes();
        self.tab = Some(tab);
        if owes {
            // Lines settled meanwhile (elsewhere) are no longer this share's.
            self.keep_open_share_lines();
        } else {
            self.end_split();
            if self.stage == Stage::Split {
                self.stage = Stage::Browsing;
            }
        }
    }

    /// The POS settled the table (paid at the counter): the tab becomes what the store still
    /// holds open, and diners who owe nothing more are thanked.
    /// Staff moved this table's rounds to table `to`: the tab is what the store still holds
    /// here, and the diners are told where the rest went.
    pub fn tab_moved(&mut self, rounds: Vec<Order>, to: &str, now: Now) {
        self.now_ms = now.mono_ms;
        if self.paying_bill() {
            return;
        }
        self.sync_tab(rounds);
        if matches!(self.stage, Stage::Bill | Stage::Split) && !self.tab.as_ref().is_some_and(Tab::owes) {
            self.stage = Stage::Browsing;
        }
        self.notice(words::tab_moved(to, self.lang), NOTICE_MS);
    }

    /// Staff answered this tablet's call.
    pub fn staff_call_answered(&mut self, now: Now) {
        self.now_ms = now.mono_ms;
        self.notice(sentences(self.lang).staff_answered, NOTICE_MS);
    }

    pub fn tab_settled(&mut self, rounds: Vec<Order>, now: Now) {
        self.now_ms = now.mono_ms;
        if self.paying_bill() {
            return;
        }
        self.sync_tab(rounds);
        if !self.tab.as_ref().is_some_and(Tab::owes) {
            // The party has paid: the next one hears every suggestion again.
            self.forget_suggestions();
            if matches!(self.stage, Stage::Bill | Stage::Split) {
                self.stage = Stage::Browsing;
            }
            self.notice(sentences(self.lang).done_bill, NOTICE_MS);
        }
    }

    /// The table is settled: the next guests start a new tab.
    pub(crate) fn new_tab(&mut self) {
        self.tab = self.tab.take().map(|t| Tab::open(t.table, 0));
        self.guests = 2;
        self.forget_suggestions();
        self.end_split();
    }
}
