//! TLS client settings on top of rustls (ring), with libpq's levels of
//! checking: encrypt only (`require` without a root file), the chain but not
//! the host name (`verify-ca`), or both (`verify-full`); trusted roots from
//! a file or the system's store, and an optional client certificate.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

/// How much of the server certificate to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verify {
    /// Encrypt only (libpq `allow`/`prefer`, `require` without a root file).
    Nothing,
    /// Chain to a trusted root, any host name (libpq `verify-ca`).
    Chain,
    /// Chain and host name (libpq `verify-full`).
    Full,
}

/// Where trusted roots come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Roots {
    /// A PEM file (libpq `sslrootcert=FILE`, `~/.postgresql/root.crt`, MySQL `ssl_ca`).
    File(PathBuf),
    /// The operating system's trust store (libpq `sslrootcert=system`).
    System,
}

/// A client certificate and its private key (PEM files).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClientCert {
    /// The certificate (chain).
    pub(crate) cert: PathBuf,
    /// The private key; `None` when it is in the certificate file (asyncpg).
    pub(crate) key: Option<PathBuf>,
}

/// Everything a TLS client needs, decided from the URL and environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Setup {
    /// How much to check.
    pub(crate) verify: Verify,
    /// Trusted roots (needed unless `verify` is [`Verify::Nothing`]).
    pub(crate) roots: Option<Roots>,
    /// A client certificate to present when the server asks for one.
    pub(crate) client: Option<ClientCert>,
    /// Send the host name in SNI (libpq `sslsni`).
    pub(crate) sni: bool,
    /// Allow TLS 1.2 (libpq `ssl_max_protocol_version=TLSv1.2` and below keep it).
    pub(crate) tls12: bool,
    /// Allow TLS 1.3.
    pub(crate) tls13: bool,
}

impl Setup {
    /// Encrypt only: no roots, no client certificate, SNI on, TLS 1.2 and 1.3.
    pub(crate) fn encrypt_only() -> Setup {
        Setup {
            verify: Verify::Nothing,
            roots: None,
            client: None,
            sni: true,
            tls12: true,
            tls13: true,
        }
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Trusted roots from a PEM file, or the system's trust store.
pub(crate) fn roots(from: &Roots) -> Result<RootCertStore, String> {
    let path = match from {
        Roots::File(path) => path,
        Roots::System => return system_roots(),
    };
    let mut store = RootCertStore::empty();
    let iter = CertificateDer::pem_file_iter(path)
        .map_err(failed("cannot read root certificate file", path))?;
    for cert in iter {
        let cert = cert.map_err(failed("bad certificate in root certificate file", path))?;
        store.add(cert).map_err(failed(
            "unusable certificate in root certificate file",
            path,
        ))?;
    }
    if store.is_empty() {
        return Err(holds_no_certificate("root certificate file", path));
    }
    Ok(store)
}

/// A `map_err` for a failure with the file at `path`: `WHAT "PATH": ERROR`.
fn failed<E: std::fmt::Display>(what: &str, path: &Path) -> impl FnOnce(E) -> String {
    move |e| format!("{what} \"{}\": {e}", path.display())
}

/// `WHAT "PATH" holds no certificate`.
fn holds_no_certificate(what: &str, path: &Path) -> String {
    format!("{what} \"{}\" holds no certificate", path.display())
}

/// The operating system's trusted roots (`SSL_CERT_FILE`/`SSL_CERT_DIR` or
/// the platform's bundle), as OpenSSL-based clients load them.
fn system_roots() -> Result<RootCertStore, String> {
    let found = rustls_native_certs::load_native_certs();
    let mut store = RootCertStore::empty();
    let (added, _) = store.add_parsable_certificates(found.certs);
    if added == 0 {
        let why = found
            .errors
            .first()
            .map_or_else(|| "none found".to_string(), ToString::to_string);
        return Err(format!(
            "cannot load the system's trusted root certificates ({why}): give sslrootcert=FILE instead"
        ));
    }
    Ok(store)
}

/// The file under `~/.postgresql/` libpq and asyncpg look at by default.
pub(crate) fn dot_postgresql(name: &str) -> Option<PathBuf> {
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty())?;
    Some(Path::new(&home).join(".postgresql").join(name))
}

/// The client certificate chain and key, read from their PEM files.
fn identity(
    client: &ClientCert,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), String> {
    let cert_path = &client.cert;
    let chain = CertificateDer::pem_file_iter(cert_path)
        .and_then(|iter| iter.collect::<Result<Vec<_>, _>>())
        .map_err(failed("cannot read certificate file", cert_path))?;
    if chain.is_empty() {
        return Err(holds_no_certificate("certificate file", cert_path));
    }
    let key_path = client.key.as_ref().unwrap_or(cert_path);
    let text = std::fs::read(key_path).map_err(failed("cannot read private key file", key_path))?;
    if String::from_utf8_lossy(&text).contains("ENCRYPTED") {
        return Err(format!(
            "private key file \"{}\" is encrypted: db-status cannot decrypt it (sslpassword); \
             give it an unencrypted copy of the key, readable only by you",
            key_path.display()
        ));
    }
    let key = PrivateKeyDer::from_pem_slice(&text)
        .map_err(failed("cannot read a private key from", key_path))?;
    Ok((chain, key))
}

/// A client configuration for `setup`.
pub(crate) fn client_config(setup: &Setup) -> Result<ClientConfig, String> {
    let provider = provider();
    let versions: Vec<&'static rustls::SupportedProtocolVersion> = [
        (setup.tls13, &rustls::version::TLS13),
        (setup.tls12, &rustls::version::TLS12),
    ]
    .into_iter()
    .filter_map(|(on, v)| on.then_some(v))
    .collect();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions)
        .map_err(|e| format!("TLS setup failed: {e}"))?;
    let chain_verifier = || -> Result<Arc<WebPkiServerVerifier>, String> {
        let from = setup
            .roots
            .as_ref()
            .ok_or("certificate verification needs trusted root certificates")?;
        WebPkiServerVerifier::builder_with_provider(Arc::new(roots(from)?), provider.clone())
            .build()
            .map_err(|e| format!("TLS setup failed: {e}"))
    };
    // The chain verifier checks signatures with the same provider's
    // algorithms as `Lenient` does.
    let verifier: Arc<dyn ServerCertVerifier> = match setup.verify {
        Verify::Nothing => Arc::new(Lenient {
            chain: None,
            algorithms: provider.signature_verification_algorithms,
        }),
        Verify::Chain => Arc::new(Lenient {
            chain: Some(chain_verifier()?),
            algorithms: provider.signature_verification_algorithms,
        }),
        Verify::Full => chain_verifier()?,
    };
    let builder = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match &setup.client {
        None => builder.with_no_client_auth(),
        Some(client) => {
            let (chain, key) = identity(client)?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(failed("unusable client certificate", &client.cert))?
        }
    };
    config.enable_sni = setup.sni;
    Ok(config)
}

/// What libpq checks short of `verify-full`. With `chain`, the chain to a
/// trusted root but not the host name (`verify-ca`); without, any
/// certificate (`require`). Either way the handshake signatures are checked
/// (as rustls's own verifier checks them), so the session is encrypted to
/// whoever holds the certificate's key.
#[derive(Debug)]
struct Lenient {
    chain: Option<Arc<WebPkiServerVerifier>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Lenient {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
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
