//! `gazette_cq`: a completion queue. Operations given a queue (with
//! `gazette_append_future_set_queue`, `gazette_reader_arm`,
//! `gazette_retry_reader_arm`) post one `gazette_event` to it when they
//! complete or are ready; any number of threads take events with `gazette_cq_next`,
//! each event going to exactly one of them. An event loop can ask for a
//! wakeup through its own file descriptor (`gazette_cq_set_notify_fd`).

use std::collections::VecDeque;
use std::fs::File;
use std::io::Write;
use std::mem::ManuallyDrop;
use std::os::fd::FromRawFd;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Instant;

use super::args::{bytes_in, handle_ref, out_ptr};
use super::error::{gazette_error, FfiError};
use super::ownership::{opt_ref, take_box};
use super::runtime::Timeout;
use super::status::gazette_status;

/// What completed, in `gazette_event.kind`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum gazette_event_kind {
    /// An append future completed; its status is in the event and details
    /// are read from the future the tag names.
    AppendDone = 1,
    /// A reader armed with `gazette_reader_arm` / `gazette_retry_reader_arm`
    /// is ready: a read with timeout 0 now returns bytes, an end or an
    /// error, not WOULD_BLOCK (unless another call took them first).
    ReadReady = 2,
}

/// One completion taken from a queue. A plain value: frozen layout, copied
/// out to the caller.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct gazette_event {
    /// The caller's tag given when the queue was attached.
    pub tag: u64,
    /// A `gazette_event_kind` value.
    pub kind: i32,
    /// The operation's final `gazette_status` (OK, or why it failed).
    pub status: i32,
}

#[derive(Default)]
struct State {
    events: VecDeque<gazette_event>,
    shutdown: bool,
    /// The application's non-blocking fd and the bytes to write to it.
    notify: Option<(i32, Vec<u8>)>,
}

/// What a queue handle and every operation posting to it share.
#[derive(Default)]
pub struct Queue {
    state: Mutex<State>,
    ready: Condvar,
}

impl Queue {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Posts an event. After shutdown events are dropped (nobody takes
    /// them any more). Writes the notify payload when the queue goes from
    /// empty to non-empty.
    pub fn post(&self, event: gazette_event) {
        let mut state = self.lock();
        if state.shutdown {
            return;
        }
        state.events.push_back(event);
        if state.events.len() == 1 {
            if let Some((fd, payload)) = &state.notify {
                // SAFETY: the application promised a valid fd until it
                // replaces or clears it; ManuallyDrop leaves it open.
                let mut file = ManuallyDrop::new(unsafe { File::from_raw_fd(*fd) });
                // A full pipe or eventfd is already readable: ignore errors.
                let _ = file.write(payload);
            }
        }
        drop(state);
        self.ready.notify_one();
    }

    fn shutdown(&self) {
        self.lock().shutdown = true;
        self.ready.notify_all();
    }

    /// Takes the next event, waiting up to `timeout`.
    fn next(&self, timeout: Timeout) -> Result<gazette_event, gazette_status> {
        let deadline = match timeout {
            Timeout::After(d) => Instant::now().checked_add(d),
            _ => None,
        };
        let mut state = self.lock();
        loop {
            if let Some(event) = state.events.pop_front() {
                return Ok(event);
            }
            if state.shutdown {
                return Err(gazette_status::Closed);
            }
            state = match timeout {
                Timeout::Poll => return Err(gazette_status::WouldBlock),
                Timeout::Forever => self.ready.wait(state).unwrap_or_else(|p| p.into_inner()),
                Timeout::After(_) => {
                    let left = deadline
                        .and_then(|d| d.checked_duration_since(Instant::now()))
                        .filter(|d| !d.is_zero());
                    let Some(left) = left else {
                        return Err(gazette_status::TimedOut);
                    };
                    self.ready
                        .wait_timeout(state, left)
                        .unwrap_or_else(|p| p.into_inner())
                        .0
                }
            };
        }
    }
}

/// A completion queue. Thread-safe: every function may be called from any
/// thread, concurrently; each event is taken by exactly one `next` call.
/// Create with `gazette_cq_new`, free with `gazette_cq_free`. Operations
/// attached to it keep its internals alive, so it may be freed first.
pub struct gazette_cq {
    pub(crate) queue: Arc<Queue>,
}

/// Creates an empty completion queue. Returns NULL only if allocation failed.
#[no_mangle]
pub extern "C" fn gazette_cq_new() -> *mut gazette_cq {
    ffi_boundary!({
        Box::into_raw(Box::new(gazette_cq {
            queue: Arc::default(),
        }))
    })
}

/// Takes the oldest event into `*out`, waiting up to `timeout_ms` (-1
/// forever, 0 not at all). Returns OK with `*out` written; TIMED_OUT (or
/// WOULD_BLOCK for 0) when no event came in time; CLOSED once the queue was
/// shut down and every event posted before was taken. Safe to call from
/// several threads at once.
///
/// Errors: NULL_POINTER, INVALID_ARGUMENT (bad timeout), CLOSED.
#[no_mangle]
pub extern "C" fn gazette_cq_next(
    cq: *const gazette_cq,
    timeout_ms: i32,
    out: *mut gazette_event,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let cq = unsafe { handle_ref(cq, "cq") }?;
        let out = out_ptr(out, "out")?;
        let timeout = Timeout::from_ms(timeout_ms)?;
        match cq.queue.next(timeout) {
            Ok(event) => {
                // SAFETY: checked non-NULL above.
                unsafe { *out = event };
                Ok(gazette_status::Ok)
            }
            Err(gazette_status::Closed) => Err(FfiError::new(
                gazette_status::Closed,
                "the completion queue was shut down and is drained",
            )),
            Err(flow) => Ok(flow),
        }
    })
}

/// Shuts the queue down: waiting and later `gazette_cq_next` calls return
/// the events already queued, then CLOSED. Events of operations completing
/// after this are dropped. Idempotent; NULL is a no-op. Any thread.
#[no_mangle]
pub extern "C" fn gazette_cq_shutdown(cq: *const gazette_cq) {
    ffi_boundary!({
        if let Some(cq) = opt_ref(cq) {
            cq.queue.shutdown();
        }
    })
}

/// Has the queue write `len` bytes of `payload` (copied; e.g. 8 bytes of a
/// `uint64_t` 1 for an eventfd) to `fd` whenever it goes from empty to
/// non-empty, so an event loop (epoll, kqueue, libuv...) wakes up and drains
/// it with `gazette_cq_next(cq, 0, ...)` until WOULD_BLOCK. The fd stays the
/// application's: it should be non-blocking and stay open until replaced or
/// cleared; `fd` -1 clears it. If events are already queued, writes once now.
///
/// Errors: NULL_POINTER, INVALID_ARGUMENT (fd below -1, or an empty payload).
#[no_mangle]
pub extern "C" fn gazette_cq_set_notify_fd(
    cq: *const gazette_cq,
    fd: i32,
    payload: *const u8,
    len: usize,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let cq = unsafe { handle_ref(cq, "cq") }?;
        let payload = unsafe { bytes_in(payload, len, "payload") }?;
        let mut state = cq.queue.lock();
        if fd == -1 {
            state.notify = None;
            return Ok(gazette_status::Ok);
        }
        if fd < -1 || payload.is_empty() {
            return Err(FfiError::invalid(
                "fd must be -1 or a valid descriptor, and the payload non-empty",
            ));
        }
        state.notify = Some((fd, payload.to_vec()));
        if !state.events.is_empty() {
            // SAFETY: as in `Queue::post`.
            let mut file = ManuallyDrop::new(unsafe { File::from_raw_fd(fd) });
            let _ = file.write(&payload);
        }
        Ok(gazette_status::Ok)
    })
}

/// Takes ownership of a queue, shuts it down and frees it. NULL is a no-op.
/// No thread may be using the handle any more; operations still attached
/// complete normally and their events are dropped.
#[no_mangle]
pub extern "C" fn gazette_cq_free(cq: *mut gazette_cq) {
    ffi_boundary!({
        if let Some(cq) = take_box(cq) {
            cq.queue.shutdown();
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn event(tag: u64) -> gazette_event {
        gazette_event {
            tag,
            kind: gazette_event_kind::AppendDone as i32,
            status: 0,
        }
    }

    #[test]
    fn events_come_out_in_order_then_closed_after_shutdown() {
        let q = Arc::new(Queue::default());
        assert_eq!(q.next(Timeout::Poll), Err(gazette_status::WouldBlock));
        let t0 = Instant::now();
        let short = Timeout::After(Duration::from_millis(30));
        assert_eq!(q.next(short), Err(gazette_status::TimedOut));
        assert!(t0.elapsed() >= Duration::from_millis(30));
        q.post(event(1));
        q.post(event(2));
        let poster = {
            let q = q.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(20));
                q.post(event(3));
            })
        };
        assert_eq!(q.next(Timeout::Forever).unwrap().tag, 1);
        assert_eq!(q.next(Timeout::Forever).unwrap().tag, 2);
        assert_eq!(q.next(Timeout::Forever).unwrap().tag, 3);
        poster.join().unwrap();
        q.post(event(4));
        q.shutdown();
        q.post(event(5)); // dropped
        assert_eq!(q.next(Timeout::Forever).unwrap().tag, 4);
        assert_eq!(q.next(Timeout::Forever), Err(gazette_status::Closed));
    }
}
