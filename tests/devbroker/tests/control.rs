//! The control protocol, driven through `control::execute` against a live
//! cluster (the binary test covers the stdin/stdout plumbing).

mod support;

use gazette_devbroker::{control::execute, DevBroker, Options, Rpc};
use gazette_protocol::{AppendRequest, CompressionCodec, ReadRequest, Status};
use support::*;

#[tokio::test]
async fn every_command_acts_on_the_cluster() {
    let tmp = tempfile::tempdir().unwrap();
    let b = DevBroker::start(Options {
        // These tests look at other behaviours: assign at once.
        assign_delay: std::time::Duration::ZERO,
        brokers: 2,
        store: Some(tmp.path().to_path_buf()),
        ..Default::default()
    })
    .await
    .unwrap();
    let mut c = client(b.endpoint(0)).await;
    let name = unique("control");
    create(&mut c, spec(&name, CompressionCodec::None, &["file:///"])).await;

    assert_eq!(
        execute(&b, "fail_next append 1 grpc deadline_exceeded too slow").await,
        "ok"
    );
    let e = append_with(
        &mut c,
        AppendRequest {
            journal: name.clone(),
            ..Default::default()
        },
        &[b"x"],
    )
    .await
    .unwrap_err();
    assert_eq!(
        (e.code(), e.message()),
        (tonic::Code::DeadlineExceeded, "too slow")
    );
    assert_eq!(
        execute(&b, "fail_next read 1 status INSUFFICIENT_JOURNAL_BROKERS").await,
        "ok"
    );
    let f = read_frames(
        &mut c,
        ReadRequest {
            journal: name.clone(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(f[0].status, Status::InsufficientJournalBrokers as i32);

    append(&mut c, &name, &[&[1u8; 64]]).await;
    assert_eq!(execute(&b, "cut_stream_after read 10").await, "ok");
    let mut s = c
        .read(ReadRequest {
            journal: name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mut got = 0;
    while let Ok(Some(m)) = s.message().await {
        got += m.content.len();
    }
    assert_eq!(got, 10);

    assert_eq!(execute(&b, "delay list 50").await, "ok");
    assert_eq!(execute(&b, "clear_faults").await, "ok");
    let t = std::time::Instant::now();
    c.list(gazette_protocol::ListRequest::default())
        .await
        .unwrap();
    assert!(t.elapsed() < std::time::Duration::from_millis(50));

    assert_eq!(execute(&b, &format!("move_primary {name} 1")).await, "ok");
    assert!(execute(&b, "move_primary no/such/journal 1")
        .await
        .starts_with("error: "));
    assert_eq!(execute(&b, "flush_all").await, "ok");
    assert!(tmp.path().join(&name).is_dir());
    assert_eq!(
        execute(&b, "count 0 read").await,
        format!("ok {}", b.counters().get(0, Rpc::Read))
    );

    assert_eq!(execute(&b, "stop_broker 1").await, "ok");
    assert!(execute(&b, "stop_broker 1").await.starts_with("error: "));
    assert_eq!(execute(&b, "restart_broker 1").await, "ok");
    assert!(execute(&b, "restart_broker 1").await.starts_with("error: "));

    for bad in [
        "",
        "nope",
        "delay sideways 5",
        "fail_next read x grpc unknown",
        "fail_next read 1 grpc bogus",
        "count 9 read",
        "flush",
    ] {
        assert!(execute(&b, bad).await.starts_with("error: "), "{bad:?}");
    }
}
