//! List watches, begin_mod_time reads, and streams ending cleanly when a
//! broker stops.

mod support;

use std::time::Duration;

use gazette_devbroker::{DevBroker, Options};
use gazette_protocol::{CompressionCodec, LabelSelector, LabelSet, ListRequest, ReadRequest};
use support::*;

fn prefix(p: &str) -> Option<LabelSelector> {
    Some(LabelSelector {
        include: Some(LabelSet::from_pairs([("prefix", p)])),
        exclude: None,
    })
}

#[tokio::test]
async fn list_watch_sends_a_snapshot_per_change() {
    let b = DevBroker::start(Options {
        assign_delay: std::time::Duration::ZERO,
        ..Default::default()
    })
    .await
    .unwrap();
    let mut c = client(b.endpoint(0)).await;
    let base = unique("watch");
    create(
        &mut c,
        spec(&format!("{base}/a"), CompressionCodec::None, &[]),
    )
    .await;
    let mut s = c
        .list(ListRequest {
            selector: prefix(&format!("{base}/")),
            watch: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let first = s.message().await.unwrap().unwrap();
    assert_eq!(first.journals.len(), 1);
    let rev1 = first.header.clone().unwrap().etcd.unwrap().revision;
    let marker = s.message().await.unwrap().unwrap();
    assert_eq!(
        marker,
        Default::default(),
        "an empty ListResponse ends each snapshot"
    );

    // A change outside the selector sends nothing; a matching one sends a snapshot.
    create(
        &mut c,
        spec(&unique("elsewhere"), CompressionCodec::None, &[]),
    )
    .await;
    create(
        &mut c,
        spec(&format!("{base}/b"), CompressionCodec::None, &[]),
    )
    .await;
    let next = tokio::time::timeout(Duration::from_secs(5), s.message())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(next.journals.len(), 2);
    let h = next.header.unwrap();
    assert!(h.etcd.unwrap().revision > rev1 + 1);

    // Resuming from the latest header waits for a newer change.
    let mut resumed = c
        .list(ListRequest {
            selector: prefix(&format!("{base}/")),
            watch: true,
            watch_resume: Some(h),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        tokio::time::timeout(Duration::from_millis(200), resumed.message())
            .await
            .is_err(),
        "nothing new yet"
    );
    create(
        &mut c,
        spec(&format!("{base}/c"), CompressionCodec::None, &[]),
    )
    .await;
    let m = tokio::time::timeout(Duration::from_secs(5), resumed.message())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(m.journals.len(), 3);
}

#[tokio::test]
async fn begin_mod_time_skips_older_persisted_fragments() {
    let tmp = tempfile::tempdir().unwrap();
    let b = DevBroker::start(Options {
        // These tests look at other behaviours: assign at once.
        assign_delay: std::time::Duration::ZERO,
        store: Some(tmp.path().to_path_buf()),
        ..Default::default()
    })
    .await
    .unwrap();
    let mut c = client(b.endpoint(0)).await;
    let name = unique("modtime");
    create(&mut c, spec(&name, CompressionCodec::None, &["file:///"])).await;
    append(&mut c, &name, &[b"old"]).await;
    append(&mut c, &name, &[b"new"]).await; // [0,3) is persisted now
    let future = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        + 60;
    let f = read_frames(
        &mut c,
        ReadRequest {
            journal: name.clone(),
            offset: 0,
            begin_mod_time: future,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        f[0].offset, 3,
        "the persisted fragment is older than begin_mod_time"
    );
    let data: Vec<u8> = f.iter().flat_map(|f| f.content.to_vec()).collect();
    assert_eq!(data, b"new");
}

#[tokio::test]
async fn stopping_a_broker_ends_blocked_reads_cleanly() {
    let b = DevBroker::start(Options {
        assign_delay: std::time::Duration::ZERO,
        ..Default::default()
    })
    .await
    .unwrap();
    let mut c = client(b.endpoint(0)).await;
    let name = unique("stop");
    create(&mut c, spec(&name, CompressionCodec::None, &[])).await;
    let mut s = c
        .read(ReadRequest {
            journal: name.clone(),
            offset: 0,
            block: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    until("the read waits at the write head", || {
        b.counters().read_waits() > 0
    })
    .await;
    let stop = tokio::spawn(async move { b.shutdown().await });
    let end = tokio::time::timeout(Duration::from_secs(5), s.message())
        .await
        .unwrap();
    assert!(matches!(end, Ok(None)), "{end:?}");
    stop.await.unwrap();
}

#[tokio::test]
async fn min_etcd_revision_waits_for_the_revision() {
    let b = DevBroker::start(Options {
        assign_delay: std::time::Duration::ZERO,
        ..Default::default()
    })
    .await
    .unwrap();
    let mut c = client(b.endpoint(0)).await;
    let name = unique("minrev");
    let rev = create(&mut c, spec(&name, CompressionCodec::None, &[]))
        .await
        .header
        .unwrap()
        .etcd
        .unwrap()
        .revision;
    let req = ReadRequest {
        journal: name.clone(),
        min_etcd_revision: rev + 1,
        ..Default::default()
    };
    let mut c2 = c.clone();
    let read = tokio::spawn(async move { read_frames(&mut c2, req).await });
    until("the read waits for the revision", || {
        b.counters().revision_waits() > 0
    })
    .await;
    assert!(
        !read.is_finished(),
        "the read waits for revision {}",
        rev + 1
    );
    create(&mut c, spec(&unique("bump"), CompressionCodec::None, &[])).await;
    let f = tokio::time::timeout(Duration::from_secs(5), read)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        f[0].header.as_ref().unwrap().etcd.unwrap().revision,
        rev + 1
    );
}
