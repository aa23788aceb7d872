//! Status codes returned by every fallible C function.
//!
//! Values are explicit, grouped in ranges and append-only: a value is never
//! renumbered or reused, because C, Go and Ruby callers compile them in.
//! Retired values stay behind as comments.
//!
//! | range   | group |
//! |---------|-------|
//! | 0       | success |
//! | 1-99    | flow results that are not errors (would block, timed out, end of stream, offset jump, cancelled) |
//! | 100-199 | caller errors (bad arguments, wrong state, closed handle, forked process) |
//! | 200-299 | Gazette broker statuses: 200 + the wire value of `protocol.Status` |
//! | 300-399 | named client errors of the Go client that are not broker statuses |
//! | 400-499 | gRPC / transport failures: 400 + the gRPC code, plus 450 for connection failures |
//! | 500-599 | fragment fetch, HTTP and codec failures |
//! | 600-699 | TLS and authorization failures |
//! | 900-999 | library defects: internal error, caught panic |

use std::ffi::c_char;

/// A status code. `GAZETTE_STATUS_OK` (0) is success; see the range table at
/// the top of this header. Carried over the ABI as an `int32_t`; functions
/// that take a status as input take a plain `int32_t` so that any value is
/// safe to pass.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum gazette_status {
    /// Success.
    Ok = 0,

    // --- 1..99: flow results, not errors ---
    /// A zero timeout was given and the call could not complete without waiting.
    WouldBlock = 1,
    /// The timeout expired before the call could complete; the operation is
    /// still pending where the function's docs say so.
    TimedOut = 2,
    /// End of stream: a reader reached its end offset or the stream ended cleanly.
    EndOfStream = 3,
    /// The reader skipped forward (content before the new offset is gone or
    /// was never written); the new offset is available from the reader.
    OffsetJump = 4,
    /// The operation was cancelled from another thread.
    Cancelled = 5,

    // --- 100..199: caller errors ---
    /// An argument has an invalid value (bad journal name, bad selector, out-of-range number...).
    InvalidArgument = 100,
    /// A required pointer argument was NULL (or a NULL buffer came with a non-zero length).
    NullPointer = 101,
    /// A string argument is not valid UTF-8.
    InvalidUtf8 = 102,
    /// The object is not in a state that allows this call (for example, writing to a closed appender).
    InvalidState = 103,
    /// The owning client was closed or freed.
    Closed = 104,
    /// The handle was created in another process: this process is a `fork()` child.
    Forked = 105,
    /// The handle is in use by a call on another thread, and it takes one
    /// call at a time (a reader, an appender, an async append): nothing was
    /// done. Use each such handle from one thread at a time.
    Busy = 106,

    // --- 200..299: Gazette broker statuses (200 + wire value) ---
    /// Broker status JOURNAL_NOT_FOUND: the journal does not exist (or is not visible to the caller).
    JournalNotFound = 201,
    /// Broker status NO_JOURNAL_PRIMARY_BROKER: the journal has no primary broker right now.
    NoJournalPrimaryBroker = 202,
    /// Broker status NOT_JOURNAL_PRIMARY_BROKER: the broker is not the primary and may not proxy.
    NotJournalPrimaryBroker = 203,
    /// Broker status INSUFFICIENT_JOURNAL_BROKERS: too few brokers for the journal's replication.
    InsufficientJournalBrokers = 204,
    /// Broker status NOT_JOURNAL_BROKER: the broker is not a route member and may not proxy.
    NotJournalBroker = 205,
    /// Broker status OFFSET_NOT_YET_AVAILABLE: a non-blocking read found no content at the offset.
    OffsetNotYetAvailable = 206,
    /// Broker status WRONG_ROUTE (replication only).
    WrongRoute = 207,
    /// Broker status PROPOSAL_MISMATCH (replication only).
    ProposalMismatch = 208,
    /// Broker status ETCD_TRANSACTION_FAILED: an apply precondition (expected mod revision) failed.
    EtcdTransactionFailed = 209,
    /// Broker status NOT_ALLOWED: the journal's flags forbid the operation.
    NotAllowed = 210,
    /// Broker status WRONG_APPEND_OFFSET: the append offset is not the journal's write head.
    WrongAppendOffset = 211,
    /// Broker status INDEX_HAS_GREATER_OFFSET: the fragment index is beyond the replicated offset.
    IndexHasGreaterOffset = 212,
    /// Broker status REGISTER_MISMATCH: the append's register selector did not match.
    RegisterMismatch = 213,
    /// Broker status SUSPENDED: the journal is suspended.
    Suspended = 214,
    /// Broker status FRAGMENT_STORE_UNHEALTHY: the journal's primary fragment store is failing.
    FragmentStoreUnhealthy = 215,
    /// The broker sent a status value this library does not know.
    UnknownBrokerStatus = 299,

    // --- 300..399: named client errors ---
    /// A seek could not be served by the open fragment; a new reader is needed.
    SeekRequiresNewReader = 300,
    /// A fragment produced more bytes than its end offset promised.
    DidNotReadExpectedEof = 301,
    /// A fragment ended before its end offset.
    UnexpectedEof = 302,
    /// A journal looked up by name does not exist.
    JournalDoesNotExist = 303,
    /// A broker response failed validation.
    InvalidResponse = 304,
    /// An operation this one depended on failed.
    DependencyFailed = 305,
    /// The broker lacks the RPC (it answered gRPC UNIMPLEMENTED): it is older than the feature.
    Unsupported = 306,
    /// A broker message was larger than the client's receive limit
    /// (`gazette_config_set_max_message_size`); the RPC ended, the
    /// client stays usable.
    MessageTooLarge = 307,

    // --- 400..499: gRPC and transport (400 + gRPC code) ---
    /// gRPC CANCELLED.
    GrpcCancelled = 401,
    /// gRPC UNKNOWN (brokers report request validation failures this way).
    GrpcUnknown = 402,
    /// gRPC INVALID_ARGUMENT.
    GrpcInvalidArgument = 403,
    /// gRPC DEADLINE_EXCEEDED.
    GrpcDeadlineExceeded = 404,
    /// gRPC NOT_FOUND.
    GrpcNotFound = 405,
    /// gRPC ALREADY_EXISTS.
    GrpcAlreadyExists = 406,
    /// gRPC PERMISSION_DENIED.
    GrpcPermissionDenied = 407,
    /// gRPC RESOURCE_EXHAUSTED.
    GrpcResourceExhausted = 408,
    /// gRPC FAILED_PRECONDITION.
    GrpcFailedPrecondition = 409,
    /// gRPC ABORTED.
    GrpcAborted = 410,
    /// gRPC OUT_OF_RANGE.
    GrpcOutOfRange = 411,
    /// gRPC UNIMPLEMENTED.
    GrpcUnimplemented = 412,
    /// gRPC INTERNAL.
    GrpcInternal = 413,
    /// gRPC UNAVAILABLE (also: the broker could not be reached).
    GrpcUnavailable = 414,
    /// gRPC DATA_LOSS.
    GrpcDataLoss = 415,
    /// gRPC UNAUTHENTICATED.
    GrpcUnauthenticated = 416,
    /// A connection could not be made or broke outside of a gRPC call.
    Transport = 450,

    // --- 500..599: fragments, HTTP, codecs ---
    /// Fetching a fragment failed (non-200 HTTP status, missing file).
    FragmentFetch = 500,
    /// Reading fragment content failed with an I/O error.
    FragmentIo = 501,
    /// Decompressing fragment content failed.
    Codec = 502,
    /// A fragment URL has a scheme this library cannot open.
    UnsupportedUrl = 503,

    // --- 600..699: TLS and authorization ---
    /// TLS: the server's certificate is not signed by a trusted CA (set the CA bundle).
    TlsUntrustedCertificate = 600,
    /// TLS: the server's certificate is expired or not yet valid.
    TlsCertificateExpired = 601,
    /// TLS: the server's certificate does not name the host dialed (or the configured server name).
    TlsWrongHost = 602,
    /// TLS: the broker requires a client certificate and none was configured.
    TlsClientCertificateRequired = 603,
    /// TLS: the broker refused the client certificate.
    TlsClientCertificateRejected = 604,
    /// TLS: another handshake failure.
    TlsHandshake = 605,
    /// Authorization: the broker requires a token and the RPC had none.
    AuthTokenMissing = 610,
    /// Authorization: the token had expired (retried with a new one where the library retries).
    AuthTokenExpired = 611,
    /// Authorization: the token does not verify (wrong key, malformed).
    AuthTokenInvalid = 612,
    /// Authorization: the token lacks the capability the RPC needs.
    AuthCapabilityMissing = 613,
    /// Authorization: the application's token provider failed.
    AuthTokenProvider = 614,

    // --- 900..999: library defects ---
    /// An unexpected internal error.
    Internal = 900,
    /// A panic was caught at the C boundary. Please report it.
    Panic = 901,
}

/// Static facts about one status: its names and whether retrying may help.
struct Info {
    name: &'static str,
    text: &'static str,
    retryable: bool,
}

macro_rules! info {
    ($name:literal, $text:literal, $retry:expr) => {
        Info {
            name: concat!("GAZETTE_STATUS_", $name, "\0"),
            text: concat!($text, "\0"),
            retryable: $retry,
        }
    };
}

impl gazette_status {
    /// Every status, in value order (used for lookups and by tests).
    pub const ALL: &'static [gazette_status] = &[
        Self::Ok,
        Self::WouldBlock,
        Self::TimedOut,
        Self::EndOfStream,
        Self::OffsetJump,
        Self::Cancelled,
        Self::InvalidArgument,
        Self::NullPointer,
        Self::InvalidUtf8,
        Self::InvalidState,
        Self::Closed,
        Self::Forked,
        Self::Busy,
        Self::JournalNotFound,
        Self::NoJournalPrimaryBroker,
        Self::NotJournalPrimaryBroker,
        Self::InsufficientJournalBrokers,
        Self::NotJournalBroker,
        Self::OffsetNotYetAvailable,
        Self::WrongRoute,
        Self::ProposalMismatch,
        Self::EtcdTransactionFailed,
        Self::NotAllowed,
        Self::WrongAppendOffset,
        Self::IndexHasGreaterOffset,
        Self::RegisterMismatch,
        Self::Suspended,
        Self::FragmentStoreUnhealthy,
        Self::UnknownBrokerStatus,
        Self::SeekRequiresNewReader,
        Self::DidNotReadExpectedEof,
        Self::UnexpectedEof,
        Self::JournalDoesNotExist,
        Self::InvalidResponse,
        Self::DependencyFailed,
        Self::Unsupported,
        Self::MessageTooLarge,
        Self::GrpcCancelled,
        Self::GrpcUnknown,
        Self::GrpcInvalidArgument,
        Self::GrpcDeadlineExceeded,
        Self::GrpcNotFound,
        Self::GrpcAlreadyExists,
        Self::GrpcPermissionDenied,
        Self::GrpcResourceExhausted,
        Self::GrpcFailedPrecondition,
        Self::GrpcAborted,
        Self::GrpcOutOfRange,
        Self::GrpcUnimplemented,
        Self::GrpcInternal,
        Self::GrpcUnavailable,
        Self::GrpcDataLoss,
        Self::GrpcUnauthenticated,
        Self::Transport,
        Self::FragmentFetch,
        Self::FragmentIo,
        Self::Codec,
        Self::UnsupportedUrl,
        Self::TlsUntrustedCertificate,
        Self::TlsCertificateExpired,
        Self::TlsWrongHost,
        Self::TlsClientCertificateRequired,
        Self::TlsClientCertificateRejected,
        Self::TlsHandshake,
        Self::AuthTokenMissing,
        Self::AuthTokenExpired,
        Self::AuthTokenInvalid,
        Self::AuthCapabilityMissing,
        Self::AuthTokenProvider,
        Self::Internal,
        Self::Panic,
    ];

    /// Converts a raw value coming from C; unknown values give `None`
    /// (never transmute: an out-of-range enum is undefined behaviour).
    pub fn from_i32(v: i32) -> Option<Self> {
        Self::ALL.iter().copied().find(|s| *s as i32 == v)
    }

    /// Maps a Gazette wire status (`protocol::Status` as i32) to a status code.
    pub fn from_broker_status(wire: i32) -> Self {
        match wire {
            0 => Self::Ok,
            1..=15 => Self::from_i32(200 + wire).unwrap_or(Self::UnknownBrokerStatus),
            _ => Self::UnknownBrokerStatus,
        }
    }

    /// Maps a gRPC code (0..=16) to a status code.
    pub fn from_grpc_code(code: i32) -> Self {
        match code {
            0 => Self::Ok,
            1..=16 => Self::from_i32(400 + code).unwrap_or(Self::Internal),
            _ => Self::GrpcUnknown,
        }
    }

    fn info(self) -> Info {
        use gazette_status as S;
        match self {
            S::Ok => info!("OK", "success", false),
            S::WouldBlock => info!("WOULD_BLOCK", "operation would block", true),
            S::TimedOut => info!("TIMED_OUT", "timed out", true),
            S::EndOfStream => info!("END_OF_STREAM", "end of stream", false),
            S::OffsetJump => info!("OFFSET_JUMP", "offset jump", false),
            S::Cancelled => info!("CANCELLED", "cancelled", false),
            S::InvalidArgument => info!("INVALID_ARGUMENT", "invalid argument", false),
            S::NullPointer => info!("NULL_POINTER", "unexpected NULL pointer", false),
            S::InvalidUtf8 => info!("INVALID_UTF8", "string is not valid UTF-8", false),
            S::InvalidState => info!("INVALID_STATE", "invalid state for this call", false),
            S::Closed => info!("CLOSED", "client is closed", false),
            S::Forked => info!("FORKED", "handle used in a forked child process", false),
            S::Busy => info!("BUSY", "handle in use by a call on another thread", false),
            S::JournalNotFound => info!("JOURNAL_NOT_FOUND", "JOURNAL_NOT_FOUND", false),
            S::NoJournalPrimaryBroker => {
                info!(
                    "NO_JOURNAL_PRIMARY_BROKER",
                    "NO_JOURNAL_PRIMARY_BROKER", true
                )
            }
            S::NotJournalPrimaryBroker => {
                info!(
                    "NOT_JOURNAL_PRIMARY_BROKER",
                    "NOT_JOURNAL_PRIMARY_BROKER", true
                )
            }
            S::InsufficientJournalBrokers => info!(
                "INSUFFICIENT_JOURNAL_BROKERS",
                "INSUFFICIENT_JOURNAL_BROKERS", true
            ),
            S::NotJournalBroker => info!("NOT_JOURNAL_BROKER", "NOT_JOURNAL_BROKER", true),
            S::OffsetNotYetAvailable => {
                info!("OFFSET_NOT_YET_AVAILABLE", "OFFSET_NOT_YET_AVAILABLE", true)
            }
            S::WrongRoute => info!("WRONG_ROUTE", "WRONG_ROUTE", false),
            S::ProposalMismatch => info!("PROPOSAL_MISMATCH", "PROPOSAL_MISMATCH", false),
            S::EtcdTransactionFailed => {
                info!("ETCD_TRANSACTION_FAILED", "ETCD_TRANSACTION_FAILED", false)
            }
            S::NotAllowed => info!("NOT_ALLOWED", "NOT_ALLOWED", false),
            S::WrongAppendOffset => info!("WRONG_APPEND_OFFSET", "WRONG_APPEND_OFFSET", false),
            S::IndexHasGreaterOffset => {
                info!(
                    "INDEX_HAS_GREATER_OFFSET",
                    "INDEX_HAS_GREATER_OFFSET", false
                )
            }
            S::RegisterMismatch => info!("REGISTER_MISMATCH", "REGISTER_MISMATCH", false),
            S::Suspended => info!("SUSPENDED", "SUSPENDED", false),
            S::FragmentStoreUnhealthy => {
                info!(
                    "FRAGMENT_STORE_UNHEALTHY",
                    "FRAGMENT_STORE_UNHEALTHY", false
                )
            }
            S::UnknownBrokerStatus => {
                info!(
                    "UNKNOWN_BROKER_STATUS",
                    "broker sent an unknown status", false
                )
            }
            S::SeekRequiresNewReader => info!(
                "SEEK_REQUIRES_NEW_READER",
                "seek offset requires new Reader", false
            ),
            S::DidNotReadExpectedEof => info!(
                "DID_NOT_READ_EXPECTED_EOF",
                "did not read EOF at expected Fragment.End", false
            ),
            S::UnexpectedEof => info!("UNEXPECTED_EOF", "unexpected EOF", true),
            S::JournalDoesNotExist => {
                info!(
                    "JOURNAL_DOES_NOT_EXIST",
                    "named journal does not exist", false
                )
            }
            S::InvalidResponse => info!("INVALID_RESPONSE", "invalid broker response", false),
            S::DependencyFailed => info!("DEPENDENCY_FAILED", "dependency failed", false),
            S::MessageTooLarge => info!(
                "MESSAGE_TOO_LARGE",
                "broker message larger than the client accepts", false
            ),
            S::Unsupported => info!(
                "UNSUPPORTED",
                "not supported by this broker (too old)", false
            ),
            S::GrpcCancelled => info!("GRPC_CANCELLED", "gRPC: cancelled", false),
            S::GrpcUnknown => info!("GRPC_UNKNOWN", "gRPC: unknown error", false),
            S::GrpcInvalidArgument => {
                info!("GRPC_INVALID_ARGUMENT", "gRPC: invalid argument", false)
            }
            S::GrpcDeadlineExceeded => {
                info!("GRPC_DEADLINE_EXCEEDED", "gRPC: deadline exceeded", true)
            }
            S::GrpcNotFound => info!("GRPC_NOT_FOUND", "gRPC: not found", false),
            S::GrpcAlreadyExists => info!("GRPC_ALREADY_EXISTS", "gRPC: already exists", false),
            S::GrpcPermissionDenied => {
                info!("GRPC_PERMISSION_DENIED", "gRPC: permission denied", false)
            }
            S::GrpcResourceExhausted => {
                info!("GRPC_RESOURCE_EXHAUSTED", "gRPC: resource exhausted", true)
            }
            S::GrpcFailedPrecondition => {
                info!(
                    "GRPC_FAILED_PRECONDITION",
                    "gRPC: failed precondition", false
                )
            }
            S::GrpcAborted => info!("GRPC_ABORTED", "gRPC: aborted", true),
            S::GrpcOutOfRange => info!("GRPC_OUT_OF_RANGE", "gRPC: out of range", false),
            S::GrpcUnimplemented => info!("GRPC_UNIMPLEMENTED", "gRPC: unimplemented", false),
            S::GrpcInternal => info!("GRPC_INTERNAL", "gRPC: internal error", false),
            S::GrpcUnavailable => info!("GRPC_UNAVAILABLE", "gRPC: unavailable", true),
            S::GrpcDataLoss => info!("GRPC_DATA_LOSS", "gRPC: data loss", false),
            S::GrpcUnauthenticated => {
                info!("GRPC_UNAUTHENTICATED", "gRPC: unauthenticated", false)
            }
            S::Transport => info!("TRANSPORT", "transport error", true),
            S::FragmentFetch => info!("FRAGMENT_FETCH", "fragment fetch failed", true),
            S::FragmentIo => info!("FRAGMENT_IO", "fragment I/O error", true),
            S::Codec => info!("CODEC", "fragment decompression failed", false),
            S::UnsupportedUrl => {
                info!("UNSUPPORTED_URL", "unsupported fragment URL scheme", false)
            }
            S::TlsUntrustedCertificate => info!(
                "TLS_UNTRUSTED_CERTIFICATE",
                "TLS: the server's certificate is not signed by a trusted CA", false
            ),
            S::TlsCertificateExpired => info!(
                "TLS_CERTIFICATE_EXPIRED",
                "TLS: the server's certificate is expired or not yet valid", false
            ),
            S::TlsWrongHost => info!(
                "TLS_WRONG_HOST",
                "TLS: the server's certificate does not name the host", false
            ),
            S::TlsClientCertificateRequired => info!(
                "TLS_CLIENT_CERTIFICATE_REQUIRED",
                "TLS: the broker requires a client certificate", false
            ),
            S::TlsClientCertificateRejected => info!(
                "TLS_CLIENT_CERTIFICATE_REJECTED",
                "TLS: the broker refused the client certificate", false
            ),
            S::TlsHandshake => info!("TLS_HANDSHAKE", "TLS: handshake failed", false),
            S::AuthTokenMissing => info!(
                "AUTH_TOKEN_MISSING",
                "authorization: the broker requires a token", false
            ),
            S::AuthTokenExpired => info!(
                "AUTH_TOKEN_EXPIRED",
                "authorization: the token had expired", true
            ),
            S::AuthTokenInvalid => info!(
                "AUTH_TOKEN_INVALID",
                "authorization: the token does not verify", false
            ),
            S::AuthCapabilityMissing => info!(
                "AUTH_CAPABILITY_MISSING",
                "authorization: the token lacks the capability", false
            ),
            S::AuthTokenProvider => info!(
                "AUTH_TOKEN_PROVIDER",
                "authorization: the token provider failed", false
            ),
            S::Internal => info!("INTERNAL", "internal error", false),
            S::Panic => info!("PANIC", "panic caught at the C boundary", false),
        }
    }

    /// The constant's name, e.g. `"GAZETTE_STATUS_OK"`.
    pub fn name(self) -> &'static str {
        let n = self.info().name;
        &n[..n.len() - 1]
    }

    /// A short English description.
    pub fn text(self) -> &'static str {
        let t = self.info().text;
        &t[..t.len() - 1]
    }

    /// Whether repeating the same call later may succeed.
    pub fn is_retryable(self) -> bool {
        self.info().retryable
    }
}

/// The name of a status constant, e.g. `"GAZETTE_STATUS_TIMED_OUT"`, or
/// `"GAZETTE_STATUS_UNKNOWN"` for a value this library does not define.
///
/// Returns a static NUL-terminated string: never free it. Thread-safe.
#[no_mangle]
pub extern "C" fn gazette_status_name(status: i32) -> *const c_char {
    ffi_boundary!({
        match gazette_status::from_i32(status) {
            Some(s) => s.info().name.as_ptr().cast(),
            None => c"GAZETTE_STATUS_UNKNOWN".as_ptr(),
        }
    })
}

/// A short English description of a status, e.g. `"timed out"`, or
/// `"unknown status"` for a value this library does not define. Use the
/// error object (`gazette_error_message`) for the details of one failure.
///
/// Returns a static NUL-terminated string: never free it. Thread-safe.
#[no_mangle]
pub extern "C" fn gazette_status_str(status: i32) -> *const c_char {
    ffi_boundary!({
        match gazette_status::from_i32(status) {
            Some(s) => s.info().text.as_ptr().cast(),
            None => c"unknown status".as_ptr(),
        }
    })
}

/// The number of status values this library defines (for bindings that
/// build their own tables: walk `gazette_status_at(0 .. count)` and ask
/// `gazette_status_name`, `_str` and `_is_retryable` of each). Thread-safe.
#[no_mangle]
pub extern "C" fn gazette_status_count() -> usize {
    ffi_boundary!({ gazette_status::ALL.len() })
}

/// The `i`-th status value this library defines, in ascending order, for
/// `i` in `0 .. gazette_status_count()`; -1 past the end. Thread-safe.
#[no_mangle]
pub extern "C" fn gazette_status_at(i: usize) -> i32 {
    ffi_boundary!({ gazette_status::ALL.get(i).map_or(-1, |s| *s as i32) })
}

/// Whether repeating the same call later may succeed: true for transient
/// broker conditions (no primary, not a route member, too few brokers),
/// unavailable brokers, transport failures, timeouts and would-block results.
/// False for success, unknown values and permanent errors. Thread-safe.
#[no_mangle]
pub extern "C" fn gazette_status_is_retryable(status: i32) -> bool {
    ffi_boundary!({ gazette_status::from_i32(status).is_some_and(|s| s.is_retryable()) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn values_are_unique_sorted_and_round_trip() {
        let mut prev = -1;
        for s in gazette_status::ALL {
            assert!((*s as i32) > prev, "{s:?} out of order");
            prev = *s as i32;
            assert_eq!(gazette_status::from_i32(*s as i32), Some(*s));
        }
        assert_eq!(gazette_status::from_i32(6), None);
        assert_eq!(gazette_status::from_i32(-1), None);
    }

    #[test]
    fn pinned_values_never_change() {
        // Compiled into callers: a change here breaks the ABI.
        assert_eq!(gazette_status::Ok as i32, 0);
        assert_eq!(gazette_status::TimedOut as i32, 2);
        assert_eq!(gazette_status::EndOfStream as i32, 3);
        assert_eq!(gazette_status::NullPointer as i32, 101);
        assert_eq!(gazette_status::Forked as i32, 105);
        assert_eq!(gazette_status::Busy as i32, 106);
        assert_eq!(gazette_status::MessageTooLarge as i32, 307);
        assert_eq!(gazette_status::JournalNotFound as i32, 201);
        assert_eq!(gazette_status::FragmentStoreUnhealthy as i32, 215);
        assert_eq!(gazette_status::GrpcUnavailable as i32, 414);
        assert_eq!(gazette_status::Panic as i32, 901);
    }

    #[test]
    fn broker_and_grpc_codes_map_by_offset() {
        for wire in 1..=15 {
            let s = gazette_status::from_broker_status(wire);
            assert_eq!(s as i32, 200 + wire);
        }
        assert_eq!(gazette_status::from_broker_status(0), gazette_status::Ok);
        assert_eq!(
            gazette_status::from_broker_status(16),
            gazette_status::UnknownBrokerStatus
        );
        for code in 1..=16 {
            assert_eq!(gazette_status::from_grpc_code(code) as i32, 400 + code);
        }
    }

    #[test]
    fn names_match_the_header_constants() {
        for s in gazette_status::ALL {
            let name = unsafe { CStr::from_ptr(gazette_status_name(*s as i32)) };
            assert_eq!(name.to_str().unwrap(), s.name());
            assert!(s.name().starts_with("GAZETTE_STATUS_"));
            let text = unsafe { CStr::from_ptr(gazette_status_str(*s as i32)) };
            assert!(!text.to_bytes().is_empty());
        }
        let unknown = unsafe { CStr::from_ptr(gazette_status_name(12345)) };
        assert_eq!(unknown.to_str().unwrap(), "GAZETTE_STATUS_UNKNOWN");
        let broker = unsafe { CStr::from_ptr(gazette_status_str(211)) };
        assert_eq!(broker.to_str().unwrap(), "WRONG_APPEND_OFFSET");
    }

    #[test]
    fn retryable_classification() {
        assert!(gazette_status_is_retryable(
            gazette_status::GrpcUnavailable as i32
        ));
        assert!(gazette_status_is_retryable(
            gazette_status::NoJournalPrimaryBroker as i32
        ));
        assert!(!gazette_status_is_retryable(
            gazette_status::WrongAppendOffset as i32
        ));
        assert!(!gazette_status_is_retryable(0));
        assert!(!gazette_status_is_retryable(777));
    }
}
