//! The state all brokers of one `DevBroker` share: the "etcd" keyspace of
//! journal specs with its revision, the broker roster, and a change signal.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use gazette_protocol::{header::Etcd as EtcdHeader, process_spec::Id, Header, JournalSpec, Route};
use tokio::sync::watch;

use crate::counters::Counters;
use crate::faults::Faults;
use crate::journal::JournalContent;
use crate::route;
use crate::version::Version;

/// Etcd identity reported in every header (any non-zero values will do, as
/// long as they stay fixed for the life of the cluster).
const CLUSTER_ID: u64 = 0x6761_7a65_7474_6521;
const MEMBER_ID: u64 = 0x6465_7662_726f_6b72;
const RAFT_TERM: u64 = 2;

/// One broker of the cluster, as the others see it.
#[derive(Clone, Debug)]
pub(crate) struct BrokerInfo {
    pub id: Id,
    pub endpoint: String,
}

/// A journal as stored in "etcd", plus its content (which lives on the
/// brokers in a real cluster; here every broker shares it).
pub(crate) struct JournalEntry {
    pub spec: JournalSpec,
    pub mod_revision: i64,
    pub create_revision: i64,
    pub content: Arc<JournalContent>,
}

/// The keyspace: journals by name and the current revision.
pub(crate) struct Etcd {
    pub revision: i64,
    pub journals: BTreeMap<String, JournalEntry>,
    /// Journals whose primary was pinned to a broker by `move_primary`.
    pub primary_overrides: HashMap<String, usize>,
    /// Which brokers are serving (stopped ones get no assignments).
    pub alive: Vec<bool>,
    /// Journals the "allocator" has not assigned yet, and when it will: a
    /// real broker assigns a new (or orphaned) journal about 0.1 s later.
    pub unassigned_until: HashMap<String, Instant>,
}

/// Everything shared by the brokers of one dev cluster.
pub(crate) struct Cluster {
    pub brokers: Vec<BrokerInfo>,
    pub store_root: Option<PathBuf>,
    etcd: Mutex<Etcd>,
    /// Bumped on every change a blocked Read or a List watch may wait for.
    changed: watch::Sender<u64>,
    pub faults: Faults,
    pub counters: Counters,
    /// Bytes per second every Append must sustain (0: no limit).
    pub min_append_rate: u64,
    /// Channels to brokers, shared by every proxying broker (they reconnect
    /// by themselves after a restart).
    pub peers: Mutex<HashMap<usize, tonic::transport::Channel>>,
    /// How long a new or orphaned journal waits for its assignment.
    pub assign_delay: Duration,
    /// The broker release this cluster imitates.
    pub version: Version,
}

impl Cluster {
    pub fn new(
        brokers: Vec<BrokerInfo>,
        store_root: Option<PathBuf>,
        min_append_rate: u64,
        assign_delay: Duration,
        version: Version,
    ) -> Arc<Cluster> {
        let n = brokers.len();
        Arc::new(Cluster {
            brokers,
            store_root,
            etcd: Mutex::new(Etcd {
                revision: 1,
                journals: BTreeMap::new(),
                primary_overrides: HashMap::new(),
                alive: vec![true; n],
                unassigned_until: HashMap::new(),
            }),
            changed: watch::channel(0).0,
            faults: Faults::default(),
            counters: Counters::new(n),
            min_append_rate,
            peers: Mutex::new(HashMap::new()),
            assign_delay,
            version,
        })
    }

    /// Leaves `names` unassigned (empty route) for `assign_delay`, then
    /// assigns them at a new revision, as a real broker's allocator does.
    pub fn delay_assignment(self: &Arc<Self>, etcd: &mut Etcd, names: Vec<String>) {
        if self.assign_delay.is_zero() || names.is_empty() {
            return;
        }
        let at = Instant::now() + self.assign_delay;
        for n in &names {
            etcd.unassigned_until.insert(n.clone(), at);
        }
        let cluster = Arc::downgrade(self);
        let delay = self.assign_delay;
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let Some(cluster) = cluster.upgrade() else {
                return;
            };
            let mut etcd = cluster.etcd();
            let now = Instant::now();
            let before = etcd.unassigned_until.len();
            etcd.unassigned_until.retain(|_, at| *at > now);
            if etcd.unassigned_until.len() != before {
                etcd.revision += 1;
                drop(etcd);
                cluster.notify();
            }
        });
    }

    /// Locks the keyspace. Never held across an `.await`.
    pub fn etcd(&self) -> MutexGuard<'_, Etcd> {
        self.etcd.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Wakes everything waiting on [`Cluster::subscribe`].
    pub fn notify(&self) {
        self.changed.send_modify(|v| *v += 1);
    }

    /// A receiver that sees every later [`Cluster::notify`].
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// The response header broker `me` sends: its id, `route` and the etcd view.
    pub fn header(&self, me: usize, route: Route, revision: i64) -> Header {
        Header {
            process_id: Some(self.brokers[me].id.clone()),
            route: Some(route),
            etcd: Some(EtcdHeader {
                cluster_id: CLUSTER_ID,
                member_id: MEMBER_ID,
                revision,
                raft_term: RAFT_TERM,
            }),
        }
    }

    /// The current route of `journal` (members with endpoints, primary).
    pub fn route_of(&self, etcd: &Etcd, journal: &str, replication: i32) -> Route {
        // Only the allocator task ends the wait, so the assignment and its
        // revision appear together.
        if etcd.unassigned_until.contains_key(journal) {
            return empty_route();
        }
        route::assign(
            &self.brokers,
            &etcd.alive,
            journal,
            replication,
            etcd.primary_overrides.get(journal).copied(),
        )
    }
}

/// The route of an unrouted response (List, Apply, JOURNAL_NOT_FOUND).
pub(crate) fn empty_route() -> Route {
    Route {
        members: vec![],
        primary: -1,
        endpoints: vec![],
    }
}
