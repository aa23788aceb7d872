//! `AsyncAppend` and `AppendFuture`: a caller's side of an
//! [`AppendService`](super::append_service::AppendService) append. An
//! `AsyncAppend` is exclusive write access to a journal's newest batch,
//! from `start_append` until `release`; an `AppendFuture` is the batch's
//! completion, shared by every caller whose content went into it.

use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::OwnedMutexGuard;

use super::append_service::{fail_abandoned, ChainState, Service};
use super::error::{Error, Result};
use super::op_future::{AsyncOperation, OpFuture};
use super::spill_buffer::SpillBuffer;
use crate::protocol::{AppendRequest, AppendResponse};

/// What the callers of one batch share.
pub(super) struct BatchShared {
    /// Unique in the process, never reused (see [`AppendFuture::batch_id`]).
    id: u64,
    pub(super) request: AppendRequest,
    pub(super) op: AsyncOperation,
    /// The broker's last response, set before `op` resolves.
    pub(super) response: OnceLock<AppendResponse>,
}

/// The completion of one batch's Append RPC, shared by every caller whose
/// content went into it. Cheap to clone. Completes exactly once: `Ok` once
/// the batch committed, or with the error that failed it.
#[derive(Clone)]
pub struct AppendFuture {
    pub(super) shared: Arc<BatchShared>,
}

impl std::fmt::Debug for AppendFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppendFuture")
            .field("journal", &self.shared.request.journal)
            .field("result", &self.try_result())
            .finish()
    }
}

impl AppendFuture {
    /// The request the batch's RPC makes (or made).
    pub fn request(&self) -> &AppendRequest {
        &self.shared.request
    }

    /// The broker's response, once complete: for a success, its `commit`
    /// spans the whole batch, of which each caller's bytes are a part.
    /// `None` before completion, or if the batch failed without an answer.
    pub fn response(&self) -> Option<&AppendResponse> {
        if self.is_done() {
            self.shared.response.get()
        } else {
            None
        }
    }

    /// The future as an [`OpFuture`], e.g. to depend on it.
    pub fn op(&self) -> OpFuture {
        self.shared.op.future()
    }

    /// True once the batch completed.
    pub fn is_done(&self) -> bool {
        self.shared.op.is_done()
    }

    /// The outcome if complete, without waiting.
    pub fn try_result(&self) -> Option<Result<()>> {
        self.shared.op.try_result()
    }

    /// Waits asynchronously for the batch and returns its outcome.
    pub async fn wait(&self) -> Result<()> {
        self.shared.op.wait().await
    }

    /// Blocks the calling thread until the batch completes (Go's `Err()`).
    pub fn wait_blocking(&self) -> Result<()> {
        self.shared.op.wait_blocking()
    }

    /// Blocks for at most `timeout`; `None` if not complete by then.
    pub fn wait_timeout(&self, timeout: Duration) -> Option<Result<()>> {
        self.shared.op.wait_timeout(timeout)
    }

    /// Calls `callback` once the batch completes (see [`OpFuture::on_done`]).
    pub fn on_done(&self, callback: impl FnOnce(&Result<()>) + Send + 'static) {
        self.shared.op.on_done(callback)
    }

    /// True if both are the same batch.
    pub fn ptr_eq(&self, other: &AppendFuture) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// The batch's number: equal for the futures of appends that share a
    /// batch (one RPC), unique in the process otherwise, never 0.
    pub fn batch_id(&self) -> u64 {
        self.shared.id
    }

    /// A new, unresolved batch future; `owner` is the service's id.
    pub(super) fn new(request: AppendRequest, owner: u64) -> AppendFuture {
        static IDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        AppendFuture {
            shared: Arc::new(BatchShared {
                id: IDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
                request,
                op: AsyncOperation::owned_by(owner),
                response: OnceLock::new(),
            }),
        }
    }

    pub(super) fn resolve(&self, response: Option<AppendResponse>, result: Result<()>) {
        if let Some(response) = response {
            let _ = self.shared.response.set(response);
        }
        self.shared.op.resolve(result);
    }
}

impl From<AppendFuture> for OpFuture {
    fn from(future: AppendFuture) -> Self {
        future.op()
    }
}

impl From<&AppendFuture> for OpFuture {
    fn from(future: &AppendFuture) -> Self {
        future.op()
    }
}

/// Exclusive write access to a journal's newest batch, from
/// [`AppendService::start_append`](super::append_service::AppendService::start_append) until [`release`](AsyncAppend::release).
///
/// Write content through [`std::io::Write`]; writes go to the batch's spill
/// buffer (memory, then a temporary file) on the calling thread. Write
/// errors may be ignored: `release` checks for them. Dropping an
/// `AsyncAppend` without releasing it rolls its content back.
pub struct AsyncAppend {
    service: Arc<Service>,
    guard: Option<OwnedMutexGuard<ChainState>>,
    future: AppendFuture,
    /// First error passed to `require`.
    required: Option<Error>,
    /// First write error (sticky: later writes fail too).
    write_err: Option<Error>,
}

impl std::fmt::Debug for AsyncAppend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncAppend")
            .field("journal", &self.future.shared.request.journal)
            .field("required", &self.required)
            .field("write_err", &self.write_err)
            .finish()
    }
}

impl AsyncAppend {
    /// Write access to the newest batch of the chain locked by `guard`,
    /// whose future is `future`.
    pub(super) fn new(
        service: Arc<Service>,
        guard: OwnedMutexGuard<ChainState>,
        future: AppendFuture,
    ) -> AsyncAppend {
        AsyncAppend {
            service,
            guard: Some(guard),
            future,
            required: None,
            write_err: None,
        }
    }

    /// The request of the batch being written.
    pub fn request(&self) -> &AppendRequest {
        self.future.request()
    }

    /// The batch's completion future (shared with every caller batched
    /// into it).
    pub fn future(&self) -> AppendFuture {
        self.future.clone()
    }

    /// Requires `result` to be `Ok`: the first error passed here is kept,
    /// and makes `release` roll back this caller's writes and return it.
    /// Returns `self` for chaining (`aa.require(r).release()`).
    pub fn require<T, E: Into<Error>>(&mut self, result: std::result::Result<T, E>) -> &mut Self {
        if let Err(err) = result {
            self.required.get_or_insert(err.into());
        }
        self
    }

    /// Ends this caller's write access. If a required error or a write
    /// error is set, rolls back exactly this caller's bytes and returns it
    /// (the batch still goes ahead with other callers' content). Otherwise
    /// the bytes are queued for the batch's RPC, whose future is returned.
    pub fn release(mut self) -> Result<AppendFuture> {
        self.finish(true)
    }

    /// Like [`AsyncAppend::release`], for chaining after `require`.
    pub fn release_mut(&mut self) -> Result<AppendFuture> {
        self.finish(true)
    }

    fn finish(&mut self, commit: bool) -> Result<AppendFuture> {
        let Some(mut guard) = self.guard.take() else {
            return Err(Error::InvalidArgument(
                "AsyncAppend already released".into(),
            ));
        };
        let failed = self.required.take().or_else(|| self.write_err.take());
        let tail = guard.queue.back_mut().expect("held batch");
        let result = match (failed, commit) {
            (None, true) => {
                if let Some(spill) = &tail.spill {
                    tail.checkpoint = spill.len();
                }
                Ok(self.future.clone())
            }
            (failed, _) => {
                if let Some(spill) = &mut tail.spill {
                    spill.rollback(tail.checkpoint);
                }
                Err(failed.unwrap_or(Error::Canceled))
            }
        };
        if guard.abandoned.load(Ordering::SeqCst) {
            // The serve loop is gone (see `Serving`): nobody else will.
            let batches = guard.abandon(&self.service);
            drop(guard);
            fail_abandoned(batches);
        }
        result
    }

    fn spill(&mut self) -> std::io::Result<&mut SpillBuffer> {
        let guard = self
            .guard
            .as_mut()
            .ok_or_else(|| std::io::Error::other("AsyncAppend already released"))?;
        let tail = guard.queue.back_mut().expect("held batch");
        if tail.spill.is_none() {
            tail.spill = Some(self.service.pool.get()?);
        }
        Ok(tail.spill.as_mut().expect("just set"))
    }

    fn record(&mut self, result: std::io::Result<()>) -> std::io::Result<()> {
        if let Err(err) = &result {
            let kept = std::io::Error::new(err.kind(), err.to_string());
            self.write_err = Some(Error::from(kept));
        }
        result
    }
}

impl std::io::Write for AsyncAppend {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.write_all(data).map(|()| data.len())
    }

    fn write_all(&mut self, data: &[u8]) -> std::io::Result<()> {
        if let Some(err) = &self.write_err {
            return Err(err.clone().into());
        }
        if data.is_empty() {
            return Ok(());
        }
        let result = self.spill().and_then(|spill| spill.write_all(data));
        self.record(result)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if let Some(err) = &self.write_err {
            return Err(err.clone().into());
        }
        let holds_content = self
            .guard
            .as_ref()
            .and_then(|guard| guard.queue.back())
            .is_some_and(|tail| tail.spill.is_some());
        if !holds_content {
            return Ok(());
        }
        let result = self.spill().and_then(|spill| spill.flush());
        self.record(result)
    }
}

impl Drop for AsyncAppend {
    fn drop(&mut self) {
        if self.guard.is_some() {
            let _ = self.finish(false);
        }
    }
}
