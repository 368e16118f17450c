//! TLS for the POS link without a certificate authority: the store server uses a
//! self-signed certificate and each device pins its SHA-256 fingerprint. That is what a
//! shop LAN can operate (no public names, no CA), and it still stops a man in the middle.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, ServerConfig, SignatureScheme};

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("the pin must be 64 hexadecimal digits (the SHA-256 of the server certificate)")]
    BadPin,
    #[error("no certificate found in {0}")]
    NoCertificate(String),
    #[error("no private key found in {0}: {1}")]
    NoKey(String, String),
    #[error("cannot generate a certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error(transparent)]
    Rustls(#[from] rustls::Error),
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// SHA-256 as lower-case hex. Of a DER certificate, it is what `tls_pin_sha256` holds.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn parse_pin(pin: &str) -> Result<[u8; 32], TlsError> {
    let pin = pin.trim().replace(':', "");
    if pin.len() != 64 {
        return Err(TlsError::BadPin);
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&pin[i * 2..i * 2 + 2], 16).map_err(|_| TlsError::BadPin)?;
    }
    Ok(out)
}

/// Accepts exactly one server certificate: the pinned one. Signatures are still checked,
/// so the server must hold the certificate's key.
#[derive(Debug)]
struct PinnedCertificate {
    pin: [u8; 32],
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PinnedCertificate {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let digest = ring::digest::digest(&ring::digest::SHA256, end_entity.as_ref());
        if digest.as_ref() == self.pin {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(format!(
                "the server's certificate {} is not the pinned one",
                hex(digest.as_ref())
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// A client configuration that trusts only the certificate with this fingerprint.
pub fn pinned_client_config(pin_sha256: &str) -> Result<Arc<ClientConfig>, TlsError> {
    let provider = provider();
    let verifier = PinnedCertificate {
        pin: parse_pin(pin_sha256)?,
        algorithms: provider.signature_verification_algorithms,
    };
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// A server configuration from PEM text (a certificate chain and its private key).
pub fn server_config(cert_pem: &[u8], key_pem: &[u8], what: &str) -> Result<Arc<ServerConfig>, TlsError> {
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(cert_pem).filter_map(Result::ok).collect();
    if certs.is_empty() {
        return Err(TlsError::NoCertificate(what.to_owned()));
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem)
        .map_err(|e| TlsError::NoKey(what.to_owned(), e.to_string()))?;
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    Ok(Arc::new(config))
}

/// The first certificate's fingerprint in PEM text.
pub fn pem_fingerprint(cert_pem: &[u8]) -> Option<String> {
    CertificateDer::pem_slice_iter(cert_pem).find_map(Result::ok).map(|der| sha256_hex(&der))
}

/// A new self-signed certificate for these names: `(certificate PEM, key PEM, fingerprint)`.
pub fn self_signed(names: &[String]) -> Result<(String, String, String), TlsError> {
    let rcgen::CertifiedKey { cert, signing_key } = rcgen::generate_simple_self_signed(names.to_vec())?;
    Ok((cert.pem(), signing_key.serialize_pem(), sha256_hex(cert.der())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_parse_with_or_without_colons_and_reject_anything_else() {
        let hex64 = "ab".repeat(32);
        assert_eq!(parse_pin(&hex64).unwrap(), [0xab; 32]);
        let colons = vec!["AB"; 32].join(":");
        assert_eq!(parse_pin(&colons).unwrap(), [0xab; 32]);
        assert!(matches!(parse_pin("abc"), Err(TlsError::BadPin)));
        assert!(matches!(parse_pin(&"zz".repeat(32)), Err(TlsError::BadPin)));
    }

    #[test]
    fn a_generated_certificate_loads_and_its_fingerprint_matches() {
        let (cert, key, fp) = self_signed(&["localhost".into()]).unwrap();
        server_config(cert.as_bytes(), key.as_bytes(), "test").unwrap();
        assert_eq!(pem_fingerprint(cert.as_bytes()).unwrap(), fp);
        pinned_client_config(&fp).unwrap();
    }
}
