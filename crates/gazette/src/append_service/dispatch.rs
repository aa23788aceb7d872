//! One batch's Append RPC: waits for its dependencies, then streams its
//! spill file through an Appender, retrying with back-off until it commits,
//! fails terminally, or the service is cancelled.

use std::sync::Arc;

use bytes::Bytes;

use super::service::Service;
use crate::appender::{Appender, MAX_CHUNK_BYTES};
use crate::backoff::backoff;
use crate::error::{Error, Result};
use crate::op_future::{dependency_failed, OpFutures};
use crate::protocol::{AppendRequest, AppendResponse, Validate};
use crate::spill_buffer::{SpillBuffer, SpillFile};
use crate::stats::Stats;

impl Service {
    /// Waits for `dependencies`; the first failure (as "dependency failed:
    /// <err>"). Futures of other origins are abandoned on cancellation; the
    /// service's own always resolve promptly then, so they are awaited,
    /// keeping their error in the chain of causes.
    pub(super) async fn await_dependencies(&self, dependencies: &OpFutures) -> Result<()> {
        let mut first = Ok(());
        for dep in dependencies.iter() {
            let result = if dep.owner() == self.id {
                dep.wait().await
            } else {
                tokio::select! {
                    result = dep.wait() => result,
                    _ = self.cancel.cancelled() => return first.and(Err(Error::Canceled)),
                }
            };
            if let (Ok(()), Err(err)) = (&first, result) {
                first = Err(dependency_failed(err));
            }
        }
        first
    }

    /// Makes a batch's Append RPC: flushes its spill buffer, then streams
    /// bytes `[0, checkpoint)` through an Appender until it commits,
    /// retrying with back-off except on cancellation and terminal errors.
    pub(super) async fn append_batch(
        &self,
        request: &AppendRequest,
        spill: Option<&mut SpillBuffer>,
        checkpoint: u64,
    ) -> (Option<AppendResponse>, Result<()>) {
        // An invalid request can never succeed: fail it rather than retry.
        if request.journal.is_empty() {
            return (
                None,
                Err(Error::Validation("expected Request.Journal".into())),
            );
        }
        if let Err(err) = request.validate() {
            return (None, Err(Error::from(err.context("Request"))));
        }
        let file = match spill {
            None => None,
            Some(spill) => {
                let mut attempt = 0;
                while spill.flush().is_err() {
                    if self.pause(attempt).await.is_err() {
                        return (None, Err(Error::Canceled));
                    }
                    attempt += 1;
                }
                Some(spill.file())
            }
        };
        let mut attempt = 0;
        loop {
            let mut appender = Appender::new(&self.client, request.clone());
            let outcome = tokio::select! {
                biased;
                outcome = try_append(&mut appender, file.as_ref(), checkpoint) => outcome,
                _ = self.cancel.cancelled() => Err(Error::Canceled),
            };
            match outcome {
                Ok(()) => return (Some(appender.response), Ok(())),
                Err(err) if is_terminal(&err, request) => {
                    let response =
                        (appender.response.header.is_some()).then_some(appender.response);
                    return (response, Err(err));
                }
                Err(err) => {
                    tracing::warn!(
                        journal = %request.journal,
                        attempt,
                        error = %err,
                        "append service: append failed (will retry)"
                    );
                    Stats::add(&self.client.stats().retries, 1);
                    drop(appender);
                    if self.pause(attempt).await.is_err() {
                        return (None, Err(Error::Canceled));
                    }
                    attempt += 1;
                }
            }
        }
    }

    /// Sleeps the back-off of `attempt`; `Err` if cancelled meanwhile.
    pub(super) async fn pause(&self, attempt: i32) -> Result<()> {
        tokio::select! {
            _ = tokio::time::sleep(backoff(attempt)) => Ok(()),
            _ = self.cancel.cancelled() => Err(Error::Canceled),
        }
    }
}

/// True for errors after which a batch's RPC is not retried: cancellation,
/// and (unless the request checks registers, whose fencing must never
/// surface errors) FRAGMENT_STORE_UNHEALTHY, INDEX_HAS_GREATER_OFFSET,
/// JOURNAL_NOT_FOUND, NOT_ALLOWED, REGISTER_MISMATCH and WRONG_APPEND_OFFSET.
pub fn is_terminal(err: &Error, request: &AppendRequest) -> bool {
    match err {
        Error::Canceled | Error::DeadlineExceeded => true,
        // TLS and authorization failures need the application to act; an
        // expired token is re-signed by the next attempt.
        Error::Security { kind, .. } => !kind.is_retryable(),
        _ if request.check_registers.is_some() => false,
        Error::FragmentStoreUnhealthy { .. }
        | Error::IndexHasGreaterOffset
        | Error::JournalNotFound
        | Error::NotAllowed
        | Error::RegisterMismatch { .. }
        | Error::WrongAppendOffset => true,
        _ => false,
    }
}

/// One attempt: streams the spill file's first `checkpoint` bytes (read off
/// the async threads) and commits.
pub(super) async fn try_append(
    appender: &mut Appender,
    file: Option<&Arc<dyn SpillFile>>,
    checkpoint: u64,
) -> Result<()> {
    let mut offset = 0;
    while offset < checkpoint {
        let file = file.expect("content implies a spill file").clone();
        let len = (checkpoint - offset).min(MAX_CHUNK_BYTES as u64) as usize;
        let chunk = tokio::task::spawn_blocking(move || read_chunk(&*file, offset, len))
            .await
            .map_err(|err| Error::Io(Arc::new(std::io::Error::other(err))))??;
        offset += chunk.len() as u64;
        appender.write_bytes(chunk).await?;
    }
    appender.close().await
}

pub(super) fn read_chunk(file: &dyn SpillFile, offset: u64, len: usize) -> std::io::Result<Bytes> {
    let mut buf = vec![0u8; len];
    let mut filled = 0;
    while filled < len {
        match file.read_at(&mut buf[filled..], offset + filled as u64) {
            Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => filled += n,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(Bytes::from(buf))
}
