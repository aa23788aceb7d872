//! Protocol helpers: validate (to be written).
