//! An async Rust client for Gazette journals. Module names follow the Go
//! package `go.gazette.dev/core/broker/client` so its users find each thing
//! where they expect it; the main types are re-exported at the crate root.
//!
//! The wire types and pure helpers are the `gazette-protocol` crate,
//! re-exported as [`protocol`]: the client's signatures use them, so a user
//! needs no second dependency and cannot end up with a mismatched version.
//! Nothing here knows about C; the C ABI (libgazette) wraps this crate.

#![warn(missing_docs)]

pub use gazette_protocol as protocol;

pub mod append;
pub mod append_future;
pub mod append_service;
pub mod appender;
pub mod apply;
pub mod assignment;
pub mod async_append;
pub mod auth;
pub mod backoff;
pub mod chunk_source;
pub mod client;
pub mod codecs;
pub mod config;
pub mod error;
pub mod fragment_reader;
pub mod fragment_verify;
pub mod fragments;
pub mod list;
pub mod op_future;
pub mod polled_list;
mod read_checks;
pub mod reader;
pub mod retry_reader;
pub mod route_cache;
pub mod router;
mod rpc;
pub mod security_errors;
pub mod spill_buffer;
pub mod stats;
pub mod store_health;
pub mod tls;
mod tls_watch;
pub mod watched_list;

pub use append::{append, ContentSource};
pub use append_service::{AppendFuture, AppendService, AppendServiceConfig, AsyncAppend};
pub use appender::Appender;
pub use apply::{apply_journals, apply_journals_in_batches};
pub use assignment::await_assignment;
pub use auth::{AuthKeys, Claims, Token, TokenProvider};
pub use backoff::backoff;
pub use chunk_source::ChunkSource;
pub use client::Client;
pub use config::ClientConfig;
pub use error::{Error, Result, SecurityFailure};
pub use fragment_reader::{open_fragment_url, FragmentReader, FragmentTransport};
pub use fragments::list_all_fragments;
pub use list::{get_journal, list_all_journals};
pub use op_future::{finished_operation, AsyncOperation, OpFuture, OpFutures};
pub use polled_list::PolledList;
pub use reader::{ReadContext, ReadStep, Reader};
pub use retry_reader::{CancelHandle, ReadBuffer, ReadStream, RetryReader};
pub use route_cache::RouteCache;
pub use router::Dispatch;
pub use stats::{Stats, StatsSnapshot};
pub use store_health::fragment_store_health;
pub use tls::TlsConfig;
pub use watched_list::WatchedList;
