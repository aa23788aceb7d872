//! The Rust client's demo, end to end: starts a dev broker with a `file:///`
//! fragment store, creates a journal, appends to it, reads it back (through
//! the broker, and directly from a persisted fragment file), and lists
//! journals and fragments.
//!
//! Run it with `cargo run -p gazette --example demo`. With `GAZETTE_TEST_BROKER` set to a
//! real broker (and `GAZETTE_TEST_FRAGMENT_ROOT` to its `file:///` store
//! directory) it runs against that broker instead.

use std::time::{SystemTime, UNIX_EPOCH};

use gazette::appender::Appender;
use gazette::config::ClientConfig;
use gazette::protocol::journal_spec::Fragment as FragmentSpec;
use gazette::protocol::{
    apply_request::Change, label, AppendRequest, ApplyRequest, CompressionCodec, FragmentsRequest,
    JournalSpec, LabelSet, ListRequest, ReadRequest,
};
use gazette::reader::{ReadStep, Reader};
use gazette::Client;
use gazette::{apply_journals, list_all_fragments, list_all_journals};
use gazette_devbroker::{DevBroker, Options};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A broker: a real one if the environment names it, else our own.
    let store = tempfile::tempdir()?;
    let (dev, endpoint, file_root) = match std::env::var("GAZETTE_TEST_BROKER") {
        Ok(endpoint) => {
            let root = std::env::var("GAZETTE_TEST_FRAGMENT_ROOT").unwrap_or_default();
            (None, endpoint, root.into())
        }
        Err(_) => {
            let opts = Options {
                store: Some(store.path().to_path_buf()),
                ..Options::default()
            };
            let dev = DevBroker::start(opts).await?;
            let endpoint = dev.endpoint(0);
            (Some(dev), endpoint, store.path().to_path_buf())
        }
    };
    println!("broker:   {endpoint}");
    let client = Client::new(ClientConfig::new(&endpoint).with_file_root(file_root))?;

    // Create a journal (a unique name, so a real broker is left tidy enough).
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos();
    let journal = format!("demo/greetings-{nanos:x}");
    let spec = JournalSpec {
        name: journal.clone(),
        replication: 1,
        labels: Some(LabelSet::from_pairs([("app.gazette.dev/demo", "true")])),
        fragment: Some(FragmentSpec {
            length: 1024,
            compression_codec: CompressionCodec::Gzip as i32,
            stores: vec!["file:///".to_string()],
            refresh_interval: Some(prost_types::Duration {
                seconds: 1,
                nanos: 0,
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    let apply = ApplyRequest {
        changes: vec![Change {
            expect_mod_revision: 0,
            upsert: Some(spec),
            delete: String::new(),
        }],
    };
    let applied = apply_journals(&client, apply).await?;
    let revision = applied
        .header
        .and_then(|h| h.etcd)
        .map_or(0, |e| e.revision);
    println!("applied:  {journal} at revision {revision}");
    // A broker assigns a new journal a moment later (~100 ms); an Appender
    // or Reader opened before that would fail with NO_JOURNAL_PRIMARY_BROKER.
    gazette::await_assignment(&client, &journal, std::time::Duration::from_secs(10)).await?;

    // Append: each Appender is one atomic transaction, committed on close.
    let mut written = Vec::new();
    for i in 0..20 {
        let line = format!("{{\"greeting\": \"hello, world\", \"n\": {i}}}\n");
        let mut appender = Appender::new(
            &client,
            AppendRequest {
                journal: journal.clone(),
                ..Default::default()
            },
        );
        appender.write(line.as_bytes()).await?;
        appender.close().await?;
        written.extend_from_slice(line.as_bytes());
    }
    println!("appended: {} bytes in 20 transactions", written.len());

    // Read it back through the broker, from offset 0 to the write head.
    let mut reader = Reader::new(
        &client,
        ReadRequest {
            journal: journal.clone(),
            offset: 0,
            end_offset: written.len() as i64,
            ..Default::default()
        },
    );
    let mut read = Vec::new();
    let mut buf = vec![0u8; 4096];
    loop {
        match reader.read(&mut buf).await? {
            ReadStep::Data(n) => read.extend_from_slice(&buf[..n]),
            ReadStep::Frame => continue,
            ReadStep::Eof => break,
        }
    }
    assert_eq!(read, written, "read back differs from what was appended");
    println!("read:     {} bytes, identical", read.len());
    print!(
        "first:    {}",
        String::from_utf8_lossy(&read[..read.iter().position(|&b| b == b'\n').unwrap() + 1])
    );

    // Read the first, persisted fragment directly from the store: with
    // `do_not_proxy` the broker answers with the fragment's URL and the client
    // opens and decompresses the file itself (under its file-transport root).
    if let Some(dev) = &dev {
        dev.flush(&journal); // roll the open fragment too, so all of it is in the store
    }
    let mut direct = Reader::new(
        &client,
        ReadRequest {
            journal: journal.clone(),
            offset: 0,
            do_not_proxy: true,
            ..Default::default()
        },
    );
    let mut from_file = Vec::new();
    loop {
        match direct.read(&mut buf).await? {
            ReadStep::Data(n) => from_file.extend_from_slice(&buf[..n]),
            ReadStep::Frame => continue,
            ReadStep::Eof => break,
        }
    }
    assert_eq!(from_file, written[..from_file.len()]);
    println!(
        "direct:   {} bytes from {}",
        from_file.len(),
        direct.response().fragment_url
    );

    // List journals by label selector, and the journal's fragments.
    let selector = label::parse_label_selector("app.gazette.dev/demo=true")?;
    let listed = list_all_journals(
        &client,
        ListRequest {
            selector: Some(selector),
            ..Default::default()
        },
    )
    .await?;
    let names: Vec<_> = listed
        .journals
        .iter()
        .filter_map(|j| j.spec.as_ref().map(|s| s.name.as_str()))
        .collect();
    println!("listed:   {names:?}");
    let fragments = list_all_fragments(
        &client,
        FragmentsRequest {
            journal: journal.clone(),
            ..Default::default()
        },
    )
    .await?;
    for f in fragments.fragments.iter().filter_map(|f| f.spec.as_ref()) {
        let store = if f.backing_store.is_empty() {
            "(open, not yet persisted)"
        } else {
            f.backing_store.as_str()
        };
        println!("fragment: [{}, {}) {}", f.begin, f.end, store);
    }

    if let Some(dev) = dev {
        dev.shutdown().await;
    }
    println!("demo:     ok");
    Ok(())
}
