//! The installer's round trip on files: a sparse image with a partition table and a real
//! FAT32 boot partition → block map and signed manifest → written to a file "card", raw or
//! from `.xz` → verified by reading back; provisioning onto the card's boot partition; and
//! the refusals: an altered image, an unsigned one, a card that reads back wrong, a broken
//! provisioning file, a damaged `.xz`.

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use kiosk_flash::bmap::Bmap;
use kiosk_flash::disk::{self, PartitionTable, Window};
use kiosk_flash::{provisioning, sign, write};

const MIB: u64 = 1 << 20;
/// Partition 1, FAT32: 4 MiB to 40 MiB. Partition 2: 40 MiB to the end.
const BOOT: (u64, u64) = (4 * MIB, 36 * MIB);
const ROOT: (u64, u64) = (40 * MIB, 24 * MIB);

/// 64 MiB, mostly holes: an MBR, a freshly formatted FAT32 boot partition with two files,
/// and in partition 2 1 MiB of varied bytes at 44 MiB and 200 KiB at 56 MiB.
fn sparse_image(path: &Path) {
    let mut f = File::create(path).unwrap();
    f.set_len(64 * MIB).unwrap();
    let mut mbr = vec![0u8; 512];
    mbr[440..444].copy_from_slice(&0x4b49_4f53u32.to_le_bytes());
    for (i, (kind, (start, len))) in [(0x0cu8, BOOT), (0x83, ROOT)].into_iter().enumerate() {
        let e = 446 + 16 * i;
        mbr[e + 4] = kind;
        mbr[e + 8..e + 12].copy_from_slice(&((start / 512) as u32).to_le_bytes());
        mbr[e + 12..e + 16].copy_from_slice(&((len / 512) as u32).to_le_bytes());
    }
    mbr[446] = 0x80;
    mbr[510] = 0x55;
    mbr[511] = 0xaa;
    f.write_all(&mbr).unwrap();
    drop(f);

    // A real FAT32 (65525 clusters at least: 512-byte clusters on 36 MiB), formatted in place;
    // fatfs writes only its reserved sectors, FATs and root directory, so the rest stays holes.
    let boot = PartitionTable::read(&mut File::open(path).unwrap()).unwrap().get(1).unwrap();
    let disk = std::fs::OpenOptions::new().read(true).write(true).open(path).unwrap();
    fatfs::format_volume(
        Window::new(&disk, boot),
        fatfs::FormatVolumeOptions::new()
            .fat_type(fatfs::FatType::Fat32)
            .bytes_per_cluster(512)
            .volume_label(*b"BOOT       "),
    )
    .unwrap();
    let fat = disk::open_fat(path, 1).unwrap();
    assert_eq!(fat.fat_type(), fatfs::FatType::Fat32);
    disk::write_fat_file(&fat, "config.txt", b"include common.txt\nos_prefix=a/\n").unwrap();
    disk::write_fat_file(&fat, "a/cmdline.txt", b"root=PARTUUID=4b494f53-02 ro kiosk.slot=a\n").unwrap();
    fat.unmount().unwrap();

    let mut f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    let varied: Vec<u8> = (0..MIB as usize).map(|i| (i * 7 + i / 4096) as u8).collect();
    f.seek(SeekFrom::Start(44 * MIB)).unwrap();
    f.write_all(&varied).unwrap();
    f.seek(SeekFrom::Start(56 * MIB)).unwrap();
    f.write_all(&[0x3c; 200 << 10]).unwrap();
}

fn flash(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kiosk-flash")).args(args.iter().map(|a| a.as_ref())).output().unwrap()
}

fn ok(out: Output) -> String {
    let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{said}");
    said
}

fn refused(out: Output) -> String {
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "should have failed: {said}");
    said
}

/// A release directory: the sparse image, its block map, a key pair.
struct Release {
    dir: tempfile::TempDir,
}

impl Release {
    fn new() -> Release {
        let dir = tempfile::tempdir().unwrap();
        sparse_image(&dir.path().join("kiosk.img"));
        ok(flash(&[&"keygen", &dir.path().join("release")]));
        let r = Release { dir };
        ok(flash(&[&"bmap", &r.path("kiosk.img")]));
        r
    }
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
    fn sign(&self, names: &[&str]) {
        let mut args: Vec<&dyn AsRef<std::ffi::OsStr>> = vec![&"sign"];
        let paths: Vec<PathBuf> = names.iter().map(|n| self.path(n)).collect();
        args.extend(paths.iter().map(|p| p as &dyn AsRef<std::ffi::OsStr>));
        let key = self.path("release.key");
        args.extend([&"--secret-key" as &dyn AsRef<std::ffi::OsStr>, &key]);
        ok(flash(&args));
    }
    fn bmap(&self) -> Bmap {
        Bmap::parse(&std::fs::read_to_string(self.path("kiosk.img.bmap")).unwrap()).unwrap()
    }
    /// `xz -T2` with 1 MiB blocks, so even this small image is several blocks, as a big
    /// image compressed on several cores is.
    fn compress(&self) -> PathBuf {
        let mut xz = Command::new("xz");
        xz.args(["-T2", "--block-size=1MiB", "-3", "-k", "-f"]).arg(self.path("kiosk.img"));
        ok(xz.output().expect("the xz command (xz-utils)"));
        self.path("kiosk.img.xz")
    }
}

#[test]
fn a_signed_image_is_written_through_its_map_verified_and_a_tampered_one_refused() {
    let r = Release::new();
    let (image, card) = (r.path("kiosk.img"), r.path("card.img"));
    r.sign(&["kiosk.img", "kiosk.img.bmap"]);
    let listed = std::fs::read_to_string(r.path("SHA256SUMS")).unwrap();
    assert!(listed.contains("  kiosk.img\n") && listed.contains("  kiosk.img.bmap\n"), "{listed}");

    let bmap = r.bmap();
    assert_eq!(bmap.blocks_count, 16384);
    assert!(
        bmap.mapped_blocks() < 1000,
        "only the data is mapped, the image stays sparse: {}",
        bmap.mapped_blocks()
    );

    // a card with old contents is left holding exactly the image
    std::fs::write(&card, vec![0xee; 70 * MIB as usize]).unwrap();
    let said = ok(flash(&[&"write", &image, &card]));
    assert!(
        said.contains("100 %") && said.contains("MB/s") && said.contains("ETA"),
        "a progress bar: {said}"
    );
    let (a, b) = (std::fs::read(&image).unwrap(), std::fs::read(&card).unwrap());
    assert!(a == b, "the card holds the image, byte for byte");
    ok(flash(&[&"verify", &card, &image]));

    // a card that reads back wrong is caught, with the blocks named
    let mut f = std::fs::OpenOptions::new().write(true).open(&card).unwrap();
    f.seek(SeekFrom::Start(56 * MIB + 4096)).unwrap();
    f.write_all(b"bad block").unwrap();
    drop(f);
    let err = write::verify(&card, &bmap, false).unwrap_err().to_string();
    assert!(err.contains("blocks 14336-14385") && err.contains("try another card"), "{err}");
    let said = refused(flash(&[&"verify", &card, &image]));
    assert!(said.contains("blocks 14336-14385"), "{said}");

    // an altered image is refused before anything is written
    let fresh = r.path("fresh.img");
    let mut f = std::fs::OpenOptions::new().write(true).open(&image).unwrap();
    f.seek(SeekFrom::Start(44 * MIB)).unwrap();
    f.write_all(b"evil").unwrap();
    drop(f);
    let said = refused(flash(&[&"write", &image, &fresh]));
    assert!(said.contains("refusing to write") && said.contains("kiosk.img does not match"), "{said}");
    assert!(!fresh.exists(), "nothing written");

    // an unsigned image, or one signed by another key, is refused
    std::fs::remove_file(r.path("SHA256SUMS.sig")).unwrap();
    let err = sign::verify(&[&image], &r.path("SHA256SUMS"), &r.path("release.pub")).unwrap_err();
    assert!(matches!(err, sign::SignError::Unsigned(_)), "{err}");
}

#[test]
fn an_xz_image_is_streamed_to_the_card_byte_identical() {
    let r = Release::new();
    let xz = r.compress();
    let blocks = Command::new("xz").args(["--robot", "--list"]).arg(&xz).output().unwrap();
    let listing = String::from_utf8_lossy(&blocks.stdout).into_owned();
    let file_line = listing.lines().find(|l| l.starts_with("file\t")).unwrap();
    let block_count: u32 = file_line.split('\t').nth(2).unwrap().parse().unwrap();
    assert!(block_count > 1, "a multi-block .xz: {listing}");
    // What the image build publishes: the .xz and the raw image's block map, not the image.
    r.sign(&["kiosk.img.xz", "kiosk.img.bmap"]);
    std::fs::rename(r.path("kiosk.img"), r.path("original.img")).unwrap();

    let card = r.path("card.img");
    let said = ok(flash(&[&"write", &xz, &card]));
    assert!(said.contains("100 %") && said.contains("MB/s"), "a progress bar: {said}");
    let (a, b) = (std::fs::read(r.path("original.img")).unwrap(), std::fs::read(&card).unwrap());
    assert!(a == b, "the card holds the decompressed image, byte for byte");
    ok(flash(&[&"verify", &card, &xz]));

    // concatenated streams (`cat a.xz b.xz`) decode as one image
    let (half, whole) = (32 * MIB as usize, a);
    let mut joined = Vec::new();
    for part in [&whole[..half], &whole[half..]] {
        let mut xz = Command::new("xz")
            .args(["-T2", "-c"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = xz.stdin.take().unwrap();
        let part = part.to_vec();
        let feeder = std::thread::spawn(move || stdin.write_all(&part).unwrap());
        joined.extend(xz.wait_with_output().unwrap().stdout);
        feeder.join().unwrap();
    }
    let two = r.path("two-streams.img.xz");
    std::fs::write(&two, &joined).unwrap();
    let card2 = r.path("card2.img");
    write::write(&two, &r.bmap(), &card2, &mut |_, _, _| {}).unwrap();
    assert!(std::fs::read(&card2).unwrap() == whole, "both streams written");

    // a cut-off .xz is named as such, with what to do
    std::fs::write(&two, &joined[..joined.len() / 3]).unwrap();
    let err = write::write(&two, &r.bmap(), &r.path("card3.img"), &mut |_, _, _| {}).unwrap_err().to_string();
    assert!(err.contains("two-streams.img.xz") && err.contains("download the image again"), "{err}");
}

/// A table tablet's settings, as Config::parse accepts them.
const PROVISION: &str = r#"role = "table"
time_zone = "Asia/Seoul"

[store]
id = "hanip-gangnam"
name = "한입버거 강남점"
business_number = "123-45-67891"
address = "서울특별시 강남구 테헤란로 123, 1층"

[table]
number = "12"

[ui]
languages = ["ko", "en"]
default_language = "ko"
payment_methods = ["counter"]

[pos]
adapter = "kiosk-link"
url = "http://192.168.0.10:8765"
token = "table-12-enrolment-token"

[operator]
pin_hash = "$argon2id$v=19$m=19456,t=2,p=1$85yF9bV0iF6OLtae5+NoQg$Zw/m+KgIdB25JbPsVDIkwd8EvD2yEoVjqMIi+nDmEBM"
"#;

fn provisioned(card: &Path) -> Option<Vec<u8>> {
    disk::read_fat_file(&disk::open_fat(card, 1).unwrap(), provisioning::FILE_NAME).unwrap()
}

#[test]
fn provisioning_lands_on_the_boot_partition_and_a_broken_file_changes_nothing() {
    let r = Release::new();
    let xz = r.compress();
    r.sign(&["kiosk.img.xz", "kiosk.img.bmap"]);
    let (good, card) = (r.path("table-12.toml"), r.path("card.img"));
    std::fs::write(&good, PROVISION).unwrap();

    let said = ok(flash(&[&"write", &xz, &card, &"--provision", &good]));
    assert!(said.contains("table 12 of store hanip-gangnam"), "{said}");
    assert_eq!(provisioned(&card).as_deref(), Some(PROVISION.as_bytes()), "on the card's boot partition");
    let fat = disk::open_fat(&card, 1).unwrap();
    assert!(
        disk::read_fat_file(&fat, "a/cmdline.txt").unwrap().is_some(),
        "the image's files are still there"
    );
    drop(fat);
    // verify tells the provisioned boot partition apart from a bad write
    let said = ok(flash(&[&"verify", &card, &xz]));
    assert!(said.contains("outside its boot partition") && said.contains(provisioning::FILE_NAME), "{said}");

    // a broken file: every problem with file and line; no card created, none changed
    let broken = r.path("broken.toml");
    let text = PROVISION
        .replace("role = \"table\"", "role = \"tabel\"")
        .replace("123-45-67891", "123-45-67890")
        .replace("[pos]\n", "[pos]\nadress = \"x\"\n");
    std::fs::write(&broken, &text).unwrap();
    let line_of = |needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let before = std::fs::read(&card).unwrap();
    for target in [&card, &r.path("new-card.img")] {
        let said = refused(flash(&[&"write", &xz, target, &"--provision", &broken]));
        assert!(said.contains("3 problem(s); nothing was written"), "{said}");
        let b = broken.display();
        for (needle, key) in
            [("tabel", "role"), ("123-45-67890", "store.business_number"), ("adress", "pos.adress")]
        {
            let want = format!("{b}:{}: {key}: ", line_of(needle));
            assert!(said.contains(&want), "{want} in {said}");
        }
    }
    assert!(!r.path("new-card.img").exists(), "no card file created");
    assert!(std::fs::read(&card).unwrap() == before, "the card is unchanged");

    // a file that is not there is named
    let said = refused(flash(&[&"write", &xz, &card, &"--provision", &r.path("missing.toml")]));
    assert!(said.contains("missing.toml"), "{said}");

    // a card with no FAT boot partition cannot be provisioned, and says so
    let p = provisioning::check(&good).unwrap();
    let plain = r.path("plain.img");
    std::fs::write(&plain, vec![0u8; MIB as usize]).unwrap();
    let target = write::Target::open(&plain, MIB).unwrap();
    let err = provisioning::install(&target, &p).unwrap_err().to_string();
    assert!(err.contains("plain.img") && err.contains("try another card"), "{err}");
}
