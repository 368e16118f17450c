//! A chain's rollout: 500 simulated devices in one process, each with its own controller id,
//! its own rollout agent (`kiosk_app::fleet::Fleet` over `kiosk_fleet::Agent`: the device's
//! own polling, download, checks, feedback and trial commit; only the write to a disk is
//! simulated) and its own telemetry link (`kiosk_app::telemetry`) with its own broker
//! credentials, against goosebit (DDI) and Mosquitto on this machine.
//!
//! The chain's operator rolls a signed RAUC bundle out in waves of 10 %, as hawkBit's
//! rollouts do with their groups and error threshold. goosebit has no rollout groups, so
//! this benchmark plays that part through goosebit's management API: it assigns a wave,
//! waits until every device of it has finished or failed, and stops the rollout when a
//! wave's failures exceed the threshold.
//!
//! 1. Release 2.0.0: 2 % of installs fail (injected, spread over the fleet); the threshold
//!    (10 %) holds, and the rollout reaches every device.
//! 2. Release 3.0.0: the devices of the fourth wave fail 30 % of their installs; the rollout
//!    stops there, and no device beyond that wave gets 3.0.0.
//! 3. A burst: every device's state changes at once (the store opens); the time until the
//!    operator's subscriber has all of them.
//!
//! Figures: time to 100 %, DDI requests per second (and the devices' polling load at rest),
//! MQTT messages per second (during the rollout, and the burst), heap per device (the
//! agent, the telemetry link and their clients, counted by this binary's allocator) and the
//! bare cores' size.
//!
//! KIOSK_FLEET_DEVICES (500) and KIOSK_FLEET_POLL (goosebit's polling interval, 00:00:05).

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use kiosk_app::fleet::{Ended, Fleet, Installer};
use kiosk_app::telemetry::{LinkStatus, run as publish};
use kiosk_app::update::UpdateOptions;
use kiosk_config::{FleetAuth, FleetConfig, TelemetryConfig};
use kiosk_fleet::agent::{Boot, Kiosk, Pending, Policy};
use kiosk_fleet::telemetry::{PosState, Snapshot, Telemetry, Topics};
use kiosk_image::bundle;
use kiosk_image::slots::Slot;
use kiosk_tests::goosebit::Goosebit;
use kiosk_tests::mosquitto::{Mosquitto, Subscriber};
use kiosk_tests::release::Release;
use tokio::sync::watch;

const BENCH: &str = "fleet";
const STORE: &str = "chain";
const WAVES: usize = 10;
const THRESHOLD: f64 = 0.10;

/// Live heap bytes of this process.
struct Counting;
static LIVE: AtomicI64 = AtomicI64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as i64, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as i64, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as i64 - layout.size() as i64, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn figure(name: &str, value: impl std::fmt::Display, unit: &str) {
    println!("figure\t{BENCH}\t{name}\t{value}\t{unit}");
}

fn env_or<T: std::str::FromStr>(key: &str, default: T) -> T {
    std::env::var(key).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// CPU seconds a process has used (user and system), from /proc.
fn cpu_seconds(pid: Option<u32>) -> f64 {
    let path = pid.map_or_else(|| "/proc/self/stat".to_owned(), |p| format!("/proc/{p}/stat"));
    let stat = std::fs::read_to_string(path).unwrap_or_default();
    // The fields after the command's closing parenthesis; utime and stime are the 14th and
    // 15th of the whole line, in clock ticks (100 a second on Linux).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn device_id(i: usize) -> String {
    format!("bench-{i:04}")
}

/// Which installs fail: 2 % of the fleet for 2.0.0 (every 50th device, so each wave has
/// one), and 30 % of the fourth wave for 3.0.0.
fn fails(version: &str, i: usize, per_wave: usize) -> bool {
    match version {
        "2.0.0" => i % 50 == 7,
        "3.0.0" => i / per_wave == 3 && i % 10 < 3,
        _ => false,
    }
}

/// A bundle of `version` whose 256 KiB root image is a pattern of its own.
fn release_bundle(release: &Release, version: &str) -> PathBuf {
    let rootfs = (0..256 * 1024).map(|i| (i % 251) as u8 ^ version.len() as u8).collect();
    release.bundle_of(version, rootfs).0
}

fn read_pending(work: &Path) -> Option<Pending> {
    Pending::from_json(&std::fs::read_to_string(work.join("pending.json")).ok()?).ok()
}

/// One simulated device: its agent, restarted into the trial as a device reboots (the
/// trial committed at once: the health period is the device's business, not the
/// server's), and its telemetry, whose version follows.
/// What every simulated device shares.
#[derive(Clone)]
struct Chain {
    server: String,
    broker: u16,
    per_wave: usize,
    requests: Arc<AtomicU64>,
    store_open: watch::Receiver<bool>,
    keyring: PathBuf,
}

async fn device(i: usize, work: PathBuf, chain: Chain) {
    let Chain { server, broker, per_wave, requests, store_open, keyring } = chain;
    let id = device_id(i);
    let config = FleetConfig {
        server,
        tenant: "DEFAULT".into(),
        controller_id: id.clone(),
        auth: FleetAuth::None,
        tls_pin_sha256: None,
        restart_while_open: true,
    };
    let telemetry = TelemetryConfig {
        host: "127.0.0.1".into(),
        port: broker,
        tls: false,
        tls_pin_sha256: None,
        device: id.clone(),
        username: id.clone(),
        password: Some(format!("pw-{id}")),
        queue: 100,
    };
    let snapshot = |version: &str, slot: char, open: bool| Snapshot {
        version: version.to_owned(),
        slot: Some(slot.to_string()),
        role: "kiosk".into(),
        mode: "normal".into(),
        pos: Some(PosState { reachable: true, store_open: open }),
        ..Snapshot::default()
    };
    let (snapshots, snapshots_rx) = watch::channel(snapshot("1.0.0", 'a', false));
    let (status, _status_rx) = watch::channel(LinkStatus::default());
    tokio::spawn(async move {
        let _ = publish(telemetry, STORE, snapshots_rx, status).await;
    });
    let mut store_open_rx = store_open.clone();
    let follower = snapshots.clone();
    tokio::spawn(async move {
        while store_open_rx.changed().await.is_ok() {
            let open = *store_open_rx.borrow();
            follower.send_modify(|s| s.pos = Some(PosState { reachable: true, store_open: open }));
        }
    });
    let (mut version, mut slot, mut boot) = ("1.0.0".to_owned(), 'a', Boot::Committed { running: 'a' });
    loop {
        let target_slot = if slot == 'a' { 'b' } else { 'a' };
        // RAUC checks the signature and reads the manifest as on a device; the slot write
        // is the simulated part (and where the injected failures happen).
        let keyring = keyring.clone();
        let installer: Installer = Arc::new(move |bundle: &Path| {
            let running = if target_slot == 'b' { Slot::A } else { Slot::B };
            let verified = bundle::verify(bundle, &keyring, running).map_err(|e| e.to_string())?;
            if fails(&verified.version, i, per_wave) {
                return Err(format!("injected: slot {target_slot} could not be written"));
            }
            Ok((verified.version, target_slot))
        });
        let update = UpdateOptions {
            bundle: PathBuf::new(),
            keyring: PathBuf::new(),
            disk: None,
            boot: work.join("boot"),
            state: work.join("state"),
            reboot: false,
        };
        let fleet = Fleet::new(&config, &version, boot, work.clone(), update)
            .unwrap()
            .with_installer(installer)
            .with_request_counter(requests.clone());
        let (_kiosk, kiosk_rx) = watch::channel(Kiosk { at_rest: true, store_open: false });
        let (_committed, committed_rx) = watch::channel(boot == Boot::OnTrial);
        match fleet.run(kiosk_rx, committed_rx).await {
            Ok(Ended::Restart) => {
                let pending = read_pending(&work).expect("a restart leaves its pending record");
                version = pending.version.clone();
                slot = pending.slot.chars().next().unwrap_or('a');
                boot = Boot::OnTrial;
                snapshots.send_modify(|s| *s = snapshot(&version, slot, *store_open.borrow()));
            }
            Err(e) => panic!("device {id}: {e:#}"),
        }
    }
}

/// The operator's side of one wave-by-wave rollout; returns (waves finished, failures of
/// the last wave, devices that reached the version, devices held in Error, seconds).
fn rollout(
    server: &Goosebit,
    software: u64,
    version: &str,
    ids: &[String],
) -> (usize, usize, usize, usize, f64) {
    let start = Instant::now();
    let mut held_total = 0;
    let per_wave = ids.len().div_ceil(WAVES);
    let mut done = 0;
    let mut last_failures = 0;
    for (w, wave) in ids.chunks(per_wave).enumerate() {
        // goosebit holds a device whose last update failed ("Skip: device in error state")
        // until staff clear it: it is assigned with its wave but not waited for.
        let list = server.devices();
        let held: Vec<&String> = wave
            .iter()
            .filter(|id| list.iter().any(|d| d["id"] == id.as_str() && d["last_state"] == "Error"))
            .collect();
        server.assign_all(wave, software);
        let active = wave.len() - held.len();
        let (finished, failed) = loop {
            let list = server.devices();
            let (mut finished, mut failed) = (0, 0);
            for d in
                list.iter().filter(|d| wave.iter().any(|id| d["id"] == id.as_str() && !held.contains(&id)))
            {
                if d["last_state"] == "Finished" && d["sw_version"] == version {
                    finished += 1;
                } else if d["last_state"] == "Error" {
                    failed += 1;
                }
            }
            if finished + failed == active {
                break (finished, failed);
            }
            assert!(
                start.elapsed() < Duration::from_secs(1800),
                "wave {w} never ended: {finished} + {failed}"
            );
            // The device list is the server's heaviest answer: the operator asks every 2 s.
            std::thread::sleep(Duration::from_secs(2));
        };
        held_total += held.len();
        done = w + 1;
        last_failures = failed;
        println!(
            "  {version} wave {done}/{WAVES}: {finished} finished, {failed} failed, {} held ({:.1} s)",
            held.len(),
            start.elapsed().as_secs_f64()
        );
        if failed as f64 > THRESHOLD * active as f64 {
            println!(
                "  {version}: {failed} of {active} failed, over the {:.0} % threshold: the rollout stops",
                THRESHOLD * 100.0
            );
            break;
        }
    }
    let reached = server.devices().iter().filter(|d| d["sw_version"] == version).count();
    (done, last_failures, reached, held_total, start.elapsed().as_secs_f64())
}

fn main() {
    let devices: usize = env_or("KIOSK_FLEET_DEVICES", 500);
    let poll: String = env_or("KIOSK_FLEET_POLL", "00:00:05".to_owned());
    println!("fleet: {devices} devices, goosebit polling every {poll}, waves of {}", devices.div_ceil(WAVES));

    // The bare cores, without their connections.
    let before = LIVE.load(Ordering::Relaxed);
    let cores: Vec<(kiosk_fleet::Agent, Telemetry)> = (0..1000)
        .map(|i| {
            let base = format!("http://127.0.0.1:1/DEFAULT/controller/v1/{}", device_id(i));
            let agent = kiosk_fleet::Agent::new(
                &base,
                bundle::COMPATIBLE,
                "1.0.0",
                Policy::default(),
                None,
                Boot::Committed { running: 'a' },
                std::time::Instant::now(),
            );
            (agent, Telemetry::new(Topics::new(STORE, &device_id(i)).unwrap(), 100))
        })
        .collect();
    let core_bytes = (LIVE.load(Ordering::Relaxed) - before) / 1000;
    drop(cores);

    let release = Release::new("chain-release");
    let server = Goosebit::start(&poll);
    // The releases are on the server before the devices come.
    let (bundle2, bundle3) = (release_bundle(&release, "2.0.0"), release_bundle(&release, "3.0.0"));
    let v2 = server.upload(&bundle2);
    let v3 = server.upload(&bundle3);
    let ids: Vec<String> = (0..devices).map(device_id).collect();
    let credentials: Vec<(String, String, String)> =
        ids.iter().map(|id| (id.clone(), format!("pw-{id}"), format!("kiosk/{STORE}/{id}"))).collect();
    let users: Vec<(&str, &str, &str)> =
        credentials.iter().map(|(u, p, t)| (u.as_str(), p.as_str(), t.as_str())).collect();
    let broker = Mosquitto::start(&users);
    let operator = Subscriber::start(broker.port);

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let requests = Arc::new(AtomicU64::new(0));
    let (store_open, store_open_rx) = watch::channel(false);
    let work = tempfile::tempdir().unwrap();
    let heap_before = LIVE.load(Ordering::Relaxed);
    let per_wave = devices.div_ceil(WAVES);
    let chain = Chain {
        server: server.url(),
        broker: broker.port,
        per_wave,
        requests: requests.clone(),
        store_open: store_open_rx,
        keyring: release.cert.clone(),
    };
    for i in 0..devices {
        let dir = work.path().join(device_id(i));
        std::fs::create_dir_all(&dir).unwrap();
        runtime.spawn(device(i, dir, chain.clone()));
    }
    // Every device has polled and connected.
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let polled = server.devices().len();
        let online = operator
            .all()
            .iter()
            .filter(|m| m.topic.ends_with("/status"))
            .map(|m| m.topic.clone())
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        if polled >= devices && online >= devices {
            break;
        }
        assert!(Instant::now() < deadline, "only {polled} polled and {online} online");
        std::thread::sleep(Duration::from_millis(500));
    }
    // goosebit asks a newly registered device back in 10 s; the polling at rest is measured
    // once every device is on the configured interval.
    std::thread::sleep(Duration::from_secs(12));
    let heap_per_device = (LIVE.load(Ordering::Relaxed) - heap_before) / devices as i64;

    // At rest: the polling load alone.
    let (r0, t0) = (requests.load(Ordering::Relaxed), Instant::now());
    std::thread::sleep(Duration::from_secs(10));
    let idle_rate = (requests.load(Ordering::Relaxed) - r0) as f64 / t0.elapsed().as_secs_f64();

    // 1. A release that goes everywhere.
    let (m0, r0) = (operator.all().len(), requests.load(Ordering::Relaxed));
    let (server_cpu0, own_cpu0) = (cpu_seconds(Some(server.pid())), cpu_seconds(None));
    let (waves, _, reached, _, seconds) = rollout(&server, v2, "2.0.0", &ids);
    let rollout_requests = requests.load(Ordering::Relaxed) - r0;
    let server_cpu = (cpu_seconds(Some(server.pid())) - server_cpu0) / seconds * 100.0;
    let own_cpu = (cpu_seconds(None) - own_cpu0) / seconds * 100.0;
    let rollout_messages = operator.all().len() - m0;
    let injected = (0..devices).filter(|i| fails("2.0.0", *i, per_wave)).count();
    assert_eq!(waves, WAVES, "the 2 % failures stay under the threshold");
    assert_eq!(reached, devices - injected, "every device but the injected failures runs 2.0.0");
    println!(
        "  2.0.0: {reached} of {devices} devices in {seconds:.1} s ({injected} injected failures reported)"
    );

    // 2. A release that a wave stops.
    let (waves3, failed3, reached3, held3, seconds3) = rollout(&server, v3, "3.0.0", &ids);
    assert_eq!(waves3, 4, "the fourth wave's failures stop the rollout");
    assert!(reached3 <= 4 * per_wave - failed3, "nothing beyond the fourth wave: {reached3}");
    println!(
        "  3.0.0: stopped after wave {waves3} ({failed3} failures), {reached3} devices run it, {held3} held by the server after 2.0.0 failed on them ({seconds3:.1} s)"
    );

    // 3. A burst of telemetry: the store opens everywhere at once.
    let m0 = operator.all().len();
    let t0 = Instant::now();
    store_open.send_replace(true);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let got = operator.all()[m0..]
            .iter()
            .filter(|m| m.topic.ends_with("/state") && m.payload.contains("\"store_open\":true"))
            .count();
        if got >= devices {
            break;
        }
        assert!(Instant::now() < deadline, "only {got} states after the store opened");
        std::thread::sleep(Duration::from_millis(10));
    }
    let burst = t0.elapsed().as_secs_f64();

    figure("devices", devices, "devices");
    figure("rollout_to_100", format!("{seconds:.1}"), "s");
    figure("ddi_requests_per_s_rollout", format!("{:.0}", rollout_requests as f64 / seconds), "req/s");
    figure("ddi_requests_per_s_idle", format!("{idle_rate:.0}"), "req/s");
    figure("goosebit_cpu_rollout", format!("{server_cpu:.0}"), "% of a core");
    figure("devices_cpu_rollout", format!("{own_cpu:.0}"), "% of a core");
    figure("mqtt_messages_per_s_rollout", format!("{:.1}", rollout_messages as f64 / seconds), "msg/s");
    figure("mqtt_burst_states", devices, "messages");
    figure("mqtt_burst_per_s", format!("{:.0}", devices as f64 / burst), "msg/s");
    figure("heap_per_device", format!("{:.1}", heap_per_device as f64 / 1024.0), "KiB");
    figure("agent_core_bytes", core_bytes, "bytes");
    drop(runtime);
}
