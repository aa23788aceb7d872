//! Section 2: reads of broker-proxied content frames, our `Reader` vs the
//! raw stub's Read stream, zero-copy chunks vs copying reads.

use gazette::protocol::journal_client::JournalClient;
use gazette::protocol::{CompressionCodec, ReadRequest};
use gazette::{Client, ReadStep, Reader, RetryReader};
use tonic::transport::Channel;

use crate::measure::{job, measure, Row, Unit, Variant, Work, REPS, WARMUP};
use crate::setup::{create_journal, delete_journal, fill, payload};

const SECTION: &str = "read";
/// Journal content read by each run.
const CONTENT: usize = 128 << 20;

fn request(journal: &str) -> ReadRequest {
    ReadRequest {
        journal: journal.to_string(),
        offset: 0,
        end_offset: CONTENT as i64,
        ..Default::default()
    }
}

fn work(bytes: u64, chunks: u64) -> Work {
    assert_eq!(bytes, CONTENT as u64, "read everything");
    Work { bytes, ops: chunks }
}

/// Reads it all through `Reader::next_chunk` (slices of received frames).
async fn next_chunk(client: &Client, journal: &str) -> Work {
    let mut reader = Reader::new(client, request(journal));
    let (mut bytes, mut chunks) = (0, 0);
    loop {
        match reader.next_chunk(1 << 20).await.expect("next_chunk") {
            ReadStep::Data(chunk) => {
                bytes += chunk.len() as u64;
                chunks += 1;
            }
            ReadStep::Frame => {}
            ReadStep::Eof => break,
        }
    }
    work(bytes, chunks)
}

/// Reads it all through `RetryReader::next_chunk` (what most callers use:
/// the Reader plus its retry loop).
async fn retry_next_chunk(client: &Client, journal: &str) -> Work {
    let mut reader = RetryReader::new(client, request(journal));
    let (mut bytes, mut chunks) = (0, 0);
    loop {
        match reader.next_chunk(1 << 20).await.expect("next_chunk") {
            ReadStep::Data(chunk) => {
                bytes += chunk.len() as u64;
                chunks += 1;
            }
            ReadStep::Frame => {}
            ReadStep::Eof => break,
        }
    }
    work(bytes, chunks)
}

/// Reads it all through `Reader::read` into a 64 KiB buffer (one copy).
async fn read_copy(client: &Client, journal: &str) -> Work {
    let mut reader = Reader::new(client, request(journal));
    let mut buf = vec![0u8; 64 << 10];
    let (mut bytes, mut reads) = (0, 0);
    loop {
        match reader.read(&mut buf).await.expect("read") {
            ReadStep::Data(n) => {
                // Touch the copy so it can't be optimised away.
                std::hint::black_box(&buf[..n]);
                bytes += n as u64;
                reads += 1;
            }
            ReadStep::Frame => {}
            ReadStep::Eof => break,
        }
    }
    work(bytes, reads)
}

/// Reads it all from the raw stub's Read stream.
async fn raw(stub: &JournalClient<Channel>, journal: &str) -> Work {
    let mut stream = stub
        .clone()
        .read(request(journal))
        .await
        .expect("raw read")
        .into_inner();
    let (mut bytes, mut frames) = (0, 0);
    while let Some(frame) = stream.message().await.expect("raw frame") {
        if !frame.content.is_empty() {
            bytes += frame.content.len() as u64;
            frames += 1;
        }
    }
    work(bytes, frames)
}

/// Runs section 2.
pub async fn run(client: &Client, stub: &JournalClient<Channel>, prefix: &str) -> Vec<Row> {
    let journal = format!("{prefix}/read");
    create_journal(&mut stub.clone(), &journal, CompressionCodec::None, false).await;
    fill(&mut stub.clone(), &journal, &payload(CONTENT), 4 << 20).await;

    let raw_name = "raw stub Read stream".to_string();
    let chunk_name = "Reader::next_chunk (zero copy)".to_string();
    let variants = vec![
        Variant {
            name: chunk_name.clone(),
            baselines: vec![raw_name.clone()],
            unit: Unit::MibPerSec,
            job: job(|| next_chunk(client, &journal)),
        },
        Variant {
            name: "Reader::read, 64 KiB buffer (copying)".to_string(),
            baselines: vec![raw_name.clone(), chunk_name],
            unit: Unit::MibPerSec,
            job: job(|| read_copy(client, &journal)),
        },
        Variant {
            name: "RetryReader::next_chunk (zero copy)".to_string(),
            baselines: vec![raw_name.clone()],
            unit: Unit::MibPerSec,
            job: job(|| retry_next_chunk(client, &journal)),
        },
        Variant {
            name: raw_name,
            baselines: Vec::new(),
            unit: Unit::MibPerSec,
            job: job(|| raw(stub, &journal)),
        },
    ];
    eprintln!("read: 128 MiB of proxied content frames");
    let rows = measure(SECTION, variants, WARMUP, REPS).await;
    delete_journal(&mut stub.clone(), &journal).await;
    rows
}
