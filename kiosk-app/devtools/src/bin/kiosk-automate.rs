//! `kiosk-automate --config PATH --size WxH`: `kiosk-dev automate` alone, without the demo,
//! the simulators and the store server linked in. The browser comparison builds it with the
//! firmware's own profile (`--profile device`), so the memory and code it measures are the
//! device's, not a developer tool's.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1));
    let (Some(config), Some(size)) = (value("--config"), value("--size")) else {
        eprintln!("usage: kiosk-automate --config PATH --size WIDTHxHEIGHT");
        return ExitCode::from(2);
    };
    let level = std::env::var("KIOSK_LOG").ok().and_then(|l| l.parse().ok()).unwrap_or(tracing::Level::INFO);
    tracing_subscriber::fmt().with_max_level(level).with_writer(std::io::stderr).init();
    match kiosk_dev::automate::start(std::path::Path::new(config), size) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is::<kiosk_dev::automate::Invalid>() => ExitCode::from(2),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
