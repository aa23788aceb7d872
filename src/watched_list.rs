//! `gazette_watched_list`: a journal listing kept current by a watching List
//! RPC (brokers v0.100 and later). Wraps the client's `watched_list.rs`.

use std::ffi::c_char;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{mpsc, watch};

use super::args::{handle_ref, out_ptr};
use super::client::{client_shared, gazette_client, Shared};
use super::error::{gazette_error, FfiError};
use super::label::selector_in;
use super::list::gazette_journal_list;
use super::ownership::take_box;
use super::runtime::{update_status, Timeout};
use super::status::gazette_status;
use gazette::protocol::{ListRequest, ListResponse};
use gazette::watched_list::WatchUpdate;
use gazette::WatchedList;

/// Failures buffered for `gazette_watched_list_wait_update`; more are
/// dropped (the watch keeps retrying, the next one is reported).
const FAILURES: usize = 16;

type Snapshots = watch::Receiver<Option<Arc<ListResponse>>>;

/// A listing kept current by a watch. Thread-safe: any function from any
/// thread. Free with `gazette_watched_list_free`, which stops the watch.
pub struct gazette_watched_list {
    shared: Arc<Shared>,
    list: WatchedList,
    /// Tracks which snapshot the caller has seen (by `_get`).
    seen: Mutex<Snapshots>,
    /// Watch failures not yet reported.
    failures: Arc<tokio::sync::Mutex<mpsc::Receiver<WatchUpdate>>>,
}

impl gazette_watched_list {
    fn seen(&self) -> MutexGuard<'_, Snapshots> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Starts watching the journals matching `selector` (as for
/// `gazette_list_journals`); returns at once and the first snapshot comes
/// later (see `gazette_watched_list_wait_update`). The watch resumes by
/// itself after failures, with back-off, from the last snapshot's revision.
/// Needs brokers of v0.100 or later: an older one answers one listing and
/// closes the stream, which each `wait_update` then reports as an error (use
/// `gazette_polled_list` with those). On success writes `*out`.
///
/// Errors: NULL_POINTER, INVALID_UTF8, INVALID_ARGUMENT (bad selector),
/// CLOSED, FORKED.
#[no_mangle]
pub extern "C" fn gazette_watched_list_new(
    client: *const gazette_client,
    selector: *const c_char,
    selector_len: usize,
    out: *mut *mut gazette_watched_list,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let shared = unsafe { client_shared(client) }?;
        let selector = unsafe { selector_in(selector, selector_len) }?;
        let out = out_ptr(out, "out")?;
        shared.check()?;
        let (tx, rx) = mpsc::channel(FAILURES);
        let list = {
            // The watch's task runs on the client's runtime.
            let _runtime = shared.handle().enter();
            let request = ListRequest {
                selector: Some(selector),
                ..Default::default()
            };
            WatchedList::new(&shared.client, request, Some(tx))
        };
        let seen = Mutex::new(list.subscribe());
        let handle = Box::new(gazette_watched_list {
            shared,
            list,
            seen,
            failures: Arc::new(tokio::sync::Mutex::new(rx)),
        });
        // SAFETY: checked non-NULL above.
        unsafe { *out = Box::into_raw(handle) };
        Ok(gazette_status::Ok)
    })
}

/// Waits up to `timeout_ms` (-1 forever, 0 not at all) until a snapshot
/// newer than the one last taken by `gazette_watched_list_get` is there (OK)
/// or the watch failed: then returns that failure (the watch goes on
/// retrying; the next call waits again). TIMED_OUT (WOULD_BLOCK for 0, both
/// flow statuses) if neither happened.
///
/// Errors: NULL_POINTER, INVALID_ARGUMENT (bad timeout), CLOSED, FORKED,
/// the watch's gRPC, broker and protocol errors.
#[no_mangle]
pub extern "C" fn gazette_watched_list_wait_update(
    wl: *const gazette_watched_list,
    timeout_ms: i32,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let wl = unsafe { handle_ref(wl, "wl") }?;
        let timeout = Timeout::from_ms(timeout_ms)?;
        wl.shared.check()?;
        // A clone keeps the seen version; waiting on it changes nothing.
        let mut snapshots = wl.seen().clone();
        if snapshots.has_changed().unwrap_or(false) {
            return Ok(gazette_status::Ok);
        }
        if let Ok(mut failures) = wl.failures.try_lock() {
            if let Ok(Err(e)) = failures.try_recv() {
                return Err(FfiError::from(e));
            }
        }
        if timeout == Timeout::Poll {
            return Ok(gazette_status::WouldBlock);
        }
        let failures = Arc::clone(&wl.failures);
        let result = wl.shared.call(timeout_ms, async move {
            let mut failures = failures.lock().await;
            loop {
                tokio::select! {
                    changed = snapshots.changed() => {
                        return changed.map_err(|_| FfiError::closed());
                    }
                    update = failures.recv() => match update {
                        Some(Err(e)) => return Err(FfiError::from(e)),
                        // A snapshot's signal: `snapshots` sees it too.
                        Some(Ok(())) => continue,
                        None => return Err(FfiError::closed()),
                    },
                }
            }
        });
        update_status(result)
    })
}

/// Writes to `*out` a new list (free with `gazette_journal_list_free`) of
/// the latest snapshot, marking it seen for `wait_update`; WOULD_BLOCK (a
/// flow status; `*out` untouched) before the first snapshot.
///
/// Errors: NULL_POINTER, CLOSED, FORKED.
#[no_mangle]
pub extern "C" fn gazette_watched_list_get(
    wl: *const gazette_watched_list,
    out: *mut *mut gazette_journal_list,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let wl = unsafe { handle_ref(wl, "wl") }?;
        let out = out_ptr(out, "out")?;
        wl.shared.check()?;
        let Some(snapshot) = wl.seen().borrow_and_update().clone() else {
            return Ok(gazette_status::WouldBlock);
        };
        let list = gazette_journal_list::from_journals(snapshot.journals.clone());
        // SAFETY: checked non-NULL above.
        unsafe { *out = Box::into_raw(Box::new(list)) };
        Ok(gazette_status::Ok)
    })
}

/// Takes ownership of a watched list, stops its watch and frees it. NULL
/// is a no-op. Any thread.
#[no_mangle]
pub extern "C" fn gazette_watched_list_free(wl: *mut gazette_watched_list) {
    ffi_boundary!({
        if let Some(wl) = take_box(wl) {
            if wl.shared.is_forked() {
                std::mem::forget(wl);
            } else {
                drop(wl.list);
            }
        }
    })
}
