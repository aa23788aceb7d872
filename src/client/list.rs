//! Client: list (to be written).
