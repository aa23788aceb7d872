//! Gazette's wire protocol: generated messages and gRPC stubs, plus pure
//! helpers (label selectors, validation, fragment names). Nothing here does I/O:
//! the dev broker builds on this crate alone, and the client (crate `gazette`)
//! re-exports it as `gazette::protocol`.

#![warn(missing_docs)]

#[allow(clippy::all, missing_docs)]
mod generated {
    tonic::include_proto!("protocol");
}

pub use generated::*;

mod duration;
pub mod endpoint;
mod error;
pub mod fragment;
pub mod journal;
pub mod label;
pub mod path;
pub mod url;
pub mod validate;
#[cfg(test)]
mod validate_tests;

pub use endpoint::validate_endpoint;
pub use error::ValidationError;
pub use fragment::{content_name, content_path, parse_fragment_from_relative_path};
pub use journal::{strip_meta, validate_journal_name};
pub use validate::Validate;
