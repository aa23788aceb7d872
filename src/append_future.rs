//! `gazette_append_future`: the completion of an AppendService batch, read
//! by polling, waiting, a callback, or a completion queue. Wraps
//! `AppendFuture` of `client/async_append.rs`.

use std::ffi::{c_char, c_void, CString};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::thread::ThreadId;
use std::time::Duration;

use super::args::handle_ref;
use super::completion_queue::{gazette_cq, gazette_event, gazette_event_kind};
use super::error::{gazette_error, to_cstring, FfiError};
use super::runtime::Timeout;
use super::status::gazette_status;
use gazette::append_service::AppendFuture;
use gazette::Result;

/// A completion callback: `cb(userdata, future, status)`. `future` is the
/// handle the callback was set on, or NULL if that handle was freed before
/// the operation completed. See `gazette_append_future_set_callback`.
pub type gazette_append_callback = Option<
    extern "C" fn(
        userdata: *mut c_void,
        future: *mut gazette_append_future,
        status: gazette_status,
    ),
>;

/// The status and error of a finished operation.
pub(crate) fn outcome(result: &Result<()>) -> (gazette_status, Option<FfiError>) {
    match result {
        Ok(()) => (gazette_status::Ok, None),
        Err(e) => {
            let e = FfiError::from(e.clone());
            (e.status, Some(e))
        }
    }
}

/// Who may call back into the handle: guards freeing it against a callback
/// running on another thread.
#[derive(Default)]
struct Guard {
    /// The handle's address while it is alive.
    handle: Option<usize>,
    /// The thread running this handle's callback, if one is running.
    running_on: Option<ThreadId>,
}

#[derive(Default)]
struct Hooks {
    guard: Mutex<Guard>,
    done: Condvar,
    callback_set: Mutex<bool>,
    queue_set: Mutex<bool>,
}

impl Hooks {
    fn lock(&self) -> MutexGuard<'_, Guard> {
        self.guard.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The completion of an append batch (shared by every caller whose content
/// went into it). `poll`, `wait`, `status`, accessors, `set_callback` and
/// `set_queue` may be called from any thread, concurrently. Free with
/// `gazette_append_future_free`, which detaches: the append goes on.
pub struct gazette_append_future {
    future: AppendFuture,
    /// The journal as a C string, built on first request.
    journal: OnceLock<CString>,
    /// The error object of a failed completion, built on first request.
    error: OnceLock<Option<Box<gazette_error>>>,
    /// Made when a callback or queue is first set: a handle released per
    /// record costs one allocation, not four.
    hooks: OnceLock<Arc<Hooks>>,
}

impl gazette_append_future {
    /// A new handle on `future`, returned to C.
    pub(crate) fn boxed(future: AppendFuture) -> *mut gazette_append_future {
        Box::into_raw(Box::new(gazette_append_future {
            future,
            journal: OnceLock::new(),
            error: OnceLock::new(),
            hooks: OnceLock::new(),
        }))
    }

    /// The hooks, made on first use; they know this handle's (boxed,
    /// stable) address until it is freed.
    fn hooks(&self) -> &Arc<Hooks> {
        self.hooks.get_or_init(|| {
            let hooks = Arc::<Hooks>::default();
            hooks.lock().handle = Some(self as *const Self as usize);
            hooks
        })
    }

    pub(crate) fn future(&self) -> &AppendFuture {
        &self.future
    }

    fn finished(&self, result: Option<Result<()>>, timeout: Timeout) -> super::error::FfiResult {
        match result {
            None => Ok(timeout.expired_status()),
            Some(r) => match outcome(&r) {
                (_, None) => Ok(gazette_status::Ok),
                (_, Some(e)) => Err(e),
            },
        }
    }
}

/// Returns WOULD_BLOCK while the append is pending, then its final status:
/// OK once committed, or the error that failed it (written to `*err`).
///
/// Errors: NULL_POINTER, and any status an append can fail with
/// (CANCELLED after the service was cancelled, closed or freed).
#[no_mangle]
pub extern "C" fn gazette_append_future_poll(
    f: *const gazette_append_future,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let f = unsafe { handle_ref(f, "future") }?;
        f.finished(f.future.try_result(), Timeout::Poll)
    })
}

/// Waits up to `timeout_ms` (-1 forever, 0 not at all) for the append to
/// complete and returns its final status as `gazette_append_future_poll`
/// does; TIMED_OUT (WOULD_BLOCK for 0) if still pending. Do not call it
/// with a non-zero timeout from a callback.
///
/// Errors: NULL_POINTER, INVALID_ARGUMENT (bad timeout), append statuses.
#[no_mangle]
pub extern "C" fn gazette_append_future_wait(
    f: *const gazette_append_future,
    timeout_ms: i32,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let f = unsafe { handle_ref(f, "future") }?;
        let timeout = Timeout::from_ms(timeout_ms)?;
        let result = match timeout {
            Timeout::Forever => Some(f.future.wait_blocking()),
            Timeout::Poll => f.future.try_result(),
            Timeout::After(d) => f.future.wait_timeout(d),
        };
        f.finished(result, timeout)
    })
}

/// The final status without an error object: WOULD_BLOCK while pending,
/// NULL_POINTER for NULL.
#[no_mangle]
pub extern "C" fn gazette_append_future_status(f: *const gazette_append_future) -> gazette_status {
    ffi_boundary!({
        // SAFETY: NULL or a live future.
        match unsafe { f.as_ref() } {
            None => gazette_status::NullPointer,
            Some(f) => match f.future.try_result() {
                None => gazette_status::WouldBlock,
                Some(r) => outcome(&r).0,
            },
        }
    })
}

/// The error that failed the append, borrowed: valid until the future is
/// freed. NULL while pending, after success, and for a NULL future.
#[no_mangle]
pub extern "C" fn gazette_append_future_error(
    f: *const gazette_append_future,
) -> *const gazette_error {
    ffi_boundary!({
        // SAFETY: NULL or a live future.
        let Some(f) = (unsafe { f.as_ref() }) else {
            return std::ptr::null();
        };
        let Some(result) = f.future.try_result() else {
            return std::ptr::null();
        };
        let error = f
            .error
            .get_or_init(|| outcome(&result).1.map(|e| Box::new(e.into_object())));
        error
            .as_deref()
            .map_or(std::ptr::null(), |e| e as *const gazette_error)
    })
}

/// The journal appended to: NUL-terminated, valid until the future is freed
/// ("" for NULL).
#[no_mangle]
pub extern "C" fn gazette_append_future_journal(f: *const gazette_append_future) -> *const c_char {
    ffi_boundary!({
        // SAFETY: NULL or a live future.
        unsafe { f.as_ref() }.map_or(c"".as_ptr(), |f| {
            f.journal
                .get_or_init(|| to_cstring(f.future.request().journal.clone()))
                .as_ptr()
        })
    })
}

/// The number of the batch this future completes: futures with equal
/// numbers belong to appends batched into one RPC (they complete together,
/// with one commit span); numbers are unique in the process and never 0.
/// Returns 0 for NULL. Each release hands out its own handle (free each),
/// so a callback or queue can be set per append; this number tells which
/// of them share a batch.
#[no_mangle]
pub extern "C" fn gazette_append_future_batch(f: *const gazette_append_future) -> u64 {
    ffi_boundary!({
        // SAFETY: NULL or a live future.
        unsafe { f.as_ref() }.map_or(0, |f| f.future.batch_id())
    })
}

fn commit_span(f: *const gazette_append_future) -> Option<(i64, i64)> {
    // SAFETY: NULL or a live future.
    let f = unsafe { f.as_ref() }?;
    let commit = f.future.response()?.commit.as_ref()?;
    Some((commit.begin, commit.end))
}

/// The journal offset where the committed batch begins; -1 while pending,
/// after a failure, or for NULL. The caller's own bytes are a part of
/// `[begin, end)`, which spans every caller batched together.
#[no_mangle]
pub extern "C" fn gazette_append_future_commit_begin(f: *const gazette_append_future) -> i64 {
    ffi_boundary!({ commit_span(f).map_or(-1, |(b, _)| b) })
}

/// The journal offset where the committed batch ends (exclusive); -1 while
/// pending, after a failure, or for NULL.
#[no_mangle]
pub extern "C" fn gazette_append_future_commit_end(f: *const gazette_append_future) -> i64 {
    ffi_boundary!({ commit_span(f).map_or(-1, |(_, e)| e) })
}

/// Sets a callback run exactly once when the append completes, as
/// `cb(userdata, f, status)`: on a library thread, or synchronously inside
/// this call if the append already completed. Rules: return quickly, do not
/// block, do not call `*_wait` / `gazette_cq_next` with a non-zero timeout,
/// do not close the client, do not unwind. It may poll, read accessors and
/// free `f` (the handle it was given). If `f` is freed before completion
/// the callback still runs, with a NULL future; a free from another thread
/// waits for a running callback to return. `userdata` is the caller's.
/// At most one callback per handle.
///
/// Errors: NULL_POINTER (`f` or `cb`), INVALID_STATE (already set).
#[no_mangle]
pub extern "C" fn gazette_append_future_set_callback(
    f: *mut gazette_append_future,
    cb: gazette_append_callback,
    userdata: *mut c_void,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let handle = unsafe { handle_ref(f, "future") }?;
        let cb = cb.ok_or_else(|| FfiError::null("cb"))?;
        {
            let mut set = handle
                .hooks()
                .callback_set
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if *set {
                return Err(FfiError::new(
                    gazette_status::InvalidState,
                    "a callback is already set on this future",
                ));
            }
            *set = true;
        }
        let hooks = Arc::clone(handle.hooks());
        let userdata = userdata as usize;
        // A clone: the callback may free `handle` while `on_done` runs.
        let future = handle.future.clone();
        future.on_done(move |result| {
            let status = outcome(result).0;
            let me = std::thread::current().id();
            let target = {
                let mut guard = hooks.lock();
                guard.running_on = Some(me);
                guard.handle
            };
            let target = target.map_or(std::ptr::null_mut(), |p| p as *mut gazette_append_future);
            // A panic cannot come from C; unwinding out of C is the caller's UB.
            cb(userdata as *mut c_void, target, status);
            let mut guard = hooks.lock();
            guard.running_on = None;
            drop(guard);
            hooks.done.notify_all();
        });
        Ok(gazette_status::Ok)
    })
}

/// Posts one event `{tag, GAZETTE_EVENT_KIND_APPEND_DONE, status}` to `cq`
/// when the append completes (right away if it already has). The queue's
/// internals are kept alive by the future, so either may be freed first;
/// the event is posted even if `f` was freed. At most one queue per handle.
///
/// Errors: NULL_POINTER, INVALID_STATE (already set).
#[no_mangle]
pub extern "C" fn gazette_append_future_set_queue(
    f: *const gazette_append_future,
    cq: *const gazette_cq,
    tag: u64,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let f = unsafe { handle_ref(f, "future") }?;
        let queue = Arc::clone(&unsafe { handle_ref(cq, "cq") }?.queue);
        {
            let mut set = f
                .hooks()
                .queue_set
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if *set {
                return Err(FfiError::new(
                    gazette_status::InvalidState,
                    "a queue is already set on this future",
                ));
            }
            *set = true;
        }
        f.future.on_done(move |result| {
            queue.post(gazette_event {
                tag,
                kind: gazette_event_kind::AppendDone as i32,
                status: outcome(result).0 as i32,
            })
        });
        Ok(gazette_status::Ok)
    })
}

/// Takes ownership of a future handle and frees it. NULL is a no-op. The
/// append is not cancelled: it completes, runs its callback (with a NULL
/// future) and posts to its queue. Safe inside the handle's own callback,
/// and from any thread (it then waits for a running callback to return).
#[no_mangle]
pub extern "C" fn gazette_append_future_free(f: *mut gazette_append_future) {
    ffi_boundary!({
        if !f.is_null() {
            // SAFETY: created by this library, freed once.
            let f = unsafe { Box::from_raw(f) };
            // Without hooks no callback can know this handle: nothing to wait for.
            let Some(hooks) = f.hooks.get() else { return };
            let me = std::thread::current().id();
            let mut guard = hooks.lock();
            guard.handle = None;
            while guard.running_on.is_some_and(|t| t != me) {
                guard = hooks
                    .done
                    .wait_timeout(guard, Duration::from_millis(100))
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
            drop(guard);
        }
    })
}
