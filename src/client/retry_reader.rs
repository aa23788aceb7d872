//! Client: retry_reader (to be written).
