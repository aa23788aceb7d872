//! The soak (`scripts/soak --duration 10m`; ignored in the normal run):
//! appends, async appends and readers over several journals on a 3-broker
//! dev cluster while a fault task injects random faults, ending with the
//! write/read comparison and totals (bytes, records, retries, faults, max
//! RSS). `GAZETTE_SOAK_SECS` sets the duration (default 60),
//! `GAZETTE_SOAK_SEED` the fault sequence (default: from the clock).
//!
//! Writers:
//! * `APPENDERS` sequential retried `append`s, each write's content derived
//!   from (writer, index, length), so the ledger keeps only spans and
//!   regenerates the bytes to compare;
//! * `SERVICE_JOURNALS` AppendService producers of fixed-size numbered
//!   records: the journal must hold every acknowledged record, in order,
//!   repeated only as whole re-sent batches.
//!
//! Readers: a blocking RetryReader per journal follows it throughout and
//! hashes what it delivers; at the end that hash must equal the stored
//! journal's.

mod fault_support;

use std::collections::VecDeque;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gazette::protocol::{AppendRequest, CompressionCodec, ReadRequest};
use gazette::{AppendFuture, AppendService, OpFutures, ReadStep, RetryReader};
use gazette_devbroker::{Fault, Rpc};
use sha1::{Digest, Sha1};

use fault_support::*;

const APPENDERS: usize = 3;
const SERVICE_JOURNALS: usize = 3;
const RECORD: usize = 100;
const BROKERS: usize = 3;

fn req(journal: &str) -> AppendRequest {
    AppendRequest {
        journal: journal.to_string(),
        ..Default::default()
    }
}

/// A tiny deterministic generator (xorshift64*).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn record(j: usize, seq: u64) -> [u8; RECORD] {
    let mut out = [b'.'; RECORD];
    let head = format!("S{j:02}Q{seq:012}");
    out[..head.len()].copy_from_slice(head.as_bytes());
    out[RECORD - 1] = b'\n';
    out
}

/// Checks a service journal: whole records of journal `j`, in order, every
/// sequence number up to `acked` present; a record seen before may only
/// start a whole repeat of a span already seen (a re-sent batch).
/// Returns (records, duplicated records).
fn check_records(j: usize, stored: &[u8], acked: u64) -> (u64, u64) {
    assert_eq!(stored.len() % RECORD, 0, "journal S{j}: whole records");
    let (mut next, mut dups) = (0u64, 0u64);
    for rec in stored.chunks(RECORD) {
        assert_eq!(rec[RECORD - 1], b'\n', "S{j}: record framing");
        let head = std::str::from_utf8(&rec[..16]).expect("record head");
        assert_eq!(
            &head[..4],
            format!("S{j:02}Q"),
            "S{j}: record of another journal"
        );
        let seq: u64 = head[4..16].parse().expect("sequence number");
        assert_eq!(rec, record(j, seq), "S{j}: record {seq} holds other bytes");
        if seq == next {
            next += 1;
        } else if seq < next {
            dups += 1;
        } else {
            panic!("S{j}: records {next}..{seq} lost");
        }
    }
    assert!(
        next >= acked,
        "S{j}: acknowledged up to {acked}, stored up to {next}"
    );
    (next, dups)
}

/// One acknowledged write of a sequential appender: commit begin and end,
/// write index and length (its bytes are `content(writer, index, length)`).
type Span = (i64, i64, usize, usize);

#[derive(Default)]
struct Totals {
    bytes_acked: AtomicU64,
    records_acked: AtomicU64,
    faults: AtomicU64,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "long: run by scripts/soak"]
async fn soak() {
    if real_broker_configured() {
        return;
    }
    let secs: u64 = std::env::var("GAZETTE_SOAK_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let seed: u64 = std::env::var("GAZETTE_SOAK_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("SOAK {secs} s, seed {seed}");
    let rss_start = rss_kib();
    let c = Arc::new(Cluster::start(BROKERS, Duration::from_millis(100)).await);
    let codecs = [
        CompressionCodec::None,
        CompressionCodec::Gzip,
        CompressionCodec::Snappy,
        CompressionCodec::Zstandard,
    ];
    let plain: Vec<String> = (0..APPENDERS).map(|w| format!("soak/append-{w}")).collect();
    let svc_journals: Vec<String> = (0..SERVICE_JOURNALS)
        .map(|j| format!("soak/service-{j}"))
        .collect();
    for (i, j) in plain.iter().chain(&svc_journals).enumerate() {
        c.create(j, codecs[i % codecs.len()], 256 << 10, 2).await;
    }
    let deadline = Instant::now() + Duration::from_secs(secs);
    let stop = Arc::new(AtomicBool::new(false));
    let totals = Arc::new(Totals::default());
    let mut tasks = Vec::new();

    // Sequential appenders: (begin, end, k, len) per acknowledged write.
    let ledgers: Vec<Arc<Mutex<Vec<Span>>>> = (0..APPENDERS).map(|_| Arc::default()).collect();
    for w in 0..APPENDERS {
        let (c, journal, ledger, stop, totals) = (
            c.clone(),
            plain[w].clone(),
            ledgers[w].clone(),
            stop.clone(),
            totals.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut k = 0;
            while !stop.load(Relaxed) {
                let len = 500 + (k * 131) % 4000;
                let data = content(w, k, len);
                let resp = gazette::append(&c.client, req(&journal), &[&data.as_slice()])
                    .await
                    .unwrap_or_else(|e| panic!("{journal}: append {k}: {e:?}"));
                let commit = resp.commit.expect("commit");
                assert_eq!((commit.end - commit.begin) as usize, len);
                ledger
                    .lock()
                    .unwrap()
                    .push((commit.begin, commit.end, k, len));
                totals.bytes_acked.fetch_add(len as u64, Relaxed);
                totals.records_acked.fetch_add(1, Relaxed);
                k += 1;
                tokio::time::sleep(Duration::from_millis(20)).await; // pacing
            }
        }));
    }

    // AppendService producers: the highest acknowledged record per journal.
    let svc = AppendService::new(c.client.clone());
    let svc_acked: Vec<Arc<AtomicU64>> = (0..SERVICE_JOURNALS).map(|_| Arc::default()).collect();
    for j in 0..SERVICE_JOURNALS {
        let (svc, journal, acked, stop, totals) = (
            svc.clone(),
            svc_journals[j].clone(),
            svc_acked[j].clone(),
            stop.clone(),
            totals.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut pending: VecDeque<(u64, AppendFuture)> = VecDeque::new();
            let mut seq = 0u64;
            let settle = |pending: &mut VecDeque<(u64, AppendFuture)>| {
                while let Some((s, fut)) = pending.front() {
                    match fut.try_result() {
                        None => break,
                        Some(Ok(())) => {
                            acked.store(s + 1, Relaxed);
                            totals.bytes_acked.fetch_add(RECORD as u64, Relaxed);
                            totals.records_acked.fetch_add(1, Relaxed);
                            pending.pop_front();
                        }
                        Some(Err(e)) => panic!("{journal}: async append {s}: {e:?}"),
                    }
                }
            };
            while !stop.load(Relaxed) {
                for _ in 0..20 {
                    let mut aa = svc.start_append(req(&journal), OpFutures::new()).await;
                    aa.write_all(&record(j, seq)).unwrap();
                    pending.push_back((seq, aa.release().unwrap()));
                    seq += 1;
                }
                settle(&mut pending);
                tokio::time::sleep(Duration::from_millis(10)).await; // pacing
            }
            for (_, fut) in &pending {
                let _ = fut.wait().await;
            }
            settle(&mut pending);
            assert!(pending.is_empty());
        }));
    }

    // Followers: a blocking RetryReader per journal, hashing what it reads.
    let all: Vec<String> = plain.iter().chain(&svc_journals).cloned().collect();
    let mut followers = Vec::new();
    let mut cancels = Vec::new();
    for journal in all.clone() {
        let mut rr = RetryReader::new(
            &c.client,
            ReadRequest {
                journal: journal.clone(),
                offset: 0,
                block: true,
                ..Default::default()
            },
        );
        cancels.push(rr.cancel_handle());
        followers.push(tokio::spawn(async move {
            let mut hash = Sha1::new();
            let mut read = 0u64;
            loop {
                match rr.next_chunk(usize::MAX).await {
                    Ok(ReadStep::Data(chunk)) => {
                        hash.update(&chunk);
                        read += chunk.len() as u64;
                    }
                    Ok(ReadStep::Frame) => {}
                    Ok(ReadStep::Eof) => break, // the final length, below
                    // Cancelled once the writers are done: read on to the
                    // journal's final length, then stop.
                    Err(gazette::Error::Canceled) => {
                        let end = FINAL.load(&journal);
                        if read >= end {
                            break;
                        }
                        rr.restart(ReadRequest {
                            journal: journal.clone(),
                            offset: read as i64,
                            end_offset: end as i64,
                            block: true,
                            ..Default::default()
                        });
                    }
                    Err(gazette::Error::OffsetJump) => panic!("{journal}: offset jump"),
                    Err(e) => panic!("{journal}: follower: {e:?}"),
                }
            }
            (journal, read, hash.finalize().to_vec())
        }));
    }

    // Faults, at random, until the deadline.
    let mut rng = Rng(seed);
    let unavailable = Fault::Grpc(tonic::Code::Unavailable, "soak fault".into());
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200 + rng.below(800))).await;
        let faults = c.dev.faults();
        match rng.below(8) {
            0 => faults.fail_next(Rpc::Append, 1 + rng.below(5) as usize, unavailable.clone()),
            1 => faults.fail_next(Rpc::Read, 1 + rng.below(3) as usize, unavailable.clone()),
            2 => faults.cut_stream_after(Rpc::Read, rng.below(20_000)),
            3 => faults.cut_stream_after(Rpc::Append, rng.below(3000)),
            4 => {
                let j = &all[rng.below(all.len() as u64) as usize];
                c.dev.move_primary(j, rng.below(BROKERS as u64) as usize);
            }
            5 => {
                let j = &all[rng.below(all.len() as u64) as usize];
                c.dev.flush(j);
            }
            6 => faults.fail_next(
                Rpc::Append,
                1 + rng.below(3) as usize,
                Fault::Status(gazette::protocol::Status::NotJournalPrimaryBroker),
            ),
            _ => {
                let b = rng.below(BROKERS as u64) as usize;
                if c.dev.stop_broker(b).await {
                    tokio::time::sleep(Duration::from_millis(100 + rng.below(900))).await;
                    c.dev.restart_broker(b).await.expect("restart broker");
                }
            }
        }
        totals.faults.fetch_add(1, Relaxed);
    }
    c.dev.faults().clear();
    stop.store(true, Relaxed);
    for t in tasks {
        t.await.expect("writer");
    }
    svc.close(Duration::from_secs(60))
        .await
        .expect("service close");

    // The comparison.
    let mut stored_hashes = Vec::new();
    let mut stored_bytes = 0u64;
    let mut duplicates = 0;
    for (w, journal) in plain.iter().enumerate() {
        let stored = c.stored(journal).await;
        for &(begin, end, k, len) in ledgers[w].lock().unwrap().iter() {
            assert!(
                end as usize <= stored.len(),
                "{journal}: {begin}..{end} lost"
            );
            assert!(
                stored[begin as usize..end as usize] == content(w, k, len)[..],
                "{journal}: acknowledged {begin}..{end} holds other bytes"
            );
        }
        stored_bytes += stored.len() as u64;
        FINAL.set(journal, stored.len() as u64);
        stored_hashes.push((
            journal.clone(),
            stored.len() as u64,
            Sha1::digest(&stored).to_vec(),
        ));
    }
    for (j, journal) in svc_journals.iter().enumerate() {
        let stored = c.stored(journal).await;
        let (_, d) = check_records(j, &stored, svc_acked[j].load(Relaxed));
        duplicates += d;
        stored_bytes += stored.len() as u64;
        FINAL.set(journal, stored.len() as u64);
        stored_hashes.push((
            journal.clone(),
            stored.len() as u64,
            Sha1::digest(&stored).to_vec(),
        ));
    }
    for cancel in &cancels {
        cancel.cancel();
    }
    for f in followers {
        let (journal, read, hash) = f.await.expect("follower");
        let (_, len, want) = stored_hashes.iter().find(|(j, ..)| *j == journal).unwrap();
        assert_eq!(read, *len, "{journal}: follower read {read} of {len} bytes");
        assert_eq!(
            &hash, want,
            "{journal}: follower's bytes differ from the stored ones"
        );
    }
    let stats = c.client.stats().snapshot();
    println!(
        "SOAK TOTALS: {secs} s, seed {seed}: acknowledged {} bytes in {} records/appends, \
         {} bytes stored ({duplicates} duplicated records from re-sent batches), \
         0 acknowledged bytes lost, 0 wrong or out-of-order bytes read; \
         faults {}, client retries {}, append RPCs {}, read RPCs {}; \
         RSS {} KiB at start, {} KiB at end, max {} KiB",
        totals.bytes_acked.load(Relaxed),
        totals.records_acked.load(Relaxed),
        stored_bytes,
        totals.faults.load(Relaxed),
        stats.retries,
        stats.append_rpcs,
        stats.read_rpcs,
        rss_start,
        rss_kib(),
        peak_rss_kib()
    );
}

/// The final stored length of each journal, published to the followers
/// once the writers are done (until then they follow without end).
struct Final {
    lens: Mutex<std::collections::HashMap<String, u64>>,
}

impl Final {
    fn load(&self, journal: &str) -> u64 {
        self.lens
            .lock()
            .unwrap()
            .get(journal)
            .copied()
            .unwrap_or(u64::MAX)
    }
    fn set(&self, journal: &str, len: u64) {
        self.lens.lock().unwrap().insert(journal.to_string(), len);
    }
}

static FINAL: std::sync::LazyLock<Final> = std::sync::LazyLock::new(|| Final {
    lens: Mutex::new(Default::default()),
});
