//! `kiosk-pos`: the store server and its database, on the command line. Exit codes: 0 ok,
//! 1 failure.

use std::process::ExitCode;

use clap::Parser;
use kiosk_store_server::cli::{PosCommand, run};

#[derive(Parser)]
#[command(name = "kiosk-pos", version, about = "The store server of the kiosk and table-order firmware")]
struct Cli {
    #[command(subcommand)]
    command: PosCommand,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = std::env::var("KIOSK_LOG").ok().and_then(|l| l.parse().ok()).unwrap_or(tracing::Level::INFO);
    tracing_subscriber::fmt().with_max_level(level).with_writer(std::io::stderr).init();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
