//! `gazette_appender`: one append transaction written piece by piece, then
//! committed (`close`) or rolled back (`abort`). Wraps `client/appender.rs`.
//!
//! Each call hands the Rust `Appender` to a task on the client's runtime and
//! gets it back when the call completes. A call that times out (or is ended
//! by the client closing) loses it, which rolls the transaction back; the
//! handle then reports INVALID_STATE, and only abort and free remain useful.

use std::ffi::c_char;
use std::sync::{Arc, MutexGuard};

use bytes::Bytes;

use super::append::{gazette_append_options, request_for, write_commit};
use super::args::{bytes_ref, handle_ref, journal_in, out_ptr};
use super::client::{client_shared, gazette_client, Shared};
use super::error::{gazette_error, FfiError};
use super::list::gazette_fragment;
use super::one_call::OneCall;
use super::ownership::{opt_ref, take_box};
use super::runtime::Timeout;
use super::status::gazette_status;
use gazette::appender::Appender;

/// Where an appender is in its life.
enum State {
    /// Accepting writes.
    Open(Box<Appender>),
    /// Committed or failed to commit.
    Closed,
    /// Rolled back by `gazette_appender_abort`.
    Aborted,
    /// A call timed out or the client closed: the transaction was rolled back.
    Lost(String),
}

/// One append transaction. One call at a time (it may move between
/// threads): a call made while another runs on another thread returns BUSY
/// at once and changes nothing. Free with `gazette_appender_free`.
pub struct gazette_appender {
    call: OneCall<Appending>,
}

/// What an appender's calls change, entered by one call at a time.
struct Appending {
    shared: Arc<Shared>,
    state: State,
    /// The committed span, once `gazette_appender_close` succeeded.
    commit: Option<Box<gazette_fragment>>,
}

/// Enters the appender behind `ptr` for one call (NULL_POINTER, BUSY).
///
/// # Safety
/// `ptr` must be NULL or a live appender.
unsafe fn enter<'a>(ptr: *const gazette_appender) -> Result<MutexGuard<'a, Appending>, FfiError> {
    handle_ref(ptr, "appender")?.call.enter("appender")
}

impl Appending {
    fn take_open(&mut self) -> Result<Box<Appender>, FfiError> {
        match std::mem::replace(&mut self.state, State::Closed) {
            State::Open(a) => Ok(a),
            other => {
                let why = match &other {
                    State::Closed => "the appender was already closed".to_owned(),
                    State::Aborted => "the appender was aborted".to_owned(),
                    State::Lost(why) => why.clone(),
                    State::Open(_) => unreachable!(),
                };
                self.state = other;
                Err(FfiError::new(gazette_status::InvalidState, why))
            }
        }
    }

    /// Runs `op` on the appender, putting it back when the call completes.
    fn run<F, Fut, T>(&mut self, timeout_ms: i32, op: F) -> Result<T, FfiError>
    where
        F: FnOnce(Box<Appender>) -> Fut,
        Fut: std::future::Future<Output = (Box<Appender>, Result<T, FfiError>)> + Send + 'static,
        T: Send + 'static,
    {
        self.shared.check()?;
        let app = self.take_open()?;
        let journal = app.request.journal.clone();
        let fut = op(app);
        match self.shared.call(timeout_ms, async move { Ok(fut.await) }) {
            Ok((app, result)) => {
                self.state = State::Open(app);
                result.map_err(|e| e.for_journal(&journal))
            }
            Err(e) => {
                self.state = State::Lost(format!(
                    "an earlier call ended without a result ({e}); the append was rolled back"
                ));
                Err(e)
            }
        }
    }
}

/// Starts an append transaction to `journal`, with options `opts` (copied;
/// may be NULL). Nothing is sent until the first write (or close). On
/// success writes `*out`.
///
/// Errors: NULL_POINTER, INVALID_UTF8, INVALID_ARGUMENT (bad journal name), CLOSED, FORKED.
#[no_mangle]
pub extern "C" fn gazette_appender_new(
    client: *const gazette_client,
    journal: *const c_char,
    journal_len: usize,
    opts: *const gazette_append_options,
    out: *mut *mut gazette_appender,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let shared = unsafe { client_shared(client) }?;
        let name = unsafe { journal_in(journal, journal_len) }?;
        let out = out_ptr(out, "out")?;
        shared.check()?;
        let request = request_for(name, opts);
        let app = Box::new(Appender::new(&shared.client, request));
        let handle = Box::new(gazette_appender {
            call: OneCall::new(Appending {
                shared,
                state: State::Open(app),
                commit: None,
            }),
        });
        // SAFETY: checked non-NULL above.
        unsafe { *out = Box::into_raw(handle) };
        Ok(gazette_status::Ok)
    })
}

/// Writes `len` bytes (copied before the call returns) to the transaction,
/// waiting up to `timeout_ms` for the broker to take them. Nothing is
/// visible to readers before `gazette_appender_close` succeeds.
///
/// Errors: NULL_POINTER, INVALID_STATE (closed, aborted, or an earlier call
/// timed out), TIMED_OUT (the transaction is then rolled back), CLOSED,
/// FORKED, BUSY (another thread's call is running on the appender), and
/// broker statuses when the broker rejected the append early
/// (JOURNAL_NOT_FOUND, NOT_ALLOWED, FRAGMENT_STORE_UNHEALTHY, ...).
#[no_mangle]
pub extern "C" fn gazette_appender_write(
    appender: *mut gazette_appender,
    data: *const u8,
    len: usize,
    timeout_ms: i32,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let mut guard = unsafe { enter(appender) }?;
        let a = &mut *guard;
        let data = unsafe { bytes_ref(data, len, "data") }?;
        Timeout::from_ms(timeout_ms)?;
        if let State::Open(app) = &mut a.state {
            // A small write that only needs buffering is taken here, on the
            // caller's thread (no runtime round trip, ~10 us before).
            a.shared.check()?;
            if data.is_empty() || app.try_write_buffered(data) {
                return Ok(gazette_status::Ok);
            }
        }
        let content = Bytes::copy_from_slice(data);
        a.run(timeout_ms, |mut app| async move {
            let r = app.write_bytes(content).await.map_err(FfiError::from);
            (app, r)
        })?;
        Ok(gazette_status::Ok)
    })
}

/// Commits the transaction, waiting up to `timeout_ms` for the broker's
/// answer. On success writes the journal offsets `[begin, end)` of the
/// committed content to `*begin` / `*end` (each may be NULL). Either way the
/// appender is finished; free it next.
///
/// Errors: as `gazette_appender_write`, plus WRONG_APPEND_OFFSET,
/// REGISTER_MISMATCH, INSUFFICIENT_JOURNAL_BROKERS, NO_JOURNAL_PRIMARY_BROKER,
/// NOT_JOURNAL_PRIMARY_BROKER, INVALID_RESPONSE.
#[no_mangle]
pub extern "C" fn gazette_appender_close(
    appender: *mut gazette_appender,
    timeout_ms: i32,
    begin: *mut i64,
    end: *mut i64,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let mut guard = unsafe { enter(appender) }?;
        let a = &mut *guard;
        let result = a.run(timeout_ms, |mut app| async move {
            let r = app.close().await.map_err(FfiError::from);
            let r = r.map(|()| app.response.clone());
            (app, r)
        });
        if matches!(a.state, State::Open(_)) {
            a.state = State::Closed;
        }
        let response = result?;
        write_commit(&response, begin, end);
        a.commit = response
            .commit
            .map(|spec| Box::new(gazette_fragment::from_spec(spec)));
        Ok(gazette_status::Ok)
    })
}

/// The commit fragment of a successfully closed appender: the journal span
/// `[begin, end)` of exactly this transaction's bytes, their SHA-1 sum and
/// the journal's codec, read with the `gazette_fragment_*` accessors (it has
/// no backing store or mod time: it is not persisted yet). NULL before a
/// successful `gazette_appender_close` (or for NULL, or while another
/// thread's call runs on the appender). Borrowed: never free it; valid
/// until the appender is freed.
#[no_mangle]
pub extern "C" fn gazette_appender_commit(
    appender: *const gazette_appender,
) -> *const gazette_fragment {
    ffi_boundary!({
        let Some(a) = opt_ref(appender).and_then(|a| a.call.try_enter()) else {
            return std::ptr::null();
        };
        // The box stays put until the appender is freed.
        a.commit
            .as_deref()
            .map_or(std::ptr::null(), |f| f as *const gazette_fragment)
    })
}

/// Rolls the transaction back: nothing written becomes visible. Waits up to
/// `timeout_ms` for the broker to acknowledge. Aborting a finished
/// appender does nothing. The appender must still be freed.
///
/// Errors: NULL_POINTER, INVALID_ARGUMENT (bad timeout), CLOSED, FORKED, TIMED_OUT, BUSY.
#[no_mangle]
pub extern "C" fn gazette_appender_abort(
    appender: *mut gazette_appender,
    timeout_ms: i32,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let mut guard = unsafe { enter(appender) }?;
        let a = &mut *guard;
        if !matches!(a.state, State::Open(_)) {
            return Ok(gazette_status::Ok);
        }
        let result = a.run(timeout_ms, |mut app| async move {
            app.abort().await;
            (app, Ok(()))
        });
        if matches!(a.state, State::Open(_)) {
            a.state = State::Aborted;
        }
        result?;
        Ok(gazette_status::Ok)
    })
}

/// Takes ownership of an appender and frees it. NULL is a no-op. An
/// unfinished transaction is rolled back. Safe from any thread.
#[no_mangle]
pub extern "C" fn gazette_appender_free(appender: *mut gazette_appender) {
    ffi_boundary!({
        if let Some(a) = take_box(appender) {
            let a = a.call.into_inner();
            if let State::Open(app) = a.state {
                if a.shared.is_forked() {
                    // The runtime's threads are gone in a fork child: touch nothing.
                    std::mem::forget(app);
                } else {
                    // Dropping ends the request stream without the commit
                    // message, so the broker rolls the transaction back.
                    drop(app);
                }
            }
        }
    })
}
