//! `AppendFuture`: the completion of one AppendService batch's Append RPC,
//! shared by every caller whose content went into the batch.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use super::error::Result;
use super::op_future::{AsyncOperation, OpFuture};
use crate::protocol::{AppendRequest, AppendResponse};

/// What the callers of one batch share.
struct BatchShared {
    /// Unique in the process, never reused (see [`AppendFuture::batch_id`]).
    id: u64,
    request: AppendRequest,
    op: AsyncOperation,
    /// The broker's last response, set before `op` resolves.
    response: OnceLock<AppendResponse>,
}

/// The completion of one batch's Append RPC, shared by every caller whose
/// content went into it. Cheap to clone. Completes exactly once: `Ok` once
/// the batch committed, or with the error that failed it.
#[derive(Clone)]
pub struct AppendFuture {
    shared: Arc<BatchShared>,
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
    pub(crate) fn new(request: AppendRequest, owner: u64) -> AppendFuture {
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

    pub(crate) fn resolve(&self, response: Option<AppendResponse>, result: Result<()>) {
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
