//! Client: backoff (to be written).
