//! `gazette-devbroker`: a faithful local Gazette broker cluster, so every
//! libgazette test (Rust, C, Go, Ruby) runs without an outside service.
//!
//! It speaks the real `protocol.Journal` gRPC service over tonic on loopback
//! and behaves like a real broker wherever a client can tell: headers (process
//! id, route with endpoints, non-zero etcd fields), Apply transactions with
//! `expect_mod_revision`, streamed List in chunks of 25, Append with commit /
//! rollback / registers / explicit offsets, Read with metadata and content
//! frames (at most 32 736 bytes), blocking reads and offset jumps, fragments
//! that roll at `fragment.length` and persist to a `file:///` store in every
//! codec (with `path_postfix_template`), ListFragments paging, journal flags,
//! and proxying between brokers over gRPC. It uses only `gazette-protocol`
//! (generated types and pure helpers), never the client it tests.
//!
//! # Library
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use gazette_devbroker::{DevBroker, Fault, Options, Rpc};
//! let dev = DevBroker::start(Options {
//!     brokers: 3,                              // each on its own 127.0.0.1 port
//!     store: Some("/tmp/store".into()),        // root behind file:/// stores
//!     ..Default::default()
//! })
//! .await?;
//! let endpoints = dev.endpoints();             // ["http://127.0.0.1:PORT", ...]
//! dev.faults().fail_next(Rpc::Append, 2, Fault::Grpc(tonic::Code::Unavailable, "x".into()));
//! dev.faults().cut_stream_after(Rpc::Read, 100);
//! dev.faults().delay(Rpc::List, std::time::Duration::from_millis(50));
//! dev.flush("my/journal");                     // roll + persist the open fragment
//! dev.move_primary("my/journal", 1);
//! dev.stop_broker(0).await;                    // its journals move elsewhere
//! dev.restart_broker(0).await?;                // same port
//! let reads = dev.counters().get(1, Rpc::Read);
//! dev.shutdown().await;                        // dropping it stops it too
//! # Ok(()) }
//! ```
//!
//! Broker `i` has process id `zone-a`/`zone-b` (alternating) and suffix
//! `broker-<i>`. A journal's route has `min(replication, live brokers)`
//! members chosen by rendezvous hashing, sorted by (zone, suffix). A broker
//! outside the route proxies Read and ListFragments to a member, and a
//! non-primary proxies Append to the primary; with `do_not_proxy` they answer
//! NOT_JOURNAL_BROKER / NOT_JOURNAL_PRIMARY_BROKER with the route.
//!
//! Stores: `file:///sub/` resolves to `<store>/sub/`, fragments are written
//! as `<journal>/[<postfix>/]<begin>-<end>-<sha1>.<ext>`, and the index is
//! built by listing the store once per `refresh_interval` (and right after a
//! fragment is persisted), so a deleted file drops out of the index at the
//! next listing and reads jump past it, while files placed there by hand are
//! picked up. Spools roll when an append starts and the spool reached
//! `fragment.length`, the codec changed, a `flush_interval` boundary (UTC)
//! passed, or it is the first fragment of an empty journal; `flush()` rolls
//! on demand.
//! Other store schemes (s3://, gs://, ...) cannot be reached: their rolled
//! fragments stay in memory, as for a journal without stores. Appends must
//! sustain Gazette's minimum rate (64 KiB/s after one second; see
//! [`Options::min_append_rate`]). Not modelled: replication between brokers,
//! suspension, authorization, `max_append_rate` throttling and retention.
//!
//! # Binary
//!
//! `gazette-devbroker --listen 127.0.0.1:0 --brokers N --store DIR` prints one
//! line `{"endpoints":["http://127.0.0.1:PORT",...],"store":"DIR"}` when
//! ready, serves, and exits with status 0 on SIGTERM, SIGINT or end of
//! standard input (`--no-stdin`: signals only). With a non-zero port, broker
//! `i` listens on PORT+i.
//! Standard input takes control commands, one per line, each answered by one
//! line `ok [value]` or `error: <reason>`:
//!
//! ```text
//! Control commands (one per line on stdin; each answered by one line on stdout,
//! `ok [value]` or `error: <reason>`; RPC names: list, apply, read, append,
//! list_fragments, fragment_store_health):
//!   fail_next <rpc> <n> grpc <code> [message...]
//!                       the next n RPCs fail with a gRPC error; <code> is a name
//!                       (unavailable, internal, unknown, ...) or a number
//!   fail_next <rpc> <n> status <STATUS>
//!                       the next n RPCs answer in-band with a Gazette status,
//!                       e.g. NOT_JOURNAL_BROKER
//!   cut_stream_after <rpc> <bytes>
//!                       the next read ends abruptly after <bytes> content bytes;
//!                       the next append fails after receiving <bytes> bytes
//!   delay <rpc> <millis> every later RPC waits first (0 removes the delay)
//!   clear_faults        removes every pending fault and delay
//!   stop_broker <i>     stops broker i (its journals move to the others)
//!   restart_broker <i>  restarts broker i on its old port
//!   move_primary <journal> <i>
//!                       makes broker i the journal's primary
//!   flush <journal>     rolls (and persists) the journal's open fragment
//!   flush_all           flushes every journal
//!   count <i> <rpc>     answers `ok <n>`: RPCs of that kind broker i received
//! ```

#![warn(missing_docs)]

mod append;
mod apply;
pub mod auth;
mod codec;
pub mod control;
mod counters;
mod devbroker;
mod faults;
mod fragments;
mod health;
mod helpers;
mod journal;
mod list;
mod proxy;
mod read;
mod route;
mod server;
mod spool;
mod state;
mod store;
mod template;
pub mod tls;
mod version;

pub use auth::AuthOptions;
pub use counters::Counters;
pub use devbroker::{DevBroker, Options};
pub use faults::{Fault, Faults, Rpc};
pub use tls::{CertSet, TlsServer};
pub use version::{Version, TABLE as VERSION_TABLE};
