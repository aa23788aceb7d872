//! The arguments C passes in: `(pointer, length)` bytes and UTF-8 strings,
//! handles (required, borrowed) and output pointers. Handles optional for
//! getters and frees are in `ownership.rs`.
//!
//! A NULL data pointer is accepted only with length 0. Everything is copied before
//! the call returns, so callers (Go, Ruby) may free or move their buffers
//! right after the call.

use std::ffi::c_char;

use bytes::Bytes;

use super::error::FfiError;
use super::status::gazette_status;

/// Borrows `(ptr, len)` as a byte slice for the duration of a call.
///
/// # Safety
/// `ptr` must be NULL or point to `len` readable bytes.
pub unsafe fn bytes_ref<'a>(ptr: *const u8, len: usize, arg: &str) -> Result<&'a [u8], FfiError> {
    if ptr.is_null() {
        if len == 0 {
            return Ok(&[]);
        }
        return Err(FfiError::null(arg));
    }
    if len > isize::MAX as usize {
        return Err(FfiError::invalid(format!(
            "{arg}: length {len} is too large"
        )));
    }
    // SAFETY: non-NULL with `len` readable bytes, per the caller's contract.
    Ok(std::slice::from_raw_parts(ptr, len))
}

/// Copies `(ptr, len)` into owned bytes.
///
/// # Safety
/// As for [`bytes_ref`].
pub unsafe fn bytes_in(ptr: *const u8, len: usize, arg: &str) -> Result<Bytes, FfiError> {
    bytes_ref(ptr, len, arg).map(Bytes::copy_from_slice)
}

/// Copies a `(ptr, len)` UTF-8 string (no NUL terminator needed; interior
/// NULs are kept) into an owned `String`.
///
/// # Safety
/// As for [`bytes_ref`].
pub unsafe fn str_in(ptr: *const c_char, len: usize, arg: &str) -> Result<String, FfiError> {
    str_ref(ptr, len, arg).map(str::to_owned)
}

/// Borrows a `(ptr, len)` UTF-8 string for the duration of a call (hot
/// paths that copy only what they keep).
///
/// # Safety
/// As for [`bytes_ref`].
pub unsafe fn str_ref<'a>(ptr: *const c_char, len: usize, arg: &str) -> Result<&'a str, FfiError> {
    let raw = bytes_ref(ptr.cast(), len, arg)?;
    std::str::from_utf8(raw).map_err(|e| {
        FfiError::new(
            gazette_status::InvalidUtf8,
            format!("{arg} is not valid UTF-8: {e}"),
        )
    })
}

/// Dereferences a required input handle.
///
/// # Safety
/// `ptr` must be NULL or point to a live `T`.
pub unsafe fn handle_ref<'a, T>(ptr: *const T, arg: &str) -> Result<&'a T, FfiError> {
    ptr.as_ref().ok_or_else(|| FfiError::null(arg))
}

/// Dereferences a required mutable handle.
///
/// # Safety
/// `ptr` must be NULL or point to a live `T` not used concurrently.
pub unsafe fn handle_mut<'a, T>(ptr: *mut T, arg: &str) -> Result<&'a mut T, FfiError> {
    ptr.as_mut().ok_or_else(|| FfiError::null(arg))
}

/// Checks an output pointer before any work is done.
pub fn out_ptr<T>(ptr: *mut T, arg: &str) -> Result<*mut T, FfiError> {
    if ptr.is_null() {
        Err(FfiError::null(arg))
    } else {
        Ok(ptr)
    }
}

/// Validates a journal-name argument; the message says it is the journal
/// name that is wrong ("journal name: invalid length (0; ...)").
pub fn check_journal_name(name: &str) -> Result<(), FfiError> {
    gazette::protocol::validate_journal_name(name).map_err(|e| e.context("journal name"))?;
    Ok(())
}

/// A required journal-name argument (UTF-8, `len` bytes), validated.
///
/// # Safety
/// As [`str_in`]: `journal` must be NULL or point to `len` readable bytes.
pub unsafe fn journal_in(journal: *const c_char, len: usize) -> Result<String, FfiError> {
    let name = str_in(journal, len, "journal")?;
    check_journal_name(&name)?;
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_with_zero_length_is_empty() {
        let b = unsafe { bytes_in(std::ptr::null(), 0, "data") }.unwrap();
        assert!(b.is_empty());
        let s = unsafe { str_in(std::ptr::null(), 0, "name") }.unwrap();
        assert!(s.is_empty());
    }

    #[test]
    fn null_with_length_is_an_error() {
        let e = unsafe { bytes_in(std::ptr::null(), 3, "data") }.unwrap_err();
        assert_eq!(e.status, gazette_status::NullPointer);
        assert!(e.message.contains("data"));
    }

    #[test]
    fn strings_are_checked_and_copied() {
        let mut buf = b"caf\xc3\xa9\0x".to_vec();
        let s = unsafe { str_in(buf.as_ptr().cast(), buf.len(), "s") }.unwrap();
        buf.fill(b'z'); // the copy must not see later changes
        assert_eq!(s, "caf\u{e9}\0x");
        let bad = b"\xff\xfe";
        let e = unsafe { str_in(bad.as_ptr().cast(), 2, "s") }.unwrap_err();
        assert_eq!(e.status, gazette_status::InvalidUtf8);
    }
}
