//! `gazette_config_set_tls_*`, `_auth_*` and the token provider callback:
//! TLS to `https://` brokers and fragment URLs, and Gazette's JWT
//! authorization, on a client's options.

use std::ffi::{c_char, c_void};
use std::time::Duration;

use gazette::{AuthKeys, Claims, Token, TokenProvider};

use super::args::{handle_mut, str_in};
use super::config::gazette_config;
use super::error::{gazette_error, FfiError};
use super::status::gazette_status;

/// Trusts the CA certificates of the PEM file at `path` (`len` bytes,
/// copied; read now) for `https://` brokers and fragment URLs, instead of
/// the system trust store. Empty restores the system store.
/// Errors: NULL_POINTER, INVALID_UTF8, INVALID_ARGUMENT (unreadable file,
/// no certificate in it).
#[no_mangle]
pub extern "C" fn gazette_config_set_tls_ca_file(
    cfg: *mut gazette_config,
    path: *const c_char,
    len: usize,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let cfg = unsafe { handle_mut(cfg, "cfg") }?;
        let path = unsafe { str_in(path, len, "path") }?;
        if path.is_empty() {
            cfg.inner.client.tls.ca_pem = None;
            return Ok(gazette_status::Ok);
        }
        let tls = cfg.inner.client.tls.clone().with_ca_file(&path)?;
        check_pem(&tls)?;
        cfg.inner.client.tls = tls;
        Ok(gazette_status::Ok)
    })
}

/// Like `gazette_config_set_tls_ca_file`, from PEM text (`len` bytes, copied).
#[no_mangle]
pub extern "C" fn gazette_config_set_tls_ca_pem(
    cfg: *mut gazette_config,
    pem: *const c_char,
    len: usize,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let cfg = unsafe { handle_mut(cfg, "cfg") }?;
        let pem = unsafe { str_in(pem, len, "pem") }?;
        let mut tls = cfg.inner.client.tls.clone();
        tls.ca_pem = (!pem.is_empty()).then(|| pem.into_bytes());
        check_pem(&tls)?;
        cfg.inner.client.tls = tls;
        Ok(gazette_status::Ok)
    })
}

/// Presents the PEM certificate chain `cert` and its PEM private key `key`
/// (both copied; the key is a secret and appears in no error, log or
/// debug output) to brokers that require client certificates (mutual
/// TLS). Both empty removes them.
/// Errors: NULL_POINTER, INVALID_UTF8, INVALID_ARGUMENT (no certificate or
/// key found, or they don't belong together).
#[no_mangle]
pub extern "C" fn gazette_config_set_tls_client_cert(
    cfg: *mut gazette_config,
    cert: *const c_char,
    cert_len: usize,
    key: *const c_char,
    key_len: usize,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let cfg = unsafe { handle_mut(cfg, "cfg") }?;
        let cert = unsafe { str_in(cert, cert_len, "cert") }?;
        let key = unsafe { str_in(key, key_len, "key") }?;
        let mut tls = cfg.inner.client.tls.clone();
        tls.client_cert_pem = (!cert.is_empty()).then(|| cert.into_bytes());
        tls.client_key_pem = (!key.is_empty()).then(|| key.into_bytes());
        check_pem(&tls)?;
        cfg.inner.client.tls = tls;
        Ok(gazette_status::Ok)
    })
}

/// Verifies every broker's certificate against `name` (`len` bytes,
/// copied) instead of the host of the endpoint dialed. Empty removes it.
/// Errors: NULL_POINTER, INVALID_UTF8, INVALID_ARGUMENT (not a DNS name or
/// IP address).
#[no_mangle]
pub extern "C" fn gazette_config_set_tls_server_name(
    cfg: *mut gazette_config,
    name: *const c_char,
    len: usize,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let cfg = unsafe { handle_mut(cfg, "cfg") }?;
        let name = unsafe { str_in(name, len, "name") }?;
        let mut tls = cfg.inner.client.tls.clone();
        tls.server_name = (!name.is_empty()).then_some(name);
        check_pem(&tls)?;
        cfg.inner.client.tls = tls;
        Ok(gazette_status::Ok)
    })
}

/// Checks TLS settings now, so `gazette_client_new` isn't refused later.
fn check_pem(tls: &gazette::TlsConfig) -> Result<(), FfiError> {
    gazette::tls::check_server_name(tls)?;
    if tls.ca_pem.is_some() || tls.client_cert_pem.is_some() || tls.client_key_pem.is_some() {
        gazette::tls::client_config(tls)?;
    }
    Ok(())
}

/// Uses Gazette's keyed authorization: `keys` (`len` bytes, copied; a
/// secret) are the cluster's `--auth-keys`, base64 keys separated by commas
/// or spaces; the client signs a short-lived token for every RPC with the
/// first (`AA==` is skipped). Empty removes them. Takes precedence over the
/// bearer token; a token provider takes precedence over both.
/// Errors: NULL_POINTER, INVALID_UTF8, INVALID_ARGUMENT (a key is not
/// base64, or there is none).
#[no_mangle]
pub extern "C" fn gazette_config_set_auth_keys(
    cfg: *mut gazette_config,
    keys: *const c_char,
    len: usize,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let cfg = unsafe { handle_mut(cfg, "cfg") }?;
        let keys = unsafe { str_in(keys, len, "keys") }?;
        cfg.inner.client.auth_keys = if keys.trim().is_empty() {
            None
        } else {
            Some(AuthKeys::parse(&keys).map_err(FfiError::invalid)?)
        };
        Ok(gazette_status::Ok)
    })
}

/// Sets the lifetime of every token signed or asked for (`ms` > 0), instead
/// of the Go client's per-RPC lifetimes (an hour for reads and watches, a
/// minute for the rest); 0 restores those. Brokers end a stream when its
/// token expires; the library then retries with a new token.
/// Errors: NULL_POINTER, INVALID_ARGUMENT (negative).
#[no_mangle]
pub extern "C" fn gazette_config_set_auth_token_lifetime_ms(
    cfg: *mut gazette_config,
    ms: i64,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let cfg = unsafe { handle_mut(cfg, "cfg") }?;
        if ms < 0 {
            return Err(FfiError::invalid(format!(
                "token lifetime must be >= 0 ms (got {ms})"
            )));
        }
        cfg.inner.client.auth_token_lifetime = (ms > 0).then(|| Duration::from_millis(ms as u64));
        Ok(gazette_status::Ok)
    })
}

/// Where a token provider puts its token; valid only during the callback.
pub struct gazette_token {
    token: Option<String>,
    valid_for: Option<Duration>,
}

/// Hands the token (`len` bytes, copied) from inside a token provider
/// callback, usable for `valid_for_ms` from now (0: read from the token's
/// `exp` if it is a JWT, else the lifetime asked for). The token is cached
/// for its claims until half of that has passed, then the provider is asked
/// again: that is how tokens rotate.
/// Errors: NULL_POINTER, INVALID_UTF8, INVALID_ARGUMENT (empty, or not a
/// valid header value, or a negative `valid_for_ms`).
#[no_mangle]
pub extern "C" fn gazette_token_set(
    out: *mut gazette_token,
    token: *const c_char,
    len: usize,
    valid_for_ms: i64,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let out = unsafe { handle_mut(out, "out") }?;
        let token = unsafe { str_in(token, len, "token") }?;
        if token.is_empty() || valid_for_ms < 0 {
            return Err(FfiError::invalid(
                "a token must be non-empty, with valid_for_ms >= 0",
            ));
        }
        out.token = Some(token);
        out.valid_for = (valid_for_ms > 0).then(|| Duration::from_millis(valid_for_ms as u64));
        Ok(gazette_status::Ok)
    })
}

/// A token provider: returns a token for an RPC needing `capability` (a
/// mask of Gazette's LIST = 1<<1, APPLY = 1<<2, READ = 1<<3, APPEND = 1<<4,
/// REPLICATE = 1<<5) over the journals of the label selector `selector`
/// (`selector_len` bytes, not NUL-terminated, in Gazette's text form such as
/// `name=a/journal`; empty means all), wanted for about `lifetime_ms`. It
/// hands the token with `gazette_token_set(out, ...)` and returns 0, or
/// returns non-zero to fail the RPC with GAZETTE_STATUS_AUTH_TOKEN_PROVIDER.
///
/// Threads and reentrancy: called on a library thread (a blocking-pool
/// thread of the client's runtime), possibly on several at once for
/// different claims, never while the library holds a lock; it may block
/// (to fetch from an authorization service) but must not call waiting
/// functions of the same client. `userdata` is passed as given.
pub type gazette_token_provider_fn = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        capability: u32,
        selector: *const c_char,
        selector_len: usize,
        lifetime_ms: i64,
        out: *mut gazette_token,
    ) -> i32,
>;

struct CProvider {
    cb: unsafe extern "C" fn(
        *mut c_void,
        u32,
        *const c_char,
        usize,
        i64,
        *mut gazette_token,
    ) -> i32,
    userdata: usize,
}

impl TokenProvider for CProvider {
    fn token(&self, claims: &Claims, lifetime: Duration) -> Result<Token, String> {
        let selector = claims.selector.to_string();
        let mut out = gazette_token {
            token: None,
            valid_for: None,
        };
        let called = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            // SAFETY: the callback and userdata were given together by the
            // application, which promises they stay valid while the client
            // (any client made from this config) lives.
            unsafe {
                (self.cb)(
                    self.userdata as *mut c_void,
                    claims.capability,
                    selector.as_ptr().cast(),
                    selector.len(),
                    lifetime.as_millis() as i64,
                    &mut out,
                )
            }
        }));
        match called {
            Ok(0) => match out.token {
                Some(token) => Ok(Token {
                    token,
                    valid_for: out.valid_for,
                }),
                None => Err("the callback returned 0 without gazette_token_set".into()),
            },
            Ok(code) => Err(format!("the callback returned {code}")),
            Err(_) => Err("the callback panicked".into()),
        }
    }
}

/// Gets tokens from `cb` (see `gazette_token_provider_fn`) instead of the
/// auth keys or bearer token. NULL `cb` removes it. `userdata` (not owned)
/// must stay valid while any client made from this config lives.
/// Errors: NULL_POINTER (`cfg`).
#[no_mangle]
pub extern "C" fn gazette_config_set_token_provider(
    cfg: *mut gazette_config,
    cb: gazette_token_provider_fn,
    userdata: *mut c_void,
    err: *mut *mut gazette_error,
) -> gazette_status {
    ffi_status!(err, {
        // SAFETY: per the documented contract of the arguments.
        let cfg = unsafe { handle_mut(cfg, "cfg") }?;
        cfg.inner.client.token_provider = cb.map(|cb| {
            std::sync::Arc::new(CProvider {
                cb,
                userdata: userdata as usize,
            }) as std::sync::Arc<dyn TokenProvider>
        });
        Ok(gazette_status::Ok)
    })
}
