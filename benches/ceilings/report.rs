//! benches/REPORT.md: each C figure beside its ceilings (the Rust API on
//! the same workload, the raw tonic stub, the decoder crates alone), the
//! issue's targets checked, then the hand-written analysis of
//! benches/ANALYSIS.md.

use std::fmt::Write;

use crate::figures::Figures;
use crate::Args;

/// Which way is better for a figure.
#[derive(Clone, Copy)]
enum Better {
    Higher,
    Lower,
}

/// One table row: a label, the C figure and its ceilings (by name).
struct Row {
    label: String,
    c: String,
    rust: Option<String>,
    floor: Option<String>,
    better: Better,
}

fn row(label: &str, c: &str, rust: Option<&str>, floor: Option<&str>, better: Better) -> Row {
    Row {
        label: label.to_string(),
        c: c.to_string(),
        rust: rust.map(str::to_string),
        floor: floor.map(str::to_string),
        better,
    }
}

fn rows() -> Vec<(&'static str, Vec<Row>)> {
    use Better::*;
    let mut service = Vec::new();
    for (shape, name) in [
        ("1 thread x 1 journal", "svc_1x1"),
        ("8 threads x 16 journals", "svc_8x16"),
    ] {
        for (what, fig, better) in [
            ("records/s", "records_per_s", Higher),
            (
                "enqueue CPU per record (producer threads)",
                "enqueue_cpu",
                Lower,
            ),
            ("whole-process CPU per record", "process_cpu", Lower),
            ("Append RPCs per 100 k records", "rpcs_per_100k", Lower),
        ] {
            service.push(row(
                &format!("{shape}: {what}"),
                &format!("c_{name}_{fig}"),
                Some(&format!("rust_{name}_{fig}")),
                None,
                better,
            ));
        }
    }
    service.push(row(
        "1 x 1, main run: peak RSS",
        "c_svc_1x1_peak_rss",
        None,
        None,
        Lower,
    ));
    service.push(row(
        "1 x 1, a tenth of the records: peak RSS (flat in volume?)",
        "c_svc_1x1_small_peak_rss",
        None,
        None,
        Lower,
    ));
    service.push(row(
        "8 x 16: peak RSS",
        "c_svc_8x16_peak_rss",
        None,
        None,
        Lower,
    ));

    let large = vec![
        row(
            "large appends (1 MiB writes, 4 MiB transactions), MiB/s",
            "c_large_append",
            Some("rust_large_append"),
            Some("raw_large_append"),
            Higher,
        ),
        row(
            "CPU seconds per GiB appended",
            "c_large_append_cpu",
            Some("rust_large_append_cpu"),
            Some("raw_large_append_cpu"),
            Lower,
        ),
        row(
            "peak RSS of the large phase, MiB",
            "c_large_peak_rss",
            None,
            None,
            Lower,
        ),
    ];
    let mut latency = Vec::new();
    for p in ["p50", "p99", "p999"] {
        latency.push(row(
            &format!("blocking append of 100 B, {p} (us)"),
            &format!("c_append_latency_{p}"),
            Some(&format!("rust_append_latency_{p}")),
            Some(&format!("raw_append_latency_{p}")),
            Lower,
        ));
    }
    let read = vec![
        row(
            "proxied read, gazette_reader_next (zero copy), MiB/s",
            "c_read_next",
            Some("rust_read_next"),
            Some("raw_read"),
            Higher,
        ),
        row(
            "proxied read, gazette_reader_read into 1 MiB, MiB/s",
            "c_read_1mib_buffer",
            Some("rust_read_next"),
            Some("raw_read"),
            Higher,
        ),
        row(
            "proxied read, gazette_retry_reader_next, MiB/s",
            "c_read_retry_next",
            Some("rust_read_next"),
            Some("raw_read"),
            Higher,
        ),
        row(
            "CPU seconds per GiB read (reader_next)",
            "c_read_next_cpu",
            Some("rust_read_next_cpu"),
            Some("raw_read_cpu"),
            Lower,
        ),
        row(
            "peak RSS of the read phase, MiB",
            "c_read_peak_rss",
            None,
            None,
            Lower,
        ),
    ];
    let mut fragments = Vec::new();
    for codec in ["none", "gzip", "zstandard", "snappy"] {
        fragments.push(row(
            &format!("direct fragment read, {codec}, MiB/s"),
            &format!("c_fragment_{codec}"),
            None,
            Some(&format!("decoder_{codec}")),
            Higher,
        ));
        fragments.push(row(
            &format!("direct fragment read, {codec}, CPU s/GiB"),
            &format!("c_fragment_{codec}_cpu"),
            None,
            Some(&format!("decoder_{codec}_cpu")),
            Lower,
        ));
    }
    let ffi = vec![
        row(
            "gazette_append_future_status (crossing the boundary), ns",
            "c_ffi_future_status",
            None,
            None,
            Lower,
        ),
        row(
            "gazette_appender_write of 100 B (buffered), ns",
            "c_ffi_appender_write_100b",
            None,
            None,
            Lower,
        ),
        row(
            "gazette_reader_next of content already received, ns",
            "c_ffi_reader_next_ready",
            None,
            None,
            Lower,
        ),
    ];
    vec![
        (
            "AppendService, 100 B records (C: start, write, release per record)",
            service,
        ),
        ("Large appends (gazette_appender)", large),
        ("Blocking append latency (gazette_append)", latency),
        ("Proxied reads of the large phase's journal", read),
        (
            "Direct fragment reads per codec (file:/// store)",
            fragments,
        ),
        ("The cost of one FFI call on the hot paths", ffi),
    ]
}

fn fmt(v: Option<(f64, &str)>) -> String {
    match v {
        None => "n/a".into(),
        Some((v, unit)) if v >= 100.0 => format!("{v:.0} {unit}"),
        Some((v, unit)) if v >= 1.0 => format!("{v:.2} {unit}"),
        Some((v, unit)) => format!("{v:.3} {unit}"),
    }
}

/// C relative to the best ceiling, as "how many times as good" (>1: C is
/// better; <1: it falls short).
fn ratio(c: Option<f64>, ceiling: Option<f64>, better: Better) -> String {
    match (c, ceiling) {
        (Some(c), Some(x)) if c > 0.0 && x > 0.0 => match better {
            Better::Higher => format!("{:.2}x", c / x),
            Better::Lower => format!("{:.2}x", x / c),
        },
        _ => String::new(),
    }
}

/// The targets for the C AppendService run: (what, met?).
fn targets(c: &Figures, ours: &Figures) -> Vec<(String, Option<bool>)> {
    let v = |f: &Figures, n: &str| f.get(n).map(|(v, _)| v);
    let check = |what: String, value: Option<f64>, ok: &dyn Fn(f64) -> bool| {
        (
            format!(
                "{what}: {}",
                value.map_or("n/a".into(), |v| format!("{v:.4}"))
            ),
            value.map(ok),
        )
    };
    vec![
        check(
            "1 x 1 records/s >= 2,000,000".into(),
            v(c, "c_svc_1x1_records_per_s"),
            &|x| x >= 2e6,
        ),
        check(
            "1 x 1 enqueue CPU <= 0.3 us/record".into(),
            v(c, "c_svc_1x1_enqueue_cpu"),
            &|x| x <= 0.3,
        ),
        check(
            "1 x 1 Append RPCs per 100 k <= 10".into(),
            v(c, "c_svc_1x1_rpcs_per_100k"),
            &|x| x <= 10.0,
        ),
        check(
            "1 x 1 whole-process CPU <= 0.3 us/record".into(),
            v(c, "c_svc_1x1_process_cpu"),
            &|x| x <= 0.3,
        ),
        check(
            "1 x 1 records/s through C >= 0.9 x the Rust API".into(),
            v(c, "c_svc_1x1_records_per_s")
                .zip(v(ours, "rust_svc_1x1_records_per_s"))
                .map(|(a, b)| a / b),
            &|x| x >= 0.9,
        ),
    ]
}

fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load = load
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ");
    format!("{cpus} logical CPUs ({model}); load average at the end: {load}")
}

pub fn render(c: &Figures, ours: &Figures, args: &Args) -> String {
    let mut md = String::new();
    let env = |k: &str| std::env::var(k).unwrap_or_else(|_| "?".into());
    let _ = writeln!(md, "# libgazette benchmarks: what C callers get\n");
    let _ = writeln!(
        md,
        "Written by `scripts/bench` (its last step, `benches/ceilings.rs`); rerun it to refresh \
         this file. Everything runs against one release-built dev broker process on loopback \
         (plaintext HTTP/2) with a `file:///` store in a temporary directory; the library, the \
         C harness (`benches/c/bench.c`, one process per phase) and the ceilings are release \
         builds.\n"
    );
    let _ = writeln!(
        md,
        "- Date: {} UTC; commit {}",
        env("BENCH_DATE"),
        env("BENCH_COMMIT")
    );
    let _ = writeln!(md, "- Machine: {}", machine());
    let _ = writeln!(
        md,
        "- Workload sizes: {} AppendService records per run, {} MiB of large appends, {} \
         blocking appends; 32 MiB per fragment codec",
        args.records, args.large_mib, args.latency
    );
    let _ = writeln!(
        md,
        "- Ceilings: **Rust API** = the same workload through the Rust API (crate `gazette`) in one process \
         (`rust_*`); **raw / decoder** = a bare generated tonic stub (`raw_*`) or the codec \
         crate reading the persisted file (`decoder_*`). The last column is the C figure \
         against the best ceiling shown, as \"times as good\" (1.00x = equal; below 1 = C falls \
         short; above 1 = C is ahead).\n"
    );
    let _ = writeln!(md, "## Targets (issue 10)\n");
    for (what, met) in targets(c, ours) {
        let mark = match met {
            Some(true) => "met",
            Some(false) => "**missed**",
            None => "not measured",
        };
        let _ = writeln!(md, "- {what}: {mark}");
    }
    let _ = writeln!(md);
    for (title, rows) in rows() {
        let _ = writeln!(md, "## {title}\n");
        let _ = writeln!(
            md,
            "| Figure | C ABI | Rust API | raw / decoder | C vs best ceiling |"
        );
        let _ = writeln!(md, "|---|---|---|---|---|");
        for r in rows {
            let cv = c.get(&r.c);
            let rv = r.rust.as_deref().and_then(|n| ours.get(n));
            let fv = r.floor.as_deref().and_then(|n| ours.get(n));
            let best = match r.better {
                Better::Higher => rv
                    .map(|x| x.0)
                    .into_iter()
                    .chain(fv.map(|x| x.0))
                    .reduce(f64::max),
                Better::Lower => rv
                    .map(|x| x.0)
                    .into_iter()
                    .chain(fv.map(|x| x.0))
                    .reduce(f64::min),
            };
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} |",
                r.label,
                fmt(cv),
                if r.rust.is_some() {
                    fmt(rv)
                } else {
                    String::new()
                },
                if r.floor.is_some() {
                    fmt(fv)
                } else {
                    String::new()
                },
                ratio(cv.map(|x| x.0), best, r.better)
            );
        }
        let _ = writeln!(md);
    }
    let analysis = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/ANALYSIS.md");
    if let Ok(text) = std::fs::read_to_string(analysis) {
        md.push_str(&text);
    }
    md
}
