//! `gazette_retry_reader`: reads a journal across Read RPCs, retrying what
//! Gazette's client retries (broker restarts, route changes, transport
//! errors, ends of fragments). Wraps `client/retry_reader.rs`; the waiting
//! machinery is the reader's (`reader.rs`).

use std::ffi::c_char;
use std::sync::Arc;

use super::args::{handle_ref, out_ptr};
use super::client::{client_shared, gazette_client};
use super::completion_queue::gazette_cq;
use super::error::gazette_error;
use super::list::gazette_fragment;
use super::ownership::{opt_ref, take_box, with_ref};
use super::read_core::{read_request, ReadCore};
use super::read_options::gazette_read_options;
use super::status::gazette_status;
use gazette::retry_reader::RetryReader;

/// A retrying reader of one journal. One call at a time (it may move
/// between threads): a call made while another runs on another thread
/// returns BUSY at once and changes nothing (the accessors answer -1 or
/// NULL), but `gazette_retry_reader_cancel` may come from any thread at any
/// time. Free with `gazette_retry_reader_free`.
pub struct gazette_retry_reader {
    core: ReadCore,
}

/// Opens a retrying reader of `journal` with the request options `opts`
/// (copied; NULL: the defaults), as for `gazette_reader_new`. Unlike a
/// plain reader it goes on across RPCs and fragments, retrying transient
/// failures with back-off; it returns OFFSET_NOT_YET_AVAILABLE
/// (non-blocking reads at the write head), OFFSET_JUMP, END_OF_STREAM (at
/// the end offset, or after each metadata-only answer), CANCELLED,
/// JOURNAL_NOT_FOUND (after a few tries) and SUSPENDED, and stays usable
/// after each. On success writes `*out`.
///
/// Errors: NULL_POINTER, INVALID_UTF8, INVALID_ARGUMENT, CLOSED, FORKED.
#[no_mangle]
pub extern "C" fn gazette_retry_reader_new(
    client: *const gazette_client,
    journal: *const c_char,
    journal_len: usize,
    opts: *const gazette_read_options,
    out: *mut *mut gazette_retry_reader,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let shared = unsafe { client_shared(client) }?;
        let out = out_ptr(out, "out")?;
        let request = read_request(journal, journal_len, opts)?;
        shared.check()?;
        let reader = RetryReader::new(&shared.client, request);
        let cancel = reader.cancel_handle();
        let handle = Box::new(gazette_retry_reader {
            core: ReadCore::new(
                shared,
                Box::new(reader),
                true,
                Box::new(move || cancel.cancel()),
            ),
        });
        // SAFETY: checked non-NULL above.
        unsafe { *out = Box::into_raw(handle) };
        Ok(gazette_status::Ok)
    })
}

/// Copies up to `cap` next bytes into `buf`; as `gazette_reader_read`,
/// except that errors other than a lost reader leave it usable. A broker
/// that keeps breaking the Read protocol at the same offset is retried
/// three times, then INVALID_RESPONSE is returned; MESSAGE_TOO_LARGE is
/// returned at once.
#[no_mangle]
pub extern "C" fn gazette_retry_reader_read(
    reader: *const gazette_retry_reader,
    buf: *mut u8,
    cap: usize,
    timeout_ms: i32,
    n: *mut usize,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let r = unsafe { handle_ref(reader, "reader") }?;
        r.core.read(buf, cap, timeout_ms, n)
    })
}

/// Lends the next chunk without copying, valid until the next call on this
/// reader or its free; as `gazette_reader_next`.
#[no_mangle]
pub extern "C" fn gazette_retry_reader_next(
    reader: *const gazette_retry_reader,
    timeout_ms: i32,
    data: *mut *const u8,
    len: *mut usize,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let r = unsafe { handle_ref(reader, "reader") }?;
        r.core.lend(timeout_ms, data, len)
    })
}

/// Moves the next read to journal offset `offset` (>= 0), anywhere: within
/// received bytes or an open fragment it discards, otherwise it restarts
/// the RPC there (which also clears a cancellation). A read in flight is
/// waited for up to `timeout_ms` first (TIMED_OUT leaves everything as it
/// was; cancel the reader to stop a blocked read).
///
/// Errors: NULL_POINTER, INVALID_ARGUMENT, CLOSED, FORKED, BUSY.
#[no_mangle]
pub extern "C" fn gazette_retry_reader_seek(
    reader: *const gazette_retry_reader,
    offset: i64,
    timeout_ms: i32,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let r = unsafe { handle_ref(reader, "reader") }?;
        r.core.seek(offset, timeout_ms)
    })
}

/// The journal offset of the next byte the caller will get (-1 for NULL,
/// or while another thread's call runs on the reader).
#[no_mangle]
pub extern "C" fn gazette_retry_reader_offset(reader: *const gazette_retry_reader) -> i64 {
    ffi_boundary!({ with_ref(reader, -1, |r| r.core.offset()) })
}

/// The write head last reported by a broker, or -1 (also for NULL, or while
/// another thread's call runs on the reader).
#[no_mangle]
pub extern "C" fn gazette_retry_reader_write_head(reader: *const gazette_retry_reader) -> i64 {
    ffi_boundary!({ with_ref(reader, -1, |r| r.core.write_head()) })
}

/// The current fragment, borrowed until the next read, seek or free of
/// this reader, or NULL before any; as `gazette_reader_fragment`.
#[no_mangle]
pub extern "C" fn gazette_retry_reader_fragment(
    reader: *const gazette_retry_reader,
) -> *const gazette_fragment {
    ffi_boundary!({ with_ref(reader, std::ptr::null(), |r| r.core.fragment()) })
}

/// The current fragment's URL, empty if none; as
/// `gazette_reader_fragment_url`.
#[no_mangle]
pub extern "C" fn gazette_retry_reader_fragment_url(
    reader: *const gazette_retry_reader,
) -> *const c_char {
    ffi_boundary!({ with_ref(reader, c"".as_ptr(), |r| r.core.fragment_url()) })
}

/// Arms the retry reader for an event loop: one READ_READY event to `cq`
/// once a read with timeout 0 would not return WOULD_BLOCK; as
/// `gazette_reader_arm`.
///
/// Errors: NULL_POINTER, CLOSED, FORKED, BUSY.
#[no_mangle]
pub extern "C" fn gazette_retry_reader_arm(
    reader: *const gazette_retry_reader,
    cq: *const gazette_cq,
    tag: u64,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let r = unsafe { handle_ref(reader, "reader") }?;
        let queue = Arc::clone(&unsafe { handle_ref(cq, "cq") }?.queue);
        r.core.arm(queue, tag)
    })
}

/// Cancels the current read from any thread: a blocked read returns
/// CANCELLED promptly, as do later reads until `gazette_retry_reader_seek`.
/// NULL is a no-op.
#[no_mangle]
pub extern "C" fn gazette_retry_reader_cancel(reader: *const gazette_retry_reader) {
    ffi_boundary!({
        if let Some(r) = opt_ref(reader) {
            r.core.cancel();
        }
    })
}

/// Takes ownership of a retry reader and frees it. NULL is a no-op. Not
/// concurrently with another call on it (cancel first).
#[no_mangle]
pub extern "C" fn gazette_retry_reader_free(reader: *mut gazette_retry_reader) {
    ffi_boundary!({
        if let Some(r) = take_box(reader) {
            r.core.close();
        }
    })
}
