//! The Rust tests of the C ABI, against dev brokers (or a scripted broker)
//! on loopback. Compiled into the library's unit tests: see src/lib.rs.

mod bearer_token;
mod client;
mod corrupt_fragments;
mod endpoints;
mod protocol_breaches;
mod reader_fixes;
// The scripted broker of the client's tests (it records each RPC's metadata).
#[path = "../../crates/gazette/tests/common/scripted.rs"]
mod scripted;
mod security;
mod silent_broker;
mod spill_dir;
