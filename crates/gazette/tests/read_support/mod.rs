//! Helpers shared by the reader tests: a dev broker with a `file:///`
//! fragment store and a client reading that store directly, plus a scripted
//! broker for protocol violations the dev broker never commits.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use gazette::protocol::journal_client::JournalClient;
use gazette::protocol::journal_server::{Journal, JournalServer};
use gazette::protocol::{
    header, process_spec, AppendRequest, AppendResponse, ApplyRequest, ApplyResponse,
    CompressionCodec, FragmentStoreHealthRequest, FragmentStoreHealthResponse, FragmentsRequest,
    FragmentsResponse, Header, ListRequest, ListResponse, ReadRequest, ReadResponse,
    ReplicateRequest, ReplicateResponse, Route,
};
use gazette::{Client, ClientConfig};
use gazette_devbroker::DevBroker;

use crate::common::TestEnv;
use tokio_stream::Stream;
use tonic::transport::Channel;

/// The shared test environment (a dev cluster with a `file:///` store, or
/// the real broker of `GAZETTE_TEST_BROKER`) with a client whose file
/// transport reads that store, and a raw stub.
pub struct Env {
    pub test: TestEnv,
    pub client: Client,
    pub raw: JournalClient<Channel>,
}

impl Env {
    pub async fn start() -> Env {
        Env::start_with(1).await
    }

    pub async fn start_with(brokers: usize) -> Env {
        let test = TestEnv::start(brokers).await;
        let client =
            Client::new(ClientConfig::new(test.endpoint()).with_file_root(test.fragment_root()))
                .unwrap();
        let raw = test.raw_client().await;
        Env { test, client, raw }
    }

    /// The dev broker (fault injection, flush, counters); None against a
    /// real broker.
    pub fn dev(&self) -> Option<&DevBroker> {
        self.test.dev()
    }

    /// The directory behind the `file:///` store.
    pub fn store_root(&self) -> &Path {
        self.test.fragment_root()
    }

    /// Creates a journal persisting to the store with `codec` and a
    /// fragment length of `length`.
    pub async fn create(&self, prefix: &str, codec: CompressionCodec, length: i64) -> String {
        let name = self.test.unique_journal(prefix);
        let mut spec = TestEnv::spec(&name, codec);
        spec.fragment.as_mut().unwrap().length = length;
        self.test.create(spec).await;
        name
    }

    /// Appends `data` in one committed RPC.
    pub async fn append(&self, journal: &str, data: &[u8]) -> AppendResponse {
        let mut msgs = vec![AppendRequest {
            journal: journal.to_string(),
            ..Default::default()
        }];
        for chunk in data.chunks(1 << 20) {
            msgs.push(AppendRequest {
                content: Bytes::copy_from_slice(chunk),
                ..Default::default()
            });
        }
        msgs.push(AppendRequest::default());
        let resp = self
            .raw
            .clone()
            .append(tokio_stream::iter(msgs))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(resp.status, 0, "{resp:?}");
        resp
    }

    /// Rolls and persists the journal's open fragment (dev broker only).
    pub fn flush(&self, journal: &str) {
        let dev = self.dev().expect("flush needs the dev broker");
        assert!(dev.flush(journal));
    }

    /// Times a blocking read parked at the dev broker's write head (0 on a
    /// real broker).
    pub fn read_waits(&self) -> u64 {
        self.dev().map_or(0, |dev| dev.counters().read_waits())
    }

    /// Waits until a blocking read parks at the write head for the
    /// `seen + 1`th time, so content appended next is news to it (a read at
    /// offset -1 must not see it as already written). A real broker can't
    /// tell: there, a fixed pause.
    pub async fn await_read_waiting(&self, seen: u64) {
        if self.dev().is_none() {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            return;
        }
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        while self.read_waits() <= seen {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no read blocked at the write head"
            );
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
    }

    /// A client of the same broker with no file transport.
    pub fn client_without_file_root(&self) -> Client {
        Client::connect(self.test.endpoint()).unwrap()
    }
}

/// The header a scripted broker attaches: process {a, broker}, a route with
/// that single member as primary, etcd {12, 34, 56, 78}.
pub fn fixture_header(endpoint: &str) -> Header {
    let id = process_spec::Id {
        zone: "a".into(),
        suffix: "broker".into(),
    };
    Header {
        process_id: Some(id.clone()),
        route: Some(Route {
            members: vec![id],
            primary: 0,
            endpoints: vec![endpoint.to_string()],
        }),
        etcd: Some(header::Etcd {
            cluster_id: 12,
            member_id: 34,
            revision: 56,
            raft_term: 78,
        }),
    }
}

/// One frame of a scripted Read stream.
pub type Frame = Result<ReadResponse, tonic::Status>;

/// A scripted Read stream: its frames, then a clean end (or, if `hold`,
/// the stream stays open until the client goes away).
#[derive(Default)]
pub struct Script {
    pub frames: Vec<Frame>,
    pub hold: bool,
}

#[derive(Default)]
struct Scripts {
    queue: Mutex<VecDeque<Script>>,
    requests: Mutex<Vec<ReadRequest>>,
}

/// A broker whose Read RPCs play scripts queued by the test, in order (like
/// Gazette's `teststub`); other RPCs are unimplemented. Stopped on drop.
pub struct ScriptedBroker {
    pub addr: SocketAddr,
    scripts: Arc<Scripts>,
    task: tokio::task::JoinHandle<()>,
}

impl ScriptedBroker {
    pub async fn start() -> ScriptedBroker {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let scripts = Arc::new(Scripts::default());
        let service = JournalServer::new(ScriptedService(scripts.clone()));
        let task = tokio::spawn(async move {
            tonic::transport::Server::builder()
                .add_service(service)
                .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener))
                .await
                .unwrap();
        });
        ScriptedBroker {
            addr,
            scripts,
            task,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn header(&self) -> Header {
        fixture_header(&self.endpoint())
    }

    /// Queues the script of the next Read RPC.
    pub fn push(&self, frames: Vec<Frame>) {
        self.push_script(Script {
            frames,
            hold: false,
        });
    }

    pub fn push_script(&self, script: Script) {
        self.scripts.queue.lock().unwrap().push_back(script);
    }

    /// Every Read request received so far.
    pub fn requests(&self) -> Vec<ReadRequest> {
        self.scripts.requests.lock().unwrap().clone()
    }

    /// A client of this broker (file transport rooted at `file_root`, if any).
    pub fn client(&self, file_root: Option<&std::path::Path>) -> Client {
        let mut config = ClientConfig::new(self.endpoint());
        if let Some(root) = file_root {
            config = config.with_file_root(root);
        }
        Client::new(config).unwrap()
    }
}

impl Drop for ScriptedBroker {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct ScriptedService(Arc<Scripts>);

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, tonic::Status>> + Send>>;

#[tonic::async_trait]
impl Journal for ScriptedService {
    type ListStream = BoxStream<ListResponse>;
    type ReadStream = BoxStream<ReadResponse>;
    type ReplicateStream = BoxStream<ReplicateResponse>;

    async fn list(
        &self,
        _: tonic::Request<ListRequest>,
    ) -> Result<tonic::Response<Self::ListStream>, tonic::Status> {
        Err(tonic::Status::unimplemented("scripted"))
    }

    async fn apply(
        &self,
        _: tonic::Request<ApplyRequest>,
    ) -> Result<tonic::Response<ApplyResponse>, tonic::Status> {
        Err(tonic::Status::unimplemented("scripted"))
    }

    async fn read(
        &self,
        request: tonic::Request<ReadRequest>,
    ) -> Result<tonic::Response<Self::ReadStream>, tonic::Status> {
        self.0.requests.lock().unwrap().push(request.into_inner());
        let script = self
            .0
            .queue
            .lock()
            .unwrap()
            .pop_front()
            .expect("a script for each Read");
        let (tx, rx) = tokio::sync::mpsc::channel(16);
        tokio::spawn(async move {
            for frame in script.frames {
                if tx.send(frame).await.is_err() {
                    return;
                }
            }
            if script.hold {
                tx.closed().await;
            }
        });
        Ok(tonic::Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(rx),
        )))
    }

    async fn append(
        &self,
        _: tonic::Request<tonic::Streaming<AppendRequest>>,
    ) -> Result<tonic::Response<AppendResponse>, tonic::Status> {
        Err(tonic::Status::unimplemented("scripted"))
    }

    async fn replicate(
        &self,
        _: tonic::Request<tonic::Streaming<ReplicateRequest>>,
    ) -> Result<tonic::Response<Self::ReplicateStream>, tonic::Status> {
        Err(tonic::Status::unimplemented("scripted"))
    }

    async fn list_fragments(
        &self,
        _: tonic::Request<FragmentsRequest>,
    ) -> Result<tonic::Response<FragmentsResponse>, tonic::Status> {
        Err(tonic::Status::unimplemented("scripted"))
    }

    async fn fragment_store_health(
        &self,
        _: tonic::Request<FragmentStoreHealthRequest>,
    ) -> Result<tonic::Response<FragmentStoreHealthResponse>, tonic::Status> {
        Err(tonic::Status::unimplemented("scripted"))
    }
}
