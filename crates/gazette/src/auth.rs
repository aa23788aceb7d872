//! Gazette's authorization: every RPC carries `authorization: Bearer <JWT>`
//! whose claims grant capabilities (`cap`) over the journals a label
//! selector (`sel`) matches, for a short life (`iat`, `exp`).
//!
//! Tokens come from, in order of precedence: an application's
//! [`TokenProvider`] (its own authorization service), [`AuthKeys`] (the
//! broker's pre-shared `--auth-keys`: the client signs HS256 itself with the
//! first key), or a static bearer token. The claims and lifetimes per RPC
//! are those of the Go client (`broker/protocol/auth.go`): see [`claims`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;

use crate::protocol::{Label, LabelSelector, LabelSet};

/// Capability bits of a claim (Gazette's `pb.Capability`).
pub mod capability {
    /// List journals.
    pub const LIST: u32 = 1 << 1;
    /// Apply journal specs.
    pub const APPLY: u32 = 1 << 2;
    /// Read journals, list their fragments, check store health.
    pub const READ: u32 = 1 << 3;
    /// Append to journals.
    pub const APPEND: u32 = 1 << 4;
    /// Replicate (broker to broker).
    pub const REPLICATE: u32 = 1 << 5;
}

/// What an RPC needs to be allowed: capabilities over the journals a
/// selector matches.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Claims {
    /// A mask of [`capability`] bits.
    pub capability: u32,
    /// The journals the claim covers (empty: all).
    pub selector: LabelSelector,
}

/// The claims and token lifetimes of each RPC, as the Go client asks.
pub mod claims {
    use super::*;

    /// Tokens of RPCs that may stream for long (reads, watches) live an hour.
    pub const STREAMING_LIFETIME: Duration = Duration::from_secs(3600);
    /// Tokens of other RPCs (appends, applies, listings) live a minute.
    pub const SHORT_LIFETIME: Duration = Duration::from_secs(60);

    fn journal(cap: u32, journal: &str) -> Claims {
        let name = crate::protocol::strip_meta(journal);
        Claims {
            capability: cap,
            selector: LabelSelector {
                include: Some(LabelSet {
                    labels: vec![Label::new("name", name)],
                }),
                exclude: None,
            },
        }
    }

    /// Read: READ over `name=<journal>`, an hour.
    pub fn read(j: &str) -> (Claims, Duration) {
        (journal(capability::READ, j), STREAMING_LIFETIME)
    }
    /// Append: APPEND over `name=<journal>`, a minute.
    pub fn append(j: &str) -> (Claims, Duration) {
        (journal(capability::APPEND, j), SHORT_LIFETIME)
    }
    /// ListFragments: READ over `name=<journal>`, a minute.
    pub fn list_fragments(j: &str) -> (Claims, Duration) {
        (journal(capability::READ, j), SHORT_LIFETIME)
    }
    /// List: LIST over the request's selector; an hour when watching.
    pub fn list(selector: &LabelSelector, watch: bool) -> (Claims, Duration) {
        let claims = Claims {
            capability: capability::LIST,
            selector: selector.clone(),
        };
        let life = if watch {
            STREAMING_LIFETIME
        } else {
            SHORT_LIFETIME
        };
        (claims, life)
    }
    /// Apply: APPLY over everything, a minute.
    pub fn apply() -> (Claims, Duration) {
        (
            Claims {
                capability: capability::APPLY,
                ..Claims::default()
            },
            SHORT_LIFETIME,
        )
    }
    /// FragmentStoreHealth: READ over everything, a minute.
    pub fn store_health() -> (Claims, Duration) {
        (
            Claims {
                capability: capability::READ,
                ..Claims::default()
            },
            SHORT_LIFETIME,
        )
    }
}

/// A token from a [`TokenProvider`].
#[derive(Clone)]
pub struct Token {
    /// The bearer token (sent as `authorization: Bearer <token>`).
    pub token: String,
    /// How long from now it may be used; `None`: read from the token's
    /// `exp` claim if it is a JWT, else the lifetime asked for.
    pub valid_for: Option<Duration>,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("token", &"..")
            .field("valid_for", &self.valid_for)
            .finish()
    }
}

/// An application's source of tokens (its own authorization service).
///
/// Called on a blocking-pool thread of the client's runtime, never while
/// the client holds a lock, so it may block (fetch over the network) and
/// may run concurrently for different claims. It should not wait on RPCs of
/// the same client. A token is cached for its claims until half its
/// validity has passed, then asked for again: that is how tokens rotate.
pub trait TokenProvider: Send + Sync {
    /// A token granting `claims`, wanted for about `lifetime`. An `Err`
    /// fails the RPC with [`SecurityFailure::TokenProvider`](crate::error::SecurityFailure)
    /// and the message (which must not contain a secret).
    fn token(&self, claims: &Claims, lifetime: Duration) -> Result<Token, String>;
}

/// The pre-shared HMAC keys of a cluster's `--auth-keys`: the first signs.
/// `Debug` shows only how many there are.
#[derive(Clone)]
pub struct AuthKeys {
    signing: Vec<u8>,
    count: usize,
}

impl std::fmt::Debug for AuthKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AuthKeys({} keys)", self.count)
    }
}

impl AuthKeys {
    /// Parses base64 keys separated by whitespace and/or commas, as a
    /// broker's `--auth-keys`. `AA==` (which lets a broker accept requests
    /// without a token) is skipped; at least one other key is needed.
    pub fn parse(base64_keys: &str) -> Result<AuthKeys, String> {
        let mut keys = Vec::new();
        for (i, key) in base64_keys
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|k| !k.is_empty())
            .enumerate()
        {
            if key == "AA==" {
                continue;
            }
            // The decode error is not quoted: it could show key characters.
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(key)
                .map_err(|_| format!("auth key at index {i} is not valid base64"))?;
            keys.push(bytes);
        }
        if keys.is_empty() {
            return Err("at least one auth key must be given (AA== alone signs nothing)".into());
        }
        Ok(AuthKeys {
            count: keys.len(),
            signing: keys.swap_remove(0),
        })
    }

    /// Signs `claims` as an HS256 JWT valid from `now` for `lifetime`.
    pub fn sign(&self, claims: &Claims, now: SystemTime, lifetime: Duration) -> String {
        let iat = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
        let exp = iat + lifetime.as_secs().max(1);
        let b64 = &base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = b64.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = b64.encode(claims_json(claims, iat, exp));
        let signing_input = format!("{header}.{payload}");
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &self.signing);
        let tag = ring::hmac::sign(&key, signing_input.as_bytes());
        format!("{signing_input}.{}", b64.encode(tag.as_ref()))
    }
}

fn json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A label set as Go's encoding/json writes `pb.LabelSet` (`null` when empty).
fn label_set_json(out: &mut String, set: Option<&LabelSet>) {
    let labels = set.map(|s| s.labels.as_slice()).unwrap_or_default();
    if labels.is_empty() {
        out.push_str(r#"{"labels":null}"#);
        return;
    }
    out.push_str(r#"{"labels":["#);
    for (i, label) in labels.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('{');
        let mut fields = Vec::new();
        if !label.name.is_empty() {
            let mut f = String::from(r#""name":"#);
            json_string(&mut f, &label.name);
            fields.push(f);
        }
        if !label.value.is_empty() {
            let mut f = String::from(r#""value":"#);
            json_string(&mut f, &label.value);
            fields.push(f);
        }
        if label.prefix {
            fields.push(r#""prefix":true"#.into());
        }
        out.push_str(&fields.join(","));
        out.push('}');
    }
    out.push_str("]}");
}

/// The JWT payload: `cap`, `sel`, `iat`, `exp`.
pub fn claims_json(claims: &Claims, iat: u64, exp: u64) -> String {
    let mut out = format!(r#"{{"cap":{},"sel":{{"include":"#, claims.capability);
    label_set_json(&mut out, claims.selector.include.as_ref());
    out.push_str(r#","exclude":"#);
    label_set_json(&mut out, claims.selector.exclude.as_ref());
    out.push_str(&format!(r#"}},"iat":{iat},"exp":{exp}}}"#));
    out
}

/// The `exp` of a JWT, read without verifying it (to know how long a
/// provider's token may be cached).
pub fn jwt_expiry(token: &str) -> Option<SystemTime> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let text = std::str::from_utf8(&bytes).ok()?;
    let at = text.find("\"exp\"")? + 5;
    let rest = text[at..].trim_start().strip_prefix(':')?.trim_start();
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    Some(UNIX_EPOCH + Duration::from_secs(digits.parse().ok()?))
}

/// Where a client's tokens come from.
#[derive(Clone)]
pub enum Credentials {
    /// No authorization header.
    None,
    /// A static bearer token.
    Bearer(String),
    /// Self-signed from pre-shared keys.
    Keys(AuthKeys),
    /// From the application.
    Provider(Arc<dyn TokenProvider>),
}

struct Cached {
    header: tonic::metadata::MetadataValue<tonic::metadata::Ascii>,
    fetched: Instant,
    /// Reused until then.
    fresh_until: Instant,
}

/// A client's token source with its cache of tokens per claims.
pub(crate) struct Authorizer {
    credentials: Credentials,
    /// Overrides every RPC's lifetime (tests, and clusters whose policy
    /// wants short tokens).
    lifetime: Option<Duration>,
    cache: Mutex<HashMap<(u32, String, u64), Cached>>,
}

impl Authorizer {
    pub fn new(credentials: Credentials, lifetime: Option<Duration>) -> Self {
        Authorizer {
            credentials,
            lifetime,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The `authorization` header value for an RPC of `claims`, from the
    /// cache if still fresh, else newly signed or fetched.
    pub async fn header(
        &self,
        claims: Claims,
        lifetime: Duration,
    ) -> crate::Result<Option<tonic::metadata::MetadataValue<tonic::metadata::Ascii>>> {
        let lifetime = self.lifetime.unwrap_or(lifetime);
        let bad_header = || crate::Error::Security {
            kind: crate::error::SecurityFailure::TokenInvalid,
            message: "authorization: the token is not a valid header value (it must be \
                      visible ASCII)"
                .into(),
        };
        let provider = match &self.credentials {
            Credentials::None => return Ok(None),
            Credentials::Bearer(token) => {
                return format!("Bearer {token}")
                    .parse()
                    .map(Some)
                    .map_err(|_| bad_header())
            }
            Credentials::Keys(_) => None,
            Credentials::Provider(p) => Some(p.clone()),
        };
        let key = (
            claims.capability,
            claims.selector.to_string(),
            lifetime.as_millis() as u64,
        );
        if let Some(hit) = self.cache.lock().unwrap().get(&key) {
            if Instant::now() < hit.fresh_until {
                return Ok(Some(hit.header.clone()));
            }
        }
        let fetched = Instant::now();
        let (token, valid_for) = match (&self.credentials, provider) {
            (Credentials::Keys(keys), _) => {
                // Re-signed once a tenth of its life has passed, so a stream
                // opened with it keeps almost all of it (brokers end a
                // stream when its token expires).
                (
                    keys.sign(&claims, SystemTime::now(), lifetime),
                    lifetime / 10,
                )
            }
            (_, Some(provider)) => {
                let asked = claims.clone();
                let got = tokio::task::spawn_blocking(move || provider.token(&asked, lifetime))
                    .await
                    .map_err(|_| "the token provider panicked".to_string())
                    .and_then(|r| r);
                let token = got.map_err(|why| crate::Error::Security {
                    kind: crate::error::SecurityFailure::TokenProvider,
                    message: format!("authorization: the token provider failed: {why}"),
                })?;
                let valid_for = token
                    .valid_for
                    .or_else(|| {
                        jwt_expiry(&token.token)
                            .map(|exp| exp.duration_since(SystemTime::now()).unwrap_or_default())
                    })
                    .unwrap_or(lifetime);
                (token.token, valid_for / 2)
            }
            _ => unreachable!("handled above"),
        };
        let header: tonic::metadata::MetadataValue<tonic::metadata::Ascii> =
            format!("Bearer {token}")
                .parse()
                .map_err(|_| bad_header())?;
        let mut cache = self.cache.lock().unwrap();
        if cache.len() > 4096 {
            cache.retain(|_, c| Instant::now() < c.fresh_until);
        }
        cache.insert(
            key,
            Cached {
                header: header.clone(),
                fetched,
                fresh_until: fetched + valid_for,
            },
        );
        Ok(Some(header))
    }

    /// Forgets every cached token (the next RPCs sign or fetch anew).
    pub fn forget(&self) {
        self.cache.lock().unwrap().clear();
    }

    /// Number of tokens cached (tests).
    #[allow(dead_code)]
    pub fn cached(&self) -> usize {
        let cache = self.cache.lock().unwrap();
        cache
            .values()
            .filter(|c| c.fetched <= Instant::now())
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_like_a_broker() {
        assert!(AuthKeys::parse("AA==").is_err());
        assert!(AuthKeys::parse("").is_err());
        assert!(AuthKeys::parse("not base64!").is_err());
        let keys = AuthKeys::parse("c2VjcmV0, b3RoZXI= AA==").unwrap();
        assert_eq!(format!("{keys:?}"), "AuthKeys(2 keys)");
        assert_eq!(keys.signing, b"secret");
    }

    #[test]
    fn claims_serialize_as_go_does() {
        let (claims, life) = claims::read("a/journal;meta");
        assert_eq!(life, Duration::from_secs(3600));
        assert_eq!(
            claims_json(&claims, 10, 20),
            r#"{"cap":8,"sel":{"include":{"labels":[{"name":"name","value":"a/journal"}]},"exclude":{"labels":null}},"iat":10,"exp":20}"#
        );
        let (apply, _) = claims::apply();
        assert_eq!(
            claims_json(&apply, 1, 2),
            r#"{"cap":4,"sel":{"include":{"labels":null},"exclude":{"labels":null}},"iat":1,"exp":2}"#
        );
    }

    #[test]
    fn signed_tokens_are_hs256_with_exp() {
        let keys = AuthKeys::parse("c2VjcmV0").unwrap();
        let now = UNIX_EPOCH + Duration::from_secs(1000);
        let token = keys.sign(&claims::apply().0, now, Duration::from_secs(60));
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, b"secret");
        let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(parts[2])
            .unwrap();
        ring::hmac::verify(&key, format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig).unwrap();
        assert_eq!(
            jwt_expiry(&token),
            Some(UNIX_EPOCH + Duration::from_secs(1060))
        );
    }
}
