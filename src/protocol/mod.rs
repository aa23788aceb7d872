//! Gazette's wire protocol: generated messages and gRPC stubs, plus pure
//! helpers (label selectors, validation, fragment names). Nothing here does I/O.

#[allow(clippy::all, missing_docs)]
mod generated {
    tonic::include_proto!("protocol");
}

pub use generated::*;

pub mod fragment;
pub mod journal;
pub mod label;
pub mod validate;
