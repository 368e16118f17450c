//! The `kiosk-flash` command.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use kiosk_flash::bmap::Bmap;
use kiosk_flash::source::{self, Source};
use kiosk_flash::write::{self, Target};
use kiosk_flash::{disks, provisioning, sign};

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
    ///
    /// IMAGE is X.img or X.img.xz (decompressed as it is written); beside it must lie its
    /// block map X.img.bmap and the signed manifest SHA256SUMS (+ .sig).
    Write {
        /// The release image, X.img or X.img.xz.
        image: PathBuf,
        /// The card or eMMC (e.g. /dev/sdb, see `list`), or an image file to create.
        device: PathBuf,
        /// The release public key (hex). Default: release.pub beside the image.
        #[arg(long)]
        key: Option<PathBuf>,
        /// This device's settings (a device configuration, as `kiosk check-config` checks
        /// it), checked before anything is written and put on the boot partition as
        /// kiosk-provision.toml.
        #[arg(long, value_name = "FILE")]
        provision: Option<PathBuf>,
    },
    /// Read a written disk back and compare it with the image's block map (X.img.bmap;
    /// IMAGE may be X.img or X.img.xz, and need not be there itself).
    Verify { device: PathBuf, image: PathBuf },
    /// Release side: write IMAGE.bmap, the block map of a sparse raw image.
    Bmap { image: PathBuf },
    /// Release side: sign files into SHA256SUMS and SHA256SUMS.sig beside the first one.
    Sign {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        #[arg(long)]
        secret_key: PathBuf,
    },
    /// Release side: the release keys. NAME.key (secret) and NAME.pub sign images;
    /// NAME-bundle.key (secret) and its certificate NAME-bundle.pem sign update bundles. Makes
    /// whichever pair is missing and never overwrites one.
    Keygen { name: PathBuf },
    /// Release side: an update bundle for `kiosk update` and hawkBit servers (a RAUC bundle
    /// of a root partition image and a slot's boot files, made with `rauc bundle`).
    Bundle {
        /// The root partition image (ext4), e.g. images/build's rootfs.ext4.
        #[arg(long)]
        rootfs: PathBuf,
        /// The slot's boot files (kernel, initramfs, device trees; no cmdline.txt).
        #[arg(long)]
        boot: PathBuf,
        /// A semantic version (1.4.0, 1.4.0-rc.1), as hawkBit servers require.
        #[arg(long)]
        version: String,
        /// The bundle signing key, NAME-bundle.key from `keygen NAME`.
        #[arg(long)]
        key: PathBuf,
        /// Its certificate. Default: NAME-bundle.pem beside the key.
        #[arg(long)]
        cert: Option<PathBuf>,
        /// The bundle to write (by custom, NAME.raucb).
        #[arg(long, short)]
        out: PathBuf,
    },
}

/// The block map of `X.img` or `X.img.xz`: `X.img.bmap`, made from the raw image.
fn bmap_path(image: &Path) -> PathBuf {
    let raw = if source::is_xz(image) { image.with_extension("") } else { image.to_owned() };
    let mut p = raw.into_os_string();
    p.push(".bmap");
    PathBuf::from(p)
}

/// The bundle signing pair of the release key NAME.key: NAME-bundle.key and NAME-bundle.pem.
fn bundle_pair(release_key: &Path) -> (PathBuf, PathBuf) {
    let stem = release_key.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    (
        release_key.with_file_name(format!("{stem}-bundle.key")),
        release_key.with_file_name(format!("{stem}-bundle.pem")),
    )
}

/// The signed manifest that travels with the files of a release, in their directory.
fn manifest_beside(file: &Path) -> PathBuf {
    file.with_file_name("SHA256SUMS")
}

fn load_bmap(path: &Path) -> Result<Bmap> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading the block map {}", path.display()))?;
    Bmap::parse(&text).with_context(|| format!("{}", path.display()))
}

/// A progress bar on stderr: percent of the mapped bytes, speed, time left.
fn progress_bar() -> impl FnMut(u64, u64, std::time::Duration) {
    let mut last = u64::MAX;
    move |done, total, elapsed| {
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
    }
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
        Command::Write { image, device, key, provision } => {
            // Everything that can refuse the job is checked before the card is touched: the
            // settings first (quick, and the installer's to fix), then the release.
            let provision = provision.map(|p| provisioning::check(&p)).transpose()?;
            let bmap_path = bmap_path(&image);
            let key = key.unwrap_or_else(|| image.with_file_name("release.pub"));
            sign::verify(&[&image, &bmap_path], &manifest_beside(&image), &key)
                .context("refusing to write")?;
            let bmap = load_bmap(&bmap_path)?;
            let mut source = Source::open(&image)?;
            let mut target = Target::open(&device, bmap.image_size)?;
            let written = write::write_to(&mut source, &bmap, &mut target, &mut progress_bar());
            eprintln!(); // ends the progress bar's line, before an error too
            let written = written?;
            println!(
                "wrote and verified {} MB of {} MB on {}",
                written / 1_000_000,
                bmap.image_size / 1_000_000,
                device.display()
            );
            if let Some(p) = provision {
                provisioning::install(&target, &p)?;
                println!(
                    "provisioned {} as {}: {} written to the boot partition and read back",
                    device.display(),
                    p.summary(),
                    provisioning::FILE_NAME
                );
            }
        }
        Command::Verify { device, image } => {
            let bmap = load_bmap(&bmap_path(&image))?;
            let differing = write::differing(&device, &bmap)?;
            match differing.first() {
                None => println!("{} matches {}", device.display(), image.display()),
                Some(_) if provisioning::explains(&device, &bmap, &differing) => println!(
                    "{} matches {} outside its boot partition, which holds {} and so differs in {} range(s)",
                    device.display(),
                    image.display(),
                    provisioning::FILE_NAME,
                    differing.len()
                ),
                Some(r) => {
                    return Err(write::WriteError::VerifyFailed {
                        device: device.display().to_string(),
                        first: r.first,
                        last: r.last,
                    })
                    .with_context(|| format!("{} range(s) of the image differ", differing.len()));
                }
            }
        }
        Command::Bmap { image } => {
            if source::is_xz(&image) {
                bail!("{}: a block map is made from the raw sparse image, not the .xz", image.display());
            }
            let bmap = Bmap::create(&image, 4096).with_context(|| format!("mapping {}", image.display()))?;
            let path = bmap_path(&image);
            std::fs::write(&path, bmap.to_xml()).with_context(|| format!("writing {}", path.display()))?;
            println!(
                "{}: {} of {} blocks mapped ({:.0} %)",
                path.display(),
                bmap.mapped_blocks(),
                bmap.blocks_count,
                bmap.mapped_blocks() as f64 * 100.0 / bmap.blocks_count.max(1) as f64
            );
        }
        Command::Sign { files, secret_key } => {
            let manifest = manifest_beside(&files[0]);
            // The manifest names files without a directory: the installer finds them beside it.
            let dir = |f: &Path| {
                let parent = f.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
                std::fs::canonicalize(parent).unwrap_or_else(|_| parent.to_owned())
            };
            if let Some(f) = files.iter().find(|f| dir(f) != dir(&files[0])) {
                bail!(
                    "{} is not in the directory of {}; sign files that lie together",
                    f.display(),
                    files[0].display()
                );
            }
            let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
            sign::sign(&refs, &manifest, &secret_key)?;
            println!("signed {} file(s) into {} and its .sig", files.len(), manifest.display());
        }
        Command::Bundle { rootfs, boot, version, key, cert, out } => {
            let cert = cert.unwrap_or_else(|| key.with_extension("pem"));
            kiosk_flash::bundle::make_bundle(&rootfs, &boot, &version, &cert, &key, &out)?;
            println!("update bundle {version}: {}", out.display());
        }
        Command::Keygen { name } => {
            let with = |ext: &str| name.with_extension(ext);
            let (bundle_key, bundle_cert) = bundle_pair(&with("key"));
            let mut made = 0;
            if !with("key").exists() {
                let (secret, public) = sign::generate()?;
                // The secret key is readable by its owner only, and never overwritten.
                use std::io::Write;
                use std::os::unix::fs::OpenOptionsExt;
                let mut f = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(with("key"))
                    .with_context(|| format!("creating {}", with("key").display()))?;
                f.write_all(format!("{secret}\n").as_bytes())?;
                std::fs::write(with("pub"), public + "\n")?;
                println!(
                    "image key: secret {} (keep it offline), public {}",
                    with("key").display(),
                    with("pub").display()
                );
                made += 1;
            }
            if !bundle_key.exists() {
                let stem = name.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                kiosk_flash::bundle::keygen(&bundle_key, &bundle_cert, &stem)?;
                println!(
                    "bundle key: secret {} (keep it offline), certificate {}",
                    bundle_key.display(),
                    bundle_cert.display()
                );
                made += 1;
            }
            if made == 0 {
                bail!(
                    "{} and {} exist; not overwriting release keys",
                    with("key").display(),
                    bundle_key.display()
                );
            }
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
