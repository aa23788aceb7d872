//! A broker breaking the Read protocol, seen through the C readers: a
//! scripted broker on loopback sends a content gap, content before any
//! metadata, content past the end offset and a message over the client's
//! limit; each read returns its documented status and message, no wrong
//! byte, and the client stays usable.

use std::ffi::{c_char, CStr};
use std::ptr::null_mut;

use super::scripted::{Frame, Stub};
use bytes::Bytes;
use gazette::protocol::{CompressionCodec, Fragment, Header, ReadResponse, Status};

use crate::client::*;
use crate::config::*;
use crate::error::*;
use crate::read_options::*;
use crate::reader::*;
use crate::retry_reader::*;
use crate::status::gazette_status as S;

const JOURNAL: &str = "a/journal";

fn metadata(header: Header, offset: i64, end: i64) -> Frame {
    Ok(ReadResponse {
        status: Status::Ok as i32,
        header: Some(header),
        offset,
        write_head: end,
        fragment: Some(Fragment {
            journal: JOURNAL.into(),
            begin: 0,
            end,
            compression_codec: CompressionCodec::None as i32,
            ..Default::default()
        }),
        ..Default::default()
    })
}

fn content(offset: i64, data: Vec<u8>) -> Frame {
    Ok(ReadResponse {
        offset,
        content: Bytes::from(data),
        ..Default::default()
    })
}

fn client_of(endpoint: &str, max_message: Option<usize>) -> *mut gazette_client {
    let cfg = gazette_config_new();
    let st = gazette_config_add_endpoint(cfg, endpoint.as_ptr().cast(), endpoint.len(), null_mut());
    assert_eq!(st, S::Ok);
    if let Some(bytes) = max_message {
        assert_eq!(
            gazette_config_set_max_message_size(cfg, bytes, null_mut()),
            S::Ok
        );
    }
    let mut c = null_mut();
    assert_eq!(gazette_client_new(cfg, &mut c, null_mut()), S::Ok);
    gazette_config_free(cfg);
    c
}

fn options(offset: i64, end: i64) -> *mut gazette_read_options {
    let o = gazette_read_options_new();
    assert_eq!(
        gazette_read_options_set_offset(o, offset, null_mut()),
        S::Ok
    );
    assert_eq!(
        gazette_read_options_set_end_offset(o, end, null_mut()),
        S::Ok
    );
    o
}

fn message(err: *mut gazette_error) -> String {
    if err.is_null() {
        return String::new();
    }
    let m = unsafe { CStr::from_ptr(gazette_error_message(err)) }
        .to_string_lossy()
        .into_owned();
    gazette_error_free(err);
    m
}

/// Reads with `read` until a status other than OK: the bytes, the status
/// and its error message.
fn read_all(
    mut read: impl FnMut(&mut [u8], &mut usize, *mut *mut gazette_error) -> S,
) -> (Vec<u8>, S, String) {
    let mut got = Vec::new();
    let mut buf = vec![0u8; 256 << 10];
    loop {
        let mut n = 0;
        let mut err = null_mut();
        match read(&mut buf, &mut n, &mut err) {
            S::Ok => got.extend_from_slice(&buf[..n]),
            st => return (got, st, message(err)),
        }
    }
}

fn reader_read_all(client: *mut gazette_client, offset: i64, end: i64) -> (Vec<u8>, S, String) {
    let opts = options(offset, end);
    let mut r = null_mut();
    let st = gazette_reader_new(
        client,
        JOURNAL.as_ptr() as *const c_char,
        JOURNAL.len(),
        opts,
        &mut r,
        null_mut(),
    );
    assert_eq!(st, S::Ok);
    gazette_read_options_free(opts);
    let out =
        read_all(|buf, n, err| gazette_reader_read(r, buf.as_mut_ptr(), buf.len(), 10_000, n, err));
    gazette_reader_free(r);
    out
}

fn retry_read_all(client: *mut gazette_client, offset: i64) -> (Vec<u8>, S, String) {
    let opts = options(offset, 0);
    let mut r = null_mut();
    let st = gazette_retry_reader_new(
        client,
        JOURNAL.as_ptr() as *const c_char,
        JOURNAL.len(),
        opts,
        &mut r,
        null_mut(),
    );
    assert_eq!(st, S::Ok);
    gazette_read_options_free(opts);
    let out = read_all(|buf, n, err| {
        gazette_retry_reader_read(r, buf.as_mut_ptr(), buf.len(), 10_000, n, err)
    });
    gazette_retry_reader_free(r);
    out
}

#[test]
fn c_readers_refuse_protocol_breaches() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let stub = rt.block_on(Stub::start());
    let client = client_of(&stub.endpoint, None);
    let h = || stub.header();

    // A gap after good bytes: the good ones, then INVALID_RESPONSE.
    stub.push_read(vec![
        metadata(h(), 0, 100),
        content(0, b"hello".to_vec()),
        content(8, b"world".to_vec()),
    ]);
    let (got, st, msg) = reader_read_all(client, 0, 0);
    assert_eq!(got, b"hello");
    assert_eq!(st, S::InvalidResponse, "{msg}");
    assert!(msg.contains("offset 8 where 5 was expected"), "{msg}");

    // Content before any metadata frame.
    stub.push_read(vec![content(0, b"hello".to_vec())]);
    let (got, st, msg) = reader_read_all(client, 0, 0);
    assert_eq!((got.len(), st), (0, S::InvalidResponse), "{msg}");
    assert!(msg.contains("before any metadata frame"), "{msg}");

    // Content past the end offset: cut there, then END_OF_STREAM.
    stub.push_read(vec![
        metadata(h(), 0, 100),
        content(0, b"hello, world".to_vec()),
    ]);
    let (got, st, _) = reader_read_all(client, 0, 5);
    assert_eq!((got.as_slice(), st), (&b"hello"[..], S::EndOfStream));

    // A retry reader gives up on a broker that keeps going backwards (the
    // first RPC and three retries), and says so.
    stub.push_reads(
        4,
        vec![metadata(h(), 0, 100), content(0, b"XXXXX".to_vec())],
    );
    let before = stub.read_requests().len();
    let (got, st, msg) = retry_read_all(client, 5);
    assert_eq!((got.len(), st), (0, S::InvalidResponse), "{msg}");
    assert!(
        msg.contains("invalid ReadResponse offset (0; expected >= 5)"),
        "{msg}"
    );
    assert_eq!(stub.read_requests().len() - before, 4);

    gazette_client_free(client);
}

#[test]
fn c_readers_report_oversized_messages_and_read_on() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let stub = rt.block_on(Stub::start());
    let client = client_of(&stub.endpoint, Some(64 << 10));
    let big = vec![b'x'; 100 << 10];
    for _ in 0..2 {
        stub.push_read(vec![
            metadata(stub.header(), 0, 200 << 10),
            content(0, big.clone()),
        ]);
    }
    let (got, st, msg) = reader_read_all(client, 0, 0);
    assert_eq!((got.len(), st), (0, S::MessageTooLarge), "{msg}");
    assert!(msg.contains("gazette_config_set_max_message_size"), "{msg}");
    let (got, st, msg) = retry_read_all(client, 0);
    assert_eq!((got.len(), st), (0, S::MessageTooLarge), "{msg}");

    // The client reads on.
    stub.push_read(vec![
        metadata(stub.header(), 0, 200 << 10),
        content(0, b"small".to_vec()),
    ]);
    let (got, st, _) = reader_read_all(client, 0, 0);
    assert_eq!((got.as_slice(), st), (&b"small"[..], S::EndOfStream));
    gazette_client_free(client);
}
