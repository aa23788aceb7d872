//! `RouteCache`: remembers each journal's route so RPCs go straight to a
//! suitable broker instead of being proxied.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lru::LruCache;

use crate::protocol::Route;

/// A source of "now", injectable so tests can move time without sleeping.
pub type Clock = Arc<dyn Fn() -> Instant + Send + Sync>;

/// A bounded LRU of journal → route, each entry valid for a TTL.
///
/// Keys are the journal string exactly as used in requests (a `;meta`
/// suffix makes a distinct key). Internally locked; share it freely.
pub struct RouteCache {
    /// `None` when the capacity is zero: nothing is ever cached.
    entries: Option<Mutex<LruCache<String, (Route, Instant)>>>,
    ttl: Duration,
    clock: Clock,
}

impl RouteCache {
    /// A cache of at most `size` routes, each kept for `ttl`.
    pub fn new(size: usize, ttl: Duration) -> Self {
        Self::with_clock(size, ttl, Arc::new(Instant::now))
    }

    /// Like [`RouteCache::new`], reading the time from `clock`.
    pub fn with_clock(size: usize, ttl: Duration, clock: Clock) -> Self {
        RouteCache {
            entries: NonZeroUsize::new(size).map(|n| Mutex::new(LruCache::new(n))),
            ttl,
            clock,
        }
    }

    /// Records `route` for `item`. `None` or a route without members removes
    /// the entry (the journal's placement is unknown).
    pub fn update_route(&self, item: &str, route: Option<&Route>) {
        let Some(entries) = &self.entries else { return };
        let mut entries = entries.lock().unwrap();
        match route {
            Some(route) if !route.members.is_empty() => {
                entries.put(item.to_string(), (route.clone(), (self.clock)()));
            }
            _ => {
                entries.pop(item);
            }
        }
    }

    /// Removes `item`'s entry, if any.
    pub fn invalidate(&self, item: &str) {
        self.update_route(item, None)
    }

    /// The cached route of `item`, or `None` if it's missing or expired (an
    /// expired entry is dropped).
    pub fn get(&self, item: &str) -> Option<Route> {
        let mut entries = self.entries.as_ref()?.lock().unwrap();
        let (route, at) = entries.get(item)?;
        if (self.clock)().saturating_duration_since(*at) < self.ttl {
            return Some(route.clone());
        }
        entries.pop(item);
        None
    }

    /// The cached route of `item`; a miss or an expired entry yields the
    /// empty route `Route{primary: -1}`, as in Go.
    pub fn route(&self, item: &str) -> Route {
        self.get(item).unwrap_or_else(empty_route)
    }

    /// Number of entries held (expired ones included until looked up).
    pub fn len(&self) -> usize {
        self.entries
            .as_ref()
            .map_or(0, |entries| entries.lock().unwrap().len())
    }

    /// True when no entries are held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Always false: this router really routes (Go's `IsNoopRouter`).
    pub fn is_noop_router(&self) -> bool {
        false
    }
}

impl std::fmt::Debug for RouteCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouteCache")
            .field("len", &self.len())
            .field("ttl", &self.ttl)
            .finish()
    }
}

/// The route of a journal with no known placement.
pub fn empty_route() -> Route {
    Route {
        members: Vec::new(),
        primary: -1,
        endpoints: Vec::new(),
    }
}
