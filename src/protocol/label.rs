//! Protocol helpers: label (to be written).
