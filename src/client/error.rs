//! Client: error (to be written).
