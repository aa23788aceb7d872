//! Fault injection: failing the next RPCs, cutting streams, delays.

mod support;

use std::time::{Duration, Instant};

use gazette_devbroker::{DevBroker, Fault, Options, Rpc};
use gazette_protocol::{
    AppendRequest, ApplyRequest, CompressionCodec, ListRequest, ReadRequest, Status,
};
use support::*;

async fn start() -> (DevBroker, Client, String) {
    let b = DevBroker::start(Options {
        assign_delay: std::time::Duration::ZERO,
        ..Default::default()
    })
    .await
    .unwrap();
    let mut c = client(b.endpoint(0)).await;
    let name = unique("faults");
    create(&mut c, spec(&name, CompressionCodec::None, &[])).await;
    (b, c, name)
}

#[tokio::test]
async fn fail_next_with_grpc_errors_and_statuses() {
    let (b, mut c, name) = start().await;
    b.faults().fail_next(
        Rpc::Append,
        2,
        Fault::Grpc(tonic::Code::Unavailable, "injected".into()),
    );
    for _ in 0..2 {
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
            (tonic::Code::Unavailable, "injected")
        );
    }
    append(&mut c, &name, &[b"third"]).await;

    b.faults()
        .fail_next(Rpc::Read, 1, Fault::Status(Status::NotJournalBroker));
    let f = read_frames(
        &mut c,
        ReadRequest {
            journal: name.clone(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!((f.len(), f[0].status), (1, Status::NotJournalBroker as i32));
    assert_valid_header(f[0].header.as_ref().unwrap());
    assert_eq!(
        f[0].header
            .as_ref()
            .unwrap()
            .route
            .as_ref()
            .unwrap()
            .members
            .len(),
        1
    );
    assert_eq!(
        read_all(&mut c, &name, 0).await,
        b"third",
        "only the next read was affected"
    );

    b.faults().fail_next(
        Rpc::Append,
        1,
        Fault::Status(Status::InsufficientJournalBrokers),
    );
    let r = append_with(
        &mut c,
        AppendRequest {
            journal: name.clone(),
            ..Default::default()
        },
        &[b"x"],
    )
    .await
    .unwrap();
    assert_eq!(r.status, Status::InsufficientJournalBrokers as i32);

    b.faults().fail_next(
        Rpc::Append,
        1,
        Fault::Status(Status::FragmentStoreUnhealthy),
    );
    let r = append_with(
        &mut c,
        AppendRequest {
            journal: name.clone(),
            ..Default::default()
        },
        &[b"x"],
    )
    .await
    .unwrap();
    assert_eq!(r.status, Status::FragmentStoreUnhealthy as i32);
    // Like a real broker, it says what is wrong with the store.
    assert!(!r.store_health_error.is_empty());

    b.faults()
        .fail_next(Rpc::Append, 1, Fault::Status(Status::RegisterMismatch));
    let r = append_with(
        &mut c,
        AppendRequest {
            journal: name.clone(),
            ..Default::default()
        },
        &[b"x"],
    )
    .await
    .unwrap();
    assert_eq!(r.status, Status::RegisterMismatch as i32);
    assert!(
        r.registers.is_some(),
        "a valid REGISTER_MISMATCH has registers"
    );

    b.faults()
        .fail_next(Rpc::Apply, 1, Fault::Status(Status::EtcdTransactionFailed));
    let r = c.apply(ApplyRequest::default()).await.unwrap().into_inner();
    assert_eq!(r.status, Status::EtcdTransactionFailed as i32);

    b.faults().fail_next(
        Rpc::List,
        1,
        Fault::Grpc(tonic::Code::Internal, "boom".into()),
    );
    assert_eq!(
        c.list(ListRequest::default()).await.unwrap_err().code(),
        tonic::Code::Internal
    );
    assert_eq!(b.counters().get(0, Rpc::List), 1);
}

#[tokio::test]
async fn cut_streams_after_n_bytes() {
    let (b, mut c, name) = start().await;
    let data = vec![7u8; 1000];
    append(&mut c, &name, &[&data]).await;

    b.faults().cut_stream_after(Rpc::Read, 100);
    let mut s = c
        .read(ReadRequest {
            journal: name.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mut got = 0;
    let err = loop {
        match s.message().await {
            Ok(Some(m)) => got += m.content.len(),
            Ok(None) => panic!("stream ended cleanly"),
            Err(e) => break e,
        }
    };
    assert_eq!(got, 100);
    assert_eq!(err.code(), tonic::Code::Unavailable);

    b.faults().cut_stream_after(Rpc::Append, 10);
    let e = append_with(
        &mut c,
        AppendRequest {
            journal: name.clone(),
            ..Default::default()
        },
        &[b"0123456789abcdef"],
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), tonic::Code::Unavailable);
    let r = append(&mut c, &name, &[b"!"]).await.commit.unwrap();
    assert_eq!(r.begin, 1000, "the cut append committed nothing");
}

#[tokio::test]
async fn delays_slow_rpcs_down_until_cleared() {
    let (b, mut c, _name) = start().await;
    b.faults().delay(Rpc::List, Duration::from_millis(300));
    let t = Instant::now();
    c.list(ListRequest::default()).await.unwrap();
    assert!(t.elapsed() >= Duration::from_millis(300));
    b.faults().delay(Rpc::List, Duration::ZERO);
    let t = Instant::now();
    c.list(ListRequest::default()).await.unwrap();
    assert!(t.elapsed() < Duration::from_millis(300));
}
