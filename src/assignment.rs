//! C API of `client::assignment`: waiting until a journal is assigned.

use std::ffi::c_char;
use std::time::Duration;

use super::args::journal_in;
use super::client::{client_shared, gazette_client};
use super::error::gazette_error;
use super::status::gazette_status;
use gazette::assignment::await_assignment;

/// Waits up to `timeout_ms` until `journal` has a primary broker.
///
/// A real broker assigns a journal some time after `gazette_apply` creates
/// it (about 100 ms, more under load) and again after its broker goes away.
/// Meanwhile an appender fails with NO_JOURNAL_PRIMARY_BROKER and a reader
/// with INSUFFICIENT_JOURNAL_BROKERS (`gazette_append` and the AppendService
/// retry by themselves). Call this after creating a journal and before
/// opening an appender or a reader on it. The route it finds is cached, so
/// the next RPC goes straight to the primary.
///
/// `timeout_ms`: -1 waits without bound, 0 checks once (WOULD_BLOCK if not
/// assigned yet).
///
/// Errors: NULL_POINTER, INVALID_UTF8, INVALID_ARGUMENT (bad name),
/// JOURNAL_DOES_NOT_EXIST, TIMED_OUT / WOULD_BLOCK, CLOSED, and the listing's
/// broker and transport errors.
#[no_mangle]
pub extern "C" fn gazette_client_await_assignment(
    client: *const gazette_client,
    journal: *const c_char,
    journal_len: usize,
    timeout_ms: i32,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let shared = unsafe { client_shared(client) }?;
        let name = unsafe { journal_in(journal, journal_len) }?;
        let c = shared.client.clone();
        // `call` bounds the wait by `timeout_ms`.
        shared.call(timeout_ms, async move {
            Ok(await_assignment(&c, &name, Duration::MAX).await?)
        })?;
        Ok(gazette_status::Ok)
    })
}
