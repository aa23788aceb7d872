//! Broker faults during appends and reads, each test ending with the
//! write/read comparison of `fault_support`: every acknowledged byte is in
//! the journal where its commit says, and the client's readers deliver
//! exactly what the broker stores. Each prints the retries it saw and its
//! resident set before and after.
//!
//! Faults: a broker stopped and restarted mid-append, mid-read and
//! mid-AppendService batch; Read and Append streams cut after N bytes; the
//! primary moved between brokers; bursts of UNAVAILABLE (and of routing
//! statuses); a journal's assignment disappearing (its broker stops) and
//! coming back on another broker. The volumes are small: long runs are the
//! soak's (`scripts/soak`).

mod fault_support;

use std::io::Write;
use std::time::Duration;

use gazette::append::is_append_retryable;
use gazette::protocol::{AppendRequest, CompressionCodec, ReadRequest, Status};
use gazette::{AppendFuture, AppendService, Appender, OpFutures, ReadStep, RetryReader};
use gazette_devbroker::{Fault, Rpc};
use tokio::sync::mpsc;

use fault_support::*;

fn req(journal: &str) -> AppendRequest {
    AppendRequest {
        journal: journal.to_string(),
        ..Default::default()
    }
}

/// Appends `count` writes of writer `w` one after another with the retrying
/// `append`, acknowledging each into `ledger` and announcing it on `acks`.
async fn writer(
    client: gazette::Client,
    journal: String,
    w: usize,
    count: usize,
    ledger: std::sync::Arc<Ledger>,
    acks: mpsc::UnboundedSender<usize>,
) {
    for k in 0..count {
        let data = content(w, k, 2000 + (k * 37) % 3000);
        let resp = gazette::append(&client, req(&journal), &[&data.as_slice()])
            .await
            .unwrap_or_else(|e| panic!("append {k} of writer {w}: {e:?}"));
        ledger.ack(&journal, &resp, &data);
        let _ = acks.send(k);
    }
}

/// Compares everything: the ledger against the stored journal, and a
/// RetryReader's read-back against it too. Returns acknowledged bytes.
async fn compare(cluster: &Cluster, ledger: &Ledger, journal: &str) -> u64 {
    let stored = cluster.stored(journal).await;
    let acked = ledger.check(journal, &stored);
    let read = read_back(&cluster.client, journal, stored.len() as i64).await;
    assert_same_bytes(journal, &read, &stored);
    acked
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_stopped_and_restarted_mid_append() {
    if real_broker_configured() {
        return;
    }
    let rss = measure().await;
    let c = Cluster::start(1, Duration::from_millis(20)).await;
    let journal = "faults/restart-mid-append";
    c.create(journal, CompressionCodec::None, 16 << 10, 1).await;
    let ledger = std::sync::Arc::new(Ledger::default());

    // One append left open across the stop: it must fail retryably and
    // commit nothing.
    // More than the Appender coalesces (64 KiB), so the RPC is under way.
    let first = content(0, 0, 200_000);
    let mut open = Appender::new(&c.client, req(journal));
    open.write(&first[..100_000]).await.expect("first half");
    until("the broker saw the Append", || {
        c.dev.counters().total(Rpc::Append) >= 1
    })
    .await;
    assert!(c.dev.stop_broker(0).await);
    let err = match open.write(&first[100_000..]).await {
        Err(err) => err,
        Ok(_) => open
            .close()
            .await
            .expect_err("append across a stop commits"),
    };
    assert!(is_append_retryable(&err), "retryable: {err:?}");
    assert!(c.dev.restart_broker(0).await.unwrap());
    assert_eq!(
        c.stored(journal).await.len(),
        0,
        "the broken append committed nothing"
    );

    // Sequential retried appends, with the broker stopped after the 5th is
    // acknowledged and restarted once the writer has retried through it.
    let (tx, mut rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(writer(
        c.client.clone(),
        journal.to_string(),
        1,
        30,
        ledger.clone(),
        tx,
    ));
    while rx.recv().await.is_some_and(|k| k < 4) {}
    let retries = c.client.stats().snapshot().retries;
    assert!(c.dev.stop_broker(0).await);
    until("the writer retried", || {
        c.client.stats().snapshot().retries > retries
    })
    .await;
    assert!(c.dev.restart_broker(0).await.unwrap());
    task.await.unwrap();

    let acked = compare(&c, &ledger, journal).await;
    assert!(acked > 0);
    report(
        "broker_stopped_and_restarted_mid_append",
        &c.client,
        acked,
        &rss,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_stopped_and_restarted_mid_read() {
    if real_broker_configured() {
        return;
    }
    let rss = measure().await;
    let c = Cluster::start(1, Duration::from_millis(20)).await;
    let journal = "faults/restart-mid-read";
    c.create(journal, CompressionCodec::Gzip, 32 << 10, 1).await;
    let ledger = Ledger::default();
    for k in 0..40 {
        let data = content(0, k, 5000);
        let resp = gazette::append(&c.client, req(journal), &[&data.as_slice()])
            .await
            .unwrap();
        ledger.ack(journal, &resp, &data);
    }
    c.dev.flush(journal); // part persisted (read directly), part in the spool

    let mut rr = RetryReader::new(
        &c.client,
        ReadRequest {
            journal: journal.to_string(),
            offset: 0,
            block: true,
            ..Default::default()
        },
    );
    let mut got = Vec::new();
    while got.len() < 50_000 {
        if let ReadStep::Data(chunk) = rr.next_chunk(10_000).await.unwrap() {
            got.extend_from_slice(&chunk);
        }
    }
    let retries = c.client.stats().snapshot().retries;
    assert!(c.dev.stop_broker(0).await);
    // Keep reading while the broker is down: what is buffered or on disk
    // comes through, then the reader retries until the broker is back.
    let restart = async {
        until("the reader retried", || {
            c.client.stats().snapshot().retries > retries
        })
        .await;
        assert!(c.dev.restart_broker(0).await.unwrap());
        for k in 40..60 {
            let data = content(0, k, 5000);
            let resp = gazette::append(&c.client, req(journal), &[&data.as_slice()])
                .await
                .unwrap();
            ledger.ack(journal, &resp, &data);
        }
    };
    let read_rest = async {
        while got.len() < 300_000 {
            if let ReadStep::Data(chunk) = rr.next_chunk(usize::MAX).await.unwrap() {
                got.extend_from_slice(&chunk);
            }
        }
    };
    tokio::join!(restart, read_rest);
    let stored = c.stored(journal).await;
    let acked = ledger.check(journal, &stored);
    assert_same_bytes(journal, &got, &stored);
    report(
        "broker_stopped_and_restarted_mid_read",
        &c.client,
        acked,
        &rss,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_stopped_and_restarted_mid_append_service_batch() {
    if real_broker_configured() {
        return;
    }
    let rss = measure().await;
    let c = Cluster::start(1, Duration::from_millis(20)).await;
    let journals: Vec<String> = (0..3).map(|j| format!("faults/restart-svc-{j}")).collect();
    for j in &journals {
        c.create(j, CompressionCodec::Snappy, 64 << 10, 1).await;
    }
    let svc = AppendService::new(c.client.clone());
    // Per journal: (future, record) in start order.
    let mut sent: Vec<Vec<(AppendFuture, Vec<u8>)>> = vec![Vec::new(); journals.len()];
    async fn produce(
        svc: &AppendService,
        journals: &[String],
        range: std::ops::Range<usize>,
        sent: &mut [Vec<(AppendFuture, Vec<u8>)>],
    ) {
        for k in range {
            let j = k % journals.len();
            let mut aa = svc.start_append(req(&journals[j]), OpFutures::new()).await;
            let rec = content(j, k, 700);
            aa.write_all(&rec).unwrap();
            sent[j].push((aa.release().unwrap(), rec));
        }
    }
    produce(&svc, &journals, 0..300, &mut sent).await;
    until("a batch is in flight", || {
        c.dev.counters().total(Rpc::Append) >= 2
    })
    .await;
    assert!(c.dev.stop_broker(0).await);
    produce(&svc, &journals, 300..900, &mut sent).await; // queued into spill files meanwhile
    let retries = c.client.stats().snapshot().retries;
    until("the service retried", || {
        c.client.stats().snapshot().retries > retries
    })
    .await;
    assert!(c.dev.restart_broker(0).await.unwrap());
    produce(&svc, &journals, 900..1200, &mut sent).await;

    let ledger = Ledger::default();
    let mut acked = 0;
    for (j, journal) in journals.iter().enumerate() {
        // Each batch's records, concatenated in start order, are its commit.
        let mut batch: Option<(u64, AppendFuture, Vec<u8>)> = None;
        let flush = |b: Option<(u64, AppendFuture, Vec<u8>)>| {
            if let Some((_, fut, bytes)) = b {
                let resp = fut.response().expect("committed batch has a response");
                ledger.ack(journal, resp, &bytes);
            }
        };
        for (fut, rec) in &sent[j] {
            fut.wait().await.expect("every async append commits");
            match &mut batch {
                Some((id, _, bytes)) if *id == fut.batch_id() => bytes.extend_from_slice(rec),
                _ => {
                    flush(batch.take());
                    batch = Some((fut.batch_id(), fut.clone(), rec.clone()));
                }
            }
        }
        flush(batch.take());
        acked += compare(&c, &ledger, journal).await;
    }
    svc.close(Duration::from_secs(10)).await.unwrap();
    report(
        "broker_stopped_and_restarted_mid_append_service_batch",
        &c.client,
        acked,
        &rss,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_cut_after_n_bytes() {
    if real_broker_configured() {
        return;
    }
    let rss = measure().await;
    let c = Cluster::start(1, Duration::ZERO).await;
    let journal = "faults/cut";
    c.create(journal, CompressionCodec::None, 1 << 20, 1).await;
    let ledger = Ledger::default();
    for k in 0..10 {
        // Every other append is cut partway: the retried append commits
        // once, whole.
        if k % 2 == 1 {
            c.dev.faults().cut_stream_after(Rpc::Append, 3000);
        }
        let data = content(0, k, 8000);
        let resp = gazette::append(&c.client, req(journal), &[&data.as_slice()])
            .await
            .unwrap();
        ledger.ack(journal, &resp, &data);
    }
    let stored = c.stored(journal).await;
    assert_eq!(stored.len(), 80_000, "cut appends committed nothing");
    let acked = ledger.check(journal, &stored);
    // Reads cut three times, at different depths, still deliver it all.
    for cut in [1000u64, 33_000, 50_000] {
        c.dev.faults().cut_stream_after(Rpc::Read, cut);
        let read = read_back(&c.client, journal, stored.len() as i64).await;
        assert_same_bytes(journal, &read, &stored);
    }
    report("streams_cut_after_n_bytes", &c.client, acked, &rss);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn primary_moved_between_brokers() {
    if real_broker_configured() {
        return;
    }
    let rss = measure().await;
    let c = Cluster::start(3, Duration::ZERO).await;
    let journal = "faults/moved";
    c.create(journal, CompressionCodec::Zstandard, 16 << 10, 3)
        .await;
    let ledger = std::sync::Arc::new(Ledger::default());
    let (tx, mut rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(writer(
        c.client.clone(),
        journal.to_string(),
        2,
        40,
        ledger.clone(),
        tx,
    ));
    // Move the primary twice while the writer appends; its cached route
    // goes stale each time and it must follow.
    let mut moves = vec![(10, 1), (25, 2)];
    while let Some(k) = rx.recv().await {
        if moves.first().is_some_and(|(at, _)| *at == k) {
            let (_, to) = moves.remove(0);
            assert!(c.dev.move_primary(journal, to));
        }
    }
    task.await.unwrap();
    assert!(moves.is_empty());
    let acked = compare(&c, &ledger, journal).await;
    report("primary_moved_between_brokers", &c.client, acked, &rss);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bursts_of_unavailable_and_routing_statuses() {
    if real_broker_configured() {
        return;
    }
    let rss = measure().await;
    let c = Cluster::start(2, Duration::ZERO).await;
    let journal = "faults/bursts";
    c.create(journal, CompressionCodec::None, 16 << 10, 1).await;
    let ledger = Ledger::default();
    let unavailable = Fault::Grpc(tonic::Code::Unavailable, "burst".into());
    let faults = c.dev.faults();
    for k in 0..12 {
        match k % 3 {
            0 => faults.fail_next(Rpc::Append, 4, unavailable.clone()),
            1 => faults.fail_next(
                Rpc::Append,
                2,
                Fault::Status(Status::NotJournalPrimaryBroker),
            ),
            _ => faults.fail_next(
                Rpc::Append,
                2,
                Fault::Status(Status::NoJournalPrimaryBroker),
            ),
        }
        let data = content(3, k, 3000);
        let resp = gazette::append(&c.client, req(journal), &[&data.as_slice()])
            .await
            .unwrap_or_else(|e| panic!("append {k} through a burst: {e}"));
        ledger.ack(journal, &resp, &data);
    }
    // The AppendService through a burst too.
    let svc = AppendService::new(c.client.clone());
    faults.fail_next(Rpc::Append, 5, unavailable.clone());
    let rec = content(4, 0, 5000);
    let mut aa = svc.start_append(req(journal), OpFutures::new()).await;
    aa.write_all(&rec).unwrap();
    let fut = aa.release().unwrap();
    fut.wait().await.expect("async append through a burst");
    ledger.ack(journal, fut.response().unwrap(), &rec);
    let stored = c.stored(journal).await;
    let acked = ledger.check(journal, &stored);
    let before_reads = c.client.stats().snapshot().retries;
    faults.fail_next(Rpc::Read, 3, unavailable);
    let read = read_back(&c.client, journal, stored.len() as i64).await;
    assert_same_bytes(journal, &read, &stored);
    let stats = c.client.stats().snapshot();
    assert!(
        stats.retries >= 4 * 4 + 4 * 2 + 4 * 2 + 5,
        "every failure retried: {stats:?}"
    );
    assert!(stats.retries > before_reads, "the reads retried too");
    svc.close(Duration::from_secs(10)).await.unwrap();
    report(
        "bursts_of_unavailable_and_routing_statuses",
        &c.client,
        acked,
        &rss,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assignment_disappears_and_comes_back() {
    if real_broker_configured() {
        return;
    }
    let rss = measure().await;
    // A long reassignment, so appends and reads meet the unassigned journal
    // (NO_JOURNAL_PRIMARY_BROKER, INSUFFICIENT_JOURNAL_BROKERS) for a while.
    let c = Cluster::start(2, Duration::from_millis(300)).await;
    let journal = "faults/unassigned";
    c.create(journal, CompressionCodec::Gzip, 16 << 10, 1).await;
    let route = gazette::await_assignment(&c.client, journal, Duration::from_secs(10))
        .await
        .unwrap();
    let owner = route.primary as usize;
    let owner_index = (0..2)
        .find(|i| c.dev.process_id(*i) == route.members[owner])
        .expect("owner is a dev broker");

    let ledger = std::sync::Arc::new(Ledger::default());
    let (tx, mut rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(writer(
        c.client.clone(),
        journal.to_string(),
        5,
        30,
        ledger.clone(),
        tx,
    ));
    // A blocking reader following the writer throughout.
    let mut rr = RetryReader::new(
        &c.client,
        ReadRequest {
            journal: journal.to_string(),
            offset: 0,
            block: true,
            ..Default::default()
        },
    );
    let mut followed = Vec::new();
    let mut stopped = false;
    let mut done = false;
    while !done {
        tokio::select! {
            k = rx.recv() => match k {
                Some(9) if !stopped => {
                    // Its broker goes away: the journal is unassigned, then
                    // lands on the other broker.
                    assert!(c.dev.stop_broker(owner_index).await);
                    stopped = true;
                }
                Some(_) => {}
                None => done = true,
            },
            step = rr.next_chunk(usize::MAX) => {
                if let ReadStep::Data(chunk) = step.expect("following read") {
                    followed.extend_from_slice(&chunk);
                }
            }
        }
    }
    task.await.unwrap();
    assert!(stopped);
    assert!(c.dev.restart_broker(owner_index).await.unwrap());
    let stored = c.stored(journal).await;
    while followed.len() < stored.len() {
        if let ReadStep::Data(chunk) = rr.next_chunk(usize::MAX).await.unwrap() {
            followed.extend_from_slice(&chunk);
        }
    }
    assert_same_bytes(journal, &followed, &stored);
    let acked = compare(&c, &ledger, journal).await;
    report(
        "assignment_disappears_and_comes_back",
        &c.client,
        acked,
        &rss,
    );
}
