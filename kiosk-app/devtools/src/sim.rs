//! `kiosk sim …`: the device simulators on the command line.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use kiosk_drivers::printer::receipt::Paper;
use kiosk_drivers::printer::status::PrinterState;
use kiosk_drivers::scanner::Suffix;
use kiosk_sim::printer::Condition;
use kiosk_sim::printer::server::{SimOptions, SimReport, spawn_pty, spawn_tcp};
use kiosk_sim::scanner::{ScannerSim, ScannerSimOptions};
use kiosk_sim::terminal::server::{TerminalSimOptions, spawn_pty as spawn_terminal};
use kiosk_sim::terminal::{Fault, LedgerEntry};
use tokio::io::AsyncBufReadExt;

#[derive(Args, Debug)]
#[command(group = clap::ArgGroup::new("transport").required(true))]
pub struct PrinterArgs {
    /// Listen on TCP, like a network printer's port 9100 (e.g. 127.0.0.1:9100).
    #[arg(long, value_name = "ADDR", group = "transport")]
    pub listen: Option<String>,
    /// Create a pseudo-terminal and symlink it at LINK (e.g. /tmp/ttyPRINTER).
    #[arg(long, value_name = "LINK", group = "transport")]
    pub pty: Option<PathBuf>,
    /// Read at this baud rate (8N1). Default: 19200 on a PTY, unpaced on TCP.
    #[arg(long)]
    pub baud: Option<u32>,
    /// Paper width.
    #[arg(long, default_value = "80mm", value_parser = ["80mm", "58mm"])]
    pub paper: String,
    /// Write job-NNNN.txt and job-NNNN.png for every printed job.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Start with the paper out.
    #[arg(long)]
    pub paper_out: bool,
    /// Start with the paper near its end.
    #[arg(long)]
    pub paper_near_end: bool,
    /// Start with the cover open.
    #[arg(long)]
    pub cover_open: bool,
    /// Start offline.
    #[arg(long)]
    pub offline: bool,
}

pub fn run_printer(args: PrinterArgs) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(printer(args))
}

async fn printer(args: PrinterArgs) -> Result<()> {
    let mut initial = Vec::new();
    for (on, c) in [
        (args.paper_out, Condition::PaperOut),
        (args.paper_near_end, Condition::PaperNearEnd),
        (args.cover_open, Condition::CoverOpen),
        (args.offline, Condition::Offline),
    ] {
        if on {
            initial.push(c);
        }
    }
    let paper = if args.paper == "58mm" { Paper::MM58 } else { Paper::MM80 };
    let mut options =
        SimOptions { baud: args.baud, paper, out_dir: args.out.clone(), initial, ..SimOptions::default() };
    let sim = match (&args.listen, &args.pty) {
        (Some(addr), _) => {
            let sim = spawn_tcp(addr, options).await.with_context(|| format!("listening on {addr}"))?;
            eprintln!("printer simulator listening on {}", sim.address.expect("tcp address"));
            sim
        }
        (None, Some(link)) => {
            options.baud = options.baud.or(Some(19_200));
            let baud = options.baud;
            let sim =
                spawn_pty(link, options).with_context(|| format!("creating a PTY at {}", link.display()))?;
            eprintln!("printer simulator on {} ({} baud)", link.display(), baud.unwrap_or_default());
            sim
        }
        (None, None) => unreachable!("clap requires --listen or --pty"),
    };
    let mut reports = sim.handle.subscribe();
    let handle = sim.handle.clone();
    let mut stdin = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let mut stdin_open = true;
    let mut jobs = 0;
    loop {
        tokio::select! {
            report = reports.recv() => match report {
                Ok(SimReport::Printed(job)) => {
                    jobs += 1;
                    println!("── job {jobs} ({} lines{}) ──", job.text_lines().len(), if job.cut { ", cut" } else { "" });
                    println!("{}", job.text());
                }
                Ok(SimReport::Discarded(job)) => {
                    println!("── unfinished job discarded by the host ({} lines) ──", job.text_lines().len());
                }
                Ok(SimReport::Garbage(n)) => eprintln!("skipped {n} byte(s) that are no ESC/POS command"),
                Ok(SimReport::DrawerKicked) => eprintln!("cash drawer kicked"),
                Ok(SimReport::Connected) => eprintln!("host connected"),
                Ok(SimReport::Disconnected) => eprintln!("host disconnected"),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => eprintln!("(missed {n} reports)"),
                Err(_) => return Ok(()),
            },
            line = stdin.next_line(), if stdin_open => match line {
                Ok(Some(line)) => {
                    let word = line.trim();
                    if word == "status" {
                        eprintln!("status: {:?}", handle.status().state());
                    } else if let Some(c) = Condition::parse(word) {
                        handle.set(c);
                        let state = handle.status().state();
                        eprintln!("now {}", if state == PrinterState::Ready { "ready".to_owned() } else { format!("{state:?}") });
                    } else if !word.is_empty() {
                        eprintln!("unknown command {word:?}; try paper-out, paper-in, cover-open, cover-close, offline, online, status");
                    }
                }
                // No terminal (a service or CI): keep running without one.
                _ => stdin_open = false,
            },
            _ = tokio::signal::ctrl_c() => return Ok(()),
        }
    }
}

#[derive(Args, Debug)]
pub struct TerminalArgs {
    /// Create a pseudo-terminal and symlink it at LINK (e.g. /tmp/ttyTERMINAL).
    #[arg(long, value_name = "LINK")]
    pub pty: PathBuf,
    /// Baud rate the replies are paced at.
    #[arg(long, default_value_t = 115_200)]
    pub baud: u32,
    /// The terminal id it answers to.
    #[arg(long, default_value = "SIM00001")]
    pub terminal_id: String,
    /// Milliseconds the customer takes at the terminal.
    #[arg(long, default_value_t = 1500)]
    pub customer_ms: u64,
}

pub fn run_terminal(args: TerminalArgs) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(terminal(args))
}

async fn terminal(args: TerminalArgs) -> Result<()> {
    let options = TerminalSimOptions {
        terminal_id: args.terminal_id.clone(),
        baud: args.baud,
        customer_delay: std::time::Duration::from_millis(args.customer_ms),
        ..TerminalSimOptions::default()
    };
    let sim = spawn_terminal(&args.pty, options)
        .with_context(|| format!("creating a PTY at {}", args.pty.display()))?;
    eprintln!(
        "payment terminal simulator {} on {} ({} baud)",
        args.terminal_id,
        args.pty.display(),
        args.baud
    );
    let mut stdin = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let mut stdin_open = true;
    loop {
        tokio::select! {
            line = stdin.next_line(), if stdin_open => match line {
                Ok(Some(line)) => {
                    let word = line.trim();
                    if word == "ledger" {
                        for entry in sim.handle.ledger() {
                            match entry {
                                LedgerEntry::Approved { approval_no, amount } => println!("approved  {approval_no}  {amount}"),
                                LedgerEntry::Cancelled { approval_no } => println!("cancelled {approval_no}"),
                            }
                        }
                    } else if word == "card" {
                        sim.handle.card_event(b'I');
                    } else if let Some(fault) = Fault::parse(word) {
                        sim.handle.push_fault(fault);
                        eprintln!("next charge: {}", fault.name());
                    } else if !word.is_empty() {
                        eprintln!("unknown command {word:?}; try decline 6B, abort, drop-ack, corrupt-bcc, stall, lose-response, unplug, paid-before-reset, card, ledger");
                    }
                }
                _ => stdin_open = false,
            },
            _ = tokio::signal::ctrl_c() => return Ok(()),
        }
    }
}

#[derive(Args, Debug)]
pub struct ScannerArgs {
    /// Create a pseudo-terminal and symlink it at LINK (e.g. /tmp/ttySCANNER).
    #[arg(long, value_name = "LINK")]
    pub pty: PathBuf,
    /// What ends each scan.
    #[arg(long, default_value = "cr", value_parser = ["cr", "crlf", "none"])]
    pub suffix: String,
    /// Put an AIM symbology identifier before each code (]E0, ]C0, ]Q1).
    #[arg(long)]
    pub aim: bool,
    #[arg(long, default_value_t = 9600)]
    pub baud: u32,
    /// Send each line of this file as a scan first.
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
}

pub fn run_scanner(args: ScannerArgs) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(scanner(args))
}

async fn scanner(args: ScannerArgs) -> Result<()> {
    let suffix = match args.suffix.as_str() {
        "crlf" => Suffix::CrLf,
        "none" => Suffix::None,
        _ => Suffix::Cr,
    };
    let options = ScannerSimOptions { suffix, aim_ids: args.aim, baud: args.baud };
    let mut sim = ScannerSim::create(&args.pty, options)
        .with_context(|| format!("creating a PTY at {}", args.pty.display()))?;
    eprintln!(
        "scanner simulator on {} ({} baud); type a code and Enter to scan it",
        args.pty.display(),
        args.baud
    );
    if let Some(file) = &args.file {
        let codes = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        for code in codes.lines().map(str::trim).filter(|c| !c.is_empty()) {
            sim.scan(code).await?;
            // a person needs a moment between two scans
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        }
    }
    let mut stdin = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let mut stdin_open = true;
    loop {
        tokio::select! {
            line = stdin.next_line(), if stdin_open => match line {
                Ok(Some(code)) if !code.trim().is_empty() => sim.scan(code.trim()).await?,
                Ok(Some(_)) => {}
                _ => stdin_open = false,
            },
            _ = tokio::signal::ctrl_c() => return Ok(()),
        }
    }
}
