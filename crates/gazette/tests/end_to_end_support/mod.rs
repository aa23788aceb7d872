//! Helpers of the end-to-end tests: the volume's size, deterministic
//! content, the writer (many Appenders of varied shapes), a digest ledger to
//! compare what was written with what was read, and the three read paths
//! (broker-streamed, direct fragment reads, and a RetryReader under faults).
#![allow(dead_code)]

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use gazette::appender::Appender;
use gazette::protocol::fragment::codec_extension;
use gazette::protocol::{AppendRequest, CompressionCodec, FragmentsRequest, ReadRequest};
use gazette::reader::{ReadStep, Reader};
use gazette::retry_reader::RetryReader;
use gazette::Client;
use gazette::{get_journal, list_all_fragments};
use gazette_devbroker::{DevBroker, Rpc};
use sha1::{Digest, Sha1};

use crate::common::TestEnv;

/// Default volume per codec: the 256 MiB. Measured in a debug build
/// on two shared cores, the `end_to_end` binary takes 30 to 90 s with it
/// (GZIP writes dominate: the dev broker compresses each rolled fragment);
/// `GAZETTE_E2E_BYTES=64M` gives a quicker run.
pub const DEFAULT_VOLUME: u64 = 256 << 20;

/// The volume per codec: `GAZETTE_E2E_BYTES` (a byte count, optionally with
/// a `K`, `M` or `G` suffix, binary multiples, `iB`/`B` tolerated), else
/// [`DEFAULT_VOLUME`].
pub fn volume_bytes() -> u64 {
    match std::env::var("GAZETTE_E2E_BYTES") {
        Ok(s) if !s.trim().is_empty() => parse_size(&s)
            .unwrap_or_else(|| panic!("GAZETTE_E2E_BYTES={s:?}: expected e.g. 268435456 or 256M")),
        _ => DEFAULT_VOLUME,
    }
}

/// Parses `123`, `64K`, `256M`, `1G`, `256MiB`, `256mb`.
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim().to_ascii_uppercase();
    let s = s
        .strip_suffix("IB")
        .or_else(|| s.strip_suffix('B'))
        .unwrap_or(&s);
    let (digits, shift) = match s.chars().last()? {
        'K' => (&s[..s.len() - 1], 10),
        'M' => (&s[..s.len() - 1], 20),
        'G' => (&s[..s.len() - 1], 30),
        _ => (s, 0),
    };
    let n: u64 = digits.trim().parse().ok()?;
    n.checked_mul(1 << shift).filter(|&n| n > 0)
}

/// The fragment length for a volume: small enough for dozens of rolls.
pub fn fragment_length(total: u64) -> i64 {
    (total / 128).clamp(16 << 10, 4 << 20) as i64
}

/// Creates a journal for a volume test: `codec`, the `file:///` store and a
/// fragment length from [`fragment_length`].
pub async fn create_volume_journal(env: &TestEnv, codec: CompressionCodec, total: u64) -> String {
    let name = env.unique_journal(&format!("volume-{codec:?}").to_lowercase());
    let mut spec = TestEnv::spec(&name, codec);
    spec.fragment.as_mut().unwrap().length = fragment_length(total);
    env.create(spec).await;
    name
}

/// A small deterministic generator (xorshift64*): the tests need varied,
/// reproducible numbers, not good randomness.
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed` (any value).
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    /// The next number.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

/// Size of the content pattern that writes are sliced from.
const PATTERN_BYTES: usize = 8 << 20;

/// Content that compresses somewhat (so codecs do real work) but not
/// trivially: 64-byte lines, most of them phrases of a small vocabulary
/// with a counter, the rest pseudo-random bytes. Writes take slices at
/// random offsets, so equal-length writes still differ.
pub fn pattern(seed: u64) -> Bytes {
    const WORDS: [&str; 16] = [
        "journal ",
        "fragment ",
        "broker ",
        "append ",
        "offset ",
        "route ",
        "codec ",
        "store ",
        "spool ",
        "commit ",
        "primary ",
        "replica ",
        "header ",
        "etcd ",
        "zone ",
        "reader ",
    ];
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(PATTERN_BYTES);
    let mut line = 0u64;
    while out.len() < PATTERN_BYTES {
        let r = rng.next();
        if r % 4 == 0 {
            for _ in 0..8 {
                out.extend_from_slice(&rng.next().to_le_bytes());
            }
        } else {
            let start = out.len();
            out.extend_from_slice(format!("{line:08x} ").as_bytes());
            let mut w = r;
            while out.len() - start < 63 {
                out.extend_from_slice(WORDS[(w % 16) as usize].as_bytes());
                w = w.rotate_right(4);
            }
            out.truncate(start + 63);
            out.push(b'\n');
        }
        line += 1;
    }
    out.truncate(PATTERN_BYTES);
    Bytes::from(out)
}

/// Bytes covered by one block digest of a [`Ledger`].
pub const BLOCK: u64 = 1 << 20;

/// A running SHA-1 of a byte stream plus one SHA-1 per 1 MiB block, so a
/// mismatch is reported with where it starts, without keeping the bytes.
#[derive(Clone, Default)]
pub struct Ledger {
    len: u64,
    all: Sha1,
    block: Sha1,
    blocks: Vec<[u8; 20]>,
}

impl Ledger {
    /// Adds the next bytes of the stream.
    pub fn update(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let room = (BLOCK - self.len % BLOCK) as usize;
            let (now, rest) = data.split_at(room.min(data.len()));
            self.all.update(now);
            self.block.update(now);
            self.len += now.len() as u64;
            if self.len % BLOCK == 0 {
                self.blocks.push(self.block.finalize_reset().into());
            }
            data = rest;
        }
    }

    /// Bytes seen so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True if nothing was seen.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The SHA-1 of everything seen, hex.
    pub fn sum(&self) -> String {
        hex(&self.all.clone().finalize())
    }

    fn blocks_with_tail(&self) -> Vec<[u8; 20]> {
        let mut blocks = self.blocks.clone();
        if self.len % BLOCK != 0 {
            blocks.push(self.block.clone().finalize().into());
        }
        blocks
    }

    /// The offset of the first block where the two streams differ, or
    /// `None` if they are identical.
    pub fn first_difference(&self, other: &Ledger) -> Option<u64> {
        if self.len == other.len && self.sum() == other.sum() {
            return None;
        }
        let (a, b) = (self.blocks_with_tail(), other.blocks_with_tail());
        let i = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
        Some(i as u64 * BLOCK)
    }

    /// Panics unless `read` saw exactly the bytes of `self`.
    pub fn assert_same(&self, read: &Ledger, what: &str) {
        if let Some(at) = self.first_difference(read) {
            panic!(
                "{what}: read {} bytes (sha1 {}), wrote {} bytes (sha1 {}); \
                 first difference in the 1 MiB block at offset {at}",
                read.len,
                read.sum(),
                self.len,
                self.sum()
            );
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What [`write_volume`] did.
pub struct Written {
    /// Digest of the committed bytes, in journal order.
    pub ledger: Ledger,
    /// The write head after the last commit.
    pub head: i64,
    /// Appenders committed.
    pub appenders: usize,
    /// Appenders rolled back (abort, or dropped unfinished).
    pub aborted: usize,
    /// Small records written.
    pub records: usize,
    /// Writes of 2 MiB or more.
    pub big_writes: usize,
    /// Fragments the broker lists as persisted to the store.
    pub persisted: usize,
    /// Fragments the broker lists in all: the persisted ones plus the open
    /// one, unless a last (rolled-back) append rolled it just before.
    pub fragments: usize,
}

/// Concurrent writers of a volume, sharing one client.
pub const WRITERS: u64 = 3;

/// One committed append: where it landed and what it held.
struct Commit {
    begin: i64,
    end: i64,
    pieces: Vec<Bytes>,
}

/// What one writer task did.
#[derive(Default)]
struct WriterReport {
    commits: Vec<Commit>,
    aborted: usize,
    records: usize,
    big_writes: usize,
}

/// Takes up to `want` bytes from the shared `budget`; 0 once it's spent.
fn reserve(budget: &AtomicU64, want: u64) -> u64 {
    let mut took = 0;
    let _ = budget.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
        took = want.min(left);
        Some(left - took)
    });
    took
}

/// One writer: Appenders of varied shapes, one after another, until the
/// shared budget is spent: runs of small records, single multi-MiB writes
/// (copied, or handed over as `Bytes`), medium writes; and now and then an
/// Appender that is rolled back, whose bytes must never appear.
async fn writer(
    client: Client,
    journal: String,
    content: Bytes,
    budget: Arc<AtomicU64>,
    seed: u64,
) -> WriterReport {
    let mut rng = Rng::new(seed);
    let mut out = WriterReport::default();
    let request = AppendRequest {
        journal,
        ..Default::default()
    };
    let slice = |rng: &mut Rng, len: usize| {
        let at = rng.range(0, (content.len() - len) as u64) as usize;
        content.slice(at..at + len)
    };
    let (mut written, mut big_bytes) = (0u64, 0u64);
    for n in 1u64.. {
        let mut appender = Appender::new(&client, request.clone());
        if n % 9 == 4 {
            // Rolled back: written, then aborted (or dropped unfinished).
            for _ in 0..rng.range(1, 40) {
                let len = rng.range(1, 64 << 10) as usize;
                appender.write(&slice(&mut rng, len)).await.expect("write");
            }
            if n % 2 == 0 {
                appender.abort().await;
            } else {
                drop(appender);
            }
            out.aborted += 1;
            continue;
        }

        // About a third of the bytes go in multi-MiB writes, whatever the
        // volume; the rest in appenders of small records or medium writes.
        let big = big_bytes * 3 < written;
        let want = if big {
            rng.range(2 << 20, 5 << 20)
        } else {
            rng.range(16 << 10, 200 << 10)
        };
        let size = reserve(&budget, want);
        if size == 0 {
            break;
        }
        let mut pieces = Vec::new();
        if big {
            pieces.push(slice(&mut rng, size as usize));
            big_bytes += size;
            if size >= 2 << 20 {
                out.big_writes += 1;
            }
        } else {
            // Small records (as a producer of events appends), or medium
            // writes.
            let (lo, hi) = if n % 3 != 0 {
                (1, 600)
            } else {
                (4 << 10, 160 << 10)
            };
            let mut left = size;
            while left > 0 {
                let len = rng.range(lo, hi).min(left);
                pieces.push(slice(&mut rng, len as usize));
                left -= len;
                if hi == 600 {
                    out.records += 1;
                }
            }
        }
        for piece in &pieces {
            // Alternate the copying and the zero-copy write paths.
            if rng.next() % 2 == 0 {
                appender.write(piece).await.expect("write");
            } else {
                appender.write_bytes(piece.clone()).await.expect("write");
            }
        }
        appender.close().await.expect("commit");
        let commit = appender.response.commit.clone().expect("commit fragment");
        assert_eq!(commit.end - commit.begin, size as i64, "commit {n} size");
        out.commits.push(Commit {
            begin: commit.begin,
            end: commit.end,
            pieces,
        });
        written += size;
    }
    out
}

/// Appends `total` bytes to the empty `journal` with [`WRITERS`]
/// concurrent writers (see [`writer`]), then checks that the commits tile
/// `[0, total)` exactly (nothing rolled back shows, nothing is lost or
/// interleaved) and digests the bytes in journal order.
pub async fn write_volume(client: &Client, journal: &str, total: u64, seed: u64) -> Written {
    let content = pattern(seed);
    let budget = Arc::new(AtomicU64::new(total));
    let tasks: Vec<_> = (0..WRITERS)
        .map(|w| {
            tokio::spawn(writer(
                client.clone(),
                journal.to_string(),
                content.clone(),
                budget.clone(),
                seed ^ (0x5eed + w),
            ))
        })
        .collect();
    let mut out = Written {
        ledger: Ledger::default(),
        head: 0,
        appenders: 0,
        aborted: 0,
        records: 0,
        big_writes: 0,
        persisted: 0,
        fragments: 0,
    };
    let mut commits = Vec::new();
    for task in tasks {
        let report = task.await.expect("writer task");
        out.appenders += report.commits.len();
        out.aborted += report.aborted;
        out.records += report.records;
        out.big_writes += report.big_writes;
        commits.extend(report.commits);
    }
    commits.sort_by_key(|c| c.begin);
    for commit in &commits {
        assert_eq!(
            commit.begin, out.head,
            "commits tile the journal: rolled-back bytes excluded, none interleaved"
        );
        for piece in &commit.pieces {
            out.ledger.update(piece);
        }
        out.head = commit.end;
    }

    let fragments = list_all_fragments(
        client,
        FragmentsRequest {
            journal: journal.to_string(),
            ..Default::default()
        },
    )
    .await
    .expect("list fragments");
    out.persisted = fragments
        .fragments
        .iter()
        .filter(|f| f.spec.as_ref().is_some_and(|s| !s.backing_store.is_empty()))
        .count();
    out.fragments = fragments.fragments.len();
    out
}

/// Checks the persisted fragment files of `journal` under the store `root`:
/// each is named with `codec`'s extension and starts as that codec's
/// stream does (so the direct reads really decoded compressed files), and
/// uncompressed ones hold exactly their offset range. Returns how many.
pub fn check_store_files(root: &Path, journal: &str, codec: CompressionCodec) -> usize {
    let extension = codec_extension(codec).expect("a real codec");
    let magic: &[u8] = match codec {
        CompressionCodec::Gzip => &[0x1f, 0x8b],
        CompressionCodec::Zstandard => &[0x28, 0xb5, 0x2f, 0xfd],
        CompressionCodec::Snappy => b"\xff\x06\x00\x00sNaPpY",
        _ => b"",
    };
    let mut files = 0;
    let mut stack = vec![root.join(journal)];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("store directory") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            assert!(name.ends_with(extension), "{name}: expected {extension}");
            let bytes = std::fs::read(&path).expect("fragment file");
            assert!(
                bytes.starts_with(magic),
                "{name} does not start as a {codec:?} stream"
            );
            if codec == CompressionCodec::None {
                let mut bounds = name.split('-').map(|h| i64::from_str_radix(h, 16));
                let (begin, end) = (bounds.next(), bounds.next());
                let (Some(Ok(begin)), Some(Ok(end))) = (begin, end) else {
                    panic!("{name}: expected <begin>-<end>-<sum>.raw");
                };
                assert_eq!(bytes.len() as i64, end - begin, "{name}: raw size");
            }
            files += 1;
        }
    }
    files
}

/// What a read pass saw.
pub struct ReadBack {
    /// Digest of the bytes returned, in order.
    pub ledger: Ledger,
    /// Read RPCs the client started during the pass.
    pub read_rpcs: u64,
    /// Chunks that came from a directly opened fragment.
    pub direct_chunks: u64,
    /// Readers that read a fragment directly.
    pub direct_readers: usize,
    /// Readers that were streamed by the broker.
    pub streamed_readers: usize,
}

/// Reads `[0, head)` of `journal` with one Reader, the broker streaming
/// every fragment (persisted ones included), copying into a buffer.
pub async fn read_proxied(client: &Client, journal: &str, head: i64) -> ReadBack {
    let rpcs = client.stats().snapshot().read_rpcs;
    let mut reader = Reader::new(
        client,
        ReadRequest {
            journal: journal.to_string(),
            end_offset: head,
            ..Default::default()
        },
    );
    let mut out = ReadBack {
        ledger: Ledger::default(),
        read_rpcs: 0,
        direct_chunks: 0,
        direct_readers: 0,
        streamed_readers: 1,
    };
    // Through the copying `read`, into a buffer of an odd size.
    let mut buf = vec![0u8; 100_003];
    loop {
        match reader.read(&mut buf).await.expect("streamed read") {
            ReadStep::Data(n) => {
                if reader.is_direct() {
                    out.direct_chunks += 1;
                }
                out.ledger.update(&buf[..n]);
            }
            ReadStep::Frame => {}
            ReadStep::Eof => break,
        }
    }
    assert_eq!(
        reader.request().offset,
        head,
        "streamed read reached the head"
    );
    out.read_rpcs = client.stats().snapshot().read_rpcs - rpcs;
    out
}

/// Reads `[0, head)` of `journal` with `do_not_proxy` Readers: each
/// persisted fragment is answered with its URL and read directly from the
/// store through the client's file root, ending at the fragment's end; a
/// successor Reader continues from there. The open fragment is streamed by
/// the broker.
pub async fn read_direct(client: &Client, journal: &str, head: i64) -> ReadBack {
    let rpcs = client.stats().snapshot().read_rpcs;
    let mut reader = Reader::new(
        client,
        ReadRequest {
            journal: journal.to_string(),
            end_offset: head,
            do_not_proxy: true,
            ..Default::default()
        },
    );
    let mut out = ReadBack {
        ledger: Ledger::default(),
        read_rpcs: 0,
        direct_chunks: 0,
        direct_readers: 0,
        streamed_readers: 0,
    };
    loop {
        let begin = reader.request().offset;
        let mut direct = false;
        loop {
            match reader.next_chunk(1 << 20).await {
                Ok(ReadStep::Data(chunk)) => {
                    if reader.is_direct() {
                        direct = true;
                        out.direct_chunks += 1;
                    }
                    out.ledger.update(&chunk);
                }
                Ok(ReadStep::Frame) => {}
                Ok(ReadStep::Eof) => break,
                Err(err) => panic!("direct read at offset {}: {err}", reader.request().offset),
            }
        }
        let end = reader.request().offset;
        if direct {
            out.direct_readers += 1;
            let fragment = reader.response().fragment.clone().expect("fragment");
            assert_eq!(
                (fragment.begin, fragment.end),
                (begin, end),
                "a direct Reader reads one fragment, to its end"
            );
            assert!(
                reader.response().fragment_url.starts_with("file:///"),
                "direct reads come from the file:/// store"
            );
        } else {
            out.streamed_readers += 1;
        }
        assert!(end > begin, "each Reader makes progress (at {begin})");
        if end >= head {
            assert_eq!(end, head);
            break;
        }
        reader = reader.successor();
    }
    out.read_rpcs = client.stats().snapshot().read_rpcs - rpcs;
    out
}

/// What [`read_retrying`] saw.
pub struct Retried {
    /// Digest of the bytes returned, in order.
    pub ledger: Ledger,
    /// Retries the RetryReader took.
    pub retries: u64,
    /// Read RPCs the brokers received (proxied ones count at both ends).
    pub broker_reads: u64,
    /// Each primary move: (new primary, its Read count at the move, its
    /// Read count at the end).
    pub moves: Vec<(usize, u64, u64)>,
    /// The primary's endpoint in the client's route cache at the end.
    pub cached_primary: Option<String>,
}

/// Reads `[0, head)` of `journal` through a RetryReader (broker-streamed)
/// while the dev broker cuts every Read stream after a random number of
/// bytes (around a 48th of the volume, so dozens of cuts at any volume) and
/// the journal's primary moves to another broker at a third and at two
/// thirds of the way.
pub async fn read_retrying(
    client: &Client,
    dev: &DevBroker,
    journal: &str,
    head: i64,
    seed: u64,
) -> Retried {
    let brokers = dev.endpoints().len();
    assert!(brokers >= 2, "moving the primary needs two brokers or more");
    let route = get_journal(client, journal)
        .await
        .expect("get journal")
        .route
        .expect("route");
    let endpoint = &route.endpoints[route.primary as usize];
    let mut primary = dev
        .endpoints()
        .iter()
        .position(|e| e == endpoint)
        .expect("primary is one of ours");

    let mut rng = Rng::new(seed ^ 0xc075);
    let cut = ((head as u64) / 48).max(64 << 10);
    let arm = |rng: &mut Rng| {
        // Re-armed after every step: whichever Read starts next is cut.
        dev.faults()
            .cut_stream_after(Rpc::Read, cut / 2 + rng.next() % cut);
    };
    let retries = client.stats().snapshot().retries;
    let broker_reads = dev.counters().total(Rpc::Read);
    let mut out = Retried {
        ledger: Ledger::default(),
        retries: 0,
        broker_reads: 0,
        moves: Vec::new(),
        cached_primary: None,
    };
    let move_at = [head as u64 / 3, 2 * head as u64 / 3];

    let mut reader = RetryReader::new(
        client,
        ReadRequest {
            journal: journal.to_string(),
            end_offset: head,
            ..Default::default()
        },
    );
    arm(&mut rng);
    loop {
        match reader.next_chunk(1 << 20).await {
            Ok(ReadStep::Data(chunk)) => out.ledger.update(&chunk),
            Ok(ReadStep::Frame) => {}
            Ok(ReadStep::Eof) => break,
            Err(err) => panic!("retry reader at {}: {err}", reader.offset()),
        }
        arm(&mut rng);
        if let Some(&at) = move_at.get(out.moves.len()) {
            if out.ledger.len() >= at {
                primary = (primary + 1) % brokers;
                assert!(dev.move_primary(journal, primary));
                out.moves
                    .push((primary, dev.counters().get(primary, Rpc::Read), 0));
            }
        }
    }
    dev.faults().clear();
    assert_eq!(reader.offset(), head, "the retry reader reached the head");

    out.retries = client.stats().snapshot().retries - retries;
    out.broker_reads = dev.counters().total(Rpc::Read) - broker_reads;
    for m in &mut out.moves {
        m.2 = dev.counters().get(m.0, Rpc::Read);
    }
    out.cached_primary = client
        .route_cache()
        .get(journal)
        .map(|r| r.endpoints[r.primary as usize].clone());
    out
}
