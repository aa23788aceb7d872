//! A faithful local Gazette broker for libgazette's tests, in one process.
//!
//! (Crate docs are completed with the control protocol in a later step.)

mod append;
mod apply;
mod codec;
mod counters;
mod devbroker;
mod faults;
mod fragments;
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

pub use counters::Counters;
pub use devbroker::{DevBroker, Options};
pub use faults::{Fault, Faults, Rpc};
