//! End-to-end tests of the journal client against the dev broker, over real
//! gRPC on loopback:
//!
//! * per codec, a large volume written through many `Appender`s (three
//!   concurrent writers sharing one client) across dozens of fragment rolls
//!   into a `file:///` store, read back byte-identical through
//!   broker-streamed reads, direct fragment reads, and a `RetryReader` while
//!   the broker cuts its Read streams and the primary moves;
//! * concurrent Appenders to one journal all commit (bounded in time);
//! * with three brokers, appends go to the primary and reads to a member
//!   once routes are known, and a first request to a non-member is proxied;
//! * a broker-sent `Unavailable` forgets the route but does not make the
//!   client avoid the live member afterwards.
//!
//! The volume per codec is `GAZETTE_E2E_BYTES` (bytes, or with a `K`, `M` or
//! `G` suffix, e.g. `256M`); `end_to_end_support::DEFAULT_VOLUME` otherwise.
//! Against a real broker (`GAZETTE_TEST_BROKER`), the volume tests run their
//! first two read paths; the RetryReader path and the routing tests need the
//! dev broker's faults and counters and skip.

mod common;
mod end_to_end_support;

use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{skip, TestEnv};
use end_to_end_support::{
    check_store_files, create_volume_journal, read_direct, read_proxied, read_retrying,
    volume_bytes, write_volume, Ledger,
};
use gazette::append::append;
use gazette::appender::Appender;
use gazette::get_journal;
use gazette::protocol::{AppendRequest, CompressionCodec, ReadRequest};
use gazette::reader::{ReadStep, Reader};
use gazette::retry_reader::RetryReader;
use gazette::{Client, ClientConfig};
use gazette_devbroker::{DevBroker, Rpc};

/// Writes the volume in `codec` (three brokers, replication 1), then reads
/// it back through broker-streamed reads, direct fragment reads and a
/// RetryReader under faults, comparing digests.
async fn volume_round_trip(codec: CompressionCodec) {
    let total = volume_bytes();
    let env = TestEnv::start(3).await;
    let client = Client::new(ClientConfig::new(env.endpoint()).with_file_root(env.fragment_root()))
        .expect("client");
    let journal = create_volume_journal(&env, codec, total).await;

    let started = Instant::now();
    // Bounded (generously), so a stall fails rather than hangs.
    let limit = Duration::from_secs(120 + (total >> 20));
    let written = tokio::time::timeout(limit, write_volume(&client, &journal, total, codec as u64))
        .await
        .unwrap_or_else(|_| panic!("{codec:?}: writing {total} bytes took over {limit:?}"));
    let wrote = started.elapsed();
    assert_eq!(written.ledger.len(), total, "wrote the whole volume");

    let started = Instant::now();
    let proxied = read_proxied(&client, &journal, written.head).await;
    let proxied_took = started.elapsed();
    written
        .ledger
        .assert_same(&proxied.ledger, &format!("{codec:?} streamed read"));
    assert_eq!(
        proxied.read_rpcs, 1,
        "one Read RPC streams every fragment, persisted or not"
    );
    assert_eq!(proxied.direct_chunks, 0, "nothing was read directly");

    eprintln!(
        "e2e {codec:?}: {} MiB in {} appenders ({} aborted, {} records, {} multi-MiB writes), \
         {} fragments persisted; write {wrote:.1?}, streamed read {proxied_took:.1?}",
        total >> 20,
        written.appenders,
        written.aborted,
        written.records,
        written.big_writes,
        written.persisted,
    );

    // A real broker persists fragments asynchronously and its store may not
    // be reachable from here: only the dev broker's counts are exact.
    let exact = env.dev().is_some();
    if exact {
        assert!(
            written.persisted >= 24,
            "{codec:?}: expected dozens of rolled fragments, got {}",
            written.persisted
        );
        assert_eq!(
            check_store_files(env.fragment_root(), &journal, codec),
            written.persisted,
            "{codec:?}: every persisted fragment is a {codec:?} file in the store"
        );
    }

    let store_known = exact || std::env::var_os("GAZETTE_TEST_FRAGMENT_ROOT").is_some();
    if store_known {
        let started = Instant::now();
        let direct = read_direct(&client, &journal, written.head).await;
        eprintln!(
            "e2e {codec:?}: direct read {:.1?} ({} direct readers, {} streamed)",
            started.elapsed(),
            direct.direct_readers,
            direct.streamed_readers
        );
        written
            .ledger
            .assert_same(&direct.ledger, &format!("{codec:?} direct read"));
        if exact {
            assert_eq!(
                direct.direct_readers, written.persisted,
                "{codec:?}: one direct reader per persisted fragment"
            );
            assert_eq!(
                direct.streamed_readers,
                written.fragments - written.persisted,
                "{codec:?}: only the open fragment (if any) is streamed by the broker"
            );
            assert!(direct.streamed_readers <= 1);
        }
    } else {
        eprintln!("skipped direct reads: GAZETTE_TEST_FRAGMENT_ROOT is not set");
    }

    let Some(dev) = env.dev() else {
        return skip();
    };
    let started = Instant::now();
    let retried = read_retrying(&client, dev, &journal, written.head, codec as u64).await;
    let retried_took = started.elapsed();
    written
        .ledger
        .assert_same(&retried.ledger, &format!("{codec:?} retry reader"));
    eprintln!(
        "e2e {codec:?}: retry reader {retried_took:.1?}: {} retries, {} Read RPCs at the brokers, \
         primary moves {:?}",
        retried.retries, retried.broker_reads, retried.moves
    );
    assert!(
        retried.retries >= 16,
        "{codec:?}: streams were cut dozens of times, yet only {} retries",
        retried.retries
    );
    assert!(retried.broker_reads > retried.retries);
    assert_eq!(retried.moves.len(), 2, "the primary moved twice mid-read");
    for &(broker, at_move, at_end) in &retried.moves {
        assert!(
            at_end > at_move,
            "{codec:?}: broker {broker} served reads after becoming primary"
        );
    }
    let last = retried.moves.last().unwrap().0;
    assert_eq!(
        retried.cached_primary.as_deref(),
        Some(dev.endpoint(last).as_str()),
        "{codec:?}: the client learned the final route"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn volume_none() {
    volume_round_trip(CompressionCodec::None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn volume_gzip() {
    volume_round_trip(CompressionCodec::Gzip).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn volume_snappy() {
    volume_round_trip(CompressionCodec::Snappy).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn volume_zstandard() {
    volume_round_trip(CompressionCodec::Zstandard).await;
}

/// Read requests of broker `i`, for every broker.
fn counts(dev: &DevBroker, rpc: Rpc) -> Vec<u64> {
    (0..dev.endpoints().len())
        .map(|i| dev.counters().get(i, rpc))
        .collect()
}

/// `after - before`, per broker.
fn delta(before: &[u64], after: &[u64]) -> Vec<u64> {
    before.iter().zip(after).map(|(b, a)| a - b).collect()
}

/// A vector of `brokers` zeros with `(index, count)` entries set.
fn only(brokers: usize, entries: &[(usize, u64)]) -> Vec<u64> {
    let mut v = vec![0; brokers];
    for &(i, n) in entries {
        v[i] += n;
    }
    v
}

/// Reads `journal` from offset 0 to `end` with one Reader, returning the
/// bytes.
async fn read_to(client: &Client, journal: &str, end: i64) -> Vec<u8> {
    let mut reader = Reader::new(
        client,
        ReadRequest {
            journal: journal.to_string(),
            end_offset: end,
            ..Default::default()
        },
    );
    let mut out = Vec::new();
    loop {
        match reader.next_chunk(1 << 20).await.expect("read") {
            ReadStep::Data(chunk) => out.extend_from_slice(&chunk),
            ReadStep::Frame => {}
            ReadStep::Eof => return out,
        }
    }
}

/// With three brokers, a journal of replication 2 whose primary is broker 1
/// (zone-b): the other member and the non-member are both in zone-a. A
/// client whose default endpoint is the non-member and whose zone is zone-a:
/// * its first append goes to the non-member, which proxies to the primary;
/// * once the route is learned, appends go only to the primary;
/// * reads go only to the member in its zone (not the zone-a non-member);
/// * a fresh client's first read lands on the non-member, which proxies it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_brokers_dispatch_by_route() {
    let env = TestEnv::start(3).await;
    let Some(dev) = env.dev() else {
        return skip();
    };
    let journal = env.unique_journal("routing");
    let mut spec = TestEnv::spec(&journal, CompressionCodec::None);
    spec.replication = 2;
    env.create(spec).await;
    assert!(dev.move_primary(&journal, 1));

    // The route as the brokers publish it; find the members by endpoint.
    let lister = Client::connect(dev.endpoint(0)).expect("client");
    let route = get_journal(&lister, &journal)
        .await
        .expect("get journal")
        .route
        .expect("route");
    let index_of = |endpoint: &String| {
        dev.endpoints()
            .iter()
            .position(|e| e == endpoint)
            .expect("a member is one of our brokers")
    };
    let members: Vec<usize> = route.endpoints.iter().map(index_of).collect();
    let primary = members[route.primary as usize];
    assert_eq!(primary, 1, "move_primary pinned broker 1");
    assert_eq!(members.len(), 2);
    let member = *members.iter().find(|&&m| m != primary).unwrap();
    let outsider = (0..3).find(|i| !members.contains(i)).unwrap();
    assert_eq!(dev.process_id(member).zone, "zone-a");
    assert_eq!(dev.process_id(outsider).zone, "zone-a");

    let config = || ClientConfig::new(dev.endpoint(outsider)).with_zone("zone-a");
    let client = Client::new(config()).expect("client");
    let request = AppendRequest {
        journal: journal.clone(),
        ..Default::default()
    };
    let mut expected = Vec::new();

    // First append: no route yet, so the default endpoint (the outsider)
    // takes it and proxies it to the primary.
    let before = counts(dev, Rpc::Append);
    let first = Bytes::from_static(b"first append, proxied\n");
    append(&client, request.clone(), &[&first])
        .await
        .expect("append");
    expected.extend_from_slice(&first);
    assert_eq!(
        delta(&before, &counts(dev, Rpc::Append)),
        only(3, &[(outsider, 1), (primary, 1)]),
        "first append: proxied by the non-member to the primary"
    );

    // Route learned from the response: appends go straight to the primary.
    let before = counts(dev, Rpc::Append);
    for i in 0..5 {
        let mut appender = Appender::new(&client, request.clone());
        let line = format!("append {i}, straight to the primary\n");
        appender.write(line.as_bytes()).await.expect("write");
        appender.close().await.expect("close");
        assert_eq!(
            appender.dispatch().and_then(|d| d.member.clone()),
            Some(dev.process_id(primary)),
            "the Appender chose the primary from the cached route"
        );
        expected.extend_from_slice(line.as_bytes());
    }
    assert_eq!(
        delta(&before, &counts(dev, Rpc::Append)),
        only(3, &[(primary, 5)]),
        "learned appends: only the primary"
    );
    let head = expected.len() as i64;

    // Reads with the learned route: the member in the client's zone.
    let before = counts(dev, Rpc::Read);
    for _ in 0..4 {
        assert_eq!(read_to(&client, &journal, head).await, expected);
    }
    assert_eq!(
        delta(&before, &counts(dev, Rpc::Read)),
        only(3, &[(member, 4)]),
        "learned reads: only the zone-a member, never the zone-a non-member"
    );

    // A fresh client knows no route: its first read goes to the outsider,
    // which proxies to a member; the response teaches the route.
    let fresh = Client::new(config()).expect("client");
    let before = counts(dev, Rpc::Read);
    assert_eq!(read_to(&fresh, &journal, head).await, expected);
    let first_read = delta(&before, &counts(dev, Rpc::Read));
    assert_eq!(first_read[outsider], 1, "first read: the default endpoint");
    assert_eq!(
        first_read.iter().sum::<u64>(),
        2,
        "first read: proxied once, to a member ({first_read:?})"
    );
    assert_eq!(first_read[member] + first_read[primary], 1);

    let before = counts(dev, Rpc::Read);
    for _ in 0..3 {
        assert_eq!(read_to(&fresh, &journal, head).await, expected);
    }
    assert_eq!(
        delta(&before, &counts(dev, Rpc::Read)),
        only(3, &[(member, 3)]),
        "after the first response: straight to the zone-a member"
    );
}

/// The ledger itself: equal input, equal summary; a one-byte change is
/// located to its block. (Guards the comparison the volume tests rely on.)
#[test]
fn ledger_locates_differences() {
    let data: Vec<u8> = (0..(3 << 20) + 100).map(|i| (i % 251) as u8).collect();
    let mut a = Ledger::default();
    let mut b = Ledger::default();
    a.update(&data);
    for piece in data.chunks(7777) {
        b.update(piece);
    }
    assert!(a.first_difference(&b).is_none());

    let mut changed = data.clone();
    changed[(2 << 20) + 5] ^= 1;
    let mut c = Ledger::default();
    c.update(&changed);
    assert_eq!(a.first_difference(&c), Some(2 << 20));
    let mut short = Ledger::default();
    short.update(&data[..data.len() - 1]);
    assert_eq!(a.first_difference(&short), Some(3 << 20));
}

/// After a broker ends a Read stream with gRPC `Unavailable` (here the dev
/// broker's injected cut; the connection itself is fine), Go's client
/// invalidates the journal's cached route, so the retry (whose last frame
/// carried no header) goes through the default endpoint, which proxies it
/// and teaches the route again. The member's connection is not marked failed:
/// only a real transport failure does that. So the next read goes straight
/// back to the member rather than avoiding it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_sent_unavailable_does_not_shun_the_member() {
    let env = TestEnv::start(3).await;
    let Some(dev) = env.dev() else {
        return skip();
    };
    let journal = env
        .create_journal("cut-retry", CompressionCodec::None)
        .await;
    assert!(dev.move_primary(&journal, 1));
    let client = Client::connect(dev.endpoint(0)).expect("client");
    let content = Bytes::from(vec![b'c'; 64 << 10]);
    let response = append(
        &client,
        AppendRequest {
            journal: journal.clone(),
            ..Default::default()
        },
        &[&content],
    )
    .await
    .expect("append");
    let head = response.commit.unwrap().end;

    let before = counts(dev, Rpc::Read);
    dev.faults().cut_stream_after(Rpc::Read, 1000);
    let mut reader = RetryReader::new(
        &client,
        ReadRequest {
            journal: journal.clone(),
            end_offset: head,
            ..Default::default()
        },
    );
    let mut read = 0;
    loop {
        match reader.next_chunk(1 << 20).await.expect("read") {
            ReadStep::Data(chunk) => read += chunk.len(),
            ReadStep::Frame => {}
            ReadStep::Eof => break,
        }
    }
    assert_eq!(read as i64, head);
    let after_cut = counts(dev, Rpc::Read);
    assert_eq!(
        delta(&before, &after_cut),
        only(3, &[(0, 1), (1, 2)]),
        "the cut read goes to the member; its retry via the default endpoint, proxied"
    );

    // The proxied retry taught the route again, and the member's connection
    // is still trusted: a new read goes straight to it.
    let mut again = RetryReader::new(
        &client,
        ReadRequest {
            journal: journal.clone(),
            end_offset: head,
            ..Default::default()
        },
    );
    let mut read = 0;
    loop {
        match again.next_chunk(1 << 20).await.expect("read") {
            ReadStep::Data(chunk) => read += chunk.len(),
            ReadStep::Frame => {}
            ReadStep::Eof => break,
        }
    }
    assert_eq!(read as i64, head);
    assert_eq!(
        delta(&after_cut, &counts(dev, Rpc::Read)),
        only(3, &[(1, 1)]),
        "a broker-sent Unavailable must not make the client avoid a live member"
    );
}

/// Several Appenders of one client to one journal at once: the broker
/// serves them one after another while the others wait, all on one HTTP/2
/// connection. The waiting ones must not starve the one being served (the
/// dev broker once deadlocked here: its connection window was held by the
/// waiting streams' unread content). Bounded, so a regression fails
/// instead of hanging.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appenders_to_one_journal_all_commit() {
    let env = TestEnv::start(1).await;
    let journal = env
        .create_journal("concurrent", CompressionCodec::None)
        .await;
    let client = Client::connect(env.endpoint()).expect("client");
    let writers: Vec<_> = (0..4u8)
        .map(|w| {
            let client = client.clone();
            let journal = journal.clone();
            tokio::spawn(async move {
                let mut appender = Appender::new(
                    &client,
                    AppendRequest {
                        journal,
                        ..Default::default()
                    },
                );
                let block = vec![b'a' + w; 64 << 10];
                for _ in 0..64 {
                    appender.write(&block).await.expect("write");
                }
                appender.close().await.expect("close");
                appender.response.commit.expect("commit")
            })
        })
        .collect();
    let all = async {
        let mut commits = Vec::new();
        for w in writers {
            commits.push(w.await.expect("writer"));
        }
        commits
    };
    let mut commits = tokio::time::timeout(Duration::from_secs(60), all)
        .await
        .expect("four concurrent 4 MiB appends commit within a minute");
    commits.sort_by_key(|c| c.begin);
    let spans: Vec<(i64, i64)> = commits.iter().map(|c| (c.begin, c.end)).collect();
    let size = 4i64 << 20;
    assert_eq!(
        spans,
        (0..4)
            .map(|i| (i * size, (i + 1) * size))
            .collect::<Vec<_>>(),
        "each append commits whole, one after another"
    );
}
