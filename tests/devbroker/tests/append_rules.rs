//! Append preconditions: registers, explicit offsets, and journal flags.

mod support;

use gazette_devbroker::{DevBroker, Options};
use gazette_protocol::{
    AppendRequest, CompressionCodec, Label, LabelSelector, LabelSet, ReadRequest, Status,
};
use support::*;

fn set(pairs: &[(&str, &str)]) -> LabelSet {
    LabelSet {
        labels: pairs
            .iter()
            .map(|(n, v)| Label {
                name: n.to_string(),
                value: v.to_string(),
                prefix: false,
            })
            .collect(),
    }
}

fn sel(pairs: &[(&str, &str)]) -> LabelSelector {
    LabelSelector {
        include: Some(set(pairs)),
        exclude: Some(LabelSet::default()),
    }
}

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

#[tokio::test]
async fn registers_check_union_and_subtract() {
    let (_b, mut c) = start().await;
    let name = unique("regs");
    create(&mut c, spec(&name, CompressionCodec::None, &[])).await;
    let first = |check: Option<LabelSelector>,
                 union: &[(&str, &str)],
                 subtract: &[(&str, &str)]| AppendRequest {
        journal: name.clone(),
        check_registers: check,
        union_registers: Some(set(union)),
        subtract_registers: Some(set(subtract)),
        ..Default::default()
    };
    // Empty registers match any selector.
    let r = append_with(
        &mut c,
        first(
            Some(sel(&[("owner", "z")])),
            &[("epoch", "1"), ("owner", "a")],
            &[],
        ),
        &[b"x"],
    )
    .await
    .unwrap();
    assert_eq!(r.status, 0);
    assert_eq!(r.registers.unwrap(), set(&[("epoch", "1"), ("owner", "a")]));
    // A mismatch answers with the current registers and commits nothing.
    let r = append_with(
        &mut c,
        first(Some(sel(&[("owner", "b")])), &[("owner", "b")], &[]),
        &[b"y"],
    )
    .await
    .unwrap();
    assert_eq!(r.status, Status::RegisterMismatch as i32);
    assert_eq!(r.registers.unwrap(), set(&[("epoch", "1"), ("owner", "a")]));
    assert!(r.commit.is_none());
    // Union replaces by name; subtract removes.
    let r = append_with(
        &mut c,
        first(
            Some(sel(&[("owner", "a")])),
            &[("owner", "b")],
            &[("epoch", "1")],
        ),
        &[b"z"],
    )
    .await
    .unwrap();
    assert_eq!(r.status, 0);
    assert_eq!(r.registers.unwrap(), set(&[("owner", "b")]));
    // Changing registers with zero bytes is an error.
    let err = append_with(&mut c, first(None, &[("owner", "c")], &[]), &[])
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unknown);
    assert_eq!(read_all(&mut c, &name, 0).await, b"xz");
}

#[tokio::test]
async fn explicit_offsets_must_equal_the_write_head() {
    let (_b, mut c) = start().await;
    let name = unique("offset");
    create(&mut c, spec(&name, CompressionCodec::None, &[])).await;
    append(&mut c, &name, &[b"12345"]).await;
    let at = |offset| AppendRequest {
        journal: name.clone(),
        offset,
        ..Default::default()
    };
    let r = append_with(&mut c, at(4), &[b"no"]).await.unwrap();
    assert_eq!(r.status, Status::WrongAppendOffset as i32);
    assert!(r.registers.is_none() && r.commit.is_none());
    assert_valid_header(r.header.as_ref().unwrap());
    let r = append_with(&mut c, at(5), &[b"ok"]).await.unwrap();
    assert_eq!((r.status, r.commit.unwrap().end), (0, 7));
}

#[tokio::test]
async fn flags_forbid_the_other_direction() {
    let (_b, mut c) = start().await;
    let (ro, wo) = (unique("rdonly"), unique("wronly"));
    let mut s = spec(&ro, CompressionCodec::None, &[]);
    s.flags = 1; // O_RDONLY
    create(&mut c, s).await;
    let mut s = spec(&wo, CompressionCodec::None, &[]);
    s.flags = 2; // O_WRONLY
    create(&mut c, s).await;

    let r = append_with(
        &mut c,
        AppendRequest {
            journal: ro.clone(),
            ..Default::default()
        },
        &[b"x"],
    )
    .await
    .unwrap();
    assert_eq!(r.status, Status::NotAllowed as i32);
    let f = read_frames(
        &mut c,
        ReadRequest {
            journal: ro.clone(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        f[0].status,
        Status::OffsetNotYetAvailable as i32,
        "reads are allowed"
    );

    append(&mut c, &wo, &[b"x"]).await;
    let f = read_frames(
        &mut c,
        ReadRequest {
            journal: wo.clone(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!((f.len(), f[0].status), (1, Status::NotAllowed as i32));
    let lf = c
        .list_fragments(gazette_protocol::FragmentsRequest {
            journal: wo,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(lf.status, Status::NotAllowed as i32);
}

#[tokio::test]
async fn stalled_appends_fail_at_the_minimum_rate_and_release_the_journal() {
    let (b, mut c) = start().await;
    let name = unique("stall");
    create(&mut c, spec(&name, CompressionCodec::None, &[])).await;
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tx.send(AppendRequest {
        journal: name.clone(),
        ..Default::default()
    })
    .await
    .unwrap();
    tx.send(AppendRequest {
        content: bytes::Bytes::from_static(b"slow"),
        ..Default::default()
    })
    .await
    .unwrap();
    let mut c2 = c.clone();
    let taken = b.counters().pipelines_taken();
    let stalled = tokio::spawn(async move {
        c2.append(tokio_stream::wrappers::ReceiverStream::new(rx))
            .await
    });
    // Once it holds the journal's pipeline, another append waits for the
    // stalled one to be aborted (one second after it started), and goes through.
    until("the stalled append holds the journal", || {
        b.counters().pipelines_taken() > taken
    })
    .await;
    let t = std::time::Instant::now();
    let r = append(&mut c, &name, &[b"next"]).await.commit.unwrap();
    assert_eq!(
        (r.begin, r.end),
        (0, 4),
        "the stalled append committed nothing"
    );
    assert!(
        t.elapsed() >= std::time::Duration::from_millis(600),
        "{:?}",
        t.elapsed()
    );
    let err = stalled.await.unwrap().unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unknown);
    assert_eq!(
        err.message(),
        "client stream didn't sustain the minimum append data rate"
    );
    drop(tx);
}
