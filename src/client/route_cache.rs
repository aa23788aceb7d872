//! Client: route_cache (to be written).
