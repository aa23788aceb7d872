//! `gazette_append`: one whole append transaction in one call, retried
//! through transient failures. Wraps `client/append.rs`.

use std::ffi::c_char;

use super::args::{bytes_in, handle_mut, handle_ref, journal_in, str_in};
use super::client::{client_shared, gazette_client};
use super::error::{gazette_error, FfiError};
use super::label::gazette_selector;
use super::ownership::{free_box, opt_ref};
use super::status::gazette_status;
use gazette::append::append;
use gazette::protocol::journal::{validate_label_name, validate_label_value};
use gazette::protocol::{AppendRequest, AppendResponse, Label};

/// Options of an append: an expected offset and register conditions and
/// updates. Not thread-safe while being changed; copied by the calls that
/// take it. Free with `gazette_append_options_free`.
#[derive(Clone, Default)]
pub struct gazette_append_options {
    pub(crate) request: AppendRequest,
}

/// The request of an append to `journal` with optional options.
pub(crate) fn request_for(journal: String, opts: *const gazette_append_options) -> AppendRequest {
    // SAFETY: NULL or live options, per the callers' contracts.
    let mut request = opt_ref(opts).map_or_else(AppendRequest::default, |o| o.request.clone());
    request.journal = journal;
    request
}

/// Creates append options with nothing set. Returns NULL only if allocation failed.
#[no_mangle]
pub extern "C" fn gazette_append_options_new() -> *mut gazette_append_options {
    ffi_boundary!({ Box::into_raw(Box::default()) })
}

/// Takes ownership of append options and frees them. NULL is a no-op.
#[no_mangle]
pub extern "C" fn gazette_append_options_free(opts: *mut gazette_append_options) {
    ffi_boundary!({
        free_box(opts);
    })
}

/// Requires the append to start exactly at journal offset `offset` (> 0),
/// else it fails with WRONG_APPEND_OFFSET; 0 removes the condition.
#[no_mangle]
pub extern "C" fn gazette_append_options_set_offset(
    opts: *mut gazette_append_options,
    offset: i64,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let opts = unsafe { handle_mut(opts, "opts") }?;
        if offset < 0 {
            return Err(FfiError::invalid(format!(
                "offset must be >= 0 (got {offset})"
            )));
        }
        opts.request.offset = offset;
        Ok(gazette_status::Ok)
    })
}

/// Requires the journal's registers to match `selector` (copied), else the
/// append fails with REGISTER_MISMATCH. Empty registers match any selector.
#[no_mangle]
pub extern "C" fn gazette_append_options_set_check_registers(
    opts: *mut gazette_append_options,
    selector: *const gazette_selector,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let opts = unsafe { handle_mut(opts, "opts") }?;
        let selector = unsafe { handle_ref(selector, "selector") }?;
        opts.request.check_registers = Some(selector.selector.clone());
        Ok(gazette_status::Ok)
    })
}

/// Adds `name=value` to the registers set on the journal when the append
/// commits (with `subtract` false), or removed from them (`subtract` true).
/// Register changes need at least one byte of content.
#[no_mangle]
pub extern "C" fn gazette_append_options_add_register(
    opts: *mut gazette_append_options,
    name: *const c_char,
    name_len: usize,
    value: *const c_char,
    value_len: usize,
    subtract: bool,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let opts = unsafe { handle_mut(opts, "opts") }?;
        let name = unsafe { str_in(name, name_len, "name") }?;
        let value = unsafe { str_in(value, value_len, "value") }?;
        validate_label_name(&name)?;
        validate_label_value(&value)?;
        let set = if subtract {
            &mut opts.request.subtract_registers
        } else {
            &mut opts.request.union_registers
        };
        set.get_or_insert_with(Default::default)
            .insert(Label::new(name, value));
        Ok(gazette_status::Ok)
    })
}

/// Writes the journal span of a committed append to the optional outputs.
pub(crate) fn write_commit(resp: &AppendResponse, begin: *mut i64, end: *mut i64) {
    let (b, e) = resp.commit.as_ref().map_or((0, 0), |c| (c.begin, c.end));
    // SAFETY: each pointer is NULL or writable, per the callers' contracts.
    unsafe {
        if let Some(p) = begin.as_mut() {
            *p = b;
        }
        if let Some(p) = end.as_mut() {
            *p = e;
        }
    }
}

/// Appends `len` bytes of `data` (copied; NULL with 0 makes an empty
/// append, a write barrier) to `journal` as one transaction: all or nothing.
/// `opts` (may be NULL) adds conditions and register updates.
/// Retries while the failure is transient (broker unavailable, no or wrong
/// primary, too few brokers) until `timeout_ms` expires, which cancels the
/// append (it may then have committed or not).
///
/// On success writes the journal offsets `[begin, end)` the content landed
/// at to `*begin` and `*end` (each may be NULL).
///
/// Errors: NULL_POINTER, INVALID_UTF8, INVALID_ARGUMENT (bad journal name),
/// JOURNAL_NOT_FOUND, NOT_ALLOWED, WRONG_APPEND_OFFSET, REGISTER_MISMATCH,
/// FRAGMENT_STORE_UNHEALTHY, TIMED_OUT, CLOSED, FORKED, gRPC statuses.
#[no_mangle]
pub extern "C" fn gazette_append(
    client: *const gazette_client,
    journal: *const c_char,
    journal_len: usize,
    data: *const u8,
    data_len: usize,
    opts: *const gazette_append_options,
    timeout_ms: i32,
    begin: *mut i64,
    end: *mut i64,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let shared = unsafe { client_shared(client) }?;
        let name = unsafe { journal_in(journal, journal_len) }?;
        let content = unsafe { bytes_in(data, data_len, "data") }?;
        let request = request_for(name.clone(), opts);
        let c = shared.client.clone();
        let resp = shared
            .call(timeout_ms, async move {
                let sources: Vec<&dyn gazette::append::ContentSource> = if content.is_empty() {
                    Vec::new()
                } else {
                    vec![&content]
                };
                Ok(append(&c, request, &sources).await?)
            })
            .map_err(|e| e.for_journal(&name))?;
        write_commit(&resp, begin, end);
        Ok(gazette_status::Ok)
    })
}
