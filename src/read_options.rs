//! `gazette_read_options`: the request options of a reader or retry reader,
//! set one by one and copied by `gazette_reader_new` and
//! `gazette_retry_reader_new`.

use super::args::handle_mut;
use super::error::{gazette_error, FfiError};
use super::ownership::{free_box, opt_ref};
use super::status::gazette_status;
use gazette::protocol::ReadRequest;

/// Options of a read: where it starts and ends, whether it waits for new
/// content, and how it reaches persisted fragments. Defaults are those of
/// Gazette's zero `ReadRequest`: offset 0, no end, non-blocking, proxied,
/// content included, no modification-time bound. Not thread-safe while
/// being changed; copied by the calls that take it. Free with
/// `gazette_read_options_free`.
#[derive(Clone, Default)]
pub struct gazette_read_options {
    pub(crate) request: ReadRequest,
}

/// The request of a read of `journal` with optional options.
pub(crate) fn read_request_for(journal: String, opts: *const gazette_read_options) -> ReadRequest {
    // SAFETY: NULL or live options, per the callers' contracts.
    let mut request = opt_ref(opts).map_or_else(ReadRequest::default, |o| o.request.clone());
    request.journal = journal;
    request
}

/// Creates read options with the defaults. Returns NULL only if allocation failed.
#[no_mangle]
pub extern "C" fn gazette_read_options_new() -> *mut gazette_read_options {
    ffi_boundary!({ Box::into_raw(Box::default()) })
}

/// Takes ownership of read options and frees them. NULL is a no-op.
#[no_mangle]
pub extern "C" fn gazette_read_options_free(opts: *mut gazette_read_options) {
    ffi_boundary!({
        free_box(opts);
    })
}

/// Sets the journal offset the read starts at (>= 0), or -1 to start at the
/// write head (only content appended from now on). Default 0.
///
/// With -1, the first read of a `gazette_reader` returns OFFSET_JUMP (the
/// broker moved the offset from -1 to the write head): read
/// `gazette_reader_offset` if you need it and call the read again. A
/// `gazette_retry_reader` takes the jump by itself.
#[no_mangle]
pub extern "C" fn gazette_read_options_set_offset(
    opts: *mut gazette_read_options,
    offset: i64,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let opts = unsafe { handle_mut(opts, "opts") }?;
        if offset < -1 {
            return Err(FfiError::invalid(format!(
                "offset must be >= -1 (got {offset})"
            )));
        }
        opts.request.offset = offset;
        Ok(gazette_status::Ok)
    })
}

/// Sets the offset the read stops at, exclusive (> 0), or 0 for no end
/// (the default). The read then ends with END_OF_STREAM there. An end below
/// the start offset is refused when the reader is created.
#[no_mangle]
pub extern "C" fn gazette_read_options_set_end_offset(
    opts: *mut gazette_read_options,
    end_offset: i64,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let opts = unsafe { handle_mut(opts, "opts") }?;
        if end_offset < 0 {
            return Err(FfiError::invalid(format!(
                "end offset must be >= 0 (got {end_offset})"
            )));
        }
        opts.request.end_offset = end_offset;
        Ok(gazette_status::Ok)
    })
}

/// With `block`, the read waits at the write head for content not written
/// yet; without it (the default), reaching the write head ends the read
/// with OFFSET_NOT_YET_AVAILABLE.
#[no_mangle]
pub extern "C" fn gazette_read_options_set_block(
    opts: *mut gazette_read_options,
    block: bool,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        unsafe { handle_mut(opts, "opts") }?.request.block = block;
        Ok(gazette_status::Ok)
    })
}

/// With `do_not_proxy`, brokers do not proxy the read to another broker,
/// and a persisted fragment is answered with its URL and read directly
/// from its store (`file://` stores under the client's file root, see
/// `gazette_config_set_file_root`). Default false.
///
/// A `gazette_reader` (one Read RPC) with `do_not_proxy` ends when it has
/// read a persisted fragment to its end: the read returns END_OF_STREAM
/// with `gazette_reader_offset` at the fragment's end. To go on, open a new
/// reader at that offset, or use a `gazette_retry_reader`, which does so by
/// itself and goes on to the next fragment.
#[no_mangle]
pub extern "C" fn gazette_read_options_set_do_not_proxy(
    opts: *mut gazette_read_options,
    do_not_proxy: bool,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        unsafe { handle_mut(opts, "opts") }?.request.do_not_proxy = do_not_proxy;
        Ok(gazette_status::Ok)
    })
}

/// With `metadata_only`, the broker answers with the metadata of the
/// fragment covering the offset (see `gazette_reader_fragment`,
/// `gazette_reader_write_head`) and no content: each read call then returns
/// END_OF_STREAM (a retry reader fetches the metadata afresh on every
/// call). Default false.
#[no_mangle]
pub extern "C" fn gazette_read_options_set_metadata_only(
    opts: *mut gazette_read_options,
    metadata_only: bool,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        unsafe { handle_mut(opts, "opts") }?.request.metadata_only = metadata_only;
        Ok(gazette_status::Ok)
    })
}

/// Skips persisted fragments modified before `unix_seconds` (>= 0; 0, the
/// default, skips nothing): the read jumps over them (OFFSET_JUMP).
#[no_mangle]
pub extern "C" fn gazette_read_options_set_begin_mod_time(
    opts: *mut gazette_read_options,
    unix_seconds: i64,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let opts = unsafe { handle_mut(opts, "opts") }?;
        if unix_seconds < 0 {
            return Err(FfiError::invalid(format!(
                "begin mod time must be >= 0 (got {unix_seconds})"
            )));
        }
        opts.request.begin_mod_time = unix_seconds;
        Ok(gazette_status::Ok)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ptr::null_mut;

    #[test]
    fn setters_validate_and_build_the_request() {
        let o = gazette_read_options_new();
        assert_eq!(
            gazette_read_options_set_offset(o, -1, null_mut()),
            gazette_status::Ok
        );
        assert_eq!(
            gazette_read_options_set_offset(o, -2, null_mut()),
            gazette_status::InvalidArgument
        );
        assert_eq!(
            gazette_read_options_set_end_offset(o, -1, null_mut()),
            gazette_status::InvalidArgument
        );
        assert_eq!(
            gazette_read_options_set_end_offset(o, 9, null_mut()),
            gazette_status::Ok
        );
        assert_eq!(
            gazette_read_options_set_begin_mod_time(o, -1, null_mut()),
            gazette_status::InvalidArgument
        );
        assert_eq!(
            gazette_read_options_set_begin_mod_time(o, 77, null_mut()),
            gazette_status::Ok
        );
        for set in [
            gazette_read_options_set_block,
            gazette_read_options_set_do_not_proxy,
            gazette_read_options_set_metadata_only,
        ] {
            assert_eq!(set(o, true, null_mut()), gazette_status::Ok);
            assert_eq!(
                set(null_mut(), true, null_mut()),
                gazette_status::NullPointer
            );
        }
        let req = read_request_for("a/b".into(), o);
        gazette_read_options_free(o);
        assert_eq!(req.journal, "a/b");
        assert_eq!(
            (req.offset, req.end_offset, req.begin_mod_time),
            (-1, 9, 77)
        );
        assert!(req.block && req.do_not_proxy && req.metadata_only);
        // NULL options are Go's zero request.
        let zero = read_request_for("a/b".into(), std::ptr::null());
        assert_eq!(zero.offset, 0);
        assert!(!zero.block && !zero.do_not_proxy && !zero.metadata_only);
        gazette_read_options_free(null_mut());
    }
}
