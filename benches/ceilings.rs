//! The ceilings of `scripts/bench`: the workloads of the C harness
//! (`benches/c/bench.c`) run through the Rust API, through a raw tonic stub
//! and through the decoder crates alone, against the same dev broker, so
//! each C figure can be reported beside what the layers below it reach.
//! Prints `BENCH <name> <value> <unit>` lines; with `--c-figures` and
//! `--report`, also writes the report pairing both.
//!
//! Usage (scripts/bench runs it): `ceilings --broker URL --store DIR
//! --prefix P [--records N] [--large-mib N] [--latency N]
//! [--c-figures FILE --report FILE]`. The C run must have written the
//! `large` and `frag` journals of the same prefix first.

#[path = "ceilings/figures.rs"]
mod figures;
#[path = "ceilings/report.rs"]
mod report;
#[path = "ceilings/workloads.rs"]
mod workloads;

use figures::Figures;

struct Args {
    broker: String,
    store: String,
    prefix: String,
    records: usize,
    large_mib: usize,
    latency: usize,
    c_figures: Option<String>,
    report: Option<String>,
}

fn parse_args() -> Args {
    let mut args = Args {
        broker: String::new(),
        store: String::new(),
        prefix: String::new(),
        records: 1_000_000,
        large_mib: 256,
        latency: 5_000,
        c_figures: None,
        report: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--bench" {
            continue; // passed by `cargo bench`
        }
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--broker" => args.broker = value,
            "--store" => args.store = value,
            "--prefix" => args.prefix = value,
            "--records" => args.records = value.parse().expect("--records"),
            "--large-mib" => args.large_mib = value.parse().expect("--large-mib"),
            "--latency" => args.latency = value.parse().expect("--latency"),
            "--c-figures" => args.c_figures = Some(value),
            "--report" => args.report = Some(value),
            other => panic!("unknown argument {other}"),
        }
    }
    assert!(
        !args.broker.is_empty() && !args.store.is_empty() && !args.prefix.is_empty(),
        "usage: ceilings --broker URL --store DIR --prefix P [...] (see scripts/bench)"
    );
    args
}

fn main() {
    let args = parse_args();
    let mut ours = Figures::default();
    workloads::run_all(&args, &mut ours);
    if let (Some(c), Some(path)) = (&args.c_figures, &args.report) {
        let text = std::fs::read_to_string(c).expect("read the C figures");
        let c_figures = Figures::parse(&text);
        let md = report::render(&c_figures, &ours, &args);
        std::fs::write(path, md).expect("write the report");
        eprintln!("wrote {path}");
    }
}
