//! The machinery behind `gazette_reader` and `gazette_retry_reader`: reads
//! with timeouts into a caller buffer, or lent chunk by chunk without a
//! copy, over the client's `Reader` or `RetryReader` (as a `ChunkSource`).
//!
//! A read that times out is not lost: it stays in flight on the client's
//! runtime, and the next call on the reader picks up its result. Bytes of a
//! received chunk that did not fit the caller's buffer are kept for the next
//! call.

use std::ffi::{c_char, CString};
use std::io::SeekFrom;
use std::sync::{Arc, MutexGuard};
use std::time::Instant;

use bytes::Bytes;

use super::args::{journal_in, out_ptr};
use super::client::Shared;
use super::completion_queue::Queue;
use super::error::{to_cstring, FfiError, FfiResult};
use super::list::gazette_fragment;
use super::one_call::OneCall;
use super::read_options::{gazette_read_options, read_request_for};
use super::read_ready::{Armed, StepSignal};
use super::runtime::{Pending, Timeout, Waited};
use super::status::gazette_status;
use gazette::error::Error;
use gazette::protocol::{Fragment, ReadRequest, ReadResponse, Validate};
use gazette::reader::ReadStep;
use gazette::ChunkSource;

/// Largest chunk asked of the Rust reader per step.
const CHUNK: usize = 1 << 20;

/// The Rust reader behind a C reader handle: a `Reader` or a `RetryReader`.
pub(crate) type Source = Box<dyn ChunkSource>;

/// What a step in flight brings back: the reader, the metadata frames it
/// passed (a step runs until bytes, an end or an error, so a completed
/// step is readiness), and its outcome.
struct Step {
    source: Source,
    frames: Vec<ReadResponse>,
    outcome: gazette::Result<ReadStep<Bytes>>,
}

type StepResult = Result<Step, FfiError>;

/// The parts of a reader that calls change, behind one lock.
struct State {
    /// The Rust reader while no step is in flight.
    source: Option<Source>,
    /// A step in flight, owning the reader.
    pending: Option<Pending<StepResult>>,
    /// Signals the completion of `pending` to an armed completion queue.
    signal: Arc<StepSignal>,
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
    state: OneCall<State>,
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
            state: OneCall::new(State {
                source: Some(source),
                pending: None,
                signal: Arc::default(),
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

    /// Enters the state for a call, or BUSY if another thread's call is in.
    fn enter(&self) -> Result<MutexGuard<'_, State>, FfiError> {
        self.state
            .enter(if self.retry { "retry reader" } else { "reader" })
    }

    fn lose(&self, st: &mut State, err: FfiError) -> FfiError {
        st.pending = None;
        st.lost = Some(err.clone());
        err
    }

    fn took_back(&self, st: &mut State, source: Source) {
        let r = source.reader();
        st.received_offset = r.request().offset;
        note_response(st, r.response());
        st.source = Some(source);
    }

    /// Takes a completed step's reader back, noting the frames it passed.
    fn took_back_step(&self, st: &mut State, step: Step) -> gazette::Result<ReadStep<Bytes>> {
        st.pending = None;
        for frame in &step.frames {
            note_response(st, frame);
        }
        self.took_back(st, step.source);
        step.outcome
    }

    /// Puts the next step in flight on the runtime, owning the reader; its
    /// completion is signalled to whoever arms the reader.
    fn start_step(&self, st: &mut State) -> Result<(), FfiError> {
        let Some(mut source) = st.source.take() else {
            return Err(FfiError::new(gazette_status::Internal, "reader missing"));
        };
        let signal = Arc::new(StepSignal::default());
        let done = signal.clone();
        let pass_frames = !self.metadata_only;
        let pending = self.shared.spawn_then(
            async move {
                let mut frames = Vec::new();
                loop {
                    let outcome = source.next_chunk(CHUNK).await;
                    if pass_frames && matches!(outcome, Ok(ReadStep::Frame)) {
                        frames.push(source.reader().response().clone());
                        continue;
                    }
                    return Ok(Step {
                        source,
                        frames,
                        outcome,
                    });
                }
            },
            move || done.complete(),
        );
        match pending {
            Ok(pending) => {
                st.pending = Some(pending);
                st.signal = signal;
                Ok(())
            }
            Err(err) => Err(self.lose(st, err)),
        }
    }

    /// Posts one READ_READY event to `queue` once a read with timeout 0
    /// would not return WOULD_BLOCK: now, if bytes or an outcome are ready,
    /// else when the step it starts (or the one in flight) completes.
    pub(crate) fn arm(&self, queue: Arc<Queue>, tag: u64) -> FfiResult {
        self.shared.check()?;
        let armed = Armed { queue, tag };
        let mut st = self.enter()?;
        if !st.leftover.is_empty() || st.lost.is_some() {
            armed.post();
            return Ok(gazette_status::Ok);
        }
        if st.pending.is_none() {
            if let Some(chunk) = self.ready_chunk(&mut st) {
                st.leftover = chunk;
                armed.post();
                return Ok(gazette_status::Ok);
            }
            self.start_step(&mut st)?;
        }
        st.signal.arm(armed);
        Ok(gazette_status::Ok)
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
                self.start_step(st)?;
            }
            let wait = match deadline {
                Some(at) => Timeout::After(at.saturating_duration_since(Instant::now())),
                None => timeout,
            };
            let done = match st.pending.as_ref().expect("pending").wait(wait) {
                Waited::Expired => return Ok(Got::Flow(timeout.expired_status())),
                Waited::Gone => return Err(self.lose(st, self.shared.gone())),
                Waited::Done(Err(e)) => return Err(self.lose(st, e)),
                Waited::Done(Ok(done)) => done,
            };
            match self.took_back_step(st, done) {
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
        if cap == 0 || cap > isize::MAX as usize {
            return Err(FfiError::invalid(format!(
                "cap must be in 1..=PTRDIFF_MAX (got {cap})"
            )));
        }
        let timeout = Timeout::from_ms(timeout_ms)?;
        let mut st = self.enter()?;
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
        let mut st = self.enter()?;
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
        let mut st = self.enter()?;
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
                Waited::Done(Ok(done)) => {
                    if let Ok(ReadStep::Data(chunk)) = self.took_back_step(&mut st, done) {
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

    /// The accessors answer -1 or NULL while another thread's call is in.
    pub(crate) fn offset(&self) -> i64 {
        self.state
            .try_enter()
            .map_or(-1, |st| st.received_offset - st.leftover.len() as i64)
    }

    pub(crate) fn write_head(&self) -> i64 {
        self.state.try_enter().map_or(-1, |st| st.write_head)
    }

    /// The view of the current fragment, or NULL. The box stays put until
    /// a later read or seek replaces it.
    pub(crate) fn fragment(&self) -> *const gazette_fragment {
        let Some(st) = self.state.try_enter() else {
            return std::ptr::null();
        };
        st.fragment_view
            .as_deref()
            .map_or(std::ptr::null(), |f| f as *const gazette_fragment)
    }

    /// The current fragment's URL (NUL-terminated, empty if none), valid as
    /// long as the fragment view.
    pub(crate) fn fragment_url(&self) -> *const c_char {
        self.state
            .try_enter()
            .map_or(c"".as_ptr(), |st| st.fragment_url.as_ptr())
    }

    pub(crate) fn cancel(&self) {
        (self.cancel)();
    }

    /// Ends the reader; in a fork child, touches nothing of the runtime.
    pub(crate) fn close(&self) {
        self.cancel();
        let mut st = self.state.wait_enter();
        if self.shared.is_forked() {
            std::mem::forget(st.pending.take());
            std::mem::forget(st.source.take());
        }
    }
}

/// Notes what a frame tells of the journal: its write head, its fragment.
fn note_response(st: &mut State, resp: &ReadResponse) {
    // Only frames that report a write head count: an error frame such as
    // JOURNAL_NOT_FOUND carries 0, which is no write head at all.
    if reports_write_head(resp) {
        st.write_head = st.write_head.max(resp.write_head);
    }
    note_fragment(st, resp);
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
    let name = unsafe { journal_in(journal, journal_len) }?;
    let request = read_request_for(name, opts);
    // The protocol's rules (offsets; the journal was checked above).
    request
        .validate()
        .map_err(|why| FfiError::invalid(format!("invalid read request: {why}")))?;
    Ok(request)
}
