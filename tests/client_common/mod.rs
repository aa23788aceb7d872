//! Shared setup of the client's integration tests: a dev broker started by
//! the test (or the real broker named by `GAZETTE_TEST_BROKER`), a client,
//! unique journals, and a raw reader to check what was committed.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};

use gazette::client::list::apply_journals;
use gazette::client::{Client, ClientConfig};
use gazette::protocol::journal_client::JournalClient;
use gazette::protocol::{
    apply_request, journal_spec, ApplyRequest, JournalSpec, LabelSet, ReadRequest,
};
use gazette_devbroker::{DevBroker, Options};

/// A test's broker(s) and client.
pub struct Env {
    /// The dev broker, or `None` against a real broker.
    pub dev: Option<DevBroker>,
    /// Default endpoints (all brokers of the dev cluster).
    pub endpoints: Vec<String>,
    /// A client of the first endpoint.
    pub client: Client,
}

impl Env {
    /// One dev broker (or the real one).
    pub async fn start() -> Env {
        Env::with_brokers(1).await
    }

    /// `n` dev brokers (or the real one).
    pub async fn with_brokers(n: usize) -> Env {
        let (dev, endpoints) = match std::env::var("GAZETTE_TEST_BROKER") {
            Ok(addr) if !addr.is_empty() => (None, vec![addr]),
            _ => {
                let dev = DevBroker::start(Options {
                    brokers: n,
                    ..Options::default()
                })
                .await
                .expect("start dev broker");
                let endpoints = dev.endpoints();
                (Some(dev), endpoints)
            }
        };
        let client = Client::new(ClientConfig::new(endpoints[0].clone())).expect("client");
        Env {
            dev,
            endpoints,
            client,
        }
    }

    /// The dev broker for fault injection, or `None` (with a printed reason)
    /// against a real broker: the caller then skips the test.
    pub fn dev(&self, test: &str) -> Option<&DevBroker> {
        if self.dev.is_none() {
            eprintln!("skipping {test}: needs the dev broker's fault injection");
        }
        self.dev.as_ref()
    }

    /// Creates a journal with a unique name under `prefix`.
    pub async fn journal(&self, prefix: &str) -> String {
        let name = unique(prefix);
        create(&self.client, spec(&name, 1)).await;
        name
    }

    /// Stops the dev broker.
    pub async fn stop(self) {
        if let Some(dev) = self.dev {
            dev.shutdown().await;
        }
    }
}

/// A journal name unique to this process and call.
pub fn unique(prefix: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "client-tests/{}/{prefix}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A valid spec with 1 KiB fragments and no store.
pub fn spec(name: &str, replication: i32) -> JournalSpec {
    JournalSpec {
        name: name.to_string(),
        replication,
        labels: Some(LabelSet::default()),
        fragment: Some(journal_spec::Fragment {
            length: 1024,
            compression_codec: 1,
            refresh_interval: Some(prost_types::Duration {
                seconds: 1,
                nanos: 0,
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// An upsert change creating `spec`.
pub fn create_change(spec: JournalSpec) -> apply_request::Change {
    apply_request::Change {
        expect_mod_revision: 0,
        upsert: Some(spec),
        delete: String::new(),
    }
}

/// Creates `spec`'s journal.
pub async fn create(client: &Client, spec: JournalSpec) {
    apply_journals(
        client,
        ApplyRequest {
            changes: vec![create_change(spec)],
        },
    )
    .await
    .expect("create journal");
}

/// Everything committed to `journal`, read with a raw non-blocking Read
/// (the client's readers are tested elsewhere).
pub async fn read_all(endpoint: &str, journal: &str) -> Vec<u8> {
    let mut grpc = JournalClient::connect(endpoint.to_string())
        .await
        .expect("connect");
    let mut stream = grpc
        .read(ReadRequest {
            journal: journal.to_string(),
            offset: 0,
            block: false,
            ..Default::default()
        })
        .await
        .expect("read")
        .into_inner();
    let mut out = Vec::new();
    while let Some(frame) = stream.message().await.expect("read frame") {
        out.extend_from_slice(&frame.content);
    }
    out
}
