//! TLS for the dev broker: serving `https://` (optionally requiring client
//! certificates, as a broker started with a client CA does), and throwaway
//! certificate sets generated at run time so tests commit no key.

use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_stream::Stream;

/// The TLS identity a broker serves with (PEM), and the CA its clients'
/// certificates must chain to, if it requires them.
#[derive(Clone)]
pub struct TlsServer {
    /// PEM certificate chain of the brokers.
    pub cert_pem: Vec<u8>,
    /// PEM private key of `cert_pem`.
    pub key_pem: Vec<u8>,
    /// PEM CA(s) of client certificates; `Some` requires one (mutual TLS).
    pub client_ca_pem: Option<Vec<u8>>,
}

impl std::fmt::Debug for TlsServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsServer")
            .field("client_ca", &self.client_ca_pem.is_some())
            .finish_non_exhaustive()
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn io_err(msg: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, msg)
}

impl TlsServer {
    /// The rustls server configuration (ALPN `h2`).
    pub fn server_config(&self) -> std::io::Result<Arc<rustls::ServerConfig>> {
        let certs = CertificateDer::pem_slice_iter(&self.cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| io_err(format!("--tls-cert: {e}")))?;
        let key = PrivateKeyDer::from_pem_slice(&self.key_pem)
            .map_err(|_| io_err("--tls-key: no PEM private key".into()))?;
        let builder = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| io_err(e.to_string()))?;
        let builder = match &self.client_ca_pem {
            None => builder.with_no_client_auth(),
            Some(pem) => {
                let mut roots = rustls::RootCertStore::empty();
                for cert in CertificateDer::pem_slice_iter(pem) {
                    let cert = cert.map_err(|e| io_err(format!("--tls-client-ca: {e}")))?;
                    roots
                        .add(cert)
                        .map_err(|e| io_err(format!("--tls-client-ca: {e}")))?;
                }
                let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                    Arc::new(roots),
                    provider(),
                )
                .build()
                .map_err(|e| io_err(format!("--tls-client-ca: {e}")))?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let mut config = builder
            .with_single_cert(certs, key)
            .map_err(|e| io_err(format!("--tls-cert/--tls-key: {e}")))?;
        config.alpn_protocols = vec![b"h2".to_vec()];
        Ok(Arc::new(config))
    }
}

/// An accepted TLS connection, as tonic's server wants it.
pub(crate) struct TlsConn(tokio_rustls::server::TlsStream<TcpStream>);

impl tonic::transport::server::Connected for TlsConn {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for TlsConn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsConn {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

/// Connections of `listener` after their TLS handshake. Handshakes run
/// concurrently, so one stalled client doesn't hold up the others; failed
/// ones are dropped (the client sees the alert).
pub(crate) fn tls_incoming(
    listener: tokio::net::TcpListener,
    config: Arc<rustls::ServerConfig>,
) -> impl Stream<Item = std::io::Result<TlsConn>> {
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    tokio::spawn(async move {
        loop {
            let conn = match listener.accept().await {
                Ok((conn, _)) => conn,
                Err(_) => continue,
            };
            let _ = conn.set_nodelay(true);
            if tx.is_closed() {
                return;
            }
            let acceptor = acceptor.clone();
            let tx = tx.clone();
            tokio::spawn(async move {
                if let Ok(tls) = acceptor.accept(conn).await {
                    let _ = tx.send(Ok(TlsConn(tls))).await;
                }
            });
        }
    });
    tokio_stream::wrappers::ReceiverStream::new(rx)
}

/// A throwaway PKI: a CA, a server certificate for `localhost` and
/// `127.0.0.1`, a client certificate, and, for tests of failures, an
/// unrelated CA with its own client certificate, an expired server
/// certificate and one for another host (all PEM, keys PKCS#8).
pub struct CertSet {
    /// The CA that signed the server and client certificates.
    pub ca_pem: String,
    /// Server certificate for `localhost` and `127.0.0.1`.
    pub server_cert_pem: String,
    /// Its key.
    pub server_key_pem: String,
    /// Client certificate (client authentication).
    pub client_cert_pem: String,
    /// Its key.
    pub client_key_pem: String,
    /// A CA that signed none of the above.
    pub other_ca_pem: String,
    /// A client certificate (and key) of `other_ca_pem`.
    pub rogue_client_cert_pem: String,
    /// Its key.
    pub rogue_client_key_pem: String,
    /// A server certificate of `ca_pem` that expired in 2001.
    pub expired_cert_pem: String,
    /// Its key.
    pub expired_key_pem: String,
    /// A server certificate of `ca_pem` for `elsewhere.example` only.
    pub wrong_host_cert_pem: String,
    /// Its key.
    pub wrong_host_key_pem: String,
}

struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
}

fn rc(e: rcgen::Error) -> std::io::Error {
    std::io::Error::other(format!("generating certificates: {e}"))
}

fn new_ca(name: &str) -> std::io::Result<Ca> {
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(rc)?;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let key = KeyPair::generate().map_err(rc)?;
    let cert = params.self_signed(&key).map_err(rc)?;
    Ok(Ca { cert, key })
}

fn leaf(
    ca: &Ca,
    names: &[&str],
    usage: ExtendedKeyUsagePurpose,
    expired: bool,
) -> std::io::Result<(String, String)> {
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    let mut params = CertificateParams::new(names).map_err(rc)?;
    params
        .distinguished_name
        .push(DnType::CommonName, "gazette-devbroker test");
    params.extended_key_usages = vec![usage];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    if expired {
        params.not_before = rcgen::date_time_ymd(2000, 1, 1);
        params.not_after = rcgen::date_time_ymd(2001, 1, 1);
    }
    let key = KeyPair::generate().map_err(rc)?;
    let cert = params.signed_by(&key, &ca.cert, &ca.key).map_err(rc)?;
    Ok((cert.pem(), key.serialize_pem()))
}

impl CertSet {
    /// Generates a fresh set (ECDSA P-256; a few milliseconds).
    pub fn generate() -> std::io::Result<CertSet> {
        use ExtendedKeyUsagePurpose::{ClientAuth, ServerAuth};
        let ca = new_ca("gazette-devbroker test CA")?;
        let other = new_ca("gazette-devbroker unrelated CA")?;
        let hosts = ["localhost", "127.0.0.1"];
        let (server_cert_pem, server_key_pem) = leaf(&ca, &hosts, ServerAuth, false)?;
        let (client_cert_pem, client_key_pem) = leaf(&ca, &["client"], ClientAuth, false)?;
        let (rogue_client_cert_pem, rogue_client_key_pem) =
            leaf(&other, &["client"], ClientAuth, false)?;
        let (expired_cert_pem, expired_key_pem) = leaf(&ca, &hosts, ServerAuth, true)?;
        let (wrong_host_cert_pem, wrong_host_key_pem) =
            leaf(&ca, &["elsewhere.example"], ServerAuth, false)?;
        Ok(CertSet {
            ca_pem: ca.cert.pem(),
            server_cert_pem,
            server_key_pem,
            client_cert_pem,
            client_key_pem,
            other_ca_pem: other.cert.pem(),
            rogue_client_cert_pem,
            rogue_client_key_pem,
            expired_cert_pem,
            expired_key_pem,
            wrong_host_cert_pem,
            wrong_host_key_pem,
        })
    }

    /// The files `--tls-generate DIR` writes, by name.
    pub fn files(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("ca.pem", &self.ca_pem),
            ("server.pem", &self.server_cert_pem),
            ("server-key.pem", &self.server_key_pem),
            ("client.pem", &self.client_cert_pem),
            ("client-key.pem", &self.client_key_pem),
            ("other-ca.pem", &self.other_ca_pem),
            ("rogue-client.pem", &self.rogue_client_cert_pem),
            ("rogue-client-key.pem", &self.rogue_client_key_pem),
            ("expired.pem", &self.expired_cert_pem),
            ("expired-key.pem", &self.expired_key_pem),
            ("wrong-host.pem", &self.wrong_host_cert_pem),
            ("wrong-host-key.pem", &self.wrong_host_key_pem),
        ]
    }

    /// Writes every file into `dir` (created if missing); keys are 0600.
    pub fn write_to(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        for (name, pem) in self.files() {
            let path = dir.join(name);
            std::fs::write(&path, pem)?;
            if name.ends_with("-key.pem") {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
            }
        }
        Ok(())
    }

    /// Serving with the server certificate, without client certificates.
    pub fn server(&self) -> TlsServer {
        TlsServer {
            cert_pem: self.server_cert_pem.clone().into_bytes(),
            key_pem: self.server_key_pem.clone().into_bytes(),
            client_ca_pem: None,
        }
    }

    /// Serving with the server certificate, requiring client certificates
    /// of this set's CA.
    pub fn mutual_server(&self) -> TlsServer {
        TlsServer {
            client_ca_pem: Some(self.ca_pem.clone().into_bytes()),
            ..self.server()
        }
    }
}
