//! The daily close as a Z-report on a receipt printer: the same figures as the page, laid out
//! by the receipt model and sent through the printer driver (a job counts once the printer
//! confirms it).

use std::time::Duration;

use kiosk_drivers::printer::driver::{DriverOptions, PrinterDriver};
use kiosk_drivers::printer::encoder::{PrinterProfile, encode as encode_receipt};
use kiosk_drivers::printer::receipt::{Block, Paper, Receipt, Style};
use kiosk_drivers::transport::{Endpoint, Port};

use super::page::{Lang, won};
use super::words::Words;
use crate::db::console::DayReport;

pub fn receipt(r: &DayReport, lang: Lang) -> Receipt {
    let w = Words::of(lang);
    let mut z = Receipt::new(Paper::MM80);
    z.text(format!("{} (Z)", w.close), Style::default().double().center());
    z.text(format!("{} {}", w.business_day, r.business_day), Style::default().center());
    if r.closed_at_ms.is_some() {
        z.text(w.day_closed, Style::default().center().bold());
    }
    z.separator('=');
    for (label, value) in [
        (w.orders, r.orders.to_string()),
        (w.gross, won(r.gross)),
        (w.refunds, format!("{} ({})", won(r.refunds), r.refund_count)),
        (w.net, won(r.net)),
        (w.supply, won(r.supply)),
        (w.vat, won(r.vat)),
        (w.kiosk_sales, format!("{} ({})", won(r.kiosk_gross), r.kiosk_orders)),
        (w.table_sales, format!("{} ({})", won(r.table_gross), r.table_orders)),
    ] {
        z.row(label, value, Style::default());
    }
    z.separator('-');
    z.text(w.payments, Style::default().bold());
    for (label, (count, amount)) in &r.payments {
        z.row(format!("{} ({count})", w.payment_label(label)), won(*amount), Style::default());
    }
    z.separator('=');
    z.push(Block::Cut { partial: true });
    z
}

pub fn encode(r: &DayReport, lang: Lang) -> Vec<u8> {
    encode_receipt(&receipt(r, lang), PrinterProfile::default()).bytes
}

/// Prints on `printer` (a network ESC/POS printer) and waits for its confirmation.
pub async fn print(printer: &Endpoint, bytes: &[u8]) -> Result<(), String> {
    let port = Port::open(printer, Duration::from_secs(3)).await.map_err(|e| format!("the printer: {e}"))?;
    let mut driver = PrinterDriver::new(port, DriverOptions::default());
    driver.print(bytes).await.map(|_| ()).map_err(|e| e.operator_message())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_z_report_shows_every_figure() {
        let mut r = DayReport {
            business_day: "2026-12-06".into(),
            orders: 2,
            gross: 13_500,
            net: 13_500,
            vat: 1_227,
            supply: 12_273,
            ..DayReport::default()
        };
        r.payments.insert("cash".into(), (1, 4_500));
        let text = receipt(&r, Lang::Ko).text_lines().join("\n");
        for want in ["2026-12-06", "₩13,500", "₩1,227", "₩12,273", "현금 (1)", "₩4,500"] {
            assert!(text.contains(want), "{want:?} missing from\n{text}");
        }
    }
}
