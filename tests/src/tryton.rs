//! A real Tryton server (trytond with sale_point and our `kiosk_order_ref` module) on
//! 127.0.0.1 with a fresh SQLite database, set up from nothing by `tests/tryton/setup_db.py`.
//! `./tests/run` installs the virtual environment in `.tools/tryton`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::peers::tools;

pub const DATABASE: &str = "kiosk";
pub const KIOSK_LOGIN: &str = "kiosk1";
pub const KIOSK_PASSWORD: &str = "kiosk-pass-1";

pub struct TrytonServer {
    pub port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for TrytonServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn bin(name: &str) -> PathBuf {
    let path = tools().join("tryton/bin").join(name);
    assert!(path.exists(), "{} is missing: run ./tests/run, which installs the Tryton peer", path.display());
    path
}

fn run(cmd: &mut Command, what: &str) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

impl TrytonServer {
    /// Creates the database, sets it up and starts trytond; returns when it answers.
    pub fn start() -> TrytonServer {
        let dir = tempfile::tempdir().unwrap();
        let port = crate::peers::free_port();
        let conf = dir.path().join("trytond.conf");
        std::fs::write(
            &conf,
            format!(
                "[database]\nuri = sqlite://\npath = {}\n[web]\nlisten = 127.0.0.1:{port}\n",
                dir.path().display()
            ),
        )
        .unwrap();
        std::fs::write(dir.path().join(format!("{DATABASE}.sqlite")), b"").unwrap();
        let passfile = dir.path().join("admin-password");
        std::fs::write(&passfile, "admin-pass-1\n").unwrap();
        let t = Instant::now();
        run(
            Command::new(bin("trytond-admin"))
                .args([
                    "-c",
                    conf.to_str().unwrap(),
                    "-d",
                    DATABASE,
                    "--all",
                    "-u",
                    "sale_point",
                    "kiosk_order_ref",
                ])
                .args(["--activate-dependencies", "--email", "admin@example.com"])
                .env("TRYTONPASSFILE", &passfile),
            "trytond-admin",
        );
        let setup = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tryton/setup_db.py");
        let made = run(
            Command::new(bin("python")).arg(setup).args([conf.to_str().unwrap(), DATABASE, KIOSK_PASSWORD]),
            "setup_db.py",
        );
        let child = Command::new(bin("trytond"))
            .args(["-c", conf.to_str().unwrap(), "-d", DATABASE])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("trytond starts");
        let server = TrytonServer { port, child, _dir: dir };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "trytond did not answer on port {port}");
            std::thread::sleep(Duration::from_millis(100));
        }
        println!(
            "tryton: database set up and server answering in {:.1} s ({})",
            t.elapsed().as_secs_f64(),
            made.trim()
        );
        server
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/{DATABASE}", self.port)
    }
}
