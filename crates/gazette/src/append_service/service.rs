//! The core every clone of an [`AppendService`](super::AppendService)
//! shares: the index of live chains by journal, their terminal errors, the
//! spill pool, and cancellation.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::runtime::Handle;
use tokio::sync::{Notify, OwnedMutexGuard};
use tokio_util::sync::CancellationToken;

use super::chain::{fail_abandoned, Batch, Chain, ChainState};
use super::config::AppendServiceConfig;
use super::serve::{ServeStarter, Serving};
use super::want::Want;
use crate::append_future::AppendFuture;
use crate::async_append::AsyncAppend;
use crate::client::Client;
use crate::error::Error;
use crate::spill_buffer::{spill_files_in, SpillPool};

pub(crate) struct Service {
    /// Stamped on batch futures, to recognise this service's own.
    pub(super) id: u64,
    pub(super) client: Client,
    pub(super) config: AppendServiceConfig,
    pub(super) runtime: Handle,
    pub(super) cancel: CancellationToken,
    pub(super) index: Mutex<Index>,
    /// Signalled whenever the last chain finishes.
    pub(super) idle: Notify,
    pub(super) pool: SpillPool,
    /// Times a `start_append` found its chain completed and started over.
    pub(super) restarts: AtomicU64,
}

#[derive(Default)]
pub(super) struct Index {
    /// Live chains by journal, with the future of each one's newest batch.
    pub(super) chains: HashMap<String, (Arc<Chain>, AppendFuture)>,
    /// Terminal error of each journal whose chain ended in one.
    pub(super) errs: HashMap<String, Error>,
}

impl Service {
    pub(super) fn new(client: Client, config: AppendServiceConfig, runtime: Handle) -> Service {
        static IDS: AtomicU64 = AtomicU64::new(1);
        Service {
            id: IDS.fetch_add(1, Ordering::Relaxed),
            client,
            pool: match (&config.spill_factory, &config.spill_dir) {
                (Some(factory), _) => SpillPool::with_factory(
                    config.buffer_size,
                    config.max_idle_buffers,
                    factory.clone(),
                ),
                (None, Some(dir)) => SpillPool::with_factory(
                    config.buffer_size,
                    config.max_idle_buffers,
                    spill_files_in(dir.clone()),
                ),
                (None, None) => SpillPool::new(config.buffer_size, config.max_idle_buffers),
            },
            config,
            runtime,
            cancel: CancellationToken::new(),
            index: Mutex::new(Index::default()),
            idle: Notify::new(),
            restarts: AtomicU64::new(0),
        }
    }

    /// The pool spill buffers come from.
    pub(crate) fn pool(&self) -> &SpillPool {
        &self.pool
    }

    /// Releases a caller's hold on a chain. If the chain's serve loop is gone
    /// (see [`Serving`]), nobody else will fail its batches: this does.
    pub(crate) fn unlock(&self, mut guard: OwnedMutexGuard<ChainState>) {
        if guard.abandoned.load(Ordering::SeqCst) {
            let batches = guard.abandon(self);
            drop(guard);
            fail_abandoned(batches);
        }
    }

    pub(super) fn lock_index(&self) -> MutexGuard<'_, Index> {
        self.index.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The journal's live chain, created if there is none; for a new chain,
    /// also the starter of its serve loop.
    pub(super) fn chain_for<E>(
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
    pub(super) fn join(
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
            || !want.matches(tail.future.request())
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
    pub(super) fn retire_chain(&self, last: &AppendFuture, err: Option<Error>) {
        let journal = &last.request().journal;
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

    pub(super) fn set_tail(&self, journal: &str, future: &AppendFuture) {
        if let Some(entry) = self.lock_index().chains.get_mut(journal) {
            entry.1 = future.clone();
        }
    }

    /// Waits until no chain is live.
    pub(super) async fn wait_idle(&self) {
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
}
