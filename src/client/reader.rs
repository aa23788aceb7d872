//! Client: reader (to be written).
