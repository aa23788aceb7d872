//! `gazette_polled_list`: a journal listing refreshed in the background.
//! Wraps `client/polled_list.rs`.

use std::ffi::c_char;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::watch;

use super::args::{handle_ref, out_ptr};
use super::client::{client_shared, gazette_client, Shared};
use super::error::{gazette_error, FfiError};
use super::label::selector_in;
use super::list::gazette_journal_list;
use super::ownership::take_box;
use super::runtime::update_status;
use super::status::gazette_status;
use gazette::protocol::{ListRequest, ListResponse};
use gazette::PolledList;

/// A listing kept fresh by re-listing every interval. Thread-safe: any
/// function from any thread; concurrent `wait_update` calls each see the
/// same updates. Free with `gazette_polled_list_free`, which stops it.
pub struct gazette_polled_list {
    shared: Arc<Shared>,
    list: PolledList,
    /// Tracks which snapshot the caller has seen (by `_get`).
    seen: Mutex<watch::Receiver<Arc<ListResponse>>>,
}

impl gazette_polled_list {
    fn seen(&self) -> MutexGuard<'_, watch::Receiver<Arc<ListResponse>>> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Lists the journals matching `selector` (as for `gazette_list_journals`)
/// once, waiting up to `timeout_ms`, then re-lists every `interval_ms` (> 0)
/// in the background; a failed refresh keeps the previous listing. On
/// success writes `*out`. The first `gazette_polled_list_wait_update`
/// reports the initial listing at once.
///
/// Errors: NULL_POINTER, INVALID_UTF8, INVALID_ARGUMENT (bad selector or
/// interval), TIMED_OUT, CLOSED, FORKED, gRPC and broker statuses.
#[no_mangle]
pub extern "C" fn gazette_polled_list_new(
    client: *const gazette_client,
    selector: *const c_char,
    selector_len: usize,
    interval_ms: i32,
    timeout_ms: i32,
    out: *mut *mut gazette_polled_list,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let shared = unsafe { client_shared(client) }?;
        let selector = unsafe { selector_in(selector, selector_len) }?;
        let out = out_ptr(out, "out")?;
        if interval_ms <= 0 {
            return Err(FfiError::invalid(format!(
                "interval_ms must be > 0 (got {interval_ms})"
            )));
        }
        let interval = Duration::from_millis(interval_ms as u64);
        let c = shared.client.clone();
        let list = shared.call(timeout_ms, async move {
            let req = ListRequest {
                selector: Some(selector),
                ..Default::default()
            };
            Ok(PolledList::new(&c, interval, req).await?)
        })?;
        let seen = Mutex::new(list.updates());
        let handle = Box::new(gazette_polled_list { shared, list, seen });
        // SAFETY: checked non-NULL above.
        unsafe { *out = Box::into_raw(handle) };
        Ok(gazette_status::Ok)
    })
}

/// Waits up to `timeout_ms` (-1 forever, 0 not at all) until a listing
/// newer than the one last taken by `gazette_polled_list_get` is there:
/// OK then, TIMED_OUT (WOULD_BLOCK for 0, both flow statuses) if none came.
/// Every refresh counts as an update, changed or not.
///
/// Errors: NULL_POINTER, INVALID_ARGUMENT (bad timeout), CLOSED, FORKED.
#[no_mangle]
pub extern "C" fn gazette_polled_list_wait_update(
    pl: *const gazette_polled_list,
    timeout_ms: i32,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let pl = unsafe { handle_ref(pl, "pl") }?;
        // A clone keeps the seen version; waiting on it changes nothing.
        let mut rx = pl.seen().clone();
        if rx.has_changed().unwrap_or(false) {
            return Ok(gazette_status::Ok);
        }
        let result = pl.shared.call(timeout_ms, async move {
            rx.changed().await.map_err(|_| FfiError::closed())
        });
        update_status(result)
    })
}

/// Writes to `*out` a new list (free with `gazette_journal_list_free`) of
/// the latest listing, marking it seen for `gazette_polled_list_wait_update`.
///
/// Errors: NULL_POINTER, CLOSED, FORKED.
#[no_mangle]
pub extern "C" fn gazette_polled_list_get(
    pl: *const gazette_polled_list,
    out: *mut *mut gazette_journal_list,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let pl = unsafe { handle_ref(pl, "pl") }?;
        let out = out_ptr(out, "out")?;
        pl.shared.check()?;
        let snapshot = pl.seen().borrow_and_update().clone();
        let list = gazette_journal_list::from_journals(snapshot.journals.clone());
        // SAFETY: checked non-NULL above.
        unsafe { *out = Box::into_raw(Box::new(list)) };
        Ok(gazette_status::Ok)
    })
}

/// Takes ownership of a polled list, stops its refreshing and frees it.
/// NULL is a no-op. Any thread.
#[no_mangle]
pub extern "C" fn gazette_polled_list_free(pl: *mut gazette_polled_list) {
    ffi_boundary!({
        if let Some(pl) = take_box(pl) {
            if pl.shared.is_forked() {
                std::mem::forget(pl);
            } else {
                drop(pl.list);
            }
        }
    })
}
