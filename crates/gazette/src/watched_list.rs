//! `WatchedList`: a journal listing kept current by a long-lived watching
//! List RPC (Gazette HEAD's replacement for `PolledList`).

use std::sync::Arc;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::backoff::backoff;
use super::client::Client;
use super::error::{Error, Result};
use super::stats::Stats;
use crate::protocol::validate::validate_list_chunk;
use crate::protocol::{ListRequest, ListResponse, Validate};

/// Signals sent to a [`WatchedList`]'s update channel: `Ok(())` for each new
/// snapshot, the error when the watch broke (it is then re-established).
pub type WatchUpdate = Result<()>;

/// The current result of a watched [`ListRequest`] (Go's `WatchedList`).
///
/// A background task holds a watching List RPC open, stores each complete
/// snapshot, and resumes after failures (with back-off) from the last
/// snapshot's revision. Dropping the WatchedList stops it.
///
/// Watches need brokers of v0.100 or later; an older broker answers with a
/// single listing and closes, which is signalled as an error on every try
/// (use [`PolledList`](super::polled_list::PolledList) with those).
pub struct WatchedList {
    snapshots: watch::Receiver<Option<Arc<ListResponse>>>,
    task: JoinHandle<()>,
}

impl WatchedList {
    /// Starts watching the journals selected by `request.selector` (other
    /// fields are ignored). Each snapshot, and each failure, is also
    /// signalled on `updates` if given (without waiting: a full channel
    /// misses the signal).
    pub fn new(
        client: &Client,
        request: ListRequest,
        updates: Option<mpsc::Sender<WatchUpdate>>,
    ) -> Self {
        let request = ListRequest {
            selector: request.selector,
            watch: true,
            watch_resume: None,
        };
        let (tx, snapshots) = watch::channel(None);
        let task = tokio::spawn(run(client.clone(), request, tx, updates));
        WatchedList { snapshots, task }
    }

    /// The latest complete snapshot, or `None` before the first.
    pub fn list(&self) -> Option<Arc<ListResponse>> {
        self.snapshots.borrow().clone()
    }

    /// A receiver that sees every new snapshot.
    pub fn subscribe(&self) -> watch::Receiver<Option<Arc<ListResponse>>> {
        self.snapshots.clone()
    }
}

impl Drop for WatchedList {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl std::fmt::Debug for WatchedList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let journals = self.snapshots.borrow().as_ref().map(|s| s.journals.len());
        f.debug_struct("WatchedList")
            .field("journals", &journals)
            .finish()
    }
}

fn signal(updates: &Option<mpsc::Sender<WatchUpdate>>, update: WatchUpdate) {
    if let Some(updates) = updates {
        let _ = updates.try_send(update);
    }
}

/// Re-establishes the watch forever, with back-off after failures.
async fn run(
    client: Client,
    mut request: ListRequest,
    tx: watch::Sender<Option<Arc<ListResponse>>>,
    updates: Option<mpsc::Sender<WatchUpdate>>,
) {
    let mut attempt = 0;
    loop {
        match watch_once(&client, &mut request, &tx, &updates, &mut attempt).await {
            // A resumed watch may be closed cleanly by the broker (e.g. on
            // token expiry): just resume at once.
            Ok(()) => attempt = -1,
            Err(err) => signal(&updates, Err(err)),
        }
        Stats::add(&client.stats().retries, 1);
        tokio::time::sleep(backoff(attempt)).await;
        attempt += 1;
    }
}

/// Runs one watching List RPC until it ends, publishing each snapshot and
/// advancing `request.watch_resume`. Progress resets `attempt`.
async fn watch_once(
    client: &Client,
    request: &mut ListRequest,
    tx: &watch::Sender<Option<Arc<ListResponse>>>,
    updates: &Option<mpsc::Sender<WatchUpdate>>,
    attempt: &mut i32,
) -> Result<()> {
    let dispatch = client.default_client()?;
    let mut grpc = dispatch.client.clone();
    Stats::add(&client.stats().other_rpcs, 1);
    let claims = crate::auth::claims::list(
        request.selector.as_ref().unwrap_or(&Default::default()),
        true,
    );
    let opened = match client.request(request.clone(), claims).await {
        Ok(rpc) => grpc.list(rpc).await.map_err(Error::from),
        Err(err) => Err(err),
    };
    let mut stream = match opened {
        Ok(response) => response.into_inner(),
        Err(err) => {
            client.report_error(None, &dispatch, &err);
            return Err(err);
        }
    };
    let mut snapshot: Option<ListResponse> = None;
    loop {
        let message = match stream.message().await {
            Ok(Some(message)) => message,
            Ok(None) if snapshot.is_none() => return Ok(()),
            Ok(None) => {
                return Err(Error::Protocol(
                    "unexpected end of a watched listing within a snapshot".into(),
                ))
            }
            Err(status) => {
                let err = Error::from(status);
                client.report_error(None, &dispatch, &err);
                return Err(err);
            }
        };
        client.report_success(&dispatch);
        match &mut snapshot {
            None => {
                message.validate()?;
                Error::check_status(message.status, "")?;
                check_resume(request, &message)?;
                snapshot = Some(message);
            }
            Some(_) if message.journals.is_empty() => {
                // End of snapshot.
                let done = snapshot.take().expect("in a snapshot");
                for journal in &done.journals {
                    if let (Some(spec), Some(route)) = (&journal.spec, &journal.route) {
                        client.update_route(&spec.name, route);
                    }
                }
                request.watch_resume = done.header.clone();
                tx.send_replace(Some(Arc::new(done)));
                signal(updates, Ok(()));
                *attempt = 0;
            }
            Some(current) => {
                validate_list_chunk(&message)?;
                current.journals.extend(message.journals);
            }
        }
    }
}

/// A resumed watch must only report revisions after the resumed one.
fn check_resume(request: &ListRequest, first: &ListResponse) -> Result<()> {
    let revision_of = |header: Option<&crate::protocol::Header>| {
        header
            .and_then(|h| h.etcd.as_ref())
            .map_or(0, |e| e.revision)
    };
    let Some(resume) = request.watch_resume.as_ref() else {
        return Ok(());
    };
    let (have, after) = (
        revision_of(first.header.as_ref()),
        revision_of(Some(resume)),
    );
    if have <= after {
        return Err(Error::Protocol(format!(
            "expected ListResponse.Header.Etcd.Revision ({have}) > WatchResume revision ({after})"
        )));
    }
    Ok(())
}
