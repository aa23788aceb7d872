//! Apply: one atomic "etcd transaction" of journal upserts and deletes.

use std::sync::Arc;

use gazette_protocol::{ApplyRequest, ApplyResponse, Status};

use crate::journal::JournalContent;
use crate::server::Broker;
use crate::state::{empty_route, JournalEntry};
use crate::{helpers, template};

impl Broker {
    /// Serves Apply: validation errors fail the RPC (gRPC Unknown), a failed
    /// `expect_mod_revision` comparison is ETCD_TRANSACTION_FAILED in-band,
    /// otherwise every change lands at one new revision.
    pub(crate) fn serve_apply(&self, req: ApplyRequest) -> Result<ApplyResponse, tonic::Status> {
        helpers::validate(&req).map_err(tonic::Status::unknown)?;
        let mut names = Vec::new();
        for (i, c) in req.changes.iter().enumerate() {
            if let Some(spec) = &c.upsert {
                let t = spec
                    .fragment
                    .clone()
                    .unwrap_or_default()
                    .path_postfix_template;
                template::check(&t).map_err(|e| {
                    tonic::Status::unknown(format!(
                        "Changes[{i}].Upsert.Fragment.PathPostfixTemplate: {e}"
                    ))
                })?;
                names.push(spec.name.clone());
            } else {
                names.push(c.delete.clone());
            }
        }
        let mut sorted = names.clone();
        sorted.sort();
        if sorted.windows(2).any(|w| w[0] == w[1]) {
            return Err(tonic::Status::unknown(
                "etcdserver: duplicate key given in txn request",
            ));
        }

        let cluster = &self.cluster;
        let mut etcd = cluster.etcd();
        let failed = req.changes.iter().zip(&names).any(|(c, name)| {
            let current = etcd.journals.get(name).map_or(0, |j| j.mod_revision);
            c.expect_mod_revision != -1 && c.expect_mod_revision != current
        });
        if failed {
            return Ok(ApplyResponse {
                status: Status::EtcdTransactionFailed as i32,
                header: Some(cluster.header(self.me, empty_route(), etcd.revision)),
            });
        }
        let revision = etcd.revision + 1;
        let mut changed = false;
        let mut created = Vec::new();
        for c in &req.changes {
            if let Some(spec) = &c.upsert {
                changed = true;
                match etcd.journals.get_mut(&spec.name) {
                    Some(j) => {
                        j.spec = spec.clone();
                        j.mod_revision = revision;
                    }
                    None => {
                        created.push(spec.name.clone());
                        let content =
                            Arc::new(JournalContent::new(spec, cluster.store_root.as_deref()));
                        etcd.journals.insert(
                            spec.name.clone(),
                            JournalEntry {
                                spec: spec.clone(),
                                mod_revision: revision,
                                create_revision: revision,
                                content,
                            },
                        );
                    }
                }
            } else if etcd.journals.remove(&c.delete).is_some() {
                changed = true;
                etcd.primary_overrides.remove(&c.delete);
                etcd.unassigned_until.remove(&c.delete);
            }
        }
        if changed {
            etcd.revision = revision;
        }
        cluster.delay_assignment(&mut etcd, created);
        let header = cluster.header(self.me, empty_route(), etcd.revision);
        drop(etcd);
        cluster.notify();
        Ok(ApplyResponse {
            status: Status::Ok as i32,
            header: Some(header),
        })
    }
}
