//! The content of one journal: its spool, fragments rolled but kept in memory
//! (when no reachable store is configured), registers, and the fragment index
//! (those plus whatever the journal's stores list).

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use gazette_protocol::{Fragment, JournalSpec, LabelSet};

use crate::spool::Spool;
use crate::store;

/// A read far behind may jump over a gap to a fragment persisted this long ago.
const OFFSET_JUMP_AGE_SECS: i64 = 6 * 3600;

/// Where the bytes of an index entry are.
#[derive(Clone)]
pub(crate) enum Source {
    /// The open spool (read under the lock, it may still grow).
    Spool,
    /// A rolled fragment held in memory.
    Memory(Bytes),
    /// A persisted fragment file.
    File(PathBuf),
}

/// One fragment of the index.
#[derive(Clone)]
pub(crate) struct Entry {
    pub fragment: Fragment,
    pub source: Source,
}

/// Mutable content state, behind [`JournalContent::lock`].
pub(crate) struct ContentState {
    pub spool: Spool,
    pub local: Vec<Entry>,
    pub registers: LabelSet,
    /// The stores' last listing and when it was taken; like a real broker,
    /// stores are listed again once per `refresh_interval` (and right after
    /// this broker persists a fragment).
    pub listing: Option<(Instant, Vec<store::Listed>)>,
    /// The spool was started on an empty index: roll it at the next append
    /// even if it is short, so the first write is persisted promptly (§8).
    pub first_roll_pending: bool,
}

/// A journal's content, shared by every broker of the cluster.
pub(crate) struct JournalContent {
    pub name: String,
    /// Held by an Append from its preconditions to its commit, like Gazette's
    /// pipeline: appends to one journal never interleave.
    pub pipeline: tokio::sync::Mutex<()>,
    state: Mutex<ContentState>,
}

/// The result of looking an offset up in the index.
pub(crate) enum Lookup {
    /// `offset` (possibly jumped forward) lies in `entry`.
    Found { offset: i64, entry: Entry },
    /// Nothing readable at `offset` yet.
    NotYet { offset: i64 },
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl JournalContent {
    /// New content for a journal created with `spec`: the spool starts where
    /// the stores' existing fragments end.
    pub fn new(spec: &JournalSpec, root: Option<&Path>) -> JournalContent {
        let frag = spec.fragment.clone().unwrap_or_default();
        let end = frag
            .stores
            .iter()
            .flat_map(|s| store::list(root, s, &spec.name))
            .map(|l| l.fragment.end)
            .max()
            .unwrap_or(0);
        JournalContent {
            name: spec.name.clone(),
            pipeline: tokio::sync::Mutex::new(()),
            state: Mutex::new(ContentState {
                spool: Spool::new(end, frag.compression_codec),
                local: vec![],
                registers: LabelSet::default(),
                listing: None,
                first_roll_pending: end == 0,
            }),
        }
    }

    /// Locks the content state. Never held across an `.await`.
    pub fn lock(&self) -> MutexGuard<'_, ContentState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The fragment index: a cover set of stored, in-memory and spool
    /// fragments sorted by offset, and the write head.
    pub fn index(&self, spec: &JournalSpec, root: Option<&Path>) -> (Vec<Entry>, i64) {
        let frag = spec.fragment.clone().unwrap_or_default();
        let refresh = frag.refresh_interval.map_or(1, |d| d.seconds).max(1) as u64;
        let mut st = self.lock();
        let fresh = st
            .listing
            .as_ref()
            .is_some_and(|(at, _)| at.elapsed() < Duration::from_secs(refresh));
        if !fresh {
            let listed = frag
                .stores
                .iter()
                .flat_map(|s| store::list(root, s, &self.name))
                .collect();
            st.listing = Some((Instant::now(), listed));
        }
        let mut all: Vec<Entry> = st
            .listing
            .as_ref()
            .unwrap()
            .1
            .iter()
            .map(|l| Entry {
                fragment: l.fragment.clone(),
                source: Source::File(l.path.clone()),
            })
            .collect();
        all.extend(st.local.iter().cloned());
        if st.spool.len() > 0 {
            all.push(Entry {
                fragment: st.spool.fragment(&self.name),
                source: Source::Spool,
            });
        }
        let write_head = st.spool.end();
        drop(st);
        // Prefer wider fragments; drop any wholly covered by another.
        all.sort_by_key(|e| (e.fragment.begin, std::cmp::Reverse(e.fragment.end)));
        let mut cover: Vec<Entry> = Vec::new();
        for e in all {
            if cover.last().is_none_or(|l| e.fragment.end > l.fragment.end) {
                cover.push(e);
            }
        }
        let head = cover.iter().map(|e| e.fragment.end).max().unwrap_or(0);
        (cover, write_head.max(head))
    }
}

impl ContentState {
    /// Rolls a non-empty spool and persists it to the journal's first store
    /// when the dev broker can reach it; otherwise the fragment stays in
    /// memory (like a broker whose journal has no stores).
    pub fn roll(&mut self, spec: &JournalSpec, root: Option<&Path>) {
        let frag_spec = spec.fragment.clone().unwrap_or_default();
        if self.spool.len() == 0 {
            // Nothing to roll; only pick up a codec change.
            self.spool.codec = frag_spec.compression_codec;
            return;
        }
        self.first_roll_pending = false;
        self.listing = None;
        let (fragment, content, first) = self.spool.roll(&spec.name, frag_spec.compression_codec);
        if let Some(store) = frag_spec.stores.first() {
            if let Some(dir) = store::store_dir(root, store) {
                match store::persist(
                    &dir,
                    store,
                    fragment.clone(),
                    &content,
                    &frag_spec.path_postfix_template,
                    first,
                ) {
                    Ok(_) => return,
                    Err(e) => eprintln!("gazette-devbroker: persisting {}: {e}", spec.name),
                }
            }
        }
        self.local.push(Entry {
            fragment,
            source: Source::Memory(content),
        });
    }

    /// Should an append starting now roll the spool first?
    pub fn should_roll(&self, spec: &JournalSpec) -> bool {
        let frag = spec.fragment.clone().unwrap_or_default();
        // flush_interval closes spools on UTC-aligned boundaries.
        let interval = frag.flush_interval.map_or(0, |d| d.seconds);
        let crossed = interval > 0
            && self.spool.first_append_time.is_some_and(|t| {
                let secs = |t: SystemTime| {
                    t.duration_since(UNIX_EPOCH)
                        .map_or(0, |d| d.as_secs() as i64)
                };
                secs(t) / interval < now_secs() / interval
            });
        self.spool.len() > 0
            && (self.spool.len() >= frag.length
                || self.first_roll_pending
                || crossed
                || self.spool.codec != frag.compression_codec)
    }
}

/// Finds the fragment to read at `offset` (-1 = write head), applying
/// Gazette's forward jumps (§2.2): to the next fragment when the offset is
/// before the first fragment or the next one was persisted long ago, and
/// over persisted fragments older than `begin_mod_time`.
pub(crate) fn lookup(index: &[Entry], write_head: i64, offset: i64, begin_mod_time: i64) -> Lookup {
    let mut offset = if offset == -1 { write_head } else { offset };
    loop {
        let hit = index
            .iter()
            .filter(|e| e.fragment.begin <= offset && offset < e.fragment.end)
            .max_by_key(|e| e.fragment.end);
        if let Some(e) = hit {
            let m = e.fragment.mod_time;
            if m != 0 && m < begin_mod_time {
                offset = e.fragment.end;
                continue;
            }
            return Lookup::Found {
                offset,
                entry: e.clone(),
            };
        }
        let first_begin = index.iter().map(|e| e.fragment.begin).min();
        let next = index
            .iter()
            .filter(|e| e.fragment.begin > offset)
            .min_by_key(|e| e.fragment.begin);
        match next {
            Some(n)
                if first_begin.is_some_and(|b| offset < b)
                    || (n.fragment.mod_time != 0
                        && now_secs() - n.fragment.mod_time > OFFSET_JUMP_AGE_SECS) =>
            {
                offset = n.fragment.begin;
            }
            _ => return Lookup::NotYet { offset },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gazette_protocol::journal_spec;

    fn spec(flush_secs: i64) -> JournalSpec {
        JournalSpec {
            name: "a/journal".into(),
            fragment: Some(journal_spec::Fragment {
                length: 1024,
                compression_codec: 1,
                flush_interval: Some(prost_types::Duration {
                    seconds: flush_secs,
                    nanos: 0,
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn spools_roll_at_length_first_write_codec_change_and_flush_boundaries() {
        let s = spec(0);
        let content = JournalContent::new(&s, None);
        let mut st = content.lock();
        assert!(!st.should_roll(&s), "empty spools never roll");
        st.spool.extend(b"first");
        assert!(
            st.should_roll(&s),
            "the first fragment of an empty journal rolls"
        );
        st.roll(&s, None);
        st.spool.extend(&[0; 1023]);
        assert!(!st.should_roll(&s));
        st.spool.extend(b"x");
        assert!(st.should_roll(&s), "length reached");
        st.roll(&s, None);

        st.spool.extend(b"y");
        let mut gz = s.clone();
        gz.fragment.as_mut().unwrap().compression_codec = 2;
        assert!(st.should_roll(&gz), "codec changed");

        let hourly = spec(3600);
        assert!(!st.should_roll(&hourly));
        st.spool.first_append_time = Some(SystemTime::now() - Duration::from_secs(3600));
        assert!(
            st.should_roll(&hourly),
            "a UTC hour boundary passed since the first append"
        );
        assert_eq!(
            st.local.len(),
            2,
            "without a store, rolled fragments stay in memory"
        );
    }
}
