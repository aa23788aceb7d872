//! The printed table and `target/bench/throughput.md`.

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::measure::{medians, ratios, stats, Row, Unit, REPS, WARMUP};

/// The exact command that produces the report.
pub const COMMAND: &str = "cargo bench --bench throughput";

fn headline(row: &Row) -> String {
    let (med, min, max) = stats(row);
    match row.unit {
        Unit::MibPerSec => format!("{med:.1} MiB/s ({min:.1}–{max:.1})"),
        Unit::OpsPerSec(what) => format!("{med:.0} {what} ({min:.0}–{max:.0})"),
    }
}

fn secondary(row: &Row) -> String {
    let (ops, mib) = medians(row);
    match row.unit {
        Unit::MibPerSec => format!("{ops:.0} ops/s"),
        Unit::OpsPerSec(_) => format!("{mib:.2} MiB/s"),
    }
}

fn ratio_text(row: &Row, all: &[Row]) -> String {
    ratios(row, all)
        .iter()
        .map(|r| format!("{:.2}× (best {:.2}×) {}", r.median, r.best, r.baseline))
        .collect::<Vec<_>>()
        .join("; ")
}

/// One line for the console as a row finishes.
pub fn one_line(row: &Row, all: &[Row]) -> String {
    let ratio = ratio_text(row, all);
    let ratio = if ratio.is_empty() {
        String::new()
    } else {
        format!("  [{ratio}]")
    };
    format!(
        "{:<58} {:>34}  {:>16}{ratio}",
        row.name,
        headline(row),
        secondary(row)
    )
}

/// `YYYY-MM-DD HH:MM UTC` of now (civil-from-days; no date crate needed).
fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3_600,
        rem % 3_600 / 60
    )
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string())
}

fn git_commit() -> String {
    std::process::Command::new("git")
        .args(["describe", "--always", "--dirty"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".to_string())
}

/// Section titles and what each measures.
const SECTIONS: &[(&str, &str)] = &[
    (
        "append",
        "Append throughput: our `Appender` (`write_bytes` per write, `close` per \
         transaction) vs the generated tonic stub (`JournalClient::append` with a \
         hand-built request stream) on its own connection. Streamed rows: runs of \
         8 MiB (100 B writes) or 16 MiB in 4 MiB transactions; one-record rows: \
         1 000 sequential appends per run. \"raw stub, N messages\" \
         sends one request message per write; \"copied into 64 KiB messages\" \
         gathers small writes by copying, as the Appender does. Ops are writes \
         (streamed rows) or appends (one-record rows).",
    ),
    (
        "read",
        "Read throughput of 128 MiB of broker-proxied content frames (≤ 32 736 \
         bytes each) from offset 0 to `end_offset`. Ops are chunks, reads or frames.",
    ),
    (
        "fragment",
        "Direct reads of fragment files the dev broker persisted to its \
         `file:///` store (32 MiB of content each): `open_fragment_url` + \
         `FragmentReader::next_chunk` (decoding on a blocking thread, chunks passed \
         over a channel) vs the same decoder crate reading the same file into a \
         64 KiB buffer on one blocking thread. MiB/s of decoded content.",
    ),
    (
        "append service",
        "`AppendService`: 100-byte records from 8 tasks into 16 journals \
         (`start_append` → `write_all` → `release`), each task waiting at the end \
         for its last append to every journal to commit.",
    ),
];

/// The 1-minute load average (from `/proc/loadavg`), if known.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".to_string())
}

/// How to read the figures: what holds whatever the run's numbers.
const NOTES: &str = "\
- The broker is `gazette-devbroker` (in-memory spools, SHA-1 of every \
  committed byte, no replication), not a Go broker: absolute figures describe \
  this stack on loopback, and the broker's share of the work (which both sides \
  of every append and read comparison pay alike) caps what the client can show.
- On this shared machine a ratio within about ±10% of 1.00 is inside the noise; \
  compare the median and best-run ratios, and rerun before drawing conclusions \
  from a single figure.
- Append rows with \"N messages\" baselines show what coalescing buys: the raw \
  stub sending one gRPC message per small write is the naive hand-written \
  client; \"copied into 64 KiB messages\" is the fair baseline for the \
  Appender's own cost, since it does the same copying.
- One-record rows are latency-bound (one round trip per append, sequential), \
  so they show per-RPC overhead rather than bandwidth.
- NONE fragments: the plain loop is a `read` from the page cache into one \
  buffer, so the ratio shows the fixed per-chunk cost of our blocking-thread + \
  channel hand-off at memory speed; behind a real decoder the same hand-off is \
  a smaller share of each chunk's cost.
- AppendService has no baseline row: batching many callers' records into few \
  Append RPCs is what it is for, so records/s mostly measures its batching.
";

/// The console table and the Markdown report; `load` is the load average
/// at the start and at the end.
pub fn render(
    rows: &[Row],
    notes: &[String],
    runtime_secs: f64,
    load: (&str, &str),
) -> (String, String) {
    let mut console = String::new();
    let mut md = String::new();
    let _ = writeln!(md, "# libgazette throughput\n");
    let _ = writeln!(
        md,
        "Generated by `benches/throughput.rs`; rerun to refresh (it overwrites this file).\n"
    );
    let _ = writeln!(md, "- Date: {}", utc_now());
    let _ = writeln!(
        md,
        "- Command: `{COMMAND}` (release profile, from the repository root)"
    );
    let _ = writeln!(md, "- Commit: `{}`", git_commit());
    let _ = writeln!(
        md,
        "- Machine: {} logical CPUs ({}), **shared with other engineers' builds and \
         tests while measuring**, so figures are noisy; the dev broker runs in the \
         same process on its own tokio runtime and competes for the same cores.",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model()
    );
    let _ = writeln!(
        md,
        "- Load average (1 min) at start / end of the run: {} / {} (on {} CPUs)",
        load.0,
        load.1,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );
    let _ = writeln!(
        md,
        "- Method: per variant {WARMUP} warm-up run(s), then {REPS} timed runs; the \
         variants of a comparison run interleaved (round-robin) so load bursts hit \
         them alike. Figures are the median with the min–max spread in parentheses; \
         ratios compare medians and, in parentheses, the best runs (under outside \
         load the least disturbed ones). Loopback gRPC (127.0.0.1), plaintext HTTP/2.",
    );
    let _ = writeln!(md, "- Total bench runtime: {runtime_secs:.0} s\n");

    for (section, what) in SECTIONS {
        let section_rows: Vec<&Row> = rows.iter().filter(|r| r.section == *section).collect();
        if section_rows.is_empty() {
            continue;
        }
        let _ = writeln!(md, "## {section}\n\n{what}\n");
        let _ = writeln!(
            md,
            "| Variant | Median (min–max) | Secondary (median) | Ratio: medians (best runs) vs baseline |"
        );
        let _ = writeln!(md, "|---|---|---|---|");
        let _ = writeln!(console, "\n== {section} ==");
        for row in section_rows {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} |",
                row.name,
                headline(row),
                secondary(row),
                ratio_text(row, rows)
            );
            let _ = writeln!(console, "{}", one_line(row, rows));
        }
        if *section == "fragment" && !notes.is_empty() {
            let _ = writeln!(md, "\nFiles: {}.", notes.join("; "));
        }
        let _ = writeln!(md);
    }
    let _ = writeln!(md, "## Reading these figures\n\n{NOTES}");
    (console, md)
}
