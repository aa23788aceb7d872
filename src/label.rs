//! Label selectors: parse, format and match. Wraps `protocol/label.rs`.

use std::ffi::c_char;

use super::args::{handle_ref, out_ptr, str_in};
use super::error::{gazette_error, FfiError};
use super::list::gazette_journal;
use super::ownership::{free_box, opt_ref};
use super::status::gazette_status;
use gazette::protocol::label::{
    format_selector, journal_meta_labels, parse_label_selector, union_label_sets,
};
use gazette::protocol::LabelSelector;

/// A parsed label selector. Immutable: usable from any thread. Free with
/// `gazette_selector_free`.
pub struct gazette_selector {
    pub(crate) selector: LabelSelector,
}

/// Parses a selector such as `"env=prod, topic in (a, b), !debug"`, also
/// `name=...`, `prefix=dir/` and `name:prefix=...` (see the Gazette docs for
/// the full syntax). An empty string selects everything. On success writes
/// `*out`.
///
/// Errors: NULL_POINTER, INVALID_UTF8, INVALID_ARGUMENT (with the parser's
/// message).
#[no_mangle]
pub extern "C" fn gazette_selector_parse(
    text: *const c_char,
    len: usize,
    out: *mut *mut gazette_selector,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let text = unsafe { str_in(text, len, "text") }?;
        let out = out_ptr(out, "out")?;
        let selector = parse_label_selector(&text).map_err(FfiError::from)?;
        // SAFETY: checked non-NULL above.
        unsafe { *out = Box::into_raw(Box::new(gazette_selector { selector })) };
        Ok(gazette_status::Ok)
    })
}

/// Writes the selector's canonical text (includes then excludes, sorted, no
/// spaces, e.g. `"env=prod,topic in (a,b),!debug"`) into `buf` of `cap`
/// bytes, truncated and always NUL-terminated when `cap > 0`. Returns the
/// full length without the NUL (as `snprintf` does), so a return value
/// `>= cap` means the buffer was too small. `buf` may be NULL when `cap` is 0.
/// Returns 0 for a NULL selector.
#[no_mangle]
pub extern "C" fn gazette_selector_format(
    sel: *const gazette_selector,
    buf: *mut c_char,
    cap: usize,
) -> usize {
    ffi_boundary!({
        let Some(sel) = opt_ref(sel) else {
            return 0;
        };
        let text = format_selector(&sel.selector);
        if !buf.is_null() && cap > 0 {
            let n = text.len().min(cap - 1);
            // SAFETY: `buf` has `cap` writable bytes; we write n + 1 <= cap.
            unsafe {
                std::ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), n);
                *buf.add(n) = 0;
            }
        }
        text.len()
    })
}

/// Whether the selector selects a journal, matching its labels plus the
/// meta-labels `name` (the journal name) and `prefix` (each `/`-ended prefix
/// of the name), as brokers do when listing. False if either is NULL.
#[no_mangle]
pub extern "C" fn gazette_selector_matches_journal(
    sel: *const gazette_selector,
    journal: *const gazette_journal,
) -> bool {
    ffi_boundary!({
        // SAFETY: NULL or live objects.
        let (Ok(sel), Ok(j)) = (unsafe { handle_ref(sel, "sel") }, unsafe {
            handle_ref(journal, "journal")
        }) else {
            return false;
        };
        let labels = j.spec.labels.clone().unwrap_or_default();
        let all = union_label_sets(&labels, &journal_meta_labels(&j.spec.name));
        sel.selector.matches(&all)
    })
}

/// Takes ownership of a selector and frees it. NULL is a no-op.
#[no_mangle]
pub extern "C" fn gazette_selector_free(sel: *mut gazette_selector) {
    ffi_boundary!({
        free_box(sel);
    })
}

/// A required selector argument (UTF-8, `len` bytes), parsed.
///
/// # Safety
/// As `str_in`: `selector` must be NULL or point to `len` readable bytes.
pub(crate) unsafe fn selector_in(
    selector: *const c_char,
    len: usize,
) -> Result<LabelSelector, FfiError> {
    let text = str_in(selector, len, "selector")?;
    Ok(parse_label_selector(&text)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<*mut gazette_selector, gazette_status> {
        let mut out = std::ptr::null_mut();
        match gazette_selector_parse(
            text.as_ptr().cast(),
            text.len(),
            &mut out,
            std::ptr::null_mut(),
        ) {
            gazette_status::Ok => Ok(out),
            st => Err(st),
        }
    }

    #[test]
    fn parse_format_round_trip_with_truncation() {
        let sel = parse("foo==bar, baz !=bing ,apple:prefix in (fruit, banana)").unwrap();
        let want = "apple:prefix in (banana,fruit),foo=bar,baz!=bing";
        let n = gazette_selector_format(sel, std::ptr::null_mut(), 0);
        assert_eq!(n, want.len());
        let mut buf = vec![0 as c_char; n + 1];
        assert_eq!(gazette_selector_format(sel, buf.as_mut_ptr(), buf.len()), n);
        let got = unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) };
        assert_eq!(got.to_str().unwrap(), want);
        let mut small = [0 as c_char; 6];
        assert_eq!(gazette_selector_format(sel, small.as_mut_ptr(), 6), n);
        let got = unsafe { std::ffi::CStr::from_ptr(small.as_ptr()) };
        assert_eq!(got.to_str().unwrap(), "apple");
        gazette_selector_free(sel);
        assert_eq!(
            parse("foo in (bar").unwrap_err(),
            gazette_status::InvalidArgument
        );
        assert_eq!(
            gazette_selector_format(std::ptr::null(), std::ptr::null_mut(), 0),
            0
        );
    }
}
