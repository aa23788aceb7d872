//! `gazette_config`: the options of a client, set one by one and copied by
//! `gazette_client_new` (never consumed: the caller frees it).

use std::ffi::c_char;
use std::path::PathBuf;
use std::time::Duration;

use gazette::ClientConfig;

use super::args::{handle_mut, handle_ref, str_in};
use super::error::{gazette_error, FfiError};
use super::ownership::{free_box, opt_ref};
use super::status::gazette_status;

/// The options of a client. Create with `gazette_config_new`, set options,
/// pass to `gazette_client_new` (which copies it), free with
/// `gazette_config_free`. Not thread-safe while being changed.
#[derive(Clone, Debug)]
pub struct gazette_config {
    pub(crate) inner: Config,
}

/// The options: the Rust client's own [`ClientConfig`] (so C callers reach
/// all of it and get its defaults), plus the one option of the C library's
/// runtime.
#[derive(Clone, Debug)]
pub struct Config {
    /// The client's options; its `Debug` hides the bearer token.
    pub client: ClientConfig,
    /// Worker threads of the client's runtime (Rust callers bring their own).
    pub worker_threads: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            client: ClientConfig::default(),
            worker_threads: 2,
        }
    }
}

/// Checks a broker endpoint by the protocol's one rule (see
/// `gazette_protocol::endpoint`), with the client's wording.
fn validate_endpoint(ep: &str) -> Result<(), FfiError> {
    gazette::protocol::validate_endpoint(ep)
        .map_err(|why| FfiError::invalid(format!("invalid endpoint ({ep}): {why}")))
}

/// A positive duration in milliseconds.
fn millis(ms: i64, what: &str) -> Result<Duration, FfiError> {
    if ms <= 0 {
        return Err(FfiError::invalid(format!(
            "{what} must be > 0 ms (got {ms})"
        )));
    }
    Ok(Duration::from_millis(ms as u64))
}

/// Creates a configuration with default options and no endpoint. Free it
/// with `gazette_config_free`. Returns NULL only if allocation failed.
#[no_mangle]
pub extern "C" fn gazette_config_new() -> *mut gazette_config {
    ffi_boundary!({
        Box::into_raw(Box::new(gazette_config {
            inner: Config::default(),
        }))
    })
}

/// Copies a configuration (NULL gives NULL). Free the copy with `gazette_config_free`.
#[no_mangle]
pub extern "C" fn gazette_config_dup(cfg: *const gazette_config) -> *mut gazette_config {
    ffi_boundary!({
        match opt_ref(cfg) {
            Some(c) => Box::into_raw(Box::new(c.clone())),
            None => std::ptr::null_mut(),
        }
    })
}

/// Takes ownership of a configuration and frees it. NULL is a no-op.
#[no_mangle]
pub extern "C" fn gazette_config_free(cfg: *mut gazette_config) {
    ffi_boundary!({
        free_box(cfg);
    })
}

/// Adds a broker endpoint, e.g. `"http://127.0.0.1:8080"` (`len` bytes of
/// UTF-8, no NUL needed). At least one is required. Errors:
/// NULL_POINTER, INVALID_UTF8, INVALID_ARGUMENT (not an `http://` or
/// `https://` URL with a host; `unix://` sockets are not supported).
#[no_mangle]
pub extern "C" fn gazette_config_add_endpoint(
    cfg: *mut gazette_config,
    endpoint: *const c_char,
    len: usize,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let cfg = unsafe { handle_mut(cfg, "cfg") }?;
        let ep = unsafe { str_in(endpoint, len, "endpoint") }?;
        validate_endpoint(&ep)?;
        cfg.inner.client.endpoints.push(ep);
        Ok(gazette_status::Ok)
    })
}

/// Sets this client's zone (empty: none), so that reads prefer brokers of
/// the same zone.
#[no_mangle]
pub extern "C" fn gazette_config_set_zone(
    cfg: *mut gazette_config,
    zone: *const c_char,
    len: usize,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let cfg = unsafe { handle_mut(cfg, "cfg") }?;
        cfg.inner.client.zone = unsafe { str_in(zone, len, "zone") }?;
        Ok(gazette_status::Ok)
    })
}

/// Sets how long connecting to a broker may take (> 0 ms; default 10 s).
#[no_mangle]
pub extern "C" fn gazette_config_set_connect_timeout_ms(
    cfg: *mut gazette_config,
    timeout_ms: i64,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let cfg = unsafe { handle_mut(cfg, "cfg") }?;
        cfg.inner.client.connect_timeout = millis(timeout_ms, "connect timeout")?;
        Ok(gazette_status::Ok)
    })
}

/// Bounds each unary RPC (listing, applying, listing fragments) to
/// `timeout_ms` (> 0), or removes the bound with 0 (the default). Calls'
/// own `timeout_ms` arguments apply as well; streaming reads and appends
/// are not affected.
#[no_mangle]
pub extern "C" fn gazette_config_set_request_timeout_ms(
    cfg: *mut gazette_config,
    timeout_ms: i64,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let cfg = unsafe { handle_mut(cfg, "cfg") }?;
        cfg.inner.client.request_timeout = match timeout_ms {
            0 => None,
            ms => Some(millis(ms, "request timeout")?),
        };
        Ok(gazette_status::Ok)
    })
}

/// Sets the largest gRPC message accepted from brokers, in bytes
/// (at least 64 KiB; default 16 MiB).
#[no_mangle]
pub extern "C" fn gazette_config_set_max_message_size(
    cfg: *mut gazette_config,
    bytes: usize,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let cfg = unsafe { handle_mut(cfg, "cfg") }?;
        if bytes < 64 << 10 {
            return Err(FfiError::invalid(format!(
                "max message size must be at least 65536 bytes (got {bytes})"
            )));
        }
        cfg.inner.client.max_receive_message_size = bytes;
        Ok(gazette_status::Ok)
    })
}

/// Sets the route cache: how many journals' routes are remembered (0
/// disables the cache, so brokers proxy every request) and for how long
/// (> 0 ms). Defaults: 1024 journals, 60 s.
#[no_mangle]
pub extern "C" fn gazette_config_set_route_cache(
    cfg: *mut gazette_config,
    size: usize,
    ttl_ms: i64,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let cfg = unsafe { handle_mut(cfg, "cfg") }?;
        let ttl = millis(ttl_ms, "route cache TTL")?;
        cfg.inner.client.route_cache_size = size;
        cfg.inner.client.route_cache_ttl = ttl;
        Ok(gazette_status::Ok)
    })
}

/// Sets HTTP/2 keep-alive: a ping every `interval_ms` (0 sends none), and a
/// connection whose ping is unanswered for `timeout_ms` (> 0) is dropped.
/// Defaults: 301 s and 20 s; grpc-go brokers answer pings more often than
/// every 5 minutes with GOAWAY ("too_many_pings").
#[no_mangle]
pub extern "C" fn gazette_config_set_keep_alive(
    cfg: *mut gazette_config,
    interval_ms: i64,
    timeout_ms: i64,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let cfg = unsafe { handle_mut(cfg, "cfg") }?;
        let interval = match interval_ms {
            0 => None,
            ms => Some(millis(ms, "keep-alive interval")?),
        };
        let timeout = millis(timeout_ms, "keep-alive timeout")?;
        cfg.inner.client.keep_alive_interval = interval;
        cfg.inner.client.keep_alive_timeout = timeout;
        Ok(gazette_status::Ok)
    })
}

/// Sets how often connections to route members are swept (> 0 ms): one not
/// used since the previous sweep is closed; those to the configured
/// endpoints never are. Default 30 s.
#[no_mangle]
pub extern "C" fn gazette_config_set_connection_sweep_ms(
    cfg: *mut gazette_config,
    interval_ms: i64,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let cfg = unsafe { handle_mut(cfg, "cfg") }?;
        cfg.inner.client.connection_sweep_interval = millis(interval_ms, "sweep interval")?;
        Ok(gazette_status::Ok)
    })
}

/// Whether fragments read directly (`gazette_read_options_set_do_not_proxy`
/// with a file root or an `http(s)://` store) are verified before any of
/// their bytes is handed out: against the fragment's SHA-1 sum and the
/// codec's checksums, so a damaged file fails with a status naming it rather
/// than yielding a wrong byte. Default true. False streams fragments
/// unchecked, as the Go client does: faster (no SHA-1, no holding back of a
/// fragment's content until it is all decoded), for stores you trust.
#[no_mangle]
pub extern "C" fn gazette_config_set_verify_fragments(
    cfg: *mut gazette_config,
    verify: bool,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let cfg = unsafe { handle_mut(cfg, "cfg") }?;
        cfg.inner.client.verify_fragments = verify;
        Ok(gazette_status::Ok)
    })
}

/// Sets the local directory under which `file:///` fragment URLs resolve
/// (the broker's file store root); empty unsets it. Without it, `file:///`
/// fragments are read through the broker.
#[no_mangle]
pub extern "C" fn gazette_config_set_file_root(
    cfg: *mut gazette_config,
    path: *const c_char,
    len: usize,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let cfg = unsafe { handle_mut(cfg, "cfg") }?;
        let path = unsafe { str_in(path, len, "path") }?;
        cfg.inner.client.file_root = (!path.is_empty()).then(|| PathBuf::from(path));
        Ok(gazette_status::Ok)
    })
}

/// Sets the number of worker threads of the client's runtime (1..=64; default 2).
#[no_mangle]
pub extern "C" fn gazette_config_set_worker_threads(
    cfg: *mut gazette_config,
    threads: usize,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let cfg = unsafe { handle_mut(cfg, "cfg") }?;
        if !(1..=64).contains(&threads) {
            return Err(FfiError::invalid(format!(
                "worker threads must be 1..=64 (got {threads})"
            )));
        }
        cfg.inner.worker_threads = threads;
        Ok(gazette_status::Ok)
    })
}

/// Sets a pre-shared bearer token (`len` bytes, copied): every RPC then
/// carries `authorization: Bearer <token>`. Empty removes it (the default).
/// Errors: NULL_POINTER, INVALID_UTF8, INVALID_ARGUMENT (a byte not allowed
/// in an HTTP header value, such as a control character).
#[no_mangle]
pub extern "C" fn gazette_config_set_bearer_token(
    cfg: *mut gazette_config,
    token: *const c_char,
    len: usize,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let cfg = unsafe { handle_mut(cfg, "cfg") }?;
        let token = unsafe { str_in(token, len, "token") }?;
        // Checked here, so that the client is not refused later for it.
        if format!("Bearer {token}")
            .parse::<tonic::metadata::MetadataValue<tonic::metadata::Ascii>>()
            .is_err()
        {
            return Err(FfiError::invalid(
                "the bearer token is not a valid HTTP header value",
            ));
        }
        cfg.inner.client.bearer_token = (!token.is_empty()).then_some(token);
        Ok(gazette_status::Ok)
    })
}

/// The number of endpoints added so far (0 for NULL).
#[no_mangle]
pub extern "C" fn gazette_config_endpoint_count(cfg: *const gazette_config) -> usize {
    ffi_boundary!({
        // SAFETY: NULL or a live configuration.
        unsafe { handle_ref(cfg, "cfg") }.map_or(0, |c| c.inner.client.endpoints.len())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(cfg: *mut gazette_config, ep: &str) -> gazette_status {
        gazette_config_add_endpoint(cfg, ep.as_ptr().cast(), ep.len(), std::ptr::null_mut())
    }

    #[test]
    fn setters_validate_and_dup_copies() {
        let cfg = gazette_config_new();
        assert_eq!(add(cfg, "http://127.0.0.1:8080"), gazette_status::Ok);
        assert_eq!(add(cfg, "http://[::1]:8080"), gazette_status::Ok);
        assert_eq!(add(cfg, "tcp://x:1"), gazette_status::InvalidArgument);
        assert_eq!(add(cfg, "http://:8080"), gazette_status::InvalidArgument);
        assert_eq!(add(cfg, "http://"), gazette_status::InvalidArgument);
        assert_eq!(
            gazette_config_add_endpoint(cfg, std::ptr::null(), 3, std::ptr::null_mut()),
            gazette_status::NullPointer
        );
        assert_eq!(gazette_config_endpoint_count(cfg), 2);
        let e = std::ptr::null_mut();
        assert_eq!(
            gazette_config_set_connect_timeout_ms(cfg, 0, e),
            gazette_status::InvalidArgument
        );
        assert_eq!(
            gazette_config_set_worker_threads(cfg, 0, e),
            gazette_status::InvalidArgument
        );
        assert_eq!(
            gazette_config_set_worker_threads(cfg, 3, e),
            gazette_status::Ok
        );
        assert_eq!(
            gazette_config_set_request_timeout_ms(cfg, 1500, e),
            gazette_status::Ok
        );
        assert_eq!(
            gazette_config_set_request_timeout_ms(cfg, -1, e),
            gazette_status::InvalidArgument
        );
        assert_eq!(
            gazette_config_set_max_message_size(cfg, 10, e),
            gazette_status::InvalidArgument
        );
        assert_eq!(
            gazette_config_set_route_cache(cfg, 0, 1000, e),
            gazette_status::Ok
        );
        let root = "/tmp/store";
        assert_eq!(
            gazette_config_set_file_root(cfg, root.as_ptr().cast(), root.len(), e),
            gazette_status::Ok
        );
        assert_eq!(
            gazette_config_set_keep_alive(cfg, 0, 5000, e),
            gazette_status::Ok
        );
        assert_eq!(
            gazette_config_set_keep_alive(cfg, 1000, 0, e),
            gazette_status::InvalidArgument
        );
        assert_eq!(
            gazette_config_set_connection_sweep_ms(cfg, 0, e),
            gazette_status::InvalidArgument
        );
        assert_eq!(
            gazette_config_set_connection_sweep_ms(cfg, 2500, e),
            gazette_status::Ok
        );
        let copy = gazette_config_dup(cfg);
        // Changing the original leaves the copy alone.
        assert_eq!(add(cfg, "https://broker.example"), gazette_status::Ok);
        let (a, b) = unsafe { (&(*cfg).inner, &(*copy).inner) };
        assert_eq!(b.client.endpoints.len(), 2);
        assert_eq!(a.client.endpoints.len(), 3);
        assert_eq!(b.worker_threads, 3);
        assert_eq!(b.client.keep_alive_interval, None);
        assert_eq!(b.client.keep_alive_timeout, Duration::from_millis(5000));
        assert_eq!(
            b.client.connection_sweep_interval,
            Duration::from_millis(2500)
        );
        assert_eq!(b.client.request_timeout, Some(Duration::from_millis(1500)));
        assert_eq!(b.client.route_cache_size, 0);
        assert_eq!(
            b.client.file_root.as_deref(),
            Some(std::path::Path::new(root))
        );
        gazette_config_free(copy);
        gazette_config_free(cfg);
        gazette_config_free(std::ptr::null_mut());
        assert!(gazette_config_dup(std::ptr::null()).is_null());
    }
}

#[cfg(test)]
mod bearer_tests {
    use super::*;

    fn set(cfg: *mut gazette_config, token: &str) -> gazette_status {
        gazette_config_set_bearer_token(
            cfg,
            token.as_ptr().cast(),
            token.len(),
            std::ptr::null_mut(),
        )
    }

    #[test]
    fn bearer_token_is_checked_kept_and_hidden() {
        let cfg = gazette_config_new();
        assert_eq!(set(cfg, "line\nbreak"), gazette_status::InvalidArgument);
        assert_eq!(set(cfg, "s3cr3t"), gazette_status::Ok);
        let inner = unsafe { &(*cfg).inner };
        assert_eq!(inner.client.bearer_token.as_deref(), Some("s3cr3t"));
        assert!(!format!("{inner:?}").contains("s3cr3t"));
        assert_eq!(set(cfg, ""), gazette_status::Ok);
        assert_eq!(unsafe { &(*cfg).inner }.client.bearer_token, None);
        assert_eq!(set(std::ptr::null_mut(), "x"), gazette_status::NullPointer);
        gazette_config_free(cfg);
    }
}

#[cfg(test)]
mod default_tests {
    use super::*;

    /// A new C configuration holds the Rust client's defaults, not copies.
    #[test]
    fn defaults_are_the_clients() {
        let cfg = gazette_config_new();
        let inner = unsafe { &(*cfg).inner };
        let want = ClientConfig::default();
        assert_eq!(format!("{:?}", inner.client), format!("{want:?}"));
        assert_eq!(inner.worker_threads, 2);
        gazette_config_free(cfg);
    }
}
