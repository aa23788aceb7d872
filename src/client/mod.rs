//! The async Rust client. Module names follow the Go package
//! `go.gazette.dev/core/broker/client` so its users find each thing where they
//! expect it.

pub mod append;
pub mod append_service;
pub mod appender;
pub mod assignment;
pub mod async_append;
pub mod backoff;
pub mod codecs;
pub mod config;
pub mod error;
pub mod fragment_reader;
pub mod list;
pub mod op_future;
pub mod polled_list;
pub mod reader;
pub mod retry_reader;
pub mod route_cache;
pub mod router;
pub mod spill_buffer;
pub mod stats;
pub mod watched_list;

pub use append::{append, ContentSource};
pub use append_service::{AppendFuture, AppendService, AppendServiceConfig, AsyncAppend};
pub use appender::Appender;
pub use assignment::await_assignment;
pub use backoff::backoff;
pub use config::ClientConfig;
pub use error::{Error, Result};
pub use fragment_reader::{open_fragment_url, FragmentReader, FragmentTransport};
pub use op_future::{finished_operation, AsyncOperation, OpFuture, OpFutures};
pub use polled_list::PolledList;
pub use reader::{ReadContext, ReadStep, Reader};
pub use retry_reader::{CancelHandle, ReadBuffer, ReadStream, RetryReader};
pub use route_cache::RouteCache;
pub use router::{Client, Dispatch};
pub use stats::{Stats, StatsSnapshot};
pub use watched_list::WatchedList;
