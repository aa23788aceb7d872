//! Persisted fragments damaged in the `file:///` store after the broker
//! wrote them: truncated, empty, overwritten with garbage, with junk past
//! their end, or missing. Read directly (FragmentReader, Reader and
//! RetryReader with `do_not_proxy`), every case must end in an error that
//! names the fragment, and what was delivered before it must be a true
//! prefix of the content: never a wrong byte.
//!
//! Garbage is caught before delivery for every codec, NONE included: the
//! reader checks the fragment's SHA-1 sum (and the codec's checksums)
//! before it hands out a byte.

mod fault_support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use gazette::fragment_reader::{open_fragment_url, FragmentTransport};
use gazette::protocol::journal_client::JournalClient;
use gazette::protocol::{AppendRequest, CompressionCodec, Fragment, ReadRequest};
use gazette::{Error, ReadStep, Reader, RetryReader};

use fault_support::*;

#[derive(Clone, Copy, Debug)]
enum Damage {
    /// The file cut to half its length.
    Truncated,
    /// The file emptied.
    Empty,
    /// Pseudo-random bytes from a third of the file on.
    Garbage,
    /// Junk appended after the file's end.
    TrailingJunk,
}

const CODECS: [CompressionCodec; 4] = [
    CompressionCodec::None,
    CompressionCodec::Gzip,
    CompressionCodec::Snappy,
    CompressionCodec::Zstandard,
];

const DAMAGES: [Damage; 4] = [
    Damage::Truncated,
    Damage::Empty,
    Damage::TrailingJunk,
    Damage::Garbage,
];

fn damage(path: &Path, how: Damage) {
    let mut bytes = std::fs::read(path).unwrap();
    match how {
        Damage::Truncated => bytes.truncate(bytes.len() / 2),
        Damage::Empty => bytes.clear(),
        Damage::Garbage => {
            let mut x: u32 = 0x2545_f491;
            let from = bytes.len() / 3;
            for b in &mut bytes[from..] {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                *b = x as u8;
            }
        }
        Damage::TrailingJunk => bytes.extend_from_slice(b"this is not part of the fragment"),
    }
    std::fs::write(path, bytes).unwrap();
}

/// The journal's content: text with enough repetition to compress and
/// enough variation that a misplaced byte shows.
fn journal_content() -> Vec<u8> {
    (0..3000)
        .flat_map(|i| format!("record {i:05} of the corruption tests\n").into_bytes())
        .collect()
}

/// A journal of `codec` holding `content` in one persisted fragment;
/// returns the fragment, its URL and its file.
async fn persisted(
    c: &Cluster,
    name: &str,
    codec: CompressionCodec,
    content: &[u8],
) -> (Fragment, String, PathBuf) {
    c.create(name, codec, 1 << 20, 1).await;
    gazette::append(
        &c.client,
        AppendRequest {
            journal: name.into(),
            ..Default::default()
        },
        &[&content],
    )
    .await
    .unwrap();
    assert!(c.dev.flush(name));
    // The metadata of a do_not_proxy read names the persisted file.
    let mut raw = JournalClient::connect(c.dev.endpoint(0)).await.unwrap();
    let mut stream = raw
        .read(ReadRequest {
            journal: name.into(),
            offset: 0,
            do_not_proxy: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let meta = stream.message().await.unwrap().expect("metadata frame");
    let fragment = meta.fragment.expect("fragment");
    assert_eq!((fragment.begin, fragment.end), (0, content.len() as i64));
    let url = meta.fragment_url;
    let path = c
        .store
        .path()
        .join(url.strip_prefix("file:///").expect("file URL"));
    assert!(path.exists(), "{} exists", path.display());
    (fragment, url, path)
}

fn assert_prefix(what: &str, got: &[u8], content: &[u8]) {
    assert!(
        got.len() <= content.len() && content.starts_with(got),
        "{what}: {} delivered bytes are not a prefix of the content",
        got.len()
    );
}

/// A direct read's error must be Error::Fragment naming the journal and
/// the file.
fn assert_names_fragment(what: &str, err: &Error, journal: &str, url: &str) {
    let text = err.to_string();
    assert!(
        matches!(err, Error::Fragment { .. }) && text.contains(journal) && text.contains(url),
        "{what}: {text:?} ({err:?}) should name {journal} and {url}"
    );
}

async fn read_direct(reader: &mut Reader) -> (Vec<u8>, Result<(), Error>) {
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

fn direct_request(journal: &str) -> ReadRequest {
    ReadRequest {
        journal: journal.into(),
        offset: 0,
        do_not_proxy: true,
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_fragments_fail_naming_the_fragment_never_with_wrong_bytes() {
    if real_broker_configured() {
        return;
    }
    let c = Cluster::start(1, Duration::ZERO).await;
    let content = journal_content();
    let transport = FragmentTransport::default().with_file_root(c.store.path());
    let mut cases = 0;
    for codec in CODECS {
        for how in DAMAGES {
            let what = format!("{codec:?}/{how:?}");
            let name = format!("corrupt/{}/{how:?}", codec.as_str_name().to_lowercase());
            let (fragment, url, path) = persisted(&c, &name, codec, &content).await;
            damage(&path, how);

            // FragmentReader: Go's named errors, or the decoder's complaint,
            // naming the fragment.
            let opened = open_fragment_url(&transport, fragment.clone(), 0, &url).await;
            let mut got = Vec::new();
            let err = match opened {
                Err(err) => err,
                Ok(mut fr) => loop {
                    match fr.next_chunk(usize::MAX).await {
                        Ok(Some(chunk)) => got.extend_from_slice(&chunk),
                        Ok(None) => panic!("{what}: FragmentReader read a damaged file cleanly"),
                        Err(err) => break err,
                    }
                },
            };
            assert_prefix(&what, &got, &content);
            assert_names_fragment(&format!("{what} FragmentReader"), &err, &name, &url);
            assert!(
                matches!(
                    err.cause(),
                    Error::Codec(_) | Error::UnexpectedEof | Error::DidNotReadExpectedEof
                ),
                "{what}: FragmentReader: {err:?}"
            );

            // Reader: the same error, naming the fragment.
            let mut reader = Reader::new(&c.client, direct_request(&name));
            let (got, end) = read_direct(&mut reader).await;
            assert_prefix(&what, &got, &content);
            let err = end.expect_err("a damaged fragment fails the Reader");
            assert_names_fragment(&format!("{what} Reader"), &err, &name, &url);

            // RetryReader: retries a few times, then returns the error with
            // the reader still at a true offset.
            let mut rr = RetryReader::new(&c.client, direct_request(&name));
            let mut got = Vec::new();
            let err = loop {
                match rr.next_chunk(usize::MAX).await {
                    Ok(ReadStep::Data(chunk)) => got.extend_from_slice(&chunk),
                    Ok(ReadStep::Frame) => {}
                    Ok(ReadStep::Eof) => {}
                    Err(err) => break err,
                }
            };
            assert_prefix(&what, &got, &content);
            if got.len() == content.len() {
                // Junk past the end was cut off (the Reader said so); the
                // retry went on at the end and found the write head.
                assert!(
                    matches!(err, Error::OffsetNotYetAvailable),
                    "{what}: {err:?}"
                );
            } else {
                assert_names_fragment(&format!("{what} RetryReader"), &err, &name, &url);
            }
            assert!(rr.offset() <= content.len() as i64);
            eprintln!("{what}: {} good bytes, then: {err}", got.len());
            cases += 1;
        }
    }
    assert_eq!(cases, 16);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_fragment_file_is_a_fetch_error_naming_its_url() {
    if real_broker_configured() {
        return;
    }
    let c = Cluster::start(1, Duration::ZERO).await;
    let content = journal_content();
    let name = "corrupt/missing";
    let (fragment, url, path) = persisted(&c, name, CompressionCodec::Gzip, &content).await;
    std::fs::remove_file(&path).unwrap();
    let transport = FragmentTransport::default().with_file_root(c.store.path());
    let err = open_fragment_url(&transport, fragment, 0, &url)
        .await
        .expect_err("missing file");
    assert!(
        matches!(&err, Error::FragmentFetch { status, url: u } if status.starts_with("404") && *u == url),
        "{err:?}"
    );
    // The Reader says the same, before any byte (the broker has not yet
    // re-listed its store, so it still hands out the URL).
    let mut reader = Reader::new(&c.client, direct_request(name));
    let (got, end) = read_direct(&mut reader).await;
    assert!(got.is_empty());
    let err = end.expect_err("missing file");
    assert!(err.to_string().contains(&url), "{err}");
}
