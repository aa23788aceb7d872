//! Checks the shared harness itself: it starts brokers (or uses the real one
//! named by GAZETTE_TEST_BROKER), creates journals, and exposes the dev broker
//! for fault injection. One test, because it sets process-wide variables.

mod common;

use bytes::Bytes;
use common::TestEnv;
use gazette::protocol::{AppendRequest, CompressionCodec, ReadRequest};

async fn append_and_read(env: &TestEnv) {
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
}

#[tokio::test]
async fn harness_uses_a_dev_cluster_or_the_named_broker() {
    let env = TestEnv::start(2).await;
    append_and_read(&env).await;
    assert!(env.fragment_root().is_dir());
    let Some(dev) = env.dev() else {
        // Already running against a real broker: nothing more to check here.
        return common::skip();
    };
    assert_eq!(dev.endpoints().len(), 2);
    assert_eq!(env.endpoints(), dev.endpoints().as_slice());

    // Pointed at a broker (here: the dev cluster above, by address only), the
    // harness uses it as a real one, with the given fragment root.
    let addr = env.endpoint().trim_start_matches("http://").to_string();
    std::env::set_var("GAZETTE_TEST_BROKER", &addr);
    std::env::set_var("GAZETTE_TEST_FRAGMENT_ROOT", env.fragment_root());
    let real = TestEnv::start(3).await;
    std::env::remove_var("GAZETTE_TEST_BROKER");
    std::env::remove_var("GAZETTE_TEST_FRAGMENT_ROOT");
    assert!(real.is_real() && real.dev().is_none());
    assert_eq!(real.endpoints(), &[format!("http://{addr}")]);
    assert_eq!(real.fragment_root(), env.fragment_root());
    append_and_read(&real).await;
    assert_ne!(real.unique_journal("x"), real.unique_journal("x"));
}
