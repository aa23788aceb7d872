//! The scripted broker: a plain tonic server answering every RPC from
//! queues the test fills, and recording what the client sent (Go's
//! `teststub`), for behaviour a real broker shows only when it misbehaves
//! (the dev broker never does).
#![allow(dead_code)]

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use gazette::protocol::journal_server::{Journal, JournalServer};
use gazette::protocol::{
    header, process_spec, AppendRequest, AppendResponse, ApplyRequest, ApplyResponse,
    FragmentStoreHealthRequest, FragmentStoreHealthResponse, FragmentsRequest, FragmentsResponse,
    Header, ListRequest, ListResponse, ReadRequest, ReadResponse, ReplicateRequest,
    ReplicateResponse, Route,
};
use gazette::{Client, ClientConfig};
use tokio_stream::Stream;
use tonic::{Request, Response, Status, Streaming};

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

/// One frame of a scripted Read stream.
pub type Frame = Result<ReadResponse, Status>;

/// A scripted Read stream: its frames, then a clean end (or, if `hold`,
/// the stream stays open until the client goes away).
#[derive(Default)]
pub struct ReadScript {
    pub frames: Vec<Frame>,
    pub hold: bool,
}

/// Canned answers, consumed in order, and what the client sent.
#[derive(Default)]
pub struct Script {
    pub reads: VecDeque<ReadScript>,
    pub read_requests: Vec<ReadRequest>,
    pub lists: VecDeque<Vec<ListResponse>>,
    pub applies: VecDeque<ApplyResponse>,
    pub fragments: VecDeque<Result<FragmentsResponse, Status>>,
    pub appends: VecDeque<AppendResponse>,
    pub health: VecDeque<FragmentStoreHealthResponse>,
    pub list_requests: Vec<ListRequest>,
    pub apply_requests: Vec<ApplyRequest>,
    pub fragments_requests: Vec<FragmentsRequest>,
    /// Messages of each Append stream, and whether it ended in a clean EOF.
    pub append_streams: Vec<(Vec<AppendRequest>, bool)>,
    /// The `authorization` metadata of every RPC, in arrival order.
    pub auth: Vec<Option<String>>,
}

fn auth_of<T>(req: &Request<T>) -> Option<String> {
    req.metadata()
        .get("authorization")
        .map(|v| v.to_str().unwrap().to_string())
}

#[derive(Clone, Default)]
pub struct Scripted(pub Arc<Mutex<Script>>);

#[tonic::async_trait]
impl Journal for Scripted {
    type ListStream = BoxStream<ListResponse>;
    type ReadStream = BoxStream<ReadResponse>;
    type ReplicateStream = BoxStream<ReplicateResponse>;

    async fn list(&self, req: Request<ListRequest>) -> Result<Response<Self::ListStream>, Status> {
        let mut script = self.0.lock().unwrap();
        script.auth.push(auth_of(&req));
        script.list_requests.push(req.into_inner());
        let messages = script.lists.pop_front().expect("scripted List");
        Ok(Response::new(Box::pin(tokio_stream::iter(
            messages.into_iter().map(Ok),
        ))))
    }

    async fn apply(&self, req: Request<ApplyRequest>) -> Result<Response<ApplyResponse>, Status> {
        let mut script = self.0.lock().unwrap();
        script.auth.push(auth_of(&req));
        script.apply_requests.push(req.into_inner());
        Ok(Response::new(
            script.applies.pop_front().expect("scripted Apply"),
        ))
    }

    async fn read(&self, req: Request<ReadRequest>) -> Result<Response<Self::ReadStream>, Status> {
        let script = {
            let mut script = self.0.lock().unwrap();
            script.auth.push(auth_of(&req));
            script.read_requests.push(req.into_inner());
            script.reads.pop_front().expect("scripted Read")
        };
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
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(rx),
        )))
    }

    async fn append(
        &self,
        req: Request<Streaming<AppendRequest>>,
    ) -> Result<Response<AppendResponse>, Status> {
        let auth = auth_of(&req);
        let mut stream = req.into_inner();
        let mut messages = Vec::new();
        let clean_eof = loop {
            match stream.message().await {
                Ok(Some(message)) => messages.push(message),
                Ok(None) => break true,
                Err(_) => break false,
            }
        };
        let mut script = self.0.lock().unwrap();
        script.auth.push(auth);
        script.append_streams.push((messages, clean_eof));
        Ok(Response::new(
            script.appends.pop_front().expect("scripted Append"),
        ))
    }

    async fn replicate(
        &self,
        _: Request<Streaming<ReplicateRequest>>,
    ) -> Result<Response<Self::ReplicateStream>, Status> {
        Err(Status::unimplemented("not scripted"))
    }

    async fn list_fragments(
        &self,
        req: Request<FragmentsRequest>,
    ) -> Result<Response<FragmentsResponse>, Status> {
        let mut script = self.0.lock().unwrap();
        script.auth.push(auth_of(&req));
        script.fragments_requests.push(req.into_inner());
        script
            .fragments
            .pop_front()
            .expect("scripted ListFragments")
            .map(Response::new)
    }

    async fn fragment_store_health(
        &self,
        _: Request<FragmentStoreHealthRequest>,
    ) -> Result<Response<FragmentStoreHealthResponse>, Status> {
        let mut script = self.0.lock().unwrap();
        Ok(Response::new(
            script
                .health
                .pop_front()
                .expect("scripted FragmentStoreHealth"),
        ))
    }
}

/// A scripted broker on a loopback port, stopped when dropped.
pub struct Stub {
    pub script: Scripted,
    pub endpoint: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Stub {
    pub async fn start() -> Stub {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let script = Scripted::default();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let service = JournalServer::new(script.clone());
        tokio::spawn(async move {
            tonic::transport::Server::builder()
                .add_service(service)
                .serve_with_incoming_shutdown(
                    tokio_stream::wrappers::TcpListenerStream::new(listener),
                    async {
                        stopped.await.ok();
                    },
                )
                .await
                .unwrap();
        });
        Stub {
            script,
            endpoint,
            stop: Some(stop),
        }
    }

    pub fn script(&self) -> std::sync::MutexGuard<'_, Script> {
        self.script.0.lock().unwrap()
    }

    pub fn client(&self) -> Client {
        Client::connect(self.endpoint.clone()).unwrap()
    }

    /// A client whose file transport reads `file_root`.
    pub fn client_with_file_root(&self, file_root: &std::path::Path) -> Client {
        Client::new(ClientConfig::new(self.endpoint.clone()).with_file_root(file_root)).unwrap()
    }

    /// Queues the frames of the next Read RPC (then a clean end).
    pub fn push_read(&self, frames: Vec<Frame>) {
        self.push_read_script(ReadScript {
            frames,
            hold: false,
        });
    }

    /// Queues the same frames for each of the next `times` Read RPCs (a
    /// broker that keeps answering the same way).
    pub fn push_reads(&self, times: usize, frames: Vec<Frame>) {
        for _ in 0..times {
            self.push_read(frames.clone());
        }
    }

    pub fn push_read_script(&self, script: ReadScript) {
        self.script().reads.push_back(script);
    }

    /// Every Read request received so far.
    pub fn read_requests(&self) -> Vec<ReadRequest> {
        self.script().read_requests.clone()
    }

    /// Go's standard fixture: this broker as the single member and primary.
    pub fn header(&self) -> Header {
        fixture_header(&self.endpoint)
    }
}

/// The header a scripted broker attaches: process {a, broker}, a route with
/// that single member (at `endpoint`) as primary, etcd {12, 34, 56, 78}.
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

impl Drop for Stub {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop.send(()).ok();
        }
    }
}
