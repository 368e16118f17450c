//! The installer's round trip on files: a sparse image with a partition table → block map
//! and signed manifest → written to a file "card" → verified by reading back; and the
//! refusals: an altered image, an unsigned one, a card that reads back wrong.

use std::io::{Seek, SeekFrom, Write};
use std::path::Path;
use std::process::Command;

use kiosk_flash::bmap::Bmap;
use kiosk_flash::{sign, write};

/// 64 MiB, mostly holes: an MBR in sector 0, 1 MiB of data at 4 MiB, 200 KiB at 40 MiB.
fn sparse_image(path: &Path) {
    let mut f = std::fs::File::create(path).unwrap();
    f.set_len(64 << 20).unwrap();
    let mut mbr = vec![0u8; 512];
    mbr[440..444].copy_from_slice(&0x4b49_4f53u32.to_le_bytes());
    mbr[446 + 4] = 0x0c; // FAT32 LBA
    mbr[446 + 8..446 + 12].copy_from_slice(&8192u32.to_le_bytes());
    mbr[510] = 0x55;
    mbr[511] = 0xaa;
    f.write_all(&mbr).unwrap();
    for (at, len, byte) in [(4u64 << 20, 1usize << 20, 0xa5u8), (40 << 20, 200 << 10, 0x3c)] {
        f.seek(SeekFrom::Start(at)).unwrap();
        f.write_all(&vec![byte; len]).unwrap();
    }
}

fn flash(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kiosk-flash")).args(args).output().unwrap()
}

#[test]
fn a_signed_image_is_written_through_its_map_verified_and_a_tampered_one_refused() {
    let t = tempfile::tempdir().unwrap();
    let (image, card) = (t.path().join("kiosk.img"), t.path().join("card.img"));
    sparse_image(&image);
    let out = flash(&["keygen", t.path().join("release").to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = flash(&[
        "sign",
        image.to_str().unwrap(),
        "--secret-key",
        t.path().join("release.key").to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let bmap = Bmap::parse(&std::fs::read_to_string(t.path().join("kiosk.img.bmap")).unwrap()).unwrap();
    assert_eq!(bmap.blocks_count, 16384);
    assert!(bmap.mapped_blocks() <= 1 + 256 + 50 + 2, "only the data is mapped: {}", bmap.mapped_blocks());

    let out = flash(&["write", image.to_str().unwrap(), card.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("100 %"), "a progress bar");
    let (a, b) = (std::fs::read(&image).unwrap(), std::fs::read(&card).unwrap());
    assert!(a == b, "the card holds the image, byte for byte");
    let out = flash(&["verify", card.to_str().unwrap(), image.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // a card that reads back wrong is caught, with the blocks named
    let mut f = std::fs::OpenOptions::new().write(true).open(&card).unwrap();
    f.seek(SeekFrom::Start((40 << 20) + 4096)).unwrap();
    f.write_all(b"bad block").unwrap();
    drop(f);
    let err = write::verify(&card, &bmap, false).unwrap_err().to_string();
    assert!(err.contains("blocks 10240-10289") && err.contains("try another card"), "{err}");

    // an altered image is refused before anything is written
    let fresh = t.path().join("fresh.img");
    let mut f = std::fs::OpenOptions::new().write(true).open(&image).unwrap();
    f.seek(SeekFrom::Start(4 << 20)).unwrap();
    f.write_all(b"evil").unwrap();
    drop(f);
    let out = flash(&["write", image.to_str().unwrap(), fresh.to_str().unwrap()]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("refusing to write") && said.contains("kiosk.img does not match"), "{said}");
    assert!(!fresh.exists(), "nothing written");

    // an unsigned image, or one signed by another key, is refused
    std::fs::remove_file(t.path().join("SHA256SUMS.sig")).unwrap();
    let err =
        sign::verify(&[&image], &t.path().join("SHA256SUMS"), &t.path().join("release.pub")).unwrap_err();
    assert!(matches!(err, sign::SignError::Unsigned(_)), "{err}");
}
