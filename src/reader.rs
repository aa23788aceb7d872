//! `gazette_reader`: one Read RPC of a journal, read with timeouts into a
//! caller buffer or lent chunk by chunk without a copy. Wraps the client's
//! `reader.rs`, through the machinery it shares with `gazette_retry_reader`
//! (`read_core.rs`).

use std::ffi::c_char;
use std::sync::Arc;

use super::args::{handle_ref, out_ptr};
use super::client::{client_shared, gazette_client};
use super::completion_queue::gazette_cq;
use super::error::gazette_error;
use super::list::gazette_fragment;
use super::read_core::{read_request, ReadCore};
use super::read_options::gazette_read_options;
use super::status::gazette_status;
use gazette::reader::{ReadContext, Reader};
use tokio_util::sync::CancellationToken;

/// A reader of one journal through one Read RPC. One call at a time (it
/// may move between threads): a call made while another runs on another
/// thread returns BUSY at once and changes nothing (the accessors answer -1
/// or NULL), but `gazette_reader_cancel` may come from any thread at any
/// time. Free with `gazette_reader_free`.
pub struct gazette_reader {
    core: ReadCore,
}

/// Opens a reader of `journal` with the request options `opts` (copied;
/// NULL: the defaults of `gazette_read_options`, i.e. from offset 0 to no
/// end, non-blocking): the start offset (-1: from the write head, only new
/// content), the end offset, blocking at the write head, `do_not_proxy`
/// (persisted fragments read directly from their store), `metadata_only`
/// and `begin_mod_time`. Nothing is sent until the first read. On success
/// writes `*out`.
///
/// Errors: NULL_POINTER, INVALID_UTF8, INVALID_ARGUMENT (bad journal, or an
/// end offset below the start offset), CLOSED, FORKED.
#[no_mangle]
pub extern "C" fn gazette_reader_new(
    client: *const gazette_client,
    journal: *const c_char,
    journal_len: usize,
    opts: *const gazette_read_options,
    out: *mut *mut gazette_reader,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let shared = unsafe { client_shared(client) }?;
        let out = out_ptr(out, "out")?;
        let request = read_request(journal, journal_len, opts)?;
        shared.check()?;
        let token = CancellationToken::new();
        let reader = Reader::new(&shared.client, request)
            .with_context(ReadContext::with_cancel(token.clone()));
        let cancel = Box::new(move || token.cancel());
        let handle = Box::new(gazette_reader {
            core: ReadCore::new(shared, Box::new(reader), false, cancel),
        });
        // SAFETY: checked non-NULL above.
        unsafe { *out = Box::into_raw(handle) };
        Ok(gazette_status::Ok)
    })
}

/// Copies up to `cap` next bytes of the journal into `buf`, waiting up to
/// `timeout_ms`, and writes the count to `*n` (`n` may be NULL only if the
/// count is not needed). It waits only for the first bytes, then adds what
/// has already arrived from the broker (several of its frames) while `buf`
/// has room. Returns:
/// - OK with `*n > 0`;
/// - END_OF_STREAM: the read ended (end offset reached, or the broker ended
///   the stream); open a new reader at `gazette_reader_offset` to go on;
/// - OFFSET_JUMP: the broker skipped ahead (content before the new offset
///   is gone); reading may simply continue;
/// - WOULD_BLOCK (timeout 0) / TIMED_OUT: nothing yet; the read stays in
///   flight and the next call continues it;
/// - CANCELLED after `gazette_reader_cancel`; errors such as
///   OFFSET_NOT_YET_AVAILABLE (non-blocking read at the write head),
///   JOURNAL_NOT_FOUND, NOT_JOURNAL_BROKER, gRPC and fragment errors,
///   INVALID_RESPONSE (the broker broke the Read protocol: a gap or overlap,
///   content outside its fragment; no byte of it is returned) and
///   MESSAGE_TOO_LARGE. After an error the reader is finished: later calls
///   return the same error;
/// - BUSY: another thread's call is running on this reader (nothing done);
///   INVALID_ARGUMENT for `cap` 0 or above PTRDIFF_MAX.
///
/// `*n` is 0 for every result but OK.
#[no_mangle]
pub extern "C" fn gazette_reader_read(
    reader: *const gazette_reader,
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

/// Lends the next chunk of the journal without copying: on OK writes a
/// pointer to it to `*data` and its length (> 0) to `*len`. The chunk stays
/// valid until the next call on this reader or its free. Waits and returns
/// as `gazette_reader_read` does; on any result but OK, `*data` is NULL and
/// `*len` 0.
#[no_mangle]
pub extern "C" fn gazette_reader_next(
    reader: *const gazette_reader,
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

/// The journal offset of the next byte the caller will get (-1 for NULL, or
/// -1 before the first read of a reader opened at -1, or while another
/// thread's call runs on the reader).
#[no_mangle]
pub extern "C" fn gazette_reader_offset(reader: *const gazette_reader) -> i64 {
    ffi_boundary!({
        // SAFETY: NULL or a live reader.
        unsafe { reader.as_ref() }.map_or(-1, |r| r.core.offset())
    })
}

/// The journal's write head as last reported by the broker, or -1 if not
/// known yet (or for NULL, or while another thread's call runs on it).
#[no_mangle]
pub extern "C" fn gazette_reader_write_head(reader: *const gazette_reader) -> i64 {
    ffi_boundary!({
        // SAFETY: NULL or a live reader.
        unsafe { reader.as_ref() }.map_or(-1, |r| r.core.write_head())
    })
}

/// The fragment the reader is in: that of the last metadata frame, which
/// also describes the content that followed it (for a fragment read
/// directly, the fragment being read). NULL before any (or for NULL, or
/// while another thread's call runs on the reader).
/// Borrowed: read it with the `gazette_fragment_*` accessors, never free
/// it; valid until the next read, seek or free of this reader. Not
/// concurrently with a read or seek of this reader.
#[no_mangle]
pub extern "C" fn gazette_reader_fragment(
    reader: *const gazette_reader,
) -> *const gazette_fragment {
    ffi_boundary!({
        // SAFETY: NULL or a live reader.
        unsafe { reader.as_ref() }.map_or(std::ptr::null(), |r| r.core.fragment())
    })
}

/// The URL of the current fragment as the broker gave it with the last
/// metadata frame (set for persisted fragments, e.g. `file:///...`), or an
/// empty string if none (also for NULL, or while another thread's call runs
/// on the reader). NUL-terminated and borrowed, with
/// the lifetime of `gazette_reader_fragment`'s view.
#[no_mangle]
pub extern "C" fn gazette_reader_fragment_url(reader: *const gazette_reader) -> *const c_char {
    ffi_boundary!({
        // SAFETY: NULL or a live reader.
        unsafe { reader.as_ref() }.map_or(c"".as_ptr(), |r| r.core.fragment_url())
    })
}

/// Arms the reader for an event loop: posts one event `{tag,
/// GAZETTE_EVENT_KIND_READ_READY, OK}` to `cq` once a read with timeout 0
/// would not return WOULD_BLOCK (bytes, the end of the stream, or an error
/// are ready); right away if they are now. Starts the read in the
/// background if none is in flight. One event per call: after a read
/// returns WOULD_BLOCK again, arm again. An event may find its bytes taken
/// by a read made meanwhile (then that read returns WOULD_BLOCK: re-arm).
/// Arming twice before the event replaces the first arming (one event).
/// Freeing the reader first drops the event. One call at a time with the
/// reader's other calls (call it from the thread that reads).
///
/// Errors: NULL_POINTER, CLOSED, FORKED, BUSY.
#[no_mangle]
pub extern "C" fn gazette_reader_arm(
    reader: *const gazette_reader,
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

/// Cancels the reader from any thread: a read in progress returns
/// CANCELLED promptly, and so do later reads. Bytes already received are
/// still returned first. NULL is a no-op.
#[no_mangle]
pub extern "C" fn gazette_reader_cancel(reader: *const gazette_reader) {
    ffi_boundary!({
        // SAFETY: NULL or a live reader.
        if let Some(r) = unsafe { reader.as_ref() } {
            r.core.cancel();
        }
    })
}

/// Moves the next read to journal offset `offset`, waiting up to
/// `timeout_ms`. Works within bytes already received, or forward within a
/// fragment being read directly (`do_not_proxy`); otherwise returns
/// SEEK_REQUIRES_NEW_READER and the offset is unchanged (open a new reader,
/// or use a retry reader, which seeks anywhere).
///
/// Errors: NULL_POINTER, INVALID_ARGUMENT, SEEK_REQUIRES_NEW_READER,
/// TIMED_OUT (the reader is then unusable), CLOSED, FORKED, BUSY.
#[no_mangle]
pub extern "C" fn gazette_reader_seek(
    reader: *const gazette_reader,
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

/// Takes ownership of a reader and frees it, ending its RPC. NULL is a
/// no-op. Not concurrently with another call on the same reader (cancel it
/// first and let that call return).
#[no_mangle]
pub extern "C" fn gazette_reader_free(reader: *mut gazette_reader) {
    ffi_boundary!({
        if !reader.is_null() {
            // SAFETY: created by `gazette_reader_new`, freed once.
            let r = unsafe { Box::from_raw(reader) };
            r.core.close();
        }
    })
}
