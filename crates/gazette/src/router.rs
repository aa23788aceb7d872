//! Route-aware dispatch (`Client`'s choice of broker per RPC) and the
//! shared broker connections.
//!
//! Journal RPCs go to a broker of the journal's cached route (its primary
//! for appends, a member preferably in the client's zone for reads and
//! fragment listings); List, Apply and health checks, and any journal RPC
//! whose route is unknown, go to a default endpoint, which proxies as needed.
//! Every response header teaches the route cache; a transport failure
//! against a routed broker forgets the journal's route, so the next attempt
//! falls back to the default endpoint.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tonic::transport::{Channel, Endpoint};

use super::client::Client;
use super::error::{Error, Result};
use super::stats::Stats;
use crate::protocol::journal_client::JournalClient;
use crate::protocol::process_spec::Id as ProcessId;
use crate::protocol::Route;

/// How long a connection that failed with `Unavailable` is avoided when
/// choosing among members (Gazette's reconnect back-off cap).
const FAILED_CONNECTION_HOLD: Duration = Duration::from_secs(5);

/// HTTP/2 connection window: effectively unlimited, as Gazette's clients do,
/// so many concurrent reads on one connection don't starve each other.
const CONNECTION_WINDOW: u32 = (1 << 31) - 1;

/// One broker connection and what the client has learned about it.
pub(crate) struct Conn {
    channel: Channel,
    /// An RPC through it has succeeded (it's connected, or was).
    connected: AtomicBool,
    /// When an RPC through it last failed with `Unavailable`.
    failed_at: Mutex<Option<Instant>>,
    /// Dispatched through since the last sweep.
    used: AtomicBool,
}

impl Conn {
    fn recently_failed(&self) -> bool {
        self.failed_at
            .lock()
            .unwrap()
            .is_some_and(|at| at.elapsed() < FAILED_CONNECTION_HOLD)
    }
}

/// Preference of a route member: (in the client's zone, already
/// connected); larger is better. Recently failed members are skipped.
type MemberScore = (bool, bool);

/// A journal client bound to the broker chosen for one RPC, with what was
/// chosen, so the outcome can be reported back ([`Client::report_error`]).
#[derive(Clone, Debug)]
pub struct Dispatch {
    /// The gRPC client, dialed at `endpoint`.
    pub client: JournalClient<Channel>,
    /// The endpoint URL the RPC goes to.
    pub endpoint: String,
    /// The route member chosen, or `None` for a default endpoint.
    pub member: Option<ProcessId>,
    /// True if the chosen member is in the client's zone.
    pub is_local: bool,
}

impl Dispatch {
    /// True if the RPC goes to a default endpoint rather than a route member.
    pub fn is_default(&self) -> bool {
        self.member.is_none()
    }
}

impl Client {
    /// A client of a default endpoint (List, Apply, health, and journal
    /// RPCs whose route is unknown).
    ///
    /// Must be called within a tokio runtime (channels spawn their workers).
    pub fn default_client(&self) -> Result<Dispatch> {
        let endpoints = &self.inner.config.endpoints;
        let index = self.inner.default_index.load(Ordering::Relaxed) % endpoints.len();
        let endpoint = &endpoints[index];
        let conn = self.conn(endpoint)?;
        Ok(self.dispatch(conn, endpoint.clone(), None, false))
    }

    /// A client for an RPC on `journal`, dispatched by its cached route:
    /// to the primary if `require_primary` and the route has one, else to
    /// the best member (in the client's zone first, then one already
    /// connected; route order breaks ties). Members whose connection failed
    /// in the last few seconds are passed over. A default endpoint serves
    /// when the route is unknown or no member is usable (the route is then
    /// forgotten, to be re-learned from the next response).
    pub fn journal_client_for(&self, journal: &str, require_primary: bool) -> Result<Dispatch> {
        let stats = &self.inner.stats;
        match self.inner.routes.get(journal) {
            Some(route) => {
                Stats::add(&stats.route_cache_hits, 1);
                let dispatch = self.journal_client_for_route(&route, require_primary)?;
                if dispatch.is_default() {
                    // Every member of the cached route is unusable right now:
                    // forget it so it's re-learned from the next response.
                    self.invalidate_route(journal);
                }
                Ok(dispatch)
            }
            None => {
                Stats::add(&stats.route_cache_misses, 1);
                self.default_client()
            }
        }
    }

    /// A client for an RPC dispatched by an explicit `route` (e.g. the one
    /// in a previous response's header), chosen as by
    /// [`Client::journal_client_for`]. Falls back to a default endpoint when
    /// no member is usable.
    pub fn journal_client_for_route(
        &self,
        route: &Route,
        require_primary: bool,
    ) -> Result<Dispatch> {
        match self.pick_member(route, require_primary)? {
            Some((index, conn)) => {
                let member = route.members[index].clone();
                let is_local = self.is_local(&member);
                let endpoint = route.endpoints[index].clone();
                Ok(self.dispatch(conn, endpoint, Some(member), is_local))
            }
            None => self.default_client(),
        }
    }

    /// Records a successful RPC through `dispatch`.
    pub fn report_success(&self, dispatch: &Dispatch) {
        if let Some(conn) = self.existing_conn(&dispatch.endpoint) {
            conn.connected.store(true, Ordering::Relaxed);
            *conn.failed_at.lock().unwrap() = None;
        }
    }

    /// Records a failed RPC through `dispatch` on `journal` (if any). Any
    /// `Unavailable` forgets the journal's route (as Go's dispatcher does)
    /// and, for a default endpoint, moves on to the next configured one.
    /// Only a failure of the connection itself marks it failed, so a live
    /// broker that merely answered `Unavailable` is not avoided.
    pub fn report_error(&self, journal: Option<&str>, dispatch: &Dispatch, err: &Error) {
        if !err.is_unavailable() {
            return;
        }
        if err.is_transport_failure() {
            if let Some(conn) = self.existing_conn(&dispatch.endpoint) {
                conn.connected.store(false, Ordering::Relaxed);
                *conn.failed_at.lock().unwrap() = Some(Instant::now());
            }
        }
        if let Some(journal) = journal {
            self.invalidate_route(journal);
        }
        if dispatch.is_default() {
            let endpoints = &self.inner.config.endpoints;
            let current = self.inner.default_index.load(Ordering::Relaxed) % endpoints.len();
            if endpoints[current] == dispatch.endpoint {
                // Only the first reporter of a failure moves the index on.
                let _ = self.inner.default_index.compare_exchange(
                    current,
                    (current + 1) % endpoints.len(),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                );
            }
        }
    }

    fn is_local(&self, member: &ProcessId) -> bool {
        !self.inner.config.zone.is_empty() && member.zone == self.inner.config.zone
    }

    /// Chooses a member of `route`, or `None` for the default endpoint.
    /// Members whose connection recently failed are passed over.
    fn pick_member(
        &self,
        route: &Route,
        require_primary: bool,
    ) -> Result<Option<(usize, Arc<Conn>)>> {
        let endpoint_of = |index: usize| {
            route
                .endpoints
                .get(index)
                .filter(|endpoint| !endpoint.is_empty())
        };
        // (connected, recently failed) of an endpoint, without dialing it.
        let state = |endpoint: &str| {
            self.existing_conn(endpoint).map_or((false, false), |conn| {
                (
                    conn.connected.load(Ordering::Relaxed),
                    conn.recently_failed(),
                )
            })
        };
        let chosen = if require_primary
            && route.primary >= 0
            && (route.primary as usize) < route.members.len()
        {
            let index = route.primary as usize;
            endpoint_of(index)
                .filter(|endpoint| !state(endpoint).1)
                .map(|_| index)
        } else {
            let mut best: Option<(MemberScore, usize)> = None;
            for (index, member) in route.members.iter().enumerate() {
                let Some(endpoint) = endpoint_of(index) else {
                    continue;
                };
                let (connected, failed) = state(endpoint);
                if failed {
                    continue;
                }
                let score = (self.is_local(member), connected);
                if best.map_or(true, |(best, _)| score > best) {
                    best = Some((score, index));
                }
            }
            best.map(|(_, index)| index)
        };
        match chosen {
            Some(index) => Ok(Some((index, self.conn(&route.endpoints[index])?))),
            None => Ok(None),
        }
    }

    fn dispatch(
        &self,
        conn: Arc<Conn>,
        endpoint: String,
        member: Option<ProcessId>,
        is_local: bool,
    ) -> Dispatch {
        conn.used.store(true, Ordering::Relaxed);
        let client = JournalClient::new(conn.channel.clone())
            .max_decoding_message_size(self.inner.config.max_receive_message_size)
            .max_encoding_message_size(usize::MAX);
        Dispatch {
            client,
            endpoint,
            member,
            is_local,
        }
    }

    /// Drops member connections not dispatched through since the previous
    /// sweep, at most once per configured sweep interval. RPCs in flight keep
    /// their channel alive regardless.
    fn maybe_sweep(&self, conns: &mut HashMap<String, Arc<Conn>>) {
        let mut last = self.inner.last_sweep.lock().unwrap();
        if last.elapsed() < self.inner.config.connection_sweep_interval {
            return;
        }
        *last = Instant::now();
        let defaults = &self.inner.config.endpoints;
        conns.retain(|endpoint, conn| {
            conn.used.swap(false, Ordering::Relaxed) || defaults.contains(endpoint)
        });
    }

    /// Number of broker connections the client holds (dialed or not).
    pub fn connection_count(&self) -> usize {
        self.inner.conns.lock().unwrap().len()
    }

    fn existing_conn(&self, endpoint: &str) -> Option<Arc<Conn>> {
        self.inner.conns.lock().unwrap().get(endpoint).cloned()
    }

    /// The shared connection to `endpoint`, created (not yet dialed) on
    /// first use.
    fn conn(&self, endpoint: &str) -> Result<Arc<Conn>> {
        let mut conns = self.inner.conns.lock().unwrap();
        self.maybe_sweep(&mut conns);
        if let Some(conn) = conns.get(endpoint) {
            return Ok(conn.clone());
        }
        let config = &self.inner.config;
        let mut builder = check_endpoint(endpoint)?
            .connect_timeout(config.connect_timeout)
            .keep_alive_timeout(config.keep_alive_timeout)
            .initial_connection_window_size(CONNECTION_WINDOW)
            .tcp_nodelay(true);
        if let Some(interval) = config.keep_alive_interval {
            builder = builder.http2_keep_alive_interval(interval);
        }
        let channel = if endpoint.starts_with("https://") {
            // TLS through our own rustls configuration (shared with
            // fragment fetches); tonic's own TLS is not compiled in.
            let tls = self.tls_config()?;
            let connector = crate::tls::grpc_connector(
                &tls,
                config.tls.server_name.as_deref(),
                true,
                self.cert_watch().clone(),
            );
            builder.connect_with_connector_lazy(connector)
        } else {
            builder.connect_lazy()
        };
        let conn = Arc::new(Conn {
            channel,
            connected: AtomicBool::new(false),
            failed_at: Mutex::new(None),
            used: AtomicBool::new(false),
        });
        conns.insert(endpoint.to_string(), conn.clone());
        Ok(conn)
    }
}

/// Checks `endpoint` by the protocol's one endpoint rule, then parses it for
/// tonic (which, having checked, should not fail).
pub(crate) fn check_endpoint(endpoint: &str) -> Result<Endpoint> {
    let invalid = |why: &dyn std::fmt::Display| {
        Error::InvalidArgument(format!("invalid endpoint ({endpoint}): {why}"))
    };
    crate::protocol::validate_endpoint(endpoint).map_err(|e| invalid(&e))?;
    Endpoint::from_shared(endpoint.to_string()).map_err(|e| invalid(&e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ClientConfig;

    fn id(zone: &str, suffix: &str) -> ProcessId {
        ProcessId {
            zone: zone.into(),
            suffix: suffix.into(),
        }
    }

    fn route(primary: i32) -> Route {
        Route {
            members: vec![id("a", "one"), id("b", "two"), id("c", "three")],
            primary,
            endpoints: vec![
                "http://127.0.0.1:1001".into(),
                "http://127.0.0.1:1002".into(),
                "http://127.0.0.1:1003".into(),
            ],
        }
    }

    fn client(zone: &str) -> Client {
        Client::new(ClientConfig::new("http://127.0.0.1:1000").with_zone(zone)).unwrap()
    }

    /// The client refuses what the protocol's endpoint rule refuses, unix
    /// sockets included, before anything is dialed.
    #[tokio::test]
    async fn endpoints_follow_the_protocol_rule() {
        let refused = |ep: &str| match Client::new(ClientConfig::new(ep)) {
            Err(Error::InvalidArgument(msg)) => msg,
            Err(other) => panic!("{ep}: {other}"),
            Ok(_) => panic!("{ep}: accepted"),
        };
        assert_eq!(
            refused("unix:///tmp/broker.sock"),
            "invalid endpoint (unix:///tmp/broker.sock): unix sockets are not supported, \
             use http://host:port: unix:///tmp/broker.sock"
        );
        assert!(refused("http://:8080").contains("missing host"));
        assert!(refused("ftp://broker:1").contains("unsupported scheme"));
        let second = ClientConfig::new("http://127.0.0.1:1").with_endpoint("unix://h/s");
        assert!(matches!(
            Client::new(second),
            Err(Error::InvalidArgument(_))
        ));
        assert!(Client::new(ClientConfig::new("https://broker.example:443")).is_ok());
    }

    #[tokio::test]
    async fn primary_is_pinned_when_required() {
        let client = client("c");
        client.update_route("j/x", &route(1));
        let dispatch = client.journal_client_for("j/x", true).unwrap();
        assert_eq!(dispatch.endpoint, "http://127.0.0.1:1002");
        assert_eq!(dispatch.member, Some(id("b", "two")));
        assert!(!dispatch.is_local);
    }

    #[tokio::test]
    async fn reads_prefer_local_zone_then_connected_then_route_order() {
        let client = client("c");
        client.update_route("j/x", &route(1));
        let dispatch = client.journal_client_for("j/x", false).unwrap();
        assert_eq!(dispatch.endpoint, "http://127.0.0.1:1003");
        assert!(dispatch.is_local);

        let client = self::client("");
        client.update_route("j/x", &route(-1));
        let first = client.journal_client_for("j/x", false).unwrap();
        assert_eq!(first.endpoint, "http://127.0.0.1:1001", "ties: route order");
        // Mark member two's connection as connected: it's now preferred.
        let conn = client.conn("http://127.0.0.1:1002").unwrap();
        conn.connected.store(true, Ordering::Relaxed);
        let chosen = client.journal_client_for("j/x", false).unwrap();
        assert_eq!(chosen.endpoint, "http://127.0.0.1:1002");
    }

    #[tokio::test]
    async fn unavailable_invalidates_route_and_avoids_member() {
        let client = client("");
        client.update_route("j/x", &route(0));
        let dispatch = client.journal_client_for("j/x", true).unwrap();
        assert_eq!(dispatch.endpoint, "http://127.0.0.1:1001");
        // A broker that answered Unavailable: the route is forgotten, but
        // its connection is not shunned.
        client.report_error(
            Some("j/x"),
            &dispatch,
            &Error::Grpc(tonic::Status::unavailable("broker says no")),
        );
        let next = client.journal_client_for("j/x", true).unwrap();
        assert!(next.is_default(), "route forgotten: default endpoint");
        client.update_route("j/x", &route(0));
        let next = client.journal_client_for("j/x", true).unwrap();
        assert_eq!(next.endpoint, "http://127.0.0.1:1001", "member still used");

        // A failure of the connection itself (tonic attaches the transport
        // error as the status's source).
        let mut transport = tonic::Status::unavailable("connection refused");
        transport.set_source(std::sync::Arc::new(std::io::Error::from(
            std::io::ErrorKind::ConnectionRefused,
        )));
        client.report_error(Some("j/x"), &next, &Error::Grpc(transport));
        let next = client.journal_client_for("j/x", true).unwrap();
        assert!(next.is_default(), "route forgotten: default endpoint");
        assert_eq!(next.endpoint, "http://127.0.0.1:1000");
        let stats = client.stats().snapshot();
        assert_eq!((stats.route_cache_hits, stats.route_cache_misses), (2, 2));

        // Re-learned, the failed primary is skipped for a while.
        client.update_route("j/x", &route(0));
        let next = client.journal_client_for("j/x", true).unwrap();
        assert!(next.is_default());
        assert!(
            client.route_cache().get("j/x").is_none(),
            "and forgotten again"
        );
        client.update_route("j/x", &route(0));
        let read = client.journal_client_for("j/x", false).unwrap();
        assert_eq!(read.endpoint, "http://127.0.0.1:1002");
    }

    #[tokio::test]
    async fn default_endpoints_rotate_on_unavailable() {
        let config =
            ClientConfig::new("http://127.0.0.1:1000").with_endpoint("http://127.0.0.1:999");
        let client = Client::new(config).unwrap();
        let first = client.default_client().unwrap();
        assert_eq!(first.endpoint, "http://127.0.0.1:1000");
        let unavailable = Error::Grpc(tonic::Status::unavailable("down"));
        client.report_error(None, &first, &unavailable);
        client.report_error(None, &first, &unavailable);
        assert_eq!(
            client.default_client().unwrap().endpoint,
            "http://127.0.0.1:999"
        );
    }

    #[tokio::test]
    async fn unused_member_connections_are_swept() {
        let mut config = ClientConfig::new("http://127.0.0.1:1000");
        config.connection_sweep_interval = Duration::ZERO;
        let client = Client::new(config).unwrap();
        client.update_route("j/x", &route(0));
        client.journal_client_for("j/x", true).unwrap();
        assert_eq!(
            client.connection_count(),
            1,
            "only the chosen member is dialed"
        );
        client.default_client().unwrap(); // Sweep: member was used; kept.
        assert_eq!(client.connection_count(), 2);
        client.default_client().unwrap(); // Sweep: member unused since; dropped.
        assert_eq!(client.connection_count(), 1);
        assert_eq!(
            client.default_client().unwrap().endpoint,
            "http://127.0.0.1:1000",
            "default endpoints are never swept"
        );
        assert_eq!(client.connection_count(), 1);
    }

    #[test]
    fn bad_endpoints_are_refused() {
        assert!(matches!(
            Client::connect("not a url"),
            Err(Error::InvalidArgument(_))
        ));
        assert!(Client::connect("ftp://host:1").is_err());
        assert!(Client::new(ClientConfig {
            endpoints: vec![],
            ..ClientConfig::new("http://x:1")
        })
        .is_err());
    }
}
