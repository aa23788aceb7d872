//! Response checks the client applies before trusting a broker's answer.
//!
//! Interim: a subset of Gazette's message validation, with Go's message
//! texts, until the protocol layer's full validators replace it.

use super::error::{Error, Result};
use crate::protocol::{Fragment, Header, LabelSelector, LabelSet, Route, Status};

fn invalid(msg: impl Into<String>) -> Error {
    Error::Validation(msg.into())
}

/// A wire status value that must be one Gazette defines.
pub fn status(code: i32) -> Result<Status> {
    Status::try_from(code).map_err(|_| invalid(format!("Status: invalid status ({code})")))
}

/// A response header (absent = zero-valued, which is invalid).
pub fn header(header: Option<&Header>) -> Result<()> {
    let default = Header::default();
    let header = header.unwrap_or(&default);
    let default_route = Route::default();
    route(header.route.as_ref().unwrap_or(&default_route)).map_err(|e| e.with_context("Route"))?;
    let etcd = header.etcd.unwrap_or_default();
    let check = |ok: bool, msg: &str| {
        if ok {
            Ok(())
        } else {
            Err(invalid(msg).with_context("Etcd"))
        }
    };
    check(etcd.cluster_id != 0, "invalid ClusterId (expected != 0)")?;
    check(etcd.member_id != 0, "invalid MemberId (expected != 0)")?;
    check(
        etcd.revision > 0,
        &format!("invalid Revision ({}; expected > 0)", etcd.revision),
    )?;
    check(etcd.raft_term != 0, "invalid RaftTerm (expected != 0)")?;
    Ok(())
}

/// A route: members ascending, primary in range, endpoints empty or aligned.
pub fn route(route: &Route) -> Result<()> {
    for (index, pair) in route.members.windows(2).enumerate() {
        if (&pair[0].zone, &pair[0].suffix) >= (&pair[1].zone, &pair[1].suffix) {
            return Err(invalid(format!(
                "Members[{}]: not in unique, sorted order",
                index + 1
            )));
        }
    }
    let len = route.members.len() as i32;
    if route.primary < -1 || route.primary >= len {
        return Err(invalid(format!(
            "invalid Primary ({}; expected -1 <= Primary < {len})",
            route.primary
        )));
    }
    if !route.endpoints.is_empty() && route.endpoints.len() != route.members.len() {
        return Err(invalid(format!(
            "len(Endpoints) != len(Members) ({} vs {})",
            route.endpoints.len(),
            route.members.len()
        )));
    }
    Ok(())
}

/// A fragment: named journal, ordered offsets, a real codec.
pub fn fragment(fragment: &Fragment) -> Result<()> {
    let len = fragment.journal.chars().count();
    if !(4..=512).contains(&len) {
        return Err(invalid(format!(
            "Journal: invalid length ({len}; expected 4 <= length <= 512)"
        )));
    }
    if fragment.begin > fragment.end {
        return Err(invalid(format!(
            "expected Begin <= End (have {}, {})",
            fragment.begin, fragment.end
        )));
    }
    if fragment.compression_codec == 0 {
        return Err(invalid("CompressionCodec: invalid value (0)"));
    }
    Ok(())
}

/// Renders a label set as `name=value,...` (for error details).
pub fn format_label_set(set: Option<&LabelSet>) -> String {
    let Some(set) = set else { return String::new() };
    set.labels
        .iter()
        .map(|l| {
            if l.value.is_empty() {
                l.name.clone()
            } else {
                format!("{}={}", l.name, l.value)
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Renders a selector as `inc=v,!exc` (for error details).
pub fn format_selector(selector: Option<&LabelSelector>) -> String {
    let Some(selector) = selector else {
        return String::new();
    };
    let mut parts = Vec::new();
    if let Some(include) = &selector.include {
        parts.extend(include.labels.iter().map(|l| {
            if l.value.is_empty() {
                l.name.clone()
            } else {
                format!("{}={}", l.name, l.value)
            }
        }));
    }
    if let Some(exclude) = &selector.exclude {
        parts.extend(exclude.labels.iter().map(|l| {
            if l.value.is_empty() {
                format!("!{}", l.name)
            } else {
                format!("{}!={}", l.name, l.value)
            }
        }));
    }
    parts.join(",")
}
