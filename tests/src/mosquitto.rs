//! Mosquitto (Debian's `mosquitto`, installed by `./tests/run`) as a chain's MQTT broker for
//! the telemetry tests: on 127.0.0.1, a plain and a TLS listener, no anonymous clients, a
//! password file made with `mosquitto_passwd` and an ACL that lets each device write only
//! its own topics; persistent, so a restart keeps retained messages and sessions. A
//! subscriber (rumqttc, with a persistent session) records everything under `kiosk/#`.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::peers::free_port;

/// The broker's account that reads every device's telemetry.
pub const OPERATOR: (&str, &str) = ("operator", "operator-secret");

pub struct Mosquitto {
    pub dir: tempfile::TempDir,
    pub port: u16,
    pub tls_port: u16,
    /// The TLS listener's certificate fingerprint, for `tls_pin_sha256`.
    pub pin: String,
    child: Option<Child>,
}

impl Mosquitto {
    /// A broker for these devices: (user, password, the topic prefix it may write).
    pub fn start(devices: &[(&str, &str, &str)]) -> Mosquitto {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let passwd = d.join("passwd");
        let mut plain = String::new();
        let mut acl = format!("user {}\ntopic read kiosk/#\n", OPERATOR.0);
        for (user, password, prefix) in devices.iter().copied().chain([(OPERATOR.0, OPERATOR.1, "")]) {
            plain.push_str(&format!("{user}:{password}\n"));
            if !prefix.is_empty() {
                acl.push_str(&format!("\nuser {user}\ntopic write {prefix}/#\n"));
            }
        }
        // Plain `user:password` lines, hashed in place by `mosquitto_passwd -U`.
        std::fs::write(&passwd, plain).unwrap();
        let out = Command::new("mosquitto_passwd").arg("-U").arg(&passwd).output();
        let out = out.expect("mosquitto_passwd (Debian's mosquitto package; ./tests/run installs it)");
        assert!(out.status.success(), "mosquitto_passwd: {}", String::from_utf8_lossy(&out.stderr));
        std::fs::write(d.join("acl"), acl).unwrap();
        let (cert, key, pin) = kiosk_link::tls::self_signed(&["127.0.0.1".to_owned()]).unwrap();
        std::fs::write(d.join("cert.pem"), cert).unwrap();
        std::fs::write(d.join("key.pem"), key).unwrap();
        let (port, tls_port) = (free_port(), free_port());
        let conf = format!(
            "user root\npersistence true\npersistence_location {dir}/\nallow_anonymous false\npassword_file {dir}/passwd\nacl_file {dir}/acl\nlog_dest file {dir}/mosquitto.log\nlog_type all\nlistener {port} 127.0.0.1\nlistener {tls_port} 127.0.0.1\ncertfile {dir}/cert.pem\nkeyfile {dir}/key.pem\n",
            dir = d.display()
        );
        std::fs::write(d.join("mosquitto.conf"), conf).unwrap();
        let mut broker = Mosquitto { dir, port, tls_port, pin, child: None };
        broker.run();
        broker
    }

    fn run(&mut self) {
        let child = Command::new("mosquitto")
            .arg("-c")
            .arg(self.dir.path().join("mosquitto.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mosquitto (Debian's package; ./tests/run installs it)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while [self.port, self.tls_port].iter().any(|p| TcpStream::connect(("127.0.0.1", *p)).is_err()) {
            assert!(Instant::now() < deadline, "mosquitto did not listen: {}", self.log());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the broker as a service stop would (SIGTERM: it saves its database).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same ports.
    pub fn restart(&mut self) {
        self.stop();
        self.run();
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("mosquitto.log")).unwrap_or_default()
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A message as the operator's subscriber received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub topic: String,
    pub payload: String,
    pub retain: bool,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.payload)
            .unwrap_or_else(|e| panic!("{}: {e}: {}", self.topic, self.payload))
    }
}

/// The operator's view: every message under `kiosk/#`, QoS 1, with a persistent session so
/// what arrives while it reconnects is kept for it.
pub struct Subscriber {
    pub received: Arc<Mutex<Vec<Received>>>,
    _runtime: tokio::runtime::Runtime,
}

impl Subscriber {
    pub fn start(port: u16) -> Subscriber {
        Subscriber::new(port, "operator-watch", false)
    }

    /// What the broker retains now, as a dashboard opened now would get it: a new session's
    /// subscription, a moment after the broker acknowledged it.
    pub fn retained(port: u16) -> Vec<Received> {
        let fresh = Subscriber::new(port, &format!("operator-glance-{}", rand::random::<u32>()), true);
        std::thread::sleep(Duration::from_millis(500));
        fresh.all().into_iter().filter(|m| m.retain).collect()
    }

    fn new(port: u16, client_id: &str, clean: bool) -> Subscriber {
        use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
        let received = Arc::new(Mutex::new(Vec::new()));
        let mut options = MqttOptions::new(client_id, "127.0.0.1", port);
        options.set_credentials(OPERATOR.0, OPERATOR.1).set_clean_session(clean);
        let (client, mut connection) = AsyncClient::new(options, 10);
        let (subscribed_tx, subscribed) = std::sync::mpsc::channel();
        let log = received.clone();
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        runtime.spawn(async move {
            let mut told = false;
            loop {
                match connection.poll().await {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        let _ = client.subscribe("kiosk/#", QoS::AtLeastOnce).await;
                    }
                    Ok(Event::Incoming(Packet::SubAck(_))) if !told => {
                        told = true;
                        let _ = subscribed_tx.send(());
                    }
                    Ok(Event::Incoming(Packet::Publish(p))) => log.lock().unwrap().push(Received {
                        topic: p.topic.clone(),
                        payload: String::from_utf8_lossy(&p.payload).into_owned(),
                        retain: p.retain,
                    }),
                    Ok(_) => {}
                    Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            }
        });
        subscribed.recv_timeout(Duration::from_secs(10)).expect("the operator's subscriber is on");
        Subscriber { received, _runtime: runtime }
    }

    pub fn all(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits up to `within` for a message `pred` accepts; returns it.
    pub fn wait_for(&self, within: Duration, what: &str, pred: impl Fn(&Received) -> bool) -> Received {
        let deadline = Instant::now() + within;
        loop {
            if let Some(m) = self.all().into_iter().find(|m| pred(m)) {
                return m;
            }
            assert!(
                Instant::now() < deadline,
                "no {what} within {within:?}; received: {:#?}",
                self.all().iter().map(|m| format!("{} {}", m.topic, m.payload)).collect::<Vec<_>>()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Checks every message against `docs/telemetry.schema.json` with the reference JSON Schema
/// implementation (Python's `jsonschema`, from the schemathesis peer's venv): an independent
/// reading of the schema. Returns the problems, one line each.
pub fn schema_problems(messages: &[Received]) -> Vec<String> {
    let python = crate::peers::tools().join("schemathesis-venv/bin/python");
    assert!(python.exists(), "{} is missing: run ./tests/run", python.display());
    let schema = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/telemetry.schema.json");
    let lines: Vec<String> = messages
        .iter()
        .map(|m| serde_json::json!({ "topic": m.topic, "message": m.json() }).to_string())
        .collect();
    let input = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(input.path(), lines.join("\n")).unwrap();
    let script = r##"
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
for line in open(sys.argv[2]):
    m = json.loads(line)
    kind = m["topic"].rsplit("/", 1)[1]
    sub = {"status": "#/$defs/status", "state": "#/$defs/state", "events": "#/$defs/event"}.get(kind)
    if sub is None:
        print(m["topic"] + ": not a documented topic")
        continue
    v = jsonschema.Draft202012Validator({"$ref": sub, "$defs": schema["$defs"]})
    for e in v.iter_errors(m["message"]):
        print(m["topic"] + ": " + e.message + " at " + "/".join(map(str, e.absolute_path)))
"##;
    let out = Command::new(&python).arg("-c").arg(script).arg(&schema).arg(input.path()).output().unwrap();
    assert!(out.status.success(), "the schema check: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().map(str::to_owned).collect()
}

/// A TCP proxy in front of the broker that can swallow what the device sends (its
/// publishes reach nobody and are never acknowledged, as on a link that died silently) and
/// cut every connection through it.
pub struct SwallowingProxy {
    pub port: u16,
    swallow: Arc<std::sync::atomic::AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl SwallowingProxy {
    pub fn start(broker: u16) -> SwallowingProxy {
        use std::sync::atomic::{AtomicBool, Ordering};
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let swallow = Arc::new(AtomicBool::new(false));
        let open = Arc::new(Mutex::new(Vec::new()));
        let (s, o) = (swallow.clone(), open.clone());
        std::thread::spawn(move || {
            for device in listener.incoming() {
                let Ok(device) = device else { return };
                let Ok(server) = TcpStream::connect(("127.0.0.1", broker)) else { continue };
                o.lock().unwrap().extend([device.try_clone().unwrap(), server.try_clone().unwrap()]);
                let pipe = |mut from: TcpStream, mut to: TcpStream, swallow: Option<Arc<AtomicBool>>| {
                    std::thread::spawn(move || {
                        use std::io::{Read, Write};
                        let mut buf = [0u8; 4096];
                        while let Ok(n) = from.read(&mut buf) {
                            if n == 0 {
                                break;
                            }
                            if swallow.as_ref().is_some_and(|s| s.load(Ordering::SeqCst)) {
                                continue;
                            }
                            if to.write_all(&buf[..n]).is_err() {
                                break;
                            }
                        }
                        let _ = to.shutdown(std::net::Shutdown::Both);
                    });
                };
                pipe(device.try_clone().unwrap(), server.try_clone().unwrap(), Some(s.clone()));
                pipe(server, device, None);
            }
        });
        SwallowingProxy { port, swallow, open }
    }

    pub fn swallow(&self, on: bool) {
        self.swallow.store(on, std::sync::atomic::Ordering::SeqCst);
    }

    /// Cuts every connection through the proxy.
    pub fn cut(&self) {
        for stream in self.open.lock().unwrap().drain(..) {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }
}
