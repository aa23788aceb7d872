//! Per-broker, per-RPC request counters, so tests can see where a client
//! sent its RPCs (e.g. straight to the primary, or through a proxy).

use std::sync::atomic::{AtomicU64, Ordering};

use crate::faults::Rpc;

/// Request counts of every broker of the cluster.
pub struct Counters {
    by_broker: Vec<[AtomicU64; Rpc::ALL.len()]>,
    /// Times a blocking Read parked at the write head, waiting for content.
    read_waits: AtomicU64,
    /// Append RPCs whose handling ended (committed, failed, or dropped).
    appends_done: AtomicU64,
    /// Times an Append took its journal's pipeline (began appending).
    pipelines_taken: AtomicU64,
    /// Times an RPC waited for a future etcd revision (min_etcd_revision).
    revision_waits: AtomicU64,
}

impl Counters {
    pub(crate) fn new(brokers: usize) -> Counters {
        Counters {
            by_broker: (0..brokers).map(|_| Default::default()).collect(),
            read_waits: AtomicU64::new(0),
            appends_done: AtomicU64::new(0),
            pipelines_taken: AtomicU64::new(0),
            revision_waits: AtomicU64::new(0),
        }
    }

    pub(crate) fn bump(&self, broker: usize, rpc: Rpc) {
        self.by_broker[broker][rpc.index()].fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn bump_read_wait(&self) {
        self.read_waits.fetch_add(1, Ordering::SeqCst);
    }

    /// Times a blocking Read (of any broker) parked at the write head to
    /// wait for content. A test that sees this rise knows a read is blocked,
    /// so what it appends next is news to that read.
    pub fn read_waits(&self) -> u64 {
        self.read_waits.load(Ordering::SeqCst)
    }

    pub(crate) fn bump_append_done(&self) {
        self.appends_done.fetch_add(1, Ordering::SeqCst);
    }

    /// Append RPCs the brokers have finished handling, however they ended
    /// (a test waits for this before an append that must come after).
    pub fn appends_done(&self) -> u64 {
        self.appends_done.load(Ordering::SeqCst)
    }

    pub(crate) fn bump_pipeline_taken(&self) {
        self.pipelines_taken.fetch_add(1, Ordering::SeqCst);
    }

    /// Times an Append took its journal's pipeline: from then on it holds
    /// the journal, and later appends to it wait behind it.
    pub fn pipelines_taken(&self) -> u64 {
        self.pipelines_taken.load(Ordering::SeqCst)
    }

    pub(crate) fn bump_revision_wait(&self) {
        self.revision_waits.fetch_add(1, Ordering::SeqCst);
    }

    /// Times an RPC waited for an etcd revision the cluster has not reached
    /// (a request's `min_etcd_revision`).
    pub fn revision_waits(&self) -> u64 {
        self.revision_waits.load(Ordering::SeqCst)
    }

    /// RPCs of kind `rpc` that broker `broker` has received (proxied ones included).
    pub fn get(&self, broker: usize, rpc: Rpc) -> u64 {
        self.by_broker
            .get(broker)
            .map_or(0, |c| c[rpc.index()].load(Ordering::Relaxed))
    }

    /// RPCs of kind `rpc` received by all brokers together.
    pub fn total(&self, rpc: Rpc) -> u64 {
        (0..self.by_broker.len()).map(|b| self.get(b, rpc)).sum()
    }
}
