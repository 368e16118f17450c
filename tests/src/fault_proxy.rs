//! A TCP fault proxy between a device and its POS: forwards bytes both ways and, per
//! request, drops it, delays it, sends it to the server twice, or resets the connection
//! after the server has it (the ambiguous case). It can also be "down" (every connection
//! is cut at once), like a LAN outage or a POS that is off.
//!
//! Faults act on each chunk the device writes; on loopback a small HTTP request arrives as
//! one chunk, which is what the order tests send.
//!
//! The proxy also keeps its own log of every order submission it sees ([`Attempt`]): which
//! order, when, what fault it met and whether its answer reached the device. That log is the
//! independent record the audits count re-sends against: a device may send an order again
//! only when a fault (or a kill of the device) could have kept the first answer from it.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Chances per request, in percent.
#[derive(Debug, Clone, Copy, Default)]
pub struct Faults {
    /// Close the connection without forwarding: the server never sees it.
    pub drop: u32,
    /// Forward, let the server answer, then reset the device's connection: the server has
    /// it, the device does not know.
    pub reset_after: u32,
    /// Forward twice (the second copy on its own connection; its answer is discarded).
    pub duplicate: u32,
    /// Hold the request for `delay` before forwarding.
    pub delay: u32,
    pub delay_for: Duration,
}

#[derive(Debug, Default)]
pub struct Counts {
    pub forwarded: AtomicU64,
    pub dropped: AtomicU64,
    pub reset_after: AtomicU64,
    pub duplicated: AtomicU64,
    pub delayed: AtomicU64,
    pub refused: AtomicU64,
}

impl Counts {
    pub fn summary(&self) -> String {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        format!(
            "{} forwarded, {} dropped, {} reset after the server had them, {} duplicated, {} delayed, {} refused while down",
            g(&self.forwarded),
            g(&self.dropped),
            g(&self.reset_after),
            g(&self.duplicated),
            g(&self.delayed),
            g(&self.refused)
        )
    }
}

/// One submission of an order (or a refund) as the proxy saw it pass.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// What was submitted: `order <uuid>`, `refund <uuid>`, or what the test's classifier says.
    pub key: String,
    /// The bearer token it was sent with (which device sent it).
    pub token: String,
    pub at: Instant,
    /// The fault the proxy gave it, if any (`drop`, `reset`, `duplicate`, `delay`, `down`).
    pub fault: Option<&'static str>,
    /// How long after it was sent the server's answer was passed on to the device; `None`
    /// when no answer went back (cut, dropped, the server went away).
    pub answered_after: Option<Duration>,
    /// Copies the server received: 1 normally, 2 with the `duplicate` fault, 0 when dropped.
    pub copies_to_server: u32,
}

/// Finds the key of a request the log should keep (`None` for others).
pub type Classifier = fn(&[u8]) -> Option<String>;

/// Kiosk link submissions: `POST /v1/orders` (the order's id from the body) and
/// `POST /v1/orders/{id}/refunds`.
pub fn kiosk_link_submissions(request: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(request).ok()?;
    let line = text.lines().next()?;
    let mut parts = line.split(' ');
    let (method, path) = (parts.next()?, parts.next()?);
    if method != "POST" {
        return None;
    }
    if path.ends_with("/v1/orders") {
        let body = &text[text.find("\r\n\r\n")? + 4..];
        let v: serde_json::Value = serde_json::from_str(body).ok()?;
        return Some(format!("order {}", v["order"]["id"].as_str()?));
    }
    let rest = path.rsplit_once("/v1/orders/")?.1;
    let id = rest.strip_suffix("/refunds")?;
    Some(format!("refund {id}"))
}

#[derive(Clone)]
pub struct FaultProxy {
    pub addr: SocketAddr,
    upstream: Arc<Mutex<SocketAddr>>,
    down: Arc<AtomicBool>,
    faults: Arc<Mutex<Faults>>,
    rng: Arc<Mutex<StdRng>>,
    pub counts: Arc<Counts>,
    log: Arc<Mutex<Vec<Attempt>>>,
    classify: Classifier,
}

enum Fate {
    Forward,
    Drop,
    ResetAfter,
    Duplicate,
    Delay(Duration),
}

impl FaultProxy {
    pub async fn start(upstream: SocketAddr, seed: u64) -> FaultProxy {
        FaultProxy::start_logging(upstream, seed, kiosk_link_submissions).await
    }

    /// A proxy whose log keeps the requests `classify` names.
    pub async fn start_logging(upstream: SocketAddr, seed: u64, classify: Classifier) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy = FaultProxy {
            addr: listener.local_addr().unwrap(),
            upstream: Arc::new(Mutex::new(upstream)),
            down: Arc::new(AtomicBool::new(false)),
            faults: Arc::new(Mutex::new(Faults::default())),
            rng: Arc::new(Mutex::new(StdRng::seed_from_u64(seed))),
            counts: Arc::new(Counts::default()),
            log: Arc::new(Mutex::new(Vec::new())),
            classify,
        };
        let p = proxy.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let p = p.clone();
                tokio::spawn(async move { p.serve(client).await });
            }
        });
        proxy
    }

    /// The LAN switch, for a thread that cuts and restores it at random.
    pub fn down_switch(&self) -> Arc<AtomicBool> {
        self.down.clone()
    }

    /// Down: every connection (new or open) is cut.
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    pub fn set_faults(&self, faults: Faults) {
        *self.faults.lock().unwrap() = faults;
    }

    /// Points the proxy at a restarted server.
    pub fn set_upstream(&self, addr: SocketAddr) {
        *self.upstream.lock().unwrap() = addr;
    }

    /// Every logged submission so far, in the order they arrived.
    pub fn attempts(&self) -> Vec<Attempt> {
        self.log.lock().unwrap().clone()
    }

    fn record(&self, chunk: &[u8]) -> Option<usize> {
        let key = (self.classify)(chunk)?;
        let text = String::from_utf8_lossy(chunk);
        let token = text
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("authorization")
                    .then(|| value.trim().trim_start_matches("Bearer ").to_owned())
            })
            .unwrap_or_default();
        let mut log = self.log.lock().unwrap();
        log.push(Attempt {
            key,
            token,
            at: Instant::now(),
            fault: None,
            answered_after: None,
            copies_to_server: 1,
        });
        Some(log.len() - 1)
    }

    fn update(&self, entry: Option<usize>, f: impl FnOnce(&mut Attempt)) {
        if let Some(i) = entry {
            f(&mut self.log.lock().unwrap()[i]);
        }
    }

    fn fate(&self) -> Fate {
        let f = *self.faults.lock().unwrap();
        let roll = self.rng.lock().unwrap().random_range(0..100u32);
        let mut edge = f.drop;
        if roll < edge {
            return Fate::Drop;
        }
        edge += f.reset_after;
        if roll < edge {
            return Fate::ResetAfter;
        }
        edge += f.duplicate;
        if roll < edge {
            return Fate::Duplicate;
        }
        edge += f.delay;
        if roll < edge {
            return Fate::Delay(f.delay_for);
        }
        Fate::Forward
    }

    async fn serve(&self, client: TcpStream) {
        if self.down.load(Ordering::SeqCst) {
            self.counts.refused.fetch_add(1, Ordering::Relaxed);
            return; // dropped: the device sees the connection close at once
        }
        let upstream_addr = *self.upstream.lock().unwrap();
        let Ok(server) = TcpStream::connect(upstream_addr).await else { return };
        client.set_nodelay(true).ok();
        server.set_nodelay(true).ok();
        let (mut client_read, mut client_write) = client.into_split();
        let (mut server_read, mut server_write) = server.into_split();
        // Set when the server's next answer must be swallowed and the device cut off.
        let swallow = Arc::new(AtomicBool::new(false));
        let back_swallow = swallow.clone();
        // The logged request waiting for its answer on this connection (HTTP/1.1: one at a time).
        let waiting: Arc<Mutex<Option<usize>>> = Arc::new(Mutex::new(None));
        let back_waiting = waiting.clone();
        let me = self.clone();
        // Server → device.
        let mut back = tokio::spawn(async move {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                match server_read.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) if back_swallow.load(Ordering::SeqCst) => return, // dropping closes the device's side
                    Ok(n) => {
                        if client_write.write_all(&buf[..n]).await.is_err() {
                            return;
                        }
                        let answered = back_waiting.lock().unwrap().take();
                        me.update(answered, |a| a.answered_after = Some(a.at.elapsed()));
                    }
                }
            }
        });
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = tokio::select! {
                read = client_read.read(&mut buf) => match read {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                },
                _ = &mut back => break,
            };
            let chunk = buf[..n].to_vec();
            let entry = self.record(&chunk);
            if entry.is_some() {
                *waiting.lock().unwrap() = entry;
            }
            if self.down.load(Ordering::SeqCst) {
                self.counts.refused.fetch_add(1, Ordering::Relaxed);
                self.update(entry, |a| (a.fault, a.copies_to_server) = (Some("down"), 0));
                break;
            }
            match self.fate() {
                Fate::Forward => {}
                Fate::Drop => {
                    self.counts.dropped.fetch_add(1, Ordering::Relaxed);
                    self.update(entry, |a| (a.fault, a.copies_to_server) = (Some("drop"), 0));
                    break;
                }
                Fate::ResetAfter => {
                    self.counts.reset_after.fetch_add(1, Ordering::Relaxed);
                    self.update(entry, |a| a.fault = Some("reset"));
                    swallow.store(true, Ordering::SeqCst);
                    if server_write.write_all(&chunk).await.is_ok() {
                        // The server has the request; wait until it answers, then cut.
                        let _ = tokio::time::timeout(Duration::from_secs(10), &mut back).await;
                    }
                    break;
                }
                Fate::Duplicate => {
                    self.counts.duplicated.fetch_add(1, Ordering::Relaxed);
                    self.update(entry, |a| (a.fault, a.copies_to_server) = (Some("duplicate"), 2));
                    let copy = chunk.clone();
                    tokio::spawn(async move {
                        if let Ok(mut s) = TcpStream::connect(upstream_addr).await {
                            let _ = s.write_all(&copy).await;
                            let mut sink = vec![0u8; 64 * 1024];
                            let _ = tokio::time::timeout(Duration::from_secs(5), s.read(&mut sink)).await;
                        }
                    });
                }
                Fate::Delay(d) => {
                    self.counts.delayed.fetch_add(1, Ordering::Relaxed);
                    self.update(entry, |a| a.fault = Some("delay"));
                    tokio::time::sleep(d).await;
                }
            }
            if server_write.write_all(&chunk).await.is_err() {
                self.update(entry, |a| a.copies_to_server -= 1);
                break;
            }
            self.counts.forwarded.fetch_add(1, Ordering::Relaxed);
        }
        back.abort();
    }
}

/// What the proxy's log says about re-sends.
#[derive(Debug, Default)]
pub struct Resends {
    /// Submissions after the first, per key.
    pub resends: usize,
    /// Copies beyond the first that reached the server (re-sends and `duplicate` faults).
    pub extra_copies: BTreeMap<String, u32>,
    /// Re-sends nothing explains: the attempt before it got its answer in time, met no fault,
    /// and the device was not killed in between. A correct outbox has none.
    pub unexplained: Vec<String>,
}

/// Reads the log: a device may submit a key again only when its previous attempt met a
/// fault, got no answer within `answered_within` (the device may have timed out first), or
/// the device was killed in between (`kills`: when any device was killed).
pub fn resends(attempts: &[Attempt], kills: &[Instant], answered_within: Duration) -> Resends {
    let mut out = Resends::default();
    let mut last: BTreeMap<&str, &Attempt> = BTreeMap::new();
    for a in attempts {
        let copies = out.extra_copies.entry(a.key.clone()).or_insert(0);
        if let Some(previous) = last.insert(&a.key, a) {
            out.resends += 1;
            *copies += a.copies_to_server;
            let answered = previous.answered_after.is_some_and(|t| t <= answered_within);
            let killed = kills.iter().any(|k| *k >= previous.at && *k <= a.at);
            if previous.fault.is_none() && answered && !killed {
                out.unexplained.push(format!(
                    "{} sent again {:.0} ms after its answer came back {:.0} ms after it was sent, with no fault or kill between",
                    a.key,
                    a.at.duration_since(previous.at).as_secs_f64() * 1000.0,
                    previous.answered_after.unwrap_or_default().as_secs_f64() * 1000.0
                ));
            }
        } else {
            *copies += a.copies_to_server.saturating_sub(1);
        }
    }
    out.extra_copies.retain(|_, n| *n > 0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attempt(key: &str, at: Instant, fault: Option<&'static str>, answered_ms: Option<u64>) -> Attempt {
        Attempt {
            key: key.into(),
            token: String::new(),
            at,
            fault,
            answered_after: answered_ms.map(Duration::from_millis),
            copies_to_server: u32::from(fault != Some("drop")),
        }
    }

    #[test]
    fn a_resend_after_an_answered_attempt_is_unexplained_unless_a_fault_or_kill_came_between() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let limit = Duration::from_millis(500);
        // answered, then sent again: unexplained
        let log = [attempt("order a", ms(0), None, Some(3)), attempt("order a", ms(10), None, Some(2))];
        let r = resends(&log, &[], limit);
        assert_eq!((r.resends, r.unexplained.len()), (1, 1));
        assert_eq!(r.extra_copies.get("order a"), Some(&1));
        // ... unless the device was killed between the two
        assert!(resends(&log, &[ms(5)], limit).unexplained.is_empty());
        // dropped, reset or unanswered (or answered too late): a re-send is expected
        for first in [
            attempt("order a", ms(0), Some("drop"), None),
            attempt("order a", ms(0), Some("reset"), None),
            attempt("order a", ms(0), None, None),
            attempt("order a", ms(0), None, Some(900)),
        ] {
            let log = [first, attempt("order a", ms(1000), None, Some(2))];
            assert!(resends(&log, &[], limit).unexplained.is_empty(), "{:?}", log[0]);
        }
        // different keys are independent
        let log = [attempt("order a", ms(0), None, Some(1)), attempt("order b", ms(1), None, Some(1))];
        assert_eq!(resends(&log, &[], limit).resends, 0);
    }

    #[test]
    fn submissions_are_keyed_by_order_and_refund() {
        let order = b"POST /v1/orders HTTP/1.1\r\nauthorization: Bearer t\r\n\r\n{\"protocol\":1,\"order\":{\"id\":\"abc\",\"number\":3}}";
        assert_eq!(kiosk_link_submissions(order).as_deref(), Some("order abc"));
        let refund = b"POST /v1/orders/abc/refunds HTTP/1.1\r\n\r\n{}";
        assert_eq!(kiosk_link_submissions(refund).as_deref(), Some("refund abc"));
        assert_eq!(kiosk_link_submissions(b"GET /v1/menu HTTP/1.1\r\n\r\n"), None);
    }
}
