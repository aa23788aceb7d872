//! What a `start_append` asks for, and whether a batch takes it.

use crate::op_future::OpFutures;
use crate::protocol::AppendRequest;

/// Admits every new chain (starts that check nothing).
pub(super) fn admit_all() -> std::result::Result<(), std::convert::Infallible> {
    Ok(())
}

/// What a `start_append` asks for: a journal, the other request fields
/// (`options`; the default request if `None`) and dependencies.
pub(super) struct Want<'a> {
    pub(super) journal: &'a str,
    pub(super) options: Option<&'a AppendRequest>,
    pub(super) dependencies: &'a OpFutures,
}

impl<'a> Want<'a> {
    pub(super) fn of(request: &'a AppendRequest, dependencies: &'a OpFutures) -> Want<'a> {
        Want {
            journal: &request.journal,
            options: Some(request),
            dependencies,
        }
    }

    /// The request, built (only when a new batch needs it).
    pub(super) fn request(&self) -> AppendRequest {
        let mut request = self.options.cloned().unwrap_or_default();
        if request.journal != self.journal {
            request.journal = self.journal.to_string();
        }
        request
    }

    /// Whether a batch of the chain of `journal` sending `request` takes
    /// this append: every field but the journal (the chain's) must match.
    pub(super) fn matches(&self, request: &AppendRequest) -> bool {
        let default = AppendRequest::default();
        let want = self.options.unwrap_or(&default);
        // Destructured so a new field cannot be forgotten here.
        let AppendRequest {
            header,
            journal: _,
            do_not_proxy,
            content,
            offset,
            check_registers,
            union_registers,
            subtract_registers,
            suspend,
            min_etcd_revision,
        } = request;
        *do_not_proxy == want.do_not_proxy
            && *offset == want.offset
            && *suspend == want.suspend
            && *min_etcd_revision == want.min_etcd_revision
            && *header == want.header
            && content.len() == want.content.len()
            && (content.is_empty() || *content == want.content)
            && *check_registers == want.check_registers
            && *union_registers == want.union_registers
            && *subtract_registers == want.subtract_registers
    }
}
