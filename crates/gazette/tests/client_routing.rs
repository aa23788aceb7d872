//! Route-aware dispatch across three dev brokers: once a journal's route is
//! learned, appends go straight to its primary and reads / fragment
//! listings to a member (in the client's zone when there is one); a moved
//! primary is re-learned from the proxied response; a stopped broker is
//! forgotten after one transport failure.

mod client_common;
mod common;

use bytes::Bytes;
use client_common::{spec, unique, Env};
use gazette::append::append;
use gazette::protocol::{AppendRequest, FragmentsRequest, ReadRequest};
use gazette::{get_journal, list_all_fragments};
use gazette::{Client, ClientConfig};
use gazette_devbroker::{DevBroker, Rpc};

fn counts(dev: &DevBroker, rpc: Rpc) -> Vec<u64> {
    (0..3).map(|i| dev.counters().get(i, rpc)).collect()
}

fn delta(before: &[u64], after: &[u64]) -> Vec<u64> {
    before.iter().zip(after).map(|(b, a)| a - b).collect()
}

fn one_hot(i: usize) -> Vec<u64> {
    (0..3).map(|j| u64::from(i == j)).collect()
}

async fn append_once(client: &Client, journal: &str, content: &'static [u8]) {
    append(
        client,
        AppendRequest {
            journal: journal.to_string(),
            ..Default::default()
        },
        &[&Bytes::from_static(content)],
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn appends_go_to_the_primary_once_learned() {
    let env = Env::with_brokers(3).await;
    let Some(dev) = env.dev("appends_go_to_the_primary_once_learned") else {
        return;
    };
    let journal = unique("routed");
    client_common::create(&env.client, spec(&journal, 2)).await;
    assert!(
        dev.move_primary(&journal, 1),
        "primary away from the default"
    );

    let client = Client::connect(env.endpoints[0].clone()).unwrap();
    let before = counts(dev, Rpc::Append);
    append_once(&client, &journal, b"one").await;
    let first = delta(&before, &counts(dev, Rpc::Append));
    assert_eq!(
        first,
        vec![1, 1, 0],
        "default broker proxied to the primary"
    );
    let route = client.route_cache().get(&journal).expect("learned");
    assert_eq!(route.endpoints[route.primary as usize], env.endpoints[1]);

    let before = counts(dev, Rpc::Append);
    append_once(&client, &journal, b"two").await;
    assert_eq!(delta(&before, &counts(dev, Rpc::Append)), one_hot(1));

    // The primary moves: the stale route's broker proxies once, and the
    // response teaches the new route.
    assert!(dev.move_primary(&journal, 2));
    let before = counts(dev, Rpc::Append);
    append_once(&client, &journal, b"three").await;
    let moved = delta(&before, &counts(dev, Rpc::Append));
    assert_eq!((moved[1], moved[2]), (1, 1), "proxied: {moved:?}");
    let before = counts(dev, Rpc::Append);
    append_once(&client, &journal, b"four").await;
    assert_eq!(delta(&before, &counts(dev, Rpc::Append)), one_hot(2));

    let stats = client.stats().snapshot();
    assert_eq!(stats.append_rpcs, 4);
    assert_eq!(stats.route_cache_misses, 1);
    assert_eq!(stats.route_cache_hits, 3);
    env.stop().await;
}

#[tokio::test]
async fn reads_and_fragment_listings_prefer_a_member_in_zone() {
    let env = Env::with_brokers(3).await;
    let Some(dev) = env.dev("reads_and_fragment_listings_prefer_a_member_in_zone") else {
        return;
    };
    let journal = unique("zoned");
    client_common::create(&env.client, spec(&journal, 2)).await;
    assert!(dev.move_primary(&journal, 1));
    let listed = get_journal(&env.client, &journal).await.unwrap();
    let route = listed.route.unwrap();
    let primary = route.primary as usize;
    let other = 1 - primary;
    let index_of = |endpoint: &str| env.endpoints.iter().position(|e| e == endpoint).unwrap();
    let other_broker = index_of(&route.endpoints[other]);
    assert_eq!(index_of(&route.endpoints[primary]), 1);

    for (zone, expect_broker) in [
        (route.members[other].zone.clone(), other_broker),
        (route.members[primary].zone.clone(), 1),
    ] {
        let client =
            Client::new(ClientConfig::new(env.endpoints[0].clone()).with_zone(zone)).unwrap();
        client.update_route(&journal, &route);

        let before = counts(dev, Rpc::ListFragments);
        list_all_fragments(
            &client,
            FragmentsRequest {
                journal: journal.clone(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            delta(&before, &counts(dev, Rpc::ListFragments)),
            one_hot(expect_broker)
        );

        // A read is dispatched the same way (no primary required).
        let dispatch = client.journal_client_for(&journal, false).unwrap();
        assert!(dispatch.is_local);
        let before = counts(dev, Rpc::Read);
        let mut grpc = dispatch.client.clone();
        let mut stream = grpc
            .read(ReadRequest {
                journal: journal.clone(),
                offset: 0,
                block: false,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        while stream.message().await.unwrap().is_some() {}
        assert_eq!(
            delta(&before, &counts(dev, Rpc::Read)),
            one_hot(expect_broker)
        );
    }
    env.stop().await;
}

#[tokio::test]
async fn a_stopped_primary_is_forgotten_after_one_failure() {
    let env = Env::with_brokers(3).await;
    let Some(dev) = env.dev("a_stopped_primary_is_forgotten_after_one_failure") else {
        return;
    };
    let journal = unique("failover");
    client_common::create(&env.client, spec(&journal, 2)).await;
    assert!(dev.move_primary(&journal, 2));
    let client = Client::connect(env.endpoints[0].clone()).unwrap();
    append_once(&client, &journal, b"before").await;
    let route = client.route_cache().get(&journal).unwrap();
    assert_eq!(route.endpoints[route.primary as usize], env.endpoints[2]);

    assert!(dev.stop_broker(2).await);
    // The journal moves after the allocator's delay; wait for that through
    // another client, so `client` still holds the dead primary's route.
    gazette::await_assignment(&env.client, &journal, std::time::Duration::from_secs(30))
        .await
        .unwrap();
    append_once(&client, &journal, b"after").await;
    assert_eq!(client.stats().snapshot().retries, 1, "one failed attempt");
    let route = client.route_cache().get(&journal).expect("re-learned");
    assert!(!route.endpoints.contains(&env.endpoints[2]));
    env.stop().await;
}
