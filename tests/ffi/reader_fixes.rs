//! The C reader's answers where the header promises them: a metadata-only
//! read at offset -1 ends with END_OF_STREAM, and the write head of a
//! missing journal is -1 (not the 0 of the broker's error frame).

use std::ptr::null_mut;

use super::client::{append_text, fixture, p, unique};
use crate::apply::*;
use crate::client::*;
use crate::read_options::*;
use crate::reader::*;
use crate::status::gazette_status as S;

fn create(client: *mut gazette_client, name: &str) {
    let mut spec = null_mut();
    assert_eq!(
        gazette_journal_spec_new(p(name), name.len(), &mut spec, null_mut()),
        S::Ok
    );
    let store = "file:///";
    assert_eq!(
        gazette_journal_spec_add_store(spec, p(store), store.len(), null_mut()),
        S::Ok
    );
    let req = gazette_apply_request_new();
    assert_eq!(
        gazette_apply_request_upsert(req, spec, 0, null_mut()),
        S::Ok
    );
    gazette_journal_spec_free(spec);
    let mut rev = 0;
    assert_eq!(
        gazette_apply(client, req, 0, 10_000, &mut rev, null_mut()),
        S::Ok
    );
    gazette_apply_request_free(req);
}

/// A reader of `name` from `offset`, non-blocking.
fn reader(
    client: *mut gazette_client,
    name: &str,
    offset: i64,
    metadata_only: bool,
) -> *mut gazette_reader {
    let o = gazette_read_options_new();
    assert_eq!(
        gazette_read_options_set_offset(o, offset, null_mut()),
        S::Ok
    );
    assert_eq!(
        gazette_read_options_set_metadata_only(o, metadata_only, null_mut()),
        S::Ok
    );
    let mut r = null_mut();
    let st = gazette_reader_new(client, p(name), name.len(), o, &mut r, null_mut());
    gazette_read_options_free(o);
    assert_eq!(st, S::Ok);
    r
}

fn read_status(r: *mut gazette_reader) -> S {
    let (mut buf, mut n) = ([0u8; 64], 0usize);
    gazette_reader_read(r, buf.as_mut_ptr(), buf.len(), 10_000, &mut n, null_mut())
}

#[test]
fn metadata_only_read_at_the_write_head_ends_the_stream() {
    let f = fixture();
    let name = unique("meta");
    create(f.client, &name);
    append_text(f.client, &name, "hello world");

    let r = reader(f.client, &name, -1, true);
    assert_eq!(read_status(r), S::EndOfStream);
    // The metadata it was asked for: where the journal ends.
    assert_eq!(gazette_reader_write_head(r), 11);
    assert_eq!(gazette_reader_offset(r), 11);
    gazette_reader_free(r);

    // Offset 0 of the same journal: a fragment's metadata, then the end.
    let r = reader(f.client, &name, 0, true);
    assert_eq!(read_status(r), S::EndOfStream);
    assert_eq!(gazette_reader_write_head(r), 11);
    gazette_reader_free(r);
}

#[test]
fn write_head_of_a_missing_journal_is_unknown() {
    let f = fixture();
    let name = unique("missing");
    let r = reader(f.client, &name, 0, false);
    assert_eq!(read_status(r), S::JournalNotFound);
    assert_eq!(gazette_reader_write_head(r), -1);
    gazette_reader_free(r);

    let r = reader(f.client, &name, -1, true);
    assert_eq!(read_status(r), S::JournalNotFound);
    assert_eq!(gazette_reader_write_head(r), -1);
    gazette_reader_free(r);
}

#[test]
fn a_read_fills_the_buffer_with_what_has_arrived() {
    let f = fixture();
    let name = unique("fill");
    create(f.client, &name);
    // Several of the broker's content frames (each at most 128 KiB).
    let text: String = (0..600 * 1024)
        .map(|i| (b'a' + (i % 26) as u8) as char)
        .collect();
    append_text(f.client, &name, &text);

    let r = reader(f.client, &name, 0, false);
    let mut buf = vec![0u8; 1 << 20];
    let (mut got, mut largest) = (Vec::new(), 0usize);
    loop {
        let mut n = 0usize;
        let st = gazette_reader_read(r, buf.as_mut_ptr(), buf.len(), 10_000, &mut n, null_mut());
        if st != S::Ok {
            assert_eq!(st, S::OffsetNotYetAvailable);
            break;
        }
        largest = largest.max(n);
        got.extend_from_slice(&buf[..n]);
    }
    // Every byte once, in order, whichever frames one call gathered. How
    // many frames arrive before a call returns is up to the network and
    // the machine's load, so it is reported, not asserted.
    assert_eq!(got, text.as_bytes());
    eprintln!("largest single read: {largest} bytes");
    gazette_reader_free(r);
}
