//! Client: router (to be written).
