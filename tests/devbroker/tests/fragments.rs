//! ListFragments paging and mod-time bounds, and Reads of persisted
//! fragments: fragment URLs, `do_not_proxy`, and offset jumps.

mod support;

use gazette_devbroker::{DevBroker, Options};
use gazette_protocol::{CompressionCodec, FragmentsRequest, ReadRequest, Status};
use support::*;

/// A journal with three persisted fragments [0,5) [5,1029) [1029,2053) and
/// an open one [2053,2058).
async fn setup(tmp: &std::path::Path) -> (DevBroker, Client, String) {
    let b = DevBroker::start(Options {
        // These tests look at other behaviours: assign at once.
        assign_delay: std::time::Duration::ZERO,
        store: Some(tmp.to_path_buf()),
        ..Default::default()
    })
    .await
    .unwrap();
    let mut c = client(b.endpoint(0)).await;
    let name = unique("frags");
    create(
        &mut c,
        spec(&name, CompressionCodec::Zstandard, &["file:///"]),
    )
    .await;
    append(&mut c, &name, &[b"hello"]).await;
    append(&mut c, &name, &[&[b'a'; 1024]]).await;
    append(&mut c, &name, &[&[b'b'; 1024]]).await;
    append(&mut c, &name, &[b"tail!"]).await;
    (b, c, name)
}

async fn fragments(c: &mut Client, req: FragmentsRequest) -> gazette_protocol::FragmentsResponse {
    c.list_fragments(req).await.unwrap().into_inner()
}

fn spans(r: &gazette_protocol::FragmentsResponse) -> Vec<(i64, i64)> {
    r.fragments
        .iter()
        .map(|f| f.spec.as_ref().map(|s| (s.begin, s.end)).unwrap())
        .collect()
}

#[tokio::test]
async fn list_fragments_pages_and_bounds() {
    let tmp = tempfile::tempdir().unwrap();
    let (_b, mut c, name) = setup(tmp.path()).await;
    let base = FragmentsRequest {
        journal: name.clone(),
        ..Default::default()
    };

    let all = fragments(&mut c, base.clone()).await;
    assert_valid_header(all.header.as_ref().unwrap());
    assert_eq!(
        spans(&all),
        vec![(0, 5), (5, 1029), (1029, 2053), (2053, 2058)]
    );
    assert_eq!(all.next_page_token, 0);
    assert!(
        all.fragments.iter().all(|f| f.signed_url.is_empty()),
        "no signatureTTL, no URLs"
    );

    let p1 = fragments(
        &mut c,
        FragmentsRequest {
            page_limit: 2,
            ..base.clone()
        },
    )
    .await;
    assert_eq!(
        (spans(&p1), p1.next_page_token),
        (vec![(0, 5), (5, 1029)], 1029)
    );
    let p2 = fragments(
        &mut c,
        FragmentsRequest {
            page_limit: 2,
            next_page_token: 1029,
            ..base.clone()
        },
    )
    .await;
    assert_eq!(
        (spans(&p2), p2.next_page_token),
        (vec![(1029, 2053), (2053, 2058)], 0)
    );

    // end_mod_time leaves out the open fragment; bounds are inclusive.
    let mt = all.fragments[0].spec.as_ref().unwrap().mod_time;
    let bounded = fragments(
        &mut c,
        FragmentsRequest {
            begin_mod_time: mt - 10,
            end_mod_time: mt + 10,
            ..base.clone()
        },
    )
    .await;
    assert_eq!(spans(&bounded).len(), 3);
    let later = fragments(
        &mut c,
        FragmentsRequest {
            begin_mod_time: mt + 3600,
            ..base.clone()
        },
    )
    .await;
    assert_eq!(
        spans(&later),
        vec![(2053, 2058)],
        "local fragments have mod_time 0 and pass begin_mod_time"
    );
    let earlier = fragments(
        &mut c,
        FragmentsRequest {
            end_mod_time: mt - 3600,
            ..base.clone()
        },
    )
    .await;
    assert!(earlier.fragments.is_empty());

    let ttl = Some(prost_types::Duration {
        seconds: 60,
        nanos: 0,
    });
    let signed = fragments(
        &mut c,
        FragmentsRequest {
            signature_ttl: ttl,
            ..base.clone()
        },
    )
    .await;
    for f in &signed.fragments[..3] {
        assert_eq!(
            f.signed_url,
            format!(
                "file:///{}",
                gazette_protocol::content_path(f.spec.as_ref().unwrap())
            )
        );
    }
    assert!(signed.fragments[3].signed_url.is_empty());

    let bad = c
        .list_fragments(FragmentsRequest {
            page_limit: 10_001,
            ..base.clone()
        })
        .await
        .unwrap_err();
    assert_eq!(bad.code(), tonic::Code::Unknown);
    let missing = fragments(
        &mut c,
        FragmentsRequest {
            journal: unique("nope"),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(missing.status, Status::JournalNotFound as i32);
}

#[tokio::test]
async fn reads_of_persisted_fragments_carry_urls_and_stream_content() {
    let tmp = tempfile::tempdir().unwrap();
    let (_b, mut c, name) = setup(tmp.path()).await;

    // do_not_proxy: the metadata frame with the URL, then the stream ends.
    let f = read_frames(
        &mut c,
        ReadRequest {
            journal: name.clone(),
            offset: 7,
            do_not_proxy: true,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(f.len(), 1);
    let frag = f[0].fragment.clone().unwrap();
    assert_eq!(
        (f[0].offset, frag.begin, frag.end, f[0].write_head),
        (7, 5, 1029, 2058)
    );
    assert_eq!(frag.backing_store, "file:///");
    assert!(frag.mod_time > 0);
    let url = f[0].fragment_url.clone();
    assert!(
        url.starts_with(&format!(
            "file:///{name}/0000000000000005-0000000000000405-"
        )) && url.ends_with(".zst"),
        "{url}"
    );
    let file = tmp.path().join(url.strip_prefix("file:///").unwrap());
    assert!(file.exists());

    // Without it, the broker decodes its own file and streams the content,
    // with a new metadata frame at each fragment boundary.
    let f = read_frames(
        &mut c,
        ReadRequest {
            journal: name.clone(),
            offset: 3,
            ..Default::default()
        },
    )
    .await;
    let metas: Vec<_> = f
        .iter()
        .filter(|f| f.fragment.is_some())
        .map(|f| (f.offset, f.fragment_url.is_empty()))
        .collect();
    assert_eq!(
        metas,
        vec![(3, false), (5, false), (1029, false), (2053, true)]
    );
    let data: Vec<u8> = f.iter().flat_map(|f| f.content.to_vec()).collect();
    let mut want = b"lo".to_vec();
    want.extend([b'a'; 1024]);
    want.extend([b'b'; 1024]);
    want.extend(b"tail!");
    assert_eq!(data, want);
}

#[tokio::test]
async fn reads_jump_over_missing_content() {
    let tmp = tempfile::tempdir().unwrap();
    let (_b, mut c, name) = setup(tmp.path()).await;
    // Delete the first fragment's file: offset 0 now lies before the index.
    let first = read_frames(
        &mut c,
        ReadRequest {
            journal: name.clone(),
            offset: 0,
            metadata_only: true,
            ..Default::default()
        },
    )
    .await;
    std::fs::remove_file(
        tmp.path()
            .join(first[0].fragment_url.strip_prefix("file:///").unwrap()),
    )
    .unwrap();
    // The broker notices at its next store listing (refresh interval 1 s).
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let listed = fragments(
            &mut c,
            FragmentsRequest {
                journal: name.clone(),
                ..Default::default()
            },
        )
        .await;
        if spans(&listed)[0].0 == 5 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "never relisted");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    let f = read_frames(
        &mut c,
        ReadRequest {
            journal: name.clone(),
            offset: 0,
            end_offset: 10,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        f[0].offset, 5,
        "jumped forward to the next available fragment"
    );
    assert_eq!(f[0].fragment.as_ref().unwrap().begin, 5);
    let data: Vec<u8> = f.iter().flat_map(|f| f.content.to_vec()).collect();
    assert_eq!(data, b"aaaaa");
    let listed = fragments(
        &mut c,
        FragmentsRequest {
            journal: name.clone(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(spans(&listed)[0], (5, 1029));
}

#[tokio::test]
async fn fragment_store_health_checks_the_store() {
    use gazette_protocol::FragmentStoreHealthRequest;
    let tmp = tempfile::tempdir().unwrap();
    let (b, mut c, _name) = setup(tmp.path()).await;
    let health = |store: &str| FragmentStoreHealthRequest {
        fragment_store: store.into(),
        ..Default::default()
    };
    let ok = c
        .fragment_store_health(health("file:///sub/"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((ok.status, ok.store_health_error.as_str()), (0, ""));
    assert_valid_header(ok.header.as_ref().unwrap());
    let s3 = c
        .fragment_store_health(health("s3://bucket/prefix/"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(s3.status, Status::FragmentStoreUnhealthy as i32);
    assert!(!s3.store_health_error.is_empty());
    // A store directory blocked by a plain file is unhealthy.
    std::fs::write(tmp.path().join("blocked"), b"").unwrap();
    let bad = c
        .fragment_store_health(health("file:///blocked/"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(bad.status, Status::FragmentStoreUnhealthy as i32);
    assert!(
        bad.store_health_error.contains("blocked"),
        "{}",
        bad.store_health_error
    );
    let err = c
        .fragment_store_health(health("not a url"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unknown);
    drop(b);
}
