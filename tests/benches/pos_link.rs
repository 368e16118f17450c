//! POS link throughput and latency over loopback, with durable stores on both sides:
//! draining a 2,000-order backlog (orders/s), and commit → POS acknowledgement latency
//! for orders sent one at a time (p50/p99).
//!
//! `cargo bench -p kiosk-tests --bench pos_link`

use std::sync::Arc;
use std::time::{Duration, Instant};

use kiosk_app::pos::delivery::{Backoff, OutboxWorker};
use kiosk_store::Store;
use kiosk_tests::example_menu;
use kiosk_tests::pos::{TestServer, commit_order, shared};

const BACKLOG: u32 = 2_000;
const LATENCY_SAMPLES: usize = 300;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        let menu = example_menu();
        let server = TestServer::start(None).await;
        let dir = tempfile::tempdir().unwrap();
        let store = shared(Store::open(dir.path().join("kiosk.db")).unwrap());
        let backlog = menu.clone();
        store
            .run(move |s| {
                for n in 0..BACKLOG {
                    commit_order(s, &backlog, n, n as i64);
                }
            })
            .await;
        let link = Arc::new(server.client(&server.device_token));
        let (worker, handle) = OutboxWorker::new(store.clone(), link, Backoff::default());
        let started = Instant::now();
        let worker = tokio::spawn(worker.run());
        let mut view = handle.view();
        while view.borrow().delivered_total < BACKLOG as u64 {
            view.changed().await.unwrap();
        }
        let drain = started.elapsed();
        println!(
            "pos link: drained a {BACKLOG}-order backlog in {:.2} s: {:.0} orders/s (each: journal, HTTP, server fsync, journal)",
            drain.as_secs_f64(),
            BACKLOG as f64 / drain.as_secs_f64()
        );
        // Machine-readable lines for bench/run: figure<TAB>bench<TAB>name<TAB>value<TAB>unit.
        println!("figure\tpos_link\tbacklog_drain_rate\t{:.0}\torders/s", BACKLOG as f64 / drain.as_secs_f64());

        let mut latencies = Vec::with_capacity(LATENCY_SAMPLES);
        for n in 0..LATENCY_SAMPLES {
            let before = view.borrow().delivered_total;
            let one = menu.clone();
            let t = Instant::now();
            store.run(move |s| commit_order(s, &one, n as u32, 0)).await;
            handle.order_committed();
            while view.borrow_and_update().delivered_total == before {
                view.changed().await.unwrap();
            }
            latencies.push(t.elapsed());
        }
        latencies.sort();
        println!(
            "pos link: commit → POS acknowledgement over {LATENCY_SAMPLES} orders: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            percentile(&latencies, 0.5).as_secs_f64() * 1e3,
            percentile(&latencies, 0.99).as_secs_f64() * 1e3,
            latencies.last().unwrap().as_secs_f64() * 1e3
        );
        println!("figure\tpos_link\tack_p50\t{:.2}\tms", percentile(&latencies, 0.5).as_secs_f64() * 1e3);
        println!("figure\tpos_link\tack_p99\t{:.2}\tms", percentile(&latencies, 0.99).as_secs_f64() * 1e3);
        println!("figure\tpos_link\tack_max\t{:.2}\tms", latencies.last().unwrap().as_secs_f64() * 1e3);
        worker.abort();
        server.handle.stop().await;
    });
}
