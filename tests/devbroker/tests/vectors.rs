//! Replays the real-broker capture's scenarios and compares the dev broker's
//! responses with the captured ones, field by field (values that differ from
//! run to run, such as revisions, ids and mod times, are compared by shape).

mod support;

use gazette_devbroker::{DevBroker, Options};
use gazette_protocol::{
    AppendRequest, CompressionCodec, FragmentsRequest, Header, LabelSelector, LabelSet,
    ReadRequest, ReadResponse,
};
use serde_json::Value;
use support::*;

fn vector(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(format!("{VECTORS}/wire/{name}.json")).unwrap())
        .unwrap()
}

fn i64_of(v: &Value) -> i64 {
    v.as_str()
        .map(|s| s.parse().unwrap())
        .or(v.as_i64())
        .unwrap()
}

/// Same presence of header parts and the same route shape.
fn same_header_shape(ours: Option<&Header>, theirs: &Value) {
    assert_eq!(ours.is_some(), !theirs.is_null(), "header presence");
    let Some(h) = ours else { return };
    assert_valid_header(h);
    let r = h.route.as_ref().unwrap();
    let tr = &theirs["route"];
    assert_eq!(r.primary as i64, tr["primary"].as_i64().unwrap());
    assert_eq!(r.members.len(), tr["members"].as_array().unwrap().len());
    assert_eq!(r.endpoints.len(), tr["endpoints"].as_array().unwrap().len());
}

/// Compares a ReadResponse with a captured one; journal names differ, so
/// URLs are compared after swapping the journal name.
fn same_read_response(ours: &ReadResponse, theirs: &Value, our_journal: &str, their_journal: &str) {
    assert_eq!(
        ours.status,
        gazette_protocol::Status::from_str_name(theirs["status"].as_str().unwrap()).unwrap() as i32
    );
    same_header_shape(ours.header.as_ref(), &theirs["header"]);
    assert_eq!(ours.offset, i64_of(&theirs["offset"]));
    assert_eq!(ours.write_head, i64_of(&theirs["write_head"]));
    assert_eq!(ours.fragment.is_some(), !theirs["fragment"].is_null());
    if let Some(f) = &ours.fragment {
        let tf = &theirs["fragment"];
        assert_eq!((f.begin, f.end), (i64_of(&tf["begin"]), i64_of(&tf["end"])));
        assert_eq!(
            f.compression_codec,
            CompressionCodec::from_str_name(tf["compression_codec"].as_str().unwrap()).unwrap()
                as i32
        );
        assert_eq!(f.backing_store, tf["backing_store"].as_str().unwrap());
        assert_eq!(f.mod_time != 0, i64_of(&tf["mod_time"]) != 0);
        assert_eq!(f.path_postfix, tf["path_postfix"].as_str().unwrap());
        let sum = f.sum.unwrap();
        assert_eq!(
            (sum.part1, sum.part2, sum.part3 as i64),
            (
                tf["sum"]["part1"].as_str().unwrap().parse().unwrap(),
                tf["sum"]["part2"].as_str().unwrap().parse().unwrap(),
                tf["sum"]["part3"].as_i64().unwrap(),
            )
        );
    }
    let url = theirs["fragment_url"]
        .as_str()
        .unwrap()
        .replacen(their_journal, our_journal, 1);
    assert_eq!(ours.fragment_url, url);
    let content = theirs["content"].as_str().map(|s| s.len()).unwrap_or(0);
    assert_eq!(ours.content.is_empty(), content == 0);
}

/// Creates a journal like the capture's `vectors/<codec>` and replays its appends.
async fn replay(c: &mut Client, codec: &str) -> (String, Vec<u8>) {
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{VECTORS}/fragments.json")).unwrap(),
    )
    .unwrap();
    let j = manifest["journals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["journal"] == format!("vectors/{codec}"))
        .unwrap()
        .clone();
    let content =
        std::fs::read(format!("{VECTORS}/{}", j["content_file"].as_str().unwrap())).unwrap();
    let name = unique(codec);
    let codec = CompressionCodec::from_str_name(j["compression_codec"].as_str().unwrap()).unwrap();
    let mut s = spec(&name, codec, &["file:///"]);
    if codec == CompressionCodec::Zstandard {
        s.fragment.as_mut().unwrap().path_postfix_template =
            "utc_date={{ .Spool.FirstAppendTime.Format \"2006-01-02\" }}/utc_hour={{ .Spool.FirstAppendTime.Format \"15\" }}".into();
    }
    create(c, s).await;
    for a in j["appends"].as_array().unwrap() {
        append(
            c,
            &name,
            &[&content[a[0].as_u64().unwrap() as usize..a[1].as_u64().unwrap() as usize]],
        )
        .await;
    }
    (name, content)
}

async fn start() -> (DevBroker, Client, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let b = DevBroker::start(Options {
        // These tests look at other behaviours: assign at once.
        assign_delay: std::time::Duration::ZERO,
        store: Some(tmp.path().to_path_buf()),
        ..Default::default()
    })
    .await
    .unwrap();
    let c = client(b.endpoint(0)).await;
    (b, c, tmp)
}

#[tokio::test]
async fn read_streams_match_the_capture() {
    let (_b, mut c, _tmp) = start().await;
    let (name, _) = replay(&mut c, "gzip").await;

    // read_request: offset 100, block, end_offset 1000, across two fragments.
    let frames = read_frames(
        &mut c,
        ReadRequest {
            journal: name.clone(),
            offset: 100,
            block: true,
            end_offset: 1000,
            ..Default::default()
        },
    )
    .await;
    let want = [
        "read_response_metadata",
        "read_response_content",
        "read_response_metadata_next_fragment",
        "read_response_content_next_fragment",
    ];
    assert_eq!(frames.len(), want.len());
    for (f, w) in frames.iter().zip(want) {
        let v = vector(w);
        same_read_response(f, &v, &name, "vectors/gzip");
        if let Some(b64) = v["content"].as_str() {
            assert_eq!(
                f.content.len(),
                b64.len() / 4 * 3 - b64.matches('=').count(),
                "{w}"
            );
        }
    }

    // read_request_fragment_url: do_not_proxy inside a persisted fragment.
    let f = read_frames(
        &mut c,
        ReadRequest {
            journal: name.clone(),
            offset: 310,
            do_not_proxy: true,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(f.len(), 1);
    same_read_response(
        &f[0],
        &vector("read_response_fragment_url"),
        &name,
        "vectors/gzip",
    );

    // read_request_spool: the open fragment, then OFFSET_NOT_YET_AVAILABLE.
    let f = read_frames(
        &mut c,
        ReadRequest {
            journal: name.clone(),
            offset: 6698,
            ..Default::default()
        },
    )
    .await;
    let want = [
        "read_response_metadata_spool",
        "read_response_content_spool",
        "read_response_offset_not_yet_available_after_content",
    ];
    assert_eq!(f.len(), want.len());
    for (f, w) in f.iter().zip(want) {
        same_read_response(f, &vector(w), &name, "vectors/gzip");
    }

    // read_request_offset_not_yet_available: at the write head, non-blocking.
    let f = read_frames(
        &mut c,
        ReadRequest {
            journal: name.clone(),
            offset: 6898,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(f.len(), 1);
    same_read_response(
        &f[0],
        &vector("read_response_offset_not_yet_available"),
        &name,
        "vectors/gzip",
    );
}

#[tokio::test]
async fn fragment_pages_match_the_capture() {
    let (_b, mut c, _tmp) = start().await;
    let (name, _) = replay(&mut c, "zstd").await;
    let mut token = 0;
    for page in [
        "fragments_response_page1",
        "fragments_response_page2",
        "fragments_response_page3",
    ] {
        let v = vector(page);
        let r = c
            .list_fragments(FragmentsRequest {
                journal: name.clone(),
                page_limit: 2,
                next_page_token: token,
                signature_ttl: Some(prost_types::Duration {
                    seconds: 300,
                    nanos: 0,
                }),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        same_header_shape(r.header.as_ref(), &v["header"]);
        assert_eq!(r.next_page_token, i64_of(&v["next_page_token"]), "{page}");
        let tf = v["fragments"].as_array().unwrap();
        assert_eq!(r.fragments.len(), tf.len());
        for (ours, theirs) in r.fragments.iter().zip(tf) {
            let f = ours.spec.as_ref().unwrap();
            assert_eq!(
                (f.begin, f.end),
                (
                    i64_of(&theirs["spec"]["begin"]),
                    i64_of(&theirs["spec"]["end"])
                )
            );
            assert_eq!(
                f.backing_store,
                theirs["spec"]["backing_store"].as_str().unwrap()
            );
            // Same postfix layout (the date and hour differ between runs).
            let their_postfix = theirs["spec"]["path_postfix"].as_str().unwrap();
            assert_eq!(f.path_postfix.len(), their_postfix.len());
            assert_eq!(f.path_postfix.is_empty(), their_postfix.is_empty());
            assert_eq!(
                ours.signed_url.is_empty(),
                theirs["signed_url"].as_str().unwrap().is_empty()
            );
            if !ours.signed_url.is_empty() {
                assert_eq!(
                    ours.signed_url,
                    format!("file:///{}", gazette_protocol::content_path(f))
                );
            }
        }
        token = r.next_page_token;
    }
}

#[tokio::test]
async fn append_responses_match_the_capture() {
    let (_b, mut c, _tmp) = start().await;
    let name = unique("append");
    create(&mut c, spec(&name, CompressionCodec::None, &[])).await;
    append(&mut c, &name, &[&[b'.'; 300]]).await;
    let first = AppendRequest {
        journal: name.clone(),
        offset: 300,
        check_registers: Some(LabelSelector {
            include: Some(LabelSet::from_pairs([("owner", "vectors-capture")])),
            exclude: Some(LabelSet::from_pairs([("locked", "")])),
        }),
        union_registers: Some(LabelSet::from_pairs([("epoch", "2")])),
        subtract_registers: Some(LabelSet::from_pairs([("epoch", "1")])),
        ..Default::default()
    };
    // Registers start empty here; the capture's journal already had owner set,
    // so set it first with a plain union.
    let seed = AppendRequest {
        journal: name.clone(),
        union_registers: Some(LabelSet::from_pairs([
            ("epoch", "1"),
            ("owner", "vectors-capture"),
        ])),
        ..Default::default()
    };
    let r = append_with(&mut c, seed, &[]).await;
    assert!(r.is_err(), "register changes need content");
    let seed = AppendRequest {
        journal: name.clone(),
        union_registers: Some(LabelSet::from_pairs([
            ("epoch", "1"),
            ("owner", "vectors-capture"),
        ])),
        ..Default::default()
    };
    let r = append_with(&mut c, seed, &[b"x"]).await.unwrap();
    assert_eq!(r.status, 0);
    let first = AppendRequest {
        offset: 301,
        ..first
    };
    let content = [vec![b'a'; 2000], vec![b'b'; 1800], vec![b'c'; 600]];
    let r = append_with(&mut c, first, &[&content[0], &content[1], &content[2]])
        .await
        .unwrap();
    let v = vector("append_response");
    same_header_shape(r.header.as_ref(), &v["header"]);
    assert_eq!(r.total_chunks, i64_of(&v["total_chunks"]));
    let commit = r.commit.unwrap();
    assert_eq!(
        commit.end - commit.begin,
        i64_of(&v["commit"]["end"]) - i64_of(&v["commit"]["begin"])
    );
    assert_eq!(
        r.registers.unwrap(),
        LabelSet::from_pairs([("epoch", "2"), ("owner", "vectors-capture")])
    );

    let v = vector("append_response_register_mismatch");
    let mismatch = AppendRequest {
        journal: name.clone(),
        check_registers: Some(LabelSelector {
            include: Some(LabelSet::from_pairs([("owner", "someone-else")])),
            exclude: Some(LabelSet::default()),
        }),
        union_registers: Some(LabelSet::from_pairs([("owner", "someone-else")])),
        ..Default::default()
    };
    let r = append_with(&mut c, mismatch, &[b"x"]).await.unwrap();
    assert_eq!(r.status, gazette_protocol::Status::RegisterMismatch as i32);
    same_header_shape(r.header.as_ref(), &v["header"]);
    assert_eq!(
        (r.commit.is_some(), r.total_chunks),
        (!v["commit"].is_null(), i64_of(&v["total_chunks"]))
    );
    assert_eq!(
        r.registers.unwrap().labels.len(),
        v["registers"]["labels"].as_array().unwrap().len()
    );

    let v = vector("append_response_wrong_offset");
    let r = append_with(
        &mut c,
        AppendRequest {
            journal: name.clone(),
            offset: 5700,
            ..Default::default()
        },
        &[b"x"],
    )
    .await
    .unwrap();
    assert_eq!(r.status, gazette_protocol::Status::WrongAppendOffset as i32);
    same_header_shape(r.header.as_ref(), &v["header"]);
    assert_eq!(
        (r.commit.is_some(), r.registers.is_some()),
        (!v["commit"].is_null(), !v["registers"].is_null())
    );
}
