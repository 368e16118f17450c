//! Store benchmark: the durable order-commit rate (every commit fsynced) with p50/p99
//! latency, and the time to import a 500-item menu. Prints figures; asserts nothing about
//! speed (the machine decides that).
//!
//! `cargo bench -p kiosk-app --bench store` (`KIOSK_BENCH_ORDERS` sets the order count).

use std::time::{Duration, Instant};

use kiosk_domain::*;
use kiosk_menu_file::{self as menu_import, Format};
use kiosk_store::{Actor, PrintKind, Store};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let n: usize = std::env::var("KIOSK_BENCH_ORDERS").ok().and_then(|s| s.parse().ok()).unwrap_or(500);
    // On the build disk, not a tmpfs: fsync must really reach the device.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let menu: Menu = serde_json::from_str(include_str!("../../data/menu.example.json")).unwrap();
    let mut store = Store::open(dir.path().join("bench.db")).unwrap();

    let mut commit = Vec::with_capacity(n);
    let mut whole = Vec::with_capacity(n);
    let started = Instant::now();
    for i in 0..n {
        let t0 = Instant::now();
        let mut cart = Cart::default();
        cart.add(&menu, Selection::of("cola", 1 + (i % 3) as u32), None).unwrap();
        cart.add(&menu, Selection::of("cheese-sticks", 1), None).unwrap();
        let kind = OrderKind::Kiosk { service: Service::DineIn };
        let id = OrderId(uuid::Uuid::new_v4());
        let mut order = Order::from_cart(id, 0, kind, Settlement::Prepaid, &cart, &menu, 0).unwrap();
        store.create_order(&mut order, "2026-11-22", Actor::Customer, 0).unwrap();
        let j = store.begin_payment(id, PaymentOp::Approve, order.total(), "{}", 0).unwrap();
        let approval = Approval::card(&format!("{i:08}"), "261122120000", order.total());
        store.finish_payment(j, &PaymentOutcome::Approved(approval), 0).unwrap();
        let t1 = Instant::now();
        store.commit_order(id, &[PrintKind::Receipt, PrintKind::KitchenTicket], Actor::System, 0).unwrap();
        let t2 = Instant::now();
        commit.push(t2 - t1);
        whole.push(t2 - t0);
    }
    let elapsed = started.elapsed();
    commit.sort();
    whole.sort();
    println!("store benchmark ({n} prepaid orders, WAL + synchronous=FULL, on {})", dir.path().display());
    println!(
        "  commit (state + outbox + 2 print jobs, 1 fsynced tx):   {:>8.0} commits/s   p50 {:>6.2} ms   p99 {:>6.2} ms",
        n as f64 / commit.iter().sum::<Duration>().as_secs_f64(),
        ms(percentile(&commit, 0.5)),
        ms(percentile(&commit, 0.99)),
    );
    println!(
        "  whole prepaid order (create, intent, result, commit):     {:>8.0} orders/s    p50 {:>6.2} ms   p99 {:>6.2} ms",
        n as f64 / elapsed.as_secs_f64(),
        ms(percentile(&whole, 0.5)),
        ms(percentile(&whole, 0.99)),
    );
    // Machine-readable lines for bench/run: figure<TAB>bench<TAB>name<TAB>value<TAB>unit.
    let commit_rate = n as f64 / commit.iter().sum::<Duration>().as_secs_f64();
    println!("figure\tstore\tcommit_rate\t{commit_rate:.0}\tcommits/s");
    println!("figure\tstore\tcommit_p50\t{:.2}\tms", ms(percentile(&commit, 0.5)));
    println!("figure\tstore\tcommit_p99\t{:.2}\tms", ms(percentile(&commit, 0.99)));
    println!("figure\tstore\torder_rate\t{:.0}\torders/s", n as f64 / elapsed.as_secs_f64());
    println!("figure\tstore\torder_p50\t{:.2}\tms", ms(percentile(&whole, 0.5)));
    println!("figure\tstore\torder_p99\t{:.2}\tms", ms(percentile(&whole, 0.99)));

    // 500-item menu import: parse + validate + one transaction.
    let mut csv = String::from("category,category_ko,category_en,id,name_ko,name_en,price,tags,allergens\n");
    for i in 0..500 {
        let c = i % 12;
        csv += &format!(
            "c{c},분류 {c},Category {c},item-{i},메뉴 {i},Item {i},{},new,wheat;egg\n",
            1000 + i * 100
        );
    }
    let mut runs = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let menu = menu_import::parse(&csv, Format::Csv).unwrap();
        store.save_menu(&menu, "bench", Actor::Operator, 0).unwrap();
        runs.push(t.elapsed());
    }
    runs.sort();
    println!(
        "  menu import, 500 items (CSV parse, validate, save):      median {:>6.1} ms   worst {:>6.1} ms (target < 1000 ms)",
        ms(runs[2]),
        ms(runs[4])
    );
    println!("figure\tstore\tmenu_import_500_median\t{:.1}\tms", ms(runs[2]));
    println!("figure\tstore\tmenu_import_500_worst\t{:.1}\tms", ms(runs[4]));
}
