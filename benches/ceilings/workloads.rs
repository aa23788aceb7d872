//! The C harness's workloads through the Rust API, a raw tonic stub and the
//! decoder crates, each printed under the C figure's name with a `rust_`,
//! `raw_` or `decoder_` prefix in place of `c_`.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use bytes::Bytes;
use gazette::protocol::fragment::parse_fragment_from_relative_path;
use gazette::protocol::journal_client::JournalClient;
use gazette::protocol::{
    apply_request, journal_spec, AppendRequest, ApplyRequest, CompressionCodec, JournalSpec,
    LabelSet, ReadRequest, Status,
};
use gazette::{
    append, AppendFuture, AppendService, Appender, Client, ClientConfig, OpFutures, ReadStep,
    Reader,
};
use tokio::runtime::Runtime;
use tonic::transport::Channel;

use crate::figures::Figures;
use crate::Args;

const RECORD: usize = 100;
const MIB: f64 = (1 << 20) as f64;
const GIB: f64 = (1 << 30) as f64;

fn thread_cpu() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid out-pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
}

fn process_cpu() -> f64 {
    // SAFETY: a valid out-pointer.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    t(ru.ru_utime) + t(ru.ru_stime)
}

pub fn run_all(args: &Args, out: &mut Figures) {
    let rt = Runtime::new().expect("runtime");
    let client = {
        let _enter = rt.enter();
        Client::new(ClientConfig::new(args.broker.clone())).expect("client")
    };
    let stub = rt.block_on(async {
        JournalClient::connect(args.broker.clone())
            .await
            .expect("connect raw stub")
            .max_decoding_message_size(64 << 20)
    });
    let p = &args.prefix;
    service(&rt, &client, &stub, out, p, args.records, 1, 1, "svc_1x1");
    service(&rt, &client, &stub, out, p, args.records, 8, 16, "svc_8x16");
    rt.block_on(large(&client, &stub, out, p, args.large_mib));
    rt.block_on(latency(&client, &stub, out, p, args.latency));
    rt.block_on(read(&client, &stub, out, p));
    decoders(Path::new(&args.store), out, p);
}

async fn create(stub: &JournalClient<Channel>, name: &str) {
    let spec = JournalSpec {
        name: name.to_string(),
        replication: 1,
        labels: Some(LabelSet::default()),
        fragment: Some(journal_spec::Fragment {
            length: 1 << 30,
            compression_codec: CompressionCodec::None as i32,
            stores: vec!["file:///".into()],
            refresh_interval: Some(prost_types::Duration {
                seconds: 3600,
                nanos: 0,
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    let resp = stub
        .clone()
        .apply(ApplyRequest {
            changes: vec![apply_request::Change {
                expect_mod_revision: 0,
                upsert: Some(spec),
                delete: String::new(),
            }],
        })
        .await
        .expect("apply")
        .into_inner();
    assert_eq!(resp.status, Status::Ok as i32, "creating {name}");
}

/// `records` 100 B records from `threads` plain threads into `journals`
/// journals, as the C `service` phases do, through the fastest Rust calls
/// (`try_start_append_to`, else `start_append_blocking`).
#[allow(clippy::too_many_arguments)]
fn service(
    rt: &Runtime,
    client: &Client,
    stub: &JournalClient<Channel>,
    out: &mut Figures,
    prefix: &str,
    records: usize,
    threads: usize,
    journals: usize,
    name: &str,
) {
    let names: Vec<String> = (0..journals)
        .map(|j| format!("{prefix}/rust-{name}-{j:02}"))
        .collect();
    for n in &names {
        rt.block_on(create(stub, n));
        rt.block_on(gazette::await_assignment(
            client,
            n,
            Duration::from_secs(10),
        ))
        .expect("assignment");
    }
    let svc = {
        let _enter = rt.enter();
        AppendService::new(client.clone())
    };
    let rpcs0 = client.stats().snapshot().append_rpcs;
    let (t0, cpu0) = (Instant::now(), process_cpu());
    let per_thread = records / threads;
    let enqueue: f64 = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (svc, names) = (&svc, &names);
                s.spawn(move || {
                    let record = [b'x'; RECORD];
                    let none = OpFutures::new();
                    let mut last: HashMap<usize, AppendFuture> = HashMap::new();
                    let c0 = thread_cpu();
                    for i in 0..per_thread {
                        let j = (i + t * 3) % names.len();
                        let mut aa = match svc.try_start_append_to(&names[j], None, &none) {
                            Some(aa) => aa,
                            None => svc.start_append_blocking(
                                AppendRequest {
                                    journal: names[j].clone(),
                                    ..Default::default()
                                },
                                OpFutures::new(),
                            ),
                        };
                        aa.write_all(&record).expect("write");
                        last.insert(j, aa.release().expect("release"));
                    }
                    let cpu = thread_cpu() - c0;
                    for f in last.values() {
                        f.wait_blocking().expect("committed");
                    }
                    cpu
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    let wall = t0.elapsed().as_secs_f64();
    let cpu = process_cpu() - cpu0;
    let n = (per_thread * threads) as f64;
    let rpcs = client.stats().snapshot().append_rpcs - rpcs0;
    out.add(&format!("rust_{name}_records_per_s"), n / wall, "records/s");
    out.add(
        &format!("rust_{name}_enqueue_cpu"),
        enqueue / n * 1e6,
        "us/record",
    );
    out.add(
        &format!("rust_{name}_process_cpu"),
        cpu / n * 1e6,
        "us/record",
    );
    out.add(
        &format!("rust_{name}_rpcs_per_100k"),
        rpcs as f64 * 100_000.0 / n,
        "rpcs",
    );
    svc.close_blocking(Duration::from_secs(30)).expect("close");
}

/// `mib` MiB in 1 MiB writes, 4 MiB transactions: the Appender, then the
/// raw stub with one message per MiB.
async fn large(
    client: &Client,
    stub: &JournalClient<Channel>,
    out: &mut Figures,
    prefix: &str,
    mib: usize,
) {
    let chunk = Bytes::from(vec![b'y'; 1 << 20]);
    let journal = format!("{prefix}/rust-large");
    create(stub, &journal).await;
    gazette::await_assignment(client, &journal, Duration::from_secs(10))
        .await
        .expect("assignment");
    let txns = mib.div_ceil(4);
    let (t0, cpu0) = (Instant::now(), process_cpu());
    for _ in 0..txns {
        let request = AppendRequest {
            journal: journal.clone(),
            ..Default::default()
        };
        let mut ap = Appender::new(client, request);
        for _ in 0..4 {
            ap.write_bytes(chunk.clone()).await.expect("write");
        }
        ap.close().await.expect("commit");
    }
    let bytes = (txns * 4) as f64 * MIB;
    let (wall, cpu) = (t0.elapsed().as_secs_f64(), process_cpu() - cpu0);
    out.add("rust_large_append", bytes / wall / MIB, "MiB/s");
    out.add("rust_large_append_cpu", cpu / (bytes / GIB), "cpu-s/GiB");

    let (t0, cpu0) = (Instant::now(), process_cpu());
    for _ in 0..txns {
        raw_append(stub, &journal, vec![chunk.clone(); 4]).await;
    }
    let (wall, cpu) = (t0.elapsed().as_secs_f64(), process_cpu() - cpu0);
    out.add("raw_large_append", bytes / wall / MIB, "MiB/s");
    out.add("raw_large_append_cpu", cpu / (bytes / GIB), "cpu-s/GiB");
}

/// One Append RPC of `chunks` (a message each) through the stub.
async fn raw_append(stub: &JournalClient<Channel>, journal: &str, chunks: Vec<Bytes>) {
    let first = AppendRequest {
        journal: journal.to_string(),
        ..Default::default()
    };
    let messages = std::iter::once(first)
        .chain(chunks.into_iter().map(|content| AppendRequest {
            content,
            ..Default::default()
        }))
        .chain(std::iter::once(AppendRequest::default())); // commits
    let resp = stub
        .clone()
        .append(tokio_stream::iter(messages))
        .await
        .expect("raw append")
        .into_inner();
    assert_eq!(resp.status, Status::Ok as i32, "raw append");
}

fn percentiles(out: &mut Figures, name: &str, mut lat: Vec<f64>) {
    lat.sort_by(f64::total_cmp);
    let n = lat.len();
    out.add(&format!("{name}_p50"), lat[n / 2], "us");
    out.add(&format!("{name}_p99"), lat[n * 99 / 100], "us");
    out.add(&format!("{name}_p999"), lat[n * 999 / 1000], "us");
}

/// `n` blocking appends of one 100 B record: `client::append`, then the
/// raw stub.
async fn latency(
    client: &Client,
    stub: &JournalClient<Channel>,
    out: &mut Figures,
    prefix: &str,
    n: usize,
) {
    let journal = format!("{prefix}/rust-latency");
    create(stub, &journal).await;
    gazette::await_assignment(client, &journal, Duration::from_secs(10))
        .await
        .expect("assignment");
    let record = Bytes::from(vec![b'z'; RECORD]);
    let mut lat = Vec::with_capacity(n);
    for _ in 0..n {
        let t0 = Instant::now();
        let request = AppendRequest {
            journal: journal.clone(),
            ..Default::default()
        };
        append(client, request, &[&record]).await.expect("append");
        lat.push(t0.elapsed().as_secs_f64() * 1e6);
    }
    percentiles(out, "rust_append_latency", lat);
    let mut lat = Vec::with_capacity(n);
    for _ in 0..n {
        let t0 = Instant::now();
        raw_append(stub, &journal, vec![record.clone()]).await;
        lat.push(t0.elapsed().as_secs_f64() * 1e6);
    }
    percentiles(out, "raw_append_latency", lat);
}

/// Reads back what the C `large` phase wrote: `Reader::next_chunk`, then
/// the raw stub's Read stream.
async fn read(client: &Client, stub: &JournalClient<Channel>, out: &mut Figures, prefix: &str) {
    let journal = format!("{prefix}/large-00");
    let request = |end| ReadRequest {
        journal: journal.clone(),
        offset: 0,
        end_offset: end,
        block: true,
        ..Default::default()
    };
    let head = {
        let mut meta = Reader::new(
            client,
            ReadRequest {
                metadata_only: true,
                block: false,
                ..request(0)
            },
        );
        while let ReadStep::Frame | ReadStep::Data(_) =
            meta.read(&mut [0u8; 1]).await.expect("meta")
        {
            if meta.response().write_head > 0 {
                break;
            }
        }
        meta.response().write_head
    };
    assert!(head > 0, "the C large phase wrote {journal}");
    let (t0, cpu0) = (Instant::now(), process_cpu());
    let mut reader = Reader::new(client, request(head));
    let mut got = 0u64;
    loop {
        match reader.next_chunk(1 << 20).await.expect("read") {
            ReadStep::Data(d) => got += d.len() as u64,
            ReadStep::Frame => {}
            ReadStep::Eof => break,
        }
    }
    assert_eq!(got, head as u64, "read everything");
    let (wall, cpu) = (t0.elapsed().as_secs_f64(), process_cpu() - cpu0);
    out.add("rust_read_next", got as f64 / wall / MIB, "MiB/s");
    out.add("rust_read_next_cpu", cpu / (got as f64 / GIB), "cpu-s/GiB");

    let (t0, cpu0) = (Instant::now(), process_cpu());
    let mut stream = stub
        .clone()
        .read(request(head))
        .await
        .expect("raw read")
        .into_inner();
    let mut got = 0u64;
    while let Some(frame) = stream.message().await.expect("raw frame") {
        got += frame.content.len() as u64;
    }
    let (wall, cpu) = (t0.elapsed().as_secs_f64(), process_cpu() - cpu0);
    out.add("raw_read", got as f64 / wall / MIB, "MiB/s");
    out.add("raw_read_cpu", cpu / (got as f64 / GIB), "cpu-s/GiB");
}

/// Decodes each `frag` journal's persisted fragment files with the codec
/// crates alone, on this thread into a 1 MiB buffer.
fn decoders(store: &Path, out: &mut Figures, prefix: &str) {
    for (codec, n) in [
        (CompressionCodec::None, "none"),
        (CompressionCodec::Gzip, "gzip"),
        (CompressionCodec::Zstandard, "zstandard"),
        (CompressionCodec::Snappy, "snappy"),
    ] {
        let journal = format!("{prefix}/frag-{:02}", codec as i32);
        let dir = store.join(&journal);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            eprintln!("ceilings: no fragments of {journal} (the C fragments phase did not run)");
            continue;
        };
        let (t0, cpu0) = (Instant::now(), process_cpu());
        let mut got = 0u64;
        for entry in entries {
            let name = entry
                .expect("entry")
                .file_name()
                .into_string()
                .expect("utf-8");
            parse_fragment_from_relative_path(&journal, &name).expect("a fragment file");
            let file = std::fs::File::open(dir.join(&name)).expect("open");
            let mut src: Box<dyn Read> = match codec {
                CompressionCodec::Gzip => Box::new(flate2::read::MultiGzDecoder::new(file)),
                CompressionCodec::Snappy => Box::new(snap::read::FrameDecoder::new(file)),
                CompressionCodec::Zstandard => {
                    Box::new(zstd::stream::read::Decoder::new(file).expect("zstd"))
                }
                _ => Box::new(file),
            };
            let mut buf = vec![0u8; 1 << 20];
            loop {
                let k = src.read(&mut buf).expect("decode");
                if k == 0 {
                    break;
                }
                std::hint::black_box(&buf[..k]);
                got += k as u64;
            }
        }
        let (wall, cpu) = (t0.elapsed().as_secs_f64(), process_cpu() - cpu0);
        out.add(&format!("decoder_{n}"), got as f64 / wall / MIB, "MiB/s");
        out.add(
            &format!("decoder_{n}_cpu"),
            cpu / (got as f64 / GIB),
            "cpu-s/GiB",
        );
        std::io::stdout().flush().ok();
    }
}
