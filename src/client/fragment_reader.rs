//! Client: fragment_reader (to be written).
