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

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use tokio::runtime::Handle;
use tokio::sync::{Notify, OwnedMutexGuard};
use tokio_util::sync::CancellationToken;

use super::appender::{Appender, MAX_CHUNK_BYTES};
pub use super::async_append::{AppendFuture, AsyncAppend};
use super::backoff::backoff;
use super::client::Client;
use super::error::{Error, Result};
use super::op_future::{dependency_failed, finished_operation, OpFutures};
use super::spill_buffer::{SpillBuffer, SpillFactory, SpillFile, SpillPool, DEFAULT_BUFFER_SIZE};
use super::stats::Stats;
use crate::protocol::{AppendRequest, AppendResponse, Validate};

/// Default batch size cutoff: a batch holding more than this many bytes
/// takes no further appends (Go's 64 MiB).
pub const DEFAULT_SIZE_CUTOFF: u64 = 64 << 20;

/// Default number of idle spill files an AppendService keeps for reuse.
pub const DEFAULT_MAX_IDLE_BUFFERS: usize = 16;

/// Settings of an [`AppendService`].
#[derive(Clone)]
pub struct AppendServiceConfig {
    /// A batch whose committed bytes exceed this takes no more appends; the
    /// next append starts a new batch. Default [`DEFAULT_SIZE_CUTOFF`].
    pub size_cutoff: u64,
    /// Bytes of memory in front of each spill file. Default 8 KiB.
    pub buffer_size: usize,
    /// Idle spill files kept for reuse; the rest are closed. Default
    /// [`DEFAULT_MAX_IDLE_BUFFERS`].
    pub max_idle_buffers: usize,
    /// Runtime that runs the service's tasks. `None`: the runtime current
    /// when the service is created.
    pub runtime: Option<Handle>,
    /// Makes the storage behind new spill buffers. `None`: unlinked
    /// temporary files in the system's temporary directory.
    pub spill_factory: Option<SpillFactory>,
}

impl std::fmt::Debug for AppendServiceConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppendServiceConfig")
            .field("size_cutoff", &self.size_cutoff)
            .field("buffer_size", &self.buffer_size)
            .field("max_idle_buffers", &self.max_idle_buffers)
            .field("runtime", &self.runtime.is_some())
            .field("spill_factory", &self.spill_factory.is_some())
            .finish()
    }
}

impl Default for AppendServiceConfig {
    fn default() -> Self {
        AppendServiceConfig {
            size_cutoff: DEFAULT_SIZE_CUTOFF,
            buffer_size: DEFAULT_BUFFER_SIZE,
            max_idle_buffers: DEFAULT_MAX_IDLE_BUFFERS,
            runtime: None,
            spill_factory: None,
        }
    }
}

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

pub(super) struct Service {
    /// Stamped on batch futures, to recognise this service's own.
    id: u64,
    client: Client,
    config: AppendServiceConfig,
    runtime: Handle,
    cancel: CancellationToken,
    index: Mutex<Index>,
    /// Signalled whenever the last chain finishes.
    idle: Notify,
    pub(super) pool: SpillPool,
    /// Times a `start_append` found its chain completed and started over.
    restarts: AtomicU64,
}

#[derive(Default)]
struct Index {
    /// Live chains by journal, with the future of each one's newest batch.
    chains: HashMap<String, (Arc<Chain>, AppendFuture)>,
    /// Terminal error of each journal whose chain ended in one.
    errs: HashMap<String, Error>,
}

/// One journal's chain of batches, served by one task. Its mutex is Go's
/// shared per-journal mutex: a caller holds it from `start_append` to
/// `release`, and the serve loop takes it to freeze the next batch.
struct Chain {
    state: Arc<tokio::sync::Mutex<ChainState>>,
}

pub(super) struct ChainState {
    /// Set (with the lock held) when the serve loop ends; a caller that
    /// finds it set starts over with a new chain.
    finished: bool,
    /// Batches not yet dispatched, oldest first. The newest (back) is the
    /// one new appends may join. Never empty while not finished.
    pub(super) queue: VecDeque<Batch>,
    /// Set when the serve loop was dropped before finishing (its runtime
    /// shut down, or it panicked) while a caller held the lock: that caller
    /// then fails the chain's batches on release.
    pub(super) abandoned: Arc<AtomicBool>,
}

impl ChainState {
    /// Ends a chain nobody serves any more: takes its batches (to fail
    /// with [`Error::Canceled`] once the lock is released) and removes it
    /// from the index, recording the error for the journal.
    pub(super) fn abandon(&mut self, service: &Service) -> Vec<Batch> {
        if self.finished {
            return Vec::new();
        }
        self.finished = true;
        let batches: Vec<Batch> = self.queue.drain(..).collect();
        if let Some(last) = batches.last() {
            service.retire_chain(&last.future, Some(Error::Canceled));
        }
        batches
    }
}

/// Fails abandoned batches; call with the chain's lock released.
pub(super) fn fail_abandoned(batches: Vec<Batch>) {
    for batch in batches {
        batch.future.resolve(None, Err(Error::Canceled));
    }
}

/// Starts a new chain's serve loop: explicitly once its creator holds the
/// chain's lock, or on drop if the creator gave up waiting for it (a
/// cancelled `start_append`), so no chain is left unserved.
struct ServeStarter {
    serving: Option<Serving>,
    err: Option<Error>,
}

impl ServeStarter {
    fn start(&mut self) {
        if let Some(serving) = self.serving.take() {
            // The loop owns `Serving` from here: if the runtime is already
            // shut down, dropping the unstarted task marks the chain
            // abandoned, and the lock holder's release fails it.
            let runtime = serving.service.runtime.clone();
            runtime.spawn(serve_chain(serving, self.err.take()));
        }
    }
}

impl Drop for ServeStarter {
    fn drop(&mut self) {
        self.start();
    }
}

/// Owned by a serve loop. If the loop is dropped before it finishes (its
/// runtime shut down, or it panicked), fails whatever it leaves behind, so
/// no future waits forever.
struct Serving {
    service: Arc<Service>,
    state: Arc<tokio::sync::Mutex<ChainState>>,
    abandoned: Arc<AtomicBool>,
    /// The batch being dispatched (out of the queue).
    in_flight: Option<AppendFuture>,
    finished: bool,
}

impl Drop for Serving {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        self.abandoned.store(true, Ordering::SeqCst);
        if let Some(future) = self.in_flight.take() {
            future.resolve(None, Err(Error::Canceled));
        }
        // The loop never holds the lock across an await, so only a caller
        // can hold it now; that caller abandons the chain on release.
        let batches = match self.state.try_lock() {
            Ok(mut state) => state.abandon(&self.service),
            Err(_) => return,
        };
        fail_abandoned(batches);
    }
}

/// One Append RPC in the making.
pub(super) struct Batch {
    future: AppendFuture,
    /// Operations that must succeed before the RPC may start.
    dependencies: OpFutures,
    /// Content written so far (created on the first write).
    pub(super) spill: Option<SpillBuffer>,
    /// Returned by `start_append` at least once: someone may be waiting on
    /// its RPC, so it is made even if empty (a write barrier).
    used: bool,
    /// Bytes of released (not rolled back) content: what the RPC appends.
    pub(super) checkpoint: u64,
}

impl Batch {
    fn new(service: &Service, request: AppendRequest, dependencies: OpFutures) -> Batch {
        Batch {
            future: AppendFuture::new(request, service.id),
            dependencies,
            spill: None,
            used: false,
            checkpoint: 0,
        }
    }
}

/// Admits every new chain (starts that check nothing).
fn admit_all() -> std::result::Result<(), std::convert::Infallible> {
    Ok(())
}

/// What a `start_append` asks for: a journal, the other request fields
/// (`options`; the default request if `None`) and dependencies.
struct Want<'a> {
    journal: &'a str,
    options: Option<&'a AppendRequest>,
    dependencies: &'a OpFutures,
}

impl<'a> Want<'a> {
    fn of(request: &'a AppendRequest, dependencies: &'a OpFutures) -> Want<'a> {
        Want {
            journal: &request.journal,
            options: Some(request),
            dependencies,
        }
    }

    /// The request, built (only when a new batch needs it).
    fn request(&self) -> AppendRequest {
        let mut request = self.options.cloned().unwrap_or_default();
        if request.journal != self.journal {
            request.journal = self.journal.to_string();
        }
        request
    }

    /// Whether a batch of the chain of `journal` sending `request` takes
    /// this append: every field but the journal (the chain's) must match.
    fn matches(&self, request: &AppendRequest) -> bool {
        let default = AppendRequest::default();
        let want = self.options.unwrap_or(&default);
        // Destructured so a new field cannot be forgotten here.
        let AppendRequest {
            header,
            journal: _,
            do_not_proxy,
            content,
            offset,
            check_registers,
            union_registers,
            subtract_registers,
            suspend,
            min_etcd_revision,
        } = request;
        *do_not_proxy == want.do_not_proxy
            && *offset == want.offset
            && *suspend == want.suspend
            && *min_etcd_revision == want.min_etcd_revision
            && *header == want.header
            && content.len() == want.content.len()
            && (content.is_empty() || *content == want.content)
            && *check_registers == want.check_registers
            && *union_registers == want.union_registers
            && *subtract_registers == want.subtract_registers
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
        static IDS: AtomicU64 = AtomicU64::new(1);
        let runtime = config.runtime.clone().unwrap_or_else(|| {
            Handle::try_current().expect(
                "AppendService needs a tokio runtime: create it within one or set config.runtime",
            )
        });
        let service = Service {
            id: IDS.fetch_add(1, Ordering::Relaxed),
            client,
            pool: match &config.spill_factory {
                Some(factory) => SpillPool::with_factory(
                    config.buffer_size,
                    config.max_idle_buffers,
                    factory.clone(),
                ),
                None => SpillPool::new(config.buffer_size, config.max_idle_buffers),
            },
            config,
            runtime,
            cancel: CancellationToken::new(),
            index: Mutex::new(Index::default()),
            idle: Notify::new(),
            restarts: AtomicU64::new(0),
        };
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

impl Service {
    fn lock_index(&self) -> MutexGuard<'_, Index> {
        self.index.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The journal's live chain, created if there is none; for a new chain,
    /// also the starter of its serve loop.
    fn chain_for<E>(
        self: &Arc<Self>,
        want: &Want<'_>,
        admit: &mut dyn FnMut() -> std::result::Result<(), E>,
    ) -> std::result::Result<(Arc<Chain>, Option<ServeStarter>), E> {
        let mut index = self.lock_index();
        if let Some((chain, _)) = index.chains.get(want.journal) {
            return Ok((chain.clone(), None));
        }
        admit()?;
        let request = want.request();
        let batch = Batch::new(self, request.clone(), want.dependencies.clone());
        let tail = batch.future.clone();
        let abandoned = Arc::new(AtomicBool::new(false));
        let chain = Arc::new(Chain {
            state: Arc::new(tokio::sync::Mutex::new(ChainState {
                finished: false,
                queue: VecDeque::from([batch]),
                abandoned: abandoned.clone(),
            })),
        });
        let starter = ServeStarter {
            serving: Some(Serving {
                service: self.clone(),
                state: chain.state.clone(),
                abandoned,
                in_flight: None,
                finished: false,
            }),
            err: index.errs.get(&request.journal).cloned(),
        };
        index
            .chains
            .insert(request.journal.clone(), (chain.clone(), tail));
        Ok((chain, Some(starter)))
    }

    /// With the chain's lock held: picks (or chains) the batch to write and
    /// hands out write access. `None` if the chain completed meanwhile.
    fn join(
        self: &Arc<Self>,
        mut guard: OwnedMutexGuard<ChainState>,
        serve: Option<ServeStarter>,
        want: &Want<'_>,
    ) -> Option<AsyncAppend> {
        if let Some(mut serve) = serve {
            // Started while we hold the lock, so it begins with the batch
            // this caller is about to write.
            serve.start();
        }
        if guard.finished {
            self.restarts.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        let tail = guard.queue.back().expect("a live chain has a batch");
        if tail.checkpoint > self.config.size_cutoff
            || !want.dependencies.is_subset_of(&tail.dependencies)
            || !want.matches(&tail.future.shared.request)
        {
            let batch = Batch::new(self, want.request(), want.dependencies.clone());
            self.set_tail(want.journal, &batch.future);
            guard.queue.push_back(batch);
        }
        let tail = guard.queue.back_mut().expect("just checked");
        tail.used = true;
        let future = tail.future.clone();
        Some(AsyncAppend::new(self.clone(), guard, future))
    }

    /// Takes a finished chain, whose newest batch was `last`, out of the
    /// index (unless a newer chain took its place), records `err` as the
    /// journal's terminal error, and wakes `close` if no chain is left.
    fn retire_chain(&self, last: &AppendFuture, err: Option<Error>) {
        let journal = &last.shared.request.journal;
        let mut index = self.lock_index();
        if index
            .chains
            .get(journal)
            .is_some_and(|(_, tail)| tail.ptr_eq(last))
        {
            index.chains.remove(journal);
        }
        if let Some(err) = err {
            index.errs.insert(journal.clone(), err);
        }
        let idle = index.chains.is_empty();
        drop(index);
        if idle {
            self.idle.notify_waiters();
        }
    }

    fn set_tail(&self, journal: &str, future: &AppendFuture) {
        if let Some(entry) = self.lock_index().chains.get_mut(journal) {
            entry.1 = future.clone();
        }
    }

    /// Waits until no chain is live.
    async fn wait_idle(&self) {
        loop {
            let notified = self.idle.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.lock_index().chains.is_empty() {
                return;
            }
            notified.await;
        }
    }

    /// Waits for `dependencies`; the first failure (as "dependency failed:
    /// <err>"). Futures of other origins are abandoned on cancellation; the
    /// service's own always resolve promptly then, so they are awaited,
    /// keeping their error in the chain of causes.
    async fn await_dependencies(&self, dependencies: &OpFutures) -> Result<()> {
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
    async fn append_batch(
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
    async fn pause(&self, attempt: i32) -> Result<()> {
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
async fn try_append(
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

fn read_chunk(file: &dyn SpillFile, offset: u64, len: usize) -> std::io::Result<Bytes> {
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

/// The serve loop of one chain: dispatches its batches in order until none
/// remain, then records a terminal error (if any) and leaves the index.
async fn serve_chain(mut serving: Serving, mut err: Option<Error>) {
    let service = serving.service.clone();
    let state = serving.state.clone();
    loop {
        let mut guard = state.lock().await;
        let front = guard.queue.front().expect("a live chain has a batch");
        if guard.queue.len() == 1 && !front.used && front.dependencies.is_empty() {
            // Nothing to send and nobody waiting: the chain ends.
            let last = guard.queue.pop_front().expect("checked");
            guard.finished = true;
            serving.finished = true;
            drop(guard);
            last.future.resolve(None, err.clone().map_or(Ok(()), Err));
            service.retire_chain(&last.future, err);
            return;
        }
        let mut batch = guard.queue.pop_front().expect("checked");
        if guard.queue.is_empty() {
            // An idle successor takes new appends while this one is sent.
            let next = Batch::new(
                &service,
                batch.future.shared.request.clone(),
                OpFutures::new(),
            );
            service.set_tail(&batch.future.shared.request.journal, &next.future);
            guard.queue.push_back(next);
        }
        drop(guard);
        serving.in_flight = Some(batch.future.clone());

        if err.is_none() {
            if let Err(failed) = service.await_dependencies(&batch.dependencies).await {
                err = Some(failed);
            }
        }
        if err.is_none() && service.cancel.is_cancelled() {
            err = Some(Error::Canceled);
        }
        let mut response = None;
        if batch.used && err.is_none() {
            let (resp, result) = service
                .append_batch(
                    &batch.future.shared.request,
                    batch.spill.as_mut(),
                    batch.checkpoint,
                )
                .await;
            response = resp;
            err = result.err();
        }
        if let Some(spill) = batch.spill.take() {
            service.pool.put(spill);
        }
        serving.in_flight = None;
        batch
            .future
            .resolve(response, err.clone().map_or(Ok(()), Err));
    }
}
