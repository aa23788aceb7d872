//! Per-broker, per-RPC request counters, so tests can see where a client
//! sent its RPCs (e.g. straight to the primary, or through a proxy).

use std::sync::atomic::{AtomicU64, Ordering};

use crate::faults::Rpc;

/// Request counts of every broker of the cluster.
pub struct Counters {
    by_broker: Vec<[AtomicU64; Rpc::ALL.len()]>,
}

impl Counters {
    pub(crate) fn new(brokers: usize) -> Counters {
        Counters {
            by_broker: (0..brokers).map(|_| Default::default()).collect(),
        }
    }

    pub(crate) fn bump(&self, broker: usize, rpc: Rpc) {
        self.by_broker[broker][rpc.index()].fetch_add(1, Ordering::Relaxed);
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
