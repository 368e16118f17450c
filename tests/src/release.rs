//! A chain's release key and the signed RAUC bundles it makes, as `kiosk-flash keygen` and
//! `kiosk-flash bundle` make them (`rauc bundle`): the fleet tests' and the fleet
//! benchmark's releases.

use std::path::PathBuf;

use kiosk_image::bundle;

pub struct Release {
    pub dir: tempfile::TempDir,
    pub key: PathBuf,
    /// The certificate devices check bundles against (their keyring).
    pub cert: PathBuf,
}

impl Release {
    pub fn new(name: &str) -> Release {
        let dir = tempfile::tempdir().unwrap();
        let (key, cert) = (dir.path().join(format!("{name}.key")), dir.path().join(format!("{name}.pem")));
        bundle::keygen(&key, &cert, name).unwrap();
        Release { dir, key, cert }
    }

    /// A bundle of `version` whose root image is `rootfs` (with a kernel naming the
    /// version in its boot files): the bundle's path, and the root image's bytes.
    pub fn bundle_of(&self, version: &str, rootfs: Vec<u8>) -> (PathBuf, Vec<u8>) {
        let root = self.dir.path().join(format!("rootfs-{version}.img"));
        std::fs::write(&root, &rootfs).unwrap();
        let boot = self.dir.path().join(format!("boot-{version}"));
        std::fs::create_dir_all(&boot).unwrap();
        std::fs::write(boot.join("kernel8.img"), format!("kernel of release {version}")).unwrap();
        let out = self.dir.path().join(format!("kiosk-{version}.raucb"));
        bundle::make_bundle(&root, &boot, version, &self.cert, &self.key, &out).unwrap();
        (out, rootfs)
    }
}
