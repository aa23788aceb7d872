//! A broker that breaks the Read protocol, scripted: the Reader and the
//! RetryReader return a clear error (or, for content past `end_offset`, cut
//! it off and end), never a panic, never a byte at a wrong offset, and the
//! RetryReader gives up on a broker that keeps breaking it.

mod common;

use bytes::Bytes;
use common::scripted::{Frame, Stub};
use gazette::protocol::{CompressionCodec, Fragment, Header, ReadRequest, ReadResponse, Status};
use gazette::reader::{ReadStep, Reader};
use gazette::retry_reader::RetryReader;
use gazette::{Client, ClientConfig, Error};

const JOURNAL: &str = "a/journal";

fn fragment(begin: i64, end: i64) -> Fragment {
    Fragment {
        journal: JOURNAL.into(),
        begin,
        end,
        compression_codec: CompressionCodec::None as i32,
        ..Default::default()
    }
}

/// An OK metadata frame at `offset` of `fragment`, write head 130.
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

fn request(offset: i64) -> ReadRequest {
    ReadRequest {
        journal: JOURNAL.into(),
        offset,
        ..Default::default()
    }
}

/// The content names of stores: `<begin>-<end>-<sha1>` (codec NONE).
fn url_of(begin: i64, end: i64) -> String {
    format!(
        "file:///{JOURNAL}/{begin:016x}-{end:016x}-{}",
        "0".repeat(40)
    )
}

/// Reads `$reader` (a Reader or a RetryReader) to EOF or an error, skipping
/// frames; the bytes and how it ended.
macro_rules! read_to_end {
    ($reader:expr) => {{
        let mut out = Vec::new();
        let end: Result<(), Error> = loop {
            match $reader.next_chunk(8192).await {
                Ok(ReadStep::Data(chunk)) => out.extend_from_slice(&chunk),
                Ok(ReadStep::Frame) => {}
                Ok(ReadStep::Eof) => break Ok(()),
                Err(err) => break Err(err),
            }
        };
        (out, end)
    }};
}

/// The frames of one scripted Read RPC, given the broker's header.
type Script = fn(Header) -> Vec<Frame>;

/// One breach: the frames of each RPC, the request, and the error it
/// must end with (`matches`, and a prefix of its text).
struct Breach {
    name: &'static str,
    frames: Script,
    do_not_proxy: bool,
    is: fn(&Error) -> bool,
    text: &'static str,
}

fn protocol(err: &Error) -> bool {
    matches!(err, Error::Protocol(_))
}

fn validation(err: &Error) -> bool {
    matches!(err, Error::Validation(_))
}

/// Breaches at the Reader's first content (a Reader at 105): nothing may
/// be delivered.
const BREACHES: &[Breach] = &[
    Breach {
        name: "content going backwards (an overlap)",
        frames: |h| {
            vec![
                metadata(h, 105, fragment(100, 130)),
                content(103, b"XXhello"),
            ]
        },
        do_not_proxy: false,
        is: validation,
        text: "invalid ReadResponse offset (103; expected >= 105)",
    },
    Breach {
        name: "content leaving a gap",
        frames: |h| vec![metadata(h, 105, fragment(100, 130)), content(108, b"lo")],
        do_not_proxy: false,
        is: protocol,
        text: "broker sent a content frame at offset 108 where 105 was expected (a gap of 3 bytes)",
    },
    Breach {
        name: "content before any metadata frame",
        frames: |_| vec![content(105, b"hello")],
        do_not_proxy: false,
        is: protocol,
        text: "broker sent a content frame (offset 105) before any metadata frame",
    },
    Breach {
        name: "a fragment beginning after the offset",
        frames: |h| vec![metadata(h, 105, fragment(110, 130)), content(105, b"hello")],
        do_not_proxy: false,
        is: validation,
        text: "ReadResponse: invalid Offset (105; expected 110 <= offset < 130)",
    },
    Breach {
        name: "a fragment ending at the offset",
        frames: |h| vec![metadata(h, 105, fragment(100, 105)), content(105, b"hello")],
        do_not_proxy: false,
        is: validation,
        text: "ReadResponse: invalid Offset (105; expected 100 <= offset < 105)",
    },
    Breach {
        name: "content running past its fragment",
        frames: |h| vec![metadata(h, 105, fragment(100, 108)), content(105, b"hello")],
        do_not_proxy: false,
        is: protocol,
        text: "broker sent content [105, 110) outside its fragment [100, 108)",
    },
    Breach {
        name: "a non-OK status with content",
        frames: |h| {
            vec![
                metadata(h, 105, fragment(100, 130)),
                Ok(ReadResponse {
                    status: Status::NotJournalBroker as i32,
                    offset: 105,
                    content: Bytes::from_static(b"hello"),
                    ..Default::default()
                }),
            ]
        },
        do_not_proxy: false,
        is: validation,
        text: "ReadResponse: unexpected Status with Content (NOT_JOURNAL_BROKER)",
    },
    Breach {
        name: "a fragment URL of another fragment",
        frames: |h| {
            let mut meta = metadata(h, 105, fragment(100, 130)).unwrap();
            meta.fragment_url = url_of(0, 100);
            vec![Ok(meta)]
        },
        do_not_proxy: true,
        is: protocol,
        text: "broker sent fragment URL file:///a/journal/0000000000000000-0000000000000064-",
    },
];

fn check(case: &Breach, got: &[u8], end: Result<(), Error>) {
    assert_eq!(got, b"", "{}: no byte may be delivered", case.name);
    let err = end.expect_err(case.name);
    assert!((case.is)(&err), "{}: {err:?}", case.name);
    assert!(
        err.to_string().starts_with(case.text),
        "{}: {err}",
        case.name
    );
}

#[tokio::test]
async fn a_reader_refuses_each_breach() {
    let broker = Stub::start().await;
    let client = broker.client();
    for case in BREACHES {
        broker.push_read((case.frames)(broker.header()));
        let mut req = request(105);
        req.do_not_proxy = case.do_not_proxy;
        let mut reader = Reader::new(&client, req);
        let (got, end) = read_to_end!(reader);
        check(case, &got, end);
        assert_eq!(reader.request().offset, 105, "{}", case.name);
        // The error sticks.
        assert!(reader.next_chunk(1024).await.is_err(), "{}", case.name);
    }
}

#[tokio::test]
async fn a_reader_stops_at_a_breach_after_good_content() {
    let broker = Stub::start().await;
    let client = broker.client();
    let cases: [(Script, &str); 2] = [
        (
            |h| {
                vec![
                    metadata(h, 105, fragment(100, 130)),
                    content(105, b"hello"),
                    content(107, b"llo, world"),
                ]
            },
            "invalid ReadResponse offset (107; expected >= 110)",
        ),
        (
            |h| {
                vec![
                    metadata(h, 105, fragment(100, 130)),
                    content(105, b"hello"),
                    content(112, b"world"),
                ]
            },
            "broker sent a content frame at offset 112 where 110 was expected",
        ),
    ];
    for (frames, text) in cases {
        broker.push_read(frames(broker.header()));
        let mut reader = Reader::new(&client, request(105));
        let (got, end) = read_to_end!(reader);
        assert_eq!(got, b"hello");
        let err = end.unwrap_err().to_string();
        assert!(err.starts_with(text), "{err}");
        assert_eq!(reader.request().offset, 110);
    }
}

#[tokio::test]
async fn content_past_end_offset_is_cut_off_there() {
    let broker = Stub::start().await;
    let client = broker.client();
    // One frame running past the end; then a frame that starts there.
    broker.push_read(vec![
        metadata(broker.header(), 105, fragment(100, 130)),
        content(105, b"hello, world"),
    ]);
    broker.push_read(vec![
        metadata(broker.header(), 105, fragment(100, 130)),
        content(105, b"hello"),
        content(110, b", world"),
    ]);
    for _ in 0..2 {
        let mut req = request(105);
        req.end_offset = 110;
        let mut reader = Reader::new(&client, req);
        let (got, end) = read_to_end!(reader);
        assert_eq!(got, b"hello");
        end.unwrap();
        assert_eq!(reader.request().offset, 110);
    }
    // The same through a RetryReader: EOF at the end, one RPC.
    broker.push_read(vec![
        metadata(broker.header(), 105, fragment(100, 130)),
        content(105, b"hello, world"),
    ]);
    let mut req = request(105);
    req.end_offset = 110;
    let mut rr = RetryReader::new(&client, req);
    let (got, end) = read_to_end!(rr);
    assert_eq!(got, b"hello");
    end.unwrap();
    assert_eq!(broker.read_requests().len(), 3);
}

/// A RetryReader against a broker answering every RPC with `case`'s
/// breach: the error after three retries, a fourth RPC never made.
async fn retry_reader_gives_up(case: &'static Breach) {
    let broker = Stub::start().await;
    let client = broker.client();
    // The first RPC and three retries break; a fifth would find the write
    // head, which would show as OFFSET_NOT_YET_AVAILABLE.
    broker.push_reads(4, (case.frames)(broker.header()));
    broker.push_read(vec![Ok(ReadResponse {
        status: Status::OffsetNotYetAvailable as i32,
        header: Some(broker.header()),
        offset: 105,
        write_head: 105,
        ..Default::default()
    })]);
    let mut req = request(105);
    req.do_not_proxy = case.do_not_proxy;
    let mut rr = RetryReader::new(&client, req);
    let (got, end) = read_to_end!(rr);
    check(case, &got, end);
    assert_eq!(rr.offset(), 105, "{}", case.name);
    let rpcs = broker.read_requests().len();
    assert_eq!(rpcs, 4, "{}", case.name);
    println!("{}: {} retries, then the error", case.name, rpcs - 1);
    // The unused answer is taken by a next reader.
    let mut rr = RetryReader::new(&client, request(105));
    assert!(matches!(
        rr.next_chunk(10).await,
        Err(Error::OffsetNotYetAvailable)
    ));
}

#[tokio::test]
async fn a_retry_reader_gives_up_on_a_broker_that_keeps_breaking() {
    // Concurrently: each case waits out its back-offs (~200 ms).
    let mut cases = tokio::task::JoinSet::new();
    for case in BREACHES {
        cases.spawn(retry_reader_gives_up(case));
    }
    while let Some(done) = cases.join_next().await {
        done.unwrap();
    }
}

#[tokio::test]
async fn an_oversized_message_is_refused_and_the_client_stays_usable() {
    let broker = Stub::start().await;
    let mut config = ClientConfig::new(broker.endpoint.clone());
    config.max_receive_message_size = 1024;
    let client = Client::new(config).unwrap();
    let big: &'static [u8] = vec![b'x'; 4096].leak();
    let meta = |h| {
        let mut m = metadata(h, 100, fragment(100, 5000)).unwrap();
        m.write_head = 5000;
        Ok(m)
    };
    let frames = |h| vec![meta(h), content(100, big)];

    broker.push_read(frames(broker.header()));
    let mut reader = Reader::new(&client, request(100));
    let (got, end) = read_to_end!(reader);
    assert_eq!(got, b"");
    let err = end.unwrap_err();
    assert!(matches!(err, Error::MessageTooLarge { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("found 4"), "{text}");
    assert!(text.contains("max_receive_message_size"), "{text}");

    // A RetryReader returns it at once rather than retry.
    broker.push_read(frames(broker.header()));
    let mut rr = RetryReader::new(&client, request(100));
    let (_, end) = read_to_end!(rr);
    assert!(matches!(end, Err(Error::MessageTooLarge { .. })), "{end:?}");
    assert_eq!(broker.read_requests().len(), 2);

    // The same client, and connection, read on.
    broker.push_read(vec![meta(broker.header()), content(100, b"small")]);
    let mut reader = Reader::new(&client, request(100));
    let (got, end) = read_to_end!(reader);
    assert_eq!(got, b"small");
    end.unwrap();
}
