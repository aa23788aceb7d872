//! Authorization as a current Gazette broker verifies it (`--auth-keys`):
//! every RPC must carry `authorization: Bearer <JWT>`, HS256 or HS384,
//! signed by one of the keys, with `exp` (5 s of leeway), whose `cap` holds
//! the RPC's capability. `AA==` among the keys lets requests without a
//! header through. Failures are gRPC UNAUTHENTICATED with the broker's
//! texts. The claim's selector scopes the RPC: journals it doesn't match
//! don't exist for it, and listings leave them out. Streams end when their
//! token expires (a broker runs the RPC under a deadline of `exp`).
//!
//! This is a service wrapped around the Journal service, so handlers only
//! see the verified selector (a [`Scope`] in the request's extensions).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use bytes::Bytes;
use gazette_protocol::{Label, LabelSelector, LabelSet};
use http_body::Frame;
use tonic::body::Body;
use tonic::codegen::http;
use tonic::codegen::Service;
use tonic::server::NamedService;

/// The verifier's settings.
#[derive(Clone)]
pub struct AuthOptions {
    /// Base64 keys separated by commas and/or whitespace (first signs, all
    /// verify; `AA==` allows requests without a token).
    pub keys: String,
    /// Clock leeway of `exp` and `iat` checks (a broker's is 5 s).
    pub leeway: Duration,
}

impl std::fmt::Debug for AuthOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthOptions")
            .field("leeway", &self.leeway)
            .finish_non_exhaustive()
    }
}

/// Parsed keys.
#[derive(Clone)]
pub(crate) struct Verifier {
    keys: Arc<Vec<Vec<u8>>>,
    allow_missing: bool,
    leeway: Duration,
}

impl Verifier {
    pub fn new(opts: &AuthOptions) -> std::io::Result<Verifier> {
        let mut keys = Vec::new();
        let mut allow_missing = false;
        for (i, key) in opts
            .keys
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|k| !k.is_empty())
            .enumerate()
        {
            if key == "AA==" {
                allow_missing = true;
                continue;
            }
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(key)
                .map_err(|e| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidInput,
                        format!("failed to decode key at index {i}: {e}"),
                    )
                })?;
            keys.push(bytes);
        }
        if keys.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "at least one key must be provided",
            ));
        }
        Ok(Verifier {
            keys: Arc::new(keys),
            allow_missing,
            leeway: opts.leeway,
        })
    }

    /// Signs `claims_json` with the first key (for tests that need tokens
    /// the client wouldn't make, e.g. scoped to one journal).
    pub fn sign(&self, claims_json: &str) -> String {
        let b64 = &base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let input = format!(
            "{}.{}",
            b64.encode(br#"{"alg":"HS256","typ":"JWT"}"#),
            b64.encode(claims_json)
        );
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &self.keys[0]);
        let tag = ring::hmac::sign(&key, input.as_bytes());
        format!("{input}.{}", b64.encode(tag.as_ref()))
    }

    /// Verifies `header` for capability `require`: the claim's selector
    /// and expiry, or the broker's error text.
    fn verify(
        &self,
        header: Option<&str>,
        require: u32,
    ) -> Result<(LabelSelector, Option<SystemTime>), String> {
        let Some(header) = header.filter(|h| !h.is_empty()) else {
            if self.allow_missing {
                return Ok((LabelSelector::default(), None));
            }
            return Err("missing or empty Authorization token".into());
        };
        let Some(token) = header.strip_prefix("Bearer ") else {
            return Err("invalid or unsupported Authorization header (expected 'Bearer')".into());
        };
        let claims = self
            .verify_jwt(token)
            .map_err(|e| format!("verifying Authorization: {e}"))?;
        let cap = claims.get("cap").and_then(|v| v.as_u64()).unwrap_or(0) as u32;
        check_capability(cap, require)?;
        let exp = claims
            .get("exp")
            .and_then(|v| v.as_u64())
            .map(|s| UNIX_EPOCH + Duration::from_secs(s));
        Ok((selector_of(claims.get("sel")), exp))
    }

    fn verify_jwt(&self, token: &str) -> Result<serde_json::Value, String> {
        let b64 = &base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let parts: Vec<&str> = token.split('.').collect();
        let malformed = |why: &str| format!("token is malformed: {why}");
        if parts.len() != 3 {
            return Err(malformed("token contains an invalid number of segments"));
        }
        let header: serde_json::Value = b64
            .decode(parts[0])
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or_else(|| malformed("could not JSON decode header"))?;
        let alg = match header.get("alg").and_then(|a| a.as_str()) {
            Some("HS256") => ring::hmac::HMAC_SHA256,
            Some("HS384") => ring::hmac::HMAC_SHA384,
            other => {
                return Err(format!(
                    "token is unverifiable: signing method {} is invalid",
                    other.unwrap_or("")
                ))
            }
        };
        let signature = b64
            .decode(parts[2])
            .map_err(|_| malformed("could not base64 decode signature"))?;
        let input = format!("{}.{}", parts[0], parts[1]);
        let verified = self.keys.iter().any(|key| {
            ring::hmac::verify(
                &ring::hmac::Key::new(alg, key),
                input.as_bytes(),
                &signature,
            )
            .is_ok()
        });
        if !verified {
            return Err("token signature is invalid: signature is invalid".into());
        }
        let claims: serde_json::Value = b64
            .decode(parts[1])
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or_else(|| malformed("could not JSON decode claim"))?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64();
        let leeway = self.leeway.as_secs_f64();
        let invalid = |why: &str| format!("token has invalid claims: {why}");
        match claims.get("exp").and_then(|v| v.as_f64()) {
            None => {
                return Err(invalid(
                    "token is missing required claim: exp claim is required",
                ))
            }
            Some(exp) if now >= exp + leeway => return Err(invalid("token is expired")),
            Some(_) => {}
        }
        if let Some(iat) = claims.get("iat").and_then(|v| v.as_f64()) {
            if now + leeway < iat {
                return Err(invalid("token used before issued"));
            }
        }
        Ok(claims)
    }
}

fn check_capability(have: u32, require: u32) -> Result<(), String> {
    if have & require == require {
        return Ok(());
    }
    for (bit, name) in [
        (1 << 1, "LIST"),
        (1 << 2, "APPLY"),
        (1 << 3, "READ"),
        (1 << 4, "APPEND"),
        (1 << 5, "REPLICATE"),
    ] {
        if require & bit != 0 && have & bit == 0 {
            return Err(format!(
                "authorization is missing required {name} capability"
            ));
        }
    }
    Err(format!(
        "authorization is missing required capability (have {have:b}, but require {require:b})"
    ))
}

/// `sel` of a claim as Go encodes a `pb.LabelSelector`.
fn selector_of(sel: Option<&serde_json::Value>) -> LabelSelector {
    let set = |v: Option<&serde_json::Value>| {
        let labels: Vec<Label> = v
            .and_then(|v| v.get("labels"))
            .and_then(|l| l.as_array())
            .map(|labels| {
                labels
                    .iter()
                    .map(|l| Label {
                        name: l.get("name").and_then(|s| s.as_str()).unwrap_or("").into(),
                        value: l.get("value").and_then(|s| s.as_str()).unwrap_or("").into(),
                        prefix: l.get("prefix").and_then(|b| b.as_bool()).unwrap_or(false),
                    })
                    .collect()
            })
            .unwrap_or_default();
        (!labels.is_empty()).then_some(LabelSet { labels })
    };
    LabelSelector {
        include: set(sel.and_then(|s| s.get("include"))),
        exclude: set(sel.and_then(|s| s.get("exclude"))),
    }
}

/// The verified claim's selector of an RPC, in its extensions.
#[derive(Clone, Debug)]
pub(crate) struct Scope(pub LabelSelector);

/// The capability an RPC (by its gRPC path) requires.
fn capability_of(path: &str) -> u32 {
    match path.rsplit('/').next().unwrap_or("") {
        "List" => 1 << 1,
        "Apply" => 1 << 2,
        "Append" => 1 << 4,
        "Replicate" => 1 << 5,
        // Read, ListFragments, FragmentStoreHealth.
        _ => 1 << 3,
    }
}

/// The Journal service behind verification.
#[derive(Clone)]
pub(crate) struct Verified<S> {
    pub inner: S,
    pub verifier: Verifier,
}

impl<S: NamedService> NamedService for Verified<S> {
    const NAME: &'static str = S::NAME;
}

type BoxFuture<T> = Pin<Box<dyn std::future::Future<Output = T> + Send>>;

impl<S> Service<http::Request<Body>> for Verified<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<http::Response<Body>, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<Body>) -> Self::Future {
        let path = req.uri().path().to_string();
        let header = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let verified = self
            .verifier
            .verify(header.as_deref(), capability_of(&path));
        let (scope, exp) = match verified {
            Ok(v) => v,
            Err(msg) => {
                let response = tonic::Status::unauthenticated(msg).into_http();
                return Box::pin(async move { Ok(response) });
            }
        };
        req.extensions_mut().insert(Scope(scope));
        let fut = self.inner.call(req);
        let Some(exp) = exp else {
            return Box::pin(fut);
        };
        let deadline = tokio::time::Instant::now()
            + exp
                .duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO);
        let client_streaming = path.ends_with("/Append") || path.ends_with("/Replicate");
        Box::pin(async move {
            if client_streaming {
                // The whole RPC runs inside the response future: cut it off
                // (uncommitted) when the token expires.
                match tokio::time::timeout_at(deadline, fut).await {
                    Ok(response) => response,
                    Err(_) => Ok(
                        tonic::Status::deadline_exceeded("context deadline exceeded").into_http(),
                    ),
                }
            } else {
                let response = fut.await?;
                // Server streams end cleanly at expiry, as a broker's Read
                // does on its context's deadline.
                Ok(response.map(|body| {
                    Body::new(Expiring {
                        inner: body,
                        sleep: Box::pin(tokio::time::sleep_until(deadline)),
                        ended: false,
                    })
                }))
            }
        })
    }
}

/// A response body that ends with `grpc-status: 0` at a deadline.
struct Expiring {
    inner: Body,
    sleep: Pin<Box<tokio::time::Sleep>>,
    ended: bool,
}

impl http_body::Body for Expiring {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, tonic::Status>>> {
        if self.ended {
            return Poll::Ready(None);
        }
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        if self.sleep.as_mut().poll(cx).is_ready() {
            self.ended = true;
            let mut trailers = http::HeaderMap::new();
            trailers.insert("grpc-status", http::HeaderValue::from_static("0"));
            return Poll::Ready(Some(Ok(Frame::trailers(trailers))));
        }
        Poll::Pending
    }
}

/// True if `scope` (an RPC's claim selector, if any) covers the journal
/// with `labels` (its labels with the `name` and `prefix` meta-labels).
pub(crate) fn covers(scope: Option<&LabelSelector>, labels: &LabelSet) -> bool {
    scope.is_none_or(|sel| sel.matches(labels))
}
