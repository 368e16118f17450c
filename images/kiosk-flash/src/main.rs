//! The `kiosk-flash` command.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use kiosk_flash::bmap::Bmap;
use kiosk_flash::{disks, sign, write};

#[derive(Parser)]
#[command(name = "kiosk-flash", about = "Write a signed kiosk image to an SD card or eMMC, and check it")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Removable disks that can be written (never the system disk).
    List,
    /// Check the image's signature, write its mapped blocks, verify by reading back.
    Write {
        image: PathBuf,
        device: PathBuf,
        /// The release public key (hex). Default: images/keys/release.pub beside the image.
        #[arg(long)]
        key: Option<PathBuf>,
    },
    /// Read a written disk back and compare it with the image's block map.
    Verify { device: PathBuf, image: PathBuf },
    /// Release side: map an image, and sign the image and its map with a secret key.
    Sign {
        image: PathBuf,
        #[arg(long)]
        secret_key: PathBuf,
    },
    /// Release side: a new key pair, written as NAME.key (secret) and NAME.pub.
    Keygen { name: PathBuf },
}

/// The files that travel with an image: its block map and the signed manifest.
fn companions(image: &Path) -> (PathBuf, PathBuf) {
    let with = |ext: &str| {
        let mut p = image.as_os_str().to_owned();
        p.push(ext);
        PathBuf::from(p)
    };
    (with(".bmap"), image.with_file_name("SHA256SUMS"))
}

fn load_bmap(path: &Path) -> Result<Bmap> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Bmap::parse(&text).with_context(|| format!("{}", path.display()))
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::List => {
            let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
            let found = disks::list(Path::new("/sys/block"), &mounts);
            if found.is_empty() {
                println!("no removable disk found: insert the card (or its reader) and try again");
            }
            for d in found {
                let size = d.size_bytes as f64 / 1e9;
                match d.refused {
                    None => println!("{}  {size:.1} GB  {}", d.device.display(), d.model),
                    Some(why) => {
                        println!("{}  {size:.1} GB  {}  (not writable: {why})", d.device.display(), d.model)
                    }
                }
            }
        }
        Command::Write { image, device, key } => {
            let (bmap_path, manifest) = companions(&image);
            let key = key.unwrap_or_else(|| image.with_file_name("release.pub"));
            sign::verify(&[&image, &bmap_path], &manifest, &key).context("refusing to write")?;
            let bmap = load_bmap(&bmap_path)?;
            let mut last = 0u64;
            let mut report = |done: u64, total: u64, elapsed: std::time::Duration| {
                let pct = done * 100 / total.max(1);
                if pct != last || done == total {
                    last = pct;
                    let speed = done as f64 / elapsed.as_secs_f64().max(1e-3) / 1e6;
                    let eta = (total - done) as f64 / (speed * 1e6).max(1.0);
                    eprint!(
                        "\r[{:<40}] {pct:3} %  {speed:.1} MB/s  ETA {eta:.0} s ",
                        "#".repeat((pct * 40 / 100) as usize)
                    );
                }
            };
            let written = write::write(&image, &bmap, &device, &mut report)?;
            eprintln!();
            println!(
                "wrote and verified {} MB of {} MB on {}",
                written / 1_000_000,
                bmap.image_size / 1_000_000,
                device.display()
            );
        }
        Command::Verify { device, image } => {
            let bmap = load_bmap(&companions(&image).0)?;
            write::verify(&device, &bmap, false)?;
            println!("{} matches {}", device.display(), image.display());
        }
        Command::Sign { image, secret_key } => {
            let (bmap_path, manifest) = companions(&image);
            let bmap = Bmap::create(&image, 4096)?;
            std::fs::write(&bmap_path, bmap.to_xml())?;
            sign::sign(&[&image, &bmap_path], &manifest, &secret_key)?;
            println!(
                "{} mapped blocks of {}; signed {}",
                bmap.mapped_blocks(),
                bmap.blocks_count,
                manifest.display()
            );
        }
        Command::Keygen { name } => {
            let (secret, public) = sign::generate()?;
            let with = |ext: &str| name.with_extension(ext);
            if with("key").exists() {
                bail!("{} exists; not overwriting a release key", with("key").display());
            }
            std::fs::write(with("key"), secret + "\n")?;
            std::fs::write(with("pub"), public + "\n")?;
            println!(
                "secret key {} (keep it offline), public key {}",
                with("key").display(),
                with("pub").display()
            );
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kiosk-flash: {e:#}");
            ExitCode::FAILURE
        }
    }
}
