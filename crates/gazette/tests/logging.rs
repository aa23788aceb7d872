//! Log lines and fragment-open counters, captured with a small test
//! subscriber installed as the test thread's default (`#[tokio::test]` runs
//! every task of the test on that thread).

mod common;
mod read_support;

use std::sync::{Arc, Mutex};

use gazette::protocol::{CompressionCodec, ReadRequest, Status};
use gazette::reader::ReadStep;
use gazette::retry_reader::RetryReader;
use gazette_devbroker::{Fault, Rpc};
use read_support::Env;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// One captured event: level, target and `message key=value...`.
type Line = (Level, String, String);

/// Records every event of the library (targets `gazette...`).
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Line>>>);

impl Capture {
    fn lines(&self) -> Vec<Line> {
        self.0.lock().unwrap().clone()
    }
}

struct Text(String);

impl Visit for Text {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0.insert_str(0, &format!("{value:?}"));
        } else {
            self.0.push_str(&format!(" {}={value:?}", field.name()));
        }
    }
}

impl Subscriber for Capture {
    fn enabled(&self, meta: &Metadata<'_>) -> bool {
        !meta.is_span() && meta.target().starts_with("gazette")
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut text = Text(String::new());
        event.record(&mut text);
        let meta = event.metadata();
        self.0
            .lock()
            .unwrap()
            .push((*meta.level(), meta.target().to_string(), text.0));
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

fn request(journal: &str, offset: i64, do_not_proxy: bool) -> ReadRequest {
    ReadRequest {
        journal: journal.to_string(),
        offset,
        do_not_proxy,
        ..Default::default()
    }
}

/// Reads `n` bytes through a RetryReader.
async fn read_n(rr: &mut RetryReader, n: usize) -> Vec<u8> {
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
async fn read_retries_log_a_warning_naming_the_journal() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    let env = Env::start().await;
    let Some(dev) = env.dev() else {
        return common::skip();
    };
    let journal = env.create("log-retry", CompressionCodec::None, 1024).await;
    env.append(&journal, b"hello").await;
    dev.faults().fail_next(
        Rpc::Read,
        1,
        Fault::Grpc(tonic::Code::Unknown, "potato".into()),
    );
    let mut rr = RetryReader::new(&env.client, request(&journal, 0, false));
    assert_eq!(read_n(&mut rr, 5).await, b"hello");

    let warns: Vec<Line> = capture
        .lines()
        .into_iter()
        .filter(|(level, _, text)| *level == Level::WARN && text.contains(&journal))
        .collect();
    assert_eq!(warns.len(), 1, "{:?}", capture.lines());
    let (_, target, text) = &warns[0];
    assert_eq!(target, "gazette::retry_reader");
    assert!(text.starts_with("read failed (will retry)"), "{text}");
    assert!(
        text.contains("potato") && text.contains("attempt=0"),
        "{text}"
    );
}

#[tokio::test]
async fn a_first_routing_miss_is_retried_silently() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    let env = Env::start().await;
    let Some(dev) = env.dev() else {
        return common::skip();
    };
    let journal = env
        .create("log-squelch", CompressionCodec::None, 1024)
        .await;
    env.append(&journal, b"hello").await;
    dev.faults()
        .fail_next(Rpc::Read, 1, Fault::Status(Status::NotJournalBroker));
    let retries = env.client.stats().snapshot().retries;
    let mut rr = RetryReader::new(&env.client, request(&journal, 0, false));
    assert_eq!(read_n(&mut rr, 5).await, b"hello");
    assert!(env.client.stats().snapshot().retries > retries);
    let lines = capture.lines();
    assert!(
        !lines.iter().any(|(level, _, _)| *level <= Level::WARN),
        "{lines:?}"
    );
}

#[tokio::test]
async fn fragment_opens_are_logged_and_counted_per_codec() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    let env = Env::start().await;
    if env.dev().is_none() {
        return common::skip();
    }
    let journal = env
        .create("log-open", CompressionCodec::Zstandard, 1024)
        .await;
    env.append(&journal, b"persisted").await;
    env.flush(&journal);
    let before = env.client.stats().snapshot();
    let mut rr = RetryReader::new(&env.client, request(&journal, 0, true));
    assert_eq!(read_n(&mut rr, 9).await, b"persisted");

    let after = env.client.stats().snapshot();
    assert_eq!(
        after.fragment_opens_zstandard - before.fragment_opens_zstandard,
        1
    );
    assert_eq!(after.fragment_opens_none, before.fragment_opens_none);
    assert_eq!(
        after.fragment_bytes_opened - before.fragment_bytes_opened,
        9
    );
    let opens: Vec<Line> = capture
        .lines()
        .into_iter()
        .filter(|(_, _, text)| text.starts_with("opened fragment") && text.contains(&journal))
        .collect();
    assert_eq!(opens.len(), 1, "{:?}", capture.lines());
    let (level, _, text) = &opens[0];
    assert_eq!(*level, Level::INFO);
    for field in ["begin=0", "end=9", "codec=\"ZSTANDARD\"", "url="] {
        assert!(text.contains(field), "{field} in {text}");
    }
}
