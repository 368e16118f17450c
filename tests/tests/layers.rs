//! The layers hold by construction: ARCHITECTURE.md's code map says, for each crate, what it
//! must not depend on, and this test holds Cargo's dependency graph to it. The rules are read
//! from the document itself, so what it says is what is checked. Every workspace crate (from
//! `cargo metadata`) must be in the code map.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().unwrap()
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    c.current_dir(root());
    c
}

/// The code map's rules: crate → what it must not depend on (`name`, or `prefix-*`).
fn rules() -> BTreeMap<String, Vec<String>> {
    let text = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let mut rules = BTreeMap::new();
    for line in text.lines().filter(|l| l.starts_with('|')) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let (Some(first), Some(last)) = (cells.first(), cells.last()) else { continue };
        if cells.len() < 3 {
            continue;
        }
        // "`kiosk-app/domain/` (`kiosk-domain`)": the package is the backticked name in brackets
        let Some(package) = first.split("(`").nth(1).and_then(|p| p.split('`').next()) else { continue };
        let forbidden: Vec<String> = last
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|t| !t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric() || "-_*".contains(c)))
            .map(str::to_owned)
            .collect();
        rules.insert(package.to_owned(), forbidden);
    }
    rules
}

/// Every package `package` builds with (normal dependencies, features as `extra` sets them),
/// by name.
fn closure(package: &str, extra: &[&str]) -> BTreeSet<String> {
    let out = cargo()
        .args(["tree", "--locked", "-p", package, "-e", "normal", "--prefix", "none", "--format", "{p}"])
        .args(extra)
        .output()
        .unwrap();
    assert!(out.status.success(), "cargo tree -p {package}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != package)
        .map(str::to_owned)
        .collect()
}

fn breaks(forbidden: &str, dep: &str) -> bool {
    match forbidden.strip_suffix('*') {
        Some(prefix) => dep.starts_with(prefix),
        None => dep == forbidden,
    }
}

#[test]
fn no_crate_depends_on_what_the_code_map_forbids_it() {
    let rules = rules();
    let metadata =
        cargo().args(["metadata", "--locked", "--no-deps", "--format-version", "1"]).output().unwrap();
    assert!(metadata.status.success(), "{}", String::from_utf8_lossy(&metadata.stderr));
    let metadata: serde_json::Value = serde_json::from_slice(&metadata.stdout).unwrap();
    let members: BTreeSet<String> = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect();
    let unmapped: Vec<&String> = members.iter().filter(|m| !rules.contains_key(*m)).collect();
    assert!(unmapped.is_empty(), "crates missing from ARCHITECTURE.md's code map: {unmapped:?}");
    let stale: Vec<&String> = rules.keys().filter(|r| !members.contains(*r)).collect();
    assert!(stale.is_empty(), "the code map names crates the workspace does not have: {stale:?}");

    // Each crate as it is built alone, and the firmware as the device build has it.
    let mut builds: Vec<(String, Vec<&str>)> = rules.keys().map(|p| (p.clone(), vec![])).collect();
    builds.push(("kiosk-app".into(), vec!["--features", "device", "--target", "aarch64-unknown-linux-gnu"]));
    let mut problems = Vec::new();
    let mut checked = 0;
    for (package, extra) in &builds {
        let forbidden = &rules[package];
        if forbidden.is_empty() {
            continue;
        }
        let deps = closure(package, extra);
        for rule in forbidden {
            let hits: Vec<&String> = deps.iter().filter(|d| breaks(rule, d) && *d != package).collect();
            if !hits.is_empty() {
                problems.push(format!(
                    "{package} {} depends on {hits:?}, which ARCHITECTURE.md forbids (`{rule}`)",
                    extra.join(" ")
                ));
            }
            checked += 1;
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(checked > 40, "only {checked} rules were checked: is the code map's last column still read?");
    println!("{checked} rules over {} crates hold", rules.len());
}
