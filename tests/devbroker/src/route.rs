//! Assignment of journals to brokers: `min(replication, live brokers)` members,
//! chosen by rendezvous hashing so assignments are deterministic, spread over
//! the brokers, and stable when one broker stops (only its journals move).

use gazette_protocol::Route;

use crate::state::BrokerInfo;

/// FNV-1a over the journal name and broker index: a stable, spread-out score.
fn score(journal: &str, broker: usize) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in journal.bytes().chain((broker as u64).to_le_bytes()) {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    // FNV's low bits mix poorly for near-identical inputs; finish with a
    // xorshift-multiply so the ranking depends on every input byte.
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

/// The route of `journal`: members sorted by (zone, suffix), with endpoints,
/// and the primary. `pinned` (from `move_primary`) forces a primary broker.
pub(crate) fn assign(
    brokers: &[BrokerInfo],
    alive: &[bool],
    journal: &str,
    replication: i32,
    pinned: Option<usize>,
) -> Route {
    let mut ranked: Vec<usize> = (0..brokers.len()).filter(|&i| alive[i]).collect();
    ranked.sort_by_key(|&i| std::cmp::Reverse(score(journal, i)));
    if let Some(p) = pinned.filter(|&p| p < brokers.len() && alive[p]) {
        ranked.retain(|&i| i != p);
        ranked.insert(0, p);
    }
    ranked.truncate(replication.max(1) as usize);
    let primary = ranked.first().copied();
    let mut members = ranked;
    members.sort_by(|&a, &b| {
        let (a, b) = (&brokers[a].id, &brokers[b].id);
        (&a.zone, &a.suffix).cmp(&(&b.zone, &b.suffix))
    });
    Route {
        primary: match primary {
            Some(p) => members.iter().position(|&m| m == p).unwrap() as i32,
            None => -1,
        },
        endpoints: members
            .iter()
            .map(|&m| brokers[m].endpoint.clone())
            .collect(),
        members: members.iter().map(|&m| brokers[m].id.clone()).collect(),
    }
}

/// The broker index of a route member, if it is one of ours.
pub(crate) fn broker_index(brokers: &[BrokerInfo], route: &Route, member: usize) -> Option<usize> {
    let id = route.members.get(member)?;
    brokers.iter().position(|b| &b.id == id)
}

/// Is broker `me` a member of `route`?
pub(crate) fn is_member(brokers: &[BrokerInfo], route: &Route, me: usize) -> bool {
    route.members.iter().any(|m| m == &brokers[me].id)
}

/// Is broker `me` the primary of `route`?
pub(crate) fn is_primary(brokers: &[BrokerInfo], route: &Route, me: usize) -> bool {
    route.primary >= 0 && broker_index(brokers, route, route.primary as usize) == Some(me)
}
