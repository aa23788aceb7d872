//! Section 3: direct reads of persisted fragment files per codec, our
//! `FragmentReader` (decoding on a blocking thread, chunks handed over a
//! channel) vs the plain decoder crate reading the same file in a loop.

use std::io::Read;
use std::path::{Path, PathBuf};

use gazette::protocol::fragment::parse_fragment_from_relative_path;
use gazette::protocol::journal_client::JournalClient;
use gazette::protocol::{CompressionCodec, Fragment};
use gazette::{open_fragment_url, FragmentTransport};
use tonic::transport::Channel;

use crate::measure::{job, measure, Row, Unit, Variant, Work, REPS, WARMUP};
use crate::setup::{create_journal, fill, payload, raw_append};

const SECTION: &str = "fragment";
/// Decoded content of each fragment.
const CONTENT: usize = 32 << 20;

/// A fragment file persisted by the broker.
struct Persisted {
    fragment: Fragment,
    /// `file:///` URL relative to the store root.
    url: String,
    path: PathBuf,
    file_len: u64,
}

/// Finds the fragment file of `journal` under `root` holding `CONTENT`
/// bytes.
fn find_fragment(root: &Path, journal: &str) -> Persisted {
    let dir = root.join(journal);
    let names: Vec<String> = std::fs::read_dir(&dir)
        .expect("journal dir")
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .into_string()
                .expect("utf-8")
        })
        .collect();
    let (name, fragment) = names
        .iter()
        .map(|n| {
            let f = parse_fragment_from_relative_path(journal, n).expect("fragment name");
            (n, f)
        })
        .find(|(_, f)| f.end - f.begin == CONTENT as i64)
        .unwrap_or_else(|| panic!("no {CONTENT}-byte fragment in {dir:?}: {names:?}"));
    let path = dir.join(name);
    Persisted {
        fragment,
        url: format!("file:///{journal}/{name}"),
        file_len: std::fs::metadata(&path).expect("stat").len(),
        path,
    }
}

/// Decodes the whole fragment through `open_fragment_url` + `next_chunk`.
async fn ours(transport: &FragmentTransport, p: &Persisted) -> Work {
    let mut reader = open_fragment_url(transport, p.fragment.clone(), p.fragment.begin, &p.url)
        .await
        .expect("open fragment");
    let (mut bytes, mut chunks) = (0u64, 0u64);
    while let Some(chunk) = reader.next_chunk(1 << 20).await.expect("chunk") {
        bytes += chunk.len() as u64;
        chunks += 1;
    }
    assert_eq!(bytes, CONTENT as u64, "decoded everything");
    Work { bytes, ops: chunks }
}

/// Decodes the file with the codec's crate on a blocking thread, reading
/// into a 64 KiB buffer.
async fn plain(codec: CompressionCodec, path: PathBuf) -> Work {
    tokio::task::spawn_blocking(move || {
        let file = std::fs::File::open(&path).expect("open");
        let mut src: Box<dyn Read> = match codec {
            CompressionCodec::None => Box::new(file),
            CompressionCodec::Gzip => Box::new(flate2::read::MultiGzDecoder::new(file)),
            CompressionCodec::Snappy => Box::new(snap::read::FrameDecoder::new(file)),
            CompressionCodec::Zstandard => {
                Box::new(zstd::stream::read::Decoder::new(file).expect("zstd"))
            }
            other => panic!("no plain decoder for {other:?}"),
        };
        let mut buf = vec![0u8; 64 << 10];
        let (mut bytes, mut reads) = (0u64, 0u64);
        loop {
            let n = src.read(&mut buf).expect("decode");
            if n == 0 {
                break;
            }
            std::hint::black_box(&buf[..n]);
            bytes += n as u64;
            reads += 1;
        }
        assert_eq!(bytes, CONTENT as u64, "decoded everything");
        Work { bytes, ops: reads }
    })
    .await
    .expect("decoder thread")
}

/// Runs section 3. `flush` rolls and persists a journal's open fragment.
pub async fn run(
    stub: &JournalClient<Channel>,
    prefix: &str,
    store_root: &Path,
    flush: &dyn Fn(&str) -> bool,
) -> (Vec<Row>, Vec<String>) {
    let transport = FragmentTransport::default().with_file_root(store_root);
    let content = payload(CONTENT);
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    for codec in [
        CompressionCodec::None,
        CompressionCodec::Gzip,
        CompressionCodec::Snappy,
        CompressionCodec::Zstandard,
    ] {
        let label = codec.as_str_name();
        let journal = format!("{prefix}/fragment-{}", label.to_ascii_lowercase());
        create_journal(&mut stub.clone(), &journal, codec, true).await;
        // The broker rolls a journal's first fragment at its second append:
        // a small first append keeps the measured fragment whole.
        let prelude = content.slice(..4096);
        raw_append(&mut stub.clone(), &journal, std::iter::once(prelude)).await;
        fill(&mut stub.clone(), &journal, &content, 4 << 20).await;
        assert!(flush(&journal), "flush {journal}");
        let p = find_fragment(store_root, &journal);
        notes.push(format!(
            "{label}: 32 MiB of content persisted as a {:.1} MiB file ({:.2}:1)",
            p.file_len as f64 / (1 << 20) as f64,
            CONTENT as f64 / p.file_len as f64
        ));

        let plain_name = format!("{label}: plain decoder loop");
        let p = &p;
        let transport = &transport;
        let variants = vec![
            Variant {
                name: format!("{label}: FragmentReader::next_chunk"),
                baselines: vec![plain_name.clone()],
                unit: Unit::MibPerSec,
                job: job(move || ours(transport, p)),
            },
            Variant {
                name: plain_name,
                baselines: Vec::new(),
                unit: Unit::MibPerSec,
                job: job(move || plain(codec, p.path.clone())),
            },
        ];
        eprintln!("fragment: {label}");
        rows.extend(measure(SECTION, variants, WARMUP, REPS).await);
    }
    (rows, notes)
}
