//! The one rule for broker endpoints, used wherever an endpoint enters: the
//! client's configuration, the C configuration, and the validation of
//! `ProcessSpec` and `Route` messages.
//!
//! Go's rule is "an absolute URL with a host". We add what the client can
//! dial: the scheme is `http` or `https`, and the host has a name before any
//! port. `unix://` endpoints (Gazette HEAD only) are refused by name: the
//! client's transport dials TCP only, and accepting an endpoint that every
//! RPC then fails on is worse than refusing it up front.

use crate::error::invalid;
use crate::url::parse_url;
use crate::ValidationError;

/// Schemes the client can dial.
pub const ENDPOINT_SCHEMES: [&str; 2] = ["http", "https"];

/// Checks a broker endpoint: `http://host[:port][/path]` or `https://...`.
/// Messages follow Go's (`not absolute: ...`, `missing host: ...`).
pub fn validate_endpoint(ep: &str) -> Result<(), ValidationError> {
    let url = parse_url(ep)?;
    if !url.is_abs() {
        return invalid!("not absolute: {ep}");
    }
    let scheme = url.scheme.to_ascii_lowercase();
    if scheme == "unix" {
        return invalid!("unix sockets are not supported, use http://host:port: {ep}");
    }
    if url.host.is_empty() {
        return invalid!("missing host: {ep}");
    }
    if !ENDPOINT_SCHEMES.contains(&scheme.as_str()) {
        return invalid!("unsupported scheme {scheme:?} (want http or https): {ep}");
    }
    // `http://:8080` has an authority but no host name.
    let name = match url.host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => url.host.rsplit_once(':').map_or(url.host, |(name, _)| name),
    };
    if name.is_empty() {
        return invalid!("missing host: {ep}");
    }
    if url.host.chars().any(char::is_whitespace) {
        return invalid!("invalid host {:?}: {ep}", url.host);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::validate_endpoint;

    fn err(ep: &str) -> String {
        validate_endpoint(ep).unwrap_err().to_string()
    }

    #[test]
    fn accepts_what_the_client_dials() {
        for ep in [
            "http://127.0.0.1:8080",
            "http://broker",
            "HTTP://broker:1",
            "https://broker.example/path",
            "http://[::1]:8080",
            "http://user@broker:1",
        ] {
            assert!(validate_endpoint(ep).is_ok(), "{ep}");
        }
    }

    #[test]
    fn refuses_the_rest_with_go_messages_where_go_has_them() {
        assert_eq!(err("localhost:8080"), "missing host: localhost:8080");
        assert_eq!(err("/just/a/path"), "not absolute: /just/a/path");
        assert_eq!(err("http://"), "missing host: http://");
        assert_eq!(err("http://:8080"), "missing host: http://:8080");
        assert_eq!(err("http://[]:1"), "missing host: http://[]:1");
        assert_eq!(
            err("unix:///tmp/broker.sock"),
            "unix sockets are not supported, use http://host:port: unix:///tmp/broker.sock"
        );
        assert_eq!(
            err("unix://localhost/tmp/broker.sock"),
            "unix sockets are not supported, use http://host:port: \
             unix://localhost/tmp/broker.sock"
        );
        assert_eq!(
            err("ftp://x"),
            "unsupported scheme \"ftp\" (want http or https): ftp://x"
        );
        assert_eq!(err("http://a b:1"), "invalid host \"a b:1\": http://a b:1");
        assert!(err("http://a\n").contains("invalid control character"));
    }
}
