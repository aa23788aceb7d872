//! Client behaviour only a broker that misbehaves on cue can show (Go's
//! `teststub` cases): exact append message sequences, invalid responses,
//! unknown statuses, v0.89-style single List responses and bad chunks.
//! The scripted broker is a plain tonic server answering from queues.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use gazette::client::append::append;
use gazette::client::appender::Appender;
use gazette::client::list::{apply_journals, get_journal, list_all_fragments, list_all_journals};
use gazette::client::{Client, Error};
use gazette::protocol::journal_server::{Journal, JournalServer};
use gazette::protocol::{
    fragments_response, header, list_response, process_spec, AppendRequest, AppendResponse,
    ApplyRequest, ApplyResponse, Fragment, FragmentStoreHealthRequest, FragmentStoreHealthResponse,
    FragmentsRequest, FragmentsResponse, Header, JournalSpec, LabelSet, ListRequest, ListResponse,
    ReadRequest, ReadResponse, ReplicateRequest, ReplicateResponse, Route,
};
use tokio_stream::Stream;
use tonic::{Request, Response, Status, Streaming};

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

/// Canned answers, consumed in order, and what the client sent.
#[derive(Default)]
struct Script {
    lists: VecDeque<Vec<ListResponse>>,
    applies: VecDeque<ApplyResponse>,
    fragments: VecDeque<Result<FragmentsResponse, Status>>,
    appends: VecDeque<AppendResponse>,
    list_requests: Vec<ListRequest>,
    apply_requests: Vec<ApplyRequest>,
    fragments_requests: Vec<FragmentsRequest>,
    /// Messages of each Append stream, and whether it ended in a clean EOF.
    append_streams: Vec<(Vec<AppendRequest>, bool)>,
}

#[derive(Clone, Default)]
struct Scripted(Arc<Mutex<Script>>);

#[tonic::async_trait]
impl Journal for Scripted {
    type ListStream = BoxStream<ListResponse>;
    type ReadStream = BoxStream<ReadResponse>;
    type ReplicateStream = BoxStream<ReplicateResponse>;

    async fn list(&self, req: Request<ListRequest>) -> Result<Response<Self::ListStream>, Status> {
        let mut script = self.0.lock().unwrap();
        script.list_requests.push(req.into_inner());
        let messages = script.lists.pop_front().expect("scripted List");
        Ok(Response::new(Box::pin(tokio_stream::iter(
            messages.into_iter().map(Ok),
        ))))
    }

    async fn apply(&self, req: Request<ApplyRequest>) -> Result<Response<ApplyResponse>, Status> {
        let mut script = self.0.lock().unwrap();
        script.apply_requests.push(req.into_inner());
        Ok(Response::new(
            script.applies.pop_front().expect("scripted Apply"),
        ))
    }

    async fn read(&self, _: Request<ReadRequest>) -> Result<Response<Self::ReadStream>, Status> {
        Err(Status::unimplemented("not scripted"))
    }

    async fn append(
        &self,
        req: Request<Streaming<AppendRequest>>,
    ) -> Result<Response<AppendResponse>, Status> {
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
        Err(Status::unimplemented("not scripted"))
    }
}

/// A scripted broker on a loopback port, stopped when dropped.
struct Stub {
    script: Scripted,
    endpoint: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Stub {
    async fn start() -> Stub {
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

    fn script(&self) -> std::sync::MutexGuard<'_, Script> {
        self.script.0.lock().unwrap()
    }

    fn client(&self) -> Client {
        Client::connect(self.endpoint.clone()).unwrap()
    }

    /// Go's standard fixture: this broker as the single member and primary.
    fn header(&self) -> Header {
        let id = process_spec::Id {
            zone: "a".into(),
            suffix: "broker".into(),
        };
        Header {
            process_id: Some(id.clone()),
            route: Some(Route {
                members: vec![id],
                primary: 0,
                endpoints: vec![self.endpoint.clone()],
            }),
            etcd: Some(header::Etcd {
                cluster_id: 12,
                member_id: 34,
                revision: 56,
                raft_term: 78,
            }),
        }
    }
}

impl Drop for Stub {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop.send(()).ok();
        }
    }
}

fn ok_append(stub: &Stub, journal: &str, end: i64) -> AppendResponse {
    AppendResponse {
        status: 0,
        header: Some(stub.header()),
        commit: Some(Fragment {
            journal: journal.into(),
            begin: 0,
            end,
            compression_codec: 1,
            ..Default::default()
        }),
        registers: Some(LabelSet::default()),
        ..Default::default()
    }
}

fn append_request(journal: &str) -> AppendRequest {
    AppendRequest {
        journal: journal.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn appender_streams_request_content_commit_then_eof() {
    let stub = Stub::start().await;
    let journal = "a/journal";
    stub.script()
        .appends
        .push_back(ok_append(&stub, journal, 6));
    let client = stub.client();
    let mut app = Appender::new(&client, append_request(journal));
    app.write(b"foo").await.unwrap();
    app.write(b"bar").await.unwrap();
    app.close().await.unwrap();

    let (messages, clean_eof) = stub.script().append_streams.remove(0);
    assert_eq!(
        messages,
        vec![
            append_request(journal),
            AppendRequest {
                content: "foobar".into(),
                ..Default::default()
            },
            AppendRequest::default(),
        ],
        "small writes coalesce into one content message"
    );
    assert!(clean_eof);
    let route = client.route_cache().get(journal).expect("route cached");
    assert_eq!(route.endpoints, vec![stub.endpoint.clone()]);
}

#[tokio::test]
async fn abort_half_closes_without_the_commit_message() {
    let stub = Stub::start().await;
    let journal = "a/journal";
    stub.script()
        .appends
        .push_back(ok_append(&stub, journal, 0));
    let client = stub.client();
    let mut app = Appender::new(&client, append_request(journal));
    // Large enough to be sent at once rather than held for coalescing.
    app.write(&[b'd'; 100 << 10]).await.unwrap();
    app.write(b"held back").await.unwrap();
    app.abort().await;
    let (messages, clean_eof) = stub.script().append_streams.remove(0);
    assert_eq!(messages.len(), 2, "request and content only");
    assert_eq!(messages[1].content.len(), 100 << 10);
    assert!(clean_eof, "a half-close, without the empty commit message");
}

#[tokio::test]
async fn invalid_append_response_is_a_validation_error() {
    let stub = Stub::start().await;
    let journal = "a/journal";
    let mut bad = ok_append(&stub, journal, 3);
    bad.commit.as_mut().unwrap().journal.clear();
    stub.script().appends.push_back(bad);
    let client = stub.client();
    let mut app = Appender::new(&client, append_request(journal));
    app.write(b"abc").await.unwrap();
    let err = app.close().await.unwrap_err();
    assert!(matches!(err, Error::Validation(_)));
    assert!(
        err.to_string()
            .starts_with("validating broker response: Commit.Journal: invalid length"),
        "got {err}"
    );
    assert!(
        client.route_cache().get(journal).is_none(),
        "no route cached"
    );
}

#[tokio::test]
async fn append_reads_sources_in_chunks_per_attempt() {
    let stub = Stub::start().await;
    let journal = "a/journal";
    stub.script()
        .appends
        .push_back(ok_append(&stub, journal, 7));
    let client = stub.client();
    let con: &[u8] = b"con";
    let tent: &[u8] = b"tent";
    append(&client, append_request(journal), &[&con, &tent])
        .await
        .unwrap();
    let (messages, _) = stub.script().append_streams.remove(0);
    let content: Vec<u8> = messages.iter().flat_map(|m| m.content.to_vec()).collect();
    assert_eq!(content, b"content");
    assert!(messages.iter().skip(1).all(|m| m.journal.is_empty()));
}

fn listed(stub: &Stub, name: &str) -> list_response::Journal {
    list_response::Journal {
        spec: Some(JournalSpec {
            name: name.into(),
            ..client_spec()
        }),
        mod_revision: 1,
        route: stub.header().route,
        create_revision: 1,
    }
}

fn client_spec() -> JournalSpec {
    JournalSpec {
        replication: 1,
        fragment: Some(gazette::protocol::journal_spec::Fragment {
            length: 1024,
            compression_codec: 1,
            refresh_interval: Some(prost_types::Duration {
                seconds: 1,
                nanos: 0,
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn list_head(stub: &Stub, journals: Vec<list_response::Journal>) -> ListResponse {
    let mut header = stub.header();
    header.route = Some(Route {
        members: vec![],
        primary: -1,
        endpoints: vec![],
    });
    ListResponse {
        status: 0,
        header: Some(header),
        journals,
    }
}

fn chunk(journals: Vec<list_response::Journal>) -> ListResponse {
    ListResponse {
        journals,
        ..Default::default()
    }
}

#[tokio::test]
async fn list_handles_single_and_chunked_responses() {
    let stub = Stub::start().await;
    let client = stub.client();
    // A v0.89 broker's unary answer: one message.
    stub.script().lists.push_back(vec![list_head(
        &stub,
        vec![listed(&stub, "a/one"), listed(&stub, "a/two")],
    )]);
    // A streaming broker's chunks.
    stub.script().lists.push_back(vec![
        list_head(&stub, vec![listed(&stub, "b/one")]),
        chunk(vec![listed(&stub, "b/two"), listed(&stub, "b/three")]),
        chunk(vec![listed(&stub, "b/four")]),
    ]);
    let single = list_all_journals(&client, ListRequest::default())
        .await
        .unwrap();
    assert_eq!(single.journals.len(), 2);
    let chunked = list_all_journals(&client, ListRequest::default())
        .await
        .unwrap();
    let names: Vec<_> = chunked
        .journals
        .iter()
        .map(|j| j.spec.as_ref().unwrap().name.as_str())
        .collect();
    assert_eq!(names, ["b/one", "b/two", "b/three", "b/four"]);
    assert_eq!(chunked.header, list_head(&stub, vec![]).header);
    for name in ["a/one", "a/two", "b/one", "b/two", "b/three", "b/four"] {
        assert!(client.route_cache().get(name).is_some(), "{name} cached");
    }
}

#[tokio::test]
async fn list_rejects_invalid_responses() {
    let stub = Stub::start().await;
    let client = stub.client();
    let mut invalid = listed(&stub, "invalid name");
    invalid.spec.as_mut().unwrap().name = "invalid name".into();
    stub.script()
        .lists
        .push_back(vec![list_head(&stub, vec![invalid])]);
    stub.script().lists.push_back(vec![
        list_head(&stub, vec![listed(&stub, "c/one")]),
        chunk(vec![]),
    ]);
    let err = list_all_journals(&client, ListRequest::default())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Journals[0].Spec.Name: not a valid token (invalid name)"
    );
    let err = list_all_journals(&client, ListRequest::default())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "unexpected empty ListResponse.Journals in unary listing"
    );
}

#[tokio::test]
async fn get_journal_selects_by_name_without_meta() {
    let stub = Stub::start().await;
    let client = stub.client();
    stub.script()
        .lists
        .push_back(vec![list_head(&stub, vec![listed(&stub, "foo/bar")])]);
    let found = get_journal(&client, "foo/bar;with/meta").await.unwrap();
    assert_eq!(found.spec.unwrap().name, "foo/bar");
    let request = stub.script().list_requests.remove(0);
    assert_eq!(request.selector.unwrap().to_string(), "name=foo/bar");
}

#[tokio::test]
async fn apply_rejects_a_zero_header() {
    let stub = Stub::start().await;
    let client = stub.client();
    stub.script().applies.push_back(ApplyResponse {
        status: 0,
        header: Some(Header::default()),
    });
    let err = apply_journals(&client, ApplyRequest::default())
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Header.Route: invalid Primary (0; expected -1 <= Primary < 0)"
    );
}

fn fragments_page(stub: &Stub, begins: &[i64], next: i64) -> FragmentsResponse {
    FragmentsResponse {
        status: 0,
        header: Some(stub.header()),
        fragments: begins
            .iter()
            .map(|&begin| fragments_response::Fragment {
                spec: Some(Fragment {
                    journal: "a/journal".into(),
                    begin,
                    end: begin + 10,
                    compression_codec: 1,
                    ..Default::default()
                }),
                signed_url: String::new(),
            })
            .collect(),
        next_page_token: next,
    }
}

#[tokio::test]
async fn list_all_fragments_pages_and_errors() {
    let stub = Stub::start().await;
    let client = stub.client();
    let request = FragmentsRequest {
        journal: "a/journal".into(),
        ..Default::default()
    };
    stub.script()
        .fragments
        .push_back(Ok(fragments_page(&stub, &[0, 10, 20], 30)));
    stub.script()
        .fragments
        .push_back(Ok(fragments_page(&stub, &[30, 40], 0)));
    let all = list_all_fragments(&client, request.clone()).await.unwrap();
    let begins: Vec<_> = all
        .fragments
        .iter()
        .map(|f| f.spec.as_ref().unwrap().begin)
        .collect();
    assert_eq!(begins, [0, 10, 20, 30, 40]);
    assert_eq!(all.next_page_token, 0);
    let tokens: Vec<_> = stub
        .script()
        .fragments_requests
        .iter()
        .map(|r| r.next_page_token)
        .collect();
    assert_eq!(tokens, [0, 30]);

    let mut unknown = fragments_page(&stub, &[], 0);
    unknown.status = 1000;
    stub.script().fragments.push_back(Ok(unknown));
    let err = list_all_fragments(&client, request.clone())
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "Status: invalid status (1000)");

    let mut not_found = fragments_page(&stub, &[], 0);
    not_found.status = gazette::protocol::Status::WrongRoute as i32;
    stub.script().fragments.push_back(Ok(not_found));
    let err = list_all_fragments(&client, request.clone())
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "WRONG_ROUTE");

    stub.script()
        .fragments
        .push_back(Ok(fragments_page(&stub, &[0], 10)));
    stub.script()
        .fragments
        .push_back(Err(Status::unknown("potato")));
    let err = list_all_fragments(&client, request).await.unwrap_err();
    assert_eq!(err.to_string(), "rpc error: code = Unknown desc = potato");
}
