//! Appender against the dev broker: commit, abort, coalescing and splitting,
//! status mapping on close, early rejections surfacing from writes, and
//! route learning.

mod client_common;
mod common;

use bytes::Bytes;
use client_common::{read_all, Env};
use gazette::appender::Appender;
use gazette::protocol::{AppendRequest, Label, LabelSelector, LabelSet, Status};
use gazette::Error;
use gazette_devbroker::{Fault, Rpc};

fn request(journal: &str) -> AppendRequest {
    AppendRequest {
        journal: journal.to_string(),
        ..Default::default()
    }
}

#[tokio::test]
async fn commit_makes_writes_visible_and_caches_route() {
    let env = Env::start().await;
    let journal = env.journal("commit").await;
    assert!(env.client.route_cache().get(&journal).is_none());

    let mut app = Appender::new(&env.client, request(&journal));
    assert_eq!(app.write(b"foo").await.unwrap(), 3);
    assert_eq!(app.write(b"").await.unwrap(), 0, "empty write is a no-op");
    assert_eq!(app.write(b"bar").await.unwrap(), 3);
    app.close().await.unwrap();

    let commit = app.response.commit.clone().expect("commit");
    assert_eq!((commit.begin, commit.end), (0, 6));
    assert_eq!(commit.journal, journal);
    assert_eq!(read_all(&env.endpoints[0], &journal).await, b"foobar");
    let route = env
        .client
        .route_cache()
        .get(&journal)
        .expect("route cached");
    assert_eq!(route.members.len(), 1);
    assert_eq!(route.primary, 0);
    env.stop().await;
}

#[tokio::test]
async fn close_without_writes_is_an_empty_append() {
    let env = Env::start().await;
    let journal = env.journal("barrier").await;
    let mut app = Appender::new(&env.client, request(&journal));
    app.close().await.unwrap();
    let commit = app.response.commit.unwrap();
    assert_eq!((commit.begin, commit.end), (0, 0));
    env.stop().await;
}

#[tokio::test]
async fn many_small_and_one_large_write_round_trip() {
    let env = Env::start().await;
    let journal = env.journal("sizes").await;
    let mut expect = Vec::new();
    let mut app = Appender::new(&env.client, request(&journal));
    for i in 0..5000u32 {
        let line = format!("line {i}\n");
        app.write(line.as_bytes()).await.unwrap();
        expect.extend_from_slice(line.as_bytes());
    }
    // Larger than a gRPC message may be: it must be split.
    let big: Vec<u8> = (0..5 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    app.write(&big).await.unwrap();
    expect.extend_from_slice(&big);
    let tail = Bytes::from(vec![b'z'; 3 << 20]);
    app.write_bytes(tail.clone()).await.unwrap();
    expect.extend_from_slice(&tail);
    app.close().await.unwrap();

    let commit = app.response.commit.unwrap();
    assert_eq!(commit.end - commit.begin, expect.len() as i64);
    let chunks = app.response.total_chunks;
    assert!(
        (5..=64).contains(&chunks),
        "writes coalesced and split into a few messages, got {chunks}"
    );
    assert_eq!(read_all(&env.endpoints[0], &journal).await, expect);
    let stats = env.client.stats().snapshot();
    assert_eq!(stats.bytes_appended, expect.len() as u64);
    assert_eq!(stats.append_rpcs, 1);
    env.stop().await;
}

#[tokio::test]
async fn abort_and_drop_roll_back() {
    let env = Env::start().await;
    let journal = env.journal("abort").await;

    let mut app = Appender::new(&env.client, request(&journal));
    app.write(b"discarded").await.unwrap();
    app.abort().await;

    {
        let mut dropped = Appender::new(&env.client, request(&journal));
        dropped.write(b"also discarded").await.unwrap();
    }

    let mut app = Appender::new(&env.client, request(&journal));
    app.write(b"kept").await.unwrap();
    app.close().await.unwrap();
    assert_eq!(read_all(&env.endpoints[0], &journal).await, b"kept");
    env.stop().await;
}

#[tokio::test]
async fn reset_allows_retrying_the_same_appender() {
    let env = Env::start().await;
    let journal = env.journal("reset").await;
    let mut app = Appender::new(&env.client, request(&journal));
    app.write(b"first try").await.unwrap();
    app.abort().await;
    app.reset();
    app.write(b"second").await.unwrap();
    app.close().await.unwrap();
    assert_eq!(read_all(&env.endpoints[0], &journal).await, b"second");
    env.stop().await;
}

#[tokio::test]
async fn invalid_requests_fail_before_any_rpc() {
    let env = Env::start().await;
    let mut app = Appender::new(&env.client, AppendRequest::default());
    let err = app.write(b"x").await.unwrap_err();
    assert_eq!(err.to_string(), "expected Request.Journal");

    let mut app = Appender::new(&env.client, request("/bad"));
    let err = app.close().await.unwrap_err();
    assert!(
        err.to_string().starts_with("Request.Journal: "),
        "got {err}"
    );
    assert_eq!(env.client.stats().snapshot().append_rpcs, 0);
    env.stop().await;
}

#[tokio::test]
async fn close_maps_real_broker_statuses() {
    let env = Env::start().await;

    // JOURNAL_NOT_FOUND: no such journal.
    let missing = client_common::unique("missing");
    let mut app = Appender::new(&env.client, request(&missing));
    app.write(b"x").await.ok();
    let err = app.close().await.unwrap_err();
    assert!(matches!(err, Error::JournalNotFound), "got {err}");
    assert_eq!(err.to_string(), "JOURNAL_NOT_FOUND");

    // WRONG_APPEND_OFFSET: explicit offset other than the write head.
    let journal = env.journal("offsets").await;
    let mut app = Appender::new(
        &env.client,
        AppendRequest {
            offset: 100,
            ..request(&journal)
        },
    );
    app.write(b"x").await.ok();
    let err = app.close().await.unwrap_err();
    assert!(matches!(err, Error::WrongAppendOffset), "got {err}");
    assert_eq!(app.response.status, Status::WrongAppendOffset as i32);
    assert!(env.client.route_cache().get(&journal).is_some());

    // REGISTER_MISMATCH carries the selector and the current registers.
    let mut app = Appender::new(
        &env.client,
        AppendRequest {
            union_registers: Some(labels("owner", "a")),
            ..request(&journal)
        },
    );
    app.write(b"locked").await.unwrap();
    app.close().await.unwrap();
    let mut app = Appender::new(
        &env.client,
        AppendRequest {
            check_registers: Some(LabelSelector {
                include: Some(labels("owner", "b")),
                exclude: None,
            }),
            ..request(&journal)
        },
    );
    app.write(b"x").await.ok();
    let err = app.close().await.unwrap_err();
    assert!(matches!(err, Error::RegisterMismatch { .. }), "got {err}");
    assert_eq!(
        err.to_string(),
        "selector owner=b doesn't match registers owner=a: REGISTER_MISMATCH"
    );
    env.stop().await;
}

fn labels(name: &str, value: &str) -> LabelSet {
    LabelSet {
        labels: vec![Label {
            name: name.into(),
            value: value.into(),
            prefix: false,
        }],
    }
}

#[tokio::test]
async fn close_maps_injected_statuses_and_caches_route() {
    let env = Env::start().await;
    let Some(dev) = env.dev("close_maps_injected_statuses_and_caches_route") else {
        return;
    };
    let cases = [
        (
            Status::NotJournalPrimaryBroker,
            "NOT_JOURNAL_PRIMARY_BROKER",
        ),
        (Status::IndexHasGreaterOffset, "INDEX_HAS_GREATER_OFFSET"),
        (Status::NotAllowed, "NOT_ALLOWED"),
        (Status::Suspended, "SUSPENDED"),
        (
            Status::InsufficientJournalBrokers,
            "INSUFFICIENT_JOURNAL_BROKERS",
        ),
        (Status::NoJournalPrimaryBroker, "NO_JOURNAL_PRIMARY_BROKER"),
        (Status::WrongRoute, "WRONG_ROUTE"),
    ];
    for (status, text) in cases {
        let journal = env.journal("injected").await;
        dev.faults()
            .fail_next(Rpc::Append, 1, Fault::Status(status));
        let mut app = Appender::new(&env.client, request(&journal));
        let err = app.close().await.unwrap_err();
        assert_eq!(err.to_string(), text);
        assert_eq!(err.status(), Some(status));
        assert!(
            env.client.route_cache().get(&journal).is_some(),
            "{text}: route cached from the status response"
        );
    }
    env.stop().await;
}

#[tokio::test]
async fn transport_error_on_close_caches_no_route() {
    let env = Env::start().await;
    let Some(dev) = env.dev("transport_error_on_close_caches_no_route") else {
        return;
    };
    let journal = env.journal("grpc-error").await;
    dev.faults().fail_next(
        Rpc::Append,
        1,
        Fault::Grpc(tonic::Code::Unknown, "potato".into()),
    );
    let mut app = Appender::new(&env.client, request(&journal));
    let err = app.close().await.unwrap_err();
    assert_eq!(err.to_string(), "rpc error: code = Unknown desc = potato");
    assert!(env.client.route_cache().get(&journal).is_none());
    env.stop().await;
}

#[tokio::test]
async fn early_rejection_surfaces_from_a_later_write() {
    let env = Env::start().await;
    let Some(dev) = env.dev("early_rejection_surfaces_from_a_later_write") else {
        return;
    };
    let journal = env.journal("early").await;
    dev.faults().fail_next(
        Rpc::Append,
        1,
        Fault::Status(Status::FragmentStoreUnhealthy),
    );
    let mut app = Appender::new(&env.client, request(&journal));
    let chunk = vec![b'x'; 256 << 10];
    let mut failure = None;
    for _ in 0..200 {
        match app.write(&chunk).await {
            Ok(n) => assert_eq!(n, chunk.len()),
            Err(err) => {
                failure = Some(err);
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let err = failure.expect("a write fails once the broker has answered");
    assert!(
        matches!(err, Error::FragmentStoreUnhealthy { .. }),
        "got {err}"
    );
    assert_eq!(app.response.status, Status::FragmentStoreUnhealthy as i32);
    assert!(read_all(&env.endpoints[0], &journal).await.is_empty());
    env.stop().await;
}

#[tokio::test]
async fn server_error_mid_stream_fails_a_later_write() {
    let env = Env::start().await;
    let Some(dev) = env.dev("server_error_mid_stream_fails_a_later_write") else {
        return;
    };
    let journal = env.journal("cut").await;
    let mut warmup = Appender::new(&env.client, request(&journal));
    warmup.close().await.unwrap();
    assert!(env.client.route_cache().get(&journal).is_some());

    dev.faults().cut_stream_after(Rpc::Append, 100 << 10);
    let mut app = Appender::new(&env.client, request(&journal));
    let chunk = vec![b'y'; 128 << 10];
    let mut failure = None;
    for _ in 0..200 {
        if let Err(err) = app.write(&chunk).await {
            failure = Some(err);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let err = failure.expect("a write fails after the broker's error");
    assert_eq!(err.grpc_code(), Some(tonic::Code::Unavailable), "got {err}");
    assert!(
        env.client.route_cache().get(&journal).is_none(),
        "Unavailable forgets the route"
    );
    assert!(read_all(&env.endpoints[0], &journal).await.is_empty());
    env.stop().await;
}

#[tokio::test]
async fn rpc_opens_only_once_data_is_ready() {
    let env = Env::start().await;
    let journal = env.journal("lazy").await;
    let rpcs = || env.client.stats().snapshot().append_rpcs;

    let mut app = Appender::new(&env.client, request(&journal));
    app.write(b"small").await.unwrap();
    assert_eq!(rpcs(), 0, "small writes are gathered first");
    app.abort().await;
    assert_eq!(rpcs(), 0, "nothing was sent, so nothing to roll back");

    let mut app = Appender::new(&env.client, request(&journal));
    app.write(&[b'x'; 70 << 10]).await.unwrap();
    assert_eq!(rpcs(), 1, "a full chunk opens the RPC");
    app.write(b"tail").await.unwrap();
    app.close().await.unwrap();
    assert_eq!(rpcs(), 1);
    let content = read_all(&env.endpoints[0], &journal).await;
    assert_eq!(content.len(), (70 << 10) + 4);
    assert!(content.ends_with(b"tail"));
    env.stop().await;
}
