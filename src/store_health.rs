//! `gazette_fragment_store_health`: asks a broker whether it can use a
//! fragment store. Wraps `fragment_store_health` of `client/list.rs`.

use std::ffi::c_char;

use super::args::str_in;
use super::client::{client_shared, gazette_client};
use super::error::{gazette_error, FfiError};
use super::status::gazette_status;
use gazette::fragment_store_health;
use gazette::protocol::Status;

/// Checks the health of fragment store `store` (a URL such as
/// `file:///` or `s3://bucket/prefix/`), waiting up to `timeout_ms`. With a
/// non-empty `check_delete_prefix`, the broker also checks it may delete
/// under that prefix. OK when healthy; FRAGMENT_STORE_UNHEALTHY with the
/// broker's explanation in the error message when not.
///
/// Errors: NULL_POINTER, INVALID_UTF8, INVALID_ARGUMENT, FRAGMENT_STORE_UNHEALTHY,
/// TIMED_OUT, CLOSED, FORKED, gRPC statuses.
#[no_mangle]
pub extern "C" fn gazette_fragment_store_health(
    client: *const gazette_client,
    store: *const c_char,
    store_len: usize,
    check_delete_prefix: *const c_char,
    check_delete_prefix_len: usize,
    timeout_ms: i32,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let shared = unsafe { client_shared(client) }?;
        let store = unsafe { str_in(store, store_len, "store") }?;
        let prefix = unsafe {
            str_in(
                check_delete_prefix,
                check_delete_prefix_len,
                "check_delete_prefix",
            )
        }?;
        if store.is_empty() {
            return Err(FfiError::invalid("store is empty"));
        }
        let c = shared.client.clone();
        let resp = shared.call(timeout_ms, async move {
            Ok(fragment_store_health(&c, &store, &prefix).await?)
        })?;
        if resp.status == Status::Ok as i32 {
            return Ok(gazette_status::Ok);
        }
        Err(FfiError::new(
            gazette_status::FragmentStoreUnhealthy,
            format!("fragment store unhealthy: {}", resp.store_health_error),
        ))
    })
}
