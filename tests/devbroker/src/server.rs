//! One broker: the Journal gRPC service over tonic, bound to a loopback port,
//! and the resolution step every journal-scoped RPC starts with (§2.1).

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use gazette_protocol::journal_server::{Journal, JournalServer};
use gazette_protocol::{
    AppendRequest, AppendResponse, ApplyRequest, ApplyResponse, FragmentStoreHealthRequest,
    FragmentStoreHealthResponse, FragmentsRequest, FragmentsResponse, Header, JournalSpec,
    ListRequest, ListResponse, ReadRequest, ReadResponse, ReplicateRequest, ReplicateResponse,
    Route, Status,
};
use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::{ReceiverStream, TcpListenerStream};
use tokio_stream::Stream;

use crate::faults::{Fault, Rpc};
use crate::journal::JournalContent;
use crate::route;
use crate::state::{empty_route, Cluster};

/// Largest gRPC message the brokers accept or send (Gazette clients use 16 MiB).
const MAX_MESSAGE: usize = 64 << 20;

/// The service of broker `me`; cheap to clone.
#[derive(Clone)]
pub(crate) struct Broker {
    pub cluster: Arc<Cluster>,
    pub me: usize,
    /// Becomes true when this broker stops; long-lived streams end cleanly.
    pub stop: watch::Receiver<bool>,
    /// The verified claim's selector of the RPC being served (with
    /// `--auth-keys`): journals it doesn't cover don't exist for the RPC.
    pub scope: Option<Arc<gazette_protocol::LabelSelector>>,
}

/// How brokers secure their connections and RPCs.
#[derive(Clone, Default)]
pub(crate) struct Security {
    pub tls: Option<Arc<rustls::ServerConfig>>,
    pub verifier: Option<crate::auth::Verifier>,
}

/// The outcome of resolving a journal for an RPC.
pub(crate) enum Resolved {
    /// Serve it here.
    Local {
        spec: JournalSpec,
        route: Route,
        content: Arc<JournalContent>,
    },
    /// Answer in-band with this status and header.
    Status(Status, Header),
    /// Proxy to this broker.
    Proxy(usize),
}

impl Broker {
    /// This broker, scoped to the claim verified for `request` (if any).
    fn scoped<T>(&self, request: &tonic::Request<T>) -> Broker {
        let mut me = self.clone();
        me.scope = request
            .extensions()
            .get::<crate::auth::Scope>()
            .map(|s| Arc::new(s.0.clone()));
        me
    }

    /// True if the RPC's claim covers journal `name` with `labels`.
    pub fn in_scope(&self, name: &str, labels: Option<&gazette_protocol::LabelSet>) -> bool {
        if self.scope.is_none() {
            return true;
        }
        let all = crate::helpers::union(
            &labels.cloned().unwrap_or_default(),
            &crate::helpers::meta_labels(name),
        );
        crate::auth::covers(self.scope.as_deref(), &all)
    }

    /// The current etcd revision.
    pub fn revision(&self) -> i64 {
        self.cluster.etcd().revision
    }

    /// Resolves `journal` (a `;meta` suffix is ignored) for an RPC that needs
    /// a route member, or the primary when `primary` is set.
    /// A request carrying a proxy `header` must name this broker and is never
    /// proxied again.
    pub fn resolve(
        &self,
        journal: &str,
        primary: bool,
        do_not_proxy: bool,
        proxy_header: Option<&Header>,
    ) -> Result<Resolved, tonic::Status> {
        let mine = &self.cluster.brokers[self.me].id;
        let proxied = match proxy_header.and_then(|h| h.process_id.as_ref()) {
            Some(id) if !id.zone.is_empty() || !id.suffix.is_empty() => {
                if id != mine {
                    return Err(tonic::Status::unknown(format!(
                        "proxied request ProcessId doesn't match our own ({}/{} vs {}/{})",
                        id.zone, id.suffix, mine.zone, mine.suffix
                    )));
                }
                true
            }
            _ => false,
        };
        Ok(self.resolve_inner(journal, primary, do_not_proxy || proxied))
    }

    fn resolve_inner(&self, journal: &str, primary: bool, do_not_proxy: bool) -> Resolved {
        let name = journal.split(';').next().unwrap_or("");
        let etcd = self.cluster.etcd();
        let Some(j) = etcd
            .journals
            .get(name)
            .filter(|j| self.in_scope(name, j.spec.labels.as_ref()))
        else {
            return Resolved::Status(
                Status::JournalNotFound,
                self.cluster.header(self.me, empty_route(), etcd.revision),
            );
        };
        let route = self.cluster.route_of(&etcd, name, j.spec.replication);
        let header = |route: &Route| self.cluster.header(self.me, route.clone(), etcd.revision);
        if primary && route.primary < 0 {
            return Resolved::Status(Status::NoJournalPrimaryBroker, header(&route));
        }
        if route.members.is_empty() {
            return Resolved::Status(Status::InsufficientJournalBrokers, header(&route));
        }
        let brokers = &self.cluster.brokers;
        let here = if primary {
            route::is_primary(brokers, &route, self.me)
        } else {
            route::is_member(brokers, &route, self.me)
        };
        if here {
            return Resolved::Local {
                spec: j.spec.clone(),
                route,
                content: j.content.clone(),
            };
        }
        if do_not_proxy {
            let status = if primary {
                Status::NotJournalPrimaryBroker
            } else {
                Status::NotJournalBroker
            };
            return Resolved::Status(status, header(&route));
        }
        let target = if primary {
            route.primary as usize
        } else {
            // Prefer a member in our own zone, like a real broker's dispatcher.
            let zone = &brokers[self.me].id.zone;
            route
                .members
                .iter()
                .position(|m| &m.zone == zone)
                .unwrap_or(0)
        };
        match route::broker_index(brokers, &route, target) {
            Some(i) => Resolved::Proxy(i),
            None => Resolved::Status(Status::NotJournalBroker, header(&route)),
        }
    }

    /// Waits until the etcd revision reaches `rev` (a request's
    /// `min_etcd_revision` or its proxy header's revision). False if this
    /// broker stopped first.
    pub async fn await_revision(&self, rev: i64) -> bool {
        let mut changes = self.cluster.subscribe();
        let mut stop = self.stop.clone();
        loop {
            changes.borrow_and_update();
            if self.revision() >= rev {
                return true;
            }
            self.cluster.counters.bump_revision_wait();
            tokio::select! {
                r = changes.changed() => if r.is_err() { return false },
                _ = stop.wait_for(|s| *s) => return false,
            }
        }
    }

    /// The header for an injected status: the journal's route if it exists.
    pub fn status_header(&self, journal: &str) -> Header {
        let name = journal.split(';').next().unwrap_or("");
        let etcd = self.cluster.etcd();
        let route = match etcd.journals.get(name) {
            Some(j) => self.cluster.route_of(&etcd, name, j.spec.replication),
            None => empty_route(),
        };
        self.cluster.header(self.me, route, etcd.revision)
    }

    /// Counts the RPC, applies an injected delay, and returns an injected
    /// gRPC failure or in-band status (not consumed for Read, which takes
    /// its own so its status frame can carry a header).
    async fn enter(&self, rpc: Rpc) -> Result<Option<Status>, tonic::Status> {
        self.cluster.counters.bump(self.me, rpc);
        if let Some(d) = self.cluster.faults.delay_of(rpc) {
            tokio::time::sleep(d).await;
        }
        if rpc == Rpc::Read {
            return Ok(None);
        }
        match self.cluster.faults.take_failure(rpc) {
            None => Ok(None),
            Some(Fault::Grpc(code, msg)) => Err(tonic::Status::new(code, msg)),
            Some(Fault::Status(s)) => Ok(Some(s)),
        }
    }
}

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, tonic::Status>> + Send + 'static>>;

#[tonic::async_trait]
impl Journal for Broker {
    type ListStream = BoxStream<ListResponse>;
    type ReadStream = BoxStream<ReadResponse>;
    type ReplicateStream = BoxStream<ReplicateResponse>;

    async fn list(
        &self,
        request: tonic::Request<ListRequest>,
    ) -> Result<tonic::Response<Self::ListStream>, tonic::Status> {
        let this = self.scoped(&request);
        let injected = self.enter(Rpc::List).await?;
        let (tx, rx) = mpsc::channel(4);
        if let Some(s) = injected {
            let header = self.cluster.header(self.me, empty_route(), self.revision());
            let _ = tx.try_send(Ok(ListResponse {
                status: s as i32,
                header: Some(header),
                journals: vec![],
            }));
        } else {
            tokio::spawn(this.serve_list(request.into_inner(), tx));
        }
        Ok(tonic::Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn apply(
        &self,
        request: tonic::Request<ApplyRequest>,
    ) -> Result<tonic::Response<ApplyResponse>, tonic::Status> {
        if let Some(s) = self.enter(Rpc::Apply).await? {
            let header = self.cluster.header(self.me, empty_route(), self.revision());
            return Ok(tonic::Response::new(ApplyResponse {
                status: s as i32,
                header: Some(header),
            }));
        }
        self.serve_apply(request.into_inner())
            .map(tonic::Response::new)
    }

    async fn read(
        &self,
        request: tonic::Request<ReadRequest>,
    ) -> Result<tonic::Response<Self::ReadStream>, tonic::Status> {
        self.enter(Rpc::Read).await?;
        let this = self.scoped(&request);
        let req = request.into_inner();
        crate::read::validate(&req).map_err(tonic::Status::unknown)?;
        let (tx, rx) = mpsc::channel(8);
        tokio::spawn(this.serve_read(req, tx));
        Ok(tonic::Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn append(
        &self,
        request: tonic::Request<tonic::Streaming<AppendRequest>>,
    ) -> Result<tonic::Response<AppendResponse>, tonic::Status> {
        // Counted however the handling ends, even if dropped midway.
        struct Done<'a>(&'a crate::counters::Counters);
        impl Drop for Done<'_> {
            fn drop(&mut self) {
                self.0.bump_append_done();
            }
        }
        let _done = Done(&self.cluster.counters);
        let injected = self.enter(Rpc::Append).await?;
        self.scoped(&request)
            .serve_append(request.into_inner(), injected)
            .await
            .map(tonic::Response::new)
    }

    async fn replicate(
        &self,
        _request: tonic::Request<tonic::Streaming<ReplicateRequest>>,
    ) -> Result<tonic::Response<Self::ReplicateStream>, tonic::Status> {
        Err(tonic::Status::unimplemented(
            "the dev broker does not replicate between brokers",
        ))
    }

    async fn list_fragments(
        &self,
        request: tonic::Request<FragmentsRequest>,
    ) -> Result<tonic::Response<FragmentsResponse>, tonic::Status> {
        let injected = self.enter(Rpc::ListFragments).await?;
        let this = self.scoped(&request);
        let req = request.into_inner();
        if let Some(s) = injected {
            return Ok(tonic::Response::new(FragmentsResponse {
                status: s as i32,
                header: Some(self.status_header(&req.journal)),
                ..Default::default()
            }));
        }
        this.serve_list_fragments(req)
            .await
            .map(tonic::Response::new)
    }

    async fn fragment_store_health(
        &self,
        request: tonic::Request<FragmentStoreHealthRequest>,
    ) -> Result<tonic::Response<FragmentStoreHealthResponse>, tonic::Status> {
        if !self.cluster.version.has_store_health() {
            // What grpc-go answers for a method the service doesn't have.
            return Err(tonic::Status::unimplemented(
                "unknown method FragmentStoreHealth for service protocol.Journal",
            ));
        }
        let injected = self.enter(Rpc::FragmentStoreHealth).await?;
        self.serve_store_health(request.into_inner(), injected)
            .map(tonic::Response::new)
    }
}

/// Accepted connections with Nagle's algorithm off, as Go's net package
/// does by default: otherwise small frames of short RPCs wait on delayed
/// ACKs (about 40 ms per Read that ends early, e.g. do_not_proxy reads).
fn incoming(
    listener: tokio::net::TcpListener,
) -> impl Stream<Item = std::io::Result<tokio::net::TcpStream>> {
    use tokio_stream::StreamExt;
    TcpListenerStream::new(listener).map(|conn| {
        let conn = conn?;
        conn.set_nodelay(true)?;
        Ok(conn)
    })
}

/// A running broker server.
pub(crate) struct Running {
    pub stop: watch::Sender<bool>,
    pub task: tokio::task::JoinHandle<()>,
}

/// Binds `addr` and serves broker `me` until `stop` turns true.
pub(crate) async fn bind(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr).await
}

/// Serves broker `me` on `listener` in a background task.
pub(crate) fn serve(
    cluster: Arc<Cluster>,
    me: usize,
    listener: tokio::net::TcpListener,
    security: &Security,
) -> Running {
    let (stop_tx, stop_rx) = watch::channel(false);
    let svc = JournalServer::new(Broker {
        cluster,
        me,
        stop: stop_rx.clone(),
        scope: None,
    })
    .max_decoding_message_size(MAX_MESSAGE)
    .max_encoding_message_size(MAX_MESSAGE);
    let mut stop = stop_rx;
    let security = security.clone();
    let task = tokio::spawn(async move {
        // h2 credits the connection window back only as handlers read;
        // Appends queued on a journal's pipeline don't read, and with a
        // small window they starve the one being served on the same
        // connection. grpc-go (real brokers) credits on receipt.
        let mut server =
            tonic::transport::Server::builder().initial_connection_window_size((1u32 << 31) - 1);
        let router = match security.verifier {
            Some(verifier) => server.add_service(crate::auth::Verified {
                inner: svc,
                verifier,
            }),
            None => server.add_service(svc),
        };
        let stopped = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        let _ = match security.tls {
            Some(tls) => {
                router
                    .serve_with_incoming_shutdown(crate::tls::tls_incoming(listener, tls), stopped)
                    .await
            }
            None => {
                router
                    .serve_with_incoming_shutdown(incoming(listener), stopped)
                    .await
            }
        };
    });
    Running {
        stop: stop_tx,
        task,
    }
}
