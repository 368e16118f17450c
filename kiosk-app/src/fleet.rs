//! `[fleet]`: the rollout agent's I/O. [`kiosk_fleet::Agent`] decides; this moves the bytes:
//! DDI requests over `kiosk_link`'s HTTP client (plain, or TLS with the pinned certificate
//! or the system's CA roots; the token only ever goes to the configured server), the
//! bundle downloaded onto the data partition and continued after a cut (`Range` with
//! `If-Range`, so a changed file starts over), `kiosk update`'s install without its
//! reboot, and the pending record. A restart
//! ends [`Fleet::run`]; the caller reboots into the trial.
//!
//! The `hawkbit` crate is not used: it requires MD5, SHA-1 and SHA-256 for every artifact
//! where goosebit sends a SHA-1 only, it brings reqwest into a binary with a hard size
//! budget, and it leaves the state machine to its caller.

use std::collections::HashMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, StatusCode};
use kiosk_config::{FleetAuth, FleetConfig};
use kiosk_fleet::Agent;
use kiosk_fleet::agent::{Boot, Command, DownloadFailure, Downloaded, Kiosk, Pending, Policy};
// Whole or not at all, as the updater writes its own records.
use kiosk_image::slots::{Status, replace_file};
use kiosk_link::http::{HttpClient, Timeouts};
use sha2::Digest as _;
use tokio::sync::watch;

use crate::update::UpdateOptions;

/// The download stalls when no byte arrives for this long: it is cut and continued later.
const STALL: Duration = Duration::from_secs(30);
const DOWNLOAD: &str = "download.raucb";
const ETAG: &str = "download.etag";
const PENDING: &str = "pending.json";

/// How a run of the agent ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    /// An update is installed and armed, the kiosk at rest: reboot into the trial.
    Restart,
}

/// This boot as the agent needs it, from what the slots said at start.
pub fn boot_of(status: Option<&Status>) -> Boot {
    match status {
        Some(Status::OnTrial { .. }) => Boot::OnTrial,
        Some(Status::Armed { .. }) => Boot::Armed,
        Some(Status::RolledBack { .. }) => Boot::RolledBack,
        Some(Status::Committed { slot }) => Boot::Committed { running: slot_char(*slot) },
        None => Boot::Unknown,
    }
}

fn slot_char(slot: kiosk_image::slots::Slot) -> char {
    slot.to_string().chars().next().unwrap_or('?')
}

/// What stays free on the data partition for the store (orders, the payment journal) and
/// the logs while a bundle downloads.
const RESERVE: u64 = 64 << 20;

/// Free bytes on the file system holding `dir`.
fn free_bytes(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: a valid C string and a zeroed struct the call fills in.
    (unsafe { libc::statvfs(path.as_ptr(), &mut stat) } == 0)
        .then(|| stat.f_bavail as u64 * stat.f_frsize as u64)
}

fn transient(reason: String) -> DownloadFailure {
    DownloadFailure { reason, permanent: false, progressed: false }
}

/// Installs a downloaded bundle: `kiosk update`'s path unless [`Fleet::with_installer`] says
/// otherwise (the fleet benchmark's simulated devices, which have no disk to write).
pub type Installer = Arc<dyn Fn(&Path) -> Result<(String, char), String> + Send + Sync>;

pub struct Fleet {
    agent: Agent,
    installer: Option<Installer>,
    /// Counts the requests made to the server (the fleet benchmark's figure).
    requests: Option<Arc<std::sync::atomic::AtomicU64>>,
    origin: String,
    auth: Option<String>,
    tls: Option<Arc<rustls::ClientConfig>>,
    clients: HashMap<String, Arc<HttpClient>>,
    work: PathBuf,
    update: UpdateOptions,
}

/// `scheme://authority` and the path with its query.
fn split_url(url: &str) -> Option<(&str, &str)> {
    let after = url.find("://")? + 3;
    match url[after..].find('/') {
        Some(i) => Some(url.split_at(after + i)),
        None => Some((url, "/")),
    }
}

fn read_pending(work: &Path) -> Option<Pending> {
    let text = std::fs::read_to_string(work.join(PENDING)).ok()?;
    Pending::from_json(&text)
        .map_err(|e| {
            tracing::error!(
                "fleet: {} is unreadable ({e}); its update is not reported",
                work.join(PENDING).display()
            )
        })
        .ok()
}

fn sums(path: &Path) -> std::io::Result<Downloaded> {
    let mut file = std::fs::File::open(path)?;
    let (mut sha1, mut sha256) = (sha1::Sha1::new(), sha2::Sha256::new());
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        sha1.update(&buf[..n]);
        sha256.update(&buf[..n]);
        size += n as u64;
    }
    let hex = kiosk_link::tls::hex;
    Ok(Downloaded { size, sha1: hex(&sha1.finalize()), sha256: hex(&sha256.finalize()) })
}

impl Fleet {
    /// `work` keeps the download and the pending record (on the data partition); `update`
    /// says where installs go and which certificate bundles must be signed with.
    pub fn new(
        config: &FleetConfig,
        version: &str,
        boot: Boot,
        work: PathBuf,
        update: UpdateOptions,
    ) -> Result<Fleet> {
        std::fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
        let base = format!("{}/{}/controller/v1/{}", config.server, config.tenant, config.controller_id);
        let policy = Policy { restart_while_open: config.restart_while_open };
        let pending = read_pending(&work);
        let agent = Agent::new(
            &base,
            kiosk_image::bundle::COMPATIBLE,
            version,
            policy,
            pending,
            boot,
            Instant::now(),
        );
        // The configuration takes a pin for an https server only.
        let tls = config
            .server
            .starts_with("https://")
            .then(|| kiosk_link::tls::client_config(config.tls_pin_sha256.as_deref()))
            .transpose()
            .context("[fleet] TLS")?;
        let auth = match &config.auth {
            FleetAuth::None => None,
            FleetAuth::Target(t) => Some(format!("TargetToken {t}")),
            FleetAuth::Gateway(g) => Some(format!("GatewayToken {g}")),
        };
        let origin = split_url(&config.server).map_or(config.server.clone(), |(o, _)| o.to_owned());
        Ok(Fleet {
            agent,
            installer: None,
            requests: None,
            origin,
            auth,
            tls,
            clients: HashMap::new(),
            work,
            update,
        })
    }

    pub fn with_installer(mut self, installer: Installer) -> Fleet {
        self.installer = Some(installer);
        self
    }

    pub fn with_request_counter(mut self, counter: Arc<std::sync::atomic::AtomicU64>) -> Fleet {
        self.requests = Some(counter);
        self
    }

    fn count_request(&self) {
        if let Some(c) = &self.requests {
            c.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }

    fn client(&mut self, origin: &str) -> Result<Arc<HttpClient>, String> {
        if let Some(c) = self.clients.get(origin) {
            return Ok(c.clone());
        }
        let timeouts = Timeouts { connect: Duration::from_secs(10), request: Duration::from_secs(30) };
        let mut client = HttpClient::new(origin, self.tls.clone(), timeouts).map_err(|e| e.to_string())?;
        // The token is the configured server's: never sent to another host (an artifact store).
        if let (Some(auth), true) = (&self.auth, origin == self.origin) {
            client = client.with_header("authorization", auth).map_err(|e| e.to_string())?;
        }
        let client = Arc::new(client);
        self.clients.insert(origin.to_owned(), client.clone());
        Ok(client)
    }

    async fn call(
        &mut self,
        method: Method,
        url: &str,
        body: Option<String>,
    ) -> Result<(u16, Vec<u8>), String> {
        let (origin, path) = split_url(url).ok_or_else(|| format!("{url:?} is not a URL"))?;
        let client = self.client(origin)?;
        self.count_request();
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        if body.is_some() {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        let answer = client
            .call(method, path, headers, body.map(Bytes::from).unwrap_or_default())
            .await
            .map_err(|e| e.to_string())?;
        Ok((answer.status.as_u16(), answer.body.to_vec()))
    }

    /// Fetches the artifact into the download file, continuing what is there when the
    /// server still serves the same file, then takes its size and sums.
    async fn download(&mut self, url: &str, size: u64) -> Result<Downloaded, DownloadFailure> {
        let (file, etag_file) = (self.work.join(DOWNLOAD), self.work.join(ETAG));
        let start = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        let result = self.fetch(url, size, &file, &etag_file, start).await;
        let now_have = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        result.map_err(|mut f| {
            f.progressed = now_have > start;
            f
        })?;
        let path = file.clone();
        tokio::task::spawn_blocking(move || sums(&path))
            .await
            .map_err(|e| transient(e.to_string()))?
            .map_err(|e| transient(e.to_string()))
    }

    async fn fetch(
        &mut self,
        url: &str,
        size: u64,
        file: &Path,
        etag_file: &Path,
        mut have: u64,
    ) -> Result<(), DownloadFailure> {
        let etag = std::fs::read_to_string(etag_file).ok();
        if have > size || (have > 0 && etag.is_none()) {
            let _ = std::fs::remove_file(file);
            have = 0;
        }
        if have < size || size == 0 {
            let needed = size - have;
            if let Some(free) = free_bytes(&self.work)
                && free < needed + RESERVE
            {
                let _ = std::fs::remove_file(file);
                return Err(DownloadFailure {
                    reason: format!(
                        "no room on the data partition: the bundle needs {} MiB more, {} MiB are free and {} MiB stay for the store",
                        needed >> 20,
                        free >> 20,
                        RESERVE >> 20
                    ),
                    permanent: true,
                    progressed: false,
                });
            }
            let (origin, path) = split_url(url).ok_or_else(|| transient(format!("{url:?} is not a URL")))?;
            let client = self.client(origin).map_err(transient)?;
            let mut headers = HeaderMap::new();
            if let (true, Some(etag)) = (have > 0, &etag) {
                let range =
                    HeaderValue::from_str(&format!("bytes={have}-")).map_err(|e| transient(e.to_string()))?;
                headers.insert(header::RANGE, range);
                if let Ok(v) = HeaderValue::from_str(etag.trim()) {
                    headers.insert(header::IF_RANGE, v);
                }
            }
            self.count_request();
            let response = client.open_stream(path, headers).await.map_err(|e| transient(e.to_string()))?;
            // A part is appended only where it was asked to start; anything else starts over.
            let continues =
                response.headers().get(header::CONTENT_RANGE).and_then(|v| v.to_str().ok()).is_some_and(
                    |r| r.strip_prefix("bytes ").is_some_and(|r| r.starts_with(&format!("{have}-"))),
                );
            let append = match response.status() {
                StatusCode::PARTIAL_CONTENT if have > 0 && continues => true,
                StatusCode::PARTIAL_CONTENT => {
                    let _ = std::fs::remove_file(file);
                    let _ = std::fs::remove_file(etag_file);
                    return Err(transient("the server sent a part from elsewhere; starting over".into()));
                }
                StatusCode::OK => false,
                other => {
                    let code = other.as_u16();
                    return Err(DownloadFailure {
                        reason: format!("the server answered the download with HTTP {code}"),
                        // The artifact gone or refused to us: asking again will not help.
                        permanent: kiosk_fleet::agent::refused_for_good(code),
                        progressed: false,
                    });
                }
            };
            match response.headers().get(header::ETAG).and_then(|v| v.to_str().ok()) {
                Some(tag) => {
                    replace_file(etag_file, tag.as_bytes(), 0o666).map_err(|e| transient(e.to_string()))?
                }
                None => {
                    let _ = std::fs::remove_file(etag_file);
                }
            }
            // Plain writes of each frame (a few KiB): tokio's file type would hop to its
            // blocking pool per write, and costs the size-bound binary kilobytes.
            let write_err = |e: std::io::Error| {
                // A full partition is not a cut: the part file goes, and so does the action.
                let full = e.raw_os_error() == Some(libc::ENOSPC);
                if full {
                    let _ = std::fs::remove_file(file);
                }
                DownloadFailure {
                    reason: format!("{}: {e}", file.display()),
                    permanent: full,
                    progressed: false,
                }
            };
            let mut out = std::fs::OpenOptions::new()
                .create(true)
                .write(true)
                .append(append)
                .truncate(!append)
                .open(file)
                .map_err(write_err)?;
            let mut written = if append { have } else { 0 };
            let mut body = response.into_body();
            loop {
                let frame = match tokio::time::timeout(STALL, body.frame()).await {
                    Err(_) => {
                        return Err(transient(format!("no byte for {STALL:?} after {written} of {size}")));
                    }
                    Ok(None) => break,
                    Ok(Some(Err(e))) => {
                        return Err(transient(format!("cut after {written} of {size} bytes: {e}")));
                    }
                    Ok(Some(Ok(frame))) => frame,
                };
                if let Ok(data) = frame.into_data() {
                    written += data.len() as u64;
                    if written > size {
                        let _ = std::fs::remove_file(file);
                        return Err(transient(format!(
                            "the server sent more than the artifact's {size} bytes"
                        )));
                    }
                    std::io::Write::write_all(&mut out, &data).map_err(write_err)?;
                }
            }
            out.sync_all().map_err(write_err)?;
            if written < size {
                return Err(transient(format!("cut after {written} of {size} bytes")));
            }
        }
        Ok(())
    }

    fn discard(&self) {
        for name in [DOWNLOAD, ETAG] {
            let _ = std::fs::remove_file(self.work.join(name));
        }
    }

    async fn install(&self) -> Result<(String, char), String> {
        if let Some(installer) = self.installer.clone() {
            let bundle = self.work.join(DOWNLOAD);
            return tokio::task::spawn_blocking(move || installer(&bundle))
                .await
                .map_err(|e| e.to_string())?;
        }
        let options =
            UpdateOptions { bundle: self.work.join(DOWNLOAD), reboot: false, ..self.update.clone() };
        tokio::task::spawn_blocking(move || crate::update::update(&options))
            .await
            .map_err(|e| e.to_string())?
            .map(|installed| (installed.version, slot_char(installed.slot)))
            .map_err(|e| format!("{e:#}"))
    }

    fn persist(&self, pending: Option<&Pending>) -> std::io::Result<()> {
        let path = self.work.join(PENDING);
        match pending {
            Some(p) => replace_file(&path, p.to_json().as_bytes(), 0o666),
            None => match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            },
        }
    }

    /// Runs the agent until it wants the device restarted into a trial. `kiosk` says
    /// whether a restart may happen now; `committed` turns true once a trial slot is
    /// committed.
    pub async fn run(
        mut self,
        mut kiosk: watch::Receiver<Kiosk>,
        mut committed: watch::Receiver<bool>,
    ) -> Result<Ended> {
        let mut told_committed = false;
        let (mut kiosk_open, mut committed_open) = (true, true);
        loop {
            for line in self.agent.take_log() {
                tracing::info!("fleet: {line}");
            }
            if !told_committed && *committed.borrow() {
                told_committed = true;
                self.agent.on_committed();
            }
            let state = *kiosk.borrow();
            let Some(command) = self.agent.next(Instant::now(), state) else {
                let until = self.agent.timeout().map(tokio::time::Instant::from_std);
                // A sender gone (the screen closing) leaves the last value standing.
                tokio::select! {
                    _ = async { match until { Some(t) => tokio::time::sleep_until(t).await, None => std::future::pending().await } } => {}
                    changed = kiosk.changed(), if kiosk_open => kiosk_open = changed.is_ok(),
                    changed = committed.changed(), if committed_open => committed_open = changed.is_ok(),
                }
                continue;
            };
            match command {
                Command::Get { url } => {
                    let answer = self.call(Method::GET, &url, None).await;
                    self.agent.on_answer(Instant::now(), answer);
                }
                Command::Put { url, body } => {
                    let answer = self.call(Method::PUT, &url, Some(body)).await;
                    self.agent.on_answer(Instant::now(), answer);
                }
                Command::Post { url, body } => {
                    let answer = self.call(Method::POST, &url, Some(body)).await;
                    self.agent.on_answer(Instant::now(), answer);
                }
                Command::Download { url, size } => {
                    let result = self.download(&url, size).await;
                    self.agent.on_downloaded(Instant::now(), result);
                }
                Command::Discard => self.discard(),
                Command::Install => {
                    let result = self.install().await;
                    self.agent.on_installed(result);
                }
                Command::Disarm => {
                    let options = self.update.clone();
                    if let Err(e) =
                        tokio::task::spawn_blocking(move || crate::update::disarm(&options)).await?
                    {
                        tracing::error!("fleet: disarming the cancelled update: {e:#}");
                    }
                }
                Command::Persist(pending) => {
                    if let Err(e) = self.persist(pending.as_ref()) {
                        tracing::error!("fleet: writing {}: {e}", self.work.join(PENDING).display());
                        if pending.is_some() {
                            self.agent.on_persist_failed(&e.to_string());
                        }
                    }
                }
                Command::Restart => return Ok(Ended::Restart),
            }
        }
    }
}

/// Starts the agent on `runtime` when the configuration has `[fleet]`: returns the senders
/// the screen (or the headless service) keeps current, whether a restart may happen now
/// and whether this boot's trial has been committed. The agent's restart reboots into the
/// trial.
pub fn spawn(
    config: &kiosk_config::Config,
    slots: Option<&Status>,
    runtime: &tokio::runtime::Handle,
) -> Option<(watch::Sender<Kiosk>, watch::Sender<bool>)> {
    let fleet = config.fleet.as_ref()?;
    let update = UpdateOptions {
        bundle: PathBuf::new(),
        keyring: PathBuf::from(crate::update::KEYRING),
        disk: None,
        boot: PathBuf::from(crate::update::BOOT_DIR),
        state: PathBuf::from(crate::update::STATE_DIR),
        reboot: false,
    };
    let version = crate::update::running_version();
    let agent = match Fleet::new(fleet, &version, boot_of(slots), config.data_dir.join("fleet"), update) {
        Ok(agent) => agent,
        Err(e) => {
            tracing::error!("fleet: not started: {e:#}");
            return None;
        }
    };
    tracing::info!("fleet: {} as {} (running {version})", fleet.server, fleet.controller_id);
    let (kiosk, kiosk_rx) = watch::channel(Kiosk::default());
    let (committed, committed_rx) = watch::channel(false);
    runtime.spawn(async move {
        match agent.run(kiosk_rx, committed_rx).await {
            Ok(Ended::Restart) => {
                if let Err(e) = crate::update::reboot_into_trial() {
                    tracing::error!("fleet: {e:#}");
                }
            }
            Err(e) => tracing::error!("fleet: stopped: {e:#}"),
        }
    });
    Some((kiosk, committed))
}
