package gazette

/*
#include <gazette.h>
*/
import "C"

import (
	"strings"
)

// Error is a failed call: its gazette_status and the library's message.
// errors.Is matches it against the Err* values by status.
type Error struct {
	Status  int
	Message string
}

func (e *Error) Error() string {
	msg := "gazette: " + StatusName(e.Status)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if h, ok := securityHints[e.Status]; ok {
		msg += " (Go: " + h + ")"
	}
	return msg
}

// Is reports whether target is an *Error with the same status.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Status == e.Status
}

// Retryable reports whether the library considers the status transient.
func (e *Error) Retryable() bool { return bool(C.gazette_status_is_retryable(C.int32_t(e.Status))) }

// StatusName is the status constant's name without prefix, e.g. "OFFSET_JUMP".
func StatusName(status int) string {
	return strings.TrimPrefix(gostr(C.gazette_status_name(C.int32_t(status))), "GAZETTE_STATUS_")
}

func named(s C.gazette_status) *Error { return &Error{Status: int(s)} }

// Named errors, mirroring the Go client's and the broker's statuses.
var (
	ErrWouldBlock      = named(C.GAZETTE_STATUS_WOULD_BLOCK)
	ErrTimedOut        = named(C.GAZETTE_STATUS_TIMED_OUT)
	ErrOffsetJump      = named(C.GAZETTE_STATUS_OFFSET_JUMP)
	ErrCancelled       = named(C.GAZETTE_STATUS_CANCELLED)
	ErrInvalidArgument = named(C.GAZETTE_STATUS_INVALID_ARGUMENT)
	ErrInvalidState    = named(C.GAZETTE_STATUS_INVALID_STATE)
	ErrClosed          = named(C.GAZETTE_STATUS_CLOSED)
	// ErrBusy: a reader, appender or async append was called from two
	// goroutines' C calls at once (the binding's own types serialize theirs).
	ErrBusy                       = named(C.GAZETTE_STATUS_BUSY)
	ErrJournalNotFound            = named(C.GAZETTE_STATUS_JOURNAL_NOT_FOUND)
	ErrNoJournalPrimaryBroker     = named(C.GAZETTE_STATUS_NO_JOURNAL_PRIMARY_BROKER)
	ErrNotJournalPrimaryBroker    = named(C.GAZETTE_STATUS_NOT_JOURNAL_PRIMARY_BROKER)
	ErrInsufficientJournalBrokers = named(C.GAZETTE_STATUS_INSUFFICIENT_JOURNAL_BROKERS)
	ErrNotJournalBroker           = named(C.GAZETTE_STATUS_NOT_JOURNAL_BROKER)
	ErrOffsetNotYetAvailable      = named(C.GAZETTE_STATUS_OFFSET_NOT_YET_AVAILABLE)
	ErrEtcdTransactionFailed      = named(C.GAZETTE_STATUS_ETCD_TRANSACTION_FAILED)
	ErrNotAllowed                 = named(C.GAZETTE_STATUS_NOT_ALLOWED)
	ErrWrongAppendOffset          = named(C.GAZETTE_STATUS_WRONG_APPEND_OFFSET)
	ErrRegisterMismatch           = named(C.GAZETTE_STATUS_REGISTER_MISMATCH)
	ErrSuspended                  = named(C.GAZETTE_STATUS_SUSPENDED)
	ErrFragmentStoreUnhealthy     = named(C.GAZETTE_STATUS_FRAGMENT_STORE_UNHEALTHY)
	ErrSeekRequiresNewReader      = named(C.GAZETTE_STATUS_SEEK_REQUIRES_NEW_READER)
	ErrDidNotReadExpectedEOF      = named(C.GAZETTE_STATUS_DID_NOT_READ_EXPECTED_EOF)
	ErrUnexpectedEOF              = named(C.GAZETTE_STATUS_UNEXPECTED_EOF)
	ErrJournalDoesNotExist        = named(C.GAZETTE_STATUS_JOURNAL_DOES_NOT_EXIST)
	ErrDependencyFailed           = named(C.GAZETTE_STATUS_DEPENDENCY_FAILED)
	// ErrMessageTooLarge: a broker message exceeded the client's receive limit.
	ErrMessageTooLarge = named(C.GAZETTE_STATUS_MESSAGE_TOO_LARGE)
	ErrUnavailable     = named(C.GAZETTE_STATUS_GRPC_UNAVAILABLE)
	ErrTransport       = named(C.GAZETTE_STATUS_TRANSPORT)
	// ErrUnsupported: the broker is older than the release that added the RPC.
	ErrUnsupported = named(C.GAZETTE_STATUS_UNSUPPORTED)
	// Refusals by a broker that are not one of the security failures below.
	ErrUnauthenticated  = named(C.GAZETTE_STATUS_GRPC_UNAUTHENTICATED)
	ErrPermissionDenied = named(C.GAZETTE_STATUS_GRPC_PERMISSION_DENIED)
)

// Security failures (TLS and authorization), one per status 600-614. Each
// error's text is the library's message saying what to fix, followed by
// the Config field to look at.
var (
	// The broker's certificate is not signed by a trusted CA.
	ErrTLSUntrustedCertificate = named(C.GAZETTE_STATUS_TLS_UNTRUSTED_CERTIFICATE)
	// The broker's certificate is expired or not yet valid.
	ErrTLSCertificateExpired = named(C.GAZETTE_STATUS_TLS_CERTIFICATE_EXPIRED)
	// The broker's certificate does not name the host dialed (or TLSServerName).
	ErrTLSWrongHost = named(C.GAZETTE_STATUS_TLS_WRONG_HOST)
	// The broker requires a client certificate and none was configured.
	ErrTLSClientCertificateRequired = named(C.GAZETTE_STATUS_TLS_CLIENT_CERTIFICATE_REQUIRED)
	// The broker refused the client certificate.
	ErrTLSClientCertificateRejected = named(C.GAZETTE_STATUS_TLS_CLIENT_CERTIFICATE_REJECTED)
	// Another TLS handshake failure.
	ErrTLSHandshake = named(C.GAZETTE_STATUS_TLS_HANDSHAKE)
	// The broker requires a token and the RPC had none.
	ErrAuthTokenMissing = named(C.GAZETTE_STATUS_AUTH_TOKEN_MISSING)
	// The token had expired (retryable: retried with a new token where the
	// library retries).
	ErrAuthTokenExpired = named(C.GAZETTE_STATUS_AUTH_TOKEN_EXPIRED)
	// The token does not verify (wrong key, malformed).
	ErrAuthTokenInvalid = named(C.GAZETTE_STATUS_AUTH_TOKEN_INVALID)
	// The token lacks the capability the RPC needs.
	ErrAuthCapabilityMissing = named(C.GAZETTE_STATUS_AUTH_CAPABILITY_MISSING)
	// Config.TokenProvider failed (returned an error, panicked, or gave an
	// empty or malformed token).
	ErrAuthTokenProvider = named(C.GAZETTE_STATUS_AUTH_TOKEN_PROVIDER)
)

// securityHints name the Config fields behind each security failure; the
// library's own message names the C functions.
var securityHints = map[int]string{
	int(C.GAZETTE_STATUS_TLS_UNTRUSTED_CERTIFICATE):       "set Config.TLSCAFile or TLSCAPEM to the CA that issued the brokers' certificates",
	int(C.GAZETTE_STATUS_TLS_CERTIFICATE_EXPIRED):         "the broker's certificate must be renewed, or this machine's clock is wrong",
	int(C.GAZETTE_STATUS_TLS_WRONG_HOST):                  "dial a name the certificate lists, or set Config.TLSServerName",
	int(C.GAZETTE_STATUS_TLS_CLIENT_CERTIFICATE_REQUIRED): "set Config.TLSClientCertPEM and TLSClientKeyPEM",
	int(C.GAZETTE_STATUS_TLS_CLIENT_CERTIFICATE_REJECTED): "use a client certificate issued by a CA in the broker's --tls-client-ca (Config.TLSClientCertPEM)",
	int(C.GAZETTE_STATUS_TLS_HANDSHAKE):                   "check that the endpoint serves TLS and the Config.TLS* fields",
	int(C.GAZETTE_STATUS_AUTH_TOKEN_MISSING):              "set Config.AuthKeys to the brokers' --auth-keys, or Config.TokenProvider",
	int(C.GAZETTE_STATUS_AUTH_TOKEN_EXPIRED):              "give Config.TokenProvider's tokens a longer life (Token.ValidFor, exp), or check the clocks",
	int(C.GAZETTE_STATUS_AUTH_TOKEN_INVALID):              "Config.AuthKeys must hold a key of the brokers' --auth-keys first, or fix the provider's or bearer token",
	int(C.GAZETTE_STATUS_AUTH_CAPABILITY_MISSING):         "Config.TokenProvider must grant the TokenRequest's Capability",
	int(C.GAZETTE_STATUS_AUTH_TOKEN_PROVIDER):             "Config.TokenProvider returned an error (1), panicked (2) or gave an empty or invalid token (3)",
}

// takeErr turns a status and optional error object into a Go error (nil for
// OK) and frees the object.
func takeErr(s C.gazette_status, e *C.gazette_error) error {
	if e != nil {
		defer C.gazette_error_free(e)
	}
	if s == C.GAZETTE_STATUS_OK {
		return nil
	}
	err := &Error{Status: int(s)}
	if e != nil {
		err.Message = gostr(C.gazette_error_message(e))
	}
	return err
}
