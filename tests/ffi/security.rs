//! The C ABI's TLS, keyed-auth and token-provider options against a dev
//! broker serving TLS with `--auth-keys`, and the distinct statuses of
//! their failures. Skipped against a real broker (GAZETTE_TEST_BROKER).

use std::ffi::{c_char, c_void};
use std::ptr::null_mut;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::client::*;
use crate::config::*;
use crate::error::*;
use crate::list::*;
use crate::security::*;
use crate::status::gazette_status as S;
use gazette_devbroker::{AuthOptions, CertSet, DevBroker, Options};

const KEY: &str = "c2VjcmV0LWtleS1vbmU=";

fn p(s: &str) -> *const c_char {
    s.as_ptr().cast()
}

/// Lists through a client of `cfg` (freed), returning the status and the
/// error's message.
fn list(cfg: *mut gazette_config) -> (S, String) {
    let mut c = null_mut();
    assert_eq!(gazette_client_new(cfg, &mut c, null_mut()), S::Ok);
    gazette_config_free(cfg);
    let mut out = null_mut();
    let mut err = null_mut();
    let st = gazette_list_journals(c, p(""), 0, 10_000, &mut out, &mut err);
    let message = if err.is_null() {
        String::new()
    } else {
        // SAFETY: a non-NULL error from the call above.
        let m = unsafe { std::ffi::CStr::from_ptr(gazette_error_message(err)) };
        let m = m.to_string_lossy().into_owned();
        gazette_error_free(err);
        m
    };
    if st == S::Ok {
        gazette_journal_list_free(out);
    }
    gazette_client_free(c);
    (st, message)
}

fn config(endpoint: &str, certs: &CertSet) -> *mut gazette_config {
    let cfg = gazette_config_new();
    assert_eq!(
        gazette_config_add_endpoint(cfg, p(endpoint), endpoint.len(), null_mut()),
        S::Ok
    );
    assert_eq!(
        gazette_config_set_tls_ca_pem(cfg, p(&certs.ca_pem), certs.ca_pem.len(), null_mut()),
        S::Ok
    );
    cfg
}

static CALLS: AtomicUsize = AtomicUsize::new(0);

/// Signs what it is asked for with `userdata`'s keys (a `gazette::AuthKeys`).
unsafe extern "C" fn provider(
    userdata: *mut c_void,
    capability: u32,
    selector: *const c_char,
    selector_len: usize,
    lifetime_ms: i64,
    out: *mut gazette_token,
) -> i32 {
    CALLS.fetch_add(1, Ordering::SeqCst);
    // SAFETY: the test passes an AuthKeys that outlives the client.
    let keys = unsafe { &*(userdata as *const gazette::AuthKeys) };
    // SAFETY: the library passes `selector_len` bytes of UTF-8.
    let selector = unsafe { std::slice::from_raw_parts(selector.cast::<u8>(), selector_len) };
    let selector: gazette::protocol::LabelSelector = std::str::from_utf8(selector)
        .unwrap()
        .parse()
        .unwrap_or_default();
    let claims = gazette::Claims {
        capability,
        selector,
    };
    let token = keys.sign(
        &claims,
        std::time::SystemTime::now(),
        Duration::from_millis(lifetime_ms as u64),
    );
    gazette_token_set(out, p(&token), token.len(), 0, null_mut()) as i32
}

unsafe extern "C" fn failing(
    _: *mut c_void,
    _: u32,
    _: *const c_char,
    _: usize,
    _: i64,
    _: *mut gazette_token,
) -> i32 {
    7
}

#[test]
fn tls_keyed_auth_and_provider_through_the_c_abi() {
    if std::env::var("GAZETTE_TEST_BROKER").is_ok_and(|v| !v.is_empty()) {
        eprintln!("skipped: needs the dev broker's TLS / --auth-keys modes");
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let certs = CertSet::generate().unwrap();
    let dev = rt
        .block_on(DevBroker::start(Options {
            tls: Some(certs.mutual_server()),
            auth: Some(AuthOptions {
                keys: KEY.into(),
                leeway: Duration::from_secs(5),
            }),
            ..Default::default()
        }))
        .unwrap();
    let ep = dev.endpoint(0);
    let with_cert = |cfg: *mut gazette_config| {
        let st = gazette_config_set_tls_client_cert(
            cfg,
            p(&certs.client_cert_pem),
            certs.client_cert_pem.len(),
            p(&certs.client_key_pem),
            certs.client_key_pem.len(),
            null_mut(),
        );
        assert_eq!(st, S::Ok);
        cfg
    };

    // TLS + mTLS + keyed auth.
    let cfg = with_cert(config(&ep, &certs));
    assert_eq!(
        gazette_config_set_auth_keys(cfg, p(KEY), KEY.len(), null_mut()),
        S::Ok
    );
    assert_eq!(list(cfg).0, S::Ok);

    // No token; no client certificate; the wrong CA.
    let (st, msg) = list(with_cert(config(&ep, &certs)));
    assert_eq!(st, S::AuthTokenMissing, "{msg}");
    let (st, msg) = list(config(&ep, &certs));
    assert_eq!(st, S::TlsClientCertificateRequired, "{msg}");
    let cfg = with_cert(config(&ep, &certs));
    let other = &certs.other_ca_pem;
    assert_eq!(
        gazette_config_set_tls_ca_pem(cfg, p(other), other.len(), null_mut()),
        S::Ok
    );
    let (st, msg) = list(cfg);
    assert_eq!(st, S::TlsUntrustedCertificate, "{msg}");

    // A provider callback; and one that fails.
    let keys = gazette::AuthKeys::parse(KEY).unwrap();
    let cfg = with_cert(config(&ep, &certs));
    let userdata = &keys as *const gazette::AuthKeys as *mut c_void;
    assert_eq!(
        gazette_config_set_token_provider(cfg, Some(provider), userdata, null_mut()),
        S::Ok
    );
    assert_eq!(list(cfg).0, S::Ok);
    assert!(CALLS.load(Ordering::SeqCst) >= 1);
    let cfg = with_cert(config(&ep, &certs));
    assert_eq!(
        gazette_config_set_token_provider(cfg, Some(failing), null_mut(), null_mut()),
        S::Ok
    );
    let (st, msg) = list(cfg);
    assert_eq!(st, S::AuthTokenProvider, "{msg}");

    // Bad inputs are refused when set, naming no secret.
    let cfg = gazette_config_new();
    let mut err = null_mut();
    let bad = "not base64!";
    assert_eq!(
        gazette_config_set_auth_keys(cfg, p(bad), bad.len(), &mut err),
        S::InvalidArgument
    );
    gazette_error_free(err);
    assert_eq!(
        gazette_config_set_tls_client_cert(
            cfg,
            p(&certs.client_cert_pem),
            certs.client_cert_pem.len(),
            p("x"),
            1,
            null_mut()
        ),
        S::InvalidArgument
    );
    gazette_config_free(cfg);
    rt.block_on(dev.shutdown());
}
