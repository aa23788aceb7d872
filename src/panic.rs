//! The single panic boundary every exported function goes through.
//!
//! A panic must never unwind into C (or Go, or Ruby). Every `#[no_mangle]`
//! function body is wrapped in `ffi_boundary!` (functions returning a value)
//! or `ffi_status!` (fallible functions with a `gazette_error **err`
//! out-parameter). A test below checks mechanically that no export lacks it.

use std::any::Any;

use super::status::gazette_status;

/// The value an export returns when its body panicked.
pub trait PanicValue {
    /// The fallback: `GAZETTE_STATUS_PANIC`, NULL, false, 0 or -1.
    fn panic_value() -> Self;
}

impl PanicValue for gazette_status {
    fn panic_value() -> Self {
        gazette_status::Panic
    }
}

impl<T> PanicValue for *const T {
    fn panic_value() -> Self {
        std::ptr::null()
    }
}

impl<T> PanicValue for *mut T {
    fn panic_value() -> Self {
        std::ptr::null_mut()
    }
}

impl PanicValue for bool {
    fn panic_value() -> Self {
        false
    }
}

impl PanicValue for () {
    fn panic_value() -> Self {}
}

impl PanicValue for u32 {
    fn panic_value() -> Self {
        0
    }
}

impl PanicValue for u64 {
    fn panic_value() -> Self {
        0
    }
}

impl PanicValue for usize {
    fn panic_value() -> Self {
        0
    }
}

// Signed getters use -1 as their "none" value already (offsets, gRPC codes).
impl PanicValue for i32 {
    fn panic_value() -> Self {
        -1
    }
}

impl PanicValue for i64 {
    fn panic_value() -> Self {
        -1
    }
}

/// Renders a panic payload for an error message.
pub fn payload_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic payload".to_owned()
    }
}

/// Runs an export's body, turning a panic into the return type's
/// [`PanicValue`]. For functions without an error out-parameter.
macro_rules! ffi_boundary {
    ($body:block) => {
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| $body)) {
            Ok(value) => value,
            Err(_) => $crate::panic::PanicValue::panic_value(),
        }
    };
}

/// Runs a fallible export's body. The body evaluates to
/// `Result<gazette_status, FfiError>`: `Ok` carries OK or a flow status
/// (timed out, end of stream...), `Err` becomes the returned status plus, if
/// the caller passed a non-NULL `err`, an owned `gazette_error`. `*err` is set
/// to NULL on entry. A panic becomes `GAZETTE_STATUS_PANIC` with an error.
macro_rules! ffi_status {
    ($err:expr, $body:block) => {{
        let err_out: *mut *mut $crate::error::gazette_error = $err;
        $crate::error::clear_out(err_out);
        let body = || -> $crate::error::FfiResult { $body };
        let result = ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(body));
        $crate::error::finish(err_out, result)
    }};
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{gazette_error, gazette_error_free, gazette_error_status};
    use std::path::Path;

    extern "C" fn panics_with_status(err: *mut *mut gazette_error) -> gazette_status {
        ffi_status!(err, {
            if err.is_null() {
                return Ok(gazette_status::Ok);
            }
            panic!("deliberate test panic")
        })
    }

    extern "C" fn panics_with_pointer() -> *const u8 {
        ffi_boundary!({ panic!("deliberate test panic") })
    }

    #[test]
    fn panics_become_status_and_error() {
        let mut err: *mut gazette_error = std::ptr::null_mut();
        let st = panics_with_status(&mut err);
        assert_eq!(st, gazette_status::Panic);
        assert!(!err.is_null());
        assert_eq!(gazette_error_status(err), gazette_status::Panic);
        let msg = unsafe { crate::error::message_of(err) };
        assert!(msg.contains("deliberate test panic"), "{msg}");
        gazette_error_free(err);
        assert!(panics_with_pointer().is_null());
    }

    /// Every export must go through the boundary: find each `#[no_mangle]`
    /// function in `src/` and check its body opens with one of the macros.
    #[test]
    fn every_export_goes_through_the_boundary() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut exports = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("rs") {
                continue;
            }
            let src = std::fs::read_to_string(&path).unwrap();
            let lines: Vec<&str> = src.lines().map(str::trim).collect();
            let is_extern = |l: &str| l.starts_with("pub extern \"C\" fn ");
            let externs = lines.iter().filter(|l| is_extern(l)).count();
            let marks: Vec<usize> = (0..lines.len())
                .filter(|&i| lines[i] == "#[no_mangle]")
                .collect();
            assert_eq!(
                externs,
                marks.len(),
                "{}: every pub extern \"C\" fn needs #[no_mangle] and vice versa",
                path.display()
            );
            for i in marks {
                exports += 1;
                assert!(
                    is_extern(lines[i + 1]),
                    "{}: {}",
                    path.display(),
                    lines[i + 1]
                );
                // The body starts after the signature's opening brace.
                let rest = lines[i + 1..].join("\n");
                let open = rest.find('{').expect("function body");
                let body = rest[open + 1..].trim_start();
                assert!(
                    body.starts_with("ffi_boundary!(") || body.starts_with("ffi_status!("),
                    "{}: export without the panic boundary: {}",
                    path.display(),
                    lines[i + 1]
                );
            }
        }
        assert!(
            exports >= 10,
            "expected the exports to be found, got {exports}"
        );
    }
}
