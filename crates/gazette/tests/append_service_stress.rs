//! AppendService under load: many small records from several plain threads
//! into many journals, read back whole. Every record must land (exactly once
//! without faults; at least once, duplicated only as whole batches, with
//! them), and each producer's records must keep their order per journal.
//!
//! The clean run appends the full 1,000,000 records (about 8 s in a
//! debug build here); `GAZETTE_STRESS_RECORDS` changes the count.

mod append_service_support;
mod common;

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::TestEnv;
use gazette::protocol::{journal_spec, CompressionCodec, JournalSpec, LabelSet};
use gazette::{AppendFuture, AppendService, AppendServiceConfig, OpFutures};
use gazette_devbroker::{Fault, Rpc};
use tokio::runtime::Runtime;

use append_service_support::*;

const RECORD: usize = 100;
const PRODUCERS: usize = 8;
const JOURNALS: usize = 16;

/// A 100-byte record: producer, journal and per-(producer, journal) sequence
/// number, padded, newline-terminated.
fn record(producer: usize, journal: usize, seq: u64) -> [u8; RECORD] {
    let mut out = [b'.'; RECORD];
    let head = format!("P{producer:02}J{journal:02}S{seq:010}");
    out[..head.len()].copy_from_slice(head.as_bytes());
    out[RECORD - 1] = b'\n';
    out
}

fn parse(rec: &[u8]) -> (usize, usize, u64) {
    let text = std::str::from_utf8(&rec[..17]).expect("record head");
    (
        text[1..3].parse().unwrap(),
        text[4..6].parse().unwrap(),
        text[7..17].parse().unwrap(),
    )
}

async fn create_journals(env: &TestEnv, what: &str) -> Vec<String> {
    let mut names = Vec::new();
    for _ in 0..JOURNALS {
        let name = env.unique_journal(what);
        env.create(JournalSpec {
            name: name.clone(),
            replication: 1,
            labels: Some(LabelSet::default()),
            fragment: Some(journal_spec::Fragment {
                length: 4 << 20,
                compression_codec: CompressionCodec::None as i32,
                stores: vec!["file:///".into()],
                refresh_interval: Some(prost_types::Duration {
                    seconds: 1,
                    nanos: 0,
                }),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await;
        names.push(name);
    }
    names
}

/// Runs `PRODUCERS` threads appending `total` records round-robin over the
/// journals, each pausing `pace` after every 100 records; returns the last
/// future of each producer and journal (it completes after all earlier ones).
fn produce(
    svc: &AppendService,
    journals: &[String],
    total: usize,
    pace: Duration,
) -> Vec<AppendFuture> {
    let per_producer = total / PRODUCERS;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                s.spawn(move || {
                    let mut seqs = [0u64; JOURNALS];
                    let mut last: HashMap<usize, AppendFuture> = HashMap::new();
                    for i in 0..per_producer {
                        if i % 100 == 99 && !pace.is_zero() {
                            std::thread::sleep(pace);
                        }
                        let j = (i * 7 + p) % JOURNALS;
                        let mut aa = svc.start_append_blocking(req(&journals[j]), OpFutures::new());
                        aa.write_all(&record(p, j, seqs[j])).unwrap();
                        seqs[j] += 1;
                        let fut = aa.release().unwrap();
                        last.insert(j, fut);
                    }
                    last.into_values().collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    })
}

/// Checks one journal's content: records whole, every producer's sequence
/// complete and in order. A record seen again must start a whole-batch
/// repeat (the batch re-sent after a commit whose answer was lost), which
/// is skipped and counted. Returns (records, duplicated batches).
fn check_journal(j: usize, content: &[u8], expected: &[u64; PRODUCERS]) -> (usize, usize) {
    assert_eq!(content.len() % RECORD, 0, "journal {j}: whole records");
    let mut next = [0u64; PRODUCERS];
    let mut first_seen: HashMap<(usize, u64), usize> = HashMap::new();
    let (mut records, mut duplicates) = (0, 0);
    let mut pos = 0;
    while pos < content.len() {
        let (p, jj, seq) = parse(&content[pos..pos + RECORD]);
        assert_eq!(jj, j, "record of journal {jj} in journal {j}");
        if let Some(&orig) = first_seen.get(&(p, seq)) {
            // A whole-batch duplicate: the span [orig, pos) repeats at pos.
            let span = pos - orig;
            assert!(
                pos + span <= content.len() && content[orig..pos] == content[pos..pos + span],
                "journal {j}: record P{p}S{seq} at {pos} repeats, but not as a whole batch"
            );
            duplicates += 1;
            pos += span;
            continue;
        }
        assert_eq!(
            seq, next[p],
            "journal {j}: producer {p} out of order at {pos}"
        );
        next[p] += 1;
        first_seen.insert((p, seq), pos);
        records += 1;
        pos += RECORD;
    }
    assert_eq!(&next, expected, "journal {j}: every record landed");
    (records, duplicates)
}

/// Reads every journal back and checks it; returns duplicated batches.
fn verify(rt: &Runtime, env: &TestEnv, journals: &[String], total: usize) -> usize {
    let per_producer = total / PRODUCERS;
    let mut expected = vec![[0u64; PRODUCERS]; JOURNALS];
    for p in 0..PRODUCERS {
        for i in 0..per_producer {
            expected[(i * 7 + p) % JOURNALS][p] += 1;
        }
    }
    let (mut records, mut duplicates) = (0, 0);
    for (j, name) in journals.iter().enumerate() {
        let content = rt.block_on(read_all(env, name));
        let (r, d) = check_journal(j, &content, &expected[j]);
        records += r;
        duplicates += d;
    }
    assert_eq!(records, per_producer * PRODUCERS);
    duplicates
}

#[test]
fn many_records_from_many_threads_land_once_and_in_order() {
    let total: usize = std::env::var("GAZETTE_STRESS_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let rt = Runtime::new().unwrap();
    let env = rt.block_on(TestEnv::start(1));
    let journals = rt.block_on(create_journals(&env, "stress"));
    let svc = {
        let _enter = rt.enter();
        AppendService::with_config(client(&env), AppendServiceConfig::default())
    };
    let started = Instant::now();
    let futures = produce(&svc, &journals, total, Duration::ZERO);
    for fut in &futures {
        fut.wait_blocking().unwrap();
    }
    let elapsed = started.elapsed();
    svc.close_blocking(Duration::from_secs(30)).unwrap();
    let rpcs = env.dev().map(|d| d.counters().total(Rpc::Append));
    eprintln!("{total} records in {elapsed:?}; Append RPCs: {rpcs:?}");
    let duplicates = verify(&rt, &env, &journals, total);
    assert_eq!(duplicates, 0, "no faults, no duplicates");
    drop(svc);
    drop(env);
}

#[test]
fn nothing_lost_or_reordered_through_faults() {
    let total = 40_000;
    let rt = Runtime::new().unwrap();
    let env = rt.block_on(TestEnv::start(3));
    if env.is_real() {
        return common::skip();
    }
    let journals = rt.block_on(create_journals(&env, "faulty"));
    let svc = {
        let _enter = rt.enter();
        AppendService::with_config(client(&env), AppendServiceConfig::default())
    };
    let stop = Arc::new(AtomicBool::new(false));
    let env = Arc::new(env);
    let driver = {
        let (env, stop, names) = (env.clone(), stop.clone(), journals.clone());
        rt.spawn(async move {
            let dev = env.dev().unwrap();
            let mut round = 0u64;
            while !stop.load(Ordering::SeqCst) {
                match round % 4 {
                    0 => dev.faults().fail_next(
                        Rpc::Append,
                        3,
                        Fault::Grpc(tonic::Code::Unavailable, "injected".into()),
                    ),
                    1 => dev.faults().cut_stream_after(Rpc::Append, 150),
                    2 => {
                        assert!(dev.stop_broker(1).await);
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        assert!(dev.restart_broker(1).await.unwrap());
                    }
                    _ => {
                        let journal = &names[round as usize % JOURNALS];
                        assert!(dev.move_primary(journal, (round % 3) as usize));
                    }
                }
                round += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            round
        })
    };
    // Paced so the run spans a couple of seconds of faults. Faults stop
    // with the producers: injected for as long as appends were pending, a
    // lone journal backing off between retries would meet a fresh fault on
    // every attempt and never commit.
    let futures = produce(&svc, &journals, total, Duration::from_millis(40));
    stop.store(true, Ordering::SeqCst);
    let rounds = rt.block_on(driver).unwrap();
    for fut in &futures {
        let result = fut
            .wait_timeout(Duration::from_secs(120))
            .unwrap_or_else(|| {
                panic!(
                    "{}: its appends did not commit within 120 s of the last fault",
                    fut.request().journal
                )
            });
        result.unwrap();
    }
    svc.close_blocking(Duration::from_secs(30)).unwrap();
    let retries = svc.client().stats().snapshot().retries;
    let duplicates = verify(&rt, &env, &journals, total);
    eprintln!(
        "fault rounds: {rounds}, client retries: {retries}, duplicated batches: {duplicates}"
    );
    assert!(rounds >= 8, "every kind of fault was injected");
    assert!(retries > 0, "faults were met and retried");
    drop(svc);
}
