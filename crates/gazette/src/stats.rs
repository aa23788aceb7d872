//! Per-client counters, cheap to bump from any task and readable at any time.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Counters of one [`Client`](crate::client::Client) and its clones.
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
    /// Fragments opened directly with codec NONE.
    pub fragment_opens_none: AtomicU64,
    /// Fragments opened directly with codec GZIP.
    pub fragment_opens_gzip: AtomicU64,
    /// Fragments opened directly with codec ZSTANDARD.
    pub fragment_opens_zstandard: AtomicU64,
    /// Fragments opened directly with codec SNAPPY.
    pub fragment_opens_snappy: AtomicU64,
    /// Fragments opened directly with codec GZIP_OFFLOAD_DECOMPRESSION.
    pub fragment_opens_gzip_offload: AtomicU64,
    /// Journal bytes spanned by the fragments opened directly (`end - begin`), whatever part of them was read.
    pub fragment_bytes_opened: AtomicU64,
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
    /// See [`Stats::fragment_opens_none`].
    pub fragment_opens_none: u64,
    /// See [`Stats::fragment_opens_gzip`].
    pub fragment_opens_gzip: u64,
    /// See [`Stats::fragment_opens_zstandard`].
    pub fragment_opens_zstandard: u64,
    /// See [`Stats::fragment_opens_snappy`].
    pub fragment_opens_snappy: u64,
    /// See [`Stats::fragment_opens_gzip_offload`].
    pub fragment_opens_gzip_offload: u64,
    /// See [`Stats::fragment_bytes_opened`].
    pub fragment_bytes_opened: u64,
}

impl Stats {
    /// Adds `n` to `counter` (a field of this struct).
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Relaxed);
    }

    /// Counts a fragment opened directly: its codec's counter and its span.
    pub fn fragment_opened(&self, codec: i32, span: i64) {
        use crate::protocol::CompressionCodec as C;
        let counter = match C::try_from(codec) {
            Ok(C::None) => &self.fragment_opens_none,
            Ok(C::Gzip) => &self.fragment_opens_gzip,
            Ok(C::Zstandard) => &self.fragment_opens_zstandard,
            Ok(C::Snappy) => &self.fragment_opens_snappy,
            Ok(C::GzipOffloadDecompression) => &self.fragment_opens_gzip_offload,
            // Opening fails for any other codec, so it's never counted.
            _ => return,
        };
        Self::add(counter, 1);
        Self::add(&self.fragment_bytes_opened, span.max(0) as u64);
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
            fragment_opens_none: self.fragment_opens_none.load(Relaxed),
            fragment_opens_gzip: self.fragment_opens_gzip.load(Relaxed),
            fragment_opens_zstandard: self.fragment_opens_zstandard.load(Relaxed),
            fragment_opens_snappy: self.fragment_opens_snappy.load(Relaxed),
            fragment_opens_gzip_offload: self.fragment_opens_gzip_offload.load(Relaxed),
            fragment_bytes_opened: self.fragment_bytes_opened.load(Relaxed),
        }
    }
}
