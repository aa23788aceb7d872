//! Reader: one Read RPC, against the dev broker (faults injected where
//! Gazette's tests use a stub) and, for protocol violations a real broker
//! never commits, a scripted broker.

mod common;
mod read_support;

use std::io::SeekFrom;
use std::time::Duration;

use bytes::Bytes;
use common::scripted::Frame;
use common::scripted::Stub;
use gazette::protocol::{CompressionCodec, Fragment, Header, ReadRequest, ReadResponse, Status};
use gazette::reader::{ReadContext, ReadStep, Reader};
use gazette::Error;
use gazette_devbroker::{Fault, Rpc};
use read_support::Env;
use tokio_util::sync::CancellationToken;

const FIXTURE: &[u8] = b"XXXXXhello, world!!!";

/// A journal whose fragment [100, 120) holds FIXTURE, persisted to the store.
async fn fixture_journal(env: &Env, codec: CompressionCodec) -> String {
    let journal = env.create("fixture", codec, 1024).await;
    env.append(&journal, &[b'.'; 100]).await;
    env.flush(&journal);
    env.append(&journal, FIXTURE).await;
    env.flush(&journal);
    journal
}

fn request(journal: &str, offset: i64) -> ReadRequest {
    ReadRequest {
        journal: journal.to_string(),
        offset,
        ..Default::default()
    }
}

/// Reads until EOF or an error, collecting data; Frame steps are skipped.
async fn read_to_end(reader: &mut Reader) -> (Vec<u8>, Result<(), Error>) {
    let mut out = Vec::new();
    loop {
        match reader.next_chunk(usize::MAX).await {
            Ok(ReadStep::Data(chunk)) => out.extend_from_slice(&chunk),
            Ok(ReadStep::Frame) => {}
            Ok(ReadStep::Eof) => return (out, Ok(())),
            Err(err) => return (out, Err(err)),
        }
    }
}

#[tokio::test]
async fn metadata_frame_with_url_then_direct_fragment_read() {
    let env = Env::start().await;
    let Some(dev) = env.dev() else {
        return common::skip();
    };
    let journal = fixture_journal(&env, CompressionCodec::Gzip).await;
    let mut req = request(&journal, 105);
    req.do_not_proxy = true;
    let mut reader = Reader::new(&env.client, req);

    // The metadata frame arrives first, with no bytes.
    assert_eq!(reader.next_chunk(1024).await.unwrap(), ReadStep::Frame);
    let response = reader.response().clone();
    let fragment = response.fragment.clone().unwrap();
    assert_eq!((fragment.begin, fragment.end), (100, 120));
    assert!(
        response.fragment_url.starts_with("file:///"),
        "{response:?}"
    );
    assert!(response.header.is_some());
    assert_eq!(reader.request().offset, 105);

    // The route in the header was learned.
    let route = env
        .client
        .route_cache()
        .get(&journal)
        .expect("route cached");
    assert_eq!(route.members, vec![dev.process_id(0)]);

    // Then the fragment's content from the requested offset, then EOF.
    let (got, end) = read_to_end(&mut reader).await;
    assert_eq!(got, b"hello, world!!!");
    end.unwrap();
    assert!(!reader.is_direct());
    assert_eq!(reader.request().offset, 120);
}

#[tokio::test]
async fn direct_reads_cover_every_codec() {
    let env = Env::start().await;
    if env.dev().is_none() {
        return common::skip();
    }
    for codec in [
        CompressionCodec::None,
        CompressionCodec::Gzip,
        CompressionCodec::Snappy,
        CompressionCodec::Zstandard,
    ] {
        let journal = fixture_journal(&env, codec).await;
        let mut req = request(&journal, 103);
        req.do_not_proxy = true;
        let mut reader = Reader::new(&env.client, req);
        let (got, end) = read_to_end(&mut reader).await;
        end.unwrap();
        assert_eq!(got, &FIXTURE[3..], "{codec:?}");
    }
}

#[tokio::test]
async fn direct_read_stops_at_end_offset() {
    let env = Env::start().await;
    if env.dev().is_none() {
        return common::skip();
    }
    let journal = fixture_journal(&env, CompressionCodec::Gzip).await;
    let mut req = request(&journal, 105);
    req.do_not_proxy = true;
    req.end_offset = 111;
    let mut reader = Reader::new(&env.client, req);
    let (got, end) = read_to_end(&mut reader).await;
    end.unwrap();
    assert_eq!(got, b"hello,");
    assert_eq!(reader.request().offset, 111);
}

#[tokio::test]
async fn direct_read_without_file_transport_fails() {
    let env = Env::start().await;
    if env.dev().is_none() {
        return common::skip();
    }
    let journal = fixture_journal(&env, CompressionCodec::Gzip).await;
    let mut req = request(&journal, 105);
    req.do_not_proxy = true;
    let mut reader = Reader::new(&env.client_without_file_root(), req);
    assert_eq!(reader.next_chunk(1024).await.unwrap(), ReadStep::Frame);
    let err = reader.next_chunk(1024).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("unsupported protocol scheme \"file\""),
        "{err}"
    );
    // The Reader is done: the error sticks.
    let again = reader.next_chunk(1024).await.unwrap_err();
    assert_eq!(again.to_string(), err.to_string());
}

#[tokio::test]
async fn proxied_read_streams_frames_and_carries_fragment_onto_content() {
    let env = Env::start().await;
    if env.dev().is_none() {
        return common::skip();
    }
    let journal = fixture_journal(&env, CompressionCodec::Snappy).await;
    env.append(&journal, b"tail").await; // The open fragment [120, 124).
    let mut reader = Reader::new(&env.client, request(&journal, 110));

    assert_eq!(reader.next_chunk(4).await.unwrap(), ReadStep::Frame);
    assert_eq!(reader.response().fragment.as_ref().unwrap().begin, 100);
    assert_eq!(reader.response().write_head, 124);
    // Content arrives: a Frame step, then the bytes in `max`-sized pieces.
    assert_eq!(reader.next_chunk(4).await.unwrap(), ReadStep::Frame);
    let response = reader.response();
    assert!(!response.content.is_empty());
    assert_eq!(
        response.fragment.as_ref().unwrap().end,
        120,
        "carried onto content"
    );
    assert_eq!(response.write_head, 124, "carried onto content");
    assert_eq!(
        reader.next_chunk(4).await.unwrap(),
        ReadStep::Data(Bytes::from_static(b", wo"))
    );
    assert_eq!(reader.request().offset, 114);

    // The rest, then OFFSET_NOT_YET_AVAILABLE at the write head (a
    // non-blocking read).
    let (got, end) = read_to_end(&mut reader).await;
    assert_eq!(got, b"rld!!!tail");
    assert!(matches!(end, Err(Error::OffsetNotYetAvailable)), "{end:?}");
    assert_eq!(reader.request().offset, 124);
}

#[tokio::test]
async fn content_frames_are_handed_out_without_copying() {
    let env = Env::start().await;
    let journal = env
        .create("zero-copy", CompressionCodec::None, 1 << 20)
        .await;
    env.append(&journal, &[7u8; 10_000]).await;
    let mut reader = Reader::new(&env.client, request(&journal, 0));
    assert_eq!(
        reader.next_chunk(usize::MAX).await.unwrap(),
        ReadStep::Frame
    );
    assert_eq!(
        reader.next_chunk(usize::MAX).await.unwrap(),
        ReadStep::Frame
    );
    let frame = reader.response().content.clone();
    let ReadStep::Data(chunk) = reader.next_chunk(usize::MAX).await.unwrap() else {
        panic!("data expected");
    };
    assert_eq!(chunk.len(), frame.len());
    assert_eq!(
        chunk.as_ptr(),
        frame.as_ptr(),
        "a slice of the received frame"
    );
}

#[tokio::test]
async fn read_into_a_buffer() {
    let env = Env::start().await;
    if env.dev().is_none() {
        return common::skip();
    }
    let journal = fixture_journal(&env, CompressionCodec::None).await;
    let mut reader = Reader::new(&env.client, request(&journal, 105));
    let mut buf = [0u8; 6];
    let mut got = Vec::new();
    loop {
        match reader.read(&mut buf).await {
            Ok(ReadStep::Data(n)) => {
                assert!(n > 0 && n <= 6);
                got.extend_from_slice(&buf[..n]);
            }
            Ok(ReadStep::Frame) => {}
            Ok(ReadStep::Eof) => panic!("non-blocking read ends with OFFSET_NOT_YET_AVAILABLE"),
            Err(Error::OffsetNotYetAvailable) => break,
            Err(err) => panic!("{err}"),
        }
    }
    assert_eq!(got, b"hello, world!!!");
}

#[tokio::test]
async fn immediate_offset_not_yet_available() {
    let env = Env::start().await;
    if env.dev().is_none() {
        return common::skip();
    }
    let journal = fixture_journal(&env, CompressionCodec::None).await;
    let mut reader = Reader::new(&env.client, request(&journal, 120));
    let err = reader.next_chunk(100).await.unwrap_err();
    assert!(matches!(err, Error::OffsetNotYetAvailable), "{err:?}");
    assert_eq!(err.to_string(), "OFFSET_NOT_YET_AVAILABLE");
    assert_eq!(
        reader.response().status,
        Status::OffsetNotYetAvailable as i32
    );
}

#[tokio::test]
async fn offset_minus_one_resolves_to_the_write_head() {
    let env = Env::start().await;
    if env.dev().is_none() {
        return common::skip();
    }
    let journal = fixture_journal(&env, CompressionCodec::None).await;
    // Non-blocking: the broker answers OFFSET_NOT_YET_AVAILABLE at the write
    // head; the status error wins but the offset update sticks.
    let mut reader = Reader::new(&env.client, request(&journal, -1));
    let err = reader.next_chunk(100).await.unwrap_err();
    assert!(matches!(err, Error::OffsetNotYetAvailable), "{err:?}");
    assert_eq!(reader.request().offset, 120);

    // Blocking: the next append's metadata frame is an offset jump; the
    // Reader continues with the new content.
    let mut req = request(&journal, -1);
    req.block = true;
    let mut reader = Reader::new(&env.client, req);
    let seen = env.read_waits();
    let appended = async {
        env.await_read_waiting(seen).await;
        env.append(&journal, b"next").await;
    };
    let (first, ()) = tokio::join!(reader.next_chunk(100), appended);
    assert!(matches!(first, Err(Error::OffsetJump)), "{first:?}");
    assert_eq!(reader.request().offset, 120);
    assert!(reader.response().fragment.is_some());
    assert_eq!(reader.next_chunk(100).await.unwrap(), ReadStep::Frame);
    assert_eq!(
        reader.next_chunk(100).await.unwrap(),
        ReadStep::Data(Bytes::from_static(b"next"))
    );
}

#[tokio::test]
async fn status_frames_map_to_named_errors() {
    let env = Env::start().await;
    let Some(dev) = env.dev() else {
        return common::skip();
    };
    let journal = fixture_journal(&env, CompressionCodec::None).await;
    let faults = dev.faults();
    for (status, text) in [
        (Status::NotJournalBroker, "NOT_JOURNAL_BROKER"),
        (
            Status::InsufficientJournalBrokers,
            "INSUFFICIENT_JOURNAL_BROKERS",
        ),
        (Status::Suspended, "SUSPENDED"),
        (Status::WrongRoute, "WRONG_ROUTE"),
    ] {
        faults.fail_next(Rpc::Read, 1, Fault::Status(status));
        let mut reader = Reader::new(&env.client, request(&journal, 100));
        let err = reader.next_chunk(100).await.unwrap_err();
        assert_eq!(err.to_string(), text);
        assert_eq!(err.status(), Some(status));
    }
    let mut reader = Reader::new(&env.client, request("fragreader-tests/does/not/exist", 0));
    let err = reader.next_chunk(100).await.unwrap_err();
    assert!(matches!(err, Error::JournalNotFound), "{err:?}");
}

#[tokio::test]
async fn partial_content_then_a_broken_stream() {
    let env = Env::start().await;
    let Some(dev) = env.dev() else {
        return common::skip();
    };
    let journal = fixture_journal(&env, CompressionCodec::None).await;
    dev.faults().cut_stream_after(Rpc::Read, 7);
    let mut reader = Reader::new(&env.client, request(&journal, 100));
    let (got, end) = read_to_end(&mut reader).await;
    assert_eq!(got, b"XXXXXhe");
    let err = end.unwrap_err();
    assert_eq!(err.grpc_code(), Some(tonic::Code::Unavailable), "{err:?}");
    assert_eq!(reader.request().offset, 107);
}

#[tokio::test]
async fn grpc_errors_are_returned_whole() {
    let env = Env::start().await;
    let Some(dev) = env.dev() else {
        return common::skip();
    };
    let journal = fixture_journal(&env, CompressionCodec::None).await;
    dev.faults().fail_next(
        Rpc::Read,
        1,
        Fault::Grpc(tonic::Code::Unknown, "potato".into()),
    );
    let mut reader = Reader::new(&env.client, request(&journal, 100));
    let err = reader.next_chunk(100).await.unwrap_err();
    assert_eq!(err.to_string(), "rpc error: code = Unknown desc = potato");
}

#[tokio::test]
async fn adjusted_offset_accounts_for_buffered_bytes() {
    let env = Env::start().await;
    let journal = env.create("lines", CompressionCodec::None, 1024).await;
    env.append(&journal, b"first line\nsecond line\n").await;
    let mut reader = Reader::new(&env.client, request(&journal, 0));
    // Read a whole frame into a "buffer", then consume one line of it.
    let buffer = loop {
        if let ReadStep::Data(chunk) = reader.next_chunk(usize::MAX).await.unwrap() {
            break chunk;
        }
    };
    let line = buffer.iter().position(|b| *b == b'\n').unwrap() + 1;
    let buffered = buffer.len() - line;
    assert_eq!(reader.request().offset, 23);
    assert_eq!(reader.adjusted_offset(buffered), line as i64);
}

#[tokio::test]
async fn seek_within_a_direct_fragment() {
    let env = Env::start().await;
    if env.dev().is_none() {
        return common::skip();
    }
    let journal = fixture_journal(&env, CompressionCodec::Zstandard).await;
    let mut req = request(&journal, 100);
    req.do_not_proxy = true;
    let mut reader = Reader::new(&env.client, req);

    // No fragment is open yet: a new reader would be needed.
    let err = reader.seek(SeekFrom::Start(105)).await.unwrap_err();
    assert!(matches!(err, Error::SeekRequiresNewReader), "{err:?}");
    assert_eq!(err.to_string(), "seek offset requires new Reader");

    let mut buf = [0u8; 2];
    while !matches!(reader.read(&mut buf).await.unwrap(), ReadStep::Data(_)) {}
    assert_eq!(&buf, b"XX");
    assert!(reader.is_direct());

    // Forward, relative and absolute.
    assert_eq!(reader.seek(SeekFrom::Current(3)).await.unwrap(), 105);
    assert_eq!(reader.read(&mut buf).await.unwrap(), ReadStep::Data(2));
    assert_eq!(&buf, b"he");
    assert_eq!(reader.seek(SeekFrom::Start(112)).await.unwrap(), 112);
    assert_eq!(reader.read(&mut buf).await.unwrap(), ReadStep::Data(2));
    assert_eq!(&buf, b"wo");

    // Backwards, to the fragment end or beyond: the offset is unchanged.
    for target in [
        SeekFrom::Start(110),
        SeekFrom::Current(-1),
        SeekFrom::Start(120),
        SeekFrom::Start(500),
    ] {
        let err = reader.seek(target).await.unwrap_err();
        assert!(
            matches!(err, Error::SeekRequiresNewReader),
            "{target:?}: {err:?}"
        );
        assert_eq!(reader.request().offset, 114);
    }
    assert!(matches!(
        reader.seek(SeekFrom::End(0)).await,
        Err(Error::InvalidArgument(_))
    ));
    let (rest, end) = read_to_end(&mut reader).await;
    end.unwrap();
    assert_eq!(rest, b"rld!!!");
}

#[tokio::test]
async fn cancelled_and_expired_contexts() {
    let env = Env::start().await;
    if env.dev().is_none() {
        return common::skip();
    }
    let journal = fixture_journal(&env, CompressionCodec::None).await;

    let token = CancellationToken::new();
    token.cancel();
    let mut reader = Reader::new(&env.client, request(&journal, 100))
        .with_context(ReadContext::with_cancel(token));
    let err = reader.next_chunk(100).await.unwrap_err();
    assert!(matches!(err, Error::Canceled), "{err:?}");
    assert_eq!(err.to_string(), "context canceled");

    let ctx = ReadContext {
        cancel: None,
        deadline: Some(tokio::time::Instant::now() - Duration::from_millis(1)),
    };
    let mut reader = Reader::new(&env.client, request(&journal, 100)).with_context(ctx);
    let err = reader.next_chunk(100).await.unwrap_err();
    assert_eq!(err.to_string(), "context deadline exceeded");

    // A blocked read is woken by cancellation from another task.
    let token = CancellationToken::new();
    let mut req = request(&journal, 120);
    req.block = true;
    let mut reader =
        Reader::new(&env.client, req).with_context(ReadContext::with_cancel(token.clone()));
    // Cancelled once the read's RPC has started (by the client's counter).
    let stats = env.client.clone();
    let rpcs = stats.stats().snapshot().read_rpcs;
    let canceller = tokio::spawn(async move {
        while stats.stats().snapshot().read_rpcs == rpcs {
            tokio::task::yield_now().await;
        }
        token.cancel();
    });
    // Nothing at the write head: the read blocks until cancelled.
    let err = reader.next_chunk(100).await;
    canceller.await.unwrap();
    assert!(matches!(err, Err(Error::Canceled)), "{err:?}");
}

// ---- Protocol violations, from a scripted broker.

fn fragment(begin: i64, end: i64) -> Fragment {
    Fragment {
        journal: "a/journal".into(),
        begin,
        end,
        compression_codec: CompressionCodec::None as i32,
        ..Default::default()
    }
}

fn scripted_request(offset: i64) -> ReadRequest {
    request("a/journal", offset)
}

#[tokio::test]
async fn content_over_two_frames_after_an_offset_jump() {
    let broker = Stub::start().await;
    broker.push_read(vec![
        Ok(ReadResponse {
            status: Status::Ok as i32,
            header: Some(broker.header()),
            offset: 110,
            write_head: 130,
            fragment: Some(fragment(100, 130)),
            ..Default::default()
        }),
        Ok(ReadResponse {
            offset: 110,
            content: Bytes::from_static(b"hello, "),
            ..Default::default()
        }),
        Ok(ReadResponse {
            offset: 117,
            content: Bytes::from_static(b"world!!!"),
            ..Default::default()
        }),
    ]);
    let client = broker.client();
    let mut reader = Reader::new(&client, scripted_request(105));
    let mut buf = [0u8; 6];

    assert!(matches!(
        reader.read(&mut buf).await,
        Err(Error::OffsetJump)
    ));
    assert_eq!(reader.request().offset, 110);
    let mut steps = Vec::new();
    loop {
        match reader.read(&mut buf).await.unwrap() {
            ReadStep::Eof => break,
            step => {
                if let ReadStep::Data(n) = step {
                    steps.push((
                        String::from_utf8(buf[..n].to_vec()).unwrap(),
                        reader.request().offset,
                    ));
                } else {
                    steps.push(("<frame>".into(), reader.request().offset));
                }
                let response = reader.response();
                assert_eq!(response.fragment, Some(fragment(100, 130)));
                assert_eq!(response.write_head, 130);
            }
        }
    }
    let want: Vec<(String, i64)> = [
        ("<frame>", 110),
        ("hello,", 116),
        (" ", 117),
        ("<frame>", 117),
        ("world!", 123),
        ("!!", 125),
    ]
    .iter()
    .map(|(s, o)| (s.to_string(), *o))
    .collect();
    assert_eq!(steps, want);
    // The route from the header was learned.
    assert!(client.route_cache().get("a/journal").is_some());
}

/// A scripted Read stream and what a Reader at offset 105 makes of it: the
/// content it delivers, then the error that ends it (its message, or its
/// prefix).
struct ScriptedCase {
    name: &'static str,
    frames: fn(Header) -> Vec<Frame>,
    content: &'static [u8],
    error: &'static str,
}

/// The broker's first frame: OK at `offset`, write head 130, `fragment`.
fn metadata(header: Header, offset: i64, fragment: Fragment) -> Frame {
    Ok(ReadResponse {
        status: Status::Ok as i32,
        header: Some(header),
        offset,
        write_head: 130,
        fragment: Some(fragment),
        ..Default::default()
    })
}

fn content(offset: i64, data: &'static [u8]) -> Frame {
    Ok(ReadResponse {
        offset,
        content: Bytes::from_static(data),
        ..Default::default()
    })
}

const SCRIPTED_CASES: &[ScriptedCase] = &[
    ScriptedCase {
        name: "partial content, then a server error",
        frames: |h| {
            vec![
                metadata(h, 105, fragment(100, 130)),
                content(105, b"hello"),
                Err(tonic::Status::unknown("potato")),
            ]
        },
        content: b"hello",
        error: "rpc error: code = Unknown desc = potato",
    },
    ScriptedCase {
        name: "a response offset below the request",
        frames: |h| vec![metadata(h, 100, fragment(100, 130))],
        content: b"",
        error: "invalid ReadResponse offset (100; expected >= 105)",
    },
    ScriptedCase {
        name: "an invalid fragment in the metadata",
        frames: |h| {
            let mut bad = fragment(100, 130);
            bad.journal = String::new();
            vec![metadata(h, 105, bad)]
        },
        content: b"",
        error: "ReadResponse.Fragment.Journal: invalid length",
    },
];

#[tokio::test]
async fn scripted_streams_deliver_then_fail_as_expected() {
    let broker = Stub::start().await;
    let client = broker.client();
    for case in SCRIPTED_CASES {
        broker.push_read((case.frames)(broker.header()));
        let mut reader = Reader::new(&client, scripted_request(105));
        let (got, end) = read_to_end(&mut reader).await;
        assert_eq!(got, case.content, "{}", case.name);
        let err = end.expect_err(case.name).to_string();
        assert!(err.starts_with(case.error), "{}: {err}", case.name);
    }
}

#[tokio::test]
async fn a_successor_is_routed_by_the_last_header() {
    let broker = Stub::start().await;
    broker.push_read(vec![Ok(ReadResponse {
        status: Status::NotJournalBroker as i32,
        header: Some(broker.header()),
        ..Default::default()
    })]);
    broker.push_read(vec![]);
    let client = broker.client();
    let mut reader = Reader::new(&client, scripted_request(105));
    assert!(matches!(
        reader.next_chunk(10).await,
        Err(Error::NotJournalBroker)
    ));
    let mut next = reader.successor();
    assert_eq!(next.response().header, Some(broker.header()));
    assert_eq!(next.next_chunk(10).await.unwrap(), ReadStep::Eof);
    // The new RPC cleared the carried response.
    assert_eq!(next.response(), &ReadResponse::default());
    assert_eq!(broker.read_requests().len(), 2);
}

#[tokio::test]
async fn metadata_only_reads_end_after_the_metadata_frame() {
    let env = Env::start().await;
    let journal = env
        .create("metadata-only", CompressionCodec::None, 1024)
        .await;
    env.append(&journal, b"some content").await;
    let mut req = request(&journal, 4);
    req.metadata_only = true;
    let mut reader = Reader::new(&env.client, req);
    assert_eq!(reader.next_chunk(100).await.unwrap(), ReadStep::Frame);
    let response = reader.response();
    assert_eq!(response.offset, 4);
    assert_eq!(response.write_head, 12);
    assert!(response.header.is_some());
    assert_eq!(reader.next_chunk(100).await.unwrap(), ReadStep::Eof);
    assert_eq!(
        reader.next_chunk(100).await.unwrap(),
        ReadStep::Eof,
        "EOF sticks"
    );
    assert_eq!(reader.request().offset, 4);
}

#[tokio::test]
async fn proxied_read_stops_at_end_offset() {
    let env = Env::start().await;
    let journal = env.create("end-offset", CompressionCodec::None, 1024).await;
    env.append(&journal, b"0123456789").await;
    let mut req = request(&journal, 2);
    req.end_offset = 6;
    let mut reader = Reader::new(&env.client, req);
    let (got, end) = read_to_end(&mut reader).await;
    end.unwrap();
    assert_eq!(got, b"2345");
    assert_eq!(reader.request().offset, 6);
}

#[tokio::test]
async fn invalid_requests_are_refused_before_any_rpc() {
    let env = Env::start().await;
    let mut req = request("fragreader-tests/bad", 10);
    req.end_offset = 5;
    let mut reader = Reader::new(&env.client, req);
    let err = reader.next_chunk(10).await.unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "ReadRequest: invalid EndOffset (5; expected 0 or Offset <= EndOffset)"
    );
}
