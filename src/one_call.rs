//! `OneCall`: the state of a handle that takes one call at a time (a reader,
//! an appender, an async append), with concurrent use detected instead of
//! undefined: a call that finds another one running on the same handle (on
//! another thread) returns GAZETTE_STATUS_BUSY at once and changes nothing.
//!
//! A `try_lock` of an uncontended mutex: one atomic exchange on entry and
//! one on exit, so the hot paths (an async append's write) stay cheap. The
//! handle itself is only ever borrowed shared, so two threads calling at
//! once never hold `&mut` to the same memory.

use std::sync::{Mutex, MutexGuard, TryLockError};

use super::error::FfiError;
use super::status::gazette_status;

/// A handle's mutable state, entered by one call at a time.
pub struct OneCall<T>(Mutex<T>);

impl<T> OneCall<T> {
    /// A handle's state, entered by nobody yet.
    pub fn new(state: T) -> Self {
        OneCall(Mutex::new(state))
    }

    /// Enters the state for one call, or BUSY naming `what` (e.g.
    /// "appender") if another call is inside. A call that panicked left the
    /// state as it was at the panic; it stays usable.
    pub fn enter(&self, what: &str) -> Result<MutexGuard<'_, T>, FfiError> {
        self.try_enter().ok_or_else(|| {
            FfiError::new(
                gazette_status::Busy,
                format!(
                    "the {what} is in use by a call on another thread: \
                     it takes one call at a time"
                ),
            )
        })
    }

    /// Like [`OneCall::enter`], `None` when busy: for accessors without a
    /// status.
    pub fn try_enter(&self) -> Option<MutexGuard<'_, T>> {
        match self.0.try_lock() {
            Ok(guard) => Some(guard),
            Err(TryLockError::Poisoned(p)) => Some(p.into_inner()),
            Err(TryLockError::WouldBlock) => None,
        }
    }

    /// Waits for a running call to leave (for frees, which the contract
    /// puts after every other call).
    pub fn wait_enter(&self) -> MutexGuard<'_, T> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The state, owned.
    pub fn into_inner(self) -> T {
        self.0.into_inner().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_call_is_busy_until_the_first_leaves() {
        let call = OneCall::new(0u32);
        let mut first = call.enter("appender").unwrap();
        *first += 1;
        // Another thread, while the first call is inside.
        std::thread::scope(|s| {
            s.spawn(|| {
                let err = call.enter("appender").unwrap_err();
                assert_eq!(err.status, gazette_status::Busy);
                assert!(
                    err.message.contains("appender is in use"),
                    "{}",
                    err.message
                );
                assert!(call.try_enter().is_none());
            });
        });
        drop(first);
        assert_eq!(*call.enter("appender").unwrap(), 1);
        assert_eq!(call.into_inner(), 1);
    }
}
