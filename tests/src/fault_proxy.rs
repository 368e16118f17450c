//! A TCP fault proxy between a device and its POS: forwards bytes both ways and, per
//! request, drops it, delays it, sends it to the server twice, or resets the connection
//! after the server has it (the ambiguous case). It can also be "down" (every connection
//! is cut at once), like a LAN outage or a POS that is off.
//!
//! Faults act on each chunk the device writes; on loopback a small HTTP request arrives as
//! one chunk, which is what the order tests send.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

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

#[derive(Clone)]
pub struct FaultProxy {
    pub addr: SocketAddr,
    upstream: Arc<Mutex<SocketAddr>>,
    down: Arc<AtomicBool>,
    faults: Arc<Mutex<Faults>>,
    rng: Arc<Mutex<StdRng>>,
    pub counts: Arc<Counts>,
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
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy = FaultProxy {
            addr: listener.local_addr().unwrap(),
            upstream: Arc::new(Mutex::new(upstream)),
            down: Arc::new(AtomicBool::new(false)),
            faults: Arc::new(Mutex::new(Faults::default())),
            rng: Arc::new(Mutex::new(StdRng::seed_from_u64(seed))),
            counts: Arc::new(Counts::default()),
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
            if self.down.load(Ordering::SeqCst) {
                self.counts.refused.fetch_add(1, Ordering::Relaxed);
                break;
            }
            let chunk = buf[..n].to_vec();
            match self.fate() {
                Fate::Forward => {}
                Fate::Drop => {
                    self.counts.dropped.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                Fate::ResetAfter => {
                    self.counts.reset_after.fetch_add(1, Ordering::Relaxed);
                    swallow.store(true, Ordering::SeqCst);
                    if server_write.write_all(&chunk).await.is_ok() {
                        // The server has the request; wait until it answers, then cut.
                        let _ = tokio::time::timeout(Duration::from_secs(10), &mut back).await;
                    }
                    break;
                }
                Fate::Duplicate => {
                    self.counts.duplicated.fetch_add(1, Ordering::Relaxed);
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
                    tokio::time::sleep(d).await;
                }
            }
            if server_write.write_all(&chunk).await.is_err() {
                break;
            }
            self.counts.forwarded.fetch_add(1, Ordering::Relaxed);
        }
        back.abort();
    }
}
