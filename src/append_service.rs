//! `gazette_append_service`: batched, ordered, asynchronous appends. Wraps
//! the client's `append_service/`; the caller's side of one append is
//! `gazette_async_append` (`async_append.rs`), its completion a
//! `gazette_append_future` (`append_future.rs`).

use std::ffi::c_char;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::runtime::Handle;

use super::append::{gazette_append_options, request_for};
use super::args::{check_journal_name, handle_mut, handle_ref, out_ptr, str_in, str_ref};
use super::async_append::gazette_async_append;
use super::client::{client_shared, gazette_client, Shared};
use super::error::{gazette_error, FfiError};
use super::op_future::gazette_op_futures;
use super::runtime::{Timeout, Waited};
use super::status::gazette_status;
use gazette::append_service::{AppendService, AppendServiceConfig};
use gazette::op_future::OpFutures;

/// Settings of an append service. Not thread-safe while being changed;
/// copied by `gazette_append_service_new`. Free with
/// `gazette_append_service_options_free`.
#[derive(Default)]
pub struct gazette_append_service_options {
    config: AppendServiceConfig,
}

/// Creates service options with the defaults (64 MiB batches, 8 KiB of
/// memory before each spill file, 16 idle spill files kept). Returns NULL
/// only if allocation failed.
#[no_mangle]
pub extern "C" fn gazette_append_service_options_new() -> *mut gazette_append_service_options {
    ffi_boundary!({ Box::into_raw(Box::default()) })
}

/// Takes ownership of service options and frees them. NULL is a no-op.
#[no_mangle]
pub extern "C" fn gazette_append_service_options_free(opts: *mut gazette_append_service_options) {
    ffi_boundary!({
        if !opts.is_null() {
            // SAFETY: created by `gazette_append_service_options_new`, freed once.
            drop(unsafe { Box::from_raw(opts) });
        }
    })
}

/// Sets the batch size cutoff: a batch holding more than `bytes` (> 0)
/// takes no further appends.
///
/// Errors: NULL_POINTER, INVALID_ARGUMENT (0).
#[no_mangle]
pub extern "C" fn gazette_append_service_options_set_size_cutoff(
    opts: *mut gazette_append_service_options,
    bytes: u64,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let opts = unsafe { handle_mut(opts, "opts") }?;
        if bytes == 0 {
            return Err(FfiError::invalid("size cutoff must be > 0"));
        }
        opts.config.size_cutoff = bytes;
        Ok(gazette_status::Ok)
    })
}

/// Sets the bytes of memory in front of each batch's spill file (> 0).
///
/// Errors: NULL_POINTER, INVALID_ARGUMENT (0).
#[no_mangle]
pub extern "C" fn gazette_append_service_options_set_buffer_size(
    opts: *mut gazette_append_service_options,
    bytes: usize,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let opts = unsafe { handle_mut(opts, "opts") }?;
        if bytes == 0 {
            return Err(FfiError::invalid("buffer size must be > 0"));
        }
        opts.config.buffer_size = bytes;
        Ok(gazette_status::Ok)
    })
}

/// Sets the directory of the batches' spill files (unlinked temporary
/// files; `(path, len)` is UTF-8, copied; empty: the system's temporary
/// directory, the default). Nothing is checked until a batch needs a file:
/// if the directory can't take one (missing, not a directory, full), the
/// appends needing it fail with FRAGMENT_IO, the message naming the
/// directory, and later appends try again.
///
/// Errors: NULL_POINTER, INVALID_UTF8.
#[no_mangle]
pub extern "C" fn gazette_append_service_options_set_spill_dir(
    opts: *mut gazette_append_service_options,
    path: *const c_char,
    len: usize,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let opts = unsafe { handle_mut(opts, "opts") }?;
        let path = unsafe { str_in(path, len, "path") }?;
        opts.config.spill_dir = (!path.is_empty()).then(|| std::path::PathBuf::from(path));
        Ok(gazette_status::Ok)
    })
}

/// An append service. Thread-safe: any function from any thread,
/// concurrently. Create with `gazette_append_service_new`, free with
/// `gazette_append_service_free`.
pub struct gazette_append_service {
    shared: Arc<Shared>,
    service: AppendService,
    /// Set by close: later starts fail with CLOSED.
    closed: AtomicBool,
}

impl gazette_append_service {
    fn check(&self) -> Result<(), FfiError> {
        self.shared.check()?;
        if self.closed.load(Ordering::SeqCst) {
            return Err(FfiError::new(
                gazette_status::Closed,
                "the append service is closed",
            ));
        }
        Ok(())
    }
}

/// Creates an append service on `client` with options `opts` (copied; may
/// be NULL for the defaults). Appends to one journal commit in the order
/// they were started; appends with identical options are batched into
/// shared RPCs; batches wait in temporary files while brokers are away. On
/// success writes `*out`.
///
/// Errors: NULL_POINTER, CLOSED, FORKED.
#[no_mangle]
pub extern "C" fn gazette_append_service_new(
    client: *const gazette_client,
    opts: *const gazette_append_service_options,
    out: *mut *mut gazette_append_service,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let shared = unsafe { client_shared(client) }?;
        let out = out_ptr(out, "out")?;
        shared.check()?;
        // SAFETY: NULL or live options.
        let mut config =
            unsafe { opts.as_ref() }.map_or_else(Default::default, |o| o.config.clone());
        config.runtime = Some(shared.handle().clone());
        let service = AppendService::with_config(shared.client.clone(), config);
        let svc = Box::new(gazette_append_service {
            shared,
            service,
            closed: AtomicBool::new(false),
        });
        // SAFETY: checked non-NULL above.
        unsafe { *out = Box::into_raw(svc) };
        Ok(gazette_status::Ok)
    })
}

/// Starts an append to `journal` with options `opts` (copied; may be NULL)
/// that is dispatched only after every operation of `deps` (copied; may be
/// NULL) succeeded; if one fails, this append fails with DEPENDENCY_FAILED.
/// Waits up to `timeout_ms` for exclusive write access to the journal's
/// newest batch, which the returned `*out` holds until released: write,
/// then release promptly, since other appends to the journal wait for it.
///
/// Errors: NULL_POINTER, INVALID_UTF8, INVALID_ARGUMENT (bad journal name or
/// timeout), TIMED_OUT / WOULD_BLOCK (as errors), CLOSED, FORKED.
#[no_mangle]
pub extern "C" fn gazette_append_service_start(
    svc: *const gazette_append_service,
    journal: *const c_char,
    journal_len: usize,
    opts: *const gazette_append_options,
    deps: *const gazette_op_futures,
    timeout_ms: i32,
    out: *mut *mut gazette_async_append,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let svc = unsafe { handle_ref(svc, "svc") }?;
        let name = unsafe { str_ref(journal, journal_len, "journal") }?;
        let out = out_ptr(out, "out")?;
        svc.check()?;
        let timeout = Timeout::from_ms(timeout_ms)?;
        // SAFETY: NULL or live options and set, per the contract.
        let (options, deps) = unsafe { (opts.as_ref(), deps.as_ref()) };
        let options = options.map(|o| &o.request);
        let no_deps;
        let deps = match deps {
            Some(d) => &d.set,
            None => {
                no_deps = OpFutures::new();
                &no_deps
            }
        };
        // Fast path: the batch is free, so take it here, on the caller's
        // thread, with no round trip through the runtime and no copy of the
        // name or options. Only a contended batch waits there, where the
        // timeout can be honoured. The name is checked when its chain is
        // made: a live chain's name was checked (every chain of this
        // service starts here), so joining one skips the check.
        let started = svc
            .service
            .try_start_append_checked(name, options, deps, || check_journal_name(name));
        let append = match started? {
            Some(append) => append,
            None if timeout == Timeout::Poll => {
                return Err(FfiError::new(
                    gazette_status::WouldBlock,
                    "the journal's batch is held by another writer",
                ))
            }
            // Waiting forever on a plain thread: park it on the chain's lock
            // here (as the Rust API's blocking start does) rather than hop
            // through the runtime, which costs two thread wake-ups per start
            // when threads contend for a journal.
            None if timeout == Timeout::Forever && Handle::try_current().is_err() => svc
                .service
                .start_append_blocking(request_for(name.to_string(), opts), deps.clone()),
            None => {
                let service = svc.service.clone();
                let request = request_for(name.to_string(), opts);
                let deps = deps.clone();
                svc.shared.call(timeout_ms, async move {
                    Ok(service.start_append(request, deps).await)
                })?
            }
        };
        let handle = gazette_async_append::boxed(&svc.shared, append);
        // SAFETY: checked non-NULL above.
        unsafe { *out = handle };
        Ok(gazette_status::Ok)
    })
}

/// Writes to `*out` a new set (free with `gazette_op_futures_free`) holding
/// every pending append of journals other than `journal` (all journals if
/// `journal_len` is 0), plus a failed operation for each such journal whose
/// appends now fail. Depending on it makes a barrier: the next append
/// starts only after everything pending elsewhere committed.
///
/// Errors: NULL_POINTER, INVALID_UTF8, INVALID_ARGUMENT (bad journal name).
#[no_mangle]
pub extern "C" fn gazette_append_service_pending_except(
    svc: *const gazette_append_service,
    journal: *const c_char,
    journal_len: usize,
    out: *mut *mut gazette_op_futures,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let svc = unsafe { handle_ref(svc, "svc") }?;
        let name = unsafe { str_in(journal, journal_len, "journal") }?;
        let out = out_ptr(out, "out")?;
        if !name.is_empty() {
            check_journal_name(&name)?;
        }
        let set = svc.service.pending_except(&name);
        // SAFETY: checked non-NULL above.
        unsafe { *out = Box::into_raw(Box::new(gazette_op_futures { set })) };
        Ok(gazette_status::Ok)
    })
}

/// Cancels the service: pending appends complete with CANCELLED (their
/// dependants with DEPENDENCY_FAILED) and later appends fail at once.
/// Idempotent; NULL is a no-op. Any thread.
#[no_mangle]
pub extern "C" fn gazette_append_service_cancel(svc: *const gazette_append_service) {
    ffi_boundary!({
        // SAFETY: NULL or a live service.
        if let Some(svc) = unsafe { svc.as_ref() } {
            svc.service.cancel();
        }
    })
}

/// Closes the service: later starts fail with CLOSED; waits up to
/// `timeout_ms` (-1 forever, 0 not at all) for pending appends to commit,
/// then cancels the rest, and returns once every append has completed
/// (each exactly once). Returns OK if everything committed in time, else
/// CANCELLED (a flow status, no error object). A caller still holding a
/// `gazette_async_append` of this service delays the return until it
/// releases or frees it. The service must still be freed. Do not call it
/// from a callback (it waits).
///
/// Errors: NULL_POINTER, INVALID_ARGUMENT (bad timeout), CLOSED (the client
/// closed meanwhile; pending appends were cancelled), FORKED.
#[no_mangle]
pub extern "C" fn gazette_append_service_close(
    svc: *const gazette_append_service,
    timeout_ms: i32,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let svc = unsafe { handle_ref(svc, "svc") }?;
        let wait = match Timeout::from_ms(timeout_ms)? {
            // A year stands for "forever" without overflowing deadline arithmetic.
            Timeout::Forever => Duration::from_secs(365 * 24 * 3600),
            Timeout::Poll => Duration::ZERO,
            Timeout::After(d) => d,
        };
        svc.closed.store(true, Ordering::SeqCst);
        if let Err(e) = svc.shared.check() {
            svc.service.cancel();
            return Err(e);
        }
        let service = svc.service.clone();
        let pending = svc
            .shared
            .spawn(async move { Ok(service.close(wait).await) })?;
        match pending.wait(Timeout::Forever) {
            Waited::Done(Ok(Ok(()))) => Ok(gazette_status::Ok),
            Waited::Done(Ok(Err(_))) => Ok(gazette_status::Cancelled),
            Waited::Done(Err(e)) => {
                svc.service.cancel();
                Err(e)
            }
            Waited::Expired | Waited::Gone => {
                svc.service.cancel();
                Err(svc.shared.gone())
            }
        }
    })
}

/// Takes ownership of a service and frees it. NULL is a no-op. Pending
/// appends are cancelled and complete with CANCELLED (callbacks run, queue
/// events are posted); futures stay valid until freed. Any thread.
#[no_mangle]
pub extern "C" fn gazette_append_service_free(svc: *mut gazette_append_service) {
    ffi_boundary!({
        if !svc.is_null() {
            // SAFETY: created by `gazette_append_service_new`, freed once.
            let svc = unsafe { Box::from_raw(svc) };
            if svc.shared.is_forked() {
                // The runtime's threads are gone in a fork child: touch nothing.
                std::mem::forget(svc);
                return;
            }
            svc.service.cancel();
        }
    })
}
