//! `gazette_config`: the options of a client, set one by one and copied by
//! `gazette_client_new` (never consumed: the caller frees it).

use std::ffi::c_char;
use std::path::PathBuf;
use std::time::Duration;

use super::error::{gazette_error, FfiError};
use super::status::gazette_status;
use super::str::{handle_mut, handle_ref, str_in};

/// The options of a client. Create with `gazette_config_new`, set options,
/// pass to `gazette_client_new` (which copies it), free with
/// `gazette_config_free`. Not thread-safe while being changed.
#[derive(Clone, Debug)]
pub struct gazette_config {
    pub(crate) inner: Config,
}

/// The plain Rust view of the options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Broker endpoints (`http://host:port` or `https://...`).
    pub endpoints: Vec<String>,
    /// This client's zone, used to prefer brokers in the same zone.
    pub zone: String,
    /// How long to wait for a connection to a broker.
    pub connect_timeout: Duration,
    /// Bound on each unary RPC (list, apply, fragments); `None`: no bound.
    pub request_timeout: Option<Duration>,
    /// Largest gRPC message accepted from brokers.
    pub max_message_size: usize,
    /// Number of journals whose routes are cached (0 disables the cache).
    pub route_cache_size: usize,
    /// How long a cached route is trusted.
    pub route_cache_ttl: Duration,
    /// Local directory that `file:///` fragment URLs resolve under.
    pub file_root: Option<PathBuf>,
    /// Worker threads of the client's runtime.
    pub worker_threads: usize,
    /// A pre-shared token sent as `authorization: Bearer <token>` with every RPC.
    pub bearer_token: Option<Secret>,
}

/// A secret string that `Debug` does not print.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            endpoints: Vec::new(),
            zone: String::new(),
            connect_timeout: Duration::from_secs(10),
            request_timeout: None,
            // Gazette's own clients raise gRPC's 4 MiB default to 16 MiB.
            max_message_size: 16 << 20,
            route_cache_size: 1024,
            route_cache_ttl: Duration::from_secs(60),
            file_root: None,
            worker_threads: 2,
            bearer_token: None,
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
        // SAFETY: NULL or a live configuration.
        match unsafe { cfg.as_ref() } {
            Some(c) => Box::into_raw(Box::new(c.clone())),
            None => std::ptr::null_mut(),
        }
    })
}

/// Takes ownership of a configuration and frees it. NULL is a no-op.
#[no_mangle]
pub extern "C" fn gazette_config_free(cfg: *mut gazette_config) {
    ffi_boundary!({
        if !cfg.is_null() {
            // SAFETY: created by `gazette_config_new`/`_dup`, freed once.
            drop(unsafe { Box::from_raw(cfg) });
        }
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
        cfg.inner.endpoints.push(ep);
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
        cfg.inner.zone = unsafe { str_in(zone, len, "zone") }?;
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
        cfg.inner.connect_timeout = millis(timeout_ms, "connect timeout")?;
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
        cfg.inner.request_timeout = match timeout_ms {
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
        cfg.inner.max_message_size = bytes;
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
        cfg.inner.route_cache_size = size;
        cfg.inner.route_cache_ttl = ttl;
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
        cfg.inner.file_root = (!path.is_empty()).then(|| PathBuf::from(path));
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
        cfg.inner.bearer_token = (!token.is_empty()).then_some(Secret(token));
        Ok(gazette_status::Ok)
    })
}

/// The number of endpoints added so far (0 for NULL).
#[no_mangle]
pub extern "C" fn gazette_config_endpoint_count(cfg: *const gazette_config) -> usize {
    ffi_boundary!({
        // SAFETY: NULL or a live configuration.
        unsafe { handle_ref(cfg, "cfg") }.map_or(0, |c| c.inner.endpoints.len())
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
        let copy = gazette_config_dup(cfg);
        // Changing the original leaves the copy alone.
        assert_eq!(add(cfg, "https://broker.example"), gazette_status::Ok);
        let (a, b) = unsafe { (&(*cfg).inner, &(*copy).inner) };
        assert_eq!(b.endpoints.len(), 2);
        assert_eq!(a.endpoints.len(), 3);
        assert_eq!(b.worker_threads, 3);
        assert_eq!(b.request_timeout, Some(Duration::from_millis(1500)));
        assert_eq!(b.route_cache_size, 0);
        assert_eq!(b.file_root.as_deref(), Some(std::path::Path::new(root)));
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
        assert_eq!(inner.bearer_token, Some(Secret("s3cr3t".into())));
        assert!(!format!("{inner:?}").contains("s3cr3t"));
        assert_eq!(set(cfg, ""), gazette_status::Ok);
        assert_eq!(unsafe { &(*cfg).inner }.bearer_token, None);
        assert_eq!(set(std::ptr::null_mut(), "x"), gazette_status::NullPointer);
        gazette_config_free(cfg);
    }
}
