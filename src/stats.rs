//! The client's counters, read by name so that new counters need no new
//! function. Wraps `client/stats.rs`.

use std::ffi::c_char;

use super::args::{handle_ref, out_ptr, str_in};
use super::client::gazette_client;
use super::error::{gazette_error, FfiError};
use super::status::gazette_status;

/// Reads one counter of a client (and every handle created from it) into
/// `*value`. Names: `append_rpcs`, `bytes_appended`, `read_rpcs`,
/// `bytes_read`, `other_rpcs` (list, apply, fragments, health), `retries`,
/// `route_cache_hits`, `route_cache_misses`, fragments opened directly per
/// codec `fragment_opens_none`, `fragment_opens_gzip`,
/// `fragment_opens_zstandard`, `fragment_opens_snappy`,
/// `fragment_opens_gzip_offload`, and `fragment_bytes_opened` (journal bytes
/// those fragments span). Works after close too.
///
/// Errors: NULL_POINTER, INVALID_UTF8, INVALID_ARGUMENT (unknown name).
#[no_mangle]
pub extern "C" fn gazette_client_stat(
    client: *const gazette_client,
    name: *const c_char,
    name_len: usize,
    value: *mut u64,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let client = unsafe { handle_ref(client, "client") }?;
        let name = unsafe { str_in(name, name_len, "name") }?;
        let value = out_ptr(value, "value")?;
        let s = client.shared.client.stats().snapshot();
        let v = match name.as_str() {
            "append_rpcs" => s.append_rpcs,
            "bytes_appended" => s.bytes_appended,
            "read_rpcs" => s.read_rpcs,
            "bytes_read" => s.bytes_read,
            "other_rpcs" => s.other_rpcs,
            "retries" => s.retries,
            "route_cache_hits" => s.route_cache_hits,
            "route_cache_misses" => s.route_cache_misses,
            "fragment_opens_none" => s.fragment_opens_none,
            "fragment_opens_gzip" => s.fragment_opens_gzip,
            "fragment_opens_zstandard" => s.fragment_opens_zstandard,
            "fragment_opens_snappy" => s.fragment_opens_snappy,
            "fragment_opens_gzip_offload" => s.fragment_opens_gzip_offload,
            "fragment_bytes_opened" => s.fragment_bytes_opened,
            other => return Err(FfiError::invalid(format!("unknown counter {other:?}"))),
        };
        // SAFETY: checked non-NULL above.
        unsafe { *value = v };
        Ok(gazette_status::Ok)
    })
}
