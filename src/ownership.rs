//! Ownership of the handles C holds, in one place: giving a handle back to
//! be freed (`free_box`, `take_box`) and reading an optional handle
//! (`opt_ref`, and `with_ref` for getters), instead of a `Box::from_raw` or
//! `as_ref` with its SAFETY line in every export.
//!
//! Both are safe functions over raw pointers, like the exports themselves:
//! the pointer contract is the one `gazette.h` states for each function
//! (NULL, or a live handle this library made; frees only of handles the
//! caller owns, once). `Handle` limits them to the library's handle types.

use crate::append::gazette_append_options;
use crate::append_future::gazette_append_future;
use crate::append_service::{gazette_append_service, gazette_append_service_options};
use crate::appender::gazette_appender;
use crate::apply::{gazette_apply_request, gazette_journal_spec};
use crate::async_append::gazette_async_append;
use crate::client::gazette_client;
use crate::completion_queue::gazette_cq;
use crate::config::gazette_config;
use crate::error::gazette_error;
use crate::label::gazette_selector;
use crate::list::{gazette_fragment, gazette_fragment_list, gazette_journal, gazette_journal_list};
use crate::op_future::gazette_op_futures;
use crate::polled_list::gazette_polled_list;
use crate::read_options::gazette_read_options;
use crate::reader::gazette_reader;
use crate::retry_reader::gazette_retry_reader;
use crate::watched_list::gazette_watched_list;

/// A type C sees only through pointers this library made: `Box::into_raw`
/// for what C owns and frees, or views into such boxes.
///
/// # Safety
/// Implement only for types never handed to C any other way.
pub unsafe trait Handle {}

macro_rules! handles {
    ($($t:ty),* $(,)?) => { $(unsafe impl Handle for $t {})* };
}

handles!(
    gazette_append_future,
    gazette_append_options,
    gazette_append_service,
    gazette_append_service_options,
    gazette_appender,
    gazette_apply_request,
    gazette_async_append,
    gazette_client,
    gazette_config,
    gazette_cq,
    gazette_error,
    gazette_fragment,
    gazette_fragment_list,
    gazette_journal,
    gazette_journal_list,
    gazette_journal_spec,
    gazette_op_futures,
    gazette_polled_list,
    gazette_watched_list,
    gazette_read_options,
    gazette_reader,
    gazette_retry_reader,
    gazette_selector,
);

/// Takes back a handle C owns: `None` for NULL, else the box to drop (or to
/// shut down first).
pub fn take_box<T: Handle>(ptr: *mut T) -> Option<Box<T>> {
    // SAFETY: a non-NULL `ptr` came from `Box::into_raw` and is given back
    // once (the contract of every `*_free`, see the module comment).
    (!ptr.is_null()).then(|| unsafe { Box::from_raw(ptr) })
}

/// Frees a handle C owns; NULL is a no-op.
pub fn free_box<T: Handle>(ptr: *mut T) {
    drop(take_box(ptr));
}

/// The handle, or `None` for NULL: for exports where NULL is allowed.
pub fn opt_ref<'a, T: Handle>(ptr: *const T) -> Option<&'a T> {
    // SAFETY: `ptr` is NULL or a live handle (the export's contract), which
    // outlives the call that borrows it.
    unsafe { ptr.as_ref() }
}

/// `f` of the handle, or `default` for NULL: the shape of every getter.
pub fn with_ref<T: Handle, R>(ptr: *const T, default: R, f: impl FnOnce(&T) -> R) -> R {
    opt_ref(ptr).map_or(default, f)
}
