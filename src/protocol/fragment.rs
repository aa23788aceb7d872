//! Protocol helpers: fragment (to be written).
