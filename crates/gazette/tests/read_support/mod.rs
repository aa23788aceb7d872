//! Helpers shared by the reader tests: a dev broker with a `file:///`
//! fragment store and a client reading that store directly. (The scripted
//! broker, for protocol violations, is `common::scripted`.)
#![allow(dead_code)]

use std::path::Path;

use bytes::Bytes;
use gazette::protocol::journal_client::JournalClient;
use gazette::protocol::{AppendRequest, AppendResponse, CompressionCodec};
use gazette::{Client, ClientConfig};
use gazette_devbroker::DevBroker;

use crate::common::TestEnv;
use tonic::transport::Channel;

/// The shared test environment (a dev cluster with a `file:///` store, or
/// the real broker of `GAZETTE_TEST_BROKER`) with a client whose file
/// transport reads that store, and a raw stub.
pub struct Env {
    pub test: TestEnv,
    pub client: Client,
    pub raw: JournalClient<Channel>,
}

impl Env {
    pub async fn start() -> Env {
        Env::start_with(1).await
    }

    pub async fn start_with(brokers: usize) -> Env {
        let test = TestEnv::start(brokers).await;
        let client =
            Client::new(ClientConfig::new(test.endpoint()).with_file_root(test.fragment_root()))
                .unwrap();
        let raw = test.raw_client().await;
        Env { test, client, raw }
    }

    /// The dev broker (fault injection, flush, counters); None against a
    /// real broker.
    pub fn dev(&self) -> Option<&DevBroker> {
        self.test.dev()
    }

    /// The directory behind the `file:///` store.
    pub fn store_root(&self) -> &Path {
        self.test.fragment_root()
    }

    /// Creates a journal persisting to the store with `codec` and a
    /// fragment length of `length`.
    pub async fn create(&self, prefix: &str, codec: CompressionCodec, length: i64) -> String {
        let name = self.test.unique_journal(prefix);
        let mut spec = TestEnv::spec(&name, codec);
        spec.fragment.as_mut().unwrap().length = length;
        self.test.create(spec).await;
        name
    }

    /// Appends `data` in one committed RPC.
    pub async fn append(&self, journal: &str, data: &[u8]) -> AppendResponse {
        let mut msgs = vec![AppendRequest {
            journal: journal.to_string(),
            ..Default::default()
        }];
        for chunk in data.chunks(1 << 20) {
            msgs.push(AppendRequest {
                content: Bytes::copy_from_slice(chunk),
                ..Default::default()
            });
        }
        msgs.push(AppendRequest::default());
        let resp = self
            .raw
            .clone()
            .append(tokio_stream::iter(msgs))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(resp.status, 0, "{resp:?}");
        resp
    }

    /// Rolls and persists the journal's open fragment (dev broker only).
    pub fn flush(&self, journal: &str) {
        let dev = self.dev().expect("flush needs the dev broker");
        assert!(dev.flush(journal));
    }

    /// Times a blocking read parked at the dev broker's write head (0 on a
    /// real broker).
    pub fn read_waits(&self) -> u64 {
        self.dev().map_or(0, |dev| dev.counters().read_waits())
    }

    /// Waits until a blocking read parks at the write head for the
    /// `seen + 1`th time, so content appended next is news to it (a read at
    /// offset -1 must not see it as already written). A real broker can't
    /// tell: there, a fixed pause.
    pub async fn await_read_waiting(&self, seen: u64) {
        if self.dev().is_none() {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            return;
        }
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        while self.read_waits() <= seen {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no read blocked at the write head"
            );
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
    }

    /// A client of the same broker with no file transport.
    pub fn client_without_file_root(&self) -> Client {
        Client::connect(self.test.endpoint()).unwrap()
    }
}
