//! The one place where the broker calls pure helpers of `gazette-protocol`
//! (fragment names, SHA-1 sums, label selectors, registers, validation), so
//! the broker's use of the shared code is easy to audit.

use gazette_protocol::{
    self as protocol, label, Fragment, LabelSelector, LabelSet, Sha1Sum, Validate,
};

/// Gazette's `SHA1Sum` of a 20-byte digest.
pub fn sum_from_digest(d: &[u8]) -> Sha1Sum {
    let mut digest = [0u8; 20];
    digest.copy_from_slice(&d[..20]);
    Sha1Sum::from_digest(digest)
}

/// `<journal>/<path_postfix>/<content name>` (an empty postfix disappears).
pub fn content_path(f: &Fragment) -> String {
    protocol::content_path(f)
}

/// Parses a store path relative to `<store>/<journal>/` back into a fragment.
pub fn parse_relative_path(journal: &str, rel: &str) -> Option<Fragment> {
    protocol::parse_fragment_from_relative_path(journal, rel).ok()
}

/// Does `labels` satisfy `sel`?
pub fn selector_matches(sel: &LabelSelector, labels: &LabelSet) -> bool {
    sel.matches(labels)
}

/// The meta-labels `name` and `prefix` List selectors may use.
pub fn meta_labels(journal: &str) -> LabelSet {
    label::journal_meta_labels(journal)
}

/// Labels of both sets; where both name a label, `lhs` wins.
pub fn union(lhs: &LabelSet, rhs: &LabelSet) -> LabelSet {
    label::union_label_sets(lhs, rhs)
}

/// Registers after a commit: subtract first, then union (union wins by name).
pub fn update_registers(regs: &LabelSet, subtract: &LabelSet, union: &LabelSet) -> LabelSet {
    label::update_registers(regs, union, subtract)
}

/// Validates a request; `Err` is the text of the gRPC `Unknown` error a
/// broker fails the RPC with.
pub fn validate<T: Validate>(msg: &T) -> Result<(), String> {
    msg.validate().map_err(|e| e.to_string())
}
