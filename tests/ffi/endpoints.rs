//! The C configuration applies the protocol's one endpoint rule: what it
//! accepts, `gazette_client_new` accepts too, and `unix://` is refused when
//! added, saying why, instead of later by the client.

use std::ffi::CStr;
use std::ptr::null_mut;

use crate::client::*;
use crate::config::*;
use crate::error::*;
use crate::status::gazette_status as S;

/// Adds `ep`; on failure, the error's message.
fn add(cfg: *mut gazette_config, ep: &str) -> Result<(), String> {
    let mut err = null_mut();
    match gazette_config_add_endpoint(cfg, ep.as_ptr().cast(), ep.len(), &mut err) {
        S::Ok => Ok(()),
        st => {
            assert_eq!(st, S::InvalidArgument, "{ep}");
            let msg = unsafe { CStr::from_ptr(gazette_error_message(err)) };
            let msg = msg.to_string_lossy().into_owned();
            gazette_error_free(err);
            Err(msg)
        }
    }
}

#[test]
fn what_the_config_accepts_the_client_accepts() {
    for ep in [
        "http://127.0.0.1:1",
        "http://[::1]:1",
        "https://broker.example",
        "http://broker:1/path",
    ] {
        let cfg = gazette_config_new();
        add(cfg, ep).unwrap();
        let mut client = null_mut();
        assert_eq!(
            gazette_client_new(cfg, &mut client, null_mut()),
            S::Ok,
            "{ep}"
        );
        gazette_client_free(client);
        gazette_config_free(cfg);
    }
}

#[test]
fn unix_sockets_and_hostless_urls_are_refused_when_added() {
    let cfg = gazette_config_new();
    assert_eq!(
        add(cfg, "unix:///tmp/broker.sock").unwrap_err(),
        "invalid endpoint (unix:///tmp/broker.sock): unix sockets are not supported, \
         use http://host:port: unix:///tmp/broker.sock"
    );
    assert!(add(cfg, "unix://localhost/tmp/broker.sock").is_err());
    assert!(add(cfg, "http://:8080")
        .unwrap_err()
        .contains("missing host"));
    assert!(add(cfg, "localhost:8080")
        .unwrap_err()
        .contains("missing host"));
    assert!(add(cfg, "grpc://broker:1")
        .unwrap_err()
        .contains("unsupported scheme"));
    assert_eq!(gazette_config_endpoint_count(cfg), 0);
    gazette_config_free(cfg);
}
