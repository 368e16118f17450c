//! A headless Chromium for the console tests (`tests/console/browser.cjs` over playwright),
//! driven one command at a time. Chromium, playwright-core and axe-core are installed by
//! `tests/run`.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::{Value, json};

pub struct Browser {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().expect("the workspace")
}

/// What a page's accessibility check found: the violations axe-core calls serious or
/// critical.
#[derive(Debug)]
pub struct Axe {
    pub serious: Vec<String>,
    pub passes: u64,
}

impl Browser {
    pub fn start() -> Browser {
        let root = root();
        let chromium = std::env::var("KIOSK_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        assert!(
            Path::new(&chromium).exists(),
            "{chromium} is missing: ./tests/run installs Debian's chromium"
        );
        let modules = root.join(".tools/npm/node_modules");
        for m in ["playwright-core", "axe-core"] {
            assert!(modules.join(m).exists(), "{m} is missing from .tools/npm: ./tests/run installs it");
        }
        let mut child = Command::new("node")
            .arg(root.join("tests/console/browser.cjs"))
            .env("NODE_PATH", &modules)
            .env("KIOSK_CHROMIUM", chromium)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("node runs");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Browser { child, stdin, stdout }
    }

    /// Sends a command; the answer's fields, or a panic with what went wrong.
    pub fn send(&mut self, command: Value) -> Value {
        writeln!(self.stdin, "{command}").expect("the browser is running");
        self.stdin.flush().unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("the browser answers");
        let answer: Value =
            serde_json::from_str(&line).unwrap_or_else(|_| panic!("the browser said {line:?}"));
        assert!(answer["ok"] == json!(true), "{command} failed: {answer}");
        answer
    }

    /// Like [`send`], but a failure is returned, not a panic.
    pub fn try_send(&mut self, command: Value) -> Result<Value, String> {
        writeln!(self.stdin, "{command}").expect("the browser is running");
        self.stdin.flush().unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("the browser answers");
        let answer: Value = serde_json::from_str(&line).map_err(|_| line.clone())?;
        if answer["ok"] == json!(true) { Ok(answer) } else { Err(answer["error"].to_string()) }
    }

    /// A new page of its own (its own cookies), in Korean.
    pub fn page(&mut self, id: &str, width: u32, height: u32) {
        self.page_in(id, width, height, "ko-KR");
    }

    /// A new page whose browser asks for `locale` (the console follows Accept-Language).
    pub fn page_in(&mut self, id: &str, width: u32, height: u32, locale: &str) {
        self.send(json!({"op": "new", "id": id, "width": width, "height": height, "locale": locale}));
    }

    /// Opens `url`; the HTTP status.
    pub fn goto(&mut self, id: &str, url: &str) -> u64 {
        self.send(json!({"op": "goto", "id": id, "url": url}))["status"].as_u64().unwrap_or(0)
    }

    pub fn fill(&mut self, id: &str, selector: &str, value: &str) {
        self.send(json!({"op": "fill", "id": id, "selector": selector, "value": value}));
    }

    /// Chooses `path` in a file input.
    pub fn upload(&mut self, id: &str, selector: &str, path: &std::path::Path) {
        self.send(json!({"op": "upload", "id": id, "selector": selector, "path": path}));
    }

    /// Clicks, and waits for the page it leads to; its status (0 when it stayed).
    pub fn click(&mut self, id: &str, selector: &str) -> u64 {
        self.send(json!({"op": "click", "id": id, "selector": selector}))["status"].as_u64().unwrap_or(0)
    }

    pub fn text(&mut self, id: &str, selector: &str) -> String {
        self.send(json!({"op": "text", "id": id, "selector": selector}))["text"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    pub fn count(&mut self, id: &str, selector: &str) -> u64 {
        self.send(json!({"op": "count", "id": id, "selector": selector}))["count"].as_u64().unwrap_or(0)
    }

    pub fn attr(&mut self, id: &str, selector: &str, name: &str) -> Option<String> {
        self.send(json!({"op": "attr", "id": id, "selector": selector, "name": name}))["value"]
            .as_str()
            .map(str::to_owned)
    }

    /// Waits until `selector` shows `text`; how long it took (ms), or what went wrong.
    pub fn wait_for(
        &mut self,
        id: &str,
        selector: &str,
        text: Option<&str>,
        timeout_ms: u64,
    ) -> Result<u64, String> {
        let mut c = json!({"op": "wait", "id": id, "selector": selector, "timeout": timeout_ms});
        if let Some(t) = text {
            c["text"] = json!(t);
        }
        self.try_send(c).map(|a| a["ms"].as_u64().unwrap_or(0))
    }

    pub fn eval(&mut self, id: &str, js: &str) -> Value {
        self.send(json!({"op": "eval", "id": id, "js": js}))["value"].clone()
    }

    /// A form post from inside the page (with its cookies, without its CSRF token unless
    /// given): the status.
    pub fn post(&mut self, id: &str, url: &str, form: Value) -> u64 {
        self.send(json!({"op": "post", "id": id, "url": url, "form": form}))["status"].as_u64().unwrap_or(0)
    }

    pub fn axe(&mut self, id: &str) -> Axe {
        let a = self.send(json!({"op": "axe", "id": id}));
        let serious = a["violations"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .map(|v| format!("{} ({}): {} at {}", v["id"], v["impact"], v["help"], v["nodes"]))
            .collect();
        Axe { serious, passes: a["passes"].as_u64().unwrap_or(0) }
    }

    pub fn shot(&mut self, id: &str, path: &Path, full: bool) {
        self.send(json!({"op": "shot", "id": id, "path": path, "full": full}));
    }

    pub fn viewport(&mut self, id: &str, width: u32, height: u32) {
        self.send(json!({"op": "viewport", "id": id, "width": width, "height": height}));
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
