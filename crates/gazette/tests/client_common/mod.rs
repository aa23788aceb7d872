//! Client-test conveniences over the shared harness (`tests/common`): a
//! `Client` of the test's brokers, journals created through the client, and
//! a raw reader to check what was committed.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::common::{skip, TestEnv};

use gazette::apply_journals;
use gazette::protocol::{apply_request, journal_spec, ApplyRequest, JournalSpec, LabelSet};
use gazette::{Client, ClientConfig};
use gazette_devbroker::DevBroker;

/// A test's broker(s) and client.
pub struct Env {
    /// The shared harness (dev cluster or real broker).
    pub test: TestEnv,
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
        let test = TestEnv::start(n).await;
        let endpoints = test.endpoints().to_vec();
        let config = ClientConfig::new(endpoints[0].clone()).with_file_root(test.fragment_root());
        let client = Client::new(config).expect("client");
        Env {
            test,
            endpoints,
            client,
        }
    }

    /// The dev broker for fault injection, or `None` (with the harness's
    /// skip notice naming `test`) against a real broker.
    pub fn dev(&self, test: &str) -> Option<&DevBroker> {
        if self.test.dev().is_none() {
            eprint!("{test}: ");
            skip();
        }
        self.test.dev()
    }

    /// Creates a journal with a unique name under `prefix`.
    pub async fn journal(&self, prefix: &str) -> String {
        let name = unique(prefix);
        create(&self.client, spec(&name, 1)).await;
        name
    }

    /// Stops the dev broker (dropping the harness stops every broker).
    pub async fn stop(self) {
        drop(self.test);
    }
}

/// A journal name unique to this process and call.
pub fn unique(prefix: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let micros = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_micros();
    format!(
        "client-tests/{}-{micros}/{prefix}-{}",
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
    let name = spec.name.clone();
    apply_journals(
        client,
        ApplyRequest {
            changes: vec![create_change(spec)],
        },
    )
    .await
    .expect("create journal");
    // A broker assigns a new journal a moment after Apply.
    gazette::await_assignment(client, &name, std::time::Duration::from_secs(30))
        .await
        .expect("journal assigned");
    // Leave the route cache as Apply alone would: tests check what the
    // client learns from its own RPCs.
    client.invalidate_route(&name);
}

/// Everything committed to `journal`, read with a raw non-blocking Read.
#[allow(unused_imports)]
pub use crate::common::read_committed as read_all;
