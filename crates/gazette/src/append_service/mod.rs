//! `AppendService`: batched, ordered, durable asynchronous appends (Go's
//! `client.AppendService`).
//!
//! Per journal the service keeps a FIFO chain of batches. A caller starts an
//! append with [`AppendService::start_append`], gaining exclusive write
//! access to the journal's newest batch; it writes, then
//! [`releases`](AsyncAppend::release) it. Callers with identical requests
//! and compatible dependencies share a batch, so many small writes become
//! few RPCs. One task per journal dispatches the batches in order, each as
//! one Append RPC retried until it commits or fails terminally. Batch bytes
//! wait in [spill files](super::spill_buffer), so long broker outages are
//! ridden out up to disk capacity.
//!
//! Errors are sticky per journal: once a batch fails (a failed dependency,
//! cancellation, or a terminal broker status), every later append to that
//! journal fails with the same error for the life of the service.

//! The parts: `config` (settings), `service` (the shared core: the index
//! of chains by journal), `chain` (one journal's batches), `want` (what a
//! start asks for and which batch takes it), `serve` (each chain's dispatch
//! loop) and `dispatch` (one batch's RPC with retries).

mod chain;
mod config;
mod dispatch;
mod serve;
mod service;
mod want;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use super::client::Client;
use super::error::{Error, Result};
use super::op_future::{finished_operation, OpFutures};
use crate::protocol::AppendRequest;

pub use super::async_append::{AppendFuture, AsyncAppend};
pub(crate) use chain::ChainState;
pub use config::{AppendServiceConfig, DEFAULT_MAX_IDLE_BUFFERS, DEFAULT_SIZE_CUTOFF};
pub use dispatch::is_terminal;
pub(crate) use service::Service;
use want::{admit_all, Want};

/// Batches, dispatches and retries asynchronous appends (Go's
/// `AppendService`). Cheap to clone; clones share the service. Dropping the
/// last clone cancels it: appends not yet committed fail with
/// [`Error::Canceled`].
#[derive(Clone)]
pub struct AppendService {
    handle: Arc<ServiceHandle>,
}

/// Cancels the service when the last `AppendService` clone goes away.
struct ServiceHandle {
    service: Arc<Service>,
}

impl Drop for ServiceHandle {
    fn drop(&mut self) {
        self.service.cancel.cancel();
    }
}

impl std::fmt::Debug for AppendService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppendService")
            .field("journals", &self.service().lock_index().chains.len())
            .finish()
    }
}

impl AppendService {
    /// A service appending through `client`, with default settings. Must be
    /// called within a tokio runtime (which then runs its tasks).
    pub fn new(client: Client) -> AppendService {
        Self::with_config(client, AppendServiceConfig::default())
    }

    /// A service with `config`. Unless `config.runtime` is set, must be
    /// called within a tokio runtime.
    pub fn with_config(client: Client, config: AppendServiceConfig) -> AppendService {
        let runtime = config.runtime.clone().unwrap_or_else(|| {
            tokio::runtime::Handle::try_current().expect(
                "AppendService needs a tokio runtime: create it within one or set config.runtime",
            )
        });
        let service = Service::new(client, config, runtime);
        AppendService {
            handle: Arc::new(ServiceHandle {
                service: Arc::new(service),
            }),
        }
    }

    fn service(&self) -> &Arc<Service> {
        &self.handle.service
    }

    /// The client the service appends through.
    pub fn client(&self) -> &Client {
        &self.service().client
    }

    /// Starts an append of `request` that runs only after every future of
    /// `dependencies` succeeded (Go's `StartAppend`). Waits for exclusive
    /// write access to the journal's newest batch, which the returned
    /// [`AsyncAppend`] holds until it is released (or dropped).
    ///
    /// The append joins the newest batch if its request is identical, its
    /// dependencies are a subset of that batch's, and the batch holds no
    /// more than the size cutoff; else it starts a new batch after it.
    pub async fn start_append(
        &self,
        request: AppendRequest,
        dependencies: OpFutures,
    ) -> AsyncAppend {
        let want = Want::of(&request, &dependencies);
        loop {
            let Ok((chain, serve)) = self.service().chain_for(&want, &mut admit_all);
            let guard = chain.state.clone().lock_owned().await;
            match self.service().join(guard, serve, &want) {
                Some(append) => return append,
                None => tokio::task::yield_now().await,
            }
        }
    }

    /// Like [`AppendService::start_append`], blocking the calling thread.
    /// For plain threads: must not be called from async code.
    pub fn start_append_blocking(
        &self,
        request: AppendRequest,
        dependencies: OpFutures,
    ) -> AsyncAppend {
        let want = Want::of(&request, &dependencies);
        loop {
            let Ok((chain, serve)) = self.service().chain_for(&want, &mut admit_all);
            // Uncontended (the common case) costs one atomic; only a busy
            // chain pays for parking the thread.
            let guard = match chain.state.clone().try_lock_owned() {
                Ok(guard) => guard,
                Err(_) => chain.state.clone().blocking_lock_owned(),
            };
            match self.service().join(guard, serve, &want) {
                Some(append) => return append,
                None => std::thread::yield_now(),
            }
        }
    }

    /// Like [`AppendService::start_append`] if write access is free right
    /// now, on the calling thread and without waiting; `None` if another
    /// caller (or the dispatcher, briefly) holds the journal's batch. Safe
    /// from any context, async or not.
    pub fn try_start_append(
        &self,
        request: &AppendRequest,
        dependencies: &OpFutures,
    ) -> Option<AsyncAppend> {
        self.try_start_append_to(&request.journal, Some(request), dependencies)
    }

    /// Like [`AppendService::try_start_append`] for the request `options`
    /// (the default request if `None`; its own journal is ignored) sent to
    /// `journal`. The request is built only if a new batch needs one, so
    /// joining a batch allocates nothing: the hot path of many small
    /// appends.
    pub fn try_start_append_to(
        &self,
        journal: &str,
        options: Option<&AppendRequest>,
        dependencies: &OpFutures,
    ) -> Option<AsyncAppend> {
        let Ok(append) = self.try_start_append_checked(journal, options, dependencies, admit_all);
        append
    }

    /// Like [`AppendService::try_start_append_to`], running `check` first
    /// if the journal has no live chain (no append pending), and failing
    /// with its error. Callers validate a journal name this way once per
    /// chain rather than on every append. `check` runs under the service's
    /// index lock: keep it short.
    pub fn try_start_append_checked<E>(
        &self,
        journal: &str,
        options: Option<&AppendRequest>,
        dependencies: &OpFutures,
        check: impl FnOnce() -> std::result::Result<(), E>,
    ) -> std::result::Result<Option<AsyncAppend>, E> {
        let want = Want {
            journal,
            options,
            dependencies,
        };
        let mut check = Some(check);
        let mut admit = || check.take().map_or(Ok(()), |check| check());
        loop {
            let (chain, serve) = self.service().chain_for(&want, &mut admit)?;
            // On failure a new chain's starter (if any) starts its loop on drop.
            let Ok(guard) = chain.state.clone().try_lock_owned() else {
                return Ok(None);
            };
            if let Some(append) = self.service().join(guard, serve, &want) {
                return Ok(Some(append));
            }
        }
    }

    /// Futures of every pending append of journals other than `except` (all
    /// journals if it is empty), plus a completed future carrying each
    /// recorded terminal error of those journals (Go's `PendingExcept`).
    /// Depending on them makes a "barrier": the new append starts only after
    /// everything pending elsewhere committed.
    pub fn pending_except(&self, except: &str) -> OpFutures {
        let index = self.service().lock_index();
        let mut out = OpFutures::new();
        for (journal, err) in &index.errs {
            if journal != except {
                out.insert(finished_operation(Err(err.clone())));
            }
        }
        for (journal, (_, tail)) in &index.chains {
            if journal != except {
                out.insert(tail.op());
            }
        }
        out
    }

    /// The terminal error recorded for `journal`, if its appends now fail.
    pub fn journal_error(&self, journal: &str) -> Option<Error> {
        self.service().lock_index().errs.get(journal).cloned()
    }

    /// Number of journals with appends pending.
    pub fn pending_journals(&self) -> usize {
        self.service().lock_index().chains.len()
    }

    /// Idle spill files held for reuse.
    pub fn idle_buffers(&self) -> usize {
        self.service().pool.idle_count()
    }

    /// Times a `start_append` found the chain it waited on completed and
    /// started over with a new one (Go's StartAppend retry).
    pub fn start_restarts(&self) -> u64 {
        self.service().restarts.load(Ordering::Relaxed)
    }

    /// Cancels the service (Go's context cancellation): in-flight and
    /// queued appends fail with [`Error::Canceled`], dependants on other
    /// journals with "dependency failed: context canceled", and every later
    /// append fails at once.
    pub fn cancel(&self) {
        self.service().cancel.cancel();
    }

    /// True once the service was cancelled (or closed).
    pub fn is_cancelled(&self) -> bool {
        self.service().cancel.is_cancelled()
    }

    /// Shuts the service down: waits up to `timeout` for every pending
    /// append to complete, then cancels the rest, and returns once every
    /// append has completed (each exactly once). `Ok` if everything drained
    /// in time, else [`Error::Canceled`]. Idle spill files are closed.
    ///
    /// A caller still holding an [`AsyncAppend`] delays the return until it
    /// releases it.
    pub async fn close(&self, timeout: Duration) -> Result<()> {
        let service = self.service();
        let drained = tokio::time::timeout(timeout, service.wait_idle())
            .await
            .is_ok();
        service.cancel.cancel();
        service.wait_idle().await;
        service.pool.clear();
        if drained {
            Ok(())
        } else {
            Err(Error::Canceled)
        }
    }

    /// Like [`AppendService::close`], blocking the calling thread. For plain
    /// threads: must not be called from async code.
    pub fn close_blocking(&self, timeout: Duration) -> Result<()> {
        self.service().runtime.clone().block_on(self.close(timeout))
    }
}
