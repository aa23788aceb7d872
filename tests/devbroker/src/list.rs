//! List: journals matching a selector, streamed in chunks of 25, optionally
//! as a watch that sends a new snapshot whenever the matched set changes.

use gazette_protocol::{list_response, LabelSelector, LabelSet, ListRequest, ListResponse, Status};
use tokio::sync::mpsc;

use crate::helpers;
use crate::server::Broker;
use crate::state::empty_route;

/// Journals per ListResponse message (Gazette HEAD).
const CHUNK: usize = 25;

/// A journal's labels plus the meta-labels `name` and `prefix`.
fn labels_with_meta(name: &str, labels: &LabelSet) -> LabelSet {
    helpers::union(labels, &helpers::meta_labels(name))
}

impl Broker {
    /// One snapshot: its messages and a fingerprint of the matched set.
    fn list_snapshot(&self, sel: &LabelSelector) -> (Vec<ListResponse>, (usize, i64), i64) {
        let version = self.cluster.version;
        // Older brokers don't know Label.prefix: the value must match exactly.
        let mut sel = sel.clone();
        if !version.has_prefix_selectors() {
            for set in [&mut sel.include, &mut sel.exclude].into_iter().flatten() {
                for l in &mut set.labels {
                    l.prefix = false;
                }
            }
        }
        let sel = &sel;
        let etcd = self.cluster.etcd();
        let mut journals = Vec::new();
        for (name, j) in &etcd.journals {
            let labels = labels_with_meta(name, &j.spec.labels.clone().unwrap_or_default());
            if helpers::selector_matches(sel, &labels)
                && self.in_scope(name, j.spec.labels.as_ref())
            {
                journals.push(list_response::Journal {
                    spec: Some(j.spec.clone()),
                    mod_revision: j.mod_revision,
                    route: Some(self.cluster.route_of(&etcd, name, j.spec.replication)),
                    create_revision: if version.has_create_revision_and_read_mod_time() {
                        j.create_revision
                    } else {
                        0
                    },
                });
            }
        }
        let fingerprint = (
            journals.len(),
            journals.iter().map(|j| j.mod_revision).max().unwrap_or(0),
        );
        let header = self.cluster.header(self.me, empty_route(), etcd.revision);
        let revision = etcd.revision;
        drop(etcd);
        // v0.89's unary List answers with one message of every journal.
        let chunk = if version.has_streamed_list() {
            CHUNK
        } else {
            journals.len().max(1)
        };
        let mut chunks: Vec<ListResponse> = journals
            .chunks(chunk)
            .map(|c| ListResponse {
                journals: c.to_vec(),
                ..Default::default()
            })
            .collect();
        if chunks.is_empty() {
            chunks.push(ListResponse::default());
        }
        chunks[0].status = Status::Ok as i32;
        chunks[0].header = Some(header);
        (chunks, fingerprint, revision)
    }

    /// Serves List into `tx`.
    pub(crate) async fn serve_list(
        self,
        req: ListRequest,
        tx: mpsc::Sender<Result<ListResponse, tonic::Status>>,
    ) {
        let sel = req.selector.clone().unwrap_or_default();
        // A v0.89 broker has no watches: it answers once and ends.
        let mut req = req;
        if !self.cluster.version.has_streamed_list() {
            req.watch = false;
        }
        if let Err(e) = helpers::validate(&req) {
            let _ = tx.send(Err(tonic::Status::unknown(e))).await;
            return;
        }
        let mut changes = self.cluster.subscribe();
        let mut stop = self.stop.clone();
        let resume_after = req
            .watch_resume
            .as_ref()
            .and_then(|h| h.etcd.as_ref())
            .map_or(0, |e| e.revision);
        let mut last: Option<(usize, i64)> = None;
        loop {
            changes.borrow_and_update();
            let (msgs, fingerprint, revision) = self.list_snapshot(&sel);
            let fresh = revision > resume_after && last != Some(fingerprint);
            if fresh || (!req.watch && last.is_none()) {
                for m in msgs {
                    if tx.send(Ok(m)).await.is_err() {
                        return;
                    }
                }
                if !req.watch {
                    return;
                }
                // End-of-snapshot marker of a watch.
                if tx.send(Ok(ListResponse::default())).await.is_err() {
                    return;
                }
                last = Some(fingerprint);
            }
            tokio::select! {
                r = changes.changed() => if r.is_err() { return },
                _ = stop.wait_for(|s| *s) => return,
                _ = tx.closed() => return,
            }
        }
    }
}
