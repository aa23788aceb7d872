//! `ClientConfig`: where the brokers are and how to talk to them.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::auth::{AuthKeys, TokenProvider};
use crate::tls::TlsConfig;

/// Settings of a [`Client`](crate::client::Client). Build one with
/// [`ClientConfig::new`] (or start from [`Default`], which has no endpoint)
/// and adjust the public fields. `Debug` leaves the bearer token out.
#[derive(Clone)]
pub struct ClientConfig {
    /// Broker service address(es), each `http://host:port` (or `https://`).
    /// List, Apply and health checks go here, as does any journal RPC whose
    /// route is not yet known. With several, the client sticks to one and
    /// moves to the next after a transport failure.
    pub endpoints: Vec<String>,
    /// The client's zone: among a route's members, one in this zone is
    /// preferred for reads. Empty means no preference.
    pub zone: String,
    /// Bound on establishing a TCP (and TLS) connection to a broker.
    pub connect_timeout: Duration,
    /// Bound on each unary RPC (List, Apply, ListFragments, health).
    /// Streaming reads and appends are not bounded by it. `None` = no bound.
    pub request_timeout: Option<Duration>,
    /// Largest gRPC message the client accepts. Gazette's own clients use
    /// 16 MiB (tonic defaults to 4 MiB, too small for big listings).
    pub max_receive_message_size: usize,
    /// Interval of HTTP/2 keep-alive pings; `None` disables them. Kept above
    /// 5 minutes by default because grpc-go servers answer more frequent
    /// pings with GOAWAY ("too_many_pings").
    pub keep_alive_interval: Option<Duration>,
    /// How long a keep-alive ping may go unanswered before the connection is
    /// considered dead.
    pub keep_alive_timeout: Duration,
    /// Number of journal routes remembered; 0 disables the cache (brokers
    /// then proxy every RPC).
    pub route_cache_size: usize,
    /// How long a remembered route is trusted.
    pub route_cache_ttl: Duration,
    /// Connections to route members not used for about this long are
    /// closed (those to the default endpoints never are).
    pub connection_sweep_interval: Duration,
    /// A pre-shared bearer token, sent as `authorization: Bearer <token>`
    /// with every RPC, for brokers that verify one. `None`: no header.
    pub bearer_token: Option<String>,
    /// The cluster's pre-shared `--auth-keys`: the client signs a
    /// short-lived JWT for every RPC with the first key (Gazette's keyed
    /// authorization). Overrides `bearer_token`.
    pub auth_keys: Option<AuthKeys>,
    /// The application's source of tokens; overrides `auth_keys` and
    /// `bearer_token`.
    pub token_provider: Option<Arc<dyn TokenProvider>>,
    /// Lifetime of every token asked for, instead of the Go client's per-RPC
    /// lifetimes (an hour for reads and watches, a minute for the rest).
    pub auth_token_lifetime: Option<Duration>,
    /// TLS settings of `https://` brokers and fragment URLs.
    pub tls: TlsConfig,
    /// Local directory behind `file://` fragment URLs (Go's
    /// `InstallFileTransport`). `None`: such URLs can't be opened directly.
    pub file_root: Option<PathBuf>,
    /// Verify directly read fragments before handing out their bytes (the
    /// SHA-1 sum, codec checksums; see [`crate::fragment_reader`]). Default
    /// true; false streams them unchecked, as the Go client does, for
    /// stores the caller trusts (faster, and the first byte comes sooner).
    pub verify_fragments: bool,
}

/// Default largest received gRPC message: 16 MiB, as Gazette's clients.
pub const DEFAULT_MAX_RECEIVE_MESSAGE_SIZE: usize = 16 << 20;

impl Default for ClientConfig {
    /// The defaults, with no endpoint yet.
    fn default() -> Self {
        ClientConfig {
            endpoints: Vec::new(),
            zone: String::new(),
            connect_timeout: Duration::from_secs(10),
            request_timeout: None,
            max_receive_message_size: DEFAULT_MAX_RECEIVE_MESSAGE_SIZE,
            keep_alive_interval: Some(Duration::from_secs(301)),
            keep_alive_timeout: Duration::from_secs(20),
            route_cache_size: 1024,
            route_cache_ttl: Duration::from_secs(60),
            connection_sweep_interval: Duration::from_secs(30),
            bearer_token: None,
            auth_keys: None,
            token_provider: None,
            auth_token_lifetime: None,
            tls: TlsConfig::default(),
            file_root: None,
            verify_fragments: true,
        }
    }
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("endpoints", &self.endpoints)
            .field("zone", &self.zone)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("max_receive_message_size", &self.max_receive_message_size)
            .field("keep_alive_interval", &self.keep_alive_interval)
            .field("keep_alive_timeout", &self.keep_alive_timeout)
            .field("route_cache_size", &self.route_cache_size)
            .field("route_cache_ttl", &self.route_cache_ttl)
            .field("connection_sweep_interval", &self.connection_sweep_interval)
            // A secret: only whether there is one.
            .field("bearer_token", &self.bearer_token.as_ref().map(|_| ".."))
            .field("auth_keys", &self.auth_keys)
            .field(
                "token_provider",
                &self.token_provider.as_ref().map(|_| ".."),
            )
            .field("auth_token_lifetime", &self.auth_token_lifetime)
            .field("tls", &self.tls)
            .field("file_root", &self.file_root)
            .field("verify_fragments", &self.verify_fragments)
            .finish()
    }
}

impl ClientConfig {
    /// Defaults for talking to the broker(s) at `endpoint` (`http://host:port`).
    pub fn new(endpoint: impl Into<String>) -> Self {
        ClientConfig {
            endpoints: vec![endpoint.into()],
            ..ClientConfig::default()
        }
    }

    /// Adds another default broker endpoint.
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoints.push(endpoint.into());
        self
    }

    /// Sets the client's zone.
    pub fn with_zone(mut self, zone: impl Into<String>) -> Self {
        self.zone = zone.into();
        self
    }

    /// Sets the directory behind `file://` fragment URLs.
    pub fn with_file_root(mut self, root: impl Into<PathBuf>) -> Self {
        self.file_root = Some(root.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::ClientConfig;

    #[test]
    fn debug_hides_the_bearer_token() {
        let mut config = ClientConfig::new("http://broker:1");
        config.bearer_token = Some("s3cr3t".into());
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(shown.contains("bearer_token: Some(\"..\")"), "{shown}");
        assert!(ClientConfig::default().endpoints.is_empty());

        config.auth_keys = Some(crate::auth::AuthKeys::parse("c2VjcmV0LWtleQ==").unwrap());
        config.tls.client_key_pem = Some(b"-----BEGIN PRIVATE KEY-----\nsecretkeybytes".to_vec());
        let shown = format!("{config:?}");
        for secret in ["c2VjcmV0LWtleQ", "secret-key", "secretkeybytes"] {
            assert!(!shown.contains(secret), "{shown}");
        }
    }
}
