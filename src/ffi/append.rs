//! `gazette_append`: one whole append transaction in one call, retried
//! through transient failures. Wraps `client/append.rs`.

use std::ffi::c_char;
use std::sync::Arc;

use super::client::gazette_client;
use super::error::gazette_error;
use super::status::gazette_status;
use super::str::{bytes_in, handle_ref, str_in};
use crate::client::append::append;
use crate::protocol::{validate_journal_name, AppendRequest, AppendResponse};

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
/// Retries while the failure is transient (broker unavailable, no or wrong
/// primary, too few brokers) until `timeout_ms` expires, which cancels the
/// append (it may then have committed or not).
///
/// On success writes the journal offsets `[begin, end)` the content landed
/// at to `*begin` and `*end` (each may be NULL).
///
/// Errors: NULL_POINTER, INVALID_UTF8, INVALID_ARGUMENT (bad journal name),
/// JOURNAL_NOT_FOUND, NOT_ALLOWED, WRONG_APPEND_OFFSET,
/// FRAGMENT_STORE_UNHEALTHY, TIMED_OUT, CLOSED, FORKED, gRPC statuses.
#[no_mangle]
pub extern "C" fn gazette_append(
    client: *const gazette_client,
    journal: *const c_char,
    journal_len: usize,
    data: *const u8,
    data_len: usize,
    timeout_ms: i32,
    begin: *mut i64,
    end: *mut i64,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let shared = Arc::clone(&unsafe { handle_ref(client, "client") }?.shared);
        let name = unsafe { str_in(journal, journal_len, "journal") }?;
        let content = unsafe { bytes_in(data, data_len, "data") }?;
        validate_journal_name(&name)?;
        let c = shared.client.clone();
        let resp = shared.call(timeout_ms, async move {
            let request = AppendRequest {
                journal: name,
                ..Default::default()
            };
            let sources: Vec<&dyn crate::client::append::ContentSource> = if content.is_empty() {
                Vec::new()
            } else {
                vec![&content]
            };
            Ok(append(&c, request, &sources).await?)
        })?;
        write_commit(&resp, begin, end);
        Ok(gazette_status::Ok)
    })
}
