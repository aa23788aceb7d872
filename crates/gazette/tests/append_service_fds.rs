//! No file descriptor outlives the AppendService that opened it, including
//! those of spill files of failed, cancelled and rolled-back appends
//! (Gazette issue #297). In a binary of its own, with its tests serialized,
//! so nothing else opens or closes descriptors meanwhile.

mod append_service_support;
mod common;

use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::TestEnv;
use gazette::protocol::{CompressionCodec, Status};
use gazette::{AppendServiceConfig, AsyncOperation, Error, OpFutures};
use gazette_devbroker::{Fault, Rpc};
use tokio::runtime::Runtime;

use append_service_support::*;

static SERIAL: Mutex<()> = Mutex::new(());

/// Runs a dev broker once, so process-wide descriptors opened on first use
/// (tokio's signal socket pair) are there before anything is counted.
fn warm_up() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let rt = Runtime::new().unwrap();
        drop(rt.block_on(TestEnv::start(1)));
    });
}

/// Open descriptors: (all, unlinked temporary files among them).
fn fds() -> (usize, usize) {
    let tmp = std::env::temp_dir();
    let (mut all, mut spill) = (0, 0);
    for entry in std::fs::read_dir("/proc/self/fd").unwrap().flatten() {
        all += 1;
        if let Ok(target) = std::fs::read_link(entry.path()) {
            let target = target.to_string_lossy().into_owned();
            if target.starts_with(&*tmp.to_string_lossy()) && target.ends_with(" (deleted)") {
                spill += 1;
            }
        }
    }
    (all, spill)
}

/// Waits (bounded) until no more descriptors are open than at `start`.
/// Fewer is fine: one opened before the test (a socket of an earlier test's
/// broker still closing) may close meanwhile; only more would be a leak.
fn assert_back_to(start: (usize, usize)) {
    let within = |now: (usize, usize)| now.0 <= start.0 && now.1 <= start.1;
    let deadline = Instant::now() + Duration::from_secs(5);
    while !within(fds()) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let now = fds();
    if !within(now) {
        for entry in std::fs::read_dir("/proc/self/fd").unwrap().flatten() {
            eprintln!(
                "{:?} -> {:?}",
                entry.path(),
                std::fs::read_link(entry.path())
            );
        }
    }
    assert!(
        within(now),
        "descriptors (all, spill files) {now:?}, more than at the start {start:?}"
    );
}

#[test]
fn spill_files_of_every_outcome_are_closed() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    warm_up();
    let start = fds();
    {
        let rt = Runtime::new().unwrap();
        let env = rt.block_on(TestEnv::start(1));
        let svc = {
            let _enter = rt.enter();
            service(
                &env,
                AppendServiceConfig {
                    buffer_size: 16,
                    max_idle_buffers: 2,
                    ..Default::default()
                },
            )
        };
        rt.block_on(async {
            // Many journals at once, held behind a gate: one spill file each.
            let gate = AsyncOperation::new();
            let gated: OpFutures = [gate.future()].into_iter().collect();
            let mut futures = Vec::new();
            for i in 0..20 {
                let journal = env.create_journal("fds", CompressionCodec::None).await;
                let mut aa = svc.start_append(req(&journal), gated.clone()).await;
                aa.write_all(format!("spilled content {i}").as_bytes())
                    .unwrap();
                futures.push(aa.release().unwrap());
                // A rolled-back caller in the same batch.
                let mut aa = svc.start_append(req(&journal), gated.clone()).await;
                aa.write_all(b"rolled back").unwrap();
                aa.require(Err::<(), _>(Error::Canceled));
                assert!(aa.release().is_err());
            }
            // A spill file per pending batch (a rolled-back caller may have
            // opened a batch of its own, if the first was already frozen).
            assert!(fds().1 - start.1 >= 20);
            gate.resolve(Ok(()));
            for fut in &futures {
                fut.wait().await.unwrap();
            }
            // Batches of rolled-back callers only may still be in flight.
            eventually("all chains done", || svc.pending_journals() == 0).await;
            assert!(svc.idle_buffers() <= 2, "the pool keeps at most max_idle");

            // Failed appends (terminal statuses) return their files too.
            if let Some(dev) = env.dev() {
                dev.faults()
                    .fail_next(Rpc::Append, 5, Fault::Status(Status::WrongAppendOffset));
            }
            let missing = env.unique_journal("missing");
            for _ in 0..5 {
                let journal = match env.dev() {
                    Some(_) => env.create_journal("fails", CompressionCodec::None).await,
                    None => missing.clone(),
                };
                let mut aa = svc.start_append(req(&journal), OpFutures::new()).await;
                aa.write_all(b"doomed").unwrap();
                assert!(aa.release().unwrap().wait().await.is_err());
            }

            // Cancelled ones too.
            if let Some(dev) = env.dev() {
                dev.faults().delay(Rpc::Append, Duration::from_secs(30));
                let mut stuck = Vec::new();
                for _ in 0..5 {
                    let journal = env.create_journal("stuck", CompressionCodec::None).await;
                    let mut aa = svc.start_append(req(&journal), OpFutures::new()).await;
                    aa.write_all(b"never sent").unwrap();
                    stuck.push(aa.release().unwrap());
                }
                assert!(svc.close(Duration::from_millis(200)).await.is_err());
                for fut in &stuck {
                    assert!(matches!(fut.try_result(), Some(Err(Error::Canceled))));
                }
                dev.faults().delay(Rpc::Append, Duration::ZERO);
            } else {
                svc.close(Duration::from_secs(5)).await.unwrap();
            }
        });
        assert_eq!(fds().1, start.1, "no spill file open after close");
        drop(svc);
        drop(env);
    }
    assert_back_to(start);
}

#[test]
fn dropping_a_busy_service_closes_its_files() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    warm_up();
    let start = fds();
    {
        let rt = Runtime::new().unwrap();
        let env = rt.block_on(TestEnv::start(1));
        let svc = {
            let _enter = rt.enter();
            service(&env, AppendServiceConfig::default())
        };
        let futures = rt.block_on(async {
            let gate = AsyncOperation::new();
            let gated: OpFutures = [gate.future()].into_iter().collect();
            let mut futures = Vec::new();
            for _ in 0..8 {
                let journal = env.create_journal("busy", CompressionCodec::None).await;
                let mut aa = svc.start_append(req(&journal), gated.clone()).await;
                aa.write_all(b"pending at drop").unwrap();
                futures.push(aa.release().unwrap());
            }
            assert_eq!(fds().1 - start.1, 8);
            futures
        });
        drop(svc); // Cancels: the gate never opens.
        for fut in &futures {
            let result = fut.wait_timeout(Duration::from_secs(5)).expect("resolved");
            assert!(matches!(result, Err(Error::Canceled)));
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while fds().1 != start.1 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(
            fds().1,
            start.1,
            "spill files closed once the service is gone"
        );
        drop(env);
    }
    assert_back_to(start);
}
