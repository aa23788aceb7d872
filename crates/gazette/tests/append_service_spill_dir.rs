//! The AppendService's `spill_dir`: spill files go there, and a directory
//! that can't take a file fails only the appends that need one, with an I/O
//! error naming the directory, while the service goes on (empty appends,
//! which need no file, commit meanwhile) and recovers once the directory is
//! usable. "Unwritable" is a path that is a regular file: permission bits
//! don't stop root, which CI runs as.

mod append_service_support;
mod common;

use std::io::Write;
use std::time::Duration;

use common::TestEnv;
use gazette::protocol::CompressionCodec;
use gazette::{AppendServiceConfig, Error, OpFutures};

use append_service_support::*;

/// Spill files this process holds open in `dir` (unlinked ones included).
fn open_files_in(dir: &std::path::Path) -> usize {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read_link(e.path()).ok())
        .filter(|t| t.starts_with(dir))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spill_files_live_in_the_spill_dir() {
    let env = TestEnv::start(1).await;
    let journal = env
        .create_journal("spill-dir", CompressionCodec::None)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let svc = service(
        &env,
        AppendServiceConfig {
            spill_dir: Some(dir.path().to_path_buf()),
            buffer_size: 16, // every write reaches the file
            ..Default::default()
        },
    );
    let mut aa = svc.start_append(req(&journal), OpFutures::new()).await;
    aa.write_all(b"spilled into the chosen directory\n")
        .unwrap();
    assert_eq!(
        open_files_in(dir.path()),
        1,
        "the batch's file is in spill_dir"
    );
    let fut = aa.release().unwrap();
    fut.wait().await.unwrap();
    assert_eq!(
        read_all(&env, &journal).await,
        b"spilled into the chosen directory\n"
    );
    svc.close(Duration::from_secs(10)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unusable_spill_dir_fails_appends_needing_a_file_and_recovers() {
    let env = TestEnv::start(1).await;
    let a = env
        .create_journal("spill-bad-a", CompressionCodec::None)
        .await;
    let b = env
        .create_journal("spill-bad-b", CompressionCodec::None)
        .await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("spill");
    std::fs::write(&dir, b"a file where the directory should be").unwrap();
    let svc = service(
        &env,
        AppendServiceConfig {
            spill_dir: Some(dir.clone()),
            ..Default::default()
        },
    );

    let mut aa = svc.start_append(req(&a), OpFutures::new()).await;
    let err = aa
        .write_all(b"needs a spill file\n")
        .expect_err("no spill file");
    assert!(err.to_string().contains(&*dir.to_string_lossy()), "{err}");
    let err = aa.release().expect_err("release of a failed write");
    assert!(matches!(err, Error::Io(_)), "{err:?}");
    eprintln!("unusable spill dir: {err}");

    // Meanwhile the service serves what needs no file: an empty append
    // (a write barrier) to another journal.
    let barrier = svc
        .start_append(req(&b), OpFutures::new())
        .await
        .release()
        .unwrap();
    barrier.wait().await.expect("a barrier needs no spill file");

    // The directory becomes usable: the next appends commit.
    std::fs::remove_file(&dir).unwrap();
    std::fs::create_dir(&dir).unwrap();
    let mut aa = svc.start_append(req(&a), OpFutures::new()).await;
    aa.write_all(b"after the fix\n").unwrap();
    aa.release().unwrap().wait().await.unwrap();
    assert_eq!(
        read_all(&env, &a).await,
        b"after the fix\n",
        "the failed append left nothing"
    );
    svc.close(Duration::from_secs(10)).await.unwrap();
}
