//! No leaks: after a client and everything made from it (Appenders, Readers
//! streamed and direct, readers dropped mid-read or while blocked at the
//! write head, RetryReaders through cut streams or cancelled) are dropped, the process's open file descriptors and the
//! runtime's alive tokio tasks return to their starting counts.
//!
//! Its own test binary with a single test: both counts are process-wide
//! (descriptors) or runtime-wide (tasks), so nothing may run beside it.

mod common;

use std::time::{Duration, Instant};

use bytes::Bytes;
use common::TestEnv;
use gazette::append::append;
use gazette::appender::Appender;
use gazette::protocol::{AppendRequest, CompressionCodec, FragmentsRequest, ReadRequest};
use gazette::reader::{ReadStep, Reader};
use gazette::retry_reader::RetryReader;
use gazette::{get_journal, list_all_fragments};
use gazette::{Client, ClientConfig, Error};
use gazette_devbroker::Rpc;

/// Open file descriptors of this process.
fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .count()
}

/// What each descriptor points at, for the failure message.
fn describe_fds() -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .flatten()
        .map(|e| {
            let target = std::fs::read_link(e.path())
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| "?".into());
            format!("{} -> {target}", e.file_name().to_string_lossy())
        })
        .collect();
    out.sort();
    out
}

/// (open descriptors, alive tasks) now.
fn sample(rt: &tokio::runtime::Handle) -> (usize, usize) {
    (open_fds(), rt.metrics().num_alive_tasks())
}

/// Waits until the counts hold still for a while (connections closed by
/// earlier drops finish winding down), and returns them.
async fn settle(rt: &tokio::runtime::Handle) -> (usize, usize) {
    let mut last = sample(rt);
    let mut steady_since = Instant::now();
    let deadline = Instant::now() + Duration::from_secs(10);
    while steady_since.elapsed() < Duration::from_millis(300) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let now = sample(rt);
        if now != last {
            last = now;
            steady_since = Instant::now();
        }
    }
    last
}

/// Waits up to 10 s for the counts to come back to `base`; returns the
/// last sample.
async fn wait_for(rt: &tokio::runtime::Handle, base: (usize, usize)) -> (usize, usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = sample(rt);
        if now == base || Instant::now() >= deadline {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Reads until EOF, returning the byte count.
async fn drain(reader: &mut Reader) -> usize {
    let mut n = 0;
    loop {
        match reader.next_chunk(1 << 20).await.expect("read") {
            ReadStep::Data(chunk) => n += chunk.len(),
            ReadStep::Frame => {}
            ReadStep::Eof => return n,
        }
    }
}

/// Everything a client's user does, then drops: every path that opens
/// connections, streams, files, decoder threads or tasks.
/// While the client lives, the counts are above `base`: the measure does see
/// the client's connections and tasks.
async fn use_and_drop_a_client(
    env: &TestEnv,
    journal: &str,
    rt: &tokio::runtime::Handle,
    base: (usize, usize),
) {
    let client = Client::new(ClientConfig::new(env.endpoint()).with_file_root(env.fragment_root()))
        .expect("client");
    let request = AppendRequest {
        journal: journal.to_string(),
        ..Default::default()
    };
    let big = Bytes::from(vec![b'x'; 3 << 20]);

    // Committed appends: small writes, a multi-MiB write, and `append`.
    let mut head = 0;
    for i in 0..6 {
        let mut appender = Appender::new(&client, request.clone());
        for j in 0..50 {
            let record = format!("record {i}/{j} of the leak check\n");
            appender.write(record.as_bytes()).await.expect("write");
        }
        appender.close().await.expect("close");
        head = appender.response.commit.unwrap().end;
    }
    let response = append(&client, request.clone(), &[&big])
        .await
        .expect("append");
    head = head.max(response.commit.unwrap().end);
    let response = append(&client, request.clone(), &[&"and a tail\n"])
        .await
        .expect("append");
    head = head.max(response.commit.unwrap().end);

    // Rolled back: aborted, and dropped while its RPC is in flight.
    let mut aborted = Appender::new(&client, request.clone());
    aborted.write(b"never committed").await.expect("write");
    aborted.abort().await;
    let mut dropped = Appender::new(&client, request.clone());
    dropped.write_bytes(big.clone()).await.expect("write");
    drop(dropped);

    // A streamed read of everything.
    let mut reader = Reader::new(
        &client,
        ReadRequest {
            journal: journal.to_string(),
            end_offset: head,
            ..Default::default()
        },
    );
    assert_eq!(drain(&mut reader).await as i64, head);
    drop(reader);

    // Direct reads need the store: the dev broker's, or a real broker's
    // given by GAZETTE_TEST_FRAGMENT_ROOT (a real broker persists
    // asynchronously, so there the counts are not asserted).
    let exact = env.dev().is_some();
    if exact || std::env::var_os("GAZETTE_TEST_FRAGMENT_ROOT").is_some() {
        // Direct reads of every persisted fragment, then the open one.
        let mut reader = Reader::new(
            &client,
            ReadRequest {
                journal: journal.to_string(),
                end_offset: head,
                do_not_proxy: true,
                ..Default::default()
            },
        );
        let mut direct = 0;
        let mut offset = 0;
        loop {
            let n = drain(&mut reader).await;
            offset += n as i64;
            if offset >= head {
                break;
            }
            direct += 1;
            reader = reader.successor();
        }
        assert!(
            !exact || direct >= 2,
            "several fragments were read directly"
        );
        drop(reader);

        // A direct read dropped after its first chunk (its decoder thread and
        // file must go too).
        let mut reader = Reader::new(
            &client,
            ReadRequest {
                journal: journal.to_string(),
                do_not_proxy: true,
                ..Default::default()
            },
        );
        loop {
            if let ReadStep::Data(_) = reader.next_chunk(16).await.expect("read") {
                break;
            }
        }
        assert!(
            !exact || reader.is_direct(),
            "the first fragment is read directly"
        );
        drop(reader);
    }

    // A blocking read waiting at the write head, abandoned.
    let mut reader = Reader::new(
        &client,
        ReadRequest {
            journal: journal.to_string(),
            offset: head,
            block: true,
            ..Default::default()
        },
    );
    let waited = tokio::time::timeout(Duration::from_millis(200), async {
        loop {
            if let ReadStep::Data(_) = reader.next_chunk(1024).await.expect("read") {
                return;
            }
        }
    })
    .await;
    assert!(waited.is_err(), "nothing arrives past the head");
    drop(reader);

    // A RetryReader through cut streams (dev broker only), and one blocked
    // at the write head, cancelled from another task.
    if let Some(dev) = env.dev() {
        let retries = client.stats().snapshot().retries;
        let mut reader = RetryReader::new(
            &client,
            ReadRequest {
                journal: journal.to_string(),
                end_offset: head,
                ..Default::default()
            },
        );
        let mut n = 0;
        loop {
            dev.faults()
                .cut_stream_after(Rpc::Read, (head as u64 / 8).max(1024));
            match reader.next_chunk(1 << 20).await.expect("retry read") {
                ReadStep::Data(chunk) => n += chunk.len(),
                ReadStep::Frame => {}
                ReadStep::Eof => break,
            }
        }
        dev.faults().clear();
        assert_eq!(n as i64, head);
        assert!(client.stats().snapshot().retries - retries >= 4);
    }
    let mut reader = RetryReader::new(
        &client,
        ReadRequest {
            journal: journal.to_string(),
            offset: head,
            block: true,
            ..Default::default()
        },
    );
    let cancel = reader.cancel_handle();
    let seen = env.dev().map(|dev| dev.counters().read_waits());
    let cancelling = async {
        // Cancelled once the read waits at the write head (a real broker
        // can't tell: then at once, which cancels the read all the same).
        if let (Some(dev), Some(seen)) = (env.dev(), seen) {
            while dev.counters().read_waits() <= seen {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
        cancel.cancel();
    };
    let (cancelled, ()) = tokio::join!(reader.next_chunk(1024), cancelling);
    assert!(
        matches!(cancelled, Err(Error::Canceled)),
        "cancelled: {cancelled:?}"
    );
    drop(reader);

    // Unary RPCs.
    get_journal(&client, journal).await.expect("get journal");
    let fragments = list_all_fragments(
        &client,
        FragmentsRequest {
            journal: journal.to_string(),
            ..Default::default()
        },
    )
    .await
    .expect("list fragments");
    assert!(fragments.fragments.len() >= 3);

    let (fds, tasks) = sample(rt);
    assert!(
        fds > base.0 && tasks > base.1,
        "a live client holds connections ({fds} descriptors) and tasks ({tasks}) \
         beyond the starting {base:?}"
    );
    drop(client);
}

#[test]
fn a_dropped_client_leaves_no_descriptors_or_tasks() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let handle = rt.handle().clone();
    rt.block_on(async {
        let env = TestEnv::start(1).await;
        let journal = env.unique_journal("leaks");
        let mut spec = TestEnv::spec(&journal, CompressionCodec::Gzip);
        spec.fragment.as_mut().unwrap().length = 1024;
        env.create(spec).await;

        let base = settle(&handle).await;
        for round in 1..=3 {
            use_and_drop_a_client(&env, &journal, &handle, base).await;
            let after = wait_for(&handle, base).await;
            if after != base {
                panic!(
                    "round {round}: (descriptors, tasks) = {after:?}, started at {base:?}; \
                     descriptors now:\n{}",
                    describe_fds().join("\n")
                );
            }
            eprintln!("round {round}: back to (descriptors, tasks) = {base:?}");
        }
    });
}
