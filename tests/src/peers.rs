//! Where the independent peer implementations live: `./tests/run` installs them into the
//! ignored `.tools/` folder (npm packages under `.tools/npm`, PyPI packages in the virtual
//! environment `.tools/venv`).

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

pub fn tools() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.tools")
}

/// A loopback port free now, for a peer server started on it.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn require(path: PathBuf, what: &str) -> PathBuf {
    assert!(
        path.exists(),
        "{what} is not installed at {}: run ./tests/run, which installs the test peers",
        path.display()
    );
    path
}

/// Runs a Node.js script with the npm peers on its module path, feeding `stdin`.
pub fn node(script: &str, args: &[&str], stdin: &[u8]) -> Output {
    let modules = require(tools().join("npm/node_modules"), "the npm peers (receiptline, receiptio)");
    run(Command::new("node").arg("-e").arg(script).arg("--").args(args).env("NODE_PATH", modules), stdin)
}

/// The receiptio command-line tool.
pub fn receiptio(args: &[&str]) -> Output {
    let cli = require(tools().join("npm/node_modules/receiptio/bin/cli.js"), "receiptio");
    run(Command::new("node").arg(cli).args(args), b"")
}

/// Runs a Python script in the peers' virtual environment.
pub fn python(script: &str, stdin: &[u8]) -> Output {
    let python = require(tools().join("venv/bin/python"), "the PyPI peers (python-escpos)");
    run(Command::new(python).arg("-c").arg(script), stdin)
}

fn run(cmd: &mut Command, stdin: &[u8]) -> Output {
    use std::io::Write;
    let mut child =
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("peer starts");
    child.stdin.take().expect("stdin").write_all(stdin).expect("write stdin");
    child.wait_with_output().expect("peer runs")
}
