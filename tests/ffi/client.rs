//! The C ABI driven from Rust against a dev broker on loopback: apply,
//! list, get, append (one call and appender), fragments, selectors, and the
//! error paths (broker statuses, timeouts, closed clients, bad arguments).

use std::ffi::{c_char, CStr};
use std::ptr::{null, null_mut};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::append::gazette_append;
use crate::appender::*;
use crate::apply::*;
use crate::assignment::gazette_client_await_assignment;
use crate::client::*;
use crate::config::*;
use crate::error::*;
use crate::label::*;
use crate::list::*;
use crate::read_options::*;
use crate::reader::*;
use crate::retry_reader::*;
use crate::stats::gazette_client_stat;
use crate::status::gazette_status as S;
use gazette_devbroker::{DevBroker, Fault, Options, Rpc};

/// A dev broker plus a C-ABI client of it; everything is stopped on drop.
pub(super) struct Fixture {
    rt: tokio::runtime::Runtime,
    broker: Option<DevBroker>,
    pub(super) client: *mut gazette_client,
    _store: tempfile::TempDir,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        gazette_client_free(self.client);
        if let Some(b) = self.broker.take() {
            self.rt.block_on(b.shutdown());
        }
    }
}

/// A client of a fresh dev broker, or of the real broker that
/// `GAZETTE_TEST_BROKER` names (then `GAZETTE_TEST_FRAGMENT_ROOT` is its
/// `file:///` store directory, and fault-injection steps are skipped).
pub(super) fn fixture() -> Fixture {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let store = tempfile::tempdir().unwrap();
    let (broker, ep) = match std::env::var("GAZETTE_TEST_BROKER") {
        Ok(ep) if !ep.is_empty() => (None, ep),
        _ => {
            let broker = rt
                .block_on(DevBroker::start(Options {
                    store: Some(store.path().to_path_buf()),
                    version: broker_version(),
                    ..Options::default()
                }))
                .unwrap();
            let ep = broker.endpoint(0);
            (Some(broker), ep)
        }
    };
    let cfg = gazette_config_new();
    assert_eq!(
        gazette_config_add_endpoint(cfg, p(&ep), ep.len(), null_mut()),
        S::Ok
    );
    let mut client = null_mut();
    assert_eq!(gazette_client_new(cfg, &mut client, null_mut()), S::Ok);
    gazette_config_free(cfg);
    Fixture {
        rt,
        broker,
        client,
        _store: store,
    }
}

/// The broker version under test: `GAZETTE_TEST_DEVBROKER_VERSION` for the
/// dev broker, `GAZETTE_TEST_BROKER_VERSION` for a real one (default current).
fn broker_version() -> gazette_devbroker::Version {
    let var = match std::env::var("GAZETTE_TEST_BROKER") {
        Ok(ep) if !ep.is_empty() => "GAZETTE_TEST_BROKER_VERSION",
        _ => "GAZETTE_TEST_DEVBROKER_VERSION",
    };
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_default()
}

/// The dev broker for fault injection, or None (having said why) against a
/// real broker.
fn dev(f: &Fixture) -> Option<&DevBroker> {
    if f.broker.is_none() {
        eprintln!("skipped: needs fault injection (real broker)");
    }
    f.broker.as_ref()
}

pub(super) fn p(s: &str) -> *const c_char {
    s.as_ptr().cast()
}

pub(super) fn unique(prefix: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "ffi-tests/{}/{prefix}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn cstr(s: *const c_char) -> String {
    assert!(!s.is_null());
    unsafe { CStr::from_ptr(s) }.to_str().unwrap().to_owned()
}

/// Runs `f` on a new thread and returns once that thread sleeps in the
/// kernel (state `S` in /proc): how a test knows the call `f` makes is
/// blocked, so a cancel from this thread wakes a waiting call rather than
/// racing ahead of it.
fn spawn_blocked<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> std::thread::JoinHandle<T> {
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = std::thread::spawn(move || {
        // SAFETY: gettid has no preconditions.
        tx.send(unsafe { libc::gettid() }).unwrap();
        f()
    });
    let tid = rx.recv().unwrap();
    let stat = format!("/proc/self/task/{tid}/stat");
    let start = std::time::Instant::now();
    loop {
        let line = std::fs::read_to_string(&stat).unwrap_or_default();
        // The state follows the parenthesised thread name.
        let state = line
            .rsplit_once(") ")
            .and_then(|(_, rest)| rest.chars().next());
        if state == Some('S') {
            return handle;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the call never blocked (state {state:?})"
        );
        std::thread::yield_now();
    }
}

/// A client counter (`gazette_client_stat`).
fn stat(client: *const gazette_client, name: &str) -> u64 {
    let mut v = 0;
    assert_eq!(
        gazette_client_stat(client, p(name), name.len(), &mut v, null_mut()),
        S::Ok
    );
    v
}

/// Waits (up to 10 s) until counter `name` of `client` is above `than`:
/// how a test knows another thread's call has sent its RPC.
fn await_stat_above(client: *const gazette_client, name: &str, than: u64) {
    let start = std::time::Instant::now();
    while stat(client, name) <= than {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{name} stayed at {than}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Calls `f` with an error out-parameter; returns the status and the message.
fn with_err(f: impl FnOnce(*mut *mut gazette_error) -> S) -> (S, String) {
    let mut err = null_mut();
    let st = f(&mut err);
    let msg = if err.is_null() {
        String::new()
    } else {
        assert_eq!(gazette_error_status(err), st);
        let m = cstr(gazette_error_message(err));
        gazette_error_free(err);
        m
    };
    assert_eq!(
        st == S::Ok,
        msg.is_empty(),
        "status {st:?} with message {msg:?}"
    );
    (st, msg)
}

fn create(client: *mut gazette_client, name: &str, labels: &[(&str, &str)]) -> i64 {
    let mut spec = null_mut();
    assert_eq!(
        gazette_journal_spec_new(p(name), name.len(), &mut spec, null_mut()),
        S::Ok
    );
    for (n, v) in labels {
        let st = gazette_journal_spec_add_label(spec, p(n), n.len(), p(v), v.len(), null_mut());
        assert_eq!(st, S::Ok);
    }
    assert_eq!(
        gazette_journal_spec_set_fragment_length(spec, 1024, null_mut()),
        S::Ok
    );
    assert_eq!(
        gazette_journal_spec_set_refresh_interval_ms(spec, 1000, null_mut()),
        S::Ok
    );
    let store = "file:///";
    assert_eq!(
        gazette_journal_spec_add_store(spec, p(store), store.len(), null_mut()),
        S::Ok
    );
    let req = gazette_apply_request_new();
    assert_eq!(
        gazette_apply_request_upsert(req, spec, 0, null_mut()),
        S::Ok
    );
    gazette_journal_spec_free(spec);
    let mut rev = 0;
    let (st, msg) = with_err(|e| gazette_apply(client, req, 0, 10_000, &mut rev, e));
    assert_eq!(st, S::Ok, "{msg}");
    gazette_apply_request_free(req);
    assert!(rev > 0);
    // Brokers assign a new journal a moment after Apply.
    let (st, msg) =
        with_err(|e| gazette_client_await_assignment(client, p(name), name.len(), 30_000, e));
    assert_eq!(st, S::Ok, "{msg}");
    rev
}

#[test]
fn apply_list_get_and_select() {
    let f = fixture();
    let a = unique("list/a");
    let b = unique("list/b");
    create(f.client, &a, &[("topic", "one")]);
    create(f.client, &b, &[("topic", "two")]);

    // `name:prefix=` selectors are v0.100+; older brokers match name
    // prefixes with the `prefix` meta-label.
    let dir = &a[..a.rfind('/').unwrap() + 1];
    let sel = if broker_version() >= gazette_devbroker::Version::Current {
        format!("topic in (one, two), name:prefix={dir}")
    } else {
        eprintln!("note: broker older than v0.100: selecting with prefix= instead of name:prefix=");
        format!("topic in (one, two), prefix={dir}")
    };
    let mut list = null_mut();
    let (st, msg) =
        with_err(|e| gazette_list_journals(f.client, p(&sel), sel.len(), 10_000, &mut list, e));
    assert_eq!(st, S::Ok, "{msg}");
    assert_eq!(gazette_journal_list_len(list), 2);
    let j0 = gazette_journal_list_get(list, 0);
    assert_eq!(cstr(gazette_journal_name(j0)), a);
    assert_eq!(
        cstr(gazette_journal_name(gazette_journal_list_get(list, 1))),
        b
    );
    assert!(gazette_journal_list_get(list, 2).is_null());
    assert_eq!(gazette_journal_label_count(j0), 1);
    assert_eq!(cstr(gazette_journal_label_name(j0, 0)), "topic");
    assert_eq!(cstr(gazette_journal_label_value(j0, 0)), "one");
    assert!(gazette_journal_label_name(j0, 1).is_null());
    assert_eq!(gazette_journal_replication(j0), 1);
    assert_eq!(gazette_journal_fragment_length(j0), 1024);
    assert_eq!(cstr(gazette_journal_store(j0, 0)), "file:///");
    assert!(gazette_journal_mod_revision(j0) > 0);
    assert_eq!(gazette_journal_route_len(j0), 1);
    assert_eq!(gazette_journal_route_primary(j0), 0);

    // Selector helpers agree with the broker's selection.
    let mut only_one = null_mut();
    let text = "topic=one";
    assert_eq!(
        gazette_selector_parse(p(text), text.len(), &mut only_one, null_mut()),
        S::Ok
    );
    assert!(gazette_selector_matches_journal(only_one, j0));
    assert!(!gazette_selector_matches_journal(
        only_one,
        gazette_journal_list_get(list, 1)
    ));
    gazette_selector_free(only_one);

    // Re-apply with the listed mod revision; a stale revision then fails.
    let rev = gazette_journal_mod_revision(j0);
    let spec = gazette_journal_spec_from_journal(j0);
    assert_eq!(
        gazette_journal_spec_set_replication(spec, 9, null_mut()),
        S::InvalidArgument
    );
    gazette_journal_spec_free(spec);
    let spec = gazette_journal_spec_from_journal(j0);
    let req = gazette_apply_request_new();
    assert_eq!(
        gazette_apply_request_upsert(req, spec, rev, null_mut()),
        S::Ok
    );
    assert_eq!(
        gazette_apply(f.client, req, 0, 10_000, null_mut(), null_mut()),
        S::Ok
    );
    let (st, msg) = with_err(|e| gazette_apply(f.client, req, 0, 10_000, null_mut(), e));
    assert_eq!(st, S::EtcdTransactionFailed, "{msg}");
    assert_eq!(msg, "ETCD_TRANSACTION_FAILED");
    gazette_apply_request_free(req);
    gazette_journal_spec_free(spec);
    gazette_journal_list_free(list);

    // Get by name (the ;meta suffix is ignored), and a missing journal.
    let mut j = null_mut();
    let with_meta = format!("{a};meta");
    let (st, msg) = with_err(|e| {
        gazette_get_journal(f.client, p(&with_meta), with_meta.len(), 10_000, &mut j, e)
    });
    assert_eq!(st, S::Ok, "{msg}");
    assert_eq!(cstr(gazette_journal_name(j)), a);
    gazette_journal_free(j);
    let missing = unique("missing");
    let (st, msg) =
        with_err(|e| gazette_get_journal(f.client, p(&missing), missing.len(), 10_000, &mut j, e));
    assert_eq!(st, S::JournalDoesNotExist);
    assert_eq!(msg, format!("named journal does not exist ({missing})"));

    // Delete, then the journal is gone.
    let req = gazette_apply_request_new();
    assert_eq!(
        gazette_apply_request_delete(req, p(&b), b.len(), -1, null_mut()),
        S::Ok
    );
    assert_eq!(
        gazette_apply_request_delete(req, p(&b), b.len(), 0, null_mut()),
        S::InvalidArgument
    );
    assert_eq!(gazette_apply_request_len(req), 1);
    assert_eq!(
        gazette_apply(f.client, req, 0, 10_000, null_mut(), null_mut()),
        S::Ok
    );
    gazette_apply_request_free(req);
    let st = gazette_get_journal(f.client, p(&b), b.len(), 10_000, &mut j, null_mut());
    assert_eq!(st, S::JournalDoesNotExist);
}

#[test]
fn append_and_appender_commit_at_consecutive_offsets() {
    let f = fixture();
    let name = unique("append");
    create(f.client, &name, &[]);

    let (mut begin, mut end) = (-1, -1);
    let data = b"hello, ";
    let (st, msg) = with_err(|e| {
        gazette_append(
            f.client,
            p(&name),
            name.len(),
            data.as_ptr(),
            data.len(),
            null(),
            10_000,
            &mut begin,
            &mut end,
            e,
        )
    });
    assert_eq!(st, S::Ok, "{msg}");
    assert_eq!((begin, end), (0, 7));

    let mut app = null_mut();
    assert_eq!(
        gazette_appender_new(f.client, p(&name), name.len(), null(), &mut app, null_mut()),
        S::Ok
    );
    for part in [&b"wor"[..], b"ld", b"!"] {
        assert_eq!(
            gazette_appender_write(app, part.as_ptr(), part.len(), 10_000, null_mut()),
            S::Ok
        );
    }
    assert_eq!(
        gazette_appender_close(app, 10_000, &mut begin, &mut end, null_mut()),
        S::Ok
    );
    assert_eq!((begin, end), (7, 13));
    // Finished: further use is INVALID_STATE, abort is a no-op.
    let (st, _) = with_err(|e| gazette_appender_write(app, data.as_ptr(), 1, 1000, e));
    assert_eq!(st, S::InvalidState);
    assert_eq!(gazette_appender_abort(app, 1000, null_mut()), S::Ok);
    gazette_appender_free(app);

    // An aborted transaction leaves no trace: the next append starts at 13.
    let mut app = null_mut();
    assert_eq!(
        gazette_appender_new(f.client, p(&name), name.len(), null(), &mut app, null_mut()),
        S::Ok
    );
    assert_eq!(
        gazette_appender_write(app, data.as_ptr(), data.len(), 10_000, null_mut()),
        S::Ok
    );
    assert_eq!(gazette_appender_abort(app, 10_000, null_mut()), S::Ok);
    gazette_appender_free(app);
    // Freed without close: also rolled back.
    let mut app = null_mut();
    assert_eq!(
        gazette_appender_new(f.client, p(&name), name.len(), null(), &mut app, null_mut()),
        S::Ok
    );
    assert_eq!(
        gazette_appender_write(app, data.as_ptr(), data.len(), 10_000, null_mut()),
        S::Ok
    );
    gazette_appender_free(app);
    // An empty append is a barrier reporting the write head.
    assert_eq!(
        gazette_append(
            f.client,
            p(&name),
            name.len(),
            null(),
            0,
            null(),
            10_000,
            &mut begin,
            &mut end,
            null_mut()
        ),
        S::Ok
    );
    assert_eq!((begin, end), (13, 13));

    // Counters saw the appends: at least the committed bytes went out.
    let mut v = 0u64;
    let key = "bytes_appended";
    assert_eq!(
        gazette_client_stat(f.client, p(key), key.len(), &mut v, null_mut()),
        S::Ok
    );
    assert!(v >= 13, "{v}");
    let key = "append_rpcs";
    assert_eq!(
        gazette_client_stat(f.client, p(key), key.len(), &mut v, null_mut()),
        S::Ok
    );
    assert!(v >= 3, "{v}");
    let key = "no_such_counter";
    let st = gazette_client_stat(f.client, p(key), key.len(), &mut v, null_mut());
    assert_eq!(st, S::InvalidArgument);

    // Fragments: everything so far, in order, summing to 13 bytes.
    let mut frags = null_mut();
    let (st, msg) = with_err(|e| {
        gazette_list_fragments(f.client, p(&name), name.len(), 0, 0, 10_000, &mut frags, e)
    });
    assert_eq!(st, S::Ok, "{msg}");
    let n = gazette_fragment_list_len(frags);
    assert!(n >= 1);
    let first = gazette_fragment_list_get(frags, 0);
    let last = gazette_fragment_list_get(frags, n - 1);
    assert_eq!(gazette_fragment_begin(first), 0);
    assert_eq!(gazette_fragment_end(last), 13);
    assert_eq!(cstr(gazette_fragment_sum(first)).len(), 40);
    assert!(gazette_fragment_list_get(frags, n).is_null());
    gazette_fragment_list_free(frags);
}

#[test]
fn broker_statuses_and_caller_errors() {
    let f = fixture();
    let missing = unique("nope");
    let (st, msg) = with_err(|e| {
        gazette_append(
            f.client,
            p(&missing),
            missing.len(),
            b"x".as_ptr(),
            1,
            null(),
            10_000,
            null_mut(),
            null_mut(),
            e,
        )
    });
    assert_eq!(st, S::JournalNotFound);
    // A broker status names the journal it concerns.
    assert_eq!(msg, format!("JOURNAL_NOT_FOUND: journal {missing}"));

    let bad = "/bad//name";
    let (st, _) = with_err(|e| {
        gazette_append(
            f.client,
            p(bad),
            bad.len(),
            null(),
            0,
            null(),
            1000,
            null_mut(),
            null_mut(),
            e,
        )
    });
    assert_eq!(st, S::InvalidArgument);
    let invalid_utf8 = b"ab\xffcd";
    let (st, _) = with_err(|e| {
        gazette_append(
            f.client,
            invalid_utf8.as_ptr().cast(),
            5,
            null(),
            0,
            null(),
            1000,
            null_mut(),
            null_mut(),
            e,
        )
    });
    assert_eq!(st, S::InvalidUtf8);
    let (st, _) = with_err(|e| {
        gazette_append(
            f.client,
            p(&missing),
            missing.len(),
            null(),
            4,
            null(),
            1000,
            null_mut(),
            null_mut(),
            e,
        )
    });
    assert_eq!(st, S::NullPointer);
    let (st, _) = with_err(|e| {
        gazette_append(
            null(),
            p(&missing),
            missing.len(),
            null(),
            0,
            null(),
            1000,
            null_mut(),
            null_mut(),
            e,
        )
    });
    assert_eq!(st, S::NullPointer);
    let (st, _) = with_err(|e| {
        gazette_append(
            f.client,
            p(&missing),
            missing.len(),
            null(),
            0,
            null(),
            -7,
            null_mut(),
            null_mut(),
            e,
        )
    });
    assert_eq!(st, S::InvalidArgument);
    let sel = "foo in (bar";
    let mut list = null_mut();
    let (st, _) =
        with_err(|e| gazette_list_journals(f.client, p(sel), sel.len(), 1000, &mut list, e));
    assert_eq!(st, S::InvalidArgument);
    assert!(list.is_null());

    // A gRPC failure keeps its code; a slow broker hits the timeout.
    let Some(broker) = dev(&f) else {
        return;
    };
    broker.faults().fail_next(
        Rpc::List,
        1,
        Fault::Grpc(tonic::Code::PermissionDenied, "nope".into()),
    );
    let mut err = null_mut();
    let st = gazette_list_journals(f.client, null(), 0, 10_000, &mut list, &mut err);
    assert_eq!(st, S::GrpcPermissionDenied);
    assert_eq!(gazette_error_grpc_code(err), 7);
    assert!(!gazette_error_is_retryable(err));
    gazette_error_free(err);
    broker.faults().delay(Rpc::List, Duration::from_millis(500));
    let (st, _) = with_err(|e| gazette_list_journals(f.client, null(), 0, 50, &mut list, e));
    assert_eq!(st, S::TimedOut);
    broker.faults().clear();
    assert_eq!(
        gazette_list_journals(f.client, null(), 0, 10_000, &mut list, null_mut()),
        S::Ok
    );
    gazette_journal_list_free(list);
}

#[test]
fn closed_client_and_children_report_closed() {
    let f = fixture();
    let name = unique("closed");
    create(f.client, &name, &[]);
    let mut app = null_mut();
    assert_eq!(
        gazette_appender_new(f.client, p(&name), name.len(), null(), &mut app, null_mut()),
        S::Ok
    );
    assert_eq!(
        gazette_appender_write(app, b"x".as_ptr(), 1, 10_000, null_mut()),
        S::Ok
    );

    // A call blocked forever in another thread is released by close.
    let Some(broker) = dev(&f) else {
        return;
    };
    broker.faults().delay(Rpc::List, Duration::from_secs(30));
    let client = f.client as usize;
    let lists = stat(f.client, "other_rpcs");
    let waiter = std::thread::spawn(move || {
        let mut list = null_mut();
        gazette_list_journals(
            client as *const gazette_client,
            null(),
            0,
            -1,
            &mut list,
            null_mut(),
        )
    });
    await_stat_above(f.client, "other_rpcs", lists);
    assert_eq!(gazette_client_close(f.client, 2000, null_mut()), S::Ok);
    assert_eq!(waiter.join().unwrap(), S::Closed);
    broker.faults().clear();

    let (st, msg) = with_err(|e| gazette_appender_write(app, b"y".as_ptr(), 1, 1000, e));
    assert_eq!(st, S::Closed, "{msg}");
    let mut list = null_mut();
    assert_eq!(
        gazette_list_journals(f.client, null(), 0, 1000, &mut list, null_mut()),
        S::Closed
    );
    // The appender outlives its client being freed.
    let f_client = f.client;
    gazette_appender_free(app);
    let _ = f_client;
}

/// Read options, freed on drop (the readers copy them).
struct Opts(*mut gazette_read_options);

impl Drop for Opts {
    fn drop(&mut self) {
        gazette_read_options_free(self.0);
    }
}

fn read_opts(offset: i64, end: i64, block: bool) -> Opts {
    let o = Opts(gazette_read_options_new());
    assert_eq!(
        gazette_read_options_set_offset(o.0, offset, null_mut()),
        S::Ok
    );
    assert_eq!(
        gazette_read_options_set_end_offset(o.0, end, null_mut()),
        S::Ok
    );
    assert_eq!(
        gazette_read_options_set_block(o.0, block, null_mut()),
        S::Ok
    );
    o
}

fn open_reader(
    client: *mut gazette_client,
    name: &str,
    offset: i64,
    end: i64,
    block: bool,
) -> *mut gazette_reader {
    let mut r = null_mut();
    let st = gazette_reader_new(
        client,
        p(name),
        name.len(),
        read_opts(offset, end, block).0,
        &mut r,
        null_mut(),
    );
    assert_eq!(st, S::Ok);
    r
}

pub(super) fn append_text(client: *mut gazette_client, name: &str, text: &str) {
    let st = gazette_append(
        client,
        p(name),
        name.len(),
        text.as_ptr(),
        text.len(),
        null(),
        10_000,
        null_mut(),
        null_mut(),
        null_mut(),
    );
    assert_eq!(st, S::Ok);
}

#[test]
fn reader_copies_lends_times_out_and_cancels() {
    let f = fixture();
    let name = unique("read");
    create(f.client, &name, &[]);
    append_text(f.client, &name, "hello world");

    // Small buffers: the rest of a chunk is kept for the next call.
    let r = open_reader(f.client, &name, 0, 0, false);
    let (mut buf, mut n, mut got) = ([0u8; 4], 0usize, Vec::new());
    loop {
        let st = gazette_reader_read(r, buf.as_mut_ptr(), buf.len(), 10_000, &mut n, null_mut());
        if st != S::Ok {
            assert_eq!(st, S::OffsetNotYetAvailable);
            assert_eq!(n, 0);
            break;
        }
        assert!(n > 0 && n <= 4);
        got.extend_from_slice(&buf[..n]);
        assert_eq!(gazette_reader_offset(r), got.len() as i64);
    }
    assert_eq!(got, b"hello world");
    assert_eq!(gazette_reader_write_head(r), 11);
    // Finished: the same error again.
    let st = gazette_reader_read(r, buf.as_mut_ptr(), buf.len(), 1000, &mut n, null_mut());
    assert_eq!(st, S::OffsetNotYetAvailable);
    gazette_reader_free(r);

    // A bounded read ends cleanly at its end offset; zero-copy chunks.
    let r = open_reader(f.client, &name, 6, 9, false);
    let (mut data, mut len) = (null(), 0usize);
    let mut got = Vec::new();
    loop {
        match gazette_reader_next(r, 10_000, &mut data, &mut len, null_mut()) {
            S::Ok => got.extend_from_slice(unsafe { std::slice::from_raw_parts(data, len) }),
            st => {
                assert_eq!(st, S::EndOfStream);
                assert!(data.is_null() && len == 0);
                break;
            }
        }
    }
    assert_eq!(got, b"wor");
    assert_eq!(gazette_reader_offset(r), 9);
    gazette_reader_free(r);

    // A blocking read at the write head: nothing yet, then new content.
    let r = open_reader(f.client, &name, -1, 0, true);
    let st = gazette_reader_read(r, buf.as_mut_ptr(), buf.len(), 0, &mut n, null_mut());
    assert_eq!(st, S::WouldBlock);
    let st = gazette_reader_read(r, buf.as_mut_ptr(), buf.len(), 200, &mut n, null_mut());
    assert_eq!(st, S::TimedOut);
    append_text(f.client, &name, "new!");
    // Reading from -1 first jumps to the write head, as in Go.
    let mut st = gazette_reader_read(r, buf.as_mut_ptr(), buf.len(), 10_000, &mut n, null_mut());
    if st == S::OffsetJump {
        assert_eq!(gazette_reader_offset(r), 11);
        st = gazette_reader_read(r, buf.as_mut_ptr(), buf.len(), 10_000, &mut n, null_mut());
    }
    assert_eq!(st, S::Ok);
    assert_eq!(&buf[..n], b"new!");
    assert_eq!(gazette_reader_offset(r), 15);

    // Cancel from another thread releases a read waiting forever.
    let raw = r as usize;
    let waiter = spawn_blocked(move || {
        let mut buf = [0u8; 8];
        let mut n = 0;
        let mut err = null_mut();
        let st = gazette_reader_read(
            raw as *const gazette_reader,
            buf.as_mut_ptr(),
            8,
            -1,
            &mut n,
            &mut err,
        );
        gazette_error_free(err);
        st
    });
    gazette_reader_cancel(r);
    assert_eq!(waiter.join().unwrap(), S::Cancelled);
    gazette_reader_free(r);

    // Caller errors, a missing journal, and a closed client.
    let mut r = null_mut();
    let bad = "a//b";
    let st = gazette_reader_new(
        f.client,
        p(bad),
        bad.len(),
        read_opts(0, 0, false).0,
        &mut r,
        null_mut(),
    );
    assert_eq!(st, S::InvalidArgument);
    let st = gazette_reader_new(
        f.client,
        p(&name),
        name.len(),
        read_opts(10, 5, false).0,
        &mut r,
        null_mut(),
    );
    assert_eq!(st, S::InvalidArgument);
    let missing = unique("missing");
    let r = open_reader(f.client, &missing, 0, 0, false);
    let (st, msg) =
        with_err(|e| gazette_reader_read(r, buf.as_mut_ptr(), buf.len(), 10_000, &mut n, e));
    assert_eq!(st, S::JournalNotFound, "{msg}");
    let st = gazette_reader_read(r, null_mut(), 4, 1000, &mut n, null_mut());
    assert_eq!(st, S::NullPointer);
    gazette_reader_free(r);
    let r = open_reader(f.client, &name, 0, 0, true);
    assert_eq!(gazette_client_close(f.client, 2000, null_mut()), S::Ok);
    let st = gazette_reader_read(r, buf.as_mut_ptr(), buf.len(), 1000, &mut n, null_mut());
    assert_eq!(st, S::Closed);
    gazette_reader_free(r);
}

#[test]
fn appender_call_that_times_out_rolls_back_and_leaves_invalid_state() {
    let f = fixture();
    let name = unique("slow");
    create(f.client, &name, &[]);
    let Some(broker) = dev(&f) else {
        return;
    };
    broker
        .faults()
        .delay(Rpc::Append, Duration::from_millis(800));
    let mut app = null_mut();
    assert_eq!(
        gazette_appender_new(f.client, p(&name), name.len(), null(), &mut app, null_mut()),
        S::Ok
    );
    assert_eq!(
        gazette_appender_write(app, b"lost".as_ptr(), 4, 10_000, null_mut()),
        S::Ok
    );
    let (st, _) = with_err(|e| gazette_appender_close(app, 100, null_mut(), null_mut(), e));
    assert_eq!(st, S::TimedOut);
    let (st, msg) = with_err(|e| gazette_appender_write(app, b"x".as_ptr(), 1, 1000, e));
    assert_eq!(st, S::InvalidState);
    assert!(msg.contains("rolled back"), "{msg}");
    assert_eq!(gazette_appender_abort(app, 1000, null_mut()), S::Ok);
    gazette_appender_free(app);
    broker.faults().clear();
    // Nothing of the timed-out transaction committed.
    let (mut begin, mut end) = (-1, -1);
    let st = gazette_append(
        f.client,
        p(&name),
        name.len(),
        null(),
        0,
        null(),
        10_000,
        &mut begin,
        &mut end,
        null_mut(),
    );
    assert_eq!(st, S::Ok);
    assert_eq!((begin, end), (0, 0));
}

fn retry_read_all(r: *mut gazette_retry_reader, timeout_ms: i32) -> (Vec<u8>, S) {
    let mut got = Vec::new();
    let mut buf = [0u8; 5];
    let mut n = 0;
    loop {
        match gazette_retry_reader_read(
            r,
            buf.as_mut_ptr(),
            buf.len(),
            timeout_ms,
            &mut n,
            null_mut(),
        ) {
            S::Ok => got.extend_from_slice(&buf[..n]),
            st => return (got, st),
        }
    }
}

#[test]
fn retry_reader_recovers_seeks_and_stays_usable() {
    let f = fixture();
    let name = unique("retry");
    create(f.client, &name, &[]);
    append_text(f.client, &name, "hello world");
    let Some(broker) = dev(&f) else {
        return;
    };

    // Two failed Read RPCs are retried through.
    broker.faults().fail_next(
        Rpc::Read,
        2,
        Fault::Grpc(tonic::Code::Unavailable, "flap".into()),
    );
    let mut r = null_mut();
    let st = gazette_retry_reader_new(
        f.client,
        p(&name),
        name.len(),
        read_opts(0, 0, false).0,
        &mut r,
        null_mut(),
    );
    assert_eq!(st, S::Ok);
    let (got, st) = retry_read_all(r, 10_000);
    assert_eq!(got, b"hello world");
    assert_eq!(st, S::OffsetNotYetAvailable);
    assert_eq!(gazette_retry_reader_offset(r), 11);
    assert_eq!(gazette_retry_reader_write_head(r), 11);

    // Still usable: new content is picked up by the next read.
    append_text(f.client, &name, "!!");
    let (got, st) = retry_read_all(r, 10_000);
    assert_eq!((got.as_slice(), st), (&b"!!"[..], S::OffsetNotYetAvailable));

    // Seek back anywhere, zero-copy reads.
    assert_eq!(gazette_retry_reader_seek(r, 6, 10_000, null_mut()), S::Ok);
    assert_eq!(gazette_retry_reader_offset(r), 6);
    let (mut data, mut len) = (null(), 0usize);
    let mut got = Vec::new();
    while gazette_retry_reader_next(r, 10_000, &mut data, &mut len, null_mut()) == S::Ok {
        got.extend_from_slice(unsafe { std::slice::from_raw_parts(data, len) });
    }
    assert_eq!(got, b"world!!");
    gazette_retry_reader_free(r);

    // Blocking with an end offset: everything up to it, then END_OF_STREAM.
    let mut r = null_mut();
    let st = gazette_retry_reader_new(
        f.client,
        p(&name),
        name.len(),
        read_opts(0, 13, true).0,
        &mut r,
        null_mut(),
    );
    assert_eq!(st, S::Ok);
    let (got, st) = retry_read_all(r, 10_000);
    assert_eq!(
        (got.as_slice(), st),
        (&b"hello world!!"[..], S::EndOfStream)
    );
    gazette_retry_reader_free(r);

    // Cancel a blocked read from another thread; a seek clears the cancel.
    let mut r = null_mut();
    let st = gazette_retry_reader_new(
        f.client,
        p(&name),
        name.len(),
        read_opts(13, 0, true).0,
        &mut r,
        null_mut(),
    );
    assert_eq!(st, S::Ok);
    let raw = r as usize;
    let waiter = spawn_blocked(move || {
        let mut buf = [0u8; 4];
        let mut n = 0;
        gazette_retry_reader_read(
            raw as *const gazette_retry_reader,
            buf.as_mut_ptr(),
            4,
            -1,
            &mut n,
            null_mut(),
        )
    });
    gazette_retry_reader_cancel(r);
    assert_eq!(waiter.join().unwrap(), S::Cancelled);
    let mut buf = [0u8; 4];
    let mut n = 0;
    let st = gazette_retry_reader_read(r, buf.as_mut_ptr(), 4, 1000, &mut n, null_mut());
    assert_eq!(st, S::Cancelled);
    assert_eq!(gazette_retry_reader_seek(r, 13, 1000, null_mut()), S::Ok);
    let st = gazette_retry_reader_read(r, buf.as_mut_ptr(), 4, 200, &mut n, null_mut());
    assert_eq!(st, S::TimedOut);
    append_text(f.client, &name, "more");
    let st = gazette_retry_reader_read(r, buf.as_mut_ptr(), 4, 10_000, &mut n, null_mut());
    assert_eq!((st, &buf[..n]), (S::Ok, &b"more"[..]));
    gazette_retry_reader_free(r);

    // A plain reader cannot seek outside what it received.
    let reader = open_reader(f.client, &name, 0, 0, false);
    let st = gazette_reader_read(reader, buf.as_mut_ptr(), 4, 10_000, &mut n, null_mut());
    assert_eq!((st, &buf[..n]), (S::Ok, &b"hell"[..]));
    assert_eq!(
        gazette_reader_seek(reader, 2, 1000, null_mut()),
        S::SeekRequiresNewReader
    );
    gazette_reader_free(reader);
}
