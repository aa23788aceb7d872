//! `gazette_reader`: one Read RPC of a journal, read with timeouts into a
//! caller buffer or lent chunk by chunk without a copy. Wraps
//! `client/reader.rs`.
//!
//! A read that times out is not lost: it stays in flight on the client's
//! runtime, and the next call on the reader picks up its result. Bytes of a
//! received chunk that did not fit the caller's buffer are kept for the next
//! call.

use std::ffi::{c_char, CString};
use std::io::SeekFrom;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use tokio_util::sync::CancellationToken;

use super::args::{check_journal_name, handle_ref, out_ptr, str_in};
use super::client::{gazette_client, Shared};
use super::error::{gazette_error, to_cstring, FfiError, FfiResult};
use super::list::gazette_fragment;
use super::read_options::{gazette_read_options, read_request_for};
use super::runtime::{Pending, Timeout, Waited};
use super::status::gazette_status;
use gazette::error::Error;
use gazette::protocol::{Fragment, ReadRequest, ReadResponse, Validate};
use gazette::reader::{ReadContext, ReadStep, Reader};
use gazette::ChunkSource;

/// Largest chunk asked of the Rust reader per step.
const CHUNK: usize = 1 << 20;

/// The Rust reader behind a C reader handle: a `Reader` or a `RetryReader`.
pub(crate) type Source = Box<dyn ChunkSource>;

type StepResult = Result<(Source, gazette::Result<ReadStep<Bytes>>), FfiError>;

/// The parts of a reader that calls change, behind one lock.
struct State {
    /// The Rust reader while no step is in flight.
    source: Option<Source>,
    /// A step in flight, owning the reader.
    pending: Option<Pending<StepResult>>,
    /// Received bytes not yet handed out.
    leftover: Bytes,
    /// The chunk lent by the last `*_next` call, kept alive until the next call.
    lent: Bytes,
    /// Offset just past the bytes received so far (the reader's request offset).
    received_offset: i64,
    /// The write head reported by the broker, or -1 before any.
    write_head: i64,
    /// The current fragment (of the last metadata frame), as received.
    fragment: Option<Fragment>,
    /// Its C view, lent by `*_fragment` until the next call.
    fragment_view: Option<Box<gazette_fragment>>,
    /// The fragment URL of the last metadata frame, empty if none.
    fragment_url: CString,
    /// Set when the Rust reader was lost (its task ended without a result).
    lost: Option<FfiError>,
}

/// What a read produced for the C caller.
enum Got {
    Data(Bytes),
    Flow(gazette_status),
}

/// The machinery shared by `gazette_reader` and `gazette_retry_reader`: a
/// read that times out stays in flight and the next call picks it up.
pub(crate) struct ReadCore {
    shared: Arc<Shared>,
    /// A retry reader: seeking restarts it (clearing a cancellation).
    retry: bool,
    /// A metadata-only read: a metadata frame ends each read call.
    metadata_only: bool,
    /// Named in broker-status errors.
    journal: String,
    cancel: Box<dyn Fn() + Send + Sync>,
    state: Mutex<State>,
}

impl ReadCore {
    pub(crate) fn new(
        shared: Arc<Shared>,
        source: Source,
        retry: bool,
        cancel: Box<dyn Fn() + Send + Sync>,
    ) -> Self {
        let request = source.reader().request();
        let offset = request.offset;
        ReadCore {
            shared,
            retry,
            metadata_only: request.metadata_only,
            journal: request.journal.clone(),
            cancel,
            state: Mutex::new(State {
                source: Some(source),
                pending: None,
                leftover: Bytes::new(),
                lent: Bytes::new(),
                received_offset: offset,
                write_head: -1,
                fragment: None,
                fragment_view: None,
                fragment_url: CString::default(),
                lost: None,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn lose(&self, st: &mut State, err: FfiError) -> FfiError {
        st.pending = None;
        st.lost = Some(err.clone());
        err
    }

    fn took_back(&self, st: &mut State, source: Source) {
        let r = source.reader();
        st.received_offset = r.request().offset;
        // Only frames that report a write head count: an error frame such
        // as JOURNAL_NOT_FOUND carries 0, which is no write head at all.
        if reports_write_head(r.response()) {
            st.write_head = st.write_head.max(r.response().write_head);
        }
        note_fragment(st, r.response());
        st.source = Some(source);
    }

    /// Gets the next bytes (at most `max`), waiting up to `timeout`.
    fn next(&self, st: &mut State, max: usize, timeout: Timeout) -> Result<Got, FfiError> {
        self.shared.check()?;
        if !st.leftover.is_empty() {
            let n = st.leftover.len().min(max);
            return Ok(Got::Data(st.leftover.split_to(n)));
        }
        if let Some(err) = &st.lost {
            return Err(err.clone());
        }
        let deadline = match timeout {
            Timeout::After(d) => Some(Instant::now() + d),
            _ => None,
        };
        loop {
            if st.pending.is_none() {
                if let Some(mut chunk) = self.ready_chunk(st) {
                    let n = chunk.len().min(max);
                    st.leftover = chunk.split_off(n);
                    return Ok(Got::Data(chunk));
                }
                let Some(mut source) = st.source.take() else {
                    return Err(FfiError::new(gazette_status::Internal, "reader missing"));
                };
                st.pending = Some(self.shared.spawn(async move {
                    let step = source.next_chunk(CHUNK).await;
                    Ok((source, step))
                })?);
            }
            let wait = match deadline {
                Some(at) => Timeout::After(at.saturating_duration_since(Instant::now())),
                None => timeout,
            };
            let (source, step) = match st.pending.as_ref().expect("pending").wait(wait) {
                Waited::Expired => return Ok(Got::Flow(timeout.expired_status())),
                Waited::Gone => return Err(self.lose(st, self.shared.gone())),
                Waited::Done(Err(e)) => return Err(self.lose(st, e)),
                Waited::Done(Ok(done)) => done,
            };
            st.pending = None;
            self.took_back(st, source);
            match step {
                Ok(ReadStep::Data(mut chunk)) => {
                    let n = chunk.len().min(max);
                    st.leftover = chunk.split_off(n);
                    return Ok(Got::Data(chunk));
                }
                // Metadata is all a metadata-only read gets.
                Ok(ReadStep::Frame) if self.metadata_only => {
                    return Ok(Got::Flow(gazette_status::EndOfStream))
                }
                // A frame without bytes: keep going within the same timeout.
                Ok(ReadStep::Frame) => continue,
                Ok(ReadStep::Eof) => return Ok(Got::Flow(gazette_status::EndOfStream)),
                // A metadata-only read at offset -1 resolves to the write
                // head, where the broker has no fragment yet: the metadata
                // (offset, write head) is still all it was asked for.
                Err(Error::OffsetJump | Error::OffsetNotYetAvailable) if self.metadata_only => {
                    return Ok(Got::Flow(gazette_status::EndOfStream))
                }
                Err(Error::OffsetJump) => return Ok(Got::Flow(gazette_status::OffsetJump)),
                Err(e) => return Err(FfiError::from(e).for_journal(&self.journal)),
            }
        }
    }

    pub(crate) fn read(
        &self,
        buf: *mut u8,
        cap: usize,
        timeout_ms: i32,
        n: *mut usize,
    ) -> FfiResult {
        // SAFETY: NULL or writable, per the callers' contracts.
        if let Some(n) = unsafe { n.as_mut() } {
            *n = 0;
        }
        if buf.is_null() {
            return Err(FfiError::null("buf"));
        }
        if cap == 0 {
            return Err(FfiError::invalid("cap must be > 0"));
        }
        let timeout = Timeout::from_ms(timeout_ms)?;
        let mut st = self.lock();
        st.lent = Bytes::new();
        match self.next(&mut st, cap, timeout)? {
            Got::Data(chunk) => {
                // SAFETY: `buf` has `cap` writable bytes and chunk.len() <= cap.
                unsafe { std::ptr::copy_nonoverlapping(chunk.as_ptr(), buf, chunk.len()) };
                let mut filled = chunk.len();
                if filled < cap && st.leftover.is_empty() {
                    // SAFETY: `buf` has `cap` writable bytes.
                    let rest =
                        unsafe { std::slice::from_raw_parts_mut(buf.add(filled), cap - filled) };
                    filled += self.fill_ready(&mut st, rest);
                }
                // SAFETY: as above.
                if let Some(n) = unsafe { n.as_mut() } {
                    *n = filled;
                }
                Ok(gazette_status::Ok)
            }
            Got::Flow(status) => Ok(status),
        }
    }

    /// Copies into `buf` the content that has already arrived, without
    /// waiting, so one call can return many of the broker's frames; returns
    /// the count.
    fn fill_ready(&self, st: &mut State, buf: &mut [u8]) -> usize {
        let mut filled = 0;
        while filled < buf.len() && st.leftover.is_empty() {
            let Some(mut chunk) = self.ready_chunk(st) else {
                break;
            };
            let n = chunk.len().min(buf.len() - filled);
            st.leftover = chunk.split_off(n);
            buf[filled..filled + n].copy_from_slice(&chunk);
            filled += n;
        }
        filled
    }

    /// The next bytes (up to a chunk, as a read on the runtime takes them:
    /// callers keep what they do not hand out in `leftover`, so seeks see
    /// every received byte) if they have already arrived, taken on the
    /// caller's thread with no round trip through the runtime. Only for a
    /// plain reader on a proxied stream: a retry reader's and a direct
    /// fragment's next bytes may need a wait.
    fn ready_chunk(&self, st: &mut State) -> Option<Bytes> {
        let mut source = st.source.take()?;
        let mut got = None;
        let waker = gazette::reader::noop_waker();
        let mut cx = std::task::Context::from_waker(&waker);
        // Only a plain reader knows: a retry reader's next bytes may need a
        // wait (a restart), and so does a direct fragment's.
        while got.is_none() && source.content_ready() {
            // Ready content needs no wait: a step completes in one poll (a
            // frame is taken in, then its bytes come out).
            let step = source.next_chunk(CHUNK).as_mut().poll(&mut cx);
            match step {
                std::task::Poll::Ready(Ok(ReadStep::Data(chunk))) => got = Some(chunk),
                std::task::Poll::Ready(Ok(ReadStep::Frame)) => {}
                // Anything else stays with the reader (an end is kept and
                // returned again by the next call).
                _ => break,
            }
        }
        self.took_back(st, source);
        got
    }

    pub(crate) fn lend(&self, timeout_ms: i32, data: *mut *const u8, len: *mut usize) -> FfiResult {
        let data = out_ptr(data, "data")?;
        let len = out_ptr(len, "len")?;
        // SAFETY: both checked non-NULL.
        unsafe {
            *data = std::ptr::null();
            *len = 0;
        }
        let timeout = Timeout::from_ms(timeout_ms)?;
        let mut st = self.lock();
        st.lent = Bytes::new();
        match self.next(&mut st, usize::MAX, timeout)? {
            Got::Data(chunk) => {
                st.lent = chunk;
                // SAFETY: both checked non-NULL; the chunk lives in `st.lent`.
                unsafe {
                    *data = st.lent.as_ptr();
                    *len = st.lent.len();
                }
                Ok(gazette_status::Ok)
            }
            Got::Flow(status) => Ok(status),
        }
    }

    /// Moves the next read to `offset`, within received bytes when it can.
    pub(crate) fn seek(&self, offset: i64, timeout_ms: i32) -> FfiResult {
        self.shared.check()?;
        if offset < 0 {
            return Err(FfiError::invalid(format!(
                "offset must be >= 0 (got {offset})"
            )));
        }
        let timeout = Timeout::from_ms(timeout_ms)?;
        let mut st = self.lock();
        st.lent = Bytes::new();
        if let Some(err) = &st.lost {
            return Err(err.clone());
        }
        // A read in flight must finish (or be cancelled) first; bytes it
        // brought are kept like any received bytes.
        if let Some(p) = &st.pending {
            match p.wait(timeout) {
                Waited::Expired => return Ok(timeout.expired_status()),
                Waited::Gone => return Err(self.lose(&mut st, self.shared.gone())),
                Waited::Done(Err(e)) => return Err(self.lose(&mut st, e)),
                Waited::Done(Ok((source, step))) => {
                    st.pending = None;
                    self.took_back(&mut st, source);
                    if let Ok(ReadStep::Data(chunk)) = step {
                        st.leftover = chunk;
                    }
                }
            }
        }
        // Within received bytes: discard. A retry reader seeking to where it
        // is restarts instead, which also clears a cancellation.
        let next = st.received_offset - st.leftover.len() as i64;
        let at_end = offset == st.received_offset && st.leftover.is_empty();
        if offset >= next && offset <= st.received_offset && !(self.retry && at_end) {
            let skip = (offset - next) as usize;
            let _ = st.leftover.split_to(skip);
            return Ok(gazette_status::Ok);
        }
        let Some(mut source) = st.source.take() else {
            return Err(FfiError::new(gazette_status::Internal, "reader missing"));
        };
        let op = self.shared.spawn(async move {
            let r = source.seek(SeekFrom::Start(offset as u64)).await;
            Ok((source, r))
        })?;
        match op.wait(timeout) {
            Waited::Done(Ok((source, Ok(_)))) => {
                st.leftover = Bytes::new();
                // A restarted read has no fragment until its first frame.
                if source.reader().response().fragment.is_none() {
                    clear_fragment(&mut st);
                }
                self.took_back(&mut st, source);
                Ok(gazette_status::Ok)
            }
            // A refused seek changes nothing.
            Waited::Done(Ok((source, Err(e)))) => {
                self.took_back(&mut st, source);
                Err(e.into())
            }
            Waited::Done(Err(e)) => Err(self.lose(&mut st, e)),
            Waited::Gone => Err(self.lose(&mut st, self.shared.gone())),
            Waited::Expired => Err(self.lose(
                &mut st,
                FfiError::new(timeout.expired_status(), "the seek did not finish in time"),
            )),
        }
    }

    pub(crate) fn offset(&self) -> i64 {
        let st = self.lock();
        st.received_offset - st.leftover.len() as i64
    }

    pub(crate) fn write_head(&self) -> i64 {
        self.lock().write_head
    }

    /// The view of the current fragment, or NULL. The box stays put until
    /// a later read or seek replaces it.
    pub(crate) fn fragment(&self) -> *const gazette_fragment {
        self.lock()
            .fragment_view
            .as_deref()
            .map_or(std::ptr::null(), |f| f as *const gazette_fragment)
    }

    /// The current fragment's URL (NUL-terminated, empty if none), valid as
    /// long as the fragment view.
    pub(crate) fn fragment_url(&self) -> *const c_char {
        self.lock().fragment_url.as_ptr()
    }

    pub(crate) fn cancel(&self) {
        (self.cancel)();
    }

    /// Ends the reader; in a fork child, touches nothing of the runtime.
    pub(crate) fn close(&self) {
        self.cancel();
        let mut st = self.lock();
        if self.shared.is_forked() {
            std::mem::forget(st.pending.take());
            std::mem::forget(st.source.take());
        }
    }
}

/// Keeps the fragment of a metadata frame, and of a content frame (which
/// carries its metadata frame's fragment but no URL).
fn note_fragment(st: &mut State, resp: &ReadResponse) {
    let Some(fragment) = resp.fragment.as_ref() else {
        return;
    };
    let metadata = resp.content.is_empty();
    if st.fragment.as_ref() != Some(fragment) {
        st.fragment = Some(fragment.clone());
        st.fragment_view = Some(Box::new(gazette_fragment::from_spec(fragment.clone())));
        if !metadata {
            st.fragment_url = CString::default();
        }
    }
    if metadata && st.fragment_url.as_bytes() != resp.fragment_url.as_bytes() {
        st.fragment_url = to_cstring(resp.fragment_url.clone());
    }
}

/// Whether a frame carries a real write head: an OK frame of this RPC (a
/// metadata frame, or content carrying its metadata frame's), or
/// OFFSET_NOT_YET_AVAILABLE, which reports where the journal ends.
fn reports_write_head(resp: &ReadResponse) -> bool {
    use gazette::protocol::Status;
    let ok = resp.status == Status::Ok as i32 && resp.fragment.is_some();
    ok || resp.status == Status::OffsetNotYetAvailable as i32
}

fn clear_fragment(st: &mut State) {
    st.fragment = None;
    st.fragment_view = None;
    st.fragment_url = CString::default();
}

/// Checks a new read's arguments and builds its request from the options
/// (NULL: the defaults).
pub(crate) fn read_request(
    journal: *const c_char,
    journal_len: usize,
    opts: *const gazette_read_options,
) -> Result<ReadRequest, FfiError> {
    // SAFETY: per the callers' documented contracts.
    let name = unsafe { str_in(journal, journal_len, "journal") }?;
    check_journal_name(&name)?;
    let request = read_request_for(name, opts);
    // The protocol's rules (offsets; the journal was checked above).
    request
        .validate()
        .map_err(|why| FfiError::invalid(format!("invalid read request: {why}")))?;
    Ok(request)
}

/// A reader of one journal through one Read RPC. Calls are serialized (one
/// read at a time), but `gazette_reader_cancel` may come from any thread at
/// any time. Free with `gazette_reader_free`.
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
        let shared = Arc::clone(&unsafe { handle_ref(client, "client") }?.shared);
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
///   JOURNAL_NOT_FOUND, NOT_JOURNAL_BROKER, gRPC and fragment errors. After
///   an error the reader is finished: later calls return the same error.
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
/// -1 before the first read of a reader opened at -1).
#[no_mangle]
pub extern "C" fn gazette_reader_offset(reader: *const gazette_reader) -> i64 {
    ffi_boundary!({
        // SAFETY: NULL or a live reader.
        unsafe { reader.as_ref() }.map_or(-1, |r| r.core.offset())
    })
}

/// The journal's write head as last reported by the broker, or -1 if not
/// known yet (or for NULL).
#[no_mangle]
pub extern "C" fn gazette_reader_write_head(reader: *const gazette_reader) -> i64 {
    ffi_boundary!({
        // SAFETY: NULL or a live reader.
        unsafe { reader.as_ref() }.map_or(-1, |r| r.core.write_head())
    })
}

/// The fragment the reader is in: that of the last metadata frame, which
/// also describes the content that followed it (for a fragment read
/// directly, the fragment being read). NULL before any (or for NULL).
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
/// empty string if none (also for NULL). NUL-terminated and borrowed, with
/// the lifetime of `gazette_reader_fragment`'s view.
#[no_mangle]
pub extern "C" fn gazette_reader_fragment_url(reader: *const gazette_reader) -> *const c_char {
    ffi_boundary!({
        // SAFETY: NULL or a live reader.
        unsafe { reader.as_ref() }.map_or(c"".as_ptr(), |r| r.core.fragment_url())
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
/// TIMED_OUT (the reader is then unusable), CLOSED, FORKED.
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
