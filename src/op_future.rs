//! `gazette_op_futures`: a set of operation futures an append depends on.
//! Wraps `OpFutures` of `client/op_future.rs`.

use super::append_future::gazette_append_future;
use super::args::{handle_mut, handle_ref};
use super::error::gazette_error;
use super::ownership::{free_box, with_ref};
use super::status::gazette_status;
use gazette::op_future::OpFutures;

/// A set of futures (by identity: adding one twice keeps one). Not
/// thread-safe while being changed; copied by the calls that take it.
/// Free with `gazette_op_futures_free`.
#[derive(Default)]
pub struct gazette_op_futures {
    pub(crate) set: OpFutures,
}

/// Creates an empty set. Returns NULL only if allocation failed.
#[no_mangle]
pub extern "C" fn gazette_op_futures_new() -> *mut gazette_op_futures {
    ffi_boundary!({ Box::into_raw(Box::default()) })
}

/// Adds the operation of `future` to the set (the set keeps the operation,
/// not the handle: `future` may be freed afterwards).
///
/// Errors: NULL_POINTER.
#[no_mangle]
pub extern "C" fn gazette_op_futures_add(
    set: *mut gazette_op_futures,
    future: *const gazette_append_future,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let set = unsafe { handle_mut(set, "set") }?;
        let future = unsafe { handle_ref(future, "future") }?;
        set.set.insert(future.future().op());
        Ok(gazette_status::Ok)
    })
}

/// The number of operations in the set (0 for NULL).
#[no_mangle]
pub extern "C" fn gazette_op_futures_len(set: *const gazette_op_futures) -> usize {
    ffi_boundary!({ with_ref(set, 0, |s| s.set.len()) })
}

/// Takes ownership of a set and frees it. NULL is a no-op.
#[no_mangle]
pub extern "C" fn gazette_op_futures_free(set: *mut gazette_op_futures) {
    ffi_boundary!({
        free_box(set);
    })
}
