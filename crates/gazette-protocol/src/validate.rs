//! The [`Validate`] trait and its rules for every message a client sends or
//! receives, mirroring the `Validate()` methods of Gazette's Go protocol
//! package (limits, field paths and message texts included), so errors read
//! the same as the Go client's.
//!
//! prost models message fields as `Option`; an absent non-nullable field is
//! validated as its default value (Go decodes it as the zero value), so an
//! absent response `header` fails exactly like Go's zero header.

use super::duration::{duration_nanos, format_go_duration};
use super::error::invalid;
use super::journal::{
    split_meta, validate_journal_name, validate_label_name, validate_label_value,
    validate_path_component, validate_suffix, validate_zone, MAX_JOURNAL_NAME_LEN,
};
use super::url::parse_url;
use super::*;
pub use crate::endpoint::validate_endpoint;

/// A message or value that can check itself for well-formedness.
pub trait Validate {
    /// `Ok` if well-formed, else the first violation found (Go's order).
    fn validate(&self) -> Result<(), ValidationError>;
}

/// Validates `field` and prefixes any error with `name`.
fn ctx<T: Validate + ?Sized>(field: &T, name: impl Into<String>) -> Result<(), ValidationError> {
    field.validate().map_err(|e| e.context(name))
}

/// Validates an `Option` field as its default value when absent.
fn ctx_or_default<T: Validate + Default>(
    field: &Option<T>,
    name: &str,
) -> Result<(), ValidationError> {
    match field {
        Some(f) => ctx(f, name),
        None => ctx(&T::default(), name),
    }
}

/// Validates an `Option` field only when present.
fn ctx_if_some<T: Validate>(field: &Option<T>, name: &str) -> Result<(), ValidationError> {
    field.as_ref().map_or(Ok(()), |f| ctx(f, name))
}

/// Go renders an enum with `%s` as its name, or as the bare number if it is
/// not a known value.
fn enum_text<E: TryFrom<i32>>(value: i32, name: impl Fn(E) -> &'static str) -> String {
    E::try_from(value).map_or_else(|_| value.to_string(), |e| name(e).to_string())
}

// ---------------------------------------------------------------- enums

/// Validates a raw `status` field: unknown values give `invalid status (N)`.
pub fn validate_status(status: i32) -> Result<(), ValidationError> {
    match Status::try_from(status) {
        Ok(_) => Ok(()),
        Err(_) => invalid!("invalid status ({status})"),
    }
}

/// Validates a raw `compression_codec` field: INVALID and unknown values fail.
pub fn validate_codec(codec: i32) -> Result<(), ValidationError> {
    match CompressionCodec::try_from(codec) {
        Ok(CompressionCodec::Invalid) | Err(_) => invalid!(
            "invalid value ({})",
            enum_text(codec, |c: CompressionCodec| c.as_str_name())
        ),
        Ok(_) => Ok(()),
    }
}

/// Validates JournalSpec `flags`: only NOT_SPECIFIED, O_RDONLY, O_WRONLY,
/// O_RDWR (no combinations).
pub fn validate_flags(flags: u32) -> Result<(), ValidationError> {
    match flags {
        0 | 1 | 2 | 4 => Ok(()),
        _ => invalid!("invalid combination ({flags})"),
    }
}

// ---------------------------------------------------------------- labels

impl Validate for Label {
    fn validate(&self) -> Result<(), ValidationError> {
        validate_label_name(&self.name).map_err(|e| e.context("Name"))?;
        validate_label_value(&self.value).map_err(|e| e.context("Value"))
    }
}

impl Validate for LabelSet {
    fn validate(&self) -> Result<(), ValidationError> {
        for (i, cur) in self.labels.iter().enumerate() {
            ctx(cur, format!("Labels[{i}]"))?;
            let Some(prev) = i.checked_sub(1).map(|p| &self.labels[p]) else {
                continue;
            };
            if prev.name < cur.name {
                continue;
            }
            if prev.name > cur.name {
                return invalid!(
                    "Labels not in unique, sorted order (index {i}; label name {} <= {})",
                    cur.name,
                    prev.name
                );
            }
            if (&prev.value, prev.prefix) >= (&cur.value, cur.prefix) {
                return invalid!(
                    "Labels not in unique, sorted order (index {i}; label {} value {} <= {})",
                    cur.name,
                    cur.value,
                    prev.value
                );
            }
            if prev.value.is_empty() {
                return invalid!(
                    "Label has empty & non-empty values (index {i}; label {} value {})",
                    cur.name,
                    cur.value
                );
            }
        }
        Ok(())
    }
}

impl Validate for LabelSelector {
    fn validate(&self) -> Result<(), ValidationError> {
        ctx_or_default(&self.include, "Include")?;
        ctx_or_default(&self.exclude, "Exclude")
    }
}

/// Labels that may carry at most one value in a JournalSpec.
const SINGLE_VALUE_LABELS: [&str; 6] = [
    "content-type",
    "app.gazette.dev/message-type",
    "app.gazette.dev/message-sub-type",
    "app.gazette.dev/managed-by",
    "app.gazette.dev/instance",
    "app.gazette.dev/region",
];

/// JournalSpec label rules beyond set validity: single-value labels,
/// a parseable content-type, message-type needs content-type, message
/// sub-type needs message-type.
fn validate_journal_labels(set: &LabelSet) -> Result<(), ValidationError> {
    for (i, pair) in set.labels.windows(2).enumerate() {
        if pair[0].name == pair[1].name && SINGLE_VALUE_LABELS.contains(&pair[1].name.as_str()) {
            return invalid!(
                "expected single-value Label has multiple values (index {}; label {} value {})",
                i + 1,
                pair[1].name,
                pair[1].value
            );
        }
    }
    let content_type = set.value_of("content-type");
    if let Some(ct) = content_type {
        if let Err(why) = check_media_type(ct) {
            return invalid!("parsing content-type: {why}");
        }
    }
    if set.value_of("app.gazette.dev/message-type").is_some() {
        if content_type.is_none() {
            return invalid!("expected content-type label alongside app.gazette.dev/message-type");
        }
    } else if set.value_of("app.gazette.dev/message-sub-type").is_some() {
        return invalid!(
            "expected app.gazette.dev/message-type label alongside app.gazette.dev/message-sub-type"
        );
    }
    Ok(())
}

/// A reduced RFC 2045 media-type check (`type/subtype` then `;k=v`
/// parameters) with the texts of Go's `mime.ParseMediaType`. Label values
/// cannot hold spaces, quotes or `;`, so this covers what a label can carry.
fn check_media_type(v: &str) -> Result<(), &'static str> {
    let is_tchar = |c: char| c.is_ascii_graphic() && !"()<>@,;:\\\"/[]?=".contains(c);
    let (media, params) = v.split_once(';').unwrap_or((v, ""));
    let media = media.trim();
    let (ty, sub) = match media.split_once('/') {
        _ if media.is_empty() => return Err("mime: no media type"),
        None => return Err("mime: expected slash after first token"),
        Some(p) => p,
    };
    if ty.is_empty() || !ty.chars().all(is_tchar) {
        return Err("mime: expected token after slash");
    }
    if sub.is_empty() {
        return Err("mime: expected token after slash");
    }
    if !sub.chars().all(is_tchar) {
        return Err("mime: unexpected content after media subtype");
    }
    for param in params.split(';').filter(|p| !p.trim().is_empty()) {
        match param.split_once('=') {
            Some((k, val)) if !k.trim().is_empty() && !val.is_empty() => {}
            _ => return Err("mime: invalid media parameter"),
        }
    }
    Ok(())
}

// ------------------------------------------------------ processes, routes

impl Validate for process_spec::Id {
    fn validate(&self) -> Result<(), ValidationError> {
        validate_zone(&self.zone).map_err(|e| e.context("Zone"))?;
        validate_suffix(&self.suffix).map_err(|e| e.context("Suffix"))
    }
}

impl Validate for ProcessSpec {
    fn validate(&self) -> Result<(), ValidationError> {
        ctx_or_default(&self.id, "Id")?;
        validate_endpoint(&self.endpoint).map_err(|e| e.context("Endpoint"))
    }
}

/// A fragment store URL: absolute; scheme `s3`, `gs`, `azure` (with a
/// bucket/account host), `azure-ad` (tenant host, account/container path)
/// or `file` (no host); path ending in `/`.
pub fn validate_fragment_store(fs: &str) -> Result<(), ValidationError> {
    let url = parse_url(fs)?;
    if !url.is_abs() {
        return invalid!("not absolute ({fs})");
    }
    match url.scheme {
        "s3" | "gs" | "azure" if url.host.is_empty() => return invalid!("missing bucket ({fs})"),
        "s3" | "gs" | "azure" => {}
        "azure-ad" => {
            let mut parts = url.path.trim_start_matches('/').split('/');
            if url.host.is_empty() {
                return invalid!("missing tenant ID ({fs})");
            } else if parts.next().unwrap_or("").is_empty() {
                return invalid!("missing storage account ({fs})");
            } else if parts.next().unwrap_or("").is_empty() {
                return invalid!("missing storage container ({fs})");
            }
        }
        "file" if !url.host.is_empty() => return invalid!("file scheme cannot have host ({fs})"),
        "file" => {}
        other => return invalid!("invalid scheme ({other})"),
    }
    if !url.path.ends_with('/') {
        return invalid!("path component doesn't end in '/' ({})", url.path);
    }
    Ok(())
}

impl Validate for Route {
    fn validate(&self) -> Result<(), ValidationError> {
        for (i, m) in self.members.iter().enumerate() {
            ctx(m, format!("Members[{i}]"))?;
            if i != 0 {
                let prev = &self.members[i - 1];
                if (&prev.zone, &prev.suffix) >= (&m.zone, &m.suffix) {
                    return invalid!(
                        "Members not in unique, sorted order (index {i}; {{Zone:{} Suffix:{}}} <= {{Zone:{} Suffix:{}}})",
                        prev.zone,
                        prev.suffix,
                        m.zone,
                        m.suffix
                    );
                }
            }
        }
        let n = self.members.len();
        if self.primary < -1 || i64::from(self.primary) >= n as i64 {
            return invalid!(
                "invalid Primary ({}; expected -1 <= Primary < {n})",
                self.primary
            );
        }
        let l = self.endpoints.len();
        if l != 0 && l != n {
            return invalid!("len(Endpoints) != 0, and != len(Members) ({l} vs {n})");
        }
        for (i, ep) in self.endpoints.iter().enumerate() {
            if !ep.is_empty() {
                validate_endpoint(ep).map_err(|e| e.context(format!("Endpoints[{i}]")))?;
            }
        }
        Ok(())
    }
}

impl Validate for header::Etcd {
    fn validate(&self) -> Result<(), ValidationError> {
        if self.cluster_id == 0 {
            invalid!("invalid ClusterId (expected != 0)")
        } else if self.member_id == 0 {
            invalid!("invalid MemberId (expected != 0)")
        } else if self.revision <= 0 {
            invalid!(
                "invalid Revision ({}; expected 0 < revision)",
                self.revision
            )
        } else if self.raft_term == 0 {
            invalid!("invalid RaftTerm (expected != 0)")
        } else {
            Ok(())
        }
    }
}

impl Validate for Header {
    fn validate(&self) -> Result<(), ValidationError> {
        if let Some(id) = &self.process_id {
            if *id != process_spec::Id::default() {
                ctx(id, "ProcessId")?;
            }
        }
        ctx_or_default(&self.route, "Route")?;
        ctx_or_default(&self.etcd, "Etcd")
    }
}

// --------------------------------------------------- fragments and specs

impl Validate for Fragment {
    fn validate(&self) -> Result<(), ValidationError> {
        validate_journal_name(&self.journal).map_err(|e| e.context("Journal"))?;
        if self.begin > self.end {
            return invalid!("expected Begin <= End (have {}, {})", self.begin, self.end);
        }
        validate_codec(self.compression_codec).map_err(|e| e.context("CompressionCodec"))?;
        validate_path_component(&self.path_postfix, 0, MAX_JOURNAL_NAME_LEN)
            .map_err(|e| e.context("PathPostfix"))
    }
}

const NANOS_PER_SEC: i128 = 1_000_000_000;
const MIN_FRAGMENT_LEN: i64 = 1 << 10;
const MAX_FRAGMENT_LEN: i64 = 1 << 34;
const MIN_REFRESH: i128 = NANOS_PER_SEC;
const MAX_REFRESH: i128 = 24 * 3600 * NANOS_PER_SEC;
const MIN_FLUSH: i128 = 60 * NANOS_PER_SEC;
const MAX_REPLICATION: i32 = 5;

impl Validate for journal_spec::Fragment {
    fn validate(&self) -> Result<(), ValidationError> {
        if self.length < MIN_FRAGMENT_LEN || self.length > MAX_FRAGMENT_LEN {
            return invalid!(
                "invalid Length ({}; expected {MIN_FRAGMENT_LEN} <= length <= {MAX_FRAGMENT_LEN})",
                self.length
            );
        }
        validate_codec(self.compression_codec).map_err(|e| e.context("CompressionCodec"))?;
        for (i, store) in self.stores.iter().enumerate() {
            validate_fragment_store(store).map_err(|e| e.context(format!("Stores[{i}]")))?;
            if i == 0
                && store.starts_with("file:")
                && self.compression_codec == CompressionCodec::GzipOffloadDecompression as i32
            {
                return invalid!(
                    "GZIP_OFFLOAD_DECOMPRESSION is incompatible with file:// stores ({store})"
                );
            }
        }
        let refresh = duration_nanos(self.refresh_interval.as_ref());
        if !(MIN_REFRESH..=MAX_REFRESH).contains(&refresh) {
            return invalid!(
                "invalid RefreshInterval ({}; expected {} <= interval <= {})",
                format_go_duration(refresh),
                format_go_duration(MIN_REFRESH),
                format_go_duration(MAX_REFRESH)
            );
        }
        let flush = duration_nanos(self.flush_interval.as_ref());
        if flush != 0 && flush < MIN_FLUSH {
            return invalid!(
                "invalid FlushInterval ({}; expected >= {})",
                format_go_duration(flush),
                format_go_duration(MIN_FLUSH)
            );
        }
        check_template(&self.path_postfix_template)
            .map_err(|e| ValidationError::new(e).context("PathPostfixTemplate"))
        // Retention needs no validation: every value is allowed.
    }
}

/// Go `text/template` is not available here, so the path postfix template is
/// only checked for balanced, non-empty `{{ }}` actions. Go additionally
/// rejects unknown fields and functions; a broker still does.
fn check_template(tpl: &str) -> Result<(), String> {
    let mut rest = tpl;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            return Err("template: postfix: unclosed action".to_string());
        };
        if after[..close]
            .trim_matches(|c: char| c == '-' || c.is_whitespace())
            .is_empty()
        {
            return Err("template: postfix: missing value for command".to_string());
        }
        rest = &after[close + 2..];
    }
    Ok(())
}

impl Validate for journal_spec::Suspend {
    fn validate(&self) -> Result<(), ValidationError> {
        if journal_spec::suspend::Level::try_from(self.level).is_err() {
            return Err(
                ValidationError::new(format!("invalid Level variant ({})", self.level))
                    .context("Level"),
            );
        }
        if self.offset < 0 {
            return Err(ValidationError::new(format!(
                "invalid Offset ({}; expected >= 0)",
                self.offset
            ))
            .context("Offset"));
        }
        Ok(())
    }
}

impl Validate for JournalSpec {
    fn validate(&self) -> Result<(), ValidationError> {
        validate_journal_name(&self.name).map_err(|e| e.context("Name"))?;
        let (_, meta) = split_meta(&self.name);
        if !meta.is_empty() {
            return invalid!(
                "Name cannot have a metadata path segment ({meta}; expected no segment)"
            );
        }
        if self.replication < 1 || self.replication > MAX_REPLICATION {
            return invalid!(
                "invalid Replication ({}; expected 1 <= Replication <= {MAX_REPLICATION})",
                self.replication
            );
        }
        let default_labels = LabelSet::default();
        let labels = self.labels.as_ref().unwrap_or(&default_labels);
        ctx(labels, "Labels")?;
        if labels.value_of("name").is_some() {
            return invalid!("Labels cannot include label \"name\"");
        }
        if labels.value_of("prefix").is_some() {
            return invalid!("Labels cannot include label \"prefix\"");
        }
        validate_journal_labels(labels).map_err(|e| e.context("Labels"))?;
        ctx_or_default(&self.fragment, "Fragment")?;
        validate_flags(self.flags).map_err(|e| e.context("Flags"))?;
        if self.max_append_rate < 0 {
            return invalid!(
                "invalid MaxAppendRate ({}; expected >= 0)",
                self.max_append_rate
            );
        }
        ctx_if_some(&self.suspend, "Suspend")
    }
}

// ------------------------------------------------------------------ Read

// The RPC messages' rules (requests and responses), in their own file.
mod rpc;
pub use rpc::validate_list_chunk;
