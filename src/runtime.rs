//! The per-client tokio runtime and the blocking adapters that let C callers
//! wait for async work with a timeout.
//!
//! Work is always spawned onto the runtime and the caller's thread waits on a
//! channel, never inside the runtime (`block_on`). So every call works from any
//! thread, including the runtime's own threads, and a runtime that is shut
//! down simply drops the task, which the waiting caller sees as a closed
//! channel.

use std::future::Future;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, TryRecvError};
use std::time::Duration;

use tokio::runtime::{Handle, Runtime};
use tokio::task::AbortHandle;

use super::error::FfiError;
use super::status::gazette_status;

/// Builds a client's runtime: a few named worker threads, I/O and timers, and
/// no signal handling (a library must not install signal handlers), and
/// the C log subscriber on each thread.
pub fn build(worker_threads: usize) -> Result<Runtime, FfiError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(worker_threads.max(1))
        .max_blocking_threads(4)
        .thread_name("gazette-worker")
        .on_thread_start(|| {
            block_sigpipe();
            // Log lines reach C through a per-thread subscriber (see `log.rs`).
            super::log::enter_worker();
        })
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| FfiError::new(gazette_status::Internal, format!("starting runtime: {e}")))
}

/// Blocks SIGPIPE on the calling (library-owned) thread. Socket writes run on
/// these threads, and some (rustls's `writev`) can't pass `MSG_NOSIGNAL`:
/// with the signal blocked, a write to a connection the peer closed fails
/// with EPIPE instead of killing a C host that never ignored SIGPIPE (Rust
/// programs do at start-up; C programs don't). The host's own threads and
/// signal dispositions are untouched.
fn block_sigpipe() {
    // SAFETY: a local, initialised signal set; pthread_sigmask only changes
    // this thread's mask.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGPIPE);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}

/// Shuts a runtime down without ever blocking a runtime thread: on one of our
/// own threads (a library callback) it detaches, elsewhere it waits up to
/// `wait` for the worker threads to finish.
pub fn shutdown(rt: Runtime, wait: Duration) {
    if Handle::try_current().is_ok() {
        rt.shutdown_background();
    } else {
        rt.shutdown_timeout(wait);
    }
}

/// A C timeout: `-1` waits forever, `0` does not wait, `n > 0` waits `n` ms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timeout {
    /// Wait as long as it takes.
    Forever,
    /// Do not wait.
    Poll,
    /// Wait at most this long.
    After(Duration),
}

impl Timeout {
    /// Parses a C `timeout_ms` argument.
    pub fn from_ms(ms: i32) -> Result<Self, FfiError> {
        match ms {
            -1 => Ok(Timeout::Forever),
            0 => Ok(Timeout::Poll),
            n if n > 0 => Ok(Timeout::After(Duration::from_millis(n as u64))),
            n => Err(FfiError::invalid(format!(
                "timeout_ms must be -1, 0 or positive (got {n})"
            ))),
        }
    }

    /// The flow status for a wait that ended without a result.
    pub fn expired_status(self) -> gazette_status {
        match self {
            Timeout::Poll => gazette_status::WouldBlock,
            _ => gazette_status::TimedOut,
        }
    }
}

/// The status of a wait for an update: OK when it came; an expiry
/// (TIMED_OUT, WOULD_BLOCK) as a flow status, not an error; else the error.
pub fn update_status(waited: Result<(), FfiError>) -> Result<gazette_status, FfiError> {
    match waited {
        Ok(()) => Ok(gazette_status::Ok),
        Err(e)
            if matches!(
                e.status,
                gazette_status::TimedOut | gazette_status::WouldBlock
            ) =>
        {
            Ok(e.status)
        }
        Err(e) => Err(e),
    }
}

/// The outcome of waiting on a [`Pending`] operation.
pub enum Waited<T> {
    /// The operation finished.
    Done(T),
    /// The timeout expired; the operation is still running.
    Expired,
    /// The operation's task is gone (aborted, or the runtime shut down).
    Gone,
}

/// An operation running on the runtime whose result a C caller waits for,
/// possibly over several calls with timeouts.
pub struct Pending<T> {
    rx: Receiver<T>,
    abort: AbortHandle,
}

impl<T: Send + 'static> Pending<T> {
    /// Spawns `fut` on `handle`.
    pub fn spawn<F>(handle: &Handle, fut: F) -> Self
    where
        F: Future<Output = T> + Send + 'static,
    {
        Self::spawn_then(handle, fut, || {})
    }

    /// Like [`Pending::spawn`], calling `then` once the result can be
    /// collected (a wait from then on returns it at once), or once the task
    /// ends without one (aborted, or its runtime shut down).
    pub fn spawn_then<F>(handle: &Handle, fut: F, then: impl FnOnce() + Send + 'static) -> Self
    where
        F: Future<Output = T> + Send + 'static,
    {
        // Calls `then` on drop: after the send below, or when the task is
        // dropped unfinished.
        struct Then<G: FnOnce()>(Option<G>);
        impl<G: FnOnce()> Drop for Then<G> {
            fn drop(&mut self) {
                if let Some(then) = self.0.take() {
                    then();
                }
            }
        }
        let then = Then(Some(then));
        let (tx, rx) = mpsc::sync_channel(1);
        let task = handle.spawn(async move {
            let then = then;
            // The receiver may be gone (timed-out one-shot call): fine.
            let _ = tx.send(fut.await);
            drop(then);
        });
        Pending {
            rx,
            abort: task.abort_handle(),
        }
    }

    /// Waits for the result up to `timeout`.
    pub fn wait(&self, timeout: Timeout) -> Waited<T> {
        match timeout {
            Timeout::Forever => match self.rx.recv() {
                Ok(v) => Waited::Done(v),
                Err(_) => Waited::Gone,
            },
            Timeout::Poll => match self.rx.try_recv() {
                Ok(v) => Waited::Done(v),
                Err(TryRecvError::Empty) => Waited::Expired,
                Err(TryRecvError::Disconnected) => Waited::Gone,
            },
            Timeout::After(d) => match self.rx.recv_timeout(d) {
                Ok(v) => Waited::Done(v),
                Err(RecvTimeoutError::Timeout) => Waited::Expired,
                Err(RecvTimeoutError::Disconnected) => Waited::Gone,
            },
        }
    }

    /// A handle that cancels the operation from any thread.
    pub fn abort_handle(&self) -> AbortHandle {
        self.abort.clone()
    }
}

impl<T> Drop for Pending<T> {
    fn drop(&mut self) {
        // Nobody will collect the result: stop the work.
        self.abort.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_parse() {
        assert_eq!(Timeout::from_ms(-1).unwrap(), Timeout::Forever);
        assert_eq!(Timeout::from_ms(0).unwrap(), Timeout::Poll);
        assert_eq!(
            Timeout::from_ms(5).unwrap(),
            Timeout::After(Duration::from_millis(5))
        );
        assert_eq!(
            Timeout::from_ms(-2).unwrap_err().status,
            gazette_status::InvalidArgument
        );
    }

    #[test]
    fn pending_waits_expires_and_sees_aborts() {
        let rt = build(1).unwrap();
        let p = Pending::spawn(rt.handle(), async {
            tokio::time::sleep(Duration::from_millis(200)).await;
            7
        });
        assert!(matches!(p.wait(Timeout::Poll), Waited::Expired));
        assert!(matches!(
            p.wait(Timeout::After(Duration::from_millis(10))),
            Waited::Expired
        ));
        assert!(matches!(p.wait(Timeout::Forever), Waited::Done(7)));

        let p = Pending::spawn(rt.handle(), std::future::pending::<()>());
        let abort = p.abort_handle();
        std::thread::spawn(move || abort.abort());
        assert!(matches!(p.wait(Timeout::Forever), Waited::Gone));

        let p = Pending::spawn(rt.handle(), std::future::pending::<()>());
        shutdown(rt, Duration::from_secs(1));
        assert!(matches!(p.wait(Timeout::Forever), Waited::Gone));
    }
}
