//! Throughput figures of libgazette's client against a local dev broker:
//! appends, proxied reads, direct fragment reads per codec and the
//! AppendService, each compared with a plain baseline where one exists.
//!
//! Run with `cargo bench --bench throughput`. Prints a table and writes
//! `target/bench/throughput.md` (the Rust API against raw-stub and
//! plain-decoder baselines, in one process). What C callers get is
//! `scripts/bench`'s report, `benches/REPORT.md`. Speed is reported as
//! figures and ratios, never asserted in tests.
//!
//! The parts live in `benches/throughput/` (a crate root's modules would
//! otherwise be looked up next to it).

#[path = "throughput/append.rs"]
mod append;
#[path = "throughput/fragments.rs"]
mod fragments;
#[path = "throughput/measure.rs"]
mod measure;
#[path = "throughput/read.rs"]
mod read;
#[path = "throughput/report.rs"]
mod report;
#[path = "throughput/service.rs"]
mod service;
#[path = "throughput/setup.rs"]
mod setup;

use std::time::Instant;

use gazette::{Client, ClientConfig};
use gazette_devbroker::{DevBroker, Options};

fn main() {
    // `cargo bench` passes `--bench`; any other argument is a filter on
    // section names (append, read, fragment, service).
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let wants = |s: &str| filters.is_empty() || filters.iter().any(|f| s.contains(f.as_str()));

    let started = Instant::now();
    let load_start = report::load_average();
    let store = tempfile::tempdir().expect("temp dir");
    // The broker gets its own runtime, as a separate process would have its
    // own threads: client tasks can't starve it of a scheduler slot.
    let broker_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("devbroker")
        .enable_all()
        .build()
        .expect("broker runtime");
    let dev = broker_rt
        .block_on(DevBroker::start(Options {
            store: Some(store.path().to_path_buf()),
            ..Default::default()
        }))
        .expect("start dev broker");
    let endpoint = dev.endpoint(0);

    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("client runtime");
    let prefix = format!("bench/{}", std::process::id());
    let (rows, notes) = client_rt.block_on(async {
        let client = Client::new(ClientConfig::new(endpoint.clone())).expect("client");
        let stub = setup::raw_client(&endpoint).await;
        let mut rows = Vec::new();
        let mut notes = Vec::new();
        if wants("append") {
            rows.extend(append::run(&client, &stub, &prefix).await);
        }
        if wants("read") {
            rows.extend(read::run(&client, &stub, &prefix).await);
        }
        if wants("fragment") {
            let flush = |journal: &str| dev.flush(journal);
            let (r, n) = fragments::run(&stub, &prefix, store.path(), &flush).await;
            rows.extend(r);
            notes = n;
        }
        if wants("service") {
            rows.extend(service::run(&client, &stub, &prefix).await);
        }
        (rows, notes)
    });
    drop(client_rt);
    broker_rt.block_on(dev.shutdown());
    drop(broker_rt);

    let load_end = report::load_average();
    let (console, md) = report::render(
        &rows,
        &notes,
        started.elapsed().as_secs_f64(),
        (&load_start, &load_end),
    );
    println!("{console}");
    if filters.is_empty() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/target/bench");
        std::fs::create_dir_all(dir).expect("target/bench");
        let path = format!("{dir}/throughput.md");
        std::fs::write(&path, md).expect("write throughput.md");
        println!("wrote {path}");
    } else {
        println!("(filtered run: target/bench/throughput.md not rewritten)");
    }
}
