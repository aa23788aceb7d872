//! Fragments roll and persist to the `file:///` store in every codec, named
//! and laid out as Gazette does; replaying the real broker's appends gives the
//! real broker's fragments.

mod support;

use std::io::Read;
use std::path::Path;

use gazette_devbroker::{DevBroker, Options};
use gazette_protocol::{
    parse_fragment_from_relative_path, CompressionCodec, FragmentsRequest, ReadRequest,
};
use support::*;

fn decode(codec: i32, file: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match CompressionCodec::try_from(codec).unwrap() {
        CompressionCodec::None => out.extend_from_slice(file),
        CompressionCodec::Gzip => {
            flate2::read::MultiGzDecoder::new(file)
                .read_to_end(&mut out)
                .unwrap();
        }
        CompressionCodec::Snappy => {
            snap::read::FrameDecoder::new(file)
                .read_to_end(&mut out)
                .unwrap();
        }
        CompressionCodec::Zstandard => {
            zstd::stream::read::Decoder::new(file)
                .unwrap()
                .read_to_end(&mut out)
                .unwrap();
        }
        c => panic!("unexpected codec {c:?}"),
    }
    out
}

/// Every file under `dir`, as paths relative to it.
fn files(dir: &Path) -> Vec<String> {
    let mut out = vec![];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                out.push(
                    e.path()
                        .strip_prefix(dir)
                        .unwrap()
                        .to_str()
                        .unwrap()
                        .to_string(),
                );
            }
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn replaying_the_vectors_persists_the_same_fragments_in_every_codec() {
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
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{VECTORS}/fragments.json")).unwrap(),
    )
    .unwrap();
    let template = "utc_date={{ .Spool.FirstAppendTime.Format \"2006-01-02\" }}/utc_hour={{ .Spool.FirstAppendTime.Format \"15\" }}";

    for j in manifest["journals"].as_array().unwrap() {
        let codec =
            CompressionCodec::from_str_name(j["compression_codec"].as_str().unwrap()).unwrap();
        let content =
            std::fs::read(format!("{VECTORS}/{}", j["content_file"].as_str().unwrap())).unwrap();
        let name = unique(&format!("codec-{}", codec.as_str_name().to_lowercase()));
        let mut s = spec(&name, codec, &["file:///"]);
        if codec == CompressionCodec::Zstandard {
            s.fragment.as_mut().unwrap().path_postfix_template = template.to_string();
        }
        create(&mut c, s).await;
        for a in j["appends"].as_array().unwrap() {
            let (lo, hi) = (
                a[0].as_u64().unwrap() as usize,
                a[1].as_u64().unwrap() as usize,
            );
            append(&mut c, &name, &[&content[lo..hi]]).await;
        }

        // ListFragments reports what the real broker reported: same spans and sums.
        let resp = c
            .list_fragments(FragmentsRequest {
                journal: name.clone(),
                signature_ttl: Some(prost_types::Duration {
                    seconds: 60,
                    nanos: 0,
                }),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(resp.status, 0);
        let mut want = j["fragments"].as_array().unwrap().clone();
        want.push(j["open_fragment"].clone());
        assert_eq!(resp.fragments.len(), want.len(), "{name}");
        for (got, want) in resp.fragments.iter().zip(&want) {
            let f = got.spec.as_ref().unwrap();
            assert_eq!(
                (f.begin, f.end),
                (
                    want["begin"].as_i64().unwrap(),
                    want["end"].as_i64().unwrap()
                )
            );
            assert_eq!(
                sum_hex(f.sum.as_ref().unwrap()),
                want["sha1"].as_str().unwrap()
            );
            assert_eq!(f.compression_codec, codec as i32);
            let persisted = !want["path"].as_str().unwrap().is_empty();
            assert_eq!(!f.backing_store.is_empty(), persisted);
            assert_eq!(f.mod_time != 0, persisted);
            if persisted {
                assert_eq!(f.backing_store, "file:///");
                assert_eq!(
                    got.signed_url,
                    format!("file:///{}", gazette_protocol::content_path(f))
                );
                if codec == CompressionCodec::Zstandard {
                    assert!(
                        f.path_postfix.starts_with("utc_date=2")
                            && f.path_postfix.contains("/utc_hour="),
                        "{}",
                        f.path_postfix
                    );
                } else {
                    assert_eq!(f.path_postfix, "");
                }
            } else {
                assert!(got.signed_url.is_empty());
            }
        }

        // Every persisted file decodes to its content and its name parses back
        // to exactly the fragment ListFragments reports.
        let dir = tmp.path().join(&name);
        let on_disk = files(&dir);
        let persisted: Vec<_> = resp
            .fragments
            .iter()
            .filter_map(|f| f.spec.clone())
            .filter(|f| f.mod_time != 0)
            .collect();
        assert_eq!(on_disk.len(), persisted.len(), "{on_disk:?}");
        for rel in on_disk {
            let mut parsed = parse_fragment_from_relative_path(&name, &rel).unwrap();
            let listed = persisted.iter().find(|f| f.begin == parsed.begin).unwrap();
            parsed.backing_store = listed.backing_store.clone();
            parsed.mod_time = listed.mod_time;
            assert_eq!(&parsed, listed);
            let bytes = decode(
                parsed.compression_codec,
                &std::fs::read(dir.join(&rel)).unwrap(),
            );
            assert_eq!(
                bytes,
                &content[parsed.begin as usize..parsed.end as usize],
                "{rel}"
            );
        }

        // And reading the journal through the broker gives the whole content.
        assert_eq!(read_all(&mut c, &name, 0).await, content);
    }
    b.shutdown().await;
}

#[tokio::test]
async fn flush_persists_the_open_fragment_and_sub_stores_nest() {
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
    let name = unique("flush");
    create(
        &mut c,
        spec(&name, CompressionCodec::Gzip, &["file:///sub/dir/"]),
    )
    .await;
    append(&mut c, &name, &[b"first"]).await;
    append(&mut c, &name, &[b"second"]).await; // rolls the first fragment
    assert_eq!(files(&tmp.path().join("sub/dir").join(&name)).len(), 1);
    assert!(b.flush(&name));
    let f = files(&tmp.path().join("sub/dir").join(&name));
    assert_eq!(f.len(), 2, "{f:?}");
    assert!(f[1].starts_with("0000000000000005-000000000000000b-"));
    assert!(f[1].ends_with(".gz"));
    assert!(!b.flush("no/such/journal"));

    // The open fragment is gone: a metadata read of offset 5 names the file.
    let frames = read_frames(
        &mut c,
        ReadRequest {
            journal: name.clone(),
            offset: 5,
            metadata_only: true,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        frames[0].fragment_url,
        format!(
            "file:///sub/dir/{name}/{}",
            f[1].rsplit('/').next().unwrap()
        )
    );
}

#[tokio::test]
async fn unevaluable_templates_are_rejected() {
    let b = DevBroker::start(Options::default()).await.unwrap();
    let mut c = client(b.endpoint(0)).await;
    let mut s = spec(&unique("tmpl"), CompressionCodec::None, &["file:///"]);
    s.fragment.as_mut().unwrap().path_postfix_template = "{{ .Spool.Journal }}".into();
    let err = apply(&mut c, vec![upsert(s, 0)]).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unknown);
    assert!(
        err.message().contains("PathPostfixTemplate"),
        "{}",
        err.message()
    );
}
