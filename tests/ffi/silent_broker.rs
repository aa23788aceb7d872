//! A broker that accepts connections and never answers (a loopback
//! listener that holds every socket open, not even the HTTP/2 preface):
//! every waiting call of the C ABI must come back with TIMED_OUT (or, for
//! closes, its documented status) once its `timeout_ms` passes, none hangs.
//!
//! The elapsed time is checked against the timeout plus a generous bound
//! (`SLACK`): the point is "returns", not a latency figure, so the bound
//! only has to separate a working deadline from a hang on a loaded machine.

use std::net::{TcpListener, TcpStream};
use std::ptr::{null, null_mut};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::client::p;
use crate::append::gazette_append;
use crate::append_future::*;
use crate::append_service::*;
use crate::appender::*;
use crate::apply::*;
use crate::assignment::gazette_client_await_assignment;
use crate::async_append::*;
use crate::client::*;
use crate::config::*;
use crate::error::gazette_error_free;
use crate::list::*;
use crate::reader::*;
use crate::retry_reader::*;
use crate::status::gazette_status as S;
use crate::store_health::gazette_fragment_store_health;

/// Each call's timeout.
const TIMEOUT_MS: i32 = 300;
/// How far past its timeout a call may return before it counts as hung.
const SLACK: Duration = Duration::from_secs(10);

/// Accepts every connection and keeps it open, silent, until dropped.
struct SilentBroker {
    addr: std::net::SocketAddr,
    stop: Arc<AtomicBool>,
    held: Arc<Mutex<Vec<TcpStream>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SilentBroker {
    fn start() -> SilentBroker {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let held = Arc::new(Mutex::new(Vec::new()));
        let (s, h) = (stop.clone(), held.clone());
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    return;
                }
                if let Ok(conn) = conn {
                    h.lock().unwrap().push(conn);
                }
            }
        });
        SilentBroker {
            addr,
            stop,
            held,
            thread: Some(thread),
        }
    }

    fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for SilentBroker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.held.lock().unwrap().clear();
    }
}

/// Runs `call`, asserting it returns `want` within the timeout plus SLACK.
fn bounded(what: &str, want: &[S], call: impl FnOnce(*mut *mut crate::error::gazette_error) -> S) {
    let mut err = null_mut();
    let start = Instant::now();
    let got = call(&mut err);
    let took = start.elapsed();
    gazette_error_free(err);
    eprintln!("silent broker: {what} -> {got:?} after {took:?}");
    assert!(
        want.contains(&got),
        "{what}: {got:?}, expected one of {want:?}"
    );
    assert!(
        took < Duration::from_millis(TIMEOUT_MS as u64) + SLACK,
        "{what} took {took:?}"
    );
}

#[test]
fn every_waiting_call_returns_within_its_timeout() {
    let broker = SilentBroker::start();
    let ep = broker.endpoint();
    let cfg = gazette_config_new();
    assert_eq!(
        gazette_config_add_endpoint(cfg, p(&ep), ep.len(), null_mut()),
        S::Ok
    );
    let mut client = null_mut();
    assert_eq!(gazette_client_new(cfg, &mut client, null_mut()), S::Ok);
    gazette_config_free(cfg);
    let j = "silent/journal";
    let jl = j.len();
    let timed_out = &[S::TimedOut][..];

    bounded("list_journals", timed_out, |e| {
        let mut out = null_mut();
        let s = gazette_list_journals(client, p(""), 0, TIMEOUT_MS, &mut out, e);
        gazette_journal_list_free(out);
        s
    });
    bounded("get_journal", timed_out, |e| {
        let mut out = null_mut();
        let s = gazette_get_journal(client, p(j), jl, TIMEOUT_MS, &mut out, e);
        gazette_journal_free(out);
        s
    });
    bounded("list_fragments", timed_out, |e| {
        let mut out = null_mut();
        let s = gazette_list_fragments(client, p(j), jl, 0, 0, TIMEOUT_MS, &mut out, e);
        gazette_fragment_list_free(out);
        s
    });
    bounded("fragment_store_health", timed_out, |e| {
        let store = "file:///";
        gazette_fragment_store_health(client, p(store), store.len(), null(), 0, TIMEOUT_MS, e)
    });
    bounded("apply", timed_out, |e| {
        let req = gazette_apply_request_new();
        let mut spec = null_mut();
        assert_eq!(
            gazette_journal_spec_new(p(j), jl, &mut spec, null_mut()),
            S::Ok
        );
        assert_eq!(
            gazette_apply_request_upsert(req, spec, 0, null_mut()),
            S::Ok
        );
        gazette_journal_spec_free(spec);
        let s = gazette_apply(client, req, 0, TIMEOUT_MS, null_mut(), e);
        gazette_apply_request_free(req);
        s
    });
    bounded("await_assignment", timed_out, |e| {
        gazette_client_await_assignment(client, p(j), jl, TIMEOUT_MS, e)
    });
    bounded("append", timed_out, |e| {
        let data = b"never lands";
        gazette_append(
            client,
            p(j),
            jl,
            data.as_ptr(),
            data.len(),
            null(),
            TIMEOUT_MS,
            null_mut(),
            null_mut(),
            e,
        )
    });

    // An appender: its write and close each wait within their timeout.
    let mut appender = null_mut();
    assert_eq!(
        gazette_appender_new(client, p(j), jl, null(), &mut appender, null_mut()),
        S::Ok
    );
    let big = vec![b'x'; 256 << 10]; // past coalescing, so the RPC starts
    bounded("appender_write", &[S::Ok, S::TimedOut], |e| {
        gazette_appender_write(appender, big.as_ptr(), big.len(), TIMEOUT_MS, e)
    });
    bounded("appender_close", &[S::TimedOut, S::Cancelled], |e| {
        gazette_appender_close(appender, TIMEOUT_MS, null_mut(), null_mut(), e)
    });
    gazette_appender_free(appender);

    // Readers, plain and retrying.
    let mut reader = null_mut();
    assert_eq!(
        gazette_reader_new(client, p(j), jl, null(), &mut reader, null_mut()),
        S::Ok
    );
    let mut buf = [0u8; 64];
    bounded("reader_read", timed_out, |e| {
        gazette_reader_read(
            reader,
            buf.as_mut_ptr(),
            buf.len(),
            TIMEOUT_MS,
            null_mut(),
            e,
        )
    });
    gazette_reader_free(reader);
    let mut rr = null_mut();
    assert_eq!(
        gazette_retry_reader_new(client, p(j), jl, null(), &mut rr, null_mut()),
        S::Ok
    );
    bounded("retry_reader_read", timed_out, |e| {
        gazette_retry_reader_read(rr, buf.as_mut_ptr(), buf.len(), TIMEOUT_MS, null_mut(), e)
    });
    gazette_retry_reader_cancel(rr);
    gazette_retry_reader_free(rr);

    // The AppendService: the future stays pending, the wait and the close
    // return at their timeouts.
    let mut svc = null_mut();
    assert_eq!(
        gazette_append_service_new(client, null(), &mut svc, null_mut()),
        S::Ok
    );
    let mut aa = null_mut();
    assert_eq!(
        gazette_append_service_start(
            svc,
            p(j),
            jl,
            null(),
            null(),
            TIMEOUT_MS,
            &mut aa,
            null_mut()
        ),
        S::Ok
    );
    assert_eq!(
        gazette_async_append_write(aa, b"rec\n".as_ptr(), 4, null_mut()),
        S::Ok
    );
    let mut fut = null_mut();
    assert_eq!(
        gazette_async_append_release(aa, &mut fut, null_mut()),
        S::Ok
    );
    bounded("append_future_wait", timed_out, |e| {
        gazette_append_future_wait(fut, TIMEOUT_MS, e)
    });
    // Close documents CANCELLED when appends did not commit in time; the
    // future then completes, exactly once, with CANCELLED.
    bounded("append_service_close", &[S::Cancelled], |e| {
        gazette_append_service_close(svc, TIMEOUT_MS, e)
    });
    assert_eq!(gazette_append_future_wait(fut, 0, null_mut()), S::Cancelled);
    gazette_append_service_free(svc);
    gazette_append_future_free(fut);

    bounded("client_close", &[S::Ok, S::TimedOut], |e| {
        gazette_client_close(client, TIMEOUT_MS, e)
    });
    gazette_client_free(client);
    drop(broker);
}
