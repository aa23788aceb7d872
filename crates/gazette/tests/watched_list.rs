//! WatchedList against the dev broker: first snapshot, later snapshots on
//! change, and recovery (with an error signalled) when the broker restarts.

mod client_common;
mod common;

use std::time::Duration;

use client_common::{create, spec, unique, Env};
use gazette::protocol::{Label, LabelSelector, LabelSet, ListRequest};
use gazette::WatchedList;
use tokio::sync::mpsc;

fn prefix_request(dir: &str) -> ListRequest {
    ListRequest {
        selector: Some(LabelSelector {
            include: Some(LabelSet {
                labels: vec![Label {
                    name: "prefix".into(),
                    value: format!("{dir}/"),
                    prefix: false,
                }],
            }),
            exclude: None,
        }),
        ..Default::default()
    }
}

async fn next(
    updates: &mut mpsc::Receiver<gazette::watched_list::WatchUpdate>,
) -> gazette::Result<()> {
    tokio::time::timeout(Duration::from_secs(10), updates.recv())
        .await
        .expect("an update in time")
        .expect("channel open")
}

#[tokio::test]
async fn snapshots_follow_changes() {
    let env = Env::start().await;
    if env.test.version() < gazette_devbroker::Version::Current {
        eprintln!("skipped: List watches need a v0.100+ broker");
        return;
    }
    if env.test.is_real() {
        // Brokers before v0.100 answer a watch with one unary response.
        eprintln!("skipped: watches need a v0.100+ broker; run against the dev broker");
        return;
    }
    let dir = unique("watched");
    create(&env.client, spec(&format!("{dir}/one"), 1)).await;
    let (tx, mut updates) = mpsc::channel(16);
    let watched = WatchedList::new(&env.client, prefix_request(&dir), Some(tx));

    next(&mut updates).await.unwrap();
    let first = watched.list().expect("first snapshot");
    assert_eq!(first.journals.len(), 1);
    assert!(env
        .client
        .route_cache()
        .get(&format!("{dir}/one"))
        .is_some());

    create(&env.client, spec(&format!("{dir}/two"), 1)).await;
    next(&mut updates).await.unwrap();
    let second = watched.list().unwrap();
    assert_eq!(second.journals.len(), 2);
    let revision =
        |r: &gazette::protocol::ListResponse| r.header.as_ref().unwrap().etcd.unwrap().revision;
    assert!(revision(&second) > revision(&first));
    drop(watched);
    env.stop().await;
}

#[tokio::test]
async fn a_broken_watch_is_signalled_and_resumed() {
    let env = Env::start().await;
    if env.test.version() < gazette_devbroker::Version::Current {
        eprintln!("skipped: List watches need a v0.100+ broker");
        return;
    }
    let Some(dev) = env.dev("a_broken_watch_is_signalled_and_resumed") else {
        return;
    };
    let dir = unique("resumed");
    create(&env.client, spec(&format!("{dir}/one"), 1)).await;
    let (tx, mut updates) = mpsc::channel(64);
    let watched = WatchedList::new(&env.client, prefix_request(&dir), Some(tx));
    next(&mut updates).await.unwrap();

    assert!(dev.stop_broker(0).await);
    // The broken watch is signalled while the broker is down.
    while next(&mut updates).await.is_ok() {}
    assert!(dev.restart_broker(0).await.unwrap());
    create(&env.client, spec(&format!("{dir}/two"), 1)).await;
    loop {
        match next(&mut updates).await {
            Ok(()) if watched.list().unwrap().journals.len() == 2 => break,
            _ => {}
        }
    }
    env.stop().await;
}
