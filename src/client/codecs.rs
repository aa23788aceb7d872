//! Client: codecs (to be written).
