//! libgazette: a complete client for Gazette journals.
//!
//! Layers, from the bottom: [`protocol`] holds the wire messages generated
//! from `proto/protocol.proto` and pure helpers (no I/O).

pub mod protocol;
