//! Shared helpers for the dev broker's tests: a raw generated client, journal
//! specs, and append/read helpers that speak the protocol directly.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use gazette_protocol::journal_client::JournalClient;
use gazette_protocol::{
    apply_request, journal_spec, AppendRequest, AppendResponse, ApplyRequest, ApplyResponse,
    CompressionCodec, Header, JournalSpec, LabelSet, ReadRequest, ReadResponse,
};
use tonic::transport::Channel;

pub type Client = JournalClient<Channel>;

/// Location of the real-broker vectors.
pub const VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/testdata/real-broker"
);

/// A journal name unique to this test process and call.
pub fn unique(prefix: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "devbroker-tests/{}/{prefix}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

pub async fn client(endpoint: String) -> Client {
    JournalClient::connect(endpoint).await.expect("connect")
}

/// A valid spec with a 1 KiB fragment length and the given codec and stores.
pub fn spec(name: &str, codec: CompressionCodec, stores: &[&str]) -> JournalSpec {
    JournalSpec {
        name: name.to_string(),
        replication: 1,
        labels: Some(LabelSet::default()),
        fragment: Some(journal_spec::Fragment {
            length: 1024,
            compression_codec: codec as i32,
            stores: stores.iter().map(|s| s.to_string()).collect(),
            refresh_interval: Some(prost_types::Duration {
                seconds: 1,
                nanos: 0,
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

pub async fn apply(
    c: &mut Client,
    changes: Vec<apply_request::Change>,
) -> Result<ApplyResponse, tonic::Status> {
    c.apply(ApplyRequest { changes })
        .await
        .map(|r| r.into_inner())
}

pub fn upsert(spec: JournalSpec, expect: i64) -> apply_request::Change {
    apply_request::Change {
        expect_mod_revision: expect,
        upsert: Some(spec),
        delete: String::new(),
    }
}

/// Creates a journal, panicking unless the broker says OK.
pub async fn create(c: &mut Client, spec: JournalSpec) -> ApplyResponse {
    let r = apply(c, vec![upsert(spec, 0)]).await.expect("apply");
    assert_eq!(r.status, 0, "create failed: {r:?}");
    r
}

/// Appends `chunks` in one committed RPC.
pub async fn append_with(
    c: &mut Client,
    first: AppendRequest,
    chunks: &[&[u8]],
) -> Result<AppendResponse, tonic::Status> {
    let mut msgs = vec![first];
    for ch in chunks {
        msgs.push(AppendRequest {
            content: Bytes::copy_from_slice(ch),
            ..Default::default()
        });
    }
    msgs.push(AppendRequest::default());
    c.append(tokio_stream::iter(msgs))
        .await
        .map(|r| r.into_inner())
}

pub async fn append(c: &mut Client, journal: &str, chunks: &[&[u8]]) -> AppendResponse {
    let r = append_with(
        c,
        AppendRequest {
            journal: journal.to_string(),
            ..Default::default()
        },
        chunks,
    )
    .await
    .expect("append");
    assert_eq!(r.status, 0, "append failed: {r:?}");
    r
}

/// All frames of a Read stream, ending at its clean end (or panicking on error).
pub async fn read_frames(c: &mut Client, req: ReadRequest) -> Vec<ReadResponse> {
    let mut s = c.read(req).await.expect("read").into_inner();
    let mut out = vec![];
    while let Some(m) = s.message().await.expect("read stream") {
        out.push(m);
    }
    out
}

/// The concatenated content of a non-blocking read from `offset`.
pub async fn read_all(c: &mut Client, journal: &str, offset: i64) -> Vec<u8> {
    let frames = read_frames(
        c,
        ReadRequest {
            journal: journal.to_string(),
            offset,
            ..Default::default()
        },
    )
    .await;
    frames.iter().flat_map(|f| f.content.to_vec()).collect()
}

/// Checks a header the way the Go client validates it.
pub fn assert_valid_header(h: &Header) {
    let e = h.etcd.as_ref().expect("etcd");
    assert!(
        e.cluster_id != 0 && e.member_id != 0 && e.raft_term != 0 && e.revision > 0,
        "{h:?}"
    );
    let pid = h.process_id.as_ref().expect("process id");
    assert!(!pid.zone.is_empty() && !pid.suffix.is_empty());
    let r = h.route.as_ref().expect("route");
    assert!(r.primary >= -1 && r.primary < r.members.len() as i32);
    assert!(r.endpoints.is_empty() || r.endpoints.len() == r.members.len());
    if r.members.is_empty() {
        assert_eq!(r.primary, -1);
    }
}

pub fn sha1_hex(data: &[u8]) -> String {
    use sha1::Digest;
    sha1::Sha1::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn sum_hex(s: &gazette_protocol::Sha1Sum) -> String {
    format!("{:016x}{:016x}{:08x}", s.part1, s.part2, s.part3)
}

/// Waits (polling, up to 10 s) until `cond` holds; panics naming `what`
/// otherwise. For events the broker shows only through its state.
pub async fn until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !cond() {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
}
