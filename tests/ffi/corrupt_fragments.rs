//! The C readers on a persisted fragment damaged in the store (cut to half
//! its length): the bytes before the damage are right, then the plain
//! reader and the retry reader return UNEXPECTED_EOF with an error object
//! whose message names the journal and the fragment's file.

use std::ffi::CStr;
use std::ptr::null_mut;

use super::client::p;
use crate::client::*;
use crate::config::*;
use crate::error::*;
use crate::read_options::*;
use crate::reader::*;
use crate::retry_reader::*;
use crate::status::gazette_status as S;
use gazette::protocol::{apply_request, journal_spec, ApplyRequest, CompressionCodec, JournalSpec};
use gazette_devbroker::{DevBroker, Options};

const JOURNAL: &str = "ffi-corrupt/gzip";

fn content() -> Vec<u8> {
    (0..2000)
        .flat_map(|i| format!("line {i:05} of a fragment the store will damage\n").into_bytes())
        .collect()
}

/// Writes `content` into one persisted GZIP fragment and cuts its file in
/// half; returns the file's name.
async fn damaged_fragment(dev: &DevBroker, store: &std::path::Path, data: &[u8]) -> String {
    let client = gazette::Client::connect(dev.endpoint(0)).unwrap();
    let spec = JournalSpec {
        name: JOURNAL.into(),
        replication: 1,
        labels: Some(Default::default()),
        fragment: Some(journal_spec::Fragment {
            length: 1 << 20,
            compression_codec: CompressionCodec::Gzip as i32,
            stores: vec!["file:///".into()],
            refresh_interval: Some(prost_types::Duration {
                seconds: 1,
                nanos: 0,
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    gazette::apply_journals(
        &client,
        ApplyRequest {
            changes: vec![apply_request::Change {
                upsert: Some(spec),
                ..Default::default()
            }],
        },
    )
    .await
    .unwrap();
    let req = gazette::protocol::AppendRequest {
        journal: JOURNAL.into(),
        ..Default::default()
    };
    gazette::append(&client, req, &[&data]).await.unwrap();
    assert!(dev.flush(JOURNAL));
    let dir = store.join(JOURNAL);
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().ends_with(".gz"))
        .expect("persisted fragment")
        .path();
    let bytes = std::fs::read(&file).unwrap();
    std::fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();
    file.file_name().unwrap().to_string_lossy().into_owned()
}

fn message(err: *const gazette_error) -> String {
    assert!(!err.is_null(), "an error object");
    unsafe { CStr::from_ptr(gazette_error_message(err)) }
        .to_string_lossy()
        .into_owned()
}

#[test]
fn damaged_fragment_is_unexpected_eof_naming_it() {
    if std::env::var("GAZETTE_TEST_BROKER").is_ok_and(|v| !v.is_empty()) {
        eprintln!("skipped: needs the dev broker's store (real broker)");
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let store = tempfile::tempdir().unwrap();
    let dev = rt
        .block_on(DevBroker::start(Options {
            store: Some(store.path().to_path_buf()),
            assign_delay: std::time::Duration::ZERO,
            ..Options::default()
        }))
        .unwrap();
    let data = content();
    let file = rt.block_on(damaged_fragment(&dev, store.path(), &data));

    let cfg = gazette_config_new();
    let ep = dev.endpoint(0);
    let root = store.path().to_str().unwrap().to_string();
    assert_eq!(
        gazette_config_add_endpoint(cfg, p(&ep), ep.len(), null_mut()),
        S::Ok
    );
    assert_eq!(
        gazette_config_set_file_root(cfg, p(&root), root.len(), null_mut()),
        S::Ok
    );
    let mut client = null_mut();
    assert_eq!(gazette_client_new(cfg, &mut client, null_mut()), S::Ok);
    gazette_config_free(cfg);
    let opts = gazette_read_options_new();
    assert_eq!(
        gazette_read_options_set_do_not_proxy(opts, true, null_mut()),
        S::Ok
    );

    let mut buf = vec![0u8; 8192];
    // Plain reader.
    let mut reader = null_mut();
    assert_eq!(
        gazette_reader_new(
            client,
            p(JOURNAL),
            JOURNAL.len(),
            opts,
            &mut reader,
            null_mut()
        ),
        S::Ok
    );
    let mut got = Vec::new();
    let mut err = null_mut();
    let status = loop {
        let mut n = 0;
        match gazette_reader_read(
            reader,
            buf.as_mut_ptr(),
            buf.len(),
            10_000,
            &mut n,
            &mut err,
        ) {
            S::Ok => got.extend_from_slice(&buf[..n]),
            other => break other,
        }
    };
    assert_eq!(status, S::UnexpectedEof);
    assert!(data.starts_with(&got), "only true bytes before the error");
    let text = message(err);
    assert!(text.contains(JOURNAL) && text.contains(&file), "{text}");
    gazette_error_free(err);
    gazette_reader_free(reader);

    // Retry reader: the same, after its few retries.
    let mut rr = null_mut();
    assert_eq!(
        gazette_retry_reader_new(client, p(JOURNAL), JOURNAL.len(), opts, &mut rr, null_mut()),
        S::Ok
    );
    let mut got = Vec::new();
    let mut err = null_mut();
    let status = loop {
        let mut n = 0;
        match gazette_retry_reader_read(rr, buf.as_mut_ptr(), buf.len(), 10_000, &mut n, &mut err) {
            S::Ok => got.extend_from_slice(&buf[..n]),
            other => break other,
        }
    };
    assert_eq!(status, S::UnexpectedEof);
    assert!(data.starts_with(&got));
    let text = message(err);
    assert!(text.contains(&file), "{text}");
    gazette_error_free(err);
    gazette_retry_reader_free(rr);
    gazette_read_options_free(opts);
    gazette_client_free(client);
    rt.block_on(dev.shutdown());
}
