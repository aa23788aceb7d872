//! Listing journals (by label selector or by name) and their fragments.
//! Wraps `client/list.rs`. Results are owned, immutable lists read through
//! accessors, so their layout never becomes part of the ABI.

use std::ffi::{c_char, CString};

use super::args::{journal_in, out_ptr};
use super::client::{client_shared, gazette_client};
use super::error::{gazette_error, to_cstring, FfiError};
use super::label::selector_in;
use super::ownership::{free_box, opt_ref, with_ref};
use super::status::gazette_status;
use gazette::protocol::{
    fragments_response, list_response, FragmentsRequest, JournalSpec, ListRequest,
};
use gazette::{get_journal, list_all_fragments, list_all_journals};

/// One listed journal: its spec, revisions and current route. Immutable;
/// strings it returns live as long as the journal (or the list holding it).
pub struct gazette_journal {
    pub(crate) spec: JournalSpec,
    mod_revision: i64,
    create_revision: i64,
    primary: i32,
    name: CString,
    labels: Vec<(CString, CString)>,
    stores: Vec<CString>,
    endpoints: Vec<CString>,
}

impl gazette_journal {
    fn new(j: list_response::Journal) -> Self {
        let spec = j.spec.unwrap_or_default();
        let route = j.route.unwrap_or_default();
        let labels = spec
            .labels
            .as_ref()
            .map(|set| {
                set.labels
                    .iter()
                    .map(|l| (to_cstring(l.name.clone()), to_cstring(l.value.clone())))
                    .collect()
            })
            .unwrap_or_default();
        let stores = spec
            .fragment
            .as_ref()
            .map(|f| f.stores.iter().map(|s| to_cstring(s.clone())).collect())
            .unwrap_or_default();
        gazette_journal {
            name: to_cstring(spec.name.clone()),
            labels,
            stores,
            endpoints: route.endpoints.into_iter().map(to_cstring).collect(),
            primary: route.primary,
            mod_revision: j.mod_revision,
            create_revision: j.create_revision,
            spec,
        }
    }
}

/// An owned list of journals. Free with `gazette_journal_list_free`.
/// Immutable: readable from any thread.
pub struct gazette_journal_list {
    items: Vec<gazette_journal>,
}

impl gazette_journal_list {
    /// The C list of a listing's journals.
    pub(crate) fn from_journals(journals: Vec<list_response::Journal>) -> Self {
        gazette_journal_list {
            items: journals.into_iter().map(gazette_journal::new).collect(),
        }
    }
}

/// One fragment of a journal: the byte range `[begin, end)` and where it is
/// stored. Immutable; it and its strings live as long as the list owning it
/// (or, for `gazette_reader_fragment`, until the next call on the reader).
pub struct gazette_fragment {
    begin: i64,
    end: i64,
    mod_time: i64,
    codec: i32,
    backing_store: CString,
    path_postfix: CString,
    sum_hex: CString,
}

/// An owned list of fragments. Free with `gazette_fragment_list_free`.
pub struct gazette_fragment_list {
    items: Vec<gazette_fragment>,
}

fn fragment_item(f: fragments_response::Fragment) -> gazette_fragment {
    gazette_fragment::from_spec(f.spec.unwrap_or_default())
}

impl gazette_fragment {
    /// The C view of a fragment spec (also used for a reader's current fragment).
    pub(crate) fn from_spec(spec: gazette::protocol::Fragment) -> Self {
        let sum = spec.sum.unwrap_or_default();
        gazette_fragment {
            begin: spec.begin,
            end: spec.end,
            mod_time: spec.mod_time,
            codec: spec.compression_codec,
            backing_store: to_cstring(spec.backing_store),
            path_postfix: to_cstring(spec.path_postfix),
            sum_hex: to_cstring(sum.to_hex()),
        }
    }
}

/// Lists every journal matching a label selector such as
/// `"app.gazette.dev/owner=me, prefix=logs/"` (empty: all journals), waiting
/// up to `timeout_ms`. On success writes `*out` (free with
/// `gazette_journal_list_free`). Journals come sorted by name.
///
/// Errors: NULL_POINTER, INVALID_UTF8, INVALID_ARGUMENT (bad selector),
/// TIMED_OUT, CLOSED, FORKED, gRPC and broker statuses.
#[no_mangle]
pub extern "C" fn gazette_list_journals(
    client: *const gazette_client,
    selector: *const c_char,
    selector_len: usize,
    timeout_ms: i32,
    out: *mut *mut gazette_journal_list,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let shared = unsafe { client_shared(client) }?;
        let selector = unsafe { selector_in(selector, selector_len) }?;
        let out = out_ptr(out, "out")?;
        let c = shared.client.clone();
        let resp = shared.call(timeout_ms, async move {
            let req = ListRequest {
                selector: Some(selector),
                ..Default::default()
            };
            Ok(list_all_journals(&c, req).await?)
        })?;
        let items = resp
            .journals
            .into_iter()
            .map(gazette_journal::new)
            .collect();
        // SAFETY: checked non-NULL above.
        unsafe { *out = Box::into_raw(Box::new(gazette_journal_list { items })) };
        Ok(gazette_status::Ok)
    })
}

/// Fetches one journal by name (a `;meta` suffix is ignored), waiting up to
/// `timeout_ms`. On success writes `*out` (free with `gazette_journal_free`).
///
/// Errors: as `gazette_list_journals`, plus INVALID_ARGUMENT (bad name) and
/// JOURNAL_DOES_NOT_EXIST.
#[no_mangle]
pub extern "C" fn gazette_get_journal(
    client: *const gazette_client,
    journal: *const c_char,
    journal_len: usize,
    timeout_ms: i32,
    out: *mut *mut gazette_journal,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let shared = unsafe { client_shared(client) }?;
        let name = unsafe { journal_in(journal, journal_len) }?;
        let out = out_ptr(out, "out")?;
        let c = shared.client.clone();
        let j = shared.call(timeout_ms, async move { Ok(get_journal(&c, &name).await?) })?;
        // SAFETY: checked non-NULL above.
        unsafe { *out = Box::into_raw(Box::new(gazette_journal::new(j))) };
        Ok(gazette_status::Ok)
    })
}

/// Lists the fragments of a journal, following pages, waiting up to
/// `timeout_ms`. `begin_mod_time` / `end_mod_time` (unix seconds, 0 = no
/// bound) filter persisted fragments by modification time; a non-zero
/// `end_mod_time` leaves out fragments not yet persisted. On success writes
/// `*out` (free with `gazette_fragment_list_free`).
///
/// Errors: as `gazette_get_journal`, plus JOURNAL_NOT_FOUND.
#[no_mangle]
pub extern "C" fn gazette_list_fragments(
    client: *const gazette_client,
    journal: *const c_char,
    journal_len: usize,
    begin_mod_time: i64,
    end_mod_time: i64,
    timeout_ms: i32,
    out: *mut *mut gazette_fragment_list,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let shared = unsafe { client_shared(client) }?;
        let name = unsafe { journal_in(journal, journal_len) }?;
        let out = out_ptr(out, "out")?;
        if begin_mod_time < 0
            || end_mod_time < 0
            || (end_mod_time != 0 && end_mod_time < begin_mod_time)
        {
            return Err(FfiError::invalid(format!(
                "invalid mod time range [{begin_mod_time}, {end_mod_time}]"
            )));
        }
        let c = shared.client.clone();
        let resp = shared.call(timeout_ms, async move {
            let req = FragmentsRequest {
                journal: name,
                begin_mod_time,
                end_mod_time,
                ..Default::default()
            };
            Ok(list_all_fragments(&c, req).await?)
        })?;
        let items = resp.fragments.into_iter().map(fragment_item).collect();
        // SAFETY: checked non-NULL above.
        unsafe { *out = Box::into_raw(Box::new(gazette_fragment_list { items })) };
        Ok(gazette_status::Ok)
    })
}

/// Number of journals in a list (0 for NULL).
#[no_mangle]
pub extern "C" fn gazette_journal_list_len(list: *const gazette_journal_list) -> usize {
    ffi_boundary!({ with_ref(list, 0, |l| l.items.len()) })
}

/// The journal at `index`, borrowed from the list (do not free it), or NULL
/// when out of range.
#[no_mangle]
pub extern "C" fn gazette_journal_list_get(
    list: *const gazette_journal_list,
    index: usize,
) -> *const gazette_journal {
    ffi_boundary!({
        opt_ref(list)
            .and_then(|l| l.items.get(index))
            .map_or(std::ptr::null(), |j| j as *const _)
    })
}

/// Takes ownership of a journal list and frees it (and its journals). NULL is a no-op.
#[no_mangle]
pub extern "C" fn gazette_journal_list_free(list: *mut gazette_journal_list) {
    ffi_boundary!({
        free_box(list);
    })
}

/// Takes ownership of a journal from `gazette_get_journal` and frees it.
/// NULL is a no-op. Never pass a journal borrowed from a list.
#[no_mangle]
pub extern "C" fn gazette_journal_free(journal: *mut gazette_journal) {
    ffi_boundary!({
        free_box(journal);
    })
}

fn journal<'a>(j: *const gazette_journal) -> Option<&'a gazette_journal> {
    opt_ref(j)
}

/// The journal's name (empty string for NULL).
#[no_mangle]
pub extern "C" fn gazette_journal_name(j: *const gazette_journal) -> *const c_char {
    ffi_boundary!({ journal(j).map_or(c"".as_ptr(), |j| j.name.as_ptr()) })
}

/// The Etcd revision at which the journal's spec last changed (-1 for NULL).
/// Pass it as `expect_mod_revision` to update the journal safely.
#[no_mangle]
pub extern "C" fn gazette_journal_mod_revision(j: *const gazette_journal) -> i64 {
    ffi_boundary!({ journal(j).map_or(-1, |j| j.mod_revision) })
}

/// The Etcd revision at which the journal was created (0 from old brokers; -1 for NULL).
#[no_mangle]
pub extern "C" fn gazette_journal_create_revision(j: *const gazette_journal) -> i64 {
    ffi_boundary!({ journal(j).map_or(-1, |j| j.create_revision) })
}

/// The journal's desired replication factor (-1 for NULL).
#[no_mangle]
pub extern "C" fn gazette_journal_replication(j: *const gazette_journal) -> i32 {
    ffi_boundary!({ journal(j).map_or(-1, |j| j.spec.replication) })
}

/// The target fragment length in bytes (-1 for NULL).
#[no_mangle]
pub extern "C" fn gazette_journal_fragment_length(j: *const gazette_journal) -> i64 {
    ffi_boundary!({ journal(j).map_or(-1, |j| j.spec.fragment.as_ref().map_or(0, |f| f.length)) })
}

/// The compression codec of new fragments, as the wire value of
/// `protocol.CompressionCodec` (1 NONE, 2 GZIP, 3 ZSTANDARD, 4 SNAPPY,
/// 5 GZIP_OFFLOAD_DECOMPRESSION; -1 for NULL).
#[no_mangle]
pub extern "C" fn gazette_journal_compression_codec(j: *const gazette_journal) -> i32 {
    ffi_boundary!({
        journal(j).map_or(-1, |j| {
            j.spec.fragment.as_ref().map_or(0, |f| f.compression_codec)
        })
    })
}

/// The journal's flags (0 default read-write, 1 read-only, 2 write-only, 4 read-write).
#[no_mangle]
pub extern "C" fn gazette_journal_flags(j: *const gazette_journal) -> u32 {
    ffi_boundary!({ journal(j).map_or(0, |j| j.spec.flags) })
}

/// Number of labels of the journal (0 for NULL).
#[no_mangle]
pub extern "C" fn gazette_journal_label_count(j: *const gazette_journal) -> usize {
    ffi_boundary!({ journal(j).map_or(0, |j| j.labels.len()) })
}

/// The name of label `index` (labels are sorted by name, then value), or
/// NULL when out of range.
#[no_mangle]
pub extern "C" fn gazette_journal_label_name(
    j: *const gazette_journal,
    index: usize,
) -> *const c_char {
    ffi_boundary!({
        journal(j)
            .and_then(|j| j.labels.get(index))
            .map_or(std::ptr::null(), |l| l.0.as_ptr())
    })
}

/// The value of label `index` (may be empty), or NULL when out of range.
#[no_mangle]
pub extern "C" fn gazette_journal_label_value(
    j: *const gazette_journal,
    index: usize,
) -> *const c_char {
    ffi_boundary!({
        journal(j)
            .and_then(|j| j.labels.get(index))
            .map_or(std::ptr::null(), |l| l.1.as_ptr())
    })
}

/// Number of fragment stores of the journal (0 for NULL).
#[no_mangle]
pub extern "C" fn gazette_journal_store_count(j: *const gazette_journal) -> usize {
    ffi_boundary!({ journal(j).map_or(0, |j| j.stores.len()) })
}

/// Fragment store URL `index` (e.g. `"file:///"`), or NULL when out of range.
#[no_mangle]
pub extern "C" fn gazette_journal_store(j: *const gazette_journal, index: usize) -> *const c_char {
    ffi_boundary!({
        journal(j)
            .and_then(|j| j.stores.get(index))
            .map_or(std::ptr::null(), |s| s.as_ptr())
    })
}

/// Number of brokers in the journal's current route (0 for NULL).
#[no_mangle]
pub extern "C" fn gazette_journal_route_len(j: *const gazette_journal) -> usize {
    ffi_boundary!({ journal(j).map_or(0, |j| j.endpoints.len()) })
}

/// Endpoint of route member `index`, or NULL when out of range.
#[no_mangle]
pub extern "C" fn gazette_journal_route_endpoint(
    j: *const gazette_journal,
    index: usize,
) -> *const c_char {
    ffi_boundary!({
        journal(j)
            .and_then(|j| j.endpoints.get(index))
            .map_or(std::ptr::null(), |s| s.as_ptr())
    })
}

/// Index of the route's primary broker, or -1 when it has none (or for NULL).
#[no_mangle]
pub extern "C" fn gazette_journal_route_primary(j: *const gazette_journal) -> i32 {
    ffi_boundary!({ journal(j).map_or(-1, |j| j.primary) })
}

/// Number of fragments in a list (0 for NULL).
#[no_mangle]
pub extern "C" fn gazette_fragment_list_len(list: *const gazette_fragment_list) -> usize {
    ffi_boundary!({ with_ref(list, 0, |l| l.items.len()) })
}

/// The fragment at `index`, borrowed from the list, or NULL when out of range.
#[no_mangle]
pub extern "C" fn gazette_fragment_list_get(
    list: *const gazette_fragment_list,
    index: usize,
) -> *const gazette_fragment {
    ffi_boundary!({
        opt_ref(list)
            .and_then(|l| l.items.get(index))
            .map_or(std::ptr::null(), |f| f as *const _)
    })
}

/// Takes ownership of a fragment list and frees it. NULL is a no-op.
#[no_mangle]
pub extern "C" fn gazette_fragment_list_free(list: *mut gazette_fragment_list) {
    ffi_boundary!({
        free_box(list);
    })
}

fn fragment<'a>(f: *const gazette_fragment) -> Option<&'a gazette_fragment> {
    opt_ref(f)
}

/// First journal offset of the fragment (-1 for NULL).
#[no_mangle]
pub extern "C" fn gazette_fragment_begin(f: *const gazette_fragment) -> i64 {
    ffi_boundary!({ fragment(f).map_or(-1, |f| f.begin) })
}

/// Journal offset just past the fragment (-1 for NULL).
#[no_mangle]
pub extern "C" fn gazette_fragment_end(f: *const gazette_fragment) -> i64 {
    ffi_boundary!({ fragment(f).map_or(-1, |f| f.end) })
}

/// When the fragment was persisted (unix seconds), 0 while it is only local
/// to brokers (-1 for NULL).
#[no_mangle]
pub extern "C" fn gazette_fragment_mod_time(f: *const gazette_fragment) -> i64 {
    ffi_boundary!({ fragment(f).map_or(-1, |f| f.mod_time) })
}

/// The fragment's compression codec (wire value, see
/// `gazette_journal_compression_codec`; -1 for NULL).
#[no_mangle]
pub extern "C" fn gazette_fragment_compression_codec(f: *const gazette_fragment) -> i32 {
    ffi_boundary!({ fragment(f).map_or(-1, |f| f.codec) })
}

/// The store holding the fragment, empty while not persisted.
#[no_mangle]
pub extern "C" fn gazette_fragment_backing_store(f: *const gazette_fragment) -> *const c_char {
    ffi_boundary!({ fragment(f).map_or(c"".as_ptr(), |f| f.backing_store.as_ptr()) })
}

/// The path postfix between the journal name and the file name (often empty).
#[no_mangle]
pub extern "C" fn gazette_fragment_path_postfix(f: *const gazette_fragment) -> *const c_char {
    ffi_boundary!({ fragment(f).map_or(c"".as_ptr(), |f| f.path_postfix.as_ptr()) })
}

/// SHA-1 of the fragment's content as 40 lowercase hex digits.
#[no_mangle]
pub extern "C" fn gazette_fragment_sum(f: *const gazette_fragment) -> *const c_char {
    ffi_boundary!({ fragment(f).map_or(c"".as_ptr(), |f| f.sum_hex.as_ptr()) })
}
