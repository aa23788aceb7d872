//! Shared harness for the root crate's integration tests.
//!
//! `TestEnv::start(n)` starts an in-process `gazette-devbroker` cluster of `n`
//! brokers with a temporary `file:///` store, unless `GAZETTE_TEST_BROKER`
//! names a real broker (e.g. `http://127.0.0.1:8080`); then the tests use it,
//! and `GAZETTE_TEST_FRAGMENT_ROOT` is the directory behind its `file:///`
//! store. Tests create their own uniquely named journals either way.
//!
//! Fault injection exists only on the dev broker: tests that need it start
//! with `let Some(dev) = env.dev() else { return skip(); };` which prints
//! "skipped: needs fault injection (real broker)".
#![allow(dead_code)]

pub mod scripted;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use gazette::protocol::journal_client::JournalClient;
use gazette::protocol::{
    apply_request, journal_spec, ApplyRequest, CompressionCodec, JournalSpec, LabelSet, Status,
};
use gazette_devbroker::{DevBroker, Options, Version};

/// Bound on waiting for a new journal's assignment.
const ASSIGNMENT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The dev broker's version mode: `GAZETTE_TEST_DEVBROKER_VERSION`
/// (v0.89, v0.99 or current; default current).
pub fn dev_version() -> Version {
    match std::env::var("GAZETTE_TEST_DEVBROKER_VERSION") {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|e| panic!("GAZETTE_TEST_DEVBROKER_VERSION: {e}")),
        Err(_) => Version::default(),
    }
}
use tonic::transport::Channel;

/// Where the real-broker vectors live.
pub const VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/testdata/real-broker"
);

/// The brokers a test talks to.
pub struct TestEnv {
    dev: Option<DevBroker>,
    endpoints: Vec<String>,
    fragment_root: PathBuf,
    _tmp: Option<tempfile::TempDir>,
}

/// Prints the standard skip notice for tests that need the dev broker.
pub fn skip() {
    eprintln!("skipped: needs fault injection (real broker)");
}

impl TestEnv {
    /// A dev cluster of `brokers` brokers, or the real broker of
    /// `GAZETTE_TEST_BROKER` (whatever `brokers` says).
    pub async fn start(brokers: usize) -> TestEnv {
        if let Ok(addr) = std::env::var("GAZETTE_TEST_BROKER") {
            if !addr.is_empty() {
                let endpoint = if addr.contains("://") {
                    addr
                } else {
                    format!("http://{addr}")
                };
                let (root, tmp) = match std::env::var("GAZETTE_TEST_FRAGMENT_ROOT") {
                    Ok(r) if !r.is_empty() => (PathBuf::from(r), None),
                    _ => {
                        let t = tempfile::tempdir().expect("temp dir");
                        (t.path().to_path_buf(), Some(t))
                    }
                };
                return TestEnv {
                    dev: None,
                    endpoints: vec![endpoint],
                    fragment_root: root,
                    _tmp: tmp,
                };
            }
        }
        let tmp = tempfile::tempdir().expect("temp dir");
        let dev = DevBroker::start(Options {
            brokers,
            store: Some(tmp.path().to_path_buf()),
            version: dev_version(),
            ..Default::default()
        })
        .await
        .expect("start dev broker");
        TestEnv {
            endpoints: dev.endpoints(),
            dev: Some(dev),
            fragment_root: tmp.path().to_path_buf(),
            _tmp: Some(tmp),
        }
    }

    /// The first broker's endpoint (the "service address").
    pub fn endpoint(&self) -> &str {
        &self.endpoints[0]
    }

    /// Every broker's endpoint.
    pub fn endpoints(&self) -> &[String] {
        &self.endpoints
    }

    /// The directory behind the brokers' `file:///` store: the root for a
    /// client's file transport.
    pub fn fragment_root(&self) -> &Path {
        &self.fragment_root
    }

    /// The dev broker, for fault injection; None against a real broker.
    pub fn dev(&self) -> Option<&DevBroker> {
        self.dev.as_ref()
    }

    /// Is this a real broker (no fault injection)?
    pub fn is_real(&self) -> bool {
        self.dev.is_none()
    }

    /// A journal name no other test (or earlier run) uses.
    pub fn unique_journal(&self, what: &str) -> String {
        static N: AtomicUsize = AtomicUsize::new(0);
        let t = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        format!(
            "libgazette-tests/{}-{}/{what}-{}",
            std::process::id(),
            t.as_micros(),
            N.fetch_add(1, Ordering::Relaxed)
        )
    }

    /// A raw generated stub connected to the first broker.
    pub async fn raw_client(&self) -> JournalClient<Channel> {
        JournalClient::connect(self.endpoint().to_string())
            .await
            .expect("connect to broker")
            .max_decoding_message_size(64 << 20)
    }

    /// A spec with `codec`, the `file:///` store, fragment length 1 KiB and
    /// a 1 s refresh interval (small enough that tests see fragments roll).
    pub fn spec(name: &str, codec: CompressionCodec) -> JournalSpec {
        JournalSpec {
            name: name.to_string(),
            replication: 1,
            labels: Some(LabelSet::default()),
            fragment: Some(journal_spec::Fragment {
                length: 1024,
                compression_codec: codec as i32,
                stores: vec!["file:///".to_string()],
                refresh_interval: Some(prost_types::Duration {
                    seconds: 1,
                    nanos: 0,
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    /// Creates `spec` with a raw Apply, panicking unless the broker says OK.
    pub async fn create(&self, spec: JournalSpec) {
        let spec_name = spec.name.clone();
        let resp = self
            .raw_client()
            .await
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
        assert_eq!(resp.status, Status::Ok as i32, "creating journal: {resp:?}");
        self.await_assignment(&spec_name).await;
    }

    /// Waits (through the library) until the broker assigned `journal`: a
    /// real broker, like the dev broker, does so about 0.1 s after Apply.
    pub async fn await_assignment(&self, journal: &str) {
        let client = gazette::Client::connect(self.endpoint()).expect("client");
        gazette::await_assignment(&client, journal, ASSIGNMENT_TIMEOUT)
            .await
            .unwrap_or_else(|e| panic!("journal {journal} was not assigned: {e}"));
    }

    /// The broker version the tests run against: the dev broker's mode, or
    /// `GAZETTE_TEST_BROKER_VERSION` for a real broker (default current).
    pub fn version(&self) -> Version {
        match &self.dev {
            Some(dev) => dev.version(),
            None => std::env::var("GAZETTE_TEST_BROKER_VERSION")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or_default(),
        }
    }

    /// Creates a fresh journal with `codec` and returns its name.
    pub async fn create_journal(&self, what: &str, codec: CompressionCodec) -> String {
        let name = self.unique_journal(what);
        self.create(Self::spec(&name, codec)).await;
        name
    }
}

/// Everything committed to `journal` at the broker at `endpoint`, read with
/// a raw non-blocking Read from offset 0 (the client's readers are what the
/// tests check, so they don't check themselves with it).
pub async fn read_committed(endpoint: &str, journal: &str) -> Vec<u8> {
    let mut raw = JournalClient::connect(endpoint.to_string())
        .await
        .expect("connect to broker")
        .max_decoding_message_size(64 << 20);
    let mut stream = raw
        .read(gazette::protocol::ReadRequest {
            journal: journal.to_string(),
            offset: 0,
            block: false,
            ..Default::default()
        })
        .await
        .expect("read")
        .into_inner();
    let mut out = Vec::new();
    while let Some(msg) = stream.message().await.expect("read stream") {
        if !msg.content.is_empty() {
            assert_eq!(msg.offset as usize, out.len(), "content is contiguous");
            out.extend_from_slice(&msg.content);
        }
    }
    out
}
