//! The one error type of the client.
//!
//! Variants mirror the named errors of Go's `broker/client` package (as of
//! HEAD), plus the kinds of failure a Rust client meets on its own (gRPC
//! transport, fragment fetches, codecs, I/O, cancellation). Display texts
//! equal Go's wherever Go has one, so logs and tests read the same in both.

use std::fmt;
use std::sync::Arc;

use crate::protocol::Status;

/// Result alias used throughout the client.
pub type Result<T, E = Error> = std::result::Result<T, E>;

pub use crate::security_errors::SecurityFailure;

/// Every error the client returns.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Error {
    /// Status NOT_JOURNAL_BROKER: the broker is not a member of the journal's
    /// route and proxying was not allowed.
    NotJournalBroker,
    /// Status NOT_JOURNAL_PRIMARY_BROKER: the broker is not the journal's
    /// primary and proxying was not allowed.
    NotJournalPrimaryBroker,
    /// Status OFFSET_NOT_YET_AVAILABLE: a non-blocking read reached the write head.
    OffsetNotYetAvailable,
    /// Status REGISTER_MISMATCH: the append's `check_registers` selector does
    /// not match the journal's registers. `detail` (possibly empty) names the
    /// selector and the current registers.
    RegisterMismatch {
        /// "selector … doesn't match registers …", or empty.
        detail: String,
    },
    /// Status WRONG_APPEND_OFFSET: the explicit append offset is not the
    /// journal's write head.
    WrongAppendOffset,
    /// Status INSUFFICIENT_JOURNAL_BROKERS: the route has too few members.
    InsufficientJournalBrokers,
    /// Status JOURNAL_NOT_FOUND: no such journal (or not visible to the caller).
    JournalNotFound,
    /// Status NO_JOURNAL_PRIMARY_BROKER: the route has no primary right now.
    NoJournalPrimaryBroker,
    /// Status SUSPENDED: the journal is fully suspended.
    Suspended,
    /// Status INDEX_HAS_GREATER_OFFSET: the remote fragment index extends
    /// beyond the replicated offset; an operator must reset the head.
    IndexHasGreaterOffset,
    /// Status NOT_ALLOWED: the journal's flags forbid the operation.
    NotAllowed,
    /// Status FRAGMENT_STORE_UNHEALTHY, carrying the store's error text.
    FragmentStoreUnhealthy {
        /// The broker's `store_health_error` text (may be empty).
        store_error: String,
    },
    /// A read skipped forward: the response offset is beyond the requested
    /// one. The reader stays usable.
    OffsetJump,
    /// The seek target can't be reached by the current reader.
    SeekRequiresNewReader,
    /// A fragment's content continued past `Fragment.end`.
    DidNotReadExpectedEof,
    /// Any other Gazette status (e.g. ETCD_TRANSACTION_FAILED); the text is
    /// the status name.
    Status(Status),
    /// A failed gRPC call, kept whole. Displays like Go's
    /// "rpc error: code = Unknown desc = potato".
    Grpc(tonic::Status),
    /// A request, response or argument failed validation. The text carries
    /// the field path, e.g. `Journals[0].Spec.Name: not a valid token (x)`.
    Validation(String),
    /// A broker response broke the protocol in a way validation doesn't cover
    /// (e.g. an empty continuation chunk in a non-watch listing).
    Protocol(String),
    /// A broker message was larger than the client accepts
    /// ([`ClientConfig::max_receive_message_size`](crate::ClientConfig)).
    /// The message was not read (tonic refuses it from its length prefix);
    /// the RPC ends, the connection and the client stay usable.
    MessageTooLarge {
        /// tonic's text: "... found N bytes, the limit is: M bytes".
        detail: String,
    },
    /// A fragment fetch got a non-200 answer: `!OK fetching (<status>, "<url>")`.
    FragmentFetch {
        /// Status line, e.g. "404 Not Found".
        status: String,
        /// The URL that was fetched.
        url: String,
    },
    /// A fragment fetch failed below HTTP status level (connect, TLS, body).
    Http(String),
    /// A fragment failed to decompress ("snappy: corrupt input", ...).
    Codec(String),
    /// Any other I/O error (shared so the error stays `Clone`).
    Io(Arc<std::io::Error>),
    /// End of input: a bounded read finished, or a stream ended cleanly.
    Eof,
    /// Input ended before the expected end (a fragment shorter than declared).
    UnexpectedEof,
    /// A fragment read directly from its store failed: `error` (a
    /// [`Error::Codec`], [`Error::UnexpectedEof`], [`Error::DidNotReadExpectedEof`]
    /// or [`Error::Io`]) in the fragment `fragment` names (journal, span, URL),
    /// so a corrupt, truncated or missing file can be found.
    Fragment {
        /// The fragment: `<journal> <begin>-<end> (<url>)`.
        fragment: String,
        /// What went wrong in it.
        error: Box<Error>,
    },
    /// The operation was cancelled by the caller.
    Canceled,
    /// The operation's deadline passed.
    DeadlineExceeded,
    /// A caller-supplied argument is unusable (bad journal name, bad
    /// endpoint URL, ...).
    InvalidArgument(String),
    /// `get_journal` found no journal of that name.
    NamedJournalDoesNotExist {
        /// The journal as asked for.
        journal: String,
    },
    /// An AppendService append could not run because an operation it
    /// depended on failed with the inner error (`dependency failed: <err>`).
    DependencyFailed(Box<Error>),
    /// The broker does not have this RPC (gRPC `UNIMPLEMENTED`): it is older
    /// than the feature, e.g. FragmentStoreHealth before Gazette v0.100.
    Unsupported {
        /// The RPC, e.g. `FragmentStoreHealth`.
        rpc: String,
        /// The broker's own message.
        message: String,
    },
    /// A TLS or authorization failure: what failed (`kind`) and a message
    /// saying what to fix. Never carries a token, key or private key.
    Security {
        /// What failed.
        kind: SecurityFailure,
        /// What failed and how to fix it.
        message: String,
    },
}

impl Error {
    /// The error itself or, for an [`Error::Fragment`], the error inside it:
    /// what to match Go's named errors (`UnexpectedEof`, ...) against.
    pub fn cause(&self) -> &Error {
        match self {
            Error::Fragment { error, .. } => error.cause(),
            other => other,
        }
    }

    /// Maps a Gazette status to its error: `None` for OK, the named error
    /// where Go has one, else [`Error::Status`].
    ///
    /// `detail` is status specific: the "selector … doesn't match registers
    /// …" text for REGISTER_MISMATCH, the store's error text for
    /// FRAGMENT_STORE_UNHEALTHY; ignored otherwise.
    pub fn from_status(status: Status, detail: &str) -> Option<Error> {
        Some(match status {
            Status::Ok => return None,
            Status::NotJournalBroker => Error::NotJournalBroker,
            Status::NotJournalPrimaryBroker => Error::NotJournalPrimaryBroker,
            Status::OffsetNotYetAvailable => Error::OffsetNotYetAvailable,
            Status::RegisterMismatch => Error::RegisterMismatch {
                detail: detail.to_string(),
            },
            Status::WrongAppendOffset => Error::WrongAppendOffset,
            Status::InsufficientJournalBrokers => Error::InsufficientJournalBrokers,
            Status::JournalNotFound => Error::JournalNotFound,
            Status::NoJournalPrimaryBroker => Error::NoJournalPrimaryBroker,
            Status::Suspended => Error::Suspended,
            Status::IndexHasGreaterOffset => Error::IndexHasGreaterOffset,
            Status::NotAllowed => Error::NotAllowed,
            Status::FragmentStoreUnhealthy => Error::FragmentStoreUnhealthy {
                store_error: detail.to_string(),
            },
            other => Error::Status(other),
        })
    }

    /// Like [`Error::from_status`] for a raw wire value: an unknown value is a
    /// validation error "Status: invalid status (N)", as in Go.
    pub fn from_status_code(code: i32, detail: &str) -> Option<Error> {
        match Status::try_from(code) {
            Ok(status) => Error::from_status(status, detail),
            Err(_) => Some(Error::Validation(format!(
                "Status: invalid status ({code})"
            ))),
        }
    }

    /// Checks a raw status value, mapping anything but OK to its error.
    pub fn check_status(code: i32, detail: &str) -> Result<()> {
        match Error::from_status_code(code, detail) {
            None => Ok(()),
            Some(err) => Err(err),
        }
    }

    /// The Gazette status this error stands for, if it stands for one.
    pub fn status(&self) -> Option<Status> {
        Some(match self {
            Error::NotJournalBroker => Status::NotJournalBroker,
            Error::NotJournalPrimaryBroker => Status::NotJournalPrimaryBroker,
            Error::OffsetNotYetAvailable => Status::OffsetNotYetAvailable,
            Error::RegisterMismatch { .. } => Status::RegisterMismatch,
            Error::WrongAppendOffset => Status::WrongAppendOffset,
            Error::InsufficientJournalBrokers => Status::InsufficientJournalBrokers,
            Error::JournalNotFound => Status::JournalNotFound,
            Error::NoJournalPrimaryBroker => Status::NoJournalPrimaryBroker,
            Error::Suspended => Status::Suspended,
            Error::IndexHasGreaterOffset => Status::IndexHasGreaterOffset,
            Error::NotAllowed => Status::NotAllowed,
            Error::FragmentStoreUnhealthy { .. } => Status::FragmentStoreUnhealthy,
            Error::Status(status) => *status,
            _ => return None,
        })
    }

    /// The gRPC code, for [`Error::Grpc`].
    pub fn grpc_code(&self) -> Option<tonic::Code> {
        match self {
            Error::Grpc(status) => Some(status.code()),
            _ => None,
        }
    }

    /// True for transient failures that a fresh attempt of the same operation
    /// may get past: transport failures (gRPC `Unavailable`, or a broker
    /// aborting an append for not sustaining its minimum data rate) and
    /// routing statuses (no/not primary, not a member, too few brokers).
    ///
    /// The Go client's retry loops each use a narrower or wider rule of their
    /// own; `append` and the readers follow those rules, not this method.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::NotJournalBroker
            | Error::NotJournalPrimaryBroker
            | Error::NoJournalPrimaryBroker
            | Error::InsufficientJournalBrokers => true,
            Error::Security { kind, .. } => kind.is_retryable(),
            Error::Grpc(status) => match status.code() {
                tonic::Code::Unavailable => true,
                // Safe to retry: nothing committed (estuary/flow#3121).
                tonic::Code::Unknown => status
                    .message()
                    .contains("didn't sustain the minimum append data rate"),
                _ => false,
            },
            _ => false,
        }
    }

    /// True if this is a gRPC `Unavailable` error (a transport failure), or
    /// a connection the broker dropped under the RPC (see
    /// [`Error::is_dropped_connection`]).
    pub fn is_unavailable(&self) -> bool {
        self.grpc_code() == Some(tonic::Code::Unavailable) || self.is_dropped_connection()
    }

    /// True if the HTTP/2 connection went away under the RPC: the broker
    /// sent GOAWAY (a graceful stop, as when it restarts), reset the stream
    /// as refused, the socket failed, or the request was never sent because
    /// the connection was closing. tonic reports the GOAWAY case as
    /// `Internal` ("h2 protocol error"), but like grpc-go's "transport is
    /// closing" it is a transport failure worth retrying, not a broker's
    /// answer: the broker never sends it as a gRPC status.
    pub fn is_dropped_connection(&self) -> bool {
        let Error::Grpc(status) = self else {
            return false;
        };
        let mut source = std::error::Error::source(status);
        while let Some(err) = source {
            if let Some(hyper) = err.downcast_ref::<hyper::Error>() {
                // A request the closing connection never sent ("connection
                // was not ready", reported as Cancelled), or a connection
                // closed mid-message.
                if hyper.is_canceled() || hyper.is_closed() || hyper.is_incomplete_message() {
                    return true;
                }
            }
            // A write or read on a socket the broker closed, as h2 reports
            // it when the process stopped under a streaming request ("stream
            // closed because of a broken pipe", code Unknown). Other I/O
            // kinds (a TLS certificate's InvalidData, say) stay answers.
            if let Some(io) = err.downcast_ref::<std::io::Error>() {
                use std::io::ErrorKind::*;
                if matches!(
                    io.kind(),
                    BrokenPipe | ConnectionReset | ConnectionAborted | NotConnected | UnexpectedEof
                ) {
                    return true;
                }
            }
            if let Some(h2) = err.downcast_ref::<h2::Error>() {
                return h2.is_go_away()
                    || h2.is_io()
                    || h2.reason() == Some(h2::Reason::REFUSED_STREAM);
            }
            source = err.source();
        }
        false
    }

    /// True if the connection itself failed (dialing, a reset, a dropped
    /// HTTP/2 connection), as opposed to a broker that answered with a
    /// status. tonic attaches the transport error as the status's source
    /// only in the former case.
    pub fn is_transport_failure(&self) -> bool {
        match self {
            Error::Grpc(status) => {
                (status.code() == tonic::Code::Unavailable
                    && std::error::Error::source(status).is_some())
                    || self.is_dropped_connection()
            }
            _ => false,
        }
    }

    /// Prefixes a validation error's text with a context, as Go's
    /// `ExtendContext` / `errors.Wrap` do. Other errors pass unchanged.
    pub fn with_context(self, context: &str) -> Error {
        match self {
            Error::Validation(msg) => Error::Validation(format!("{context}: {msg}")),
            other => other,
        }
    }
}

/// Go's name for a gRPC code, as grpc-go prints it in error texts.
pub fn grpc_code_name(code: tonic::Code) -> &'static str {
    use tonic::Code::*;
    match code {
        Ok => "OK",
        Cancelled => "Canceled",
        Unknown => "Unknown",
        InvalidArgument => "InvalidArgument",
        DeadlineExceeded => "DeadlineExceeded",
        NotFound => "NotFound",
        AlreadyExists => "AlreadyExists",
        PermissionDenied => "PermissionDenied",
        ResourceExhausted => "ResourceExhausted",
        FailedPrecondition => "FailedPrecondition",
        Aborted => "Aborted",
        OutOfRange => "OutOfRange",
        Unimplemented => "Unimplemented",
        Internal => "Internal",
        Unavailable => "Unavailable",
        DataLoss => "DataLoss",
        Unauthenticated => "Unauthenticated",
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::RegisterMismatch { detail } if !detail.is_empty() => {
                write!(f, "{detail}: REGISTER_MISMATCH")
            }
            Error::FragmentStoreUnhealthy { store_error } if !store_error.is_empty() => {
                write!(f, "{store_error}: FRAGMENT_STORE_UNHEALTHY")
            }
            Error::OffsetJump => f.write_str("offset jump"),
            Error::SeekRequiresNewReader => f.write_str("seek offset requires new Reader"),
            Error::DidNotReadExpectedEof => {
                f.write_str("did not read EOF at expected Fragment.End")
            }
            Error::Grpc(status) => write!(
                f,
                "rpc error: code = {} desc = {}",
                grpc_code_name(status.code()),
                status.message()
            ),
            Error::Validation(msg) | Error::Protocol(msg) => f.write_str(msg),
            Error::MessageTooLarge { detail } => write!(
                f,
                "broker message too large for this client ({detail}): raise the client's \
                 max receive message size (ClientConfig::max_receive_message_size, \
                 gazette_config_set_max_message_size)"
            ),
            Error::FragmentFetch { status, url } => {
                write!(f, "!OK fetching ({status}, {url:?})")
            }
            Error::Http(msg) | Error::Codec(msg) | Error::InvalidArgument(msg) => f.write_str(msg),
            Error::Io(err) => write!(f, "{err}"),
            Error::Eof => f.write_str("EOF"),
            Error::UnexpectedEof => f.write_str("unexpected EOF"),
            Error::Fragment { fragment, error } => write!(f, "fragment {fragment}: {error}"),
            Error::Canceled => f.write_str("context canceled"),
            Error::DeadlineExceeded => f.write_str("context deadline exceeded"),
            Error::NamedJournalDoesNotExist { journal } => {
                write!(f, "named journal does not exist ({journal})")
            }
            Error::DependencyFailed(err) => write!(f, "dependency failed: {err}"),
            Error::Security { message, .. } => f.write_str(message),
            Error::Unsupported { rpc, message } => write!(
                f,
                "the broker does not support {rpc}: it is older than the Gazette release \
                 that added it ({message})"
            ),
            other => match other.status() {
                Some(status) => f.write_str(status.as_str_name()),
                None => unreachable!("every status-less variant is displayed above"),
            },
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Grpc(status) => Some(status),
            Error::Io(err) => Some(err.as_ref()),
            Error::Fragment { error, .. } => Some(error.as_ref()),
            _ => None,
        }
    }
}

impl From<tonic::Status> for Error {
    fn from(status: tonic::Status) -> Self {
        if let Some(security) = crate::security_errors::classify(&status) {
            return security;
        }
        if status.code() == tonic::Code::Unimplemented {
            // grpc-go: "unknown method <Rpc> for service protocol.Journal".
            let message = status.message().to_string();
            let rpc = message
                .strip_prefix("unknown method ")
                .and_then(|rest| rest.split_whitespace().next())
                .unwrap_or("this RPC")
                .to_string();
            return Error::Unsupported { rpc, message };
        }
        if status.code() == tonic::Code::OutOfRange
            && status
                .message()
                .starts_with("Error, decoded message length too large")
        {
            return Error::MessageTooLarge {
                detail: status.message().to_string(),
            };
        }
        Error::Grpc(status)
    }
}

impl From<crate::protocol::ValidationError> for Error {
    fn from(err: crate::protocol::ValidationError) -> Self {
        Error::Validation(err.to_string())
    }
}

impl From<std::io::Error> for Error {
    /// Unwraps an [`Error`] that was carried through `std::io` (e.g. by a
    /// `Read` impl); maps the EOF kinds to [`Error::UnexpectedEof`].
    fn from(err: std::io::Error) -> Self {
        if err.get_ref().is_some_and(|inner| inner.is::<Error>()) {
            let inner = err.into_inner().expect("checked above");
            return *inner.downcast::<Error>().expect("checked above");
        }
        match err.kind() {
            std::io::ErrorKind::UnexpectedEof => Error::UnexpectedEof,
            _ => Error::Io(Arc::new(err)),
        }
    }
}

impl From<Error> for std::io::Error {
    /// Carries the error through `std::io` whole, so `From<io::Error>` can
    /// recover it.
    fn from(err: Error) -> Self {
        use std::io::ErrorKind;
        let kind = match &err {
            Error::Eof | Error::UnexpectedEof => ErrorKind::UnexpectedEof,
            Error::Io(inner) => inner.kind(),
            Error::Canceled => ErrorKind::Interrupted,
            Error::DeadlineExceeded => ErrorKind::TimedOut,
            Error::Validation(_) | Error::InvalidArgument(_) => ErrorKind::InvalidInput,
            Error::Codec(_) | Error::DidNotReadExpectedEof | Error::Fragment { .. } => {
                ErrorKind::InvalidData
            }
            _ => ErrorKind::Other,
        };
        std::io::Error::new(kind, err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status_with_io(kind: std::io::ErrorKind) -> Error {
        let mut status = tonic::Status::unknown("transport error");
        status.set_source(std::sync::Arc::new(std::io::Error::new(
            kind,
            "stream closed",
        )));
        Error::Grpc(status)
    }

    #[test]
    fn a_closed_socket_under_the_rpc_is_a_dropped_connection() {
        use std::io::ErrorKind::*;
        for kind in [
            BrokenPipe,
            ConnectionReset,
            ConnectionAborted,
            NotConnected,
            UnexpectedEof,
        ] {
            let err = status_with_io(kind);
            assert!(err.is_dropped_connection(), "{kind:?}");
            assert!(err.is_unavailable(), "{kind:?}");
            assert!(err.is_transport_failure(), "{kind:?}");
        }
        for kind in [InvalidData, PermissionDenied, Other] {
            assert!(!status_with_io(kind).is_dropped_connection(), "{kind:?}");
        }
        assert!(!Error::Grpc(tonic::Status::unknown("transport error")).is_dropped_connection());
    }

    #[test]
    fn texts_match_go() {
        let cases: Vec<(Error, &str)> = vec![
            (Error::NotJournalBroker, "NOT_JOURNAL_BROKER"),
            (Error::NotJournalPrimaryBroker, "NOT_JOURNAL_PRIMARY_BROKER"),
            (Error::OffsetNotYetAvailable, "OFFSET_NOT_YET_AVAILABLE"),
            (
                Error::RegisterMismatch {
                    detail: String::new(),
                },
                "REGISTER_MISMATCH",
            ),
            (
                Error::RegisterMismatch {
                    detail: "selector a=b doesn't match registers c=d".into(),
                },
                "selector a=b doesn't match registers c=d: REGISTER_MISMATCH",
            ),
            (Error::WrongAppendOffset, "WRONG_APPEND_OFFSET"),
            (
                Error::InsufficientJournalBrokers,
                "INSUFFICIENT_JOURNAL_BROKERS",
            ),
            (Error::JournalNotFound, "JOURNAL_NOT_FOUND"),
            (Error::NoJournalPrimaryBroker, "NO_JOURNAL_PRIMARY_BROKER"),
            (Error::Suspended, "SUSPENDED"),
            (Error::IndexHasGreaterOffset, "INDEX_HAS_GREATER_OFFSET"),
            (Error::NotAllowed, "NOT_ALLOWED"),
            (
                Error::FragmentStoreUnhealthy {
                    store_error: "bucket gone".into(),
                },
                "bucket gone: FRAGMENT_STORE_UNHEALTHY",
            ),
            (Error::OffsetJump, "offset jump"),
            (
                Error::SeekRequiresNewReader,
                "seek offset requires new Reader",
            ),
            (
                Error::DidNotReadExpectedEof,
                "did not read EOF at expected Fragment.End",
            ),
            (
                Error::Status(Status::EtcdTransactionFailed),
                "ETCD_TRANSACTION_FAILED",
            ),
            (
                Error::Grpc(tonic::Status::unknown("potato")),
                "rpc error: code = Unknown desc = potato",
            ),
            (
                Error::FragmentFetch {
                    status: "404 Not Found".into(),
                    url: "file:///a/b".into(),
                },
                "!OK fetching (404 Not Found, \"file:///a/b\")",
            ),
            (Error::Eof, "EOF"),
            (Error::UnexpectedEof, "unexpected EOF"),
            (Error::Canceled, "context canceled"),
            (Error::DeadlineExceeded, "context deadline exceeded"),
            (
                Error::NamedJournalDoesNotExist {
                    journal: "does/not/exist".into(),
                },
                "named journal does not exist (does/not/exist)",
            ),
        ];
        for (err, text) in cases {
            assert_eq!(err.to_string(), text);
        }
    }

    #[test]
    fn status_round_trip() {
        for code in 0..=15 {
            let status = Status::try_from(code).unwrap();
            match Error::from_status(status, "x") {
                None => assert_eq!(status, Status::Ok),
                Some(err) => assert_eq!(err.status(), Some(status)),
            }
        }
        assert_eq!(
            Error::from_status_code(1000, "").unwrap().to_string(),
            "Status: invalid status (1000)"
        );
        assert!(Error::check_status(0, "").is_ok());
    }

    #[test]
    fn retryable() {
        assert!(Error::Grpc(tonic::Status::unavailable("x")).is_retryable());
        assert!(!Error::Grpc(tonic::Status::unknown("x")).is_retryable());
        assert!(Error::NoJournalPrimaryBroker.is_retryable());
        assert!(!Error::WrongAppendOffset.is_retryable());
        assert!(!Error::Canceled.is_retryable());
    }

    #[test]
    fn oversized_messages_are_named() {
        let tonic_text = "Error, decoded message length too large: found 4101 bytes, \
                          the limit is: 1024 bytes";
        let err = Error::from(tonic::Status::out_of_range(tonic_text));
        assert!(matches!(err, Error::MessageTooLarge { .. }), "{err:?}");
        assert!(err.to_string().contains("found 4101 bytes"));
        assert!(err.to_string().contains("max_receive_message_size"));
        // Other OUT_OF_RANGE answers stay gRPC errors.
        let other = Error::from(tonic::Status::out_of_range("offset"));
        assert_eq!(other.grpc_code(), Some(tonic::Code::OutOfRange));
    }

    #[test]
    fn io_round_trip() {
        let io: std::io::Error = Error::OffsetJump.into();
        assert!(matches!(Error::from(io), Error::OffsetJump));
        let eof = std::io::Error::from(std::io::ErrorKind::UnexpectedEof);
        assert!(matches!(Error::from(eof), Error::UnexpectedEof));
    }
}
