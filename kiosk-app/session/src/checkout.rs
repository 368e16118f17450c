//! Paying: the cart (or a table's bill) charged by card or wallet barcode, or committed for
//! the counter; a decline retried on the same stored order, an edited cart replacing it; an
//! ambiguous charge never offered again; the order number and the receipt offer.

use kiosk_domain::{
    INSTALMENT_MINIMUM, INSTALMENT_MONTHS, Money, OrderId, OrderKind, OrderState, ReceiptPolicy, Settlement,
    Tab,
};
use kiosk_drivers::scanner::Scan;

use crate::flow::{Flow, NOTICE_MS};
use crate::messages::{Effect, Now, Payment};
use crate::scan::{ScanKind, classify};
use crate::stage::{Done, Page, PayWith, Paying, PayingWhat, Problem, ReceiptState, Stage};
use crate::words::sentences;

impl Flow {
    /// The table's bill can be paid here: something is owed and a terminal takes it.
    pub fn bill_payable(&self, with: PayWith) -> bool {
        with != PayWith::Counter && self.offers(with) && self.tab.as_ref().is_some_and(Tab::owes)
    }

    /// The table's bill is being paid here: the tab must not change under it.
    pub fn paying_bill(&self) -> bool {
        matches!(self.stage, Stage::Paying(Paying { bill: true, .. }))
    }

    /// One diner's share of the bill is being paid.
    pub(crate) fn paying_share(&self) -> bool {
        matches!(self.stage, Stage::Paying(Paying { share: true, .. }))
    }

    /// Where a payment that did not go through returns to.
    fn pay_again_page(&self) -> Page {
        if self.paying_share() {
            Page::Split
        } else if self.paying_bill() {
            Page::Bill
        } else {
            Page::PayChoice
        }
    }

    pub(crate) fn pay(&mut self, with: PayWith, now: Now) -> Vec<Effect> {
        let cart = self.stage == Stage::PayChoice && !self.cart.is_empty() && self.offers(with);
        let share = self.stage == Stage::Split && self.bill_payable(with);
        let bill = share || self.stage == Stage::Bill && self.bill_payable(with);
        if !cart && !bill {
            return Vec::new();
        }
        if share && let Err(e) = self.preview_share() {
            self.notice(crate::split::problem(&e, self.lang), NOTICE_MS);
            return Vec::new();
        }
        // A stamp reward or a coupon took the whole cart off: nothing to charge, the order is
        // placed as one for the counter with nothing owed (however it was to be paid).
        if cart
            && self.tab.is_none()
            && self.cart.totals(self.menu.vat_rate()).is_ok_and(|t| t.total() == Money::ZERO)
        {
            return self.checkout(Payment::Counter, PayWith::Counter, (false, false), now);
        }
        if with == PayWith::Wallet {
            let what = PayingWhat::AwaitingScan { since_ms: now.mono_ms };
            self.stage = Stage::Paying(Paying { what, bill, share });
            return Vec::new();
        }
        let months = if self.instalments_offered() { self.instalment_months } else { 0 };
        let payment = if with == PayWith::Card { Payment::Card { months } } else { Payment::Counter };
        self.checkout(payment, with, (bill, share), now)
    }

    /// What the card payment on this page would charge: the cart, or the table's bill.
    fn amount_to_pay(&self) -> Option<Money> {
        let rate = self.menu.vat_rate();
        match self.stage {
            Stage::PayChoice => self.cart.totals(rate).ok().map(|t| t.total()),
            Stage::Bill => self.tab.as_ref().map(Tab::owed),
            Stage::Split => self.preview_share().ok().map(|o| o.total()),
            _ => None,
        }
    }

    /// The customer may pay by card in instalments here: a card is offered and the amount is
    /// 50,000 won or more.
    pub fn instalments_offered(&self) -> bool {
        let card = match self.stage {
            Stage::PayChoice => self.offers(PayWith::Card),
            Stage::Bill | Stage::Split => self.bill_payable(PayWith::Card),
            _ => false,
        };
        card && self.amount_to_pay().is_some_and(|a| a >= INSTALMENT_MINIMUM)
    }

    pub(crate) fn step_instalments(&mut self, step: i8) {
        if !self.instalments_offered() {
            return;
        }
        let at = INSTALMENT_MONTHS.iter().position(|m| *m == self.instalment_months).unwrap_or(0);
        let next = (at as i64 + i64::from(step)).clamp(0, INSTALMENT_MONTHS.len() as i64 - 1);
        self.instalment_months = INSTALMENT_MONTHS[next as usize];
    }

    fn checkout(
        &mut self,
        payment: Payment,
        with: PayWith,
        (bill, share): (bool, bool),
        now: Now,
    ) -> Vec<Effect> {
        let mut effects = Vec::new();
        let settlement =
            if payment == Payment::Counter { Settlement::PayAtCounter } else { Settlement::Prepaid };
        let wanted = if share {
            let id = OrderId(self.ids.next_id());
            self.next_share(id, now).ok().map(|o| o.in_language(self.lang))
        } else if bill {
            let id = OrderId(self.ids.next_id());
            let order = self.tab.as_ref().and_then(|t| t.bill_order(id, now.wall_ms).ok());
            order.map(|o| o.in_language(self.lang))
        } else if self.tab.is_some() {
            // A pre-pay table's round: paid before it is sent.
            self.round_order(settlement, now)
        } else {
            self.new_order(OrderKind::Kiosk { service: self.service }, settlement, now)
        };
        let Some(wanted) = wanted else { return effects };
        // A draft of this very order is charged again after a decline; any other is
        // cancelled and replaced.
        let reusable = self.draft.as_ref().is_some_and(|d| {
            d.settlement == wanted.settlement
                && d.kind == wanted.kind
                && d.lines == wanted.lines
                && d.note == wanted.note
                && d.suggestions == wanted.suggestions
                && d.coupon == wanted.coupon
                && d.stamps == wanted.stamps
                && d.totals == wanted.totals
        });
        if !reusable {
            if let Some(old) = self.draft.take() {
                effects.push(Effect::Abandon(old.id));
            }
            self.draft = Some(wanted);
        }
        let order = self.draft.clone().expect("draft made above");
        self.stage = Stage::Paying(Paying { what: PayingWhat::Charging(with), bill, share });
        self.charge_attempt += 1;
        effects.push(Effect::Checkout { order, payment, attempt: self.charge_attempt });
        effects
    }

    /// "Cancel payment": while waiting for a barcode, back to choosing how to pay; while
    /// the terminal waits for the card, the charge is abandoned at the terminal (the
    /// charge's outcome decides where the customer goes: a card paid at that very moment
    /// still completes the order, since it was charged).
    pub(crate) fn cancel_payment(&mut self) -> Vec<Effect> {
        let Stage::Paying(Paying { what, bill, share }) = self.stage else { return Vec::new() };
        match what {
            PayingWhat::AwaitingScan { .. } => self.stop_waiting_for_scan(),
            PayingWhat::Charging(PayWith::Card) => {
                if let Some(draft) = &self.draft {
                    let order = draft.id;
                    self.stage = Stage::Paying(Paying { what: PayingWhat::CancellingCharge, bill, share });
                    return vec![Effect::AbortCharge { order, attempt: self.charge_attempt }];
                }
            }
            _ => {}
        }
        Vec::new()
    }

    /// No barcode came (cancelled, or the wait ran out): back to choosing how to pay.
    pub(crate) fn stop_waiting_for_scan(&mut self) {
        let again = self.pay_again_page();
        self.go(again);
    }

    pub(crate) fn scanned(&mut self, scan: &Scan, now: Now) -> Vec<Effect> {
        let awaiting = match self.stage {
            Stage::Paying(Paying { what: PayingWhat::AwaitingScan { .. }, bill, share }) => {
                Some((bill, share))
            }
            _ => None,
        };
        match classify(scan, Some(&self.menu), awaiting.is_some()) {
            ScanKind::Payment(code) if let Some(what) = awaiting => {
                self.checkout(Payment::Barcode(code), PayWith::Wallet, what, now)
            }
            ScanKind::Item(item) if self.stage == Stage::Browsing => {
                self.open_item(&item);
                Vec::new()
            }
            ScanKind::Coupon(code) if awaiting.is_none() => self.ask_coupon(&code),
            _ => {
                if awaiting.is_some() {
                    self.notice(sentences(self.lang).wrong_code, NOTICE_MS);
                }
                Vec::new()
            }
        }
    }

    pub(crate) fn want_receipt(&mut self, want: bool) -> Vec<Effect> {
        let printer = self.available.printer;
        let no_paper = self.no_paper_receipt();
        let Stage::Done(done) = &mut self.stage else { return Vec::new() };
        if want && done.receipt == ReceiptState::Offered {
            if printer {
                done.receipt = ReceiptState::Printing;
                return vec![Effect::PrintReceipt(done.order)];
            }
            done.receipt = no_paper;
            return Vec::new();
        }
        self.reset()
    }

    /// The customer asked for the receipt as a QR code to open on their phone.
    pub(crate) fn receipt_by_qr(&mut self) {
        let e_receipts = self.settings.e_receipts;
        if let Stage::Done(done) = &mut self.stage
            && e_receipts
            && done.receipt != ReceiptState::Printing
        {
            done.receipt = ReceiptState::Qr;
        }
    }

    /// What a customer gets when a printed receipt cannot be had: the e-receipt's QR code
    /// where the store serves e-receipts, else the word that the printer is down.
    fn no_paper_receipt(&self) -> ReceiptState {
        if self.settings.e_receipts { ReceiptState::Qr } else { ReceiptState::PrinterDown }
    }

    pub(crate) fn committed(&mut self, order: OrderId, number: u32, now: Now) -> Vec<Effect> {
        if let Stage::Paying(Paying { what: PayingWhat::CancellingCharge, .. }) = self.stage {
            // The card was paid before the terminal heard of the cancel: the order is the
            // customer's, and they are told why it went through.
            self.notice(sentences(self.lang).paid_before_cancel, NOTICE_MS);
        }
        let draft = self.draft.take();
        let settlement = draft.as_ref().map(|d| d.settlement).unwrap_or(Settlement::Prepaid);
        let free = draft.as_ref().is_some_and(|d| d.total() == Money::ZERO);
        let bill = self.paying_bill();
        // A share that leaves something owed: the tab stays open for the next diner.
        let open_share = draft
            .as_ref()
            .is_some_and(|d| matches!(&d.kind, OrderKind::TableBill { share: Some(s), .. } if !s.last));
        let lines = match &draft {
            Some(d) if bill && d.kind.is_share() => d.lines.clone(),
            _ if bill => self.tab.as_ref().map(Tab::standing_lines).unwrap_or_default(),
            _ => self.cart.lines().to_vec(),
        };
        let share = draft.as_ref().and_then(|d| d.kind.share().map(|s| s.part));
        let round = draft.clone().filter(|d| matches!(d.kind, OrderKind::Table { .. }));
        if open_share && let Some(mut paid) = draft {
            paid.number = number;
            paid.state = OrderState::Committed;
            if let Some(tab) = &mut self.tab {
                tab.add_share(paid);
            }
            self.share_paid();
        } else if bill {
            self.new_tab();
        } else {
            self.cart.clear();
            self.suggestions_sent();
        }
        let still_owed = self.tab.as_ref().map(Tab::owed).filter(|_| open_share);
        let is_round = round.is_some();
        if let Some(mut round) = round {
            round.number = number;
            round.state = OrderState::Committed;
            self.join_tab(round);
        }
        self.last_order = Some(order);
        let receipt = match self.settings.receipt {
            ReceiptPolicy::Ask => ReceiptState::Offered,
            ReceiptPolicy::Never => ReceiptState::Declined,
            ReceiptPolicy::Always if self.available.printer => ReceiptState::Printing,
            ReceiptPolicy::Always => self.no_paper_receipt(),
        };
        self.stage = Stage::Done(Done {
            order,
            number,
            settlement,
            bill,
            round: is_round,
            share,
            still_owed,
            receipt,
            since_ms: now.mono_ms,
            queued: !self.available.pos_reachable,
            lines,
            free,
        });
        if receipt == ReceiptState::Printing { vec![Effect::PrintReceipt(order)] } else { Vec::new() }
    }

    pub(crate) fn declined(&mut self, message: String) {
        let s = sentences(self.lang);
        let then = self.pay_again_page();
        self.stage = Stage::Problem(Problem {
            title: s.declined.into(),
            body: message,
            action: s.try_again.into(),
            then,
        });
    }

    pub(crate) fn aborted(&mut self) {
        let then = if self.paying_share() {
            Page::Split
        } else if self.paying_bill() {
            Page::Bill
        } else {
            Page::Cart
        };
        self.go(then);
    }

    /// Held for staff: this cart (or bill) must never be charged again.
    pub(crate) fn unresolved(&mut self, number: u32) {
        let s = sentences(self.lang);
        if let Some(mut share) = self.draft.take().filter(|d| d.kind.is_share()) {
            // It may have been paid: counted against the bill, and no share is taken until
            // staff have resolved it.
            share.state = OrderState::PaymentUnknown;
            if let Some(tab) = &mut self.tab {
                tab.add_share(share);
            }
        }
        self.draft = None;
        if !self.paying_bill() {
            // (The order may yet be charged: its answers went with it.)
            self.cart.clear();
            self.suggestions_sent();
        }
        self.stage = Stage::Problem(Problem {
            title: s.unresolved.into(),
            body: format!("{} ({number})", s.unresolved_body),
            action: s.ok.into(),
            then: self.home(),
        });
    }

    pub(crate) fn printed(&mut self, ok: bool) {
        let no_paper = self.no_paper_receipt();
        if let Stage::Done(done) = &mut self.stage
            && done.receipt == ReceiptState::Printing
            && !ok
        {
            done.receipt = no_paper;
        }
    }

    /// The work could not be done (a store error): nothing was charged.
    pub(crate) fn failed(&mut self, what: &str) {
        tracing::error!("session: {what}");
        let s = sentences(self.lang);
        let then = if self.paying_bill() {
            Page::Bill
        } else if self.cart.is_empty() {
            self.home()
        } else {
            Page::Cart
        };
        self.stage = Stage::Problem(Problem {
            title: s.failed.into(),
            body: s.failed_body.into(),
            action: s.ok.into(),
            then,
        });
    }
}
