//! FragmentStoreHealth: a `file:///` store is healthy when the broker can
//! write under its directory; stores the dev broker cannot reach are not.

use std::path::Path;

use gazette_protocol::{FragmentStoreHealthRequest, FragmentStoreHealthResponse, Status};

use crate::helpers;
use crate::server::Broker;
use crate::state::empty_route;
use crate::store;

/// Why `store` is unhealthy, or None if it is healthy.
fn check(root: Option<&Path>, store: &str) -> Option<String> {
    let Some(dir) = store::store_dir(root, store) else {
        return Some(if store.starts_with("file://") {
            "the dev broker has no store root (--store) for file:// stores".to_string()
        } else {
            format!("the dev broker cannot reach store {store}")
        });
    };
    let probe = dir.join(format!(".health-{}", std::process::id()));
    let result = std::fs::create_dir_all(&dir).and_then(|_| std::fs::write(&probe, b"ok"));
    let _ = std::fs::remove_file(&probe);
    result
        .err()
        .map(|e| format!("writing to {}: {e}", dir.display()))
}

impl Broker {
    /// Serves FragmentStoreHealth.
    pub(crate) fn serve_store_health(
        &self,
        req: FragmentStoreHealthRequest,
        injected: Option<Status>,
    ) -> Result<FragmentStoreHealthResponse, tonic::Status> {
        helpers::validate(&req).map_err(tonic::Status::unknown)?;
        let header = Some(self.cluster.header(self.me, empty_route(), self.revision()));
        let error = match injected {
            Some(s) => {
                return Ok(FragmentStoreHealthResponse {
                    status: s as i32,
                    header,
                    store_health_error: if s == Status::FragmentStoreUnhealthy {
                        "injected fault".to_string()
                    } else {
                        String::new()
                    },
                })
            }
            None => check(self.cluster.store_root.as_deref(), &req.fragment_store),
        };
        Ok(FragmentStoreHealthResponse {
            status: if error.is_some() {
                Status::FragmentStoreUnhealthy
            } else {
                Status::Ok
            } as i32,
            header,
            store_health_error: error.unwrap_or_default(),
        })
    }
}
