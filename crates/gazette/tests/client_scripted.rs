//! Client behaviour only a broker that misbehaves on cue can show (Go's
//! `teststub` cases): exact append message sequences, invalid responses,
//! unknown statuses, v0.89-style single List responses and bad chunks.

mod client_common;
mod common;

use common::scripted::Stub;

use gazette::append::{append, ContentSource};
use gazette::appender::Appender;
use gazette::protocol::{
    fragments_response, list_response, AppendRequest, AppendResponse, ApplyRequest, ApplyResponse,
    Fragment, FragmentStoreHealthResponse, FragmentsRequest, FragmentsResponse, Header,
    JournalSpec, LabelSet, ListRequest, ListResponse, Route,
};
use gazette::Error;
use gazette::{
    apply_journals, fragment_store_health, get_journal, list_all_fragments, list_all_journals,
};
use tonic::Status;

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

#[tokio::test]
async fn store_health_error_text_is_carried() {
    let stub = Stub::start().await;
    let journal = "a/journal";
    let unhealthy = gazette::protocol::Status::FragmentStoreUnhealthy as i32;
    stub.script().appends.push_back(AppendResponse {
        status: unhealthy,
        header: Some(stub.header()),
        store_health_error: "bucket is gone".into(),
        ..Default::default()
    });
    let client = stub.client();
    let mut app = Appender::new(&client, append_request(journal));
    let err = app.close().await.unwrap_err();
    assert_eq!(err.to_string(), "bucket is gone: FRAGMENT_STORE_UNHEALTHY");
    assert!(client.route_cache().get(journal).is_some());

    stub.script().health.push_back(FragmentStoreHealthResponse {
        status: unhealthy,
        header: Some(stub.header()),
        store_health_error: "bucket is gone".into(),
    });
    let response = fragment_store_health(&client, "s3://bucket/", "")
        .await
        .unwrap();
    assert_eq!(response.status, unhealthy);
    assert_eq!(response.store_health_error, "bucket is gone");
}

/// Yields 100 KiB, then fails.
struct Broken;

impl ContentSource for Broken {
    fn open(&self) -> std::io::Result<Box<dyn std::io::Read + Send + '_>> {
        use std::io::Read;
        struct Fail;
        impl Read for Fail {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("disk on fire"))
            }
        }
        Ok(Box::new(std::io::repeat(b'b').take(100 << 10).chain(Fail)))
    }
}

#[tokio::test]
async fn failing_source_ends_the_stream_without_commit() {
    let stub = Stub::start().await;
    let journal = "a/journal";
    stub.script()
        .appends
        .push_back(ok_append(&stub, journal, 0));
    let client = stub.client();
    let err = append(&client, append_request(journal), &[&Broken])
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "disk on fire");
    let (messages, clean_eof) = stub.script().append_streams.remove(0);
    assert!(messages.len() >= 2, "request and some content were sent");
    assert!(
        !messages.last().unwrap().content.is_empty(),
        "no empty commit message"
    );
    assert!(clean_eof, "half-closed: the broker rolls back");
}

#[tokio::test]
async fn bearer_token_rides_on_every_rpc() {
    let stub = Stub::start().await;
    let mut config = gazette::ClientConfig::new(stub.endpoint.clone());
    config.bearer_token = Some("s3cr3t".into());
    let client = gazette::Client::new(config).unwrap();
    let journal = "a/journal";
    stub.script()
        .appends
        .push_back(ok_append(&stub, journal, 1));
    stub.script()
        .lists
        .push_back(vec![list_head(&stub, vec![listed(&stub, "a/one")])]);
    stub.script().applies.push_back(ApplyResponse {
        status: 0,
        header: list_head(&stub, vec![]).header,
    });
    stub.script()
        .fragments
        .push_back(Ok(fragments_page(&stub, &[0], 0)));

    let one: &[u8] = b"1";
    append(&client, append_request(journal), &[&one])
        .await
        .unwrap();
    list_all_journals(&client, ListRequest::default())
        .await
        .unwrap();
    apply_journals(&client, ApplyRequest::default())
        .await
        .unwrap();
    list_all_fragments(
        &client,
        FragmentsRequest {
            journal: journal.into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let auth = stub.script().auth.clone();
    assert_eq!(auth, vec![Some("Bearer s3cr3t".to_string()); 4]);

    // Without a token, no header.
    let plain = stub.client();
    stub.script().applies.push_back(ApplyResponse {
        status: 0,
        header: list_head(&stub, vec![]).header,
    });
    apply_journals(&plain, ApplyRequest::default())
        .await
        .unwrap();
    assert_eq!(stub.script().auth.last().unwrap(), &None);

    let mut bad = gazette::ClientConfig::new(stub.endpoint.clone());
    bad.bearer_token = Some("line\nbreak".into());
    assert!(matches!(
        gazette::Client::new(bad),
        Err(Error::InvalidArgument(_))
    ));
}
