//! One journal's chain of batches: the state its callers and its serve
//! loop share under the chain's lock.

use std::collections::VecDeque;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use super::service::Service;
use crate::append_future::AppendFuture;
use crate::error::Error;
use crate::op_future::OpFutures;
use crate::protocol::AppendRequest;
use crate::spill_buffer::{SpillBuffer, SpillPool};

/// One journal's chain of batches, served by one task. Its mutex is Go's
/// shared per-journal mutex: a caller holds it from `start_append` to
/// `release`, and the serve loop takes it to freeze the next batch.
pub(super) struct Chain {
    pub(super) state: Arc<tokio::sync::Mutex<ChainState>>,
}

pub(crate) struct ChainState {
    /// Set (with the lock held) when the serve loop ends; a caller that
    /// finds it set starts over with a new chain.
    pub(super) finished: bool,
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

/// What the holder of a chain's lock (an `AsyncAppend`) may do to the
/// newest batch, the one it writes.
impl ChainState {
    fn tail(&mut self) -> &mut Batch {
        self.queue.back_mut().expect("a held chain has a batch")
    }

    /// The newest batch's spill buffer, taken from `pool` on first write.
    pub(crate) fn tail_spill(&mut self, pool: &SpillPool) -> std::io::Result<&mut SpillBuffer> {
        let tail = self.tail();
        if tail.spill.is_none() {
            tail.spill = Some(pool.get()?);
        }
        Ok(tail.spill.as_mut().expect("just set"))
    }

    /// Whether the newest batch holds any content yet.
    pub(crate) fn tail_has_content(&self) -> bool {
        self.queue.back().is_some_and(|tail| tail.spill.is_some())
    }

    /// Ends a holder's writes: keeps them for the batch's RPC, or rolls
    /// back exactly what was written since the last kept checkpoint.
    pub(crate) fn settle_tail(&mut self, keep: bool) {
        let tail = self.tail();
        if let Some(spill) = &mut tail.spill {
            if keep {
                tail.checkpoint = spill.len();
            } else {
                spill.rollback(tail.checkpoint);
            }
        }
    }
}

/// Fails abandoned batches; call with the chain's lock released.
pub(super) fn fail_abandoned(batches: Vec<Batch>) {
    for batch in batches {
        batch.future.resolve(None, Err(Error::Canceled));
    }
}

/// One Append RPC in the making.
pub(super) struct Batch {
    pub(super) future: AppendFuture,
    /// Operations that must succeed before the RPC may start.
    pub(super) dependencies: OpFutures,
    /// Content written so far (created on the first write).
    pub(super) spill: Option<SpillBuffer>,
    /// Returned by `start_append` at least once: someone may be waiting on
    /// its RPC, so it is made even if empty (a write barrier).
    pub(super) used: bool,
    /// Bytes of released (not rolled back) content: what the RPC appends.
    pub(super) checkpoint: u64,
}

impl Batch {
    pub(super) fn new(service: &Service, request: AppendRequest, dependencies: OpFutures) -> Batch {
        Batch {
            future: AppendFuture::new(request, service.id),
            dependencies,
            spill: None,
            used: false,
            checkpoint: 0,
        }
    }
}
