//! Gazette's wire protocol: generated messages and gRPC stubs, plus pure
//! helpers (label selectors, validation, fragment names).

#[allow(clippy::all, missing_docs)]
mod generated {
    tonic::include_proto!("protocol");
}

pub use generated::*;
