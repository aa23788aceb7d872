//! `gazette_client`: one connection pool to a Gazette cluster, with its own
//! tokio runtime. Every other handle (reader, appender, list) keeps the
//! client's shared state alive, so handles may be freed in any order; once
//! the client is closed or freed they report `GAZETTE_STATUS_CLOSED`.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::runtime::{Handle, Runtime};
use tokio::sync::watch;

use super::args::{handle_ref, out_ptr};
use super::config::{gazette_config, Config};
use super::error::{gazette_error, FfiError};
use super::fork;
use super::ownership::take_box;
use super::runtime::{self, Pending, Timeout, Waited};
use super::status::gazette_status;

/// How long `gazette_client_free` waits for runtime threads to stop.
const FREE_WAIT: Duration = Duration::from_millis(500);

/// A client. Thread-safe: any function taking a client may be called from
/// any thread, concurrently. Create with `gazette_client_new`, free exactly
/// once with `gazette_client_free`.
pub struct gazette_client {
    pub(crate) shared: Arc<Shared>,
}

/// State shared by a client and every handle created from it.
pub struct Shared {
    /// The fork generation the client was made in (see `fork.rs`).
    fork_gen: u32,
    /// Mirrors `closed` for the hot paths' check (no lock to read it).
    closed_flag: AtomicBool,
    runtime: Mutex<Option<Runtime>>,
    handle: Handle,
    /// Set once by close/free; running operations watch it and stop.
    closed: watch::Sender<bool>,
    /// The async Rust client every operation runs through.
    pub client: gazette::Client,
}

/// The shared state of a required client argument, for an operation that
/// outlives the call (a task, a reader).
///
/// # Safety
/// `client` must be NULL or point to a live `gazette_client`.
pub unsafe fn client_shared(client: *const gazette_client) -> Result<Arc<Shared>, FfiError> {
    Ok(Arc::clone(&handle_ref(client, "client")?.shared))
}

impl Shared {
    fn new(config: Config) -> Result<Self, FfiError> {
        if config.client.endpoints.is_empty() {
            return Err(FfiError::invalid(
                "the configuration has no endpoint (gazette_config_add_endpoint)",
            ));
        }
        let rt = runtime::build(config.worker_threads)?;
        // Connections are made inside the runtime, which must be current.
        let client = {
            let _guard = rt.enter();
            gazette::Client::new(config.client)?
        };
        Ok(Shared {
            fork_gen: fork::generation(),
            closed_flag: AtomicBool::new(false),
            handle: rt.handle().clone(),
            runtime: Mutex::new(Some(rt)),
            closed: watch::Sender::new(false),
            client,
        })
    }

    /// The runtime's handle, for work that must run on it.
    pub(crate) fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Whether this is a `fork()` child of the creating process.
    #[inline]
    pub fn is_forked(&self) -> bool {
        fork::forked_since(self.fork_gen)
    }

    /// The fork generation the client was made in: a handle that keeps
    /// only this (not the client) can still tell it is in a fork child.
    pub fn fork_generation(&self) -> u32 {
        self.fork_gen
    }

    /// Fails with FORKED in a fork child and CLOSED after close/free.
    pub fn check(&self) -> Result<(), FfiError> {
        if self.is_forked() {
            return Err(forked());
        }
        if self.closed_flag.load(Ordering::Acquire) {
            return Err(FfiError::closed());
        }
        Ok(())
    }

    /// Starts `fut` on the runtime; it ends with CLOSED if the client closes first.
    pub fn spawn<F, T>(&self, fut: F) -> Result<Pending<Result<T, FfiError>>, FfiError>
    where
        F: Future<Output = Result<T, FfiError>> + Send + 'static,
        T: Send + 'static,
    {
        self.spawn_then(fut, || {})
    }

    /// Like [`Shared::spawn`], calling `then` once the result can be
    /// collected (see [`Pending::spawn_then`]).
    pub fn spawn_then<F, T>(
        &self,
        fut: F,
        then: impl FnOnce() + Send + 'static,
    ) -> Result<Pending<Result<T, FfiError>>, FfiError>
    where
        F: Future<Output = Result<T, FfiError>> + Send + 'static,
        T: Send + 'static,
    {
        self.check()?;
        let mut closed = self.closed.subscribe();
        let fut = async move {
            tokio::select! {
                r = fut => r,
                _ = closed.wait_for(|c| *c) => Err(FfiError::closed()),
            }
        };
        Ok(Pending::spawn_then(&self.handle, fut, then))
    }

    /// The error for an operation whose task disappeared.
    pub fn gone(&self) -> FfiError {
        self.check()
            .err()
            .unwrap_or_else(|| FfiError::new(gazette_status::Cancelled, "operation was cancelled"))
    }

    /// Runs a one-shot operation and waits for it up to `timeout_ms`; on
    /// expiry the operation is cancelled and TIMED_OUT (WOULD_BLOCK for 0)
    /// is returned as an error.
    pub fn call<F, T>(&self, timeout_ms: i32, fut: F) -> Result<T, FfiError>
    where
        F: Future<Output = Result<T, FfiError>> + Send + 'static,
        T: Send + 'static,
    {
        let timeout = Timeout::from_ms(timeout_ms)?;
        let pending = self.spawn(fut)?;
        match pending.wait(timeout) {
            Waited::Done(r) => r,
            // Dropping `pending` aborts the operation.
            Waited::Expired => Err(FfiError::new(
                timeout.expired_status(),
                format!("no result within {timeout_ms} ms; the operation was cancelled"),
            )),
            Waited::Gone => Err(self.gone()),
        }
    }

    /// Marks the client closed (running operations end with CLOSED) and
    /// stops its runtime, waiting up to `wait` for its threads.
    fn close(&self, wait: Duration) {
        self.closed_flag.store(true, Ordering::Release);
        self.closed.send_replace(true);
        let rt = self
            .runtime
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(rt) = rt {
            if self.is_forked() {
                // The runtime's threads do not exist in a fork child; joining
                // them would hang. Leak it instead.
                std::mem::forget(rt);
            } else {
                runtime::shutdown(rt, wait);
            }
        }
    }

    /// A shared state for tests, as if created by another process.
    #[cfg(test)]
    pub fn forked_for_test(config: Config) -> Self {
        let mut s = Shared::new(config).unwrap();
        s.fork_gen = s.fork_gen.wrapping_add(1);
        s
    }
}

/// The error of a handle used in a fork child.
pub fn forked() -> FfiError {
    FfiError::new(
        gazette_status::Forked,
        "this handle was created before fork(); create a new client in the child",
    )
}

impl Drop for Shared {
    fn drop(&mut self) {
        // The last child handle may be freed on any thread, even a runtime one.
        self.close(FREE_WAIT);
    }
}

/// Creates a client from a configuration, which is copied (the caller still
/// frees `cfg`). Connections are made lazily, so an unreachable broker is
/// reported by the first call that needs it. On success writes `*out`
/// (free it with `gazette_client_free`); on failure leaves it untouched.
///
/// Errors: NULL_POINTER, INVALID_ARGUMENT (no endpoint), INTERNAL.
#[no_mangle]
pub extern "C" fn gazette_client_new(
    cfg: *const gazette_config,
    out: *mut *mut gazette_client,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let cfg = unsafe { handle_ref(cfg, "cfg") }?;
        let out = out_ptr(out, "out")?;
        let shared = Arc::new(Shared::new(cfg.inner.clone())?);
        let client = Box::new(gazette_client { shared });
        // SAFETY: `out` is non-NULL and points to writable storage.
        unsafe { *out = Box::into_raw(client) };
        Ok(gazette_status::Ok)
    })
}

/// Closes a client: running operations of the client and of every handle
/// created from it end with CLOSED, and later calls return CLOSED. Waits up
/// to `timeout_ms` (-1 forever, 0 not at all) for the runtime's threads to
/// stop. The client must still be freed. Closing twice is fine.
///
/// Errors: NULL_POINTER, INVALID_ARGUMENT (bad timeout), FORKED.
#[no_mangle]
pub extern "C" fn gazette_client_close(
    client: *mut gazette_client,
    timeout_ms: i32,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let client = unsafe { handle_ref(client, "client") }?;
        let wait = match Timeout::from_ms(timeout_ms)? {
            // A year stands for "forever" without overflowing deadline arithmetic.
            Timeout::Forever => Duration::from_secs(365 * 24 * 3600),
            Timeout::Poll => Duration::ZERO,
            Timeout::After(d) => d,
        };
        if client.shared.is_forked() {
            return Err(client.shared.check().unwrap_err());
        }
        client.shared.close(wait);
        Ok(gazette_status::Ok)
    })
}

/// Takes ownership of a client and frees it. NULL is a no-op. Safe from any
/// thread, including a library callback thread; never blocks for long.
/// Handles created from the client stay valid (and must still be freed), but
/// report CLOSED. In a `fork()` child it releases nothing that would hang.
#[no_mangle]
pub extern "C" fn gazette_client_free(client: *mut gazette_client) {
    ffi_boundary!({
        if let Some(client) = take_box(client) {
            client.shared.close(FREE_WAIT);
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{gazette_config_add_endpoint, gazette_config_free, gazette_config_new};
    use gazette::ClientConfig;

    fn config() -> Config {
        Config {
            client: ClientConfig::new("http://127.0.0.1:1"),
            ..Config::default()
        }
    }

    #[test]
    fn new_requires_an_endpoint_and_writes_out_only_on_success() {
        let cfg = gazette_config_new();
        let mut out: *mut gazette_client = std::ptr::null_mut();
        let mut err: *mut gazette_error = std::ptr::null_mut();
        let st = gazette_client_new(cfg, &mut out, &mut err);
        assert_eq!(st, gazette_status::InvalidArgument);
        assert!(out.is_null());
        assert!(!err.is_null());
        crate::error::gazette_error_free(err);

        let ep = "http://127.0.0.1:1";
        let e = std::ptr::null_mut();
        assert_eq!(
            gazette_config_add_endpoint(cfg, ep.as_ptr().cast(), ep.len(), e),
            gazette_status::Ok
        );
        assert_eq!(gazette_client_new(cfg, &mut out, e), gazette_status::Ok);
        gazette_config_free(cfg); // copied: the client does not need it
        assert!(!out.is_null());
        assert_eq!(
            gazette_client_new(std::ptr::null(), &mut out, e),
            gazette_status::NullPointer
        );
        assert_eq!(gazette_client_close(out, -1, e), gazette_status::Ok);
        assert_eq!(gazette_client_close(out, 0, e), gazette_status::Ok);
        assert_eq!(
            gazette_client_close(out, -5, e),
            gazette_status::InvalidArgument
        );
        gazette_client_free(out);
        gazette_client_free(std::ptr::null_mut());
    }

    #[test]
    fn calls_time_out_and_close_ends_running_operations() {
        let shared = Arc::new(Shared::new(config()).unwrap());
        let r: Result<(), _> = shared.call(20, std::future::pending());
        assert_eq!(r.unwrap_err().status, gazette_status::TimedOut);
        let r: Result<(), _> = shared.call(0, std::future::pending());
        assert_eq!(r.unwrap_err().status, gazette_status::WouldBlock);
        assert_eq!(shared.call(-1, async { Ok(5) }).unwrap(), 5);

        // A child handle waiting forever is released by close from another thread.
        let child = Arc::clone(&shared);
        let waiter = std::thread::spawn(move || {
            child
                .call::<_, ()>(-1, std::future::pending())
                .unwrap_err()
                .status
        });
        std::thread::sleep(Duration::from_millis(50));
        shared.close(FREE_WAIT);
        assert_eq!(waiter.join().unwrap(), gazette_status::Closed);
        let r: Result<(), _> = shared.call(-1, async { Ok(()) });
        assert_eq!(r.unwrap_err().status, gazette_status::Closed);
    }

    #[test]
    fn forked_handles_report_forked_and_free_does_not_hang() {
        let shared = Shared::forked_for_test(config());
        let r: Result<(), _> = shared.call(-1, async { Ok(()) });
        assert_eq!(r.unwrap_err().status, gazette_status::Forked);
        let client = Box::into_raw(Box::new(gazette_client {
            shared: Arc::new(shared),
        }));
        let mut err = std::ptr::null_mut();
        assert_eq!(
            gazette_client_close(client, -1, &mut err),
            gazette_status::Forked
        );
        crate::error::gazette_error_free(err);
        gazette_client_free(client); // leaks the runtime instead of joining
    }

    #[test]
    fn free_from_a_runtime_thread_does_not_panic() {
        let shared = Arc::new(Shared::new(config()).unwrap());
        let client = Box::into_raw(Box::new(gazette_client {
            shared: Arc::clone(&shared),
        })) as usize;
        // Free the client from inside one of its own runtime's tasks.
        let r = shared.call(-1, async move {
            gazette_client_free(client as *mut gazette_client);
            Ok(())
        });
        // The runtime went away under the task: either outcome is fine, no panic.
        if let Err(e) = r {
            assert_eq!(e.status, gazette_status::Closed);
        }
    }
}
