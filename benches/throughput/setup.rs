//! The bench's broker, journals and payloads.

use bytes::{Bytes, BytesMut};
use gazette::protocol::journal_client::JournalClient;
use gazette::protocol::{
    apply_request, journal_spec, AppendRequest, ApplyRequest, CompressionCodec, JournalSpec,
    LabelSet, Status,
};
use tonic::transport::Channel;

/// A raw generated stub on its own connection to `endpoint`.
pub async fn raw_client(endpoint: &str) -> JournalClient<Channel> {
    JournalClient::connect(endpoint.to_string())
        .await
        .expect("connect raw stub")
        .max_decoding_message_size(64 << 20)
}

/// Creates `name` with `codec`; with `store`, fragments persist to the
/// broker's `file:///` store. Fragments are large (1 GiB) so they roll only
/// when flushed.
pub async fn create_journal(
    raw: &mut JournalClient<Channel>,
    name: &str,
    codec: CompressionCodec,
    store: bool,
) {
    let spec = JournalSpec {
        name: name.to_string(),
        replication: 1,
        labels: Some(LabelSet::default()),
        fragment: Some(journal_spec::Fragment {
            length: 1 << 30,
            compression_codec: codec as i32,
            stores: if store {
                vec!["file:///".to_string()]
            } else {
                Vec::new()
            },
            refresh_interval: Some(prost_types::Duration {
                seconds: 60,
                nanos: 0,
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    let resp = raw
        .apply(ApplyRequest {
            changes: vec![apply_request::Change {
                expect_mod_revision: 0,
                upsert: Some(spec),
                delete: String::new(),
            }],
        })
        .await
        .expect("apply")
        .into_inner();
    assert_eq!(resp.status, Status::Ok as i32, "creating {name}: {resp:?}");
}

/// Deletes `name` (whatever its revision), so the broker frees its content.
pub async fn delete_journal(raw: &mut JournalClient<Channel>, name: &str) {
    let resp = raw
        .apply(ApplyRequest {
            changes: vec![apply_request::Change {
                expect_mod_revision: -1,
                upsert: None,
                delete: name.to_string(),
            }],
        })
        .await
        .expect("apply")
        .into_inner();
    assert_eq!(resp.status, Status::Ok as i32, "deleting {name}: {resp:?}");
}

/// Appends `content` to `journal` in transactions of at most `txn` bytes
/// through the raw stub (setup only, not measured).
pub async fn fill(raw: &mut JournalClient<Channel>, journal: &str, content: &Bytes, txn: usize) {
    let mut off = 0;
    while off < content.len() {
        let end = (off + txn).min(content.len());
        let chunks: Vec<Bytes> = (off..end)
            .step_by(1 << 20)
            .map(|i| content.slice(i..(i + (1 << 20)).min(end)))
            .collect();
        raw_append(raw, journal, chunks.into_iter()).await;
        off = end;
    }
}

/// One Append RPC of `chunks` (one message each) through the raw stub;
/// panics unless it commits.
pub async fn raw_append<I>(raw: &mut JournalClient<Channel>, journal: &str, chunks: I)
where
    I: Iterator<Item = Bytes> + Send + 'static,
{
    let first = AppendRequest {
        journal: journal.to_string(),
        ..Default::default()
    };
    let messages = std::iter::once(first)
        .chain(chunks.map(|content| AppendRequest {
            content,
            ..Default::default()
        }))
        // The empty message commits.
        .chain(std::iter::once(AppendRequest::default()));
    let resp = raw
        .append(tokio_stream::iter(messages))
        .await
        .expect("raw append")
        .into_inner();
    assert_eq!(resp.status, Status::Ok as i32, "raw append: {resp:?}");
}

/// `len` bytes of newline-delimited JSON-like records: compressible about
/// as well as typical journal content (neither random nor constant).
pub fn payload(len: usize) -> Bytes {
    const WORDS: &[&str] = &[
        "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
        "juliett", "kilo", "lima", "mike", "november", "oscar", "papa",
    ];
    let mut out = BytesMut::with_capacity(len + 128);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut seq = 0u64;
    while out.len() < len {
        // xorshift64: cheap, deterministic variety.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let line = format!(
            "{{\"seq\":{seq},\"name\":\"{}\",\"value\":{},\"tag\":\"{:x}\"}}\n",
            WORDS[(x % 16) as usize],
            (x >> 20) % 100_000,
            x >> 40
        );
        out.extend_from_slice(line.as_bytes());
        seq += 1;
    }
    out.truncate(len);
    out.freeze()
}
