//! Recognising TLS and authorization failures, so each gets its own kind and
//! a message saying what to fix, instead of a bare `Unavailable` or
//! `Unauthenticated`.
//!
//! TLS failures are found as the `rustls::Error` at the bottom of a
//! transport error's source chain; authorization failures by the texts a
//! Gazette broker's verifier answers with (`go.gazette.dev/core/auth`, which
//! quotes golang-jwt's errors). Messages quote rustls and the broker, which
//! name no secret.

use crate::error::Error;

/// What a [`Error::Security`] failure was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SecurityFailure {
    /// The server's certificate chain doesn't lead to a trusted CA.
    UntrustedCertificate,
    /// The server's certificate is expired (or not yet valid).
    CertificateExpired,
    /// The server's certificate doesn't name the host dialed.
    WrongHost,
    /// The broker requires a client certificate and none was given.
    ClientCertificateRequired,
    /// The broker refused the client certificate given.
    ClientCertificateRejected,
    /// Another TLS handshake failure.
    Handshake,
    /// The broker requires a token and the request had none.
    TokenMissing,
    /// The token had expired when the broker checked it.
    TokenExpired,
    /// The token doesn't verify (signed with a key the broker lacks, or
    /// malformed).
    TokenInvalid,
    /// The token verified but lacks the capability the RPC needs.
    CapabilityMissing,
    /// The application's token provider failed to give a token.
    TokenProvider,
}

impl SecurityFailure {
    /// True for failures a new attempt may not meet: only an expired token,
    /// which the client re-signs (or re-fetches) on the next attempt.
    pub fn is_retryable(self) -> bool {
        self == SecurityFailure::TokenExpired
    }
}

/// What to do about a refused client certificate (also said by
/// `Client::refine`, which recognises a refusal whose alert was lost).
macro_rules! cert_refused_fix {
    () => {
        "use one issued by a CA the broker trusts (its --tls-client-ca), valid now, \
         for client authentication"
    };
}
pub(crate) use cert_refused_fix;

fn security(kind: SecurityFailure, message: String) -> Error {
    Error::Security { kind, message }
}

/// The TLS failure at the bottom of `err`'s source chain, if any.
pub fn classify_tls(err: &(dyn std::error::Error + 'static)) -> Option<Error> {
    let mut next = Some(err);
    while let Some(err) = next {
        if let Some(tls) = err.downcast_ref::<rustls::Error>() {
            return Some(from_rustls(tls));
        }
        // An alert reported after the handshake (TLS 1.3 sends a refused
        // client certificate's alert then) reaches us as text only.
        let text = err.to_string();
        if let Some(alert) = text.strip_prefix("received fatal alert: ") {
            if let Some(alert) = alert_named(alert.trim()) {
                return Some(from_rustls(&rustls::Error::AlertReceived(alert)));
            }
        }
        // io::Error's source() skips the error it wraps: descend into it.
        next = match err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => err.source(),
        };
    }
    None
}

fn alert_named(name: &str) -> Option<rustls::AlertDescription> {
    use rustls::AlertDescription as A;
    Some(match name {
        "CertificateRequired" => A::CertificateRequired,
        "HandshakeFailure" => A::HandshakeFailure,
        "BadCertificate" => A::BadCertificate,
        "UnknownCA" => A::UnknownCA,
        "CertificateUnknown" => A::CertificateUnknown,
        "CertificateExpired" => A::CertificateExpired,
        "CertificateRevoked" => A::CertificateRevoked,
        "UnsupportedCertificate" => A::UnsupportedCertificate,
        "AccessDenied" => A::AccessDenied,
        "DecryptError" => A::DecryptError,
        _ => return None,
    })
}

fn from_rustls(err: &rustls::Error) -> Error {
    use rustls::{AlertDescription as A, CertificateError as C, Error as E};
    use SecurityFailure as K;
    let (kind, fix) = match err {
        E::InvalidCertificate(C::UnknownIssuer | C::BadSignature | C::InvalidPurpose) => (
            K::UntrustedCertificate,
            "the server's certificate is not signed by a trusted CA: set the CA bundle \
             that issued it (gazette_config_set_tls_ca_file / _pem, TlsConfig::ca_pem)",
        ),
        E::InvalidCertificate(
            C::Expired | C::ExpiredContext { .. } | C::NotValidYet | C::NotValidYetContext { .. },
        ) => (
            K::CertificateExpired,
            "the server's certificate is expired or not yet valid: renew it on the server \
             (or check this machine's clock)",
        ),
        E::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. }) => (
            K::WrongHost,
            "the server's certificate does not name the host dialed: connect by a name the \
             certificate lists, or set the expected name (gazette_config_set_tls_server_name, \
             TlsConfig::server_name)",
        ),
        E::AlertReceived(A::CertificateRequired) => (
            K::ClientCertificateRequired,
            "the broker requires a client certificate: set one with its key \
             (gazette_config_set_tls_client_cert, TlsConfig::client_cert_pem)",
        ),
        E::AlertReceived(A::HandshakeFailure) => (
            K::ClientCertificateRequired,
            "the broker ended the handshake, most likely for want of a client \
             certificate: set one with its key (gazette_config_set_tls_client_cert)",
        ),
        E::AlertReceived(
            A::BadCertificate
            | A::UnknownCA
            | A::CertificateUnknown
            | A::CertificateExpired
            | A::CertificateRevoked
            | A::UnsupportedCertificate
            | A::AccessDenied,
        ) => (
            K::ClientCertificateRejected,
            concat!(
                "the broker refused the client certificate: ",
                cert_refused_fix!()
            ),
        ),
        _ => (
            K::Handshake,
            "the TLS handshake failed: check that the endpoint speaks TLS (https://) \
             and the TLS settings",
        ),
    };
    security(kind, format!("TLS: {fix} ({err})"))
}

/// The security failure a broker's gRPC `status` reports, if it is one.
pub fn classify(status: &tonic::Status) -> Option<Error> {
    match status.code() {
        tonic::Code::Unauthenticated => Some(classify_unauthenticated(status.message())),
        // What a Gazette broker answers when the deadline it runs an RPC
        // under, the expiry of the RPC's token, passes (the client's own
        // timeouts are not gRPC statuses).
        tonic::Code::DeadlineExceeded if status.message() == "context deadline exceeded" => {
            Some(security(
                SecurityFailure::TokenExpired,
                "authorization: the broker ended the RPC when its token expired; it is \
                 retried with a new token (broker: context deadline exceeded)"
                    .into(),
            ))
        }
        tonic::Code::Ok => None,
        _ => std::error::Error::source(status).and_then(classify_tls),
    }
}

fn classify_unauthenticated(said: &str) -> Error {
    use SecurityFailure as K;
    let (kind, fix) = if said.contains("missing or empty Authorization") {
        (
            K::TokenMissing,
            "the broker requires an authorization token: configure keyed auth \
             (gazette_config_set_auth_keys, ClientConfig::auth_keys) or a token provider",
        )
    } else if said.contains("token is expired") {
        (
            K::TokenExpired,
            "the token had expired when the broker checked it: give the provider's tokens a \
             longer life, or check the clocks of this machine and the broker",
        )
    } else if said.contains("signature is invalid") {
        (
            K::TokenInvalid,
            "the token's signature does not verify: sign with a key in the broker's \
             --auth-keys (the first key of gazette_config_set_auth_keys signs)",
        )
    } else if said.contains("missing required") && said.contains("capability") {
        (
            K::CapabilityMissing,
            "the token does not grant the capability this RPC needs: ask the token \
             provider for the claims it was given",
        )
    } else {
        (
            K::TokenInvalid,
            "the broker refused the authorization token: check the keys or the token provider",
        )
    };
    security(kind, format!("authorization: {fix} (broker: {said})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_texts_map_to_kinds() {
        let kind = |msg: &str| match classify(&tonic::Status::unauthenticated(msg)) {
            Some(Error::Security { kind, .. }) => kind,
            other => panic!("{other:?}"),
        };
        use SecurityFailure as K;
        assert_eq!(
            kind("missing or empty Authorization token"),
            K::TokenMissing
        );
        assert_eq!(
            kind("verifying Authorization: token has invalid claims: token is expired"),
            K::TokenExpired
        );
        assert_eq!(
            kind("verifying Authorization: token signature is invalid: signature is invalid"),
            K::TokenInvalid
        );
        assert_eq!(
            kind("authorization is missing required READ capability"),
            K::CapabilityMissing
        );
        assert!(classify(&tonic::Status::unavailable("x")).is_none());
    }

    #[test]
    fn rustls_errors_map_to_kinds() {
        use rustls::{CertificateError as C, Error as E};
        let io = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            E::InvalidCertificate(C::UnknownIssuer),
        );
        match classify_tls(&io) {
            Some(Error::Security { kind, message }) => {
                assert_eq!(kind, SecurityFailure::UntrustedCertificate);
                assert!(message.contains("CA bundle"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }
}
