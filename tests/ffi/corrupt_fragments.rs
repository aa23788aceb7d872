//! The C readers on a persisted fragment damaged in the store: cut to half
//! its length, the plain reader and the retry reader return UNEXPECTED_EOF
//! with an error object whose message names the journal and the fragment's
//! file; replaced by a well-formed file of other content, they fail its
//! SHA-1 check before any byte, unless verification is turned off.

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

/// Writes `content` into one persisted GZIP fragment of `journal` and
/// returns its file.
async fn persisted_fragment(
    dev: &DevBroker,
    store: &std::path::Path,
    journal: &str,
    data: &[u8],
) -> std::path::PathBuf {
    let client = gazette::Client::connect(dev.endpoint(0)).unwrap();
    let spec = JournalSpec {
        name: journal.into(),
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
        journal: journal.into(),
        ..Default::default()
    };
    gazette::append(&client, req, &[&data]).await.unwrap();
    assert!(dev.flush(journal));
    std::fs::read_dir(store.join(journal))
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().ends_with(".gz"))
        .expect("persisted fragment")
        .path()
}

/// Writes one persisted GZIP fragment and cuts its file in half; returns
/// the file's name.
async fn damaged_fragment(dev: &DevBroker, store: &std::path::Path, data: &[u8]) -> String {
    let file = persisted_fragment(dev, store, JOURNAL, data).await;
    let bytes = std::fs::read(&file).unwrap();
    std::fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();
    file.file_name().unwrap().to_string_lossy().into_owned()
}

/// A C client of `dev` reading `file:///` fragments under `root`.
fn c_client(dev: &DevBroker, root: &str, verify: bool) -> *mut gazette_client {
    let cfg = gazette_config_new();
    let ep = dev.endpoint(0);
    assert_eq!(
        gazette_config_add_endpoint(cfg, p(&ep), ep.len(), null_mut()),
        S::Ok
    );
    assert_eq!(
        gazette_config_set_file_root(cfg, p(root), root.len(), null_mut()),
        S::Ok
    );
    assert_eq!(
        gazette_config_set_verify_fragments(cfg, verify, null_mut()),
        S::Ok
    );
    let mut client = null_mut();
    assert_eq!(gazette_client_new(cfg, &mut client, null_mut()), S::Ok);
    gazette_config_free(cfg);
    client
}

/// Reads `journal` directly with a plain C reader until a status other
/// than OK; returns the bytes, that status and its error object.
fn read_direct(client: *mut gazette_client, journal: &str) -> (Vec<u8>, S, *mut gazette_error) {
    let opts = gazette_read_options_new();
    assert_eq!(
        gazette_read_options_set_do_not_proxy(opts, true, null_mut()),
        S::Ok
    );
    let mut reader = null_mut();
    assert_eq!(
        gazette_reader_new(
            client,
            p(journal),
            journal.len(),
            opts,
            &mut reader,
            null_mut()
        ),
        S::Ok
    );
    gazette_read_options_free(opts);
    let mut buf = vec![0u8; 8192];
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
    gazette_reader_free(reader);
    (got, status, err)
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
    let client = c_client(&dev, store.path().to_str().unwrap(), true);
    let opts = gazette_read_options_new();
    assert_eq!(
        gazette_read_options_set_do_not_proxy(opts, true, null_mut()),
        S::Ok
    );

    // Plain reader.
    let (got, status, err) = read_direct(client, JOURNAL);
    assert_eq!(status, S::UnexpectedEof);
    assert!(data.starts_with(&got), "only true bytes before the error");
    let text = message(err);
    assert!(text.contains(JOURNAL) && text.contains(&file), "{text}");
    gazette_error_free(err);

    let mut buf = vec![0u8; 8192];

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

#[test]
fn a_fragment_of_other_content_fails_its_sum_unless_verification_is_off() {
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
    let journal = "ffi-corrupt/substituted";
    let data = content();
    let file = rt.block_on(persisted_fragment(&dev, store.path(), journal, &data));
    // A well-formed gzip file of the same length: it decodes cleanly, its
    // own CRC passes, only the fragment's SHA-1 sum can tell.
    let other: Vec<u8> = data.iter().map(|b| b.to_ascii_uppercase()).collect();
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut enc, &other).unwrap();
    std::fs::write(&file, enc.finish().unwrap()).unwrap();
    let root = store.path().to_str().unwrap();

    let verified = c_client(&dev, root, true);
    let (got, status, err) = read_direct(verified, journal);
    assert_eq!(status, S::Codec);
    assert!(got.is_empty(), "{} bytes before the error", got.len());
    let text = message(err);
    let name = file.file_name().unwrap().to_string_lossy();
    assert!(
        text.contains(journal) && text.contains(&*name) && text.contains("SHA-1"),
        "{text}"
    );
    gazette_error_free(err);
    gazette_client_free(verified);

    // Unchecked, as Go reads: the substituted bytes come through.
    let unchecked = c_client(&dev, root, false);
    let (got, status, err) = read_direct(unchecked, journal);
    assert!(got == other, "{status:?}: {} bytes", got.len());
    gazette_error_free(err);
    gazette_client_free(unchecked);
    rt.block_on(dev.shutdown());
}
