//! Shared pieces of the fault tests and the soak: a dev cluster with a
//! `file:///` store and a client of all its brokers, a ledger of what the
//! brokers acknowledged, the write/read comparison, and memory probes.
//!
//! The comparison is the point of every fault test: each acknowledged append
//! names its commit span (`AppendResponse.commit`), and the journal read
//! back must hold exactly those bytes there (0 acknowledged bytes lost), while
//! what the client's readers return must equal what the broker stores (0
//! wrong or out-of-order bytes).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use gazette::protocol::journal_client::JournalClient;
use gazette::protocol::{
    apply_request, journal_spec, AppendResponse, ApplyRequest, CompressionCodec, JournalSpec,
    LabelSet, ReadRequest, Status,
};
use gazette::{Client, ClientConfig, ReadStep, RetryReader};
use gazette_devbroker::{DevBroker, Options};

/// Fault injection needs the dev broker: with `GAZETTE_TEST_BROKER` set the
/// fault tests skip, saying so.
pub fn real_broker_configured() -> bool {
    let real = std::env::var("GAZETTE_TEST_BROKER").is_ok_and(|v| !v.is_empty());
    if real {
        eprintln!("skipped: needs fault injection (real broker)");
    }
    real
}

/// A dev cluster, its store directory, and a client of every broker.
pub struct Cluster {
    pub dev: DevBroker,
    pub client: Client,
    pub store: tempfile::TempDir,
}

impl Cluster {
    /// `brokers` brokers; journals stay unassigned for `assign_delay` after
    /// Apply and after their broker stops.
    pub async fn start(brokers: usize, assign_delay: Duration) -> Cluster {
        let store = tempfile::tempdir().expect("temp dir");
        let dev = DevBroker::start(Options {
            brokers,
            store: Some(store.path().to_path_buf()),
            assign_delay,
            ..Default::default()
        })
        .await
        .expect("start dev broker");
        let client = Self::client_of(&dev, store.path());
        Cluster { dev, client, store }
    }

    /// A fresh client of every broker of `dev`, reading fragments directly
    /// from `root`.
    pub fn client_of(dev: &DevBroker, root: &std::path::Path) -> Client {
        let endpoints = dev.endpoints();
        let mut config = ClientConfig::new(endpoints[0].clone()).with_file_root(root);
        for e in &endpoints[1..] {
            config = config.with_endpoint(e.clone());
        }
        Client::new(config).expect("client")
    }

    /// Creates `name` (codec, fragment length, `file:///` store, replication
    /// `replication`) and waits for its assignment.
    pub async fn create(&self, name: &str, codec: CompressionCodec, length: i64, replication: i32) {
        let spec = JournalSpec {
            name: name.to_string(),
            replication,
            labels: Some(LabelSet::default()),
            fragment: Some(journal_spec::Fragment {
                length,
                compression_codec: codec as i32,
                stores: vec!["file:///".to_string()],
                refresh_interval: Some(prost_types::Duration {
                    seconds: 1,
                    nanos: 0,
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        let resp = gazette::apply_journals(
            &self.client,
            ApplyRequest {
                changes: vec![apply_request::Change {
                    expect_mod_revision: 0,
                    upsert: Some(spec),
                    delete: String::new(),
                }],
            },
        )
        .await
        .expect("apply");
        assert_eq!(resp.status, Status::Ok as i32, "creating {name}: {resp:?}");
        gazette::await_assignment(&self.client, name, Duration::from_secs(30))
            .await
            .unwrap_or_else(|e| panic!("{name} not assigned: {e}"));
    }

    /// The journal's whole content as the broker stores it, read with a raw
    /// stub (not the client under test) from whichever broker is up.
    pub async fn stored(&self, journal: &str) -> Vec<u8> {
        for endpoint in self.dev.endpoints() {
            let Ok(client) = JournalClient::connect(endpoint).await else {
                continue;
            };
            let mut client = client.max_decoding_message_size(64 << 20);
            let Ok(stream) = client
                .read(ReadRequest {
                    journal: journal.to_string(),
                    offset: 0,
                    block: false,
                    ..Default::default()
                })
                .await
            else {
                continue;
            };
            let mut stream = stream.into_inner();
            let mut out = Vec::new();
            while let Some(msg) = stream.message().await.expect("raw read stream") {
                if !msg.content.is_empty() {
                    assert_eq!(msg.offset as usize, out.len(), "raw content is contiguous");
                    out.extend_from_slice(&msg.content);
                }
            }
            return out;
        }
        panic!("no broker answered a raw read of {journal}");
    }
}

/// One acknowledged commit: its span and bytes.
type Ack = (i64, i64, Vec<u8>);

/// What the brokers acknowledged, per journal: each commit's span and bytes.
#[derive(Default)]
pub struct Ledger {
    acks: Mutex<BTreeMap<String, Vec<Ack>>>,
}

impl Ledger {
    /// Records an acknowledged append of `content` to `journal`.
    pub fn ack(&self, journal: &str, response: &AppendResponse, content: &[u8]) {
        let commit = response
            .commit
            .as_ref()
            .expect("acknowledged append has a commit");
        assert_eq!(
            (commit.end - commit.begin) as usize,
            content.len(),
            "{journal}: commit span {}..{} vs {} bytes written",
            commit.begin,
            commit.end,
            content.len()
        );
        self.acks
            .lock()
            .unwrap()
            .entry(journal.to_string())
            .or_default()
            .push((commit.begin, commit.end, content.to_vec()));
    }

    /// Acknowledged bytes of `journal`.
    pub fn acked_bytes(&self, journal: &str) -> u64 {
        self.acks
            .lock()
            .unwrap()
            .get(journal)
            .map_or(0, |v| v.iter().map(|(b, e, _)| (e - b) as u64).sum())
    }

    /// Every acknowledged span must hold its bytes in `stored`, and spans
    /// acknowledged one after another (by one writer) must not go backwards.
    /// Returns the acknowledged byte count.
    pub fn check(&self, journal: &str, stored: &[u8]) -> u64 {
        let acks = self.acks.lock().unwrap();
        let Some(list) = acks.get(journal) else {
            return 0;
        };
        let mut total = 0;
        for (i, (begin, end, content)) in list.iter().enumerate() {
            assert!(
                *end as usize <= stored.len(),
                "{journal}: acknowledged {begin}..{end} lost: the journal holds {} bytes",
                stored.len()
            );
            assert!(
                &stored[*begin as usize..*end as usize] == content.as_slice(),
                "{journal}: acknowledged {begin}..{end} holds other bytes"
            );
            if i > 0 {
                assert!(
                    list[i - 1].1 <= *begin,
                    "{journal}: acknowledgements overlap"
                );
            }
            total += (end - begin) as u64;
        }
        total
    }
}

/// Reads `journal` from `offset` through a RetryReader up to `end` (the
/// stored length), non-blocking, returning what it delivered.
pub async fn read_back(client: &Client, journal: &str, end: i64) -> Vec<u8> {
    let mut rr = RetryReader::new(
        client,
        ReadRequest {
            journal: journal.to_string(),
            offset: 0,
            end_offset: end,
            block: true,
            ..Default::default()
        },
    );
    let mut out = Vec::new();
    while (out.len() as i64) < end {
        match rr.next_chunk(usize::MAX).await {
            Ok(ReadStep::Data(chunk)) => out.extend_from_slice(&chunk),
            Ok(ReadStep::Frame) => {}
            Ok(ReadStep::Eof) => break,
            Err(err) => panic!("{journal}: read back failed at {}: {err}", out.len()),
        }
    }
    out
}

/// Asserts `read` (what a client reader delivered) equals `stored`,
/// naming the first differing offset.
pub fn assert_same_bytes(journal: &str, read: &[u8], stored: &[u8]) {
    if read == stored {
        return;
    }
    let first = read
        .iter()
        .zip(stored)
        .position(|(a, b)| a != b)
        .unwrap_or(read.len().min(stored.len()));
    panic!(
        "{journal}: reader delivered {} bytes, broker stores {}; first difference at {first}",
        read.len(),
        stored.len()
    );
}

/// This process's resident set size in KiB (`VmRSS`).
pub fn rss_kib() -> u64 {
    status_kib("VmRSS:")
}

/// This process's peak resident set size in KiB (`VmHWM`).
pub fn peak_rss_kib() -> u64 {
    status_kib("VmHWM:")
}

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Bound on the resident set's growth over one fault test: the tests move a
/// few MiB, so growth past this means something holds what it should not.
pub const RSS_GROWTH_LIMIT_KIB: u64 = 64 << 10;

/// A fault test's memory baseline. The resident set is the whole test
/// process's, so a test measuring it holds this lock from baseline to
/// [`report`]: otherwise a neighbour's clusters and buffers count as its own
/// growth (CI once saw 6 MiB -> 105 MiB that way).
pub struct Measured {
    _serial: tokio::sync::MutexGuard<'static, ()>,
    before: u64,
}

static MEASURED: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Waits for the other measuring tests to finish, then takes the baseline.
pub async fn measure() -> Measured {
    let serial = MEASURED.lock().await;
    Measured {
        _serial: serial,
        before: rss_kib(),
    }
}

/// Prints one test's figures (the issue asks each fault test to show the
/// retries it saw and its memory) and checks memory stayed bounded.
pub fn report(test: &str, client: &Client, acked: u64, rss: &Measured) {
    let rss_before = rss.before;
    let stats = client.stats().snapshot();
    let rss_after = rss_kib();
    eprintln!(
        "FAULT {test}: acknowledged {acked} B, lost 0, wrong 0; client retries {}, \
         append RPCs {}, read RPCs {}; RSS {} KiB -> {} KiB",
        stats.retries, stats.append_rpcs, stats.read_rpcs, rss_before, rss_after
    );
    assert!(
        rss_after.saturating_sub(rss_before) < RSS_GROWTH_LIMIT_KIB,
        "{test}: RSS grew from {rss_before} KiB to {rss_after} KiB"
    );
}

/// Content of the `k`-th write of writer `w`: a readable head naming it,
/// then filler that differs per write, `len` bytes in all.
pub fn content(w: usize, k: usize, len: usize) -> Vec<u8> {
    let mut out = format!("<W{w:02}K{k:06}L{len:06}>").into_bytes();
    let mut x = (w as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15)
        ^ (k as u64 + 1).wrapping_mul(0xc2b2_ae3d_27d4_eb4f);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.push(b'a' + (x % 26) as u8);
    }
    out.truncate(len);
    out
}

/// Polls `cond` every 2 ms (a condition, not a guess at timing) until it
/// holds, panicking after 30 s.
pub async fn until(what: &str, mut cond: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out: {what}"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}
