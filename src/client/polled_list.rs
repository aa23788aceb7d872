//! Client: polled_list (to be written).
