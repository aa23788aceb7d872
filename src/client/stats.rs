//! Per-client counters, cheap to bump from any task and readable at any time.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Counters of one [`Client`](crate::client::router::Client) and its clones.
#[derive(Debug, Default)]
pub struct Stats {
    /// Append RPCs started.
    pub append_rpcs: AtomicU64,
    /// Content bytes sent in Append RPCs (committed or not).
    pub bytes_appended: AtomicU64,
    /// Read RPCs started.
    pub read_rpcs: AtomicU64,
    /// Journal bytes delivered to readers.
    pub bytes_read: AtomicU64,
    /// List, Apply, ListFragments and FragmentStoreHealth RPCs started.
    pub other_rpcs: AtomicU64,
    /// Retries taken by the client's retry loops.
    pub retries: AtomicU64,
    /// Journal dispatches served from a cached route.
    pub route_cache_hits: AtomicU64,
    /// Journal dispatches that found no (live) cached route.
    pub route_cache_misses: AtomicU64,
}

/// A point-in-time copy of [`Stats`].
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// See [`Stats::append_rpcs`].
    pub append_rpcs: u64,
    /// See [`Stats::bytes_appended`].
    pub bytes_appended: u64,
    /// See [`Stats::read_rpcs`].
    pub read_rpcs: u64,
    /// See [`Stats::bytes_read`].
    pub bytes_read: u64,
    /// See [`Stats::other_rpcs`].
    pub other_rpcs: u64,
    /// See [`Stats::retries`].
    pub retries: u64,
    /// See [`Stats::route_cache_hits`].
    pub route_cache_hits: u64,
    /// See [`Stats::route_cache_misses`].
    pub route_cache_misses: u64,
}

impl Stats {
    /// Adds `n` to `counter` (a field of this struct).
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Relaxed);
    }

    /// Copies every counter.
    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            append_rpcs: self.append_rpcs.load(Relaxed),
            bytes_appended: self.bytes_appended.load(Relaxed),
            read_rpcs: self.read_rpcs.load(Relaxed),
            bytes_read: self.bytes_read.load(Relaxed),
            other_rpcs: self.other_rpcs.load(Relaxed),
            retries: self.retries.load(Relaxed),
            route_cache_hits: self.route_cache_hits.load(Relaxed),
            route_cache_misses: self.route_cache_misses.load(Relaxed),
        }
    }
}
