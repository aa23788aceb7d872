//! OpenFragmentURL / FragmentReader behaviour (Gazette's `reader_test.go`
//! fragment cases), with fixtures written to a temp dir and served through the
//! file transport, plus `http://` fetches from a small local HTTP server.

use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use gazette::fragment_reader::{open_fragment_url, FragmentReader, FragmentTransport};
use gazette::protocol::{CompressionCodec, Fragment};
use gazette::Error;
use http_body_util::Full;
use hyper::header::{ACCEPT_ENCODING, CONTENT_ENCODING};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

const FIXTURE: &[u8] = b"XXXXXhello, world!!!";

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

fn fragment(begin: i64, end: i64, codec: CompressionCodec) -> Fragment {
    Fragment {
        journal: "a/journal".to_string(),
        begin,
        end,
        compression_codec: codec as i32,
        ..Default::default()
    }
}

/// A temp dir holding `a/journal/fixture.gz` (the GZIP fixture for [100, 120)).
fn fixture_root() -> (tempfile::TempDir, FragmentTransport) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("a/journal")).unwrap();
    std::fs::write(dir.path().join("a/journal/fixture.gz"), gzip(FIXTURE)).unwrap();
    let transport = FragmentTransport::default().with_file_root(dir.path());
    (dir, transport)
}

const FIXTURE_URL: &str = "file:///a/journal/fixture.gz";

/// Reads to the end; returns the bytes and the terminal error, if any.
async fn drain(reader: &mut FragmentReader) -> (Vec<u8>, Option<Error>) {
    let mut out = Vec::new();
    let mut buf = [0u8; 3];
    loop {
        match reader.read(&mut buf).await {
            Ok(0) => return (out, None),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(err) => return (out, Some(err)),
        }
    }
}

/// How reading the GZIP fixture (20 bytes at [100, 120)) ends when the
/// fragment claims [100, `end`) and the read starts at `offset`.
struct FixtureCase {
    name: &'static str,
    end: i64,
    offset: i64,
    /// `None`: opening fails (with `error`).
    content: Option<&'static [u8]>,
    error: Option<fn(&Error) -> bool>,
    /// The reader's offset once drained.
    final_offset: i64,
}

const FIXTURE_CASES: &[FixtureCase] = &[
    FixtureCase {
        name: "open at begin reads the whole fragment",
        end: 120,
        offset: 100,
        content: Some(FIXTURE),
        error: None,
        final_offset: 120,
    },
    FixtureCase {
        name: "open mid-fragment discards leading bytes",
        end: 120,
        offset: 105,
        content: Some(b"hello, world!!!"),
        error: None,
        final_offset: 120,
    },
    FixtureCase {
        name: "content shorter than the fragment is an unexpected EOF",
        end: 121,
        offset: 105,
        content: Some(b"hello, world!!!"),
        error: Some(|e| matches!(e.cause(), Error::UnexpectedEof)),
        final_offset: 120,
    },
    FixtureCase {
        name: "content longer than the fragment is truncated, then an error",
        end: 116,
        offset: 105,
        content: Some(b"hello, worl"),
        error: Some(|e| {
            matches!(e.cause(), Error::DidNotReadExpectedEof)
                && e.cause().to_string() == "did not read EOF at expected Fragment.End"
        }),
        final_offset: 116,
    },
    FixtureCase {
        // The fragment claims [100, 130) but the file holds 20 bytes:
        // seeking to 125 runs out of content while discarding.
        name: "discarding past the content fails at open",
        end: 130,
        offset: 125,
        content: None,
        error: Some(|e| matches!(e.cause(), Error::UnexpectedEof)),
        final_offset: 0,
    },
];

#[tokio::test]
async fn fixture_reads_end_as_expected() {
    let (_dir, transport) = fixture_root();
    for case in FIXTURE_CASES {
        let opened = open_fragment_url(
            &transport,
            fragment(100, case.end, CompressionCodec::Gzip),
            case.offset,
            FIXTURE_URL,
        )
        .await;
        let Some(content) = case.content else {
            let err = opened.expect_err(case.name);
            assert!(case.error.unwrap()(&err), "{}: {err:?}", case.name);
            continue;
        };
        let mut reader = opened.expect(case.name);
        assert_eq!(reader.offset(), case.offset, "{}", case.name);
        let (got, err) = drain(&mut reader).await;
        assert_eq!(got, content, "{}", case.name);
        match (case.error, &err) {
            (None, None) => {
                // EOF is sticky.
                assert_eq!(reader.read(&mut [0u8; 8]).await.unwrap(), 0);
            }
            (Some(want), Some(err)) => assert!(want(err), "{}: {err:?}", case.name),
            (_, err) => panic!("{}: ended with {err:?}", case.name),
        }
        assert_eq!(reader.offset(), case.final_offset, "{}", case.name);
    }
}

#[tokio::test]
async fn errors_stick_through_zero_copy_chunks() {
    let (_dir, transport) = fixture_root();
    let mut reader = open_fragment_url(
        &transport,
        fragment(100, 116, CompressionCodec::Gzip),
        100,
        FIXTURE_URL,
    )
    .await
    .unwrap();
    let chunk = reader.next_chunk(1 << 20).await.unwrap().unwrap();
    assert_eq!(&chunk[..], b"XXXXXhello, worl");
    let err = reader.next_chunk(1 << 20).await.unwrap_err();
    assert!(
        matches!(err.cause(), Error::DidNotReadExpectedEof),
        "{err:?}"
    );
    // The error sticks.
    let err = reader.next_chunk(1 << 20).await.unwrap_err();
    assert!(
        matches!(err.cause(), Error::DidNotReadExpectedEof),
        "{err:?}"
    );
}

#[tokio::test]
async fn missing_file_is_404_not_found() {
    let (_dir, transport) = fixture_root();
    let url = "file:///a/journal/missing.gz";
    let err = open_fragment_url(
        &transport,
        fragment(100, 120, CompressionCodec::Gzip),
        100,
        url,
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"!OK fetching (404 Not Found, "file:///a/journal/missing.gz")"#
    );
    assert!(matches!(err, Error::FragmentFetch { .. }), "{err:?}");

    // Paths never escape the root.
    let url = "file:///../fixture.gz";
    let err = open_fragment_url(
        &transport,
        fragment(100, 120, CompressionCodec::Gzip),
        100,
        url,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::FragmentFetch { .. }), "{err:?}");
}

#[tokio::test]
async fn file_urls_need_an_installed_root() {
    let err = open_fragment_url(
        &FragmentTransport::default(),
        fragment(100, 120, CompressionCodec::Gzip),
        100,
        FIXTURE_URL,
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("unsupported protocol scheme \"file\""),
        "{err}"
    );
}

#[tokio::test]
async fn escaped_file_url_paths_are_decoded() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("a%b=c")).unwrap();
    std::fs::write(dir.path().join("a%b=c/frag.raw"), b"raw!").unwrap();
    let transport = FragmentTransport::default().with_file_root(dir.path());
    let mut reader = open_fragment_url(
        &transport,
        fragment(0, 4, CompressionCodec::None),
        0,
        "file:///a%25b=c/frag.raw",
    )
    .await
    .unwrap();
    assert_eq!(drain(&mut reader).await.0, b"raw!");
}

#[tokio::test]
async fn wrong_codec_is_a_decompression_error() {
    let (_dir, transport) = fixture_root();
    let result = async {
        let mut reader = open_fragment_url(
            &transport,
            fragment(100, 120, CompressionCodec::Snappy),
            100,
            FIXTURE_URL,
        )
        .await?;
        match drain(&mut reader).await {
            (_, Some(err)) => Err(err),
            (got, None) => Ok(got),
        }
    }
    .await;
    let err = result.expect_err("gzip bytes are not snappy");
    assert!(matches!(err.cause(), Error::Codec(_)), "{err:?}");
    assert!(err.to_string().contains("snappy: corrupt input"), "{err}");
}

#[tokio::test]
async fn multi_member_gzip_and_multi_frame_zstd_files() {
    let dir = tempfile::tempdir().unwrap();
    let content: Vec<u8> = (0..300_000u32)
        .flat_map(|i| (i % 251).to_le_bytes())
        .collect();
    let (a, b) = content.split_at(500_000);

    let mut gz = gzip(a);
    gz.extend(gzip(b));
    std::fs::write(dir.path().join("multi.gz"), gz).unwrap();
    let mut zst = zstd::stream::encode_all(a, 1).unwrap();
    zst.extend(zstd::stream::encode_all(b, 1).unwrap());
    std::fs::write(dir.path().join("multi.zst"), zst).unwrap();

    let transport = FragmentTransport::default().with_file_root(dir.path());
    let len = content.len() as i64;
    for (url, codec) in [
        ("file:///multi.gz", CompressionCodec::Gzip),
        ("file:///multi.zst", CompressionCodec::Zstandard),
    ] {
        let mut reader = open_fragment_url(
            &transport,
            fragment(1000, 1000 + len, codec),
            1000 + 499_990,
            url,
        )
        .await
        .unwrap();
        let mut got = Vec::new();
        while let Some(chunk) = reader.next_chunk(usize::MAX).await.unwrap() {
            got.extend_from_slice(&chunk);
        }
        assert!(got == content[499_990..], "{url}");
    }
}

/// One canned answer of the test HTTP server.
#[derive(Clone)]
struct Canned {
    status: u16,
    content_encoding: Option<&'static str>,
    body: Bytes,
}

/// A loopback HTTP/1.1 server answering every GET with `canned`, and
/// recording each request's `Accept-Encoding`. Stopped on drop.
struct HttpServer {
    addr: SocketAddr,
    accept_encodings: Arc<Mutex<Vec<Option<String>>>>,
    task: tokio::task::JoinHandle<()>,
}

impl HttpServer {
    async fn start(canned: Canned) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let accept_encodings = Arc::new(Mutex::new(Vec::new()));
        let seen = accept_encodings.clone();
        let task = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let (canned, seen) = (canned.clone(), seen.clone());
                let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let ae = req
                        .headers()
                        .get(ACCEPT_ENCODING)
                        .map(|v| v.to_str().unwrap().to_string());
                    seen.lock().unwrap().push(ae);
                    let mut resp = hyper::Response::builder().status(canned.status);
                    if let Some(ce) = canned.content_encoding {
                        resp = resp.header(CONTENT_ENCODING, ce);
                    }
                    let resp = resp.body(Full::new(canned.body.clone())).unwrap();
                    async move { Ok::<_, Infallible>(resp) }
                });
                connections.spawn(async move {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        HttpServer {
            addr,
            accept_encodings,
            task,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn accept_encodings(&self) -> Vec<Option<String>> {
        self.accept_encodings.lock().unwrap().clone()
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn fetch_all(url: &str, frag: Fragment, offset: i64) -> Result<Vec<u8>, Error> {
    let mut reader = open_fragment_url(&FragmentTransport::default(), frag, offset, url).await?;
    match drain(&mut reader).await {
        (_, Some(err)) => Err(err),
        (got, None) => Ok(got),
    }
}

fn snappy_framed(data: &[u8]) -> Vec<u8> {
    let mut framed = snap::write::FrameEncoder::new(Vec::new());
    framed.write_all(data).unwrap();
    framed.into_inner().unwrap()
}

/// An `http://` fetch of the fixture: what the store sends, what the client
/// must ask for, and what it reads from `offset`.
struct HttpCase {
    name: &'static str,
    codec: CompressionCodec,
    content_encoding: Option<&'static str>,
    body: fn() -> Vec<u8>,
    offset: i64,
    accept_encoding: Option<&'static str>,
}

const HTTP_CASES: &[HttpCase] = &[
    HttpCase {
        name: "a GZIP fragment asks for gzip and is decoded once",
        codec: CompressionCodec::Gzip,
        content_encoding: Some("gzip"),
        body: || gzip(FIXTURE),
        offset: 103,
        accept_encoding: Some("gzip"),
    },
    HttpCase {
        name: "GZIP_OFFLOAD_DECOMPRESSION asks for identity",
        codec: CompressionCodec::GzipOffloadDecompression,
        content_encoding: None,
        body: || FIXTURE.to_vec(),
        offset: 100,
        accept_encoding: Some("identity"),
    },
    HttpCase {
        // As MinIO does: the store ignores `Accept-Encoding: identity`.
        name: "GZIP_OFFLOAD_DECOMPRESSION still encoded is gunzipped",
        codec: CompressionCodec::GzipOffloadDecompression,
        content_encoding: Some("gzip"),
        body: || gzip(FIXTURE),
        offset: 110,
        accept_encoding: Some("identity"),
    },
    HttpCase {
        // No Accept-Encoding is sent for other codecs.
        name: "a content encoding under another codec is undone first",
        codec: CompressionCodec::Snappy,
        content_encoding: Some("gzip"),
        body: || gzip(&snappy_framed(FIXTURE)),
        offset: 100,
        accept_encoding: None,
    },
];

#[tokio::test]
async fn http_fetches_negotiate_and_decode_encodings() {
    for case in HTTP_CASES {
        let server = HttpServer::start(Canned {
            status: 200,
            content_encoding: case.content_encoding,
            body: (case.body)().into(),
        })
        .await;
        let got = fetch_all(
            &server.url("/frag"),
            fragment(100, 120, case.codec),
            case.offset,
        )
        .await;
        let skip = (case.offset - 100) as usize;
        assert_eq!(got.expect(case.name), &FIXTURE[skip..], "{}", case.name);
        assert_eq!(
            server.accept_encodings(),
            vec![case.accept_encoding.map(str::to_string)],
            "{}",
            case.name
        );
    }
}

#[tokio::test]
async fn http_non_200_is_an_error_naming_status_and_url() {
    let server = HttpServer::start(Canned {
        status: 403,
        content_encoding: None,
        body: Bytes::from_static(b"denied"),
    })
    .await;
    let url = server.url("/signed?sig=abc");
    let err = fetch_all(&url, fragment(100, 120, CompressionCodec::None), 100)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("!OK fetching (403 Forbidden, {url:?})")
    );
}

#[tokio::test]
async fn http_large_fragment_streams_in_bounded_chunks() {
    let content: Bytes = (0..(6u32 << 20))
        .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
        .collect();
    let server = HttpServer::start(Canned {
        status: 200,
        content_encoding: None,
        body: content.clone(),
    })
    .await;
    let len = content.len() as i64;
    let mut reader = open_fragment_url(
        &FragmentTransport::default(),
        fragment(0, len, CompressionCodec::None),
        1,
        &server.url("/big.raw"),
    )
    .await
    .unwrap();
    let (mut got, mut chunks) = (Vec::with_capacity(content.len()), 0);
    while let Some(chunk) = reader.next_chunk(usize::MAX).await.unwrap() {
        assert!(chunk.len() <= 64 * 1024, "chunks are bounded");
        got.extend_from_slice(&chunk);
        chunks += 1;
    }
    assert!(chunks > 90);
    assert!(got == content[1..]);
}

#[tokio::test]
async fn dropping_a_reader_mid_fragment_stops_its_transfer() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio_stream::StreamExt;

    // A server generating a 256 MiB body lazily, counting what it produced.
    const CHUNK: usize = 64 * 1024;
    const TOTAL: usize = 256 << 20;
    let produced = Arc::new(AtomicUsize::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let counter = produced.clone();
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let service = service_fn(move |_req: hyper::Request<hyper::body::Incoming>| {
            let counter = counter.clone();
            let body = tokio_stream::iter(0..TOTAL / CHUNK).map(move |_| {
                counter.fetch_add(CHUNK, Ordering::SeqCst);
                Ok::<_, Infallible>(hyper::body::Frame::data(Bytes::from(vec![7u8; CHUNK])))
            });
            let resp = hyper::Response::new(http_body_util::StreamBody::new(body));
            async move { Ok::<_, Infallible>(resp) }
        });
        let _ = hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(stream), service)
            .await;
    });

    let mut reader = open_fragment_url(
        &FragmentTransport::default(),
        fragment(0, TOTAL as i64, CompressionCodec::None),
        0,
        &format!("http://{addr}/big.raw"),
    )
    .await
    .unwrap();
    assert_eq!(
        &reader.next_chunk(10).await.unwrap().unwrap()[..],
        &[7u8; 10]
    );
    drop(reader);

    // The connection is torn down: the server's body stops being pulled.
    tokio::time::timeout(std::time::Duration::from_secs(10), server)
        .await
        .expect("server connection ends")
        .unwrap();
    let sent = produced.load(Ordering::SeqCst);
    assert!(
        sent < TOTAL / 4,
        "only a bounded read-ahead was transferred ({sent} bytes)"
    );
}

/// A source that fails after handing out `ok` bytes of `data`.
struct FailingSource {
    data: Vec<u8>,
    ok: usize,
}

impl std::io::Read for FailingSource {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.ok == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                "disk on fire",
            ));
        }
        let n = buf.len().min(self.ok).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data.drain(..n);
        self.ok -= n;
        Ok(n)
    }
}

#[tokio::test]
async fn source_errors_are_io_errors_not_codec_errors() {
    for codec in [CompressionCodec::None, CompressionCodec::Gzip] {
        let data = match codec {
            CompressionCodec::Gzip => gzip(FIXTURE),
            _ => FIXTURE.to_vec(),
        };
        let source = FailingSource { data, ok: 12 };
        let result = async {
            let mut reader =
                FragmentReader::new(Box::new(source), fragment(100, 120, codec), 100).await?;
            match drain(&mut reader).await {
                (_, Some(err)) => Err(err),
                (got, None) => Ok(got),
            }
        }
        .await;
        let err = result.expect_err("the source fails");
        match err.cause() {
            Error::Io(io) => assert_eq!(io.kind(), std::io::ErrorKind::ConnectionReset),
            other => panic!("{codec:?}: {other:?}"),
        }
        assert_eq!(err.to_string(), "fragment a/journal 100-120: disk on fire");
    }
}
