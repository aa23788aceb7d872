//! Read readiness for event loops: `gazette_reader_arm` and
//! `gazette_retry_reader_arm` ask for one `GAZETTE_EVENT_KIND_READ_READY`
//! event on a completion queue once a read with timeout 0 would not return
//! WOULD_BLOCK. The step in flight signals its completion here.

use std::sync::{Arc, Mutex};

use super::completion_queue::{gazette_event, gazette_event_kind, Queue};
use super::status::gazette_status;

/// A queue and tag to post one READ_READY event to.
pub(crate) struct Armed {
    pub queue: Arc<Queue>,
    pub tag: u64,
}

impl Armed {
    pub(crate) fn post(self) {
        self.queue.post(gazette_event {
            tag: self.tag,
            kind: gazette_event_kind::ReadReady as i32,
            status: gazette_status::Ok as i32,
        });
    }
}

/// The completion of one read step in flight, and who waits for it.
#[derive(Default)]
pub(crate) struct StepSignal {
    state: Mutex<(bool, Option<Armed>)>,
}

impl StepSignal {
    /// The step's result can be collected: posts to whoever armed.
    pub(crate) fn complete(&self) {
        let armed = {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            state.0 = true;
            state.1.take()
        };
        if let Some(armed) = armed {
            armed.post();
        }
    }

    /// Posts once the step completes (at once if it has). A second arm
    /// before completion replaces the first: one event per step.
    pub(crate) fn arm(&self, armed: Armed) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.0 {
            drop(state);
            armed.post();
        } else {
            state.1 = Some(armed);
        }
    }
}
