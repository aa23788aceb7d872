//! The binary's control protocol: one command per line on standard input,
//! each answered with one line on standard output, `ok` (possibly followed
//! by a value) or `error: <reason>`. See the crate docs for the command list.

use std::time::Duration;

use gazette_protocol::Status;

use crate::{DevBroker, Fault, Rpc};

/// The command summary printed by `--help` and documented in the crate docs.
pub const COMMANDS: &str = "\
Control commands (one per line on stdin; each answered by one line on stdout,
`ok [value]` or `error: <reason>`; RPC names: list, apply, read, append,
list_fragments, fragment_store_health):
  fail_next <rpc> <n> grpc <code> [message...]
                      the next n RPCs fail with a gRPC error; <code> is a name
                      (unavailable, internal, unknown, ...) or a number
  fail_next <rpc> <n> status <STATUS>
                      the next n RPCs answer in-band with a Gazette status,
                      e.g. NOT_JOURNAL_BROKER
  cut_stream_after <rpc> <bytes>
                      the next read ends abruptly after <bytes> content bytes;
                      the next append fails after receiving <bytes> bytes
  delay <rpc> <millis> every later RPC waits first (0 removes the delay)
  clear_faults        removes every pending fault and delay
  stop_broker <i>     stops broker i (its journals move to the others)
  restart_broker <i>  restarts broker i on its old port
  move_primary <journal> <i>
                      makes broker i the journal's primary
  flush <journal>     rolls (and persists) the journal's open fragment
  flush_all           flushes every journal
  count <i> <rpc>     answers `ok <n>`: RPCs of that kind broker i received
";

fn parse_code(s: &str) -> Result<tonic::Code, String> {
    if let Ok(n) = s.parse::<i32>() {
        return Ok(tonic::Code::from_i32(n));
    }
    let norm: String = s
        .to_ascii_lowercase()
        .chars()
        .filter(|c| *c != '_')
        .collect();
    (0..=16)
        .map(tonic::Code::from_i32)
        .find(|c| format!("{c:?}").to_ascii_lowercase() == norm)
        .ok_or_else(|| format!("unknown gRPC code {s:?}"))
}

fn rpc(s: Option<&str>) -> Result<Rpc, String> {
    let s = s.ok_or("missing RPC name")?;
    Rpc::parse(s).ok_or_else(|| format!("unknown RPC {s:?}"))
}

fn number<T: std::str::FromStr>(s: Option<&str>, what: &str) -> Result<T, String> {
    let s = s.ok_or_else(|| format!("missing {what}"))?;
    s.parse().map_err(|_| format!("invalid {what} {s:?}"))
}

/// Runs one command line against `broker`; returns the reply line.
pub async fn execute(broker: &DevBroker, line: &str) -> String {
    match run(broker, line).await {
        Ok(None) => "ok".to_string(),
        Ok(Some(v)) => format!("ok {v}"),
        Err(e) => format!("error: {e}"),
    }
}

async fn run(b: &DevBroker, line: &str) -> Result<Option<String>, String> {
    let mut words = line.split_whitespace();
    let cmd = words.next().ok_or("empty command")?;
    let broker_index = |s: Option<&str>| -> Result<usize, String> {
        let i: usize = number(s, "broker index")?;
        if i >= b.endpoints().len() {
            return Err(format!("no broker {i}"));
        }
        Ok(i)
    };
    match cmd {
        "fail_next" => {
            let rpc = rpc(words.next())?;
            let n: usize = number(words.next(), "count")?;
            let fault = match words.next() {
                Some("grpc") => {
                    let code = parse_code(words.next().ok_or("missing gRPC code")?)?;
                    let msg: Vec<&str> = words.collect();
                    let msg = if msg.is_empty() {
                        "injected fault".to_string()
                    } else {
                        msg.join(" ")
                    };
                    Fault::Grpc(code, msg)
                }
                Some("status") => {
                    let s = words.next().ok_or("missing status name")?;
                    Fault::Status(
                        Status::from_str_name(s).ok_or_else(|| format!("unknown status {s:?}"))?,
                    )
                }
                _ => return Err("expected `grpc <code> [message]` or `status <STATUS>`".into()),
            };
            b.faults().fail_next(rpc, n, fault);
        }
        "cut_stream_after" => {
            let rpc = rpc(words.next())?;
            b.faults()
                .cut_stream_after(rpc, number(words.next(), "byte count")?);
        }
        "delay" => {
            let rpc = rpc(words.next())?;
            let ms: u64 = number(words.next(), "milliseconds")?;
            b.faults().delay(rpc, Duration::from_millis(ms));
        }
        "clear_faults" => b.faults().clear(),
        "stop_broker" => {
            let i = broker_index(words.next())?;
            if !b.stop_broker(i).await {
                return Err(format!("broker {i} is not running"));
            }
        }
        "restart_broker" => {
            let i = broker_index(words.next())?;
            match b.restart_broker(i).await {
                Ok(true) => {}
                Ok(false) => return Err(format!("broker {i} is running")),
                Err(e) => return Err(format!("restarting broker {i}: {e}")),
            }
        }
        "move_primary" => {
            let journal = words.next().ok_or("missing journal")?;
            let i = broker_index(words.next())?;
            if !b.move_primary(journal, i) {
                return Err(format!("no journal {journal}"));
            }
        }
        "flush" => {
            let journal = words.next().ok_or("missing journal")?;
            if !b.flush(journal) {
                return Err(format!("no journal {journal}"));
            }
        }
        "flush_all" => b.flush_all(),
        "count" => {
            let i = broker_index(words.next())?;
            let rpc = rpc(words.next())?;
            return Ok(Some(b.counters().get(i, rpc).to_string()));
        }
        other => return Err(format!("unknown command {other:?}")),
    }
    Ok(None)
}
