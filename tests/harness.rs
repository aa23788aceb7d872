//! Checks the shared harness itself: it starts brokers (or finds the real
//! one), creates journals, and exposes the dev broker for fault injection.

mod common;

use bytes::Bytes;
use common::TestEnv;
use gazette::protocol::{AppendRequest, CompressionCodec, ReadRequest};

#[tokio::test]
async fn harness_creates_journals_that_take_appends() {
    let env = TestEnv::start(2).await;
    let name = env.create_journal("harness", CompressionCodec::Gzip).await;
    let mut c = env.raw_client().await;
    let msgs = vec![
        AppendRequest {
            journal: name.clone(),
            ..Default::default()
        },
        AppendRequest {
            content: Bytes::from_static(b"hi"),
            ..Default::default()
        },
        AppendRequest::default(),
    ];
    let r = c
        .append(tokio_stream::iter(msgs))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((r.status, r.commit.unwrap().end), (0, 2));
    let mut s = c
        .read(ReadRequest {
            journal: name,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mut got = vec![];
    while let Some(m) = s.message().await.unwrap() {
        got.extend_from_slice(&m.content);
    }
    assert_eq!(got, b"hi");
    assert!(env.fragment_root().is_dir());
    match env.dev() {
        Some(dev) => assert_eq!(dev.endpoints().len(), 2),
        None => common::skip(),
    }
}
