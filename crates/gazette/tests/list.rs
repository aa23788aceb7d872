//! Listing, applying, fragment listing, store health and PolledList against
//! the dev broker.

mod client_common;
mod common;

use std::time::Duration;

use bytes::Bytes;
use client_common::{create_change, spec, unique, Env};
use gazette::append::append;
use gazette::polled_list::PolledList;
use gazette::protocol::{
    apply_request, AppendRequest, ApplyRequest, FragmentsRequest, Label, LabelSelector, LabelSet,
    ListRequest, Status,
};
use gazette::Error;
use gazette::{
    apply_journals, apply_journals_in_batches, fragment_store_health, get_journal,
    list_all_fragments, list_all_journals,
};
use gazette_devbroker::{Fault, Rpc};

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

fn changes(dir: &str, n: usize) -> Vec<apply_request::Change> {
    (0..n)
        .map(|i| create_change(spec(&format!("{dir}/j{i:03}"), 1)))
        .collect()
}

#[tokio::test]
async fn list_all_journals_concatenates_chunks_and_caches_routes() {
    let env = Env::start().await;
    let dir = unique("listing");
    apply_journals(
        &env.client,
        ApplyRequest {
            changes: changes(&dir, 60),
        },
    )
    .await
    .unwrap();
    // Listings carry routes once the broker assigned the new journals.
    for i in 0..60 {
        let name = format!("{dir}/j{i:03}");
        gazette::await_assignment(&env.client, &name, std::time::Duration::from_secs(30))
            .await
            .unwrap();
        env.client.invalidate_route(&name);
    }

    let listing = list_all_journals(&env.client, prefix_request(&dir))
        .await
        .unwrap();
    let names: Vec<_> = listing
        .journals
        .iter()
        .map(|j| j.spec.as_ref().unwrap().name.clone())
        .collect();
    let expect: Vec<_> = (0..60).map(|i| format!("{dir}/j{i:03}")).collect();
    assert_eq!(names, expect, "all chunks, in order");
    assert_eq!(listing.status, 0);
    assert!(listing.header.is_some());
    for name in &expect {
        let route = env.client.route_cache().get(name).expect("route cached");
        assert_eq!(route.members.len(), 1);
    }
    env.stop().await;
}

#[tokio::test]
async fn list_all_journals_errors() {
    let env = Env::start().await;
    let err = list_all_journals(
        &env.client,
        ListRequest {
            watch: true,
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)));

    let Some(dev) = env.dev("list_all_journals_errors") else {
        return;
    };
    dev.faults()
        .fail_next(Rpc::List, 1, Fault::Status(Status::EtcdTransactionFailed));
    let err = list_all_journals(&env.client, ListRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "ETCD_TRANSACTION_FAILED");

    dev.faults().fail_next(
        Rpc::List,
        1,
        Fault::Grpc(tonic::Code::Unknown, "potato".into()),
    );
    let err = list_all_journals(&env.client, ListRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "rpc error: code = Unknown desc = potato");
    env.stop().await;
}

#[tokio::test]
async fn list_all_journals_times_out() {
    let env = Env::start().await;
    let Some(dev) = env.dev("list_all_journals_times_out") else {
        return;
    };
    dev.faults().delay(Rpc::List, Duration::from_secs(2));
    let mut config = env.client.config().clone();
    config.request_timeout = Some(Duration::from_millis(100));
    let client = gazette::Client::new(config).unwrap();
    let err = list_all_journals(&client, ListRequest::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::DeadlineExceeded));
    assert_eq!(err.to_string(), "context deadline exceeded");
    env.stop().await;
}

#[tokio::test]
async fn get_journal_strips_meta_and_reports_missing() {
    let env = Env::start().await;
    let journal = env.journal("get").await;
    let found = get_journal(&env.client, &format!("{journal};with/meta"))
        .await
        .unwrap();
    assert_eq!(found.spec.unwrap().name, journal);
    assert!(found.mod_revision > 0);

    let missing = unique("does/not/exist");
    let err = get_journal(&env.client, &missing).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("named journal does not exist ({missing})")
    );
    env.stop().await;
}

#[tokio::test]
async fn apply_in_batches() {
    let env = Env::start().await;
    let rpcs = |env: &Env| env.client.stats().snapshot().other_rpcs;

    for (size, expect_rpcs) in [(0, 1), (5, 1), (1, 5), (2, 3)] {
        let dir = unique("batches");
        let before = rpcs(&env);
        let response = apply_journals_in_batches(
            &env.client,
            ApplyRequest {
                changes: changes(&dir, 5),
            },
            size,
        )
        .await
        .unwrap();
        assert_eq!(rpcs(&env) - before, expect_rpcs, "batch size {size}");
        assert_eq!(response.status, 0);
        let listing = list_all_journals(&env.client, prefix_request(&dir))
            .await
            .unwrap();
        assert_eq!(listing.journals.len(), 5);
        // The last response's revision is the newest change's.
        let newest = listing.journals.iter().map(|j| j.mod_revision).max();
        assert_eq!(
            Some(response.header.unwrap().etcd.unwrap().revision),
            newest
        );
    }

    let before = rpcs(&env);
    let response = apply_journals(&env.client, ApplyRequest::default())
        .await
        .unwrap();
    assert_eq!(rpcs(&env) - before, 1, "an empty change list is still sent");
    assert_eq!(response.status, 0);
    env.stop().await;
}

#[tokio::test]
async fn apply_errors() {
    let env = Env::start().await;
    let journal = env.journal("apply-errors").await;

    // Creating an existing journal fails its precondition.
    let err = apply_journals(
        &env.client,
        ApplyRequest {
            changes: vec![create_change(spec(&journal, 1))],
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.to_string(), "ETCD_TRANSACTION_FAILED");
    assert_eq!(err.status(), Some(Status::EtcdTransactionFailed));

    // Batches before a failing one stay applied.
    let dir = unique("partial");
    let mut batch = changes(&dir, 2);
    batch.push(create_change(spec(&journal, 1)));
    let err = apply_journals_in_batches(&env.client, ApplyRequest { changes: batch }, 2)
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "ETCD_TRANSACTION_FAILED");
    let listing = list_all_journals(&env.client, prefix_request(&dir))
        .await
        .unwrap();
    assert_eq!(listing.journals.len(), 2);

    // An invalid spec fails the RPC itself.
    let mut bad = spec(&unique("bad"), 1);
    bad.replication = 9;
    let err = apply_journals(
        &env.client,
        ApplyRequest {
            changes: vec![create_change(bad)],
        },
    )
    .await
    .unwrap_err();
    assert_eq!(err.grpc_code(), Some(tonic::Code::Unknown), "got {err}");
    env.stop().await;
}

async fn fill_fragments(env: &Env, journal: &str) {
    // Fragments roll once 1 KiB is reached: three appends, two rolls.
    for fill in [b'a', b'b', b'c'] {
        let content = Bytes::from(vec![fill; 1100]);
        append(
            &env.client,
            AppendRequest {
                journal: journal.to_string(),
                ..Default::default()
            },
            &[&content],
        )
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn list_all_fragments_follows_pages() {
    let env = Env::start().await;
    let journal = env.journal("fragments").await;
    fill_fragments(&env, &journal).await;

    let one_page = list_all_fragments(
        &env.client,
        FragmentsRequest {
            journal: journal.clone(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let spans = |r: &gazette::protocol::FragmentsResponse| -> Vec<(i64, i64)> {
        r.fragments
            .iter()
            .map(|f| {
                let spec = f.spec.as_ref().unwrap();
                (spec.begin, spec.end)
            })
            .collect()
    };
    assert_eq!(spans(&one_page), [(0, 1100), (1100, 2200), (2200, 3300)]);

    let before = env.client.stats().snapshot().other_rpcs;
    let paged = list_all_fragments(
        &env.client,
        FragmentsRequest {
            journal: journal.clone(),
            page_limit: 1,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(spans(&paged), spans(&one_page));
    assert_eq!(paged.next_page_token, 0);
    assert_eq!(env.client.stats().snapshot().other_rpcs - before, 3);
    assert!(env.client.route_cache().get(&journal).is_some());
    env.stop().await;
}

#[tokio::test]
async fn list_all_fragments_errors() {
    let env = Env::start().await;
    let missing = unique("missing");
    let err = list_all_fragments(
        &env.client,
        FragmentsRequest {
            journal: missing,
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::JournalNotFound), "got {err}");

    let Some(dev) = env.dev("list_all_fragments_errors") else {
        return;
    };
    let journal = env.journal("fragment-errors").await;
    dev.faults().fail_next(
        Rpc::ListFragments,
        1,
        Fault::Grpc(tonic::Code::Unknown, "potato".into()),
    );
    let request = FragmentsRequest {
        journal: journal.clone(),
        ..Default::default()
    };
    let err = list_all_fragments(&env.client, request.clone())
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "rpc error: code = Unknown desc = potato");

    dev.faults()
        .fail_next(Rpc::ListFragments, 1, Fault::Status(Status::Suspended));
    let err = list_all_fragments(&env.client, request).await.unwrap_err();
    assert!(matches!(err, Error::Suspended), "got {err}");

    env.stop().await;
}

#[tokio::test]
async fn fragment_store_health_statuses() {
    let env = Env::start().await;
    let store = "file:///";
    let ok = match fragment_store_health(&env.client, store, "").await {
        // Brokers before v0.100 lack the RPC: a clear error, then skip.
        Err(gazette::Error::Unsupported { rpc, .. }) => {
            assert_eq!(rpc, "FragmentStoreHealth");
            eprintln!("skipped: the broker is older than v0.100 (no FragmentStoreHealth)");
            return;
        }
        other => other.unwrap(),
    };
    assert_eq!(ok.status, 0);

    let Some(dev) = env.dev("fragment_store_health_statuses") else {
        return;
    };
    dev.faults().fail_next(
        Rpc::FragmentStoreHealth,
        1,
        Fault::Status(Status::FragmentStoreUnhealthy),
    );
    let unhealthy = fragment_store_health(&env.client, store, "").await.unwrap();
    assert_eq!(unhealthy.status, Status::FragmentStoreUnhealthy as i32);

    dev.faults().fail_next(
        Rpc::FragmentStoreHealth,
        1,
        Fault::Status(Status::NotAllowed),
    );
    let err = fragment_store_health(&env.client, store, "")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotAllowed), "got {err}");

    dev.faults().fail_next(
        Rpc::FragmentStoreHealth,
        1,
        Fault::Grpc(tonic::Code::Internal, "boom".into()),
    );
    let err = fragment_store_health(&env.client, store, "")
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "rpc error: code = Internal desc = boom");
    env.stop().await;
}

#[tokio::test]
async fn polled_list_refreshes_and_stops_when_dropped() {
    let env = Env::start().await;
    let dir = unique("polled");
    apply_journals(
        &env.client,
        ApplyRequest {
            changes: changes(&dir, 1),
        },
    )
    .await
    .unwrap();
    let polled = PolledList::new(&env.client, Duration::from_millis(50), prefix_request(&dir))
        .await
        .unwrap();
    assert_eq!(polled.list().journals.len(), 1);
    let mut updates = polled.updates();
    assert!(updates.has_changed().unwrap(), "pre-signalled");
    updates.borrow_and_update();

    create_extra(&env, &dir).await;
    tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            updates.changed().await.unwrap();
            if updates.borrow_and_update().journals.len() == 2 {
                break;
            }
        }
    })
    .await
    .expect("refresh picks up the new journal");
    assert_eq!(polled.list().journals.len(), 2);
    assert!(polled.last_error().is_none());

    drop(polled);
    assert!(
        updates.changed().await.is_err(),
        "the refresher is gone once dropped"
    );
    env.stop().await;
}

async fn create_extra(env: &Env, dir: &str) {
    client_common::create(&env.client, spec(&format!("{dir}/extra"), 1)).await;
}

#[tokio::test]
async fn polled_list_returns_initial_error() {
    let env = Env::start().await;
    let Some(dev) = env.dev("polled_list_returns_initial_error") else {
        return;
    };
    dev.faults()
        .fail_next(Rpc::List, 1, Fault::Status(Status::NotAllowed));
    let err = PolledList::new(&env.client, Duration::from_secs(1), ListRequest::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotAllowed));
    env.stop().await;
}

#[tokio::test]
async fn listing_fails_over_to_the_next_endpoint() {
    let env = Env::start().await;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let config = gazette::ClientConfig::new(closed).with_endpoint(env.endpoints[0].clone());
    let client = gazette::Client::new(config).unwrap();
    list_all_journals(&client, ListRequest::default())
        .await
        .unwrap();
    match fragment_store_health(&client, "file:///", "").await {
        // Brokers before v0.100 lack the RPC; it still reached the live one.
        Err(gazette::Error::Unsupported { .. }) => {}
        other => {
            other.unwrap();
        }
    }
    let stats = client.stats().snapshot();
    assert_eq!(stats.retries, 1, "only the first call met the closed port");
    assert_eq!(
        client.default_client().unwrap().endpoint,
        env.endpoints[0],
        "the live endpoint is now the default"
    );
    env.stop().await;
}
