//! Section 1: append throughput, our `Appender` vs the raw tonic stub.

use bytes::{Bytes, BytesMut};
use gazette::appender::COALESCE_BYTES;
use gazette::protocol::journal_client::JournalClient;
use gazette::protocol::{AppendRequest, CompressionCodec};
use gazette::{Appender, Client};
use tonic::transport::Channel;

use crate::measure::{job, measure, Row, Unit, Variant, Work, REPS, WARMUP};
use crate::setup::{create_journal, delete_journal, payload, raw_append};

const SECTION: &str = "append";
/// Bytes per streamed transaction.
const TXN: usize = 4 << 20;

/// Streams `txns` transactions of `TXN` bytes in `size`-byte writes
/// through an `Appender` each.
async fn ours(client: &Client, journal: &str, data: &Bytes, size: usize, txns: usize) -> Work {
    let writes = TXN / size;
    for _ in 0..txns {
        let mut app = Appender::new(
            client,
            AppendRequest {
                journal: journal.to_string(),
                ..Default::default()
            },
        );
        for i in 0..writes {
            app.write_bytes(data.slice(i * size..(i + 1) * size))
                .await
                .expect("write");
        }
        app.close().await.expect("close");
    }
    work(size, writes * txns)
}

/// The same through the raw stub: one request message per write, or
/// (`coalesce`) writes copied together into messages of at least
/// `COALESCE_BYTES`, as the Appender sends them.
async fn raw(
    raw: &JournalClient<Channel>,
    journal: &str,
    data: &Bytes,
    size: usize,
    txns: usize,
    coalesce: bool,
) -> Work {
    let writes = TXN / size;
    let per_msg = if coalesce {
        COALESCE_BYTES.div_ceil(size)
    } else {
        1
    };
    for _ in 0..txns {
        let data = data.clone();
        let messages = (0..writes).step_by(per_msg).map(move |first| {
            let last = (first + per_msg).min(writes);
            if last - first == 1 {
                data.slice(first * size..last * size)
            } else {
                let mut buf = BytesMut::with_capacity((last - first) * size);
                for i in first..last {
                    buf.extend_from_slice(&data[i * size..(i + 1) * size]);
                }
                buf.freeze()
            }
        });
        raw_append(&mut raw.clone(), journal, messages).await;
    }
    work(size, writes * txns)
}

/// `n` one-write transactions of `size` bytes through `Appender`s.
async fn ours_single(client: &Client, journal: &str, data: &Bytes, size: usize, n: usize) -> Work {
    for _ in 0..n {
        let mut app = Appender::new(
            client,
            AppendRequest {
                journal: journal.to_string(),
                ..Default::default()
            },
        );
        app.write_bytes(data.slice(..size)).await.expect("write");
        app.close().await.expect("close");
    }
    work(size, n)
}

/// The same through the raw stub: three messages per RPC.
async fn raw_single(
    raw: &JournalClient<Channel>,
    journal: &str,
    data: &Bytes,
    size: usize,
    n: usize,
) -> Work {
    for _ in 0..n {
        let record = data.slice(..size);
        raw_append(&mut raw.clone(), journal, std::iter::once(record)).await;
    }
    work(size, n)
}

fn work(size: usize, writes: usize) -> Work {
    Work {
        bytes: (size * writes) as u64,
        ops: writes as u64,
    }
}

fn size_name(size: usize) -> String {
    match size {
        s if s >= 1 << 20 => format!("{} MiB", s >> 20),
        s if s >= 1 << 10 => format!("{} KiB", s >> 10),
        s => format!("{s} B"),
    }
}

/// Runs section 1; `prefix` makes journal names unique to this run.
pub async fn run(client: &Client, stub: &JournalClient<Channel>, prefix: &str) -> Vec<Row> {
    let data = payload(TXN);
    let mut rows = Vec::new();
    // Runs of 8 MiB (100 B writes) or 16 MiB; each journal is deleted after
    // its size is measured, so the broker's memory stays bounded.
    for (size, txns) in [(100, 2), (4 << 10, 4), (64 << 10, 4), (1 << 20, 4)] {
        let journal = format!("{prefix}/append-{size}");
        create_journal(&mut stub.clone(), &journal, CompressionCodec::None, false).await;
        let label = size_name(size);
        let ours_name = format!("Appender, {label} writes, 4 MiB txns");
        let raw_name = format!("raw stub, {label} messages, 4 MiB txns");
        let mut variants = vec![
            Variant {
                name: ours_name.clone(),
                baselines: vec![raw_name.clone()],
                unit: Unit::MibPerSec,
                job: job(|| ours(client, &journal, &data, size, txns)),
            },
            Variant {
                name: raw_name.clone(),
                baselines: Vec::new(),
                unit: Unit::MibPerSec,
                job: job(|| raw(stub, &journal, &data, size, txns, false)),
            },
        ];
        if size < COALESCE_BYTES {
            let coalesced = format!("raw stub, {label} writes copied into 64 KiB messages");
            variants[0].baselines.push(coalesced.clone());
            variants.push(Variant {
                name: coalesced,
                baselines: vec![raw_name],
                unit: Unit::MibPerSec,
                job: job(|| raw(stub, &journal, &data, size, txns, true)),
            });
        }
        eprintln!("append: {label} writes");
        rows.extend(measure(SECTION, variants, WARMUP, REPS).await);
        delete_journal(&mut stub.clone(), &journal).await;
    }

    // One-record transactions: latency-bound, so appends/s is the figure.
    for size in [100, 4 << 10] {
        let journal = format!("{prefix}/append-single-{size}");
        create_journal(&mut stub.clone(), &journal, CompressionCodec::None, false).await;
        let label = size_name(size);
        let raw_name = format!("raw stub, one {label} record per RPC");
        let n = 1_000;
        let variants = vec![
            Variant {
                name: format!("Appender, one {label} record per txn"),
                baselines: vec![raw_name.clone()],
                unit: Unit::OpsPerSec("appends/s"),
                job: job(|| ours_single(client, &journal, &data, size, n)),
            },
            Variant {
                name: raw_name,
                baselines: Vec::new(),
                unit: Unit::OpsPerSec("appends/s"),
                job: job(|| raw_single(stub, &journal, &data, size, n)),
            },
        ];
        eprintln!("append: one {label} record per transaction");
        rows.extend(measure(SECTION, variants, WARMUP, REPS).await);
        delete_journal(&mut stub.clone(), &journal).await;
    }
    rows
}
