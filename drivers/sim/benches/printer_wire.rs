//! What the standard receipt costs on the wire: bytes, and transfer time at the common serial
//! rates, against the bound for the same text sent as bare printable bytes (no commands).
//! Then the measured time of a whole job, driver to simulated printer over a paced PTY.
//!
//! `cargo bench -p kiosk-sim --bench printer_wire`

use std::time::{Duration, Instant};

use kiosk_domain::*;
use kiosk_drivers::printer::driver::{DriverOptions, PrinterDriver};
use kiosk_drivers::printer::encoder::{PrinterProfile, encode};
use kiosk_drivers::printer::receipt::{Paper, Receipt};
use kiosk_drivers::transport::{Endpoint, FlowControl, Port};
use kiosk_receipts::{ReceiptContext, customer_receipt};
use kiosk_sim::printer::server::{SimOptions, spawn_pty};
use kiosk_sim::wire_time;

const BAUDS: [u32; 4] = [9600, 19_200, 38_400, 115_200];

/// The standard receipt: five lines with options, a card payment, header and footer.
fn standard_receipt(with_tteom: bool) -> Receipt {
    let mut menu: Menu =
        serde_json::from_str(include_str!("../../../kiosk-app/data/menu.example.json")).unwrap();
    if with_tteom {
        menu.items[1].name = Text::new("똠얌꿍 치킨 버거", "Tom yum chicken burger");
    }
    let mut cart = Cart::default();
    let mut burger = Selection::of("bulgogi-burger", 2);
    burger.options.insert("patty".into(), vec![Pick::plain("double")]);
    burger.options.insert("extras".into(), vec![Pick::plain("cheese"), Pick::plain("no-pickles")]);
    cart.add(&menu, burger, None).unwrap();
    cart.add(&menu, Selection::of("spicy-chicken-burger", 1), None).unwrap();
    let mut set = Selection::of("bulgogi-set", 1);
    set.set_choices.insert("side".into(), "cheese-sticks".into());
    set.set_choices.insert("drink".into(), "americano".into());
    cart.add(&menu, set, None).unwrap();
    let mut fries = Selection::of("fries", 2);
    fries.options.insert("fries-size".into(), vec![Pick::plain("regular")]);
    cart.add(&menu, fries, None).unwrap();
    cart.add(&menu, Selection::of("cola", 3), None).unwrap();
    let kind = OrderKind::Kiosk { service: Service::DineIn };
    let mut order =
        Order::from_cart(OrderId(uuid::Uuid::nil()), 0, kind, Settlement::Prepaid, &cart, &menu, 0).unwrap();
    order.number = 42;
    let approval = Approval {
        card_masked: Some("9411-23**-****-1234".into()),
        issuer: Some("KB국민카드".into()),
        ..Approval::card("30012345", "261122134501", order.total())
    };
    let ctx = ReceiptContext {
        store_name: "한입버거 강남점".into(),
        business_number: "123-45-67891".into(),
        representative: Some("김한입".into()),
        address: "서울특별시 강남구 테헤란로 123, 1층".into(),
        phone: Some("02-555-0123".into()),
        header: vec!["오늘도 한입버거를 찾아주셔서 감사합니다".into()],
        footer: vec!["교환·환불은 영수증 지참 시 7일 이내 가능합니다".into()],
        lang: Lang::Ko,
        paper: Paper::MM80,
        printed_at: "2026-11-22 13:45".into(),
    };
    customer_receipt(&ctx, &order, Some(&approval))
}

/// The bytes of the receipt's text alone: each line's characters (1 byte ASCII, 2 bytes
/// double-byte) and its LF. No printer can be sent less.
fn plain_text_bound(r: &Receipt) -> usize {
    r.text_lines()
        .iter()
        .map(|l| l.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum::<usize>() + 1)
        .sum()
}

fn secs(d: Duration) -> String {
    format!("{:>6.2} s", d.as_secs_f64())
}

fn main() {
    println!("printer wire benchmark (80 mm, 8N1: 10 bits a byte)\n");
    println!(
        "{:<34} {:>7} {:>9}  {}",
        "receipt",
        "bytes",
        "raster",
        BAUDS.map(|b| format!("{b:>8} bd")).join(" ")
    );
    for (name, tteom) in [("standard receipt", false), ("standard receipt with 똠 (raster)", true)] {
        let r = standard_receipt(tteom);
        let e = encode(&r, PrinterProfile::default());
        let bound = plain_text_bound(&r);
        // the driver adds ASB enable (3) and GS r 1 (3)
        let wire = e.bytes.len() + 6;
        println!(
            "{:<34} {:>7} {:>9}  {}",
            name,
            wire,
            e.raster_lines.len(),
            BAUDS.map(|b| secs(wire_time(wire, b))).join("   ")
        );
        println!(
            "{:<34} {:>7} {:>9}  {}   ({:.2}× the bound)",
            "  bound: the same text, bare",
            bound,
            "",
            BAUDS.map(|b| secs(wire_time(bound, b))).join("   "),
            wire as f64 / bound as f64
        );
        // Machine-readable lines for bench/run: figure<TAB>bench<TAB>name<TAB>value<TAB>unit.
        let key = if tteom { "receipt_with_raster" } else { "receipt" };
        println!("figure\tprinter_wire\t{key}_bytes\t{wire}\tbytes");
        println!("figure\tprinter_wire\t{key}_over_bound\t{:.2}\tx", wire as f64 / bound as f64);
        for b in BAUDS {
            println!("figure\tprinter_wire\t{key}_wire_{b}bd\t{:.2}\ts", wire_time(wire, b).as_secs_f64());
        }
    }

    println!("\nmeasured: driver → simulated printer on a PTY paced at the baud rate, job confirmed by GS r");
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let r = standard_receipt(false);
        let bytes = encode(&r, PrinterProfile::default()).bytes;
        let mut row = Vec::new();
        for baud in BAUDS {
            let dir = tempfile::tempdir().unwrap();
            let link = dir.path().join("ttyBENCH");
            let _sim = spawn_pty(&link, SimOptions { baud: Some(baud), ..SimOptions::default() }).unwrap();
            let endpoint = Endpoint::Serial { path: link, baud, flow_control: FlowControl::None };
            let io = Port::open(&endpoint, Duration::from_secs(2)).await.unwrap();
            let mut driver =
                PrinterDriver::new(io, DriverOptions { line_rate: Some(baud), ..DriverOptions::default() });
            let t = Instant::now();
            driver.print(&bytes).await.unwrap();
            let took = t.elapsed();
            row.push(secs(took));
            println!("figure\tprinter_wire\treceipt_job_{baud}bd\t{:.2}\ts", took.as_secs_f64());
        }
        println!(
            "{:<34} {:>7} {:>9}  {}",
            "standard receipt, whole job",
            bytes.len() + 6,
            "",
            row.join("   ")
        );
    });
}
