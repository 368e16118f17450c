//! `kiosk-dev`: the demo, `automate` and the device simulators, for developers, tests and
//! installers without hardware. Never on a device. Exit codes: 0 ok, 1 failure, 2 invalid
//! input (a bad configuration file).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use kiosk_dev::sim::{PrinterArgs, ScannerArgs, TerminalArgs};

#[derive(Parser)]
#[command(name = "kiosk-dev", version, about = "Developer tools of the kiosk and table-order firmware")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The demo: a kiosk and a table tablet with simulated devices and an in-process store
    /// server. Without a display, or with --headless, runs a scripted order and table
    /// session and writes a PNG of every screen.
    Demo {
        /// Run the scripted sessions without a window.
        #[arg(long)]
        headless: bool,
        /// Where the screenshots and printed receipts go.
        #[arg(long, value_name = "DIR", default_value = "demo-out")]
        out: PathBuf,
    },
    /// The customer screen of `kiosk run`, drawn off-screen and driven by commands on
    /// standard input (press LABEL, press-only LABEL, tap X Y, scroll X Y DY, wait PAGE, view, labels, shot FILE, frame, quit):
    /// for end-to-end tests, the chaos test and benchmarks.
    Automate {
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
        /// The screen in pixels, WIDTHxHEIGHT.
        #[arg(long, value_name = "WxH", default_value = "800x1280")]
        size: String,
    },
    /// Run a device simulator (for the demo, tests and installers without hardware).
    Sim {
        #[command(subcommand)]
        device: SimDevice,
    },
}

#[derive(Subcommand)]
enum SimDevice {
    /// An ESC/POS receipt printer on TCP or a PTY. While it runs, type a condition on
    /// standard input to change it: paper-out, paper-near-end, paper-in, cover-open,
    /// cover-close, offline, online, cutter-error, drawer-open, drawer-close; or status.
    Printer(PrinterArgs),
    /// A SMARTRO card payment terminal on a PTY. While it runs, type a fault for the next
    /// charge on standard input: decline [CODE], abort, drop-ack, corrupt-bcc, stall,
    /// lose-response, unplug, paid-before-reset; or card (a card inserted), ledger.
    Terminal(TerminalArgs),
    /// A serial QR/barcode scanner on a PTY: each line of standard input (or of --file) is
    /// sent as one scan.
    Scanner(ScannerArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = std::env::var("KIOSK_LOG").ok().and_then(|l| l.parse().ok()).unwrap_or(tracing::Level::INFO);
    tracing_subscriber::fmt().with_max_level(level).with_writer(std::io::stderr).init();
    let result = match cli.command {
        Command::Demo { headless, out } => {
            kiosk_dev::demo::run(kiosk_dev::demo::DemoOptions { headless, out })
        }
        Command::Automate { config, size } => kiosk_dev::automate::start(&config, &size),
        Command::Sim { device: SimDevice::Printer(args) } => kiosk_dev::sim::run_printer(args),
        Command::Sim { device: SimDevice::Terminal(args) } => kiosk_dev::sim::run_terminal(args),
        Command::Sim { device: SimDevice::Scanner(args) } => kiosk_dev::sim::run_scanner(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is::<kiosk_dev::automate::Invalid>() => ExitCode::from(2),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
