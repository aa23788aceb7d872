//! TLS to brokers (`https://` endpoints) and fragment stores (`https://`
//! signed URLs): one rustls client configuration, built from
//! [`TlsConfig`], drives both through hyper-rustls's connector.
//!
//! rustls runs on ring, which builds with a C compiler alone; there is no
//! OpenSSL. Without a CA bundle the operating system's trust store is used,
//! as Go's `crypto/tls` does.

use std::sync::{Arc, OnceLock};

use hyper_rustls::{FixedServerNameResolver, HttpsConnector};
use hyper_util::client::legacy::connect::HttpConnector;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::RootCertStore;

use crate::error::{Error, Result};
use crate::tls_watch::{CertWatch, WatchingConnector};

/// How the client verifies brokers and stores, and proves itself to them.
/// `Debug` shows which parts are set, never the private key.
#[derive(Clone, Default)]
pub struct TlsConfig {
    /// PEM certificates of the CAs to trust, replacing the system trust
    /// store. `None`: the operating system's roots.
    pub ca_pem: Option<Vec<u8>>,
    /// The client's PEM certificate chain, presented to brokers that
    /// require one (mutual TLS). Needs `client_key_pem`.
    pub client_cert_pem: Option<Vec<u8>>,
    /// The PEM private key of `client_cert_pem` (a secret).
    pub client_key_pem: Option<Vec<u8>>,
    /// The name every broker's certificate is verified against, instead
    /// of the host of the URL dialed (for brokers reached by address, or
    /// through a tunnel). Fragment URLs are always verified by their host.
    pub server_name: Option<String>,
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConfig")
            .field("ca_pem", &self.ca_pem.as_ref().map(|p| p.len()))
            .field(
                "client_cert_pem",
                &self.client_cert_pem.as_ref().map(|p| p.len()),
            )
            // A secret: only whether there is one.
            .field(
                "client_key_pem",
                &self.client_key_pem.as_ref().map(|_| ".."),
            )
            .field("server_name", &self.server_name)
            .finish()
    }
}

impl TlsConfig {
    /// Trusts the CAs of the PEM file at `path` (read now).
    pub fn with_ca_file(mut self, path: impl AsRef<std::path::Path>) -> Result<Self> {
        let path = path.as_ref();
        let pem = std::fs::read(path).map_err(|e| {
            Error::InvalidArgument(format!(
                "TLS CA bundle {}: {e}: give a readable PEM file",
                path.display()
            ))
        })?;
        self.ca_pem = Some(pem);
        Ok(self)
    }

    /// True if anything differs from the defaults (system roots, no client
    /// certificate, no name override).
    pub fn is_customized(&self) -> bool {
        self.ca_pem.is_some()
            || self.client_cert_pem.is_some()
            || self.client_key_pem.is_some()
            || self.server_name.is_some()
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn invalid(msg: String) -> Error {
    Error::InvalidArgument(msg)
}

/// The operating system's trust store, loaded once per process.
fn system_roots() -> std::result::Result<Arc<RootCertStore>, String> {
    static ROOTS: OnceLock<std::result::Result<Arc<RootCertStore>, String>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let found = rustls_native_certs::load_native_certs();
            let mut roots = RootCertStore::empty();
            let (added, _) = roots.add_parsable_certificates(found.certs);
            if added == 0 {
                let why = found
                    .errors
                    .first()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default();
                return Err(format!(
                    "no trusted CA certificates found in the system store{why}: \
                     install ca-certificates or set a CA bundle"
                ));
            }
            Ok(Arc::new(roots))
        })
        .clone()
}

fn parse_certs(pem: &[u8], what: &str) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| invalid(format!("{what}: not valid PEM ({e})")))?;
    if certs.is_empty() {
        return Err(invalid(format!(
            "{what}: no \"BEGIN CERTIFICATE\" block found"
        )));
    }
    Ok(certs)
}

/// Gives the configured client certificate (if any) to servers that ask,
/// noting that one asked: with TLS 1.3 the broker's refusal comes after the
/// handshake and may be lost as a closed connection, so this (with
/// [`CertWatch`]'s view of the connections) is how that failure is
/// recognised.
#[derive(Debug)]
struct NotingResolver {
    key: Option<Arc<rustls::sign::CertifiedKey>>,
    watch: Arc<CertWatch>,
}

impl rustls::client::ResolvesClientCert for NotingResolver {
    fn resolve(
        &self,
        _: &[&[u8]],
        _: &[rustls::SignatureScheme],
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        self.watch.note_asked();
        self.key.clone()
    }

    fn has_certs(&self) -> bool {
        self.key.is_some()
    }
}

/// Builds the rustls client configuration of `config` (ALPN unset; the
/// connectors set it).
pub fn client_config(config: &TlsConfig) -> Result<rustls::ClientConfig> {
    client_config_noting(config, &Arc::default())
}

/// [`client_config`], telling `watch` when a server asks for a client
/// certificate.
fn client_config_noting(
    config: &TlsConfig,
    watch: &Arc<CertWatch>,
) -> Result<rustls::ClientConfig> {
    let roots = match &config.ca_pem {
        Some(pem) => {
            let mut roots = RootCertStore::empty();
            for cert in parse_certs(pem, "TLS CA bundle")? {
                roots.add(cert).map_err(|e| {
                    invalid(format!("TLS CA bundle: a certificate is unusable ({e})"))
                })?;
            }
            Arc::new(roots)
        }
        None => system_roots().map_err(invalid)?,
    };
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(format!("TLS: {e}")))?
        .with_root_certificates(roots);
    let key = match (&config.client_cert_pem, &config.client_key_pem) {
        (None, None) => None,
        (Some(cert), Some(key)) => {
            let chain = parse_certs(cert, "TLS client certificate")?;
            // The key's parse error is not shown: it could quote key bytes.
            let key = PrivateKeyDer::from_pem_slice(key).map_err(|_| {
                invalid(
                    "TLS client key: no PEM private key found (expected a \
                     \"BEGIN PRIVATE KEY\", \"BEGIN EC PRIVATE KEY\" or \"BEGIN RSA PRIVATE KEY\" block)"
                        .into(),
                )
            })?;
            let certified =
                rustls::sign::CertifiedKey::from_der(chain, key, &provider()).map_err(|e| {
                    invalid(format!(
                        "TLS client certificate and key don't go together ({e})"
                    ))
                })?;
            Some(Arc::new(certified))
        }
        _ => {
            return Err(invalid(
                "TLS client certificate and key must be given together".into(),
            ))
        }
    };
    Ok(builder.with_client_cert_resolver(Arc::new(NotingResolver {
        key,
        watch: watch.clone(),
    })))
}

/// Checks `config.server_name` as a TLS server name.
pub fn check_server_name(config: &TlsConfig) -> Result<()> {
    if let Some(name) = &config.server_name {
        ServerName::try_from(name.clone()).map_err(|_| {
            invalid(format!(
                "TLS server name {name:?} is neither a DNS name nor an IP address"
            ))
        })?;
    }
    Ok(())
}

/// The connector of `https://` broker channels: TLS with ALPN `h2`, each
/// connection reporting to `watch`.
pub(crate) fn grpc_connector(
    tls: &rustls::ClientConfig,
    server_name: Option<&str>,
    connect_nodelay: bool,
    watch: Arc<CertWatch>,
) -> WatchingConnector<HttpsConnector<HttpConnector>> {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(connect_nodelay);
    let builder = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls.clone())
        .https_only();
    let builder = match server_name.and_then(|n| ServerName::try_from(n.to_string()).ok()) {
        Some(name) => builder.with_server_name_resolver(FixedServerNameResolver::new(name)),
        None => builder,
    };
    WatchingConnector::new(builder.enable_http2().wrap_connector(http), watch)
}

/// The connector of fragment fetches: `http://` as before, `https://` over
/// TLS with HTTP/1.1 (what Gazette uses for stores).
pub(crate) fn fragment_connector(
    tls: &rustls::ClientConfig,
    connect_timeout: std::time::Duration,
) -> HttpsConnector<HttpConnector> {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(Some(connect_timeout));
    hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls.clone())
        .https_or_http()
        .enable_http1()
        .wrap_connector(http)
}

/// The TLS configuration of a client with default [`TlsConfig`], shared by
/// every such client and by transports made without one.
/// What the connections of clients of the default configuration saw.
static DEFAULT_WATCH: OnceLock<Arc<CertWatch>> = OnceLock::new();

fn default_watch() -> &'static Arc<CertWatch> {
    DEFAULT_WATCH.get_or_init(Arc::default)
}

pub(crate) fn default_client_config() -> Result<Arc<rustls::ClientConfig>> {
    static DEFAULT: OnceLock<std::result::Result<Arc<rustls::ClientConfig>, String>> =
        OnceLock::new();
    DEFAULT
        .get_or_init(|| {
            client_config_noting(&TlsConfig::default(), default_watch())
                .map(Arc::new)
                .map_err(|e| e.to_string())
        })
        .clone()
        .map_err(Error::InvalidArgument)
}

/// A client's TLS configuration, built when first needed (loading the
/// system store costs a few milliseconds, which plaintext clients skip).
#[derive(Default)]
pub(crate) struct LazyTls {
    cell: OnceLock<std::result::Result<Arc<rustls::ClientConfig>, String>>,
    watch: Arc<CertWatch>,
}

impl LazyTls {
    /// A configuration built now (to report a bad PEM at client creation).
    pub fn built(config: &TlsConfig) -> Result<Self> {
        let lazy = LazyTls::default();
        let built = client_config_noting(config, &lazy.watch)?;
        let _ = lazy.cell.set(Ok(Arc::new(built)));
        Ok(lazy)
    }

    /// What this client's TLS connections saw.
    pub fn watch(&self, config: &TlsConfig) -> &Arc<CertWatch> {
        if config.is_customized() {
            &self.watch
        } else {
            default_watch()
        }
    }

    pub fn get(&self, config: &TlsConfig) -> Result<Arc<rustls::ClientConfig>> {
        if !config.is_customized() {
            return default_client_config();
        }
        self.cell
            .get_or_init(|| {
                client_config_noting(config, &self.watch)
                    .map(Arc::new)
                    .map_err(|e| e.to_string())
            })
            .clone()
            .map_err(Error::InvalidArgument)
    }
}
