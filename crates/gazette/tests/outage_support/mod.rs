//! Helpers for the AppendService outage test: the dev broker run as a child
//! process (so this process's memory is the client's alone), memory and
//! spill-file probes, and size settings from the environment.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

/// A `gazette-devbroker` child process, driven through its stdin control
/// commands. Killed (and reaped) on drop, also when a test panics.
pub struct BrokerProcess {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    endpoint: String,
}

impl BrokerProcess {
    /// Builds the binary (a no-op when it is up to date), starts one broker
    /// on a free loopback port and waits for its ready line.
    pub fn start() -> BrokerProcess {
        let exe = build_devbroker();
        let mut child = Command::new(&exe)
            .args(["--listen", "127.0.0.1:0", "--brokers", "1"])
            // Batches resent after the outage stream as fast as the client
            // can read its spill files; no rate floor should cut them.
            .args(["--min-append-rate", "0"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("spawning {}: {e}", exe.display()));
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut broker = BrokerProcess {
            child,
            stdin,
            stdout,
            endpoint: String::new(),
        };
        let ready = broker.read_line();
        broker.endpoint =
            first_endpoint(&ready).unwrap_or_else(|| panic!("no endpoint in ready line {ready:?}"));
        broker
    }

    /// The broker's endpoint (`http://127.0.0.1:PORT`).
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Sends one control command and returns its reply, panicking unless it
    /// is `ok`.
    pub fn control(&mut self, command: &str) -> String {
        writeln!(self.stdin, "{command}").expect("write control command");
        self.stdin.flush().expect("flush control command");
        let reply = self.read_line();
        assert!(
            reply == "ok" || reply.starts_with("ok "),
            "control {command:?} answered {reply:?}"
        );
        reply
    }

    fn read_line(&mut self) -> String {
        let mut line = String::new();
        let n = self
            .stdout
            .read_line(&mut line)
            .expect("read broker stdout");
        assert!(n > 0, "dev broker exited (stdout closed)");
        line.trim_end().to_string()
    }
}

impl Drop for BrokerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The first endpoint of the ready line
/// `{"endpoints":["http://127.0.0.1:PORT",...],"store":...}`.
fn first_endpoint(ready: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(ready).ok()?;
    Some(value.get("endpoints")?.get(0)?.as_str()?.to_string())
}

/// The `gazette-devbroker` binary: `$GAZETTE_DEVBROKER` if set, else the one
/// `cargo test --workspace` builds beside this test binary (`CARGO_BIN_EXE_*`
/// only names binaries of the test's own package, so the path is derived from
/// our own executable, `<target>/<profile>/deps/<test>`). When it is missing
/// (this test run alone), it is built into a separate target directory: a
/// nested build into the running one would rebuild the library with other
/// features over the unhashed `libgazette.rlib` that the cdylib crate type
/// leaves in `deps/`, breaking later doc-tests of the same `cargo test`.
fn build_devbroker() -> PathBuf {
    if let Some(path) = std::env::var_os("GAZETTE_DEVBROKER") {
        return PathBuf::from(path);
    }
    let me = std::env::current_exe().expect("current exe");
    let profile_dir = me
        .parent()
        .and_then(|deps| deps.parent())
        .expect("test binary in <target>/<profile>/deps");
    let exe = profile_dir.join("gazette-devbroker");
    if exe.exists() {
        return exe;
    }
    let target_dir = profile_dir
        .parent()
        .expect("target dir")
        .join("outage-devbroker");
    let release = profile_dir.file_name().is_some_and(|n| n == "release");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--quiet", "-p", "gazette-devbroker"])
        .args(["--bin", "gazette-devbroker", "--manifest-path"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir);
    if release {
        cmd.arg("--release");
    }
    let status = cmd.status().expect("run cargo build");
    assert!(status.success(), "building gazette-devbroker: {status}");
    let built = target_dir
        .join(if release { "release" } else { "debug" })
        .join("gazette-devbroker");
    assert!(built.exists(), "{} missing after build", built.display());
    built
}

/// This process's resident set size in bytes (`VmRSS`).
pub fn rss() -> u64 {
    status_kib("VmRSS:") * 1024
}

/// This process's peak resident set size so far in bytes (`VmHWM`).
pub fn peak_rss() -> u64 {
    status_kib("VmHWM:") * 1024
}

fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("{field} in /proc/self/status"))
}

/// Open unlinked temporary files (spill files) and their total size.
pub fn spill_files() -> (usize, u64) {
    let tmp = std::env::temp_dir();
    let tmp = tmp.to_string_lossy();
    let (mut count, mut bytes) = (0, 0);
    for entry in std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .flatten()
    {
        let Ok(target) = std::fs::read_link(entry.path()) else {
            continue;
        };
        let target = target.to_string_lossy();
        if target.starts_with(&*tmp) && target.ends_with(" (deleted)") {
            // Following the fd link stats the open (unlinked) file itself.
            if let Ok(meta) = std::fs::metadata(entry.path()) {
                count += 1;
                bytes += meta.len();
            }
        }
    }
    (count, bytes)
}

/// A size from the environment: bytes, or with a K, M or G suffix (powers
/// of 1024); `default` if unset.
pub fn env_bytes(name: &str, default: u64) -> u64 {
    let Ok(value) = std::env::var(name) else {
        return default;
    };
    let value = value.trim();
    let (digits, unit) = match value.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&value[..i], c.to_ascii_uppercase()),
        _ => (value, 'B'),
    };
    let shift = match unit {
        'B' => 0,
        'K' => 10,
        'M' => 20,
        'G' => 30,
        _ => panic!("{name}={value:?}: unknown unit"),
    };
    let n: u64 = digits
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("{name}={value:?}: not a size"));
    n << shift
}

/// A whole number of seconds from the environment; `default` if unset.
pub fn env_secs(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?}: not a number of seconds")),
        Err(_) => default,
    }
}

/// Formats bytes as MiB with one decimal.
pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1u64 << 20) as f64)
}
