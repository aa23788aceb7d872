//! Client: config (to be written).
