//! The published protocol (`kiosk-app/link/api/kiosk-link.openapi.yaml`) against an
//! independent tester: `tests/openapi/run-schemathesis` checks the file with
//! openapi-spec-validator, then runs Schemathesis against this package's `kiosk-pos serve`
//! (a fresh database, a device token and an admin token from the CLI). Every answer must be a
//! status the file documents, with its content type and body schema, and none a server error.
//! Schemathesis lives in `.tools/schemathesis-venv`, which `./tests/run` installs.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

#[test]
fn the_server_answers_as_its_openapi_file_says() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let venv = root.join(".tools/schemathesis-venv");
    assert!(
        venv.join("bin/st").exists(),
        "Schemathesis is not installed at {}: run ./tests/run, which installs the test peers",
        venv.display()
    );
    let started = Instant::now();
    let out = Command::new("bash")
        .arg(root.join("tests/openapi/run-schemathesis"))
        .arg(env!("CARGO_BIN_EXE_kiosk-pos"))
        .current_dir(&root)
        .output()
        .expect("tests/openapi/run-schemathesis starts");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        panic!(
            "Schemathesis found the server and its OpenAPI file apart ({}):\n{stdout}\n{stderr}",
            out.status
        );
    }
    // Schemathesis's own summary: the operations tested and the requests it generated.
    let summary: Vec<&str> = stdout
        .lines()
        .map(str::trim)
        .filter(|l| {
            l.starts_with("Selected:")
                || l.starts_with("Tested:")
                || l.contains(" generated")
                || l.starts_with("openapi conformance:")
                || l.ends_with(": OK")
        })
        .collect();
    assert!(
        summary.iter().any(|l| l.contains(" generated")),
        "no Schemathesis summary in its output:\n{stdout}\n{stderr}"
    );
    println!("schemathesis ({:.1} s):", started.elapsed().as_secs_f64());
    for line in summary {
        println!("  {line}");
    }
}
