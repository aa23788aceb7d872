//! The owned error object (`gazette_error`) and the internal error type that
//! fallible exports produce.
//!
//! No thread-local "last error": a failure is reported by the returned status
//! and, when the caller asks for it, an error object written to its
//! `gazette_error **err` out-parameter. Go goroutines and Ruby threads move
//! between OS threads, so per-thread state would be read on the wrong one.

use std::ffi::{c_char, CString};
use std::panic;

use super::ownership::{free_box, opt_ref, with_ref};
use super::status::gazette_status;

/// An error reported by a fallible call: a status, a message with the
/// details of this failure, the gRPC code when the failure came from gRPC,
/// and whether retrying may help.
///
/// Owned by the caller, who frees it with `gazette_error_free`. Immutable:
/// its accessors may be called from any thread, concurrently.
pub struct gazette_error {
    status: gazette_status,
    message: CString,
    grpc_code: i32,
    retryable: bool,
}

/// What the body of a fallible export evaluates to: OK or a flow status, or
/// an error.
pub type FfiResult = Result<gazette_status, FfiError>;

/// The internal error of a fallible export, turned into a `gazette_error`
/// only when the caller asked for one.
#[derive(Debug, Clone)]
pub struct FfiError {
    /// The status returned to C.
    pub status: gazette_status,
    /// Details for this failure.
    pub message: String,
    /// The gRPC code, or -1 when the failure did not come from gRPC.
    pub grpc_code: i32,
    /// Whether retrying may help; defaults from the status.
    pub retryable: bool,
}

impl FfiError {
    /// Names the journal in a broker status's message ("JOURNAL_NOT_FOUND:
    /// journal a/b"), since a bare status name doesn't say what it concerns.
    pub fn for_journal(mut self, journal: &str) -> Self {
        let code = self.status as i32;
        if (200..300).contains(&code) && !self.message.contains(journal) {
            self.message = format!("{}: journal {journal}", self.message);
        }
        self
    }

    /// An error with a status and a message.
    pub fn new(status: gazette_status, message: impl Into<String>) -> Self {
        FfiError {
            status,
            message: message.into(),
            grpc_code: -1,
            retryable: status.is_retryable(),
        }
    }

    /// A NULL pointer was passed for the named argument.
    pub fn null(arg: &str) -> Self {
        Self::new(gazette_status::NullPointer, format!("{arg} is NULL"))
    }

    /// An invalid argument value.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(gazette_status::InvalidArgument, message)
    }

    /// The client is closed.
    pub fn closed() -> Self {
        Self::new(gazette_status::Closed, "the client is closed")
    }

    /// A gRPC status.
    pub fn grpc(code: i32, message: impl Into<String>) -> Self {
        let mut e = Self::new(gazette_status::from_grpc_code(code), message);
        e.grpc_code = code;
        e
    }

    pub(crate) fn into_object(self) -> gazette_error {
        gazette_error {
            status: self.status,
            message: to_cstring(self.message),
            grpc_code: self.grpc_code,
            retryable: self.retryable,
        }
    }
}

impl From<gazette::Error> for FfiError {
    fn from(err: gazette::Error) -> Self {
        use gazette::Error as E;
        let message = err.to_string();
        let retryable = err.is_retryable();
        let status = match &err {
            E::Grpc(s) => {
                let mut e = FfiError::grpc(s.code() as i32, message);
                e.retryable = retryable;
                return e;
            }
            E::OffsetJump => gazette_status::OffsetJump,
            E::SeekRequiresNewReader => gazette_status::SeekRequiresNewReader,
            E::DidNotReadExpectedEof => gazette_status::DidNotReadExpectedEof,
            E::Validation(_) | E::Protocol(_) => gazette_status::InvalidResponse,
            E::MessageTooLarge { .. } => gazette_status::MessageTooLarge,
            E::FragmentFetch { .. } | E::Http(_) => gazette_status::FragmentFetch,
            E::Codec(_) => gazette_status::Codec,
            E::Io(_) => gazette_status::FragmentIo,
            E::Eof => gazette_status::EndOfStream,
            E::UnexpectedEof => gazette_status::UnexpectedEof,
            E::Canceled => gazette_status::Cancelled,
            E::DependencyFailed(_) => gazette_status::DependencyFailed,
            E::Unsupported { .. } => gazette_status::Unsupported,
            E::DeadlineExceeded => gazette_status::TimedOut,
            E::InvalidArgument(_) => gazette_status::InvalidArgument,
            E::NamedJournalDoesNotExist { .. } => gazette_status::JournalDoesNotExist,
            // The inner error's status, with the text naming the fragment.
            E::Fragment { error, .. } => {
                let mut e = FfiError::from((**error).clone());
                e.message = message;
                return e;
            }
            E::Security { kind, .. } => security_status(*kind),
            other => match other.status() {
                Some(st) => gazette_status::from_broker_status(st as i32),
                None => gazette_status::Internal,
            },
        };
        let mut e = FfiError::new(status, message);
        e.retryable = retryable || status.is_retryable();
        e
    }
}

/// The status of a TLS or authorization failure.
fn security_status(kind: gazette::SecurityFailure) -> gazette_status {
    use gazette::SecurityFailure as K;
    match kind {
        K::UntrustedCertificate => gazette_status::TlsUntrustedCertificate,
        K::CertificateExpired => gazette_status::TlsCertificateExpired,
        K::WrongHost => gazette_status::TlsWrongHost,
        K::ClientCertificateRequired => gazette_status::TlsClientCertificateRequired,
        K::ClientCertificateRejected => gazette_status::TlsClientCertificateRejected,
        K::TokenMissing => gazette_status::AuthTokenMissing,
        K::TokenExpired => gazette_status::AuthTokenExpired,
        K::TokenInvalid => gazette_status::AuthTokenInvalid,
        K::CapabilityMissing => gazette_status::AuthCapabilityMissing,
        K::TokenProvider => gazette_status::AuthTokenProvider,
        _ => gazette_status::TlsHandshake,
    }
}

impl From<gazette::protocol::ValidationError> for FfiError {
    fn from(err: gazette::protocol::ValidationError) -> Self {
        FfiError::invalid(err.to_string())
    }
}

impl std::fmt::Display for FfiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.status.name(), self.message)
    }
}

impl std::error::Error for FfiError {}

/// Makes a C string, replacing interior NULs (server text may carry them).
pub fn to_cstring(s: String) -> CString {
    CString::new(s).unwrap_or_else(|e| {
        let cleaned: Vec<u8> = e
            .into_vec()
            .into_iter()
            .map(|b| if b == 0 { b'?' } else { b })
            .collect();
        CString::new(cleaned).expect("NULs were replaced")
    })
}

/// Sets `*err = NULL` when `err` is non-NULL (start of every fallible call).
pub fn clear_out(err: *mut *mut gazette_error) {
    if !err.is_null() {
        // SAFETY: the caller passes a valid `gazette_error **` or NULL.
        unsafe { *err = std::ptr::null_mut() };
    }
}

/// Ends a fallible call: maps its result (or caught panic) to a status and
/// writes an error object when one is wanted.
pub fn finish(
    err: *mut *mut gazette_error,
    result: std::thread::Result<Result<gazette_status, FfiError>>,
) -> gazette_status {
    let failure = match result {
        Ok(Ok(status)) => return status,
        Ok(Err(e)) => e,
        Err(payload) => FfiError::new(
            gazette_status::Panic,
            format!(
                "panic in libgazette: {}",
                super::panic::payload_message(&*payload)
            ),
        ),
    };
    let status = failure.status;
    if !err.is_null() {
        // Building the object allocates; never let that unwind into C.
        if let Ok(obj) = panic::catch_unwind(|| Box::new(failure.into_object())) {
            // SAFETY: `err` is a valid `gazette_error **` (checked non-NULL).
            unsafe { *err = Box::into_raw(obj) };
        }
    }
    status
}

/// Test helper: the message of an error object.
///
/// # Safety
/// `e` must be a live error object.
#[cfg(test)]
pub unsafe fn message_of(e: *const gazette_error) -> String {
    (*e).message.to_string_lossy().into_owned()
}

/// The error's status. `GAZETTE_STATUS_NULL_POINTER` for a NULL error.
#[no_mangle]
pub extern "C" fn gazette_error_status(err: *const gazette_error) -> gazette_status {
    ffi_boundary!({
        match opt_ref(err) {
            Some(e) => e.status,
            None => gazette_status::NullPointer,
        }
    })
}

/// The error's message: NUL-terminated UTF-8, valid until the error is freed.
/// Never NULL: an empty string for a NULL error.
#[no_mangle]
pub extern "C" fn gazette_error_message(err: *const gazette_error) -> *const c_char {
    ffi_boundary!({
        match opt_ref(err) {
            Some(e) => e.message.as_ptr(),
            None => c"".as_ptr(),
        }
    })
}

/// The gRPC status code (0..16) when the failure came from a gRPC call,
/// otherwise (or for a NULL error) -1.
#[no_mangle]
pub extern "C" fn gazette_error_grpc_code(err: *const gazette_error) -> i32 {
    ffi_boundary!({ with_ref(err, -1, |e| e.grpc_code) })
}

/// Whether repeating the failed call later may succeed (false for NULL).
#[no_mangle]
pub extern "C" fn gazette_error_is_retryable(err: *const gazette_error) -> bool {
    ffi_boundary!({ opt_ref(err).is_some_and(|e| e.retryable) })
}

/// Takes ownership of an error object and frees it. NULL is a no-op.
/// Call exactly once per error, from any thread.
#[no_mangle]
pub extern "C" fn gazette_error_free(err: *mut gazette_error) {
    ffi_boundary!({
        free_box(err);
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    fn fails(err: *mut *mut gazette_error, e: FfiError) -> gazette_status {
        ffi_status!(err, { Err(e) })
    }

    #[test]
    fn error_object_carries_status_message_and_code() {
        let mut err: *mut gazette_error = 0x1 as *mut _; // must be overwritten
        let st = fails(&mut err, FfiError::grpc(14, "broker down\0with nul"));
        assert_eq!(st, gazette_status::GrpcUnavailable);
        assert!(!err.is_null());
        assert_eq!(gazette_error_status(err), gazette_status::GrpcUnavailable);
        assert_eq!(gazette_error_grpc_code(err), 14);
        assert!(gazette_error_is_retryable(err));
        let msg = unsafe { CStr::from_ptr(gazette_error_message(err)) };
        assert_eq!(msg.to_str().unwrap(), "broker down?with nul");
        gazette_error_free(err);
    }

    #[test]
    fn success_clears_the_out_parameter_and_null_err_is_fine() {
        let mut err: *mut gazette_error = 0x1 as *mut _;
        let st = ffi_status!(&mut err, { Ok(gazette_status::TimedOut) });
        assert_eq!(st, gazette_status::TimedOut);
        assert!(err.is_null());
        let st = fails(std::ptr::null_mut(), FfiError::invalid("x"));
        assert_eq!(st, gazette_status::InvalidArgument);
    }

    #[test]
    fn accessors_are_null_safe() {
        assert_eq!(
            gazette_error_status(std::ptr::null()),
            gazette_status::NullPointer
        );
        assert_eq!(gazette_error_grpc_code(std::ptr::null()), -1);
        assert!(!gazette_error_is_retryable(std::ptr::null()));
        let msg = unsafe { CStr::from_ptr(gazette_error_message(std::ptr::null())) };
        assert!(msg.to_bytes().is_empty());
        gazette_error_free(std::ptr::null_mut());
    }

    #[test]
    fn client_errors_map_to_statuses() {
        use gazette::Error as E;
        let e = FfiError::from(E::WrongAppendOffset);
        assert_eq!(e.status, gazette_status::WrongAppendOffset);
        assert_eq!(e.message, "WRONG_APPEND_OFFSET");
        assert!(!e.retryable);
        let e = FfiError::from(E::NoJournalPrimaryBroker);
        assert_eq!(e.status, gazette_status::NoJournalPrimaryBroker);
        assert!(e.retryable);
        let e = FfiError::from(E::Grpc(tonic::Status::unavailable("down")));
        assert_eq!(e.status, gazette_status::GrpcUnavailable);
        assert_eq!(e.grpc_code, 14);
        assert!(e.retryable);
        let e = FfiError::from(E::FragmentStoreUnhealthy {
            store_error: "disk full".into(),
        });
        assert_eq!(e.status, gazette_status::FragmentStoreUnhealthy);
        assert_eq!(e.message, "disk full: FRAGMENT_STORE_UNHEALTHY");
        let e = FfiError::from(E::Status(gazette::protocol::Status::EtcdTransactionFailed));
        assert_eq!(e.status, gazette_status::EtcdTransactionFailed);
        let e = FfiError::from(E::NamedJournalDoesNotExist {
            journal: "a/b".into(),
        });
        assert_eq!(e.status, gazette_status::JournalDoesNotExist);
        assert_eq!(e.message, "named journal does not exist (a/b)");
        assert_eq!(
            FfiError::from(E::OffsetJump).status,
            gazette_status::OffsetJump
        );
        assert_eq!(
            FfiError::from(E::SeekRequiresNewReader).status,
            gazette_status::SeekRequiresNewReader
        );
    }
}
