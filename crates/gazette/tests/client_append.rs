//! `append()` against the dev broker: sources re-read per attempt, retries
//! on transport and routing failures, no retry otherwise, aborts on source
//! errors.

mod client_common;
mod common;

use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use client_common::{read_all, Env};
use gazette::append::{append, append_with_response, ContentSource, ReaderFn};
use gazette::protocol::{process_spec::Id, AppendRequest, Route, Status};
use gazette::Error;
use gazette_devbroker::{Fault, Rpc};

fn request(journal: &str) -> AppendRequest {
    AppendRequest {
        journal: journal.to_string(),
        ..Default::default()
    }
}

/// A source that counts how often it is opened.
struct Counting {
    content: &'static [u8],
    opens: Arc<AtomicUsize>,
}

impl ContentSource for Counting {
    fn open(&self) -> std::io::Result<Box<dyn Read + Send + '_>> {
        self.opens.fetch_add(1, Ordering::SeqCst);
        Ok(Box::new(self.content))
    }
}

#[tokio::test]
async fn appends_all_sources_in_order() {
    let env = Env::start().await;
    let journal = env.journal("sources").await;
    let bytes = Bytes::from_static(b"con");
    let vec = b"tent".to_vec();
    let reader = ReaderFn(|| Ok(std::io::Cursor::new(b"!".to_vec())));
    let slice: &[u8] = b"-";
    let sources: [&dyn ContentSource; 5] = [&bytes, &vec, &slice, &"str", &reader];
    let response = append(&env.client, request(&journal), &sources)
        .await
        .unwrap();
    let commit = response.commit.unwrap();
    assert_eq!((commit.begin, commit.end), (0, 12));
    assert_eq!(read_all(&env.endpoints[0], &journal).await, b"content-str!");
    env.stop().await;
}

#[tokio::test]
async fn no_sources_is_a_barrier() {
    let env = Env::start().await;
    let journal = env.journal("barrier").await;
    append(
        &env.client,
        request(&journal),
        &[&Bytes::from_static(b"abc")],
    )
    .await
    .unwrap();
    let response = append(&env.client, request(&journal), &[]).await.unwrap();
    let commit = response.commit.unwrap();
    assert_eq!((commit.begin, commit.end), (3, 3));
    env.stop().await;
}

#[tokio::test]
async fn retries_after_stale_route_and_not_primary() {
    let env = Env::start().await;
    let Some(dev) = env.dev("retries_after_stale_route_and_not_primary") else {
        return;
    };
    let journal = env.journal("retry").await;

    // A stale cached route pointing at a closed port: the first attempt
    // fails with Unavailable, forgets the route, and the retry goes to the
    // default endpoint.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    env.client.update_route(
        &journal,
        &Route {
            members: vec![Id {
                zone: "zone-x".into(),
                suffix: "gone".into(),
            }],
            primary: 0,
            endpoints: vec![format!("http://{closed}")],
        },
    );
    // Then one NOT_JOURNAL_PRIMARY_BROKER answer.
    dev.faults().fail_next(
        Rpc::Append,
        1,
        Fault::Status(Status::NotJournalPrimaryBroker),
    );

    let opens = Arc::new(AtomicUsize::new(0));
    let con = Counting {
        content: b"con",
        opens: opens.clone(),
    };
    let tent = Counting {
        content: b"tent",
        opens: opens.clone(),
    };
    let response = append(&env.client, request(&journal), &[&con, &tent])
        .await
        .unwrap();
    assert_eq!(response.status, 0);
    assert_eq!(
        opens.load(Ordering::SeqCst),
        6,
        "each attempt re-reads both"
    );
    assert_eq!(read_all(&env.endpoints[0], &journal).await, b"content");
    assert_eq!(env.client.stats().snapshot().retries, 2);
    let route = env.client.route_cache().get(&journal).unwrap();
    assert_eq!(route.endpoints, vec![env.endpoints[0].clone()]);
    env.stop().await;
}

#[tokio::test]
async fn retries_no_primary_and_insufficient_brokers() {
    let env = Env::start().await;
    let Some(dev) = env.dev("retries_no_primary_and_insufficient_brokers") else {
        return;
    };
    let journal = env.journal("retry-statuses").await;
    dev.faults().fail_next(
        Rpc::Append,
        1,
        Fault::Status(Status::NoJournalPrimaryBroker),
    );
    dev.faults().fail_next(
        Rpc::Append,
        1,
        Fault::Status(Status::InsufficientJournalBrokers),
    );
    dev.faults().fail_next(
        Rpc::Append,
        1,
        Fault::Grpc(tonic::Code::Unavailable, "x".into()),
    );
    append(
        &env.client,
        request(&journal),
        &[&Bytes::from_static(b"ok")],
    )
    .await
    .unwrap();
    assert_eq!(dev.counters().total(Rpc::Append), 4);
    assert_eq!(read_all(&env.endpoints[0], &journal).await, b"ok");
    env.stop().await;
}

#[tokio::test]
async fn terminal_errors_are_not_retried() {
    let env = Env::start().await;
    let Some(dev) = env.dev("terminal_errors_are_not_retried") else {
        return;
    };
    let journal = env.journal("terminal").await;

    let (response, result) = append_with_response(
        &env.client,
        AppendRequest {
            offset: 99,
            ..request(&journal)
        },
        &[&Bytes::from_static(b"x")],
    )
    .await;
    assert!(matches!(result, Err(Error::WrongAppendOffset)));
    assert_eq!(response.status, Status::WrongAppendOffset as i32);

    dev.faults().fail_next(
        Rpc::Append,
        1,
        Fault::Grpc(tonic::Code::Unknown, "potato".into()),
    );
    let err = append(&env.client, request(&journal), &[&Bytes::from_static(b"x")])
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "rpc error: code = Unknown desc = potato");
    assert_eq!(dev.counters().total(Rpc::Append), 2, "one attempt each");
    assert!(read_all(&env.endpoints[0], &journal).await.is_empty());
    env.stop().await;
}

/// A source that yields some bytes, then fails.
struct Failing;

impl ContentSource for Failing {
    fn open(&self) -> std::io::Result<Box<dyn Read + Send + '_>> {
        Ok(Box::new(
            std::io::Cursor::new(b"partial".to_vec()).chain(FailingRead),
        ))
    }
}

struct FailingRead;

impl Read for FailingRead {
    fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
        Err(std::io::Error::other("source broke"))
    }
}

#[tokio::test]
async fn failing_source_aborts_without_commit() {
    let env = Env::start().await;
    let journal = env.journal("failing").await;
    let big = Bytes::from(vec![b'q'; 200 << 10]);
    let err = append(&env.client, request(&journal), &[&big, &Failing])
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "source broke");
    assert!(matches!(err, Error::Io(_)));
    assert!(read_all(&env.endpoints[0], &journal).await.is_empty());
    // The journal is still writable: the aborted RPC released it.
    append(
        &env.client,
        request(&journal),
        &[&Bytes::from_static(b"after")],
    )
    .await
    .unwrap();
    assert_eq!(read_all(&env.endpoints[0], &journal).await, b"after");
    env.stop().await;
}

/// Dropping an `append` future is Go's cancelled context. Dropped while
/// closing, the transaction may or may not commit (as in Go), but it is
/// atomic either way and the journal stays usable.
#[tokio::test]
async fn dropping_an_append_in_flight_is_atomic() {
    let env = Env::start().await;
    let Some(dev) = env.dev("dropping_an_append_in_flight_is_atomic") else {
        return;
    };
    let journal = env.journal("cancel").await;
    dev.faults()
        .delay(Rpc::Append, std::time::Duration::from_millis(300));
    let never = Bytes::from(vec![b'n'; 300 << 10]);
    let sources: [&dyn ContentSource; 1] = [&never];
    let done = dev.counters().appends_done();
    let attempt = append(&env.client, request(&journal), &sources);
    let timed_out = tokio::time::timeout(std::time::Duration::from_millis(50), attempt).await;
    assert!(timed_out.is_err(), "the append was still in flight");
    dev.faults().delay(Rpc::Append, std::time::Duration::ZERO);
    // The broker is done with the dropped append before the next one.
    while dev.counters().appends_done() <= done {
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }

    append(
        &env.client,
        request(&journal),
        &[&Bytes::from_static(b"later")],
    )
    .await
    .unwrap();
    let content = read_all(&env.endpoints[0], &journal).await;
    let mut whole = never.to_vec();
    whole.extend_from_slice(b"later");
    assert!(
        content == b"later" || content == whole,
        "all or nothing of the dropped append, got {} bytes",
        content.len()
    );
    env.stop().await;
}
