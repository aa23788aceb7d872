//! `Client`: a Gazette journal client's configuration, route cache,
//! counters and credentials. Which broker an RPC goes to, and the
//! connections to brokers, are `router.rs`.

use std::collections::HashMap;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::auth::{Authorizer, Claims, Credentials};
use super::config::ClientConfig;
use super::error::{Error, Result};
use super::route_cache::RouteCache;
use super::router::{check_endpoint, Conn};
use super::stats::Stats;
use super::tls::LazyTls;
use crate::protocol::Route;

/// An `authorization` header value.
pub type AuthHeader = tonic::metadata::MetadataValue<tonic::metadata::Ascii>;

/// Wraps `message` in a request carrying `header`, if any.
pub fn with_auth<T>(message: T, header: &Option<AuthHeader>) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    if let Some(value) = header {
        request
            .metadata_mut()
            .insert("authorization", value.clone());
    }
    request
}

/// A Gazette journal client. Cheap to clone; clones share connections, the
/// route cache and counters.
///
/// ```no_run
/// # async fn demo() -> gazette::Result<()> {
/// use gazette::{append, Client, ClientConfig};
/// use gazette::protocol::AppendRequest;
///
/// let client = Client::new(ClientConfig::new("http://127.0.0.1:8080").with_zone("us-east-1a"))?;
/// let request = AppendRequest { journal: "examples/greetings".into(), ..Default::default() };
/// let response = append(&client, request, &[&"hello, world\n"]).await?;
/// println!("committed {:?}", response.commit);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

/// What clones of a client share.
pub(crate) struct Inner {
    pub(crate) config: ClientConfig,
    /// The rustls configuration of `https://` brokers and fragment URLs.
    pub(crate) tls: LazyTls,
    /// Where tokens come from, and those cached.
    pub(crate) auth: Authorizer,
    pub(crate) routes: RouteCache,
    /// One lazily-dialed channel per broker endpoint URL.
    pub(crate) conns: Mutex<HashMap<String, Arc<Conn>>>,
    /// Index into `config.endpoints` of the default endpoint in use.
    pub(crate) default_index: AtomicUsize,
    /// When unused member connections were last dropped.
    pub(crate) last_sweep: Mutex<Instant>,
    pub(crate) stats: Stats,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("endpoints", &self.inner.config.endpoints)
            .field("zone", &self.inner.config.zone)
            .finish()
    }
}

impl Client {
    /// A client for `config`. Nothing is dialed until the first RPC.
    /// Fails if there is no endpoint or one doesn't parse as a URL.
    pub fn new(config: ClientConfig) -> Result<Client> {
        if config.endpoints.is_empty() {
            return Err(Error::InvalidArgument(
                "expected at least one broker endpoint".into(),
            ));
        }
        for endpoint in &config.endpoints {
            check_endpoint(endpoint)?;
        }
        if let Some(token) = &config.bearer_token {
            if format!("Bearer {token}")
                .parse::<tonic::metadata::MetadataValue<tonic::metadata::Ascii>>()
                .is_err()
            {
                return Err(Error::InvalidArgument(
                    "bearer token is not a valid header value".into(),
                ));
            }
        }
        crate::tls::check_server_name(&config.tls)?;
        // A bad PEM is reported now rather than at the first RPC.
        let tls = if config.tls.is_customized() {
            LazyTls::built(&config.tls)?
        } else {
            LazyTls::default()
        };
        let credentials = if let Some(provider) = &config.token_provider {
            Credentials::Provider(provider.clone())
        } else if let Some(keys) = &config.auth_keys {
            Credentials::Keys(keys.clone())
        } else if let Some(token) = &config.bearer_token {
            Credentials::Bearer(token.clone())
        } else {
            Credentials::None
        };
        let auth = Authorizer::new(credentials, config.auth_token_lifetime);
        let routes = RouteCache::new(config.route_cache_size, config.route_cache_ttl);
        Ok(Client {
            inner: Arc::new(Inner {
                config,
                tls,
                auth,
                routes,
                conns: Mutex::new(HashMap::new()),
                default_index: AtomicUsize::new(0),
                last_sweep: Mutex::new(Instant::now()),
                stats: Stats::default(),
            }),
        })
    }

    /// A client of the broker(s) at `endpoint` with default settings.
    pub fn connect(endpoint: impl Into<String>) -> Result<Client> {
        Client::new(ClientConfig::new(endpoint))
    }

    /// The client's configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// The client's route cache.
    pub fn route_cache(&self) -> &RouteCache {
        &self.inner.routes
    }

    /// The client's counters.
    pub fn stats(&self) -> &Stats {
        &self.inner.stats
    }

    /// Records `route` as `journal`'s current route (as learned from a
    /// response header). A route without members forgets the journal.
    pub fn update_route(&self, journal: &str, route: &Route) {
        if tracing::enabled!(tracing::Level::DEBUG)
            && self.inner.routes.get(journal).as_ref() != Some(route)
        {
            let primary = usize::try_from(route.primary).ok();
            tracing::debug!(
                journal,
                primary = ?primary.and_then(|i| route.members.get(i)).map(|m| &m.suffix),
                endpoint = ?primary.and_then(|i| route.endpoints.get(i)),
                members = route.members.len(),
                "route changed"
            );
        }
        self.inner.routes.update_route(journal, Some(route));
    }

    /// Forgets `journal`'s route, so its next RPC goes to a default endpoint.
    pub fn invalidate_route(&self, journal: &str) {
        tracing::debug!(journal, "route invalidated");
        self.inner.routes.invalidate(journal);
    }

    /// Wraps an RPC's message (or request stream) in a `tonic::Request`
    /// carrying the client's credentials for `claims` (see
    /// [`crate::auth::claims`] for each RPC's), if configured: a static
    /// bearer token, a token signed with the auth keys, or one from the
    /// token provider. Every RPC the client makes goes through here.
    pub async fn request<T>(
        &self,
        message: T,
        (claims, lifetime): (Claims, std::time::Duration),
    ) -> Result<tonic::Request<T>> {
        let mut request = tonic::Request::new(message);
        if let Some(value) = self.inner.auth.header(claims, lifetime).await? {
            request.metadata_mut().insert("authorization", value);
        }
        Ok(request)
    }

    /// The `authorization` header for an RPC of `claims` (see
    /// [`Client::request`]), for RPCs retried with the same claims.
    pub async fn auth_header(
        &self,
        (claims, lifetime): (Claims, std::time::Duration),
    ) -> Result<Option<AuthHeader>> {
        self.inner.auth.header(claims, lifetime).await
    }

    /// Forgets cached tokens, so the next RPCs sign or fetch new ones (after
    /// the application's authorization changed).
    pub fn forget_tokens(&self) {
        self.inner.auth.forget();
    }

    /// `err`, recognised as a client certificate problem if it is a broken
    /// connection after a broker asked for a certificate: TLS 1.3 brokers
    /// refuse after the handshake, and the alert may be lost to the race
    /// with the first request (see `tls_watch`). Lacking a certificate, the
    /// broker wanted one; having one, it refused it if the connection ended
    /// before the broker answered anything.
    pub(crate) fn refine(&self, err: Error) -> Error {
        let broken = match &err {
            Error::Grpc(status) => {
                matches!(
                    status.code(),
                    tonic::Code::Cancelled | tonic::Code::Unknown | tonic::Code::Unavailable
                ) && std::error::Error::source(status).is_some()
            }
            _ => false,
        };
        if !broken {
            return err;
        }
        let tls = &self.inner.config.tls;
        let watch = self.inner.tls.watch(tls);
        if tls.client_cert_pem.is_none() && watch.asked() {
            return Error::Security {
                kind: crate::error::SecurityFailure::ClientCertificateRequired,
                message: format!(
                    "TLS: the broker asked for a client certificate and none is configured: \
                     set one with its key (gazette_config_set_tls_client_cert, \
                     TlsConfig::client_cert_pem) ({err})"
                ),
            };
        }
        if tls.client_cert_pem.is_some() && watch.refused() {
            return Error::Security {
                kind: crate::error::SecurityFailure::ClientCertificateRejected,
                message: format!(
                    concat!(
                        "TLS: the broker closed the connection without answering after \
                         taking the client certificate, so it refused it: ",
                        crate::security_errors::cert_refused_fix!(),
                        " ({})"
                    ),
                    err
                ),
            };
        }
        err
    }

    /// What this client's TLS connections to brokers saw.
    pub(crate) fn cert_watch(&self) -> &Arc<crate::tls_watch::CertWatch> {
        self.inner.tls.watch(&self.inner.config.tls)
    }

    /// The rustls configuration this client uses for TLS.
    pub(crate) fn tls_config(&self) -> Result<Arc<rustls::ClientConfig>> {
        self.inner.tls.get(&self.inner.config.tls)
    }

    /// Runs a unary RPC future under the configured request timeout,
    /// mapping its expiry to [`Error::DeadlineExceeded`].
    pub async fn with_request_timeout<T, F>(&self, fut: F) -> Result<T>
    where
        F: std::future::Future<Output = Result<T>>,
    {
        match self.inner.config.request_timeout {
            None => fut.await,
            Some(limit) => tokio::time::timeout(limit, fut)
                .await
                .unwrap_or(Err(Error::DeadlineExceeded)),
        }
    }
}
