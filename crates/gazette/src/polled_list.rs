//! `PolledList`: a journal listing kept fresh by periodic re-listing.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::client::Client;
use super::error::{Error, Result};
use super::list::list_all_journals;
use crate::protocol::{ListRequest, ListResponse};

/// The result of a [`ListRequest`], refreshed in the background every
/// interval (Go's `PolledList`). Refresh errors keep the previous snapshot
/// and are kept for [`PolledList::last_error`]. Dropping the PolledList
/// stops the refreshing.
pub struct PolledList {
    snapshots: watch::Receiver<Arc<ListResponse>>,
    last_error: Arc<Mutex<Option<Error>>>,
    task: JoinHandle<()>,
}

impl PolledList {
    /// Lists once (returning that listing's error, if any), then refreshes
    /// every `interval` in the background.
    pub async fn new(client: &Client, interval: Duration, request: ListRequest) -> Result<Self> {
        let first = list_all_journals(client, request.clone()).await?;
        let (tx, snapshots) = watch::channel(Arc::new(first));
        let last_error = Arc::new(Mutex::new(None));
        let task = tokio::spawn(refresh(
            client.clone(),
            interval,
            request,
            tx,
            last_error.clone(),
        ));
        Ok(PolledList {
            snapshots,
            last_error,
            task,
        })
    }

    /// The latest listing.
    pub fn list(&self) -> Arc<ListResponse> {
        self.snapshots.borrow().clone()
    }

    /// A receiver signalled on every refresh. Like Go's pre-signalled
    /// update channel, a new receiver first reports the current listing
    /// as changed.
    pub fn updates(&self) -> watch::Receiver<Arc<ListResponse>> {
        let mut receiver = self.snapshots.clone();
        receiver.mark_changed();
        receiver
    }

    /// The error of the latest refresh, if it failed.
    pub fn last_error(&self) -> Option<Error> {
        self.last_error.lock().unwrap().clone()
    }
}

impl Drop for PolledList {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl std::fmt::Debug for PolledList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolledList")
            .field("journals", &self.snapshots.borrow().journals.len())
            .finish()
    }
}

async fn refresh(
    client: Client,
    interval: Duration,
    request: ListRequest,
    tx: watch::Sender<Arc<ListResponse>>,
    last_error: Arc<Mutex<Option<Error>>>,
) {
    loop {
        tokio::time::sleep(interval).await;
        match list_all_journals(&client, request.clone()).await {
            Ok(listing) => {
                *last_error.lock().unwrap() = None;
                tx.send_replace(Arc::new(listing));
            }
            Err(err) => *last_error.lock().unwrap() = Some(err),
        }
    }
}
