//! UI benchmark: cold start to first frame (window, session, menu with photos, first full
//! frame), full-frame software render time at 800×1280 (kiosk) and 1280×800 (table
//! tablet), and the partial redraw after tapping "add" on an item. Prints figures; asserts
//! nothing about speed. `cargo bench -p kiosk-dev --bench ui` (`KIOSK_BENCH_FRAMES` sets
//! the frame count, at most 49: the item tapped is limited to 99 a cart;
//! `KIOSK_BENCH_NO_PHOTOS` runs it for a store without photos).

use std::time::{Duration, Instant};

use kiosk_app::device;
use kiosk_app::screen::photos::Photos;
use kiosk_app::screen::shell::Shell;
use kiosk_dev::{demo::DEMO_MENU, pictures};
use kiosk_domain::Menu;
use kiosk_session::words;
use kiosk_store::{Actor, Store};
use kiosk_ui::headless::{self, Screen};

// The firmware tests' device configurations, shared with this benchmark.
#[path = "../../tests/common/mod.rs"]
mod common;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn press(shell: &Shell, label: &str) {
    headless::press(shell.window(), label).expect(label);
    while {
        shell.pump();
        shell.busy()
    } {
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn main() {
    let frames: usize = std::env::var("KIOSK_BENCH_FRAMES").ok().and_then(|s| s.parse().ok()).unwrap_or(30);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let _enter = runtime.enter();
    let dir = tempfile::tempdir().unwrap();
    let menu: Menu = serde_json::from_str(DEMO_MENU).unwrap();
    let photos = dir.path().join("photos");
    pictures::write_all(&menu, &photos).unwrap();
    let screen = Screen::install(800, 1280).unwrap();
    let ko = |m: &str| kiosk_ui::translate("ko", m);

    println!("UI benchmark (software renderer; medians of {frames} frames)");
    for (w, h) in [(800u32, 1280u32), (1280, 800)] {
        screen.next_screen(w, h);
        let config = common::counter_kiosk(&dir.path().join(format!("d{w}")));
        std::fs::create_dir_all(&config.data_dir).unwrap();
        Store::open(config.database_path()).unwrap().save_menu(&menu, "bench", Actor::System, 0).unwrap();

        // cold start: the store, the session, the window, the first frame of the attract page
        let started = Instant::now();
        let device = device::start(&config).unwrap();
        let shell = Shell::new(
            &config,
            device.runner,
            device.feeds,
            Photos::new(std::env::var_os("KIOSK_BENCH_NO_PHOTOS").is_none().then(|| photos.clone())),
            runtime.handle().clone(),
        )
        .unwrap();
        screen.draw(true);
        let cold = started.elapsed();

        press(&shell, &ko("Touch to order"));
        press(&shell, "한국어");
        press(&shell, &ko("Take out"));
        // the menu with its photos: every frame redrawn in full
        let full: Vec<Duration> = (0..frames)
            .map(|_| {
                let t = Instant::now();
                screen.draw(true);
                t.elapsed()
            })
            .collect();
        // tapping "add" on a croissant: the cart bar changes, the rest stays
        press(&shell, "베이커리");
        screen.draw(true);
        let (mut add, mut more) = (Vec::new(), Vec::new());
        let (mut add_area, mut more_area) = (0, 0);
        for _ in 0..frames {
            press(&shell, "버터 크루아상, 3,800원");
            screen.draw(false);
            // "+" on the item page: the quantity and the add button's total change
            press(&shell, &ko("One more"));
            let t = Instant::now();
            more_area = screen.draw(false);
            more.push(t.elapsed());
            // "add": back to the menu with the cart bar updated
            let total = words::money(
                kiosk_domain::Money(3_800 * 2),
                kiosk_domain::Currency::Krw,
                kiosk_domain::Lang::Ko,
            );
            press(&shell, &ko("Add · {}").replace("{}", &total));
            let t = Instant::now();
            add_area = screen.draw(false);
            add.push(t.elapsed());
        }
        let share = |a: u64| a as f64 * 100.0 / (w * h) as f64;
        // Machine-readable lines for bench/run: figure<TAB>bench<TAB>name<TAB>value<TAB>unit.
        println!("figure\tui\tcold_start_{w}x{h}\t{:.1}\tms", ms(cold));
        println!("figure\tui\tfull_frame_{w}x{h}\t{:.2}\tms", ms(median(full.clone())));
        println!("figure\tui\tredraw_plus_{w}x{h}\t{:.2}\tms", ms(median(more.clone())));
        println!("figure\tui\tredraw_plus_area_{w}x{h}\t{:.1}\t%", share(more_area));
        println!("figure\tui\tredraw_add_{w}x{h}\t{:.2}\tms", ms(median(add.clone())));
        println!("figure\tui\tredraw_add_area_{w}x{h}\t{:.0}\t%", share(add_area));
        println!(
            "  {w}×{h}: cold start to first frame {:.1} ms; full frame {:.2} ms; after \"+\" {:.2} ms ({:.1} % of the screen redrawn); after \"add\" (back to the menu) {:.2} ms ({:.0} %)",
            ms(cold),
            ms(median(full)),
            ms(median(more)),
            share(more_area),
            ms(median(add)),
            share(add_area),
        );
        drop(shell);
    }
}
