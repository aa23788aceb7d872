//! The library's version at run time. The header carries the compile-time
//! `GAZETTE_VERSION_*` macros; the run-time value is authoritative because a
//! program may run against a newer shared library than it was built with.

use std::ffi::c_char;

const fn parse(s: &str) -> u32 {
    let b = s.as_bytes();
    let mut i = 0;
    let mut v = 0u32;
    while i < b.len() {
        v = v * 10 + (b[i] - b'0') as u32;
        i += 1;
    }
    v
}

const MAJOR: u32 = parse(env!("CARGO_PKG_VERSION_MAJOR"));
const MINOR: u32 = parse(env!("CARGO_PKG_VERSION_MINOR"));
const PATCH: u32 = parse(env!("CARGO_PKG_VERSION_PATCH"));

/// The library version packed as `MAJOR << 16 | MINOR << 8 | PATCH`, the
/// same packing as the `GAZETTE_VERSION_NUMBER` macro.
#[no_mangle]
pub extern "C" fn gazette_version() -> u32 {
    ffi_boundary!({ (MAJOR << 16) | (MINOR << 8) | PATCH })
}

/// The library version as a static string such as `"0.1.0"`. Never free it.
#[no_mangle]
pub extern "C" fn gazette_version_string() -> *const c_char {
    ffi_boundary!({ concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn packed_and_string_versions_agree() {
        let s = unsafe { CStr::from_ptr(gazette_version_string()) };
        let parts: Vec<u32> = s
            .to_str()
            .unwrap()
            .split('.')
            .map(|p| p.parse().unwrap())
            .collect();
        assert_eq!(
            gazette_version(),
            (parts[0] << 16) | (parts[1] << 8) | parts[2]
        );
    }
}
