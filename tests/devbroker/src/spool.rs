//! The open fragment of a journal: committed bytes not yet rolled, with the
//! running SHA-1 of its content.

use std::time::SystemTime;

use bytes::{Bytes, BytesMut};
use gazette_protocol::Fragment;
use sha1::{Digest, Sha1};

use crate::helpers;

/// The open ("spool") fragment `[begin, end)` of a journal.
pub(crate) struct Spool {
    pub begin: i64,
    pub codec: i32,
    data: BytesMut,
    hasher: Sha1,
    /// When the first byte was appended (input of `path_postfix_template`).
    pub first_append_time: Option<SystemTime>,
}

impl Spool {
    /// An empty spool starting at `begin`.
    pub fn new(begin: i64, codec: i32) -> Spool {
        Spool {
            begin,
            codec,
            data: BytesMut::new(),
            hasher: Sha1::new(),
            first_append_time: None,
        }
    }

    /// End offset: the journal's write head.
    pub fn end(&self) -> i64 {
        self.begin + self.data.len() as i64
    }

    /// Number of bytes held.
    pub fn len(&self) -> i64 {
        self.data.len() as i64
    }

    /// Adds committed bytes.
    pub fn extend(&mut self, content: &[u8]) {
        if content.is_empty() {
            return;
        }
        if self.first_append_time.is_none() {
            self.first_append_time = Some(SystemTime::now());
        }
        self.data.extend_from_slice(content);
        self.hasher.update(content);
    }

    /// The fragment this spool describes right now.
    pub fn fragment(&self, journal: &str) -> Fragment {
        Fragment {
            journal: journal.to_string(),
            begin: self.begin,
            end: self.end(),
            sum: Some(if self.data.is_empty() {
                Default::default()
            } else {
                helpers::sum_from_digest(&self.hasher.clone().finalize())
            }),
            compression_codec: self.codec,
            ..Default::default()
        }
    }

    /// A copy of content `[from, to)` (journal offsets, clamped to the spool).
    pub fn slice(&self, from: i64, to: i64) -> Bytes {
        let lo = (from.max(self.begin) - self.begin) as usize;
        let hi = (to.min(self.end()) - self.begin).max(0) as usize;
        Bytes::copy_from_slice(&self.data[lo.min(hi)..hi])
    }

    /// Closes this spool: returns its fragment and content, and leaves an
    /// empty spool at the old end using `codec`.
    pub fn roll(&mut self, journal: &str, codec: i32) -> (Fragment, Bytes, Option<SystemTime>) {
        let frag = self.fragment(journal);
        let first = self.first_append_time;
        let old = std::mem::replace(self, Spool::new(frag.end, codec));
        (frag, old.data.freeze(), first)
    }
}
