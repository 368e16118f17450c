//! The rollout agent against goosebit, an independent implementation of hawkBit's DDI API:
//! real RAUC bundles uploaded as a chain's operator would, installed into slot b of a
//! kiosk disk image, the result reported back; a bundle not signed by the release key; a
//! download cut halfway; a deployment during a customer's session; a withdrawn one.

#[path = "../../images/kiosk-image/tests/common/kiosk_disk.rs"]
mod kiosk_disk;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kiosk_app::fleet::{Ended, Fleet};
use kiosk_app::update::UpdateOptions;
use kiosk_config::{FleetAuth, FleetConfig};
use kiosk_disk::{LAYOUT, MIB, kiosk_disk, pattern};
use kiosk_fleet::agent::{Boot, Kiosk};
use kiosk_image::bundle;
use kiosk_image::slots::{self, BootFiles, FatBoot, Slot, Status};
use kiosk_tests::goosebit::Goosebit;
use kiosk_tests::release::Release;
use tokio::sync::watch;

const CLOSED_AT_REST: Kiosk = Kiosk { at_rest: true, store_open: false };

/// A bundle whose root image is a pattern naming its version (a bundle of a few KiB).
fn patterned_bundle(release: &Release, version: &str, rootfs_len: u64) -> (PathBuf, Vec<u8>) {
    release.bundle_of(version, pattern(&format!("rootfs {version} "), rootfs_len))
}

/// One whose root image is random bytes: as large as the image, nothing compresses it.
fn noisy_bundle(release: &Release, version: &str, rootfs_len: u64) -> (PathBuf, Vec<u8>) {
    release.bundle_of(version, (0..rootfs_len).map(|_| rand::random::<u8>()).collect())
}

struct Device {
    dir: tempfile::TempDir,
    id: String,
}

impl Device {
    fn new(id: &str) -> Device {
        let dir = tempfile::tempdir().unwrap();
        kiosk_disk(&dir.path().join("card.img"));
        Device { dir, id: id.to_owned() }
    }

    fn disk(&self) -> PathBuf {
        self.dir.path().join("card.img")
    }

    fn state(&self) -> PathBuf {
        self.dir.path().join("update-state")
    }

    fn agent(&self, server: &str, keyring: &Path, version: &str, boot: Boot) -> Fleet {
        let config = FleetConfig {
            server: server.to_owned(),
            tenant: "DEFAULT".into(),
            controller_id: self.id.clone(),
            auth: FleetAuth::None,
            tls_pin_sha256: None,
            restart_while_open: false,
        };
        let update = UpdateOptions {
            bundle: PathBuf::new(),
            keyring: keyring.to_owned(),
            disk: Some(self.disk()),
            boot: PathBuf::new(),
            state: self.state(),
            reboot: false,
        };
        Fleet::new(&config, version, boot, self.dir.path().join("fleet"), update).unwrap()
    }

    fn partition(&self, index: usize) -> Vec<u8> {
        let (start, len) = LAYOUT[index - 1];
        std::fs::read(self.disk()).unwrap()[start as usize..(start + len) as usize].to_vec()
    }

    /// (slot a tryboot starts, slot a normal boot starts).
    fn boots(&self) -> (Slot, Slot) {
        let boot = FatBoot::open(&self.disk()).unwrap();
        (slots::firmware_boot(&boot, true).unwrap().0, slots::firmware_boot(&boot, false).unwrap().0)
    }
}

type Runner = tokio::task::JoinHandle<anyhow::Result<Ended>>;

fn run(
    rt: &tokio::runtime::Runtime,
    agent: Fleet,
    kiosk: Kiosk,
) -> (Runner, watch::Sender<Kiosk>, watch::Sender<bool>) {
    let (kiosk_tx, kiosk_rx) = watch::channel(kiosk);
    let (committed_tx, committed_rx) = watch::channel(false);
    (rt.spawn(agent.run(kiosk_rx, committed_rx)), kiosk_tx, committed_tx)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// Waits for the agent to ask for its restart.
fn restarted(rt: &tokio::runtime::Runtime, runner: Runner, limit: Duration) -> Ended {
    rt.block_on(async { tokio::time::timeout(limit, runner).await })
        .expect("the agent did not ask for a restart in time")
        .unwrap()
        .unwrap()
}

#[test]
fn a_device_installs_a_goosebit_deployment_on_trial_and_reports_success_after_the_commit() {
    let server = Goosebit::start("00:00:01");
    let release = Release::new("release-bundle");
    let device = Device::new("kiosk-gangnam-1");
    let rt = runtime();
    let (runner, _kiosk, _committed) = run(
        &rt,
        device.agent(&server.url(), &release.cert, "1.3.0", Boot::Committed { running: 'a' }),
        CLOSED_AT_REST,
    );

    // The device registers with the hardware its bundles name; the operator rolls 1.4.0 out.
    server.wait_for(&device.id, Duration::from_secs(20), |d| {
        d["hw_model"] == bundle::COMPATIBLE || d.to_string().contains(bundle::COMPATIBLE)
    });
    let (good, rootfs) = patterned_bundle(&release, "1.4.0", 3 * MIB + 17);
    let software = server.upload(&good);
    server.assign(&device.id, software);

    assert_eq!(restarted(&rt, runner, Duration::from_secs(60)), Ended::Restart);
    assert!(device.partition(3)[..rootfs.len()] == rootfs[..], "slot b holds the new root image");
    assert_eq!(device.boots(), (Slot::B, Slot::A), "armed for one tryboot; a stays committed");
    let log = server.device_log(&device.id);
    assert!(log.contains("downloaded") && log.contains("installed 1.4.0"), "{log}");

    // The tryboot: slot b runs on trial, the kiosk is healthy and commits it; the agent of
    // that boot reports success.
    let status =
        slots::status(&FatBoot::open(&device.disk()).unwrap(), Slot::B, &device.state(), Some("trial-boot"))
            .unwrap();
    assert!(matches!(status, Status::OnTrial { slot: Slot::B, .. }), "{status:?}");
    let (runner, _kiosk, committed) =
        run(&rt, device.agent(&server.url(), &release.cert, "1.4.0", Boot::OnTrial), CLOSED_AT_REST);
    std::thread::sleep(Duration::from_secs(2));
    let before = server.device(&device.id).unwrap();
    assert_ne!(before["last_state"], "Finished", "not reported before the commit: {before}");
    slots::commit(&FatBoot::open(&device.disk()).unwrap() as &dyn BootFiles, Slot::B, &device.state())
        .unwrap();
    committed.send(true).unwrap();
    let done = server.wait_for(&device.id, Duration::from_secs(20), |d| d["last_state"] == "Finished");
    assert_eq!(done["sw_version"], "1.4.0", "{done}");
    assert!(
        server.device_log(&device.id).contains("committed after its trial"),
        "{}",
        server.device_log(&device.id)
    );
    runner.abort();
}

#[test]
fn a_bundle_not_signed_by_the_release_key_is_refused_and_reported_as_a_failure() {
    let server = Goosebit::start("00:00:01");
    let release = Release::new("release-bundle");
    let thief = Release::new("thief");
    let device = Device::new("kiosk-gangnam-2");
    let rt = runtime();
    let before = std::fs::read(device.disk()).unwrap();
    let (runner, _kiosk, _committed) = run(
        &rt,
        device.agent(&server.url(), &release.cert, "1.3.0", Boot::Committed { running: 'a' }),
        CLOSED_AT_REST,
    );
    server.wait_for(&device.id, Duration::from_secs(20), |d| d.to_string().contains(bundle::COMPATIBLE));
    let (forged, _) = patterned_bundle(&thief, "1.4.0", MIB);
    server.assign(&device.id, server.upload(&forged));

    let failed = server.wait_for(&device.id, Duration::from_secs(60), |d| d["last_state"] == "Error");
    assert_ne!(failed["sw_version"], "1.4.0");
    let log = server.device_log(&device.id);
    assert!(log.contains("refused") && log.contains("signature verification failed"), "{log}");
    assert!(!runner.is_finished(), "no restart");
    runner.abort();
    let after = std::fs::read(device.disk()).unwrap();
    assert!(after[LAYOUT[2].0 as usize..] == before[LAYOUT[2].0 as usize..], "slot b and the data untouched");
    assert_eq!(device.boots(), (Slot::A, Slot::A), "nothing armed");
}

/// What the proxy does to artifact downloads.
#[derive(Clone, Copy)]
enum Downloads {
    /// The first one's answer is cut after this many bytes.
    CutFirst(usize),
    /// Every one is paced at this many bytes a second.
    Paced(usize),
}

/// A TCP proxy in front of the server that cuts or paces artifact downloads, and records
/// each download request it forwards with the status line the server answered it with.
struct Proxy {
    port: u16,
    /// (request head, the answer's status line)
    downloads: Arc<Mutex<Vec<(String, String)>>>,
}

impl Proxy {
    fn start(upstream: u16, mode: Downloads) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let downloads = Arc::new(Mutex::new(Vec::new()));
        let seen = downloads.clone();
        let count = Arc::new(AtomicUsize::new(0));
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(mut client) = client else { continue };
                let (seen, count) = (seen.clone(), count.clone());
                std::thread::spawn(move || {
                    let Ok(mut server) = TcpStream::connect(("127.0.0.1", upstream)) else { return };
                    let mut to_server = server.try_clone().unwrap();
                    let mut from_client = client.try_clone().unwrap();
                    let mut head = vec![0u8; 65536];
                    let n = from_client.read(&mut head).unwrap_or(0);
                    let text = String::from_utf8_lossy(&head[..n]).into_owned();
                    let download = text.contains("/download ");
                    let (mut cut, mut pace) = (None, None);
                    if download {
                        let first = count.fetch_add(1, Ordering::SeqCst) == 0;
                        match mode {
                            Downloads::CutFirst(bytes) if first => cut = Some(bytes),
                            Downloads::Paced(rate) => pace = Some(rate),
                            _ => {}
                        }
                    }
                    if to_server.write_all(&head[..n]).is_err() {
                        return;
                    }
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from_client, &mut to_server);
                    });
                    let mut sent = 0usize;
                    let mut buf = vec![0u8; pace.map_or(16384, |rate: usize| (rate / 10).clamp(1, 16384))];
                    loop {
                        let n = match server.read(&mut buf) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        if download && sent == 0 {
                            let status =
                                String::from_utf8_lossy(&buf[..n]).lines().next().unwrap_or("").to_owned();
                            seen.lock().unwrap().push((text.clone(), status));
                        }
                        let n = cut.map_or(n, |l: usize| n.min(l.saturating_sub(sent)));
                        if client.write_all(&buf[..n]).is_err() {
                            break;
                        }
                        sent += n;
                        if cut.is_some_and(|l| sent >= l) {
                            break;
                        }
                        if let Some(rate) = pace {
                            std::thread::sleep(Duration::from_secs_f64(n as f64 / rate as f64));
                        }
                    }
                    let _ = client.shutdown(std::net::Shutdown::Both);
                });
            }
        });
        Proxy { port, downloads }
    }
}

#[test]
fn a_cut_download_continues_where_it_stopped_and_a_session_holds_the_restart() {
    let server = Goosebit::start("00:00:01");
    let proxy = Proxy::start(server.port, Downloads::CutFirst(700_000));
    let release = Release::new("release-bundle");
    let device = Device::new("kiosk-gangnam-3");
    let rt = runtime();
    let in_session = Kiosk { at_rest: false, store_open: false };
    let url = format!("http://127.0.0.1:{}", proxy.port);
    let (runner, kiosk, _committed) =
        run(&rt, device.agent(&url, &release.cert, "1.3.0", Boot::Committed { running: 'a' }), in_session);
    server.wait_for(&device.id, Duration::from_secs(20), |d| d.to_string().contains(bundle::COMPATIBLE));
    let (noisy, noise) = noisy_bundle(&release, "1.4.1", 2 * MIB);
    server.assign(&device.id, server.upload(&noisy));

    // Installed during the session, but no restart while the customer is there.
    server.wait_for(&device.id, Duration::from_secs(60), |_| {
        server.device_log(&device.id).contains("installed 1.4.1")
    });
    std::thread::sleep(Duration::from_secs(3));
    assert!(!runner.is_finished(), "restarted during a customer's session");
    assert!(device.partition(3)[..noise.len()] == noise[..], "installed");
    let requests = proxy.downloads.lock().unwrap().clone();
    assert!(requests.len() >= 2, "the cut download was asked for again: {requests:?}");
    let (resumed, answer) = (requests[1].0.to_ascii_lowercase(), &requests[1].1);
    assert!(
        resumed.contains("range: bytes=") && !resumed.contains("range: bytes=0-"),
        "continued, not restarted: {resumed}"
    );
    assert!(resumed.contains("if-range:"), "only if the file is the same: {resumed}");
    assert!(answer.contains(" 206 "), "the server sent the rest only: {answer}");

    // The customer leaves: the restart comes.
    kiosk.send(CLOSED_AT_REST).unwrap();
    assert_eq!(restarted(&rt, runner, Duration::from_secs(10)), Ended::Restart);
    assert_eq!(device.boots(), (Slot::B, Slot::A));
}

#[test]
fn a_deployment_withdrawn_before_its_install_is_not_installed() {
    let server = Goosebit::start("00:00:01");
    // The download is paced (about 8 s for the bundle) so it is withdrawn meanwhile; it then
    // completes, and the next poll finds the deployment gone before the install.
    let proxy = Proxy::start(server.port, Downloads::Paced(128 * 1024));
    let release = Release::new("release-bundle");
    let device = Device::new("kiosk-gangnam-4");
    let rt = runtime();
    let before = std::fs::read(device.disk()).unwrap();
    let url = format!("http://127.0.0.1:{}", proxy.port);
    let (runner, _kiosk, _committed) = run(
        &rt,
        device.agent(&url, &release.cert, "1.3.0", Boot::Committed { running: 'a' }),
        CLOSED_AT_REST,
    );
    server.wait_for(&device.id, Duration::from_secs(20), |d| d.to_string().contains(bundle::COMPATIBLE));
    let (good, _) = noisy_bundle(&release, "1.4.0", MIB);
    server.assign(&device.id, server.upload(&good));
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while proxy.downloads.lock().unwrap().is_empty() {
        assert!(std::time::Instant::now() < deadline, "no download started");
        std::thread::sleep(Duration::from_millis(100));
    }
    server.pin(&device.id);
    let part = device.dir.path().join("fleet/download.raucb");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0) < MIB || part.exists() {
        // Until the whole bundle arrived and was dropped, or the time is up.
        if std::time::Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_secs(3));
    assert!(!runner.is_finished(), "{:?}", rt.block_on(runner));
    runner.abort();
    let after = std::fs::read(device.disk()).unwrap();
    assert!(after[LAYOUT[1].0 as usize..] == before[LAYOUT[1].0 as usize..], "nothing installed");
    assert_eq!(device.boots(), (Slot::A, Slot::A));
    assert!(!part.exists(), "the download is dropped");
    let log = server.device_log(&device.id);
    assert!(log.contains("downloading") && !log.contains("installed"), "{log}");
}
