//! `AsyncAppend`: a caller's side of an
//! [`AppendService`](super::append_service::AppendService) append, exclusive
//! write access to a journal's newest batch from `start_append` until
//! `release` (whose completion is an [`AppendFuture`]).

use std::sync::Arc;

use tokio::sync::OwnedMutexGuard;

pub use super::append_future::AppendFuture;
use super::append_service::{ChainState, Service};
use super::error::{Error, Result};
use super::spill_buffer::SpillBuffer;
use crate::protocol::AppendRequest;

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
            .field("journal", &self.future.request().journal)
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
        let keep = failed.is_none() && commit;
        guard.settle_tail(keep);
        self.service.unlock(guard);
        match failed {
            None if keep => Ok(self.future.clone()),
            failed => Err(failed.unwrap_or(Error::Canceled)),
        }
    }

    fn spill(&mut self) -> std::io::Result<&mut SpillBuffer> {
        let guard = self
            .guard
            .as_mut()
            .ok_or_else(|| std::io::Error::other("AsyncAppend already released"))?;
        guard.tail_spill(self.service.pool())
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
            .is_some_and(|guard| guard.tail_has_content());
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
