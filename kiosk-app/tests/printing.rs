//! The print service end to end: store queue → driver → simulated printer.

use std::time::{Duration, Instant};

use kiosk_app::config::Config;
use kiosk_app::printing::{PrintService, PrintSetup, PrinterHealth};
use kiosk_app::store_thread::StoreHandle;
use kiosk_domain::*;
use kiosk_drivers::printer::status::PrinterState;
use kiosk_drivers::transport::{Endpoint, FlowControl};
use kiosk_sim::printer::Condition;
use kiosk_sim::printer::server::{SimOptions, SimReport, spawn_pty, spawn_tcp};
use kiosk_store::{Actor, PrintKind, Store};

fn setup(endpoint: Endpoint) -> PrintSetup {
    let config = Config::parse(include_str!("../data/kiosk.example.toml")).unwrap();
    let mut s = PrintSetup::from_config(&config, config.devices.printer.as_ref().unwrap());
    s.endpoint = endpoint;
    s
}

/// A paid, committed order with its receipt and kitchen ticket queued.
fn store_with_a_paid_order(path: &std::path::Path, lang: Lang) -> (Store, OrderId) {
    let menu: Menu = serde_json::from_str(include_str!("../data/menu.example.json")).unwrap();
    let mut store = Store::open(path).unwrap();
    let mut cart = Cart::default();
    let mut burger = Selection::of("bulgogi-burger", 2);
    burger.options.insert("patty".into(), vec![Pick::plain("single")]);
    cart.add(&menu, burger, None).unwrap();
    cart.add(
        &menu,
        Selection::of("americano", 1).tap(|s| {
            s.options.insert("temperature".into(), vec![Pick::plain("iced")]);
        }),
        None,
    )
    .unwrap();
    let kind = OrderKind::Kiosk { service: Service::TakeOut };
    let mut order =
        Order::from_cart(OrderId(uuid::Uuid::new_v4()), 0, kind, Settlement::Prepaid, &cart, &menu, 0)
            .unwrap()
            .in_language(lang);
    store.create_order(&mut order, "2026-11-22", Actor::Customer, 0).unwrap();
    let j = store.begin_payment(order.id, PaymentOp::Approve, order.total(), "{}", 1).unwrap();
    let approval = Approval {
        card_masked: Some("9411-23**-****-1234".into()),
        issuer: Some("KB국민카드".into()),
        ..Approval::card("30012345", "261122134501", order.total())
    };
    store.finish_payment(j, &PaymentOutcome::Approved(approval), 2).unwrap();
    store.commit_order(order.id, &[PrintKind::Receipt, PrintKind::KitchenTicket], Actor::System, 3).unwrap();
    (store, order.id)
}

trait Tap: Sized {
    fn tap(mut self, f: impl FnOnce(&mut Self)) -> Self {
        f(&mut self);
        self
    }
}
impl Tap for Selection {}

#[tokio::test]
async fn paper_out_keeps_the_job_queued_and_it_prints_once_after() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("ttyPRINTER");
    let sim = spawn_pty(&link, SimOptions { baud: Some(9600), ..SimOptions::default() }).unwrap();
    let mut reports = sim.handle.subscribe();
    let (store, _) = store_with_a_paid_order(&dir.path().join("kiosk.db"), Lang::Ko);
    let store = StoreHandle::spawn(store);
    let (service, handle) = PrintService::new(
        store.clone(),
        setup(Endpoint::Serial { path: link, baud: 9600, flow_control: FlowControl::None }),
    );
    tokio::spawn(service.run());

    // Paper runs out while the receipt is on the wire.
    tokio::time::sleep(Duration::from_millis(800)).await;
    sim.handle.set(Condition::PaperOut);
    let out_at = Instant::now();
    let mut health = handle.health();
    tokio::time::timeout(
        Duration::from_secs(1),
        health.wait_for(|h| matches!(h, PrinterHealth::Online(s) if s.state() == PrinterState::PaperOut)),
    )
    .await
    .expect("paper out reported within 1 s")
    .unwrap();
    println!("paper out visible to the UI after {:?}", out_at.elapsed());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let pending = store.run(|s| s.print_pending(10)).await.unwrap();
    assert_eq!(pending.len(), 2, "both jobs still queued");
    assert!(pending[0].attempts >= 1, "the receipt was attempted: {pending:?}");

    sim.handle.set(Condition::PaperIn);
    let mut printed = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while printed.len() < 2 && Instant::now() < deadline {
        if let Ok(Ok(SimReport::Printed(job))) =
            tokio::time::timeout(Duration::from_millis(500), reports.recv()).await
        {
            printed.push(job.text());
        }
    }
    assert_eq!(printed.len(), 2, "{printed:?}");
    assert!(
        printed[0].contains("[영수증]") && printed[0].contains("승인번호") && printed[0].contains("30012345")
    );
    assert!(printed[1].contains("[주방 주문서]") && printed[1].contains("아메리카노 x1"));
    // nothing else prints: the receipt came out once
    assert!(
        tokio::time::timeout(Duration::from_secs(1), async {
            loop {
                if let Ok(SimReport::Printed(_)) = reports.recv().await {
                    return;
                }
            }
        })
        .await
        .is_err()
    );
    assert!(store.run(|s| s.print_pending(10)).await.unwrap().is_empty());
}

#[tokio::test]
async fn the_service_waits_for_a_printer_that_is_not_there_yet_and_prints_in_english() {
    let dir = tempfile::tempdir().unwrap();
    // find a free port, then leave it closed for a while
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let address = format!("127.0.0.1:{port}");
    let (store, _) = store_with_a_paid_order(&dir.path().join("kiosk.db"), Lang::En);
    let (service, handle) =
        PrintService::new(StoreHandle::spawn(store), setup(Endpoint::Tcp { address: address.clone() }));
    tokio::spawn(service.run());
    let mut health = handle.health();
    tokio::time::timeout(
        Duration::from_secs(3),
        health.wait_for(|h| matches!(h, PrinterHealth::Disconnected { .. })),
    )
    .await
    .unwrap()
    .unwrap();

    let sim = spawn_tcp(&address, SimOptions::default()).await.unwrap();
    let mut reports = sim.handle.subscribe();
    let mut texts = Vec::new();
    while texts.len() < 2 {
        match tokio::time::timeout(Duration::from_secs(15), reports.recv()).await {
            Ok(Ok(SimReport::Printed(job))) => texts.push(job.text()),
            Ok(Ok(_)) => {}
            other => panic!("no printout: {other:?}"),
        }
    }
    assert!(
        texts[0].contains("RECEIPT") && texts[0].contains("Bulgogi burger x2") && texts[0].contains("Total"),
        "{}",
        texts[0]
    );
    // The kitchen reads the store's language (the device's default, Korean), not the customer's.
    assert!(texts[1].contains("[주방 주문서]") && texts[1].contains("불고기 버거 x2"), "{}", texts[1]);
}

/// A Chinese and a Japanese customer's receipts: the words and the menu's names in their
/// language; the kitchen ticket in the store's. Kana and the Hanja of KS X 1001 go in the printer's own font; a line with a
/// character it lacks (订, 号) is drawn with the image's CJK glyphs, which the simulator reads
/// back, so the text below is what came off the paper.
#[tokio::test]
async fn chinese_and_japanese_receipts_print_in_their_language() {
    for (lang, want) in [
        (Lang::Zh, ["收据", "订单号", "韩式烤牛肉汉堡 x2", "合计", "授权号"]),
        (Lang::Ja, ["領収書", "注文番号", "プルコギバーガー x2", "合計", "承認番号"]),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = store_with_a_paid_order(&dir.path().join("kiosk.db"), lang);
        let address = format!(
            "127.0.0.1:{}",
            std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
        );
        let sim = spawn_tcp(&address, SimOptions::default()).await.unwrap();
        let mut reports = sim.handle.subscribe();
        let mut s = setup(Endpoint::Tcp { address });
        s.cjk_glyphs = kiosk_sim::printer::model::CJK_GLYPHS.into();
        let (service, _handle) = PrintService::new(StoreHandle::spawn(store), s);
        let service = tokio::spawn(service.run());
        let receipt = loop {
            match tokio::time::timeout(Duration::from_secs(15), reports.recv()).await {
                Ok(Ok(SimReport::Printed(job))) => break job,
                Ok(Ok(_)) => {}
                other => panic!("no printout: {other:?}"),
            }
        };
        let text = receipt.text();
        for want in want {
            assert!(text.contains(want), "{lang}: {want:?} not on\n{text}");
        }
        assert!(!text.contains('□') && !text.contains('?'), "{lang}: a character not printed\n{text}");
        let ticket = loop {
            match tokio::time::timeout(Duration::from_secs(15), reports.recv()).await {
                Ok(Ok(SimReport::Printed(job))) => break job.text(),
                Ok(Ok(_)) => {}
                other => panic!("no kitchen ticket: {other:?}"),
            }
        };
        assert!(ticket.contains("[주방 주문서]") && ticket.contains("불고기 버거 x2"), "{lang}: {ticket}");
        service.abort();
    }
}

#[tokio::test]
async fn an_unplugged_printer_is_reconnected_and_the_queue_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let sim = spawn_tcp("127.0.0.1:0", SimOptions::default()).await.unwrap();
    let address = sim.address.unwrap().to_string();
    let (mut store, _) = store_with_a_paid_order(&dir.path().join("kiosk.db"), Lang::Ko);
    // only the test page for now
    for job in store.print_pending(10).unwrap() {
        store.print_attempted(job.id, Ok(()), false, 0).unwrap();
    }
    store.queue_print(None, PrintKind::TestPage, Actor::Operator, 0).unwrap();
    let store = StoreHandle::spawn(store);
    let mut reports = sim.handle.subscribe();
    let (service, handle) =
        PrintService::new(store.clone(), setup(Endpoint::Tcp { address: address.clone() }));
    tokio::spawn(service.run());
    let first = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Ok(SimReport::Printed(job)) = reports.recv().await {
                return job.text();
            }
        }
    })
    .await
    .unwrap();
    assert!(first.contains("Printer test"), "{first}");

    // unplug: the printer (and its port) goes away
    sim.task.abort();
    let _ = sim.task.await;
    let mut health = handle.health();
    tokio::time::timeout(
        Duration::from_secs(5),
        health.wait_for(|h| matches!(h, PrinterHealth::Disconnected { .. })),
    )
    .await
    .expect("the loss is noticed")
    .unwrap();
    store.run(|s| s.queue_print(None, PrintKind::TestPage, Actor::Operator, 1)).await.unwrap();
    handle.poke();

    // plug it back in on the same port
    let sim = spawn_tcp(&address, SimOptions::default()).await.unwrap();
    let mut reports = sim.handle.subscribe();
    let second = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            if let Ok(SimReport::Printed(job)) = reports.recv().await {
                return job.text();
            }
        }
    })
    .await
    .expect("printed after reconnecting");
    assert!(second.contains("Printer test"));
    // recorded once the printer's GS r reply confirms it
    let deadline = Instant::now() + Duration::from_secs(3);
    while !store.run(|s| s.print_pending(10)).await.unwrap().is_empty() {
        assert!(Instant::now() < deadline, "the printed job left the queue");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Between jobs the service listens instead of asking: paper running out on an idle printer
/// is on the status channel well before the next idle status query (5 s), through the
/// printer's own Automatic Status Back message; a new roll likewise.
#[tokio::test]
async fn an_idle_printer_is_heard_running_out_of_paper_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("ttyPRINTER");
    let sim = spawn_pty(&link, SimOptions { baud: Some(115_200), ..SimOptions::default() }).unwrap();
    let store = StoreHandle::spawn(Store::open(dir.path().join("kiosk.db")).unwrap());
    let (service, handle) = PrintService::new(
        store,
        setup(Endpoint::Serial { path: link, baud: 115_200, flow_control: FlowControl::None }),
    );
    tokio::spawn(service.run());
    let mut health = handle.health();
    let state = |h: &PrinterHealth| match h {
        PrinterHealth::Online(s) => Some(s.state()),
        _ => None,
    };
    tokio::time::timeout(Duration::from_secs(5), health.wait_for(|h| state(h) == Some(PrinterState::Ready)))
        .await
        .expect("the printer ready")
        .unwrap();
    // Past its first status query: the service is listening now.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for (condition, expected) in
        [(Condition::PaperOut, PrinterState::PaperOut), (Condition::PaperIn, PrinterState::Ready)]
    {
        sim.handle.set(condition);
        let at = Instant::now();
        tokio::time::timeout(Duration::from_secs(1), health.wait_for(|h| state(h) == Some(expected)))
            .await
            .unwrap_or_else(|_| panic!("{expected:?} not heard within 1 s while idle"))
            .unwrap();
        println!("idle printer: {expected:?} heard after {:?}", at.elapsed());
    }
}
