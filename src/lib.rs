//! libgazette: a complete client for Gazette journals, for Rust and (through
//! `include/gazette.h`) for C, C++, Go and Ruby.
//!
//! Layers, from the bottom (imports point down only):
//! - [`protocol`]: the wire messages generated from `proto/protocol.proto` and
//!   pure helpers (label selectors, validation, fragment names). No I/O.
//! - [`client`]: the async Rust client, mirroring the Go package
//!   `go.gazette.dev/core/broker/client`.

#![warn(missing_docs)]

pub mod client;
pub mod ffi;
pub mod protocol;
