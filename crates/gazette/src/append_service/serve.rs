//! The serve loop of one chain: dispatches its batches in order, and fails
//! what it leaves behind if it is dropped unfinished.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::chain::{fail_abandoned, Batch, ChainState};
use super::service::Service;
use crate::append_future::AppendFuture;
use crate::error::Error;
use crate::op_future::OpFutures;

/// Starts a new chain's serve loop: explicitly once its creator holds the
/// chain's lock, or on drop if the creator gave up waiting for it (a
/// cancelled `start_append`), so no chain is left unserved.
pub(super) struct ServeStarter {
    pub(super) serving: Option<Serving>,
    pub(super) err: Option<Error>,
}

impl ServeStarter {
    pub(super) fn start(&mut self) {
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
pub(super) struct Serving {
    pub(super) service: Arc<Service>,
    pub(super) state: Arc<tokio::sync::Mutex<ChainState>>,
    pub(super) abandoned: Arc<AtomicBool>,
    /// The batch being dispatched (out of the queue).
    pub(super) in_flight: Option<AppendFuture>,
    pub(super) finished: bool,
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

/// The serve loop of one chain: dispatches its batches in order until none
/// remain, then records a terminal error (if any) and leaves the index.
pub(super) async fn serve_chain(mut serving: Serving, mut err: Option<Error>) {
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
            let next = Batch::new(&service, batch.future.request().clone(), OpFutures::new());
            service.set_tail(&batch.future.request().journal, &next.future);
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
                    batch.future.request(),
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
