//! `gazette_append_service_options_set_spill_dir` from C: a directory that
//! can't take a spill file makes the write and the release FRAGMENT_IO, the
//! message naming the directory; bad arguments get their documented status.

use std::ffi::CStr;
use std::ptr::{null, null_mut};

use super::client::{fixture, p};
use crate::append_service::*;
use crate::async_append::*;
use crate::error::*;
use crate::status::gazette_status as S;

#[test]
fn an_unusable_spill_dir_is_fragment_io_naming_it() {
    let f = fixture();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("not-a-dir");
    std::fs::write(&dir, b"file").unwrap();
    let dir = dir.to_str().unwrap().to_string();

    let opts = gazette_append_service_options_new();
    assert_eq!(
        gazette_append_service_options_set_spill_dir(null_mut(), p(&dir), dir.len(), null_mut()),
        S::NullPointer
    );
    let bad = [0xffu8, 0xfe];
    assert_eq!(
        gazette_append_service_options_set_spill_dir(opts, bad.as_ptr().cast(), 2, null_mut()),
        S::InvalidUtf8
    );
    assert_eq!(
        gazette_append_service_options_set_spill_dir(opts, p(&dir), dir.len(), null_mut()),
        S::Ok
    );
    let mut svc = null_mut();
    assert_eq!(
        gazette_append_service_new(f.client, opts, &mut svc, null_mut()),
        S::Ok
    );
    gazette_append_service_options_free(opts);
    let j = "ffi/spill-dir";
    let mut aa = null_mut();
    assert_eq!(
        gazette_append_service_start(
            svc,
            p(j),
            j.len(),
            null(),
            null(),
            1000,
            &mut aa,
            null_mut()
        ),
        S::Ok
    );
    let mut err = null_mut();
    assert_eq!(
        gazette_async_append_write(aa, b"x\n".as_ptr(), 2, &mut err),
        S::FragmentIo
    );
    let text = unsafe { CStr::from_ptr(gazette_error_message(err)) }
        .to_string_lossy()
        .into_owned();
    assert!(text.contains(&dir), "{text}");
    gazette_error_free(err);
    let mut fut = null_mut();
    assert_eq!(
        gazette_async_append_release(aa, &mut fut, null_mut()),
        S::FragmentIo
    );
    assert!(fut.is_null());
    gazette_append_service_free(svc);
}
