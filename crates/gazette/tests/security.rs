//! TLS, mutual TLS and Gazette's JWT authorization against the dev broker
//! in its TLS and `--auth-keys` modes: what works, and the status and
//! message of each misconfiguration.
//!
//! These need the dev broker's TLS/auth flags, so with `GAZETTE_TEST_BROKER`
//! set (a real broker) they skip, saying so.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use gazette::protocol::{
    apply_request, journal_spec, AppendRequest, ApplyRequest, JournalSpec, LabelSet, ReadRequest,
};
use gazette::{AuthKeys, Claims, Client, ClientConfig, Error, SecurityFailure, Token};
use gazette_devbroker::{AuthOptions, CertSet, DevBroker, Options, TlsServer};

const KEY: &str = "c2VjcmV0LWtleS1vbmU="; // "secret-key-one"
const OTHER_KEY: &str = "b3RoZXIta2V5"; // "other-key"

fn real_broker() -> bool {
    let real = std::env::var("GAZETTE_TEST_BROKER").is_ok_and(|v| !v.is_empty());
    if real {
        eprintln!(
            "skipped: needs the dev broker's TLS / --auth-keys modes (GAZETTE_TEST_BROKER is set)"
        );
    }
    real
}

async fn broker(tls: Option<TlsServer>, keys: Option<&str>) -> DevBroker {
    DevBroker::start(Options {
        assign_delay: Duration::ZERO,
        tls,
        auth: keys.map(|keys| AuthOptions {
            keys: keys.into(),
            leeway: Duration::from_secs(5),
        }),
        ..Default::default()
    })
    .await
    .expect("dev broker")
}

fn tls_config(dev: &DevBroker, ca: &str) -> ClientConfig {
    let mut config = ClientConfig::new(dev.endpoint(0));
    config.tls.ca_pem = Some(ca.as_bytes().to_vec());
    config
}

/// `config` presenting the client certificate `cert` with its key `key`.
fn with_client_cert(mut config: ClientConfig, cert: &str, key: &str) -> ClientConfig {
    config.tls.client_cert_pem = Some(cert.as_bytes().to_vec());
    config.tls.client_key_pem = Some(key.as_bytes().to_vec());
    config
}

fn spec(name: &str) -> JournalSpec {
    JournalSpec {
        name: name.into(),
        replication: 1,
        labels: Some(LabelSet::default()),
        fragment: Some(journal_spec::Fragment {
            length: 1 << 20,
            compression_codec: 1,
            refresh_interval: Some(prost_types::Duration {
                seconds: 1,
                nanos: 0,
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Creates `name`, appends `content` and reads it back: every RPC kind a
/// client makes (Apply, List, Append, Read).
async fn round_trip(
    client: &Client,
    name: &str,
    content: &'static str,
) -> gazette::Result<Vec<u8>> {
    gazette::apply_journals(
        client,
        ApplyRequest {
            changes: vec![apply_request::Change {
                upsert: Some(spec(name)),
                ..Default::default()
            }],
        },
    )
    .await?;
    gazette::await_assignment(client, name, Duration::from_secs(10)).await?;
    let request = AppendRequest {
        journal: name.into(),
        ..Default::default()
    };
    gazette::append(client, request, &[&content]).await?;
    read(client, name).await
}

async fn read(client: &Client, name: &str) -> gazette::Result<Vec<u8>> {
    let mut reader = gazette::Reader::new(
        client,
        ReadRequest {
            journal: name.into(),
            block: false,
            ..Default::default()
        },
    );
    let mut out = Vec::new();
    loop {
        match reader.next_chunk(1 << 16).await {
            Ok(gazette::ReadStep::Data(bytes)) => out.extend_from_slice(&bytes),
            Ok(_) => continue,
            Err(Error::OffsetNotYetAvailable) => return Ok(out),
            Err(err) => return Err(err),
        }
    }
}

fn kind_of(err: &Error) -> SecurityFailure {
    match err {
        Error::Security { kind, .. } => *kind,
        other => panic!("expected a security failure, got {other:?} ({other})"),
    }
}

#[tokio::test]
async fn tls_round_trip_and_each_certificate_failure() {
    if real_broker() {
        return;
    }
    let certs = CertSet::generate().unwrap();
    let dev = broker(Some(certs.server()), None).await;
    assert!(dev.endpoint(0).starts_with("https://127.0.0.1:"));

    let client = Client::new(tls_config(&dev, &certs.ca_pem)).unwrap();
    assert_eq!(
        round_trip(&client, "tls/a", "over tls\n").await.unwrap(),
        b"over tls\n"
    );

    // A CA that didn't sign the broker's certificate.
    let client = Client::new(tls_config(&dev, &certs.other_ca_pem)).unwrap();
    let err = gazette::list_all_journals(&client, Default::default())
        .await
        .unwrap_err();
    assert_eq!(
        kind_of(&err),
        SecurityFailure::UntrustedCertificate,
        "{err}"
    );
    assert!(err.to_string().contains("CA bundle"), "{err}");

    // A plaintext client of a TLS broker, and a TLS client of a plain one,
    // fail (neither hangs).
    let plain = Client::connect(dev.endpoint(0).replace("https", "http")).unwrap();
    assert!(gazette::list_all_journals(&plain, Default::default())
        .await
        .is_err());

    // Expired, and for another host; the name override fixes the latter.
    for (cert, key, want) in [
        (
            &certs.expired_cert_pem,
            &certs.expired_key_pem,
            SecurityFailure::CertificateExpired,
        ),
        (
            &certs.wrong_host_cert_pem,
            &certs.wrong_host_key_pem,
            SecurityFailure::WrongHost,
        ),
    ] {
        let server = TlsServer {
            cert_pem: cert.clone().into_bytes(),
            key_pem: key.clone().into_bytes(),
            client_ca_pem: None,
        };
        let dev = broker(Some(server), None).await;
        let client = Client::new(tls_config(&dev, &certs.ca_pem)).unwrap();
        let err = gazette::list_all_journals(&client, Default::default())
            .await
            .unwrap_err();
        assert_eq!(kind_of(&err), want, "{err}");
        if want == SecurityFailure::WrongHost {
            let mut config = tls_config(&dev, &certs.ca_pem);
            config.tls.server_name = Some("elsewhere.example".into());
            let client = Client::new(config).unwrap();
            gazette::list_all_journals(&client, Default::default())
                .await
                .unwrap();
        }
    }
}

#[tokio::test]
async fn mutual_tls_requires_a_trusted_client_certificate() {
    if real_broker() {
        return;
    }
    let certs = CertSet::generate().unwrap();
    let dev = broker(Some(certs.mutual_server()), None).await;

    let config = with_client_cert(
        tls_config(&dev, &certs.ca_pem),
        &certs.client_cert_pem,
        &certs.client_key_pem,
    );
    let client = Client::new(config).unwrap();
    assert_eq!(
        round_trip(&client, "mtls/a", "mutual\n").await.unwrap(),
        b"mutual\n"
    );

    let client = Client::new(tls_config(&dev, &certs.ca_pem)).unwrap();
    let err = gazette::list_all_journals(&client, Default::default())
        .await
        .unwrap_err();
    assert_eq!(
        kind_of(&err),
        SecurityFailure::ClientCertificateRequired,
        "{err}"
    );

    let config = with_client_cert(
        tls_config(&dev, &certs.ca_pem),
        &certs.rogue_client_cert_pem,
        &certs.rogue_client_key_pem,
    );
    let client = Client::new(config).unwrap();
    let err = gazette::list_all_journals(&client, Default::default())
        .await
        .unwrap_err();
    assert_eq!(
        kind_of(&err),
        SecurityFailure::ClientCertificateRejected,
        "{err}"
    );

    // Mismatched or malformed PEM is refused when the client is made.
    let mut config = tls_config(&dev, &certs.ca_pem);
    config.tls.client_cert_pem = Some(certs.client_cert_pem.clone().into_bytes());
    let err = Client::new(config).unwrap_err();
    assert!(err.to_string().contains("together"), "{err}");
    let mut config = tls_config(&dev, "not pem");
    config.tls.server_name = None;
    assert!(Client::new(config).is_err());
}

#[tokio::test]
async fn keyed_auth_signs_every_rpc_and_each_token_failure_has_its_kind() {
    if real_broker() {
        return;
    }
    let dev = broker(None, Some(&format!("{KEY},{OTHER_KEY}"))).await;
    let mut config = ClientConfig::new(dev.endpoint(0));
    config.auth_keys = Some(AuthKeys::parse(KEY).unwrap());
    let client = Client::new(config).unwrap();
    assert_eq!(
        round_trip(&client, "auth/a", "signed\n").await.unwrap(),
        b"signed\n"
    );
    gazette::list_all_fragments(
        &client,
        gazette::protocol::FragmentsRequest {
            journal: "auth/a".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    // The second key verifies too (key rotation on the broker's side).
    let mut config = ClientConfig::new(dev.endpoint(0));
    config.auth_keys = Some(AuthKeys::parse(OTHER_KEY).unwrap());
    let client = Client::new(config).unwrap();
    assert_eq!(read(&client, "auth/a").await.unwrap(), b"signed\n");

    let no_token = Client::connect(dev.endpoint(0)).unwrap();
    let err = read(&no_token, "auth/a").await.unwrap_err();
    assert_eq!(kind_of(&err), SecurityFailure::TokenMissing, "{err}");

    let mut config = ClientConfig::new(dev.endpoint(0));
    config.auth_keys = Some(AuthKeys::parse("d3Jvbmcta2V5").unwrap()); // "wrong-key"
    let wrong = Client::new(config).unwrap();
    let err = read(&wrong, "auth/a").await.unwrap_err();
    assert_eq!(kind_of(&err), SecurityFailure::TokenInvalid, "{err}");
    assert!(!err.to_string().contains("d3Jvbmcta2V5"), "{err}");

    // An expired token, and one lacking the capability, from a provider.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let expired = dev
        .sign_token(&format!(
            r#"{{"cap":8,"iat":{},"exp":{}}}"#,
            now - 100,
            now - 60
        ))
        .unwrap();
    let err = read(&provided(&dev, Fixed(expired.clone())), "auth/a")
        .await
        .unwrap_err();
    assert_eq!(kind_of(&err), SecurityFailure::TokenExpired, "{err}");
    assert!(
        !err.to_string().contains(&expired),
        "no token in errors: {err}"
    );
    let append_only = dev
        .sign_token(&format!(r#"{{"cap":16,"iat":{now},"exp":{}}}"#, now + 60))
        .unwrap();
    let err = read(&provided(&dev, Fixed(append_only)), "auth/a")
        .await
        .unwrap_err();
    assert_eq!(kind_of(&err), SecurityFailure::CapabilityMissing, "{err}");
    assert!(err.to_string().contains("READ"), "{err}");
}

#[tokio::test]
async fn allow_missing_admits_requests_without_a_token() {
    if real_broker() {
        return;
    }
    let dev = broker(None, Some(&format!("{KEY} AA=="))).await;
    let client = Client::connect(dev.endpoint(0)).unwrap();
    gazette::list_all_journals(&client, Default::default())
        .await
        .unwrap();
}

/// A provider giving one fixed token.
struct Fixed(String);

impl gazette::TokenProvider for Fixed {
    fn token(&self, _: &Claims, _: Duration) -> Result<Token, String> {
        Ok(Token {
            token: self.0.clone(),
            valid_for: Some(Duration::from_secs(60)),
        })
    }
}

fn provided(dev: &DevBroker, provider: impl gazette::TokenProvider + 'static) -> Client {
    let mut config = ClientConfig::new(dev.endpoint(0));
    config.token_provider = Some(Arc::new(provider));
    Client::new(config).unwrap()
}

/// A provider that signs what it is asked with the broker's key, counting
/// calls; its first `short` tokens expire in a second.
struct Signing {
    key: AuthKeys,
    calls: Arc<AtomicUsize>,
    short: usize,
    valid_for: Option<Duration>,
}

impl gazette::TokenProvider for Signing {
    fn token(&self, claims: &Claims, lifetime: Duration) -> Result<Token, String> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        let life = if n < self.short {
            Duration::from_secs(1)
        } else {
            lifetime
        };
        Ok(Token {
            token: self.key.sign(claims, SystemTime::now(), life),
            valid_for: self.valid_for.or(Some(life)),
        })
    }
}

#[tokio::test]
async fn provider_tokens_rotate_and_scope_to_one_journal() {
    if real_broker() {
        return;
    }
    let dev = broker(None, Some(KEY)).await;
    let mut config = ClientConfig::new(dev.endpoint(0));
    config.auth_keys = Some(AuthKeys::parse(KEY).unwrap());
    let admin = Client::new(config).unwrap();
    round_trip(&admin, "scope/mine", "mine\n").await.unwrap();
    round_trip(&admin, "scope/theirs", "theirs\n")
        .await
        .unwrap();

    // Rotation: a provider whose tokens are stale at once is asked anew for
    // every RPC, and every fresh token is accepted.
    let calls = Arc::new(AtomicUsize::new(0));
    let client = provided(
        &dev,
        Signing {
            key: AuthKeys::parse(KEY).unwrap(),
            calls: calls.clone(),
            short: 0,
            valid_for: Some(Duration::ZERO),
        },
    );
    for _ in 0..3 {
        assert_eq!(read(&client, "scope/mine").await.unwrap(), b"mine\n");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 3);

    // A token scoped to one journal reads it, and nothing else exists for it.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let scoped = dev
        .sign_token(&format!(
            r#"{{"cap":10,"sel":{{"include":{{"labels":[{{"name":"name","value":"scope/mine"}}]}},"exclude":{{"labels":null}}}},"iat":{now},"exp":{}}}"#,
            now + 60
        ))
        .unwrap();
    let client = provided(&dev, Fixed(scoped));
    assert_eq!(read(&client, "scope/mine").await.unwrap(), b"mine\n");
    let err = read(&client, "scope/theirs").await.unwrap_err();
    assert!(matches!(err, Error::JournalNotFound), "{err:?}");
    let listed = gazette::list_all_journals(&client, Default::default())
        .await
        .unwrap();
    let names: Vec<_> = listed
        .journals
        .iter()
        .map(|j| j.spec.as_ref().unwrap().name.clone())
        .collect();
    assert_eq!(names, ["scope/mine"]);
}

#[tokio::test]
async fn no_acknowledged_append_is_lost_when_a_token_expires_mid_stream() {
    if real_broker() {
        return;
    }
    let dev = broker(None, Some(KEY)).await;
    let mut config = ClientConfig::new(dev.endpoint(0));
    config.auth_keys = Some(AuthKeys::parse(KEY).unwrap());
    let admin = Client::new(config).unwrap();
    round_trip(&admin, "expiry/a", "").await.unwrap();

    // The first token lives a second, and the broker holds every Append
    // longer than that before serving it: the first stream is cut at its
    // token's expiry, uncommitted; the retry fetches a fresh token.
    let calls = Arc::new(AtomicUsize::new(0));
    let client = provided(
        &dev,
        Signing {
            key: AuthKeys::parse(KEY).unwrap(),
            calls: calls.clone(),
            short: 1,
            valid_for: None,
        },
    );
    dev.faults()
        .delay(gazette_devbroker::Rpc::Append, Duration::from_millis(2100));
    let service = gazette::AppendService::new(client.clone());
    let mut futures = Vec::new();
    for i in 0..20 {
        let request = AppendRequest {
            journal: "expiry/a".into(),
            ..Default::default()
        };
        let mut op = service
            .start_append(request, gazette::OpFutures::default())
            .await;
        std::io::Write::write_all(&mut op, format!("record {i}\n").as_bytes()).unwrap();
        futures.push(op.release().unwrap());
    }
    for future in futures {
        future.wait().await.unwrap();
    }
    dev.faults().clear();
    let expected: String = (0..20).map(|i| format!("record {i}\n")).collect();
    assert_eq!(read(&admin, "expiry/a").await.unwrap(), expected.as_bytes());
    assert!(
        calls.load(Ordering::SeqCst) >= 2,
        "a fresh token was fetched"
    );
    assert!(
        client.stats().snapshot().retries >= 1,
        "the cut append was retried"
    );
}

#[test]
fn debug_output_shows_no_secret() {
    let certs = CertSet::generate().unwrap();
    let mut config = ClientConfig::new("https://127.0.0.1:1");
    config.auth_keys = Some(AuthKeys::parse(KEY).unwrap());
    config.bearer_token = Some("bearer-secret".into());
    config.tls.client_cert_pem = Some(certs.client_cert_pem.clone().into_bytes());
    config.tls.client_key_pem = Some(certs.client_key_pem.clone().into_bytes());
    let shown = format!("{config:?}");
    let key_body = certs.client_key_pem.lines().nth(1).unwrap();
    for secret in [KEY, "secret-key-one", "bearer-secret", key_body] {
        assert!(!shown.contains(secret), "{shown}");
    }
}

/// Under TLS 1.3 the broker refuses a client certificate after the client
/// has finished its side of the handshake, so the refusal races the first
/// request on the connection. On a multi-threaded runtime (as the C library
/// runs) every fresh client must still see ClientCertificateRejected, not
/// the connection's end as a cancelled or unknown gRPC status.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_client_certificate_is_named_however_the_race_goes() {
    if real_broker() {
        return;
    }
    let certs = CertSet::generate().unwrap();
    let dev = broker(Some(certs.mutual_server()), None).await;
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    for _ in 0..40 {
        let config = with_client_cert(
            tls_config(&dev, &certs.ca_pem),
            &certs.rogue_client_cert_pem,
            &certs.rogue_client_key_pem,
        );
        let client = Client::new(config).unwrap();
        let err = gazette::list_all_journals(&client, Default::default())
            .await
            .unwrap_err();
        let name = match &err {
            Error::Security { kind, .. } => format!("{kind:?}"),
            other => format!("{other:?}"),
        };
        *seen.entry(name).or_default() += 1;
    }
    assert_eq!(
        seen.keys().collect::<Vec<_>>(),
        ["ClientCertificateRejected"],
        "{seen:?}"
    );

    // A trusted certificate's connection that the broker answered, then
    // lost when the broker stopped, is an outage, not a refusal.
    let config = with_client_cert(
        tls_config(&dev, &certs.ca_pem),
        &certs.client_cert_pem,
        &certs.client_key_pem,
    );
    let client = Client::new(config).unwrap();
    gazette::list_all_journals(&client, Default::default())
        .await
        .unwrap();
    assert!(dev.stop_broker(0).await);
    let err = gazette::list_all_journals(&client, Default::default())
        .await
        .unwrap_err();
    assert!(!matches!(err, Error::Security { .. }), "{err:?}");
}
