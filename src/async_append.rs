//! `gazette_async_append`: one caller's write access to a journal's newest
//! AppendService batch, from `gazette_append_service_start` until released.
//! Wraps `AsyncAppend` of `client/async_append.rs`.

use std::ffi::c_char;
use std::io::Write;

use super::append_future::gazette_append_future;
use super::args::{bytes_ref, handle_ref, out_ptr, str_in};
use super::client::{forked, Shared};
use super::error::{gazette_error, FfiError};
use super::fork;
use super::one_call::OneCall;
use super::status::gazette_status;
use gazette::append_service::AsyncAppend;
use gazette::Error;

/// Write access to a batch. One call at a time (it may move between
/// threads): a write or require made while another runs on another thread
/// returns BUSY at once and changes nothing. Ends with
/// `gazette_async_append_release` (commit) or `gazette_async_append_free`
/// (roll back); each takes ownership.
pub struct gazette_async_append {
    /// The client's fork generation (not the client: one less shared
    /// reference count touched per append).
    fork_gen: u32,
    call: OneCall<Writing>,
}

/// What the write calls change, entered by one call at a time.
struct Writing {
    inner: AsyncAppend,
    /// The first error the caller required: release rolls back and returns it.
    required: Option<FfiError>,
}

impl gazette_async_append {
    pub(crate) fn boxed(shared: &Shared, inner: AsyncAppend) -> *mut gazette_async_append {
        Box::into_raw(Box::new(gazette_async_append {
            fork_gen: shared.fork_generation(),
            call: OneCall::new(Writing {
                inner,
                required: None,
            }),
        }))
    }
}

/// Writes `len` bytes of `data` (copied before the call returns) to the
/// batch. Bytes go to memory, then to a temporary file, on this thread; the
/// broker sees them after release. A failed write (FRAGMENT_IO) makes
/// release fail too.
///
/// Errors: NULL_POINTER, FRAGMENT_IO (the spill file could not be written),
/// BUSY.
#[no_mangle]
pub extern "C" fn gazette_async_append_write(
    aa: *mut gazette_async_append,
    data: *const u8,
    len: usize,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let mut aa = unsafe { handle_ref(aa, "aa") }?
            .call
            .enter("async append")?;
        let data = unsafe { bytes_ref(data, len, "data") }?;
        aa.inner
            .write_all(data)
            .map_err(|e| FfiError::from(Error::from(e)))?;
        Ok(gazette_status::Ok)
    })
}

/// Records a failure of the caller's own (e.g. encoding a record failed
/// half-way): `status` (not OK) and the message `(message, len)` (UTF-8,
/// copied). The first one is kept; release then rolls back exactly this
/// caller's bytes and returns it, while the batch goes on with others'.
///
/// Errors: NULL_POINTER, INVALID_UTF8, INVALID_ARGUMENT (status OK), BUSY.
#[no_mangle]
pub extern "C" fn gazette_async_append_require(
    aa: *mut gazette_async_append,
    status: gazette_status,
    message: *const c_char,
    message_len: usize,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let mut guard = unsafe { handle_ref(aa, "aa") }?
            .call
            .enter("async append")?;
        let aa = &mut *guard;
        let message = unsafe { str_in(message, message_len, "message") }?;
        if status == gazette_status::Ok {
            return Err(FfiError::invalid("require needs a failure status, not OK"));
        }
        if aa.required.is_none() {
            aa.inner
                .require(Err::<(), _>(Error::InvalidArgument(message.clone())));
            aa.required = Some(FfiError::new(status, message));
        }
        Ok(gazette_status::Ok)
    })
}

/// Takes ownership of `aa` and ends the write access. If a required error
/// or a write error is set, rolls back this caller's bytes and returns that
/// error. Otherwise the bytes are queued for the batch's RPC and `*out`
/// receives a new handle on the batch's future (free with
/// `gazette_append_future_free`): one handle per release, so callbacks and
/// queues stay per append, while `gazette_append_future_batch` tells which
/// appends share a batch (and complete together, in one RPC). `aa` is freed in every case, also when
/// `out` is NULL (which rolls back).
///
/// Errors: NULL_POINTER, the required status, FRAGMENT_IO, CANCELLED (the
/// service was cancelled), the journal's earlier terminal error.
#[no_mangle]
pub extern "C" fn gazette_async_append_release(
    aa: *mut gazette_async_append,
    out: *mut *mut gazette_append_future,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        if aa.is_null() {
            return Err(FfiError::null("aa"));
        }
        // SAFETY: created by `gazette_append_service_start`, consumed once.
        let aa = unsafe { Box::from_raw(aa) };
        let out = out_ptr(out, "out")?;
        let gazette_async_append { fork_gen, call } = *aa;
        let Writing { inner, required } = call.into_inner();
        if fork::forked_since(fork_gen) {
            std::mem::forget(inner);
            return Err(forked());
        }
        match inner.release() {
            Ok(future) => {
                // SAFETY: checked non-NULL above.
                unsafe { *out = gazette_append_future::boxed(future) };
                Ok(gazette_status::Ok)
            }
            Err(e) => Err(required.unwrap_or_else(|| FfiError::from(e))),
        }
    })
}

/// Takes ownership of `aa` and frees it, rolling back its bytes (the batch
/// goes on with other callers' content). NULL is a no-op. Any thread.
#[no_mangle]
pub extern "C" fn gazette_async_append_free(aa: *mut gazette_async_append) {
    ffi_boundary!({
        if !aa.is_null() {
            // SAFETY: created by `gazette_append_service_start`, freed once.
            let aa = unsafe { Box::from_raw(aa) };
            if fork::forked_since(aa.fork_gen) {
                std::mem::forget(aa);
            }
        }
    })
}
