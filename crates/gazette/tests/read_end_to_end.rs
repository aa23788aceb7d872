//! End to end, for every codec: several MiB appended across many fragment
//! rolls read back byte-identical through proxied reads, through direct
//! (`do_not_proxy`) fragment reads, and through a RetryReader while the dev
//! broker cuts its streams.

mod common;
mod read_support;

use gazette::protocol::{CompressionCodec, ReadRequest};
use gazette::reader::ReadStep;
use gazette::retry_reader::RetryReader;
use gazette::{Client, ClientConfig, Error};
use gazette_devbroker::{Fault, Rpc};
use read_support::Env;

const TOTAL: usize = 3 << 20;
const APPEND: usize = 96 << 10;
const FRAGMENT_LENGTH: i64 = 128 << 10;

/// Deterministic content: text lines mixed with pseudo-random bytes, so
/// every codec has something to compress and something it can't.
fn content() -> Vec<u8> {
    let mut out = Vec::with_capacity(TOTAL);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut line = 0u64;
    while out.len() < TOTAL {
        out.extend_from_slice(
            format!("{{\"line\":{line},\"msg\":\"hello gazette\"}}\n").as_bytes(),
        );
        for _ in 0..16 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            out.push(x as u8);
        }
        line += 1;
    }
    out.truncate(TOTAL);
    out
}

/// Reads from 0 until the non-blocking read reaches the write head.
async fn read_all(rr: &mut RetryReader, mut on_data: impl FnMut(usize)) -> Vec<u8> {
    let mut out = Vec::with_capacity(TOTAL);
    loop {
        match rr.next_chunk(usize::MAX).await {
            Ok(ReadStep::Data(chunk)) => {
                out.extend_from_slice(&chunk);
                on_data(out.len());
            }
            Ok(ReadStep::Frame) => {}
            Ok(ReadStep::Eof) => panic!("non-blocking reads end at the write head"),
            Err(Error::OffsetNotYetAvailable) => return out,
            Err(err) => panic!("at {}: {err}", out.len()),
        }
    }
}

fn request(journal: &str, do_not_proxy: bool) -> ReadRequest {
    ReadRequest {
        journal: journal.to_string(),
        do_not_proxy,
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_codec_reads_back_identically_every_way() {
    let env = Env::start_with(2).await;
    let Some(dev) = env.dev() else {
        return common::skip();
    };
    let data = content();
    for codec in [
        CompressionCodec::None,
        CompressionCodec::Gzip,
        CompressionCodec::Snappy,
        CompressionCodec::Zstandard,
    ] {
        let journal = env.create("e2e", codec, FRAGMENT_LENGTH).await;
        for chunk in data.chunks(APPEND) {
            env.append(&journal, chunk).await;
        }
        env.flush(&journal);

        // Which broker serves the journal, and which one only proxies?
        let route = gazette::get_journal(&env.client, &journal)
            .await
            .unwrap()
            .route
            .unwrap();
        assert_eq!(route.members.len(), 1);
        let member = (0..2)
            .find(|i| route.members[0] == dev.process_id(*i))
            .unwrap();
        let other = 1 - member;

        // 1. Proxied: the client only knows the non-member broker and keeps no
        //    routes, so every Read goes through it.
        let mut config = ClientConfig::new(dev.endpoint(other));
        config.route_cache_size = 0;
        let proxied = Client::new(config).unwrap();
        let before = (
            dev.counters().get(other, Rpc::Read),
            dev.counters().get(member, Rpc::Read),
        );
        let mut rr = RetryReader::new(&proxied, request(&journal, false));
        let got = read_all(&mut rr, |_| {}).await;
        assert!(got == data, "{codec:?}: proxied read differs");
        assert!(dev.counters().get(other, Rpc::Read) > before.0);
        assert!(
            dev.counters().get(member, Rpc::Read) > before.1,
            "relayed to the member"
        );

        // 2. Direct: do_not_proxy reads fetch every persisted fragment file.
        let direct =
            Client::new(ClientConfig::new(dev.endpoint(member)).with_file_root(env.store_root()))
                .unwrap();
        let mut rr = RetryReader::new(&direct, request(&journal, true));
        let mut fragments = 0;
        let mut last_begin = -1;
        let mut got = Vec::with_capacity(TOTAL);
        loop {
            match rr.next_chunk(usize::MAX).await {
                Ok(ReadStep::Data(chunk)) => got.extend_from_slice(&chunk),
                Ok(ReadStep::Frame) => {
                    let response = rr.reader().response();
                    if let Some(f) = &response.fragment {
                        if f.begin != last_begin && !response.fragment_url.is_empty() {
                            fragments += 1;
                            last_begin = f.begin;
                        }
                    }
                }
                Ok(ReadStep::Eof) => panic!("non-blocking"),
                Err(Error::OffsetNotYetAvailable) => break,
                Err(err) => panic!("{codec:?} at {}: {err}", got.len()),
            }
        }
        assert!(got == data, "{codec:?}: direct read differs");
        assert!(
            fragments >= TOTAL / (2 * APPEND),
            "{codec:?}: {fragments} fragments read directly"
        );

        // 3. Cut streams: the broker breaks a Read stream every ~300 KiB and
        //    fails a few RPCs outright; the RetryReader carries on.
        let faults = dev.faults();
        faults.cut_stream_after(Rpc::Read, 300_000);
        faults.fail_next(
            Rpc::Read,
            2,
            Fault::Grpc(tonic::Code::Unavailable, "flaky".into()),
        );
        let retries = env.client.stats().snapshot().retries;
        let mut next_cut = 300_000;
        let mut rr = RetryReader::new(&env.client, request(&journal, false));
        let got = read_all(&mut rr, |len| {
            if len >= next_cut {
                next_cut = len + 300_000;
                faults.cut_stream_after(Rpc::Read, 300_000);
            }
        })
        .await;
        faults.clear();
        assert!(got == data, "{codec:?}: read through cut streams differs");
        let retried = env.client.stats().snapshot().retries - retries;
        assert!(
            retried as usize >= TOTAL / 300_000,
            "{codec:?}: only {retried} retries"
        );
    }
}
