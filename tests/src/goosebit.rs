//! goosebit (PyPI `goosebit`, a small independent implementation of Eclipse hawkBit's DDI
//! API) as the rollout server of the fleet tests: started on 127.0.0.1 with its database
//! and artifacts in a temporary directory, and driven through its management API as a
//! chain's operator would. `./tests/run` installs it in `.tools/goosebit`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::peers::tools;

pub struct Goosebit {
    pub port: u16,
    child: Child,
    token: String,
    dir: tempfile::TempDir,
}

impl Drop for Goosebit {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn bin(name: &str) -> PathBuf {
    let path = tools().join("goosebit/bin").join(name);
    assert!(
        path.exists(),
        "{} is missing: run ./tests/run, which installs the goosebit peer",
        path.display()
    );
    path
}

/// One HTTP/1.1 exchange on its own connection: (status, body).
pub fn http(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n").expect("an HTTP answer");
    let head = String::from_utf8_lossy(&answer[..split]).into_owned();
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    assert!(!head.to_ascii_lowercase().contains("transfer-encoding: chunked"), "chunked answer: {head}");
    (status, answer[split + 4..].to_vec())
}

impl Goosebit {
    /// Migrates a fresh database, starts the server with `poll` (`HH:MM:SS`) as the
    /// devices' polling interval and makes its first user; returns once it answers.
    pub fn start(poll: &str) -> Goosebit {
        let dir = tempfile::tempdir().unwrap();
        let w = dir.path();
        let site = Command::new(bin("python"))
            .args(["-c", "import goosebit, os; print(os.path.dirname(goosebit.__file__))"])
            .output()
            .unwrap();
        let site = String::from_utf8_lossy(&site.stdout).trim().to_owned();
        std::fs::write(
            w.join("pyproject.toml"),
            format!("[tool.aerich]\ntortoise_orm = \"goosebit.db.config.TORTOISE_CONF\"\nlocation = \"{site}/db/migrations\"\nsrc_folder = \"./.\"\n"),
        )
        .unwrap();
        let env = |cmd: &mut Command| {
            cmd.current_dir(w)
                .env("GOOSEBIT_DB_URI", format!("sqlite://{}/db.sqlite3", w.display()))
                .env("GOOSEBIT_ARTIFACTS_DIR", w.join("artifacts"))
                .env("GOOSEBIT_SECRET_KEY", "fleet-test-secret-key-0123456789")
                .env("GOOSEBIT_POLL_TIME", poll);
        };
        let mut migrate = Command::new(bin("aerich"));
        migrate.arg("-c").arg(w.join("pyproject.toml")).arg("upgrade");
        env(&mut migrate);
        let out = migrate.output().unwrap();
        assert!(out.status.success(), "aerich upgrade: {}", String::from_utf8_lossy(&out.stderr));

        let port = crate::peers::free_port();
        let mut serve = Command::new(bin("uvicorn"));
        serve.args(["goosebit:app", "--host", "127.0.0.1", "--port", &port.to_string()]);
        env(&mut serve);
        let log = std::fs::File::create(w.join("server.log")).unwrap();
        let child =
            serve.stdout(Stdio::from(log.try_clone().unwrap())).stderr(Stdio::from(log)).spawn().unwrap();
        let mut server = Goosebit { port, child, token: String::new(), dir };
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "goosebit did not answer on port {port}: {}",
                server.server_log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let form = [("Content-Type", "application/x-www-form-urlencoded")];
        let credentials = b"username=fleet%40example.com&password=operator-pass";
        let (status, body) = http(port, "POST", "/setup", &form, credentials);
        assert_eq!(status, 200, "goosebit /setup: {}", String::from_utf8_lossy(&body));
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        server.token = json["access_token"].as_str().unwrap().to_owned();
        server
    }

    /// The server's process (for its CPU time).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn server_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    fn api(&self, method: &str, path: &str, json: Option<serde_json::Value>) -> serde_json::Value {
        let auth = format!("Bearer {}", self.token);
        let body = json.map(|j| j.to_string()).unwrap_or_default();
        let headers = [("Authorization", auth.as_str()), ("Content-Type", "application/json")];
        let (status, answer) = http(self.port, method, path, &headers, body.as_bytes());
        assert_eq!(status, 200, "goosebit {method} {path}: {}", String::from_utf8_lossy(&answer));
        serde_json::from_slice(&answer).unwrap_or(serde_json::Value::Null)
    }

    /// Uploads a bundle as software; returns its id. goosebit reads version and
    /// compatibility from the bundle's own manifest.
    pub fn upload(&self, bundle: &Path) -> u64 {
        let boundary = "fleet-test-boundary-7d1c";
        let name = bundle.file_name().unwrap().to_string_lossy();
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .into_bytes();
        body.extend(std::fs::read(bundle).unwrap());
        body.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
        let auth = format!("Bearer {}", self.token);
        let kind = format!("multipart/form-data; boundary={boundary}");
        let headers = [("Authorization", auth.as_str()), ("Content-Type", kind.as_str())];
        let (status, answer) = http(self.port, "PUT", "/api/v1/software", &headers, &body);
        if status != 200 {
            let log = self.server_log();
            let tail = &log[log.len().saturating_sub(3000)..];
            panic!(
                "uploading {}: HTTP {status} {}\n{tail}",
                bundle.display(),
                String::from_utf8_lossy(&answer)
            );
        }
        serde_json::from_slice::<serde_json::Value>(&answer).unwrap()["id"].as_u64().unwrap()
    }

    /// Assigns software to a device that has polled.
    pub fn assign(&self, device: &str, software: u64) {
        self.api(
            "PATCH",
            "/api/v1/devices",
            Some(serde_json::json!({"devices": [device], "software": software.to_string()})),
        );
    }

    /// Assigns software to devices that have polled, in one call (a rollout's wave).
    pub fn assign_all(&self, devices: &[String], software: u64) {
        self.api(
            "PATCH",
            "/api/v1/devices",
            Some(serde_json::json!({"devices": devices, "software": software.to_string()})),
        );
    }

    /// Every device the server knows, as its device list shows them.
    pub fn devices(&self) -> Vec<serde_json::Value> {
        self.api("GET", "/api/v1/devices", None)["devices"].as_array().cloned().unwrap_or_default()
    }

    /// Takes the device off updates (goosebit's way to withdraw a deployment).
    pub fn pin(&self, device: &str) {
        self.api("PATCH", "/api/v1/devices", Some(serde_json::json!({"devices": [device], "pinned": true})));
    }

    /// The device as the server's device list shows it, once it has polled.
    pub fn device(&self, id: &str) -> Option<serde_json::Value> {
        let list = self.api("GET", "/api/v1/devices", None);
        list["devices"].as_array()?.iter().find(|d| d["id"] == id).cloned()
    }

    /// What the device reported, as the server keeps it.
    pub fn device_log(&self, id: &str) -> String {
        self.api("GET", &format!("/api/v1/devices/{id}/log"), None)["log"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Waits until `check` holds for the device, up to `limit`.
    pub fn wait_for(
        &self,
        id: &str,
        limit: Duration,
        check: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(d) = self.device(id).filter(|d| check(d)) {
                return d;
            }
            assert!(
                Instant::now() < deadline,
                "device {id} never got there: {:?}\n{}",
                self.device(id),
                self.server_log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}
