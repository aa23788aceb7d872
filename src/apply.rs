//! Creating, updating and deleting journals: a journal spec builder, an
//! apply request of upserts and deletes, and `gazette_apply`. Wraps
//! `apply_journals_in_batches` of `client/list.rs`.

use std::ffi::c_char;

use super::args::{check_journal_name, handle_mut, handle_ref, out_ptr, str_in};
use super::client::{client_shared, gazette_client};
use super::error::{gazette_error, FfiError};
use super::list::gazette_journal;
use super::ownership::{free_box, opt_ref, with_ref};
use super::status::gazette_status;
use gazette::apply_journals_in_batches;
use gazette::protocol::{
    apply_request, journal_spec, ApplyRequest, CompressionCodec, JournalSpec, Label, LabelSet,
};

/// A journal spec being built for an apply request. Not thread-safe while
/// being changed. Free with `gazette_journal_spec_free`.
pub struct gazette_journal_spec {
    spec: JournalSpec,
}

/// A list of changes (upserts and deletes) applied together. Free with
/// `gazette_apply_request_free`.
pub struct gazette_apply_request {
    changes: Vec<apply_request::Change>,
}

fn duration_ms(ms: i64) -> prost_types::Duration {
    prost_types::Duration {
        seconds: ms.div_euclid(1000),
        nanos: (ms.rem_euclid(1000) * 1_000_000) as i32,
    }
}

fn default_spec(name: String) -> JournalSpec {
    JournalSpec {
        name,
        replication: 1,
        labels: Some(LabelSet::default()),
        fragment: Some(journal_spec::Fragment {
            length: 512 << 20,
            compression_codec: CompressionCodec::Gzip as i32,
            refresh_interval: Some(duration_ms(5 * 60 * 1000)),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn fragment_of(spec: &mut gazette_journal_spec) -> &mut journal_spec::Fragment {
    spec.spec.fragment.get_or_insert_with(Default::default)
}

/// Creates a journal spec named `name` with defaults: replication 1,
/// fragments of 512 MiB compressed with GZIP, store listing refreshed every
/// 5 minutes, no stores, no labels, no retention limit. The broker validates
/// the whole spec when it is applied. On success writes `*out`.
///
/// Errors: NULL_POINTER, INVALID_UTF8, INVALID_ARGUMENT (bad journal name).
#[no_mangle]
pub extern "C" fn gazette_journal_spec_new(
    name: *const c_char,
    name_len: usize,
    out: *mut *mut gazette_journal_spec,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let name = unsafe { str_in(name, name_len, "name") }?;
        let out = out_ptr(out, "out")?;
        check_journal_name(&name)?;
        if name.contains(';') {
            return Err(FfiError::invalid("a journal spec name may not carry ;meta"));
        }
        let spec = Box::new(gazette_journal_spec {
            spec: default_spec(name),
        });
        // SAFETY: checked non-NULL above.
        unsafe { *out = Box::into_raw(spec) };
        Ok(gazette_status::Ok)
    })
}

/// Copies the spec of a listed journal, to change and re-apply it (fields
/// this API has no setter for, such as suspension, are kept). NULL gives NULL.
#[no_mangle]
pub extern "C" fn gazette_journal_spec_from_journal(
    journal: *const gazette_journal,
) -> *mut gazette_journal_spec {
    ffi_boundary!({
        match opt_ref(journal) {
            Some(j) => Box::into_raw(Box::new(gazette_journal_spec {
                spec: j.spec.clone(),
            })),
            None => std::ptr::null_mut(),
        }
    })
}

/// Takes ownership of a spec and frees it. NULL is a no-op.
#[no_mangle]
pub extern "C" fn gazette_journal_spec_free(spec: *mut gazette_journal_spec) {
    ffi_boundary!({
        free_box(spec);
    })
}

/// Sets the replication factor (1..=5).
#[no_mangle]
pub extern "C" fn gazette_journal_spec_set_replication(
    spec: *mut gazette_journal_spec,
    replication: i32,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let spec = unsafe { handle_mut(spec, "spec") }?;
        if !(1..=5).contains(&replication) {
            return Err(FfiError::invalid(format!(
                "replication must be 1..=5 (got {replication})"
            )));
        }
        spec.spec.replication = replication;
        Ok(gazette_status::Ok)
    })
}

/// Adds a label (name and value; the value may be empty). Labels are kept
/// sorted; adding an existing pair does nothing.
#[no_mangle]
pub extern "C" fn gazette_journal_spec_add_label(
    spec: *mut gazette_journal_spec,
    name: *const c_char,
    name_len: usize,
    value: *const c_char,
    value_len: usize,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let spec = unsafe { handle_mut(spec, "spec") }?;
        let name = unsafe { str_in(name, name_len, "name") }?;
        let value = unsafe { str_in(value, value_len, "value") }?;
        gazette::protocol::journal::validate_label_name(&name)?;
        gazette::protocol::journal::validate_label_value(&value)?;
        let labels = spec.spec.labels.get_or_insert_with(Default::default);
        labels.insert(Label::new(name, value));
        Ok(gazette_status::Ok)
    })
}

/// Sets the target fragment length in bytes (1024 ..= 2^34).
#[no_mangle]
pub extern "C" fn gazette_journal_spec_set_fragment_length(
    spec: *mut gazette_journal_spec,
    length: i64,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let spec = unsafe { handle_mut(spec, "spec") }?;
        if !(1024..=1 << 34).contains(&length) {
            return Err(FfiError::invalid(format!(
                "fragment length must be 1024..=2^34 (got {length})"
            )));
        }
        fragment_of(spec).length = length;
        Ok(gazette_status::Ok)
    })
}

/// Sets the codec of new fragments (wire value: 1 NONE, 2 GZIP,
/// 3 ZSTANDARD, 4 SNAPPY, 5 GZIP_OFFLOAD_DECOMPRESSION).
#[no_mangle]
pub extern "C" fn gazette_journal_spec_set_compression_codec(
    spec: *mut gazette_journal_spec,
    codec: i32,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let spec = unsafe { handle_mut(spec, "spec") }?;
        if !(1..=5).contains(&codec) {
            return Err(FfiError::invalid(format!(
                "unknown compression codec {codec}"
            )));
        }
        fragment_of(spec).compression_codec = codec;
        Ok(gazette_status::Ok)
    })
}

/// Adds a fragment store URL (e.g. `"file:///"`, `"s3://bucket/prefix/"`;
/// must end in `/`). The first store receives new fragments.
#[no_mangle]
pub extern "C" fn gazette_journal_spec_add_store(
    spec: *mut gazette_journal_spec,
    store: *const c_char,
    store_len: usize,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let spec = unsafe { handle_mut(spec, "spec") }?;
        let store = unsafe { str_in(store, store_len, "store") }?;
        gazette::protocol::validate::validate_fragment_store(&store)?;
        fragment_of(spec).stores.push(store);
        Ok(gazette_status::Ok)
    })
}

/// Sets how often brokers list the stores (ms, 1 s ..= 24 h).
#[no_mangle]
pub extern "C" fn gazette_journal_spec_set_refresh_interval_ms(
    spec: *mut gazette_journal_spec,
    interval_ms: i64,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let spec = unsafe { handle_mut(spec, "spec") }?;
        if !(1000..=86_400_000).contains(&interval_ms) {
            return Err(FfiError::invalid(format!(
                "refresh interval must be 1000..=86400000 ms (got {interval_ms})"
            )));
        }
        fragment_of(spec).refresh_interval = Some(duration_ms(interval_ms));
        Ok(gazette_status::Ok)
    })
}

/// Sets how long fragments are kept (ms; 0 or less: forever).
#[no_mangle]
pub extern "C" fn gazette_journal_spec_set_retention_ms(
    spec: *mut gazette_journal_spec,
    retention_ms: i64,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let spec = unsafe { handle_mut(spec, "spec") }?;
        fragment_of(spec).retention = Some(duration_ms(retention_ms.max(0)));
        Ok(gazette_status::Ok)
    })
}

/// Sets the interval at which open fragments are closed and persisted (ms;
/// 0 disables, else at least one minute).
#[no_mangle]
pub extern "C" fn gazette_journal_spec_set_flush_interval_ms(
    spec: *mut gazette_journal_spec,
    interval_ms: i64,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let spec = unsafe { handle_mut(spec, "spec") }?;
        if interval_ms != 0 && interval_ms < 60_000 {
            return Err(FfiError::invalid(format!(
                "flush interval must be 0 or >= 60000 ms (got {interval_ms})"
            )));
        }
        fragment_of(spec).flush_interval = Some(duration_ms(interval_ms));
        Ok(gazette_status::Ok)
    })
}

/// Sets the journal's flags (0 default, 1 read-only, 2 write-only, 4 read-write).
#[no_mangle]
pub extern "C" fn gazette_journal_spec_set_flags(
    spec: *mut gazette_journal_spec,
    flags: u32,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let spec = unsafe { handle_mut(spec, "spec") }?;
        gazette::protocol::validate::validate_flags(flags)?;
        spec.spec.flags = flags;
        Ok(gazette_status::Ok)
    })
}

/// Sets the append rate limit in bytes per second (0: unlimited).
#[no_mangle]
pub extern "C" fn gazette_journal_spec_set_max_append_rate(
    spec: *mut gazette_journal_spec,
    bytes_per_second: i64,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let spec = unsafe { handle_mut(spec, "spec") }?;
        if bytes_per_second < 0 {
            return Err(FfiError::invalid("max append rate must be >= 0"));
        }
        spec.spec.max_append_rate = bytes_per_second;
        Ok(gazette_status::Ok)
    })
}

/// Creates an empty apply request. Free with `gazette_apply_request_free`.
/// Returns NULL only if allocation failed.
#[no_mangle]
pub extern "C" fn gazette_apply_request_new() -> *mut gazette_apply_request {
    ffi_boundary!({
        Box::into_raw(Box::new(gazette_apply_request {
            changes: Vec::new(),
        }))
    })
}

/// Takes ownership of an apply request and frees it. NULL is a no-op.
#[no_mangle]
pub extern "C" fn gazette_apply_request_free(req: *mut gazette_apply_request) {
    ffi_boundary!({
        free_box(req);
    })
}

/// Number of changes in the request (0 for NULL).
#[no_mangle]
pub extern "C" fn gazette_apply_request_len(req: *const gazette_apply_request) -> usize {
    ffi_boundary!({ with_ref(req, 0, |r| r.changes.len()) })
}

/// Adds a create-or-update of `spec` (copied). `expect_mod_revision`: 0
/// means "must not exist yet", -1 skips the check, otherwise the journal's
/// current mod revision (from a listing).
#[no_mangle]
pub extern "C" fn gazette_apply_request_upsert(
    req: *mut gazette_apply_request,
    spec: *const gazette_journal_spec,
    expect_mod_revision: i64,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let req = unsafe { handle_mut(req, "req") }?;
        let spec = unsafe { handle_ref(spec, "spec") }?;
        if expect_mod_revision < -1 {
            return Err(FfiError::invalid("expect_mod_revision must be >= -1"));
        }
        req.changes.push(apply_request::Change {
            expect_mod_revision,
            upsert: Some(spec.spec.clone()),
            delete: String::new(),
        });
        Ok(gazette_status::Ok)
    })
}

/// Adds a delete of journal `name`. `expect_mod_revision`: the journal's
/// current mod revision, or -1 to skip the check (0 is not allowed).
#[no_mangle]
pub extern "C" fn gazette_apply_request_delete(
    req: *mut gazette_apply_request,
    name: *const c_char,
    name_len: usize,
    expect_mod_revision: i64,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let req = unsafe { handle_mut(req, "req") }?;
        let name = unsafe { str_in(name, name_len, "name") }?;
        check_journal_name(&name)?;
        if expect_mod_revision == 0 || expect_mod_revision < -1 {
            return Err(FfiError::invalid(
                "a delete needs expect_mod_revision > 0 or -1",
            ));
        }
        req.changes.push(apply_request::Change {
            expect_mod_revision,
            upsert: None,
            delete: name,
        });
        Ok(gazette_status::Ok)
    })
}

/// Applies the request's changes, in batches of `batch_size` changes per
/// transaction (0: all in one, atomically), waiting up to `timeout_ms`.
/// Batches before a failed one stay applied. On success writes the Etcd
/// revision of the last transaction to `*revision` (may be NULL).
///
/// Errors: NULL_POINTER, ETCD_TRANSACTION_FAILED (an expected mod revision
/// did not match), GRPC_UNKNOWN (the broker rejected a spec; see the
/// message), TIMED_OUT, CLOSED, FORKED, other gRPC statuses.
#[no_mangle]
pub extern "C" fn gazette_apply(
    client: *const gazette_client,
    req: *const gazette_apply_request,
    batch_size: usize,
    timeout_ms: i32,
    revision: *mut i64,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let shared = unsafe { client_shared(client) }?;
        let req = unsafe { handle_ref(req, "req") }?;
        let request = ApplyRequest {
            changes: req.changes.clone(),
        };
        let c = shared.client.clone();
        let resp = shared.call(timeout_ms, async move {
            Ok(apply_journals_in_batches(&c, request, batch_size).await?)
        })?;
        if !revision.is_null() {
            let rev = resp.header.and_then(|h| h.etcd).map_or(0, |e| e.revision);
            // SAFETY: non-NULL, writable per the contract.
            unsafe { *revision = rev };
        }
        Ok(gazette_status::Ok)
    })
}
