//! TLS for the POS link without a certificate authority: the store server uses a
//! self-signed certificate and each device pins its SHA-256 fingerprint. That is what a
//! shop LAN can operate (no public names, no CA), and it still stops a man in the middle.
//! A chain's servers on the internet (the rollout server, the MQTT broker) may instead be
//! trusted through the system's CA roots ([`roots_client_config`]).

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
    #[error("reading {0}: {1}")]
    Read(String, std::io::Error),
}

/// The system's CA roots: Debian's bundle (the `ca-certificates` package, on our images).
pub const SYSTEM_ROOTS: &str = "/etc/ssl/certs/ca-certificates.crt";

/// A client configuration that trusts the CA certificates in `bundle` (PEM), checking the
/// server's name and chain as a browser does.
pub fn roots_client_config(bundle: &std::path::Path) -> Result<Arc<ClientConfig>, TlsError> {
    let what = bundle.display().to_string();
    let pem = std::fs::read(bundle).map_err(|e| TlsError::Read(what.clone(), e))?;
    let mut roots = rustls::RootCertStore::empty();
    let (added, _) =
        roots.add_parsable_certificates(CertificateDer::pem_slice_iter(&pem).filter_map(Result::ok));
    if added == 0 {
        return Err(TlsError::NoCertificate(what));
    }
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The client configuration for a chain's server: its certificate pinned when `pin` is
/// given, else the system's CA roots ([`SYSTEM_ROOTS`]).
pub fn client_config(pin: Option<&str>) -> Result<Arc<ClientConfig>, TlsError> {
    match pin {
        Some(pin) => pinned_client_config(pin),
        None => roots_client_config(std::path::Path::new(SYSTEM_ROOTS)),
    }
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

    /// A CA, and a server certificate for `name` signed by it: (CA PEM, cert PEM, key PEM).
    fn ca_and_server(name: &str) -> (String, String, String) {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca, ca_key);
        let key = rcgen::KeyPair::generate().unwrap();
        let cert =
            rcgen::CertificateParams::new(vec![name.to_owned()]).unwrap().signed_by(&key, &issuer).unwrap();
        (ca_cert.pem(), cert.pem(), key.serialize_pem())
    }

    /// Connects with `client` to a TLS server holding `cert`, as `name`: whether it is trusted.
    async fn handshake(client: Arc<ClientConfig>, cert: &str, key: &str, name: &str) -> bool {
        let server = server_config(cert.as_bytes(), key.as_bytes(), "test").unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let _ = tokio_rustls::TlsAcceptor::from(server).accept(tcp).await;
        });
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let name = ServerName::try_from(name.to_owned()).unwrap();
        tokio_rustls::TlsConnector::from(client).connect(name, tcp).await.is_ok()
    }

    #[tokio::test]
    async fn ca_roots_trust_a_certificate_they_signed_for_its_name_only() {
        let dir = std::env::temp_dir().join(format!("kiosk-roots-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (ca, cert, key) = ca_and_server("fleet.example.com");
        let (other_ca, _, _) = ca_and_server("fleet.example.com");
        let (roots, others) = (dir.join("roots.pem"), dir.join("others.pem"));
        std::fs::write(&roots, &ca).unwrap();
        std::fs::write(&others, &other_ca).unwrap();
        let trusting = roots_client_config(&roots).unwrap();
        assert!(handshake(trusting.clone(), &cert, &key, "fleet.example.com").await);
        assert!(!handshake(trusting, &cert, &key, "other.example.com").await, "another name");
        let strangers = roots_client_config(&others).unwrap();
        assert!(!handshake(strangers, &cert, &key, "fleet.example.com").await, "another CA");
        std::fs::write(&others, "not a certificate").unwrap();
        assert!(matches!(roots_client_config(&others), Err(TlsError::NoCertificate(_))));
        assert!(matches!(roots_client_config(&dir.join("missing.pem")), Err(TlsError::Read(..))));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_generated_certificate_loads_and_its_fingerprint_matches() {
        let (cert, key, fp) = self_signed(&["localhost".into()]).unwrap();
        server_config(cert.as_bytes(), key.as_bytes(), "test").unwrap();
        assert_eq!(pem_fingerprint(cert.as_bytes()).unwrap(), fp);
        pinned_client_config(&fp).unwrap();
    }
}
