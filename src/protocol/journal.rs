//! Protocol helpers: journal (to be written).
