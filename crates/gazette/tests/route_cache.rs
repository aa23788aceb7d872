//! RouteCache: capacity eviction, invalidation and TTL refresh (Go's
//! route_cache_test), with an injected clock instead of sleeping.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gazette::protocol::{process_spec::Id, Route};
use gazette::RouteCache;

fn route(suffix: &str) -> Route {
    Route {
        members: vec![Id {
            zone: "zone".into(),
            suffix: suffix.into(),
        }],
        primary: 0,
        endpoints: vec![format!("http://{suffix}:8080")],
    }
}

fn empty() -> Route {
    Route {
        members: vec![],
        primary: -1,
        endpoints: vec![],
    }
}

#[test]
fn capacity_evicts_least_recently_used() {
    let cache = RouteCache::new(3, Duration::from_secs(60));
    for name in ["a", "b", "c", "d"] {
        cache.update_route(name, Some(&route(name)));
    }
    assert_eq!(cache.route("a"), empty(), "oldest entry evicted");
    for name in ["b", "c", "d"] {
        assert_eq!(cache.route(name), route(name));
    }
    assert_eq!(cache.len(), 3);
}

#[test]
fn nil_or_empty_route_invalidates() {
    let cache = RouteCache::new(8, Duration::from_secs(60));
    cache.update_route("j/one", Some(&route("one")));
    cache.update_route("j/two", Some(&route("two")));
    cache.update_route("j/one", None);
    cache.update_route("j/two", Some(&empty()));
    assert_eq!(cache.route("j/one"), empty());
    assert_eq!(cache.route("j/two"), empty());
    assert!(cache.is_empty());
}

#[test]
fn keys_are_exact_journal_strings() {
    let cache = RouteCache::new(8, Duration::from_secs(60));
    cache.update_route("j/one;meta", Some(&route("one")));
    assert_eq!(cache.route("j/one"), empty());
    assert_eq!(cache.route("j/one;meta"), route("one"));
}

#[test]
fn ttl_refresh_keeps_entry_alive() {
    let base = Instant::now();
    let offset_secs = Arc::new(AtomicU64::new(0));
    let clock_offset = offset_secs.clone();
    let cache = RouteCache::with_clock(
        8,
        Duration::from_secs(60),
        Arc::new(move || base + Duration::from_secs(clock_offset.load(Ordering::SeqCst))),
    );
    cache.update_route("stale", Some(&route("stale")));
    cache.update_route("fresh", Some(&route("fresh")));

    offset_secs.store(31, Ordering::SeqCst);
    cache.update_route("fresh", Some(&route("fresh")));

    offset_secs.store(61, Ordering::SeqCst);
    assert_eq!(
        cache.route("stale"),
        empty(),
        "inserted at t, expired at t+61s"
    );
    assert_eq!(cache.route("fresh"), route("fresh"), "refreshed at t+31s");
    assert_eq!(cache.len(), 1, "the expired entry was dropped on lookup");
}

#[test]
fn zero_capacity_caches_nothing() {
    let cache = RouteCache::new(0, Duration::from_secs(60));
    cache.update_route("a", Some(&route("a")));
    assert_eq!(cache.route("a"), empty());
    assert!(!cache.is_noop_router());
}
