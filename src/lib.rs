//! libgazette: the C ABI of the Gazette client (crate `gazette`, in
//! `crates/gazette`), declared in the generated `include/gazette.h` and built
//! as `libgazette.so` and `libgazette.a`.
//!
//! Conventions (see the header's preamble for the user-facing version):
//! - every export goes through the panic boundary (`ffi_boundary!` or
//!   `ffi_status!`); a test checks it;
//! - fallible functions return a `gazette_status` and take a trailing
//!   `gazette_error **err` (may be NULL); no thread-local last error;
//! - `(pointer, length)` inputs are copied before the call returns;
//! - handles are opaque, created and freed by the library; `*_free(NULL)` is
//!   a no-op; child handles keep their client's shared state alive;
//! - waiting calls take `int32_t timeout_ms` (-1 forever, 0 poll);
//! - handles used in a `fork()` child report `GAZETTE_STATUS_FORKED`.
//!
//! One file per C concept, most named like the client file they wrap
//! (`reader.rs` wraps `crates/gazette/src/reader.rs`, `apply.rs` its
//! `apply.rs`, ...); `list.rs` wraps the client's `list.rs` and
//! `fragments.rs` (with the journal and fragment views), `label.rs` the
//! protocol's selectors.

// Types carry their C names (`gazette_client`), as the header shows them.
#![warn(missing_docs)]
#![allow(non_camel_case_types)]
// Exports are called from C, where Rust's `unsafe` marker means nothing; each
// function documents its pointer contract and NULL-checks its arguments.
#![allow(clippy::not_unsafe_ptr_arg_deref)]

#[macro_use]
pub mod panic;

pub mod append;
pub mod append_future;
pub mod append_service;
pub mod appender;
pub mod apply;
pub mod args;
pub mod assignment;
pub mod async_append;
pub mod client;
pub mod completion_queue;
pub mod config;
pub mod error;
pub mod fork;
pub mod label;
pub mod list;
pub mod log;
pub mod one_call;
pub mod op_future;
pub mod ownership;
pub mod polled_list;
pub mod read_core;
pub mod read_options;
pub mod read_ready;
pub mod reader;
pub mod retry_reader;
pub mod runtime;
pub mod security;
pub mod stats;
pub mod status;
pub mod store_health;
pub mod version;
pub mod watched_list;

// The Rust tests of the C ABI. Unit tests, not integration tests, because the
// library has no rlib (see Cargo.toml); they live beside the C suite.
#[cfg(test)]
#[path = "../tests/ffi/mod.rs"]
mod ffi_tests;
