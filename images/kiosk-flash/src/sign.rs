//! The image manifest: the SHA-256 of each released file ("<hex>  <name>" lines, as
//! `sha256sum` prints them), signed with ed25519. The installer checks the signature and
//! the image's and block map's sums before it writes a single block.

use std::path::Path;

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    #[error("the key in {0} is not 32 bytes of hex")]
    BadKey(String),
    #[error("the manifest has no signature beside it ({0})")]
    Unsigned(String),
    #[error("the manifest's signature does not match the release key: the image is not ours, or was altered")]
    BadSignature,
    #[error("{0} is not in the signed manifest")]
    NotListed(String),
    #[error(
        "{name} does not match the signed manifest (SHA-256 {actual}, signed {signed}): the file was altered or damaged"
    )]
    Mismatch { name: String, actual: String, signed: String },
}

fn read(path: &Path) -> Result<Vec<u8>, SignError> {
    std::fs::read(path).map_err(|e| SignError::Io(path.display().to_string(), e))
}

pub fn sha256_file(path: &Path) -> Result<String, SignError> {
    let mut file = std::fs::File::open(path).map_err(|e| SignError::Io(path.display().to_string(), e))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher).map_err(|e| SignError::Io(path.display().to_string(), e))?;
    Ok(hex::encode(hasher.finalize()))
}

/// A file's name as the manifest lists it.
fn listed_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

fn key_bytes(path: &Path) -> Result<[u8; 32], SignError> {
    let text = String::from_utf8_lossy(&read(path)?).trim().to_owned();
    hex::decode(&text)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| SignError::BadKey(path.display().to_string()))
}

/// A new release key pair from the system's random source: (secret, public), hex.
pub fn generate() -> std::io::Result<(String, String)> {
    let mut seed = [0u8; 32];
    std::io::Read::read_exact(&mut std::fs::File::open("/dev/urandom")?, &mut seed)?;
    let key = SigningKey::from_bytes(&seed);
    Ok((hex::encode(seed), hex::encode(key.verifying_key().to_bytes())))
}

/// Writes `manifest` (the files' sums) and `manifest.sig` beside it.
pub fn sign(files: &[&Path], manifest: &Path, secret_key: &Path) -> Result<(), SignError> {
    let key = SigningKey::from_bytes(&key_bytes(secret_key)?);
    let mut text = String::new();
    for f in files {
        text.push_str(&format!("{}  {}\n", sha256_file(f)?, listed_name(f)));
    }
    let signature = key.sign(text.as_bytes());
    let io = |e| SignError::Io(manifest.display().to_string(), e);
    std::fs::write(manifest, &text).map_err(io)?;
    std::fs::write(sig_path(manifest), hex::encode(signature.to_bytes())).map_err(io)
}

fn sig_path(manifest: &Path) -> std::path::PathBuf {
    let mut p = manifest.as_os_str().to_owned();
    p.push(".sig");
    p.into()
}

/// Checks the manifest's signature, then that each file's SHA-256 is the signed one.
pub fn verify(files: &[&Path], manifest: &Path, public_key: &Path) -> Result<(), SignError> {
    let key = VerifyingKey::from_bytes(&key_bytes(public_key)?)
        .map_err(|_| SignError::BadKey(public_key.display().to_string()))?;
    let text = read(manifest)?;
    let sig = sig_path(manifest);
    if !sig.exists() {
        return Err(SignError::Unsigned(sig.display().to_string()));
    }
    let sig_text = String::from_utf8_lossy(&read(&sig)?).trim().to_owned();
    let signature = hex::decode(sig_text)
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .map(|b| Signature::from_bytes(&b))
        .ok_or(SignError::BadSignature)?;
    key.verify(&text, &signature).map_err(|_| SignError::BadSignature)?;
    let text = String::from_utf8_lossy(&text);
    for f in files {
        let name = listed_name(f);
        let signed = text
            .lines()
            .find_map(|l| l.split_once("  ").filter(|(_, n)| *n == name).map(|(h, _)| h.to_owned()))
            .ok_or_else(|| SignError::NotListed(name.clone()))?;
        let actual = sha256_file(f)?;
        if actual != signed {
            return Err(SignError::Mismatch { name, actual, signed });
        }
    }
    Ok(())
}
