//! The `gazette-devbroker` binary: ready line, control commands on stdin,
//! clean exits on end of input and on SIGTERM.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use gazette_protocol::{AppendRequest, CompressionCodec};
use support::*;

struct Proc {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Proc {
    fn spawn(args: &[&str]) -> (Proc, serde_json::Value) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_gazette-devbroker"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let ready =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("ready line {line:?}: {e}"));
        (
            Proc {
                child,
                stdin,
                stdout,
            },
            ready,
        )
    }

    fn command(&mut self, cmd: &str) -> String {
        writeln!(self.stdin.as_mut().unwrap(), "{cmd}").unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        line.trim_end().to_string()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// Multi-threaded: the test blocks on the child's pipes while gRPC runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_takes_commands_and_exits_at_end_of_input() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let (mut p, ready) = Proc::spawn(&[
        "--assign-delay-ms",
        "0",
        "--brokers",
        "2",
        "--store",
        store.to_str().unwrap(),
    ]);
    let endpoints: Vec<String> = ready["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap().to_string())
        .collect();
    assert_eq!(endpoints.len(), 2);
    assert!(endpoints.iter().all(|e| e.starts_with("http://127.0.0.1:")));
    assert_eq!(ready["store"], store.to_str().unwrap());

    let mut c = client(endpoints[0].clone()).await;
    let name = unique("binary");
    create(&mut c, spec(&name, CompressionCodec::Gzip, &["file:///"])).await;
    assert_eq!(p.command("count 0 apply"), "ok 1");
    assert_eq!(
        p.command("fail_next append 1 grpc unavailable going away"),
        "ok"
    );
    let err = append_with(
        &mut c,
        AppendRequest {
            journal: name.clone(),
            ..Default::default()
        },
        &[b"x"],
    )
    .await
    .unwrap_err();
    assert_eq!(
        (err.code(), err.message()),
        (tonic::Code::Unavailable, "going away")
    );
    append(&mut c, &name, &[b"kept"]).await;
    assert_eq!(p.command(&format!("flush {name}")), "ok");
    assert!(store.join(&name).is_dir(), "flush persisted the fragment");
    assert!(p.command("bogus").starts_with("error: "));
    assert!(p
        .command("fail_next read 1 status NOT_A_STATUS")
        .starts_with("error: "));
    assert!(p.command("stop_broker 7").starts_with("error: "));

    drop(c);
    drop(p.stdin.take());
    let status = p.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listens_on_consecutive_ports_and_exits_on_sigterm() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let listen = format!("127.0.0.1:{port}");
    let (mut p, ready) = Proc::spawn(&["--listen", &listen, "--brokers", "2"]);
    let endpoints = ready["endpoints"].as_array().unwrap();
    assert_eq!(endpoints[0], format!("http://127.0.0.1:{port}"));
    assert_eq!(endpoints[1], format!("http://127.0.0.1:{}", port + 1));
    assert!(ready["store"].is_null());
    let ok = Command::new("kill")
        .args(["-TERM", &p.child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let status = p.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}
