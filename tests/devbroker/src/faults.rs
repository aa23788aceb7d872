//! Fault injection: make the next RPCs fail, cut streams short, or slow RPCs
//! down. Faults apply to whichever broker of the cluster serves the RPC.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

/// The Journal service's RPCs, as named by counters and faults.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rpc {
    /// `/protocol.Journal/List`
    List,
    /// `/protocol.Journal/Apply`
    Apply,
    /// `/protocol.Journal/Read`
    Read,
    /// `/protocol.Journal/Append`
    Append,
    /// `/protocol.Journal/ListFragments`
    ListFragments,
    /// `/protocol.Journal/FragmentStoreHealth`
    FragmentStoreHealth,
}

impl Rpc {
    /// Every RPC, in a fixed order.
    pub const ALL: [Rpc; 6] = [
        Rpc::List,
        Rpc::Apply,
        Rpc::Read,
        Rpc::Append,
        Rpc::ListFragments,
        Rpc::FragmentStoreHealth,
    ];

    /// Parses a control-protocol name: `list`, `apply`, `read`, `append`,
    /// `list_fragments`, `fragment_store_health` (case-insensitive).
    pub fn parse(s: &str) -> Option<Rpc> {
        Some(match s.to_ascii_lowercase().as_str() {
            "list" => Rpc::List,
            "apply" => Rpc::Apply,
            "read" => Rpc::Read,
            "append" => Rpc::Append,
            "list_fragments" | "listfragments" => Rpc::ListFragments,
            "fragment_store_health" | "fragmentstorehealth" => Rpc::FragmentStoreHealth,
            _ => return None,
        })
    }

    pub(crate) fn index(self) -> usize {
        Rpc::ALL.iter().position(|r| *r == self).unwrap()
    }
}

/// How an injected failure answers.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// Fail the RPC with this gRPC code and message.
    Grpc(tonic::Code, String),
    /// Answer in-band with this status (and the usual header).
    Status(gazette_protocol::Status),
}

#[derive(Default)]
struct State {
    fail_next: HashMap<Rpc, VecDeque<Fault>>,
    cut_after: HashMap<Rpc, u64>,
    delay: HashMap<Rpc, Duration>,
}

/// The cluster's fault-injection switches.
#[derive(Default)]
pub struct Faults {
    state: Mutex<State>,
}

impl Faults {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The next `n` RPCs of kind `rpc` fail with `fault` (queued after any
    /// failures already pending).
    pub fn fail_next(&self, rpc: Rpc, n: usize, fault: Fault) {
        let mut st = self.lock();
        let q = st.fail_next.entry(rpc).or_default();
        q.extend(std::iter::repeat_n(fault, n));
    }

    /// The next RPC of kind `rpc` is cut after `bytes` content bytes: a Read
    /// stream ends abruptly (gRPC error) once that many bytes were sent; an
    /// Append fails once that many bytes were received (nothing commits).
    pub fn cut_stream_after(&self, rpc: Rpc, bytes: u64) {
        self.lock().cut_after.insert(rpc, bytes);
    }

    /// Every later RPC of kind `rpc` waits `d` before being served
    /// (`Duration::ZERO` removes the delay).
    pub fn delay(&self, rpc: Rpc, d: Duration) {
        let mut st = self.lock();
        if d.is_zero() {
            st.delay.remove(&rpc);
        } else {
            st.delay.insert(rpc, d);
        }
    }

    /// Removes every pending fault and delay.
    pub fn clear(&self) {
        *self.lock() = State::default();
    }

    pub(crate) fn take_failure(&self, rpc: Rpc) -> Option<Fault> {
        self.lock().fail_next.get_mut(&rpc)?.pop_front()
    }

    pub(crate) fn take_cut(&self, rpc: Rpc) -> Option<u64> {
        self.lock().cut_after.remove(&rpc)
    }

    pub(crate) fn delay_of(&self, rpc: Rpc) -> Option<Duration> {
        self.lock().delay.get(&rpc).copied()
    }
}
