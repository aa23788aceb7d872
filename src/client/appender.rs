//! Client: appender (to be written).
