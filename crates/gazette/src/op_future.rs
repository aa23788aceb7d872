//! Futures of operations running in the background (Go's `OpFuture`,
//! `OpFutures`, `AsyncOperation` and `FinishedOperation`).
//!
//! An [`OpFuture`] completes exactly once, with `Ok(())` or an [`Error`]. It
//! can be awaited from async code, waited on (with or without a timeout)
//! from a plain thread, polled, or given completion callbacks; all of these
//! may be mixed freely and from any thread.

use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use super::error::{Error, Result};

type Callback = Box<dyn FnOnce(&Result<()>) + Send>;

#[derive(Default)]
struct State {
    result: Option<Result<()>>,
    callbacks: Vec<Callback>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    /// Wakes plain threads blocked in `wait_blocking` / `wait_timeout`.
    cond: Condvar,
    /// Wakes async waiters.
    notify: Notify,
    /// Id of the `AppendService` whose serve loop resolves this future (0 if
    /// none): such futures are known to resolve promptly once that service
    /// is cancelled, so its loops may keep waiting on them.
    owner: u64,
}

/// A handle on an operation executing in the background, which completes
/// exactly once. Cheap to clone; clones observe the same operation, and
/// compare equal (identity, not value), which is what [`OpFutures`] sets use.
#[derive(Clone)]
pub struct OpFuture {
    shared: Arc<Shared>,
}

impl OpFuture {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.shared.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// True once the operation has completed (Go's `Done()` having selected).
    pub fn is_done(&self) -> bool {
        self.lock().result.is_some()
    }

    /// The operation's outcome if it has completed, without waiting.
    pub fn try_result(&self) -> Option<Result<()>> {
        self.lock().result.clone()
    }

    /// Waits asynchronously for the operation and returns its outcome.
    pub async fn wait(&self) -> Result<()> {
        loop {
            let notified = self.shared.notify.notified();
            tokio::pin!(notified);
            // Register before checking, so a resolve in between is not missed.
            notified.as_mut().enable();
            if let Some(result) = self.try_result() {
                return result;
            }
            notified.await;
        }
    }

    /// Blocks the calling thread until the operation completes, then returns
    /// its outcome (Go's `Err()`). Don't call it from async code.
    pub fn wait_blocking(&self) -> Result<()> {
        let mut state = self.lock();
        loop {
            if let Some(result) = &state.result {
                return result.clone();
            }
            state = self
                .shared
                .cond
                .wait(state)
                .unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Blocks the calling thread for at most `timeout`: the outcome if the
    /// operation completed in time, else `None`. A zero timeout polls.
    pub fn wait_timeout(&self, timeout: Duration) -> Option<Result<()>> {
        let deadline = Instant::now().checked_add(timeout);
        let mut state = self.lock();
        loop {
            if let Some(result) = &state.result {
                return Some(result.clone());
            }
            let left = match deadline {
                None => Duration::from_secs(3600),
                Some(deadline) => deadline.checked_duration_since(Instant::now())?,
            };
            if left.is_zero() {
                return None;
            }
            state = self
                .shared
                .cond
                .wait_timeout(state, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// Calls `callback` with the outcome once the operation completes: on
    /// the resolving thread, or right away on this one if it already has.
    /// Each callback is called exactly once.
    pub fn on_done(&self, callback: impl FnOnce(&Result<()>) + Send + 'static) {
        let mut state = self.lock();
        match state.result.clone() {
            Some(result) => {
                drop(state);
                callback(&result);
            }
            None => state.callbacks.push(Box::new(callback)),
        }
    }

    /// True if `self` and `other` are handles on the same operation.
    pub fn ptr_eq(&self, other: &OpFuture) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    pub(crate) fn owner(&self) -> u64 {
        self.shared.owner
    }

    /// Completes the operation; false (and no effect) if it already was.
    fn resolve(&self, result: Result<()>) -> bool {
        let callbacks = {
            let mut state = self.lock();
            if state.result.is_some() {
                return false;
            }
            state.result = Some(result.clone());
            std::mem::take(&mut state.callbacks)
        };
        self.shared.cond.notify_all();
        self.shared.notify.notify_waiters();
        for callback in callbacks {
            callback(&result);
        }
        true
    }
}

impl PartialEq for OpFuture {
    fn eq(&self, other: &Self) -> bool {
        self.ptr_eq(other)
    }
}

impl Eq for OpFuture {}

impl Hash for OpFuture {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (Arc::as_ptr(&self.shared) as usize).hash(state);
    }
}

impl std::fmt::Debug for OpFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpFuture")
            .field("id", &Arc::as_ptr(&self.shared))
            .field("result", &self.try_result())
            .finish()
    }
}

/// An operation resolved by hand (Go's `AsyncOperation`): create it, hand
/// out its [`future`](AsyncOperation::future), and [`resolve`](AsyncOperation::resolve)
/// it when the work is done. Dereferences to its [`OpFuture`].
#[derive(Debug)]
pub struct AsyncOperation {
    future: OpFuture,
}

impl Default for AsyncOperation {
    fn default() -> Self {
        AsyncOperation::new()
    }
}

impl AsyncOperation {
    /// A new, unresolved operation.
    pub fn new() -> Self {
        Self::owned_by(0)
    }

    pub(crate) fn owned_by(owner: u64) -> Self {
        AsyncOperation {
            future: OpFuture {
                shared: Arc::new(Shared {
                    owner,
                    ..Default::default()
                }),
            },
        }
    }

    /// The operation's future (a handle sharing its completion).
    pub fn future(&self) -> OpFuture {
        self.future.clone()
    }

    /// Completes the operation with `result`, waking every waiter and
    /// running every callback. Only the first call has an effect; it
    /// returns true, later ones false.
    pub fn resolve(&self, result: Result<()>) -> bool {
        self.future.resolve(result)
    }
}

impl std::ops::Deref for AsyncOperation {
    type Target = OpFuture;
    fn deref(&self) -> &OpFuture {
        &self.future
    }
}

/// An already-completed future carrying `result` (Go's `FinishedOperation`).
pub fn finished_operation(result: Result<()>) -> OpFuture {
    let op = AsyncOperation::new();
    op.resolve(result);
    op.future()
}

/// A set of [`OpFuture`]s, compared by identity (Go's `OpFutures`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpFutures {
    set: HashSet<OpFuture>,
}

impl OpFutures {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `future`; false if it was already present.
    pub fn insert(&mut self, future: impl Into<OpFuture>) -> bool {
        self.set.insert(future.into())
    }

    /// True if `future` is in the set.
    pub fn contains(&self, future: &OpFuture) -> bool {
        self.set.contains(future)
    }

    /// Number of futures in the set.
    pub fn len(&self) -> usize {
        self.set.len()
    }

    /// True if the set is empty.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    /// The futures, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &OpFuture> {
        self.set.iter()
    }

    /// True if every future of `self` is also in `other` (the empty set is a
    /// subset of every set).
    pub fn is_subset_of(&self, other: &OpFutures) -> bool {
        self.set.is_subset(&other.set)
    }
}

impl<F: Into<OpFuture>> FromIterator<F> for OpFutures {
    fn from_iter<I: IntoIterator<Item = F>>(iter: I) -> Self {
        OpFutures {
            set: iter.into_iter().map(Into::into).collect(),
        }
    }
}

impl<F: Into<OpFuture>> Extend<F> for OpFutures {
    fn extend<I: IntoIterator<Item = F>>(&mut self, iter: I) {
        self.set.extend(iter.into_iter().map(Into::into));
    }
}

impl IntoIterator for OpFutures {
    type Item = OpFuture;
    type IntoIter = std::collections::hash_set::IntoIter<OpFuture>;
    fn into_iter(self) -> Self::IntoIter {
        self.set.into_iter()
    }
}

impl From<&OpFuture> for OpFuture {
    fn from(future: &OpFuture) -> Self {
        future.clone()
    }
}

impl From<&AsyncOperation> for OpFuture {
    fn from(op: &AsyncOperation) -> Self {
        op.future()
    }
}

/// Error texts of a dependency failure are Go's: "dependency failed: <err>".
pub(crate) fn dependency_failed(err: Error) -> Error {
    Error::DependencyFailed(Box::new(err))
}
