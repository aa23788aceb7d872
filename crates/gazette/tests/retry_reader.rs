//! RetryReader against the dev broker (faults injected where Gazette's tests
//! use a stub), plus a scripted broker and HTTP fragment server for
//! misbehaving direct fragment reads.

mod common;
mod read_support;

use std::io::SeekFrom;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use common::scripted::Stub;
use gazette::assignment::await_assignment;
use gazette::protocol::{CompressionCodec, Fragment, ReadRequest, ReadResponse, Status};
use gazette::reader::{ReadContext, ReadStep};
use gazette::retry_reader::RetryReader;
use gazette::Error;
use gazette_devbroker::{Fault, Rpc};
use read_support::Env;
use tokio_util::sync::CancellationToken;

fn request(journal: &str, offset: i64) -> ReadRequest {
    ReadRequest {
        journal: journal.to_string(),
        offset,
        ..Default::default()
    }
}

/// Reads until EOF or an error; returns the data and how it ended.
async fn read_to_end(rr: &mut RetryReader) -> (Vec<u8>, Result<(), Error>) {
    let mut out = Vec::new();
    loop {
        match rr.next_chunk(usize::MAX).await {
            Ok(ReadStep::Data(chunk)) => out.extend_from_slice(&chunk),
            Ok(ReadStep::Frame) => {}
            Ok(ReadStep::Eof) => return (out, Ok(())),
            Err(err) => return (out, Err(err)),
        }
    }
}

/// Reads until `n` bytes arrived (failing on any error).
async fn read_exactly(rr: &mut RetryReader, n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    while out.len() < n {
        match rr.next_chunk(n - out.len()).await.unwrap() {
            ReadStep::Data(chunk) => out.extend_from_slice(&chunk),
            ReadStep::Frame => {}
            ReadStep::Eof => panic!("EOF after {} bytes", out.len()),
        }
    }
    out
}

#[tokio::test]
async fn offset_and_journal_reflect_the_request() {
    let env = Env::start().await;
    let rr = RetryReader::new(&env.client, request("a/journal/name", 1234));
    assert_eq!(rr.journal(), "a/journal/name");
    assert_eq!(rr.offset(), 1234);
}

#[tokio::test]
async fn retries_through_errors_and_routing_statuses() {
    let env = Env::start().await;
    let Some(dev) = env.dev() else {
        return common::skip();
    };
    let journal = env.create("retries", CompressionCodec::None, 1024).await;
    env.append(&journal, &[b'.'; 100]).await;
    env.append(&journal, b"foobarbazbing").await;

    let faults = dev.faults();
    faults.fail_next(
        Rpc::Read,
        1,
        Fault::Grpc(tonic::Code::Unknown, "potato".into()),
    );
    faults.fail_next(Rpc::Read, 1, Fault::Status(Status::NotJournalBroker));
    faults.cut_stream_after(Rpc::Read, 3);
    let retries_before = env.client.stats().snapshot().retries;

    let mut rr = RetryReader::new(&env.client, request(&journal, 100));
    let mut got = Vec::new();
    let end = loop {
        match rr.next_chunk(usize::MAX).await {
            Ok(ReadStep::Data(chunk)) => {
                got.extend_from_slice(&chunk);
                if got.len() == 3 {
                    // The next stream is cut too, after "barba".
                    faults.cut_stream_after(Rpc::Read, 5);
                }
            }
            Ok(ReadStep::Frame) => {}
            Ok(ReadStep::Eof) => panic!("a non-blocking read ends with OFFSET_NOT_YET_AVAILABLE"),
            Err(err) => break err,
        }
    };
    assert_eq!(got, b"foobarbazbing");
    assert!(matches!(end, Error::OffsetNotYetAvailable), "{end:?}");
    assert_eq!(rr.offset(), 113);
    // Failed RPC, NOT_JOURNAL_BROKER, two cut streams.
    assert!(env.client.stats().snapshot().retries - retries_before >= 4);
    assert!(dev.counters().total(Rpc::Read) >= 5);
}

#[tokio::test]
async fn switching_block_on_swallows_offset_not_yet_available() {
    let env = Env::start().await;
    let journal = env.create("block", CompressionCodec::None, 1024).await;
    env.append(&journal, b"first").await;

    let mut rr = RetryReader::new(&env.client, request(&journal, 0));
    assert_eq!(read_exactly(&mut rr, 5).await, b"first");
    // Block on the live reader: its coming OFFSET_NOT_YET_AVAILABLE is
    // retried as a blocking read, which waits for the next append.
    rr.reader_mut().request_mut().block = true;
    let seen = env.read_waits();
    let appended = async {
        env.await_read_waiting(seen).await;
        env.append(&journal, b"second").await;
    };
    let (got, ()) = tokio::join!(read_exactly(&mut rr, 6), appended);
    assert_eq!(got, b"second");
    assert_eq!(rr.offset(), 11);

    // A blocking read at -1 surfaces the jump to the write head.
    let mut req = request(&journal, -1);
    req.block = true;
    rr.cancel();
    rr.restart(req);
    let seen = env.read_waits();
    let appended = async {
        env.await_read_waiting(seen).await;
        env.append(&journal, b"third").await;
    };
    let (jump, ()) = tokio::join!(rr.next_chunk(100), appended);
    assert!(matches!(jump, Err(Error::OffsetJump)), "{jump:?}");
    assert_eq!(rr.offset(), 11);
    assert_eq!(read_exactly(&mut rr, 5).await, b"third");
}

#[tokio::test]
async fn cancel_from_another_thread() {
    let env = Env::start().await;
    let journal = env.create("cancel", CompressionCodec::None, 1024).await;
    env.append(&journal, b"available").await;

    let mut req = request(&journal, 0);
    req.block = true;
    let mut rr = RetryReader::new(&env.client, req.clone());
    let handle = rr.cancel_handle();
    let seen = env.read_waits();
    // The available data is delivered, then the next read blocks.
    assert_eq!(read_exactly(&mut rr, 9).await, b"available");
    let cancelled = async {
        // Once the broker waits at the write head, another thread cancels.
        env.await_read_waiting(seen).await;
        std::thread::spawn(move || handle.cancel()).join().unwrap();
    };
    let ((got, end), ()) = tokio::join!(read_to_end(&mut rr), cancelled);
    assert_eq!(got, b"");
    assert_eq!(end.unwrap_err().to_string(), "context canceled");
    // It stays cancelled until restarted.
    assert!(matches!(rr.next_chunk(10).await, Err(Error::Canceled)));

    req.offset = 5;
    rr.restart(req);
    assert_eq!(read_exactly(&mut rr, 4).await, b"able");
}

#[tokio::test]
async fn parent_context_bounds_every_reader() {
    let env = Env::start().await;
    let journal = env.create("parent", CompressionCodec::None, 1024).await;
    let mut req = request(&journal, 0);
    req.block = true;

    let parent = CancellationToken::new();
    let mut rr = RetryReader::with_context(
        &env.client,
        req.clone(),
        ReadContext::with_cancel(parent.clone()),
    );
    parent.cancel();
    assert!(matches!(rr.next_chunk(10).await, Err(Error::Canceled)));
    rr.restart(req.clone());
    assert!(
        matches!(rr.next_chunk(10).await, Err(Error::Canceled)),
        "children of a cancelled parent"
    );

    let ctx = ReadContext {
        cancel: None,
        deadline: Some(tokio::time::Instant::now() + Duration::from_millis(100)),
    };
    let mut rr = RetryReader::with_context(&env.client, req, ctx);
    let err = rr.next_chunk(10).await.unwrap_err();
    assert_eq!(err.to_string(), "context deadline exceeded");
}

#[tokio::test]
async fn restart_with_end_offset_reads_through_fragment_ends_and_errors() {
    let env = Env::start().await;
    let Some(dev) = env.dev() else {
        return common::skip();
    };
    let journal = env.create("end-offset", CompressionCodec::Gzip, 1024).await;
    env.append(&journal, &[b'.'; 100]).await;
    env.flush(&journal);
    env.append(&journal, b"foob").await;
    env.flush(&journal);
    env.append(&journal, b"arbaz.more").await;
    env.flush(&journal);

    let mut rr = RetryReader::new(&env.client, request(&journal, 0));
    dev.faults().fail_next(
        Rpc::Read,
        1,
        Fault::Grpc(tonic::Code::Unavailable, "try again".into()),
    );
    let mut req = request(&journal, 100);
    req.end_offset = 110;
    req.do_not_proxy = true;
    rr.cancel();
    rr.restart(req);
    // Direct reads: fragment [100, 104) ends early (EOF, retried at once),
    // then [104, 114) is read up to the end offset.
    let (got, end) = read_to_end(&mut rr).await;
    end.unwrap();
    assert_eq!(got, b"foobarbaz.");
    assert_eq!(rr.offset(), 110);
    assert_eq!(rr.next_chunk(10).await.unwrap(), ReadStep::Eof);
}

#[tokio::test]
async fn journal_not_found_is_surfaced_after_a_few_tries() {
    let env = Env::start().await;
    let retries_before = env.client.stats().snapshot().retries;
    let mut rr = RetryReader::new(&env.client, request("fragreader-tests/no/such/journal", 0));
    let err = rr.next_chunk(10).await.unwrap_err();
    assert!(matches!(err, Error::JournalNotFound), "{err:?}");
    assert_eq!(env.client.stats().snapshot().retries - retries_before, 4);
}

#[tokio::test]
async fn reading_through_a_broker_restart() {
    let env = Env::start().await;
    let Some(dev) = env.dev() else {
        return common::skip();
    };
    let journal = env.create("restart", CompressionCodec::None, 1024).await;
    env.append(&journal, b"before").await;
    let mut req = request(&journal, 0);
    req.block = true;
    let mut rr = RetryReader::new(&env.client, req);
    let seen = env.read_waits();
    assert_eq!(read_exactly(&mut rr, 6).await, b"before");

    let restarted = async {
        // Stopped under a read blocked at the write head, restarted at once:
        // the reader retries until the broker is back.
        env.await_read_waiting(seen).await;
        assert!(dev.stop_broker(0).await);
        assert!(dev.restart_broker(0).await.unwrap());
        // A restarted broker takes its assignments back after a moment.
        await_assignment(&env.client, &journal, Duration::from_secs(10))
            .await
            .unwrap();
        env.append(&journal, b"after").await;
    };
    let (got, ()) = tokio::join!(read_exactly(&mut rr, 5), restarted);
    assert_eq!(got, b"after");
    assert_eq!(rr.offset(), 11);
}

#[tokio::test]
async fn seek_discards_forward_and_restarts_backward() {
    let env = Env::start().await;
    let Some(dev) = env.dev() else {
        return common::skip();
    };
    let journal = env.create("seek", CompressionCodec::Snappy, 1024).await;
    env.append(&journal, &[b'.'; 100]).await;
    env.flush(&journal);
    env.append(&journal, b"XXXXXhello, world!!!").await;
    env.flush(&journal);

    let mut req = request(&journal, 100);
    req.do_not_proxy = true;
    let mut rr = RetryReader::new(&env.client, req);
    assert_eq!(read_exactly(&mut rr, 5).await, b"XXXXX");
    let rpcs = dev.counters().total(Rpc::Read);

    // Forward within the open fragment: discarded, no new RPC.
    assert_eq!(rr.seek(SeekFrom::Current(1)).await.unwrap(), 106);
    assert_eq!(read_exactly(&mut rr, 5).await, b"ello,");
    assert_eq!(dev.counters().total(Rpc::Read), rpcs);

    // Backward: the reader restarts at the new offset.
    let old = rr.reader().context().cancel.clone().unwrap();
    assert_eq!(rr.seek(SeekFrom::Start(105)).await.unwrap(), 105);
    assert!(old.is_cancelled(), "the old reader was cancelled");
    assert_eq!(read_exactly(&mut rr, 5).await, b"hello");
    assert_eq!(dev.counters().total(Rpc::Read), rpcs + 1);

    assert!(matches!(
        rr.seek(SeekFrom::End(0)).await,
        Err(Error::InvalidArgument(_))
    ));
}

#[tokio::test]
async fn adjusted_seek_uses_the_buffer_when_it_can() {
    let env = Env::start().await;
    let journal = env.create("adjusted", CompressionCodec::None, 1024).await;
    env.append(&journal, b"0123456789abcdefghij").await;

    let mut rr = RetryReader::new(&env.client, request(&journal, 0));
    // The caller buffers 10 bytes and consumes 2 of them.
    let mut buffer = BytesMut::from(&read_exactly(&mut rr, 10).await[..]);
    let _ = buffer.split_to(2);
    assert_eq!(rr.adjusted_offset(&buffer), 2);

    // Within the buffer: discards from it; the reader is untouched.
    let token = rr.reader().context().cancel.clone().unwrap();
    assert_eq!(
        rr.adjusted_seek(SeekFrom::Current(3), &mut buffer)
            .await
            .unwrap(),
        5
    );
    assert_eq!(&buffer[..], b"56789");
    assert_eq!(
        rr.adjusted_seek(SeekFrom::Start(10), &mut buffer)
            .await
            .unwrap(),
        10
    );
    assert!(buffer.is_empty());
    assert!(!token.is_cancelled());
    assert_eq!(rr.offset(), 10);

    // Outside it: the buffer is reset and the reader restarted there.
    let mut buffer = Bytes::from_static(b"abc");
    assert_eq!(rr.adjusted_offset(&buffer), 7);
    assert_eq!(
        rr.adjusted_seek(SeekFrom::Start(1), &mut buffer)
            .await
            .unwrap(),
        1
    );
    assert!(buffer.is_empty());
    assert!(token.is_cancelled(), "the old reader was cancelled");
    assert_eq!(read_exactly(&mut rr, 4).await, b"1234");
}

// ---- Misbehaving direct fragment reads, from a scripted broker and an HTTP
// fragment server.

const CONTENT: &[u8] = b"XXXXXhello, world!!!";

/// How the fragment server answers.
#[derive(Clone, Copy, Debug)]
enum Misbehave {
    /// The body stops after 7 bytes (the connection closes early).
    ShortBody,
    /// The body comes one byte per chunk.
    ByteAtATime,
    /// Seven bytes, then the connection is reset.
    AbortAfterData,
    /// The content plus extra bytes past the fragment's end.
    TooLong,
}

/// A raw HTTP/1.1 fragment server (raw, so partial bodies and resets are
/// exactly as written).
async fn serve_fragment(how: Misbehave) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                // Read the request head.
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if stream.read(&mut byte).await.unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                let pause = || tokio::time::sleep(Duration::from_millis(50));
                match how {
                    Misbehave::ShortBody => {
                        let head = format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
                            CONTENT.len()
                        );
                        stream.write_all(head.as_bytes()).await.unwrap();
                        stream.write_all(&CONTENT[..7]).await.unwrap();
                        stream.flush().await.unwrap();
                        pause().await;
                        let _ = stream.shutdown().await;
                    }
                    Misbehave::AbortAfterData => {
                        let head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7\r\n";
                        stream.write_all(head.as_bytes()).await.unwrap();
                        stream.write_all(&CONTENT[..7]).await.unwrap();
                        stream.write_all(b"\r\n").await.unwrap();
                        stream.flush().await.unwrap();
                        pause().await;
                        // Reset the connection rather than closing it (a zero
                        // linger doesn't block on drop).
                        #[allow(deprecated)]
                        let _ = stream.set_linger(Some(Duration::ZERO));
                        drop(stream);
                    }
                    Misbehave::ByteAtATime => {
                        let head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
                        stream.write_all(head.as_bytes()).await.unwrap();
                        for b in CONTENT {
                            stream.write_all(b"1\r\n").await.unwrap();
                            stream.write_all(&[*b, b'\r', b'\n']).await.unwrap();
                            stream.flush().await.unwrap();
                            tokio::time::sleep(Duration::from_millis(2)).await;
                        }
                        stream.write_all(b"0\r\n\r\n").await.unwrap();
                        let _ = stream.shutdown().await;
                    }
                    Misbehave::TooLong => {
                        let body = [CONTENT, b"EXTRA"].concat();
                        let head =
                            format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len());
                        stream.write_all(head.as_bytes()).await.unwrap();
                        stream.write_all(&body).await.unwrap();
                        let _ = stream.shutdown().await;
                    }
                }
            });
        }
    });
    (addr, task)
}

fn fragment() -> Fragment {
    Fragment {
        journal: "a/journal".into(),
        begin: 100,
        end: 120,
        compression_codec: CompressionCodec::None as i32,
        backing_store: "s3://bucket/".into(),
        mod_time: 1234,
        ..Default::default()
    }
}

fn not_yet_available(header: Option<gazette::protocol::Header>) -> common::scripted::Frame {
    Ok(ReadResponse {
        status: Status::OffsetNotYetAvailable as i32,
        header,
        offset: 120,
        write_head: 120,
        ..Default::default()
    })
}

#[tokio::test]
async fn misbehaving_direct_reads_recover_through_rpcs() {
    for how in [
        Misbehave::ShortBody,
        Misbehave::ByteAtATime,
        Misbehave::AbortAfterData,
        Misbehave::TooLong,
    ] {
        let (addr, server) = serve_fragment(how).await;
        let broker = Stub::start().await;
        // First RPC: the fragment's metadata and URL, then the stream ends.
        broker.push_read(vec![Ok(ReadResponse {
            status: Status::Ok as i32,
            header: Some(broker.header()),
            offset: 100,
            write_head: 120,
            fragment: Some(fragment()),
            fragment_url: format!("http://{addr}/a/journal/fragment"),
            ..Default::default()
        })]);
        match how {
            // The direct read broke after 7 bytes: the next RPC streams the
            // rest, then the non-blocking read reaches the write head.
            Misbehave::ShortBody | Misbehave::AbortAfterData => broker.push_read(vec![
                Ok(ReadResponse {
                    status: Status::Ok as i32,
                    header: Some(broker.header()),
                    offset: 107,
                    write_head: 120,
                    fragment: Some(fragment()),
                    ..Default::default()
                }),
                Ok(ReadResponse {
                    offset: 107,
                    content: Bytes::copy_from_slice(&CONTENT[7..]),
                    ..Default::default()
                }),
                not_yet_available(None),
            ]),
            // The whole fragment was read (then EOF, or the extra bytes'
            // error): the next RPC finds the write head.
            Misbehave::ByteAtATime | Misbehave::TooLong => {
                broker.push_read(vec![not_yet_available(Some(broker.header()))])
            }
        }
        let mut req = request("a/journal", 100);
        req.do_not_proxy = true;
        let mut rr = RetryReader::new(&broker.client(), req);
        let (got, end) = read_to_end(&mut rr).await;
        assert_eq!(got, CONTENT, "{how:?}");
        assert!(
            matches!(end, Err(Error::OffsetNotYetAvailable)),
            "{how:?}: {end:?}"
        );
        assert_eq!(rr.offset(), 120);
        let offsets: Vec<i64> = broker.read_requests().iter().map(|r| r.offset).collect();
        let resumed_at = if matches!(how, Misbehave::ShortBody | Misbehave::AbortAfterData) {
            107
        } else {
            120
        };
        assert_eq!(offsets, vec![100, resumed_at], "{how:?}");
        server.abort();
    }
}

#[tokio::test]
async fn end_offset_ends_a_blocking_read() {
    let env = Env::start().await;
    let journal = env
        .create("blocking-end", CompressionCodec::None, 1024)
        .await;
    env.append(&journal, b"0123").await;
    let mut req = request(&journal, 1);
    req.block = true;
    req.end_offset = 7;
    let mut rr = RetryReader::new(&env.client, req);
    let seen = env.read_waits();
    let appended = async {
        env.await_read_waiting(seen).await;
        env.append(&journal, b"456789").await;
    };
    let ((got, end), ()) = tokio::join!(read_to_end(&mut rr), appended);
    end.unwrap();
    assert_eq!(got, b"123456");
    assert_eq!(rr.offset(), 7);
}

#[tokio::test]
async fn invalid_requests_are_returned_not_retried() {
    let env = Env::start().await;
    let mut rr = RetryReader::new(&env.client, request("bad", 0));
    let err = rr.next_chunk(10).await.unwrap_err();
    assert!(
        err.to_string().starts_with("ReadRequest.Journal: "),
        "{err}"
    );
}

#[tokio::test]
async fn as_an_async_read_and_a_stream() {
    use tokio::io::AsyncBufReadExt;
    use tokio_stream::StreamExt;

    let env = Env::start().await;
    let journal = env.create("lines", CompressionCodec::Gzip, 1024).await;
    let text: String = (0..200).map(|i| format!("line number {i}\n")).collect();
    env.append(&journal, text.as_bytes()).await;
    let end = text.len() as i64;

    // Lines through a BufReader, ending at end_offset.
    let mut req = request(&journal, 0);
    req.end_offset = end;
    req.block = true;
    let stream = RetryReader::new(&env.client, req.clone()).into_stream();
    let mut lines = tokio::io::BufReader::new(stream).lines();
    let mut n = 0;
    while let Some(line) = lines.next_line().await.unwrap() {
        assert_eq!(line, format!("line number {n}"));
        n += 1;
    }
    assert_eq!(n, 200);

    // Chunks through the Stream, with an error item for a non-blocking read
    // reaching the write head.
    req.block = false;
    req.end_offset = 0;
    let mut stream = RetryReader::new(&env.client, req).into_stream();
    let mut got = Vec::new();
    let err = loop {
        match stream.next().await {
            Some(Ok(chunk)) => got.extend_from_slice(&chunk),
            Some(Err(err)) => break err,
            None => panic!("non-blocking reads end with OFFSET_NOT_YET_AVAILABLE"),
        }
    };
    assert!(matches!(err, Error::OffsetNotYetAvailable), "{err:?}");
    assert_eq!(got, text.as_bytes());
    assert_eq!(stream.get_ref().unwrap().offset(), end);
}

#[tokio::test]
async fn deleted_fragments_are_skipped_with_an_offset_jump() {
    let env = Env::start().await;
    if env.dev().is_none() {
        return common::skip();
    }
    let journal = env
        .create("expired", CompressionCodec::Zstandard, 1024)
        .await;
    env.append(&journal, b"expired!").await;
    env.flush(&journal);
    env.append(&journal, b"kept").await;
    env.flush(&journal);
    // Remove the first fragment's file, as retention would.
    let dir = env.store_root().join(&journal);
    let first = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("0000000000000000-")
        })
        .expect("first fragment file");
    std::fs::remove_file(first).unwrap();

    for do_not_proxy in [false, true] {
        let mut req = request(&journal, 0);
        req.do_not_proxy = do_not_proxy;
        let mut rr = RetryReader::new(&env.client, req);
        let jump = rr.next_chunk(100).await;
        assert!(matches!(jump, Err(Error::OffsetJump)), "{jump:?}");
        assert_eq!(rr.offset(), 8);
        let (got, end) = read_to_end(&mut rr).await;
        assert!(matches!(end, Err(Error::OffsetNotYetAvailable)), "{end:?}");
        assert_eq!(got, b"kept");
    }
}

#[tokio::test]
async fn do_not_proxy_reads_find_a_member_through_the_response_route() {
    let env = Env::start_with(2).await;
    let Some(dev) = env.dev() else {
        return common::skip();
    };
    let journal = env
        .create("discovery", CompressionCodec::Snappy, 1024)
        .await;
    env.append(&journal, b"found it").await;
    env.flush(&journal);
    let route = gazette::get_journal(&env.client, &journal)
        .await
        .unwrap()
        .route
        .unwrap();
    let member = (0..2)
        .find(|i| route.members[0] == dev.process_id(*i))
        .unwrap();
    let other = 1 - member;

    // A client that only knows the other broker and caches no routes: the
    // NOT_JOURNAL_BROKER answer's header routes the retry to the member.
    let mut config =
        gazette::ClientConfig::new(dev.endpoint(other)).with_file_root(env.store_root());
    config.route_cache_size = 0;
    let client = gazette::Client::new(config).unwrap();
    let before = (
        dev.counters().get(other, Rpc::Read),
        dev.counters().get(member, Rpc::Read),
    );
    let mut req = request(&journal, 0);
    req.do_not_proxy = true;
    let mut rr = RetryReader::new(&client, req);
    let (got, end) = read_to_end(&mut rr).await;
    assert!(matches!(end, Err(Error::OffsetNotYetAvailable)), "{end:?}");
    assert_eq!(got, b"found it");
    assert_eq!(dev.counters().get(other, Rpc::Read) - before.0, 1);
    assert!(dev.counters().get(member, Rpc::Read) - before.1 >= 1);
}
