//! Apply, List, Append and Read against one dev broker over real gRPC.

mod support;

use bytes::Bytes;
use gazette_devbroker::{DevBroker, Options};
use gazette_protocol::{
    apply_request, AppendRequest, CompressionCodec, Label, LabelSelector, LabelSet, ListRequest,
    ReadRequest, Status,
};
use support::*;

async fn start() -> (DevBroker, Client) {
    let b = DevBroker::start(Options {
        assign_delay: std::time::Duration::ZERO,
        ..Default::default()
    })
    .await
    .unwrap();
    let c = client(b.endpoint(0)).await;
    (b, c)
}

fn label(n: &str, v: &str) -> Label {
    Label {
        name: n.into(),
        value: v.into(),
        prefix: false,
    }
}

async fn list(c: &mut Client, include: Vec<Label>) -> Vec<gazette_protocol::ListResponse> {
    let req = ListRequest {
        selector: Some(LabelSelector {
            include: Some(LabelSet { labels: include }),
            exclude: None,
        }),
        ..Default::default()
    };
    let mut s = c.list(req).await.unwrap().into_inner();
    let mut out = vec![];
    while let Some(m) = s.message().await.unwrap() {
        out.push(m);
    }
    out
}

#[tokio::test]
async fn apply_creates_updates_deletes_with_growing_revisions() {
    let (b, mut c) = start().await;
    let name = unique("apply");
    let r1 = create(&mut c, spec(&name, CompressionCodec::None, &[])).await;
    let rev1 = r1.header.as_ref().unwrap().etcd.unwrap().revision;
    assert_valid_header(r1.header.as_ref().unwrap());
    assert_eq!(r1.header.unwrap().route.unwrap().primary, -1);

    // Creating again (expect 0 = must not exist) fails in-band.
    let again = apply(
        &mut c,
        vec![upsert(spec(&name, CompressionCodec::None, &[]), 0)],
    )
    .await
    .unwrap();
    assert_eq!(again.status, Status::EtcdTransactionFailed as i32);
    assert_valid_header(again.header.as_ref().unwrap());

    // Update with the right revision; the response revision is the new mod revision.
    let mut s2 = spec(&name, CompressionCodec::Gzip, &[]);
    s2.labels = Some(LabelSet {
        labels: vec![label("app", "x")],
    });
    let r2 = apply(&mut c, vec![upsert(s2, rev1)]).await.unwrap();
    assert_eq!(r2.status, 0);
    let rev2 = r2.header.unwrap().etcd.unwrap().revision;
    assert!(rev2 > rev1);
    let listed = list(&mut c, vec![label("name", &name)]).await;
    let j = &listed[0].journals[0];
    assert_eq!((j.mod_revision, j.create_revision), (rev2, rev1));
    assert_eq!(
        j.spec
            .as_ref()
            .unwrap()
            .fragment
            .as_ref()
            .unwrap()
            .compression_codec,
        CompressionCodec::Gzip as i32
    );

    // -1 skips the check; delete with the current revision.
    let stale = apply(
        &mut c,
        vec![apply_request::Change {
            expect_mod_revision: rev1,
            delete: name.clone(),
            upsert: None,
        }],
    )
    .await
    .unwrap();
    assert_eq!(stale.status, Status::EtcdTransactionFailed as i32);
    let del = apply(
        &mut c,
        vec![apply_request::Change {
            expect_mod_revision: -1,
            delete: name.clone(),
            upsert: None,
        }],
    )
    .await
    .unwrap();
    assert_eq!(del.status, 0);
    assert!(del.header.unwrap().etcd.unwrap().revision > rev2);
    assert!(list(&mut c, vec![label("name", &name)]).await[0]
        .journals
        .is_empty());
    b.shutdown().await;
}

#[tokio::test]
async fn apply_is_atomic_and_rejects_invalid_specs() {
    let (_b, mut c) = start().await;
    let (a, z) = (unique("atomic-a"), unique("atomic-z"));
    create(&mut c, spec(&z, CompressionCodec::None, &[])).await;
    // The second change fails its precondition, so the first must not land.
    let r = apply(
        &mut c,
        vec![
            upsert(spec(&a, CompressionCodec::None, &[]), 0),
            upsert(spec(&z, CompressionCodec::None, &[]), 0),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status, Status::EtcdTransactionFailed as i32);
    assert!(list(&mut c, vec![label("name", &a)]).await[0]
        .journals
        .is_empty());

    let mut bad = spec(&a, CompressionCodec::None, &[]);
    bad.fragment.as_mut().unwrap().length = 1023;
    let err = apply(&mut c, vec![upsert(bad, 0)]).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unknown);
    assert!(
        err.message()
            .contains("invalid Length (1023; expected 1024 <= length <= 17179869184)"),
        "{}",
        err.message()
    );
}

#[tokio::test]
async fn list_filters_sorts_and_chunks_by_25() {
    let (_b, mut c) = start().await;
    let base = unique("list");
    let mut names = vec![];
    for i in (0..30).rev() {
        let n = format!("{base}/j{i:02}");
        let mut s = spec(&n, CompressionCodec::None, &[]);
        s.labels = Some(LabelSet {
            labels: vec![label("parity", if i % 2 == 0 { "even" } else { "odd" })],
        });
        create(&mut c, s).await;
        names.push(n);
    }
    names.sort();
    let msgs = list(&mut c, vec![label("prefix", &format!("{base}/"))]).await;
    assert_eq!(msgs.len(), 2);
    assert_eq!((msgs[0].journals.len(), msgs[1].journals.len()), (25, 5));
    let h = msgs[0].header.as_ref().unwrap();
    assert_valid_header(h);
    assert_eq!(h.route.as_ref().unwrap().primary, -1);
    assert!(msgs[1].header.is_none());
    let got: Vec<String> = msgs
        .iter()
        .flat_map(|m| {
            m.journals
                .iter()
                .map(|j| j.spec.as_ref().unwrap().name.clone())
        })
        .collect();
    assert_eq!(got, names);
    let j = &msgs[0].journals[0];
    let route = j.route.as_ref().unwrap();
    assert_eq!(
        (route.members.len(), route.primary, route.endpoints.len()),
        (1, 0, 1)
    );
    assert!(j.mod_revision > 0 && j.create_revision == j.mod_revision);

    let odd = list(
        &mut c,
        vec![label("parity", "odd"), label("prefix", &format!("{base}/"))],
    )
    .await;
    assert_eq!(odd[0].journals.len(), 15);
    // `prefix` matches whole `/`-terminated segments, and must end in `/`.
    assert!(
        list(&mut c, vec![label("prefix", &format!("{base}/j0/"))]).await[0]
            .journals
            .is_empty()
    );
    let req = ListRequest {
        selector: Some(LabelSelector {
            include: Some(LabelSet {
                labels: vec![label("prefix", &base)],
            }),
            exclude: None,
        }),
        ..Default::default()
    };
    let err = match c.list(req).await {
        Err(e) => e,
        Ok(s) => s.into_inner().message().await.unwrap_err(),
    };
    assert_eq!(err.code(), tonic::Code::Unknown);
}

#[tokio::test]
async fn append_commits_and_reads_back() {
    let (_b, mut c) = start().await;
    let name = unique("append");
    create(&mut c, spec(&name, CompressionCodec::Snappy, &[])).await;
    let r = append(&mut c, &name, &[b"hello ", b"world\n"]).await;
    assert_valid_header(r.header.as_ref().unwrap());
    let route = r.header.as_ref().unwrap().route.clone().unwrap();
    assert_eq!((route.members.len(), route.primary), (1, 0));
    let commit = r.commit.unwrap();
    assert_eq!((commit.begin, commit.end), (0, 12));
    assert_eq!(
        sum_hex(commit.sum.as_ref().unwrap()),
        sha1_hex(b"hello world\n")
    );
    assert_eq!(commit.compression_codec, CompressionCodec::Snappy as i32);
    assert!(commit.backing_store.is_empty() && commit.mod_time == 0);
    assert_eq!(
        r.total_chunks, 3,
        "two content chunks plus the commit chunk"
    );
    assert!(r.registers.is_some());

    let r2 = append(&mut c, &name, &[b"more"]).await;
    let c2 = r2.commit.unwrap();
    assert_eq!((c2.begin, c2.end), (12, 16));
    assert_eq!(
        sum_hex(c2.sum.as_ref().unwrap()),
        sha1_hex(b"more"),
        "sum covers only this RPC's bytes"
    );

    let frames = read_frames(
        &mut c,
        ReadRequest {
            journal: name.clone(),
            offset: 0,
            ..Default::default()
        },
    )
    .await;
    assert_valid_header(frames[0].header.as_ref().unwrap());
    assert!(
        frames[1..].iter().all(|f| f.header.is_none()),
        "only the first frame has a header"
    );
    assert_eq!(frames[0].fragment.as_ref().unwrap().journal, name);
    let data: Vec<u8> = frames.iter().flat_map(|f| f.content.to_vec()).collect();
    assert_eq!(data, b"hello world\nmore");
    let last = frames.last().unwrap();
    assert_eq!(
        (last.status, last.offset, last.write_head),
        (Status::OffsetNotYetAvailable as i32, 16, 16)
    );

    // Zero-byte append: begin == end == write head.
    let z = append(&mut c, &name, &[]).await.commit.unwrap();
    assert_eq!((z.begin, z.end), (16, 16));
    assert_eq!(sum_hex(z.sum.as_ref().unwrap()), sha1_hex(b""));
}

#[tokio::test]
async fn append_without_commit_rolls_back() {
    let (b, mut c) = start().await;
    let name = unique("rollback");
    create(&mut c, spec(&name, CompressionCodec::None, &[])).await;
    // EOF after content without the empty commit chunk.
    let msgs = vec![
        AppendRequest {
            journal: name.clone(),
            ..Default::default()
        },
        AppendRequest {
            content: Bytes::from_static(b"never"),
            ..Default::default()
        },
    ];
    let err = c.append(tokio_stream::iter(msgs)).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unknown);
    // A client that goes away mid-stream.
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tx.send(AppendRequest {
        journal: name.clone(),
        ..Default::default()
    })
    .await
    .unwrap();
    tx.send(AppendRequest {
        content: Bytes::from_static(b"nope"),
        ..Default::default()
    })
    .await
    .unwrap();
    let mut c2 = c.clone();
    let taken = b.counters().pipelines_taken();
    let call = tokio::spawn(async move {
        c2.append(tokio_stream::wrappers::ReceiverStream::new(rx))
            .await
    });
    until("the append holds the journal", || {
        b.counters().pipelines_taken() > taken
    })
    .await;
    call.abort();
    drop(tx);
    let r = append(&mut c, &name, &[b"kept"]).await.commit.unwrap();
    assert_eq!(
        (r.begin, r.end),
        (0, 4),
        "nothing of the aborted appends is visible"
    );
    assert_eq!(read_all(&mut c, &name, 0).await, b"kept");
}

#[tokio::test]
async fn reads_block_at_the_write_head_and_honour_bounds() {
    let (b, mut c) = start().await;
    let name = unique("block");
    create(&mut c, spec(&name, CompressionCodec::None, &[])).await;
    // Non-blocking at -1 on an empty journal.
    let f = read_frames(
        &mut c,
        ReadRequest {
            journal: name.clone(),
            offset: -1,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(f.len(), 1);
    assert_eq!(
        (f[0].status, f[0].offset, f[0].write_head),
        (Status::OffsetNotYetAvailable as i32, 0, 0)
    );
    assert_valid_header(f[0].header.as_ref().unwrap());

    // A blocking read at -1 waits for the next append.
    let waits = b.counters().read_waits();
    let mut s = c
        .read(ReadRequest {
            journal: name.clone(),
            offset: -1,
            block: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let mut c2 = c.clone();
    let n2 = name.clone();
    until("the read waits at the write head", || {
        b.counters().read_waits() > waits
    })
    .await;
    tokio::spawn(async move {
        append(&mut c2, &n2, &[b"0123456789"]).await;
    });
    let meta = s.message().await.unwrap().unwrap();
    assert_eq!((meta.status, meta.offset), (0, 0));
    assert!(meta.header.is_some());
    let content = s.message().await.unwrap().unwrap();
    assert_eq!(&content.content[..], b"0123456789");
    assert!(content.header.is_none() && content.fragment.is_none());
    drop(s);

    // end_offset trims; metadata_only stops after the metadata frame.
    let f = read_frames(
        &mut c,
        ReadRequest {
            journal: name.clone(),
            offset: 2,
            end_offset: 5,
            block: true,
            ..Default::default()
        },
    )
    .await;
    let data: Vec<u8> = f.iter().flat_map(|f| f.content.to_vec()).collect();
    assert_eq!(data, b"234");
    let f = read_frames(
        &mut c,
        ReadRequest {
            journal: name.clone(),
            offset: 3,
            metadata_only: true,
            block: true,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(f.len(), 1);
    assert_eq!((f[0].offset, f[0].write_head), (3, 10));
    assert!(f[0].content.is_empty());
}

#[tokio::test]
async fn large_content_is_split_into_frames_of_at_most_32736_bytes() {
    let (_b, mut c) = start().await;
    let name = unique("large");
    create(&mut c, spec(&name, CompressionCodec::None, &[])).await;
    let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
    append(&mut c, &name, &[&data]).await;
    let f = read_frames(
        &mut c,
        ReadRequest {
            journal: name.clone(),
            offset: 0,
            ..Default::default()
        },
    )
    .await;
    let sizes: Vec<usize> = f
        .iter()
        .filter(|f| !f.content.is_empty())
        .map(|f| f.content.len())
        .collect();
    assert_eq!(sizes, vec![32736, 32736, 32736, 1792]);
    let got: Vec<u8> = f.iter().flat_map(|f| f.content.to_vec()).collect();
    assert_eq!(got, data);
}

#[tokio::test]
async fn journal_not_found_matches_the_real_broker_shape() {
    let (_b, mut c) = start().await;
    let v: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!(
            "{VECTORS}/wire/read_response_journal_not_found.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let f = read_frames(
        &mut c,
        ReadRequest {
            journal: unique("missing"),
            offset: 0,
            block: true,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(f.len(), 1, "one response, then a clean end");
    let r = &f[0];
    assert_eq!(v["status"], "JOURNAL_NOT_FOUND");
    assert_eq!(r.status, Status::JournalNotFound as i32);
    let h = r.header.as_ref().unwrap();
    assert_valid_header(h);
    let route = h.route.as_ref().unwrap();
    assert_eq!(v["header"]["route"]["primary"], -1);
    assert_eq!(
        (route.primary, route.members.len(), route.endpoints.len()),
        (-1, 0, 0)
    );
    assert_eq!((r.offset, r.write_head), (0, 0));
    assert!(v["fragment"].is_null() && r.fragment.is_none());
    assert!(r.fragment_url.is_empty() && r.content.is_empty());

    // Append and ListFragments answer with the status too (never gRPC NotFound).
    let a = append_with(
        &mut c,
        AppendRequest {
            journal: unique("missing"),
            ..Default::default()
        },
        &[b"x"],
    )
    .await
    .unwrap();
    assert_eq!(a.status, Status::JournalNotFound as i32);
}
