//! Timing: jobs run round-robin (warm-up rounds first, untimed), so a burst
//! of load from other builds on the shared machine hits every variant of a
//! comparison alike rather than skewing one of them.

use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

/// Untimed runs of each variant before measuring.
pub const WARMUP: usize = 1;
/// Timed runs of each variant.
pub const REPS: usize = 15;

/// What one run of a job did.
#[derive(Clone, Copy, Debug)]
pub struct Work {
    /// Payload bytes moved (journal content, decoded).
    pub bytes: u64,
    /// Operations completed (writes, appends, records, ...).
    pub ops: u64,
}

/// One timed run.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    pub secs: f64,
    pub work: Work,
}

impl Sample {
    pub fn mib_per_sec(&self) -> f64 {
        self.work.bytes as f64 / (1024.0 * 1024.0) / self.secs
    }
    pub fn ops_per_sec(&self) -> f64 {
        self.work.ops as f64 / self.secs
    }
}

/// A boxed, repeatable measurement.
pub type Job<'a> = Box<dyn FnMut() -> Pin<Box<dyn Future<Output = Work> + 'a>> + 'a>;

/// Boxes a closure returning a future as a [`Job`].
pub fn job<'a, F, Fut>(mut f: F) -> Job<'a>
where
    F: FnMut() -> Fut + 'a,
    Fut: Future<Output = Work> + 'a,
{
    Box::new(move || Box::pin(f()))
}

/// The measured figures of one variant.
pub struct Row {
    pub section: &'static str,
    pub name: String,
    /// Names of the rows (same section) this one is compared with.
    pub baselines: Vec<String>,
    /// Which rate the ratio compares (and the table leads with).
    pub unit: Unit,
    pub samples: Vec<Sample>,
}

/// The headline rate of a row.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Unit {
    MibPerSec,
    OpsPerSec(&'static str),
}

/// A variant to measure: its name, the baseline it is compared with, and
/// the job.
pub struct Variant<'a> {
    pub name: String,
    pub baselines: Vec<String>,
    pub unit: Unit,
    pub job: Job<'a>,
}

/// Runs every variant `warmup` times untimed, then `reps` timed rounds,
/// interleaved.
pub async fn measure(
    section: &'static str,
    mut variants: Vec<Variant<'_>>,
    warmup: usize,
    reps: usize,
) -> Vec<Row> {
    for _ in 0..warmup {
        for v in variants.iter_mut() {
            (v.job)().await;
        }
    }
    let mut samples: Vec<Vec<Sample>> = variants.iter().map(|_| Vec::new()).collect();
    for _ in 0..reps {
        for (v, out) in variants.iter_mut().zip(samples.iter_mut()) {
            let start = Instant::now();
            let work = (v.job)().await;
            out.push(Sample {
                secs: start.elapsed().as_secs_f64(),
                work,
            });
        }
    }
    let rows: Vec<Row> = variants
        .into_iter()
        .zip(samples)
        .map(|(v, samples)| Row {
            section,
            name: v.name,
            baselines: v.baselines,
            unit: v.unit,
            samples,
        })
        .collect();
    for row in &rows {
        eprintln!("  {}", crate::report::one_line(row, &rows));
    }
    rows
}

/// Median of `values` (which must not be empty).
pub fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// Median, min and max of a row's headline rate.
pub fn stats(row: &Row) -> (f64, f64, f64) {
    let mut v: Vec<f64> = row
        .samples
        .iter()
        .map(|s| match row.unit {
            Unit::MibPerSec => s.mib_per_sec(),
            Unit::OpsPerSec(_) => s.ops_per_sec(),
        })
        .collect();
    let med = median(&mut v);
    (med, v[0], v[v.len() - 1])
}

/// Median ops/s and MiB/s (secondary figures).
pub fn medians(row: &Row) -> (f64, f64) {
    let mut ops: Vec<f64> = row.samples.iter().map(Sample::ops_per_sec).collect();
    let mut mib: Vec<f64> = row.samples.iter().map(Sample::mib_per_sec).collect();
    (median(&mut ops), median(&mut mib))
}

/// A comparison of a row with one of its baselines.
pub struct Ratio<'r> {
    /// Headline median over the baseline's.
    pub median: f64,
    /// Best run over the baseline's best run: under outside load the best
    /// runs are the least disturbed ones.
    pub best: f64,
    pub baseline: &'r str,
}

/// This row compared with each of its baselines.
pub fn ratios<'r>(row: &Row, all: &'r [Row]) -> Vec<Ratio<'r>> {
    let (med, _, max) = stats(row);
    row.baselines
        .iter()
        .filter_map(|base| {
            all.iter()
                .find(|r| r.section == row.section && &r.name == base)
        })
        .map(|b| {
            let (b_med, _, b_max) = stats(b);
            Ratio {
                median: med / b_med,
                best: max / b_max,
                baseline: b.name.as_str(),
            }
        })
        .collect()
}
