//! Client: append (to be written).
