//! `DevBroker`: a cluster of brokers in this process, its lifecycle, and the
//! controls tests use (flush, faults, counters, stopping brokers, moving
//! primaries).

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use gazette_protocol::process_spec::Id;

use crate::counters::Counters;
use crate::faults::Faults;
use crate::server::{self, Running};
use crate::state::{BrokerInfo, Cluster};
use crate::version::Version;

/// How long a stopping broker waits for clients to close their connections.
const DRAIN: std::time::Duration = std::time::Duration::from_secs(1);

/// Waits for a server task to finish gracefully, aborting it after `limit`
/// (an idle client connection would otherwise hold it open).
async fn stop_within(mut task: tokio::task::JoinHandle<()>, limit: std::time::Duration) {
    if tokio::time::timeout(limit, &mut task).await.is_err() {
        task.abort();
        let _ = task.await;
    }
}

/// How to start a [`DevBroker`].
#[derive(Clone, Debug)]
pub struct Options {
    /// Number of brokers (at least 1).
    pub brokers: usize,
    /// Root directory behind `file:///` fragment stores. Without it, rolled
    /// fragments of every journal stay in memory.
    pub store: Option<PathBuf>,
    /// Address of broker 0; broker i listens on port+i (port 0: each picks
    /// its own). Defaults to `127.0.0.1:0`.
    pub listen: SocketAddr,
    /// Bytes per second every Append must sustain after one second of
    /// credit, else it fails like on a real broker (Gazette's
    /// `MinAppendRate`, 64 KiB/s). 0 disables the check.
    pub min_append_rate: u64,
    /// How long a journal stays unassigned after Apply creates it, or after
    /// the broker it was assigned to stops (a real broker's allocator takes
    /// about 0.1 s; meanwhile Append answers NO_JOURNAL_PRIMARY_BROKER, Read
    /// INSUFFICIENT_JOURNAL_BROKERS, and List shows an empty route). Zero
    /// assigns at once.
    pub assign_delay: std::time::Duration,
    /// The Gazette release to imitate where brokers differ by version.
    pub version: Version,
    /// Serve `https://` with this identity (and require client
    /// certificates if it has a client CA). Proxying between brokers is
    /// plaintext-only: use one broker with TLS or auth.
    pub tls: Option<crate::tls::TlsServer>,
    /// Verify tokens as a broker started with `--auth-keys`.
    pub auth: Option<crate::auth::AuthOptions>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            brokers: 1,
            store: None,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            min_append_rate: 64 * 1024,
            assign_delay: std::time::Duration::from_millis(100),
            version: Version::Current,
            tls: None,
            auth: None,
        }
    }
}

/// A running dev cluster. Dropping it stops every broker.
pub struct DevBroker {
    cluster: Arc<Cluster>,
    security: server::Security,
    addrs: Vec<SocketAddr>,
    running: Mutex<Vec<Option<Running>>>,
}

/// The process id of broker `i`: zones alternate `zone-a`, `zone-b`.
fn broker_id(i: usize) -> Id {
    Id {
        zone: if i.is_multiple_of(2) {
            "zone-a"
        } else {
            "zone-b"
        }
        .to_string(),
        suffix: format!("broker-{i}"),
    }
}

impl DevBroker {
    /// Binds and starts `opts.brokers` brokers on loopback ports.
    pub async fn start(opts: Options) -> io::Result<DevBroker> {
        let n = opts.brokers.max(1);
        let security = server::Security {
            tls: opts.tls.as_ref().map(|t| t.server_config()).transpose()?,
            verifier: opts
                .auth
                .as_ref()
                .map(crate::auth::Verifier::new)
                .transpose()?,
        };
        let scheme = if security.tls.is_some() {
            "https"
        } else {
            "http"
        };
        let mut listeners = Vec::with_capacity(n);
        for i in 0..n {
            let mut addr = opts.listen;
            if addr.port() != 0 {
                let port = u16::try_from(i)
                    .ok()
                    .and_then(|i| addr.port().checked_add(i))
                    .ok_or_else(|| {
                        io::Error::new(io::ErrorKind::InvalidInput, "broker port out of range")
                    })?;
                addr.set_port(port);
            }
            listeners.push(server::bind(addr).await?);
        }
        let addrs: Vec<SocketAddr> = listeners
            .iter()
            .map(|l| l.local_addr())
            .collect::<io::Result<_>>()?;
        let brokers = addrs
            .iter()
            .enumerate()
            .map(|(i, a)| BrokerInfo {
                id: broker_id(i),
                endpoint: format!("{scheme}://{a}"),
            })
            .collect();
        if let Some(dir) = &opts.store {
            std::fs::create_dir_all(dir)?;
        }
        let cluster = Cluster::new(
            brokers,
            opts.store.clone(),
            opts.min_append_rate,
            opts.assign_delay,
            opts.version,
        );
        let running = listeners
            .into_iter()
            .enumerate()
            .map(|(i, l)| Some(server::serve(cluster.clone(), i, l, &security)))
            .collect();
        Ok(DevBroker {
            cluster,
            security,
            addrs,
            running: Mutex::new(running),
        })
    }

    /// A token signed with the first `--auth-keys` key for `claims_json`
    /// (the JWT payload), for tests of claims a client wouldn't ask for.
    /// `None` without auth.
    pub fn sign_token(&self, claims_json: &str) -> Option<String> {
        self.security.verifier.as_ref().map(|v| v.sign(claims_json))
    }

    /// Every broker's endpoint (`http://127.0.0.1:PORT`), by broker index.
    pub fn endpoints(&self) -> Vec<String> {
        self.cluster
            .brokers
            .iter()
            .map(|b| b.endpoint.clone())
            .collect()
    }

    /// Broker `i`'s endpoint.
    pub fn endpoint(&self, i: usize) -> String {
        self.cluster.brokers[i].endpoint.clone()
    }

    /// Broker `i`'s process id (`zone-a`/`broker-0`, `zone-b`/`broker-1`, ...).
    pub fn process_id(&self, i: usize) -> Id {
        self.cluster.brokers[i].id.clone()
    }

    /// The root directory behind `file:///` stores, if any.
    pub fn store_root(&self) -> Option<&Path> {
        self.cluster.store_root.as_deref()
    }

    /// The Gazette release this cluster imitates.
    pub fn version(&self) -> Version {
        self.cluster.version
    }

    /// Fault injection switches (shared by all brokers).
    pub fn faults(&self) -> &Faults {
        &self.cluster.faults
    }

    /// Per-broker, per-RPC request counters.
    pub fn counters(&self) -> &Counters {
        &self.cluster.counters
    }

    /// Rolls the open fragment of `journal` (persisting it to its store, if
    /// reachable). Returns false if the journal does not exist.
    pub fn flush(&self, journal: &str) -> bool {
        let entry = {
            let etcd = self.cluster.etcd();
            etcd.journals
                .get(journal)
                .map(|j| (j.spec.clone(), j.content.clone()))
        };
        let Some((spec, content)) = entry else {
            return false;
        };
        content
            .lock()
            .roll(&spec, self.cluster.store_root.as_deref());
        self.cluster.notify();
        true
    }

    /// Rolls the open fragment of every journal.
    pub fn flush_all(&self) {
        let names: Vec<String> = self.cluster.etcd().journals.keys().cloned().collect();
        for n in names {
            self.flush(&n);
        }
    }

    /// Pins the primary of `journal` to broker `broker` (the route changes at
    /// a new revision). Returns false for an unknown journal or broker.
    pub fn move_primary(&self, journal: &str, broker: usize) -> bool {
        let mut etcd = self.cluster.etcd();
        if broker >= self.addrs.len() || !etcd.journals.contains_key(journal) {
            return false;
        }
        etcd.primary_overrides.insert(journal.to_string(), broker);
        etcd.revision += 1;
        drop(etcd);
        self.cluster.notify();
        true
    }

    /// Stops broker `i` (its port closes; its journals move to the others at
    /// a new revision). Returns false if it was not running.
    pub async fn stop_broker(&self, i: usize) -> bool {
        let running = self
            .running
            .lock()
            .unwrap()
            .get_mut(i)
            .and_then(Option::take);
        let Some(r) = running else { return false };
        {
            let mut etcd = self.cluster.etcd();
            let me = &self.cluster.brokers[i].id;
            let orphaned: Vec<String> = etcd
                .journals
                .iter()
                .filter(|(name, j)| {
                    let route = self.cluster.route_of(&etcd, name, j.spec.replication);
                    route.members.iter().any(|m| m == me)
                })
                .map(|(name, _)| name.clone())
                .collect();
            etcd.alive[i] = false;
            etcd.revision += 1;
            self.cluster.delay_assignment(&mut etcd, orphaned);
        }
        self.cluster.notify();
        // Proxy connections to it would otherwise hold its shutdown open.
        self.cluster.peers.lock().unwrap().remove(&i);
        let _ = r.stop.send(true);
        stop_within(r.task, DRAIN).await;
        true
    }

    /// Restarts a stopped broker `i` on its old port.
    pub async fn restart_broker(&self, i: usize) -> io::Result<bool> {
        if i >= self.addrs.len() || self.running.lock().unwrap()[i].is_some() {
            return Ok(false);
        }
        let listener = server::bind(self.addrs[i]).await?;
        let r = server::serve(self.cluster.clone(), i, listener, &self.security);
        self.running.lock().unwrap()[i] = Some(r);
        {
            let mut etcd = self.cluster.etcd();
            etcd.alive[i] = true;
            etcd.revision += 1;
        }
        self.cluster.notify();
        Ok(true)
    }

    /// Stops every broker: open streams end cleanly, and connections get a
    /// moment to drain before they are dropped.
    pub async fn shutdown(self) {
        let all: Vec<Running> = self.running.lock().unwrap().drain(..).flatten().collect();
        self.cluster.peers.lock().unwrap().clear();
        for r in &all {
            let _ = r.stop.send(true);
        }
        for r in all {
            stop_within(r.task, DRAIN).await;
        }
    }
}

impl Drop for DevBroker {
    fn drop(&mut self) {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        for r in running.drain(..).flatten() {
            let _ = r.stop.send(true);
            r.task.abort();
        }
    }
}
