//! The AppendService's spill files on a full disk. The disk's limit is real:
//! `RLIMIT_FSIZE` caps every file this process writes (SIGXFSZ ignored, so a
//! write past it fails with EFBIG, as on a full file system), and the dev
//! broker keeps its fragments in memory, so only spill files meet the cap.
//! That is why this test is alone in its binary.
//!
//! An append too large for the capped file fails with the I/O error and
//! commits nothing; smaller appends to the same journal and to another one
//! go on committing, and every acknowledged record is in its journal.

mod append_service_support;
mod common;

use std::io::Write;
use std::time::Duration;

use gazette::protocol::{journal_spec, CompressionCodec, JournalSpec, LabelSet};
use gazette::{AppendService, AppendServiceConfig, ClientConfig, Error, OpFutures};
use gazette_devbroker::{DevBroker, Options};

use append_service_support::req;

/// The file size cap: any spill file stops at 256 KiB.
const CAP: u64 = 256 << 10;

fn cap_file_size() {
    // SAFETY: plain libc calls with valid arguments.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
        let lim = libc::rlimit {
            rlim_cur: CAP,
            rlim_max: libc::RLIM_INFINITY,
        };
        assert_eq!(libc::setrlimit(libc::RLIMIT_FSIZE, &lim), 0);
    }
}

fn record(j: usize, k: usize) -> Vec<u8> {
    format!("journal {j} record {k:06} ........................................\n").into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_spill_disk_fails_only_the_appends_that_need_it() {
    if std::env::var("GAZETTE_TEST_BROKER").is_ok_and(|v| !v.is_empty()) {
        return common::skip();
    }
    let spill = tempfile::tempdir().unwrap();
    // Memory-only fragments: no store, so the broker writes no files.
    let dev = DevBroker::start(Options {
        assign_delay: Duration::ZERO,
        ..Default::default()
    })
    .await
    .unwrap();
    let client = gazette::Client::new(ClientConfig::new(dev.endpoint(0))).unwrap();
    let journals = ["spill-full/a", "spill-full/b"];
    for j in journals {
        let spec = JournalSpec {
            name: j.into(),
            replication: 1,
            labels: Some(LabelSet::default()),
            fragment: Some(journal_spec::Fragment {
                length: 1 << 20,
                compression_codec: CompressionCodec::None as i32,
                refresh_interval: Some(prost_types::Duration {
                    seconds: 1,
                    nanos: 0,
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        let change = gazette::protocol::apply_request::Change {
            upsert: Some(spec),
            ..Default::default()
        };
        gazette::apply_journals(
            &client,
            gazette::protocol::ApplyRequest {
                changes: vec![change],
            },
        )
        .await
        .unwrap();
        gazette::await_assignment(&client, j, Duration::from_secs(10))
            .await
            .unwrap();
    }
    let svc = AppendService::with_config(
        client.clone(),
        AppendServiceConfig {
            spill_dir: Some(spill.path().to_path_buf()),
            size_cutoff: 32 << 10, // batches roll well below the cap
            ..Default::default()
        },
    );
    cap_file_size();

    let mut expected: [Vec<u8>; 2] = Default::default();
    let mut futures = Vec::new();
    let mut failed = 0;
    for k in 0..400 {
        let j = k % 2;
        let mut aa = svc.start_append(req(journals[j]), OpFutures::new()).await;
        if k % 100 == 50 {
            // Larger than the cap: the spill file can't hold it.
            let big = vec![b'#'; 2 * CAP as usize];
            let err = aa
                .write_all(&big)
                .expect_err("write past the file size cap");
            eprintln!("append {k} to {}: {err}", journals[j]);
            let err = aa.release().expect_err("release of a failed write");
            assert!(matches!(err, Error::Io(_)), "{err:?}");
            failed += 1;
            continue;
        }
        let rec = record(j, k);
        aa.write_all(&rec).unwrap();
        futures.push(aa.release().unwrap());
        expected[j].extend_from_slice(&rec);
    }
    for f in &futures {
        f.wait().await.expect("appends that fit commit");
    }
    svc.close(Duration::from_secs(10)).await.unwrap();
    for (j, name) in journals.iter().enumerate() {
        let mut raw = gazette::protocol::journal_client::JournalClient::connect(dev.endpoint(0))
            .await
            .unwrap();
        let mut stream = raw
            .read(gazette::protocol::ReadRequest {
                journal: name.to_string(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let mut got = Vec::new();
        while let Some(m) = stream.message().await.unwrap() {
            got.extend_from_slice(&m.content);
        }
        assert!(
            got == expected[j],
            "{name}: exactly the acknowledged records"
        );
    }
    eprintln!(
        "spill full: {failed} appends failed with the I/O error, {} committed",
        futures.len()
    );
    assert_eq!(failed, 4);
}
