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
    let mut text = String::new();
    for f in files {
        text.push_str(&manifest_line(&sha256_file(f)?, &listed_name(f)));
    }
    let signature = signature(&text, secret_key)?;
    let io = |e| SignError::Io(manifest.display().to_string(), e);
    std::fs::write(manifest, &text).map_err(io)?;
    std::fs::write(sig_path(manifest), signature).map_err(io)
}

/// One manifest line, as `sha256sum` prints it. `name` may be a path inside a bundle.
pub fn manifest_line(sum: &str, name: &str) -> String {
    format!("{sum}  {name}\n")
}

/// The SHA-256 a manifest's text signs for `name`.
pub fn signed_sum(text: &str, name: &str) -> Option<String> {
    text.lines().find_map(|l| l.split_once("  ").filter(|(_, n)| *n == name).map(|(h, _)| h.to_owned()))
}

/// The content of a manifest's `.sig` file: its text signed with the key in `secret_key`.
pub fn signature(text: &str, secret_key: &Path) -> Result<String, SignError> {
    let key = SigningKey::from_bytes(&key_bytes(secret_key)?);
    Ok(hex::encode(key.sign(text.as_bytes()).to_bytes()))
}

/// Checks a `.sig` file's content against the manifest's text and the key in `public_key`.
pub fn check_signature(text: &[u8], sig: &[u8], public_key: &Path) -> Result<(), SignError> {
    let key = VerifyingKey::from_bytes(&key_bytes(public_key)?)
        .map_err(|_| SignError::BadKey(public_key.display().to_string()))?;
    let sig_text = String::from_utf8_lossy(sig).trim().to_owned();
    let signature = hex::decode(sig_text)
        .ok()
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .map(|b| Signature::from_bytes(&b))
        .ok_or(SignError::BadSignature)?;
    key.verify(text, &signature).map_err(|_| SignError::BadSignature)
}

fn sig_path(manifest: &Path) -> std::path::PathBuf {
    let mut p = manifest.as_os_str().to_owned();
    p.push(".sig");
    p.into()
}

/// Checks the manifest's signature, then that each file's SHA-256 is the signed one.
pub fn verify(files: &[&Path], manifest: &Path, public_key: &Path) -> Result<(), SignError> {
    let text = read(manifest)?;
    let sig = sig_path(manifest);
    if !sig.exists() {
        return Err(SignError::Unsigned(sig.display().to_string()));
    }
    check_signature(&text, &read(&sig)?, public_key)?;
    let text = String::from_utf8_lossy(&text);
    for f in files {
        let name = listed_name(f);
        let signed = signed_sum(&text, &name).ok_or_else(|| SignError::NotListed(name.clone()))?;
        let actual = sha256_file(f)?;
        if actual != signed {
            return Err(SignError::Mismatch { name, actual, signed });
        }
    }
    Ok(())
}
