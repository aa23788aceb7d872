//! AppendService against the dev broker over real gRPC: the checklist of
//! Gazette's AppendService tests (faults injected where Go uses a stub),
//! plus shutdown, cancellation and blocking waits.

mod append_service_support;
mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{skip, TestEnv};
use gazette::protocol::{AppendRequest, CompressionCodec, Label, LabelSelector, LabelSet, Status};
use gazette::{AppendServiceConfig, AsyncOperation, Error, OpFuture, OpFutures};
use gazette_devbroker::{Fault, Rpc};

use append_service_support::*;

fn an_error() -> Error {
    Error::from(std::io::Error::other("an error"))
}

#[tokio::test]
async fn basic_append_retried_across_failures_with_idle_successor() {
    let env = TestEnv::start(1).await;
    let Some(dev) = env.dev() else { return skip() };
    let journal = env.create_journal("basic", CompressionCodec::None).await;
    let svc = service(&env, AppendServiceConfig::default());
    dev.faults().fail_next(
        Rpc::Append,
        2,
        Fault::Grpc(tonic::Code::Unavailable, "injected".into()),
    );
    let before = dev.counters().total(Rpc::Append);

    let mut aa = svc.start_append(req(&journal), OpFutures::new()).await;
    aa.write_all(b"hello, ").unwrap();
    aa.write_all(b"world").unwrap();
    let fut = aa.release().unwrap();

    // While in flight (retrying), the batch is frozen behind an idle
    // successor, which is what pending_except returns.
    eventually("successor chained", || {
        let pending = svc.pending_except("");
        pending.len() == 1 && !pending.contains(&fut.op())
    })
    .await;
    let successor = svc.pending_except("").into_iter().next().unwrap();
    assert!(!fut.is_done(), "still retrying");

    fut.wait().await.unwrap();
    successor.wait().await.unwrap();
    let commit = fut.response().unwrap().commit.clone().unwrap();
    assert_eq!((commit.begin, commit.end), (0, 12));
    assert_eq!(
        dev.counters().total(Rpc::Append) - before,
        3,
        "two failures, one success"
    );
    eventually("nothing pending", || svc.pending_journals() == 0).await;
    assert!(svc.pending_except("").is_empty());
    assert_eq!(read_all(&env, &journal).await, b"hello, world");
}

/// Puts every append of a test into one batch: they all depend on `gate`,
/// which the test resolves once they are written.
fn gated(gate: &AsyncOperation) -> OpFutures {
    [gate.future()].into_iter().collect()
}

#[tokio::test]
async fn rolled_back_writes_are_left_out_of_the_batch() {
    let env = TestEnv::start(1).await;
    let journal = env.create_journal("rollback", CompressionCodec::None).await;
    let svc = service(
        &env,
        AppendServiceConfig {
            buffer_size: 3, // Every write spills to the file.
            ..Default::default()
        },
    );
    let gate = AsyncOperation::new();

    let mut aa = svc.start_append(req(&journal), gated(&gate)).await;
    aa.write_all(b"write one ").unwrap();
    let first = aa.release().unwrap();

    let mut aa = svc.start_append(req(&journal), gated(&gate)).await;
    aa.write_all(b"this is rolled back").unwrap();
    aa.write_all(b" and so is this").unwrap();
    aa.require(Ok::<(), Error>(()));
    aa.require(Err::<(), _>(an_error()));
    aa.require(Err::<(), _>(Error::Canceled)); // Only the first error is kept.
    assert_eq!(aa.release().unwrap_err().to_string(), "an error");

    let mut aa = svc.start_append(req(&journal), gated(&gate)).await;
    aa.write_all(b"write two").unwrap();
    let second = aa.release().unwrap();
    assert!(first.ptr_eq(&second), "one batch");

    gate.resolve(Ok(()));
    first.wait().await.unwrap();
    let commit = first.response().unwrap().commit.clone().unwrap();
    assert_eq!((commit.begin, commit.end), (0, 19));
    assert_eq!(read_all(&env, &journal).await, b"write one write two");
    if let Some(dev) = env.dev() {
        assert_eq!(dev.counters().total(Rpc::Append), 1, "a single RPC");
    }
}

#[tokio::test]
async fn size_cutoff_starts_new_batches() {
    let env = TestEnv::start(1).await;
    let journal = env.create_journal("cutoff", CompressionCodec::None).await;
    let svc = service(
        &env,
        AppendServiceConfig {
            size_cutoff: 8,
            ..Default::default()
        },
    );
    let gate = AsyncOperation::new();
    let mut futures = Vec::new();
    for word in [b"twelve bytes", b"TWELVE BYTES", b"12 more byte"] {
        let mut aa = svc.start_append(req(&journal), gated(&gate)).await;
        aa.write_all(word).unwrap();
        futures.push(aa.release().unwrap());
    }
    assert!(!futures[0].ptr_eq(&futures[1]) && !futures[1].ptr_eq(&futures[2]));
    gate.resolve(Ok(()));
    let mut spans = Vec::new();
    for fut in &futures {
        fut.wait().await.unwrap();
        let c = fut.response().unwrap().commit.clone().unwrap();
        spans.push((c.begin, c.end));
    }
    assert_eq!(
        spans,
        [(0, 12), (12, 24), (24, 36)],
        "three sequential RPCs"
    );
    assert_eq!(
        read_all(&env, &journal).await,
        b"twelve bytesTWELVE BYTES12 more byte"
    );
    if let Some(dev) = env.dev() {
        assert_eq!(dev.counters().total(Rpc::Append), 3);
    }
}

#[test]
fn start_append_racing_a_completing_chain_starts_over() {
    // Callers whose start_append fetched a chain just as its serve loop
    // finished it must start over on a new chain. The window is narrow, so
    // this runs until it was hit (bounded), checking every append meanwhile.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (env, journal) = rt.block_on(async {
        let env = TestEnv::start(1).await;
        let journal = env.create_journal("race", CompressionCodec::None).await;
        (env, journal)
    });
    let svc = {
        let _enter = rt.enter();
        service(&env, AppendServiceConfig::default())
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let mut appended = 0usize;
    while svc.start_restarts() == 0 && std::time::Instant::now() < deadline {
        std::thread::scope(|s| {
            for t in 0..4 {
                let svc = &svc;
                let journal = &journal;
                s.spawn(move || {
                    for _ in 0..25 {
                        let mut aa = svc.start_append_blocking(req(journal), OpFutures::new());
                        aa.write_all(&[b'a' + t as u8]).unwrap();
                        let fut = aa.release().unwrap();
                        fut.wait_blocking().unwrap();
                    }
                });
            }
        });
        appended += 100;
    }
    assert!(svc.start_restarts() > 0, "the race was never hit");
    let content = rt.block_on(read_all(&env, &journal));
    assert_eq!(content.len(), appended, "every append landed once");
    eprintln!("restarts: {} over {appended} appends", svc.start_restarts());
    drop(svc);
    drop(env);
}

#[tokio::test]
async fn cancellation_fails_in_flight_dependants_and_later_appends() {
    let env = TestEnv::start(1).await;
    let Some(dev) = env.dev() else { return skip() };
    let a = env.create_journal("cancel-a", CompressionCodec::None).await;
    let b = env.create_journal("cancel-b", CompressionCodec::None).await;
    let svc = service(&env, AppendServiceConfig::default());
    dev.faults().delay(Rpc::Append, Duration::from_secs(30));

    let mut aa = svc.start_append(req(&a), OpFutures::new()).await;
    aa.write_all(b"stuck").unwrap();
    let fut_a = aa.release().unwrap();
    let mut aa = svc.start_append(req(&b), svc.pending_except(&b)).await;
    aa.write_all(b"waits for a").unwrap();
    let fut_b = aa.release().unwrap();

    eventually("a's RPC started", || dev.counters().total(Rpc::Append) >= 1).await;
    svc.cancel();
    assert_eq!(
        fut_a.wait().await.unwrap_err().to_string(),
        "context canceled"
    );
    assert_eq!(
        fut_b.wait().await.unwrap_err().to_string(),
        "dependency failed: context canceled"
    );

    let mut aa = svc.start_append(req(&a), OpFutures::new()).await;
    aa.write_all(b"later").unwrap();
    let later = aa.release().unwrap();
    let err = tokio::time::timeout(Duration::from_secs(5), later.wait())
        .await
        .expect("fails at once")
        .unwrap_err();
    assert!(matches!(err, Error::Canceled), "{err}");
    dev.faults().delay(Rpc::Append, Duration::ZERO);
    assert_eq!(
        dev.counters().total(Rpc::Append),
        1,
        "nothing else was sent"
    );
}

/// Appends `content` to `request.journal` and returns the outcome.
async fn append_one(
    svc: &gazette::AppendService,
    request: AppendRequest,
    content: &[u8],
) -> Result<(), Error> {
    let mut aa = svc.start_append(request, OpFutures::new()).await;
    aa.write_all(content).unwrap();
    let fut = aa.release().unwrap();
    tokio::time::timeout(Duration::from_secs(10), fut.wait())
        .await
        .expect("completes without retrying forever")
}

#[tokio::test]
async fn terminal_statuses_fail_without_retry_and_stick() {
    let env = TestEnv::start(1).await;
    let Some(dev) = env.dev() else { return skip() };
    let svc = service(&env, AppendServiceConfig::default());
    let cases = [
        (Status::FragmentStoreUnhealthy, "FRAGMENT_STORE_UNHEALTHY"),
        (Status::IndexHasGreaterOffset, "INDEX_HAS_GREATER_OFFSET"),
        (Status::NotAllowed, "NOT_ALLOWED"),
        (Status::JournalNotFound, "JOURNAL_NOT_FOUND"),
        (Status::WrongAppendOffset, "WRONG_APPEND_OFFSET"),
    ];
    // REGISTER_MISMATCH is terminal too (`is_terminal`), but a broker sends
    // it only to requests with check_registers, which retry everything; the
    // dev broker's injected form also lacks the registers a valid response
    // carries. `real_terminal_statuses` covers it.
    for (status, text) in cases {
        let journal = env.create_journal("terminal", CompressionCodec::None).await;
        dev.faults()
            .fail_next(Rpc::Append, 1, Fault::Status(status));
        let before = dev.counters().total(Rpc::Append);
        let err = append_one(&svc, req(&journal), b"x").await.expect_err(text);
        assert_eq!(err.status(), Some(status));
        let shown = err.to_string();
        if status == Status::FragmentStoreUnhealthy {
            // Carries the broker's store health text: "<text>: FRAGMENT_STORE_UNHEALTHY".
            let store_text = shown.strip_suffix(": FRAGMENT_STORE_UNHEALTHY");
            assert!(store_text.is_some_and(|t| !t.is_empty()), "{shown}");
        } else {
            assert_eq!(shown, text);
        }
        assert_eq!(
            dev.counters().total(Rpc::Append) - before,
            1,
            "{text}: no retry"
        );

        // Sticky: later appends fail with the same error, without an RPC.
        eventually("chain done", || svc.journal_error(&journal).is_some()).await;
        let again = append_one(&svc, req(&journal), b"y").await.unwrap_err();
        assert_eq!(again.to_string(), shown);
        assert_eq!(dev.counters().total(Rpc::Append) - before, 1);
        assert!(read_all(&env, &journal).await.is_empty());
    }
    // pending_except carries each recorded error of other journals.
    let errs: Vec<String> = svc
        .pending_except("")
        .iter()
        .map(|f| f.try_result().unwrap().unwrap_err().to_string())
        .collect();
    assert_eq!(errs.len(), cases.len());
    for (_, text) in cases {
        assert!(errs.iter().any(|e| e.ends_with(text)), "{text} in {errs:?}");
    }
}

#[tokio::test]
async fn real_terminal_statuses() {
    // The same rules, with statuses the broker produces on its own (these
    // also run against a real broker).
    let env = TestEnv::start(1).await;
    let svc = service(&env, AppendServiceConfig::default());

    let missing = env.unique_journal("does-not-exist");
    let err = append_one(&svc, req(&missing), b"x").await.unwrap_err();
    assert!(matches!(err, Error::JournalNotFound), "{err}");

    let mut spec = TestEnv::spec(&env.unique_journal("read-only"), CompressionCodec::None);
    spec.flags = 1; // O_RDONLY
    let read_only = spec.name.clone();
    env.create(spec).await;
    let err = append_one(&svc, req(&read_only), b"x").await.unwrap_err();
    assert!(matches!(err, Error::NotAllowed), "{err}");

    let journal = env.create_journal("offset", CompressionCodec::None).await;
    let request = AppendRequest {
        offset: 1234,
        ..req(&journal)
    };
    let err = append_one(&svc, request, b"x").await.unwrap_err();
    assert!(matches!(err, Error::WrongAppendOffset), "{err}");

    // Registers: a lock taken by one writer fences another.
    let journal = env
        .create_journal("registers", CompressionCodec::None)
        .await;
    let owner = |v: &str| LabelSet {
        labels: vec![Label {
            name: "owner".into(),
            value: v.into(),
            prefix: false,
        }],
    };
    let take = AppendRequest {
        union_registers: Some(owner("a")),
        ..req(&journal)
    };
    append_one(&svc, take, b"locked by a").await.unwrap();
    let fenced = AppendRequest {
        check_registers: Some(LabelSelector {
            include: Some(owner("b")),
            exclude: None,
        }),
        ..req(&journal)
    };
    let other = service(&env, AppendServiceConfig::default());
    // With check_registers every error is retried: the fenced append never
    // completes on its own, and is cancelled by close.
    let mut aa = other.start_append(fenced, OpFutures::new()).await;
    aa.write_all(b"from b").unwrap();
    let fut = aa.release().unwrap();
    let retries = other.client().stats().snapshot().retries;
    eventually("the fenced append is retried", || {
        other.client().stats().snapshot().retries >= retries + 2
    })
    .await;
    assert!(
        !fut.is_done(),
        "REGISTER_MISMATCH is retried with check_registers"
    );
    assert!(matches!(
        other.close(Duration::from_millis(10)).await,
        Err(Error::Canceled)
    ));
    assert!(matches!(fut.try_result(), Some(Err(Error::Canceled))));
    assert_eq!(read_all(&env, &journal).await, b"locked by a");
}

#[tokio::test]
async fn retryable_statuses_are_retried() {
    let env = TestEnv::start(1).await;
    let Some(dev) = env.dev() else { return skip() };
    let svc = service(&env, AppendServiceConfig::default());
    let journal = env
        .create_journal("retryable", CompressionCodec::None)
        .await;
    for status in [
        Status::NoJournalPrimaryBroker,
        Status::InsufficientJournalBrokers,
        Status::Suspended,
        Status::EtcdTransactionFailed,
    ] {
        dev.faults()
            .fail_next(Rpc::Append, 1, Fault::Status(status));
    }
    dev.faults().fail_next(
        Rpc::Append,
        1,
        Fault::Grpc(tonic::Code::Unknown, "some broker error".into()),
    );
    // check_registers makes even REGISTER_MISMATCH retryable.
    dev.faults()
        .fail_next(Rpc::Append, 1, Fault::Status(Status::RegisterMismatch));
    let request = AppendRequest {
        check_registers: Some(LabelSelector::default()),
        ..req(&journal)
    };
    append_one(&svc, request, b"made it").await.unwrap();
    assert_eq!(dev.counters().total(Rpc::Append), 7);
    assert_eq!(read_all(&env, &journal).await, b"made it");
}

#[tokio::test]
async fn dependencies_order_appends_across_journals() {
    let env = TestEnv::start(1).await;
    let svc = service(&env, AppendServiceConfig::default());
    let [a, b, c] = [
        env.create_journal("cycle-a", CompressionCodec::None).await,
        env.create_journal("cycle-b", CompressionCodec::None).await,
        env.create_journal("cycle-c", CompressionCodec::None).await,
    ];
    let free = env
        .create_journal("cycle-free", CompressionCodec::None)
        .await;
    let order = Arc::new(Mutex::new(Vec::new()));
    let gate = AsyncOperation::new();
    let mut futures = Vec::new();
    let start = |journal: &str, deps: OpFutures, content: &[u8]| {
        let svc = svc.clone();
        let journal = journal.to_string();
        let content = content.to_vec();
        async move {
            let mut aa = svc.start_append(req(&journal), deps).await;
            aa.write_all(&content).unwrap();
            aa.release().unwrap()
        }
    };
    // A waits for the gate; B for everything but B; C likewise; then A again.
    let fa1 = start(&a, gated(&gate), b"a1 ").await;
    let fb = start(&b, svc.pending_except(&b), b"b ").await;
    let fc = start(&c, svc.pending_except(&c), b"c ").await;
    let deps = svc.pending_except(&a);
    let fa2 = start(&a, deps.clone(), b"a2").await;
    // The same dependencies join the same batch.
    let fa2_again = start(&a, deps, b"!").await;
    assert!(fa2.ptr_eq(&fa2_again));
    assert!(!fa1.ptr_eq(&fa2));
    for (name, fut) in [("a1", &fa1), ("b", &fb), ("c", &fc), ("a2", &fa2)] {
        let order = order.clone();
        fut.on_done(move |_| order.lock().unwrap().push(name));
        futures.push(fut.clone());
    }
    // An append depending on nothing commits meanwhile: the service runs,
    // and still nothing gated is done.
    start(&free, OpFutures::new(), b"free")
        .await
        .wait()
        .await
        .unwrap();
    assert!(order.lock().unwrap().is_empty(), "nothing before the gate");
    gate.resolve(Ok(()));
    for fut in &futures {
        fut.wait().await.unwrap();
    }
    assert_eq!(*order.lock().unwrap(), ["a1", "b", "c", "a2"]);
    assert_eq!(read_all(&env, &a).await, b"a1 a2!");
    assert_eq!(read_all(&env, &b).await, b"b ");
    assert_eq!(read_all(&env, &c).await, b"c ");
}

#[tokio::test]
async fn failed_dependency_fails_the_journal_for_good() {
    let env = TestEnv::start(1).await;
    let svc = service(&env, AppendServiceConfig::default());
    let journal = env.create_journal("dep-fail", CompressionCodec::None).await;
    let (op1, op2) = (AsyncOperation::new(), AsyncOperation::new());

    let mut aa = svc.start_append(req(&journal), gated(&op1)).await;
    aa.write_all(b"one").unwrap();
    let f1 = aa.release().unwrap();
    let mut aa = svc.start_append(req(&journal), gated(&op2)).await;
    aa.write_all(b"two").unwrap();
    let f2 = aa.release().unwrap();
    assert!(!f1.ptr_eq(&f2), "different dependencies, different batches");

    op1.resolve(Err(an_error()));
    for fut in [&f1, &f2] {
        let err = fut.wait().await.unwrap_err();
        assert_eq!(err.to_string(), "dependency failed: an error");
        assert!(matches!(err, Error::DependencyFailed(_)));
    }
    assert!(!op2.is_done(), "f2 failed without waiting for op2");

    let err = append_one(&svc, req(&journal), b"three").await.unwrap_err();
    assert_eq!(err.to_string(), "dependency failed: an error");
    eventually("chain done", || svc.pending_journals() == 0).await;
    let pending = svc.pending_except("");
    assert_eq!(pending.len(), 1);
    let carried = pending.iter().next().unwrap().try_result().unwrap();
    assert_eq!(
        carried.unwrap_err().to_string(),
        "dependency failed: an error"
    );
    assert!(svc.pending_except(&journal).is_empty());
    assert!(read_all(&env, &journal).await.is_empty());
}

#[tokio::test]
async fn close_drains_pending_appends() {
    let env = TestEnv::start(1).await;
    let svc = service(&env, AppendServiceConfig::default());
    let mut futures = Vec::new();
    let mut journals = Vec::new();
    for i in 0..4 {
        let journal = env.create_journal("drain", CompressionCodec::None).await;
        for _ in 0..10 {
            let mut aa = svc.start_append(req(&journal), OpFutures::new()).await;
            write!(aa, "{i}").unwrap();
            futures.push(aa.release().unwrap());
        }
        journals.push(journal);
    }
    svc.close(Duration::from_secs(10)).await.unwrap();
    for fut in &futures {
        assert!(matches!(fut.try_result(), Some(Ok(()))));
    }
    for (i, journal) in journals.iter().enumerate() {
        assert_eq!(
            read_all(&env, journal).await,
            format!("{i}").repeat(10).as_bytes()
        );
    }
    assert_eq!(svc.idle_buffers(), 0, "close releases idle spill files");
}

#[tokio::test]
async fn close_times_out_and_fails_the_rest_exactly_once() {
    let env = TestEnv::start(1).await;
    let Some(dev) = env.dev() else { return skip() };
    dev.faults().delay(Rpc::Append, Duration::from_secs(30));
    let svc = service(&env, AppendServiceConfig::default());
    let calls = Arc::new(Mutex::new(Vec::new()));
    let mut futures = Vec::new();
    for i in 0..3 {
        let journal = env.create_journal("stuck", CompressionCodec::None).await;
        for _ in 0..2 {
            let mut aa = svc.start_append(req(&journal), OpFutures::new()).await;
            aa.write_all(b"never").unwrap();
            let fut = aa.release().unwrap();
            let calls = calls.clone();
            fut.on_done(move |r| calls.lock().unwrap().push((i, r.is_err())));
            futures.push(fut);
        }
    }
    let manual = AsyncOperation::new();
    let other = env
        .create_journal("stuck-dep", CompressionCodec::None)
        .await;
    let mut aa = svc.start_append(req(&other), gated(&manual)).await;
    aa.write_all(b"never either").unwrap();
    let waiting = aa.release().unwrap();

    let started = std::time::Instant::now();
    let err = svc.close(Duration::from_millis(300)).await.unwrap_err();
    assert!(matches!(err, Error::Canceled));
    assert!(started.elapsed() < Duration::from_secs(5));
    for fut in &futures {
        assert!(matches!(fut.try_result(), Some(Err(Error::Canceled))));
    }
    // A foreign dependency that never resolves is abandoned.
    assert!(matches!(waiting.try_result(), Some(Err(Error::Canceled))));
    // Each callback ran exactly once (batched callers share a future).
    let calls = calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 6);
    assert!(calls.iter().all(|(_, failed)| *failed));
    assert_eq!(svc.pending_journals(), 0);
    dev.faults().delay(Rpc::Append, Duration::ZERO);
}

#[tokio::test]
async fn dropping_the_service_cancels_it() {
    let env = TestEnv::start(1).await;
    let Some(dev) = env.dev() else { return skip() };
    dev.faults().delay(Rpc::Append, Duration::from_secs(30));
    let journal = env.create_journal("dropped", CompressionCodec::None).await;
    let svc = service(&env, AppendServiceConfig::default());
    let clone = svc.clone();
    let mut aa = svc.start_append(req(&journal), OpFutures::new()).await;
    aa.write_all(b"lost").unwrap();
    let fut = aa.release().unwrap();
    drop(svc);
    // The batch reached the (delaying) broker: the service still serves it.
    eventually("the append reached the broker", || {
        dev.counters().total(Rpc::Append) > 0
    })
    .await;
    assert!(!fut.is_done(), "a clone keeps the service alive");
    drop(clone);
    let result = tokio::time::timeout(Duration::from_secs(5), fut.wait())
        .await
        .expect("resolved on drop");
    assert!(matches!(result, Err(Error::Canceled)));
    dev.faults().delay(Rpc::Append, Duration::ZERO);
}

#[test]
fn blocking_waits_from_plain_threads() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (env, journal) = rt.block_on(async {
        let env = TestEnv::start(1).await;
        let journal = env.create_journal("blocking", CompressionCodec::None).await;
        (env, journal)
    });
    let svc = {
        let _enter = rt.enter();
        service(&env, AppendServiceConfig::default())
    };
    let gate = AsyncOperation::new();
    let mut aa = svc.start_append_blocking(req(&journal), gated(&gate));
    aa.write_all(b"from a thread").unwrap();
    let fut = aa.release().unwrap();
    assert!(fut.wait_timeout(Duration::ZERO).is_none(), "poll: not done");
    assert!(fut.wait_timeout(Duration::from_millis(50)).is_none());
    let (tx, rx) = std::sync::mpsc::channel();
    fut.on_done(move |r| tx.send(r.is_ok()).unwrap());
    let waiter = {
        let fut = fut.clone();
        std::thread::spawn(move || fut.wait_blocking())
    };
    gate.resolve(Ok(()));
    assert!(matches!(
        fut.wait_timeout(Duration::from_secs(10)),
        Some(Ok(()))
    ));
    assert!(waiter.join().unwrap().is_ok());
    assert!(rx.recv_timeout(Duration::from_secs(1)).unwrap());
    // A callback registered after completion runs at once.
    let ran = Arc::new(Mutex::new(false));
    let flag = ran.clone();
    fut.on_done(move |_| *flag.lock().unwrap() = true);
    assert!(*ran.lock().unwrap());
    assert_eq!(fut.response().unwrap().commit.as_ref().unwrap().end, 13);
    svc.close_blocking(Duration::from_secs(5)).unwrap();
    assert_eq!(rt.block_on(read_all(&env, &journal)), b"from a thread");
    drop(env);
}

#[tokio::test]
async fn released_and_dropped_appends() {
    let env = TestEnv::start(1).await;
    let journal = env
        .create_journal("dropped-append", CompressionCodec::None)
        .await;
    let svc = service(&env, AppendServiceConfig::default());
    let gate = AsyncOperation::new();
    let mut aa = svc.start_append(req(&journal), gated(&gate)).await;
    aa.write_all(b"kept ").unwrap();
    let fut = aa.release().unwrap();
    {
        // Dropped without release: rolled back.
        let mut aa = svc.start_append(req(&journal), gated(&gate)).await;
        aa.write_all(b"dropped ").unwrap();
    }
    let mut aa = svc.start_append(req(&journal), gated(&gate)).await;
    aa.write_all(b"kept too").unwrap();
    aa.release().unwrap();
    gate.resolve(Ok(()));
    fut.wait().await.unwrap();
    assert_eq!(read_all(&env, &journal).await, b"kept kept too");
}

#[test]
fn op_futures_subset_truth_table() {
    let (f1, f2) = (AsyncOperation::new(), AsyncOperation::new());
    let set = |fs: &[&AsyncOperation]| -> OpFutures { fs.iter().map(|f| f.future()).collect() };
    let empty = OpFutures::new();
    assert!(empty.is_subset_of(&empty));
    assert!(!set(&[&f1]).is_subset_of(&empty));
    assert!(set(&[&f1]).is_subset_of(&set(&[&f1, &f2])));
    assert!(set(&[&f2]).is_subset_of(&set(&[&f1, &f2])));
    assert!(set(&[&f1, &f2]).is_subset_of(&set(&[&f1, &f2])));
    assert!(!set(&[&f1, &f2]).is_subset_of(&set(&[&f1])));
    // A distinct future is a different element, whatever it resolves to.
    let f3 = AsyncOperation::new();
    assert!(!set(&[&f3]).is_subset_of(&set(&[&f1, &f2])));
    let same: OpFuture = f1.future();
    assert!(set(&[&f1]).contains(&same));
}

#[test]
fn async_operation_resolves_once() {
    let op = AsyncOperation::new();
    assert!(!op.is_done());
    assert!(op.resolve(Err(an_error())));
    assert!(!op.resolve(Ok(())), "second resolve has no effect");
    assert_eq!(op.wait_blocking().unwrap_err().to_string(), "an error");
    let done = gazette::finished_operation(Ok(()));
    assert!(done.is_done() && done.try_result().unwrap().is_ok());
}

#[test]
fn terminal_error_rules() {
    use gazette::append_service::is_terminal;
    let plain = req("a/journal");
    let checked = AppendRequest {
        check_registers: Some(LabelSelector::default()),
        ..req("a/journal")
    };
    let mismatch = Error::RegisterMismatch {
        detail: String::new(),
    };
    assert!(is_terminal(&mismatch, &plain));
    assert!(!is_terminal(&mismatch, &checked));
    assert!(!is_terminal(&Error::WrongAppendOffset, &checked));
    assert!(is_terminal(&Error::Canceled, &checked));
    assert!(!is_terminal(&Error::NoJournalPrimaryBroker, &plain));
    assert!(!is_terminal(
        &Error::Grpc(tonic::Status::unavailable("x")),
        &plain
    ));
}

#[test]
fn runtime_shutdown_fails_pending_appends() {
    // The service's runtime goes away under it (as when a C host frees the
    // library's runtime): nothing may wait forever.
    let broker_rt = tokio::runtime::Runtime::new().unwrap();
    let (env, journal) = broker_rt.block_on(async {
        let env = TestEnv::start(1).await;
        let journal = env.create_journal("rt-gone", CompressionCodec::None).await;
        let free = env.create_journal("rt-free", CompressionCodec::None).await;
        (env, (journal, free))
    });
    let (journal, free) = journal;
    let service_rt = tokio::runtime::Runtime::new().unwrap();
    let svc = service(
        &env,
        AppendServiceConfig {
            runtime: Some(service_rt.handle().clone()),
            ..Default::default()
        },
    );
    let gate = AsyncOperation::new();
    let mut aa = svc.start_append_blocking(req(&journal), gated(&gate));
    aa.write_all(b"pending").unwrap();
    let in_flight = aa.release().unwrap();
    let mut aa = svc.start_append_blocking(req(&journal), OpFutures::new());
    aa.write_all(b"queued").unwrap();
    let queued = aa.release().unwrap();
    // An ungated append to another journal commits: the service runs, and
    // the gated one still waits.
    let mut aa = svc.start_append_blocking(req(&free), OpFutures::new());
    aa.write_all(b"free").unwrap();
    aa.release().unwrap().wait_blocking().unwrap();
    assert!(!in_flight.is_done());

    drop(service_rt);
    for fut in [&in_flight, &queued] {
        let result = fut.wait_timeout(Duration::from_secs(5)).expect("resolved");
        assert!(matches!(result, Err(Error::Canceled)), "{result:?}");
    }
    // Later appends fail at release rather than hang.
    let other = broker_rt.block_on(env.create_journal("rt-gone-2", CompressionCodec::None));
    for journal in [&journal, &other] {
        let mut aa = svc.start_append_blocking(req(journal), OpFutures::new());
        aa.write_all(b"too late").unwrap();
        let fut = aa.release().unwrap();
        let result = fut.wait_timeout(Duration::ZERO).expect("failed at once");
        assert!(matches!(result, Err(Error::Canceled)), "{result:?}");
    }
    assert_eq!(svc.pending_journals(), 0);
    assert!(broker_rt.block_on(read_all(&env, &journal)).is_empty());
    drop(svc);
    drop(env);
}

#[test]
fn handles_cross_threads() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<gazette::AppendService>();
    send_sync::<gazette::AppendFuture>();
    send_sync::<OpFuture>();
    send_sync::<OpFutures>();
    send_sync::<AsyncOperation>();
    send::<gazette::AsyncAppend>();
}

#[tokio::test]
async fn try_start_append_to_joins_batches_of_equal_options_only() {
    let env = TestEnv::start(1).await;
    let journal = env.create_journal("start-to", CompressionCodec::None).await;
    let svc = service(&env, AppendServiceConfig::default());
    let gate = AsyncOperation::new();
    let deps = gated(&gate);
    let plain_elsewhere = AppendRequest {
        journal: "the/options/journal/is/ignored".into(),
        ..Default::default()
    };
    let direct = AppendRequest {
        do_not_proxy: true,
        ..Default::default()
    };
    let mut futures = Vec::new();
    for (options, word) in [
        (None, b"one "),
        (Some(&plain_elsewhere), b"two "),
        (Some(&direct), b"six "),
    ] {
        let mut aa = svc
            .try_start_append_to(&journal, options, &deps)
            .expect("the batch is free");
        assert_eq!(aa.request().journal, journal, "sent to the named journal");
        aa.write_all(word).unwrap();
        futures.push(aa.release().unwrap());
    }
    assert!(
        futures[0].ptr_eq(&futures[1]),
        "equal options share a batch"
    );
    assert!(!futures[1].ptr_eq(&futures[2]), "other options start one");
    assert!(futures[2].request().do_not_proxy);
    gate.resolve(Ok(()));
    for fut in &futures {
        fut.wait().await.unwrap();
    }
    assert_eq!(read_all(&env, &journal).await, b"one two six ");
}
