//! Where the dev broker imitates real brokers that are less kind than an
//! instant allocator, and the per-version differences of `--version`.

mod support;

use std::time::Duration;

use gazette_devbroker::{DevBroker, Options, Version};
use gazette_protocol::{
    FragmentStoreHealthRequest, Label, LabelSelector, LabelSet, ListRequest, ListResponse,
    ReadRequest, Status,
};
use support::*;

/// Long enough that nothing in a test outlives it.
const NEVER: Duration = Duration::from_secs(3600);

async fn start(version: Version, assign_delay: Duration, brokers: usize) -> (DevBroker, Client) {
    let b = DevBroker::start(Options {
        brokers,
        version,
        assign_delay,
        ..Default::default()
    })
    .await
    .unwrap();
    let c = client(b.endpoint(0)).await;
    (b, c)
}

/// One Append RPC, whatever its status.
async fn try_append(c: &mut Client, journal: &str) -> gazette_protocol::AppendResponse {
    let first = gazette_protocol::AppendRequest {
        journal: journal.to_string(),
        ..Default::default()
    };
    append_with(c, first, &[b"x"]).await.expect("append RPC")
}

async fn list(c: &mut Client, labels: Vec<Label>, watch: bool) -> Vec<ListResponse> {
    let req = ListRequest {
        selector: Some(LabelSelector {
            include: Some(LabelSet { labels }),
            exclude: None,
        }),
        watch,
        ..Default::default()
    };
    let mut s = c.list(req).await.unwrap().into_inner();
    let mut out = vec![];
    while let Some(m) = s.message().await.unwrap() {
        out.push(m);
    }
    out
}

fn name_label(value: &str, prefix: bool) -> Label {
    Label {
        name: "name".into(),
        value: value.into(),
        prefix,
    }
}

#[tokio::test]
async fn a_new_journal_is_unassigned_until_the_allocator_runs() {
    let (_b, mut c) = start(Version::Current, NEVER, 1).await;
    let name = unique("unassigned");
    create(
        &mut c,
        spec(&name, gazette_protocol::CompressionCodec::None, &[]),
    )
    .await;

    let resp = try_append(&mut c, &name).await;
    assert_eq!(resp.status, Status::NoJournalPrimaryBroker as i32);
    let route = resp.header.unwrap().route.unwrap();
    assert_eq!((route.primary, route.members.len()), (-1, 0));

    let frames = read_frames(
        &mut c,
        ReadRequest {
            journal: name.clone(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(frames[0].status, Status::InsufficientJournalBrokers as i32);

    let listed = list(&mut c, vec![name_label(&name, false)], false).await;
    let route = listed[0].journals[0].route.clone().unwrap();
    assert_eq!((route.primary, route.members.len()), (-1, 0));
}

#[tokio::test]
async fn the_allocator_assigns_after_its_delay_at_a_new_revision() {
    let (_b, mut c) = start(Version::Current, Duration::from_millis(20), 1).await;
    let name = unique("assigned-later");
    let created = create(
        &mut c,
        spec(&name, gazette_protocol::CompressionCodec::None, &[]),
    )
    .await;
    let created_at = created.header.unwrap().etcd.unwrap().revision;
    // Appends answer NO_JOURNAL_PRIMARY_BROKER until the allocator ran.
    let mut c2 = c.clone();
    let resp = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let r = try_append(&mut c2, &name).await;
            if r.status == Status::Ok as i32 {
                return r;
            }
            assert_eq!(r.status, Status::NoJournalPrimaryBroker as i32);
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("assigned within 10 s");
    let h = resp.header.unwrap();
    assert!(h.etcd.unwrap().revision > created_at);
    assert_eq!(h.route.unwrap().primary, 0);
}

#[tokio::test]
async fn with_no_delay_a_stopped_brokers_journals_move_at_once() {
    let (b, mut c) = start(Version::Current, Duration::ZERO, 2).await;
    let name = unique("orphaned");
    create(
        &mut c,
        spec(&name, gazette_protocol::CompressionCodec::None, &[]),
    )
    .await;
    b.move_primary(&name, 1);
    // With a zero delay the journal moves to the surviving broker at once.
    // (The delay is fixed per cluster, so no test here yet shows an assigned
    // journal going unassigned when its broker stops.)
    assert!(b.stop_broker(1).await);
    let resp = try_append(&mut c, &name).await;
    assert_eq!(resp.status, Status::Ok as i32);
    assert_eq!(resp.header.unwrap().route.unwrap().members.len(), 1);
}

#[tokio::test]
async fn a_stopped_brokers_journals_are_unassigned_meanwhile() {
    let (b, mut c) = start(Version::Current, NEVER, 2).await;
    let name = unique("orphaned-wait");
    // Created while the delay is long: unassigned already; stopping broker 1
    // keeps it so, and journals on broker 0 only are not touched.
    create(
        &mut c,
        spec(&name, gazette_protocol::CompressionCodec::None, &[]),
    )
    .await;
    assert!(b.stop_broker(1).await);
    let resp = try_append(&mut c, &name).await;
    assert_eq!(resp.status, Status::NoJournalPrimaryBroker as i32);
}

#[tokio::test]
async fn store_health_is_unimplemented_before_current() {
    for version in [Version::V0_89, Version::V0_99] {
        let (_b, mut c) = start(version, Duration::ZERO, 1).await;
        let err = c
            .fragment_store_health(FragmentStoreHealthRequest {
                fragment_store: "file:///".into(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), tonic::Code::Unimplemented, "{version}");
        assert_eq!(
            err.message(),
            "unknown method FragmentStoreHealth for service protocol.Journal"
        );
    }
    let (_b, mut c) = start(Version::Current, Duration::ZERO, 1).await;
    assert!(c
        .fragment_store_health(FragmentStoreHealthRequest {
            fragment_store: "file:///".into(),
            ..Default::default()
        })
        .await
        .is_ok());
}

#[tokio::test]
async fn prefix_selectors_match_only_on_current() {
    for (version, want) in [
        (Version::V0_89, 0),
        (Version::V0_99, 0),
        (Version::Current, 2),
    ] {
        let (_b, mut c) = start(version, Duration::ZERO, 1).await;
        let base = unique("prefixed");
        for n in ["a", "b"] {
            let name = format!("{base}/{n}");
            create(
                &mut c,
                spec(&name, gazette_protocol::CompressionCodec::None, &[]),
            )
            .await;
        }
        let by_flag = list(&mut c, vec![name_label(&format!("{base}/"), true)], false).await;
        let got: usize = by_flag.iter().map(|m| m.journals.len()).sum();
        assert_eq!(got, want, "{version}: name:prefix selector");
        // The `prefix` meta-label works on every version.
        let meta = Label {
            name: "prefix".into(),
            value: format!("{base}/"),
            prefix: false,
        };
        let by_meta = list(&mut c, vec![meta], false).await;
        let got: usize = by_meta.iter().map(|m| m.journals.len()).sum();
        assert_eq!(got, 2, "{version}: prefix meta-label");
    }
}

#[tokio::test]
async fn old_brokers_list_in_one_message_without_watches() {
    for version in [Version::V0_89, Version::V0_99] {
        let (_b, mut c) = start(version, Duration::ZERO, 1).await;
        let base = unique("many");
        for i in 0..30 {
            let name = format!("{base}/{i:02}");
            create(
                &mut c,
                spec(&name, gazette_protocol::CompressionCodec::None, &[]),
            )
            .await;
        }
        let meta = Label {
            name: "prefix".into(),
            value: format!("{base}/"),
            prefix: false,
        };
        // A watch request ends after its one answer, as a unary RPC does.
        let msgs = list(&mut c, vec![meta], true).await;
        assert_eq!(msgs.len(), 1);
        assert_eq!(msgs[0].journals.len(), 30);
        // create_revision arrived after v0.89.
        let want_create = version > Version::V0_89;
        assert!(msgs[0]
            .journals
            .iter()
            .all(|j| (j.create_revision > 0) == want_create));
        assert!(msgs[0].journals.iter().all(|j| j.mod_revision > 0));
    }
}
